//! The client's CertificateVerify (client authentication) through the
//! private-key callback, both versions: completed later from another
//! thread, inline, failed, dropped, and checked by Strict validation.

use super::*;
use crate::cert::ClientAuth;
use crate::error::{AlertDescription, Blocked, ErrorKind};
use crate::{Config, Session};
use std::sync::Mutex;

fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn client_cert() -> Arc<CertChainAndKey> {
    Arc::new(CertChainAndKey::from_pem_files(data("client-chain.pem"), data("client.key")).unwrap())
}

type Ops = Arc<Mutex<Vec<PrivateKeyOp>>>;

fn server(tls12: bool) -> Session {
    let mut b = Config::builder_minimal();
    b.add_cert_chain_and_key(
        CertChainAndKey::from_pem_files(data("server-p256-chain.pem"), data("server-p256.key"))
            .unwrap(),
    );
    b.add_pem_to_trust_store(&std::fs::read(data("ca-ecdsa.pem")).unwrap())
        .unwrap();
    b.set_client_auth(ClientAuth::Required);
    if tls12 {
        b.custom_security_policy(&super::tests::TLS12).unwrap();
    }
    Session::new_server(&b.build().unwrap())
}

fn client(
    tls12: bool,
    callback: impl Fn(PrivateKeyOp) + Send + Sync + 'static,
    validation: PkeyValidation,
) -> Session {
    let mut b = Config::builder_minimal();
    b.add_pem_to_trust_store(&std::fs::read(data("ca-ecdsa.pem")).unwrap())
        .unwrap();
    b.add_client_cert_chain_and_key(
        CertChainAndKey::from_pem_files(data("client-chain.pem"), data("client.key")).unwrap(),
    );
    b.set_private_key_callback(Arc::new(callback));
    b.set_private_key_validation(validation);
    if tls12 {
        b.custom_security_policy(&super::tests::TLS12).unwrap();
    }
    let mut s = Session::new_client(&b.build().unwrap());
    s.set_server_name("localhost").unwrap();
    s
}

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

/// Up to the client parked on its CertificateVerify: the op handed out.
/// Nothing of its second flight has left yet.
fn until_parked(tls12: bool, validation: PkeyValidation) -> (Session, Session, PrivateKeyOp) {
    let ops: Ops = Default::default();
    let parked = Arc::clone(&ops);
    let mut c = client(tls12, move |op| parked.lock().unwrap().push(op), validation);
    let mut s = server(tls12);
    assert!(!c.poll_handshake().unwrap());
    pump(&mut c, &mut s).unwrap();
    let r = pump(&mut s, &mut c);
    assert!(blocked_on_app(&r), "tls12={tls12}: {r:?}");
    assert!(blocked_on_app(&c.poll_handshake()));
    // At most TLS 1.3's compatibility ChangeCipherSpec has left.
    let out = c.pending_tls();
    assert!(
        out.is_empty() || out == [20, 3, 3, 0, 1, 1],
        "the flight waits for its signature: {out:?}"
    );
    assert!(!c.is_handshake_complete());
    let op = ops.lock().unwrap().pop().expect("one operation");
    assert!(ops.lock().unwrap().is_empty());
    assert_eq!(op.kind(), PrivateKeyOpKind::Sign);
    assert_eq!(op.certificate().chain(), client_cert().chain());
    if !tls12 {
        assert!(op.input().starts_with(&[0x20; 64]));
        assert!(op.input()[64..].starts_with(b"TLS 1.3, client CertificateVerify\0"));
    }
    (c, s, op)
}

/// Pumps until both are done, or one fails.
fn finish(c: &mut Session, s: &mut Session) -> crate::Result<()> {
    c.poll_handshake()?;
    for _ in 0..4 {
        pump(c, s)?;
        pump(s, c)?;
    }
    assert!(c.is_handshake_complete() && s.is_handshake_complete());
    Ok(())
}

#[test]
fn client_signature_completed_later_from_another_thread() {
    for tls12 in [false, true] {
        for validation in [PkeyValidation::Fast, PkeyValidation::Strict] {
            let (mut c, mut s, op) = until_parked(tls12, validation);
            std::thread::spawn(move || op.sign()).join().unwrap();
            finish(&mut c, &mut s).unwrap_or_else(|e| panic!("tls12={tls12}: {e:?}"));
            assert!(s.client_cert_verified());
            assert!(c.client_cert().is_some());
        }
    }
}

#[test]
fn client_signature_completed_inside_the_callback_never_blocks() {
    for tls12 in [false, true] {
        let calls = Arc::new(Mutex::new(0));
        let seen = Arc::clone(&calls);
        let mut c = client(
            tls12,
            move |op| {
                *seen.lock().unwrap() += 1;
                op.sign()
            },
            PkeyValidation::Strict,
        );
        let mut s = server(tls12);
        assert!(!c.poll_handshake().unwrap());
        finish(&mut c, &mut s).unwrap_or_else(|e| panic!("tls12={tls12}: {e:?}"));
        assert_eq!(*calls.lock().unwrap(), 1);
        assert!(s.client_cert_verified());
    }
}

/// The op answered by `answer`; the client's error and the server's.
fn failed_with(
    tls12: bool,
    validation: PkeyValidation,
    answer: impl FnOnce(PrivateKeyOp),
) -> (crate::Error, crate::Error) {
    let (mut c, mut s, op) = until_parked(tls12, validation);
    answer(op);
    let ce = c.poll_handshake().unwrap_err();
    let se = pump(&mut c, &mut s).unwrap_err();
    (ce, se)
}

#[test]
fn a_failed_or_dropped_client_operation_is_internal_error() {
    for tls12 in [false, true] {
        for drop_it in [false, true] {
            let (ce, se) = failed_with(tls12, PkeyValidation::Fast, |op| {
                if drop_it {
                    drop(op)
                } else {
                    op.fail()
                }
            });
            assert_eq!(ce.kind(), ErrorKind::PrivateKey, "{ce:?}");
            assert_eq!(ce.sent_alert(), Some(AlertDescription::INTERNAL_ERROR));
            assert_eq!(
                se.kind(),
                ErrorKind::Alert(AlertDescription::INTERNAL_ERROR)
            );
        }
    }
}

#[test]
fn strict_validation_never_sends_a_bad_client_signature() {
    let other_key =
        CertChainAndKey::from_pem_files(data("server-p256-chain.pem"), data("server-p256.key"))
            .unwrap();
    for tls12 in [false, true] {
        let (ce, se) = failed_with(tls12, PkeyValidation::Strict, |op| op.sign_with(&other_key));
        assert_eq!(ce.kind(), ErrorKind::PrivateKey, "{ce:?}");
        assert_eq!(
            se.kind(),
            ErrorKind::Alert(AlertDescription::INTERNAL_ERROR),
            "the server never saw the signature: {se:?}"
        );
        // Fast sends it: the server finds it (decrypt_error).
        let (mut c, mut s, op) = until_parked(tls12, PkeyValidation::Fast);
        op.sign_with(&other_key);
        let e = finish(&mut c, &mut s).unwrap_err();
        assert_eq!(
            e.sent_alert(),
            Some(AlertDescription::DECRYPT_ERROR),
            "tls12={tls12}: {e:?}"
        );
    }
}
