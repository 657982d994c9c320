//! `KernelSession`: a connection after the hand-off to kernel TLS.

use super::*;

/// A connection after its handshake, handed over to kernel TLS: obtained by
/// consuming a [`Connection`] with
/// [`Connection::into_kernel_session`] (which `baton_ktls::enable` does).
///
/// Per direction it holds either a kernel back end (the kernel seals or
/// opens the records) or Baton's userspace record layer, where the kernel
/// refused that direction or was not asked: [`ktls_status`](Self::ktls_status)
/// says which, and why. The calls are the same either way: `send`, `recv`,
/// `sendfile`, `shutdown`, `request_key_update`; and for event loops that
/// write to a kernel-sealed socket themselves,
/// [`kernel_write_budget`](Self::kernel_write_budget),
/// [`kernel_wrote`](Self::kernel_wrote) and
/// [`kernel_read`](Self::kernel_read). There is no handshake here and no way
/// to change the socket, which belongs to the kernel back ends.
///
/// Derefs to its [`Session`] for the getters; an event loop driving a
/// direction that stayed in userspace uses [`session_mut`](Self::session_mut)
/// to move its records (`feed_tls`, `seal_plaintext`...).
///
/// The types keep the two phases apart: a kernel session has no handshake
/// and no transport to swap under the kernel,
///
/// ```compile_fail,E0599
/// # fn f(k: &mut baton::KernelSession, fd: std::os::fd::OwnedFd) {
/// let _ = k.set_fd(fd);
/// # }
/// ```
///
/// and only a kernel session hands keys to the kernel:
///
/// ```compile_fail,E0599
/// # fn f(c: &mut baton::Connection) {
/// let _ = c.begin_kernel_offload(baton::offload::Direction::Send);
/// # }
/// ```
pub struct KernelSession {
    conn: Connection,
}

impl core::fmt::Debug for KernelSession {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KernelSession")
            .field("session", &self.conn.session)
            .field("ktls", &self.ktls_status())
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Consumes the connection for the hand-off to kernel TLS: the kernel
    /// session starts with both directions in userspace, each moved with
    /// [`KernelSession::begin_kernel_offload`] (or `baton_ktls::enable`).
    ///
    /// A Usage error, giving the connection back unchanged, unless the
    /// handshake completed, or while part of a blocked [`send`](Self::send)
    /// is still unfinished. The transport goes along: kernel back ends need
    /// a socket ([`set_fd`](Self::set_fd)); other transports (test doubles)
    /// are for back ends that bring their own.
    #[allow(clippy::result_large_err)] // the error gives the connection back
    pub fn into_kernel_session(self) -> std::result::Result<KernelSession, (Connection, Error)> {
        if !self.session.engine.is_handshake_complete() {
            return Err((
                self,
                Error::usage("kernel TLS can take over only after the handshake"),
            ));
        }
        if self.send_sealed != 0 {
            return Err((
                self,
                Error::usage("a blocked send is unfinished; finish it before the hand-off"),
            ));
        }
        Ok(KernelSession { conn: self })
    }
}

impl std::ops::Deref for KernelSession {
    type Target = Session;

    /// The session's getters on the kernel session.
    fn deref(&self) -> &Session {
        &self.conn.session
    }
}

impl KernelSession {
    /// The session.
    pub fn session(&self) -> &Session {
        &self.conn.session
    }

    /// The session, for event loops that move the records of a userspace
    /// direction themselves. The session refuses what belongs to the kernel
    /// (sealing for a kernel-sealed direction, say) with a Usage error.
    pub fn session_mut(&mut self) -> &mut Session {
        &mut self.conn.session
    }

    /// The socket the connection was given with [`Connection::set_fd`], if
    /// any (kernel back ends share it).
    pub fn socket(&self) -> Option<&Arc<OwnedFd>> {
        match &self.conn.io {
            Io::Fd(fd) => Some(fd),
            _ => None,
        }
    }

    /// Per direction, whether the kernel or Baton protects the records, and why.
    pub fn ktls_status(&self) -> KtlsStatus {
        KtlsStatus {
            send: self.conn.tx.status(),
            recv: self.conn.rx.status(),
        }
    }

    /// Starts moving `dir` to a kernel back end, if it can move now: nothing
    /// failed, at a record boundary, with nothing of that direction buffered
    /// (queued send records are flushed first), and not moved before.
    /// Otherwise a Usage error saying why, and nothing changes. The grant
    /// hands the keys out once and must then be committed or declined: see
    /// [`crate::offload`] for the rules.
    pub fn begin_kernel_offload(&mut self, dir: Direction) -> Result<OffloadGrant<'_>> {
        if matches!(self.conn.io, Io::Fd(_)) && dir == Direction::Send {
            self.conn.flush_userspace()?;
        }
        let keys = self.conn.session.engine.offload_keys(dir)?;
        Ok(OffloadGrant::new(self, dir, keys))
    }

    /// The kernel installed `dir`'s keys on the socket that `io` drives: from
    /// now on records of that direction go through `io` only. Infallible, so a
    /// connection can never be left half-way between the two record layers.
    pub(crate) fn offload_commit(&mut self, dir: Direction, io: Box<dyn KernelRecordIo>) {
        let c = &mut self.conn;
        // Read before the move, which drops the userspace key.
        let usage = c.session.engine.send_key_usage();
        if let Err(e) = c.session.engine.move_to_kernel(dir) {
            // The grant checked this; should it ever fail, the keys are out
            // and the direction is nobody's.
            c.session.engine.fail(e);
        }
        match dir {
            Direction::Send => {
                let (seq, limit, overhead) = usage.unwrap_or((0, 1 << 24, 29));
                c.tx = SendPath::Kernel(KernelSend {
                    io,
                    limit: KernelTxLimit::new(seq, limit),
                    overhead,
                });
            }
            Direction::Recv => {
                c.rx = RecvPath::Kernel(KernelRecv {
                    io,
                    scratch: Vec::new(),
                });
            }
        }
    }

    /// A grant whose keys went out was dropped uncommitted: the keys may sit in
    /// a kernel nobody drives. The direction leaves Baton's record layer (its
    /// key is dropped, its records would only queue for a kernel back end that
    /// does not exist) and the connection fails, so nothing of that direction
    /// moves again, in clear or under a key the kernel may also use.
    pub(crate) fn offload_abandon(&mut self, dir: Direction) {
        let c = &mut self.conn;
        c.session.engine.abandon(
            dir,
            "the kernel TLS hand-off was abandoned after its keys were taken",
        );
        let why = Cow::Borrowed(
            "none: the kernel TLS hand-off was abandoned after its keys were taken (connection failed)",
        );
        match dir {
            Direction::Send => c.tx = SendPath::Userspace(why),
            Direction::Recv => c.rx = RecvPath::Userspace(why),
        }
    }

    /// Records why `dir` stays in userspace (shown by [`ktls_status`](Self::ktls_status)).
    pub fn note_userspace(&mut self, dir: Direction, why: impl Into<Cow<'static, str>>) {
        let c = &mut self.conn;
        // A direction that left Baton's record layer (committed, or abandoned
        // mid-hand-off) keeps what its status says.
        if c.session.engine.left_userspace(dir) {
            return;
        }
        match dir {
            Direction::Send => c.tx = SendPath::Userspace(why.into()),
            Direction::Recv => c.rx = RecvPath::Userspace(why.into()),
        }
    }

    /// Writes queued records: userspace ciphertext, and with kernel TLS send
    /// the queued alert and handshake records and key changes.
    pub fn flush(&mut self) -> Result<()> {
        self.conn.flush()
    }

    /// Sends application data, as [`Connection::send`] does: through the
    /// kernel where it seals the records, else sealed here.
    pub fn send(&mut self, data: &[u8]) -> Result<usize> {
        self.conn.send(data)
    }

    /// Like [`send`](Self::send) over several buffers, starting `offset` bytes in.
    pub fn sendv_with_offset(&mut self, bufs: &[IoSlice<'_>], offset: usize) -> Result<usize> {
        self.conn.sendv_with_offset(bufs, offset)
    }

    /// Receives application data, as [`Connection::recv`] does; `Ok(0)` means
    /// the peer sent close_notify.
    pub fn recv(&mut self, buf: &mut [u8]) -> Result<usize> {
        self.conn.recv(buf)
    }

    /// Sends `len` bytes of `file` from `offset`, as application data. With
    /// kernel TLS send the kernel encrypts straight from the page cache
    /// (zero-copy if `baton_ktls` enabled it: then the file must not change
    /// while in flight); otherwise it is read and sealed here. See
    /// [`Connection::sendfile`].
    pub fn sendfile(&mut self, file: BorrowedFd<'_>, offset: u64, len: usize) -> Result<usize> {
        self.conn.sendfile(file, offset, len)
    }

    /// Sends close_notify and waits for the peer's; see [`Connection::shutdown`].
    pub fn shutdown(&mut self) -> Result<()> {
        self.conn.shutdown()
    }

    /// Sends close_notify without waiting (half-close).
    pub fn shutdown_send(&mut self) -> Result<()> {
        self.conn.shutdown_send()
    }

    /// Sends a TLS 1.3 KeyUpdate (through the kernel where it seals the
    /// records, which then rekeys), optionally asking the peer to update too.
    pub fn request_key_update(&mut self, peer_too: bool) -> Result<()> {
        self.conn.request_key_update(peer_too)
    }

    /// Frees the I/O buffers while they hold nothing; see
    /// [`Connection::release_buffers`].
    pub fn release_buffers(&mut self) -> Result<()> {
        self.conn.release_buffers()
    }

    /// Record sizing: small records from now on; see
    /// [`Session::prefer_low_latency`]. Holds for kernel TLS too (bounded
    /// writes, each of which the kernel seals as one record).
    pub fn prefer_low_latency(&mut self) {
        self.conn.prefer_low_latency();
    }

    /// Record sizing: full 16 KiB records (the default).
    pub fn prefer_throughput(&mut self) {
        self.conn.prefer_throughput();
    }

    /// Dynamic record sizing; see [`Session::set_dynamic_record_threshold`].
    pub fn set_dynamic_record_threshold(
        &mut self,
        resize_threshold: u32,
        timeout: std::time::Duration,
    ) {
        self.conn
            .set_dynamic_record_threshold(resize_threshold, timeout);
    }

    /// The sequence number of the next record this side will send under the
    /// current key (read back from the kernel when it seals the records).
    pub fn send_record_seq(&mut self) -> Result<u64> {
        self.conn.send_record_seq()
    }

    /// For callers that write application data to a kernel-sealed socket
    /// themselves (an io_uring `SEND` or `SPLICE`, bypassing [`send`](Self::send)):
    /// runs the checks `send` runs before each write — pending control records
    /// (KeyUpdate answers) go out first, and at the send key's AEAD usage limit
    /// the key is replaced (TLS 1.3 KeyUpdate where the kernel can rekey) or the
    /// connection closes cleanly (`Closed` error) — and says how much the next
    /// write may carry. Report what the kernel took with
    /// [`kernel_wrote`](Self::kernel_wrote). A Usage error where the kernel
    /// does not seal the records.
    pub fn kernel_write_budget(&mut self) -> Result<KernelWrite> {
        self.conn.kernel_write_budget()
    }

    /// `n` plaintext bytes the caller wrote went into the kernel's records (see
    /// [`kernel_write_budget`](Self::kernel_write_budget)): counted towards the
    /// key's usage limit and record sizing.
    pub fn kernel_wrote(&mut self, n: usize) {
        self.conn.kernel_wrote(n);
    }

    /// The caller read `n` bytes of application data from a kernel-opened
    /// socket itself (an io_uring `RECV`, bypassing [`recv`](Self::recv)):
    /// like data through `recv`, it ends the runs of KeyUpdates and warning
    /// alerts that Baton bounds (a peer sending only those is cut off).
    pub fn kernel_read(&mut self, n: usize) {
        self.conn.kernel_read(n);
    }

    /// Test hook: the record count at which a kernel-sealed send key is replaced.
    #[doc(hidden)]
    pub fn set_kernel_send_key_limit_for_test(&mut self, records: u64) {
        if let SendPath::Kernel(k) = &mut self.conn.tx {
            let exact = k.limit.estimate;
            k.limit.limit = records;
            k.limit.rearm(exact);
        }
    }
}

impl Read for KernelSession {
    /// [`recv`](KernelSession::recv); a `Blocked` error is `WouldBlock`.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.recv(buf).map_err(io::Error::from)
    }
}

impl Write for KernelSession {
    /// [`send`](KernelSession::send); a `Blocked` error is `WouldBlock`.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.send(buf).map_err(io::Error::from)
    }

    fn flush(&mut self) -> io::Result<()> {
        KernelSession::flush(self).map_err(io::Error::from)
    }
}
