//! File bodies through the runtime: pipelined requests, every file path
//! (SPLICE, sendfile, `READ_FIXED`, plain `READ`), the registered-buffer pool
//! run dry, short files, handler misuse, shutdown's grace period, and the send
//! key's usage limit.

use super::*;

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
