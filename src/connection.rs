//! `Connection`: the s2n-style facade over the engine, with its I/O drivers
//! (a socket fd, any `Read + Write`, or send/recv callbacks).

use crate::cert::CertChainAndKey;
use crate::config::Config;
use crate::engine::KernelOp;
use crate::engine::{Engine, Mode};
use crate::error::{Blocked, Error, ErrorKind, Result};
use crate::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};
use crate::offload::{
    Direction, DirectionKeys, KernelRecordIo, KtlsStatus, OffloadGrant, RecordPath,
};
use crate::record::MAX_PLAINTEXT;
use std::borrow::Cow;
use std::io::{self, IoSlice, Read, Write};
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};
use std::sync::Arc;

/// Output is written to the transport once this much ciphertext is queued.
const FLUSH_THRESHOLD: usize = 64 * 1024;

/// A transport that is both readable and writable.
pub trait Transport: Read + Write + Send {}
impl<T: Read + Write + Send> Transport for T {}

type SendFn = dyn FnMut(&[u8]) -> io::Result<usize> + Send;
type RecvFn = dyn FnMut(&mut [u8]) -> io::Result<usize> + Send;

enum Io {
    None,
    /// A socket, shared with whoever else holds it (a kernel back end, an
    /// io_uring runtime), so it stays open while any of them uses it. Sends use
    /// `MSG_NOSIGNAL` so a closed peer never raises SIGPIPE.
    Fd(Arc<OwnedFd>),
    Stream(Box<dyn Transport>),
    Callbacks {
        send: Box<SendFn>,
        recv: Box<RecvFn>,
    },
}

impl Io {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Io::None => Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "no transport set on the connection",
            )),
            Io::Fd(fd) => nix::sys::socket::send(
                fd.as_raw_fd(),
                buf,
                nix::sys::socket::MsgFlags::MSG_NOSIGNAL,
            )
            .map_err(io::Error::from),
            Io::Stream(s) => s.write(buf),
            Io::Callbacks { send, .. } => send(buf),
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Io::None => Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "no transport set on the connection",
            )),
            Io::Fd(fd) => {
                nix::sys::socket::recv(fd.as_raw_fd(), buf, nix::sys::socket::MsgFlags::empty())
                    .map_err(io::Error::from)
            }
            Io::Stream(s) => s.read(buf),
            Io::Callbacks { recv, .. } => recv(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Io::Stream(s) => s.flush(),
            _ => Ok(()),
        }
    }
}

/// One TLS connection, client or server.
///
/// Works with blocking and non-blocking transports: in non-blocking mode a call
/// that cannot progress returns an error of kind [`ErrorKind::Blocked`] with
/// [`Error::blocked_on`] saying which direction to wait for; call it again then.
pub struct Connection {
    engine: Engine,
    io: Io,
    /// Bytes of the caller's data already sealed into records that are not yet
    /// fully written; the next `send` call's data starts with them.
    send_sealed: usize,
    exact_record_reads: bool,
    /// The back end each kernel-owned direction was committed with: records
    /// of a direction only ever go through its own.
    kernel_tx: Option<Box<dyn KernelRecordIo>>,
    kernel_rx: Option<Box<dyn KernelRecordIo>>,
    send_path: RecordPath,
    recv_path: RecordPath,
    /// Where kernel-decrypted records land when the caller's buffer is small.
    kernel_scratch: Vec<u8>,
    tx_limit: KernelTxLimit,
    sizing: crate::sizing::RecordSizing,
    /// Per-record overhead of a kernel-sealed send key (for record sizing).
    kernel_overhead: usize,
}

/// What the next caller-made write to a kernel-sealed socket may carry
/// ([`Connection::kernel_write_budget`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelWrite {
    /// At most this many plaintext bytes (at least 1).
    pub max: usize,
    /// Record sizing wants small records now: the write must end its record
    /// (no `MSG_MORE` / `SPLICE_F_MORE`), so each goes in one small record.
    pub small: bool,
}

/// The AEAD usage limit on a kernel-sealed direction. The kernel does not
/// count for us and may cut records smaller than our writes, so `estimate` is
/// a lower bound (one record per started 2^14 bytes) and the exact sequence
/// number is read back from the kernel whenever the estimate reaches `check_at`.
#[derive(Debug, Default)]
struct KernelTxLimit {
    estimate: u64,
    check_at: u64,
    limit: u64,
}

impl KernelTxLimit {
    fn new(start: u64, limit: u64) -> Self {
        let mut l = Self {
            estimate: start,
            check_at: 0,
            limit,
        };
        l.rearm(start);
        l
    }

    /// Next exact check: halfway to the limit, and at least every 2^16 records.
    fn rearm(&mut self, exact: u64) {
        self.estimate = exact;
        let left = self.limit.saturating_sub(exact);
        self.check_at = exact + (left / 2).clamp(1, 1 << 16);
    }

    fn sent(&mut self, bytes: usize) {
        self.estimate += bytes.div_ceil(MAX_PLAINTEXT) as u64;
    }

    /// The most bytes one write may take before the exact count must be read again.
    fn bytes_until_check(&self) -> usize {
        let records = self.check_at.saturating_sub(self.estimate).max(1);
        usize::try_from(records)
            .unwrap_or(usize::MAX)
            .saturating_mul(MAX_PLAINTEXT)
    }
}

impl core::fmt::Debug for Connection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Connection")
            .field("engine", &self.engine)
            .finish_non_exhaustive()
    }
}

pub(crate) fn validate_alpn<P: AsRef<[u8]>>(protocols: &[P]) -> Result<Vec<Vec<u8>>> {
    let mut total = 0;
    let mut v = Vec::with_capacity(protocols.len());
    for p in protocols {
        let p = p.as_ref();
        if p.is_empty() || p.len() > 255 {
            return Err(Error::usage("ALPN protocol names must be 1 to 255 bytes"));
        }
        total += p.len() + 1;
        v.push(p.to_vec());
    }
    if total > 0xffff - 2 {
        return Err(Error::usage("ALPN list too long"));
    }
    Ok(v)
}

fn blocked_or(e: io::Error, dir: Blocked) -> Error {
    if e.kind() == io::ErrorKind::WouldBlock {
        Error::blocked(dir)
    } else {
        Error::from(e)
    }
}

impl Connection {
    /// A new connection using `config` (shared, not copied).
    pub fn new(mode: Mode, config: &Config) -> Self {
        Self {
            engine: Engine::new(config.clone(), mode),
            io: Io::None,
            send_sealed: 0,
            exact_record_reads: false,
            kernel_tx: None,
            kernel_rx: None,
            send_path: RecordPath::Userspace(Cow::Borrowed("kernel TLS not enabled")),
            recv_path: RecordPath::Userspace(Cow::Borrowed("kernel TLS not enabled")),
            kernel_scratch: Vec::new(),
            tx_limit: KernelTxLimit::default(),
            sizing: Default::default(),
            kernel_overhead: 0,
        }
    }

    /// A new client connection.
    pub fn new_client(config: &Config) -> Self {
        Self::new(Mode::Client, config)
    }

    /// A new server connection.
    pub fn new_server(config: &Config) -> Self {
        Self::new(Mode::Server, config)
    }

    /// Client: the server's name, sent as SNI (unless it is an IP address) and
    /// checked against the certificate.
    pub fn set_server_name(&mut self, name: &str) -> Result<()> {
        if self.engine.mode() != Mode::Client {
            return Err(Error::usage("set_server_name is for clients"));
        }
        if name.is_empty() || name.len() > 255 {
            return Err(Error::usage("server name must be 1 to 255 bytes"));
        }
        self.engine.set_server_name(name.to_owned());
        Ok(())
    }

    /// Overrides the config's ALPN preferences for this connection.
    pub fn set_alpn_preferences<P: AsRef<[u8]>>(&mut self, protocols: &[P]) -> Result<()> {
        self.engine.set_alpn_preferences(validate_alpn(protocols)?);
        Ok(())
    }

    /// Uses a connected socket: an [`OwnedFd`] (e.g. `OwnedFd::from(tcp_stream)`),
    /// or an `Arc<OwnedFd>` the caller keeps using too (an event loop). The
    /// socket stays open while the connection or a kernel back end holds it.
    /// Blocking and `O_NONBLOCK` both work. A Usage error once a direction is
    /// in the kernel (its records belong to that socket).
    pub fn set_fd(&mut self, fd: impl Into<Arc<OwnedFd>>) -> Result<()> {
        if self.engine.left_userspace(Direction::Send)
            || self.engine.left_userspace(Direction::Recv)
        {
            return Err(Error::usage(
                "the socket can't change once kernel TLS owns a direction",
            ));
        }
        self.io = Io::Fd(fd.into());
        Ok(())
    }

    /// Uses any byte stream (a `TcpStream`, a `UnixStream`, an in-memory pipe...).
    pub fn set_io(&mut self, io: impl Transport + 'static) {
        self.io = Io::Stream(Box::new(io));
    }

    /// Uses custom callbacks; each captures its own context. They return the bytes moved,
    /// `Ok(0)` from `recv` for end of stream, or `ErrorKind::WouldBlock` to block.
    pub fn set_io_callbacks(
        &mut self,
        send: impl FnMut(&[u8]) -> io::Result<usize> + Send + 'static,
        recv: impl FnMut(&mut [u8]) -> io::Result<usize> + Send + 'static,
    ) {
        self.io = Io::Callbacks {
            send: Box::new(send),
            recv: Box::new(recv),
        };
    }

    /// Reads exactly one record at a time from the transport (never past a record
    /// boundary), so kernel TLS can take over the socket after the handshake.
    pub fn set_exact_record_reads(&mut self, on: bool) {
        self.exact_record_reads = on;
    }

    /// Writes queued ciphertext to the transport (and, with kernel TLS send, the
    /// queued alert and handshake records and key changes).
    pub fn flush(&mut self) -> Result<()> {
        self.flush_userspace()?;
        self.flush_kernel_ops()
    }

    fn flush_userspace(&mut self) -> Result<()> {
        while !self.engine.pending_output().is_empty() {
            match self.io.write(self.engine.pending_output()) {
                Ok(0) => {
                    return Err(Error::from(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "transport wrote 0 bytes",
                    )))
                }
                Ok(n) => self.engine.consume_output(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(blocked_or(e, Blocked::OnWrite)),
            }
        }
        self.io.flush().map_err(|e| blocked_or(e, Blocked::OnWrite))
    }

    /// Alert and handshake records for a kernel-sealed direction, in order with
    /// the key changes between them.
    fn flush_kernel_ops(&mut self) -> Result<()> {
        if self.engine.send_abandoned() {
            // Nothing of an abandoned direction goes out: say why.
            if let Some(e) = self.engine.error() {
                return Err(e.clone());
            }
        }
        while let Some(op) = self.engine.next_kernel_op() {
            let Some(kernel) = self.kernel_tx.as_mut() else {
                return Err(Error::internal(
                    "kernel records queued without a kernel socket",
                ));
            };
            match op {
                KernelOp::Record { typ, data, sent } => {
                    while *sent < data.len() {
                        match kernel.send_control(*typ, &data[*sent..]) {
                            Ok(0) => {
                                return Err(Error::from(io::Error::new(
                                    io::ErrorKind::WriteZero,
                                    "kernel TLS socket wrote 0 bytes",
                                )))
                            }
                            Ok(n) => *sent += n,
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                            Err(e) => return Err(blocked_or(e, Blocked::OnWrite)),
                        }
                    }
                }
                KernelOp::RekeySend(keys) => {
                    let keys = DirectionKeys::new(keys.clone());
                    if let Err(e) = kernel.rekey(Direction::Send, &keys) {
                        // The KeyUpdate is out: the peer reads with the next key from
                        // now on, and the kernel would go on with the old one.
                        let err = Error::io_context(
                            "the kernel refused the next send key after KeyUpdate \
                             (TLS 1.3 rekey in kernel TLS needs Linux 6.14 or later)",
                            &e,
                        );
                        self.engine.drop_kernel_ops();
                        return Err(self.engine.fail(err));
                    }
                    self.tx_limit = KernelTxLimit::new(0, self.tx_limit.limit);
                }
            }
            self.engine.kernel_op_done();
        }
        Ok(())
    }

    /// Best effort: push out a fatal alert after an error.
    fn fail_flush(&mut self, e: Error) -> Error {
        let e = self.engine.fail(e);
        let _ = self.flush();
        e
    }

    /// Reads some transport bytes into the engine and processes them.
    /// `Ok(false)` means the transport reached end of stream.
    fn read_and_process(&mut self) -> Result<bool> {
        self.read_and_process_into(&mut []).map(|(open, _)| open)
    }

    /// One transport read, then every complete record processed; application
    /// data that fits goes into `dst`. Returns (transport still open, bytes in `dst`).
    fn read_and_process_into(&mut self, dst: &mut [u8]) -> Result<(bool, usize)> {
        if self.engine.left_userspace(Direction::Recv) {
            return self.kernel_read_and_process().map(|open| (open, 0));
        }
        let limit = if self.exact_record_reads {
            self.engine.bytes_needed()
        } else {
            usize::MAX
        };
        let space = self.engine.read_space(limit);
        let n = loop {
            match self.io.read(space) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(blocked_or(e, Blocked::OnRead)),
            }
        };
        if n == 0 {
            return Ok((false, 0));
        }
        self.engine.commit_read(n);
        match self.engine.process_into(dst) {
            Ok(got) => {
                if self.engine.error().is_some() {
                    // A record after the data in `dst` failed: its alert goes out now.
                    let _ = self.flush();
                }
                Ok((true, got))
            }
            Err(e) => Err(self.fail_flush(e)),
        }
    }

    /// One read from a kernel-opened socket, into the scratch buffer (always big
    /// enough for a whole record, so a control record never arrives in pieces).
    fn kernel_read_and_process(&mut self) -> Result<bool> {
        let mut scratch = std::mem::take(&mut self.kernel_scratch);
        scratch.resize(MAX_PLAINTEXT, 0);
        let r = self.kernel_recv_into(&mut scratch);
        let r = match r {
            Ok((typ, n)) => self.kernel_record(typ, &scratch[..n]),
            Err(e) => Err(e),
        };
        self.kernel_scratch = scratch;
        r
    }

    /// recvmsg on the kernel socket, mapping the kernel's errors to TLS ones.
    fn kernel_recv_into(&mut self, buf: &mut [u8]) -> Result<(u8, usize)> {
        let Some(kernel) = self.kernel_rx.as_mut() else {
            return Err(Error::internal("kernel receive without a kernel socket"));
        };
        loop {
            match kernel.recv(buf) {
                // A back end can't make us read past the buffer.
                Ok((typ, n)) => return Ok((typ, n.min(buf.len()))),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let err = match e.raw_os_error() {
                        // The kernel checks the records; we still owe the peer the alert.
                        Some(libc::EBADMSG) => Error::protocol(
                            crate::AlertDescription::BAD_RECORD_MAC,
                            "kernel TLS: a record failed authentication",
                        ),
                        Some(libc::EMSGSIZE) => Error::protocol(
                            crate::AlertDescription::RECORD_OVERFLOW,
                            "kernel TLS: a record is too long",
                        ),
                        Some(libc::EKEYEXPIRED) => Error::internal(
                            "kernel TLS waits for the next receive key after a KeyUpdate",
                        ),
                        _ => return Err(blocked_or(e, Blocked::OnRead)),
                    };
                    return Err(self.fail_flush(err));
                }
            }
        }
    }

    /// A record the kernel decrypted: application data (`Ok(true)`), end of
    /// stream (`Ok(false)`), or a control record for the engine.
    fn kernel_record(&mut self, typ: u8, data: &[u8]) -> Result<bool> {
        if typ == crate::offload::content_type::APPLICATION_DATA && data.is_empty() {
            return Ok(false);
        }
        if let Err(e) = self.engine.process_kernel_record(typ, data) {
            return Err(self.fail_flush(e));
        }
        if let Some(keys) = self.engine.take_next_kernel_recv_keys() {
            let keys = DirectionKeys::new(keys);
            let r = match self.kernel_rx.as_mut() {
                Some(k) => k.rekey(Direction::Recv, &keys),
                None => Err(io::Error::other("no kernel socket")),
            };
            if let Err(e) = r {
                let err = Error::io_context(
                    "the peer sent a KeyUpdate and the kernel refused its next key \
                     (TLS 1.3 rekey in kernel TLS needs Linux 6.14 or later)",
                    &e,
                );
                return Err(self.fail_flush(err));
            }
        }
        Ok(true)
    }

    /// Performs the handshake. Call again after a `Blocked` error.
    pub fn negotiate(&mut self) -> Result<()> {
        if let Err(e) = self.engine.start() {
            return Err(self.fail_flush(e));
        }
        loop {
            if let Some(e) = self.engine.error() {
                let e = e.clone();
                let _ = self.flush();
                return Err(e);
            }
            self.flush()?;
            if self.engine.is_handshake_complete() {
                return Ok(());
            }
            if !self.read_and_process()? {
                return Err(Error::closed(
                    "peer closed the connection during the handshake",
                ));
            }
        }
    }

    /// True once the handshake completed.
    pub fn is_handshake_complete(&self) -> bool {
        self.engine.is_handshake_complete()
    }

    /// Sends application data; returns how many bytes of `data` were written, which can be
    /// fewer than `data.len()` (call again with the rest). In non-blocking mode, a `Blocked`
    /// error means nothing more was written: call again with the same remaining data.
    pub fn send(&mut self, data: &[u8]) -> Result<usize> {
        self.sendv_with_offset(&[IoSlice::new(data)], 0)
    }

    /// Like [`send`](Self::send) over several buffers, starting `offset` bytes in.
    pub fn sendv_with_offset(&mut self, bufs: &[IoSlice<'_>], offset: usize) -> Result<usize> {
        if !self.engine.is_handshake_complete() {
            self.negotiate()?;
        }
        let total: usize = bufs
            .iter()
            .map(|b| b.len())
            .sum::<usize>()
            .saturating_sub(offset);
        if self.send_sealed > total {
            return Err(Error::usage(
                "send called with less data than the previous call left pending",
            ));
        }
        if self.engine.is_kernel(Direction::Send) {
            return self.kernel_send(bufs, offset, total);
        }
        // Records sealed by an earlier call that blocked: finish writing them first.
        self.flush()?;
        let mut done = std::mem::take(&mut self.send_sealed);
        let mut record = Vec::new();
        let now = std::time::Instant::now();
        let overhead = self.engine.send_overhead();
        while done < total {
            let mut sealed_now = 0;
            while done + sealed_now < total && self.engine.pending_output().len() < FLUSH_THRESHOLD
            {
                let limit = self.sizing.limit(now, overhead);
                let want = limit.min(total - done - sealed_now);
                // Seal straight from the caller's buffer when the record lies in one
                // slice; gather into a scratch record only across slice boundaries.
                let r = match contiguous(bufs, offset + done + sealed_now, want) {
                    Some(slice) => self.engine.write_app_record(slice).map(|()| slice.len()),
                    None => {
                        let n = gather(bufs, offset + done + sealed_now, want, &mut record);
                        self.engine.write_app_record(&record).map(|()| n)
                    }
                };
                let n = match r {
                    Ok(n) => n,
                    Err(e) => {
                        let _ = self.flush();
                        return if done > 0 { Ok(done) } else { Err(e) };
                    }
                };
                self.sizing.sent(now, n);
                sealed_now += n;
            }
            match self.flush() {
                Ok(()) => done += sealed_now,
                Err(e) if e.is_blocked() => {
                    self.send_sealed = sealed_now;
                    return if done > 0 { Ok(done) } else { Err(e) };
                }
                Err(e) => {
                    return if done > 0 { Ok(done) } else { Err(e) };
                }
            }
        }
        Ok(done)
    }

    /// Application data through a kernel-sealed socket: the kernel makes the records.
    fn kernel_send(&mut self, bufs: &[IoSlice<'_>], offset: usize, total: usize) -> Result<usize> {
        self.flush()?;
        self.before_kernel_send()?;
        // Bytes an earlier blocked call handed over before the switch to the kernel.
        let done = std::mem::take(&mut self.send_sealed);
        if done == total {
            return Ok(done);
        }
        let now = std::time::Instant::now();
        let mut done = done;
        loop {
            // Each write to a kTLS socket ends a record, so small records are
            // bounded writes; and no write may carry the key past its next check.
            let limit = self.sizing.limit(now, self.kernel_overhead);
            let small = limit < MAX_PLAINTEXT;
            let cap = if small {
                limit
            } else {
                self.tx_limit.bytes_until_check()
            };
            let slices = slices_from(bufs, offset + done, cap);
            let Some(kernel) = self.kernel_tx.as_mut() else {
                return Err(Error::internal("kernel send without a kernel socket"));
            };
            match kernel.send(&slices) {
                Ok(n) => {
                    self.tx_limit.sent(n);
                    self.sizing.sent(now, n);
                    done += n;
                    if done == total || n < cap {
                        return Ok(done);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) if done > 0 => return Ok(done),
                Err(e) => return Err(blocked_or(e, Blocked::OnWrite)),
            }
            if self.before_kernel_send().is_err() {
                // What went out is reported; the error comes again with the next call.
                return Ok(done);
            }
        }
    }

    /// Sends only small records from now on (one per 1500-byte frame), so the
    /// receiver can decrypt sooner (s2n's `prefer_low_latency`).
    pub fn prefer_low_latency(&mut self) {
        self.sizing.prefer_low_latency();
    }

    /// Sends full 16 KiB records (the default; s2n's `prefer_throughput`).
    pub fn prefer_throughput(&mut self) {
        self.sizing.prefer_throughput();
    }

    /// Dynamic record sizing: the first `resize_threshold` bytes go in small
    /// records (one per 1500-byte frame), then full ones; after `timeout`
    /// without sending, small again. Threshold 0 turns it off. Holds for kernel
    /// TLS too (bounded writes, each of which the kernel seals as one record).
    pub fn set_dynamic_record_threshold(
        &mut self,
        resize_threshold: u32,
        timeout: std::time::Duration,
    ) {
        self.sizing.set_dynamic(resize_threshold as usize, timeout);
    }

    /// The sequence number of the next record this side will send under the
    /// current key (read back from the kernel when it seals the records).
    pub fn send_record_seq(&mut self) -> Result<u64> {
        if self.engine.is_kernel(Direction::Send) {
            let Some(kernel) = self.kernel_tx.as_mut() else {
                return Err(Error::internal("kernel send without a kernel socket"));
            };
            return kernel
                .send_seq()
                .map_err(|e| Error::io_context("reading the kernel's send sequence number", &e));
        }
        self.engine
            .send_key_usage()
            .map(|(seq, _, _)| seq)
            .ok_or_else(|| Error::usage("no send key yet"))
    }

    /// Checks before application data goes to the kernel: not failed, not closed,
    /// and the send key not at its AEAD usage limit (a TLS 1.3 KeyUpdate where the
    /// kernel can rekey, else a clean close).
    fn before_kernel_send(&mut self) -> Result<()> {
        if let Some(e) = self.engine.error() {
            return Err(e.clone());
        }
        if self.engine.sent_close_notify() {
            return Err(Error::closed(
                "close_notify already sent; no more data can be sent",
            ));
        }
        if self.tx_limit.estimate < self.tx_limit.check_at {
            return Ok(());
        }
        let Some(kernel) = self.kernel_tx.as_mut() else {
            return Err(Error::internal("kernel send without a kernel socket"));
        };
        let seq = kernel
            .send_seq()
            .map_err(|e| Error::io_context("reading the kernel's send sequence number", &e))?;
        self.tx_limit.rearm(seq);
        if seq < self.tx_limit.limit {
            return Ok(());
        }
        if !self.engine.is_tls12() && kernel.can_rekey() {
            self.engine.key_update(false)?;
            return self.flush();
        }
        self.engine.send_close_notify();
        self.flush()?;
        Err(Error::closed(if self.engine.is_tls12() {
            "TLS 1.2 key reached its AEAD usage limit; connection closed (reconnect to continue)"
        } else {
            "send key reached its AEAD usage limit and this kernel cannot rekey kernel TLS \
             (Linux 6.14+); connection closed (reconnect to continue)"
        }))
    }

    /// For callers that write application data to a kernel-sealed socket
    /// themselves (an io_uring `SEND` or `SPLICE`, bypassing [`send`](Self::send)):
    /// runs the checks `send` runs before each write — pending control records
    /// (KeyUpdate answers) go out first, and at the send key's AEAD usage limit
    /// the key is replaced (TLS 1.3 KeyUpdate where the kernel can rekey) or the
    /// connection closes cleanly (`Closed` error) — and says how much the next
    /// write may carry. Report what the kernel took with
    /// [`kernel_wrote`](Self::kernel_wrote).
    pub fn kernel_write_budget(&mut self) -> Result<KernelWrite> {
        if !self.engine.is_kernel(Direction::Send) {
            return Err(Error::usage(
                "the kernel does not seal this connection's records",
            ));
        }
        if self.send_sealed != 0 {
            return Err(Error::usage(
                "a blocked send is unfinished; finish it with send before writing to the socket",
            ));
        }
        self.flush()?;
        self.before_kernel_send()?;
        let limit = self
            .sizing
            .limit(std::time::Instant::now(), self.kernel_overhead);
        Ok(if limit < MAX_PLAINTEXT {
            KernelWrite {
                max: limit,
                small: true,
            }
        } else {
            KernelWrite {
                max: self.tx_limit.bytes_until_check(),
                small: false,
            }
        })
    }

    /// `n` plaintext bytes the caller wrote went into the kernel's records (see
    /// [`kernel_write_budget`](Self::kernel_write_budget)): counted towards the
    /// key's usage limit and record sizing.
    pub fn kernel_wrote(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        self.tx_limit.sent(n);
        self.sizing.sent(std::time::Instant::now(), n);
    }

    /// The caller read `n` bytes of application data from a kernel-opened
    /// socket itself (an io_uring `RECV`, bypassing [`recv`](Self::recv)):
    /// like data through `recv`, it ends the runs of KeyUpdates and warning
    /// alerts that Baton bounds (a peer sending only those is cut off).
    pub fn kernel_read(&mut self, n: usize) {
        if n > 0 {
            self.engine.kernel_app_data_received();
        }
    }

    /// Sends `len` bytes of `file` starting at `offset`, as application data.
    ///
    /// With kernel TLS send the kernel encrypts straight from the page cache
    /// (sendfile; zero-copy if `baton_ktls` enabled it — then the file must not
    /// change while in flight). Otherwise the bytes are read here and sealed
    /// into records. Returns how many bytes went out, which can be fewer than
    /// `len` (call again from `offset + n`), and fewer at end of file.
    pub fn sendfile(&mut self, file: BorrowedFd<'_>, offset: u64, len: usize) -> Result<usize> {
        if !self.engine.is_handshake_complete() {
            self.negotiate()?;
        }
        if self.engine.is_kernel(Direction::Send) && self.send_sealed == 0 {
            self.flush()?;
            self.before_kernel_send()?;
            let Some(kernel) = self.kernel_tx.as_mut() else {
                return Err(Error::internal("kernel send without a kernel socket"));
            };
            let now = std::time::Instant::now();
            let limit = self.sizing.limit(now, self.kernel_overhead);
            // Small records: one bounded sendfile per record.
            let len = if limit < MAX_PLAINTEXT {
                len.min(limit)
            } else {
                len
            };
            return loop {
                match kernel.sendfile(file, offset, len) {
                    Ok(n) => {
                        self.tx_limit.sent(n);
                        self.sizing.sent(now, n);
                        break Ok(n);
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => break Err(blocked_or(e, Blocked::OnWrite)),
                }
            };
        }
        // Userspace: read a chunk, seal and send it. A blocked send is retried by the
        // caller from the same offset, which reads the same bytes again.
        let mut buf = vec![0u8; len.min(FLUSH_THRESHOLD)];
        let mut done = 0;
        while done < len {
            let want = (len - done).min(buf.len());
            let Some(at) = offset
                .checked_add(done as u64)
                .and_then(|o| i64::try_from(o).ok())
            else {
                return if done > 0 {
                    Ok(done)
                } else {
                    Err(Error::usage("sendfile offset out of range"))
                };
            };
            let n = loop {
                match nix::sys::uio::pread(file, &mut buf[..want], at) {
                    Ok(n) => break n,
                    Err(nix::errno::Errno::EINTR) => continue,
                    Err(e) => {
                        let e = io::Error::from(e);
                        return if done > 0 {
                            Ok(done)
                        } else {
                            Err(Error::io_context("reading the file to send", &e))
                        };
                    }
                }
            };
            if n == 0 {
                break;
            }
            match self.send(&buf[..n]) {
                Ok(m) => {
                    done += m;
                    if m < n {
                        break;
                    }
                }
                Err(_) if done > 0 => break,
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }

    /// Receives application data into `buf`; `Ok(0)` means the peer sent close_notify.
    /// Returns after at most one record's worth when data is already available.
    pub fn recv(&mut self, buf: &mut [u8]) -> Result<usize> {
        if !self.engine.is_handshake_complete() {
            self.negotiate()?;
        }
        loop {
            if self.engine.app_available() > 0 && !buf.is_empty() {
                return Ok(self.engine.read_app(buf));
            }
            if self.engine.received_close_notify() {
                return Ok(0);
            }
            if let Some(e) = self.engine.error() {
                return Err(e.clone());
            }
            if buf.is_empty() {
                return Ok(0);
            }
            if self.engine.left_userspace(Direction::Recv) && buf.len() >= MAX_PLAINTEXT {
                // Straight into the caller's buffer, which holds any whole record.
                self.flush_or_blocked()?;
                let (typ, n) = self.kernel_recv_into(buf)?;
                if typ == crate::offload::content_type::APPLICATION_DATA && n > 0 {
                    self.engine.kernel_app_data_received();
                    return Ok(n);
                }
                let record = buf[..n].to_vec();
                if !self.kernel_record(typ, &record)? {
                    return Err(Error::closed(
                        "peer closed the transport without close_notify (data may be truncated)",
                    ));
                }
                continue;
            }
            // KeyUpdate answers and alerts must not wait behind our read.
            match self.flush() {
                Ok(()) => {}
                Err(e) if e.is_blocked() => {}
                Err(e) => return Err(e),
            }
            // Records that fit whole go straight into `buf` (no queue copy).
            match self.read_and_process_into(buf)? {
                (_, n) if n > 0 => return Ok(n),
                (true, _) => {}
                (false, _) => {
                    return Err(Error::closed(
                        "peer closed the transport without close_notify (data may be truncated)",
                    ))
                }
            }
        }
    }

    fn flush_or_blocked(&mut self) -> Result<()> {
        match self.flush() {
            Err(e) if !e.is_blocked() => Err(e),
            _ => Ok(()),
        }
    }

    /// Decrypted bytes ready for `recv` without touching the transport.
    pub fn peek(&self) -> usize {
        self.engine.app_available()
    }

    /// Frees this connection's I/O buffers (record input and output, decrypted
    /// data, kernel-receive scratch) while they hold nothing, so an idle
    /// connection costs little memory; they are allocated again on the next
    /// send or receive (s2n's `s2n_connection_release_buffers`).
    ///
    /// Refuses with an [`ErrorKind::Usage`] error, changing nothing, while any
    /// bytes are pending: records not yet written to the transport (call
    /// [`flush`](Self::flush) until it succeeds), part of a record or handshake
    /// message received, or decrypted data not yet read with
    /// [`recv`](Self::recv).
    pub fn release_buffers(&mut self) -> Result<()> {
        if self.send_sealed > 0 {
            return Err(Error::usage(
                "release_buffers: a send is still in progress (call send again with the rest)",
            ));
        }
        self.engine.release_buffers()?;
        self.kernel_scratch = Vec::new();
        Ok(())
    }

    /// Sends close_notify and waits for the peer's (s2n's `shutdown`). Application data
    /// that arrives meanwhile is discarded. The transport stays open.
    pub fn shutdown(&mut self) -> Result<()> {
        self.shutdown_send()?;
        let mut sink = [0u8; 4096];
        while !self.engine.received_close_notify() {
            if let Some(e) = self.engine.error() {
                return Err(e.clone());
            }
            if self.engine.app_available() > 0 {
                self.engine.read_app(&mut sink);
                continue;
            }
            if !self.read_and_process()? {
                // The peer closed the transport; our close_notify is out, so we are done.
                return Ok(());
            }
        }
        Ok(())
    }

    /// Sends close_notify without waiting (half-close): `recv` keeps working until the
    /// peer closes its side.
    pub fn shutdown_send(&mut self) -> Result<()> {
        if let Some(e) = self.engine.error() {
            let e = e.clone();
            let _ = self.flush();
            return Err(e);
        }
        if self.engine.is_handshake_complete() || self.engine.seals_in_userspace() {
            self.engine.send_close_notify();
        }
        self.flush()
    }

    /// Sends a TLS 1.3 KeyUpdate, optionally asking the peer to update too.
    pub fn request_key_update(&mut self, peer_too: bool) -> Result<()> {
        self.engine.key_update(peer_too)?;
        self.flush()
    }

    /// Keying material exporter (RFC 8446 §7.5, RFC 5705): `out.len()` bytes derived from
    /// the handshake for `label` and `context`. Available once the handshake completed.
    pub fn export_keying_material(
        &self,
        label: &[u8],
        context: &[u8],
        out: &mut [u8],
    ) -> Result<()> {
        if !self.engine.is_handshake_complete() {
            return Err(Error::usage(
                "keying material is exported after the handshake",
            ));
        }
        use crate::engine::Exporter;
        match self.engine.exporter() {
            Some(Exporter::Tls13(alg, secret)) => {
                crate::tls13::key_schedule::export(*alg, secret, label, context, out)
            }
            // TLS 1.2: the context is always present (RFC 5705 §4), as in TLS 1.3,
            // where an empty context and no context are the same.
            Some(Exporter::Tls12 {
                hash,
                master,
                client_random,
                server_random,
            }) => {
                let v = crate::tls12::prf::export(
                    *hash,
                    master,
                    label,
                    Some(context),
                    client_random,
                    server_random,
                    out.len(),
                )?;
                out.copy_from_slice(&v);
                Ok(())
            }
            None => Err(Error::usage("no exporter secret on this connection")),
        }
    }

    // ---- event-loop driving (no transport: the caller moves the bytes) ----

    /// Event loops (io_uring, epoll) that own the socket drive a connection with
    /// these instead of a transport: hand in what arrived with
    /// [`feed_tls`](Self::feed_tls), send what [`pending_tls`](Self::pending_tls)
    /// shows and [`consume_tls`](Self::consume_tls) it.
    ///
    /// Starts the handshake if needed and reports whether it completed. Errors are
    /// fatal (the alert is already in `pending_tls`).
    pub fn poll_handshake(&mut self) -> Result<bool> {
        if let Err(e) = self.engine.start() {
            return Err(self.engine.fail(e));
        }
        if let Some(e) = self.engine.error() {
            return Err(e.clone());
        }
        Ok(self.engine.is_handshake_complete())
    }

    /// How many bytes the next record still needs (its header first). A loop that
    /// never reads more than this from the socket stops exactly at record
    /// boundaries, which kernel TLS receive requires.
    pub fn tls_bytes_needed(&self) -> usize {
        self.engine.bytes_needed()
    }

    /// Ciphertext from the peer: buffers it and processes every complete record
    /// (handshake messages, alerts, application data for
    /// [`take_plaintext`](Self::take_plaintext)). All of `data` is taken.
    pub fn feed_tls(&mut self, mut data: &[u8]) -> Result<()> {
        if let Some(e) = self.engine.error() {
            return Err(e.clone());
        }
        while !data.is_empty() {
            let space = self.engine.read_space(data.len());
            if space.is_empty() {
                return Err(Error::internal("record buffer full after processing"));
            }
            let n = space.len().min(data.len());
            space[..n].copy_from_slice(&data[..n]);
            self.engine.commit_read(n);
            data = &data[n..];
            if let Err(e) = self.engine.process() {
                return Err(self.engine.fail(e));
            }
        }
        Ok(())
    }

    /// Ciphertext waiting to go to the peer (handshake flights, alerts, records
    /// sealed by [`seal_plaintext`](Self::seal_plaintext)).
    pub fn pending_tls(&self) -> &[u8] {
        self.engine.pending_output()
    }

    /// Marks the first `n` bytes of [`pending_tls`](Self::pending_tls) as sent.
    pub fn consume_tls(&mut self, n: usize) {
        self.engine.consume_output(n);
    }

    /// Moves all of [`pending_tls`](Self::pending_tls) to the end of `dst` (for
    /// a loop with its own send queue). When `dst` is empty the buffers are
    /// swapped, not copied, so records are sealed once and never copied after.
    pub fn take_pending_tls(&mut self, dst: &mut Vec<u8>) {
        self.engine.take_output(dst);
    }

    /// Copies decrypted application data into `buf`; returns the count (0: none
    /// buffered — see [`peer_closed`](Self::peer_closed) for the end).
    pub fn take_plaintext(&mut self, buf: &mut [u8]) -> usize {
        self.engine.read_app(buf)
    }

    /// True once the peer's close_notify arrived.
    pub fn peer_closed(&self) -> bool {
        self.engine.received_close_notify()
    }

    /// Seals `data` into records (sized as the record-sizing settings say) and
    /// appends them to [`pending_tls`](Self::pending_tls). Returns how much of
    /// `data` was taken: all of it, unless 64 KiB of ciphertext is already
    /// waiting (send some, then call again with the rest).
    pub fn seal_plaintext(&mut self, data: &[u8]) -> Result<usize> {
        if !self.engine.is_handshake_complete() {
            return Err(Error::usage(
                "seal_plaintext before the handshake completed",
            ));
        }
        if self.engine.is_kernel(Direction::Send) {
            return Err(Error::usage(
                "the kernel seals this connection's records: write plaintext to the socket",
            ));
        }
        let now = std::time::Instant::now();
        let overhead = self.engine.send_overhead();
        let mut done = 0;
        while done < data.len() && self.engine.pending_output().len() < FLUSH_THRESHOLD {
            let want = self.sizing.limit(now, overhead).min(data.len() - done);
            if let Err(e) = self.engine.write_app_record(&data[done..done + want]) {
                return if done > 0 { Ok(done) } else { Err(e) };
            }
            self.sizing.sent(now, want);
            done += want;
        }
        Ok(done)
    }

    /// Queues close_notify into [`pending_tls`](Self::pending_tls) (once).
    pub fn queue_close_notify(&mut self) {
        if self.engine.is_handshake_complete() || self.engine.seals_in_userspace() {
            self.engine.send_close_notify();
        }
    }

    // ---- kernel TLS hand-off (used by baton-ktls) ----

    /// The socket this connection reads and writes, if it was given one with
    /// [`set_fd`](Self::set_fd).
    pub fn socket(&self) -> Option<&Arc<OwnedFd>> {
        match &self.io {
            Io::Fd(fd) => Some(fd),
            _ => None,
        }
    }

    /// Per direction, whether the kernel or Baton protects the records, and why.
    pub fn ktls_status(&self) -> KtlsStatus {
        KtlsStatus {
            send: self.send_path.clone(),
            recv: self.recv_path.clone(),
        }
    }

    /// Starts moving `dir` to a kernel back end, if it can move now: after the
    /// handshake, nothing failed, at a record boundary, with nothing of that
    /// direction buffered (queued send records are flushed first on a socket),
    /// and not moved before. Otherwise a Usage error saying why, and nothing
    /// changes. The grant hands the keys out once and must then be committed
    /// or declined: see [`crate::offload`] for the rules.
    pub fn begin_kernel_offload(&mut self, dir: Direction) -> Result<OffloadGrant<'_>> {
        if matches!(self.io, Io::Fd(_)) && dir == Direction::Send {
            self.flush_userspace()?;
        }
        let keys = self.engine.offload_keys(dir)?;
        Ok(OffloadGrant::new(self, dir, keys))
    }

    /// The kernel installed `dir`'s keys on the socket that `io` drives: from
    /// now on records of that direction go through `io` only. Infallible, so a
    /// connection can never be left half-way between the two record layers.
    pub(crate) fn offload_commit(&mut self, dir: Direction, io: Box<dyn KernelRecordIo>) {
        if dir == Direction::Send {
            let (seq, limit, overhead) = self.engine.send_key_usage().unwrap_or((0, 1 << 24, 29));
            self.tx_limit = KernelTxLimit::new(seq, limit);
            self.kernel_overhead = overhead;
        }
        if let Err(e) = self.engine.move_to_kernel(dir) {
            // The grant checked this; should it ever fail, the keys are out
            // and the direction is nobody's.
            self.engine.fail(e);
        }
        match dir {
            Direction::Send => {
                self.kernel_tx = Some(io);
                self.send_path = RecordPath::Kernel;
            }
            Direction::Recv => {
                self.kernel_rx = Some(io);
                self.recv_path = RecordPath::Kernel;
            }
        }
    }

    /// A grant whose keys went out was dropped uncommitted: the keys may sit in
    /// a kernel nobody drives. The direction leaves Baton's record layer (its
    /// key is dropped, its records would only queue for a kernel back end that
    /// does not exist) and the connection fails, so nothing of that direction
    /// moves again, in clear or under a key the kernel may also use.
    pub(crate) fn offload_abandon(&mut self, dir: Direction) {
        self.engine.abandon(
            dir,
            "the kernel TLS hand-off was abandoned after its keys were taken",
        );
        let path = RecordPath::Userspace(Cow::Borrowed(
            "none: the kernel TLS hand-off was abandoned after its keys were taken (connection failed)",
        ));
        match dir {
            Direction::Send => self.send_path = path,
            Direction::Recv => self.recv_path = path,
        }
    }

    /// Records why `dir` stays in userspace (shown by [`ktls_status`](Self::ktls_status)).
    pub fn note_userspace(&mut self, dir: Direction, why: impl Into<Cow<'static, str>>) {
        let path = RecordPath::Userspace(why.into());
        // A direction that left Baton's record layer (committed, or abandoned
        // mid-hand-off) keeps what its status says.
        match dir {
            Direction::Send if !self.engine.left_userspace(Direction::Send) => {
                self.send_path = path
            }
            Direction::Recv if !self.engine.left_userspace(Direction::Recv) => {
                self.recv_path = path
            }
            _ => {}
        }
    }

    /// Test hook: the record count at which a kernel-sealed send key is replaced.
    #[doc(hidden)]
    pub fn set_kernel_send_key_limit_for_test(&mut self, records: u64) {
        let exact = self.tx_limit.estimate;
        self.tx_limit.limit = records;
        self.tx_limit.rearm(exact);
    }

    // ---- connection info ----

    /// Client or server.
    pub fn mode(&self) -> Mode {
        self.engine.mode()
    }

    /// The negotiated protocol version.
    pub fn actual_protocol_version(&self) -> Option<ProtocolVersion> {
        self.engine.info().version
    }

    /// The highest version the client offered.
    pub fn client_protocol_version(&self) -> Option<ProtocolVersion> {
        self.engine.info().client_version
    }

    /// The highest version the server supports (as far as this side knows).
    pub fn server_protocol_version(&self) -> Option<ProtocolVersion> {
        self.engine.info().server_version
    }

    /// The negotiated cipher suite.
    pub fn cipher_suite(&self) -> Option<CipherSuite> {
        self.engine.info().suite
    }

    /// The key exchange group.
    pub fn kx_group(&self) -> Option<NamedGroup> {
        self.engine.info().group
    }

    /// The negotiated ALPN protocol.
    pub fn alpn(&self) -> Option<&[u8]> {
        self.engine.info().alpn.as_deref()
    }

    /// Client: the name set with `set_server_name`; server: the SNI the client sent.
    pub fn server_name(&self) -> Option<&str> {
        self.engine.info().server_name.as_deref()
    }

    /// The peer's certificate chain (leaf first, DER), as received.
    pub fn peer_cert_chain(&self) -> &[Vec<u8>] {
        &self.engine.info().peer_chain
    }

    /// Server: the certificate chosen for this handshake.
    pub fn selected_cert(&self) -> Option<&CertChainAndKey> {
        self.engine.info().selected_cert.as_deref()
    }

    /// The signature scheme this side signed with.
    pub fn signature_scheme(&self) -> Option<SignatureScheme> {
        self.engine.info().signature_scheme
    }

    /// The signature scheme the peer signed with.
    pub fn peer_signature_scheme(&self) -> Option<SignatureScheme> {
        self.engine.info().peer_signature_scheme
    }

    /// True if the handshake used a HelloRetryRequest.
    pub fn used_hello_retry(&self) -> bool {
        self.engine.info().hello_retry
    }

    /// The error that failed the connection, if any.
    pub fn last_error(&self) -> Option<&Error> {
        self.engine.error()
    }

    /// The kind of failure, if the connection failed.
    pub fn error_kind(&self) -> Option<ErrorKind> {
        self.engine.error().map(|e| e.kind())
    }
}

/// At most `max` bytes of `bufs`, starting `offset` bytes in.
fn slices_from<'a>(bufs: &'a [IoSlice<'_>], mut offset: usize, mut max: usize) -> Vec<IoSlice<'a>> {
    let mut out = Vec::with_capacity(bufs.len());
    for b in bufs {
        if max == 0 {
            break;
        }
        if offset >= b.len() {
            offset -= b.len();
            continue;
        }
        let take = (b.len() - offset).min(max);
        out.push(IoSlice::new(&b[offset..offset + take]));
        max -= take;
        offset = 0;
    }
    out
}

/// The `len` bytes starting `offset` bytes into `bufs`, if they lie in one slice.
fn contiguous<'a>(bufs: &'a [IoSlice<'_>], mut offset: usize, len: usize) -> Option<&'a [u8]> {
    for b in bufs {
        if offset < b.len() {
            return b.get(offset..offset + len);
        }
        offset -= b.len();
    }
    None
}

/// Copies up to `max` bytes starting `offset` bytes into `bufs` into `out`; returns the count.
fn gather(bufs: &[IoSlice<'_>], mut offset: usize, max: usize, out: &mut Vec<u8>) -> usize {
    out.clear();
    for b in bufs {
        if offset >= b.len() {
            offset -= b.len();
            continue;
        }
        let take = (b.len() - offset).min(max - out.len());
        out.extend_from_slice(&b[offset..offset + take]);
        offset = 0;
        if out.len() == max {
            break;
        }
    }
    out.len()
}
