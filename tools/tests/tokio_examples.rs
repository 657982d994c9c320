//! The `baton::tokio` examples (tools/examples/) against real peers: the
//! hyper server with curl (HTTP/1.1 and h2 by ALPN) and `openssl s_client`,
//! the hyper client against `openssl s_server -www`, the echo server with
//! `openssl s_client`. `cargo test` builds the examples before it runs this.

#[path = "../../tests/integration/util.rs"]
mod util;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use util::*;

/// The built example `name` (target/<profile>/examples/), next to this
/// test binary's deps/ directory.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|d| d.parent()).unwrap();
    let p = dir.join("examples").join(name);
    assert!(
        p.exists(),
        "{} is not built: run `cargo test -p baton-tools` (which builds the examples) or `cargo build -p baton-tools --examples`",
        p.display()
    );
    p
}

fn arg(p: PathBuf) -> String {
    p.to_str().unwrap().to_string()
}

/// Starts an example server on a free port; returns it and the port.
fn start(name: &str) -> (Proc, u16) {
    let p = Proc::spawn(
        name,
        Command::new(example(name)).args([
            "127.0.0.1:0".to_string(),
            arg(data("server-p256-chain.pem")),
            arg(data("server-p256.key")),
        ]),
    );
    p.wait_for_stdout(TIMEOUT, |o| {
        String::from_utf8_lossy(o).contains("listening on ") && o.ends_with(b"\n")
    });
    let out = String::from_utf8_lossy(&p.stdout_now()).into_owned();
    let addr = out
        .lines()
        .find_map(|l| l.strip_prefix("listening on "))
        .unwrap();
    let port = addr.rsplit(':').next().unwrap().parse().unwrap();
    (p, port)
}

fn curl(port: u16, args: &[&str]) -> Output {
    let resolve = format!("localhost:{port}:127.0.0.1");
    let ca = arg(data("ca-ecdsa.pem"));
    let mut cmd = Command::new("curl");
    cmd.args([
        "-sS",
        "--max-time",
        "20",
        "--resolve",
        &resolve,
        "--cacert",
        &ca,
    ])
    .args(args);
    let out = Proc::spawn("curl", &mut cmd).wait(TIMEOUT);
    assert!(out.status.success(), "curl {args:?}: {}", out.stderr);
    out
}

#[test]
fn hyper_server_with_curl_http1_and_h2() {
    let (_server, port) = start("hyper_server");
    let url = format!("https://localhost:{port}/hello");
    let out = curl(port, &["--http1.1", &url]);
    assert_eq!(
        out.stdout_str(),
        "hello from baton: path /hello over HTTP/1.1 and TLS 1.3\n"
    );
    let out = curl(port, &["--http2", &url]);
    assert_eq!(
        out.stdout_str(),
        "hello from baton: path /hello over HTTP/2.0 and TLS 1.3\n"
    );
    let out = curl(port, &["--http1.1", "--tls-max", "1.2", &url]);
    assert_eq!(
        out.stdout_str(),
        "hello from baton: path /hello over HTTP/1.1 and TLS 1.2\n"
    );
    // A 3 MiB body each way (many records, both directions).
    let body = payload(3 << 20, 5);
    let file = scratch_dir().join("tokio-post.bin");
    std::fs::write(&file, &body).unwrap();
    let at = format!("@{}", file.display());
    for proto in ["--http1.1", "--http2"] {
        let out = curl(port, &[proto, "--data-binary", &at, &url]);
        assert!(out.stdout == body, "{proto}: echoed body differs");
    }
}

#[test]
fn hyper_server_with_openssl_s_client() {
    require_openssl!();
    let (_server, port) = start("hyper_server");
    let ca = arg(data("ca-ecdsa.pem"));
    let mut c = s_client(
        port,
        &[
            "-servername",
            "localhost",
            "-CAfile",
            &ca,
            "-verify_return_error",
            "-alpn",
            "http/1.1",
            "-ign_eof",
            "-quiet",
        ],
    );
    c.feed_stdin(Arc::new(
        b"GET /from-openssl HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".to_vec(),
    ));
    let out = c.wait(TIMEOUT);
    let text = out.stdout_str();
    assert!(
        text.starts_with("HTTP/1.1 200 OK\r\n"),
        "{text:?} {}",
        out.stderr
    );
    assert!(
        text.ends_with("hello from baton: path /from-openssl over HTTP/1.1 and TLS 1.3\n"),
        "{text:?}"
    );
}

#[test]
fn hyper_client_against_openssl_s_server_www() {
    require_openssl!();
    let server = s_server(&[
        "-cert",
        data("server-p256.pem").to_str().unwrap(),
        "-cert_chain",
        data("intermediate-p256.pem").to_str().unwrap(),
        "-key",
        data("server-p256.key").to_str().unwrap(),
        "-www",
    ]);
    let url = format!("https://localhost:{}/", server.port);
    let out = Proc::spawn(
        "hyper_client",
        Command::new(example("hyper_client")).args([url, arg(data("ca-ecdsa.pem"))]),
    )
    .wait(TIMEOUT);
    let text = out.stdout_str();
    assert!(out.status.success(), "{text:?}: {}", out.stderr);
    assert!(text.starts_with("HTTP/1.0 200 OK\n"), "{text:?}");
    // s_server's status page names the negotiated protocol and suite.
    assert!(
        text.contains("<HTML>") || text.contains("<html>"),
        "{text:?}"
    );
    assert!(text.contains("TLSv1.3"), "{text:?}");
}

#[test]
fn echo_server_with_openssl_s_client() {
    require_openssl!();
    let (_server, port) = start("tokio_echo");
    let mut c = s_client_ecdsa_quiet(port);
    c.write_stdin(b"echo me through baton\n");
    c.write_stdin(b"and once more\n");
    c.wait_for_stdout(TIMEOUT, |o| o == b"echo me through baton\nand once more\n");
    // `-quiet` ignores stdin EOF: dropping `c` ends it.
}
