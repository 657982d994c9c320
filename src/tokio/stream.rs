//! The TLS stream: a [`Session`] over an `AsyncRead + AsyncWrite`, driven by
//! the stream's own polls (no task of its own, no runtime needed).

use super::wake::{with_current, WakeCell};
use crate::{Error, Session};
use std::io::{self, IoSlice, Read, Write};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Gathered into one record when a vectored write's slices are this small
/// together: many small slices would otherwise each make a record (and pay
/// its header and tag), while copying more than one record's worth gains
/// nothing over sealing slice by slice straight from the caller's memory.
const GATHER_LIMIT: usize = 16 * 1024;

/// A TLS stream over `IO`, client or server (see [`super::client::TlsStream`]
/// and [`super::server::TlsStream`]). Reads give decrypted data, writes are
/// sealed into records; [`poll_shutdown`](AsyncWrite::poll_shutdown) sends
/// close_notify, then shuts `IO` down. The peer's close_notify reads as the
/// end of the stream; the transport ending without it is an
/// [`UnexpectedEof`](io::ErrorKind::UnexpectedEof) error, since data may have
/// been cut off.
///
/// TLS errors come back as `io::Error`s of kind
/// [`InvalidData`](io::ErrorKind::InvalidData) whose inner error
/// ([`io::Error::get_ref`]) is the [`Error`] (see [`super::baton_error`]); the
/// alert it names was sent to the peer first, as far as the transport took it.
pub struct TlsStream<IO> {
    pub(super) io: IO,
    pub(super) session: Session,
    pub(super) wake: Arc<WakeCell>,
    /// Read at most up to the next record boundary (see
    /// [`TlsAcceptor::exact_reads`](super::TlsAcceptor::exact_reads)).
    pub(super) exact: bool,
    /// close_notify queued (once).
    pub(super) close_queued: bool,
    /// `poll_shutdown` finished its `IO` part.
    pub(super) io_shut: bool,
    /// Reused for gathering a vectored write's small slices (a response head
    /// and its body) into one record, so that costs no allocation per write.
    gather: Vec<u8>,
}

impl<IO> core::fmt::Debug for TlsStream<IO> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TlsStream")
            .field("session", &self.session)
            .field("exact_reads", &self.exact)
            .finish_non_exhaustive()
    }
}

impl<IO> TlsStream<IO> {
    pub(super) fn new(io: IO, session: Session, exact: bool) -> Self {
        Self {
            io,
            session,
            wake: Arc::default(),
            exact,
            close_queued: false,
            io_shut: false,
            gather: Vec::new(),
        }
    }

    /// The transport and the session (its getters: version, suite, ALPN,
    /// peer certificates, exporter...).
    pub fn get_ref(&self) -> (&IO, &Session) {
        (&self.io, &self.session)
    }

    /// The transport and the session, mutably. Bytes written to or read from
    /// the transport directly bypass TLS and break the stream.
    pub fn get_mut(&mut self) -> (&mut IO, &mut Session) {
        (&mut self.io, &mut self.session)
    }

    /// Gives back the transport and the session. The session keeps what it
    /// buffered: decrypted data not yet read, records not yet written
    /// ([`Session::pending_tls`]), received bytes of a partial record. Flush
    /// the stream first, and use exact reads when the session moves on to
    /// kernel TLS, so the transport holds everything past the last record the
    /// session took.
    pub fn into_inner(self) -> (IO, Session) {
        (self.io, self.session)
    }
}

/// The blocking `Read`/`Write` view of a poll: `Pending` reads as
/// `WouldBlock`, so the session can read straight into its record buffer
/// (no intermediate copy) with the task's waker registered by `IO`.
struct SyncIo<'a, 'b, IO> {
    io: &'a mut IO,
    cx: &'a mut Context<'b>,
}

impl<IO: AsyncRead + Unpin> Read for SyncIo<'_, '_, IO> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut rb = ReadBuf::new(buf);
        match Pin::new(&mut *self.io).poll_read(self.cx, &mut rb) {
            Poll::Ready(Ok(())) => Ok(rb.filled().len()),
            Poll::Ready(Err(e)) => Err(e),
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

impl<IO: AsyncWrite + Unpin> Write for SyncIo<'_, '_, IO> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match Pin::new(&mut *self.io).poll_write(self.cx, buf) {
            Poll::Ready(r) => r,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match Pin::new(&mut *self.io).poll_flush(self.cx) {
            Poll::Ready(r) => r,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

/// `Error` as the `io::Error` callers downcast (see [`super::baton_error`]).
pub(super) fn tls_error(e: Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

/// A `WouldBlock` from [`SyncIo`] back into `Pending`.
fn pending<T>(r: io::Result<T>) -> Poll<io::Result<T>> {
    match r {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Poll::Pending,
        r => Poll::Ready(r),
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> TlsStream<IO> {
    /// Writes pending records until none are left (`Ready(Ok)`) or the
    /// transport pushes back (`Pending`, the waker registered by `IO`).
    pub(super) fn poll_write_tls(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.session.pending_tls().is_empty() {
            let mut sio = SyncIo {
                io: &mut self.io,
                cx,
            };
            match pending(self.session.write_tls(&mut sio)) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Reads once from the transport into the session and processes the
    /// records. `Ready(Ok(0))`: the transport ended. The handshake's
    /// callbacks may run here, so they see this stream's waker.
    pub(super) fn poll_read_tls(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let exact = self.exact;
        if self.session.is_handshake_complete() {
            // No handshake callback runs any more: skip the waker upkeep.
            let mut sio = SyncIo {
                io: &mut self.io,
                cx,
            };
            return pending(self.session.read_tls(&mut sio, exact));
        }
        self.wake.register(cx.waker());
        let wake = Arc::clone(&self.wake);
        let (io, session) = (&mut self.io, &mut self.session);
        let r = with_current(&wake, || {
            let mut sio = SyncIo { io, cx };
            session.read_tls(&mut sio, exact)
        });
        pending(r)
    }

    /// After a fatal TLS error: pushes the alert out as far as the transport
    /// takes it now (a peer that stopped reading must not hold the error
    /// back), then returns the error.
    pub(super) fn fail(&mut self, cx: &mut Context<'_>, e: io::Error) -> io::Error {
        let _ = self.poll_write_tls(cx);
        e
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncRead for TlsStream<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.session.peek() > 0 && buf.remaining() > 0 {
                // Only what is copied gets initialised: zeroing all of a large
                // uninitialised buffer (hyper's) at every read costs more than
                // the copy.
                let want = this.session.peek().min(buf.remaining());
                let n = this
                    .session
                    .take_plaintext(buf.initialize_unfilled_to(want));
                buf.advance(n);
                return Poll::Ready(Ok(()));
            }
            if this.session.peer_closed() || buf.remaining() == 0 {
                return Poll::Ready(Ok(()));
            }
            // Nothing is written here, not even a KeyUpdate answer: a write
            // that the transport pushed back would register this task as the
            // transport's one write waker, and a writer split off this reader
            // (tokio::io::split) would then never wake. Records the read path
            // queues go out at the next write or flush (as in tokio-rustls).
            match this.poll_read_tls(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "peer closed the transport without close_notify (data may be truncated)",
                    )))
                }
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::InvalidData => {
                    return Poll::Ready(Err(this.fail(cx, e)))
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            }
        }
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> TlsStream<IO> {
    /// Seals what fits of `bufs` (at most 64 KiB of records wait in the
    /// session: backpressure), writing records out first when that limit is
    /// reached. `Pending` only when nothing could be taken.
    fn poll_seal(&mut self, cx: &mut Context<'_>, bufs: &[IoSlice<'_>]) -> Poll<io::Result<usize>> {
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        if total == 0 {
            return Poll::Ready(Ok(0));
        }
        let mut flushed = false;
        loop {
            let taken =
                if bufs.iter().filter(|b| !b.is_empty()).count() > 1 && total <= GATHER_LIMIT {
                    let mut one = std::mem::take(&mut self.gather);
                    one.clear();
                    for b in bufs {
                        one.extend_from_slice(b);
                    }
                    let r = self.session.seal_plaintext(&one);
                    self.gather = one;
                    r
                } else {
                    let mut done = 0;
                    let mut r = Ok(0);
                    for b in bufs.iter().filter(|b| !b.is_empty()) {
                        r = self.session.seal_plaintext(b);
                        match &r {
                            Ok(n) => {
                                done += n;
                                if *n < b.len() {
                                    break;
                                }
                            }
                            Err(_) => break,
                        }
                    }
                    if done > 0 {
                        Ok(done)
                    } else {
                        r
                    }
                };
            match taken {
                Ok(0) if !flushed => {
                    // The session's output is full: make room, or wait.
                    match self.poll_write_tls(cx) {
                        Poll::Ready(Ok(())) => flushed = true,
                        Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                        Poll::Pending => return Poll::Pending,
                    }
                }
                Ok(n) => {
                    // Start the records on their way; what the transport does
                    // not take now goes at the next write or flush.
                    if let Poll::Ready(Err(e)) = self.poll_write_tls(cx) {
                        return Poll::Ready(Err(e));
                    }
                    return Poll::Ready(Ok(n));
                }
                Err(e) => return Poll::Ready(Err(tls_error(e))),
            }
        }
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncWrite for TlsStream<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_seal(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_seal(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match this.poll_write_tls(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut this.io).poll_flush(cx),
            other => other,
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.close_queued {
            this.session.queue_close_notify();
            this.close_queued = true;
        }
        match this.poll_write_tls(cx) {
            Poll::Ready(Ok(())) => {}
            other => return other,
        }
        if this.io_shut {
            return Poll::Ready(Ok(()));
        }
        let r = Pin::new(&mut this.io).poll_shutdown(cx);
        if let Poll::Ready(Ok(())) = r {
            this.io_shut = true;
        }
        r
    }
}
