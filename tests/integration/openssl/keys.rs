//! Certificate keys beyond P-256/P-384/rsaEncryption against OpenSSL, both
//! directions: ECDSA P-521 (`ecdsa_secp521r1_sha512`, a chain signed with
//! ecdsa-with-SHA512) and RSA-PSS keys (id-RSASSA-PSS, `rsa_pss_pss_*`). Data
//! crosses each connection, so a wrong signature or key schedule cannot pass
//! unnoticed.

use super::*;
use crate::require_openssl;
use baton::SignatureScheme;

const P521_CERT: Cert = Cert {
    chain: "server-p521.pem",
    key: "server-p521.key",
};
/// An RSA-PSS leaf key under the RSA root (which signs with PKCS#1).
const PSS_CERT: Cert = Cert {
    chain: "server-rsa-pss.pem",
    key: "server-rsa-pss.key",
};

/// A Baton server with `cert` (default policy unless `policy` names one) runs
/// one s_client with `args` plus verification as `localhost` against `ca`;
/// returns the version and scheme Baton signed with, and s_client's output.
fn s_client_to_baton(
    cert: Cert,
    policy: Option<&str>,
    ca: &str,
    args: &[&str],
) -> (Option<ProtocolVersion>, Option<SignatureScheme>, Output) {
    let mut b = Config::builder_minimal();
    b.add_cert_chain_and_key(
        baton::CertChainAndKey::from_pem_files(data(cert.chain), data(cert.key)).unwrap(),
    );
    if let Some(p) = policy {
        b.security_policy(p).unwrap();
    }
    let msg: &[u8] = b"signed by a less common key\n";
    let server = baton_server(b.build().unwrap(), move |conn| {
        conn.negotiate()?;
        let seen = (conn.actual_protocol_version(), conn.signature_scheme());
        let data = recv_exact(conn, msg.len())?;
        send_all(conn, &data)?;
        conn.shutdown()?;
        Ok(seen)
    });
    let ca = data(ca);
    let mut all = vec![
        "-CAfile",
        ca.to_str().unwrap(),
        "-verify_return_error",
        "-verify_hostname",
        "localhost",
        "-servername",
        "localhost",
        "-brief",
        "-ign_eof",
    ];
    all.extend_from_slice(args);
    let mut cli = s_client(server.port, &all);
    cli.write_stdin(msg);
    cli.close_stdin();
    let out = cli.wait(TIMEOUT);
    let (v, s) = server
        .join(TIMEOUT)
        .unwrap_or_else(|e| panic!("Baton server: {e}\ns_client: {}", out.stderr));
    assert!(out.status.success(), "s_client: {}", out.stderr);
    assert_eq!(out.stdout, msg, "{}", out.stderr);
    assert!(out.stderr.contains("Verification: OK"), "{}", out.stderr);
    (v, s, out)
}

/// A Baton client trusting `ca` against s_server with `cert` and `args`;
/// returns the scheme the server signed with after a line went both ways.
fn baton_to_s_server(cert: Cert, ca: &str, args: &[&str]) -> Option<SignatureScheme> {
    let mut all = vec!["-naccept", "1", "-rev", "-quiet"];
    all.extend_from_slice(args);
    let srv = s_server_with(cert, &all);
    let mut b = Config::builder_minimal();
    b.add_pem_to_trust_store(&std::fs::read(data(ca)).unwrap())
        .unwrap();
    let mut conn = baton_client(&b.build().unwrap(), srv.port, |c| {
        c.set_server_name("localhost").unwrap()
    })
    .unwrap_or_else(|e| panic!("{e:?}\ns_server: {}", srv.proc.stderr_now()));
    let scheme = conn.peer_signature_scheme();
    rev_roundtrip(&mut conn, "verified a less common key");
    conn.shutdown().unwrap();
    let out = srv.proc.wait(TIMEOUT);
    assert!(out.status.success(), "s_server: {}", out.stderr);
    scheme
}

/// s_client verifies a Baton server's P-521 chain and its ecdsa_secp521r1_sha512
/// signature, in TLS 1.3 and in TLS 1.2 (where the client's groups must name
/// the certificate's curve, RFC 8422 §5.1).
#[test]
fn openssl_client_to_baton_server_with_p521_certificate() {
    require_openssl!();
    for (version, extra) in [
        ("-tls1_3", None),
        ("-tls1_2", Some(["-groups", "X25519:P-521"])),
    ] {
        let mut args = vec![version];
        args.extend(extra.iter().flatten());
        let (v, scheme, out) = s_client_to_baton(P521_CERT, None, "ca-p521.pem", &args);
        let want_v = if version == "-tls1_3" {
            ProtocolVersion::TLSV1_3
        } else {
            ProtocolVersion::TLSV1_2
        };
        assert_eq!(v, Some(want_v));
        assert_eq!(scheme, Some(SignatureScheme::ECDSA_SECP521R1_SHA512));
        for want in ["Signature type: ECDSA", "Hash used: SHA512"] {
            assert!(out.stderr.contains(want), "{version}: {}", out.stderr);
        }
    }
}

/// A Baton client verifies s_server's P-521 chain and CertificateVerify (TLS 1.3).
/// (In TLS 1.2 OpenSSL serves a P-521 certificate only to a client that offers
/// the secp521r1 group, which is key exchange, not this test's subject.)
#[test]
fn baton_client_to_openssl_server_with_p521_certificate() {
    require_openssl!();
    let scheme = baton_to_s_server(P521_CERT, "ca-p521.pem", &["-tls1_3"]);
    assert_eq!(scheme, Some(SignatureScheme::ECDSA_SECP521R1_SHA512));
}

/// s_client verifies a Baton server's RSA-PSS certificate: Baton signs with
/// rsa_pss_pss_* in TLS 1.3 and in TLS 1.2 (ECDHE-RSA suites), whichever hash
/// the client lists first.
#[test]
fn openssl_client_to_baton_server_with_rsa_pss_key() {
    require_openssl!();
    use SignatureScheme as S;
    for (version, want_v) in [
        ("-tls1_3", ProtocolVersion::TLSV1_3),
        ("-tls1_2", ProtocolVersion::TLSV1_2),
    ] {
        let (v, scheme, out) = s_client_to_baton(PSS_CERT, None, "ca-rsa.pem", &[version]);
        assert_eq!(v, Some(want_v));
        assert_eq!(scheme, Some(S::RSA_PSS_PSS_SHA256), "{version}");
        assert!(
            out.stderr.contains("Signature type: RSA-PSS"),
            "{}",
            out.stderr
        );
        let (_, scheme, _) = s_client_to_baton(
            PSS_CERT,
            None,
            "ca-rsa.pem",
            &[version, "-sigalgs", "rsa_pss_pss_sha512:rsa_pss_pss_sha384"],
        );
        assert_eq!(scheme, Some(S::RSA_PSS_PSS_SHA512), "{version}");
    }
}

/// A client that offers only rsa_pss_rsae_* and PKCS#1 cannot have an RSA-PSS
/// key's signature (RFC 8446 §4.2.3): Baton refuses with handshake_failure
/// rather than sign with the wrong scheme.
#[test]
fn rsa_pss_key_never_signs_rsae_or_pkcs1() {
    require_openssl!();
    for (version, sigalgs) in [
        ("-tls1_3", "rsa_pss_rsae_sha256:rsa_pss_rsae_sha384"),
        ("-tls1_2", "rsa_pss_rsae_sha256:RSA+SHA256"),
    ] {
        let mut b = Config::builder_minimal();
        b.add_cert_chain_and_key(
            baton::CertChainAndKey::from_pem_files(data(PSS_CERT.chain), data(PSS_CERT.key))
                .unwrap(),
        );
        let server = baton_server(b.build().unwrap(), |conn| conn.negotiate());
        let mut cli = s_client(server.port, &[version, "-sigalgs", sigalgs]);
        cli.close_stdin();
        let out = cli.wait(TIMEOUT);
        let e = server.join(TIMEOUT).unwrap_err();
        assert!(e.contains("handshake_failure"), "{version}: {e}");
        assert!(out.stderr.contains("handshake failure"), "{}", out.stderr);
    }
}

/// A Baton client verifies s_server's RSA-PSS certificate and its rsa_pss_pss_*
/// signatures (CertificateVerify in TLS 1.3, ServerKeyExchange in TLS 1.2).
#[test]
fn baton_client_to_openssl_server_with_rsa_pss_key() {
    require_openssl!();
    for version in ["-tls1_3", "-tls1_2"] {
        let scheme = baton_to_s_server(PSS_CERT, "ca-rsa.pem", &[version]);
        assert!(
            matches!(
                scheme,
                Some(
                    SignatureScheme::RSA_PSS_PSS_SHA256
                        | SignatureScheme::RSA_PSS_PSS_SHA384
                        | SignatureScheme::RSA_PSS_PSS_SHA512
                )
            ),
            "{version}: {scheme:?}"
        );
    }
}

/// A chain whose certificate is signed by an RSA-PSS root (rsa_pss_pss_sha256
/// as a certificate signature): a Baton client verifies it from s_server under
/// the default policy, whose certificate_signature_schemes list it, and a
/// Baton server serves it to s_client, in TLS 1.3 and TLS 1.2.
#[test]
fn chain_signed_by_rsa_pss_root() {
    require_openssl!();
    let under_pss = Cert {
        chain: "server-rsa-under-pss-ca.pem",
        key: "server-rsa-under-pss-ca.key",
    };
    for version in ["-tls1_3", "-tls1_2"] {
        let scheme = baton_to_s_server(under_pss, "ca-rsa-pss.pem", &[version]);
        assert!(scheme.is_some(), "{version}");
        let (_, scheme, _) = s_client_to_baton(under_pss, None, "ca-rsa-pss.pem", &[version]);
        assert!(scheme.is_some(), "{version}");
    }
}
