//! Event-loop driving (no transport: the caller moves the bytes).

use super::*;

impl Connection {
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
}
