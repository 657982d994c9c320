//! Early data in the `server_handshake` fuzz target: 0-RTT on, with an
//! anti-replay store that takes every claim, so the seed made here (a
//! resumed ClientHello offering early data, then the 0-RTT records) starts
//! the fuzzer inside the 0-RTT decision, the early-data key and its record
//! limits, which random bytes never reach (the ticket is sealed and the
//! binder is an HMAC over the whole hello).

use crate::early::{AntiReplayMode, AntiReplayStore, Claim};
use std::sync::Arc;
use std::time::SystemTime;

/// The most early data the fuzz server takes.
pub const FUZZ_MAX_EARLY_DATA: u32 = 16 * 1024;

/// A store that says every claim is the first: fuzzing looks for crashes,
/// not replays.
struct TakesAll;

impl AntiReplayStore for TakesAll {
    fn claim(&self, _key: &[u8], _ttl: core::time::Duration) -> Claim {
        Claim::Fresh
    }

    fn remembers_since(&self) -> Option<SystemTime> {
        None
    }
}

/// 0-RTT on a server config: tickets allow [`FUZZ_MAX_EARLY_DATA`] bytes.
pub fn early_data_on(b: &mut crate::ConfigBuilder) {
    // ok-panic: constant input within the limit.
    b.set_max_early_data_size(FUZZ_MAX_EARLY_DATA)
        .expect("within MAX_EARLY_DATA_SIZE");
    b.set_anti_replay(Arc::new(TakesAll), AntiReplayMode::SingleUseTickets);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::early::EarlyDataStatus;
    use crate::{CertChainAndKey, Config, Connection, Session};

    const SEED: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fuzz/seeds/server_handshake/early-data-client-hello"
    );
    const EARLY: &[u8] = b"GET /fuzz HTTP/1.1\r\nHost: localhost\r\n\r\n";

    /// The `server_handshake` target's config.
    fn fuzz_server() -> Config {
        let mut b = Config::builder_minimal();
        for (chain, key) in [
            (
                &include_bytes!("../../tests/data/server-p256-chain.pem")[..],
                &include_bytes!("../../tests/data/server-p256.key")[..],
            ),
            (
                &include_bytes!("../../tests/data/server-rsa.pem")[..],
                &include_bytes!("../../tests/data/server-rsa.key")[..],
            ),
        ] {
            b.add_cert_chain_and_key(CertChainAndKey::from_pem(chain, key).unwrap());
        }
        crate::fuzzing::pin_post_quantum_policy(&mut b);
        crate::fuzzing::resumption_on(&mut b);
        crate::fuzzing::psk_on(&mut b);
        early_data_on(&mut b);
        crate::fuzzing::client_auth_on(&mut b);
        b.set_alpn_preferences(&["h2", "http/1.1"]).unwrap();
        b.build().unwrap()
    }

    /// A resumed ClientHello with early data for a ticket of the fuzz
    /// server, the compatibility CCS and the 0-RTT record: the client's
    /// clock is the fuzz clock, so the ticket's age is right.
    fn early_flight() -> Vec<u8> {
        let server = fuzz_server();
        let mut cb = Config::builder_minimal();
        cb.disable_x509_verification()
            .session_tickets(true)
            .set_wall_clock(|| crate::fuzzing::TICKET_NOW);
        let client = cb.build().unwrap();
        let mut c = Session::new_client(&client);
        c.set_server_name("localhost").unwrap();
        let mut s = Session::new_server(&server);
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
        assert!(saved.max_early_data() > 0, "the ticket allows 0-RTT");
        let mut c = Session::new_client(&client);
        c.set_server_name("localhost").unwrap();
        c.set_saved_session(saved).unwrap();
        assert_eq!(c.send_early_data(EARLY).unwrap(), EARLY.len());
        // Read 255 bytes at a time.
        [&[255u8][..], c.pending_tls()].concat()
    }

    /// The committed seed gets the target's server to accept 0-RTT and read
    /// the early record (rewrite it with BATON_WRITE_FUZZ_SEEDS=1 if the
    /// ClientHello changes).
    #[test]
    fn server_handshake_seed_reaches_early_data() {
        if std::env::var_os("BATON_WRITE_FUZZ_SEEDS").is_some() {
            std::fs::write(SEED, early_flight()).unwrap();
        }
        let seed = std::fs::read(SEED).unwrap();
        let mut conn = Connection::new_server(&fuzz_server());
        crate::fuzzing::drive(&mut conn, &seed);
        assert!(conn.is_resumed(), "{:?}", conn.resumption_refusal());
        assert_eq!(conn.early_data_status(), EarlyDataStatus::Accepted);
        let mut buf = [0u8; 256];
        let n = conn.session_mut().recv_early_data(&mut buf);
        assert_eq!(&buf[..n], EARLY);
    }
}
