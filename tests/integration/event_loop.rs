//! Driving a `Session` without a transport (`poll_handshake`, `feed_tls` and
//! `read_tls`, `pending_tls` and `write_tls`, `seal_plaintext`, `take_plaintext`): what an io_uring or epoll
//! loop does. In memory between two Baton ends, and over TCP against OpenSSL
//! with record-exact reads (the way a loop that later hands the socket to
//! kernel TLS must read).

use crate::require_openssl;
use crate::util::*;
use baton::Session;
use std::io::Read;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;

/// Moves everything `from` has pending into `to`.
fn pump(from: &mut Session, to: &mut Session) {
    let out = from.pending_tls().to_vec();
    from.consume_tls(out.len());
    to.feed_tls(&out).expect("feeding the peer's records");
}

fn take_all(conn: &mut Session) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = conn.take_plaintext(&mut buf);
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n]);
    }
}

/// A client and a server Session with their handshake done in memory.
fn handshake_in_memory() -> (Session, Session) {
    let mut client = Session::new_client(&client_config());
    client.set_server_name("localhost").unwrap();
    let mut server =
        Session::new_server(&server_config("server-p256-chain.pem", "server-p256.key"));
    let mut rounds = 0;
    while !(client.poll_handshake().unwrap() && server.poll_handshake().unwrap()) {
        pump(&mut client, &mut server);
        pump(&mut server, &mut client);
        rounds += 1;
        assert!(rounds < 5, "handshake did not finish");
    }
    (client, server)
}

#[test]
fn in_memory_handshake_data_and_close() {
    let (mut client, mut server) = handshake_in_memory();
    let data = payload(1 << 20, 8);
    let mut off = 0;
    let mut got = Vec::new();
    while off < data.len() {
        off += client.seal_plaintext(&data[off..]).unwrap();
        pump(&mut client, &mut server);
        got.extend(take_all(&mut server));
    }
    assert_eq!(sha256_hex(&got), sha256_hex(&data));
    server.seal_plaintext(b"pong").unwrap();
    server.queue_close_notify();
    pump(&mut server, &mut client);
    assert_eq!(take_all(&mut client), b"pong");
    assert!(client.peer_closed());
    // Sealing before the handshake is a Usage error, not a panic.
    let mut fresh = Session::new_client(&client_config());
    assert_eq!(
        fresh.seal_plaintext(b"x").unwrap_err().kind(),
        baton::ErrorKind::Usage
    );
    assert_eq!(
        fresh.seal_all(b"x").unwrap_err().kind(),
        baton::ErrorKind::Usage
    );
}

/// `seal_plaintext` stops at 64 KiB of pending ciphertext; `seal_all` seals
/// everything into one pending buffer, which `take_pending_tls` moves out
/// whole, and the peer reads it all.
#[test]
fn seal_all_seals_past_the_pending_limit_into_one_buffer() {
    let (mut client, mut server) = handshake_in_memory();
    let data = payload(300_000, 9);
    let taken = server.seal_plaintext(&data).unwrap();
    assert!(taken < data.len() && taken >= 64 * 1024, "{taken}");
    server.seal_all(&data[taken..]).unwrap();
    let records = data.len().div_ceil(16384);
    assert_eq!(server.pending_tls().len(), data.len() + records * 22);
    let mut out = Vec::new();
    server.take_pending_tls(&mut out);
    assert!(server.pending_tls().is_empty());
    client.feed_tls(&out).unwrap();
    assert_eq!(sha256_hex(&take_all(&mut client)), sha256_hex(&data));
}

/// Reads at most what the next record needs, so nothing past a record boundary
/// leaves the socket.
fn read_record_exact(sock: &mut TcpStream, conn: &mut Session) -> bool {
    let n = conn.read_tls(sock, true).expect("peer records");
    n > 0
}

fn write_pending(sock: &mut TcpStream, conn: &mut Session) {
    while !conn.pending_tls().is_empty() {
        assert!(conn.write_tls(sock).unwrap() > 0);
    }
}

#[test]
fn event_loop_client_against_openssl_s_server() {
    require_openssl!();
    let srv = s_server(&[
        "-cert",
        data("server-rsa.pem").to_str().unwrap(),
        "-key",
        data("server-rsa.key").to_str().unwrap(),
        "-naccept",
        "1",
        "-rev",
        "-quiet",
    ]);
    let mut sock = tcp_connect(srv.port);
    let mut conn = Session::new_client(&client_config());
    conn.set_server_name("localhost").unwrap();
    while !conn.poll_handshake().unwrap() {
        write_pending(&mut sock, &mut conn);
        assert!(read_record_exact(&mut sock, &mut conn), "s_server closed");
    }
    write_pending(&mut sock, &mut conn);
    conn.seal_plaintext(b"event loop\n").unwrap();
    write_pending(&mut sock, &mut conn);
    let mut got = Vec::new();
    while !got.ends_with(b"\n") {
        assert!(read_record_exact(&mut sock, &mut conn), "s_server closed");
        got.extend(take_all(&mut conn));
    }
    assert_eq!(got, b"pool tneve\n");
    conn.queue_close_notify();
    write_pending(&mut sock, &mut conn);
}

#[test]
fn event_loop_server_echoes_for_openssl_s_client() {
    require_openssl!();
    const LEN: usize = 4 << 20;
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = thread::spawn(move || {
        let (mut sock, _) = listener.accept().unwrap();
        sock.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        let mut conn =
            Session::new_server(&server_config("server-p256-chain.pem", "server-p256.key"));
        while !conn.poll_handshake().unwrap() {
            write_pending(&mut sock, &mut conn);
            assert!(read_record_exact(&mut sock, &mut conn));
        }
        write_pending(&mut sock, &mut conn);
        let mut echoed = 0;
        let mut buf = vec![0u8; 64 * 1024];
        while echoed < LEN {
            let n = sock.read(&mut buf).unwrap();
            assert!(n > 0, "s_client closed after {echoed} bytes");
            conn.feed_tls(&buf[..n]).unwrap();
            let plain = take_all(&mut conn);
            let mut off = 0;
            while off < plain.len() {
                off += conn.seal_plaintext(&plain[off..]).unwrap();
                write_pending(&mut sock, &mut conn);
            }
            echoed += plain.len();
        }
        conn.queue_close_notify();
        write_pending(&mut sock, &mut conn);
        echoed
    });
    let payload = Arc::new(payload(LEN, 9));
    let mut cli = s_client_ecdsa_quiet(port);
    cli.feed_stdin(Arc::clone(&payload));
    let out = cli.wait(BULK_TIMEOUT);
    assert_eq!(server.join().unwrap(), LEN);
    assert_eq!(out.stdout.len(), LEN, "s_client: {}", out.stderr);
    assert_eq!(sha256_hex(&out.stdout), sha256_hex(&payload));
}
