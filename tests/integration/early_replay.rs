//! A 0-RTT flight replayed across a fleet (feature `redis`): `openssl
//! s_client -sess_in -early_data` goes through a recording relay to Baton
//! server A, which accepts its early data; the recorded bytes (ClientHello,
//! early data and the rest of the client's flight) are then sent again to A
//! and to server B, which shares A's ticket keys and its Redis anti-replay
//! store. Each server sees the ticket and a valid binder, and both refuse
//! the early data: it is accepted exactly once across the fleet. With Redis
//! stopped, 0-RTT is refused and the connection still succeeds.

use crate::redis_server::RedisServer;
use crate::redis_store::{wait_until, WAIT};
use crate::require_openssl;
use crate::util::*;
use baton::early::{AntiReplayMode, AntiReplayStore, EarlyDataStatus};
use baton::resumption::redis::{RedisAntiReplay, RedisAntiReplayOptions};
use baton::resumption::TicketKeys;
use baton::{Config, Connection, Error, Session};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, TcpListener};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const EARLY: &[u8] = b"GET /replayed HTTP/1.1\r\nHost: localhost\r\n\r\n";

/// A server config of the fleet: shared ticket keys and anti-replay store.
fn fleet_config(keys: &Arc<TicketKeys>, store: &Arc<RedisAntiReplay>) -> Config {
    let mut b = Config::builder();
    b.add_cert_chain_and_key(
        baton::CertChainAndKey::from_pem_files(
            data("server-p256-chain.pem"),
            data("server-p256.key"),
        )
        .unwrap(),
    );
    b.session_tickets(true);
    b.set_ticket_keys(Arc::clone(keys));
    b.set_max_early_data_size(16384).unwrap();
    b.set_anti_replay(
        Arc::clone(store) as Arc<dyn AntiReplayStore>,
        AntiReplayMode::SingleUseTickets,
    );
    b.build().unwrap()
}

fn patient() -> RedisAntiReplayOptions {
    RedisAntiReplayOptions {
        timeout: Duration::from_secs(10),
        max_backoff: Duration::from_millis(400),
        ..Default::default()
    }
}

/// One Baton server connection on a blocking socket: early data read
/// first, then the handshake; its status and early bytes.
fn serve(conn: &mut Connection) -> Result<(EarlyDataStatus, Vec<u8>), Error> {
    let mut early = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match conn.recv_early_data(&mut buf) {
            Ok(0) => break,
            Ok(n) => early.extend_from_slice(&buf[..n]),
            // A Redis claim answers from another thread.
            Err(e) if e.is_blocked() => thread::sleep(Duration::from_millis(2)),
            Err(e) => return Err(e),
        }
    }
    loop {
        match conn.negotiate() {
            Ok(()) => break,
            Err(e) if e.is_blocked() => thread::sleep(Duration::from_millis(2)),
            Err(e) => return Err(e),
        }
    }
    send_all(conn, b"ok\n")?;
    let _ = conn.shutdown();
    Ok((conn.early_data_status(), early))
}

/// What one served connection came to: its 0-RTT status and early bytes.
type Served = Result<(EarlyDataStatus, Vec<u8>), String>;

/// Server A: `n` connections, each through [`serve`].
fn server(config: Config, n: usize) -> (u16, mpsc::Receiver<Served>) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for _ in 0..n {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
            stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
            let mut conn = Connection::new_server(&config);
            conn.set_io(stream);
            let r = serve(&mut conn).map_err(|e| format!("{e} [{e:?}]"));
            if tx.send(r).is_err() {
                return;
            }
        }
    });
    (port, rx)
}

/// A relay from a new port to `to` that records what the client sends.
fn recording_relay(to: u16) -> (u16, Arc<Mutex<Vec<u8>>>) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let recorded = Arc::new(Mutex::new(Vec::new()));
    let rec = Arc::clone(&recorded);
    thread::spawn(move || {
        let Ok((mut client, _)) = listener.accept() else {
            return;
        };
        let mut upstream = tcp_connect(to);
        client.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        let (mut c2, mut u2) = (client.try_clone().unwrap(), upstream.try_clone().unwrap());
        let back = thread::spawn(move || {
            let _ = std::io::copy(&mut u2, &mut c2);
            let _ = c2.shutdown(Shutdown::Write);
        });
        let mut buf = [0u8; 16384];
        loop {
            match client.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    rec.lock().unwrap().extend_from_slice(&buf[..n]);
                    if upstream.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = upstream.shutdown(Shutdown::Write);
        let _ = back.join();
    });
    (port, recorded)
}

/// Feeds a recorded client flight to a fresh server session until its
/// 0-RTT decision is made (the claim answers from Redis's worker); returns
/// the status and any early data it let through.
fn replay(config: &Config, flight: &[u8]) -> (EarlyDataStatus, Vec<u8>) {
    let mut s = Session::new_server(config);
    let deadline = Instant::now() + WAIT;
    let mut fed = false;
    loop {
        let r = if fed {
            s.poll_handshake()
        } else {
            fed = true;
            s.feed_tls(flight).and_then(|()| s.poll_handshake())
        };
        match r {
            Err(e) if e.is_blocked() && Instant::now() < deadline => {
                thread::sleep(Duration::from_millis(2));
            }
            // The replayed Finished cannot verify: the handshake fails,
            // after the decision.
            _ => break,
        }
    }
    let mut early = vec![0u8; 4096];
    let n = s.recv_early_data(&mut early);
    early.truncate(n);
    (s.early_data_status(), early)
}

fn s_client(port: u16, sess: &str, early_file: Option<&str>) -> String {
    let ca = all_cas_file().to_str().unwrap().to_string();
    let mut args = vec![
        "-tls1_3",
        "-CAfile",
        &ca,
        "-verify_return_error",
        "-servername",
        "localhost",
        "-ign_eof",
    ];
    match early_file {
        None => args.extend_from_slice(&["-sess_out", sess]),
        Some(f) => args.extend_from_slice(&["-sess_in", sess, "-early_data", f]),
    }
    let mut cli = crate::util::s_client(port, &args);
    cli.close_stdin();
    let out = cli.wait(TIMEOUT);
    String::from_utf8_lossy(&out.stdout).into_owned() + &out.stderr
}

#[test]
fn a_replayed_0rtt_flight_is_accepted_once_across_two_servers() {
    require_openssl!();
    let Some(redis) = RedisServer::start(module_path!()) else {
        return;
    };
    let url = redis.url("replay");
    let store_a = Arc::new(RedisAntiReplay::start(&url, patient()).unwrap());
    let store_b = Arc::new(RedisAntiReplay::start(&url, patient()).unwrap());
    // The stores know Redis's epoch; tickets issued from the next second
    // on are placed after it (ages count in whole seconds).
    wait_until("the anti-replay epoch", || {
        store_a.stats().epoch.is_some() && store_b.stats().epoch.is_some()
    });
    thread::sleep(Duration::from_millis(1100));
    let keys = Arc::new(TicketKeys::generated());
    let a = fleet_config(&keys, &store_a);
    let b = fleet_config(&keys, &store_b);

    let (port, results) = server(a.clone(), 2);
    let sess = scratch_dir().join(format!("early-replay-{port}.pem"));
    let sess = sess.to_str().unwrap().to_string();
    let early_file = scratch_dir().join(format!("early-replay-{port}.txt"));
    std::fs::write(&early_file, EARLY).unwrap();
    let early_file = early_file.to_str().unwrap().to_string();

    let out = s_client(port, &sess, None);
    results
        .recv_timeout(TIMEOUT)
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}\n{out}"));
    let (relay, recorded) = recording_relay(port);
    let out = s_client(relay, &sess, Some(&early_file));
    let (status, early) = results
        .recv_timeout(TIMEOUT)
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(status, EarlyDataStatus::Accepted, "{out}");
    assert_eq!(early, EARLY);
    assert!(out.contains("Early data was accepted"), "{out}");

    let flight = recorded.lock().unwrap().clone();
    assert!(flight.len() > EARLY.len(), "nothing recorded");
    for (name, config) in [("A", &a), ("B", &b)] {
        let (status, early) = replay(config, &flight);
        assert_eq!(status, EarlyDataStatus::Rejected, "server {name}");
        assert!(
            early.is_empty(),
            "server {name} let replayed early data through"
        );
    }
    assert!(store_a.stats().replayed + store_b.stats().replayed >= 2);
    let _ = std::fs::remove_file(&sess);
    let _ = std::fs::remove_file(&early_file);
}

/// Redis stopped: the claim is unavailable, 0-RTT is refused, and the
/// connection completes in 1-RTT.
#[test]
fn with_redis_down_0rtt_is_refused_and_the_connection_succeeds() {
    require_openssl!();
    let Some(mut redis) = RedisServer::start(module_path!()) else {
        return;
    };
    let url = redis.url("down");
    let store = Arc::new(
        RedisAntiReplay::start(
            &url,
            RedisAntiReplayOptions {
                timeout: Duration::from_millis(200),
                ..patient()
            },
        )
        .unwrap(),
    );
    wait_until("the anti-replay epoch", || store.stats().epoch.is_some());
    thread::sleep(Duration::from_millis(1100));
    let keys = Arc::new(TicketKeys::generated());
    let config = fleet_config(&keys, &store);
    let (port, results) = server(config, 2);
    let sess = scratch_dir().join(format!("early-down-{port}.pem"));
    let sess = sess.to_str().unwrap().to_string();
    let early_file = scratch_dir().join(format!("early-down-{port}.txt"));
    std::fs::write(&early_file, EARLY).unwrap();
    let early_file = early_file.to_str().unwrap().to_string();
    let out = s_client(port, &sess, None);
    results
        .recv_timeout(TIMEOUT)
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}\n{out}"));

    redis.stop();
    let out = s_client(port, &sess, Some(&early_file));
    let (status, early) = results
        .recv_timeout(TIMEOUT)
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(status, EarlyDataStatus::Rejected, "{out}");
    assert!(early.is_empty());
    assert!(out.contains("Early data was rejected"), "{out}");
    assert!(out.contains("ok"), "the 1-RTT connection answered: {out}");
    let _ = std::fs::remove_file(&sess);
    let _ = std::fs::remove_file(&early_file);
}
