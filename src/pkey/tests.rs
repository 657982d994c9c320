//! Private-key operations through whole handshakes (two sessions pumping
//! bytes at each other): completed later from another thread, inline,
//! failed, dropped, and checked by Strict validation.

use super::*;
use crate::error::{AlertDescription, Blocked, ErrorKind};
use crate::{Config, Session};
use std::sync::Mutex;

fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn cert(chain: &str, key: &str) -> Arc<CertChainAndKey> {
    Arc::new(CertChainAndKey::from_pem_files(data(chain), data(key)).unwrap())
}

fn p256() -> Arc<CertChainAndKey> {
    cert("server-p256-chain.pem", "server-p256.key")
}

fn rsa() -> Arc<CertChainAndKey> {
    cert("server-rsa.pem", "server-rsa.key")
}

/// TLS 1.2 only, with ECDSA and RSA suites.
pub(crate) static TLS12: crate::SecurityPolicy = crate::SecurityPolicy {
    name: "test-pkey-tls12",
    min_version: crate::ProtocolVersion::TLSV1_2,
    max_version: crate::ProtocolVersion::TLSV1_2,
    cipher_suites: &[
        crate::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        crate::CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    ],
    signature_schemes: &[
        SignatureScheme::ECDSA_SECP256R1_SHA256,
        SignatureScheme::ECDSA_SECP384R1_SHA384,
        SignatureScheme::RSA_PSS_RSAE_SHA256,
        SignatureScheme::RSA_PKCS1_SHA256,
    ],
    groups: &[
        crate::NamedGroup::X25519,
        crate::NamedGroup::SECP256R1,
        crate::NamedGroup::SECP384R1,
    ],
    certificate_signature_schemes: None,
    chacha20_boosted: false,
};

/// Where the callback leaves its operations for the test to complete.
type Ops = Arc<Mutex<Vec<PrivateKeyOp>>>;

fn parking_callback(ops: &Ops) -> Arc<PrivateKeyCallback> {
    let ops = Arc::clone(ops);
    Arc::new(move |op: PrivateKeyOp| ops.lock().unwrap().push(op))
}

fn server(
    ck: Arc<CertChainAndKey>,
    tls12: bool,
    callback: Option<Arc<PrivateKeyCallback>>,
    validation: PkeyValidation,
) -> Session {
    let mut b = Config::builder_minimal();
    b.add_shared_cert_chain_and_key(ck);
    if tls12 {
        b.custom_security_policy(&TLS12).unwrap();
    }
    if let Some(cb) = callback {
        b.set_private_key_callback(cb);
    }
    b.set_private_key_validation(validation);
    Session::new_server(&b.build().unwrap())
}

fn client(ca: &str, tls12: bool) -> Session {
    let mut b = Config::builder_minimal();
    b.add_pem_to_trust_store(&std::fs::read(data(ca)).unwrap())
        .unwrap();
    if tls12 {
        b.custom_security_policy(&TLS12).unwrap();
    }
    let mut s = Session::new_client(&b.build().unwrap());
    s.set_server_name("localhost").unwrap();
    s
}

/// Moves `from`'s output into `to`; `to`'s verdict.
fn pump(from: &mut Session, to: &mut Session) -> crate::Result<()> {
    let out = from.pending_tls().to_vec();
    from.consume_tls(out.len());
    if out.is_empty() {
        return Ok(());
    }
    to.feed_tls(&out)
}

fn blocked_on_app(r: &crate::Result<impl core::fmt::Debug>) -> bool {
    matches!(r, Err(e) if e.blocked_on() == Some(Blocked::OnApplicationInput))
}

/// ClientHello in, the server parked on its signature: the op handed out.
fn until_parked(c: &mut Session, s: &mut Session, ops: &Ops) -> PrivateKeyOp {
    assert!(!c.poll_handshake().unwrap());
    let r = pump(c, s);
    assert!(blocked_on_app(&r), "{r:?}");
    assert!(blocked_on_app(&s.poll_handshake()));
    let mut ops = ops.lock().unwrap();
    assert_eq!(ops.len(), 1);
    ops.pop().unwrap()
}

/// Pumps until both sides are done, or one fails (at most a few flights).
fn finish(c: &mut Session, s: &mut Session) -> crate::Result<()> {
    s.poll_handshake()?;
    for _ in 0..4 {
        pump(s, c)?;
        pump(c, s)?;
    }
    assert!(c.is_handshake_complete() && s.is_handshake_complete());
    Ok(())
}

#[test]
fn completed_later_from_another_thread_both_versions_and_key_types() {
    for tls12 in [false, true] {
        for (ck, ca) in [(p256(), "ca-ecdsa.pem"), (rsa(), "ca-rsa.pem")] {
            let ops: Ops = Default::default();
            let mut s = server(
                Arc::clone(&ck),
                tls12,
                Some(parking_callback(&ops)),
                PkeyValidation::Strict,
            );
            let mut c = client(ca, tls12);
            let op = until_parked(&mut c, &mut s, &ops);
            assert_eq!(op.kind(), PrivateKeyOpKind::Sign);
            assert!(Arc::ptr_eq(op.certificate(), &ck));
            if !tls12 {
                // The CertificateVerify content itself (RFC 8446 §4.4.3), not a digest.
                assert!(op.input().starts_with(&[0x20; 64]));
                assert!(op.input()[64..].starts_with(b"TLS 1.3, server CertificateVerify\0"));
            } else {
                // client_random + server_random + ECDHE params (RFC 8422 §5.4).
                assert_eq!(op.input()[64], 3, "named_curve");
            }
            // Nothing from the client is processed while the signature waits.
            assert!(blocked_on_app(&s.feed_tls(&[])));
            std::thread::spawn(move || op.sign()).join().unwrap();
            finish(&mut c, &mut s).unwrap();
            assert_eq!(
                c.actual_protocol_version(),
                Some(if tls12 {
                    crate::ProtocolVersion::TLSV1_2
                } else {
                    crate::ProtocolVersion::TLSV1_3
                })
            );
        }
    }
}

#[test]
fn completed_inside_the_callback_never_blocks() {
    for tls12 in [false, true] {
        let cb: Arc<PrivateKeyCallback> = Arc::new(|op: PrivateKeyOp| op.sign());
        let mut s = server(rsa(), tls12, Some(cb), PkeyValidation::Fast);
        let mut c = client("ca-rsa.pem", tls12);
        c.poll_handshake().unwrap();
        pump(&mut c, &mut s).unwrap();
        finish(&mut c, &mut s).unwrap();
    }
}

/// The server's error after the op came to `answer`, and the alert the client got.
fn failed_with(
    tls12: bool,
    validation: PkeyValidation,
    answer: impl FnOnce(PrivateKeyOp),
) -> (crate::Error, crate::Error) {
    let ops: Ops = Default::default();
    let mut s = server(p256(), tls12, Some(parking_callback(&ops)), validation);
    let mut c = client("ca-ecdsa.pem", tls12);
    let op = until_parked(&mut c, &mut s, &ops);
    answer(op);
    let se = s.poll_handshake().unwrap_err();
    let ce = pump(&mut s, &mut c).unwrap_err();
    (se, ce)
}

#[test]
fn a_failed_or_dropped_operation_fails_the_handshake_with_internal_error() {
    for tls12 in [false, true] {
        for drop_it in [false, true] {
            let (se, ce) = failed_with(tls12, PkeyValidation::Fast, |op| {
                if drop_it {
                    drop(op)
                } else {
                    op.fail()
                }
            });
            assert_eq!(se.kind(), ErrorKind::PrivateKey, "{se:?}");
            assert_eq!(se.sent_alert(), Some(AlertDescription::INTERNAL_ERROR));
            assert_eq!(
                ce.kind(),
                ErrorKind::Alert(AlertDescription::INTERNAL_ERROR)
            );
        }
    }
}

#[test]
fn strict_validation_never_sends_a_bad_signature() {
    let other = cert("server-p384.pem", "server-p384.key");
    let same_curve_other_key = cert("client.pem", "client.key");
    for tls12 in [false, true] {
        let answers: Vec<Box<dyn FnOnce(PrivateKeyOp)>> = vec![
            Box::new(|op| op.complete(vec![0x30, 0x03, 0x02, 0x01, 0x01])),
            Box::new(|op| op.complete(Vec::new())),
            // Signed with a key that is not the certificate's.
            Box::new(|op| op.sign_with(&same_curve_other_key)),
            // A key that cannot sign with the scheme: the op fails.
            Box::new(|op| op.sign_with(&other)),
        ];
        for answer in answers {
            let (se, ce) = failed_with(tls12, PkeyValidation::Strict, answer);
            assert_eq!(se.kind(), ErrorKind::PrivateKey, "{se:?}");
            assert_eq!(
                ce.kind(),
                ErrorKind::Alert(AlertDescription::INTERNAL_ERROR),
                "the client never saw a signature: {ce:?}"
            );
        }
    }
}

#[test]
fn fast_validation_sends_what_it_is_given() {
    // The peer finds the bad signature (decrypt_error): what Strict prevents.
    for tls12 in [false, true] {
        let same_curve_other_key = cert("client.pem", "client.key");
        let ops: Ops = Default::default();
        let mut s = server(
            p256(),
            tls12,
            Some(parking_callback(&ops)),
            PkeyValidation::Fast,
        );
        let mut c = client("ca-ecdsa.pem", tls12);
        let op = until_parked(&mut c, &mut s, &ops);
        op.sign_with(&same_curve_other_key);
        s.poll_handshake().unwrap();
        let ce = pump(&mut s, &mut c).unwrap_err();
        assert_eq!(
            ce.sent_alert(),
            Some(AlertDescription::DECRYPT_ERROR),
            "{ce:?}"
        );
    }
}

#[test]
fn a_connection_callback_overrides_the_configs() {
    let config_ops: Ops = Default::default();
    let conn_ops: Ops = Default::default();
    let mut s = server(
        p256(),
        false,
        Some(parking_callback(&config_ops)),
        PkeyValidation::Fast,
    );
    s.set_private_key_callback(parking_callback(&conn_ops));
    let mut c = client("ca-ecdsa.pem", false);
    let op = until_parked(&mut c, &mut s, &conn_ops);
    assert!(config_ops.lock().unwrap().is_empty());
    op.sign();
    finish(&mut c, &mut s).unwrap();
}

#[test]
fn debug_shows_no_input_bytes() {
    let ops: Ops = Default::default();
    let mut s = server(
        p256(),
        false,
        Some(parking_callback(&ops)),
        PkeyValidation::Fast,
    );
    let mut c = client("ca-ecdsa.pem", false);
    let op = until_parked(&mut c, &mut s, &ops);
    let text = format!("{op:?} {s:?}");
    assert!(text.contains("input_len"), "{text}");
    assert!(!text.contains("32, 32, 32"), "{text}");
}
