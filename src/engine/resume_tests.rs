//! TLS 1.3 resumption end to end, engine to engine: tickets issued and
//! kept, offered and resumed, and every reason a server refuses one.

use super::tests::pump;
use super::*;
use crate::cert::CertChainAndKey;
use crate::resumption::{ResumptionRefusal, SavedSession, TicketKeys};
use std::cell::Cell;
use std::sync::Arc;

thread_local! {
    /// This test thread's wall clock (Unix seconds).
    static NOW: Cell<u64> = const { Cell::new(1_800_000_000) };
}

fn clock() -> u64 {
    NOW.with(Cell::get)
}

fn advance(secs: u64) {
    NOW.with(|n| n.set(n.get() + secs));
}

fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

struct Setup {
    server: ConfigBuilder,
    client: ConfigBuilder,
}

use crate::config::ConfigBuilder;

fn setup() -> Setup {
    let mut server = Config::builder_minimal();
    server.add_cert_chain_and_key(
        CertChainAndKey::from_pem_files(data("server-p256-chain.pem"), data("server-p256.key"))
            .unwrap(),
    );
    server.session_tickets(true).set_wall_clock(clock);
    let mut client = Config::builder_minimal();
    client
        .add_pem_to_trust_store(&std::fs::read(data("ca-ecdsa.pem")).unwrap())
        .unwrap();
    client.session_tickets(true).set_wall_clock(clock);
    Setup { server, client }
}

impl Setup {
    fn build(self) -> (Config, Config) {
        (self.server.build().unwrap(), self.client.build().unwrap())
    }
}

/// Runs a handshake (offering `offer`) and reads what the server sends after it.
fn handshake(
    server: &Config,
    client: &Config,
    name: &str,
    offer: Option<SavedSession>,
) -> Result<(Engine, Engine)> {
    let mut c = Engine::new(client.clone(), Mode::Client);
    c.set_server_name(name.into());
    if let Some(s) = offer {
        c.set_resumption_offer(s).unwrap();
    }
    let mut s = Engine::new(server.clone(), Mode::Server);
    c.start()?;
    for _ in 0..4 {
        pump(&mut c, &mut s)?;
        pump(&mut s, &mut c)?;
    }
    assert!(c.is_handshake_complete() && s.is_handshake_complete());
    Ok((c, s))
}

fn ticket(server: &Config, client: &Config) -> SavedSession {
    let (c, _) = handshake(server, client, "localhost", None).unwrap();
    c.received_session().cloned().expect("a ticket")
}

#[test]
fn a_ticket_resumes_without_certificates_and_the_connection_works() {
    let (server, client) = setup().build();
    let (c, s) = handshake(&server, &client, "localhost", None).unwrap();
    assert!(!c.info().resumed && !s.info().resumed);
    let saved = c.received_session().cloned().unwrap();
    assert_eq!(saved.version(), ProtocolVersion::TLSV1_3);
    assert!(saved.is_single_use());
    advance(5);
    let (mut c, mut s) = handshake(&server, &client, "localhost", Some(saved)).unwrap();
    assert!(c.info().resumed && s.info().resumed);
    assert_eq!(s.info().resumed_age, Some(5));
    assert!(s.info().selected_cert.is_none() && s.info().refusal.is_none());
    // The client still knows whom it talks to.
    assert!(!c.info().peer_chain.is_empty());
    // psk_dhe_ke: a fresh key exchange.
    assert!(c.info().group.is_some());
    c.write_app_record(b"resumed").unwrap();
    pump(&mut c, &mut s).unwrap();
    assert_eq!(super::tests::drain(&mut s), b"resumed");
    // A resumed connection gets a fresh ticket too.
    assert!(c.received_session().is_some());
}

#[test]
fn ticket_count_and_extra_tickets() {
    let mut st = setup();
    st.server.set_initial_ticket_count(3);
    let seen = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen2 = seen.clone();
    st.client.set_session_callback(move |_| {
        seen2.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    });
    let (server, client) = st.build();
    let (mut c, mut s) = handshake(&server, &client, "localhost", None).unwrap();
    assert_eq!(seen.load(std::sync::atomic::Ordering::SeqCst), 3);
    s.add_tickets_to_send(2).unwrap();
    pump(&mut s, &mut c).unwrap();
    assert_eq!(seen.load(std::sync::atomic::Ordering::SeqCst), 5);
    assert_eq!(
        c.add_tickets_to_send(1).unwrap_err().kind(),
        crate::ErrorKind::Usage
    );
}

#[test]
fn no_tickets_when_the_server_has_them_off_or_no_key_may_encrypt() {
    let mut st = setup();
    st.server.session_tickets(false);
    let (server, client) = st.build();
    let (c, _) = handshake(&server, &client, "localhost", None).unwrap();
    assert!(c.received_session().is_none());

    let mut st = setup();
    st.server.set_ticket_keys(Arc::new(TicketKeys::new()));
    let (server, client) = st.build();
    let (c, _) = handshake(&server, &client, "localhost", None).unwrap();
    assert!(
        c.received_session().is_none(),
        "no key, no ticket, no failure"
    );
}

fn refused(server: &Config, client: &Config, saved: SavedSession) -> Option<ResumptionRefusal> {
    let (c, s) = handshake(server, client, "localhost", Some(saved)).unwrap();
    assert!(!c.info().resumed && !s.info().resumed);
    assert!(s.info().selected_cert.is_some(), "a full handshake");
    s.info().refusal
}

#[test]
fn a_retired_key_gives_a_full_handshake() {
    let keys = Arc::new(TicketKeys::new());
    keys.add_key(b"key-1", &[7; 32], clock()).unwrap();
    let mut st = setup();
    st.server.set_ticket_keys(keys.clone());
    let (server, client) = st.build();
    let saved = ticket(&server, &client);
    assert!(keys.remove_key(b"key-1"));
    keys.add_key(b"key-2", &[8; 32], clock()).unwrap();
    assert_eq!(
        refused(&server, &client, saved),
        Some(ResumptionRefusal::UnknownKey)
    );
}

#[test]
fn a_key_added_to_a_live_config_is_used_without_a_rebuild() {
    let keys = Arc::new(TicketKeys::new());
    let mut st = setup();
    st.server.set_ticket_keys(keys.clone());
    let (server, client) = st.build();
    let (c, _) = handshake(&server, &client, "localhost", None).unwrap();
    assert!(c.received_session().is_none());
    server
        .ticket_keys()
        .add_key(b"late", &[9; 32], clock())
        .unwrap();
    let saved = ticket(&server, &client);
    let (c, _) = handshake(&server, &client, "localhost", Some(saved)).unwrap();
    assert!(c.info().resumed);
}

#[test]
fn hostile_tickets_give_a_full_handshake() {
    let (server, client) = setup().build();
    let saved = ticket(&server, &client);
    let mut truncated = saved.clone();
    truncated.ticket.truncate(truncated.ticket.len() / 2);
    let mut flipped = saved.clone();
    let last = flipped.ticket.len() - 1;
    flipped.ticket[last] ^= 1;
    let mut renamed = saved.clone();
    renamed.ticket[2] ^= 0x40;
    let mut junk = saved.clone();
    junk.ticket = vec![0xff; 3];
    for (what, s) in [
        ("truncated", truncated),
        ("flipped", flipped),
        ("renamed", renamed),
        ("junk", junk),
    ] {
        let r = refused(&server, &client, s);
        assert!(
            matches!(
                r,
                Some(ResumptionRefusal::Malformed | ResumptionRefusal::UnknownKey)
            ),
            "{what}: {r:?}"
        );
    }
}

#[test]
fn expired_tickets_and_keying_material_give_a_full_handshake() {
    let mut st = setup();
    st.server
        .set_session_lifetime(std::time::Duration::from_secs(100))
        .unwrap();
    let (server, client) = st.build();
    let saved = ticket(&server, &client);
    assert_eq!(saved.lifetime_secs(), 100);
    advance(101);
    // The client knows it expired and does not offer it; forced, the server refuses.
    let mut c = Engine::new(client.clone(), Mode::Client);
    c.set_server_name("localhost".into());
    assert!(super::client13::offer_is_usable_for_test(&mut c, saved.clone()).is_none());
    let mut forced = saved;
    forced.lifetime = 1000;
    assert_eq!(
        refused(&server, &client, forced),
        Some(ResumptionRefusal::Expired)
    );

    // Each resumption issues a ticket, but not past the keying material's life.
    let mut st = setup();
    st.server
        .set_keying_material_lifetime(std::time::Duration::from_secs(50));
    let (server, client) = st.build();
    let saved = ticket(&server, &client);
    assert_eq!(saved.lifetime_secs(), 50);
    advance(30);
    let (c, _) = handshake(&server, &client, "localhost", Some(saved)).unwrap();
    assert!(c.info().resumed);
    let next = c.received_session().cloned().unwrap();
    assert_eq!(
        next.lifetime_secs(),
        20,
        "bounded by the original authentication"
    );
    advance(21);
    let mut forced = next;
    forced.lifetime = 1000;
    forced.received_at = clock();
    forced.age_add = forced.age_add.wrapping_sub(21_000);
    assert_eq!(
        refused(&server, &client, forced),
        Some(ResumptionRefusal::Expired)
    );
}

#[test]
fn a_ticket_for_another_name_is_not_resumed() {
    let (server, client) = setup().build();
    let saved = ticket(&server, &client);
    // The client does not offer it to another name...
    let mut c = Engine::new(client.clone(), Mode::Client);
    c.set_server_name("other.example".into());
    assert!(super::client13::offer_is_usable_for_test(&mut c, saved.clone()).is_none());
    // ...and the server refuses it when it is offered anyway.
    let mut lying = saved;
    lying.server_name = Some("other.example".into());
    let (c, s) = handshake_expecting_failure_or_not(&server, &client, "other.example", lying);
    assert!(!c && s == Some(ResumptionRefusal::Mismatch));
}

/// Offers `saved` to `name` (the certificate check is off for the client
/// here: the name is not in it). Returns (resumed, server's refusal).
fn handshake_expecting_failure_or_not(
    server: &Config,
    _client: &Config,
    name: &str,
    saved: SavedSession,
) -> (bool, Option<ResumptionRefusal>) {
    let mut cb = Config::builder_minimal();
    cb.disable_x509_verification()
        .session_tickets(true)
        .set_wall_clock(clock);
    let (c, s) = handshake(server, &cb.build().unwrap(), name, Some(saved)).unwrap();
    (c.info().resumed, s.info().refusal)
}

#[test]
fn an_age_outside_the_window_is_refused() {
    let (server, client) = setup().build();
    let saved = ticket(&server, &client);
    let mut skewed = saved.clone();
    skewed.age_add = skewed.age_add.wrapping_add(12_000);
    assert_eq!(
        refused(&server, &client, skewed),
        Some(ResumptionRefusal::AgeOutOfWindow)
    );
    let mut inside = saved;
    inside.age_add = inside.age_add.wrapping_add(9_000);
    let (c, _) = handshake(&server, &client, "localhost", Some(inside)).unwrap();
    assert!(c.info().resumed);
}

#[test]
fn the_server_reports_the_ticket_age_skew_in_seconds_and_no_session_id() {
    let (server, client) = setup().build();
    let (c, s) = handshake(&server, &client, "localhost", None).unwrap();
    assert_eq!(s.info().ticket_age_skew, None, "nothing resumed");
    // TLS 1.3 sessions are tickets: no session id on either side.
    assert!(c.info().session_id.is_none() && s.info().session_id.is_none());
    let saved = c.received_session().cloned().unwrap();
    advance(20);
    // The client's clock ran 4.5 s ahead: its 24.5 s count as 24 s.
    let mut ahead = saved.clone();
    ahead.age_add = ahead.age_add.wrapping_add(4_500);
    let (c, s) = handshake(&server, &client, "localhost", Some(ahead)).unwrap();
    assert!(s.info().resumed);
    assert_eq!(s.info().ticket_age_skew, Some(4));
    assert_eq!(c.info().ticket_age_skew, None, "a server's measure");
    assert!(c.info().session_id.is_none() && s.info().session_id.is_none());
    // 3 s behind (a fresh copy: the client offers a ticket once).
    let mut behind = saved.clone();
    behind.age_add = behind.age_add.wrapping_sub(3_000);
    let (_, s) = handshake(&server, &client, "localhost", Some(behind)).unwrap();
    assert_eq!(s.info().ticket_age_skew, Some(-3));
    // A refused ticket (out of the 10 s window) leaves none.
    let mut far = saved;
    far.age_add = far.age_add.wrapping_add(30_000);
    let (_, s) = handshake(&server, &client, "localhost", Some(far)).unwrap();
    assert!(!s.info().resumed);
    assert_eq!(s.info().ticket_age_skew, None);
}

#[test]
fn a_bad_binder_fails_the_handshake_with_decrypt_error() {
    let (server, client) = setup().build();
    let mut saved = ticket(&server, &client);
    saved.secret = crate::secrets::Secret::new(&[0x42; 32]);
    let err = handshake(&server, &client, "localhost", Some(saved)).unwrap_err();
    assert_eq!(err.sent_alert(), Some(AlertDescription::DECRYPT_ERROR));
}

#[test]
fn resumption_survives_a_hello_retry_request() {
    let mut st = setup();
    static P384_FIRST: crate::policy::SecurityPolicy = crate::policy::SecurityPolicy {
        name: "p384-only",
        min_version: ProtocolVersion::TLSV1_3,
        max_version: ProtocolVersion::TLSV1_3,
        cipher_suites: &[crate::CipherSuite::TLS13_AES_128_GCM_SHA256],
        signature_schemes: &[crate::SignatureScheme::ECDSA_SECP256R1_SHA256],
        groups: &[crate::NamedGroup::SECP384R1],
        certificate_signature_schemes: None,
        chacha20_boosted: false,
    };
    st.server.custom_security_policy(&P384_FIRST).unwrap();
    let (server, client) = st.build();
    let saved = ticket(&server, &client);
    let (c, s) = handshake(&server, &client, "localhost", Some(saved)).unwrap();
    assert!(c.info().hello_retry && c.info().resumed && s.info().resumed);
}

#[test]
fn the_client_store_resumes_by_name_and_uses_each_ticket_once() {
    let (server, client) = setup().build();
    let store = client.inner.resumption.client_store.clone().unwrap();
    let (c, _) = handshake(&server, &client, "localhost", None).unwrap();
    assert!(!c.info().resumed);
    assert_eq!(store.count("localhost"), 1);
    // Taken by the next ClientHello, replaced by that connection's ticket.
    let mut c = Engine::new(client.clone(), Mode::Client);
    c.set_server_name("localhost".into());
    c.start().unwrap();
    assert_eq!(
        store.count("localhost"),
        0,
        "a TLS 1.3 ticket is offered once"
    );
    let (c, _) = handshake(&server, &client, "localhost", None).unwrap();
    assert!(!c.info().resumed, "the store was empty");
    let (c, _) = handshake(&server, &client, "localhost", None).unwrap();
    assert!(c.info().resumed);
    assert_eq!(store.count("localhost"), 1);
    // Another name has nothing to resume.
    assert!(store.take("example.com").is_none());
}

/// The extension types of the server's EncryptedExtensions, read with the
/// client's handshake key from the server's first flight.
fn encrypted_extension_types(
    server: &Config,
    client: &Config,
    offer: Option<SavedSession>,
) -> Vec<u16> {
    use crate::msgs::enums::ContentType;
    use crate::record::protect::Decrypter;
    let mut c = Engine::new(client.clone(), Mode::Client);
    c.set_server_name("localhost".into());
    if let Some(s) = offer {
        c.set_resumption_offer(s).unwrap();
    }
    let mut s = Engine::new(server.clone(), Mode::Server);
    c.start().unwrap();
    pump(&mut c, &mut s).unwrap();
    let flight = s.pending_output().to_vec();
    let mut records = Vec::new();
    let mut rest = &flight[..];
    while rest.len() >= 5 {
        let len = 5 + usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        records.push(rest[..len].to_vec());
        rest = &rest[len..];
    }
    // The ServerHello (in the clear) gives the client its handshake key.
    let first = &records[0];
    c.read_space(usize::MAX)[..first.len()].copy_from_slice(first);
    c.commit_read(first.len());
    c.process().unwrap();
    let k = c.c.recv.state.decrypter().unwrap().traffic_keys();
    let mut dec =
        Decrypter::new_tls13(k.aead, &k.key, k.iv.as_bytes().try_into().unwrap()).unwrap();
    dec.set_seq_for_test(k.seq);
    let mut hs = Vec::new();
    for r in records
        .iter()
        .filter(|r| r[0] == ContentType::APPLICATION_DATA.0)
    {
        let mut body = r[5..].to_vec();
        let (typ, range) = dec.open(&r[..5].try_into().unwrap(), &mut body).unwrap();
        assert_eq!(typ, ContentType::HANDSHAKE);
        hs.extend_from_slice(&body[range]);
    }
    // EncryptedExtensions (type 8) comes first: type, u24 length, u16 block length.
    assert_eq!(hs[0], 8);
    let block = &hs[6..6 + usize::from(u16::from_be_bytes([hs[4], hs[5]]))];
    let mut types = Vec::new();
    let mut rest = block;
    while rest.len() >= 4 {
        types.push(u16::from_be_bytes([rest[0], rest[1]]));
        rest = &rest[4 + usize::from(u16::from_be_bytes([rest[2], rest[3]]))..];
    }
    types
}

/// RFC 6066 §3: a server resuming a session does not acknowledge the server
/// name (BoringSSL's TLS 1.3 server does not either, and its runner refuses
/// the ack); a full handshake still acknowledges it.
#[test]
fn a_resumed_session_does_not_acknowledge_the_server_name() {
    let (server, client) = setup().build();
    assert!(encrypted_extension_types(&server, &client, None).contains(&0));
    let saved = ticket(&server, &client);
    assert!(!encrypted_extension_types(&server, &client, Some(saved)).contains(&0));
}

#[test]
fn a_ticket_resumes_only_under_the_resumption_context_it_was_sealed_with() {
    // Two configs sharing one key set (as sites sharing a Redis key source),
    // each with its own context, and a third with the first one's.
    let keys = Arc::new(TicketKeys::new());
    keys.add_key(b"shared", &[5; 32], clock()).unwrap();
    let server_with = |context: &[u8]| {
        let mut st = setup();
        st.server.set_ticket_keys(keys.clone());
        st.server.set_resumption_context(context).unwrap();
        st.build()
    };
    let (a, client) = server_with(b"site-a");
    let (b, _) = server_with(b"site-b");
    let (a_again, _) = server_with(b"site-a");
    let (no_context, _) = {
        let mut st = setup();
        st.server.set_ticket_keys(keys.clone());
        st.build()
    };
    let saved = ticket(&a, &client);
    assert_eq!(
        refused(&b, &client, saved.clone()),
        Some(ResumptionRefusal::Malformed)
    );
    assert_eq!(
        refused(&no_context, &client, saved.clone()),
        Some(ResumptionRefusal::Malformed)
    );
    let (c, s) = handshake(&a_again, &client, "localhost", Some(saved)).unwrap();
    assert!(c.info().resumed && s.info().resumed);
    let mut st = setup();
    assert!(st.server.set_resumption_context(&[0; 65]).is_err());
    assert!(st.server.set_resumption_context(&[0; 64]).is_ok());
}
