//! One connection's state in its worker, and the small steps on it that
//! need no worker (queueing plaintext, close_notify, releasing idle buffers).

use super::*;

/// Where a connection is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    /// The handshake runs, with record-exact receives.
    Handshake,
    /// The handshake is done; the hand-off to the kernel waits for its last
    /// flight to be sent (no receive is armed meanwhile: the kernel must
    /// start reading at the next record).
    HandOff,
    /// Application data: the handler has the connection.
    Data,
}

/// Whether and how a connection ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Life {
    /// Serving: input is read, output sent.
    Open,
    /// No more input wanted: close (with close_notify after the handshake)
    /// once the output is out.
    Closing,
    /// Close now, without close_notify: a timeout or a broken transport.
    /// Cancels what is in flight; the slot is freed once nothing is.
    Abort,
}

/// A connection's receive.
pub(super) enum RecvState {
    /// None in flight. `single_next`: the next one is single-shot (the
    /// worker's provided buffers ran dry), then multishot again.
    Idle { single_next: bool },
    /// A single-shot receive into `buf` (the connection's receive buffer,
    /// owned by the operation until it completes).
    Single { buf: Box<[u8]> },
    /// A multishot receive into the worker's provided buffers (which the
    /// ring owns). `cancelling`: a cancel is out (back-pressure).
    Multi { cancelling: bool },
}

/// A connection's send.
pub(super) enum SendState {
    /// No send in flight: the bytes to send are in `wbuf[woff..]`.
    Idle,
    /// A send of `buf[woff..]` (the connection's send buffer, owned by the
    /// operation until it completes). `more`: with MSG_MORE.
    InFlight { buf: Vec<u8>, more: bool },
}

/// The file body's operation in flight (one at a time).
pub(super) enum BodyOp {
    /// Nothing of the body in flight (or no body).
    Idle,
    /// A SPLICE: into the pipe while `pipe_fill` is 0, else out to the socket.
    Splice,
    /// A chunk read, owning the buffer it fills until it completes.
    Read(FileRead),
}

/// A connection's TLS: the sans-IO session through the handshake (driven
/// with record-exact receives), then the kernel session it is consumed into
/// at the hand-off (each direction kernel or userspace).
pub(super) enum Tls {
    Handshake(Session),
    Data(KernelSession),
    /// Only while the hand-off moves one into the other.
    Moving,
}

impl Tls {
    /// The session, in either phase.
    pub(super) fn session_mut(&mut self) -> baton::Result<&mut Session> {
        match self {
            Tls::Handshake(s) => Ok(s),
            Tls::Data(k) => Ok(k.session_mut()),
            Tls::Moving => Err(moving()),
        }
    }

    /// The kernel session (after the hand-off).
    pub(super) fn kernel(&mut self) -> baton::Result<&mut KernelSession> {
        match self {
            Tls::Data(k) => Ok(k),
            Tls::Handshake(_) => Err(baton::Error::usage(
                "kernel-time call before the kernel TLS hand-off",
            )),
            Tls::Moving => Err(moving()),
        }
    }
}

fn moving() -> baton::Error {
    baton::Error::usage("the TLS session is being handed off")
}

pub(super) struct Conn<H> {
    /// Its slot in the worker and the slot's generation: its operations'
    /// user data (see [`UserData`]).
    pub(super) slot: u32,
    pub(super) gen: u32,
    pub(super) fd: Arc<OwnedFd>,
    pub(super) peer: SocketAddr,
    pub(super) tls: Tls,
    pub(super) handler: Option<H>,
    pub(super) phase: Phase,
    pub(super) life: Life,
    pub(super) kernel_send: bool,
    pub(super) kernel_recv: bool,
    pub(super) recv: RecvState,
    /// The single-shot receive buffer while no receive owns it (empty when
    /// released while idle).
    pub(super) rbuf: Box<[u8]>,
    pub(super) send: SendState,
    /// The bytes being sent (`wbuf[woff..]`) while no send owns them.
    pub(super) wbuf: Vec<u8>,
    pub(super) woff: usize,
    /// Bytes produced while a send is in flight; they go next.
    pub(super) wnext: Vec<u8>,
    pub(super) deadline: Instant,
    /// File body being sent after `wbuf`/`wnext`.
    pub(super) body: Option<FileBody>,
    pub(super) body_op: BodyOp,
    /// Plaintext of a response head (`hold[..hold_len]`), held to be sealed
    /// with the body's start; the rest is the chunk buffer, kept initialised
    /// between chunks so each `pread` doesn't zero 64 KiB first.
    pub(super) hold: Vec<u8>,
    pub(super) hold_len: usize,
    /// A poll for writability is in flight (a kernel write hit EAGAIN, or a
    /// KeyUpdate waits for room).
    pub(super) poll_inflight: bool,
    /// File bodies through kernel TLS: the pipe (read end, write end, size),
    /// made at the first body and closed with the connection.
    pub(super) pipe: Option<(OwnedFd, OwnedFd, usize)>,
    /// Bytes spliced into the pipe and not yet out to the socket.
    pub(super) pipe_fill: usize,
    /// The piece in the pipe must end its record (small records).
    pub(super) piece_small: bool,
    /// Plaintext written with MSG_MORE that the kernel holds in an open record.
    pub(super) open_record: usize,
    /// The handshake waits for the application (a session cache answer): it
    /// is polled again at the worker's short wake-ups.
    pub(super) parked: bool,
    /// This wait is already in `handshakes_parked`: the wake-ups re-poll a
    /// parked handshake many times, and a stat per poll would depend on
    /// timing. Cleared when the handshake moves on.
    pub(super) park_counted: bool,
    /// Parked for a signature on the signing threads: resumed by their
    /// eventfd, not by the wake-up timer.
    pub(super) signing: bool,
    /// TLS 1.3 early data (0-RTT) the handshake accepted, for the handler's
    /// `on_early_data` once the connection enters its data phase.
    pub(super) early: Vec<u8>,
    /// What a 0.5-RTT answer left for after the hand-off: a large file body,
    /// or the close (see `early.rs`).
    pub(super) deferred: Option<(Output, Flow)>,
}

impl<H> Conn<H> {
    /// The user data of this connection's operation `op`.
    pub(super) fn ud(&self, op: Op) -> u64 {
        UserData {
            op,
            slot: self.slot,
            gen: self.gen,
        }
        .encode()
    }

    /// True while any operation of the connection is in flight: until then
    /// its slot (and every buffer an operation owns) must stay.
    pub(super) fn busy(&self) -> bool {
        !matches!(self.recv, RecvState::Idle { .. })
            || matches!(self.send, SendState::InFlight { .. })
            || self.poll_inflight
            || !matches!(self.body_op, BodyOp::Idle)
    }

    /// Ends the connection once its output is out (unless it is aborting).
    pub(super) fn close(&mut self) {
        if self.life == Life::Open {
            self.life = Life::Closing;
        }
    }

    /// Ends the connection now.
    pub(super) fn abort(&mut self) {
        self.life = Life::Abort;
    }

    /// True once the connection is being cut (nothing new is armed).
    pub(super) fn aborting(&self) -> bool {
        self.life == Life::Abort
    }

    /// The receive that completed (for good: no MORE) gives its buffer back;
    /// true if it was multishot.
    pub(super) fn recv_done(&mut self) -> bool {
        match std::mem::replace(&mut self.recv, RecvState::Idle { single_next: false }) {
            RecvState::Single { buf } => {
                self.rbuf = buf;
                false
            }
            RecvState::Multi { .. } => true,
            RecvState::Idle { .. } => false,
        }
    }

    /// The send that completed gives its buffer back; true if it had MSG_MORE.
    pub(super) fn send_done(&mut self) -> bool {
        match std::mem::replace(&mut self.send, SendState::Idle) {
            SendState::InFlight { buf, more } => {
                self.wbuf = buf;
                more
            }
            SendState::Idle => false,
        }
    }
}

/// One file chunk read: where it goes, and the response head in front of it
/// (`head` bytes, sealed together with the chunk).
pub(super) struct FileRead {
    pub(super) buf: ReadBuf,
    pub(super) head: usize,
    pub(super) want: usize,
}

pub(super) enum ReadBuf {
    /// Buffer `bid` of the worker's registered pool (`READ_FIXED`).
    Fixed(u16),
    /// The connection's `hold`, moved here while the read owns it: nothing
    /// can grow (and move) it under the kernel.
    Plain(Vec<u8>),
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
pub(super) fn release_idle<H>(c: &mut Conn<H>, multishot: bool) {
    if let Ok(k) = c.tls.kernel() {
        let _ = k.release_buffers();
    }
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
    // Not when the next receive will be single-shot (a single-shot receive
    // in flight owns the buffer: `rbuf` is empty then).
    let single_next = matches!(c.recv, RecvState::Idle { single_next: true });
    if multishot && !single_next && !c.rbuf.is_empty() {
        c.rbuf = Box::default();
    }
}

/// Bytes queued to send and not yet sent (the send in flight counts whole).
pub(super) fn backlog<H>(c: &Conn<H>) -> usize {
    let current = match &c.send {
        SendState::InFlight { buf, .. } => buf.len(),
        SendState::Idle => c.wbuf.len(),
    };
    current.saturating_sub(c.woff) + c.wnext.len()
}

/// Puts a response head that went with a failed read back in front of
/// whatever is held now, to go with the next read.
pub(super) fn unseal_head<H>(c: &mut Conn<H>, head: &[u8]) {
    if head.is_empty() {
        return;
    }
    let mut held = head.to_vec();
    held.extend_from_slice(&c.hold[..c.hold_len]);
    c.hold_len = held.len();
    c.hold = held;
}

/// A poll for the connection's socket to become writable (it is full, or a
/// kernel write said EAGAIN); marks it in flight.
pub(super) fn poll_writable<H>(c: &mut Conn<H>) -> squeue::Entry {
    c.poll_inflight = true;
    opcode::PollAdd::new(types::Fd(c.fd.as_raw_fd()), libc::POLLOUT as u32)
        .build()
        .user_data(c.ud(Op::Poll))
}

/// Moves the connection's pending ciphertext to the output queue.
pub(super) fn take_pending<H>(c: &mut Conn<H>) {
    if let Ok(s) = c.tls.session_mut() {
        s.take_pending_tls(&mut c.wnext);
    }
}

/// Queues close_notify once; true if it produced bytes to send.
pub(super) fn queue_close<H>(c: &mut Conn<H>) -> bool {
    let produced = match c.tls.session_mut() {
        Ok(s) => {
            s.queue_close_notify();
            !s.pending_tls().is_empty()
        }
        Err(_) => false,
    };
    take_pending(c);
    // A second call produces nothing: queue_close_notify is idempotent.
    produced
}

/// Plaintext to send: straight to the socket with kernel send, else sealed here.
pub(super) fn queue_plaintext<H>(c: &mut Conn<H>, data: &[u8]) -> baton::Result<()> {
    if c.kernel_send {
        c.wnext.extend_from_slice(data);
        return Ok(());
    }
    // All at once, so that the records land in one buffer that moves to
    // `wnext` without a copy when it is empty (a file chunk is up to
    // FILE_CHUNK).
    let sealed = c.tls.session_mut()?.seal_all(data);
    take_pending(c);
    sealed
}
