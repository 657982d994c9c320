//! The ClientHello callback through the runtime: it answers later, from
//! another thread (the handshake parks, and the worker polls it at its
//! wake-ups), swapping the config for one name and refusing another, while
//! the cert resolver of a live config is replaced between handshakes.

use super::*;
use baton::{AlertDescription, ClientHelloAction, ClientHelloAnswer, PendingClientHello};
use std::sync::mpsc;
use std::sync::Mutex;

/// A server config whose callback hands every answer to a thread that
/// swaps to the P-384 chain for `p384.test`, refuses `refused.test`, and
/// goes on otherwise.
fn later_config() -> Config {
    let mut t = Config::builder_minimal();
    t.add_cert_chain_and_key(
        CertChainAndKey::from_pem_files(data("server-p384.pem"), data("server-p384.key")).unwrap(),
    );
    let tenant = t.build().unwrap();
    let (tx, rx) = mpsc::channel::<(Option<String>, ClientHelloAnswer)>();
    thread::spawn(move || {
        // Ends when the config (and its callback's sender) is dropped.
        for (name, answer) in rx {
            match name.as_deref() {
                Some("p384.test") => answer.swap_config(tenant.clone()),
                Some("refused.test") => answer.reject(AlertDescription::ACCESS_DENIED),
                _ => answer.proceed(),
            }
        }
    });
    let tx = Mutex::new(tx);
    let mut b = Config::builder_minimal();
    b.add_cert_chain_and_key(
        CertChainAndKey::from_pem_files(data("server-p256-chain.pem"), data("server-p256.key"))
            .unwrap(),
    );
    b.set_client_hello_callback(move |ch| {
        let (pending, answer) = PendingClientHello::new();
        let name = ch.server_name().map(str::to_owned);
        let _ = tx.lock().unwrap().send((name, answer));
        ClientHelloAction::Later(pending)
    });
    b.build().unwrap()
}

#[test]
fn client_hello_answered_later_parks_and_completes() {
    const LEN: usize = 4096;
    let rt = start_with(later_config(), LEN, 1, Duration::from_secs(10));
    let port = rt.local_addr().port();
    let mut cb = Config::builder_minimal();
    cb.add_pem_to_trust_store(&std::fs::read(data("ca-ecdsa.pem")).unwrap())
        .unwrap();
    // Every test certificate is valid for localhost and server.test only.
    cb.set_verify_host_callback(|_| true);
    let ccfg = cb.build().unwrap();
    let run = |name: &'static str| {
        let ccfg = ccfg.clone();
        thread::spawn(move || {
            let mut conn = baton_client(&ccfg, port, |c| c.set_server_name(name).unwrap())?;
            let data = payload(LEN, 9);
            send_all(&mut conn, &data).unwrap();
            assert_eq!(
                sha256_hex(&recv_exact(&mut conn, LEN).unwrap()),
                sha256_hex(&data)
            );
            Ok::<_, baton::Error>(conn.peer_cert_chain()[0].clone())
        })
    };
    let swapped = run("p384.test");
    let plain = run("localhost");
    let refused = run("refused.test");
    assert_eq!(
        swapped.join().unwrap().unwrap(),
        leaf_der("server-p384.pem")
    );
    assert_eq!(plain.join().unwrap().unwrap(), leaf_der("server-p256.pem"));
    let e = refused.join().unwrap().unwrap_err();
    assert_eq!(
        e.kind(),
        baton::ErrorKind::Alert(AlertDescription::ACCESS_DENIED),
        "{e}"
    );
    let stats = rt.shutdown();
    assert_eq!(total(&stats, |s| s.handshakes), 2, "{stats:?}");
    assert_eq!(total(&stats, |s| s.handshake_failures), 1, "{stats:?}");
    // Every hello waited for its answer: parked, whenever the answer came.
    assert_eq!(total(&stats, |s| s.handshakes_parked), 3, "{stats:?}");
}
