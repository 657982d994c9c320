//! 0-RTT through the runtime: the anti-replay store answers later (the
//! handshake parks) while the client's early data is larger than the
//! record buffer. A parked handshake reads no more until the answer, so the
//! early data waits in TCP instead of overflowing the buffer; then the
//! echo service answers it before the client's Finished (0.5-RTT).

use super::*;
use baton::early::{AntiReplayMode, AntiReplayStore, Claim, EarlyDataStatus, PendingClaim};
use std::time::SystemTime;

/// Every claim is fresh, answered from another thread after a while.
struct SlowStore;

impl AntiReplayStore for SlowStore {
    fn claim(&self, _key: &[u8], _ttl: Duration) -> Claim {
        let (pending, answer) = PendingClaim::new();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(200));
            answer.fresh();
        });
        Claim::Pending(pending)
    }

    fn remembers_since(&self) -> Option<SystemTime> {
        None
    }
}

/// A server config that takes up to `max` bytes of 0-RTT data, each
/// ticket's once, as `store` says.
pub(super) fn early_server_config(max: u32, store: Arc<dyn AntiReplayStore>) -> Config {
    let mut b = Config::builder_minimal();
    b.add_cert_chain_and_key(
        CertChainAndKey::from_pem_files(data("server-p256-chain.pem"), data("server-p256.key"))
            .unwrap(),
    );
    b.session_tickets(true);
    b.set_max_early_data_size(max).unwrap();
    b.set_anti_replay(store, AntiReplayMode::SingleUseTickets);
    b.build().unwrap()
}

/// A client config that keeps tickets for the caller (no session store).
pub(super) fn early_client_config() -> Config {
    let mut c = Config::builder_minimal();
    c.add_pem_to_trust_store(&std::fs::read(data("ca-ecdsa.pem")).unwrap())
        .unwrap();
    c.session_tickets(true).set_client_session_store(None);
    c.build().unwrap()
}

#[test]
fn early_data_larger_than_the_record_buffer_while_the_store_answers_later() {
    const EARLY: usize = 48 * 1024;
    let server = early_server_config(64 * 1024, Arc::new(SlowStore));
    let rt = start_with(server, usize::MAX, 1, Duration::from_secs(10));
    let port = rt.local_addr().port();
    let client = early_client_config();
    // A full handshake for a ticket (read after the echo).
    let mut first = Connection::new_client(&client);
    first.set_server_name("localhost").unwrap();
    first.set_io(tcp_connect(port));
    send_all(&mut first, b"ticket please").unwrap();
    assert_eq!(recv_exact(&mut first, 13).unwrap(), b"ticket please");
    let saved = first.saved_session().expect("a ticket");
    assert!(saved.max_early_data() >= EARLY as u32);
    drop(first);

    let data = payload(EARLY, 77);
    let mut conn = Connection::new_client(&client);
    conn.set_server_name("localhost").unwrap();
    conn.session_mut().set_saved_session(saved).unwrap();
    conn.set_io(tcp_connect(port));
    let mut sent = 0;
    while sent < data.len() {
        let n = conn.send_early_data(&data[sent..]).unwrap();
        assert!(n > 0, "early data cut at {sent}");
        sent += n;
    }
    conn.negotiate().unwrap();
    assert_eq!(conn.early_data_status(), EarlyDataStatus::Accepted);
    let back = recv_exact(&mut conn, EARLY).unwrap();
    assert_eq!(sha256_hex(&back), sha256_hex(&data));
    drop(conn);
    let stats = rt.shutdown();
    assert_eq!(total(&stats, |s| s.handshake_failures), 0, "{stats:?}");
    assert_eq!(total(&stats, |s| s.early_data), 1, "{stats:?}");
    assert!(total(&stats, |s| s.handshakes_parked) >= 1, "{stats:?}");
    assert!(total(&stats, |s| s.half_rtt_answers) >= 1, "{stats:?}");
}
