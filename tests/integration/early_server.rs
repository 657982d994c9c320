//! TLS 1.3 early data (0-RTT) on a Baton server against `openssl s_client
//! -sess_out` then `-sess_in ... -early_data FILE`: accepted, read through
//! `recv_early_data`; refused when the ticket was already used (single-use
//! tickets), when the server just started (ClientHello recording in memory),
//! and when the server does not take early data at all.

use crate::require_openssl;
use crate::util::*;
use baton::early::{
    AntiReplayMode, AntiReplayStore, EarlyDataDecision, EarlyDataStatus, MemoryAntiReplay,
    PendingEarlyData,
};
use baton::resumption::TicketKeys;
use baton::{Config, Connection, Error};
use std::net::{Ipv4Addr, TcpListener};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

const EARLY: &[u8] = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";

fn base() -> baton::ConfigBuilder {
    let mut b = Config::builder();
    b.add_cert_chain_and_key(
        baton::CertChainAndKey::from_pem_files(
            data("server-p256-chain.pem"),
            data("server-p256.key"),
        )
        .unwrap(),
    );
    b.session_tickets(true);
    b
}

/// A server with early data on and single-use tickets in memory, built
/// past the next whole second: the store rejects tickets it cannot place
/// after its own start, and tickets count in whole seconds.
fn single_use_server() -> Config {
    let mut b = base();
    b.set_max_early_data_size(16384).unwrap();
    b.set_anti_replay(
        Arc::new(MemoryAntiReplay::new(1024)),
        AntiReplayMode::SingleUseTickets,
    );
    let config = b.build().unwrap();
    thread::sleep(Duration::from_millis(1100));
    config
}

/// What the server saw on one connection.
#[derive(Debug)]
struct Seen {
    early: Vec<u8>,
    status: EarlyDataStatus,
    resumed: bool,
}

/// Reads early data until none can come, then finishes the handshake and
/// answers with what it read.
fn serve(conn: &mut Connection) -> Result<Seen, Error> {
    let mut early = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match conn.recv_early_data(&mut buf) {
            Ok(0) => break,
            Ok(n) => early.extend_from_slice(&buf[..n]),
            // A callback answers from another thread.
            Err(e) if e.is_blocked() => thread::sleep(Duration::from_millis(2)),
            Err(e) => return Err(e),
        }
    }
    conn.negotiate()?;
    send_all(conn, format!("early={}\n", early.len()).as_bytes())?;
    let _ = conn.shutdown();
    Ok(Seen {
        early,
        status: conn.early_data_status(),
        resumed: conn.is_resumed(),
    })
}

fn servers(config: Config, n: usize) -> (u16, mpsc::Receiver<Result<Seen, String>>) {
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

/// One `s_client` run: `-sess_out` first, then `-sess_in` with early data.
fn s_client(port: u16, sess: &str, early_file: Option<&str>) -> String {
    s_client_with(port, sess, early_file, &[])
}

fn s_client_with(port: u16, sess: &str, early_file: Option<&str>, extra: &[&str]) -> String {
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
    args.extend_from_slice(extra);
    let mut cli = crate::util::s_client(port, &args);
    cli.close_stdin();
    let out = cli.wait(TIMEOUT);
    String::from_utf8_lossy(&out.stdout).into_owned() + &out.stderr
}

fn files(port: u16) -> (String, String) {
    let sess = scratch_dir().join(format!("early-{port}.pem"));
    let early = scratch_dir().join(format!("early-{port}.txt"));
    std::fs::write(&early, EARLY).unwrap();
    (
        sess.to_str().unwrap().to_string(),
        early.to_str().unwrap().to_string(),
    )
}

/// Full handshake for a ticket, then 0-RTT with it (accepted, read with
/// `recv_early_data`), then the same ticket again (single-use: refused,
/// the connection goes on in 1-RTT).
#[test]
fn s_client_early_data_accepted_once_per_ticket() {
    require_openssl!();
    let (port, results) = servers(single_use_server(), 3);
    let (sess, early) = files(port);
    let out = s_client(port, &sess, None);
    let first = results
        .recv_timeout(TIMEOUT)
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(first.status, EarlyDataStatus::NotRequested);

    let out = s_client(port, &sess, Some(&early));
    let second = results
        .recv_timeout(TIMEOUT)
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert!(second.resumed, "{out}");
    assert_eq!(second.status, EarlyDataStatus::Accepted, "{out}");
    assert_eq!(second.early, EARLY, "{out}");
    assert!(out.contains("Early data was accepted"), "{out}");
    assert!(out.contains(&format!("early={}", EARLY.len())), "{out}");

    // The same ticket again: the store took it already.
    let out = s_client(port, &sess, Some(&early));
    let third = results
        .recv_timeout(TIMEOUT)
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert!(third.resumed, "{out}");
    assert_eq!(third.status, EarlyDataStatus::Rejected, "{out}");
    assert!(third.early.is_empty());
    assert!(out.contains("Early data was rejected"), "{out}");
    let _ = std::fs::remove_file(&sess);
    let _ = std::fs::remove_file(&early);
}

/// The default store records ClientHellos in memory: a server that just
/// started refuses 0-RTT for the freshness window, since it cannot know
/// what it accepted before it started (the handshake still resumes).
#[test]
fn a_just_started_server_refuses_early_data() {
    require_openssl!();
    let mut b = base();
    b.set_max_early_data_size(16384).unwrap();
    b.set_ticket_age_window(Duration::from_secs(30));
    let (port, results) = servers(b.build().unwrap(), 2);
    let (sess, early) = files(port);
    let out = s_client(port, &sess, None);
    results
        .recv_timeout(TIMEOUT)
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}\n{out}"));
    let out = s_client(port, &sess, Some(&early));
    let seen = results
        .recv_timeout(TIMEOUT)
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert!(seen.resumed, "{out}");
    assert_eq!(seen.status, EarlyDataStatus::Rejected, "{out}");
    assert!(out.contains("Early data was rejected"), "{out}");
    let _ = std::fs::remove_file(&sess);
    let _ = std::fs::remove_file(&early);
}

/// Without `set_max_early_data_size` tickets allow no 0-RTT: s_client then
/// sends none (its ticket says so), and nothing is read as early data.
#[test]
fn no_early_data_without_max_early_data_size() {
    require_openssl!();
    let (port, results) = servers(base().build().unwrap(), 2);
    let (sess, early) = files(port);
    let out = s_client(port, &sess, None);
    results
        .recv_timeout(TIMEOUT)
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}\n{out}"));
    let out = s_client(port, &sess, Some(&early));
    let seen = results
        .recv_timeout(TIMEOUT)
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert!(seen.resumed, "{out}");
    assert_ne!(seen.status, EarlyDataStatus::Accepted, "{out}");
    assert!(seen.early.is_empty());
    let _ = std::fs::remove_file(&sess);
    let _ = std::fs::remove_file(&early);
}

/// Two servers of one fleet (shared ticket keys and single-use store),
/// built past the next whole second; `tweak` changes the second one.
fn two_servers(tweak: impl FnOnce(&mut baton::ConfigBuilder)) -> (Config, Config) {
    two_servers_with(|_| {}, tweak)
}

/// As [`two_servers`], `tweak1` changing the first one.
fn two_servers_with(
    tweak1: impl FnOnce(&mut baton::ConfigBuilder),
    tweak: impl FnOnce(&mut baton::ConfigBuilder),
) -> (Config, Config) {
    let keys = Arc::new(TicketKeys::generated());
    let store: Arc<dyn AntiReplayStore> = Arc::new(MemoryAntiReplay::new(1024));
    let make = || {
        let mut b = base();
        b.set_ticket_keys(Arc::clone(&keys));
        b.set_max_early_data_size(16384).unwrap();
        b.set_anti_replay(Arc::clone(&store), AntiReplayMode::SingleUseTickets);
        b
    };
    let mut b = make();
    tweak1(&mut b);
    let first = b.build().unwrap();
    let mut b = make();
    tweak(&mut b);
    let second = b.build().unwrap();
    thread::sleep(Duration::from_millis(1100));
    (first, second)
}

/// A ticket from the first server, then 0-RTT with it to the second.
fn ticket_then_early(
    first: Config,
    second: Config,
    early: &[u8],
    extra: &[&str],
) -> (String, Result<Seen, String>) {
    let (port1, results1) = servers(first, 1);
    let (sess, early_file) = files(port1);
    std::fs::write(&early_file, early).unwrap();
    let out = s_client_with(port1, &sess, None, extra);
    results1
        .recv_timeout(TIMEOUT)
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}\n{out}"));
    let (port2, results2) = servers(second, 1);
    let out = s_client_with(port2, &sess, Some(&early_file), extra);
    let seen = results2.recv_timeout(TIMEOUT).unwrap();
    let _ = std::fs::remove_file(&sess);
    let _ = std::fs::remove_file(&early_file);
    (out, seen)
}

/// The application's callback answers later, from another thread: the
/// handshake waits (Blocked::OnApplicationInput) and then accepts.
#[test]
fn an_early_data_callback_that_answers_later() {
    require_openssl!();
    let (first, second) = two_servers(|b| {
        b.set_early_data_callback(|offer| {
            assert!(offer.is_resumption() && offer.max_size() == 16384);
            let (pending, answer) = PendingEarlyData::new();
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(50));
                answer.accept();
            });
            EarlyDataDecision::Later(pending)
        });
    });
    let (out, seen) = ticket_then_early(first, second, EARLY, &[]);
    let seen = seen.unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(seen.status, EarlyDataStatus::Accepted, "{out}");
    assert_eq!(seen.early, EARLY);
}

/// A callback that refuses: 1-RTT, nothing read as early data.
#[test]
fn an_early_data_callback_that_refuses() {
    require_openssl!();
    let (first, second) = two_servers(|b| {
        b.set_early_data_callback(|_| EarlyDataDecision::Reject);
    });
    let (out, seen) = ticket_then_early(first, second, EARLY, &[]);
    let seen = seen.unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(seen.status, EarlyDataStatus::Rejected, "{out}");
    assert!(seen.early.is_empty());
    assert!(out.contains("Early data was rejected"), "{out}");
}

/// The ticket allows 16384 bytes; this server accepts 100: more than that
/// is unexpected_message (RFC 8446 §4.2.10).
#[test]
fn more_early_data_than_allowed_is_unexpected_message() {
    require_openssl!();
    let (first, second) = two_servers(|b| {
        b.set_max_early_data_size(100).unwrap();
    });
    let (out, seen) = ticket_then_early(first, second, &[b'x'; 1000], &[]);
    let err = seen.expect_err("too much early data must fail the handshake");
    assert!(err.contains("max_early_data_size"), "{err}\n{out}");
    assert!(err.contains("alert: unexpected_message"), "{err}");
}

/// A ticket made for ALPN "h2" and a handshake that negotiates
/// "http/1.1": 0-RTT refused (RFC 8446 §4.2.10), the handshake goes on.
#[test]
fn early_data_with_another_alpn_is_refused() {
    require_openssl!();
    let (first, second) = two_servers_with(
        |b| {
            b.set_alpn_preferences(&["h2", "http/1.1"]).unwrap();
        },
        |b| {
            b.set_alpn_preferences(&["http/1.1", "h2"]).unwrap();
        },
    );
    let (out, seen) = ticket_then_early(first, second, EARLY, &["-alpn", "h2,http/1.1"]);
    let seen = seen.unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert!(seen.resumed, "{out}");
    assert_eq!(seen.status, EarlyDataStatus::Rejected, "{out}");
}

/// A ticket made under TLS_AES_128_GCM_SHA256 resumed by a server that
/// prefers TLS_CHACHA20_POLY1305_SHA256 (same hash, so it resumes): 0-RTT
/// is refused, since early data must use the ticket's exact suite (RFC
/// 8446 §4.2.10).
#[test]
fn early_data_under_another_cipher_suite_is_refused() {
    require_openssl!();
    static CHACHA_FIRST: baton::SecurityPolicy = baton::SecurityPolicy {
        name: "chacha-first",
        min_version: baton::ProtocolVersion::TLSV1_3,
        max_version: baton::ProtocolVersion::TLSV1_3,
        cipher_suites: &[
            baton::CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
            baton::CipherSuite::TLS13_AES_128_GCM_SHA256,
        ],
        signature_schemes: &[baton::SignatureScheme::ECDSA_SECP256R1_SHA256],
        certificate_signature_schemes: None,
        groups: &[baton::NamedGroup::X25519],
        chacha20_boosted: false,
    };
    let (first, second) = two_servers(|b| {
        b.custom_security_policy(&CHACHA_FIRST).unwrap();
    });
    let (out, seen) = ticket_then_early(
        first,
        second,
        EARLY,
        &[
            "-ciphersuites",
            "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256",
        ],
    );
    let seen = seen.unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert!(seen.resumed, "{out}");
    assert_eq!(seen.status, EarlyDataStatus::Rejected, "{out}");
    assert!(out.contains("TLS_CHACHA20_POLY1305_SHA256"), "{out}");
}
