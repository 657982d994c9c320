//! The record path of each direction (userspace, or a kernel back end), and
//! the driver's kernel-time internals: records through a kernel back end and
//! the send key's usage limit. The public face is [`KernelSession`].

use super::*;

/// Who seals the records we send.
pub(super) enum SendPath {
    /// Baton, in userspace; why not the kernel.
    Userspace(Cow<'static, str>),
    /// A kernel back end.
    Kernel(KernelSend),
}

/// A kernel-sealed send direction.
pub(super) struct KernelSend {
    /// The back end the direction was committed with: its records only ever
    /// go through it.
    pub(super) io: Box<dyn KernelRecordIo>,
    pub(super) limit: KernelTxLimit,
    /// Per-record overhead of the key (for record sizing).
    pub(super) overhead: usize,
}

/// Who opens the records we receive.
pub(super) enum RecvPath {
    /// Baton, in userspace; why not the kernel.
    Userspace(Cow<'static, str>),
    /// A kernel back end.
    Kernel(KernelRecv),
}

/// A kernel-opened receive direction.
pub(super) struct KernelRecv {
    pub(super) io: Box<dyn KernelRecordIo>,
    /// Where kernel-decrypted records land when the caller's buffer is small.
    pub(super) scratch: Vec<u8>,
}

impl SendPath {
    pub(super) fn status(&self) -> RecordPath {
        match self {
            SendPath::Userspace(why) => RecordPath::Userspace(why.clone()),
            SendPath::Kernel(_) => RecordPath::Kernel,
        }
    }
}

impl RecvPath {
    pub(super) fn status(&self) -> RecordPath {
        match self {
            RecvPath::Userspace(why) => RecordPath::Userspace(why.clone()),
            RecvPath::Kernel(_) => RecordPath::Kernel,
        }
    }
}

fn no_kernel(what: &'static str) -> Error {
    Error::internal(what)
}

/// What the next caller-made write to a kernel-sealed socket may carry
/// ([`KernelSession::kernel_write_budget`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
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
pub(super) struct KernelTxLimit {
    pub(super) estimate: u64,
    pub(super) check_at: u64,
    pub(super) limit: u64,
}

impl KernelTxLimit {
    pub(super) fn new(start: u64, limit: u64) -> Self {
        let mut l = Self {
            estimate: start,
            check_at: 0,
            limit,
        };
        l.rearm(start);
        l
    }

    /// Next exact check: halfway to the limit, and at least every 2^16 records.
    pub(super) fn rearm(&mut self, exact: u64) {
        self.estimate = exact;
        let left = self.limit.saturating_sub(exact);
        self.check_at = exact + (left / 2).clamp(1, 1 << 16);
    }

    pub(super) fn sent(&mut self, bytes: usize) {
        self.estimate += bytes.div_ceil(MAX_PLAINTEXT) as u64;
    }

    /// The most bytes one write may take before the exact count must be read again.
    pub(super) fn bytes_until_check(&self) -> usize {
        let records = self.check_at.saturating_sub(self.estimate).max(1);
        usize::try_from(records)
            .unwrap_or(usize::MAX)
            .saturating_mul(MAX_PLAINTEXT)
    }
}

impl Connection {
    /// Alert and handshake records for a kernel-sealed direction, in order with
    /// the key changes between them.
    pub(super) fn flush_kernel_ops(&mut self) -> Result<()> {
        if self.session.engine.send_abandoned() {
            // Nothing of an abandoned direction goes out: say why.
            if let Some(e) = self.session.engine.error() {
                return Err(e.clone());
            }
        }
        while let Some(op) = self.session.engine.next_kernel_op() {
            let SendPath::Kernel(kernel) = &mut self.tx else {
                return Err(no_kernel("kernel records queued without a kernel socket"));
            };
            match op {
                KernelOp::Record { typ, data, sent } => {
                    while *sent < data.len() {
                        match kernel.io.send_control(*typ, &data[*sent..]) {
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
                    if let Err(e) = kernel.io.rekey(Direction::Send, &keys) {
                        // The KeyUpdate is out: the peer reads with the next key from
                        // now on, and the kernel would go on with the old one.
                        let err = Error::io_context(
                            "the kernel refused the next send key after KeyUpdate \
                             (TLS 1.3 rekey in kernel TLS needs Linux 6.14 or later)",
                            &e,
                        );
                        self.session.engine.drop_kernel_ops();
                        return Err(self.session.engine.fail(err));
                    }
                    kernel.limit = KernelTxLimit::new(0, kernel.limit.limit);
                }
            }
            self.session.engine.kernel_op_done();
        }
        Ok(())
    }

    /// One read from a kernel-opened socket, into the scratch buffer (always big
    /// enough for a whole record, so a control record never arrives in pieces).
    pub(super) fn kernel_read_and_process(&mut self) -> Result<bool> {
        let mut scratch = match &mut self.rx {
            RecvPath::Kernel(k) => std::mem::take(&mut k.scratch),
            RecvPath::Userspace(_) => Vec::new(),
        };
        scratch.resize(MAX_PLAINTEXT, 0);
        let r = self.kernel_recv_into(&mut scratch);
        let r = match r {
            Ok((typ, n)) => self.kernel_record(typ, &scratch[..n]),
            Err(e) => Err(e),
        };
        if let RecvPath::Kernel(k) = &mut self.rx {
            k.scratch = scratch;
        }
        r
    }

    /// recvmsg on the kernel socket, mapping the kernel's errors to TLS ones.
    pub(super) fn kernel_recv_into(&mut self, buf: &mut [u8]) -> Result<(u8, usize)> {
        let RecvPath::Kernel(kernel) = &mut self.rx else {
            return Err(no_kernel("kernel receive without a kernel socket"));
        };
        loop {
            match kernel.io.recv(buf) {
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
    pub(super) fn kernel_record(&mut self, typ: u8, data: &[u8]) -> Result<bool> {
        if typ == crate::offload::content_type::APPLICATION_DATA && data.is_empty() {
            return Ok(false);
        }
        if let Err(e) = self.session.engine.process_kernel_record(typ, data) {
            return Err(self.fail_flush(e));
        }
        if let Some(keys) = self.session.engine.take_next_kernel_recv_keys() {
            let keys = DirectionKeys::new(keys);
            let r = match &mut self.rx {
                RecvPath::Kernel(k) => k.io.rekey(Direction::Recv, &keys),
                RecvPath::Userspace(_) => Err(io::Error::other("no kernel socket")),
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

    /// Application data through a kernel-sealed socket: the kernel makes the records.
    pub(super) fn kernel_send(
        &mut self,
        bufs: &[IoSlice<'_>],
        offset: usize,
        total: usize,
    ) -> Result<usize> {
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
            let SendPath::Kernel(kernel) = &mut self.tx else {
                return Err(no_kernel("kernel send without a kernel socket"));
            };
            // Each write to a kTLS socket ends a record, so small records are
            // bounded writes; and no write may carry the key past its next check.
            let limit = self.session.sizing.limit(now, kernel.overhead);
            let small = limit < MAX_PLAINTEXT;
            let cap = if small {
                limit
            } else {
                kernel.limit.bytes_until_check()
            };
            let slices = slices_from(bufs, offset + done, cap);
            match kernel.io.send(&slices) {
                Ok(n) => {
                    kernel.limit.sent(n);
                    self.session.sizing.sent(now, n);
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

    /// The sequence number of the next record this side will send under the
    /// current key (read back from the kernel when it seals the records).
    pub(super) fn send_record_seq(&mut self) -> Result<u64> {
        if self.session.engine.is_kernel(Direction::Send) {
            let SendPath::Kernel(kernel) = &mut self.tx else {
                return Err(no_kernel("kernel send without a kernel socket"));
            };
            return kernel
                .io
                .send_seq()
                .map_err(|e| Error::io_context("reading the kernel's send sequence number", &e));
        }
        self.session
            .engine
            .send_key_usage()
            .map(|(seq, _, _)| seq)
            .ok_or_else(|| Error::usage("no send key yet"))
    }

    /// Checks before application data goes to the kernel: not failed, not closed,
    /// and the send key not at its AEAD usage limit (a TLS 1.3 KeyUpdate where the
    /// kernel can rekey, else a clean close).
    pub(super) fn before_kernel_send(&mut self) -> Result<()> {
        if let Some(e) = self.session.engine.error() {
            return Err(e.clone());
        }
        if self.session.engine.sent_close_notify() {
            return Err(Error::closed(
                "close_notify already sent; no more data can be sent",
            ));
        }
        let SendPath::Kernel(kernel) = &mut self.tx else {
            return Err(no_kernel("kernel send without a kernel socket"));
        };
        if kernel.limit.estimate < kernel.limit.check_at {
            return Ok(());
        }
        let seq = kernel
            .io
            .send_seq()
            .map_err(|e| Error::io_context("reading the kernel's send sequence number", &e))?;
        kernel.limit.rearm(seq);
        if seq < kernel.limit.limit {
            return Ok(());
        }
        if !self.session.engine.is_tls12() && kernel.io.can_rekey() {
            self.session.engine.key_update(false)?;
            return self.flush();
        }
        self.session.engine.send_close_notify();
        self.flush()?;
        Err(Error::closed(if self.session.engine.is_tls12() {
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
    pub(super) fn kernel_write_budget(&mut self) -> Result<KernelWrite> {
        if !self.session.engine.is_kernel(Direction::Send) {
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
        let SendPath::Kernel(kernel) = &self.tx else {
            return Err(no_kernel("kernel send without a kernel socket"));
        };
        let limit = self
            .session
            .sizing
            .limit(std::time::Instant::now(), kernel.overhead);
        Ok(if limit < MAX_PLAINTEXT {
            KernelWrite {
                max: limit,
                small: true,
            }
        } else {
            KernelWrite {
                max: kernel.limit.bytes_until_check(),
                small: false,
            }
        })
    }

    /// `n` plaintext bytes the caller wrote went into the kernel's records (see
    /// [`kernel_write_budget`](Self::kernel_write_budget)): counted towards the
    /// key's usage limit and record sizing.
    pub(super) fn kernel_wrote(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        if let SendPath::Kernel(kernel) = &mut self.tx {
            kernel.limit.sent(n);
        }
        self.session.sizing.sent(std::time::Instant::now(), n);
    }

    /// The caller read `n` bytes of application data from a kernel-opened
    /// socket itself (an io_uring `RECV`, bypassing [`recv`](Self::recv)):
    /// like data through `recv`, it ends the runs of KeyUpdates and warning
    /// alerts that Baton bounds (a peer sending only those is cut off).
    pub(super) fn kernel_read(&mut self, n: usize) {
        if n > 0 {
            self.session.engine.kernel_app_data_received();
        }
    }
}
