//! The client's 0-RTT: what goes on the wire, and its checks of the
//! server's answer (forged ServerHello and EncryptedExtensions).

use super::tests::{feed, hrr};
use super::*;
use crate::early::EarlyDataStatus;
use crate::engine::direction::SendState;
use crate::engine::phase::Phase;
use crate::engine::{Engine, Mode};
use crate::msgs::codec::Codec;
use crate::msgs::enums::ContentType;
use crate::resumption::SavedSession;

const SUITE: CipherSuite = CipherSuite::TLS13_AES_128_GCM_SHA256;

/// A TLS 1.3 ticket for `localhost` made under ALPN `h2`, allowing
/// `max_early_data` bytes.
fn ticket(max_early_data: u32) -> SavedSession {
    SavedSession {
        version: ProtocolVersion::TLSV1_3,
        suite: SUITE,
        secret: Secret::new(&[9; 32]),
        ems: false,
        ticket: b"a ticket".to_vec(),
        session_id: Vec::new(),
        received_at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
        lifetime: 3600,
        age_add: 0,
        max_early_data,
        server_name: Some("localhost".into()),
        alpn: Some(b"h2".to_vec()),
        peer_chain: Vec::new(),
    }
}

/// A client offering `ticket(max)` with ALPN h2 and http/1.1, after
/// `send_early_data(early)`: the engine, the count taken, its output.
fn early_client(max: u32, early: &[u8]) -> (Engine, usize, Vec<u8>) {
    let mut e = Engine::new(
        crate::Config::builder_minimal().build().unwrap(),
        Mode::Client,
    );
    e.set_server_name("localhost".into());
    e.set_alpn_preferences(vec![b"h2".to_vec(), b"http/1.1".to_vec()]);
    e.set_resumption_offer(ticket(max)).unwrap();
    let n = e.send_early_data(early).unwrap();
    let out = e.pending_output().to_vec();
    e.consume_output(out.len());
    (e, n, out)
}

/// The records in `wire`: (content type, body).
fn records(mut wire: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut v = Vec::new();
    while !wire.is_empty() {
        let len = 5 + usize::from(u16::from_be_bytes([wire[3], wire[4]]));
        v.push((wire[0], wire[5..len].to_vec()));
        wire = &wire[len..];
    }
    v
}

fn hello_of(body: &[u8]) -> (ClientHello, ClientExtensions) {
    let ch = ClientHello::read_bytes(&body[4..]).unwrap();
    let exts = ClientExtensions::parse(&ch.extensions).unwrap();
    (ch, exts)
}

/// A ServerHello for `ch`: `suite`, a key share for its first, and the
/// ticket selected or not.
fn server_hello(ch: &ClientHello, suite: CipherSuite, resume: bool) -> Vec<u8> {
    let exts = ClientExtensions::parse(&ch.extensions).unwrap();
    let theirs = &exts.key_shares.as_ref().unwrap()[0];
    let r = crate::crypto::kx::respond(theirs.group, &theirs.payload).unwrap();
    let sh = ServerHello {
        legacy_version: ProtocolVersion::TLSV1_2,
        random: [7; 32],
        session_id: ch.session_id.clone(),
        cipher_suite: suite,
        compression_method: 0,
        extensions: ServerExtensions {
            supported_version: Some(ProtocolVersion::TLSV1_3),
            key_share: Some(KeyShareEntry {
                group: theirs.group,
                payload: r.share,
            }),
            pre_shared_key: resume.then_some(0),
            ..Default::default()
        }
        .to_extensions(ServerExtContext::ServerHello13)
        .unwrap(),
    };
    HandshakeMessage::new(HandshakePayload::ServerHello(sh))
        .to_bytes()
        .unwrap()
}

/// Feeds an EncryptedExtensions (ALPN `alpn`, early_data if `accept`)
/// sealed under the server's handshake key.
fn feed_ee(e: &mut Engine, alpn: &[u8], accept: bool) -> Result<()> {
    let Phase::Handshaking(Hs::Client13(state)) = &e.phase else {
        panic!("client not in its TLS 1.3 handshake");
    };
    let (suite, secret) = state.server_handshake_keys().unwrap();
    let exts = ServerExtensions {
        alpn: Some(alpn.to_vec()),
        early_data: accept,
        ..Default::default()
    }
    .to_extensions(ServerExtContext::EncryptedExtensions)
    .unwrap();
    let msg = HandshakeMessage::new(HandshakePayload::EncryptedExtensions(exts))
        .to_bytes()
        .unwrap();
    let (key, iv) = crate::tls13::key_schedule::traffic_key_iv(suite.hash, suite.aead, &secret);
    let mut enc = crate::record::protect::Encrypter::new_tls13(suite.aead, &key, &iv).unwrap();
    let mut wire = Vec::new();
    enc.seal(ContentType::HANDSHAKE, &msg, 0, &mut wire)
        .unwrap();
    let space = e.read_space(usize::MAX);
    space[..wire.len()].copy_from_slice(&wire);
    e.commit_read(wire.len());
    e.process()
}

fn send_keys(e: &Engine) -> Option<KeyPhase> {
    match &e.c.send.state {
        SendState::Userspace { keys, .. } => Some(*keys),
        _ => None,
    }
}

#[test]
fn the_hello_offers_early_data_then_ccs_then_early_records() {
    let (e, n, out) = early_client(1000, b"hello");
    assert_eq!(n, 5);
    let recs = records(&out);
    let types: Vec<u8> = recs.iter().map(|r| r.0).collect();
    // ClientHello, the compatibility CCS, one protected record.
    assert_eq!(
        types,
        [
            ContentType::HANDSHAKE.0,
            ContentType::CHANGE_CIPHER_SPEC.0,
            ContentType::APPLICATION_DATA.0
        ]
    );
    let (_, exts) = hello_of(&recs[0].1);
    assert!(exts.early_data && exts.pre_shared_key.is_some());
    // 5 bytes, the inner content type and the tag.
    assert_eq!(recs[2].1.len(), 5 + 1 + 16);
    assert_eq!(e.info().early_data, EarlyDataStatus::Requested);
    assert_eq!(send_keys(&e), Some(KeyPhase::EarlyData));
}

#[test]
fn a_ticket_without_early_data_offers_none() {
    let (e, n, out) = early_client(0, b"hello");
    assert_eq!(n, 0);
    let recs = records(&out);
    assert_eq!(recs.len(), 1, "the ClientHello alone");
    let (_, exts) = hello_of(&recs[0].1);
    assert!(!exts.early_data && exts.pre_shared_key.is_some());
    assert_eq!(e.info().early_data, EarlyDataStatus::NotRequested);
    assert!(matches!(e.c.send.state, SendState::Plaintext));
}

#[test]
fn accepted_early_data_under_another_alpn_is_illegal_parameter() {
    let (mut e, _, out) = early_client(1000, b"hello");
    let (ch, _) = hello_of(&records(&out)[0].1);
    feed(&mut e, &server_hello(&ch, SUITE, true)).unwrap();
    // The early key stays until the EncryptedExtensions answers.
    assert_eq!(send_keys(&e), Some(KeyPhase::EarlyData));
    let err = feed_ee(&mut e, b"http/1.1", true).unwrap_err();
    assert_eq!(err.sent_alert(), Some(AlertDescription::ILLEGAL_PARAMETER));
}

#[test]
fn accepted_early_data_without_the_tickets_suite_or_resumption_is_illegal_parameter() {
    for (suite, resume) in [
        (SUITE, false),
        (CipherSuite::TLS13_CHACHA20_POLY1305_SHA256, true),
    ] {
        let (mut e, _, out) = early_client(1000, b"hello");
        let (ch, _) = hello_of(&records(&out)[0].1);
        feed(&mut e, &server_hello(&ch, suite, resume)).unwrap();
        let err = feed_ee(&mut e, b"h2", true).unwrap_err();
        assert_eq!(
            err.sent_alert(),
            Some(AlertDescription::ILLEGAL_PARAMETER),
            "{suite:?} resume={resume}"
        );
    }
}

#[test]
fn accepted_early_data_keeps_the_early_key_and_refused_switches_at_once() {
    let (mut e, _, out) = early_client(1000, b"hello");
    let (ch, _) = hello_of(&records(&out)[0].1);
    feed(&mut e, &server_hello(&ch, SUITE, true)).unwrap();
    feed_ee(&mut e, b"h2", true).unwrap();
    assert_eq!(e.info().early_data, EarlyDataStatus::Accepted);
    assert_eq!(send_keys(&e), Some(KeyPhase::EarlyData));
    // After the ServerHello nothing more is taken.
    assert_eq!(e.send_early_data(b"more").unwrap(), 0);

    let (mut e, _, out) = early_client(1000, b"hello");
    let (ch, _) = hello_of(&records(&out)[0].1);
    feed(&mut e, &server_hello(&ch, SUITE, true)).unwrap();
    feed_ee(&mut e, b"h2", false).unwrap();
    assert_eq!(e.info().early_data, EarlyDataStatus::Rejected);
    assert_eq!(send_keys(&e), Some(KeyPhase::Handshake));
    assert!(e.pending_output().is_empty(), "no second CCS");
}

#[test]
fn a_hello_retry_request_refuses_early_data() {
    let (mut e, _, out) = early_client(1000, b"hello");
    let (ch, _) = hello_of(&records(&out)[0].1);
    feed(&mut e, &hrr(&ch, b"cookie".to_vec())).unwrap();
    assert_eq!(e.info().early_data, EarlyDataStatus::Rejected);
    // The second ClientHello alone, in clear (the CCS already went out),
    // without early_data but with the ticket again.
    let out = e.pending_output().to_vec();
    let recs = records(&out);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].0, ContentType::HANDSHAKE.0);
    let (_, exts) = hello_of(&recs[0].1);
    assert!(!exts.early_data && exts.pre_shared_key.is_some());
    assert!(matches!(e.c.send.state, SendState::Plaintext));
    assert_eq!(e.send_early_data(b"more").unwrap(), 0);
}

#[test]
fn a_tls12_answer_after_early_data_is_protocol_version() {
    let (mut e, _, out) = early_client(1000, b"hello");
    let (ch, _) = hello_of(&records(&out)[0].1);
    assert!(ch
        .cipher_suites
        .contains(&CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256));
    let sh = ServerHello {
        legacy_version: ProtocolVersion::TLSV1_2,
        random: [7; 32],
        session_id: ch.session_id.clone(),
        cipher_suite: CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        compression_method: 0,
        extensions: Vec::new(),
    };
    let msg = HandshakeMessage::new(HandshakePayload::ServerHello(sh))
        .to_bytes()
        .unwrap();
    let err = feed(&mut e, &msg).unwrap_err();
    assert_eq!(err.sent_alert(), Some(AlertDescription::PROTOCOL_VERSION));
}
