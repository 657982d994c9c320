//! Every TLS 1.3 cipher suite × key exchange group × certificate type, in
//! both directions.

use super::*;
use crate::require_openssl;

// ---------------------------------------------------------------- the matrix

/// Baton client → `openssl s_server` restricted to one suite and one group.
fn client_case(suite: Suite, group: Group, cert: Cert) {
    let srv = s_server_with(
        cert,
        &[
            "-tls1_3",
            "-ciphersuites",
            suite.openssl,
            "-groups",
            group.openssl,
            "-naccept",
            "1",
            "-rev",
            "-quiet",
        ],
    );
    let mut conn = connect_localhost(&srv, |_| {});
    let n = Negotiated::of(&conn);
    assert_eq!(n.version, Some(ProtocolVersion::TLSV1_3));
    assert_eq!(n.suite, Some(suite.baton));
    assert_eq!(n.group, Some(group.baton));
    assert_eq!(n.sni.as_deref(), Some("localhost"));
    assert_eq!(conn.peer_cert_chain().first(), Some(&leaf_der(cert.chain)));
    rev_roundtrip(&mut conn, "hello from baton");
    conn.shutdown().expect("shutdown (close_notify both ways)");
    let out = srv.proc.wait(TIMEOUT);
    assert!(out.status.success(), "s_server: {}", out.stderr);
}

/// `openssl s_client` restricted to one suite and one group → Baton server.
fn server_case(suite: Suite, group: Group, cert: Cert) {
    let args = verifying_args(&[
        "-ciphersuites",
        suite.openssl,
        "-groups",
        group.openssl,
        "-servername",
        "localhost",
        "-brief",
        "-ign_eof",
    ]);
    let msg = b"hello from openssl\n";
    let (n, out) = echo_once(server_config(cert.chain, cert.key), &refs(&args), msg);
    assert_eq!(n.version, Some(ProtocolVersion::TLSV1_3));
    assert_eq!(n.suite, Some(suite.baton));
    assert_eq!(n.group, Some(group.baton));
    assert_eq!(n.sni.as_deref(), Some("localhost"));
    assert_eq!(out.stdout, msg, "s_client stderr: {}", out.stderr);
    for want in [
        "Protocol version: TLSv1.3",
        &format!("Ciphersuite: {}", suite.openssl),
        group.temp_key,
        "Verification: OK",
    ] {
        assert!(
            out.stderr.contains(want),
            "s_client lacks {want:?}: {}",
            out.stderr
        );
    }
}

macro_rules! interop_matrix {
    ($($name:ident => $suite:expr, $group:expr, $cert:expr;)*) => {
        /// Baton client → `openssl s_server`, every suite × group × certificate type.
        mod baton_client_to_openssl_server {
            use super::*;
            $(#[test] fn $name() { require_openssl!(); client_case($suite, $group, $cert) })*
        }
        /// `openssl s_client` → Baton server, every suite × group × certificate type.
        mod openssl_client_to_baton_server {
            use super::*;
            $(#[test] fn $name() { require_openssl!(); server_case($suite, $group, $cert) })*
        }
    };
}

interop_matrix! {
    aes128_x25519_rsa => AES128, X25519, RSA;
    aes128_x25519_ecdsa => AES128, X25519, ECDSA;
    aes128_p256_rsa => AES128, P256, RSA;
    aes128_p256_ecdsa => AES128, P256, ECDSA;
    aes128_p384_rsa => AES128, P384, RSA;
    aes128_p384_ecdsa => AES128, P384, ECDSA;
    aes256_x25519_rsa => AES256, X25519, RSA;
    aes256_x25519_ecdsa => AES256, X25519, ECDSA;
    aes256_p256_rsa => AES256, P256, RSA;
    aes256_p256_ecdsa => AES256, P256, ECDSA;
    aes256_p384_rsa => AES256, P384, RSA;
    aes256_p384_ecdsa => AES256, P384, ECDSA;
    chacha_x25519_rsa => CHACHA, X25519, RSA;
    chacha_x25519_ecdsa => CHACHA, X25519, ECDSA;
    chacha_p256_rsa => CHACHA, P256, RSA;
    chacha_p256_ecdsa => CHACHA, P256, ECDSA;
    chacha_p384_rsa => CHACHA, P384, RSA;
    chacha_p384_ecdsa => CHACHA, P384, ECDSA;
}

/// The P-384 leaf works too (server side; the client side is in the SNI test).
#[test]
fn openssl_client_to_baton_server_p384_certificate() {
    require_openssl!();
    server_case(AES256, P384, P384_CERT);
}

/// secp521r1 with OpenSSL, under `20230317` (the first table listing it),
/// whose client shares secp256r1 first: Baton client → `s_server -groups
/// P-521` after a HelloRetryRequest, and `s_client -groups P-521` → Baton
/// server in TLS 1.3 and in TLS 1.2 (ECDHE over P-521).
#[test]
fn secp521r1_both_directions_with_openssl() {
    require_openssl!();
    let policy = baton::policy::lookup("20230317").unwrap();
    let srv = s_server_with(
        RSA,
        &["-groups", "P-521", "-naccept", "1", "-rev", "-quiet"],
    );
    let mut b = Config::builder_minimal();
    b.custom_security_policy(policy).unwrap();
    b.add_pem_to_trust_store(&std::fs::read(data("ca-rsa.pem")).unwrap())
        .unwrap();
    let mut conn = baton_client(&b.build().unwrap(), srv.port, |c| {
        c.set_server_name("localhost").unwrap();
    })
    .unwrap_or_else(|e| panic!("{e}; s_server: {}", srv.proc.stderr_now()));
    assert_eq!(conn.kx_group(), Some(NamedGroup::SECP521R1));
    assert!(conn.used_hello_retry());
    rev_roundtrip(&mut conn, "hello over P-521");
    conn.shutdown().expect("shutdown (close_notify both ways)");
    assert!(srv.proc.wait(TIMEOUT).status.success());

    for version in ["-tls1_3", "-tls1_2"] {
        let mut args = verifying_args(&[
            "-groups",
            "P-521",
            "-servername",
            "localhost",
            "-brief",
            "-ign_eof",
        ]);
        args[0] = version.to_string();
        let mut b = Config::builder_minimal();
        b.custom_security_policy(policy).unwrap();
        b.add_cert_chain_and_key(
            baton::CertChainAndKey::from_pem_files(data(RSA.chain), data(RSA.key)).unwrap(),
        );
        let msg = b"hello from openssl\n";
        let (n, out) = echo_once(b.build().unwrap(), &refs(&args), msg);
        assert_eq!(n.group, Some(NamedGroup::SECP521R1), "{version}");
        assert_eq!(out.stdout, msg, "{version}: {}", out.stderr);
        assert!(
            out.stderr.contains("Server Temp Key: ECDH, secp521r1"),
            "{version}: {}",
            out.stderr
        );
    }
}
