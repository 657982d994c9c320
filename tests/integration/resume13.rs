//! TLS 1.3 resumption against real peers on 127.0.0.1: `openssl s_client`
//! `-sess_out`/`-sess_in` and `gnutls-cli --resume` against a Baton server,
//! a Baton client against `openssl s_server` (its two tickets, its session
//! cache counters), curl fetching two URLs from one Baton HTTP server, and a
//! ticket whose key the server removed. rustls and s2n-tls, both directions,
//! are in `peers`.
//!
//! Every test checks that resumption really happened (or really did not) on
//! both sides: the peer's own words ("Reused", "This is a resumed session",
//! no Certificate message, its cache counters) and the Baton side's
//! `is_resumed()` / `resumption_refusal()`.

mod peers;

use crate::require_openssl;
use crate::util::*;
use baton::resumption::ResumptionRefusal;
use baton::{
    CertChainAndKey, CipherSuite, Config, ConfigBuilder, Connection, Error, NamedGroup,
    SavedSession, TicketKeys,
};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

// ---------------------------------------------------------------- helpers

/// Unix seconds now (the configs' default wall clock).
pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A Baton server config for `localhost` (ECDSA chain) with tickets on;
/// `tweak` adds to it.
pub(crate) fn ticket_server(tweak: impl FnOnce(&mut ConfigBuilder)) -> Config {
    let mut b = Config::builder_minimal();
    b.add_cert_chain_and_key(
        CertChainAndKey::from_pem_files(data("server-p256-chain.pem"), data("server-p256.key"))
            .unwrap(),
    );
    b.session_tickets(true);
    tweak(&mut b);
    b.build().expect("building the ticket server config")
}

/// A Baton client config trusting both test CAs, keeping tickets.
pub(crate) fn ticket_client(tweak: impl FnOnce(&mut ConfigBuilder)) -> Config {
    let mut b = Config::builder_minimal();
    for ca in ["ca-rsa.pem", "ca-ecdsa.pem"] {
        b.add_pem_to_trust_store(&std::fs::read(data(ca)).unwrap())
            .unwrap();
    }
    b.session_tickets(true);
    tweak(&mut b);
    b.build().expect("building the ticket client config")
}

/// Ticket keys holding one key, `name`, encrypting since a minute ago.
pub(crate) fn one_key(name: &[u8]) -> Arc<TicketKeys> {
    let keys = Arc::new(TicketKeys::new());
    keys.add_key(name, &[name.len() as u8 ^ 0x5a; 32], now_secs() - 60)
        .unwrap();
    keys
}

/// What a Baton server saw on one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Seen {
    pub resumed: bool,
    pub refusal: Option<ResumptionRefusal>,
    /// `Some` with psk_dhe_ke (or a full handshake), `None` with psk_ke.
    pub group: Option<NamedGroup>,
    /// Whether a certificate was chosen (so sent): full handshakes only.
    pub cert_sent: bool,
    pub age: Option<Duration>,
    pub suite: Option<CipherSuite>,
    pub hrr: bool,
}

impl Seen {
    pub(crate) fn of(conn: &Connection) -> Self {
        Seen {
            resumed: conn.is_resumed(),
            refusal: conn.resumption_refusal(),
            group: conn.kx_group(),
            cert_sent: conn.selected_cert().is_some(),
            age: conn.resumed_session_age(),
            suite: conn.cipher_suite(),
            hrr: conn.used_hello_retry(),
        }
    }

    /// A full handshake with no refused offer.
    pub(crate) fn assert_full(&self) {
        assert!(
            !self.resumed && self.cert_sent && self.refusal.is_none(),
            "{self:?}"
        );
    }

    /// A psk_dhe_ke resumption: no certificate, a fresh key exchange.
    pub(crate) fn assert_resumed_dhe(&self) {
        assert!(self.resumed, "the Baton server did not resume: {self:?}");
        assert!(!self.cert_sent, "a resumed handshake sends no certificate");
        assert!(self.refusal.is_none() && self.age.is_some(), "{self:?}");
        assert!(self.group.is_some(), "psk_dhe_ke has a key exchange");
    }
}

/// A Baton server thread accepting `n` connections, one after the other, on
/// one 127.0.0.1 listener (curl and gnutls-cli reconnect to the same port),
/// running `f` on each; a connection's error does not stop the next.
pub(crate) struct Accepting<T> {
    pub port: u16,
    result: mpsc::Receiver<Vec<Result<T, String>>>,
}

pub(crate) fn baton_server_n<T, F>(config: Config, n: usize, f: F) -> Accepting<T>
where
    T: Send + 'static,
    F: Fn(&mut Connection) -> Result<T, Error> + Send + 'static,
{
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("binding 127.0.0.1:0");
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut all = Vec::new();
        for _ in 0..n {
            let r = accept_within(&listener).and_then(|stream| {
                let mut conn = Connection::new_server(&config);
                conn.set_io(stream);
                f(&mut conn).map_err(|e| format!("{e} [{e:?}]"))
            });
            let stop = r.as_ref().is_err_and(|e| e.starts_with("no connection"));
            all.push(r);
            if stop {
                break;
            }
        }
        let _ = tx.send(all);
    });
    Accepting { port, result: rx }
}

impl<T> Accepting<T> {
    /// Each connection's result, in order; panics after `timeout`.
    pub(crate) fn join(self, timeout: Duration) -> Vec<Result<T, String>> {
        self.result
            .recv_timeout(timeout)
            .unwrap_or_else(|e| panic!("the Baton server did not finish within {timeout:?}: {e}"))
    }
}

fn accept_within(listener: &TcpListener) -> Result<TcpStream, String> {
    listener.set_nonblocking(true).unwrap();
    let deadline = Instant::now() + TIMEOUT;
    loop {
        match listener.accept() {
            Ok((s, _)) => {
                s.set_nonblocking(false).unwrap();
                s.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
                s.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
                return Ok(s);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if Instant::now() >= deadline {
                    return Err(format!("no connection within {TIMEOUT:?}"));
                }
                thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(format!("accept: {e}")),
        }
    }
}

/// Server side for line-based clients: handshake, then echo one line (if the
/// client sends one before closing), then close.
fn echo_line(conn: &mut Connection) -> Result<Seen, Error> {
    conn.negotiate()?;
    let seen = Seen::of(conn);
    let mut line = Vec::new();
    let mut buf = [0u8; 1024];
    while !line.ends_with(b"\n") {
        match conn.recv(&mut buf)? {
            0 => return Ok(seen),
            n => line.extend_from_slice(&buf[..n]),
        }
    }
    send_all(conn, &line)?;
    conn.shutdown()?;
    Ok(seen)
}

/// Every result, or a panic naming the failed connection and the peer's words.
fn all_ok<T>(results: Vec<Result<T, String>>, n: usize, peer_out: &str) -> Vec<T> {
    assert_eq!(results.len(), n, "connections accepted; peer: {peer_out}");
    results
        .into_iter()
        .enumerate()
        .map(|(i, r)| r.unwrap_or_else(|e| panic!("Baton server, connection {i}: {e}\n{peer_out}")))
        .collect()
}

fn scratch_file(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    scratch_dir().join(format!("resume13-{n}-{name}"))
}

// ---------------------------------------------------------------- openssl s_client

/// `openssl s_client -tls1_3` verifying `localhost`, sending one line and
/// reading until the server closes (so the ticket, sent before the echo, is
/// read), with `extra` arguments. Returns its output (stdout and stderr).
fn s_client_line(port: u16, extra: &[&str]) -> String {
    s_client_line_as(port, "localhost", extra)
}

/// [`s_client_line`] with `name` as SNI and the name to verify.
fn s_client_line_as(port: u16, name: &str, extra: &[&str]) -> String {
    let ca = all_cas_file().to_str().unwrap().to_string();
    let mut args = vec![
        "-tls1_3",
        "-CAfile",
        &ca,
        "-verify_return_error",
        "-verify_hostname",
        name,
        "-servername",
        name,
        "-ign_eof",
    ];
    args.extend_from_slice(extra);
    let mut cli = s_client(port, &args);
    cli.write_stdin(b"resume me\n");
    cli.close_stdin();
    let out = cli.wait(TIMEOUT);
    let text = format!("{}\n{}", out.stdout_str(), out.stderr);
    assert!(out.status.success(), "openssl s_client failed: {text}");
    assert!(out.stdout_str().contains("resume me\n"), "no echo: {text}");
    text
}

/// "New, TLSv1.3" or "Reused, TLSv1.3" from s_client's summary.
fn s_client_reused(text: &str) -> bool {
    let reused = text.contains("Reused, TLSv1.3,");
    let new = text.contains("New, TLSv1.3,");
    assert!(reused != new, "s_client says neither or both: {text}");
    reused
}

/// `-sess_out` a ticket from a Baton server, then `-sess_in` it; `s_args`
/// go to both s_clients. Returns what the server saw and whether s_client
/// reported the second connection as reused.
fn s_client_twice(config: Config, s_args: &[&str], between: impl FnOnce()) -> (Seen, Seen, bool) {
    let sess = scratch_file("sess.pem");
    let sess = sess.to_str().unwrap();
    let server = baton_server_n(config, 2, echo_line);
    let mut first = s_args.to_vec();
    first.extend(["-sess_out", sess]);
    let out1 = s_client_line(server.port, &first);
    assert!(!s_client_reused(&out1));
    assert!(
        std::fs::metadata(sess).is_ok_and(|m| m.len() > 0),
        "s_client wrote no session (no ticket arrived?): {out1}"
    );
    between();
    let mut second = s_args.to_vec();
    second.extend(["-sess_in", sess]);
    let out2 = s_client_line(server.port, &second);
    let seen = all_ok(server.join(TIMEOUT), 2, &out2);
    let reused = s_client_reused(&out2);
    (seen[0].clone(), seen[1].clone(), reused)
}

/// `openssl s_client -sess_out` then `-sess_in`: OpenSSL says "Reused,
/// TLSv1.3" and the Baton server resumed (psk_dhe_ke, no certificate).
#[test]
fn openssl_client_resumes_with_baton_server() {
    require_openssl!();
    let (a, b, reused) = s_client_twice(ticket_server(|_| {}), &[], || {});
    a.assert_full();
    b.assert_resumed_dhe();
    assert!(reused, "s_client did not report the session as reused");
}

/// `-allow_no_dhe_kex` makes OpenSSL 3.0 offer psk_ke beside psk_dhe_ke (it
/// cannot offer psk_ke alone). A Baton server that allows psk_ke resumes and
/// still prefers psk_dhe_ke (forward secrecy); one that does not allow it
/// resumes with psk_dhe_ke just the same (nothing refused).
#[test]
fn openssl_client_offering_psk_ke_resumes_with_dhe() {
    require_openssl!();
    for allow in [true, false] {
        let config = ticket_server(|b| {
            b.allow_psk_ke(allow);
        });
        let (a, b, reused) = s_client_twice(config, &["-allow_no_dhe_kex"], || {});
        a.assert_full();
        b.assert_resumed_dhe();
        assert!(reused, "allow_psk_ke({allow}): s_client did not reuse");
    }
}

/// A ticket whose key the server removed between the connections: s_client
/// gets a full handshake ("New"), the server says why (unknown key), and
/// the connection works (the echo in `s_client_line`).
#[test]
fn openssl_client_ticket_from_removed_key_gets_full_handshake() {
    require_openssl!();
    let config = ticket_server(|b| {
        b.set_ticket_keys(one_key(b"old-key"));
    });
    let keys = Arc::clone(config.ticket_keys());
    let (a, b, reused) = s_client_twice(config, &[], move || {
        assert!(keys.remove_key(b"old-key"));
        keys.add_key(b"new-key", &[7; 32], now_secs() - 60).unwrap();
    });
    a.assert_full();
    assert!(!reused, "s_client resumed a ticket of a removed key");
    assert!(!b.resumed && b.cert_sent, "{b:?}");
    assert_eq!(b.refusal, Some(ResumptionRefusal::UnknownKey));
}

/// A resumption through a HelloRetryRequest: the Baton server takes only
/// P-384 and s_client shares X25519 first, so both handshakes retry, and the
/// second one's binder covers ClientHello1 and the retry (RFC 8446 §4.2.11.2).
#[test]
fn openssl_client_resumes_after_hello_retry() {
    require_openssl!();
    let p384 = crate::pair::policy(&crate::pair::SUITES, &[NamedGroup::SECP384R1]);
    let config = ticket_server(|b| {
        b.custom_security_policy(p384).unwrap();
    });
    let (a, b, reused) = s_client_twice(config, &["-groups", "X25519:P-384"], || {});
    a.assert_full();
    b.assert_resumed_dhe();
    assert!(a.hrr && b.hrr, "both handshakes must retry: {a:?} {b:?}");
    assert_eq!(b.group, Some(NamedGroup::SECP384R1));
    assert!(reused, "s_client did not reuse after the retry");
}

/// A TLS 1.3 ticket resumes with another suite of the same hash (RFC 8446
/// §4.2.11): made under AES-128-GCM, resumed under ChaCha20-Poly1305.
#[test]
fn openssl_client_resumes_with_another_suite_of_the_same_hash() {
    require_openssl!();
    let sess = scratch_file("suite.pem");
    let sess = sess.to_str().unwrap();
    let server = baton_server_n(ticket_server(|_| {}), 2, echo_line);
    let out1 = s_client_line(
        server.port,
        &["-ciphersuites", "TLS_AES_128_GCM_SHA256", "-sess_out", sess],
    );
    assert!(!s_client_reused(&out1));
    let out2 = s_client_line(
        server.port,
        &["-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256", "-sess_in", sess],
    );
    let seen = all_ok(server.join(TIMEOUT), 2, &out2);
    assert!(s_client_reused(&out2), "{out2}");
    assert!(out2.contains("Cipher is TLS_CHACHA20_POLY1305_SHA256"), "{out2}");
    assert_eq!(seen[0].suite, Some(CipherSuite::TLS13_AES_128_GCM_SHA256));
    seen[1].assert_resumed_dhe();
    assert_eq!(
        seen[1].suite,
        Some(CipherSuite::TLS13_CHACHA20_POLY1305_SHA256)
    );
}

/// A ticket made for `localhost` offered with another server name (the
/// certificate also covers `server.test`): the Baton server refuses it
/// (mismatch) and runs a full handshake, which s_client reports as "New".
#[test]
fn openssl_client_ticket_for_another_name_gets_full_handshake() {
    require_openssl!();
    let sess = scratch_file("sni.pem");
    let sess = sess.to_str().unwrap();
    let server = baton_server_n(ticket_server(|_| {}), 2, echo_line);
    let out1 = s_client_line(server.port, &["-sess_out", sess]);
    assert!(!s_client_reused(&out1));
    let out2 = s_client_line_as(server.port, "server.test", &["-sess_in", sess]);
    let seen = all_ok(server.join(TIMEOUT), 2, &out2);
    assert!(!s_client_reused(&out2), "{out2}");
    seen[0].assert_full();
    assert!(!seen[1].resumed && seen[1].cert_sent, "{:?}", seen[1]);
    // OpenSSL 3.0 offers the ticket under the new name; the server says why
    // it refused.
    assert_eq!(seen[1].refusal, Some(ResumptionRefusal::Mismatch));
}

/// The tickets s_client sees: `set_initial_ticket_count(3)` sends three
/// after the handshake, `add_tickets_to_send(2)` two more, each with the
/// configured lifetime as its hint.
#[test]
fn openssl_client_sees_ticket_count_and_lifetime() {
    require_openssl!();
    let config = ticket_server(|b| {
        b.set_initial_ticket_count(3);
        b.set_session_lifetime(Duration::from_secs(3600)).unwrap();
    });
    let server = baton_server_n(config, 1, |conn| {
        conn.negotiate()?;
        conn.session_mut().add_tickets_to_send(2)?;
        conn.flush()?;
        echo_line(conn)
    });
    let out = s_client_line(server.port, &["-msg"]);
    let seen = all_ok(server.join(TIMEOUT), 1, &out);
    seen[0].assert_full();
    let tickets = out
        .lines()
        .filter(|l| l.starts_with("<<<") && l.ends_with("NewSessionTicket"))
        .count();
    assert_eq!(tickets, 5, "{out}");
    assert!(
        out.contains("TLS session ticket lifetime hint: 3600 (seconds)"),
        "{out}"
    );
}

// ---------------------------------------------------------------- openssl s_server

/// s_server's "N session cache hits" at exit (it counts resumptions, with
/// stateless tickets too).
fn cache_hits(text: &str) -> u64 {
    text.lines()
        .find_map(|l| l.trim().strip_suffix(" session cache hits"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no cache counters in s_server's output: {text}"))
}

/// `openssl s_server -tls1_3 -rev` for `n` connections (tickets on: OpenSSL
/// sends two after each full handshake).
fn s_server_rev(n: usize) -> SServer {
    s_server_rev_args(n, &[])
}

fn s_server_rev_args(n: usize, extra: &[&str]) -> SServer {
    let mut args = vec!["-rev"];
    args.extend_from_slice(extra);
    s_server_n(n, &args)
}

/// `openssl s_server -tls1_3` (RSA) for `n` connections, with `extra`.
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

/// A Baton client to s_server: the handshake (offering `offer`), one
/// reversed line (which comes after the tickets), close.
fn rev_client(config: &Config, srv: &SServer, offer: Option<SavedSession>) -> Connection {
    let mut conn = baton_client(config, srv.port, |c| {
        c.set_server_name("localhost").unwrap();
        if let Some(s) = offer {
            c.session_mut().set_saved_session(s).unwrap();
        }
    })
    .unwrap_or_else(|e| panic!("Baton client: {e}; s_server: {}", srv.proc.stderr_now()));
    send_all(&mut conn, b"ticket\n").unwrap();
    let back = recv_until(&mut conn, |b| b.ends_with(b"\n")).unwrap();
    assert_eq!(back, b"tekcit\n");
    conn.shutdown().unwrap();
    conn
}

/// A Baton client keeps s_server's ticket and resumes with it: Baton says
/// resumed, and s_server counts the hit; a third connection resumes from
/// the config's session store with no application code.
#[test]
fn baton_client_resumes_with_openssl_server() {
    require_openssl!();
    let srv = s_server_rev(3);
    let config = ticket_client(|_| {});
    let first = rev_client(&config, &srv, None);
    assert!(!first.is_resumed());
    let saved = first
        .saved_session()
        .expect("no ticket kept from s_server");
    assert_eq!(saved.server_name(), Some("localhost"));
    let second = rev_client(&config, &srv, Some(saved));
    assert!(second.is_resumed(), "the Baton client did not resume");
    assert!(second.kx_group().is_some(), "psk_dhe_ke");
    // The server's identity is still known on a resumed connection.
    assert!(!second.peer_cert_chain().is_empty());
    // Without application code: the config's store offers a kept ticket.
    let third = rev_client(&config, &srv, None);
    assert!(third.is_resumed(), "the client store did not resume");
    let out = srv.proc.wait(TIMEOUT);
    let text = format!("{}\n{}", out.stdout_str(), out.stderr);
    assert_eq!(cache_hits(&text), 2, "{text}");
}

/// The client's session callback gets every ticket: s_server sends two
/// after a full handshake, and each of them resumes a connection of its own.
#[test]
fn baton_client_session_callback_gets_both_openssl_tickets() {
    require_openssl!();
    let srv = s_server_rev(3);
    let got: Arc<Mutex<Vec<SavedSession>>> = Arc::default();
    let sink = Arc::clone(&got);
    let config = ticket_client(move |b| {
        b.set_session_callback(move |s| sink.lock().unwrap().push(s.clone()));
    });
    let first = rev_client(&config, &srv, None);
    assert!(!first.is_resumed());
    let tickets: Vec<SavedSession> = std::mem::take(&mut *got.lock().unwrap());
    assert_eq!(tickets.len(), 2, "OpenSSL sends two tickets by default");
    assert_ne!(
        tickets[0].to_bytes().as_slice(),
        tickets[1].to_bytes().as_slice(),
        "two different tickets"
    );
    for t in tickets {
        let conn = rev_client(&config, &srv, Some(t));
        assert!(conn.is_resumed(), "a ticket from the callback did not resume");
    }
    let out = srv.proc.wait(TIMEOUT);
    let text = format!("{}\n{}", out.stdout_str(), out.stderr);
    assert_eq!(cache_hits(&text), 2, "{text}");
}

/// A ticket offered to an s_server that never issued it (another process,
/// other ticket keys): OpenSSL ignores it, and the Baton client goes on with
/// the full handshake (certificate checked) and the connection works.
#[test]
fn baton_client_ticket_refused_by_another_openssl_server() {
    require_openssl!();
    let config = ticket_client(|b| {
        b.set_client_session_store(None);
    });
    let first_srv = s_server_rev(1);
    let saved = rev_client(&config, &first_srv, None)
        .saved_session()
        .expect("no ticket kept from s_server");
    let _ = first_srv.proc.wait(TIMEOUT);
    let other = s_server_rev(1);
    let conn = rev_client(&config, &other, Some(saved));
    assert!(!conn.is_resumed(), "resumed with a foreign ticket");
    assert!(!conn.peer_cert_chain().is_empty());
    let out = other.proc.wait(TIMEOUT);
    let text = format!("{}\n{}", out.stdout_str(), out.stderr);
    assert_eq!(cache_hits(&text), 0, "{text}");
}

/// A Baton client now limited to ChaCha20-Poly1305 resumes its AES-128-GCM
/// ticket with s_server (same hash, RFC 8446 §4.2.11): resumed, under the
/// new suite.
#[test]
fn baton_client_resumes_with_another_suite_of_the_same_hash() {
    require_openssl!();
    let aes = ticket_client(|b| {
        b.custom_security_policy(crate::pair::policy(
            &[CipherSuite::TLS13_AES_128_GCM_SHA256],
            &crate::pair::GROUPS,
        ))
        .unwrap();
    });
    let srv = s_server_rev_args(
        2,
        &[
            "-ciphersuites",
            "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256",
        ],
    );
    let first = rev_client(&aes, &srv, None);
    let saved = first.saved_session().expect("a ticket");
    assert_eq!(saved.cipher_suite(), CipherSuite::TLS13_AES_128_GCM_SHA256);
    let chacha = ticket_client(|b| {
        b.custom_security_policy(crate::pair::policy(
            &[CipherSuite::TLS13_CHACHA20_POLY1305_SHA256],
            &crate::pair::GROUPS,
        ))
        .unwrap();
    });
    let second = rev_client(&chacha, &srv, Some(saved));
    assert!(second.is_resumed(), "no resumption across suites of one hash");
    assert_eq!(
        second.cipher_suite(),
        Some(CipherSuite::TLS13_CHACHA20_POLY1305_SHA256)
    );
    let out = srv.proc.wait(TIMEOUT);
    let text = format!("{}\n{}", out.stdout_str(), out.stderr);
    assert_eq!(cache_hits(&text), 1, "{text}");
}

/// Tickets from `s_server -early_data` carry the early_data extension
/// (max_early_data_size 16384): the Baton client keeps them and resumes
/// (without sending early data, which it does not do yet). s_server prints
/// what it reads (no `-rev` with `-early_data`); the client's `shutdown`
/// reads up to s_server's close_notify, so past the tickets.
#[test]
fn baton_client_resumes_with_early_data_tickets() {
    require_openssl!();
    let srv = s_server_n(2, &["-early_data"]);
    let config = ticket_client(|_| {});
    let line = |offer: Option<SavedSession>, text: &[u8]| {
        let mut conn = baton_client(&config, srv.port, |c| {
            c.set_server_name("localhost").unwrap();
            if let Some(s) = offer {
                c.session_mut().set_saved_session(s).unwrap();
            }
        })
        .unwrap_or_else(|e| panic!("Baton client: {e}; s_server: {}", srv.proc.stderr_now()));
        send_all(&mut conn, text).unwrap();
        conn.shutdown().unwrap();
        conn
    };
    let first = line(None, b"first line\n");
    assert!(!first.is_resumed());
    let saved = first.saved_session().expect("no ticket kept from s_server");
    let second = line(Some(saved), b"second line\n");
    assert!(second.is_resumed());
    let out = srv.proc.wait(TIMEOUT);
    let text = format!("{}\n{}", out.stdout_str(), out.stderr);
    assert!(text.contains("first line\n") && text.contains("second line\n"), "{text}");
    assert_eq!(cache_hits(&text), 1, "{text}");
}

// ---------------------------------------------------------------- key rotation

/// A Baton client offers a ticket to a Baton server that removed its key
/// (rotation): a full handshake, the refusal says why, data flows, and the
/// new ticket (from the new key) resumes the next connection.
#[test]
fn baton_client_ticket_after_server_key_rotation() {
    let config = ticket_server(|b| {
        b.set_ticket_keys(one_key(b"rotated-out"));
    });
    let keys = Arc::clone(config.ticket_keys());
    let server = baton_server_n(config, 3, |conn| {
        let seen = echo_line(conn)?;
        Ok(seen)
    });
    let client = ticket_client(|_| {});
    let run = |offer: Option<SavedSession>| {
        let mut conn = baton_client(&client, server.port, |c| {
            c.set_server_name("localhost").unwrap();
            if let Some(s) = offer {
                c.session_mut().set_saved_session(s).unwrap();
            }
        })
        .expect("Baton client handshake");
        send_all(&mut conn, b"rotate\n").unwrap();
        assert_eq!(recv_until(&mut conn, |b| b.ends_with(b"\n")).unwrap(), b"rotate\n");
        conn.shutdown().unwrap();
        conn
    };
    let first = run(None);
    let old = first.saved_session().expect("a ticket");
    assert!(keys.remove_key(b"rotated-out"));
    keys.add_key(b"rotated-in", &[9; 32], now_secs() - 60).unwrap();
    let second = run(Some(old));
    assert!(!second.is_resumed(), "resumed with a removed key's ticket");
    let fresh = second.saved_session().expect("a ticket from the new key");
    let third = run(Some(fresh));
    assert!(third.is_resumed(), "the new key's ticket did not resume");
    let seen = all_ok(server.join(TIMEOUT), 3, "");
    seen[0].assert_full();
    assert!(!seen[1].resumed && seen[1].cert_sent);
    assert_eq!(seen[1].refusal, Some(ResumptionRefusal::UnknownKey));
    seen[2].assert_resumed_dhe();
}

// ---------------------------------------------------------------- gnutls-cli

fn have(tool: &str, arg: &str) -> bool {
    let ok = Command::new(tool)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("BATON_REQUIRE_OPENSSL").is_none(),
            "{tool} is required under tools/test"
        );
        eprintln!("SKIPPED: {tool} not installed");
    }
    ok
}

/// `gnutls-cli --resume` (TLS 1.3 only) reconnects with the ticket of its
/// first connection: it says "This is a resumed session" and the Baton
/// server resumed the second connection.
#[test]
fn gnutls_cli_resumes_with_baton_server() {
    if !have("gnutls-cli", "--version") {
        return;
    }
    let server = baton_server_n(ticket_server(|_| {}), 2, echo_line);
    let ca = data("ca-ecdsa.pem");
    let mut cli = Proc::spawn(
        "gnutls-cli",
        Command::new("gnutls-cli").args([
            "--x509cafile",
            ca.to_str().unwrap(),
            "--priority",
            "NORMAL:-VERS-ALL:+VERS-TLS1.3",
            "--resume",
            "--port",
            &server.port.to_string(),
            "localhost",
        ]),
    );
    cli.write_stdin(b"gnutls resumed\n");
    cli.close_stdin();
    let out = cli.wait(TIMEOUT);
    let text = format!("{}\n{}", out.stdout_str(), out.stderr);
    let seen = all_ok(server.join(TIMEOUT), 2, &text);
    assert!(out.status.success(), "gnutls-cli: {text}");
    assert!(text.contains("This is a resumed session"), "{text}");
    assert!(out.stdout_str().contains("gnutls resumed"), "no echo: {text}");
    seen[0].assert_full();
    seen[1].assert_resumed_dhe();
}

/// gnutls-cli `--resume` with a priority naming no (EC)DHE-PSK (so it offers
/// psk_ke alone; `+PSK` also makes it offer an external PSK identity, which
/// the server cannot open and skips), against `allow_psk_ke` on and off.
/// Returns what gnutls-cli printed and what the server saw.
fn gnutls_psk_ke(allow: bool) -> (String, Vec<Seen>) {
    let config = ticket_server(|b| {
        b.allow_psk_ke(allow);
    });
    let server = baton_server_n(config, 2, echo_line);
    let ca = data("ca-ecdsa.pem");
    let mut cli = Proc::spawn(
        "gnutls-cli",
        Command::new("gnutls-cli").args([
            "--x509cafile",
            ca.to_str().unwrap(),
            "--priority",
            "NORMAL:-VERS-ALL:+VERS-TLS1.3:+PSK",
            "--pskusername",
            "external",
            "--pskkey",
            "00112233445566778899aabbccddeeff",
            "--resume",
            "--port",
            &server.port.to_string(),
            "localhost",
        ]),
    );
    cli.write_stdin(b"psk_ke\n");
    cli.close_stdin();
    let out = cli.wait(TIMEOUT);
    let text = format!("{}\n{}", out.stdout_str(), out.stderr);
    let seen = all_ok(server.join(TIMEOUT), 2, &text);
    assert!(out.status.success(), "gnutls-cli: {text}");
    assert!(out.stdout_str().contains("psk_ke"), "no echo: {text}");
    (text, seen)
}

/// psk_ke, allowed: GnuTLS offers only psk_ke, the Baton server resumes
/// without a key exchange, and gnutls-cli says it resumed.
#[test]
fn gnutls_cli_psk_ke_resumes_when_allowed() {
    if !have("gnutls-cli", "--version") {
        return;
    }
    let (text, seen) = gnutls_psk_ke(true);
    assert!(!seen[0].resumed && seen[0].cert_sent, "{:?}", seen[0]);
    // The external PSK identity is no ticket of ours.
    assert_eq!(seen[0].refusal, Some(ResumptionRefusal::Malformed));
    assert!(seen[1].resumed && !seen[1].cert_sent, "{:?}", seen[1]);
    assert_eq!(seen[1].refusal, None);
    assert_eq!(seen[1].group, None, "psk_ke has no key exchange");
    assert!(text.contains("This is a resumed session"), "{text}");
}

/// psk_ke, not allowed (the default): a client that names only psk_ke gets
/// no ticket to resume with, so its reconnection is a full handshake that
/// works.
#[test]
fn gnutls_cli_psk_ke_refused_by_default() {
    if !have("gnutls-cli", "--version") {
        return;
    }
    let (text, seen) = gnutls_psk_ke(false);
    for s in &seen {
        assert!(!s.resumed && s.cert_sent && s.group.is_some(), "{s:?}");
        assert_eq!(s.refusal, Some(ResumptionRefusal::PskModeRefused));
    }
    assert!(!text.contains("This is a resumed session"), "{text}");
}

// ---------------------------------------------------------------- curl

/// Server side of one HTTP/1.1 request: answer with `Connection: close`, so
/// that curl's next URL opens a new connection (and resumes).
fn http_once(conn: &mut Connection) -> Result<Seen, Error> {
    conn.negotiate()?;
    let seen = Seen::of(conn);
    let head = recv_until(conn, |b| b.windows(4).any(|w| w == b"\r\n\r\n"))?;
    let path = String::from_utf8_lossy(&head)
        .split_whitespace()
        .nth(1)
        .unwrap_or("?")
        .to_string();
    let body = format!("body of {path}\n");
    let resp = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    send_all(conn, resp.as_bytes())?;
    conn.shutdown()?;
    Ok(seen)
}

/// curl (OpenSSL 3 backend) fetches two URLs from one Baton server in one
/// run: the second connection says "SSL re-using session ID", gets no
/// Certificate message, and the Baton server resumed it.
#[test]
fn curl_two_urls_resumes_the_second_connection() {
    if !have("curl", "--version") {
        return;
    }
    let config = ticket_server(|b| {
        b.set_alpn_preferences(&["http/1.1"]).unwrap();
    });
    let server = baton_server_n(config, 2, http_once);
    let base = format!("https://localhost:{}", server.port);
    let out = Command::new("curl")
        .args(["-v", "--max-time", "20", "--cacert"])
        .arg(data("ca-ecdsa.pem"))
        .args(["--resolve", &format!("localhost:{}:127.0.0.1", server.port)])
        .arg(format!("{base}/one"))
        .arg(format!("{base}/two"))
        .output()
        .expect("running curl");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let body = String::from_utf8_lossy(&out.stdout).into_owned();
    let seen = all_ok(server.join(TIMEOUT), 2, &err);
    assert!(out.status.success(), "curl: {err}");
    assert_eq!(body, "body of /one\nbody of /two\n", "{err}");
    check_curl_resumed(&err);
    seen[0].assert_full();
    seen[1].assert_resumed_dhe();
}

/// curl -v's words: two connections, the second offered the saved session
/// and got no Certificate (so the server resumed).
pub(crate) fn check_curl_resumed(err: &str) {
    let second = err
        .find("(#1)")
        .unwrap_or_else(|| panic!("curl opened one connection only: {err}"));
    let (first, second) = err.split_at(second);
    assert!(first.contains("Certificate (11)"), "{err}");
    assert!(second.contains("SSL re-using session ID"), "{err}");
    assert!(
        !second.contains("Certificate (11)"),
        "the second connection was a full handshake: {err}"
    );
}
