//! A server's CRL lookups for its clients' chains through the runtime: the
//! lookup callback hands each certificate to another thread, the handshake
//! parks (`Blocked::OnApplicationInput`), and the worker polls it at its
//! wake-ups until the answers are in.

use super::*;
use baton::cert::CrlLookup;
use baton::ClientAuth;
use std::sync::mpsc;
use std::sync::Mutex;

/// Requires a client certificate under `ca-ecdsa.pem`; the lookups are
/// answered "no CRL known" from another thread once `held` of them arrived
/// (no CRL is configured, so the chain passes once the answers are in).
fn looking_up_config(held: usize) -> Config {
    let (tx, rx) = mpsc::channel::<CrlLookup>();
    thread::spawn(move || {
        let mut waiting = Vec::new();
        // Ends when the config (and its callback's sender) is dropped.
        for lookup in rx {
            waiting.push(lookup);
            if waiting.len() >= held {
                waiting.drain(..).for_each(CrlLookup::ignore);
            }
        }
    });
    let tx = Mutex::new(tx);
    let mut b = Config::builder_minimal();
    b.add_cert_chain_and_key(
        CertChainAndKey::from_pem_files(data("server-p256-chain.pem"), data("server-p256.key"))
            .unwrap(),
    );
    b.add_pem_to_trust_store(&std::fs::read(data("ca-ecdsa.pem")).unwrap())
        .unwrap();
    b.set_client_auth(ClientAuth::Required);
    b.allow_unknown_revocation_status(true);
    b.set_crl_lookup_callback(move |lookup| {
        let _ = tx.lock().unwrap().send(lookup);
    });
    b.build().unwrap()
}

#[test]
fn client_chain_lookups_answered_later_park_and_complete() {
    const LEN: usize = 1024;
    // Two chains of two certificates: the first handshake's answers wait
    // for the second's lookups, so at least it parks, whatever the timing.
    let rt = start_with(looking_up_config(4), LEN, 1, Duration::from_secs(10));
    let port = rt.local_addr().port();
    let mut cb = Config::builder_minimal();
    cb.add_pem_to_trust_store(&std::fs::read(data("ca-ecdsa.pem")).unwrap())
        .unwrap();
    cb.add_client_cert_chain_and_key(
        CertChainAndKey::from_pem_files(data("client-chain.pem"), data("client.key")).unwrap(),
    );
    let ccfg = cb.build().unwrap();
    let clients: Vec<_> = (0..2)
        .map(|i| {
            let ccfg = ccfg.clone();
            thread::spawn(move || {
                let mut conn =
                    baton_client(&ccfg, port, |c| c.set_server_name("localhost").unwrap()).unwrap();
                assert!(conn.client_cert().is_some());
                let data = payload(LEN, i);
                send_all(&mut conn, &data).unwrap();
                assert_eq!(
                    sha256_hex(&recv_exact(&mut conn, LEN).unwrap()),
                    sha256_hex(&data)
                );
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    let stats = rt.shutdown();
    assert_eq!(total(&stats, |s| s.handshakes), 2, "{stats:?}");
    assert_eq!(total(&stats, |s| s.handshake_failures), 0, "{stats:?}");
    // At least the first handshake parks (its answers wait for the second's
    // lookups). No upper bound: a handshake can park more than once (bytes
    // from the peer wake it; signatures may park too), as timing has it.
    let parked = total(&stats, |s| s.handshakes_parked);
    assert!(parked >= 1, "{stats:?}");
}
