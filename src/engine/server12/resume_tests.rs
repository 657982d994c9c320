//! TLS 1.2 resumption end to end, engine to engine: tickets (RFC 5077) and
//! session ids with a cache, the abbreviated handshake, every reason a
//! server refuses a session, the client's checks of a resuming ServerHello,
//! and a cache lookup that answers later.

use super::super::tests::{drain, pump};
use super::super::*;
use crate::cert::CertChainAndKey;
use crate::config::ConfigBuilder;
use crate::msgs::enums::CipherSuite;
use crate::resumption::state::ServerSessionState;
use crate::resumption::{
    CacheLookup, LookupAnswer, MemorySessionCache, PendingLookup, ResumptionRefusal, SavedSession,
    SessionCache, TicketKeys,
};
use std::cell::Cell;
use std::sync::{Arc, Mutex};
use std::time::Duration;

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

/// TLS 1.2 only, two ECDSA suites (so a resumption can claim another one).
static TLS12: crate::policy::SecurityPolicy = crate::policy::SecurityPolicy {
    name: "test-tls12-resume",
    min_version: ProtocolVersion::TLSV1_2,
    max_version: ProtocolVersion::TLSV1_2,
    cipher_suites: &[
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    ],
    signature_schemes: &[crate::SignatureScheme::ECDSA_SECP256R1_SHA256],
    groups: &[crate::NamedGroup::X25519, crate::NamedGroup::SECP256R1],
    certificate_signature_schemes: None,
    chacha20_boosted: false,
};

struct Setup {
    server: ConfigBuilder,
    client: ConfigBuilder,
}

/// Both sides TLS 1.2 with tickets on and the test clock.
fn setup() -> Setup {
    let mut server = Config::builder_minimal();
    server.add_cert_chain_and_key(
        CertChainAndKey::from_pem_files(data("server-p256-chain.pem"), data("server-p256.key"))
            .unwrap(),
    );
    let mut client = Config::builder_minimal();
    client
        .add_pem_to_trust_store(&std::fs::read(data("ca-ecdsa.pem")).unwrap())
        .unwrap();
    for b in [&mut server, &mut client] {
        b.custom_security_policy(&TLS12).unwrap();
        b.session_tickets(true).set_wall_clock(clock);
    }
    Setup { server, client }
}

impl Setup {
    fn build(self) -> (Config, Config) {
        (self.server.build().unwrap(), self.client.build().unwrap())
    }
}

fn engines(
    server: &Config,
    client: &Config,
    name: &str,
    offer: Option<SavedSession>,
) -> (Engine, Engine) {
    let mut c = Engine::new(client.clone(), Mode::Client);
    c.set_server_name(name.into());
    if let Some(s) = offer {
        c.set_resumption_offer(s).unwrap();
    }
    (c, Engine::new(server.clone(), Mode::Server))
}

/// Runs a handshake offering `offer`.
fn handshake(
    server: &Config,
    client: &Config,
    name: &str,
    offer: Option<SavedSession>,
) -> Result<(Engine, Engine)> {
    let (mut c, mut s) = engines(server, client, name, offer);
    c.start()?;
    for _ in 0..4 {
        pump(&mut c, &mut s)?;
        pump(&mut s, &mut c)?;
    }
    assert!(c.is_handshake_complete() && s.is_handshake_complete());
    assert!(c.is_tls12());
    Ok((c, s))
}

fn session(server: &Config, client: &Config) -> SavedSession {
    let (c, _) = handshake(server, client, "localhost", None).unwrap();
    c.received_session().cloned().expect("a session to resume")
}

/// Data both ways, and both ends export the same keying material.
fn works(c: &mut Engine, s: &mut Engine) {
    c.write_app_record(b"ping").unwrap();
    pump(c, s).unwrap();
    assert_eq!(drain(s), b"ping");
    s.write_app_record(b"pong").unwrap();
    pump(s, c).unwrap();
    assert_eq!(drain(c), b"pong");
    let (Some(Exporter::Tls12 { master: a, .. }), Some(Exporter::Tls12 { master: b, .. })) =
        (c.exporter(), s.exporter())
    else {
        panic!("no TLS 1.2 exporter");
    };
    assert_eq!(a.as_bytes(), b.as_bytes());
}

/// Feeds `bytes` to `e` and processes them.
fn feed(e: &mut Engine, bytes: &[u8]) -> Result<()> {
    let space = e.read_space(usize::MAX);
    space[..bytes.len()].copy_from_slice(bytes);
    e.commit_read(bytes.len());
    e.process()
}

fn resumed(c: &Engine, s: &Engine) -> bool {
    assert_eq!(c.info().resumed, s.info().resumed, "both ends agree");
    s.info().resumed
}

#[test]
fn a_ticket_resumes_with_an_abbreviated_handshake() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    let mut st = setup();
    st.client
        .set_session_callback(move |s| seen2.lock().unwrap().push(s.clone()));
    let (server, client) = st.build();
    let (c, s) = handshake(&server, &client, "localhost", None).unwrap();
    assert!(!resumed(&c, &s));
    let saved = c.received_session().cloned().unwrap();
    assert_eq!(saved.version(), ProtocolVersion::TLSV1_2);
    assert!(!saved.is_single_use());
    assert!(!saved.ticket.is_empty() && saved.ems);
    // A ticket, not a cache entry: no session id (as OpenSSL).
    assert!(saved.session_id.is_empty());
    assert_eq!(u64::from(saved.lifetime_secs()), 15 * 3600);
    assert_eq!(seen.lock().unwrap().len(), 1);

    advance(7);
    let (mut c, mut s) = handshake(&server, &client, "localhost", Some(saved.clone())).unwrap();
    assert!(resumed(&c, &s));
    assert_eq!(s.info().resumed_age, Some(7));
    assert_eq!(c.info().resumed_age, Some(7));
    assert!(s.info().selected_cert.is_none() && s.info().refusal.is_none());
    assert!(c.info().group.is_none(), "no key exchange");
    assert_eq!(c.info().peer_chain, saved.peer_chain);
    assert_eq!(c.info().ems, Some(true));
    works(&mut c, &mut s);
    // The same session stays resumable (TLS 1.2 tickets are not single use),
    // as old as it was: no new ticket on resumption (as s2n).
    let again = c.received_session().cloned().unwrap();
    assert_eq!(again.ticket, saved.ticket);
    assert_eq!(again.received_at, saved.received_at);
    let (c, s) = handshake(&server, &client, "localhost", Some(again)).unwrap();
    assert!(resumed(&c, &s));
}

#[test]
fn a_session_id_resumes_through_the_cache() {
    let mut st = setup();
    let cache = Arc::new(MemorySessionCache::new(16));
    st.server
        .session_tickets(false)
        .set_session_cache(cache.clone());
    st.client.session_tickets(false);
    let (server, client) = st.build();
    let saved = session(&server, &client);
    assert!(saved.ticket.is_empty());
    assert_eq!(saved.session_id.len(), 32);
    assert_eq!(cache.len(), 1);
    let (mut c, mut s) = handshake(&server, &client, "localhost", Some(saved.clone())).unwrap();
    assert!(resumed(&c, &s));
    works(&mut c, &mut s);

    // Another server's cache does not have it: a full handshake.
    let mut st = setup();
    st.server
        .session_tickets(false)
        .set_session_cache(Arc::new(MemorySessionCache::new(16)));
    st.client.session_tickets(false);
    let (other, client) = st.build();
    let (c, s) = handshake(&other, &client, "localhost", Some(saved)).unwrap();
    assert!(!resumed(&c, &s));
    assert_eq!(s.info().refusal, Some(ResumptionRefusal::CacheMiss));
    assert!(s.info().selected_cert.is_some());
}

#[test]
fn the_session_id_is_the_cache_key_on_both_sides() {
    let mut st = setup();
    let cache = Arc::new(MemorySessionCache::new(16));
    st.server
        .session_tickets(false)
        .set_session_cache(cache.clone());
    st.client.session_tickets(false);
    let (server, client) = st.build();
    let (c, s) = handshake(&server, &client, "localhost", None).unwrap();
    let id = s.info().session_id.clone().expect("an id for the cache");
    assert_eq!(id.len(), 32);
    assert_eq!(c.info().session_id.as_ref(), Some(&id));
    assert!(matches!(cache.retrieve(&id), CacheLookup::Found(_)));
    let saved = c.received_session().cloned().unwrap();
    let (c, s) = handshake(&server, &client, "localhost", Some(saved)).unwrap();
    assert!(resumed(&c, &s));
    assert_eq!(s.info().session_id.as_ref(), Some(&id));
    assert_eq!(c.info().session_id.as_ref(), Some(&id));
    assert_eq!(
        s.info().ticket_age_skew,
        None,
        "TLS 1.2 tickets have no age"
    );

    // A ticket is the session: no id, also when resumed (the id the client
    // sent beside it, echoed, is only a marker).
    let mut st = setup();
    st.server
        .set_session_cache(Arc::new(MemorySessionCache::new(16)));
    let (server, client) = st.build();
    let (c, s) = handshake(&server, &client, "localhost", None).unwrap();
    assert!(c.info().session_id.is_none() && s.info().session_id.is_none());
    let saved = c.received_session().cloned().unwrap();
    let (c, s) = handshake(&server, &client, "localhost", Some(saved)).unwrap();
    assert!(resumed(&c, &s));
    assert!(c.info().session_id.is_none() && s.info().session_id.is_none());

    // Neither tickets nor a cache: nothing to resume with, no id.
    let mut st = setup();
    st.server.session_tickets(false);
    let (server, client) = st.build();
    let (c, s) = handshake(&server, &client, "localhost", None).unwrap();
    assert!(c.info().session_id.is_none() && s.info().session_id.is_none());
}

#[test]
fn a_refused_cache_entry_is_deleted() {
    let mut st = setup();
    let cache = Arc::new(MemorySessionCache::new(16));
    st.server
        .session_tickets(false)
        .set_session_cache(cache.clone());
    st.client.session_tickets(false);
    let (server, client) = st.build();
    let saved = session(&server, &client);
    // Offered for another name: the server refuses it and forgets it.
    let mut other_name = saved.clone();
    other_name.server_name = Some("server.test".into());
    let (c, s) = handshake(&server, &client, "server.test", Some(other_name)).unwrap();
    assert!(!resumed(&c, &s));
    assert_eq!(s.info().refusal, Some(ResumptionRefusal::Mismatch));
    assert!(matches!(
        cache.retrieve(&saved.session_id),
        CacheLookup::NotFound
    ));
}

#[test]
fn nothing_to_resume_when_no_key_may_encrypt_and_never_a_failure() {
    let mut st = setup();
    st.server.set_ticket_keys(Arc::new(TicketKeys::new()));
    let (server, client) = st.build();
    let (c, s) = handshake(&server, &client, "localhost", None).unwrap();
    assert!(c.received_session().is_none());
    assert!(s.info().selected_cert.is_some());

    // With a cache: no session id either, nothing stored.
    let mut st = setup();
    let cache = Arc::new(MemorySessionCache::new(16));
    st.server
        .set_ticket_keys(Arc::new(TicketKeys::new()))
        .set_session_cache(cache.clone());
    let (server, client) = st.build();
    let (c, _) = handshake(&server, &client, "localhost", None).unwrap();
    assert!(c.received_session().is_none());
    assert!(cache.is_empty());

    // Tickets off on the server: none offered, none sent.
    let mut st = setup();
    st.server.session_tickets(false);
    let (server, client) = st.build();
    let (c, _) = handshake(&server, &client, "localhost", None).unwrap();
    assert!(c.received_session().is_none());
}

/// Offers `saved` (the client's own checks bypassed where the test says so)
/// and returns the server's refusal after a full handshake.
fn refused(
    server: &Config,
    client: &Config,
    name: &str,
    saved: SavedSession,
) -> Option<ResumptionRefusal> {
    let (mut c, mut s) = handshake(server, client, name, Some(saved)).unwrap();
    assert!(!resumed(&c, &s), "a refused session must not resume");
    assert!(s.info().selected_cert.is_some(), "full handshake");
    works(&mut c, &mut s);
    s.info().refusal
}

#[test]
fn hostile_tickets_get_a_full_handshake_never_a_failure() {
    let keys = Arc::new(TicketKeys::new());
    keys.add_key_at(clock(), b"key-one", &[7; 32], clock())
        .unwrap();
    let mut st = setup();
    st.server.set_ticket_keys(keys.clone());
    let (server, client) = st.build();
    let saved = session(&server, &client);

    let with_ticket = |t: Vec<u8>| {
        let mut s = saved.clone();
        s.ticket = t;
        s
    };
    let t = saved.ticket.clone();
    // Truncated, at every length that matters.
    for len in [1, 4, 16, t.len() / 2, t.len() - 1] {
        let r = refused(
            &server,
            &client,
            "localhost",
            with_ticket(t[..len].to_vec()),
        );
        assert!(r.is_some(), "truncated to {len}");
    }
    // Each bit flipped somewhere along it.
    for i in (0..t.len()).step_by(7) {
        let mut bad = t.clone();
        bad[i] ^= 0x10;
        let r = refused(&server, &client, "localhost", with_ticket(bad));
        assert!(
            matches!(
                r,
                Some(ResumptionRefusal::Malformed | ResumptionRefusal::UnknownKey)
            ),
            "bit flipped at {i}: {r:?}"
        );
    }
    // A key this server never had.
    let mut st = setup();
    let other = Arc::new(TicketKeys::new());
    other
        .add_key_at(clock(), b"key-two", &[8; 32], clock())
        .unwrap();
    st.server.set_ticket_keys(other);
    let (other_server, client2) = st.build();
    assert_eq!(
        refused(&other_server, &client2, "localhost", saved.clone()),
        Some(ResumptionRefusal::UnknownKey)
    );
    // Another server name (the client's own filter bypassed).
    let mut renamed = saved.clone();
    renamed.server_name = Some("server.test".into());
    assert_eq!(
        refused(&server, &client, "server.test", renamed),
        Some(ResumptionRefusal::Mismatch)
    );
    // Past its lifetime (the client's view bypassed).
    advance(15 * 3600);
    let mut stale = saved.clone();
    stale.lifetime = u32::MAX;
    assert_eq!(
        refused(&server, &client, "localhost", stale),
        Some(ResumptionRefusal::Expired)
    );
}

/// A ClientHello and its extensions as a TLS 1.2 client sends them.
fn hello(ems: bool, ticket: Vec<u8>) -> (ClientHello, ClientExtensions) {
    let exts = ClientExtensions {
        server_name: Some("localhost".into()),
        extended_master_secret: ems,
        session_ticket: Some(ticket),
        ..Default::default()
    };
    let ch = ClientHello {
        legacy_version: ProtocolVersion::TLSV1_2,
        random: [1; 32],
        session_id: vec![2; 32],
        cipher_suites: TLS12.cipher_suites.to_vec(),
        compression_methods: vec![0],
        extensions: Vec::new(),
    };
    (ch, exts)
}

use crate::msgs::extensions::ClientExtensions;
use crate::msgs::handshake::ClientHello;

#[test]
fn the_extended_master_secret_must_match_both_ways() {
    // RFC 7627 §5.3: a session with EMS and a hello without it, or the
    // reverse: full handshake; without EMS at all only where not required.
    let mut st = setup();
    st.server.require_extended_master_secret(false);
    let (server, _) = st.build();
    let mut c = Common::new(server.clone(), Mode::Server);
    let state = |ems| ServerSessionState {
        version: ProtocolVersion::TLSV1_2,
        suite: CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        secret: crate::secrets::Secret::new(&[3; 48]),
        ems,
        issued_at: clock(),
        auth_time: clock(),
        lifetime: 3600,
        age_add: 0,
        max_early_data: 0,
        server_name: Some("localhost".into()),
        alpn: None,
        peer_chain: Vec::new(),
    };
    let ticket = |ems| {
        server
            .ticket_keys()
            .seal(clock(), &state(ems).encode(), &[])
            .unwrap()
    };
    for (session_ems, hello_ems, resumes) in [
        (true, true, true),
        (true, false, false),
        (false, true, false),
        (false, false, true),
    ] {
        c.info.refusal = None;
        let (ch, exts) = hello(hello_ems, ticket(session_ems));
        let d = super::resume::decide(&mut c, &ch, &exts);
        assert_eq!(
            matches!(d, super::resume::Decision::Resume(_)),
            resumes,
            "session EMS {session_ems}, hello EMS {hello_ems}"
        );
        if !resumes {
            assert_eq!(c.info.refusal, Some(ResumptionRefusal::Mismatch));
        }
    }
    // Where EMS is required, a session without it never resumes.
    let mut st = setup();
    st.server.require_extended_master_secret(true);
    let (strict, _) = st.build();
    let mut c = Common::new(strict.clone(), Mode::Server);
    let sealed = strict
        .ticket_keys()
        .seal(clock(), &state(false).encode(), &[])
        .unwrap();
    let (ch, exts) = hello(true, sealed);
    assert!(matches!(
        super::resume::decide(&mut c, &ch, &exts),
        super::resume::Decision::Full
    ));
}

#[test]
fn the_client_refuses_a_resumption_that_changes_suite_or_ems() {
    let (server, client) = setup().build();
    let saved = session(&server, &client);
    // RFC 7627 §5.3: the client MUST abort (handshake_failure).
    let mut no_ems = saved.clone();
    no_ems.ems = false;
    let mut st = setup();
    st.client.require_extended_master_secret(false);
    let (_, lax_client) = st.build();
    let err = handshake(&server, &lax_client, "localhost", Some(no_ems)).unwrap_err();
    assert_eq!(
        err.sent_alert(),
        Some(AlertDescription::HANDSHAKE_FAILURE),
        "{err}"
    );
    // RFC 5246 §7.4.1.3: the same cipher suite as the session's.
    let mut other_suite = saved.clone();
    other_suite.suite = CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384;
    let err = handshake(&server, &client, "localhost", Some(other_suite)).unwrap_err();
    assert_eq!(
        err.sent_alert(),
        Some(AlertDescription::ILLEGAL_PARAMETER),
        "{err}"
    );
}

#[test]
fn an_unannounced_new_session_ticket_is_unexpected() {
    // No key may encrypt: the ServerHello announces no ticket.
    let mut st = setup();
    st.server.set_ticket_keys(Arc::new(TicketKeys::new()));
    let (server, client) = st.build();
    let (mut c, mut s) = engines(&server, &client, "localhost", None);
    c.start().unwrap();
    pump(&mut c, &mut s).unwrap();
    pump(&mut s, &mut c).unwrap();
    pump(&mut c, &mut s).unwrap();
    // A NewSessionTicket ahead of the server's ChangeCipherSpec.
    let mut rec = vec![22, 3, 3, 0, 10, 4, 0, 0, 6, 0, 0, 0, 60, 0, 0];
    rec.extend_from_slice(s.pending_output());
    let err = feed(&mut c, &rec).unwrap_err();
    assert_eq!(
        err.sent_alert(),
        Some(AlertDescription::UNEXPECTED_MESSAGE),
        "{err}"
    );
}

/// A cache whose lookups answer later, when the test says.
#[derive(Default)]
struct SlowCache {
    inner: Option<Arc<MemorySessionCache>>,
    answers: Mutex<Vec<(LookupAnswer, Option<Vec<u8>>)>>,
}

impl SessionCache for SlowCache {
    fn store(&self, id: &[u8], value: &[u8], ttl: Duration) {
        if let Some(c) = &self.inner {
            c.store(id, value, ttl);
        }
    }
    fn retrieve(&self, id: &[u8]) -> CacheLookup {
        let found = match self.inner.as_ref().map(|c| c.retrieve(id)) {
            Some(CacheLookup::Found(v)) => Some(v),
            _ => None,
        };
        let (pending, answer) = PendingLookup::new();
        self.answers.lock().unwrap().push((answer, found));
        CacheLookup::Pending(pending)
    }
    fn delete(&self, id: &[u8]) {
        if let Some(c) = &self.inner {
            c.delete(id);
        }
    }
}

/// A session id from a full handshake with `cache`, and a server whose
/// lookups in that cache answer when the test says.
fn slow_setup(found: bool) -> (Config, Config, Arc<SlowCache>, SavedSession) {
    let mut st = setup();
    let cache = Arc::new(MemorySessionCache::new(16));
    st.server
        .session_tickets(false)
        .set_session_cache(cache.clone());
    st.client.session_tickets(false);
    let (server, client) = st.build();
    let saved = session(&server, &client);
    let slow = Arc::new(SlowCache {
        inner: found.then_some(cache),
        ..Default::default()
    });
    let mut st = setup();
    st.server
        .session_tickets(false)
        .set_session_cache(slow.clone());
    st.client.session_tickets(false);
    // The same ticket keys, which seal the cache entries.
    st.server.set_ticket_keys(server.ticket_keys().clone());
    let (server, client) = st.build();
    (server, client, slow, saved)
}

fn answer(slow: &SlowCache) {
    let (a, found) = slow.answers.lock().unwrap().pop().expect("a lookup");
    match found {
        Some(v) => a.found(v),
        None => a.not_found(),
    }
}

#[test]
fn a_lookup_that_answers_later_pauses_the_handshake_with_records_kept() {
    for found in [true, false] {
        let (server, client, slow, saved) = slow_setup(found);
        let (mut c, mut s) = engines(&server, &client, "localhost", Some(saved));
        c.start().unwrap();
        // The ClientHello and a record after it (a warning alert), together.
        let mut bytes = c.pending_output().to_vec();
        c.consume_output(bytes.len());
        bytes.extend_from_slice(&[21, 3, 3, 0, 2, 1, 100]);
        let err = feed(&mut s, &bytes).unwrap_err();
        assert_eq!(err.blocked_on(), Some(crate::Blocked::OnApplicationInput));
        assert!(s.error().is_none(), "blocked is no failure");
        assert!(s.pending_output().is_empty());
        assert_eq!(s.deframer.buffered(), 7, "the record after it waits");
        // Asked again before the answer: still blocked, nothing lost.
        assert!(s.process().unwrap_err().is_blocked());
        assert!(s.awaits_application());
        answer(&slow);
        s.process().unwrap();
        assert!(!s.awaits_application());
        assert_eq!(s.deframer.buffered(), 0);
        for _ in 0..3 {
            pump(&mut s, &mut c).unwrap();
            pump(&mut c, &mut s).unwrap();
        }
        assert!(c.is_handshake_complete() && s.is_handshake_complete());
        assert_eq!(resumed(&c, &s), found);
        if !found {
            assert_eq!(s.info().refusal, Some(ResumptionRefusal::CacheMiss));
        }
        works(&mut c, &mut s);
    }
}

#[test]
fn session_api_reports_the_pause_and_goes_on_after_the_answer() {
    let (server, client, slow, saved) = slow_setup(true);
    let mut c = crate::Session::new_client(&client);
    c.set_server_name("localhost").unwrap();
    c.set_saved_session(saved).unwrap();
    let mut s = crate::Session::new_server(&server);
    assert!(!c.poll_handshake().unwrap());
    let hello = c.pending_tls().to_vec();
    c.consume_tls(hello.len());
    let err = s.feed_tls(&hello).unwrap_err();
    assert_eq!(err.blocked_on(), Some(crate::Blocked::OnApplicationInput));
    assert!(s.poll_handshake().unwrap_err().is_blocked());
    assert!(s.feed_tls(&[]).unwrap_err().is_blocked());
    answer(&slow);
    assert!(!s.poll_handshake().unwrap());
    let flight = s.pending_tls().to_vec();
    s.consume_tls(flight.len());
    c.feed_tls(&flight).unwrap();
    assert!(c.poll_handshake().unwrap());
    let flight = c.pending_tls().to_vec();
    c.consume_tls(flight.len());
    s.feed_tls(&flight).unwrap();
    assert!(s.poll_handshake().unwrap());
    assert!(c.is_resumed() && s.is_resumed());
}

#[test]
fn an_echo_of_an_id_that_is_not_the_sessions_is_refused() {
    // A saved TLS 1.2 session with neither ticket nor id goes out beside a
    // random (TLS 1.3 compatibility) id; a server echoing that claims a
    // resumption we did not offer (RFC 5246 §7.4.1.3).
    let (server, client) = setup().build();
    let mut saved = session(&server, &client);
    let mut c = Common::new(client.clone(), Mode::Client);
    let (mut ch, _) = hello(true, Vec::new());
    ch.session_id = vec![9; 32];
    let sh = crate::msgs::handshake::ServerHello {
        legacy_version: ProtocolVersion::TLSV1_2,
        random: [4; 32],
        session_id: ch.session_id.clone(),
        cipher_suite: saved.suite,
        compression_method: 0,
        extensions: Vec::new(),
    };
    saved.ticket = Vec::new();
    saved.session_id = Vec::new();
    c.resumption.offer = Some(saved.clone());
    let err = super::super::client12::resumed_session_for_test(&c, &ch, &sh).unwrap_err();
    assert_eq!(err.sent_alert(), Some(AlertDescription::ILLEGAL_PARAMETER));
    // Its own id, echoed: a resumption.
    saved.session_id = ch.session_id.clone();
    c.resumption.offer = Some(saved);
    assert!(
        super::super::client12::resumed_session_for_test(&c, &ch, &sh)
            .unwrap()
            .is_some()
    );
    // No session offered at all: the compatibility id echoed is refused.
    c.resumption.offer = None;
    assert!(super::super::client12::resumed_session_for_test(&c, &ch, &sh).is_err());
}

/// BoGo's TLS12-NoTicket-NoOffer: a client with tickets off sends no
/// session_ticket, not even the saved session's ticket, so a session known
/// only by its ticket is not offered (and an echo cannot claim it).
#[test]
fn a_client_with_tickets_off_offers_no_ticket() {
    let (server, client) = setup().build();
    let saved = session(&server, &client);
    assert!(!saved.ticket.is_empty() && saved.session_id.is_empty());
    let mut st = setup();
    st.client.session_tickets(false);
    let (_, off) = st.build();
    let (mut c, _) = engines(&server, &off, "localhost", Some(saved.clone()));
    c.start().unwrap();
    let out = c.pending_output().to_vec();
    let len = usize::from(u16::from_be_bytes([out[3], out[4]]));
    let ch = <ClientHello as crate::msgs::codec::Codec>::read_bytes(&out[9..5 + len]).unwrap();
    let exts = ClientExtensions::parse(&ch.extensions).unwrap();
    assert_eq!(exts.session_ticket, None);
    assert!(ch.session_id.is_empty());
    let (c, s) = handshake(&server, &off, "localhost", Some(saved)).unwrap();
    assert!(!resumed(&c, &s));
}

#[test]
fn tickets_and_cache_entries_resume_only_under_their_resumption_context() {
    let keys = Arc::new(TicketKeys::new());
    keys.add_key(b"shared", &[6; 32], clock()).unwrap();
    let cache = Arc::new(MemorySessionCache::new(16));
    // tickets: true for RFC 5077 tickets, false for session ids in the
    // shared cache (its values are sealed under the same keys).
    let server_with = |tickets: bool, context: &[u8]| {
        let mut st = setup();
        st.server
            .session_tickets(tickets)
            .set_ticket_keys(keys.clone())
            .set_session_cache(cache.clone())
            .set_resumption_context(context)
            .unwrap();
        st.client.session_tickets(tickets);
        st.build()
    };
    for tickets in [true, false] {
        let (a, client) = server_with(tickets, b"site-a");
        let (b, _) = server_with(tickets, b"site-b");
        let (a_again, _) = server_with(tickets, b"site-a");
        let saved = session(&a, &client);
        assert_eq!(saved.ticket.is_empty(), !tickets);
        assert_eq!(
            refused(&b, &client, "localhost", saved.clone()),
            Some(ResumptionRefusal::Malformed),
            "tickets {tickets}"
        );
        // The refused cache entry was deleted: take a fresh session.
        let saved = session(&a, &client);
        let (mut c, mut s) = handshake(&a_again, &client, "localhost", Some(saved)).unwrap();
        assert!(resumed(&c, &s), "tickets {tickets}");
        works(&mut c, &mut s);
    }
}
