//! Hellos that are large or oddly split, from and to OpenSSL: a ClientHello
//! fragmented over several records (`s_client -max_send_frag 512`), both
//! directions of a handshake forwarded one byte per write (TCP_NODELAY), many
//! groups that force a HelloRetryRequest, and a stateless `s_server`.
//!
//! OpenSSL 3.0's `s_server` sends no HelloRetryRequest cookie, not even with
//! `-stateless` (checked with `-trace`), and neither does `gnutls-serv`; the
//! Baton client's cookie echo is tested against a scripted HelloRetryRequest
//! in `src/engine/client13.rs`.

use super::*;
use crate::require_openssl;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Instant;

/// ALPN protocols enough to make s_client's ClientHello about 1.1 KB.
fn long_alpn_list() -> String {
    (0..20)
        .map(|i| format!("proto-{i:02}-{}", "x".repeat(40)))
        .collect::<Vec<_>>()
        .join(",")
}

/// A one-connection 127.0.0.1 relay to `target` that writes every byte it
/// reads on its own, with TCP_NODELAY on both legs, so each peer receives
/// the other's records in many small reads.
struct Relay {
    port: u16,
    /// (writes towards `target`, writes back) once both directions closed.
    done: mpsc::Receiver<(usize, usize)>,
}

impl Relay {
    fn to(target: u16) -> Relay {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, done) = mpsc::channel();
        thread::spawn(move || {
            let Some(client) = accept_one(&listener) else {
                return;
            };
            let server = tcp_connect(target);
            for s in [&client, &server] {
                s.set_nodelay(true).unwrap();
                s.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
            }
            let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            let up = thread::spawn(move || bytewise(c2, s2));
            let down = bytewise(server, client);
            let _ = tx.send((up.join().unwrap_or(0), down));
        });
        Relay { port, done }
    }

    fn writes(self) -> (usize, usize) {
        self.done
            .recv_timeout(TIMEOUT)
            .expect("the relay did not finish")
    }
}

fn accept_one(listener: &TcpListener) -> Option<TcpStream> {
    listener.set_nonblocking(true).unwrap();
    let deadline = Instant::now() + TIMEOUT;
    while Instant::now() < deadline {
        match listener.accept() {
            Ok((s, _)) => {
                s.set_nonblocking(false).unwrap();
                return Some(s);
            }
            Err(_) => thread::sleep(std::time::Duration::from_millis(5)),
        }
    }
    None
}

/// Copies `from` to `to` one byte per write until EOF or an error (a read
/// times out after IO_TIMEOUT, so this ends); returns the writes made.
fn bytewise(mut from: TcpStream, mut to: TcpStream) -> usize {
    let mut buf = [0u8; 4096];
    let mut writes = 0;
    while let Ok(n @ 1..) = from.read(&mut buf) {
        for b in &buf[..n] {
            if to.write_all(&[*b]).is_err() {
                return writes;
            }
            writes += 1;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
    writes
}

/// The records s_client's trace shows it sent before its first ClientHello
/// was complete.
fn records_before_client_hello(trace: &str) -> usize {
    let upto = trace
        .find("ClientHello")
        .expect("no ClientHello in the trace");
    trace[..upto].matches("Sent Record").count()
}

#[test]
fn openssl_client_hello_over_three_records() {
    require_openssl!();
    let alpn = long_alpn_list();
    let args = verifying_args(&[
        "-max_send_frag",
        "512",
        "-alpn",
        &alpn,
        "-trace",
        "-ign_eof",
    ]);
    let (n, out) = echo_once(
        server_config(ECDSA.chain, ECDSA.key),
        &refs(&args),
        b"fragmented hello\n",
    );
    assert_eq!(n.version, Some(ProtocolVersion::TLSV1_3));
    let trace = out.stdout_str();
    assert!(
        records_before_client_hello(&trace) >= 3,
        "s_client trace:\n{trace}"
    );
    assert!(trace.contains("fragmented hello\n"));
}

/// s_client's fragmented ClientHello reaches the Baton server one byte per
/// segment, and the server's flight goes back the same way.
#[test]
fn openssl_client_through_a_bytewise_relay() {
    require_openssl!();
    const MSG: &[u8] = b"one byte at a time\n";
    let server = baton_server(server_config(ECDSA.chain, ECDSA.key), |conn| {
        conn.negotiate()?;
        let data = recv_exact(conn, MSG.len())?;
        send_all(conn, &data)?;
        conn.shutdown()?;
        Ok(Negotiated::of(conn))
    });
    let relay = Relay::to(server.port);
    let alpn = long_alpn_list();
    let args = verifying_args(&["-max_send_frag", "512", "-alpn", &alpn, "-ign_eof"]);
    let mut cli = s_client(relay.port, &refs(&args));
    cli.write_stdin(MSG);
    let out = cli.wait(TIMEOUT);
    let n = server
        .join(TIMEOUT)
        .unwrap_or_else(|e| panic!("Baton server: {e}\ns_client: {}", out.stderr));
    assert_eq!(n.version, Some(ProtocolVersion::TLSV1_3));
    assert!(out.stdout_str().contains("one byte at a time"));
    let (up, down) = relay.writes();
    // The ClientHello alone is over a kilobyte; the server's flight carries a chain.
    assert!(
        up > 1000 && down > 1000,
        "relay writes: {up} up, {down} down"
    );
}

/// A Baton client's handshake, HelloRetryRequest included, through the
/// byte-by-byte relay to `s_server`.
#[test]
fn baton_client_through_a_bytewise_relay_with_hello_retry() {
    require_openssl!();
    let srv = s_server_with(
        ECDSA,
        &[
            "-tls1_3",
            "-groups",
            "secp384r1",
            "-naccept",
            "1",
            "-rev",
            "-quiet",
        ],
    );
    let relay = Relay::to(srv.port);
    let mut conn = baton_client(&client_config(), relay.port, |c| {
        c.set_server_name("localhost").unwrap();
    })
    .unwrap_or_else(|e| panic!("{e} [{e:?}]; s_server: {}", srv.proc.stderr_now()));
    assert_eq!(conn.kx_group(), Some(NamedGroup::SECP384R1));
    rev_roundtrip(&mut conn, "split into bytes");
    conn.shutdown().unwrap();
    drop(conn);
    let (up, down) = relay.writes();
    assert!(up > 500 && down > 500, "relay writes: {up} up, {down} down");
}

/// s_client offers nine groups with an X448 share first; Baton retries with a
/// group it has, and its HelloRetryRequest carries no cookie, so neither
/// does s_client's second ClientHello.
#[test]
fn openssl_client_with_many_groups_gets_a_retry_without_cookie() {
    require_openssl!();
    let groups = "x448:ffdhe2048:ffdhe3072:ffdhe4096:ffdhe6144:ffdhe8192:secp521r1:P-384:x25519";
    let args = verifying_args(&["-groups", groups, "-trace", "-ign_eof"]);
    let (n, out) = echo_once(
        server_config(ECDSA.chain, ECDSA.key),
        &refs(&args),
        b"retried\n",
    );
    let trace = out.stdout_str();
    assert!(n.group.is_some(), "{n:?}");
    assert_ne!(n.group, Some(NamedGroup::X448));
    assert_eq!(trace.matches("ClientHello").count(), 2, "trace:\n{trace}");
    assert!(!trace.contains("cookie"), "trace:\n{trace}");
}

/// `s_server -stateless` (SSL_stateless before SSL_accept) with a retry for
/// P-384: the Baton client completes the handshake.
#[test]
fn baton_client_against_a_stateless_openssl_server() {
    require_openssl!();
    let srv = s_server_with(
        RSA,
        &[
            "-tls1_3",
            "-stateless",
            "-groups",
            "secp384r1",
            "-naccept",
            "1",
            "-rev",
            "-quiet",
        ],
    );
    let mut conn = connect_localhost(&srv, |_| {});
    assert_eq!(conn.kx_group(), Some(NamedGroup::SECP384R1));
    rev_roundtrip(&mut conn, "stateless");
    conn.shutdown().unwrap();
}
