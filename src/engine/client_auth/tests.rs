//! Client authentication engine to engine, in both versions: required,
//! optional, refused chains, the verify callback, resumption.

use super::super::tests::{pump, TLS12_ONLY};
use super::super::{Engine, Mode};
use crate::cert::{CertChainAndKey, CertVerdict, ClientAuth};
use crate::config::{Config, ConfigBuilder};
use crate::error::AlertDescription;
use crate::resumption::{ResumptionRefusal, SavedSession};

fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn pem(name: &str) -> Vec<u8> {
    std::fs::read(data(name)).unwrap()
}

fn now() -> u64 {
    1_800_000_000
}

/// The server: P-256 chain, the ECDSA root as its only anchor (the client
/// certificate's), tickets on.
fn server(mode: ClientAuth, tls12: bool) -> ConfigBuilder {
    let mut b = Config::builder_minimal();
    b.add_cert_chain_and_key(
        CertChainAndKey::from_pem_files(data("server-p256-chain.pem"), data("server-p256.key"))
            .unwrap(),
    );
    b.add_pem_to_trust_store(&pem("ca-ecdsa.pem")).unwrap();
    b.set_client_auth(mode)
        .session_tickets(true)
        .set_wall_clock(now);
    if tls12 {
        b.custom_security_policy(&TLS12_ONLY).unwrap();
    }
    b
}

fn client(with_cert: bool, tls12: bool) -> ConfigBuilder {
    let mut b = Config::builder_minimal();
    b.add_pem_to_trust_store(&pem("ca-ecdsa.pem")).unwrap();
    b.session_tickets(true).set_wall_clock(now);
    if with_cert {
        b.add_client_cert_chain_and_key(
            CertChainAndKey::from_pem_files(data("client-chain.pem"), data("client.key")).unwrap(),
        );
    }
    if tls12 {
        b.custom_security_policy(&TLS12_ONLY).unwrap();
    }
    b
}

/// Runs a handshake; the engines and the first error either side hit.
fn run(
    server: &Config,
    client: &Config,
    offer: Option<SavedSession>,
) -> (Engine, Engine, Option<crate::Error>) {
    let mut c = Engine::new(client.clone(), Mode::Client);
    c.set_server_name("localhost".into());
    if let Some(o) = offer {
        c.set_resumption_offer(o).unwrap();
    }
    let mut s = Engine::new(server.clone(), Mode::Server);
    c.start().unwrap();
    let mut err = None;
    for _ in 0..5 {
        if let Err(e) = pump(&mut c, &mut s).and_then(|()| pump(&mut s, &mut c)) {
            err = Some(e);
            break;
        }
    }
    (c, s, err)
}

fn both_versions(f: impl Fn(bool)) {
    for tls12 in [false, true] {
        f(tls12);
    }
}

#[test]
fn required_client_certificate_is_validated_and_exposed() {
    both_versions(|tls12| {
        let s = server(ClientAuth::Required, tls12).build().unwrap();
        let cl = client(true, tls12).build().unwrap();
        let (c, s, err) = run(&s, &cl, None);
        assert!(err.is_none(), "tls12={tls12}: {err:?}");
        assert!(c.is_handshake_complete() && s.is_handshake_complete());
        assert_eq!(c.c.is_tls12(), tls12);
        assert!(s.info().client_cert_verified);
        let sent = c
            .info()
            .client_cert
            .clone()
            .expect("a client certificate was sent");
        assert_eq!(s.info().peer_chain, sent.chain());
        assert_eq!(s.info().peer_chain.len(), 2);
        assert!(s.info().peer_signature_scheme.is_some());
        assert!(!c.info().client_cert_verified);
    });
}

#[test]
fn a_missing_certificate_fails_required_and_passes_optional() {
    both_versions(|tls12| {
        let required = server(ClientAuth::Required, tls12).build().unwrap();
        let optional = server(ClientAuth::Optional, tls12).build().unwrap();
        let bare = client(false, tls12).build().unwrap();
        let (_, s, err) = run(&required, &bare, None);
        let want = if tls12 {
            AlertDescription::HANDSHAKE_FAILURE
        } else {
            AlertDescription::CERTIFICATE_REQUIRED
        };
        assert_eq!(err.unwrap().sent_alert(), Some(want), "tls12={tls12}");
        assert!(!s.is_handshake_complete());
        let (c, s, err) = run(&optional, &bare, None);
        assert!(err.is_none(), "{err:?}");
        assert!(c.is_handshake_complete() && s.is_handshake_complete());
        assert!(!s.info().client_cert_verified && s.info().peer_chain.is_empty());
        assert!(c.info().client_cert.is_none());
        // Optional with a certificate: it is checked and reported.
        let (_, s, err) = run(&optional, &client(true, tls12).build().unwrap(), None);
        assert!(err.is_none(), "{err:?}");
        assert!(s.info().client_cert_verified);
    });
}

#[test]
fn an_untrusted_client_chain_is_unknown_ca() {
    both_versions(|tls12| {
        let mut b = server(ClientAuth::Optional, tls12);
        b.wipe_trust_store()
            .add_pem_to_trust_store(&pem("ca-rsa.pem"))
            .unwrap();
        let (_, s, err) = run(
            &b.build().unwrap(),
            &client(true, tls12).build().unwrap(),
            None,
        );
        assert_eq!(
            err.unwrap().sent_alert(),
            Some(AlertDescription::UNKNOWN_CA)
        );
        assert!(!s.info().client_cert_verified);
    });
}

#[test]
fn a_server_certificate_is_not_a_client_certificate() {
    // server-p256 carries only the serverAuth usage.
    both_versions(|tls12| {
        let s = server(ClientAuth::Required, tls12).build().unwrap();
        let mut b = client(false, tls12);
        b.add_client_cert_chain_and_key(
            CertChainAndKey::from_pem_files(data("server-p256-chain.pem"), data("server-p256.key"))
                .unwrap(),
        );
        let (_, _, err) = run(&s, &b.build().unwrap(), None);
        assert_eq!(
            err.unwrap().sent_alert(),
            Some(AlertDescription::UNSUPPORTED_CERTIFICATE)
        );
    });
}

#[test]
fn the_verify_callback_pins_and_refuses() {
    let client_leaf = crate::crypto::hash::HashAlg::Sha256
        .hash(
            &CertChainAndKey::from_pem_files(data("client-chain.pem"), data("client.key"))
                .unwrap()
                .chain()[0],
        )
        .as_bytes()
        .to_vec();
    both_versions(|tls12| {
        let pin = client_leaf.clone();
        let mut b = server(ClientAuth::Required, tls12);
        b.set_cert_verify_callback(move |p| {
            assert!(p.is_client_cert());
            assert_eq!(p.dns_names(), ["client.test"]);
            if p.leaf_sha256()[..] == pin[..] {
                CertVerdict::Accept
            } else {
                CertVerdict::refuse()
            }
        });
        let (_, s, err) = run(
            &b.build().unwrap(),
            &client(true, tls12).build().unwrap(),
            None,
        );
        assert!(err.is_none(), "{err:?}");
        assert!(s.info().client_cert_verified);

        let mut b = server(ClientAuth::Required, tls12);
        b.set_cert_verify_callback(|_| CertVerdict::Refuse(AlertDescription::ACCESS_DENIED));
        let (_, _, err) = run(
            &b.build().unwrap(),
            &client(true, tls12).build().unwrap(),
            None,
        );
        assert_eq!(
            err.unwrap().sent_alert(),
            Some(AlertDescription::ACCESS_DENIED)
        );

        // The client side: the server's chain, after the host name check.
        let s = server(ClientAuth::None, tls12).build().unwrap();
        let mut b = client(false, tls12);
        b.set_cert_verify_callback(|p| {
            assert!(!p.is_client_cert() && p.chain().len() == 2);
            CertVerdict::refuse()
        });
        let (_, _, err) = run(&s, &b.build().unwrap(), None);
        assert_eq!(
            err.unwrap().sent_alert(),
            Some(AlertDescription::BAD_CERTIFICATE)
        );
    });
}

#[test]
fn a_connection_overrides_the_configs_client_auth() {
    both_versions(|tls12| {
        let s = server(ClientAuth::None, tls12).build().unwrap();
        let bare = client(false, tls12).build().unwrap();
        let mut c = Engine::new(bare, Mode::Client);
        c.set_server_name("localhost".into());
        let mut se = Engine::new(s, Mode::Server);
        se.set_client_auth(ClientAuth::Required).unwrap();
        assert!(c.set_client_auth(ClientAuth::Required).is_err());
        c.start().unwrap();
        let err = pump(&mut c, &mut se)
            .and_then(|()| pump(&mut se, &mut c))
            .and_then(|()| pump(&mut c, &mut se))
            .unwrap_err();
        assert!(matches!(
            err.sent_alert(),
            Some(AlertDescription::CERTIFICATE_REQUIRED | AlertDescription::HANDSHAKE_FAILURE)
        ));
        assert!(se.set_client_auth(ClientAuth::None).is_err(), "too late");
    });
}

/// A session from a handshake with `first` resumed on `second`.
fn resume(
    first: &Config,
    second: &Config,
    client: &Config,
) -> (Engine, Engine, Option<crate::Error>) {
    let (mut c, mut s, err) = run(first, client, None);
    assert!(err.is_none(), "{err:?}");
    // TLS 1.3 tickets come after the handshake.
    pump(&mut s, &mut c).unwrap();
    let saved = c.received_session().cloned().expect("a session");
    run(second, client, Some(saved))
}

#[test]
fn a_resumed_session_keeps_the_clients_authentication() {
    both_versions(|tls12| {
        let s = server(ClientAuth::Required, tls12).build().unwrap();
        let cl = client(true, tls12).build().unwrap();
        let (_, s2, err) = resume(&s, &s, &cl);
        assert!(err.is_none(), "{err:?}");
        assert!(s2.info().resumed, "tls12={tls12}");
        assert!(s2.info().client_cert_verified);
        assert_eq!(s2.info().peer_chain.len(), 2);
    });
}

#[test]
fn a_session_without_a_client_certificate_does_not_satisfy_required() {
    both_versions(|tls12| {
        // Keys shared: the second server opens the first one's tickets.
        let optional = server(ClientAuth::Optional, tls12).build().unwrap();
        let mut b = server(ClientAuth::Required, tls12);
        b.set_ticket_keys(optional.ticket_keys().clone());
        let required = b.build().unwrap();
        let bare = client(false, tls12).build().unwrap();
        let (_, s2, err) = resume(&optional, &required, &bare);
        // A full handshake instead, which this client cannot pass.
        assert!(err.is_some());
        assert!(!s2.info().resumed, "tls12={tls12}");
        assert_eq!(
            s2.info().refusal,
            Some(ResumptionRefusal::ClientAuthMissing)
        );
        // The same session still resumes where no certificate is needed.
        let (_, s3, err) = resume(&optional, &optional, &bare);
        assert!(err.is_none() && s3.info().resumed && !s3.info().client_cert_verified);
    });
}

/// The client's TLS 1.2 flight (in the clear up to its ChangeCipherSpec),
/// with `edit` applied to the body of its CertificateVerify.
fn tampered_tls12_verify(edit: impl Fn(&mut [u8])) -> crate::Error {
    let s = server(ClientAuth::Required, true).build().unwrap();
    let cl = client(true, true).build().unwrap();
    let mut c = Engine::new(cl, Mode::Client);
    c.set_server_name("localhost".into());
    let mut se = Engine::new(s, Mode::Server);
    c.start().unwrap();
    pump(&mut c, &mut se).unwrap();
    pump(&mut se, &mut c).unwrap();
    let mut flight = c.pending_output().to_vec();
    c.consume_output(flight.len());
    // Records: type, version, u16 length; handshake messages inside.
    let mut at = 0;
    let mut edited = false;
    while at + 5 <= flight.len() && !edited {
        let len = usize::from(u16::from_be_bytes([flight[at + 3], flight[at + 4]]));
        let (typ, body) = (flight[at], at + 5..at + 5 + len);
        if typ == 22 {
            let mut m = body.start;
            while m + 4 <= body.end {
                let mlen = usize::from(flight[m + 1]) << 16
                    | usize::from(flight[m + 2]) << 8
                    | usize::from(flight[m + 3]);
                if flight[m] == 15 {
                    edit(&mut flight[m + 4..m + 4 + mlen]);
                    edited = true;
                    break;
                }
                m += 4 + mlen;
            }
        }
        at = body.end;
    }
    assert!(edited, "the flight has a CertificateVerify");
    let mut off = 0;
    loop {
        let space = se.read_space(usize::MAX);
        let n = space.len().min(flight.len() - off);
        space[..n].copy_from_slice(&flight[off..off + n]);
        se.commit_read(n);
        off += n;
        if let Err(e) = se.process() {
            return e;
        }
        assert!(off < flight.len(), "the server took the tampered flight");
    }
}

#[test]
fn a_bad_client_signature_is_decrypt_error_and_an_unoffered_scheme_illegal() {
    // The last byte of the signature.
    let err = tampered_tls12_verify(|cv| {
        let last = cv.len() - 1;
        cv[last] ^= 1;
    });
    assert_eq!(
        err.sent_alert(),
        Some(AlertDescription::DECRYPT_ERROR),
        "{err}"
    );
    // The signature's check, not the Finished after it (whose transcript
    // the edit changed too).
    assert!(err.message().contains("signature"), "{err}");
    // ecdsa_secp384r1_sha384: not in the TLS12_ONLY policy's request.
    let err = tampered_tls12_verify(|cv| cv[..2].copy_from_slice(&[0x05, 0x03]));
    assert_eq!(
        err.sent_alert(),
        Some(AlertDescription::ILLEGAL_PARAMETER),
        "{err}"
    );
}

/// The server's signature made later by a private-key callback: the
/// CertificateRequest still goes out with the flight it parked (TLS 1.3:
/// before the Certificate; TLS 1.2: after the ServerKeyExchange).
#[test]
fn client_auth_with_a_parked_server_signature() {
    use crate::pkey::{PrivateKeyCallback, PrivateKeyOp};
    use crate::Session;
    use std::sync::{Arc, Mutex};
    both_versions(|tls12| {
        let ops: Arc<Mutex<Vec<PrivateKeyOp>>> = Arc::default();
        let park = Arc::clone(&ops);
        let cb: Arc<PrivateKeyCallback> =
            Arc::new(move |op: PrivateKeyOp| park.lock().unwrap().push(op));
        let mut b = server(ClientAuth::Required, tls12);
        b.set_private_key_callback(cb);
        let mut s = Session::new_server(&b.build().unwrap());
        let mut c = Session::new_client(&client(true, tls12).build().unwrap());
        c.set_server_name("localhost").unwrap();
        let move_bytes = |from: &mut Session, to: &mut Session| {
            let out = from.pending_tls().to_vec();
            from.consume_tls(out.len());
            if !out.is_empty() {
                let _ = to.feed_tls(&out);
            }
        };
        let _ = c.poll_handshake();
        move_bytes(&mut c, &mut s);
        let op = ops.lock().unwrap().pop().expect("the signature is parked");
        op.sign();
        for _ in 0..6 {
            let _ = s.poll_handshake();
            move_bytes(&mut s, &mut c);
            let _ = c.poll_handshake();
            move_bytes(&mut c, &mut s);
        }
        assert!(
            s.is_handshake_complete(),
            "tls12={tls12}: {:?}",
            s.last_error()
        );
        assert!(c.is_handshake_complete());
        assert!(s.client_cert_verified());
    });
}
