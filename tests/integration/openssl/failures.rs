//! Handshakes that must fail, with the right error kind and alert on both sides.

use super::*;
use crate::require_openssl;
use baton::{AlertDescription, Error, ErrorKind};

// ---------------------------------------------------------------- failures

/// A Baton client's handshake against s_server with `cert`, expected to fail.
/// Returns Baton's error and s_server's stderr.
fn client_handshake_error(cert: Cert, server_name: &str) -> (Error, String) {
    let srv = s_server_with(cert, &["-tls1_3", "-naccept", "1", "-quiet"]);
    let err = match baton_client(&client_config(), srv.port, |c| {
        c.set_server_name(server_name).unwrap()
    }) {
        Ok(_) => panic!("handshake with {} as {server_name} should fail", cert.chain),
        Err(e) => e,
    };
    let out = srv.proc.wait(TIMEOUT);
    (err, out.stderr)
}

fn assert_sent_alert(err: &Error, alert: AlertDescription, server_stderr: &str) {
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err} [{err:?}]");
    assert_eq!(err.sent_alert(), Some(alert), "{err} [{err:?}]");
    let name = alert.to_string();
    assert!(
        err.to_string().contains(&name),
        "message should name the alert: {err}"
    );
    let number = format!("SSL alert number {}", alert.0);
    assert!(
        server_stderr.contains(&number),
        "s_server should have received {name}; its stderr:\n{server_stderr}"
    );
}

#[test]
fn expired_server_chain_is_rejected() {
    require_openssl!();
    let (err, stderr) = client_handshake_error(EXPIRED, "localhost");
    assert_sent_alert(&err, AlertDescription::CERTIFICATE_EXPIRED, &stderr);
}

#[test]
fn untrusted_server_chain_is_rejected() {
    require_openssl!();
    let (err, stderr) = client_handshake_error(UNTRUSTED, "localhost");
    assert_sent_alert(&err, AlertDescription::UNKNOWN_CA, &stderr);
}

#[test]
fn hostname_mismatch_is_rejected() {
    require_openssl!();
    let (err, stderr) = client_handshake_error(RSA, "wrong.example");
    assert_sent_alert(&err, AlertDescription::BAD_CERTIFICATE, &stderr);
    assert!(
        err.message().contains("wrong.example"),
        "message should name the host: {err}"
    );
}

/// OpenSSL rejects Baton's expired or untrusted chain; Baton reports the alert it got.
#[test]
fn openssl_client_rejects_bad_baton_server_chains() {
    require_openssl!();
    for (cert, alert) in [
        (EXPIRED, AlertDescription::CERTIFICATE_EXPIRED),
        (UNTRUSTED, AlertDescription::UNKNOWN_CA),
    ] {
        let server = baton_server(server_config(cert.chain, cert.key), |conn| {
            Ok(conn.negotiate().map(|_| ()))
        });
        let args = verifying_args(&["-servername", "localhost", "-brief"]);
        let mut cli = s_client(server.port, &refs(&args));
        cli.close_stdin();
        let out = cli.wait(TIMEOUT);
        assert!(!out.status.success(), "s_client accepted {}", cert.chain);
        let result = server.join(TIMEOUT).expect("server thread");
        let err = result.expect_err("Baton's handshake should fail");
        assert_eq!(
            err.kind(),
            ErrorKind::Alert(alert),
            "{}: {err} [{err:?}]",
            cert.chain
        );
        assert_eq!(err.received_alert(), Some(alert));
    }
}
