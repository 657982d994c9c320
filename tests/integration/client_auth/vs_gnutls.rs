//! Mutual TLS with `gnutls-cli --x509certfile/--x509keyfile` and
//! `curl --cert/--key` (OpenSSL backend) against a Baton server that
//! requires a client certificate.

use super::*;
use crate::gnutls::gnutls_available;
use baton::ClientAuth;
use std::process::Command;

fn have_curl() -> bool {
    let ok = Command::new("curl")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIPPED: curl not installed");
    }
    ok
}

#[test]
fn gnutls_cli_with_a_certificate() {
    if !gnutls_available() {
        return;
    }
    let id = &pki().good;
    for (tls12, prio) in [
        (false, "NORMAL:-VERS-ALL:+VERS-TLS1.3"),
        (true, "NORMAL:-VERS-ALL:+VERS-TLS1.2"),
    ] {
        let server = echo_server(mtls_server(ClientAuth::Required));
        let mut cli = Proc::spawn(
            "gnutls-cli",
            Command::new("gnutls-cli").args([
                "--x509cafile",
                data("ca-ecdsa.pem").to_str().unwrap(),
                "--x509certfile",
                id.chain.to_str().unwrap(),
                "--x509keyfile",
                id.key.to_str().unwrap(),
                "--priority",
                prio,
                "--port",
                &server.port.to_string(),
                "localhost",
            ]),
        );
        cli.write_stdin(b"gnutls with a certificate\n");
        cli.wait_for_stdout(TIMEOUT, |o| {
            String::from_utf8_lossy(o).contains("gnutls with a certificate")
        });
        cli.close_stdin();
        let seen = server
            .join(TIMEOUT)
            .unwrap_or_else(|e| panic!("tls12={tls12}: {e}\ngnutls-cli: {}", cli.stderr_now()));
        assert!(seen.verified);
        assert_eq!(seen.chain[0], id.leaf_der);
        assert_eq!(seen.chain.len(), 2);
        let _ = cli.wait(TIMEOUT);
    }
}

#[test]
fn curl_with_a_certificate() {
    if !have_curl() {
        return;
    }
    let id = &pki().good;
    let server = baton_server(mtls_server(ClientAuth::Required), |conn| {
        conn.negotiate()?;
        let verified = conn.client_cert_verified();
        recv_until(conn, |b| b.windows(4).any(|w| w == b"\r\n\r\n"))?;
        let body = if verified {
            "hello, verified client\n"
        } else {
            "who?\n"
        };
        let resp = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        send_all(conn, resp.as_bytes())?;
        let _ = conn.shutdown();
        Ok(verified)
    });
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "20", "--cacert"])
        .arg(data("ca-ecdsa.pem"))
        .arg("--cert")
        .arg(&id.chain)
        .arg("--key")
        .arg(&id.key)
        .args(["--resolve", &format!("localhost:{}:127.0.0.1", server.port)])
        .arg(format!("https://localhost:{}/", server.port))
        .output()
        .expect("running curl");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(server.join(TIMEOUT).unwrap(), "curl: {err}");
    assert!(out.status.success(), "curl: {err}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "hello, verified client\n"
    );
}
