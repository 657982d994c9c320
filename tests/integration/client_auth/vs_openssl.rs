//! Mutual TLS with OpenSSL: `s_client -cert/-key` against a Baton server
//! (accepted; refused for a wrong CA, an expired certificate, a
//! serverAuth-only one; optional and required without one), and the Baton
//! client against `s_server -Verify 1` / `-verify 1`, in TLS 1.3 and 1.2.

use super::*;
use crate::require_openssl;
use baton::{AlertDescription, ClientAuth, Config, Connection};

fn version_flag(tls12: bool) -> &'static str {
    if tls12 {
        "-tls1_2"
    } else {
        "-tls1_3"
    }
}

/// s_client to `port` presenting `id` (leaf, intermediate, key), sending one line.
fn s_client_as(port: u16, id: Option<&ClientId>, tls12: bool) -> Output {
    let ca = data("ca-ecdsa.pem");
    let mut args: Vec<String> = [
        version_flag(tls12),
        "-servername",
        "localhost",
        "-CAfile",
        ca.to_str().unwrap(),
        "-verify_return_error",
        "-ign_eof",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if let Some(id) = id {
        args.extend([
            "-cert".into(),
            ClientId::path(&id.leaf),
            "-key".into(),
            ClientId::path(&id.key),
            "-cert_chain".into(),
            ClientId::path(&pki().intermediate),
        ]);
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut cli = s_client(port, &refs);
    cli.write_stdin(b"mutual\n");
    cli.close_stdin();
    cli.wait(TIMEOUT)
}

#[test]
fn s_client_with_a_certificate_is_authenticated() {
    require_openssl!();
    for tls12 in [false, true] {
        for mode in [ClientAuth::Required, ClientAuth::Optional] {
            let server = echo_server(mtls_server(mode));
            let out = s_client_as(server.port, Some(&pki().good), tls12);
            let seen = server
                .join(TIMEOUT)
                .unwrap_or_else(|e| panic!("tls12={tls12} {mode:?}: {e}\n{}", out.stderr));
            assert!(out.stdout_str().contains("mutual"), "{}", out.stderr);
            assert!(seen.verified, "tls12={tls12} {mode:?}");
            assert_eq!(seen.chain.len(), 2, "leaf and intermediate");
            assert_eq!(seen.chain[0], pki().good.leaf_der);
            let want = if tls12 {
                baton::ProtocolVersion::TLSV1_2
            } else {
                baton::ProtocolVersion::TLSV1_3
            };
            assert_eq!(seen.version, Some(want));
        }
    }
}

/// The Baton server refuses `id` with `alert`, and s_client hears it.
fn refused(id: Option<&ClientId>, mode: ClientAuth, tls12: bool, alert: AlertDescription) {
    let server = echo_server(mtls_server(mode));
    let out = s_client_as(server.port, id, tls12);
    let err = server
        .join(TIMEOUT)
        .expect_err("the Baton server should refuse the client");
    assert!(
        err.contains(&alert.to_string()),
        "tls12={tls12}: wanted {alert}, got {err}"
    );
    let number = format!("SSL alert number {}", alert.0);
    assert!(
        out.stderr.contains(&number),
        "tls12={tls12}: s_client should have received {alert}; its stderr:\n{}",
        out.stderr
    );
}

#[test]
fn s_client_with_a_bad_certificate_is_refused() {
    require_openssl!();
    let p = pki();
    for tls12 in [false, true] {
        let m = ClientAuth::Optional;
        refused(Some(&p.wrong_ca), m, tls12, AlertDescription::UNKNOWN_CA);
        refused(
            Some(&p.expired),
            m,
            tls12,
            AlertDescription::CERTIFICATE_EXPIRED,
        );
        refused(
            Some(&p.server_only),
            m,
            tls12,
            AlertDescription::UNSUPPORTED_CERTIFICATE,
        );
    }
}

/// A server with the intermediate's CRL (checked for the leaf) refuses
/// the revoked client certificate and still takes the good one.
#[test]
fn s_client_with_a_revoked_certificate_is_refused() {
    require_openssl!();
    let with_crl = || {
        let mut b = Config::builder_minimal();
        b.add_cert_chain_and_key(
            baton::CertChainAndKey::from_pem_files(
                data("server-p256-chain.pem"),
                data("server-p256.key"),
            )
            .unwrap(),
        );
        b.add_pem_to_trust_store(&std::fs::read(&pki().root).unwrap())
            .unwrap();
        b.add_crl_pem(&std::fs::read(&pki().crl).unwrap()).unwrap();
        b.set_revocation_depth(baton::cert::RevocationDepth::EndEntity);
        b.set_client_auth(ClientAuth::Required);
        b.build().unwrap()
    };
    for tls12 in [false, true] {
        let server = echo_server(with_crl());
        let out = s_client_as(server.port, Some(&pki().revoked), tls12);
        let err = server
            .join(TIMEOUT)
            .expect_err("a revoked client certificate");
        assert!(err.contains("certificate_revoked"), "tls12={tls12}: {err}");
        assert!(out.stderr.contains("SSL alert number 44"), "{}", out.stderr);
        let server = echo_server(with_crl());
        let _ = s_client_as(server.port, Some(&pki().good), tls12);
        assert!(server.join(TIMEOUT).unwrap().verified, "tls12={tls12}");
    }
}

#[test]
fn s_client_without_a_certificate_passes_optional_and_fails_required() {
    require_openssl!();
    for tls12 in [false, true] {
        let server = echo_server(mtls_server(ClientAuth::Optional));
        let out = s_client_as(server.port, None, tls12);
        let seen = server.join(TIMEOUT).unwrap();
        assert!(out.stdout_str().contains("mutual"), "{}", out.stderr);
        assert!(!seen.verified && seen.chain.is_empty());
        let alert = if tls12 {
            AlertDescription::HANDSHAKE_FAILURE
        } else {
            AlertDescription::CERTIFICATE_REQUIRED
        };
        refused(None, ClientAuth::Required, tls12, alert);
    }
}

/// s_server with the P-256 chain asking for a client certificate
/// (`verify_flag`: `-Verify` requires one, `-verify` only asks).
fn s_server_verifying(verify_flag: &str, tls12: bool) -> SServer {
    let root = pki().root.clone();
    s_server(&[
        "-cert",
        data("server-p256.pem").to_str().unwrap(),
        "-cert_chain",
        data("intermediate-p256.pem").to_str().unwrap(),
        "-key",
        data("server-p256.key").to_str().unwrap(),
        verify_flag,
        "1",
        "-CAfile",
        root.to_str().unwrap(),
        "-verify_return_error",
        "-naccept",
        "1",
        version_flag(tls12),
    ])
}

fn baton_client_to(srv: &SServer, id: Option<&ClientId>) -> baton::Result<Connection> {
    baton_client(&mtls_client(id), srv.port, |c| {
        c.set_server_name("localhost").unwrap()
    })
}

#[test]
fn baton_client_certificate_is_verified_by_s_server() {
    require_openssl!();
    for tls12 in [false, true] {
        for flag in ["-Verify", "-verify"] {
            let mut srv = s_server_verifying(flag, tls12);
            let mut conn = baton_client_to(&srv, Some(&pki().good))
                .unwrap_or_else(|e| panic!("tls12={tls12} {flag}: {e}"));
            assert!(conn.client_cert().is_some());
            send_all(&mut conn, b"from a client with a certificate\n").unwrap();
            srv.proc.wait_for_stdout(TIMEOUT, |o| {
                String::from_utf8_lossy(o).contains("from a client with a certificate")
            });
            let _ = conn.shutdown();
            srv.proc.close_stdin();
            let out = srv.proc.wait(TIMEOUT);
            let stdout = out.stdout_str();
            assert!(
                stdout.contains("Client certificate"),
                "tls12={tls12} {flag}: {stdout}"
            );
            // s_server verified the whole chain, down to our leaf.
            assert!(
                out.stderr
                    .contains("depth=0 CN = good client\nverify return:1"),
                "tls12={tls12} {flag}: {}",
                out.stderr
            );
        }
    }
}

#[test]
fn baton_client_without_a_certificate_meets_s_server_verify() {
    require_openssl!();
    for tls12 in [false, true] {
        // -verify: asked, not required: the empty Certificate is accepted.
        let srv = s_server_verifying("-verify", tls12);
        let mut conn = baton_client_to(&srv, None).unwrap();
        assert!(conn.client_cert().is_none());
        send_all(&mut conn, b"anonymous\n").unwrap();
        srv.proc.wait_for_stdout(TIMEOUT, |o| {
            String::from_utf8_lossy(o).contains("anonymous")
        });
        let _ = conn.shutdown();
        drop(srv);
        // -Verify: required: s_server refuses the handshake.
        let srv = s_server_verifying("-Verify", tls12);
        let err = match baton_client_to(&srv, None) {
            // TLS 1.3: our handshake ends before the server judges our flight.
            Ok(mut conn) => {
                let _ = send_all(&mut conn, b"x\n");
                recv_to_end(&mut conn).expect_err("s_server should refuse")
            }
            Err(e) => e,
        };
        let alert = err.received_alert();
        assert!(
            matches!(
                alert,
                Some(AlertDescription::CERTIFICATE_REQUIRED | AlertDescription::HANDSHAKE_FAILURE)
            ),
            "tls12={tls12}: {err}"
        );
    }
}
