//! The io_uring runtime against real peers on 127.0.0.1: `openssl s_client` and
//! Baton clients, many at once; slow handshakes dropped on time; graceful
//! shutdown with per-worker counters. On a kernel with kTLS (tools/ktls-vm) the
//! same tests run with the kernel protecting the records.

#[path = "../../../tests/integration/util.rs"]
mod util;

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
    Runtime::start(cfg, tls_config(), Arc::new(EchoUpTo(limit))).expect("starting the runtime")
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

/// Answers each line with "LEN\n" and the whole file, one at a time: lines that
/// arrive while a body is being sent wait for `on_drained` (pipelining).
struct FileServer(std::path::PathBuf);

struct FileHandler {
    path: std::path::PathBuf,
    waiting: usize,
    busy: bool,
}

impl FileHandler {
    fn next(&mut self, out: &mut Output) -> Flow {
        if self.busy || self.waiting == 0 {
            return Flow::Continue;
        }
        self.waiting -= 1;
        let file = std::fs::File::open(&self.path).unwrap();
        let len = file.metadata().unwrap().len();
        out.extend_from_slice(format!("{len}\n").as_bytes());
        out.send_file(file, 0, len);
        self.busy = true;
        Flow::Continue
    }
}

impl Handler for FileHandler {
    fn on_data(&mut self, input: &[u8], out: &mut Output) -> Flow {
        self.waiting += input.iter().filter(|&&b| b == b'\n').count();
        self.next(out)
    }
    fn on_drained(&mut self, out: &mut Output) -> Flow {
        self.busy = false;
        self.next(out)
    }
}

impl Service for FileServer {
    type Handler = FileHandler;
    fn connect(&self, _peer: SocketAddr, _session: &Session) -> FileHandler {
        FileHandler {
            path: self.0.clone(),
            waiting: 0,
            busy: false,
        }
    }
}

#[test]
fn file_bodies_stream_in_order_with_pipelined_requests() {
    const LEN: usize = (1 << 20) + 7;
    let path = scratch_dir().join("uring-body");
    let content = payload(LEN, 77);
    std::fs::write(&path, &content).unwrap();
    let cfg = RuntimeConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        workers: 1,
        ..Default::default()
    };
    let rt = Runtime::start(cfg, tls_config(), Arc::new(FileServer(path))).unwrap();
    let mut conn = baton_client(&client_config(), rt.local_addr().port(), |c| {
        c.set_server_name("localhost").unwrap();
    })
    .unwrap();
    // Three requests at once: three bodies, whole and in order.
    send_all(&mut conn, b"a\nb\nc\n").unwrap();
    let head = format!("{LEN}\n");
    for _ in 0..3 {
        let got = recv_exact(&mut conn, head.len() + LEN).unwrap();
        assert_eq!(&got[..head.len()], head.as_bytes());
        assert_eq!(sha256_hex(&got[head.len()..]), sha256_hex(&content));
    }
    let stats = rt.shutdown();
    assert_eq!(
        total(&stats, |s| s.bytes_out),
        3 * (head.len() + LEN) as u64,
        "{stats:?}"
    );
    check_paths(&stats, 1);
}

/// A client that asks for a big file and never reads: shutdown waits out the
/// grace period, then cuts the connection (its operations complete) and returns.
#[test]
fn shutdown_cuts_a_stuck_transfer_after_the_grace_period() {
    let path = scratch_dir().join("uring-stuck");
    std::fs::write(&path, payload(32 << 20, 5)).unwrap();
    let cfg = RuntimeConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        workers: 1,
        shutdown_grace: Duration::from_secs(1),
        ..Default::default()
    };
    let rt = Runtime::start(cfg, tls_config(), Arc::new(FileServer(path))).unwrap();
    let mut conn = baton_client(&client_config(), rt.local_addr().port(), |c| {
        c.set_server_name("localhost").unwrap();
    })
    .unwrap();
    send_all(&mut conn, b"give\n").unwrap();
    // Read a little so the transfer is surely under way, then stop reading.
    recv_exact(&mut conn, 1000).unwrap();
    // Returns (32 MiB can't fit in the socket buffers of a client that reads
    // nothing): the stuck connection was cut.
    let stats = rt.shutdown();
    assert_eq!(total(&stats, |s| s.handshakes), 1);
    assert_eq!(total(&stats, |s| s.cut_at_shutdown), 1, "{stats:?}");
    drop(conn);
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
        for &b in input {
            if b == b'\n' {
                let name = String::from_utf8(std::mem::take(&mut self.line)).unwrap();
                self.waiting.push_back(name);
            } else {
                self.line.push(b);
            }
        }
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

/// File bodies through each path the runtime has, proven by its counters:
/// with kernel TLS send, io_uring SPLICE (file -> pipe -> kTLS socket) and,
/// forced, the synchronous sendfile fallback; without it, sealed in userspace
/// after io_uring reads into registered buffers (`READ_FIXED`) and, forced
/// (no pool), plain `READ`s into the connection's buffer.
/// Sizes at record boundaries (0, 1, 16384, 16385), 1 MiB and 64 MiB.
#[test]
fn file_bodies_by_splice_sendfile_or_sealed() {
    const SIZES: [usize; 6] = [0, 1, 16384, 16385, 1 << 20, 64 << 20];
    const CHUNK: usize = 64 * 1024;
    let (dir, files) = body_files("uring-bodies", &SIZES);
    let kernel = baton_ktls::probe().available();
    // (kernel: splice or sendfile; userspace: a pool of 32 registered buffers or none)
    for (splice, file_buffers) in [(true, 32), (false, 0)] {
        // The fallback run skips the 64 MiB file: the paths differ per body, not per size.
        let files = if splice { &files[..] } else { &files[..5] };
        let cfg = RuntimeConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            workers: 1,
            splice,
            file_buffers,
            ..Default::default()
        };
        let rt = Runtime::start(cfg, tls_config(), Arc::new(NamedFiles(dir.clone()))).unwrap();
        let mut conn = fetch_all(rt.local_addr().port(), files);
        conn.shutdown().unwrap();
        let stats = rt.shutdown();
        let body: u64 = files.iter().map(|(_, c)| c.len() as u64).sum();
        // Reads at least: every non-empty body's 64 KiB chunks.
        let chunks: u64 = files
            .iter()
            .map(|(_, c)| c.len().div_ceil(CHUNK) as u64)
            .sum();
        let s = &stats[0];
        let reads = s.file_reads_fixed + s.file_reads_plain + s.file_reads_sync;
        if kernel {
            assert_eq!(s.splice, splice, "{s}");
            // Every kernel here (6.1+) has IOWQ_AFF (5.14) and IOWQ_MAX_WORKERS (5.15).
            assert_eq!(s.iowq_tuned, splice, "{s}");
            let (by_splice, by_sendfile) = if splice { (body, 0) } else { (0, body) };
            assert_eq!(s.file_bytes_spliced, by_splice, "{s}");
            assert_eq!(s.file_bytes_sendfile, by_sendfile, "{s}");
            assert_eq!(s.file_bytes_sealed, 0, "{s}");
            assert_eq!(reads, 0, "{s}");
        } else {
            assert_eq!(s.file_bytes_sealed, body, "{s}");
            assert_eq!(s.file_bytes_spliced + s.file_bytes_sendfile, 0, "{s}");
            // One connection, one read at a time: the pool never runs dry.
            assert_eq!(s.file_buffers, file_buffers as u64, "{s}");
            assert_eq!(s.file_reads_sync, 0, "{s}");
            if file_buffers > 0 {
                assert!(s.file_reads_fixed >= chunks, "{s}");
                assert_eq!(s.file_reads_plain, 0, "{s}");
            } else {
                assert!(s.file_reads_plain >= chunks, "{s}");
                assert_eq!(s.file_reads_fixed, 0, "{s}");
            }
        }
        assert!(s.errors.is_empty(), "{s}");
        eprintln!("splice={splice} file_buffers={file_buffers}: {s}");
        check_paths(&stats, 1);
    }
}

/// Userspace send with only two registered file buffers per worker: eight
/// clients with pipelined requests at once share the pool (whether it runs
/// dry, sending those reads plain into the connection's buffer, depends on
/// how their reads happen to overlap), and a client that vanishes mid-body
/// (its read may be in flight) is freed without disturbing the others.
#[test]
fn file_reads_share_a_small_pool_of_registered_buffers() {
    const CLIENTS: usize = 8;
    let (dir, files) = body_files("uring-pool", &[16385, 1 << 20, 16 << 20]);
    let cfg = RuntimeConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        workers: 1,
        file_buffers: 2,
        // See `start`: a connection not freed shows as `cut_at_shutdown`.
        shutdown_grace: Duration::from_secs(30),
        ..Default::default()
    };
    let rt = Runtime::start(cfg, tls_config(), Arc::new(NamedFiles(dir))).unwrap();
    let port = rt.local_addr().port();
    // Asks for the 16 MiB body, reads a little of it, and is gone.
    let mut gone = baton_client(&client_config(), port, |c| {
        c.set_server_name("localhost").unwrap();
    })
    .unwrap();
    send_all(&mut gone, format!("{}\n", files[2].0).as_bytes()).unwrap();
    recv_exact(&mut gone, 100_000).unwrap();
    drop(gone);
    let small: Vec<(String, Vec<u8>)> = [0, 1, 0, 1, 1, 0]
        .iter()
        .map(|&i| files[i].clone())
        .collect();
    let small = Arc::new(small);
    let threads: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let small = Arc::clone(&small);
            thread::spawn(move || {
                let mut conn = fetch_all(port, &small);
                conn.shutdown().unwrap();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    // The worker still serves.
    let mut conn = fetch_all(port, &files[..2]);
    conn.shutdown().unwrap();
    let stats = rt.shutdown();
    let s = &stats[0];
    eprintln!("{s}");
    // Every connection (the vanished one too) was freed, none cut at shutdown.
    assert_eq!(s.cut_at_shutdown, 0, "{s}");
    assert_eq!(s.handshakes, CLIENTS as u64 + 2, "{s}");
    if !baton_ktls::probe().available() {
        assert_eq!(s.file_buffers, 2, "{s}");
        // Pool buffers were used; every chunk was read by io_uring, into a
        // pool buffer or (the pool dry, if it ever was) the connection's own.
        assert!(s.file_reads_fixed > 0, "{s}");
        let chunks = |f: &[(String, Vec<u8>)]| -> u64 {
            f.iter()
                .map(|(_, c)| c.len().div_ceil(64 * 1024) as u64)
                .sum()
        };
        let chunks = chunks(&small) * CLIENTS as u64 + chunks(&files[..2]);
        assert!(s.file_reads_fixed + s.file_reads_plain >= chunks, "{s}");
        assert_eq!(s.file_reads_sync, 0, "{s}");
        let fetched: u64 = small.iter().map(|(_, c)| c.len() as u64).sum::<u64>() * CLIENTS as u64
            + (files[0].1.len() + files[1].1.len()) as u64;
        // What the vanished client's body got sealed before it was noticed gone.
        let partial = s.file_bytes_sealed - fetched;
        assert!(
            partial >= 90_000 && partial < files[2].1.len() as u64,
            "{s}"
        );
    }
    // The vanished client may show as one error of its receive: a reset, or
    // a broken pipe when a send saw the reset first (a race). Nothing else.
    let others = s
        .errors
        .iter()
        .filter(|(k, _)| {
            !(k.starts_with("recv: ")
                && (k.contains("Connection reset by peer") || k.contains("Broken pipe")))
        })
        .count();
    assert_eq!(others, 0, "{s}");
    assert!(s.errors.values().sum::<u64>() <= 1, "{s}");
}

/// Answers "fifo" with `FIFO_LEN` bytes read from the FIFO `dir/fifo` (the
/// read waits in the kernel until the test writes them) and any other line
/// with the named file of `dir`, as "LEN\n" and the body.
struct FifoOrFile(std::path::PathBuf);

const FIFO_LEN: u64 = 1000;

struct FifoOrFileHandler(std::path::PathBuf);

impl Handler for FifoOrFileHandler {
    fn on_data(&mut self, input: &[u8], out: &mut Output) -> Flow {
        let name = std::str::from_utf8(input).unwrap().trim();
        let (file, len) = if name == "fifo" {
            // Read and write: opening doesn't wait for a writer, and the
            // read never sees end-of-file.
            let fifo = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(self.0.join("fifo"))
                .unwrap();
            (fifo, FIFO_LEN)
        } else {
            let file = std::fs::File::open(self.0.join(name)).unwrap();
            let len = file.metadata().unwrap().len();
            (file, len)
        };
        out.extend_from_slice(format!("{len}\n").as_bytes());
        out.send_file(file, 0, len);
        Flow::Continue
    }
}

impl Service for FifoOrFile {
    type Handler = FifoOrFileHandler;
    fn connect(&self, _peer: SocketAddr, _session: &Session) -> FifoOrFileHandler {
        FifoOrFileHandler(self.0.clone())
    }
}

/// Userspace send with a pool of one registered file buffer, run dry on
/// purpose: a body read from a FIFO holds the buffer (its read waits in the
/// kernel until the test writes), so another connection's chunks are read
/// plain into its own buffer; both bodies arrive whole.
#[test]
fn a_dry_file_pool_reads_into_the_connections_buffer() {
    if baton_ktls::probe().available() {
        eprintln!("SKIPPED a_dry_file_pool_reads_into_the_connections_buffer: kernel TLS send never reads into the pool");
        return;
    }
    let (dir, files) = body_files("uring-dry-pool", &[200_000]);
    let fifo = dir.join("fifo");
    let _ = std::fs::remove_file(&fifo);
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    let cfg = RuntimeConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        workers: 1,
        file_buffers: 1,
        shutdown_grace: Duration::from_secs(30),
        ..Default::default()
    };
    let rt = Runtime::start(cfg, tls_config(), Arc::new(FifoOrFile(dir))).unwrap();
    let port = rt.local_addr().port();
    let mut waiting = baton_client(&client_config(), port, |c| {
        c.set_server_name("localhost").unwrap();
    })
    .unwrap();
    send_all(&mut waiting, b"fifo\n").unwrap();
    // Its read took the pool's only buffer (counted when submitted).
    let deadline = Instant::now() + Duration::from_secs(60);
    while rt.stats()[0].file_reads_fixed == 0 {
        assert!(Instant::now() < deadline, "the FIFO read never started");
        thread::sleep(Duration::from_millis(10));
    }
    // Meanwhile another body: every chunk read plain.
    let mut conn = fetch_all(port, &files);
    conn.shutdown().unwrap();
    let mid = rt.stats().remove(0);
    assert_eq!(mid.file_reads_fixed, 1, "{mid}");
    let chunks = files[0].1.len().div_ceil(64 * 1024) as u64;
    assert!(mid.file_reads_plain >= chunks, "{mid}");
    // Now the FIFO read completes, and its buffer goes back to the pool.
    let fifo_bytes = payload(FIFO_LEN as usize, 4);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&fifo)
        .unwrap()
        .write_all(&fifo_bytes)
        .unwrap();
    let head = format!("{FIFO_LEN}\n");
    let got = recv_exact(&mut waiting, head.len() + FIFO_LEN as usize).unwrap();
    assert_eq!(&got[..head.len()], head.as_bytes());
    assert_eq!(&got[head.len()..], &fifo_bytes[..]);
    waiting.shutdown().unwrap();
    // The pool serves again: the next body's chunks go into it.
    let mut conn = fetch_all(port, &files);
    conn.shutdown().unwrap();
    let stats = rt.shutdown();
    let s = &stats[0];
    assert!(s.file_reads_fixed > 1, "{s}");
    assert_eq!(s.file_reads_plain, mid.file_reads_plain, "{s}");
    assert!(s.errors.is_empty(), "{s}");
    assert_eq!(s.cut_at_shutdown, 0, "{s}");
}

/// Announces every file 100 000 bytes longer than it is.
struct Overpromise(std::path::PathBuf);

struct OverpromiseHandler(std::path::PathBuf);

impl Handler for OverpromiseHandler {
    fn on_data(&mut self, _input: &[u8], out: &mut Output) -> Flow {
        let file = std::fs::File::open(&self.0).unwrap();
        let len = file.metadata().unwrap().len();
        out.extend_from_slice(b"body\n");
        out.send_file(file, 0, len + 100_000);
        Flow::Continue
    }
}

impl Service for Overpromise {
    type Handler = OverpromiseHandler;
    fn connect(&self, _peer: SocketAddr, _session: &Session) -> OverpromiseHandler {
        OverpromiseHandler(self.0.clone())
    }
}

/// A file shorter than its announced length: the bytes it has arrive (its
/// last chunk is a short read, which goes on from where it stopped; with
/// kernel TLS a record left open is lost in the cut), then the next read gets
/// 0 bytes and the connection is cut without close_notify (the response
/// cannot be completed) — on every file path.
#[test]
fn a_file_shorter_than_announced_cuts_the_connection() {
    const LEN: usize = 200_000;
    let (dir, files) = body_files("uring-short", &[LEN]);
    for (splice, file_buffers) in [(true, 32), (false, 0)] {
        let cfg = RuntimeConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            workers: 1,
            splice,
            file_buffers,
            ..Default::default()
        };
        let path = dir.join(&files[0].0);
        let rt = Runtime::start(cfg, tls_config(), Arc::new(Overpromise(path))).unwrap();
        let mut conn = baton_client(&client_config(), rt.local_addr().port(), |c| {
            c.set_server_name("localhost").unwrap();
        })
        .unwrap();
        send_all(&mut conn, b"x\n").unwrap();
        let mut got = Vec::new();
        let mut buf = vec![0u8; 1 << 16];
        let end = loop {
            match conn.recv(&mut buf) {
                Ok(0) => break Ok(()),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) => break Err(e),
            }
        };
        let stats = rt.shutdown();
        let s = &stats[0];
        assert!(end.is_err(), "a clean close_notify for a cut response: {s}");
        assert_eq!(s.errors.get("file shorter than announced"), Some(&1), "{s}");
        let mut expect = b"body\n".to_vec();
        expect.extend_from_slice(&files[0].1);
        if s.kernel_send == 0 {
            // Userspace records: every sealed byte is out before the cut.
            assert_eq!(got.len(), expect.len(), "{s}");
        } else {
            // Kernel TLS: the plaintext of a record still open (pieces sent
            // with SPLICE_F_MORE) is dropped with the socket on 6.12+; what
            // arrived is a prefix, then the cut.
            assert!(got.len() <= expect.len(), "{s}");
            assert!(got.len() >= 5, "{s}");
        }
        assert_eq!(got[..], expect[..got.len()], "{s}");
        if !baton_ktls::probe().available() {
            assert_eq!(s.file_bytes_sealed, LEN as u64, "{s}");
            let reads = if file_buffers > 0 {
                s.file_reads_fixed
            } else {
                s.file_reads_plain
            };
            // Four chunks (the last one short), then the read that got 0.
            assert!(reads >= 5, "{s}");
        }
    }
}

/// A handler that breaks the one-body-at-a-time rule (a second file before
/// `on_drained`) gets its connection cut, rather than the file a read or
/// splice in flight uses closed under it.
#[test]
fn a_second_file_body_before_the_first_is_out_cuts_the_connection() {
    let (dir, files) = body_files("uring-second-body", &[16 << 20]);
    let cfg = RuntimeConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        workers: 1,
        ..Default::default()
    };
    // Overpromise queues a body for every input, busy or not.
    let path = dir.join(&files[0].0);
    let rt = Runtime::start(cfg, tls_config(), Arc::new(Overpromise(path))).unwrap();
    let mut conn = baton_client(&client_config(), rt.local_addr().port(), |c| {
        c.set_server_name("localhost").unwrap();
    })
    .unwrap();
    send_all(&mut conn, b"a\n").unwrap();
    // The 16 MiB body cannot be out while this client reads nothing.
    recv_exact(&mut conn, 1000).unwrap();
    send_all(&mut conn, b"b\n").unwrap();
    let mut buf = vec![0u8; 1 << 16];
    let mut got = 1000;
    let end = loop {
        match conn.recv(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => got += n,
            Err(e) => break Err(e),
        }
    };
    let stats = rt.shutdown();
    let s = &stats[0];
    assert!(end.is_err(), "cut, not closed cleanly: {s}");
    assert!(got < 5 + files[0].1.len(), "{got} bytes; {s}");
    assert_eq!(
        s.errors
            .get("a file body queued before the last one was out"),
        Some(&1),
        "{s}"
    );
}

/// Spliced bodies keep the send key's AEAD usage limit (lowered to 8 records
/// here): where the kernel can rekey (6.14+) the body arrives whole across
/// KeyUpdates; before that the connection closes cleanly at the limit.
#[test]
fn spliced_bodies_keep_the_send_key_limit() {
    if !baton_ktls::probe().available() {
        if std::env::var_os("BATON_REQUIRE_KTLS").is_some() {
            panic!("BATON_REQUIRE_KTLS is set, but {}", baton_ktls::probe());
        }
        eprintln!("SKIPPED spliced_bodies_keep_the_send_key_limit: no kTLS here");
        return;
    }
    const LEN: usize = 40 * 16384;
    let (dir, files) = body_files("uring-key-limit", &[LEN]);
    let cfg = RuntimeConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        workers: 1,
        kernel_send_key_limit_for_test: Some(8),
        ..Default::default()
    };
    let rt = Runtime::start(cfg, tls_config(), Arc::new(NamedFiles(dir))).unwrap();
    let before = baton_ktls::tls_stat().unwrap();
    let rekey = {
        let r = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
        let mut it = r
            .trim()
            .split(['.', '-'])
            .map(|p| p.parse::<u32>().unwrap_or(0));
        (it.next().unwrap_or(0), it.next().unwrap_or(0)) >= (6, 14)
    };
    if rekey {
        let mut conn = fetch_all(rt.local_addr().port(), &files);
        conn.shutdown().unwrap();
        let stats = rt.shutdown();
        let after = baton_ktls::tls_stat().unwrap();
        let rekeys = after["TlsTxRekeyOk"] - before.get("TlsTxRekeyOk").copied().unwrap_or(0);
        assert!(rekeys >= 4, "{rekeys} send rekeys; {}", stats[0]);
        assert_eq!(stats[0].file_bytes_spliced, LEN as u64, "{}", stats[0]);
    } else {
        let mut conn = baton_client(&client_config(), rt.local_addr().port(), |c| {
            c.set_server_name("localhost").unwrap();
        })
        .unwrap();
        send_all(&mut conn, format!("{}\n", files[0].0).as_bytes()).unwrap();
        // Data, then close_notify at the limit: a clean end, short of the body.
        let got = recv_to_end(&mut conn).expect("a clean close at the key limit");
        let stats = rt.shutdown();
        let head = format!("{LEN}\n").len();
        assert!(
            got.len() > head && got.len() <= head + 8 * 16384,
            "{} bytes",
            got.len()
        );
        assert_eq!(&got[head..], &files[0].1[..got.len() - head]);
        assert!(stats[0].file_bytes_spliced > 0, "{}", stats[0]);
        assert_eq!(
            stats[0].errors.get("splice: Closed"),
            Some(&1),
            "{}",
            stats[0]
        );
    }
    let after = baton_ktls::tls_stat().unwrap();
    assert_eq!(
        after["TlsDecryptError"],
        before.get("TlsDecryptError").copied().unwrap_or(0)
    );
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

/// Application data records as `openssl s_client -msg` saw them arrive: the
/// length field of each TLS 1.3 record header from the server whose inner
/// content type is application_data, in order.
fn app_records_received(msgfile: &std::path::Path) -> Vec<usize> {
    let text = std::fs::read_to_string(msgfile).unwrap();
    let hex = |line: &str| -> Vec<u8> {
        line.split_whitespace()
            .filter_map(|b| u8::from_str_radix(b, 16).ok())
            .collect()
    };
    let mut out = Vec::new();
    let mut pending = None;
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if !line.starts_with("<<<") {
            continue;
        }
        let next = lines.next().unwrap_or("");
        if line.contains("RecordHeader") {
            let h = hex(next);
            pending = (h.len() == 5).then(|| u16::from_be_bytes([h[3], h[4]]) as usize);
        } else if line.contains("InnerContent") {
            if let (Some(len), [0x17]) = (pending.take(), &hex(next)[..]) {
                out.push(len);
            }
        }
    }
    out
}

/// Dynamic record sizing on the runtime's sends (kernel SEND or sealed): as
/// `openssl s_client` receives them, the first 16 KiB of echoed data come in
/// records that fit one 1500-byte frame, then in full records.
#[test]
fn echoes_start_in_small_records_then_full_ones() {
    if !openssl_available("echoes_start_in_small_records_then_full_ones") {
        return;
    }
    const LEN: usize = 256 * 1024;
    let rt = start(LEN, 1, Duration::from_secs(10));
    let msgfile = scratch_dir().join("uring-records.msg");
    let _ = std::fs::remove_file(&msgfile);
    let ca = data("ca-ecdsa.pem");
    let mut cli = s_client(
        rt.local_addr().port(),
        &[
            "-servername",
            "localhost",
            "-CAfile",
            ca.to_str().unwrap(),
            "-verify_return_error",
            "-quiet",
            "-msg",
            "-msgfile",
            msgfile.to_str().unwrap(),
        ],
    );
    let payload = Arc::new(payload(LEN, 41));
    cli.feed_stdin(Arc::clone(&payload));
    let out = cli.wait(BULK_TIMEOUT);
    let stats = rt.shutdown();
    assert_eq!(
        sha256_hex(&out.stdout),
        sha256_hex(&payload),
        "{}",
        out.stderr
    );
    let data_records = app_records_received(&msgfile);
    eprintln!(
        "{} records: {:?} ...; {}",
        data_records.len(),
        &data_records[..data_records.len().min(40)],
        stats[0]
    );
    // TLS 1.3 records carry 17 bytes of overhead: 1378 bytes of data make a
    // 1395-byte record, 1400 bytes on the wire.
    let wire = |len: usize| len + 5;
    let mut seen = 0;
    let mut i = 0;
    while seen < 16 * 1024 {
        assert!(
            wire(data_records[i]) <= 1400,
            "record {i}: {data_records:?}"
        );
        seen += data_records[i] - 17;
        i += 1;
    }
    assert!(
        data_records[i..].iter().any(|&l| l > 16 * 1024),
        "full records after the threshold: {data_records:?}"
    );
}

/// The same for a file body (SPLICE or sendfile through kTLS, or sealed): the response
/// head shares the first small record with the body's start (corked: MSG_MORE
/// on the head, or sealed together), small records up to 16 KiB, then full.
#[test]
fn a_file_body_starts_in_small_records_with_its_head() {
    if !openssl_available("a_file_body_starts_in_small_records_with_its_head") {
        return;
    }
    const LEN: usize = 1 << 20;
    let (dir, files) = body_files("uring-small-records", &[LEN]);
    for splice in [true, false] {
        let cfg = RuntimeConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            workers: 1,
            splice,
            ..Default::default()
        };
        let rt = Runtime::start(cfg, tls_config(), Arc::new(NamedFiles(dir.clone()))).unwrap();
        let msgfile = scratch_dir().join("uring-file-records.msg");
        let _ = std::fs::remove_file(&msgfile);
        let ca = data("ca-ecdsa.pem");
        let mut cli = s_client(
            rt.local_addr().port(),
            &[
                "-servername",
                "localhost",
                "-CAfile",
                ca.to_str().unwrap(),
                "-verify_return_error",
                "-quiet",
                "-msg",
                "-msgfile",
                msgfile.to_str().unwrap(),
            ],
        );
        cli.feed_stdin(Arc::new(format!("{}\nbye\n", files[0].0).into_bytes()));
        let out = cli.wait(BULK_TIMEOUT);
        let stats = rt.shutdown();
        let head = format!("{LEN}\n");
        assert_eq!(&out.stdout[..head.len()], head.as_bytes(), "{}", out.stderr);
        assert_eq!(
            sha256_hex(&out.stdout[head.len()..]),
            sha256_hex(&files[0].1),
            "{}",
            stats[0]
        );
        if baton_ktls::probe().available() {
            let by = if splice {
                stats[0].file_bytes_spliced
            } else {
                stats[0].file_bytes_sendfile
            };
            assert_eq!(by, LEN as u64, "{}", stats[0]);
        }
        let records = app_records_received(&msgfile);
        eprintln!("{:?} ...; {}", &records[..records.len().min(20)], stats[0]);
        // The head is not a record of its own: it fills the first small record
        // together with the body's first bytes.
        assert_eq!(records[0], 1395, "{records:?}");
        let mut seen = 0;
        let mut i = 0;
        while seen < 16 * 1024 {
            assert!(records[i] <= 1395, "record {i}: {records:?}");
            seen += records[i] - 17;
            i += 1;
        }
        assert!(records[i..].iter().all(|&l| l >= 1395), "{records:?}");
        assert!(
            records[i..].iter().filter(|&&l| l == 16401).count() >= 60,
            "{records:?}"
        );
    }
}

/// Not a check: the runtime's paths side by side in one run, as ratios
/// (`cargo test -p baton-ktls --test uring -- --ignored compare_paths
/// --nocapture`; in tools/ktls-vm for the kernel paths). A 64 MiB body by
/// SPLICE vs sendfile (or sealed), and 32 MiB echoed to `openssl s_client` with
/// multishot vs single-shot receives; best of three each.
#[test]
#[ignore]
fn compare_paths() {
    let (dir, files) = body_files("uring-compare", &[64 << 20]);
    let mut body = Vec::new();
    // kTLS: splice, then sendfile; userspace: READ_FIXED, then plain READ.
    for (splice, file_buffers) in [(true, 32), (false, 0)] {
        let cfg = RuntimeConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            workers: 1,
            splice,
            file_buffers,
            ..Default::default()
        };
        let rt = Runtime::start(cfg, tls_config(), Arc::new(NamedFiles(dir.clone()))).unwrap();
        let mut best = Duration::MAX;
        for _ in 0..3 {
            let t0 = Instant::now();
            let mut conn = fetch_all(rt.local_addr().port(), &files);
            best = best.min(t0.elapsed());
            conn.shutdown().unwrap();
        }
        let s = rt.shutdown().remove(0);
        body.push(best);
        eprintln!(
            "64 MiB body, splice={splice} file_buffers={file_buffers}: {:.0} MB/s \
             (spliced/sendfile/sealed {}/{}/{}, reads fixed/plain {}/{})",
            64.0 * 1.048576 / best.as_secs_f64(),
            s.file_bytes_spliced,
            s.file_bytes_sendfile,
            s.file_bytes_sealed,
            s.file_reads_fixed,
            s.file_reads_plain
        );
    }
    eprintln!(
        "body time, (kTLS) sendfile / splice or (userspace) plain READ / READ_FIXED: {:.2}",
        body[1].as_secs_f64() / body[0].as_secs_f64()
    );
    const LEN: usize = 32 << 20;
    let data = Arc::new(payload(LEN, 9));
    let mut echo = Vec::new();
    for multishot in [true, false] {
        let mut best = Duration::MAX;
        let mut provided = 0;
        for _ in 0..3 {
            let cfg = RuntimeConfig {
                listen: SocketAddr::from(([127, 0, 0, 1], 0)),
                workers: 1,
                multishot_recv: multishot,
                ..Default::default()
            };
            let rt = Runtime::start(cfg, tls_config(), Arc::new(EchoUpTo(LEN))).unwrap();
            let t0 = Instant::now();
            let mut cli = s_client_ecdsa_quiet(rt.local_addr().port());
            cli.feed_stdin(Arc::clone(&data));
            let out = cli.wait(BULK_TIMEOUT);
            best = best.min(t0.elapsed());
            assert_eq!(out.stdout.len(), LEN);
            provided = rt.shutdown()[0].recv_provided;
        }
        echo.push(best);
        eprintln!(
            "32 MiB echo, multishot={multishot}: {:.0} MB/s (recv_provided {provided})",
            32.0 * 1.048576 / best.as_secs_f64()
        );
    }
    eprintln!(
        "echo time, single-shot / multishot: {:.2}",
        echo[1].as_secs_f64() / echo[0].as_secs_f64()
    );
}
