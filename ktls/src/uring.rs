//! The io_uring thread-per-core runtime: N workers, each pinned to a core with
//! its own ring and its own `SO_REUSEPORT` listener; a connection never leaves
//! its worker. Each loop turn submits everything it produced in one
//! `io_uring_enter` and reaps completions in a batch.
//!
//! Per connection: the handshake runs through Baton's event-loop interface
//! (`feed_tls`/`pending_tls`) with record-exact receives, so that afterwards the
//! socket can go to kernel TLS; then each direction is kernel or userspace, and
//! a [`Service`] turns received plaintext into replies. Every buffer an
//! operation uses belongs to that operation's connection, which is boxed (its
//! address never moves) and freed only once no operation of it is in flight —
//! so cancellation can never free memory the kernel still writes.

use crate::{KtlsMode, KtlsOptions};
use baton::{Config, Connection};
use crossbeam_channel::{Receiver, Sender};
use io_uring::{cqueue, opcode, squeue, types, IoUring};
use std::collections::BTreeMap;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What a connection's [`Handler`] wants after handling input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
    /// A connection from `peer` completed its handshake.
    fn connect(&self, peer: SocketAddr, conn: &Connection) -> Self::Handler;
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
    /// Test hook: the record count at which a kernel-sealed send key must be
    /// replaced (see `Connection::set_kernel_send_key_limit_for_test`).
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
    /// Handshakes that failed (including timeouts).
    pub handshake_failures: u64,
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
    /// Connections still open when the worker stopped (the shutdown grace
    /// period ran out): cut without finishing their output.
    pub cut_at_shutdown: u64,
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
            "worker {}: connections={} refused={} handshakes={} failed={} timeouts={} \
             bytes_in={} bytes_out={} send kernel/userspace={}/{} recv kernel/userspace={}/{} \
             file bytes spliced/sendfile/sealed={}/{}/{} multishot_recv={} recv_provided={} \
             recv_no_buffers={} file_buffers={} file_reads fixed/plain/sync={}/{}/{} \
             cut_at_shutdown={} errors={:?}",
            self.worker,
            self.accepted,
            self.refused,
            self.handshakes,
            self.handshake_failures,
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
            self.multishot_recv,
            self.recv_provided,
            self.recv_no_buffers,
            self.file_buffers,
            self.file_reads_fixed,
            self.file_reads_plain,
            self.file_reads_sync,
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
        let mut workers = Vec::with_capacity(n);
        for (i, listener) in listeners.into_iter().enumerate() {
            let (tx, rx) = crossbeam_channel::unbounded();
            let core = (!cores.is_empty()).then(|| cores[i % cores.len()]);
            let (cfg, tls, service) = (cfg.clone(), tls.clone(), Arc::clone(&service));
            let handle = std::thread::Builder::new()
                .name(format!("baton-worker-{i}"))
                .spawn(move || {
                    if let Some(core) = core {
                        core_affinity::set_for_current(core);
                    }
                    match Worker::new(i, core.map(|c| c.id), listener, cfg, tls, service, rx) {
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
        let mut out = Vec::new();
        for (_, tx) in &self.workers {
            let (stx, srx) = crossbeam_channel::bounded(1);
            if tx.send(Ctl::Stats(stx)).is_ok() {
                if let Ok(s) = srx.recv_timeout(Duration::from_secs(5)) {
                    out.push(s);
                }
            }
        }
        out
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

/// A listening TCP socket with `SO_REUSEPORT`, so every worker has its own and
/// the kernel spreads connections across them.
fn reuseport_listener(addr: SocketAddr) -> io::Result<TcpListener> {
    let domain = match addr {
        SocketAddr::V4(_) => libc::AF_INET,
        SocketAddr::V6(_) => libc::AF_INET6,
    };
    // SAFETY: plain syscall; the result is checked before use.
    let fd = unsafe { libc::socket(domain, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a fresh socket that nothing else owns.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    let one: libc::c_int = 1;
    for opt in [libc::SO_REUSEADDR, libc::SO_REUSEPORT] {
        // SAFETY: `one` is a live c_int and its size is passed.
        let r = unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                opt,
                (&one as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    let (storage, len) = sockaddr(addr);
    // SAFETY: `storage` holds a valid sockaddr of `len` bytes for the socket's family.
    if unsafe { libc::bind(fd, (&storage as *const libc::sockaddr_storage).cast(), len) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: plain syscall on our socket.
    if unsafe { libc::listen(fd, 1024) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(TcpListener::from(owned))
}

fn sockaddr(addr: SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: all-zero is a valid sockaddr_storage.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(a.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in.
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin) };
            std::mem::size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in6.
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin6) };
            std::mem::size_of::<libc::sockaddr_in6>()
        }
    };
    (storage, len as libc::socklen_t)
}

/// What an io_uring operation is: the low 4 bits of its user data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Accept = 1,
    Tick = 2,
    Recv = 3,
    Send = 4,
    Cancel = 5,
    Poll = 6,
    /// SPLICE file -> pipe, then pipe -> socket (one of them in flight at a time).
    Splice = 7,
    /// READ / READ_FIXED of a file body chunk (userspace send).
    Read = 8,
}

impl Op {
    const ALL: [Op; 8] = [
        Op::Accept,
        Op::Tick,
        Op::Recv,
        Op::Send,
        Op::Cancel,
        Op::Poll,
        Op::Splice,
        Op::Read,
    ];

    /// True if the operation belongs to a connection slot (else to the worker).
    fn per_conn(self) -> bool {
        !matches!(self, Op::Accept | Op::Tick | Op::Cancel)
    }
}

/// An operation's user data: which operation, on which connection slot, in
/// which of that slot's lives. Slots are reused; the generation makes a
/// completion that outlived its connection (a stale one) recognisable, so it
/// can never act on the connection that took the slot next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct UserData {
    op: Op,
    slot: u32,
    gen: u32,
}

const OP_BITS: u32 = 4;
const SLOT_BITS: u32 = 32;
/// Generations wrap at 2^28: a completion would have to outlive 2^28 reuses
/// of its slot to be mistaken for a current one.
const GEN_BITS: u32 = 64 - OP_BITS - SLOT_BITS;
const GEN_MASK: u32 = (1 << GEN_BITS) - 1;

impl UserData {
    /// A worker-level operation (accept, tick, cancel): no slot.
    fn worker(op: Op) -> u64 {
        UserData {
            op,
            slot: 0,
            gen: 0,
        }
        .encode()
    }

    fn encode(self) -> u64 {
        (self.op as u64)
            | ((self.slot as u64) << OP_BITS)
            | (((self.gen & GEN_MASK) as u64) << (OP_BITS + SLOT_BITS))
    }

    /// `None` for a value this worker never submitted.
    fn decode(ud: u64) -> Option<UserData> {
        let code = ud & ((1 << OP_BITS) - 1);
        let op = *Op::ALL.iter().find(|op| **op as u64 == code)?;
        Some(UserData {
            op,
            slot: (ud >> OP_BITS) as u32,
            gen: (ud >> (OP_BITS + SLOT_BITS)) as u32,
        })
    }
}

/// The generation after `gen`: a slot's next life.
fn next_gen(gen: u32) -> u32 {
    gen.wrapping_add(1) & GEN_MASK
}

/// Where a completion goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    /// The worker's own: accept, tick, cancel.
    Worker(Op),
    /// The connection now in the slot: it submitted the operation.
    Conn(UserData),
    /// The slot is empty or lives a later life: only what the operation
    /// owned (a provided or pool buffer) is released; nothing else happens.
    Stale(UserData),
    /// Not a value this worker submits.
    Unknown,
}

/// The stale-completion rule: a per-connection completion reaches the
/// connection only if the slot's current generation (`None`: the slot is
/// empty) is the one the operation was submitted under.
fn route(ud: u64, current_gen: impl Fn(u32) -> Option<u32>) -> Route {
    let Some(d) = UserData::decode(ud) else {
        return Route::Unknown;
    };
    if !d.op.per_conn() {
        return Route::Worker(d.op);
    }
    match current_gen(d.slot) {
        Some(gen) if gen == d.gen => Route::Conn(d),
        _ => Route::Stale(d),
    }
}

/// The per-connection pipe file bodies are spliced through (F_SETPIPE_SZ; the
/// kernel may allow less: /proc/sys/fs/pipe-max-size, 1 MiB by default).
const PIPE_SIZE: usize = 1 << 20;
/// io-wq workers per worker ring, bounded (file reads) and unbounded (sockets):
/// SPLICE runs there, and a handful per core is plenty.
const IOWQ_MAX_WORKERS: [u32; 2] = [4, 4];

/// File body chunk read and sealed per turn without kernel TLS send.
const FILE_CHUNK: usize = 64 * 1024;
/// Room in front of each registered file buffer's chunk for the response
/// head sealed with it (a longer head makes that read a plain one).
const HEAD_ROOM: usize = 4096;
/// A registered file buffer: the head room, then one chunk.
const FILE_BUF: usize = HEAD_ROOM + FILE_CHUNK;
/// Most file bytes one kernel sendfile turn pushes before others get a go.
const SENDFILE_TURN: usize = 4 << 20;

/// How often a worker wakes up by itself: control messages and deadlines.
const TICK: Duration = Duration::from_millis(100);
/// The provided buffers' group id in the worker's ring.
const BUF_GROUP: u16 = 0;
/// A connection with more than this queued to send is not read further until
/// it is out (back-pressure against peers that send without reading).
const RECV_PAUSE: usize = 1 << 20;
/// Most plaintext one TLS record carries.
const MAX_RECORD: usize = 16 * 1024;
/// Receive buffer per connection: a whole record's plaintext or ciphertext.
const RECV_BUF: usize = 16 * 1024 + 512;

#[derive(Debug, PartialEq, Eq)]
enum Phase {
    Handshake,
    Data,
}

struct Conn<H> {
    /// Its slot in the worker and the slot's generation: its operations'
    /// user data (see [`UserData`]).
    slot: u32,
    gen: u32,
    fd: OwnedFd,
    peer: SocketAddr,
    tls: Connection,
    handler: Option<H>,
    phase: Phase,
    kernel_send: bool,
    kernel_recv: bool,
    /// Owned by the receive in flight while `recv_inflight`.
    rbuf: Box<[u8]>,
    recv_inflight: bool,
    /// Owned by the send in flight while `send_inflight`: never grown then.
    wbuf: Vec<u8>,
    woff: usize,
    send_inflight: bool,
    /// Bytes produced while a send is in flight; they go next.
    wnext: Vec<u8>,
    deadline: Instant,
    /// The handshake is done; the hand-off to the kernel waits for its last
    /// flight to be sent.
    ktls_pending: bool,
    /// File body being sent after `wbuf`/`wnext`.
    body: Option<FileBody>,
    /// Plaintext of a response head (`hold[..hold_len]`), held to be sealed
    /// with the body's start; the rest is the chunk buffer, kept initialised
    /// between chunks so each `pread` doesn't zero 64 KiB first.
    hold: Vec<u8>,
    hold_len: usize,
    /// Waiting for the socket to become writable (kernel sendfile hit EAGAIN).
    poll_inflight: bool,
    /// No more input wanted: close once the output is out.
    closing: bool,
    /// Close now (no close_notify): a timeout or a broken transport.
    abort: bool,
    /// File bodies through kernel TLS: the pipe (read end, write end, size),
    /// made at the first body and closed with the connection.
    pipe: Option<(OwnedFd, OwnedFd, usize)>,
    /// Bytes spliced into the pipe and not yet out to the socket.
    pipe_fill: usize,
    /// The piece in the pipe must end its record (small records).
    piece_small: bool,
    /// A SPLICE is in flight (into the pipe while `pipe_fill` is 0, else out).
    splice_inflight: bool,
    /// Plaintext written with MSG_MORE that the kernel holds in an open record.
    open_record: usize,
    /// The send in flight has MSG_MORE.
    send_more: bool,
    /// The receive in flight is multishot (into the worker's provided buffers).
    recv_multi: bool,
    /// A cancel of the multishot receive is out (back-pressure).
    recv_cancel: bool,
    /// The next receive is single-shot into `rbuf` (the ring ran dry).
    recv_single_next: bool,
    /// A file chunk read is in flight into `read`'s buffer.
    read_inflight: bool,
    /// The buffer the file chunk read (in flight, or just completed) fills.
    read: Option<FileRead>,
}

impl<H> Conn<H> {
    /// The user data of this connection's operation `op`.
    fn ud(&self, op: Op) -> u64 {
        UserData {
            op,
            slot: self.slot,
            gen: self.gen,
        }
        .encode()
    }
}

/// One file chunk read: where it goes, and the response head in front of it
/// (`head` bytes, sealed together with the chunk).
struct FileRead {
    buf: ReadBuf,
    head: usize,
    want: usize,
}

enum ReadBuf {
    /// Buffer `bid` of the worker's registered pool (`READ_FIXED`).
    Fixed(u16),
    /// The connection's `hold`, moved here while the read owns it: nothing
    /// can grow (and move) it under the kernel.
    Plain(Vec<u8>),
}

struct Worker<S: Service> {
    ring: IoUring,
    listener: Option<TcpListener>,
    conns: Vec<Option<Box<Conn<S::Handler>>>>,
    /// Each slot's generation: bumped when its connection is released, so
    /// that completions of that connection arriving later are stale.
    gens: Vec<u32>,
    free: Vec<usize>,
    live: usize,
    tls: Config,
    service: Arc<S>,
    cfg: RuntimeConfig,
    stats: WorkerStats,
    ctl: Receiver<Ctl>,
    tick: Box<types::Timespec>,
    multishot: bool,
    accept_armed: bool,
    draining: Option<Instant>,
    /// io_uring SPLICE for kernel file bodies (probed, and `cfg.splice`).
    splice: bool,
    /// Provided buffers for multishot receives (None: single-shot receives).
    /// After `ring` so that it is freed after the ring that the kernel
    /// writes it through is gone.
    bufs: Option<BufRing>,
    /// New receives after the handshake are multishot (`bufs` is there and
    /// the kernel did not refuse one).
    recv_multi_on: bool,
    /// Registered buffers for file reads (None: plain `READ`s). After
    /// `ring`, so that it is unmapped after the ring that pins it is gone.
    files: Option<FilePool>,
    /// The kernel has `IORING_OP_READ` (5.6+); else synchronous `pread`.
    read_op: bool,
}

/// True if the ring's kernel has the operation `code` (SPLICE: 5.7+, READ: 5.6+).
fn probe_op(ring: &IoUring, code: u8) -> bool {
    let mut probe = io_uring::Probe::new();
    ring.submitter().register_probe(&mut probe).is_ok() && probe.is_supported(code)
}

/// SPLICE runs on the ring's io-wq threads: keep them on the worker's core
/// (thread-per-core holds for the async work too) and few. Both are optional
/// (5.14/5.15+): without them io-wq inherits the worker's affinity anyway.
/// True if both were registered (the affinity only when pinned).
fn tune_iowq(ring: &IoUring, core: Option<usize>) -> bool {
    let mut ok = true;
    if let Some(core) = core.filter(|&c| c < libc::CPU_SETSIZE as usize) {
        // SAFETY: all-zero is a valid (empty) cpu_set_t, and `core` is below
        // CPU_SETSIZE, so CPU_SET writes inside it.
        let set = unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(core, &mut set);
            set
        };
        ok &= ring.submitter().register_iowq_aff(&set).is_ok();
    }
    let mut max = IOWQ_MAX_WORKERS;
    ok & ring.submitter().register_iowq_max_workers(&mut max).is_ok()
}

fn new_ring() -> io::Result<IoUring> {
    // A thread-per-core worker is the ring's only user: completions run when it
    // asks for them (DEFER_TASKRUN, 6.1+). Older kernels get a plain ring.
    IoUring::builder()
        .setup_single_issuer()
        .setup_defer_taskrun()
        .setup_cqsize(4096)
        .build(1024)
        .or_else(|_| IoUring::builder().setup_cqsize(4096).build(1024))
}

impl<S: Service> Worker<S> {
    #[allow(clippy::too_many_arguments)]
    fn new(
        index: usize,
        core: Option<usize>,
        listener: TcpListener,
        cfg: RuntimeConfig,
        tls: Config,
        service: Arc<S>,
        ctl: Receiver<Ctl>,
    ) -> io::Result<Self> {
        let ring = new_ring()?;
        let splice = cfg.splice && probe_op(&ring, opcode::Splice::CODE);
        let read_op = probe_op(&ring, opcode::Read::CODE);
        let files = if cfg.file_buffers > 0 && read_op {
            FilePool::new(&ring, cfg.file_buffers).ok()
        } else {
            None
        };
        let iowq_tuned = splice && tune_iowq(&ring, core);
        let bufs = if cfg.multishot_recv {
            BufRing::new(&ring, cfg.recv_buffers).ok()
        } else {
            None
        };
        Ok(Self {
            ring,
            listener: Some(listener),
            conns: Vec::new(),
            gens: Vec::new(),
            free: Vec::new(),
            live: 0,
            tls,
            service,
            cfg,
            stats: WorkerStats {
                worker: index,
                multishot_accept: true,
                splice,
                iowq_tuned,
                multishot_recv: bufs.is_some(),
                file_buffers: files.as_ref().map_or(0, |f| f.len() as u64),
                ..Default::default()
            },
            ctl,
            tick: Box::new(types::Timespec::from(TICK)),
            multishot: true,
            accept_armed: false,
            draining: None,
            splice,
            recv_multi_on: bufs.is_some(),
            bufs,
            files,
            read_op,
        })
    }

    /// Queues `sqe`; if the submission queue is full, submits what is there first.
    fn push(&mut self, sqe: squeue::Entry) {
        loop {
            // SAFETY: every entry built by this worker points only at memory owned
            // by a boxed connection (or the boxed tick timespec, or a buffer of the
            // worker's rings/pools) that stays alive until its completion has been
            // reaped: `release` runs only when none of the connection's
            // `*_inflight` flags is set, and a pool buffer goes back to the pool
            // only at its read's completion.
            if unsafe { self.ring.submission().push(&sqe) }.is_ok() {
                return;
            }
            if self.ring.submit().is_err() {
                std::thread::yield_now();
            }
        }
    }

    fn arm_accept(&mut self) {
        let Some(l) = &self.listener else { return };
        let fd = types::Fd(l.as_raw_fd());
        let flags = libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
        let sqe = if self.multishot {
            opcode::AcceptMulti::new(fd).flags(flags).build()
        } else {
            opcode::Accept::new(fd, std::ptr::null_mut(), std::ptr::null_mut())
                .flags(flags)
                .build()
        };
        self.push(sqe.user_data(UserData::worker(Op::Accept)));
        self.accept_armed = true;
    }

    fn arm_tick(&mut self) {
        let ts: *const types::Timespec = &*self.tick;
        self.push(
            opcode::Timeout::new(ts)
                .build()
                .user_data(UserData::worker(Op::Tick)),
        );
    }

    fn run(&mut self) {
        self.serve();
        self.drain();
    }

    /// After the loop: connections still busy (the grace period ran out) are cut
    /// (`shutdown(2)` makes their operations complete) and their completions
    /// reaped, so their buffers can be freed. If the kernel still holds some
    /// after a second, those connections are leaked rather than freed under it.
    fn drain(&mut self) {
        let busy = |c: &Conn<S::Handler>| {
            c.recv_inflight
                || c.send_inflight
                || c.poll_inflight
                || c.splice_inflight
                || c.read_inflight
        };
        self.stats.cut_at_shutdown += self.live as u64;
        for c in self.conns.iter_mut().flatten() {
            if busy(c) {
                // SAFETY: plain syscall on a socket this connection owns.
                unsafe { libc::shutdown(c.fd.as_raw_fd(), libc::SHUT_RDWR) };
                c.abort = true;
            }
        }
        let deadline = Instant::now() + Duration::from_secs(1);
        while self.conns.iter().flatten().any(|c| busy(c)) && Instant::now() < deadline {
            for idx in 0..self.conns.len() {
                self.advance(idx);
            }
            self.arm_tick();
            if self.ring.submit_and_wait(1).is_err() {
                break;
            }
            let cqes: Vec<cqueue::Entry> = self.ring.completion().collect();
            for cqe in cqes {
                self.complete(cqe);
            }
        }
        if self.conns.iter().flatten().any(|c| busy(c)) {
            std::mem::forget(std::mem::take(&mut self.conns));
            // A multishot receive or a file read the kernel still holds may
            // still write these.
            std::mem::forget(self.bufs.take());
            std::mem::forget(self.files.take());
        }
    }

    fn serve(&mut self) {
        self.arm_accept();
        self.arm_tick();
        loop {
            // One io_uring_enter: everything queued this turn goes in, and we wait
            // for at least one completion (the tick guarantees one per TICK).
            if let Err(e) = self.ring.submit_and_wait(1) {
                if e.raw_os_error() != Some(libc::EINTR) && e.raw_os_error() != Some(libc::EBUSY) {
                    self.stats.error(&format!("io_uring_enter: {e}"));
                    return;
                }
            }
            let cqes: Vec<cqueue::Entry> = self.ring.completion().collect();
            for cqe in cqes {
                self.complete(cqe);
            }
            if self.finished() {
                return;
            }
        }
    }

    fn finished(&self) -> bool {
        match self.draining {
            Some(deadline) => (self.live == 0 && !self.accept_armed) || Instant::now() >= deadline,
            None => false,
        }
    }

    fn complete(&mut self, cqe: cqueue::Entry) {
        let res = cqe.result();
        // A provided buffer this completion carries goes back to the ring
        // once its bytes are consumed (below), or at once if stale.
        let bid = cqueue::buffer_select(cqe.flags());
        let gens = &self.gens;
        let conns = &self.conns;
        let current = |slot: u32| {
            let i = slot as usize;
            conns.get(i)?.as_ref()?;
            gens.get(i).copied()
        };
        let ud = cqe.user_data();
        let d = match route(ud, current) {
            Route::Worker(Op::Accept) => return self.on_accept(res, cqe.flags()),
            Route::Worker(Op::Tick) => return self.on_tick(),
            Route::Worker(_) | Route::Unknown => return,
            Route::Stale(d) => {
                self.release_owned(d, ud, bid);
                return;
            }
            Route::Conn(d) => d,
        };
        let idx = d.slot as usize;
        let Some(Some(conn)) = self.conns.get_mut(idx) else {
            return;
        };
        match d.op {
            // A multishot receive stays in flight while the kernel says MORE.
            Op::Recv if conn.recv_multi && cqueue::more(cqe.flags()) => {}
            Op::Recv => {
                conn.recv_inflight = false;
                conn.recv_cancel = false;
            }
            Op::Poll => conn.poll_inflight = false,
            Op::Splice => conn.splice_inflight = false,
            Op::Read => conn.read_inflight = false,
            _ => conn.send_inflight = false,
        }
        match d.op {
            Op::Recv => {
                self.on_recv(idx, res, bid);
                if let (Some(bid), Some(ring)) = (bid, self.bufs.as_mut()) {
                    ring.give_back(bid);
                }
                if let Some(Some(c)) = self.conns.get_mut(idx) {
                    if !c.recv_inflight {
                        c.recv_multi = false;
                    }
                }
            }
            Op::Send => self.on_send(idx, res),
            Op::Splice => self.on_splice(idx, res),
            Op::Read => self.on_read(idx, res),
            _ => {}
        }
        self.advance(idx);
    }

    /// A stale completion: its connection is gone. What the operation owned
    /// goes back (a provided receive buffer, a pool buffer a read filled);
    /// nothing else is touched.
    fn release_owned(&mut self, d: UserData, ud: u64, bid: Option<u16>) {
        match d.op {
            Op::Recv => {
                if let (Some(bid), Some(ring)) = (bid, self.bufs.as_mut()) {
                    ring.give_back(bid);
                }
            }
            Op::Read => {
                if let Some(pool) = self.files.as_mut() {
                    pool.give_back_lent_to(ud);
                }
            }
            _ => {}
        }
    }

    fn on_accept(&mut self, res: i32, flags: u32) {
        if !self.multishot || !cqueue::more(flags) {
            self.accept_armed = false;
        }
        if res == -libc::EINVAL && self.multishot {
            // Multishot accept needs 5.19: fall back to one accept at a time.
            self.multishot = false;
            self.stats.multishot_accept = false;
        } else if res >= 0 {
            // SAFETY: a successful accept CQE carries a new fd that we now own.
            let fd = unsafe { OwnedFd::from_raw_fd(res) };
            self.new_conn(fd);
        } else if res != -libc::ECANCELED {
            self.stats
                .error(&format!("accept: {}", io::Error::from_raw_os_error(-res)));
        }
        if !self.accept_armed && self.draining.is_none() {
            self.arm_accept();
        }
        if self.draining.is_some() && !self.accept_armed {
            self.listener = None;
        }
    }

    fn new_conn(&mut self, fd: OwnedFd) {
        self.stats.accepted += 1;
        if self.live >= self.cfg.max_connections_per_worker {
            self.stats.refused += 1;
            return; // dropping `fd` closes it
        }
        let peer = peer_addr(fd.as_raw_fd()).unwrap_or(SocketAddr::from(([0, 0, 0, 0], 0)));
        // Small echoes and handshake flights should not wait for Nagle.
        set_nodelay(fd.as_raw_fd());
        let mut tls = Connection::new_server(&self.tls);
        tls.set_dynamic_record_threshold(16 * 1024, Duration::from_secs(1));
        let idx = match self.free.pop() {
            Some(i) => i,
            None => {
                self.conns.push(None);
                self.gens.push(0);
                self.conns.len() - 1
            }
        };
        let Ok(slot) = u32::try_from(idx) else {
            // Past 2^32 slots (the per-worker cap is far below): refused.
            self.free.push(idx);
            self.stats.refused += 1;
            return;
        };
        let conn = Box::new(Conn {
            slot,
            gen: self.gens[idx],
            fd,
            peer,
            tls,
            handler: None,
            phase: Phase::Handshake,
            kernel_send: false,
            kernel_recv: false,
            rbuf: vec![0u8; RECV_BUF].into_boxed_slice(),
            recv_inflight: false,
            wbuf: Vec::new(),
            woff: 0,
            send_inflight: false,
            wnext: Vec::new(),
            deadline: Instant::now() + self.cfg.handshake_timeout,
            ktls_pending: false,
            body: None,
            hold: Vec::new(),
            hold_len: 0,
            poll_inflight: false,
            closing: false,
            abort: false,
            pipe: None,
            pipe_fill: 0,
            piece_small: false,
            splice_inflight: false,
            open_record: 0,
            send_more: false,
            recv_multi: false,
            recv_cancel: false,
            recv_single_next: false,
            read_inflight: false,
            read: None,
        });
        self.conns[idx] = Some(conn);
        self.live += 1;
        self.advance(idx);
    }

    fn on_tick(&mut self) {
        while let Ok(msg) = self.ctl.try_recv() {
            match msg {
                Ctl::Shutdown => self.begin_shutdown(),
                Ctl::Stats(tx) => {
                    let _ = tx.send(self.stats.clone());
                }
            }
        }
        let now = Instant::now();
        for idx in 0..self.conns.len() {
            let Some(Some(c)) = self.conns.get_mut(idx) else {
                continue;
            };
            if now >= c.deadline && !c.abort {
                self.stats.timeouts += 1;
                if c.phase == Phase::Handshake {
                    self.stats.handshake_failures += 1;
                }
                c.abort = true;
                self.advance(idx);
            }
        }
        if !self.finished() {
            self.arm_tick();
        }
    }

    fn begin_shutdown(&mut self) {
        if self.draining.is_some() {
            return;
        }
        self.draining = Some(Instant::now() + self.cfg.shutdown_grace);
        if self.accept_armed {
            self.push(
                opcode::AsyncCancel::new(UserData::worker(Op::Accept))
                    .build()
                    .user_data(UserData::worker(Op::Cancel)),
            );
        } else {
            self.listener = None;
        }
        // Idle connections close now (with close_notify); busy ones after their output.
        for idx in 0..self.conns.len() {
            if let Some(Some(c)) = self.conns.get_mut(idx) {
                if c.phase == Phase::Handshake {
                    c.abort = true;
                } else {
                    c.closing = true;
                }
                self.advance(idx);
            }
        }
    }

    /// A receive completed: `res` bytes in `rbuf`, or in provided buffer `bid`.
    fn on_recv(&mut self, idx: usize, res: i32, bid: Option<u16>) {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return;
        };
        if c.abort {
            return;
        }
        if res == -libc::ENOBUFS {
            // Every provided buffer is taken: this connection's next receive
            // goes into its own buffer, then multishot again.
            self.stats.recv_no_buffers += 1;
            c.recv_single_next = true;
            return;
        }
        if res == -libc::EINVAL && c.recv_multi {
            // No multishot receive on this kernel (before 6.0): single-shot from
            // now on. The ring stays: receives still in flight may carry buffers.
            self.stats.multishot_recv = false;
            self.recv_multi_on = false;
            return;
        }
        if res == 0 {
            // The peer closed the transport (without close_notify, or after it).
            c.abort = true;
            return;
        }
        if res < 0 {
            match -res {
                libc::EINTR | libc::EAGAIN | libc::ECANCELED => {}
                // kTLS: the next record is not application data (an alert, a
                // KeyUpdate, a ticket): read it the ordinary way.
                libc::EIO if c.kernel_recv => self.control_record(idx),
                e => {
                    self.stats
                        .error(&format!("recv: {}", io::Error::from_raw_os_error(e)));
                    c.abort = true;
                }
            }
            return;
        }
        let n = res as usize;
        if let Some(bid) = bid {
            self.stats.recv_provided += 1;
            // Taken out of the worker while the handler reads it: the heap
            // memory stays where it is, and this buffer is not in the ring.
            let Some(ring) = self.bufs.take() else {
                return;
            };
            self.recv_data(idx, ring.slice(bid, n));
            self.bufs = Some(ring);
            return;
        }
        if c.phase == Phase::Handshake {
            let fed = {
                let Conn { tls, rbuf, .. } = &mut **c;
                tls.feed_tls(&rbuf[..n]).and_then(|()| tls.poll_handshake())
            };
            match fed {
                Ok(done) => {
                    take_pending(c);
                    if done {
                        self.handshake_done(idx);
                    }
                }
                Err(e) => {
                    // The alert is in pending_tls: send it, then close.
                    self.stats.handshake_failures += 1;
                    self.stats.error(&format!("handshake: {:?}", e.kind()));
                    take_pending(c);
                    c.closing = true;
                }
            }
            return;
        }
        // The buffer is lent (no receive into it is in flight), not copied.
        let buf = std::mem::take(&mut c.rbuf);
        self.recv_data(idx, &buf[..n]);
        if let Some(Some(c)) = self.conns.get_mut(idx) {
            c.rbuf = buf;
        }
    }

    /// Bytes received after the handshake: plaintext (kernel receive) to the
    /// handler, or records to open first.
    fn recv_data(&mut self, idx: usize, data: &[u8]) {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return;
        };
        c.deadline = Instant::now() + self.cfg.idle_timeout;
        if c.kernel_recv {
            self.handle_input(idx, data);
            return;
        }
        let r = c.tls.feed_tls(data);
        if let Err(e) = r {
            self.stats.error(&format!("records: {:?}", e.kind()));
            take_pending(c);
            c.closing = true;
            return;
        }
        let mut plain = vec![0u8; c.tls.peek()];
        let k = c.tls.take_plaintext(&mut plain);
        plain.truncate(k);
        let peer_closed = c.tls.peer_closed();
        // KeyUpdate answers the engine queued.
        take_pending(c);
        if !plain.is_empty() {
            self.handle_input(idx, &plain);
        }
        if peer_closed {
            if let Some(Some(c)) = self.conns.get_mut(idx) {
                c.closing = true;
            }
        }
    }

    /// kTLS receive hit a control record: `Connection::recv` reads it with
    /// recvmsg and its record type, and returns any application data after it.
    fn control_record(&mut self, idx: usize) {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return;
        };
        let mut buf = vec![0u8; RECV_BUF];
        let mut plain = Vec::new();
        loop {
            match c.tls.recv(&mut buf) {
                Ok(0) => {
                    c.closing = true;
                    break;
                }
                Ok(n) => plain.extend_from_slice(&buf[..n]),
                Err(e) if e.is_blocked() => break,
                Err(e) => {
                    self.stats.error(&format!("kernel records: {:?}", e.kind()));
                    c.abort = true;
                    break;
                }
            }
        }
        // A KeyUpdate answer goes out through the kernel right away.
        let _ = c.tls.flush();
        if !plain.is_empty() {
            self.handle_input(idx, &plain);
        }
    }

    fn handshake_done(&mut self, idx: usize) {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return;
        };
        self.stats.handshakes += 1;
        c.phase = Phase::Data;
        c.deadline = Instant::now() + self.cfg.idle_timeout;
        // The hand-off waits until the last flight is out (`advance`), and no
        // receive is armed meanwhile: the kernel must start reading at the next record.
        c.ktls_pending = true;
    }

    /// After the handshake, with its last flight sent: the kernel takes what it
    /// can and the service gets the connection.
    fn enter_data(&mut self, idx: usize) {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return;
        };
        c.ktls_pending = false;
        c.wbuf.clear();
        c.woff = 0;
        let status = match c.tls.set_fd(c.fd.as_raw_fd()) {
            Ok(()) => crate::enable(&mut c.tls, self.cfg.ktls, &self.cfg.ktls_options),
            Err(e) => Err(e),
        };
        let status = match status {
            Ok(s) => s,
            Err(e) => {
                self.stats.error(&format!("ktls: {:?}", e.kind()));
                c.abort = true;
                return;
            }
        };
        c.kernel_send = status.send.is_kernel();
        c.kernel_recv = status.recv.is_kernel();
        if let (true, Some(records)) = (c.kernel_send, self.cfg.kernel_send_key_limit_for_test) {
            c.tls.set_kernel_send_key_limit_for_test(records);
        }
        if c.kernel_send {
            self.stats.kernel_send += 1;
        } else {
            self.stats.userspace_send += 1;
        }
        if c.kernel_recv {
            self.stats.kernel_recv += 1;
        } else {
            self.stats.userspace_recv += 1;
        }
        c.handler = Some(self.service.connect(c.peer, &c.tls));
    }

    fn handle_input(&mut self, idx: usize, data: &[u8]) {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return;
        };
        self.stats.bytes_in += data.len() as u64;
        let Some(h) = c.handler.as_mut() else {
            return;
        };
        let mut out = Output::default();
        let flow = h.on_data(data, &mut out);
        self.queue_output(idx, out, flow);
    }

    fn queue_output(&mut self, idx: usize, out: Output, flow: Flow) {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return;
        };
        if out.file.is_some() && c.body.is_some() {
            // One body at a time (the handler hears on_drained): replacing it
            // would close the file a READ or SPLICE in flight reads.
            self.stats
                .error("a file body queued before the last one was out");
            c.abort = true;
            return;
        }
        self.stats.bytes_out += out.bytes.len() as u64;
        if let Some(body) = &out.file {
            self.stats.bytes_out += body.left;
        }
        if out.file.is_some() && !c.kernel_send {
            // Sealed together with the body's first chunk: fewer, fuller records.
            let end = c.hold_len + out.bytes.len();
            if c.hold.len() < end {
                c.hold.resize(end, 0);
            }
            c.hold[c.hold_len..end].copy_from_slice(&out.bytes);
            c.hold_len = end;
        } else if c.kernel_send && c.wnext.is_empty() {
            // Plaintext for the kernel: the handler's buffer becomes the send queue.
            c.wnext = out.bytes;
        } else if let Err(e) = queue_plaintext(c, &out.bytes) {
            self.stats.error(&format!("send: {:?}", e.kind()));
            c.abort = true;
            return;
        }
        if out.file.is_some() {
            c.body = out.file;
        }
        if flow == Flow::Close {
            c.closing = true;
        }
    }

    /// Moves the file body on: kernel sendfile where the kernel seals (until
    /// EAGAIN, then a poll for writability), else one chunk read (by io_uring)
    /// to be sealed when it completes.
    /// Returns true if it queued output or finished the body.
    fn pump_body(&mut self, idx: usize) -> bool {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return false;
        };
        let Some(body) = c.body.as_mut() else {
            return false;
        };
        if c.kernel_send && self.splice && c.pipe.is_none() {
            match new_pipe() {
                Ok(p) => c.pipe = Some(p),
                Err(e) => {
                    // No pipe (fd limit): this connection uses sendfile.
                    self.stats.error(&format!("pipe: {e}"));
                }
            }
        }
        if c.kernel_send && c.pipe.is_some() {
            return self.splice_body(idx);
        }
        if c.kernel_send {
            let mut pushed = 0;
            while body.left > 0 && pushed < SENDFILE_TURN {
                let mut want = body.left.min((SENDFILE_TURN - pushed) as u64) as usize;
                if c.open_record > 0 {
                    // A head sent with MSG_MORE opened the record: in the small
                    // phase, the first piece only fills it up.
                    if let Ok(b) = c.tls.kernel_write_budget() {
                        if b.small {
                            want = want.min(b.max.saturating_sub(c.open_record).max(1));
                        }
                    }
                }
                match c
                    .tls
                    .sendfile(std::os::fd::AsFd::as_fd(&body.file), body.offset, want)
                {
                    Ok(0) => {
                        // The file shrank under us: the response can't be completed.
                        self.stats.error("file shorter than announced");
                        c.abort = true;
                        return true;
                    }
                    Ok(n) => {
                        body.offset += n as u64;
                        body.left -= n as u64;
                        pushed += n;
                        self.stats.file_bytes_sendfile += n as u64;
                        // sendfile's last piece goes without MORE: the record is closed.
                        c.open_record = 0;
                    }
                    Err(e) if e.is_blocked() => {
                        let sqe = poll_writable(c);
                        self.push(sqe);
                        return true;
                    }
                    Err(e) => {
                        self.stats.error(&format!("sendfile: {:?}", e.kind()));
                        c.abort = true;
                        return true;
                    }
                }
            }
            if body.left > 0 {
                // Fairness: the rest on a later turn, after a writability poll.
                let sqe = poll_writable(c);
                self.push(sqe);
                return true;
            }
        } else {
            return self.read_chunk(idx);
        }
        self.body_done(idx);
        true
    }

    /// Userspace send: reads the body's next chunk (up to 64 KiB) behind the
    /// held response head, into a registered pool buffer (`READ_FIXED`) or,
    /// without one free, into the connection's own buffer (`READ`); without
    /// `IORING_OP_READ` synchronously. Sealed in [`on_read`](Self::on_read).
    /// Returns true (it queued a read or finished the body).
    fn read_chunk(&mut self, idx: usize) -> bool {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return false;
        };
        let Some(body) = c.body.as_ref() else {
            return false;
        };
        let head = c.hold_len;
        if body.left == 0 {
            // An empty body: the head goes alone.
            let held = std::mem::take(&mut c.hold_len);
            let hold = std::mem::take(&mut c.hold);
            let sent = queue_plaintext(c, &hold[..held]);
            c.hold = hold;
            if let Err(e) = sent {
                self.stats.error(&format!("send: {:?}", e.kind()));
                c.abort = true;
                return true;
            }
            self.body_done(idx);
            return true;
        }
        let Ok(offset) = i64::try_from(body.offset) else {
            self.stats.error("file offset out of range");
            c.abort = true;
            return true;
        };
        let fd = types::Fd(body.file.as_raw_fd());
        let ud = c.ud(Op::Read);
        // A pool buffer holds the head and the chunk after it, so that they
        // are sealed together from one slice (the head is copied, the chunk
        // is not).
        let pooled = match self.files.as_mut() {
            Some(pool) if self.read_op && head <= HEAD_ROOM => pool.take(ud),
            _ => None,
        };
        if let (Some(bid), Some(pool)) = (pooled, self.files.as_mut()) {
            let want = body.left.min(FILE_CHUNK as u64) as usize;
            let buf = pool.buf_mut(bid);
            buf[..head].copy_from_slice(&c.hold[..head]);
            c.hold_len = 0;
            let ptr = buf[head..].as_mut_ptr();
            c.read = Some(FileRead {
                buf: ReadBuf::Fixed(bid),
                head,
                want,
            });
            c.read_inflight = true;
            self.stats.file_reads_fixed += 1;
            let sqe = opcode::ReadFixed::new(fd, ptr, want as u32, bid)
                .offset(offset as u64)
                .build();
            self.push(sqe.user_data(ud));
            return true;
        }
        let want = body.left.min(FILE_CHUNK as u64) as usize;
        let mut chunk = std::mem::take(&mut c.hold);
        c.hold_len = 0;
        if chunk.len() < head + want {
            // Initialised once and kept between chunks (no memset per read).
            chunk.resize(head + want, 0);
        }
        if !self.read_op {
            self.stats.file_reads_sync += 1;
            let res = match read_at(&body.file, &mut chunk[head..head + want], body.offset) {
                Ok(n) => n.min(want) as i32,
                Err(e) => -e.raw_os_error().unwrap_or(libc::EIO),
            };
            c.read = Some(FileRead {
                buf: ReadBuf::Plain(chunk),
                head,
                want,
            });
            self.on_read(idx, res);
            return true;
        }
        let ptr = chunk[head..].as_mut_ptr();
        c.read = Some(FileRead {
            buf: ReadBuf::Plain(chunk),
            head,
            want,
        });
        c.read_inflight = true;
        self.stats.file_reads_plain += 1;
        let sqe = opcode::Read::new(fd, ptr, want as u32)
            .offset(offset as u64)
            .build();
        self.push(sqe.user_data(ud));
        true
    }

    /// A file chunk read completed: the head and the bytes read are sealed
    /// and queued, the buffer goes back (to the pool, or to `hold`), and the
    /// next chunk is read once the send queue has drained (`advance`). A short
    /// read goes on from where it stopped; 0 bytes means the file shrank.
    fn on_read(&mut self, idx: usize, res: i32) {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return;
        };
        let Some(FileRead { buf, head, want }) = c.read.take() else {
            return;
        };
        let n = if res > 0 { (res as usize).min(want) } else { 0 };
        let failed = c.abort || res <= 0 || c.body.is_none();
        if failed {
            if !c.abort {
                match -res {
                    // Read again (the head is put back in front).
                    libc::EINTR | libc::EAGAIN => {}
                    0 => {
                        self.stats.error("file shorter than announced");
                        c.abort = true;
                    }
                    libc::ECANCELED => c.abort = true,
                    e => {
                        self.stats.error(&format!(
                            "reading a file: {}",
                            io::Error::from_raw_os_error(e)
                        ));
                        c.abort = true;
                    }
                }
            }
        } else if let Some(body) = c.body.as_mut() {
            body.offset += n as u64;
            body.left -= (n as u64).min(body.left);
            self.stats.file_bytes_sealed += n as u64;
        }
        let sealed = match &buf {
            ReadBuf::Fixed(bid) => {
                let Some(pool) = self.files.as_mut() else {
                    return;
                };
                let r = if failed {
                    unseal_head(c, &pool.buf_mut(*bid)[..head]);
                    Ok(())
                } else {
                    queue_plaintext(c, &pool.buf_mut(*bid)[..head + n])
                };
                // Its read has completed: the buffer is free again.
                pool.give(*bid);
                r
            }
            ReadBuf::Plain(chunk) => {
                if failed {
                    unseal_head(c, &chunk[..head]);
                    Ok(())
                } else {
                    queue_plaintext(c, &chunk[..head + n])
                }
            }
        };
        if let ReadBuf::Plain(chunk) = buf {
            // The chunk's buffer serves the next chunk (unless a head was
            // held meanwhile: then that buffer stays).
            if c.hold_len == 0 {
                c.hold = chunk;
            }
        }
        if let Err(e) = sealed {
            self.stats.error(&format!("send: {:?}", e.kind()));
            c.abort = true;
            return;
        }
        if !failed && c.body.as_ref().is_some_and(|b| b.left == 0) {
            self.body_done(idx);
        }
    }

    /// The body is out (or handed to the send queue): the handler goes on.
    fn body_done(&mut self, idx: usize) {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return;
        };
        c.body = None;
        let Some(h) = c.handler.as_mut() else {
            return;
        };
        let mut out = Output::default();
        let flow = h.on_drained(&mut out);
        self.queue_output(idx, out, flow);
    }

    /// The next step of a file body through kernel TLS by io_uring SPLICE: an
    /// empty pipe is filled from the file (as much as the key's usage limit
    /// and record sizing allow), a full one is spliced to the socket
    /// (`SPLICE_F_MORE` except on the body's last piece and on small records,
    /// so the kernel fills whole records), a short splice goes again with the
    /// rest. Returns true if it queued something or finished the body.
    fn splice_body(&mut self, idx: usize) -> bool {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return false;
        };
        let (Some(body), Some((pipe_r, pipe_w, pipe_size))) = (c.body.as_ref(), c.pipe.as_ref())
        else {
            return false;
        };
        let ud = c.ud(Op::Splice);
        if c.pipe_fill > 0 {
            let last = body.left == 0;
            let flags = if last || c.piece_small {
                0
            } else {
                libc::SPLICE_F_MORE
            };
            let sqe = opcode::Splice::new(
                types::Fd(pipe_r.as_raw_fd()),
                -1,
                types::Fd(c.fd.as_raw_fd()),
                -1,
                c.pipe_fill.min(u32::MAX as usize) as u32,
            )
            .flags(flags)
            .build();
            c.splice_inflight = true;
            self.push(sqe.user_data(ud));
            return true;
        }
        if body.left == 0 {
            self.body_done(idx);
            return true;
        }
        // The same checks Connection::send makes before each write.
        let budget = match c.tls.kernel_write_budget() {
            Ok(b) => b,
            Err(e) if e.is_blocked() => {
                // A KeyUpdate record could not go out yet: wait for room.
                let sqe = poll_writable(c);
                self.push(sqe);
                return true;
            }
            Err(e) => {
                // At the key's usage limit without rekey the connection closed
                // cleanly (close_notify is out): the response can't be completed.
                self.stats.error(&format!("splice: {:?}", e.kind()));
                c.abort = true;
                return true;
            }
        };
        let mut want = budget.max;
        if budget.small {
            // The head sent with MSG_MORE shares the record: keep it small.
            want = want.saturating_sub(c.open_record).max(1);
        }
        let want = (body.left.min(want as u64) as usize).min(*pipe_size);
        c.piece_small = budget.small;
        let Ok(off) = i64::try_from(body.offset) else {
            self.stats.error("file offset out of range");
            c.abort = true;
            return true;
        };
        let sqe = opcode::Splice::new(
            types::Fd(body.file.as_raw_fd()),
            off,
            types::Fd(pipe_w.as_raw_fd()),
            -1,
            want as u32,
        )
        .build();
        c.splice_inflight = true;
        self.push(sqe.user_data(ud));
        true
    }

    fn on_splice(&mut self, idx: usize, res: i32) {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return;
        };
        if c.abort {
            return;
        }
        let into_pipe = c.pipe_fill == 0;
        if res < 0 {
            match -res {
                libc::EINTR | libc::ECANCELED => {}
                libc::EAGAIN if !into_pipe => {
                    // The socket is full: go on when it has room.
                    let sqe = poll_writable(c);
                    self.push(sqe);
                }
                libc::EAGAIN => {}
                libc::EPIPE | libc::ECONNRESET => c.abort = true,
                e => {
                    self.stats
                        .error(&format!("splice: {}", io::Error::from_raw_os_error(e)));
                    c.abort = true;
                }
            }
            return;
        }
        let n = res as usize;
        if n == 0 {
            // File -> pipe: the file shrank under us; pipe -> socket: the peer is gone.
            if into_pipe {
                self.stats.error("file shorter than announced");
            }
            c.abort = true;
            return;
        }
        if into_pipe {
            if let Some(body) = c.body.as_mut() {
                body.offset += n as u64;
                body.left -= (n as u64).min(body.left);
            }
            c.pipe_fill = n;
            return;
        }
        c.pipe_fill -= n.min(c.pipe_fill);
        c.tls.kernel_wrote(n);
        self.stats.file_bytes_spliced += n as u64;
        let last = c.body.as_ref().is_none_or(|b| b.left == 0) && c.pipe_fill == 0;
        c.open_record = if c.piece_small || last {
            0
        } else {
            (c.open_record + n) % MAX_RECORD
        };
    }

    fn on_send(&mut self, idx: usize, res: i32) {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return;
        };
        if res < 0 {
            match -res {
                libc::EINTR | libc::EAGAIN => {}
                libc::ECANCELED => {}
                e => {
                    if e != libc::EPIPE && e != libc::ECONNRESET {
                        self.stats
                            .error(&format!("send: {}", io::Error::from_raw_os_error(e)));
                    }
                    c.abort = true;
                }
            }
            return;
        }
        let n = res as usize;
        c.woff += n;
        if c.kernel_send {
            c.tls.kernel_wrote(n);
            c.open_record = if c.send_more {
                (c.open_record + n) % MAX_RECORD
            } else {
                0
            };
        }
        if c.woff >= c.wbuf.len() {
            c.wbuf.clear();
            c.woff = 0;
            std::mem::swap(&mut c.wbuf, &mut c.wnext);
        }
    }

    /// Arms what the connection needs next, or closes it when it is done.
    fn advance(&mut self, idx: usize) {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return;
        };
        let fd = types::Fd(c.fd.as_raw_fd());
        if c.abort {
            let mut cancels = Vec::new();
            if c.recv_inflight {
                cancels.push(c.ud(Op::Recv));
            }
            if c.send_inflight {
                cancels.push(c.ud(Op::Send));
            }
            if c.poll_inflight {
                cancels.push(c.ud(Op::Poll));
            }
            if c.splice_inflight {
                cancels.push(c.ud(Op::Splice));
            }
            if c.read_inflight {
                cancels.push(c.ud(Op::Read));
            }
            if cancels.is_empty() {
                self.release(idx);
            }
            for target in cancels {
                let sqe = opcode::AsyncCancel::new(target).build();
                self.push(sqe.user_data(UserData::worker(Op::Cancel)));
            }
            return;
        }
        let idle_out = !c.send_inflight && c.woff >= c.wbuf.len() && c.wnext.is_empty();
        if c.ktls_pending && idle_out {
            self.enter_data(idx);
            return self.advance(idx);
        }
        if idle_out
            && !c.poll_inflight
            && !c.splice_inflight
            && !c.read_inflight
            && c.body.is_some()
            && c.handler.is_some()
            && self.pump_body(idx)
        {
            return self.advance(idx);
        }
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return;
        };
        let mut sqes = Vec::new();
        if !c.send_inflight && c.wbuf.is_empty() && !c.wnext.is_empty() {
            std::mem::swap(&mut c.wbuf, &mut c.wnext);
            c.woff = 0;
        }
        if !c.send_inflight && c.woff < c.wbuf.len() {
            let mut len = c.wbuf.len() - c.woff;
            let mut more = 0;
            if c.kernel_send {
                // Plaintext for the kernel's records: the checks and record
                // sizing Connection::send would apply (each write without
                // MSG_MORE ends a record, so small records are short writes).
                let budget = match c.tls.kernel_write_budget() {
                    Ok(b) => b,
                    Err(e) if e.is_blocked() => {
                        // A KeyUpdate record waits for room in the socket.
                        if !c.poll_inflight {
                            sqes.push(poll_writable(c));
                        }
                        for sqe in sqes {
                            self.push(sqe);
                        }
                        return;
                    }
                    Err(e) => {
                        self.stats.error(&format!("send: {:?}", e.kind()));
                        c.abort = true;
                        return self.advance(idx);
                    }
                };
                let room = if budget.small {
                    budget.max.saturating_sub(c.open_record).max(1)
                } else {
                    budget.max
                };
                len = len.min(room);
                // A response head followed by a file body shares its first
                // record with it (MSG_MORE keeps the kTLS record open), unless
                // the head already fills a small record.
                let last = c.woff + len == c.wbuf.len() && c.wnext.is_empty();
                if last && c.body.is_some() && !(budget.small && len == room) {
                    more = libc::MSG_MORE;
                }
            }
            let pending = &c.wbuf[c.woff..c.woff + len];
            sqes.push(
                opcode::Send::new(fd, pending.as_ptr(), len.min(u32::MAX as usize) as u32)
                    .flags(libc::MSG_NOSIGNAL | more)
                    .build()
                    .user_data(c.ud(Op::Send)),
            );
            c.send_inflight = true;
            c.send_more = more != 0;
        }
        let output_done = !c.send_inflight
            && c.wnext.is_empty()
            && c.body.is_none()
            && !c.poll_inflight
            && !c.splice_inflight
            && !c.read_inflight;
        if output_done && !c.closing && c.phase == Phase::Data {
            release_idle(c, self.recv_multi_on);
        }
        if c.closing {
            if output_done {
                if c.phase == Phase::Data {
                    // close_notify (once), through the kernel or as a sealed record.
                    if c.kernel_send {
                        let _ = c.tls.shutdown_send();
                    } else if !c.tls.pending_tls().is_empty() || queue_close(c) {
                        take_pending(c);
                        return self.advance(idx);
                    }
                }
                c.abort = true;
                return self.advance(idx);
            }
        } else if c.recv_inflight {
            // Back-pressure: a peer whose replies pile up is not read further
            // (a multishot receive is stopped; it is re-armed when they are out).
            if c.recv_multi && !c.recv_cancel && backlog(c) > RECV_PAUSE {
                sqes.push(
                    opcode::AsyncCancel::new(c.ud(Op::Recv))
                        .build()
                        .user_data(UserData::worker(Op::Cancel)),
                );
                c.recv_cancel = true;
            }
        } else if !c.ktls_pending && (c.phase == Phase::Handshake || backlog(c) <= RECV_PAUSE) {
            // Multishot only after the handshake: during it receives are
            // record-exact (nothing past the last handshake record leaves the
            // socket, so the kernel can take over reading at a record boundary).
            let multi = c.phase == Phase::Data && self.recv_multi_on && !c.recv_single_next;
            let sqe = if multi {
                opcode::RecvMulti::new(fd, BUF_GROUP).build()
            } else {
                if c.rbuf.is_empty() {
                    // Released while idle (multishot receives don't use it).
                    c.rbuf = vec![0u8; RECV_BUF].into_boxed_slice();
                }
                let len = match c.phase {
                    Phase::Handshake => c.tls.tls_bytes_needed().clamp(1, c.rbuf.len()),
                    Phase::Data => c.rbuf.len(),
                };
                opcode::Recv::new(fd, c.rbuf.as_mut_ptr(), len as u32).build()
            };
            sqes.push(sqe.user_data(c.ud(Op::Recv)));
            c.recv_inflight = true;
            c.recv_multi = multi;
            c.recv_single_next = false;
        }
        for sqe in sqes {
            self.push(sqe);
        }
    }

    fn release(&mut self, idx: usize) {
        if let Some(slot) = self.conns.get_mut(idx) {
            if slot.take().is_some() {
                // Completions still addressed to the connection just freed
                // (there should be none) are stale from now on.
                self.gens[idx] = next_gen(self.gens[idx]);
                self.free.push(idx);
                self.live -= 1;
            }
        }
    }
}

/// A connection with nothing to send, between requests: gives back the
/// buffers it would otherwise hold while idle (like nginx with OpenSSL's
/// `SSL_MODE_RELEASE_BUFFERS`): Baton's record buffers (refused, changing
/// nothing, while part of a record is buffered), the send queues, the file
/// chunk buffer and, when receives are multishot into the worker's provided
/// buffers, the single-shot receive buffer. A keep-alive edge with many idle
/// connections then pays a few KiB each instead of ~100 KiB; a busy one
/// allocates them again per request. Nothing here is in flight (the caller
/// checked), except possibly a multishot receive, which uses the worker's
/// buffers.
fn release_idle<H>(c: &mut Conn<H>, multishot: bool) {
    let _ = c.tls.release_buffers();
    if c.wbuf.is_empty() && c.wbuf.capacity() > 0 {
        c.wbuf = Vec::new();
        c.woff = 0;
    }
    if c.wnext.capacity() > 0 {
        c.wnext = Vec::new();
    }
    if c.hold_len == 0 && c.hold.capacity() > 0 {
        c.hold = Vec::new();
    }
    // Not while a single-shot receive is writing into it, nor when the next
    // receive will be single-shot.
    let single_shot_armed = c.recv_inflight && !c.recv_multi;
    if multishot && !c.recv_single_next && !single_shot_armed && !c.rbuf.is_empty() {
        c.rbuf = Box::default();
    }
}

/// Bytes queued to send and not yet sent.
fn backlog<H>(c: &Conn<H>) -> usize {
    c.wbuf.len().saturating_sub(c.woff) + c.wnext.len()
}

/// An anonymous private mapping that the kernel may read or write through
/// io_uring: only ever reached through raw pointers (never a reference over
/// the whole area), so the kernel writing one part of it while Rust reads
/// another is no aliasing violation. Unmapped on drop: its owner drops it only
/// after the ring that uses it is gone (or leaks it).
struct Mmap {
    ptr: std::ptr::NonNull<u8>,
    len: usize,
}

impl Mmap {
    fn new(len: usize) -> io::Result<Mmap> {
        // SAFETY: a fresh anonymous mapping (no address hint, no fd); the
        // result is checked before use.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr = std::ptr::NonNull::new(p.cast()).ok_or_else(io::Error::last_os_error)?;
        Ok(Mmap { ptr, len })
    }

    /// The address of byte `off` (at most `len`: one past the end).
    fn at(&self, off: usize) -> *mut u8 {
        assert!(off <= self.len);
        // SAFETY: `off` is inside the mapping or one past its end.
        unsafe { self.ptr.as_ptr().add(off) }
    }
}

impl Drop for Mmap {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, unmapped once; whoever held it
        // for the kernel is gone (see the type's doc).
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

/// The worker's provided buffers for multishot receives: `count` buffers
/// of `RECV_BUF` bytes, and the ring (shared with the kernel) through which
/// they are handed to it. A buffer the kernel filled is out of the ring until
/// [`give_back`](BufRing::give_back); only then may Rust read it.
struct BufRing {
    /// `count` entries, page-aligned, the tail in the first one.
    entries: Mmap,
    /// Number of entries and buffers (a power of two).
    count: u16,
    /// The buffers, back to back: written by the kernel while in the ring.
    bufs: Mmap,
    tail: u16,
}

impl BufRing {
    fn new(ring: &IoUring, count: u16) -> io::Result<BufRing> {
        let count = count.clamp(1, 1 << 15).next_power_of_two();
        let entries = Mmap::new(count as usize * std::mem::size_of::<types::BufRingEntry>())?;
        let bufs = Mmap::new(count as usize * RECV_BUF)?;
        let addr = entries.at(0) as u64;
        let mut br = BufRing {
            entries,
            count,
            bufs,
            tail: 0,
        };
        // SAFETY: the mapping holds `count` entries and lives until `br` is
        // dropped, which the worker does only after its ring is gone.
        unsafe {
            ring.submitter()
                .register_buf_ring_with_flags(addr, count, BUF_GROUP, 0)?;
        }
        for bid in 0..count {
            br.give_back(bid);
        }
        Ok(br)
    }

    /// The first `n` bytes of buffer `bid`, which a completion has just
    /// handed out of the ring: the kernel does not write it until it is
    /// given back (`&mut self`, so not while this borrow lives).
    fn slice(&self, bid: u16, n: usize) -> &[u8] {
        let start = (bid % self.count) as usize * RECV_BUF;
        let p = self.bufs.at(start);
        // SAFETY: `start + RECV_BUF` is inside the mapping (bid < count), and
        // the buffer is out of the ring (see above): nothing writes it while
        // the shared borrow lives.
        unsafe { std::slice::from_raw_parts(p, n.min(RECV_BUF)) }
    }

    /// Hands buffer `bid` (back) to the kernel.
    fn give_back(&mut self, bid: u16) {
        let bid = bid % self.count;
        let slot = (self.tail & (self.count - 1)) as usize;
        let addr = self.bufs.at(bid as usize * RECV_BUF) as u64;
        let entries: *mut types::BufRingEntry = self.entries.at(0).cast();
        // SAFETY: `slot` < count, inside the mapping (page-aligned, so
        // aligned for the entry); the kernel reads an entry only once the
        // tail below has moved past it, so this is the only access now.
        let e = unsafe { &mut *entries.add(slot) };
        e.set_addr(addr);
        e.set_len(RECV_BUF as u32);
        e.set_bid(bid);
        self.tail = self.tail.wrapping_add(1);
        // SAFETY: the tail is the u16 that overlays the first entry's `resv`
        // (aligned, inside the mapping); the kernel reads it with acquire
        // semantics, so a release store publishes the entry written above.
        unsafe {
            let tail = types::BufRingEntry::tail(entries) as *const std::sync::atomic::AtomicU16;
            (*tail).store(self.tail, std::sync::atomic::Ordering::Release);
        }
    }
}

/// Puts a response head that went with a failed read back in front of
/// whatever is held now, to go with the next read.
fn unseal_head<H>(c: &mut Conn<H>, head: &[u8]) {
    if head.is_empty() {
        return;
    }
    let mut held = head.to_vec();
    held.extend_from_slice(&c.hold[..c.hold_len]);
    c.hold_len = held.len();
    c.hold = held;
}

/// The worker's registered buffers for file reads (`READ_FIXED`): `count`
/// buffers of [`FILE_BUF`] bytes in one anonymous mapping, registered with
/// the ring (which pins their pages), and the indices of those free. A
/// buffer is lent to one read (its user data) from the read's submission
/// until its completion, stale or not.
struct FilePool {
    map: Mmap,
    free: Vec<u16>,
    /// Per buffer: the user data of the read it is lent to.
    lent: Vec<Option<u64>>,
}

impl FilePool {
    fn new(ring: &IoUring, count: u16) -> io::Result<FilePool> {
        // An mmap of its own, so that the pages the kernel pins are never
        // handed out again by the allocator while the ring holds them.
        let map = Mmap::new(count as usize * FILE_BUF)?;
        let iovecs: Vec<libc::iovec> = (0..count as usize)
            .map(|i| libc::iovec {
                iov_base: map.at(i * FILE_BUF).cast(),
                iov_len: FILE_BUF,
            })
            .collect();
        // SAFETY: the iovecs cover the mapping, which lives until the pool is
        // dropped; the worker drops it only after its ring is gone (or leaks
        // it while reads may be in flight). On error `map` unmaps it.
        unsafe { ring.submitter().register_buffers(&iovecs)? };
        Ok(FilePool {
            map,
            free: (0..count).rev().collect(),
            lent: vec![None; count as usize],
        })
    }

    /// Buffers in the pool.
    fn len(&self) -> usize {
        self.lent.len()
    }

    /// A free buffer's index, lent to the read with user data `ud`.
    fn take(&mut self, ud: u64) -> Option<u16> {
        let bid = self.free.pop()?;
        self.lent[bid as usize] = Some(ud);
        Some(bid)
    }

    /// Buffer `bid` back in the pool (its read has completed).
    fn give(&mut self, bid: u16) {
        if self.lent[bid as usize].take().is_some() {
            self.free.push(bid);
        }
    }

    /// The buffer lent to the read `ud`, back in the pool (that read
    /// completed after its connection was gone).
    fn give_back_lent_to(&mut self, ud: u64) {
        if let Some(bid) = self.lent.iter().position(|l| *l == Some(ud)) {
            self.give(bid as u16);
        }
    }

    /// Buffer `bid`, while no read into it is in flight (or to hand its
    /// address to one).
    fn buf_mut(&mut self, bid: u16) -> &mut [u8] {
        let start = bid as usize * FILE_BUF;
        assert!(start + FILE_BUF <= self.map.len);
        let p = self.map.at(start);
        // SAFETY: inside the mapping (checked above), which lives as
        // long as `self`; no read is in flight into it (see above), and the
        // &mut self borrow makes this the only reference.
        unsafe { std::slice::from_raw_parts_mut(p, FILE_BUF) }
    }
}

/// A poll for the connection's socket to become writable (it is full, or a
/// kernel write said EAGAIN); marks it in flight.
fn poll_writable<H>(c: &mut Conn<H>) -> squeue::Entry {
    c.poll_inflight = true;
    opcode::PollAdd::new(types::Fd(c.fd.as_raw_fd()), libc::POLLOUT as u32)
        .build()
        .user_data(c.ud(Op::Poll))
}

/// Moves the connection's pending ciphertext to the output queue.
fn take_pending<H>(c: &mut Conn<H>) {
    c.tls.take_pending_tls(&mut c.wnext);
}

/// Queues close_notify once; true if it produced bytes to send.
fn queue_close<H>(c: &mut Conn<H>) -> bool {
    c.tls.queue_close_notify();
    let produced = !c.tls.pending_tls().is_empty();
    take_pending(c);
    // A second call produces nothing: queue_close_notify is idempotent.
    produced
}

/// Plaintext to send: straight to the socket with kernel send, else sealed here.
fn queue_plaintext<H>(c: &mut Conn<H>, mut data: &[u8]) -> baton::Result<()> {
    if c.kernel_send {
        c.wnext.extend_from_slice(data);
        return Ok(());
    }
    while !data.is_empty() {
        let n = c.tls.seal_plaintext(data)?;
        take_pending(c);
        data = &data[n..];
    }
    Ok(())
}

/// A pipe for splicing file bodies, as large as the kernel allows up to
/// [`PIPE_SIZE`]: (read end, write end, size). Non-blocking, so that a
/// SPLICE never waits on the pipe itself (it is only filled when empty).
fn new_pipe() -> io::Result<(OwnedFd, OwnedFd, usize)> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: pipe2 succeeded: both are fresh descriptors that we now own.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    for size in [PIPE_SIZE, PIPE_SIZE / 4] {
        // SAFETY: plain fcntl on our pipe; failure (above pipe-max-size) is fine.
        if unsafe { libc::fcntl(w.as_raw_fd(), libc::F_SETPIPE_SZ, size as libc::c_int) } >= 0 {
            break;
        }
    }
    // SAFETY: plain fcntl on our pipe.
    let size = unsafe { libc::fcntl(w.as_raw_fd(), libc::F_GETPIPE_SZ) };
    if size <= 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((r, w, size as usize))
}

/// `pread(2)`: the file's page cache, at `offset`, without moving a cursor.
fn read_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

fn set_nodelay(fd: RawFd) {
    let one: libc::c_int = 1;
    // SAFETY: `one` is a live c_int and its size is passed; failure is harmless.
    unsafe {
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            (&one as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

fn peer_addr(fd: RawFd) -> Option<SocketAddr> {
    // SAFETY: all-zero is a valid sockaddr_storage.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: `storage` has room for `len` bytes; the kernel writes at most that.
    let r = unsafe {
        libc::getpeername(
            fd,
            (&mut storage as *mut libc::sockaddr_storage).cast(),
            &mut len,
        )
    };
    if r < 0 {
        return None;
    }
    match storage.ss_family as libc::c_int {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in.
            let sin: libc::sockaddr_in =
                unsafe { std::ptr::read((&storage as *const libc::sockaddr_storage).cast()) };
            let ip = std::net::Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
            Some(SocketAddr::from((ip, u16::from_be(sin.sin_port))))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the storage holds a sockaddr_in6.
            let sin6: libc::sockaddr_in6 =
                unsafe { std::ptr::read((&storage as *const libc::sockaddr_storage).cast()) };
            let ip = std::net::Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            Some(SocketAddr::from((ip, u16::from_be(sin6.sin6_port))))
        }
        _ => None,
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
    fn connect(&self, _peer: SocketAddr, _conn: &Connection) -> EchoHandler {
        EchoHandler
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_data_round_trips() {
        for op in Op::ALL {
            for slot in [0, 1, 12345, u32::MAX] {
                for gen in [0, 1, GEN_MASK - 1, GEN_MASK] {
                    let d = UserData { op, slot, gen };
                    assert_eq!(UserData::decode(d.encode()), Some(d));
                }
            }
        }
        // Op code 0 and codes past the last are never submitted.
        assert_eq!(UserData::decode(0), None);
        assert_eq!(UserData::decode(15 | (7 << OP_BITS)), None);
        // The generation wraps inside its bits, never into the slot's.
        assert_eq!(next_gen(GEN_MASK), 0);
        let d = UserData {
            op: Op::Send,
            slot: 9,
            gen: next_gen(GEN_MASK),
        };
        assert_eq!(UserData::decode(d.encode()).unwrap().slot, 9);
    }

    #[test]
    fn a_completion_from_a_slots_earlier_life_is_stale() {
        let recv = |slot, gen| {
            UserData {
                op: Op::Recv,
                slot,
                gen,
            }
            .encode()
        };
        // Slot 3 lives in generation 5; slot 4 is empty.
        let current = |slot: u32| (slot == 3).then_some(5);
        assert_eq!(
            route(recv(3, 5), current),
            Route::Conn(UserData {
                op: Op::Recv,
                slot: 3,
                gen: 5
            })
        );
        // Submitted by the slot's previous connection: never reaches this one.
        assert!(matches!(route(recv(3, 4), current), Route::Stale(d) if d.gen == 4));
        // Nor a later one's after a wrap, nor an empty slot's.
        assert!(matches!(route(recv(3, 6), current), Route::Stale(_)));
        assert!(matches!(route(recv(4, 0), current), Route::Stale(_)));
        // Out of range slots are stale too, not a panic.
        assert!(matches!(route(recv(u32::MAX, 5), current), Route::Stale(_)));
        // The worker's own operations have no slot.
        for op in [Op::Accept, Op::Tick, Op::Cancel] {
            assert_eq!(route(UserData::worker(op), current), Route::Worker(op));
        }
        assert_eq!(route(0, current), Route::Unknown);
    }
}
