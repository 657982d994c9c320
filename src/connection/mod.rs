//! A connection's three types, one job each: [`Session`], the sans-IO core
//! (the engine and the vocabulary for bytes in and out); [`Connection`], the
//! s2n-style driver of a session over a transport it owns (a socket fd, any
//! `Read + Write`, or send/recv callbacks); and [`KernelSession`], what the
//! hand-off to kernel TLS consumes a `Connection` into (per direction a
//! kernel back end or the userspace record layer).

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

mod client_auth;
mod early;
mod info;
mod io_impl;
mod kernel;
mod kernel_session;
mod session;
mod status;

pub use io_impl::Transport;
use io_impl::{blocked_or, contiguous, gather, slices_from, Io, FLUSH_THRESHOLD};
pub use kernel::KernelWrite;
use kernel::{KernelRecv, KernelSend, KernelTxLimit, RecvPath, SendPath};
pub use kernel_session::KernelSession;
pub use session::Session;

/// One TLS connection, client or server, driven over a transport it owns.
///
/// Works with blocking and non-blocking transports: in non-blocking mode a call
/// that cannot progress returns an error of kind [`ErrorKind::Blocked`] with
/// [`Error::blocked_on`] saying which direction to wait for; call it again then.
pub struct Connection {
    session: Session,
    io: Io,
    /// Bytes of the caller's data already sealed into records that are not yet
    /// fully written; the next `send` call's data starts with them.
    send_sealed: usize,
    exact_record_reads: bool,
    /// Per direction, userspace or a kernel back end. Always userspace in a
    /// `Connection`; only a [`KernelSession`] (which wraps one) moves them.
    tx: SendPath,
    rx: RecvPath,
}

impl core::fmt::Debug for Connection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Connection")
            .field("session", &self.session)
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

impl Connection {
    /// A new connection using `config` (shared, not copied).
    pub fn new(mode: Mode, config: &Config) -> Self {
        Self::from_session(Session::new(mode, config))
    }

    /// A connection that drives `session` (no transport yet: set one with
    /// [`set_fd`](Self::set_fd), [`set_io`](Self::set_io) or
    /// [`set_io_callbacks`](Self::set_io_callbacks)). An event loop that ran
    /// the handshake itself hands its session over this way.
    pub fn from_session(session: Session) -> Self {
        Self {
            session,
            io: Io::None,
            send_sealed: 0,
            exact_record_reads: false,
            tx: SendPath::Userspace(Cow::Borrowed("kernel TLS not enabled")),
            rx: RecvPath::Userspace(Cow::Borrowed("kernel TLS not enabled")),
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
        self.session.set_server_name(name)
    }

    /// Overrides the config's ALPN preferences for this connection.
    pub fn set_alpn_preferences<P: AsRef<[u8]>>(&mut self, protocols: &[P]) -> Result<()> {
        self.session.set_alpn_preferences(protocols)
    }

    /// Client: the session to resume (see [`Session::set_saved_session`]).
    pub fn set_saved_session(&mut self, session: crate::SavedSession) -> Result<()> {
        self.session.set_saved_session(session)
    }

    /// Adds an external PSK for this connection (see [`Session::add_psk`]).
    pub fn add_psk(&mut self, psk: crate::psk::ExternalPsk) -> Result<()> {
        self.session.add_psk(psk)
    }

    /// Server, TLS 1.3: sends `n` more tickets (see [`Session::add_tickets_to_send`]).
    pub fn add_tickets_to_send(&mut self, n: u8) -> Result<()> {
        self.session.add_tickets_to_send(n)
    }

    /// Uses a connected socket: an [`OwnedFd`] (e.g. `OwnedFd::from(tcp_stream)`),
    /// or an `Arc<OwnedFd>` the caller keeps using too (an event loop). The
    /// socket stays open while the connection or a kernel back end holds it.
    /// Blocking and `O_NONBLOCK` both work. (A Usage error only if the
    /// session's records had left userspace, which a `Connection` never
    /// allows: the hand-off consumes it into a [`KernelSession`], which has
    /// no `set_fd`.)
    pub fn set_fd(&mut self, fd: impl Into<Arc<OwnedFd>>) -> Result<()> {
        if self.session.engine.left_userspace(Direction::Send)
            || self.session.engine.left_userspace(Direction::Recv)
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
        while !self.session.engine.pending_output().is_empty() {
            match self.io.write(self.session.engine.pending_output()) {
                Ok(0) => {
                    return Err(Error::from(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "transport wrote 0 bytes",
                    )))
                }
                Ok(n) => self.session.engine.consume_output(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(blocked_or(e, Blocked::OnWrite)),
            }
        }
        self.io.flush().map_err(|e| blocked_or(e, Blocked::OnWrite))
    }

    /// Best effort: push out a fatal alert after an error.
    fn fail_flush(&mut self, e: Error) -> Error {
        let e = self.session.engine.fail(e);
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
        if self.session.engine.left_userspace(Direction::Recv) {
            return self.kernel_read_and_process().map(|open| (open, 0));
        }
        let limit = if self.exact_record_reads {
            self.session.engine.bytes_needed()
        } else {
            usize::MAX
        };
        let space = self.session.engine.read_space(limit);
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
        self.session.engine.commit_read(n);
        match self.session.engine.process_into(dst) {
            // The handshake waits for the application: not a failure.
            Err(e) if e.is_blocked() => Err(e),
            Ok(got) => {
                if self.session.engine.error().is_some() {
                    // A record after the data in `dst` failed: its alert goes out now.
                    let _ = self.flush();
                }
                Ok((true, got))
            }
            Err(e) => Err(self.fail_flush(e)),
        }
    }

    /// Performs the handshake. Call again after a `Blocked` error; one with
    /// [`Blocked::OnApplicationInput`] means the handshake waits for the
    /// application (see [`Session::poll_handshake`]), also on a blocking
    /// transport.
    pub fn negotiate(&mut self) -> Result<()> {
        if let Err(e) = self.session.engine.start() {
            return Err(self.fail_flush(e));
        }
        loop {
            if let Some(e) = self.session.engine.error() {
                let e = e.clone();
                let _ = self.flush();
                return Err(e);
            }
            self.flush()?;
            if self.session.engine.is_handshake_complete() {
                return Ok(());
            }
            if self.session.engine.awaits_application() {
                // Reading now could wait forever: the peer waits for us.
                match self.session.engine.process() {
                    Err(e) if e.is_blocked() => return Err(e),
                    Err(e) => return Err(self.fail_flush(e)),
                    Ok(()) => continue,
                }
            }
            if !self.read_and_process()? {
                return Err(Error::closed(
                    "peer closed the connection during the handshake",
                ));
            }
        }
    }

    /// Sends application data; returns how many bytes of `data` were written, which can be
    /// fewer than `data.len()` (call again with the rest). In non-blocking mode, a `Blocked`
    /// error means nothing more was written: call again with the same remaining data.
    pub fn send(&mut self, data: &[u8]) -> Result<usize> {
        self.sendv_with_offset(&[IoSlice::new(data)], 0)
    }

    /// Like [`send`](Self::send) over several buffers, starting `offset` bytes in.
    pub fn sendv_with_offset(&mut self, bufs: &[IoSlice<'_>], offset: usize) -> Result<usize> {
        if !self.session.engine.is_handshake_complete() {
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
        if self.session.engine.is_kernel(Direction::Send) {
            return self.kernel_send(bufs, offset, total);
        }
        // Records sealed by an earlier call that blocked: finish writing them first.
        self.flush()?;
        let mut done = std::mem::take(&mut self.send_sealed);
        let mut record = Vec::new();
        let now = std::time::Instant::now();
        let overhead = self.session.engine.send_overhead();
        while done < total {
            let mut sealed_now = 0;
            while done + sealed_now < total
                && self.session.engine.pending_output().len() < FLUSH_THRESHOLD
            {
                let limit = self.session.sizing.limit(now, overhead);
                let want = limit.min(total - done - sealed_now);
                // Seal straight from the caller's buffer when the record lies in one
                // slice; gather into a scratch record only across slice boundaries.
                let r = match contiguous(bufs, offset + done + sealed_now, want) {
                    Some(slice) => self
                        .session
                        .engine
                        .write_app_record(slice)
                        .map(|()| slice.len()),
                    None => {
                        let n = gather(bufs, offset + done + sealed_now, want, &mut record);
                        self.session.engine.write_app_record(&record).map(|()| n)
                    }
                };
                let n = match r {
                    Ok(n) => n,
                    Err(e) => {
                        let _ = self.flush();
                        return if done > 0 { Ok(done) } else { Err(e) };
                    }
                };
                self.session.sizing.sent(now, n);
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

    /// Sends only small records from now on (one per 1500-byte frame), so the
    /// receiver can decrypt sooner (s2n's `prefer_low_latency`).
    pub fn prefer_low_latency(&mut self) {
        self.session.prefer_low_latency();
    }

    /// Sends full 16 KiB records (the default; s2n's `prefer_throughput`).
    pub fn prefer_throughput(&mut self) {
        self.session.prefer_throughput();
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
        self.session
            .set_dynamic_record_threshold(resize_threshold, timeout);
    }

    /// Sends `len` bytes of `file` starting at `offset`, as application data.
    ///
    /// With kernel TLS send the kernel encrypts straight from the page cache
    /// (sendfile; zero-copy if `baton_ktls` enabled it — then the file must not
    /// change while in flight). Otherwise the bytes are read here and sealed
    /// into records. Returns how many bytes went out, which can be fewer than
    /// `len` (call again from `offset + n`), and fewer at end of file.
    pub fn sendfile(&mut self, file: BorrowedFd<'_>, offset: u64, len: usize) -> Result<usize> {
        if !self.session.engine.is_handshake_complete() {
            self.negotiate()?;
        }
        if self.session.engine.is_kernel(Direction::Send) && self.send_sealed == 0 {
            self.flush()?;
            self.before_kernel_send()?;
            let SendPath::Kernel(kernel) = &mut self.tx else {
                return Err(Error::internal("kernel send without a kernel socket"));
            };
            let now = std::time::Instant::now();
            let limit = self.session.sizing.limit(now, kernel.overhead);
            // Small records: one bounded sendfile per record.
            let len = if limit < MAX_PLAINTEXT {
                len.min(limit)
            } else {
                len
            };
            return loop {
                match kernel.io.sendfile(file, offset, len) {
                    Ok(n) => {
                        kernel.limit.sent(n);
                        self.session.sizing.sent(now, n);
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
        if !self.session.engine.is_handshake_complete() {
            self.negotiate()?;
        }
        loop {
            if self.session.engine.app_available() > 0 && !buf.is_empty() {
                return Ok(self.session.engine.read_app(buf));
            }
            if self.session.engine.received_close_notify() {
                return Ok(0);
            }
            if let Some(e) = self.session.engine.error() {
                return Err(e.clone());
            }
            if buf.is_empty() {
                return Ok(0);
            }
            if self.session.engine.left_userspace(Direction::Recv) && buf.len() >= MAX_PLAINTEXT {
                // Straight into the caller's buffer, which holds any whole record.
                self.flush_or_blocked()?;
                let (typ, n) = self.kernel_recv_into(buf)?;
                if typ == crate::offload::content_type::APPLICATION_DATA && n > 0 {
                    self.session.engine.kernel_app_data_received();
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
        self.session.engine.release_buffers()?;
        if let RecvPath::Kernel(k) = &mut self.rx {
            k.scratch = Vec::new();
        }
        Ok(())
    }

    /// Sends close_notify and waits for the peer's (s2n's `shutdown`). Application data
    /// that arrives meanwhile is discarded. The transport stays open.
    pub fn shutdown(&mut self) -> Result<()> {
        self.shutdown_send()?;
        let mut sink = [0u8; 4096];
        while !self.session.engine.received_close_notify() {
            if let Some(e) = self.session.engine.error() {
                return Err(e.clone());
            }
            if self.session.engine.app_available() > 0 {
                self.session.engine.read_app(&mut sink);
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
        if let Some(e) = self.session.engine.error() {
            let e = e.clone();
            let _ = self.flush();
            return Err(e);
        }
        if self.session.engine.is_handshake_complete() || self.session.engine.seals_in_userspace() {
            self.session.engine.send_close_notify();
        }
        self.flush()
    }

    /// Sends a TLS 1.3 KeyUpdate, optionally asking the peer to update too.
    pub fn request_key_update(&mut self, peer_too: bool) -> Result<()> {
        self.session.request_key_update(peer_too)?;
        self.flush()
    }
}

impl std::ops::Deref for Connection {
    type Target = Session;

    /// The session's getters (version, suite, ALPN, peer certificates,
    /// exporter...) on the connection.
    fn deref(&self) -> &Session {
        &self.session
    }
}

impl Connection {
    /// The session this connection drives.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The session, for callers that move some bytes themselves (an event
    /// loop feeding records it read with [`Session::feed_tls`]). Bytes taken
    /// from or given to the session this way bypass the transport.
    pub fn session_mut(&mut self) -> &mut Session {
        &mut self.session
    }

    /// The socket this connection reads and writes, if it was given one with
    /// [`set_fd`](Self::set_fd).
    pub fn socket(&self) -> Option<&Arc<OwnedFd>> {
        match &self.io {
            Io::Fd(fd) => Some(fd),
            _ => None,
        }
    }

    /// The session, without its transport (which is dropped).
    pub fn into_session(self) -> Session {
        self.session
    }
}

impl Read for Connection {
    /// [`recv`](Connection::recv); a `Blocked` error is `WouldBlock`.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.recv(buf).map_err(io::Error::from)
    }
}

impl Write for Connection {
    /// [`send`](Connection::send); a `Blocked` error is `WouldBlock`.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.send(buf).map_err(io::Error::from)
    }

    fn flush(&mut self) -> io::Result<()> {
        Connection::flush(self).map_err(io::Error::from)
    }
}
