//! One connection's state in its worker, and the small steps on it that
//! need no worker (queueing plaintext, close_notify, releasing idle buffers).

use super::*;

#[derive(Debug, PartialEq, Eq)]
pub(super) enum Phase {
    Handshake,
    Data,
}

pub(super) struct Conn<H> {
    /// Its slot in the worker and the slot's generation: its operations'
    /// user data (see [`UserData`]).
    pub(super) slot: u32,
    pub(super) gen: u32,
    pub(super) fd: OwnedFd,
    pub(super) peer: SocketAddr,
    pub(super) tls: Connection,
    pub(super) handler: Option<H>,
    pub(super) phase: Phase,
    pub(super) kernel_send: bool,
    pub(super) kernel_recv: bool,
    /// Owned by the receive in flight while `recv_inflight`.
    pub(super) rbuf: Box<[u8]>,
    pub(super) recv_inflight: bool,
    /// Owned by the send in flight while `send_inflight`: never grown then.
    pub(super) wbuf: Vec<u8>,
    pub(super) woff: usize,
    pub(super) send_inflight: bool,
    /// Bytes produced while a send is in flight; they go next.
    pub(super) wnext: Vec<u8>,
    pub(super) deadline: Instant,
    /// The handshake is done; the hand-off to the kernel waits for its last
    /// flight to be sent.
    pub(super) ktls_pending: bool,
    /// File body being sent after `wbuf`/`wnext`.
    pub(super) body: Option<FileBody>,
    /// Plaintext of a response head (`hold[..hold_len]`), held to be sealed
    /// with the body's start; the rest is the chunk buffer, kept initialised
    /// between chunks so each `pread` doesn't zero 64 KiB first.
    pub(super) hold: Vec<u8>,
    pub(super) hold_len: usize,
    /// Waiting for the socket to become writable (kernel sendfile hit EAGAIN).
    pub(super) poll_inflight: bool,
    /// No more input wanted: close once the output is out.
    pub(super) closing: bool,
    /// Close now (no close_notify): a timeout or a broken transport.
    pub(super) abort: bool,
    /// File bodies through kernel TLS: the pipe (read end, write end, size),
    /// made at the first body and closed with the connection.
    pub(super) pipe: Option<(OwnedFd, OwnedFd, usize)>,
    /// Bytes spliced into the pipe and not yet out to the socket.
    pub(super) pipe_fill: usize,
    /// The piece in the pipe must end its record (small records).
    pub(super) piece_small: bool,
    /// A SPLICE is in flight (into the pipe while `pipe_fill` is 0, else out).
    pub(super) splice_inflight: bool,
    /// Plaintext written with MSG_MORE that the kernel holds in an open record.
    pub(super) open_record: usize,
    /// The send in flight has MSG_MORE.
    pub(super) send_more: bool,
    /// The receive in flight is multishot (into the worker's provided buffers).
    pub(super) recv_multi: bool,
    /// A cancel of the multishot receive is out (back-pressure).
    pub(super) recv_cancel: bool,
    /// The next receive is single-shot into `rbuf` (the ring ran dry).
    pub(super) recv_single_next: bool,
    /// A file chunk read is in flight into `read`'s buffer.
    pub(super) read_inflight: bool,
    /// The buffer the file chunk read (in flight, or just completed) fills.
    pub(super) read: Option<FileRead>,
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
pub(super) fn backlog<H>(c: &Conn<H>) -> usize {
    c.wbuf.len().saturating_sub(c.woff) + c.wnext.len()
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
    c.tls.take_pending_tls(&mut c.wnext);
}

/// Queues close_notify once; true if it produced bytes to send.
pub(super) fn queue_close<H>(c: &mut Conn<H>) -> bool {
    c.tls.queue_close_notify();
    let produced = !c.tls.pending_tls().is_empty();
    take_pending(c);
    // A second call produces nothing: queue_close_notify is idempotent.
    produced
}

/// Plaintext to send: straight to the socket with kernel send, else sealed here.
pub(super) fn queue_plaintext<H>(c: &mut Conn<H>, mut data: &[u8]) -> baton::Result<()> {
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
