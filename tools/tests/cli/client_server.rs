//! `baton server` and `baton client`: echo, stdin/stdout, verification errors,
//! and what each says about kernel TLS (`--ktls`).

use super::*;

/// `baton server --echo`, driven by the library as a client.
#[test]
fn server_echoes_and_reports_handshakes() {
    let server = baton(&[
        "server",
        "--listen",
        "127.0.0.1:0",
        "--cert",
        &path("server-rsa.pem"),
        "--key",
        &path("server-rsa.key"),
        "--alpn",
        "h2,http/1.1",
        "--echo",
    ]);
    let addr = line_after(&server, "listening on ", true);
    let port: u16 = addr.rsplit(':').next().unwrap().parse().unwrap();
    let mut conn = baton_client(&client_config(), port, |c| {
        c.set_server_name("localhost").unwrap();
        c.set_alpn_preferences(&["http/1.1"]).unwrap();
    })
    .unwrap_or_else(|e| panic!("{e}; baton server: {}", server.stderr_now()));
    send_all(&mut conn, b"echo me\n").unwrap();
    assert_eq!(recv_exact(&mut conn, 8).unwrap(), b"echo me\n");
    conn.shutdown().expect("baton server answers close_notify");
    let line = line_after(&server, "handshake: ", true);
    for want in [
        "version=TLSv1.3",
        "suite=TLS_",
        "group=",
        "alpn=http/1.1",
        "sni=localhost",
    ] {
        assert!(line.contains(want), "handshake line lacks {want}: {line}");
    }
}

/// `baton client` against `openssl s_server -rev`: stdin goes out, the reply
/// comes to stdout, and stdin EOF ends with close_notify both ways (exit 0).
#[test]
fn client_copies_stdin_and_stdout() {
    require_openssl!();
    let srv = s_server(&[
        "-cert",
        &path("server-rsa.pem"),
        "-key",
        &path("server-rsa.key"),
        "-naccept",
        "1",
        "-rev",
        "-quiet",
    ]);
    let target = format!("localhost:{}", srv.port);
    let mut c = baton(&["client", &target, "--ca", &path("ca-rsa.pem")]);
    c.write_stdin(b"first line\nsecond line\n");
    c.close_stdin();
    let out = c.wait(TIMEOUT);
    assert!(out.status.success(), "baton client: {}", out.stderr);
    assert_eq!(out.stdout_str(), "enil tsrif\nenil dnoces\n");
    assert!(
        out.stderr.contains("handshake: peer=127.0.0.1:"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("sni=localhost"), "{}", out.stderr);
}

/// A failed verification is one clear `error:` line and exit status 1.
#[test]
fn client_reports_verification_failure() {
    require_openssl!();
    let srv = s_server(&[
        "-cert",
        &path("server-untrusted.pem"),
        "-key",
        &path("server-untrusted.key"),
        "-naccept",
        "1",
        "-quiet",
    ]);
    let target = format!("localhost:{}", srv.port);
    let out = baton(&["client", &target, "--ca", &path("ca-rsa.pem")]).wait(TIMEOUT);
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(
        out.stderr.starts_with("error: handshake with "),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("unknown_ca"), "{}", out.stderr);
}

/// What the `ktls:` line should say on this kernel: the kernel where it has
/// kTLS (in tools/ktls-vm), userspace with the reason elsewhere.
fn expect_ktls_line(line: &str) {
    if baton_ktls::probe().available() {
        assert!(line.contains("send=kernel recv=kernel"), "{line}");
    } else {
        assert!(
            line.contains("send=userspace (") && line.contains("recv=userspace ("),
            "{line}"
        );
        assert!(
            line.contains("TLS ULP"),
            "the reason names the missing ULP: {line}"
        );
    }
}

/// `baton server --ktls auto --echo` with `baton client --ktls auto`: both print
/// who protects each direction's records, and the echo is intact either way.
#[test]
fn server_and_client_report_ktls_per_direction() {
    let server = baton(&[
        "server",
        "--listen",
        "127.0.0.1:0",
        "--cert",
        &path("server-p256-chain.pem"),
        "--key",
        &path("server-p256.key"),
        "--echo",
        "--ktls",
        "auto",
    ]);
    let addr = line_after(&server, "listening on ", true);
    let port: u16 = addr.rsplit(':').next().unwrap().parse().unwrap();
    let target = format!("localhost:{port}");
    let mut c = baton(&[
        "client",
        &target,
        "--ca",
        &path("ca-ecdsa.pem"),
        "--ktls",
        "auto",
    ]);
    let payload = payload(200_000, 4);
    let hex: String = payload.iter().map(|b| format!("{b:02x}")).collect();
    let text = format!("{hex}\n");
    c.write_stdin(text.as_bytes());
    c.close_stdin();
    let out = c.wait(BULK_TIMEOUT);
    assert!(out.status.success(), "baton client: {}", out.stderr);
    assert_eq!(out.stdout_str(), text);
    let client_line = out
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("ktls: "))
        .unwrap_or_else(|| panic!("no ktls line: {}", out.stderr))
        .to_string();
    expect_ktls_line(&client_line);
    expect_ktls_line(&line_after(&server, "ktls: ", true));
}

/// `--ktls off` says so; `--ktls require` fails with one clear line where the
/// kernel can't, and works where it can; a bad mode is a usage error.
#[test]
fn client_ktls_off_and_require() {
    require_openssl!();
    let start = || {
        s_server(&[
            "-cert",
            &path("server-p256.pem"),
            "-cert_chain",
            &path("intermediate-p256.pem"),
            "-key",
            &path("server-p256.key"),
            "-naccept",
            "1",
            "-rev",
            "-quiet",
        ])
    };
    // `baton client --ktls MODE` against a fresh s_server -rev, fed `line`.
    let run = |mode: &str, line: &[u8]| {
        let srv = start();
        let target = format!("localhost:{}", srv.port);
        let mut c = baton(&[
            "client",
            &target,
            "--ca",
            &path("ca-ecdsa.pem"),
            "--ktls",
            mode,
        ]);
        c.write_stdin(line);
        c.close_stdin();
        c.wait(TIMEOUT)
    };
    let out = run("off", b"abc\n");
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(out.stdout_str(), "cba\n");
    assert!(
        out.stderr.contains(
            "send=userspace (kernel TLS turned off) recv=userspace (kernel TLS turned off)"
        ),
        "{}",
        out.stderr
    );

    let out = run("require", b"xyz\n");
    if baton_ktls::probe().available() {
        assert!(out.status.success(), "{}", out.stderr);
        assert_eq!(out.stdout_str(), "zyx\n");
        assert!(
            out.stderr.contains("send=kernel recv=kernel"),
            "{}",
            out.stderr
        );
    } else {
        assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
        assert!(
            out.stderr
                .contains("error: kernel TLS required, but send stays in userspace: the kernel has no TLS ULP"),
            "{}",
            out.stderr
        );
    }

    let out = baton(&["client", "localhost:1", "--ktls", "sometimes"]).wait(TIMEOUT);
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("auto, off, require"), "{}", out.stderr);
}
