//! The io_uring thread-per-core runtime: N workers, each pinned to a core with
//! its own ring and its own `SO_REUSEPORT` listener; a connection never leaves
//! its worker. Each loop turn submits everything it produced in one
//! `io_uring_enter` and reaps completions in a batch.
//!
//! Per connection: the handshake runs through Baton's event-loop interface
//! (`feed_tls`/`pending_tls`) with record-exact receives, so that afterwards the
//! socket can go to kernel TLS; then each direction is kernel or userspace, and
//! a [`Service`] turns received plaintext into replies. Every buffer an
//! operation uses is owned by that operation until its completion (moved
//! into the connection's receive, send or body state), and a connection is
//! freed only once no operation of it is in flight — so cancellation can
//! never free memory the kernel still writes. A completion carries its
//! connection slot's generation, so one that outlived its connection can't
//! reach the next connection in that slot.
//!
//! Modules: `ring` (setup, user data, the one submission point), `buffers`
//! (provided receive buffers, the file-read pool), `conn` (per-connection
//! state), `worker` (the loop, accepts, deadlines, shutdown, dispatch),
//! `data` (receives, the kTLS hand-off, the handler, sends), `body` (file
//! bodies by splice, sendfile or read), `net` (sockets).

use crate::{KtlsMode, KtlsOptions};
use baton::{Blocked, Config, Connection, Error, KernelSession, Session};
use crossbeam_channel::{Receiver, Sender};
use io_uring::{cqueue, opcode, squeue, types, IoUring};
use std::collections::BTreeMap;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

mod body;
mod buffers;
mod conn;
mod data;
mod early;
mod net;
mod ring;
mod sign;
mod worker;

use body::*;
use buffers::*;
use conn::*;
use data::*;
use net::*;
use ring::*;
use sign::*;
use worker::*;

/// What a connection's [`Handler`] wants after handling input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Flow {
    /// Keep the connection open.
    Continue,
    /// Send what was produced, then close (with close_notify).
    Close,
}

/// What a handler sends: bytes (it derefs to the `Vec<u8>` to append to), then
/// optionally part of a file, streamed without holding it in memory.
#[derive(Debug, Default)]
pub struct Output {
    bytes: Vec<u8>,
    file: Option<FileBody>,
}

/// Part of a file to send after the bytes.
#[derive(Debug)]
struct FileBody {
    file: std::fs::File,
    offset: u64,
    left: u64,
    /// The whole file in memory ([`Output::send_file_image`]): sealed from
    /// here when records are sealed in userspace.
    image: Option<std::sync::Arc<[u8]>>,
}

impl Output {
    /// Sends `len` bytes of `file` from `offset` after the bytes (one file per
    /// output; the handler hears [`Handler::on_drained`] when it is out). With
    /// kernel TLS send the kernel encrypts it from the page cache (sendfile);
    /// otherwise it is read and sealed in chunks.
    pub fn send_file(&mut self, file: std::fs::File, offset: u64, len: u64) {
        self.file = Some(FileBody {
            file,
            offset,
            left: len,
            image: None,
        });
    }

    /// As [`send_file`](Self::send_file), with the file's contents already
    /// in memory (`image`, the whole file, as a cache of hot files keeps
    /// it): where records are sealed in userspace they are sealed straight
    /// from `image`, with no file read and no copy; with kernel TLS send
    /// the kernel still sends from the file (sendfile, no copy either). The
    /// caller vouches that `image` holds the file's bytes (its validators
    /// describe them); an image shorter than `offset + len` is ignored.
    pub fn send_file_image(
        &mut self,
        file: std::fs::File,
        offset: u64,
        len: u64,
        image: std::sync::Arc<[u8]>,
    ) {
        let fits = offset
            .checked_add(len)
            .is_some_and(|end| end <= image.len() as u64);
        self.file = Some(FileBody {
            file,
            offset,
            left: len,
            image: fits.then_some(image),
        });
    }

    /// True if a file body is queued.
    pub fn has_file(&self) -> bool {
        self.file.is_some()
    }
}

impl std::ops::Deref for Output {
    type Target = Vec<u8>;
    fn deref(&self) -> &Vec<u8> {
        &self.bytes
    }
}

impl std::ops::DerefMut for Output {
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        &mut self.bytes
    }
}

/// Turns one connection's received plaintext into its replies.
pub trait Handler: Send + 'static {
    /// `input` arrived; append the reply to `out`.
    fn on_data(&mut self, input: &[u8], out: &mut Output) -> Flow;

    /// TLS 1.3 early data (0-RTT) the handshake accepted (only when the
    /// config allows it: `ConfigBuilder::set_max_early_data_size`), as it
    /// arrives (one or more calls), before any `on_data`. The first calls
    /// come before the client's Finished, once the server's is out: the
    /// answer then goes out at once ("0.5-RTT"; file bodies up to 64 KiB are
    /// read in, larger ones wait for the hand-off). Early data may be a
    /// replay of what another connection sent: answer only what is safe to
    /// answer twice. The default treats it as ordinary input.
    fn on_early_data(&mut self, input: &[u8], out: &mut Output) -> Flow {
        self.on_data(input, out)
    }

    /// A file body from an earlier output is completely sent: the place to go on
    /// with requests that were waiting behind it (pipelining).
    fn on_drained(&mut self, _out: &mut Output) -> Flow {
        Flow::Continue
    }
}

/// Makes a [`Handler`] per connection; shared by all workers.
pub trait Service: Send + Sync + 'static {
    /// The per-connection handler.
    type Handler: Handler;
    /// A connection from `peer` completed its handshake (and its hand-off to
    /// kernel TLS); `session` tells what was negotiated.
    fn connect(&self, peer: SocketAddr, session: &Session) -> Self::Handler;

    /// As [`connect`](Service::connect), also told which directions kernel
    /// TLS protects (`(send, recv)`), for services that log it. The runtime
    /// calls this one; the default forgets `ktls`. A handler made for early
    /// data (0.5-RTT) comes from `connect`, before the hand-off.
    fn connect_ktls(
        &self,
        peer: SocketAddr,
        session: &Session,
        ktls: (bool, bool),
    ) -> Self::Handler {
        let _ = ktls;
        self.connect(peer, session)
    }

    /// Called on each worker thread every tick (100 ms), between
    /// completions: for per-worker housekeeping such as handing over
    /// buffered log lines. The default does nothing.
    fn on_tick(&self) {}
}

/// How the runtime runs.
#[derive(Clone, Debug)]
pub struct RuntimeConfig {
    /// Where every worker listens (`SO_REUSEPORT`; port 0 picks one for all).
    pub listen: SocketAddr,
    /// Worker threads; 0 means one per available core.
    pub workers: usize,
    /// Pin worker `i` to core `i` (of the cores this process may use).
    pub pin: bool,
    /// Kernel TLS after the handshake.
    pub ktls: KtlsMode,
    /// Optional kernel features.
    pub ktls_options: KtlsOptions,
    /// A connection must finish its handshake within this (slowloris guard).
    pub handshake_timeout: Duration,
    /// A connection idle this long is closed.
    pub idle_timeout: Duration,
    /// Connections per worker beyond this are closed at accept.
    pub max_connections_per_worker: usize,
    /// On shutdown, how long in-flight responses get to finish.
    pub shutdown_grace: Duration,
    /// With kernel TLS send, file bodies go file -> pipe -> socket by io_uring
    /// `SPLICE` where the kernel has it; false uses synchronous `sendfile` in
    /// the worker instead (the fallback; for tests and comparisons).
    pub splice: bool,
    /// After the handshake, receives are multishot `RECV`s into a per-worker
    /// ring of provided buffers where the kernel has them (6.0+); false keeps
    /// one single-shot receive per connection (the fallback; for tests).
    pub multishot_recv: bool,
    /// Provided receive buffers per worker (16.5 KiB each; rounded up to a
    /// power of two, at most 32768). Fewer than completions in flight make
    /// receives wait for buffers (`ENOBUFS`), never lose bytes.
    pub recv_buffers: u16,
    /// Without kernel TLS send, file bodies are read by io_uring into a
    /// per-worker pool of this many registered buffers (68 KiB each: a 64 KiB
    /// chunk and room for the response head sealed with it)
    /// (`READ_FIXED`); a connection borrows one per chunk until its read
    /// completes. 0 (or registration refused, e.g. `RLIMIT_MEMLOCK`) reads with
    /// a plain `READ` into the connection's own buffer, as does a read that
    /// finds the pool empty.
    pub file_buffers: u16,
    /// Threads that make the handshakes' signatures (shared by all workers),
    /// so that a worker never stalls on an RSA signature; 0 signs inline in
    /// the worker. Not used when the TLS config has its own private-key
    /// callback (an HSM, a key server): that callback is asked instead.
    /// Default: half the cores, at least 1.
    pub sign_threads: usize,
    /// Test hook: the record count at which a kernel-sealed send key must be
    /// replaced (see `KernelSession::set_kernel_send_key_limit_for_test`).
    #[doc(hidden)]
    pub kernel_send_key_limit_for_test: Option<u64>,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8443)),
            workers: 0,
            pin: true,
            ktls: KtlsMode::Auto,
            ktls_options: KtlsOptions::default(),
            handshake_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections_per_worker: 10_000,
            shutdown_grace: Duration::from_secs(5),
            splice: true,
            multishot_recv: true,
            recv_buffers: 64,
            file_buffers: 32,
            sign_threads: std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1)),
            kernel_send_key_limit_for_test: None,
        }
    }
}

/// One worker's counters, returned at shutdown and on demand.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkerStats {
    /// Worker index.
    pub worker: usize,
    /// Connections accepted.
    pub accepted: u64,
    /// Connections refused at the per-worker cap.
    pub refused: u64,
    /// Handshakes completed.
    pub handshakes: u64,
    /// Completed handshakes (handed to the service) by version, suite and
    /// resumption.
    pub handshake_kinds: BTreeMap<HandshakeKind, u64>,
    /// Handshakes that failed (including timeouts).
    pub handshake_failures: u64,
    /// Times a handshake began to wait for the application
    /// (`Blocked::OnApplicationInput`: a session cache lookup, a ClientHello
    /// callback, CRL lookups answered later), each wait counted once however
    /// often the wake-ups poll it; signatures on the signing threads are
    /// `signatures_offloaded`.
    pub handshakes_parked: u64,
    /// Handshakes that accepted TLS 1.3 early data (0-RTT).
    pub early_data: u64,
    /// Answers to early data sealed before the client's Finished (0.5-RTT).
    pub half_rtt_answers: u64,
    /// Connections closed by the handshake or idle timeout.
    pub timeouts: u64,
    /// Plaintext bytes received / sent by handlers.
    pub bytes_in: u64,
    /// Plaintext bytes handed to the send path.
    pub bytes_out: u64,
    /// Connections whose send direction the kernel protected.
    pub kernel_send: u64,
    /// Connections whose receive direction the kernel protected.
    pub kernel_recv: u64,
    /// Connections that sealed their records in userspace.
    pub userspace_send: u64,
    /// Connections that opened their records in userspace.
    pub userspace_recv: u64,
    /// Errors by kind.
    pub errors: BTreeMap<String, u64>,
    /// Whether multishot accept was used (else one-shot accepts).
    pub multishot_accept: bool,
    /// Whether file bodies through kernel TLS go by io_uring `SPLICE` (else
    /// synchronous `sendfile`).
    pub splice: bool,
    /// With `splice`: the ring's io-wq threads were pinned to the worker's core
    /// (when pinned) and capped.
    pub iowq_tuned: bool,
    /// File body bytes spliced (pipe -> socket) through kernel TLS by io_uring.
    pub file_bytes_spliced: u64,
    /// File body bytes sent by synchronous `sendfile` through kernel TLS.
    pub file_bytes_sendfile: u64,
    /// File body bytes read and sealed in userspace.
    pub file_bytes_sealed: u64,
    /// File body bytes sealed in userspace from an image in memory
    /// ([`Output::send_file_image`]), with no read.
    pub file_bytes_from_image: u64,
    /// Whether receives after the handshake are multishot into provided
    /// buffers (else single-shot into each connection's buffer).
    pub multishot_recv: bool,
    /// Receive completions that carried data in a provided buffer.
    pub recv_provided: u64,
    /// Multishot receives that ran out of provided buffers (`ENOBUFS`; the
    /// connection's next receive is single-shot, then multishot again).
    pub recv_no_buffers: u64,
    /// Registered file-read buffers in the worker's pool (0: none).
    pub file_buffers: u64,
    /// File chunks read (userspace send) by `READ_FIXED` into a pool buffer.
    pub file_reads_fixed: u64,
    /// File chunks read by a plain `READ` into the connection's buffer (no
    /// pool, or it was empty).
    pub file_reads_plain: u64,
    /// File chunks read by a synchronous `pread` (a kernel without `READ`).
    pub file_reads_sync: u64,
    /// Handshake signatures made on the signing threads.
    pub signatures_offloaded: u64,
    /// Connections still open when the worker stopped (the shutdown grace
    /// period ran out): cut without finishing their output.
    pub cut_at_shutdown: u64,
}

/// What a handshake negotiated, as the stats count it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HandshakeKind {
    /// The protocol version.
    pub version: baton::ProtocolVersion,
    /// The cipher suite.
    pub suite: baton::CipherSuite,
    /// Whether it resumed a session.
    pub resumed: bool,
}

impl WorkerStats {
    fn error(&mut self, kind: &str) {
        *self.errors.entry(kind.to_string()).or_default() += 1;
    }
}

impl core::fmt::Display for WorkerStats {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "worker {}: connections={} refused={} handshakes={} failed={} parked={} early_data={} half_rtt={} timeouts={} \
             bytes_in={} bytes_out={} send kernel/userspace={}/{} recv kernel/userspace={}/{} \
             file bytes spliced/sendfile/sealed={}/{}/{} from_image={} multishot_recv={} recv_provided={} \
             recv_no_buffers={} file_buffers={} file_reads fixed/plain/sync={}/{}/{} \
             signatures_offloaded={} cut_at_shutdown={} errors={:?}",
            self.worker,
            self.accepted,
            self.refused,
            self.handshakes,
            self.handshake_failures,
            self.handshakes_parked,
            self.early_data,
            self.half_rtt_answers,
            self.timeouts,
            self.bytes_in,
            self.bytes_out,
            self.kernel_send,
            self.userspace_send,
            self.kernel_recv,
            self.userspace_recv,
            self.file_bytes_spliced,
            self.file_bytes_sendfile,
            self.file_bytes_sealed,
            self.file_bytes_from_image,
            self.multishot_recv,
            self.recv_provided,
            self.recv_no_buffers,
            self.file_buffers,
            self.file_reads_fixed,
            self.file_reads_plain,
            self.file_reads_sync,
            self.signatures_offloaded,
            self.cut_at_shutdown,
            self.errors
        )
    }
}

enum Ctl {
    Shutdown,
    Stats(Sender<WorkerStats>),
}

/// A running runtime.
#[derive(Debug)]
pub struct Runtime {
    local_addr: SocketAddr,
    workers: Vec<(JoinHandle<WorkerStats>, Sender<Ctl>)>,
}

impl core::fmt::Debug for Ctl {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Ctl::Shutdown => "Shutdown",
            Ctl::Stats(_) => "Stats",
        })
    }
}

impl Runtime {
    /// Binds every worker's listener (errors come back here), then starts them.
    pub fn start<S: Service>(
        cfg: RuntimeConfig,
        tls: Config,
        service: Arc<S>,
    ) -> io::Result<Runtime> {
        let n = if cfg.workers == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            cfg.workers
        };
        let first = reuseport_listener(cfg.listen)?;
        let local_addr = first.local_addr()?;
        let mut listeners = vec![first];
        for _ in 1..n {
            listeners.push(reuseport_listener(local_addr)?);
        }
        let cores = if cfg.pin {
            core_affinity::get_core_ids().unwrap_or_default()
        } else {
            Vec::new()
        };
        let pool = if cfg.sign_threads > 0 && !tls.has_private_key_callback() {
            Some(start_pool(cfg.sign_threads)?)
        } else {
            None
        };
        let mut workers = Vec::with_capacity(n);
        for (i, listener) in listeners.into_iter().enumerate() {
            let (tx, rx) = crossbeam_channel::unbounded();
            let core = (!cores.is_empty()).then(|| cores[i % cores.len()]);
            let (cfg, tls, service) = (cfg.clone(), tls.clone(), Arc::clone(&service));
            let pool = pool.clone();
            let handle = std::thread::Builder::new()
                .name(format!("baton-worker-{i}"))
                .spawn(move || {
                    if let Some(core) = core {
                        core_affinity::set_for_current(core);
                    }
                    match Worker::new(i, core.map(|c| c.id), listener, cfg, tls, service, rx, pool)
                    {
                        Ok(mut w) => {
                            w.run();
                            w.stats
                        }
                        Err(e) => {
                            let mut s = WorkerStats {
                                worker: i,
                                ..Default::default()
                            };
                            s.error(&format!("ring setup: {e}"));
                            s
                        }
                    }
                })?;
            workers.push((handle, tx));
        }
        Ok(Runtime {
            local_addr,
            workers,
        })
    }

    /// The address the workers listen on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Each worker's counters now (workers answer at their next loop turn).
    pub fn stats(&self) -> Vec<WorkerStats> {
        ask_stats(self.workers.iter().map(|(_, tx)| tx))
    }

    /// A handle that asks the workers for their counters from another
    /// thread (a metrics endpoint), while the runtime stays with its owner.
    pub fn stats_handle(&self) -> StatsHandle {
        StatsHandle(self.workers.iter().map(|(_, tx)| tx.clone()).collect())
    }

    /// Stops accepting, lets in-flight responses finish (up to the grace
    /// period), and returns each worker's final counters.
    pub fn shutdown(self) -> Vec<WorkerStats> {
        for (_, tx) in &self.workers {
            let _ = tx.send(Ctl::Shutdown);
        }
        self.workers
            .into_iter()
            .filter_map(|(h, _)| h.join().ok())
            .collect()
    }
}

/// Asks each worker for a copy of its counters over its control channel:
/// a worker answers at its next tick (at most 100 ms), so counting costs
/// the worker's hot path nothing (no atomics, no locks).
fn ask_stats<'a>(workers: impl Iterator<Item = &'a Sender<Ctl>>) -> Vec<WorkerStats> {
    let mut out = Vec::new();
    for tx in workers {
        let (stx, srx) = crossbeam_channel::bounded(1);
        if tx.send(Ctl::Stats(stx)).is_ok() {
            if let Ok(s) = srx.recv_timeout(Duration::from_secs(5)) {
                out.push(s);
            }
        }
    }
    out
}

/// Asks a [`Runtime`]'s workers for their counters from any thread
/// ([`Runtime::stats_handle`]); once the runtime has shut down, it gets none.
#[derive(Clone)]
pub struct StatsHandle(Vec<Sender<Ctl>>);

impl core::fmt::Debug for StatsHandle {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StatsHandle")
            .field("workers", &self.0.len())
            .finish()
    }
}

impl StatsHandle {
    /// Each running worker's counters now.
    pub fn stats(&self) -> Vec<WorkerStats> {
        ask_stats(self.0.iter())
    }
}

/// An echo service: every connection sends back what it receives. For tests
/// and for measuring the runtime without an application in the way.
#[derive(Debug, Default)]
pub struct Echo;

/// [`Echo`]'s handler.
#[derive(Debug)]
pub struct EchoHandler;

impl Handler for EchoHandler {
    fn on_data(&mut self, input: &[u8], out: &mut Output) -> Flow {
        out.extend_from_slice(input);
        Flow::Continue
    }
}

impl Service for Echo {
    type Handler = EchoHandler;
    fn connect(&self, _peer: SocketAddr, _session: &Session) -> EchoHandler {
        EchoHandler
    }
}
