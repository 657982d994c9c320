//! TLS 1.3 early data (0-RTT) sent by the Baton client: against
//! `openssl s_server -early_data` (accepted, printed by s_server; refused for
//! a ticket used twice and after a HelloRetryRequest; never offered with a
//! ticket that allows none), against a Baton server (read exactly with
//! `recv_early_data`; the same ticket again refused by the single-use store,
//! then sent after the handshake), and with rustls in process both ways.

use crate::require_openssl;
use crate::resume13::ticket_client;
use crate::util::*;
use baton::early::{AntiReplayMode, EarlyDataStatus, MemoryAntiReplay};
use baton::{Config, Connection, Error, SavedSession};
use std::net::{Ipv4Addr, TcpListener};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

const EARLY: &[u8] = b"GET /early HTTP/1.1\r\nHost: localhost\r\n\r\n";

/// A Baton client for `localhost` on `port`, offering `offer`; with
/// `early`, `send_early_data` before `negotiate` (its count returned).
fn early_client(
    config: &Config,
    port: u16,
    offer: Option<SavedSession>,
    early: Option<&[u8]>,
) -> Result<(Connection, usize), Error> {
    let mut conn = Connection::new_client(config);
    conn.set_server_name("localhost")?;
    if let Some(s) = offer {
        conn.session_mut().set_saved_session(s)?;
    }
    conn.set_io(tcp_connect(port));
    let n = match early {
        Some(data) => conn.send_early_data(data)?,
        None => 0,
    };
    conn.negotiate()?;
    Ok((conn, n))
}

// ---------------------------------------------------------------- openssl s_server

/// `openssl s_server -tls1_3` (RSA) for `n` connections, with `extra`. It
/// prints what it reads, early data between "Early data received:" and
/// "End of early data".
fn s_server_n(n: usize, extra: &[&str]) -> SServer {
    let n = n.to_string();
    let (cert, key) = (data("server-rsa.pem"), data("server-rsa.key"));
    let mut args = vec![
        "-cert",
        cert.to_str().unwrap(),
        "-key",
        key.to_str().unwrap(),
        "-tls1_3",
        "-naccept",
        &n,
    ];
    args.extend_from_slice(extra);
    s_server(&args)
}

/// One connection to s_server: early data (if any), the handshake, `late`
/// as normal data, close (reading up to s_server's close_notify, so past
/// its tickets).
fn s_server_conn(
    config: &Config,
    srv: &SServer,
    offer: Option<SavedSession>,
    early: Option<&[u8]>,
    late: &[u8],
) -> (Connection, usize) {
    let (mut conn, n) = early_client(config, srv.port, offer, early)
        .unwrap_or_else(|e| panic!("Baton client: {e}; s_server: {}", srv.proc.stderr_now()));
    if !late.is_empty() {
        send_all(&mut conn, late).unwrap();
    }
    conn.shutdown().unwrap();
    (conn, n)
}

fn s_server_text(srv: SServer) -> String {
    let out = srv.proc.wait(TIMEOUT);
    format!("{}\n{}", out.stdout_str(), out.stderr)
}

/// A ticket from `s_server -early_data`, then 0-RTT with it: s_server
/// prints the early bytes as early data, and the client sees `Accepted`.
/// The same ticket again: OpenSSL's anti-replay (on by default) refuses
/// the 0-RTT, the client sees `Rejected` and sends the data after the
/// handshake, which s_server prints as normal data.
#[test]
fn openssl_server_accepts_early_data_once_per_ticket() {
    require_openssl!();
    let srv = s_server_n(3, &["-early_data"]);
    let config = ticket_client(|_| {});
    let (first, n) = s_server_conn(&config, &srv, None, Some(EARLY), b"first\n");
    // No ticket yet: nothing offered, nothing sent.
    assert_eq!(n, 0);
    assert_eq!(first.early_data_status(), EarlyDataStatus::NotRequested);
    let saved = first.saved_session().expect("no ticket kept from s_server");
    assert_eq!(saved.max_early_data(), 16384);

    let (second, n) = s_server_conn(&config, &srv, Some(saved.clone()), Some(EARLY), b"");
    assert_eq!(n, EARLY.len());
    assert!(second.is_resumed());
    assert_eq!(second.early_data_status(), EarlyDataStatus::Accepted);

    let (third, n) = early_client(&config, srv.port, Some(saved), Some(EARLY))
        .unwrap_or_else(|e| panic!("Baton client: {e}; s_server: {}", srv.proc.stderr_now()));
    assert_eq!(n, EARLY.len());
    let mut third = third;
    assert_eq!(third.early_data_status(), EarlyDataStatus::Rejected);
    send_all(&mut third, EARLY).unwrap();
    third.shutdown().unwrap();

    // s_server writes the early bytes to stdout unbuffered, beside its
    // buffered messages: count, do not rely on the order.
    let text = s_server_text(srv);
    assert_eq!(text.matches("Early data received:").count(), 1, "{text}");
    assert_eq!(text.matches("Early data was rejected").count(), 1, "{text}");
    // Once as accepted early data, once after the handshake that refused it.
    assert_eq!(text.matches("GET /early").count(), 2, "{text}");
}

/// A ticket from `s_server` without `-early_data` allows none: the client
/// offers none, takes 0 bytes, and the status stays `NotRequested`.
#[test]
fn openssl_ticket_without_early_data_sends_none() {
    require_openssl!();
    let srv = s_server_n(2, &[]);
    let config = ticket_client(|_| {});
    let (first, _) = s_server_conn(&config, &srv, None, None, b"first\n");
    let saved = first.saved_session().expect("no ticket kept from s_server");
    assert_eq!(saved.max_early_data(), 0);
    let (second, n) = s_server_conn(&config, &srv, Some(saved), Some(EARLY), b"late\n");
    assert_eq!(n, 0);
    assert!(second.is_resumed());
    assert_eq!(second.early_data_status(), EarlyDataStatus::NotRequested);
    let text = s_server_text(srv);
    assert!(!text.contains("Early data"), "{text}");
    assert!(text.contains("late\n"), "{text}");
}

/// s_server takes only P-384, which the Baton client does not share first:
/// the HelloRetryRequest refuses the 0-RTT (the second ClientHello offers
/// none and goes out in clear), the resumption still happens, and the data
/// goes after the handshake. (`-no_anti_replay`: OpenSSL's anti-replay
/// takes the session out of its cache at the first ClientHello, so the
/// second one would not resume.)
#[test]
fn openssl_hello_retry_rejects_early_data() {
    require_openssl!();
    let srv = s_server_n(2, &["-early_data", "-no_anti_replay", "-groups", "P-384"]);
    let config = ticket_client(|_| {});
    let (first, _) = s_server_conn(&config, &srv, None, None, b"first\n");
    assert!(first.used_hello_retry());
    let saved = first.saved_session().expect("no ticket kept from s_server");
    assert!(saved.max_early_data() > 0);
    let (mut second, n) = early_client(&config, srv.port, Some(saved), Some(EARLY))
        .unwrap_or_else(|e| panic!("Baton client: {e}; s_server: {}", srv.proc.stderr_now()));
    assert_eq!(n, EARLY.len());
    assert!(second.used_hello_retry(), "no HelloRetryRequest");
    assert!(second.is_resumed(), "not resumed");
    assert_eq!(second.early_data_status(), EarlyDataStatus::Rejected);
    send_all(&mut second, EARLY).unwrap();
    second.shutdown().unwrap();
    let text = s_server_text(srv);
    assert!(!text.contains("Early data received"), "{text}");
    assert_eq!(text.matches("GET /early").count(), 1, "{text}");
}

// ---------------------------------------------------------------- Baton server

/// A Baton server with early data on and single-use tickets in memory,
/// built past the next whole second (the store refuses tickets it cannot
/// place after its own start; tickets count in whole seconds).
fn single_use_server() -> Config {
    let config = crate::resume13::ticket_server(|b| {
        b.set_max_early_data_size(16384).unwrap();
        b.set_anti_replay(
            Arc::new(MemoryAntiReplay::new(1024)),
            AntiReplayMode::SingleUseTickets,
        );
    });
    thread::sleep(Duration::from_millis(1100));
    config
}

/// What the Baton server saw on one connection.
#[derive(Debug)]
struct Seen {
    early: Vec<u8>,
    late: Vec<u8>,
    status: EarlyDataStatus,
}

/// Reads early data until none can come, finishes the handshake, reads the
/// request as normal data if it did not come early, and answers.
fn serve(conn: &mut Connection) -> Result<Seen, Error> {
    let mut early = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = conn.recv_early_data(&mut buf)?;
        if n == 0 {
            break;
        }
        early.extend_from_slice(&buf[..n]);
    }
    conn.negotiate()?;
    let late = if early.ends_with(b"\r\n\r\n") {
        Vec::new()
    } else {
        recv_until(conn, |b| b.ends_with(b"\r\n\r\n"))?
    };
    send_all(conn, b"done\n")?;
    let _ = conn.shutdown();
    Ok(Seen {
        early,
        late,
        status: conn.early_data_status(),
    })
}

fn baton_servers(config: Config, n: usize) -> (u16, mpsc::Receiver<Result<Seen, String>>) {
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

/// The client's side of one connection to [`serve`]: `early_client`, the
/// request again after the handshake unless it was accepted, the answer.
fn baton_conn(config: &Config, port: u16, offer: Option<SavedSession>) -> (Connection, usize) {
    let (mut conn, n) = early_client(config, port, offer, Some(EARLY)).unwrap();
    if conn.early_data_status() != EarlyDataStatus::Accepted {
        send_all(&mut conn, EARLY).unwrap();
    }
    // The answer comes after the server's tickets.
    let answer = recv_until(&mut conn, |b| b.ends_with(b"\n")).unwrap();
    assert_eq!(answer, b"done\n");
    conn.shutdown().unwrap();
    (conn, n)
}

/// A full handshake for a ticket; 0-RTT with it, read exactly by the
/// server's `recv_early_data` (the handshake completes, so the client's
/// EndOfEarlyData is in both transcripts); the same ticket again, refused
/// by the single-use store (`Rejected` on both ends) and sent after the
/// handshake instead.
#[test]
fn baton_server_accepts_then_refuses_the_same_ticket() {
    let (port, results) = baton_servers(single_use_server(), 3);
    let config = ticket_client(|_| {});
    let next = || results.recv_timeout(TIMEOUT).unwrap().unwrap();

    let (first, n) = baton_conn(&config, port, None);
    assert_eq!(n, 0);
    let seen = next();
    assert_eq!(seen.status, EarlyDataStatus::NotRequested);
    assert_eq!(seen.late, EARLY);
    let saved = first.saved_session().expect("no ticket kept");
    assert_eq!(saved.max_early_data(), 16384);

    let (second, n) = baton_conn(&config, port, Some(saved.clone()));
    assert_eq!(n, EARLY.len());
    assert!(second.is_resumed());
    assert_eq!(second.early_data_status(), EarlyDataStatus::Accepted);
    let seen = next();
    assert_eq!(seen.status, EarlyDataStatus::Accepted);
    assert_eq!(seen.early, EARLY);
    assert!(seen.late.is_empty());

    let (third, n) = baton_conn(&config, port, Some(saved));
    assert_eq!(n, EARLY.len());
    assert!(third.is_resumed());
    assert_eq!(third.early_data_status(), EarlyDataStatus::Rejected);
    let seen = next();
    assert_eq!(seen.status, EarlyDataStatus::Rejected);
    assert!(seen.early.is_empty());
    assert_eq!(seen.late, EARLY);
}

/// The ticket's max_early_data_size bounds what is sent: a longer write is
/// cut to the allowance, later writes get the rest, then 0; once the
/// ServerHello is in, nothing more is taken.
#[test]
fn early_data_is_cut_to_the_tickets_allowance() {
    let config = crate::resume13::ticket_server(|b| {
        b.set_max_early_data_size(100).unwrap();
        b.set_anti_replay(
            Arc::new(MemoryAntiReplay::new(1024)),
            AntiReplayMode::SingleUseTickets,
        );
    });
    thread::sleep(Duration::from_millis(1100));
    let (port, results) = baton_servers(config, 2);
    let client = ticket_client(|_| {});
    let (first, _) = baton_conn(&client, port, None);
    results.recv_timeout(TIMEOUT).unwrap().unwrap();
    let saved = first.saved_session().expect("no ticket kept");
    assert_eq!(saved.max_early_data(), 100);

    let mut conn = Connection::new_client(&client);
    conn.set_server_name("localhost").unwrap();
    conn.session_mut().set_saved_session(saved).unwrap();
    conn.set_io(tcp_connect(port));
    let long = [b'x'; 90];
    assert_eq!(conn.send_early_data(&long).unwrap(), 90);
    assert_eq!(conn.send_early_data(&long[..20]).unwrap(), 10);
    assert_eq!(conn.send_early_data(b"more").unwrap(), 0);
    assert_eq!(conn.early_data_status(), EarlyDataStatus::Requested);
    conn.negotiate().unwrap();
    assert_eq!(conn.early_data_status(), EarlyDataStatus::Accepted);
    assert_eq!(conn.send_early_data(b"late").unwrap(), 0);
    send_all(&mut conn, EARLY).unwrap();
    let answer = recv_until(&mut conn, |b| b.ends_with(b"\n")).unwrap();
    assert_eq!(answer, b"done\n");
    let seen = results.recv_timeout(TIMEOUT).unwrap().unwrap();
    assert_eq!(seen.early, [b'x'; 100]);
    assert_eq!(seen.late, EARLY);
}

/// `send_early_data` is for clients.
#[test]
fn send_early_data_on_a_server_is_a_usage_error() {
    let config = crate::resume13::ticket_server(|_| {});
    let mut conn = Connection::new_server(&config);
    let e = conn.send_early_data(b"x").unwrap_err();
    assert_eq!(e.kind(), baton::ErrorKind::Usage);
}

// ---------------------------------------------------------------- rustls

mod rustls_peer {
    use super::*;
    use crate::pair::{data, duplex, End};
    use crate::resume13::peers::rustls_session;
    use rustls::crypto::aws_lc_rs as provider;
    use rustls::HandshakeKind;
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
    use std::io::{self, Read, Write};

    fn server_config() -> Arc<rustls::ServerConfig> {
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_file_iter(data("server-rsa.pem"))
                .unwrap()
                .map(|c| c.unwrap())
                .collect();
        let key = PrivateKeyDer::from_pem_file(data("server-rsa.key")).unwrap();
        let mut cfg =
            rustls::ServerConfig::builder_with_provider(Arc::new(provider::default_provider()))
                .with_protocol_versions(&[&rustls::version::TLS13])
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(certs, key)
                .unwrap();
        cfg.max_early_data_size = 16384;
        Arc::new(cfg)
    }

    fn client_config() -> Arc<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        for ca in ["ca-rsa.pem", "ca-ecdsa.pem"] {
            for c in CertificateDer::pem_file_iter(data(ca)).unwrap() {
                roots.add(c.unwrap()).unwrap();
            }
        }
        let mut cfg =
            rustls::ClientConfig::builder_with_provider(Arc::new(provider::default_provider()))
                .with_protocol_versions(&[&rustls::version::TLS13])
                .unwrap()
                .with_root_certificates(roots)
                .with_no_client_auth();
        cfg.enable_early_data = true;
        Arc::new(cfg)
    }

    /// One turn of the rustls side: write what it has, read and process
    /// what arrived, write again.
    fn turn<S>(conn: &mut rustls::ConnectionCommon<S>, io: &mut End) {
        while conn.wants_write() {
            conn.write_tls(io).unwrap();
        }
        match conn.read_tls(io) {
            Ok(_) => {
                conn.process_new_packets()
                    .unwrap_or_else(|e| panic!("rustls: {e}"));
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("rustls read_tls: {e}"),
        }
        while conn.wants_write() {
            conn.write_tls(io).unwrap();
        }
    }

    /// The Baton client sends 0-RTT to a rustls server (its default
    /// stateful session store): rustls reads exactly the bytes as early
    /// data and resumes; Baton sees `Accepted`.
    #[test]
    fn baton_client_early_data_to_rustls_server() {
        let server = server_config();
        let client = ticket_client(|_| {});
        // A full handshake for the ticket.
        let (a, mut b) = duplex();
        let mut baton = Connection::new_client(&client);
        baton.set_server_name("localhost").unwrap();
        baton.set_io(a);
        let mut peer = rustls::ServerConnection::new(Arc::clone(&server)).unwrap();
        rustls_session(&mut baton, &mut peer, &mut b);
        let saved = baton.saved_session().expect("no ticket kept from rustls");
        assert!(saved.max_early_data() > 0);

        let (a, mut b) = duplex();
        let mut baton = Connection::new_client(&client);
        baton.set_server_name("localhost").unwrap();
        baton.session_mut().set_saved_session(saved).unwrap();
        baton.set_io(a);
        assert_eq!(baton.send_early_data(EARLY).unwrap(), EARLY.len());
        let mut peer = rustls::ServerConnection::new(Arc::clone(&server)).unwrap();
        let mut early = Vec::new();
        let mut buf = [0u8; 4096];
        let mut done = false;
        for _ in 0..50 {
            turn(&mut peer, &mut b);
            if let Some(mut ed) = peer.early_data() {
                let n = ed.read(&mut buf).unwrap();
                early.extend_from_slice(&buf[..n]);
            }
            match baton.negotiate() {
                Ok(()) if !peer.is_handshaking() => {
                    done = true;
                    break;
                }
                Ok(()) => {}
                Err(e) if e.is_blocked() => {}
                Err(e) => panic!("baton: {e}"),
            }
        }
        assert!(done, "handshake did not finish");
        assert_eq!(early, EARLY);
        assert_eq!(peer.handshake_kind(), Some(HandshakeKind::Resumed));
        assert!(baton.is_resumed());
        assert_eq!(baton.early_data_status(), EarlyDataStatus::Accepted);
    }

    /// rustls's client sends 0-RTT to a Baton server (single-use tickets in
    /// memory): Baton reads exactly the bytes with `recv_early_data`, and
    /// rustls sees its early data accepted.
    #[test]
    fn rustls_client_early_data_to_baton_server() {
        let server = single_use_server();
        let client = client_config();
        let name = ServerName::try_from("localhost").unwrap();
        let (a, mut b) = duplex();
        let mut baton = Connection::new_server(&server);
        baton.set_io(a);
        let mut peer = rustls::ClientConnection::new(Arc::clone(&client), name.clone()).unwrap();
        rustls_session(&mut baton, &mut peer, &mut b);

        let (a, mut b) = duplex();
        let mut baton = Connection::new_server(&server);
        baton.set_io(a);
        let mut peer = rustls::ClientConnection::new(Arc::clone(&client), name).unwrap();
        let mut writer = peer.early_data().expect("rustls offers no early data");
        assert!(writer.bytes_left() > 0);
        assert_eq!(writer.write(EARLY).unwrap(), EARLY.len());
        let mut early = Vec::new();
        let mut buf = [0u8; 4096];
        let mut reading_early = true;
        let mut done = false;
        for _ in 0..50 {
            turn(&mut peer, &mut b);
            if reading_early {
                match baton.recv_early_data(&mut buf) {
                    Ok(0) => reading_early = false,
                    Ok(n) => early.extend_from_slice(&buf[..n]),
                    Err(e) if e.is_blocked() => {}
                    Err(e) => panic!("baton recv_early_data: {e}"),
                }
                continue;
            }
            match baton.negotiate() {
                Ok(()) if !peer.is_handshaking() => {
                    done = true;
                    break;
                }
                Ok(()) => {}
                Err(e) if e.is_blocked() => {}
                Err(e) => panic!("baton: {e}"),
            }
        }
        assert!(done, "handshake did not finish");
        assert_eq!(early, EARLY);
        assert!(peer.is_early_data_accepted());
        assert_eq!(peer.handshake_kind(), Some(HandshakeKind::Resumed));
        assert_eq!(baton.early_data_status(), EarlyDataStatus::Accepted);
    }
}

/// "0.5-RTT": the server answers the accepted early request right after
/// its own Finished, before it reads the client's (it calls
/// `send_early_response` before `negotiate`); the client reads the answer
/// once its handshake completes. Outside that window the call is refused.
#[test]
fn a_server_answers_early_data_before_the_clients_finished() {
    const REPLY: &[u8] = b"answered at 0.5-RTT\n";
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = single_use_server();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for i in 0..2 {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
            stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
            let mut conn = Connection::new_server(&server);
            conn.set_io(stream);
            let r = (|| -> Result<(bool, Vec<u8>), Error> {
                let mut early = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    let n = conn.recv_early_data(&mut buf)?;
                    if n == 0 || early.len() + n >= EARLY.len() {
                        early.extend_from_slice(&buf[..n]);
                        break;
                    }
                    early.extend_from_slice(&buf[..n]);
                }
                let allowed = conn.may_send_early_response();
                if allowed {
                    assert_eq!(conn.send_early_response(REPLY)?, REPLY.len());
                } else {
                    let e = conn.send_early_response(REPLY).expect_err("not allowed");
                    assert_eq!(e.kind(), baton::ErrorKind::Usage);
                }
                conn.negotiate()?;
                if i == 0 {
                    let got = recv_until(&mut conn, |b| b.ends_with(b"\n"))?;
                    assert_eq!(got, EARLY);
                    send_all(&mut conn, b"done\n")?;
                }
                let _ = conn.shutdown();
                Ok((allowed, early))
            })();
            if tx.send(r.map_err(|e| format!("{e} [{e:?}]"))).is_err() {
                return;
            }
        }
    });
    let config = ticket_client(|_| {});
    // A full handshake: no early data, so no 0.5-RTT either.
    let (first, _) = baton_conn(&config, port, None);
    let (allowed, _) = rx.recv_timeout(TIMEOUT).unwrap().unwrap();
    assert!(!allowed, "0.5-RTT without accepted early data");
    let saved = first.saved_session().expect("a ticket");
    let (mut conn, n) = early_client(&config, port, Some(saved), Some(EARLY)).unwrap();
    assert_eq!(n, EARLY.len());
    assert_eq!(conn.early_data_status(), EarlyDataStatus::Accepted);
    let reply = recv_until(&mut conn, |b| b.ends_with(b"\n")).unwrap();
    assert_eq!(reply, REPLY);
    conn.shutdown().unwrap();
    let (allowed, early) = rx.recv_timeout(TIMEOUT).unwrap().unwrap();
    assert!(allowed);
    assert_eq!(early, EARLY);
}
