//! The io_uring runtime against real peers on 127.0.0.1: `openssl s_client` and
//! Baton clients, many at once; slow handshakes dropped on time; graceful
//! shutdown with per-worker counters. On a kernel with kTLS (tools/ktls-vm) the
//! same tests run with the kernel protecting the records.
//!
//! Here: the echo service, the helpers and the named-file service the modules
//! share, and the echo, handshake and receive tests; file bodies in `files`,
//! record sizes in `records`, the ClientHello callback answering later in
//! `hello`, a server's CRL lookups for client chains answered later in `crl`.

#[path = "../../../tests/integration/util.rs"]
mod util;

mod crl;
mod early;
mod files;
mod hello;
mod images;
mod records;
mod sign;

use baton::{CertChainAndKey, Config, Connection, Session};
use baton_ktls::uring::{Flow, Handler, Output, Runtime, RuntimeConfig, Service, WorkerStats};
use baton_ktls::KtlsMode;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};
use util::*;

/// Echoes, and closes (close_notify) once `limit` bytes went through.
struct EchoUpTo(usize);

struct EchoUpToHandler {
    left: usize,
}

impl Handler for EchoUpToHandler {
    fn on_data(&mut self, input: &[u8], out: &mut Output) -> Flow {
        out.extend_from_slice(input);
        self.left = self.left.saturating_sub(input.len());
        if self.left == 0 {
            Flow::Close
        } else {
            Flow::Continue
        }
    }
}

impl Service for EchoUpTo {
    type Handler = EchoUpToHandler;
    fn connect(&self, _peer: SocketAddr, _session: &Session) -> EchoUpToHandler {
        EchoUpToHandler { left: self.0 }
    }
}

fn tls_config() -> Config {
    let mut b = Config::builder_minimal();
    b.add_cert_chain_and_key(
        CertChainAndKey::from_pem_files(data("server-p256-chain.pem"), data("server-p256.key"))
            .unwrap(),
    );
    b.build().unwrap()
}

fn start(limit: usize, workers: usize, handshake_timeout: Duration) -> Runtime {
    start_with(tls_config(), limit, workers, handshake_timeout)
}

fn start_with(tls: Config, limit: usize, workers: usize, handshake_timeout: Duration) -> Runtime {
    let cfg = RuntimeConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        workers,
        handshake_timeout,
        ktls: KtlsMode::Auto,
        // Long: a connection that is not freed shows as `cut_at_shutdown`,
        // and one that is freed never waits for it (no race with the clock).
        shutdown_grace: Duration::from_secs(30),
        ..Default::default()
    };
    Runtime::start(cfg, tls, Arc::new(EchoUpTo(limit))).expect("starting the runtime")
}

fn total(stats: &[WorkerStats], f: impl Fn(&WorkerStats) -> u64) -> u64 {
    stats.iter().map(f).sum()
}

/// Who protects records, as the runtime should have counted them.
fn check_paths(stats: &[WorkerStats], conns: u64) {
    if baton_ktls::probe().available() {
        assert_eq!(total(stats, |s| s.kernel_send), conns, "{stats:?}");
        assert_eq!(total(stats, |s| s.kernel_recv), conns, "{stats:?}");
    } else {
        assert_eq!(total(stats, |s| s.userspace_send), conns, "{stats:?}");
        assert_eq!(total(stats, |s| s.userspace_recv), conns, "{stats:?}");
    }
}

#[test]
fn openssl_s_client_echo_through_the_runtime() {
    if !openssl_available("openssl_s_client_echo_through_the_runtime") {
        return;
    }
    const LEN: usize = 4 << 20;
    let rt = start(LEN, 2, Duration::from_secs(10));
    let before = baton_ktls::tls_stat();
    let payload = Arc::new(payload(LEN, 40));
    let mut cli = s_client_ecdsa_quiet(rt.local_addr().port());
    cli.feed_stdin(Arc::clone(&payload));
    let out = cli.wait(BULK_TIMEOUT);
    let stats = rt.shutdown();
    assert_eq!(out.stdout.len(), LEN, "s_client: {}; {stats:?}", out.stderr);
    assert_eq!(sha256_hex(&out.stdout), sha256_hex(&payload));
    assert_eq!(total(&stats, |s| s.handshakes), 1);
    assert_eq!(total(&stats, |s| s.bytes_in), LEN as u64);
    check_paths(&stats, 1);
    if let (Some(b), Some(a)) = (before, baton_ktls::tls_stat()) {
        if baton_ktls::probe().available() {
            assert!(a["TlsTxSw"] > b["TlsTxSw"] && a["TlsRxSw"] > b["TlsRxSw"]);
            assert_eq!(a["TlsDecryptError"], b["TlsDecryptError"]);
        }
    }
}

#[test]
fn many_concurrent_baton_clients() {
    const CLIENTS: usize = 64;
    const LEN: usize = 64 * 1024;
    let rt = start(LEN, 2, Duration::from_secs(20));
    let port = rt.local_addr().port();
    let threads: Vec<_> = (0..CLIENTS)
        .map(|i| {
            thread::spawn(move || {
                let mut conn = baton_client(&client_config(), port, |c| {
                    c.set_server_name("localhost").unwrap();
                })
                .expect("handshake");
                let data = payload(LEN, i as u64);
                send_all(&mut conn, &data).unwrap();
                let got = recv_exact(&mut conn, LEN).unwrap();
                assert_eq!(sha256_hex(&got), sha256_hex(&data));
                // The server closes after LEN bytes, with close_notify.
                assert_eq!(conn.recv(&mut [0u8; 16]).unwrap(), 0);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let stats = rt.shutdown();
    assert_eq!(total(&stats, |s| s.handshakes), CLIENTS as u64, "{stats:?}");
    assert_eq!(total(&stats, |s| s.bytes_out), (CLIENTS * LEN) as u64);
    check_paths(&stats, CLIENTS as u64);
    // SO_REUSEPORT spreads connections: with 64 of them both workers got some.
    assert!(stats.iter().all(|s| s.accepted > 0), "{stats:?}");
}

/// The runtime under s2n's `default_pq`: Baton clients under the same policy
/// negotiate X25519MLKEM768, and the records then go through the kernel (in
/// tools/ktls-vm) or userspace exactly as after a classical handshake.
#[test]
fn hybrid_handshake_then_echo_through_the_runtime() {
    const CLIENTS: usize = 4;
    const LEN: usize = 256 * 1024;
    let policy = |b: &mut baton::ConfigBuilder| {
        b.security_policy("default_pq").unwrap();
    };
    let mut sb = Config::builder_minimal();
    policy(&mut sb);
    sb.add_cert_chain_and_key(
        CertChainAndKey::from_pem_files(data("server-p256-chain.pem"), data("server-p256.key"))
            .unwrap(),
    );
    let rt = start_with(sb.build().unwrap(), LEN, 2, Duration::from_secs(20));
    let port = rt.local_addr().port();
    let mut cb = Config::builder_minimal();
    policy(&mut cb);
    cb.add_pem_to_trust_store(&std::fs::read(data("ca-ecdsa.pem")).unwrap())
        .unwrap();
    let ccfg = Arc::new(cb.build().unwrap());
    let threads: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let ccfg = Arc::clone(&ccfg);
            thread::spawn(move || {
                let mut conn = baton_client(&ccfg, port, |c| {
                    c.set_server_name("localhost").unwrap();
                })
                .expect("handshake");
                assert_eq!(conn.kx_group(), Some(baton::NamedGroup::X25519MLKEM768));
                assert!(!conn.used_hello_retry());
                let data = payload(LEN, 100 + i as u64);
                send_all(&mut conn, &data).unwrap();
                let got = recv_exact(&mut conn, LEN).unwrap();
                assert_eq!(sha256_hex(&got), sha256_hex(&data));
                assert_eq!(conn.recv(&mut [0u8; 16]).unwrap(), 0);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let stats = rt.shutdown();
    assert_eq!(total(&stats, |s| s.handshakes), CLIENTS as u64, "{stats:?}");
    check_paths(&stats, CLIENTS as u64);
}

#[test]
fn a_stalled_handshake_is_dropped_on_time() {
    // Long enough for a real handshake under emulation (tools/ktls-vm), short
    // enough for a test.
    let timeout = Duration::from_secs(3);
    let rt = start(1, 1, timeout);
    // Before connecting: the worker's deadline starts at its accept, later,
    // so the drop can't come before `timeout` has passed from here.
    let t0 = Instant::now();
    let mut s = TcpStream::connect(rt.local_addr()).unwrap();
    // Only a bound against hanging forever: the drop comes long before.
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    // Half a record header, then nothing (a slowloris client).
    s.write_all(&[22, 3]).unwrap();
    let mut buf = [0u8; 64];
    let r = s.read(&mut buf);
    let waited = t0.elapsed();
    // Closed (or reset) by the server, not our read timeout.
    assert!(
        matches!(&r, Ok(0))
            || matches!(&r, Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset),
        "{r:?}"
    );
    // Not before the deadline; how long after it depends on the load (the
    // counters below say it was the timeout).
    assert!(waited >= timeout, "dropped after {waited:?}");
    // A well-behaved client still gets served afterwards.
    let mut conn = baton_client(&client_config(), rt.local_addr().port(), |c| {
        c.set_server_name("localhost").unwrap();
    })
    .unwrap();
    send_all(&mut conn, b"x").unwrap();
    assert_eq!(recv_exact(&mut conn, 1).unwrap(), b"x");
    let stats = rt.shutdown();
    assert_eq!(total(&stats, |s| s.timeouts), 1, "{stats:?}");
    assert_eq!(total(&stats, |s| s.handshake_failures), 1, "{stats:?}");
}

#[test]
fn garbage_and_vanishing_peers_do_not_hurt_the_worker() {
    let rt = start(1 << 20, 1, Duration::from_secs(5));
    let addr = rt.local_addr();
    // Not TLS at all: a fatal alert comes back and the connection closes.
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut reply = Vec::new();
    let _ = s.read_to_end(&mut reply);
    assert_eq!(reply.first(), Some(&21), "an alert record: {reply:?}");
    // A client that vanishes mid-transfer.
    let mut conn = baton_client(&client_config(), addr.port(), |c| {
        c.set_server_name("localhost").unwrap();
    })
    .unwrap();
    send_all(&mut conn, &payload(256 * 1024, 1)).unwrap();
    drop(conn);
    // The worker still serves.
    let mut conn = baton_client(&client_config(), addr.port(), |c| {
        c.set_server_name("localhost").unwrap();
    })
    .unwrap();
    send_all(&mut conn, b"still here").unwrap();
    assert_eq!(recv_exact(&mut conn, 10).unwrap(), b"still here");
    let live = rt.stats();
    assert_eq!(live.len(), 1);
    assert!(live[0].handshake_failures >= 1, "{live:?}");
    let stats = rt.shutdown();
    // The vanished client's connection was freed, not cut at shutdown (the
    // still-open one closes with close_notify when shutdown starts).
    assert_eq!(total(&stats, |s| s.cut_at_shutdown), 0, "{stats:?}");
    assert_eq!(total(&stats, |s| s.handshakes), 2, "{stats:?}");
}

/// Each line names a file in the directory; the answer is "LEN\n" and the
/// file, one at a time (lines behind a body wait for `on_drained`).
struct NamedFiles(std::path::PathBuf);

struct NamedFilesHandler {
    dir: std::path::PathBuf,
    line: Vec<u8>,
    waiting: std::collections::VecDeque<String>,
    busy: bool,
}

impl NamedFilesHandler {
    fn next(&mut self, out: &mut Output) -> Flow {
        if self.busy {
            return Flow::Continue;
        }
        let Some(name) = self.waiting.pop_front() else {
            return Flow::Continue;
        };
        if name == "bye" {
            return Flow::Close;
        }
        let file = std::fs::File::open(self.dir.join(name)).unwrap();
        let len = file.metadata().unwrap().len();
        out.extend_from_slice(format!("{len}\n").as_bytes());
        out.send_file(file, 0, len);
        self.busy = true;
        Flow::Continue
    }
}

impl Handler for NamedFilesHandler {
    fn on_data(&mut self, input: &[u8], out: &mut Output) -> Flow {
        split_lines(&mut self.line, input, &mut self.waiting);
        self.next(out)
    }
    fn on_drained(&mut self, out: &mut Output) -> Flow {
        self.busy = false;
        self.next(out)
    }
}

impl Service for NamedFiles {
    type Handler = NamedFilesHandler;
    fn connect(&self, _peer: SocketAddr, _session: &Session) -> NamedFilesHandler {
        NamedFilesHandler {
            dir: self.0.clone(),
            line: Vec::new(),
            waiting: Default::default(),
            busy: false,
        }
    }
}

/// Appends `input` to the partial `line`; each complete line (without its
/// newline) joins `waiting`.
fn split_lines(line: &mut Vec<u8>, input: &[u8], waiting: &mut std::collections::VecDeque<String>) {
    for &b in input {
        if b == b'\n' {
            waiting.push_back(String::from_utf8(std::mem::take(line)).unwrap());
        } else {
            line.push(b);
        }
    }
}

/// Files of record-boundary sizes in a fresh directory: (name, content).
fn body_files(dir: &str, sizes: &[usize]) -> (std::path::PathBuf, Vec<(String, Vec<u8>)>) {
    let dir = scratch_dir().join(dir);
    std::fs::create_dir_all(&dir).unwrap();
    let files: Vec<_> = sizes
        .iter()
        .map(|&n| {
            let name = format!("f{n}");
            let content = payload(n, n as u64 + 3);
            std::fs::write(dir.join(&name), &content).unwrap();
            (name, content)
        })
        .collect();
    (dir, files)
}

/// Asks for every file in one go (pipelined) and checks each body's SHA-256.
fn fetch_all(port: u16, files: &[(String, Vec<u8>)]) -> Connection {
    let mut conn = baton_client(&client_config(), port, |c| {
        c.set_server_name("localhost").unwrap();
    })
    .unwrap();
    let ask: String = files.iter().map(|(n, _)| format!("{n}\n")).collect();
    send_all(&mut conn, ask.as_bytes()).unwrap();
    for (name, content) in files {
        let head = format!("{}\n", content.len());
        let got = recv_exact(&mut conn, head.len() + content.len()).unwrap();
        assert_eq!(&got[..head.len()], head.as_bytes(), "{name}");
        assert_eq!(
            sha256_hex(&got[head.len()..]),
            sha256_hex(content),
            "{name}"
        );
    }
    conn
}

/// Receives after the handshake: multishot into provided buffers (here only
/// two per worker, so that eight clients at once run the ring dry and receives
/// wait for buffers) and, forced, single-shot — the same bytes either way,
/// with a KeyUpdate from each client mid-stream (a control record: with kTLS
/// receive the multishot ends with EIO and the record is read by recvmsg).
#[test]
fn multishot_and_single_shot_receives_carry_the_same_bytes() {
    const CLIENTS: usize = 8;
    const LEN: usize = 128 * 1024;
    let kernel = baton_ktls::probe().available();
    let osrelease = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    let mut it = osrelease
        .trim()
        .split(['.', '-'])
        .map(|p| p.parse::<u32>().unwrap_or(0));
    // Kernel TLS takes a peer's KeyUpdate only from 6.14 on.
    let key_update = !kernel || (it.next().unwrap_or(0), it.next().unwrap_or(0)) >= (6, 14);
    for multishot in [true, false] {
        let cfg = RuntimeConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            workers: 1,
            multishot_recv: multishot,
            recv_buffers: 2,
            ..Default::default()
        };
        let rt = Runtime::start(cfg, tls_config(), Arc::new(EchoUpTo(LEN))).unwrap();
        let port = rt.local_addr().port();
        let threads: Vec<_> = (0..CLIENTS)
            .map(|i| {
                thread::spawn(move || {
                    let mut conn = baton_client(&client_config(), port, |c| {
                        c.set_server_name("localhost").unwrap();
                    })
                    .expect("handshake");
                    let data = payload(LEN, 100 + i as u64);
                    send_all(&mut conn, &data[..LEN / 2]).unwrap();
                    if key_update {
                        conn.request_key_update(true).unwrap();
                    }
                    send_all(&mut conn, &data[LEN / 2..]).unwrap();
                    let got = recv_exact(&mut conn, LEN).unwrap();
                    assert_eq!(sha256_hex(&got), sha256_hex(&data));
                    assert_eq!(conn.recv(&mut [0u8; 16]).unwrap(), 0);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let stats = rt.shutdown();
        let s = &stats[0];
        assert_eq!(s.multishot_recv, multishot, "{s}");
        assert_eq!(s.bytes_in, (CLIENTS * LEN) as u64, "{s}");
        if multishot {
            assert!(s.recv_provided > 0, "{s}");
        } else {
            assert_eq!(s.recv_provided + s.recv_no_buffers, 0, "{s}");
        }
        assert!(s.errors.is_empty(), "{s}");
        eprintln!("multishot={multishot}: {s}");
        check_paths(&stats, CLIENTS as u64);
    }
}
