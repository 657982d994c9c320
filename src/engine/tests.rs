//! The engine end to end: two engines pumping records at each other.

use super::*;
use crate::cert::CertChainAndKey;

fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Moves every queued byte from `from` to `to` and processes it.
pub(super) fn pump(from: &mut Engine, to: &mut Engine) -> Result<()> {
    let out = from.pending_output().to_vec();
    from.consume_output(out.len());
    let mut off = 0;
    while off < out.len() {
        let space = to.read_space(usize::MAX);
        let n = space.len().min(out.len() - off);
        space[..n].copy_from_slice(&out[off..off + n]);
        to.commit_read(n);
        off += n;
        to.process()?;
    }
    Ok(())
}

pub(super) fn connected() -> (Engine, Engine) {
    connected_with(None)
}

/// TLS 1.2 only, ECDHE-ECDSA AES-128-GCM over X25519.
pub(super) static TLS12_ONLY: crate::policy::SecurityPolicy = crate::policy::SecurityPolicy {
    name: "test-tls12",
    min_version: crate::ProtocolVersion::TLSV1_2,
    max_version: crate::ProtocolVersion::TLSV1_2,
    cipher_suites: &[crate::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256],
    signature_schemes: &[crate::SignatureScheme::ECDSA_SECP256R1_SHA256],
    // P-256 also names the certificate's curve (RFC 8422 §5.1); X25519 is the ECDHE group.
    groups: &[crate::NamedGroup::X25519, crate::NamedGroup::SECP256R1],
    certificate_signature_schemes: None,
    chacha20_boosted: false,
};

fn connected12(refusal: RenegotiationRefusal) -> (Engine, Engine) {
    let (c, s) = connected_with(Some((&TLS12_ONLY, refusal)));
    assert!(c.c.is_tls12() && s.c.is_tls12());
    (c, s)
}

fn connected_with(
    tls12: Option<(&'static crate::policy::SecurityPolicy, RenegotiationRefusal)>,
) -> (Engine, Engine) {
    let (client, mut server) = unfinished(tls12);
    let mut client = client;
    client.start().unwrap();
    for _ in 0..4 {
        pump(&mut client, &mut server).unwrap();
        pump(&mut server, &mut client).unwrap();
    }
    assert!(client.is_handshake_complete() && server.is_handshake_complete());
    (client, server)
}

pub(super) fn unfinished(
    tls12: Option<(&'static crate::policy::SecurityPolicy, RenegotiationRefusal)>,
) -> (Engine, Engine) {
    let mut sb = Config::builder_minimal();
    sb.add_cert_chain_and_key(
        CertChainAndKey::from_pem_files(data("server-p256-chain.pem"), data("server-p256.key"))
            .unwrap(),
    );
    let mut cb = Config::builder_minimal();
    cb.add_pem_to_trust_store(&std::fs::read(data("ca-ecdsa.pem")).unwrap())
        .unwrap();
    if let Some((p, refusal)) = tls12 {
        for b in [&mut sb, &mut cb] {
            b.custom_security_policy(p).unwrap();
            b.set_renegotiation_refusal(refusal);
        }
    }
    let mut client = Engine::new(cb.build().unwrap(), Mode::Client);
    client.c.info.server_name = Some("localhost".into());
    let server = Engine::new(sb.build().unwrap(), Mode::Server);
    (client, server)
}

pub(super) fn drain(e: &mut Engine) -> Vec<u8> {
    let mut v = vec![0u8; e.app_available()];
    e.read_app(&mut v);
    v
}

#[test]
fn aead_limit_triggers_key_update_before_sealing() {
    let (mut client, mut server) = connected();
    // Bring both ends of client→server to just below the AES-GCM limit.
    let limit = 1u64 << 24;
    client
        .c
        .send
        .state
        .encrypter_mut()
        .unwrap()
        .set_seq_for_test(limit - 1);
    server
        .c
        .recv
        .state
        .decrypter_mut()
        .unwrap()
        .set_seq_for_test(limit - 1);
    client.write_app_record(b"last under the old key").unwrap();
    assert!(client.c.send.state.encrypter().unwrap().wants_rekey());
    client.write_app_record(b"first under the new key").unwrap();
    // A KeyUpdate went out, so the new key starts again at sequence 1.
    assert_eq!(client.c.send.state.encrypter().unwrap().seq(), 1);
    pump(&mut client, &mut server).unwrap();
    assert_eq!(
        drain(&mut server),
        b"last under the old keyfirst under the new key"
    );
    assert_eq!(server.c.recv.state.decrypter().unwrap().seq(), 1);
}

#[test]
fn release_buffers_refuses_pending_data_and_connection_keeps_working() {
    let (mut client, mut server) = connected();
    // Output waiting: refused, and the records still go out afterwards.
    client.write_app_record(b"queued").unwrap();
    let e = client.release_buffers().unwrap_err();
    assert_eq!(e.kind(), crate::ErrorKind::Usage);
    pump(&mut client, &mut server).unwrap();
    // Decrypted data not read yet: refused.
    assert_eq!(
        server.release_buffers().unwrap_err().kind(),
        crate::ErrorKind::Usage
    );
    assert_eq!(drain(&mut server), b"queued");
    // Half a record received: refused.
    client.write_app_record(b"split").unwrap();
    let rec = client.pending_output().to_vec();
    client.consume_output(rec.len());
    let space = server.read_space(3);
    space.copy_from_slice(&rec[..3]);
    server.commit_read(3);
    server.process().unwrap();
    assert_eq!(
        server.release_buffers().unwrap_err().kind(),
        crate::ErrorKind::Usage
    );
    let space = server.read_space(rec.len() - 3);
    space.copy_from_slice(&rec[3..]);
    server.commit_read(rec.len() - 3);
    server.process().unwrap();
    assert_eq!(drain(&mut server), b"split");
    // Everything empty: both release, then work both ways again.
    client.release_buffers().unwrap();
    server.release_buffers().unwrap();
    assert_eq!(server.app_in.capacity(), 0);
    client.write_app_record(b"after release").unwrap();
    pump(&mut client, &mut server).unwrap();
    assert_eq!(drain(&mut server), b"after release");
    server.write_app_record(b"and back").unwrap();
    pump(&mut server, &mut client).unwrap();
    assert_eq!(drain(&mut client), b"and back");
    // Releasing twice is fine.
    client.release_buffers().unwrap();
    client.release_buffers().unwrap();
}

#[test]
fn process_into_fills_the_callers_buffer_in_order() {
    let (mut client, mut server) = connected();
    for msg in [&b"first"[..], b"second", b"third!"] {
        client.write_app_record(msg).unwrap();
    }
    let out = client.pending_output().to_vec();
    client.consume_output(out.len());
    let space = server.read_space(out.len());
    space.copy_from_slice(&out);
    server.commit_read(out.len());
    // Room for the first two records only: the third is queued behind them.
    let mut dst = [0u8; 12];
    assert_eq!(server.process_into(&mut dst).unwrap(), 11);
    assert_eq!(&dst[..11], b"firstsecond");
    assert_eq!(drain(&mut server), b"third!");
    // While data is queued, new records queue behind it even if they fit.
    client.write_app_record(b"a").unwrap();
    pump(&mut client, &mut server).unwrap();
    client.write_app_record(b"b").unwrap();
    let out = client.pending_output().to_vec();
    client.consume_output(out.len());
    let space = server.read_space(out.len());
    space.copy_from_slice(&out);
    server.commit_read(out.len());
    assert_eq!(server.process_into(&mut [0u8; 100]).unwrap(), 0);
    assert_eq!(drain(&mut server), b"ab");
}

#[test]
fn key_update_request_is_answered() {
    let (mut client, mut server) = connected();
    client.key_update(true).unwrap();
    pump(&mut client, &mut server).unwrap();
    // The server answered with its own KeyUpdate (not requesting another).
    assert!(!server.pending_output().is_empty());
    pump(&mut server, &mut client).unwrap();
    assert!(client.pending_output().is_empty(), "no KeyUpdate ping-pong");
    server.write_app_record(b"after update").unwrap();
    pump(&mut server, &mut client).unwrap();
    assert_eq!(drain(&mut client), b"after update");
}

#[test]
fn data_after_close_notify_is_ignored_and_handshake_message_after_done_is_fatal() {
    let (mut client, mut server) = connected();
    client.send_close_notify();
    pump(&mut client, &mut server).unwrap();
    assert!(server.received_close_notify());
    assert!(client.write_app_record(b"x").is_err());

    let (mut client, mut server) = connected();
    // A second Finished after the handshake is an unexpected message.
    let fin = HandshakeMessage::new(HandshakePayload::Finished(vec![0; 32]));
    let mut t = crate::crypto::hash::Transcript::new();
    client.c.queue_handshake(&fin, &mut t).unwrap();
    client.c.flush_handshake().unwrap();
    let err = pump(&mut client, &mut server).unwrap_err();
    assert_eq!(err.sent_alert(), Some(AlertDescription::UNEXPECTED_MESSAGE));
    // The alert goes back to the client and fails it with Alert.
    let err = pump(&mut server, &mut client).unwrap_err();
    assert_eq!(
        err.kind(),
        crate::ErrorKind::Alert(AlertDescription::UNEXPECTED_MESSAGE)
    );
}

fn queue_plain_handshake(e: &mut Engine, payload: HandshakePayload) {
    let mut t = crate::crypto::hash::Transcript::new();
    e.c.queue_handshake(&HandshakeMessage::new(payload), &mut t)
        .unwrap();
    e.c.flush_handshake().unwrap();
}

#[test]
fn tls12_renegotiation_is_refused_with_a_warning() {
    let (mut client, mut server) = connected12(RenegotiationRefusal::Warning);
    // Server asks the client to renegotiate: the client answers no_renegotiation (warning)
    // and the connection keeps working both ways.
    queue_plain_handshake(&mut server, HandshakePayload::HelloRequest);
    pump(&mut server, &mut client).unwrap();
    assert_eq!(
        client.pending_output().len(),
        5 + 8 + 2 + 16,
        "one encrypted alert record"
    );
    pump(&mut client, &mut server).unwrap();
    client.write_app_record(b"still up").unwrap();
    pump(&mut client, &mut server).unwrap();
    assert_eq!(drain(&mut server), b"still up");
    // A client that starts renegotiating gets the same answer from the server.
    queue_plain_handshake(&mut client, HandshakePayload::ClientHello(sample_hello()));
    pump(&mut client, &mut server).unwrap();
    pump(&mut server, &mut client).unwrap();
    server.write_app_record(b"and back").unwrap();
    pump(&mut server, &mut client).unwrap();
    assert_eq!(drain(&mut client), b"and back");
    // Repeated requests end in a fatal alert rather than an endless exchange.
    let mut last = Ok(());
    for _ in 0..limits::MAX_WARNING_ALERTS + 1 {
        queue_plain_handshake(&mut server, HandshakePayload::HelloRequest);
        last = pump(&mut server, &mut client).and_then(|_| pump(&mut client, &mut server));
        if last.is_err() {
            break;
        }
    }
    assert!(last.is_err(), "renegotiation requests must be bounded");
}

#[test]
fn tls12_renegotiation_refused_fatally_when_configured() {
    let (mut client, mut server) = connected12(RenegotiationRefusal::Fatal);
    queue_plain_handshake(&mut server, HandshakePayload::HelloRequest);
    let err = pump(&mut server, &mut client).unwrap_err();
    assert_eq!(err.sent_alert(), Some(AlertDescription::NO_RENEGOTIATION));
    let err = pump(&mut client, &mut server).unwrap_err();
    assert_eq!(
        err.kind(),
        crate::ErrorKind::Alert(AlertDescription::NO_RENEGOTIATION)
    );
}

fn sample_hello() -> crate::msgs::handshake::ClientHello {
    crate::msgs::handshake::ClientHello {
        legacy_version: crate::ProtocolVersion::TLSV1_2,
        random: [7; 32],
        session_id: vec![],
        cipher_suites: vec![crate::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256],
        compression_methods: vec![0],
        extensions: vec![],
    }
}

#[test]
fn tls12_change_cipher_spec_rules() {
    // A CCS before the key exchange has nothing to activate.
    let (mut client, mut server) = unfinished(Some((&TLS12_ONLY, RenegotiationRefusal::Warning)));
    client.start().unwrap();
    pump(&mut client, &mut server).unwrap();
    client.c.send_ccs().unwrap();
    let err = pump(&mut client, &mut server).unwrap_err();
    assert_eq!(err.sent_alert(), Some(AlertDescription::UNEXPECTED_MESSAGE));

    // Finished in plaintext, without the CCS that switches keys, is refused.
    let (mut client, mut server) = unfinished(Some((&TLS12_ONLY, RenegotiationRefusal::Warning)));
    client.start().unwrap();
    pump(&mut client, &mut server).unwrap();
    pump(&mut server, &mut client).unwrap();
    // The client's flight: ClientKeyExchange, CCS, Finished. Drop the CCS (6 bytes).
    let flight = client.pending_output().to_vec();
    client.consume_output(flight.len());
    let ccs = flight
        .windows(6)
        .position(|w| w == [20, 3, 3, 0, 1, 1])
        .expect("CCS in the flight");
    let mut without = flight[..ccs].to_vec();
    without.extend_from_slice(&flight[ccs + 6..]);
    let space = server.read_space(usize::MAX);
    space[..without.len()].copy_from_slice(&without);
    server.commit_read(without.len());
    // The protected Finished is then read as plaintext handshake bytes: whatever
    // they decode to, the handshake fails with a fatal alert and never completes.
    let err = server.process().unwrap_err();
    assert!(err.sent_alert().is_some(), "{err:?}");
    assert!(!server.is_handshake_complete());
}

#[test]
fn tls12_key_limit_closes_cleanly() {
    let (mut client, mut server) = connected12(RenegotiationRefusal::Warning);
    let limit = 1u64 << 24;
    client
        .c
        .send
        .state
        .encrypter_mut()
        .unwrap()
        .set_seq_for_test(limit - 1);
    server
        .c
        .recv
        .state
        .decrypter_mut()
        .unwrap()
        .set_seq_for_test(limit - 1);
    client.write_app_record(b"last record").unwrap();
    let err = client.write_app_record(b"one too many").unwrap_err();
    assert_eq!(err.kind(), crate::ErrorKind::Closed);
    pump(&mut client, &mut server).unwrap();
    assert_eq!(drain(&mut server), b"last record");
    assert!(server.received_close_notify());
}

#[test]
fn tls12_application_data_and_exporter() {
    let (mut client, mut server) = connected12(RenegotiationRefusal::Warning);
    client.write_app_record(b"ping").unwrap();
    pump(&mut client, &mut server).unwrap();
    assert_eq!(drain(&mut server), b"ping");
    server.write_app_record(b"pong").unwrap();
    pump(&mut server, &mut client).unwrap();
    assert_eq!(drain(&mut client), b"pong");
    assert_eq!(
        client.c.info.suite,
        Some(crate::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
    );
    assert_eq!(client.c.info.group, Some(crate::NamedGroup::X25519));
}

/// Seals `records` as the server would and hands them to the client's
/// userspace receive path.
fn seal_to(server: &mut Engine, client: &mut Engine, records: &[(ContentType, &[u8])]) {
    let mut wire = Vec::new();
    for (typ, body) in records {
        let enc = server.c.send.state.encrypter_mut().unwrap();
        enc.seal(*typ, body, 0, &mut wire).unwrap();
    }
    let space = client.read_space(usize::MAX);
    space[..wire.len()].copy_from_slice(&wire);
    client.commit_read(wire.len());
}

/// Half a KeyUpdate, then a warning alert, then the other half.
const SPLIT: [(ContentType, &[u8]); 3] = [
    (ContentType::HANDSHAKE, &[24, 0]),
    (ContentType::ALERT, &[1, 90]),
    (ContentType::HANDSHAKE, &[0, 1, 0]),
];

#[test]
fn alert_inside_a_handshake_message_is_unexpected_on_both_receive_paths() {
    // Userspace: records opened by Baton.
    let (mut client, mut server) = connected();
    seal_to(&mut server, &mut client, &SPLIT);
    let err = client.process().unwrap_err();
    assert_eq!(err.sent_alert(), Some(AlertDescription::UNEXPECTED_MESSAGE));
    // Kernel TLS: the same records, already opened by the kernel.
    let (mut client, _server) = connected();
    let mut result = Ok(());
    for (typ, body) in SPLIT {
        result = client.process_kernel_record(typ.0, body);
        if result.is_err() {
            break;
        }
    }
    let err = result.unwrap_err();
    assert_eq!(err.sent_alert(), Some(AlertDescription::UNEXPECTED_MESSAGE));
    // A fatal alert there is no different: the interleaving is the error.
    let (mut client, mut server) = connected();
    seal_to(
        &mut server,
        &mut client,
        &[SPLIT[0], (ContentType::ALERT, &[2, 40])],
    );
    let err = client.process().unwrap_err();
    assert_eq!(err.sent_alert(), Some(AlertDescription::UNEXPECTED_MESSAGE));
}

#[test]
fn a_failed_engine_keeps_its_first_error_and_queues_one_alert() {
    // After the handshake: still complete, one alert, the same error ever after.
    let (mut client, _server) = connected();
    let first = client.fail(Error::protocol(
        AlertDescription::DECODE_ERROR,
        "first failure",
    ));
    let alert = client.pending_output().len();
    assert!(alert > 0);
    let again = client.fail(Error::protocol(
        AlertDescription::HANDSHAKE_FAILURE,
        "second failure",
    ));
    assert_eq!(again.sent_alert(), first.sent_alert());
    assert_eq!(client.pending_output().len(), alert, "one alert only");
    assert!(client.is_handshake_complete());
    assert_eq!(
        client.write_app_record(b"x").unwrap_err().sent_alert(),
        Some(AlertDescription::DECODE_ERROR)
    );
    assert_eq!(
        client.process().unwrap_err().sent_alert(),
        Some(AlertDescription::DECODE_ERROR)
    );
    assert!(client.start().is_err());
    // During the handshake (a message the state machine refuses): not complete.
    let (mut client, mut server) = unfinished(None);
    client.start().unwrap();
    queue_plain_handshake(&mut client, HandshakePayload::Finished(vec![0; 32]));
    let err = pump(&mut client, &mut server).unwrap_err();
    assert!(!server.is_handshake_complete());
    assert_eq!(
        server.error().map(|e| e.sent_alert()),
        Some(err.sent_alert())
    );
}

/// What the client made of `records`: the alert it failed with, if any,
/// and the application data it got.
type Outcome = (Option<AlertDescription>, Vec<u8>);

fn through_userspace(records: &[(ContentType, &[u8])]) -> Outcome {
    let (mut client, mut server) = connected();
    seal_to(&mut server, &mut client, records);
    let r = client.process();
    (r.err().and_then(|e| e.sent_alert()), drain(&mut client))
}

fn through_kernel(records: &[(ContentType, &[u8])]) -> Outcome {
    let (mut client, _server) = connected();
    client
        .move_to_kernel(crate::offload::Direction::Recv)
        .unwrap();
    let mut r = Ok(());
    for (typ, body) in records {
        r = client.process_kernel_record(typ.0, body);
        if r.is_err() {
            break;
        }
    }
    (r.err().and_then(|e| e.sent_alert()), drain(&mut client))
}

#[test]
fn both_receive_paths_make_the_same_of_the_same_plaintext() {
    use ContentType as T;
    let cases: [&[(ContentType, &[u8])]; 7] = [
        &[(T::APPLICATION_DATA, b"one"), (T::APPLICATION_DATA, b"two")],
        &[
            (T::APPLICATION_DATA, b""),
            (T::APPLICATION_DATA, b"after empty"),
        ],
        &[(T::HANDSHAKE, b"")],
        &[(T::ALERT, &[1, 2, 3])],
        &[(T::ALERT, &[3, 0])],
        &[(T::HANDSHAKE, &[20, 0, 0, 1, 0])],
        &[
            (T::APPLICATION_DATA, b"before"),
            (T::ALERT, &[1, 0]),
            (T::APPLICATION_DATA, b"ignored"),
        ],
    ];
    for records in cases {
        let user = through_userspace(records);
        assert_eq!(user, through_kernel(records), "{records:?}");
    }
    // And they do fail where they should.
    assert_eq!(
        through_kernel(cases[2]).0,
        Some(AlertDescription::UNEXPECTED_MESSAGE)
    );
    assert_eq!(through_kernel(cases[6]).1, b"before");
}
