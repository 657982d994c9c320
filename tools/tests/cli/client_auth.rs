//! Mutual TLS on the command line: `baton server --client-auth
//! --client-ca` with `openssl s_client -cert/-key` and with `baton client
//! --cert/--key` (the handshake lines name the client), `baton serve` with
//! the same flags against curl, and the usage errors.

use super::*;

/// The committed client certificate's common name, as the line prints it.
const CLIENT_NAME: &str = "client.test\\x20(P-256)";

fn mtls_server(mode: &str) -> (Proc, u16) {
    let server = baton(&[
        "server",
        "--listen",
        "127.0.0.1:0",
        "--cert",
        &path("server-p256-chain.pem"),
        "--key",
        &path("server-p256.key"),
        "--client-auth",
        mode,
        "--client-ca",
        &path("ca-ecdsa.pem"),
        "--echo",
    ]);
    let addr = line_after(&server, "listening on ", true);
    (server, addr.rsplit(':').next().unwrap().parse().unwrap())
}

#[test]
fn server_names_the_client_openssl_authenticated_as() {
    require_openssl!();
    for version in ["-tls1_3", "-tls1_2"] {
        let (server, port) = mtls_server("required");
        let mut cli = s_client(
            port,
            &[
                version,
                "-cert",
                &path("client.pem"),
                "-cert_chain",
                &path("intermediate-p256.pem"),
                "-key",
                &path("client.key"),
            ],
        );
        cli.write_stdin(b"who am i\n");
        cli.wait_for_stdout(TIMEOUT, |out| {
            String::from_utf8_lossy(out).contains("\nwho am i\n")
        });
        cli.close_stdin();
        let _ = cli.wait(TIMEOUT);
        let line = line_after(&server, "handshake: ", true);
        assert!(
            line.ends_with(&format!(" client={CLIENT_NAME}")),
            "{version}: {line}"
        );
    }
}

#[test]
fn optional_says_none_and_required_refuses_a_client_without_a_certificate() {
    require_openssl!();
    let (server, port) = mtls_server("optional");
    let mut cli = s_client(port, &["-tls1_3"]);
    cli.write_stdin(b"anonymous\n");
    cli.wait_for_stdout(TIMEOUT, |out| {
        String::from_utf8_lossy(out).contains("\nanonymous\n")
    });
    cli.close_stdin();
    let _ = cli.wait(TIMEOUT);
    let line = line_after(&server, "handshake: ", true);
    assert!(line.ends_with(" client=none"), "{line}");
    drop(server);

    let (server, port) = mtls_server("required");
    let mut cli = s_client(port, &["-tls1_3", "-ign_eof"]);
    cli.close_stdin();
    let out = cli.wait(TIMEOUT);
    assert!(
        out.stderr.contains("SSL alert number 116"),
        "{}",
        out.stderr
    );
    let err = line_after(&server, "error: peer=", true);
    assert!(err.contains("certificate_required"), "{err}");
}

#[test]
fn baton_client_with_cert_and_key_to_baton_server() {
    let (server, port) = mtls_server("required");
    let target = format!("localhost:{port}");
    let mut c = baton(&[
        "client",
        &target,
        "--ca",
        &path("ca-ecdsa.pem"),
        "--cert",
        &path("client-chain.pem"),
        "--key",
        &path("client.key"),
    ]);
    c.write_stdin(b"mutual\n");
    c.close_stdin();
    let out = c.wait(TIMEOUT);
    assert!(out.status.success(), "baton client: {}", out.stderr);
    assert_eq!(out.stdout_str(), "mutual\n");
    let client_line = out
        .stderr
        .lines()
        .find(|l| l.starts_with("handshake: "))
        .unwrap_or_else(|| panic!("{}", out.stderr))
        .to_string();
    assert!(
        client_line.ends_with(&format!(" client={CLIENT_NAME}")),
        "{client_line}"
    );
    let line = line_after(&server, "handshake: ", true);
    assert!(line.ends_with(&format!(" client={CLIENT_NAME}")), "{line}");
}

#[test]
fn serve_with_client_auth_against_curl() {
    if std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: curl not installed");
        return;
    }
    let dir = scratch_dir().join("serve-mtls");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("who.txt"), b"only with a certificate\n").unwrap();
    let dir = std::fs::canonicalize(dir).unwrap();
    let server = baton(&[
        "serve",
        dir.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--client-auth",
        "required",
        "--client-ca",
        &path("ca-ecdsa.pem"),
    ]);
    let url = line_after(&server, &format!("serving {} at ", dir.display()), false);
    let curl = |extra: &[String]| {
        std::process::Command::new("curl")
            .args(["-sSk", "--max-time", "20"])
            .args(extra)
            .arg(format!("{url}who.txt"))
            .output()
            .unwrap()
    };
    let with = curl(&[
        "--cert".into(),
        path("client-chain.pem"),
        "--key".into(),
        path("client.key"),
    ]);
    assert!(
        with.status.success(),
        "curl: {}",
        String::from_utf8_lossy(&with.stderr)
    );
    assert_eq!(with.stdout, b"only with a certificate\n");
    let without = curl(&[]);
    assert!(!without.status.success(), "served without a certificate");
}

#[test]
fn client_auth_usage_errors() {
    let cases: [&[&str]; 4] = [
        &[
            "server",
            "--listen",
            "127.0.0.1:0",
            "--client-auth",
            "maybe",
        ],
        &[
            "server",
            "--listen",
            "127.0.0.1:0",
            "--client-auth",
            "required",
        ],
        &["server", "--listen", "127.0.0.1:0", "--client-ca", "x.pem"],
        &["client", "localhost:1", "--cert", "c.pem"],
    ];
    for args in cases {
        let mut full: Vec<&str> = args.to_vec();
        let (cert, key) = (path("server-p256.pem"), path("server-p256.key"));
        if args[0] == "server" {
            full.extend(["--cert", &cert, "--key", &key]);
        }
        let out = baton(&full).wait(TIMEOUT);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.starts_with("error: "),
            "{args:?}: {}",
            out.stderr
        );
    }
}
