//! The client's external PSK offer and its checks of the ServerHello's answer.

use super::tests::feed;
use super::*;
use crate::crypto::hash::HashAlg;
use crate::engine::phase::Phase;
use crate::engine::{Engine, Mode};
use crate::msgs::codec::Codec;
use crate::msgs::enums::CipherSuite;
use crate::msgs::extensions::{PskOffer, PSK_DHE_KE, PSK_KE};
use crate::msgs::handshake::{client_hello_binders_offset, HRR_RANDOM};
use crate::psk::{ExternalPsk, PskHash};
use crate::tls13::key_schedule::finished_verify_data;

fn psk(id: &str, fill: u8, hash: PskHash) -> ExternalPsk {
    ExternalPsk::new(id.as_bytes(), &[fill; 32], hash).unwrap()
}

/// A client with `on_config` then `on_conn` PSKs, started: the engine and
/// its ClientHello as sent (handshake header included).
fn started(on_config: &[ExternalPsk], on_conn: &[ExternalPsk], psk_ke: bool) -> (Engine, Vec<u8>) {
    let mut b = crate::Config::builder_minimal();
    b.allow_psk_ke(psk_ke);
    for p in on_config {
        b.add_psk(p.clone());
    }
    let mut e = Engine::new(b.build().unwrap(), Mode::Client);
    for p in on_conn {
        e.add_psk(p.clone()).unwrap();
    }
    e.c.info.server_name = Some("localhost".into());
    e.start().unwrap();
    let out = e.pending_output().to_vec();
    e.consume_output(out.len());
    let len = usize::from(u16::from_be_bytes([out[3], out[4]]));
    (e, out[5..5 + len].to_vec())
}

fn parse(encoded: &[u8]) -> (ClientHello, ClientExtensions) {
    let ch = ClientHello::read_bytes(&encoded[4..]).unwrap();
    let exts = ClientExtensions::parse(&ch.extensions).unwrap();
    (ch, exts)
}

/// Checks each binder of `encoded` against `psks` (in offer order), with
/// `prefix` (ClientHello1 and the HelloRetryRequest, or nothing) before
/// the partial hello.
fn check_binders(encoded: &[u8], psks: &[&ExternalPsk], prefix: &Transcript) {
    let (_, exts) = parse(encoded);
    let offer = PskOffer::parse(exts.pre_shared_key.as_deref().unwrap()).unwrap();
    let ids: Vec<&[u8]> = offer.identities.iter().map(|i| &i.identity[..]).collect();
    let want: Vec<&[u8]> = psks.iter().map(|p| p.identity()).collect();
    assert_eq!(ids, want);
    assert!(offer.identities.iter().all(|i| i.obfuscated_age == 0));
    let partial = &encoded[..client_hello_binders_offset(encoded).unwrap()];
    for (p, binder) in psks.iter().zip(&offer.binders) {
        let alg = p.hash().alg();
        let key = EarlySecret::new(alg, Some(p.secret().as_bytes())).binder_key(true);
        let hash = prefix.hash_given(alg, partial);
        let expect = finished_verify_data(alg, &key, hash.as_bytes());
        assert_eq!(binder, expect.as_bytes(), "binder of {:?}", p);
        // The "res binder" label would give another value.
        let res = EarlySecret::new(alg, Some(p.secret().as_bytes())).binder_key(false);
        assert_ne!(
            binder,
            finished_verify_data(alg, &res, hash.as_bytes()).as_bytes()
        );
    }
}

#[test]
fn the_hello_offers_config_then_connection_psks_with_age_zero_and_ext_binders() {
    let a = psk("a", 1, PskHash::Sha256);
    let b = psk("b-384", 2, PskHash::Sha384);
    let conn = psk("conn", 3, PskHash::Sha256);
    let (_, encoded) = started(&[a.clone(), b.clone()], std::slice::from_ref(&conn), false);
    check_binders(&encoded, &[&a, &b, &conn], &Transcript::new());
    let (_, exts) = parse(&encoded);
    assert_eq!(exts.psk_modes, Some(vec![PSK_DHE_KE]));
    // The server may still refuse the PSKs and use its certificate.
    assert!(exts.key_shares.is_some_and(|k| !k.is_empty()));
    assert!(exts.signature_algorithms.is_some());

    let (_, encoded) = started(std::slice::from_ref(&a), &[], true);
    assert_eq!(parse(&encoded).1.psk_modes, Some(vec![PSK_DHE_KE, PSK_KE]));
}

#[test]
fn at_most_eight_psks_are_offered() {
    let many: Vec<ExternalPsk> = (0..10)
        .map(|i| psk(&format!("id{i}"), i + 1, PskHash::Sha256))
        .collect();
    let (_, encoded) = started(&many[..6], &many[6..], false);
    let refs: Vec<&ExternalPsk> = many.iter().take(8).collect();
    check_binders(&encoded, &refs, &Transcript::new());
}

#[test]
fn a_psk_whose_hash_no_offered_suite_has_is_left_out() {
    let mut b = crate::Config::builder_minimal();
    // rfc9151's only TLS 1.3 suite is TLS_AES_256_GCM_SHA384.
    b.security_policy("rfc9151").unwrap();
    let p256 = psk("p256", 1, PskHash::Sha256);
    let p384 = psk("p384", 2, PskHash::Sha384);
    b.add_psk(p256).add_psk(p384.clone());
    let cfg = b.build().unwrap();
    assert!(!cfg
        .security_policy()
        .cipher_suites
        .iter()
        .any(|s| tls13_suite(*s).is_some_and(|t| t.hash == HashAlg::Sha256)));
    let mut e = Engine::new(cfg, Mode::Client);
    e.c.info.server_name = Some("localhost".into());
    e.start().unwrap();
    let out = e.pending_output().to_vec();
    let len = usize::from(u16::from_be_bytes([out[3], out[4]]));
    check_binders(&out[5..5 + len], &[&p384], &Transcript::new());
}

/// A ServerHello answering `encoded` with `suite`, a key share for the
/// client's first one (if `share`) and `selected` as pre_shared_key.
fn server_hello(encoded: &[u8], suite: CipherSuite, selected: Option<u16>, share: bool) -> Vec<u8> {
    let (ch, exts) = parse(encoded);
    let key_share = share.then(|| {
        let theirs = &exts.key_shares.as_ref().unwrap()[0];
        let r = crate::crypto::kx::respond(theirs.group, &theirs.payload).unwrap();
        KeyShareEntry {
            group: theirs.group,
            payload: r.share,
        }
    });
    let sh = ServerHello {
        legacy_version: ProtocolVersion::TLSV1_2,
        random: [7; 32],
        session_id: ch.session_id,
        cipher_suite: suite,
        compression_method: 0,
        extensions: ServerExtensions {
            supported_version: Some(ProtocolVersion::TLSV1_3),
            key_share,
            pre_shared_key: selected,
            ..Default::default()
        }
        .to_extensions(ServerExtContext::ServerHello13)
        .unwrap(),
    };
    HandshakeMessage::new(HandshakePayload::ServerHello(sh))
        .to_bytes()
        .unwrap()
}

const SHA256_SUITE: CipherSuite = CipherSuite::TLS13_AES_128_GCM_SHA256;
const SHA384_SUITE: CipherSuite = CipherSuite::TLS13_AES_256_GCM_SHA384;

fn alert_for(psk_ke: bool, suite: CipherSuite, selected: u16, share: bool) -> AlertDescription {
    let (mut e, encoded) = started(
        &[psk("a", 1, PskHash::Sha256), psk("b", 2, PskHash::Sha384)],
        &[],
        psk_ke,
    );
    let err = feed(
        &mut e,
        &server_hello(&encoded, suite, Some(selected), share),
    )
    .unwrap_err();
    err.sent_alert().unwrap()
}

#[test]
fn a_server_hello_selecting_an_identity_we_did_not_offer_is_illegal_parameter() {
    for index in [2, 7, 8, u16::MAX] {
        assert_eq!(
            alert_for(false, SHA256_SUITE, index, true),
            AlertDescription::ILLEGAL_PARAMETER
        );
    }
}

#[test]
fn a_server_hello_with_a_suite_of_another_hash_than_the_psk_is_illegal_parameter() {
    assert_eq!(
        alert_for(false, SHA384_SUITE, 0, true),
        AlertDescription::ILLEGAL_PARAMETER
    );
    assert_eq!(
        alert_for(false, SHA256_SUITE, 1, true),
        AlertDescription::ILLEGAL_PARAMETER
    );
}

fn in_encrypted_extensions(e: &Engine) -> bool {
    matches!(
        e.phase,
        Phase::Handshaking(Hs::Client13(State::ExpectEncryptedExtensions(_)))
    )
}

#[test]
fn a_selected_psk_is_used_and_is_no_resumption() {
    for (suite, index, id) in [(SHA256_SUITE, 0, "a"), (SHA384_SUITE, 1, "b")] {
        let (mut e, encoded) = started(
            &[psk("a", 1, PskHash::Sha256), psk("b", 2, PskHash::Sha384)],
            &[],
            false,
        );
        feed(&mut e, &server_hello(&encoded, suite, Some(index), true)).unwrap();
        assert!(in_encrypted_extensions(&e));
        assert_eq!(e.info().psk_identity.as_deref(), Some(id.as_bytes()));
        assert!(!e.info().resumed);
        assert!(e.info().group.is_some());
        // No Certificate follows: the PSK authenticates the server.
        let Phase::Handshaking(Hs::Client13(State::ExpectEncryptedExtensions(n))) = &e.phase else {
            unreachable!()
        };
        assert!(n.psk_auth);
    }
}

#[test]
fn no_psk_selected_is_a_certificate_handshake() {
    let (mut e, encoded) = started(&[psk("a", 1, PskHash::Sha256)], &[], false);
    feed(&mut e, &server_hello(&encoded, SHA256_SUITE, None, true)).unwrap();
    let Phase::Handshaking(Hs::Client13(State::ExpectEncryptedExtensions(n))) = &e.phase else {
        panic!("not expecting EncryptedExtensions")
    };
    assert!(!n.psk_auth);
    assert_eq!(e.info().psk_identity, None);
}

#[test]
fn psk_ke_is_accepted_only_when_offered() {
    // Not offered: the ServerHello lacks the key_share psk_dhe_ke needs.
    assert_eq!(
        alert_for(false, SHA256_SUITE, 0, false),
        AlertDescription::MISSING_EXTENSION
    );
    let (mut e, encoded) = started(&[psk("a", 1, PskHash::Sha256)], &[], true);
    feed(
        &mut e,
        &server_hello(&encoded, SHA256_SUITE, Some(0), false),
    )
    .unwrap();
    assert!(in_encrypted_extensions(&e));
    assert_eq!(e.info().group, None, "psk_ke: no key exchange");
    assert_eq!(e.info().psk_identity.as_deref(), Some(&b"a"[..]));
    // Offered, but no PSK selected: a key share is still required.
    let (mut e, encoded) = started(&[psk("a", 1, PskHash::Sha256)], &[], true);
    let err = feed(&mut e, &server_hello(&encoded, SHA256_SUITE, None, false)).unwrap_err();
    assert_eq!(err.sent_alert(), Some(AlertDescription::MISSING_EXTENSION));
}

#[test]
fn after_a_hello_retry_request_only_psks_of_its_suites_hash_are_offered_again() {
    let a = psk("a", 1, PskHash::Sha256);
    let b = psk("b", 2, PskHash::Sha384);
    let c = psk("c", 3, PskHash::Sha256);
    let (mut e, ch1) = started(&[a.clone(), b.clone(), c.clone()], &[], false);
    let (hello1, _) = parse(&ch1);
    let sh = ServerHello {
        legacy_version: ProtocolVersion::TLSV1_2,
        random: HRR_RANDOM,
        session_id: hello1.session_id,
        cipher_suite: SHA256_SUITE,
        compression_method: 0,
        extensions: ServerExtensions {
            supported_version: Some(ProtocolVersion::TLSV1_3),
            cookie: Some(vec![9; 16]),
            ..Default::default()
        }
        .to_extensions(ServerExtContext::HelloRetryRequest)
        .unwrap(),
    };
    let hrr = HandshakeMessage::new(HandshakePayload::ServerHello(sh))
        .to_bytes()
        .unwrap();
    feed(&mut e, &hrr).unwrap();
    let out = e.pending_output().to_vec();
    let hello = &out[6..]; // after the compatibility CCS
    let len = usize::from(u16::from_be_bytes([hello[3], hello[4]]));
    let ch2 = &hello[5..5 + len];
    let mut prefix = Transcript::new();
    prefix.add(&ch1);
    prefix.start_hash(HashAlg::Sha256);
    prefix.rollup_for_hrr();
    prefix.add(&hrr);
    check_binders(ch2, &[&a, &c], &prefix);
    // Index 1 now names "c".
    e.consume_output(out.len());
    feed(&mut e, &server_hello(ch2, SHA256_SUITE, Some(1), true)).unwrap();
    assert_eq!(e.info().psk_identity.as_deref(), Some(&b"c"[..]));
}
