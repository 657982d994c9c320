//! Kernel TLS from async (tokio) code: [`KtlsStream`].
//!
//! After a handshake (by any driver that stopped reading exactly at a record
//! boundary), a `tokio::net::TcpStream` and its [`baton::Session`] become a
//! [`KtlsStream`]: each direction's keys move into the kernel where it can
//! take them (the same hand-off as [`crate::enable`]; a direction the kernel
//! refuses goes on in userspace, inside the same stream), and the stream is
//! `AsyncRead + AsyncWrite`. Control records the kernel hands up (alerts,
//! close_notify, TLS 1.3 KeyUpdate and NewSessionTicket) are handled inside
//! `poll_read`, as [`baton::KernelSession::recv`] handles them.
//!
//! The socket stays non-blocking: every call that would block answers
//! `Pending` with the task's waker registered on tokio's reactor, so no
//! syscall here ever waits on the runtime's thread. This module has no
//! `unsafe`: the syscalls are the ones of [`crate::enable`]'s back end.

use crate::{enable_direction, KtlsMode, KtlsOptions};
use ::tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};
use ::tokio::net::TcpStream;
use baton::offload::{Direction, KtlsStatus, RecordPath};
use baton::{Blocked, Connection, Error, KernelSession, Session};
use std::fs::File;
use std::future::poll_fn;
use std::io;
use std::os::fd::AsFd;
use std::os::unix::fs::FileExt;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Plaintext read per step of a userspace `sendfile` (the most that one
/// write seals before it must go out).
const SENDFILE_CHUNK: usize = 64 * 1024;

/// A TLS stream over a tokio `TcpStream` whose records the kernel seals and
/// opens where it can: `AsyncRead + AsyncWrite`, plus [`sendfile`](Self::sendfile).
///
/// ```no_run
/// # async fn f(tcp: tokio::net::TcpStream, session: baton::Session) -> std::io::Result<()> {
/// use baton_ktls::tokio::KtlsStream;
/// use baton_ktls::{KtlsMode, KtlsOptions};
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
/// // `session` finished its handshake on `tcp`, reading exactly to a record boundary.
/// let mut tls = KtlsStream::new(tcp, session, KtlsMode::Auto, &KtlsOptions::default())
///     .map_err(|e| e.error)?;
/// eprintln!("records: {}", tls.ktls_status()); // e.g. "send=kernel recv=kernel"
/// tls.write_all(b"hello").await?;
/// let mut buf = [0u8; 5];
/// tls.read_exact(&mut buf).await?;
/// tls.shutdown().await?; // close_notify, then the write half closes
/// # Ok(()) }
/// ```
///
/// Writes through the kernel go out at once; where the send direction stays
/// in userspace, a write seals its bytes into records that go out with the
/// next write, `flush` or `shutdown` (as with tokio-rustls), so `flush` before
/// waiting for an answer.
#[derive(Debug)]
pub struct KtlsStream {
    /// Registered with tokio's reactor: its readiness drives every call.
    tcp: TcpStream,
    /// The session and both record paths, on a duplicate of `tcp`'s fd (one
    /// socket; the kernel back ends share the duplicate).
    conn: KernelSession,
    /// The kernel seals our records (fixed once the hand-off ran).
    send_kernel: bool,
    /// close_notify is out and the write half shut down.
    shut_down: bool,
}

/// Why [`KtlsStream::new`] failed, and the connection to go on with (or drop).
#[derive(Debug)]
pub struct KtlsStreamError {
    /// What went wrong.
    pub error: Error,
    /// The connection, as far as the hand-off got.
    pub handback: StreamHandback,
}

/// What a failed [`KtlsStream::new`] hands back.
#[derive(Debug)]
#[non_exhaustive]
pub enum StreamHandback {
    /// Nothing moved (handshake not complete, the socket could not be
    /// shared): the stream and the session as they came in.
    Parts(TcpStream, Box<Session>),
    /// The hand-off ran but [`KtlsMode::Require`] was not met: the stream
    /// works, each direction where it ended up ([`KtlsStream::ktls_status`]).
    Stream(Box<KtlsStream>),
}

impl std::fmt::Display for KtlsStreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for KtlsStreamError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl KtlsStream {
    /// Hands `session`, whose handshake ran on `tcp`, over to kernel TLS as
    /// `mode` says, and wraps both in an async stream.
    ///
    /// The handshake must have stopped reading at a record boundary
    /// ([`Connection::set_exact_record_reads`], or
    /// [`Session::tls_bytes_needed`] for a loop of its own); a direction whose
    /// bytes are still buffered in the session stays in userspace (an error
    /// under [`KtlsMode::Require`]), as does one the kernel refuses, with
    /// the reason in [`ktls_status`](Self::ktls_status).
    ///
    /// The error hands the connection back, never loses it: see
    /// [`StreamHandback`].
    pub fn new(
        tcp: TcpStream,
        session: Session,
        mode: KtlsMode,
        opts: &KtlsOptions,
    ) -> Result<KtlsStream, KtlsStreamError> {
        let parts = |error, tcp, session| KtlsStreamError {
            error,
            handback: StreamHandback::Parts(tcp, Box::new(session)),
        };
        if !session.is_handshake_complete() {
            return Err(parts(
                Error::usage("kernel TLS can take over only after the handshake"),
                tcp,
                session,
            ));
        }
        // The session's back ends get their own fd for the socket; tokio keeps
        // `tcp` registered for readiness. Both are the same non-blocking socket.
        let fd = match tcp.as_fd().try_clone_to_owned() {
            Ok(fd) => fd,
            Err(e) => {
                let error = Error::io_context("duplicating the socket for kernel TLS", &e);
                return Err(parts(error, tcp, session));
            }
        };
        let mut conn = Connection::from_session(session);
        if let Err(e) = conn.set_fd(fd) {
            return Err(parts(e, tcp, conn.into_session()));
        }
        let conn = match conn.into_kernel_session() {
            Ok(k) => k,
            Err((conn, e)) => return Err(parts(e, tcp, conn.into_session())),
        };
        let mut stream = KtlsStream {
            tcp,
            conn,
            send_kernel: false,
            shut_down: false,
        };
        let r = stream.offload(mode, opts);
        stream.send_kernel = stream.conn.ktls_status().send.is_kernel();
        match r {
            Ok(()) => Ok(stream),
            Err(error) => Err(KtlsStreamError {
                error,
                handback: StreamHandback::Stream(Box::new(stream)),
            }),
        }
    }

    /// [`new`](Self::new) for a [`baton::tokio::TlsStream`] (the userspace
    /// tokio adapter) over a `TcpStream`: its handshake must have run with
    /// `exact_reads(true)` on the acceptor or connector, so that nothing
    /// after the peer's Finished was read into the session.
    ///
    /// ```no_run
    /// # async fn f(config: baton::Config, tcp: tokio::net::TcpStream) -> std::io::Result<()> {
    /// use baton::tokio::TlsAcceptor;
    /// use baton_ktls::tokio::KtlsStream;
    /// let acceptor = TlsAcceptor::new(config).exact_reads(true);
    /// let tls = acceptor.accept(tcp).await?;
    /// let tls = KtlsStream::from_tls(tls, Default::default(), &Default::default())
    ///     .map_err(|e| std::io::Error::other(e.error))?;
    /// // hyper, or any AsyncRead + AsyncWrite user, over kernel records.
    /// # Ok(()) }
    /// ```
    pub fn from_tls(
        stream: baton::tokio::TlsStream<TcpStream>,
        mode: KtlsMode,
        opts: &KtlsOptions,
    ) -> Result<KtlsStream, KtlsStreamError> {
        let (tcp, session) = stream.into_inner();
        Self::new(tcp, session, mode, opts)
    }

    /// Both directions as `mode` says. Under `Auto` a direction that can't
    /// move now (bytes of it still buffered, the socket full) stays in
    /// userspace instead of failing the stream.
    fn offload(&mut self, mode: KtlsMode, opts: &KtlsOptions) -> baton::Result<()> {
        for dir in [Direction::Send, Direction::Recv] {
            if mode == KtlsMode::Off {
                self.conn.note_userspace(dir, "kernel TLS turned off");
                continue;
            }
            let why = match enable_direction(&mut self.conn, dir, opts) {
                Ok(RecordPath::Kernel) => continue,
                Ok(RecordPath::Userspace(why)) => why.into_owned(),
                Ok(other) => other.to_string(),
                Err(e) if mode == KtlsMode::Require => return Err(e),
                Err(e) => {
                    let why = format!("could not hand over now: {}", e.message());
                    self.conn.note_userspace(dir, why.clone());
                    why
                }
            };
            if mode == KtlsMode::Require {
                return Err(Error::usage(format!(
                    "kernel TLS required, but {dir} stays in userspace: {why}"
                )));
            }
        }
        Ok(())
    }

    /// The session's getters (version, suite, ALPN, peer certificates...).
    pub fn session(&self) -> &Session {
        self.conn.session()
    }

    /// Per direction, whether the kernel or Baton protects the records, and why.
    pub fn ktls_status(&self) -> KtlsStatus {
        self.conn.ktls_status()
    }

    /// The TCP stream (for its addresses and socket options; reading or
    /// writing it directly would corrupt the TLS stream).
    pub fn get_ref(&self) -> &TcpStream {
        &self.tcp
    }

    /// Sends a TLS 1.3 KeyUpdate (the kernel rekeys where it seals the
    /// records), optionally asking the peer to update too; it goes out with
    /// the next write or `flush`.
    pub fn request_key_update(&mut self, peer_too: bool) -> io::Result<()> {
        self.conn
            .session_mut()
            .request_key_update(peer_too)
            .map_err(to_io)
    }

    /// Sends `len` bytes of `file` from `offset`, as application data.
    /// Returns how many went out (fewer at end of file, or when the socket
    /// took fewer: call again from `offset + n`).
    ///
    /// Through the kernel when it seals the records (`sendfile(2)`, from the
    /// page cache; zero-copy with [`KtlsOptions::zerocopy_sendfile`], when
    /// the file must not change while in flight); otherwise the bytes are
    /// read here and sealed like a write (then `flush` pushes out the last
    /// records). The socket is never waited on in a blocking call; the file
    /// is read (or spliced by the kernel) as `sendfile(2)` reads it.
    pub async fn sendfile(&mut self, file: &File, offset: u64, len: usize) -> io::Result<usize> {
        if len == 0 {
            return Ok(0);
        }
        if self.send_kernel {
            let fd = file.as_fd();
            return poll_fn(|cx| {
                self.poll_op(cx, Interest::WRITABLE, |c| c.sendfile(fd, offset, len))
            })
            .await;
        }
        let mut buf = vec![0u8; len.min(SENDFILE_CHUNK)];
        let n = loop {
            match file.read_at(&mut buf, offset) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                r => break r?,
            }
        };
        if n == 0 {
            return Ok(0);
        }
        // Sealed bytes count as sent, so a cancelled call never leaves some
        // of them half-accounted.
        poll_fn(|cx| self.poll_send(cx, &buf[..n])).await
    }

    /// Runs `op` on the session until it does not block, waiting for the
    /// readiness the blocked call names (`interest` first). `op` runs inside
    /// `try_io`, so a readiness event that arrives while it runs is never
    /// cleared unseen.
    fn poll_op<T>(
        &mut self,
        cx: &mut Context<'_>,
        mut interest: Interest,
        mut op: impl FnMut(&mut KernelSession) -> baton::Result<T>,
    ) -> Poll<io::Result<T>> {
        loop {
            let ready = if interest.is_writable() {
                self.tcp.poll_write_ready(cx)
            } else {
                self.tcp.poll_read_ready(cx)
            };
            ready!(ready)?;
            let conn = &mut self.conn;
            let mut other = None;
            let r = self.tcp.try_io(interest, || match op(conn) {
                Ok(v) => Ok(Some(v)),
                Err(e) if e.is_blocked() => {
                    let want = match e.blocked_on() {
                        Some(Blocked::OnWrite) => Interest::WRITABLE,
                        Some(Blocked::OnRead) => Interest::READABLE,
                        // After the handshake nothing waits for the application.
                        _ => return Err(io::Error::other(e)),
                    };
                    if want == interest {
                        Err(io::ErrorKind::WouldBlock.into())
                    } else {
                        other = Some(want);
                        Ok(None)
                    }
                }
                Err(e) => Err(to_io(e)),
            });
            match r {
                Ok(Some(v)) => return Poll::Ready(Ok(v)),
                // Blocked the other way: wait for that readiness instead.
                Ok(None) => interest = other.unwrap_or(interest),
                // Readiness cleared; the next poll registers the waker.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    /// A write: through the kernel, or sealed into records here (then the
    /// count is what was sealed, and the records go out now or on the next
    /// write or flush).
    fn poll_send(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if self.send_kernel {
            // Kernel sends report only what the socket took: a Blocked error
            // means nothing of `buf` went.
            return self.poll_op(cx, Interest::WRITABLE, |c| c.send(buf));
        }
        // Userspace: what waits from earlier writes goes first (the bound on
        // buffered ciphertext), then `buf` is sealed and counted as written.
        ready!(self.poll_op(cx, Interest::WRITABLE, |c| c.flush()))?;
        let n = self.conn.session_mut().seal_plaintext(buf).map_err(to_io)?;
        match self.conn.flush() {
            Err(e) if !e.is_blocked() => Poll::Ready(Err(to_io(e))),
            _ => Poll::Ready(Ok(n)),
        }
    }
}

impl AsyncRead for KtlsStream {
    /// Application data; 0 bytes (EOF) once the peer's close_notify arrived.
    /// Alerts, KeyUpdates (rekeying the kernel) and NewSessionTickets are
    /// handled on the way. A peer that closes TCP without close_notify is an
    /// `UnexpectedEof` error (the data may be truncated).
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let dst = buf.initialize_unfilled();
        if dst.is_empty() {
            return Poll::Ready(Ok(()));
        }
        let n = ready!(this.poll_op(cx, Interest::READABLE, |c| c.recv(dst)))?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for KtlsStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_send(cx, buf)
    }

    /// Writes what waits: userspace records, and the control records
    /// (KeyUpdate answers, alerts) queued for the kernel.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut()
            .poll_op(cx, Interest::WRITABLE, |c| c.flush())
    }

    /// Sends close_notify (through the kernel, as an alert record, where it
    /// seals the records) after everything written, then shuts down the
    /// socket's write half. Reading goes on until the peer closes.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.shut_down {
            let peer_closed = this.conn.session().peer_closed();
            match ready!(this.poll_op(cx, Interest::WRITABLE, |c| c.shutdown_send())) {
                Ok(()) => {}
                // A peer that closed first may be gone: nothing left to tell it.
                Err(e) if peer_closed && is_gone(&e) => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
            this.shut_down = true;
        }
        match ready!(Pin::new(&mut this.tcp).poll_shutdown(cx)) {
            Err(e) if e.kind() != io::ErrorKind::NotConnected => Poll::Ready(Err(e)),
            _ => Poll::Ready(Ok(())),
        }
    }
}

/// A Baton error as an `io::Error` that keeps its message (why the kernel
/// refused a key, say) and carries the `baton::Error` for `get_ref`/`into_inner`,
/// where `From` would keep only the OS error number.
fn to_io(e: Error) -> io::Error {
    match e.os_error() {
        Some(code) => io::Error::new(io::Error::from_raw_os_error(code).kind(), e),
        None => io::Error::from(e),
    }
}

fn is_gone(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset | io::ErrorKind::NotConnected
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `tokio::spawn` needs it.
    #[test]
    fn the_stream_is_send() {
        fn send<T: Send + 'static>() {}
        send::<KtlsStream>();
        send::<KtlsStreamError>();
    }

    #[test]
    fn io_errors_keep_the_reason_and_the_os_kind() {
        let os = io::Error::from_raw_os_error(libc::EINVAL);
        let e = to_io(Error::io_context(
            "the kernel refused the next key (needs Linux 6.14)",
            &os,
        ));
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert!(e.to_string().contains("6.14"), "{e}");
        let inner = e.get_ref().and_then(|i| i.downcast_ref::<Error>());
        assert!(inner.is_some(), "{e:?}");
        // Errors without an OS number map as `From` maps them.
        let usage = to_io(Error::usage("not now"));
        assert_eq!(usage.kind(), io::ErrorKind::InvalidInput);
    }
}
