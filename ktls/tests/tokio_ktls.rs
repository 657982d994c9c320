//! `baton_ktls::tokio::KtlsStream` against OpenSSL peers: a blocking
//! handshake on a std socket (reading exactly to a record boundary), then the
//! socket goes to tokio and the session into a `KtlsStream`.
//!
//! Where the kernel has kTLS (the VMs of tools/ktls-vm) every test asserts
//! that both directions moved and that `/proc/net/tls_stat` counted them; on
//! a kernel without it (this host) the same tests run through the stream's
//! userspace fallback, after a visible line saying so (a failure instead when
//! BATON_REQUIRE_KTLS is set).
#![cfg(feature = "tokio")]

#[path = "../../tests/integration/util.rs"]
mod util;

use baton::{Config, Connection, Session};
use baton_ktls::tokio::{KtlsStream, StreamHandback};
use baton_ktls::{KtlsMode, KtlsOptions};
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, TcpListener};
use std::os::fd::OwnedFd;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};
use util::*;

/// Echo size each way.
const ECHO_LEN: usize = 1 << 20;
/// sendfile size.
const FILE_LEN: usize = 4 << 20;
/// Hang guard for one test's async part (not a timing assertion).
const ASYNC_TIMEOUT: Duration = Duration::from_secs(120);

/// The tests count kernel TLS sockets in the global tls_stat: one at a time.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// True if the kernel has kTLS; otherwise says that the test runs the
/// userspace fallback only (and fails when BATON_REQUIRE_KTLS is set).
fn kernel_tls(test: &str) -> bool {
    let support = baton_ktls::probe();
    if support.available() {
        return true;
    }
    if std::env::var_os("BATON_REQUIRE_KTLS").is_some() {
        panic!("{test}: BATON_REQUIRE_KTLS is set, but {support}");
    }
    eprintln!(
        "SKIPPED kernel part of {test}: {support}; it runs the userspace fallback here, \
         the kernel path in tools/ktls-vm"
    );
    false
}

fn kernel_can_rekey() -> bool {
    let r = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut it = r
        .trim()
        .split(['.', '-'])
        .map(|p| p.parse().unwrap_or(0u32));
    (it.next().unwrap_or(0), it.next().unwrap_or(0)) >= (6, 14)
}

fn stat() -> BTreeMap<String, u64> {
    baton_ktls::tls_stat().unwrap_or_default()
}

fn delta(before: &BTreeMap<String, u64>, after: &BTreeMap<String, u64>, key: &str) -> u64 {
    after.get(key).copied().unwrap_or(0) - before.get(key).copied().unwrap_or(0)
}

fn server_cfg() -> Config {
    server_config("server-p256-chain.pem", "server-p256.key")
}

fn ca_arg() -> String {
    data("ca-ecdsa.pem").display().to_string()
}

/// The blocking handshake of `conn` on `std`, stopping at a record boundary;
/// returns the session and the (still blocking) socket.
fn handshake(mut conn: Connection, std: std::net::TcpStream) -> (Session, std::net::TcpStream) {
    std.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    std.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    conn.set_fd(OwnedFd::from(std.try_clone().unwrap()))
        .unwrap();
    conn.set_exact_record_reads(true);
    conn.negotiate().unwrap();
    (conn.into_session(), std)
}

/// A Baton server session accepted from `listener`.
fn accept_server(listener: &TcpListener) -> (Session, std::net::TcpStream) {
    let (std, _) = listener.accept().unwrap();
    handshake(Connection::new_server(&server_cfg()), std)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Runs `fut` on a fresh current-thread runtime, failing (not hanging) if it
/// never finishes.
fn block_on<T>(fut: impl std::future::Future<Output = T>) -> T {
    guard(&runtime(), fut)
}

/// The stream for `session`, asserting where its records went.
fn stream(std: std::net::TcpStream, session: Session, kernel: bool) -> KtlsStream {
    let tcp = tokio_tcp(std);
    let s = KtlsStream::new(tcp, session, KtlsMode::Auto, &KtlsOptions::default())
        .unwrap_or_else(|e| panic!("KtlsStream::new: {e}"));
    let st = s.ktls_status();
    assert_eq!(st.send.is_kernel(), kernel, "{st}");
    assert_eq!(st.recv.is_kernel(), kernel, "{st}");
    s
}

/// A KtlsStream server echoes 1 MiB to `openssl s_client -quiet`, then closes
/// with close_notify and a shut-down write half: s_client sees the close and
/// exits, having got every byte back.
#[test]
fn echo_one_mib_both_ways_with_openssl_s_client_then_our_shutdown() {
    let _serial = serial();
    if !openssl_available("echo_one_mib_both_ways_with_openssl_s_client") {
        return;
    }
    let kernel = kernel_tls("echo_one_mib_both_ways_with_openssl_s_client");
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let payload = Arc::new(payload(ECHO_LEN, 41));
    let mut cli = s_client(
        port,
        &[
            "-servername",
            "localhost",
            "-CAfile",
            &ca_arg(),
            "-verify_return_error",
            "-quiet",
        ],
    );
    cli.feed_stdin(Arc::clone(&payload));
    let before = stat();
    let (session, std) = accept_server(&listener);
    let end = block_on(async move {
        let mut s = stream(std, session, kernel);
        let mut buf = vec![0u8; 40 * 1024];
        let mut echoed = 0;
        while echoed < ECHO_LEN {
            let n = s.read(&mut buf).await.unwrap();
            assert!(n > 0, "s_client closed after {echoed} bytes");
            s.write_all(&buf[..n]).await.unwrap();
            echoed += n;
        }
        s.shutdown().await.unwrap();
        // s_client answers our close_notify with its own, or just closes.
        match s.read(&mut buf).await {
            Ok(n) => assert_eq!(n, 0, "data after the echo"),
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof, "{e}"),
        }
        s.ktls_status()
    });
    let out = cli.wait(BULK_TIMEOUT);
    assert!(out.status.success(), "s_client: {}", out.stderr);
    assert_eq!(
        out.stdout.len(),
        ECHO_LEN,
        "s_client stderr: {}",
        out.stderr
    );
    assert_eq!(sha256_hex(&out.stdout), sha256_hex(&payload));
    if kernel {
        let after = stat();
        assert_eq!(delta(&before, &after, "TlsTxSw"), 1, "{end} {after:?}");
        assert_eq!(delta(&before, &after, "TlsRxSw"), 1, "{end} {after:?}");
        assert_eq!(delta(&before, &after, "TlsDecryptError"), 0);
    }
}

/// `openssl s_client` (interactive) sends a KeyUpdate that asks for ours
/// ("K"), then data under its new key, then close_notify at stdin EOF: the
/// stream reads on under the new key, answers with its own update (which
/// s_client's next read needs), updates once more on request, and reports
/// the close_notify as EOF.
#[test]
fn key_update_from_openssl_s_client_then_its_close_notify_is_eof() {
    let _serial = serial();
    if !openssl_available("key_update_from_openssl_s_client") {
        return;
    }
    let kernel = kernel_tls("key_update_from_openssl_s_client");
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut cli = s_client(
        port,
        &[
            "-servername",
            "localhost",
            "-CAfile",
            &ca_arg(),
            "-verify_return_error",
            "-tls1_3",
        ],
    );
    let before = stat();
    let (session, std) = accept_server(&listener);
    let rt = runtime();
    let mut s = {
        let _in = rt.enter();
        stream(std, session, kernel)
    };
    // Each line is one read for s_client, so "K" is a line of its own.
    cli.write_stdin(b"before-the-update\n");
    let got = guard(&rt, echo_line(&mut s)).unwrap();
    assert_eq!(got, b"before-the-update\n");
    cli.wait_for_stdout(TIMEOUT, |o| contains(o, b"before-the-update"));
    cli.write_stdin(b"K\n");
    wait_for_stderr(&cli, "KEYUPDATE");
    cli.write_stdin(b"after-the-update\n");
    let r = guard(&rt, echo_line(&mut s));
    if kernel && !kernel_can_rekey() {
        // Before Linux 6.14 the kernel can't take the next key: a clear
        // error, never data under the wrong key.
        let e = r.unwrap_err();
        assert!(e.to_string().contains("6.14"), "{e}");
        return;
    }
    assert_eq!(r.unwrap(), b"after-the-update\n");
    cli.wait_for_stdout(TIMEOUT, |o| contains(o, b"after-the-update"));
    // Our own update, asking for s_client's: s_client reads under our next
    // key (its answer, if it sends one, is read on the way to the close_notify).
    s.request_key_update(true).unwrap();
    guard(&rt, async {
        s.write_all(b"after-our-update\n").await.unwrap();
        s.flush().await.unwrap();
    });
    cli.wait_for_stdout(TIMEOUT, |o| contains(o, b"after-our-update"));
    // stdin EOF: s_client sends close_notify and exits.
    cli.close_stdin();
    let n = guard(&rt, async {
        let mut buf = [0u8; 64];
        let n = s.read(&mut buf).await.unwrap();
        s.shutdown().await.unwrap();
        n
    });
    assert_eq!(n, 0, "close_notify must read as EOF");
    let out = cli.wait(TIMEOUT);
    assert!(out.status.success(), "s_client: {}", out.stderr);
    if kernel {
        let after = stat();
        let st = s.ktls_status();
        assert_eq!(delta(&before, &after, "TlsTxSw"), 1, "{st} {after:?}");
        assert_eq!(delta(&before, &after, "TlsRxSw"), 1, "{st} {after:?}");
        // Theirs (the "K"; OpenSSL may hold back its answer to ours until
        // it writes), and ours twice (the answer to "K", then our own).
        assert!(delta(&before, &after, "TlsRxRekeyOk") >= 1, "{after:?}");
        assert!(delta(&before, &after, "TlsTxRekeyOk") >= 2, "{after:?}");
        assert_eq!(delta(&before, &after, "TlsDecryptError"), 0);
    }
}

/// A KtlsStream client sends a 4 MiB file to `openssl s_server` with
/// `sendfile` (through the kernel where it seals the records), shuts down,
/// and reads on to the end: s_server's TLS 1.3 NewSessionTickets come in on
/// the way (kernel handshake records) and are handed to the session.
#[test]
fn sendfile_four_mib_to_openssl_s_server() {
    let _serial = serial();
    if !openssl_available("sendfile_four_mib_to_openssl_s_server") {
        return;
    }
    let kernel = kernel_tls("sendfile_four_mib_to_openssl_s_server");
    let content = payload(FILE_LEN, 43);
    let path = scratch_dir().join("tokio-sendfile");
    std::fs::write(&path, &content).unwrap();
    let srv = s_server(&[
        "-cert",
        &data("server-p256.pem").display().to_string(),
        "-cert_chain",
        &data("intermediate-p256.pem").display().to_string(),
        "-key",
        &data("server-p256.key").display().to_string(),
        "-tls1_3",
        "-naccept",
        "1",
        "-quiet",
    ]);
    let before = stat();
    let mut conn = Connection::new_client(&client_config());
    conn.set_server_name("localhost").unwrap();
    let (session, std) = handshake(conn, tcp_connect(srv.port));
    let file = std::fs::File::open(&path).unwrap();
    let st = block_on(async move {
        let mut s = stream(std, session, kernel);
        let mut off = 0;
        while off < FILE_LEN {
            let n = s.sendfile(&file, off as u64, FILE_LEN - off).await.unwrap();
            assert!(n > 0, "sendfile sent nothing at {off}");
            off += n;
        }
        s.shutdown().await.unwrap();
        // The tickets s_server sent are handled inside this read, which
        // ends at its close_notify (or its close: s_server may skip it).
        let mut buf = vec![0u8; 16 * 1024];
        match s.read(&mut buf).await {
            Ok(n) => assert_eq!(n, 0, "s_server sent data"),
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof, "{e}"),
        }
        assert!(s.session().is_handshake_complete());
        s.ktls_status()
    });
    let out = srv.proc.wait(BULK_TIMEOUT);
    assert!(out.status.success(), "s_server: {}", out.stderr);
    assert_eq!(
        out.stdout.len(),
        FILE_LEN,
        "s_server stderr: {}",
        out.stderr
    );
    assert_eq!(sha256_hex(&out.stdout), sha256_hex(&content));
    if kernel {
        let after = stat();
        assert_eq!(delta(&before, &after, "TlsTxSw"), 1, "{st} {after:?}");
        assert_eq!(delta(&before, &after, "TlsRxSw"), 1, "{st} {after:?}");
    }
    let _ = std::fs::remove_file(&path);
}

/// Reads one line (to its newline) and writes it back.
async fn echo_line(s: &mut KtlsStream) -> std::io::Result<Vec<u8>> {
    let mut line = Vec::new();
    let mut buf = [0u8; 256];
    while !line.ends_with(b"\n") {
        let n = s.read(&mut buf).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        line.extend_from_slice(&buf[..n]);
    }
    s.write_all(&line).await?;
    s.flush().await?;
    Ok(line)
}

/// The socket handed to tokio (non-blocking, as tokio requires); call
/// inside a runtime.
fn tokio_tcp(std: std::net::TcpStream) -> tokio::net::TcpStream {
    std.set_nonblocking(true).unwrap();
    tokio::net::TcpStream::from_std(std).unwrap()
}

/// A Baton client session handshaken with a Baton server thread that runs
/// `after` on its side once the handshake is done.
fn with_baton_server<T: Send + 'static>(
    after: impl FnOnce(&mut Connection) -> Result<T, baton::Error> + Send + 'static,
) -> (Session, std::net::TcpStream, BatonServer<T>) {
    let srv = baton_server(server_cfg(), move |c| {
        c.negotiate()?;
        after(c)
    });
    let mut conn = Connection::new_client(&client_config());
    conn.set_server_name("localhost").unwrap();
    let (session, std) = handshake(conn, tcp_connect(srv.port));
    (session, std, srv)
}

fn guard<T>(rt: &tokio::runtime::Runtime, fut: impl std::future::Future<Output = T>) -> T {
    rt.block_on(async { tokio::time::timeout(ASYNC_TIMEOUT, fut).await })
        .expect("the async part did not finish")
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Waits (bounded) until the child printed `what` on stderr.
fn wait_for_stderr(p: &Proc, what: &str) {
    let deadline = std::time::Instant::now() + TIMEOUT;
    while !p.stderr_now().contains(what) {
        assert!(
            std::time::Instant::now() < deadline,
            "{what:?} did not appear on stderr: {}",
            p.stderr_now()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Before the handshake nothing moves: the error hands back the socket and
/// the session as they came.
#[test]
fn before_the_handshake_new_hands_back_the_parts() {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    block_on(async move {
        let tcp = tokio::net::TcpStream::connect((Ipv4Addr::LOCALHOST, port))
            .await
            .unwrap();
        let session = Session::new_client(&client_config());
        let e = KtlsStream::new(tcp, session, KtlsMode::Auto, &KtlsOptions::default()).unwrap_err();
        assert_eq!(e.error.kind(), baton::ErrorKind::Usage, "{e}");
        let StreamHandback::Parts(tcp, session) = e.handback else {
            panic!("expected the parts back");
        };
        assert!(!session.is_handshake_complete());
        assert_eq!(tcp.peer_addr().unwrap().port(), port);
    });
}

/// `Require` where the kernel has kTLS: both directions in the kernel. Where
/// it has not: an error that hands back a working stream, in userspace.
#[test]
fn require_moves_both_or_hands_back_a_working_stream() {
    let _serial = serial();
    let kernel = kernel_tls("require_moves_both_or_hands_back_a_working_stream");
    let (session, std, srv) = with_baton_server(|c| {
        let got = recv_exact(c, 5)?;
        send_all(c, &got)?;
        c.shutdown_send()?;
        Ok(got)
    });
    block_on(async move {
        let tcp = tokio_tcp(std);
        let r = KtlsStream::new(tcp, session, KtlsMode::Require, &KtlsOptions::default());
        let mut s = match r {
            Ok(s) => {
                assert!(kernel, "Require succeeded without kernel TLS");
                s
            }
            Err(e) => {
                assert!(!kernel, "{e}");
                assert!(e.error.message().contains("kernel TLS required"), "{e}");
                let StreamHandback::Stream(s) = e.handback else {
                    panic!("expected the stream back");
                };
                *s
            }
        };
        assert_eq!(s.ktls_status().send.is_kernel(), kernel);
        s.write_all(b"hello").await.unwrap();
        s.flush().await.unwrap();
        let mut back = [0u8; 5];
        s.read_exact(&mut back).await.unwrap();
        assert_eq!(&back, b"hello");
        assert_eq!(s.read(&mut back).await.unwrap(), 0);
        s.shutdown().await.unwrap();
    });
    assert_eq!(srv.join(TIMEOUT).unwrap(), b"hello");
}

/// Part of a record already read into the session: the receive direction
/// can't move (the kernel must start at a record boundary), so under `Auto`
/// it stays in userspace, says why, and reads on from the bytes it holds.
#[test]
fn bytes_buffered_in_the_session_keep_recv_in_userspace() {
    let _serial = serial();
    let kernel = kernel_tls("bytes_buffered_in_the_session_keep_recv_in_userspace");
    let (mut session, mut std, srv) = with_baton_server(|c| {
        send_all(c, b"sent before the hand-off")?;
        let got = recv_exact(c, 4)?;
        send_all(c, b"bye")?;
        c.shutdown_send()?;
        Ok(got)
    });
    // Three bytes of the next record's header, into the session.
    use std::io::Read;
    let n = session.read_tls(&mut (&mut std).take(3), false).unwrap();
    assert_eq!(n, 3);
    block_on(async move {
        let tcp = tokio_tcp(std);
        let mut s = KtlsStream::new(tcp, session, KtlsMode::Auto, &KtlsOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let st = s.ktls_status();
        assert_eq!(st.send.is_kernel(), kernel, "{st}");
        assert!(!st.recv.is_kernel(), "{st}");
        if kernel {
            assert!(
                st.recv.to_string().contains("could not hand over now"),
                "{st}"
            );
        }
        let mut got = vec![0u8; 24];
        s.read_exact(&mut got).await.unwrap();
        assert_eq!(got, b"sent before the hand-off");
        s.write_all(b"done").await.unwrap();
        s.flush().await.unwrap();
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"bye");
        s.shutdown().await.unwrap();
    });
    assert_eq!(srv.join(TIMEOUT).unwrap(), b"done");
}

/// `Off`: both directions in userspace, the status says so, data flows.
#[test]
fn off_keeps_both_directions_in_userspace() {
    let (session, std, srv) = with_baton_server(|c| {
        let got = recv_exact(c, 2)?;
        c.shutdown_send()?;
        Ok(got)
    });
    block_on(async move {
        let tcp = tokio_tcp(std);
        let mut s = KtlsStream::new(tcp, session, KtlsMode::Off, &KtlsOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let st = s.ktls_status().to_string();
        assert_eq!(
            st,
            "send=userspace (kernel TLS turned off) recv=userspace (kernel TLS turned off)"
        );
        s.write_all(b"hi").await.unwrap();
        s.flush().await.unwrap();
        assert_eq!(s.read(&mut [0u8; 4]).await.unwrap(), 0);
        s.shutdown().await.unwrap();
    });
    assert_eq!(srv.join(TIMEOUT).unwrap(), b"hi");
}

/// A peer that does not read fills the socket: a write is then Pending (not
/// a blocking call, not an error), and once the peer reads, the reactor wakes
/// the task and every byte arrives in order.
#[test]
fn a_full_socket_makes_a_write_pending_until_the_peer_reads() {
    const TOTAL: usize = 8 << 20;
    let _serial = serial();
    let kernel = kernel_tls("a_full_socket_makes_a_write_pending_until_the_peer_reads");
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let (session, std, srv) = with_baton_server(move |c| {
        // Nothing is read until our side saw a write go Pending (a dropped
        // sender, from a failed test, ends the wait too).
        let _ = go_rx.recv();
        let got = recv_exact(c, TOTAL)?;
        c.shutdown_send()?;
        Ok(sha256_hex(&got))
    });
    // A small send buffer, so that the socket fills early.
    nix::sys::socket::setsockopt(&std, nix::sys::socket::sockopt::SndBuf, &(64 * 1024)).unwrap();
    let data = payload(TOTAL, 47);
    let want = sha256_hex(&data);
    block_on(async move {
        let mut s = stream(std, session, kernel);
        let mut go = Some(go_tx);
        let mut off = 0;
        while off < TOTAL {
            let n = std::future::poll_fn(|cx| {
                let r = std::pin::Pin::new(&mut s).poll_write(cx, &data[off..]);
                if r.is_pending() {
                    // The waker is registered: let the peer read.
                    if let Some(go) = go.take() {
                        go.send(()).unwrap();
                    }
                }
                r
            })
            .await
            .unwrap();
            assert!(n > 0);
            off += n;
        }
        assert!(go.is_none(), "{TOTAL} bytes went without a Pending write");
        s.flush().await.unwrap();
        assert_eq!(s.read(&mut [0u8; 16]).await.unwrap(), 0);
        s.shutdown().await.unwrap();
    });
    assert_eq!(srv.join(BULK_TIMEOUT).unwrap(), want);
}
