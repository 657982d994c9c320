//! `Session`: the sans-IO core of a connection. The engine plus the small
//! vocabulary an event loop, or a driver, uses to move bytes: ciphertext in
//! ([`Session::feed_tls`], [`Session::read_tls`]), ciphertext out
//! ([`Session::pending_tls`], [`Session::write_tls`]), plaintext in and out
//! ([`Session::take_plaintext`], [`Session::seal_plaintext`]).

use super::*;

/// One TLS session, client or server, with no transport: the caller moves the
/// bytes. What [`Connection`] drives over a transport, and what event loops
/// (io_uring, epoll) that own their sockets drive themselves. The getters
/// (version, suite, ALPN, peer certificates, exporter...) are here too, and a
/// `Connection` derefs to its session for them.
pub struct Session {
    pub(super) engine: Engine,
    pub(super) sizing: crate::sizing::RecordSizing,
}

impl core::fmt::Debug for Session {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Session")
            .field("engine", &self.engine)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A new session using `config` (shared, not copied).
    pub fn new(mode: Mode, config: &Config) -> Self {
        Self {
            engine: Engine::new(config.clone(), mode),
            sizing: Default::default(),
        }
    }

    /// A new client session.
    pub fn new_client(config: &Config) -> Self {
        Self::new(Mode::Client, config)
    }

    /// A new server session.
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

    /// Overrides the config's ALPN preferences for this session.
    pub fn set_alpn_preferences<P: AsRef<[u8]>>(&mut self, protocols: &[P]) -> Result<()> {
        self.engine.set_alpn_preferences(validate_alpn(protocols)?);
        Ok(())
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

    /// Hands this connection's private-key operations to `callback` instead
    /// of the config's (see [`crate::pkey`]); set before the handshake. An
    /// event loop uses it to learn which connection an operation belongs to
    /// and wake it when the operation completes.
    pub fn set_private_key_callback(
        &mut self,
        callback: std::sync::Arc<crate::pkey::PrivateKeyCallback>,
    ) {
        self.engine.set_private_key_callback(callback);
    }

    /// True once the handshake completed.
    pub fn is_handshake_complete(&self) -> bool {
        self.engine.is_handshake_complete()
    }

    /// Decrypted bytes ready for [`take_plaintext`](Self::take_plaintext).
    pub fn peek(&self) -> usize {
        self.engine.app_available()
    }

    /// Queues a TLS 1.3 KeyUpdate (into [`pending_tls`](Self::pending_tls), or
    /// for the kernel when it seals this session's records), optionally asking
    /// the peer to update too.
    pub fn request_key_update(&mut self, peer_too: bool) -> Result<()> {
        self.engine.key_update(peer_too)
    }

    /// Reads once from `rd` (at most [`tls_bytes_needed`](Self::tls_bytes_needed)
    /// bytes when `exact`, so the read stops at a record boundary) and
    /// processes what arrived, as [`feed_tls`](Self::feed_tls) does. Returns
    /// the bytes read; 0 is the end of the stream. I/O errors come back as
    /// they are (`WouldBlock` included); TLS errors as `InvalidData` wrapping
    /// the [`Error`] (see [`last_error`](Self::last_error)). While the
    /// handshake waits for the application (see
    /// [`poll_handshake`](Self::poll_handshake)) the bytes read are kept for later.
    pub fn read_tls(&mut self, rd: &mut dyn Read, exact: bool) -> io::Result<usize> {
        if let Some(e) = self.engine.error() {
            return Err(io::Error::new(io::ErrorKind::InvalidData, e.clone()));
        }
        let limit = if exact {
            self.engine.bytes_needed()
        } else {
            usize::MAX
        };
        let n = rd.read(self.engine.read_space(limit))?;
        if n > 0 {
            self.engine.commit_read(n);
            match self.engine.process() {
                Err(e) if !e.is_blocked() => {
                    let e = self.engine.fail(e);
                    return Err(io::Error::new(io::ErrorKind::InvalidData, e));
                }
                _ => {}
            }
        }
        Ok(n)
    }

    /// Writes [`pending_tls`](Self::pending_tls) to `wr` once and consumes what
    /// it took. Returns the bytes written.
    pub fn write_tls(&mut self, wr: &mut dyn Write) -> io::Result<usize> {
        let n = wr.write(self.engine.pending_output())?;
        self.engine.consume_output(n);
        Ok(n)
    }

    /// Event loops (io_uring, epoll) that own the socket drive a connection with
    /// these instead of a transport: hand in what arrived with
    /// [`feed_tls`](Self::feed_tls), send what [`pending_tls`](Self::pending_tls)
    /// shows and [`consume_tls`](Self::consume_tls) it.
    ///
    /// Starts the handshake if needed and reports whether it completed. Errors are
    /// fatal (the alert is already in `pending_tls`), except one of kind
    /// [`ErrorKind::Blocked`] with [`Blocked::OnApplicationInput`]: the
    /// handshake waits for the application (a server's
    /// [`SessionCache`](crate::resumption::SessionCache) answered
    /// [`Pending`](crate::resumption::CacheLookup::Pending), or its
    /// ClientHello callback [`Later`](crate::ClientHelloAction::Later), or a
    /// [`PrivateKeyOp`](crate::pkey::PrivateKeyOp) is not completed yet, or a
    /// [`CrlLookup`](crate::cert::CrlLookup) is unanswered). Bytes fed
    /// meanwhile are kept, unprocessed; once the
    /// [`LookupAnswer`](crate::resumption::LookupAnswer) is given, call this
    /// again (or [`feed_tls`](Self::feed_tls)): the handshake goes on and its
    /// next flight is in `pending_tls`.
    pub fn poll_handshake(&mut self) -> Result<bool> {
        if let Err(e) = self.engine.start() {
            return Err(self.engine.fail(e));
        }
        if self.engine.awaits_application() {
            match self.engine.process() {
                Err(e) if e.is_blocked() => return Err(e),
                Err(e) => return Err(self.engine.fail(e)),
                Ok(()) => {}
            }
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
    /// While the handshake waits for the application it answers
    /// `Blocked::OnApplicationInput` (not fatal; see
    /// [`poll_handshake`](Self::poll_handshake)) and keeps the bytes.
    pub fn feed_tls(&mut self, mut data: &[u8]) -> Result<()> {
        if let Some(e) = self.engine.error() {
            return Err(e.clone());
        }
        let mut last = if data.is_empty() && self.engine.awaits_application() {
            self.engine.process()
        } else {
            Ok(())
        };
        while !data.is_empty() {
            let space = self.engine.read_space(data.len());
            if space.is_empty() {
                // Only a peer that keeps sending while its own ClientHello
                // waits for an answer can fill the buffer: a bounded wait.
                let e = if self.engine.awaits_application() {
                    Error::protocol(
                        crate::AlertDescription::UNEXPECTED_MESSAGE,
                        "peer sent a record buffer's worth while the handshake waited",
                    )
                } else {
                    Error::internal("record buffer full after processing")
                };
                return Err(self.engine.fail(e));
            }
            let n = space.len().min(data.len());
            space[..n].copy_from_slice(&data[..n]);
            self.engine.commit_read(n);
            data = &data[n..];
            last = self.engine.process();
            if let Err(e) = &last {
                if !e.is_blocked() {
                    return Err(self.engine.fail(e.clone()));
                }
            }
        }
        last
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

    /// Gives back a buffer that [`take_pending_tls`](Self::take_pending_tls)
    /// swapped out, once its bytes are sent, without clearing it: later
    /// records are sealed into it again. (A cleared or new buffer must be
    /// zeroed before a record is sealed into it, which on a bulk transfer
    /// costs as much as a few percent of the sealing.) Its contents are
    /// overwritten, never read or sent again.
    pub fn recycle_tls_buffer(&mut self, buf: Vec<u8>) {
        self.engine.recycle_output(buf);
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
    /// waiting (send some, then call again with the rest). After the
    /// handshake, or on a TLS 1.3 server that accepted 0-RTT, from its
    /// Finished on (see [`may_send_early_response`](Self::may_send_early_response)).
    pub fn seal_plaintext(&mut self, data: &[u8]) -> Result<usize> {
        self.seal_up_to(data, FLUSH_THRESHOLD)
    }

    /// Seals all of `data` into records appended to
    /// [`pending_tls`](Self::pending_tls), however much is already waiting:
    /// for a driver that bounds its own writes (the io_uring runtime seals a
    /// file chunk at a time) and hands the records to the kernel in one
    /// buffer, which [`take_pending_tls`](Self::take_pending_tls) then moves
    /// out without a copy. The same conditions as
    /// [`seal_plaintext`](Self::seal_plaintext); on an error after some
    /// records were sealed, those stay pending and the error is returned.
    pub fn seal_all(&mut self, data: &[u8]) -> Result<()> {
        let mut rest = data;
        while !rest.is_empty() {
            // Short only when a record failed after others were sealed: the
            // next call starts at that record and returns its error (each
            // call takes something or fails, so this ends).
            let n = self.seal_up_to(rest, usize::MAX)?;
            rest = &rest[n..];
        }
        Ok(())
    }

    /// Seals records from `data` while less than `limit` bytes of ciphertext
    /// wait; returns how much of `data` they took.
    fn seal_up_to(&mut self, data: &[u8], limit: usize) -> Result<usize> {
        if !self.engine.is_handshake_complete() && !self.engine.may_send_half_rtt() {
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
        while done < data.len() && self.engine.pending_output().len() < limit {
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
}
