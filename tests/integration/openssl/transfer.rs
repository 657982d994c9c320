//! 16 MiB transfers in each direction with checksums, and a non-blocking
//! client driven by poll(2).

use super::*;
use crate::require_openssl;
use baton::{Blocked, Error};
use std::sync::Arc;
use std::time::Instant;

// ---------------------------------------------------------------- 16 MiB transfers

/// s_client sends 16 MiB through a Baton echo server and gets them back.
#[test]
fn bulk_16mib_openssl_client_through_baton_echo() {
    require_openssl!();
    let payload = Arc::new(payload(BULK_LEN, 1));
    let server = baton_server(server_config(ECDSA.chain, ECDSA.key), |conn| {
        conn.negotiate()?;
        let mut buf = vec![0u8; 64 * 1024];
        let mut echoed = 0;
        while echoed < BULK_LEN {
            let n = conn.recv(&mut buf)?;
            assert!(n > 0, "s_client closed after {echoed} bytes");
            send_all(conn, &buf[..n])?;
            echoed += n;
        }
        conn.shutdown()?;
        Ok(echoed)
    });
    let args = verifying_args(&["-servername", "localhost", "-quiet"]);
    let mut cli = s_client(server.port, &refs(&args));
    cli.feed_stdin(Arc::clone(&payload));
    let out = cli.wait(BULK_TIMEOUT);
    let echoed = server
        .join(BULK_TIMEOUT)
        .unwrap_or_else(|e| panic!("Baton server: {e}; s_client: {}", out.stderr));
    assert_eq!(echoed, BULK_LEN);
    assert_eq!(
        out.stdout.len(),
        BULK_LEN,
        "s_client stderr: {}",
        out.stderr
    );
    assert_eq!(sha256_hex(&out.stdout), sha256_hex(&payload));
}

/// A Baton client sends 16 MiB to s_server, which writes them to stdout.
#[test]
fn bulk_16mib_baton_client_to_openssl_server() {
    require_openssl!();
    let payload = payload(BULK_LEN, 2);
    let srv = s_server_with(RSA, &["-tls1_3", "-naccept", "1", "-quiet"]);
    let mut conn = connect_localhost(&srv, |_| {});
    send_all(&mut conn, &payload).unwrap();
    conn.shutdown().unwrap();
    let out = srv.proc.wait(BULK_TIMEOUT);
    assert!(out.status.success(), "s_server: {}", out.stderr);
    assert_eq!(out.stdout.len(), BULK_LEN);
    assert_eq!(sha256_hex(&out.stdout), sha256_hex(&payload));
}

/// A Baton client fetches a 16 MiB file from `s_server -WWW`.
#[test]
fn bulk_16mib_openssl_server_to_baton_client() {
    require_openssl!();
    let payload = payload(BULK_LEN, 3);
    let www = scratch_dir().join("www-bulk");
    std::fs::create_dir_all(&www).unwrap();
    std::fs::write(www.join("payload.bin"), &payload).unwrap();
    let srv = s_server_with_in(
        Some(&www),
        ECDSA,
        &["-tls1_3", "-naccept", "1", "-WWW", "-quiet"],
    );
    let mut conn = connect_localhost(&srv, |_| {});
    send_all(&mut conn, b"GET /payload.bin HTTP/1.0\r\n\r\n").unwrap();
    let response = recv_to_end(&mut conn).expect("receiving until close_notify");
    conn.shutdown().unwrap();
    let _ = std::fs::remove_dir_all(&www);
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP response head");
    let head = String::from_utf8_lossy(&response[..split]);
    assert!(head.starts_with("HTTP/1.0 200"), "{head}");
    let body = &response[split + 4..];
    assert_eq!(body.len(), BULK_LEN);
    assert_eq!(sha256_hex(body), sha256_hex(&payload));
}

// ---------------------------------------------------------------- non-blocking

/// The readiness a `Blocked` error waits for.
fn readiness(e: &Error) -> nix::poll::PollFlags {
    use nix::poll::PollFlags;
    match e.blocked_on() {
        Some(Blocked::OnRead) => PollFlags::POLLIN,
        Some(Blocked::OnWrite) => PollFlags::POLLOUT,
        other => panic!("unexpected blocked status {other:?}"),
    }
}

/// A Baton client on a non-blocking socket, driven by a poll(2) loop: the
/// handshake, 1 MiB of lines to `s_server -rev` while reading the reversed
/// lines back, and the shutdown.
#[test]
fn nonblocking_baton_client_poll_loop() {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    use std::os::fd::AsFd;
    require_openssl!();
    let srv = s_server_with(RSA, &["-tls1_3", "-naccept", "1", "-rev", "-quiet"]);
    let sock = tcp_connect(srv.port);
    sock.set_nonblocking(true).unwrap();
    let config = client_config();
    let mut conn = Connection::new_client(&config);
    conn.set_server_name("localhost").unwrap();
    conn.set_fd(std::os::fd::OwnedFd::from(sock.try_clone().unwrap()))
        .unwrap();

    let deadline = Instant::now() + TIMEOUT;
    let wait = |want: PollFlags| {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "non-blocking test timed out");
        let mut fds = [PollFd::new(sock.as_fd(), want)];
        let _ = poll(
            &mut fds,
            PollTimeout::try_from(left).unwrap_or(PollTimeout::MAX),
        );
    };

    loop {
        match conn.negotiate() {
            Ok(_) => break,
            Err(e) if e.is_blocked() => wait(readiness(&e)),
            Err(e) => panic!(
                "handshake failed: {e} [{e:?}]; s_server: {}",
                srv.proc.stderr_now()
            ),
        }
    }
    // s_server -rev sends nothing unasked: a read now must say "blocked on
    // read" at once, not block and not report EOF.
    let mut buf = vec![0u8; 32 * 1024];
    match conn.recv(&mut buf) {
        Err(e) if e.blocked_on() == Some(Blocked::OnRead) => {}
        other => panic!("recv with nothing to read: expected Blocked::OnRead, got {other:?}"),
    }

    let mut lines = Vec::new();
    let mut expected = Vec::new();
    for i in 0..16384 {
        let line = format!("line {i:05} abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP");
        lines.extend_from_slice(line.as_bytes());
        lines.push(b'\n');
        expected.extend(line.bytes().rev());
        expected.push(b'\n');
    }
    let (mut sent, mut got) = (0, Vec::new());
    let mut need_flush = false;
    while got.len() < expected.len() {
        let mut want = PollFlags::POLLIN;
        let mut progress = false;
        if sent < lines.len() {
            match conn.send(&lines[sent..]) {
                Ok(n) => {
                    sent += n;
                    progress |= n > 0;
                    need_flush = true;
                }
                Err(e) if e.is_blocked() => want |= readiness(&e),
                Err(e) => panic!("send: {e} [{e:?}]"),
            }
        }
        if need_flush {
            match conn.flush() {
                Ok(()) => need_flush = false,
                Err(e) if e.is_blocked() => want |= readiness(&e),
                Err(e) => panic!("flush: {e} [{e:?}]"),
            }
        }
        match conn.recv(&mut buf) {
            Ok(0) => panic!(
                "s_server closed after {} of {} bytes",
                got.len(),
                expected.len()
            ),
            Ok(n) => {
                got.extend_from_slice(&buf[..n]);
                progress = true;
            }
            Err(e) if e.is_blocked() => want |= readiness(&e),
            Err(e) => panic!("recv: {e} [{e:?}]"),
        }
        if !progress {
            wait(want);
        }
    }
    assert!(
        got == expected,
        "reversed lines differ (got {} bytes)",
        got.len()
    );

    loop {
        match conn.shutdown() {
            Ok(()) => break,
            Err(e) if e.is_blocked() => wait(readiness(&e)),
            Err(e) => panic!("shutdown: {e} [{e:?}]"),
        }
    }
    let out = srv.proc.wait(TIMEOUT);
    assert!(out.status.success(), "s_server: {}", out.stderr);
}
