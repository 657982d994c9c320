//! TLS 1.3 resumption against real peers on 127.0.0.1: `openssl s_client`
//! `-sess_out`/`-sess_in` against a Baton server (here); a Baton client
//! against `openssl s_server` and a server that rotated its key
//! (`baton_client`); `gnutls-cli --resume` and curl (`cli_peers`); rustls and
//! s2n-tls both directions (`peers`).
//!
//! Every test checks that resumption really happened (or really did not) on
//! both sides: the peer's own words ("Reused", "This is a resumed session",
//! no Certificate message, its cache counters, its handshake kind) and the
//! Baton side's `is_resumed()` / `resumption_refusal()`.

mod baton_client;
mod cli_peers;
pub(crate) mod peers;

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

/// [`s_client_line`] with `name` as SNI and the name to verify; with
/// "127.0.0.1", no SNI (OpenSSL sends none for an address) and the address
/// verified.
fn s_client_line_as(port: u16, name: &str, extra: &[&str]) -> String {
    let ca = all_cas_file().to_str().unwrap().to_string();
    let mut args = vec![
        "-tls1_3",
        "-CAfile",
        &ca,
        "-verify_return_error",
        "-ign_eof",
    ];
    if name == "127.0.0.1" {
        args.extend(["-verify_ip", name, "-noservername"]);
    } else {
        args.extend(["-verify_hostname", name, "-servername", name]);
    }
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

/// The same with a SHA-384 suite (AES-256-GCM): the binder and the PSK use
/// SHA-384.
#[test]
fn openssl_client_resumes_with_a_sha384_suite() {
    require_openssl!();
    let (a, b, reused) = s_client_twice(
        ticket_server(|_| {}),
        &["-ciphersuites", "TLS_AES_256_GCM_SHA384"],
        || {},
    );
    a.assert_full();
    b.assert_resumed_dhe();
    assert_eq!(b.suite, Some(CipherSuite::TLS13_AES_256_GCM_SHA384));
    assert!(reused, "s_client did not report the session as reused");
}

/// A chain of resumptions: each s_client connection offers the ticket the
/// previous (resumed) one received, five times; every one resumes, so a
/// resumed connection gets a fresh ticket that resumes again.
#[test]
fn openssl_client_chain_of_resumptions() {
    require_openssl!();
    const N: usize = 6;
    let sess = scratch_file("chain.pem");
    let sess = sess.to_str().unwrap();
    let server = baton_server_n(ticket_server(|_| {}), N, echo_line);
    let out = s_client_line(server.port, &["-sess_out", sess]);
    assert!(!s_client_reused(&out));
    for i in 1..N {
        let out = s_client_line(server.port, &["-sess_in", sess, "-sess_out", sess]);
        assert!(s_client_reused(&out), "connection {i}: {out}");
    }
    let seen = all_ok(server.join(TIMEOUT), N, "");
    seen[0].assert_full();
    for s in &seen[1..] {
        s.assert_resumed_dhe();
    }
}

/// A session s_client got from `openssl s_server` (OpenSSL's own ticket
/// format and keys), offered to a Baton server under the same name: refused
/// as undecodable, and the full handshake works.
#[test]
fn openssl_client_foreign_ticket_gets_full_handshake() {
    require_openssl!();
    let sess = scratch_file("foreign.pem");
    let sess = sess.to_str().unwrap();
    // s_server -www answers one GET and closes: s_client reads the tickets
    // (sent first), the page, then the close.
    let srv = s_server(&[
        "-cert",
        data("server-rsa.pem").to_str().unwrap(),
        "-key",
        data("server-rsa.key").to_str().unwrap(),
        "-tls1_3",
        "-www",
        "-naccept",
        "1",
    ]);
    let ca = all_cas_file().to_str().unwrap().to_string();
    let mut cli = s_client(
        srv.port,
        &[
            "-tls1_3",
            "-CAfile",
            &ca,
            "-verify_return_error",
            "-servername",
            "localhost",
            "-ign_eof",
            "-sess_out",
            sess,
        ],
    );
    cli.write_stdin(b"GET / HTTP/1.0\r\n\r\n");
    cli.close_stdin();
    let out = cli.wait(TIMEOUT);
    assert!(out.status.success(), "{}", out.stderr);
    assert!(std::fs::metadata(sess).is_ok_and(|m| m.len() > 0));
    let _ = srv.proc.wait(TIMEOUT);
    let server = baton_server_n(ticket_server(|_| {}), 1, echo_line);
    let out = s_client_line(server.port, &["-sess_in", sess]);
    let seen = all_ok(server.join(TIMEOUT), 1, &out);
    assert!(!s_client_reused(&out), "{out}");
    assert!(!seen[0].resumed && seen[0].cert_sent, "{:?}", seen[0]);
    assert!(
        matches!(
            seen[0].refusal,
            Some(ResumptionRefusal::Malformed | ResumptionRefusal::UnknownKey)
        ),
        "{:?}",
        seen[0]
    );
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
        &[
            "-ciphersuites",
            "TLS_CHACHA20_POLY1305_SHA256",
            "-sess_in",
            sess,
        ],
    );
    let seen = all_ok(server.join(TIMEOUT), 2, &out2);
    assert!(s_client_reused(&out2), "{out2}");
    assert!(
        out2.contains("Cipher is TLS_CHACHA20_POLY1305_SHA256"),
        "{out2}"
    );
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

/// Without SNI (s_client to an address): the ticket records no name, and
/// resumes a connection without one; offered with a name, it is refused.
#[test]
fn openssl_client_resumes_without_server_name() {
    require_openssl!();
    let sess = scratch_file("nosni.pem");
    let sess = sess.to_str().unwrap();
    let server = baton_server_n(ticket_server(|_| {}), 3, echo_line);
    let out1 = s_client_line_as(server.port, "127.0.0.1", &["-sess_out", sess]);
    assert!(!s_client_reused(&out1));
    let out2 = s_client_line_as(server.port, "127.0.0.1", &["-sess_in", sess]);
    assert!(s_client_reused(&out2), "{out2}");
    let out3 = s_client_line(server.port, &["-sess_in", sess]);
    let seen = all_ok(server.join(TIMEOUT), 3, &out3);
    assert!(!s_client_reused(&out3), "{out3}");
    seen[0].assert_full();
    seen[1].assert_resumed_dhe();
    assert!(!seen[2].resumed && seen[2].cert_sent, "{:?}", seen[2]);
    assert_eq!(seen[2].refusal, Some(ResumptionRefusal::Mismatch));
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
