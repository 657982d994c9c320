//! `baton server` and `baton client` with a TLS 1.3 external PSK
//! (`--psk-identity`, `--psk-secret`, `--psk-hash`): a server without any
//! certificate against `openssl s_client -psk`, the client against
//! `openssl s_server -nocert -psk`, the two together with a SHA-384 PSK, a
//! wrong secret, and the usage errors.

use super::*;

const ID: &str = "cli-edge-7";
const SECRET: &str = "00112233445566778899aabbccddeeff0123456789abcdef0123456789abcdef";

/// `baton server --echo` with the PSK and no certificate, and its port.
fn psk_server(extra: &[&str]) -> (Proc, u16) {
    let mut args = vec![
        "server",
        "--listen",
        "127.0.0.1:0",
        "--echo",
        "--psk-identity",
        ID,
        "--psk-secret",
        SECRET,
    ];
    args.extend_from_slice(extra);
    let server = baton(&args);
    let addr = line_after(&server, "listening on ", true);
    let port = addr.rsplit(':').next().unwrap().parse().unwrap();
    (server, port)
}

/// `openssl s_client -psk` to `baton server` holding only the PSK: the
/// handshake uses it (s_client sees no certificate), the line comes back, and
/// the server's handshake line names the identity.
#[test]
fn server_without_certificate_to_openssl_s_client_psk() {
    require_openssl!();
    let (server, port) = psk_server(&[]);
    // Not -quiet (it implies -ign_eof): at stdin EOF s_client sends
    // close_notify and exits, once the echo is in.
    let mut cli = s_client(port, &["-tls1_3", "-psk", SECRET, "-psk_identity", ID]);
    cli.write_stdin(b"over the psk\n");
    cli.wait_for_stdout(TIMEOUT, |out| {
        String::from_utf8_lossy(out).contains("\nover the psk\n")
    });
    cli.close_stdin();
    let out = cli.wait(TIMEOUT);
    let text = out.stdout_str();
    assert!(text.contains("no peer certificate available"), "{text}");
    let line = line_after(&server, "handshake: ", true);
    assert!(line.contains("version=TLSv1.3"), "{line}");
    assert!(line.ends_with(&format!(" psk={ID}")), "{line}");
}

/// `baton client --psk-...` against `openssl s_server -nocert -psk -rev`:
/// stdin goes out reversed back, and the client's handshake line names the
/// identity the server took.
#[test]
fn client_to_openssl_s_server_nocert_psk() {
    require_openssl!();
    let srv = s_server(&[
        "-tls1_3",
        "-nocert",
        "-psk",
        SECRET,
        "-psk_identity",
        ID,
        "-naccept",
        "1",
        "-rev",
        "-quiet",
    ]);
    let target = format!("127.0.0.1:{}", srv.port);
    // No --ca: the PSK authenticates the server, no certificate is checked.
    let mut c = baton(&[
        "client",
        &target,
        "--psk-identity",
        ID,
        "--psk-secret",
        SECRET,
    ]);
    c.write_stdin(b"pre-shared\n");
    c.close_stdin();
    let out = c.wait(TIMEOUT);
    assert!(out.status.success(), "baton client: {}", out.stderr);
    assert_eq!(out.stdout_str(), "derahs-erp\n");
    let line = out
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("handshake: "))
        .unwrap_or_else(|| panic!("no handshake line: {}", out.stderr));
    assert!(line.ends_with(&format!(" psk={ID}")), "{line}");
    assert!(line.contains("suite=TLS_AES_128_GCM_SHA256"), "{line}");
}

/// `baton client` and `baton server` with a SHA-384 PSK: the suite follows
/// the PSK's hash, and both lines name the identity.
#[test]
fn client_to_server_with_a_sha384_psk() {
    let (server, port) = psk_server(&["--psk-hash", "sha384"]);
    let target = format!("127.0.0.1:{port}");
    let mut c = baton(&[
        "client",
        &target,
        "--psk-identity",
        ID,
        "--psk-secret",
        SECRET,
        "--psk-hash",
        "sha384",
    ]);
    c.write_stdin(b"both baton\n");
    c.close_stdin();
    let out = c.wait(TIMEOUT);
    assert!(out.status.success(), "baton client: {}", out.stderr);
    assert_eq!(out.stdout_str(), "both baton\n");
    for line in [
        out.stderr
            .lines()
            .find_map(|l| l.strip_prefix("handshake: "))
            .unwrap_or_else(|| panic!("no handshake line: {}", out.stderr))
            .to_string(),
        line_after(&server, "handshake: ", true),
    ] {
        assert!(line.contains("suite=TLS_AES_256_GCM_SHA384"), "{line}");
        assert!(line.ends_with(&format!(" psk={ID}")), "{line}");
    }
}

/// The same identity with another secret: the server's binder check fails
/// (decrypt_error, RFC 8446 §4.2.11) and says so; the client exits 1 with
/// one `error:` line naming the alert and the likely cause.
#[test]
fn a_wrong_secret_fails_clearly_on_both_ends() {
    let (server, port) = psk_server(&[]);
    let target = format!("127.0.0.1:{port}");
    let wrong = "ff".repeat(32);
    let out = baton(&[
        "client",
        &target,
        "--psk-identity",
        ID,
        "--psk-secret",
        &wrong,
    ])
    .wait(TIMEOUT);
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(
        out.stderr.starts_with("error: handshake with 127.0.0.1:"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("decrypt_error"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("does the server hold another secret for this --psk-identity?"),
        "{}",
        out.stderr
    );
    let err = line_after(&server, "error: ", true);
    assert!(
        err.contains("PSK binder does not verify") && err.contains("decrypt_error"),
        "{err}"
    );
}

/// Bad PSK options are usage errors (exit 2) that say what is wrong, and
/// never echo the secret.
#[test]
fn psk_usage_errors() {
    let listen = ["server", "--listen", "127.0.0.1:0"];
    let cases: [(&[&str], &str); 8] = [
        (&["--psk-identity", ID], "--psk-identity needs --psk-secret"),
        (
            &["--psk-secret", SECRET],
            "--psk-secret needs --psk-identity",
        ),
        (&["--psk-hash", "sha384"], "--psk-hash needs --psk-identity"),
        (
            &["--psk-identity", ID, "--psk-secret", "0011zz"],
            "--psk-secret: not hex: character 5",
        ),
        (
            &["--psk-identity", ID, "--psk-secret", "001"],
            "--psk-secret: 3 hex digits",
        ),
        (
            &["--psk-identity", ID, "--psk-secret", "00112233"],
            "4 secret bytes): a PSK secret is 16 to 64 bytes",
        ),
        (
            &[
                "--psk-identity",
                ID,
                "--psk-secret",
                SECRET,
                "--psk-hash",
                "sha1",
            ],
            "expected sha256 or sha384",
        ),
        // Without a PSK the certificate is still required.
        (&[], "missing required option --cert"),
    ];
    for (extra, want) in cases {
        let args: Vec<&str> = listen.iter().chain(extra).copied().collect();
        let out = baton(&args).wait(TIMEOUT);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.starts_with("error: "),
            "{args:?}: {}",
            out.stderr
        );
        assert!(out.stderr.contains(want), "{args:?}: {}", out.stderr);
        assert!(!out.stderr.contains("0011zz"), "{}", out.stderr);
    }
    // The client parses the same options.
    let out = baton(&["client", "127.0.0.1:1", "--psk-identity", ID]).wait(TIMEOUT);
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("--psk-identity needs --psk-secret"));
    let out = baton(&["server", "--help"]).wait(TIMEOUT);
    assert!(out.stdout_str().contains("--psk-secret <HEX>"));
}
