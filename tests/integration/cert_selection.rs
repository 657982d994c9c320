//! Which certificate chain a Baton server with several sends (on the pair):
//! the one signed only with algorithms the client accepts in certificates
//! (`signature_algorithms_cert`, else `signature_algorithms`; RFC 8446 §4.2.3,
//! RFC 5246 §7.4.2), whatever the config order, in TLS 1.3 and 1.2; and when no
//! chain fits, the first usable one anyway (RFC 8446 §4.4.2.2).
//!
//! A Baton client sends `signature_algorithms_cert` when its policy restricts
//! certificate signatures (`certificate_signature_schemes`), and enforces the
//! same list on the chain it gets, so a wrong pick fails the handshake.

use crate::pair::{connect, handshake};
use crate::policies::{
    client, custom, run, server, Chain, CNSA_P384, P256, P384_SHA256, PERMISSIVE, PERMISSIVE_TLS12,
    RSA_2048,
};
use baton::{AlertDescription, CipherSuite, ErrorKind, SecurityPolicy, SignatureScheme};

fn leak(p: SecurityPolicy) -> &'static SecurityPolicy {
    Box::leak(Box::new(p))
}

/// The permissive policy (TLS 1.3 and 1.2, or 1.2 only) accepting only
/// `cert_schemes` in certificates.
fn accepting(tls13: bool, cert_schemes: &'static [SignatureScheme]) -> &'static SecurityPolicy {
    let base = if tls13 {
        &PERMISSIVE
    } else {
        &PERMISSIVE_TLS12
    };
    leak(SecurityPolicy {
        certificate_signature_schemes: Some(cert_schemes),
        ..*base
    })
}

const ECDSA_SHA256: &[SignatureScheme] = &[SignatureScheme::ECDSA_SECP256R1_SHA256];
const RSA_SHA256: &[SignatureScheme] = &[SignatureScheme::RSA_PKCS1_SHA256];

#[test]
fn signature_algorithms_cert_picks_the_chain_in_either_config_order() {
    for tls13 in [true, false] {
        let v = if tls13 { "TLS 1.3" } else { "TLS 1.2" };
        for (accepts, want) in [(ECDSA_SHA256, P256), (RSA_SHA256, RSA_2048)] {
            for chains in [[RSA_2048, P256], [P256, RSA_2048]] {
                let label = format!("{v}, client accepts {accepts:?}, server has {chains:?}");
                let done = run(
                    &label,
                    &client(custom(accepting(tls13, accepts))),
                    &server(&chains, custom(&PERMISSIVE)),
                );
                assert_eq!(done.chain.chain, want.chain, "{label}");
                if !tls13 {
                    // TLS 1.2: the suite follows the chain. The server prefers ECDSA
                    // suites, but an RSA-only client gets ECDHE-RSA.
                    let suite = if want.chain == RSA_2048.chain {
                        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
                    } else {
                        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
                    };
                    assert_eq!(done.outcome.suite, suite, "{label}");
                }
            }
        }
    }
}

/// Without signature_algorithms_cert, signature_algorithms governs the chain:
/// two P-384 keys, one chain signed with SHA-256 (listed first in the config),
/// one with SHA-384; a client whose only signature scheme is
/// ecdsa_secp384r1_sha384 gets the SHA-384 chain.
#[test]
fn signature_algorithms_governs_the_chain_without_signature_algorithms_cert() {
    const SHA384_ONLY: &[SignatureScheme] = &[SignatureScheme::ECDSA_SECP384R1_SHA384];
    for tls13 in [true, false] {
        let base = if tls13 {
            &PERMISSIVE
        } else {
            &PERMISSIVE_TLS12
        };
        let p = leak(SecurityPolicy {
            signature_schemes: SHA384_ONLY,
            certificate_signature_schemes: None,
            ..*base
        });
        let chains: [Chain; 2] = [P384_SHA256, CNSA_P384];
        let done = run(
            "sha384 only",
            &client(custom(p)),
            &server(&chains, custom(&PERMISSIVE)),
        );
        assert_eq!(done.chain.chain, CNSA_P384.chain, "TLS 1.3: {tls13}");
        // With SHA-256 allowed too, config order decides again.
        let p = leak(SecurityPolicy {
            signature_schemes: &[
                SignatureScheme::ECDSA_SECP384R1_SHA384,
                SignatureScheme::ECDSA_SECP256R1_SHA256,
            ],
            ..*p
        });
        let done = run(
            "sha384 and sha256",
            &client(custom(p)),
            &server(&chains, custom(&PERMISSIVE)),
        );
        assert_eq!(done.chain.chain, P384_SHA256.chain, "TLS 1.3: {tls13}");
    }
}

/// No chain is signed the way the client asks: the server still sends one
/// (the first usable) instead of failing, and it is the client that refuses it.
#[test]
fn no_fitting_chain_still_sends_the_first() {
    const SHA512_ONLY: &[SignatureScheme] = &[SignatureScheme::RSA_PKCS1_SHA512];
    for tls13 in [true, false] {
        let (mut c, mut s) = connect(
            &client(custom(accepting(tls13, SHA512_ONLY))),
            &server(&[RSA_2048, P256], custom(&PERMISSIVE)),
            "localhost",
        );
        let (cr, sr) = handshake(&mut c, &mut s);
        assert_eq!(
            cr.unwrap_err().sent_alert(),
            Some(AlertDescription::UNSUPPORTED_CERTIFICATE),
            "TLS 1.3: {tls13}"
        );
        // The server got as far as sending its flight, then heard the alert.
        assert_eq!(
            sr.unwrap_err().kind(),
            ErrorKind::Alert(AlertDescription::UNSUPPORTED_CERTIFICATE),
            "TLS 1.3: {tls13}"
        );
        // TLS 1.3: the first chain of the config; TLS 1.2: the chain for the
        // server's first suite (ECDHE-ECDSA).
        let first = if tls13 { RSA_2048 } else { P256 };
        assert_eq!(
            s.selected_cert().unwrap().chain()[0],
            crate::util::leaf_der(first.chain),
            "TLS 1.3: {tls13}"
        );
    }
}
