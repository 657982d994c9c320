//! The `ticket` fuzz target: what a server does with a ticket a client sends
//! back, and what a client does with saved-session bytes it is given.

use crate::resumption::state::ServerSessionState;
use crate::resumption::{SavedSession, TicketKeys};
use std::sync::OnceLock;
use std::time::Duration;

/// The fuzz key's name and secret, and the time tickets are opened at (the
/// key is encrypt-decrypt then). The seed in `tests/fuzz/seeds/ticket/` is
/// a ticket sealed under this key.
pub const TICKET_KEY_NAME: &[u8] = b"baton-fuzz-key";
/// The fuzz key's secret (a test value).
pub const TICKET_KEY_SECRET: &[u8; 32] = b"baton fuzz ticket key secret 32b";
/// Unix seconds at which the fuzz target opens tickets.
pub const TICKET_NOW: u64 = 1_000_000;

/// The fixed key set the target opens tickets with.
pub fn ticket_keys() -> &'static std::sync::Arc<TicketKeys> {
    static KEYS: OnceLock<std::sync::Arc<TicketKeys>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let k = TicketKeys::with_lifetimes(Duration::from_secs(3600), Duration::from_secs(3600))
            .expect("nonzero lifetime"); // ok-panic: constant input
        k.add_key_at(
            TICKET_NOW,
            TICKET_KEY_NAME,
            TICKET_KEY_SECRET,
            TICKET_NOW - 10,
        )
        .expect("valid fuzz key"); // ok-panic: constant input
        std::sync::Arc::new(k)
    })
}

fn fuzz_clock() -> u64 {
    TICKET_NOW
}

/// Session tickets on, under the fuzz key and at the fuzz time, so a
/// handshake target resumes what its resumed-handshake seeds offer and the
/// fuzzer reaches ticket opening, binder checks and the abbreviated flights.
pub fn resumption_on(b: &mut crate::ConfigBuilder) {
    b.session_tickets(true)
        .set_ticket_keys(ticket_keys().clone())
        .set_wall_clock(fuzz_clock);
}

/// Seals `state` under the fuzz key (to make seeds).
pub fn seal_ticket(state: &[u8]) -> Option<Vec<u8>> {
    ticket_keys().seal(TICKET_NOW, state, &[])
}

/// The bytes as a ticket (opened, then its state decoded), as a server
/// session state, and as a saved session. What decodes must re-encode to
/// the same bytes: both formats are canonical.
pub fn ticket(data: &[u8]) {
    if let Ok(plain) = ticket_keys().open(TICKET_NOW, data, &[]) {
        check_state(&plain);
    }
    check_state(data);
    if let Ok(s) = SavedSession::from_bytes(data) {
        // ok-panic: fuzz oracle; the format is canonical.
        assert_eq!(&s.to_bytes()[..], data, "SavedSession round trip");
    }
}

fn check_state(bytes: &[u8]) {
    if let Ok(s) = ServerSessionState::decode(bytes) {
        // ok-panic: fuzz oracle; the format is canonical.
        assert_eq!(&s.encode()[..], bytes, "ServerSessionState round trip");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CertChainAndKey, Config, Connection};

    fn fuzz_server() -> Config {
        let mut b = Config::builder_minimal();
        b.add_cert_chain_and_key(
            CertChainAndKey::from_pem(
                include_bytes!("../../tests/data/server-p256-chain.pem"),
                include_bytes!("../../tests/data/server-p256.key"),
            )
            .unwrap(),
        );
        crate::fuzzing::pin_post_quantum_policy(&mut b);
        resumption_on(&mut b);
        // As the target: its PSKs do not stand in the tickets' way.
        crate::fuzzing::psk_on(&mut b);
        crate::fuzzing::early_data_on(&mut b);
        crate::fuzzing::client_auth_on(&mut b);
        b.build().unwrap()
    }

    const RESUMED_SEEDS: [(&str, bool); 2] = [
        (
            "tests/fuzz/seeds/server_handshake/resumed-tls13-client-hello",
            false,
        ),
        (
            "tests/fuzz/seeds/server_handshake/resumed-tls12-client-hello",
            true,
        ),
    ];

    /// A TLS 1.2-only client.
    static TLS12: crate::policy::SecurityPolicy = crate::policy::SecurityPolicy {
        name: "fuzz-seed-tls12",
        min_version: crate::ProtocolVersion::TLSV1_2,
        max_version: crate::ProtocolVersion::TLSV1_2,
        cipher_suites: &[crate::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256],
        signature_schemes: &[crate::SignatureScheme::ECDSA_SECP256R1_SHA256],
        groups: &[crate::NamedGroup::X25519, crate::NamedGroup::SECP256R1],
        certificate_signature_schemes: None,
        chacha20_boosted: false,
    };

    /// A ClientHello resuming a ticket of the fuzz server (TLS 1.3, or a
    /// TLS 1.2 RFC 5077 ticket): the seeds the `server_handshake` target
    /// starts its resumption paths from.
    fn resumed_client_hello(tls12: bool) -> Vec<u8> {
        let server = fuzz_server();
        let mut cb = Config::builder_minimal();
        if tls12 {
            cb.custom_security_policy(&TLS12).unwrap();
        }
        cb.disable_x509_verification()
            .session_tickets(true)
            .set_wall_clock(fuzz_clock);
        let client = cb.build().unwrap();
        let mut c = crate::Session::new_client(&client);
        c.set_server_name("localhost").unwrap();
        let mut s = crate::Session::new_server(&server);
        c.poll_handshake().unwrap();
        for _ in 0..4 {
            let mut flight = Vec::new();
            c.take_pending_tls(&mut flight);
            s.feed_tls(&flight).unwrap();
            let mut flight = Vec::new();
            s.take_pending_tls(&mut flight);
            c.feed_tls(&flight).unwrap();
            c.poll_handshake().unwrap();
        }
        let saved = c.saved_session().expect("a ticket");
        let mut c = crate::Session::new_client(&client);
        c.set_server_name("localhost").unwrap();
        c.set_saved_session(saved).unwrap();
        c.poll_handshake().unwrap();
        // Read 255 bytes at a time.
        [&[255u8][..], c.pending_tls()].concat()
    }

    /// The committed seed resumes under the target's configuration (rewrite
    /// it with BATON_WRITE_FUZZ_SEEDS=1 if the ClientHello changes).
    #[test]
    fn server_handshake_seeds_resume_a_ticket() {
        for (name, tls12) in RESUMED_SEEDS {
            let path = format!("{}/{name}", env!("CARGO_MANIFEST_DIR"));
            if std::env::var_os("BATON_WRITE_FUZZ_SEEDS").is_some() {
                std::fs::write(&path, resumed_client_hello(tls12)).unwrap();
            }
            let seed = std::fs::read(&path).unwrap();
            let mut conn = Connection::new_server(&fuzz_server());
            crate::fuzzing::drive(&mut conn, &seed);
            assert!(conn.is_resumed(), "{name}: {:?}", conn.resumption_refusal());
        }
    }

    /// The committed seed is a real ticket under the fuzz key, so the target
    /// starts past the AEAD check; and the target takes it without a panic
    /// (rewrite it with BATON_WRITE_FUZZ_SEEDS=1 if the ticket format changes).
    #[test]
    fn seed_ticket_opens() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz/seeds/ticket");
        if std::env::var_os("BATON_WRITE_FUZZ_SEEDS").is_some() {
            let plain = std::fs::read(format!("{dir}/plain_state")).unwrap();
            std::fs::write(format!("{dir}/sealed_state"), seal_ticket(&plain).unwrap()).unwrap();
        }
        let seed = &std::fs::read(format!("{dir}/sealed_state")).unwrap()[..];
        let plain = ticket_keys()
            .open(TICKET_NOW, seed, &[])
            .expect("seed opens");
        ServerSessionState::decode(&plain).expect("seed state decodes");
        ticket(seed);
        ticket(&plain);
        let saved = include_bytes!("../../tests/fuzz/seeds/ticket/saved_session");
        SavedSession::from_bytes(saved).expect("seed saved session reads");
        ticket(saved);
        let state = include_bytes!("../../tests/fuzz/seeds/ticket/plain_state");
        ServerSessionState::decode(state).expect("seed state decodes");
        ticket(state);
        ticket(&[]);
    }
}
