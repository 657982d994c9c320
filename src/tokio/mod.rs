//! An async adapter for tokio (feature `tokio`): [`TlsAcceptor`] and
//! [`TlsConnector`] turn any `AsyncRead + AsyncWrite + Unpin` (a
//! `tokio::net::TcpStream`, a `DuplexStream`...) into a [`TlsStream`] that is
//! itself `AsyncRead + AsyncWrite`, shaped like tokio-rustls so that
//! switching is a matter of a few lines:
//!
//! ```no_run
//! # async fn serve(config: baton::Config) -> std::io::Result<()> {
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//! let acceptor = baton::tokio::TlsAcceptor::new(config);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8443").await?;
//! let (tcp, _) = listener.accept().await?;
//! let mut tls = acceptor.accept(tcp).await?;
//! let mut buf = [0u8; 1024];
//! let n = tls.read(&mut buf).await?;
//! tls.write_all(&buf[..n]).await?;
//! tls.shutdown().await?;
//! # Ok(()) }
//! ```
//!
//! Built on [`Session`] only, in safe code; the stream needs no runtime of
//! its own and no task: it moves bytes when polled. After the handshake,
//! [`TlsStream::into_inner`] gives back the transport and the session, for
//! instance to move the records into kernel TLS.
//!
//! Handshake callbacks that answer later wake the handshake through
//! [`handshake_waker`].

mod handshake;
mod stream;
mod wake;

pub use handshake::Handshake;
pub use stream::TlsStream;
pub use wake::handshake_waker;

use crate::{Config, Error, Session};
use std::io;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};

/// The client side's names, as in tokio-rustls.
pub mod client {
    /// A client's TLS stream.
    pub type TlsStream<IO> = super::TlsStream<IO>;
}

/// The server side's names, as in tokio-rustls.
pub mod server {
    /// A server's TLS stream.
    pub type TlsStream<IO> = super::TlsStream<IO>;
}

/// The future of [`TlsAcceptor::accept`].
pub type Accept<IO> = Handshake<IO>;
/// The future of [`TlsConnector::connect`].
pub type Connect<IO> = Handshake<IO>;

/// The [`Error`] inside an `io::Error` this module returned, if it came from
/// TLS (a protocol error, an alert from the peer, a failed callback...).
pub fn baton_error(e: &io::Error) -> Option<&Error> {
    e.get_ref()?.downcast_ref::<Error>()
}

/// Accepts TLS connections with one [`Config`] (shared, not copied).
#[derive(Clone, Debug)]
pub struct TlsAcceptor {
    config: Arc<Config>,
    exact: bool,
}

impl From<Arc<Config>> for TlsAcceptor {
    fn from(config: Arc<Config>) -> Self {
        Self {
            config,
            exact: false,
        }
    }
}

impl TlsAcceptor {
    /// An acceptor for `config`.
    pub fn new(config: Config) -> Self {
        Arc::new(config).into()
    }

    /// Reads from the transport at most up to the next record boundary
    /// ([`Session::tls_bytes_needed`]), so that after the handshake the
    /// transport still holds every byte past the peer's Finished: what a
    /// hand-off to kernel TLS needs. Off by default: it costs a read per
    /// record header.
    pub fn exact_reads(mut self, on: bool) -> Self {
        self.exact = on;
        self
    }

    /// Runs the server handshake over `io`.
    pub fn accept<IO>(&self, io: IO) -> Accept<IO>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        self.accept_with(io, |_| {})
    }

    /// As [`accept`](Self::accept), with `f` adjusting the session first
    /// (ALPN preferences, a private-key callback, record sizing...).
    pub fn accept_with<IO, F>(&self, io: IO, f: F) -> Accept<IO>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
        F: FnOnce(&mut Session),
    {
        let mut session = Session::new_server(&self.config);
        f(&mut session);
        Handshake::new(TlsStream::new(io, session, self.exact))
    }

    /// The config connections are accepted with.
    pub fn config(&self) -> &Arc<Config> {
        &self.config
    }
}

/// Makes TLS client connections with one [`Config`] (shared, not copied).
#[derive(Clone, Debug)]
pub struct TlsConnector {
    config: Arc<Config>,
    exact: bool,
}

impl From<Arc<Config>> for TlsConnector {
    fn from(config: Arc<Config>) -> Self {
        Self {
            config,
            exact: false,
        }
    }
}

impl TlsConnector {
    /// A connector for `config`.
    pub fn new(config: Config) -> Self {
        Arc::new(config).into()
    }

    /// As [`TlsAcceptor::exact_reads`].
    pub fn exact_reads(mut self, on: bool) -> Self {
        self.exact = on;
        self
    }

    /// Runs the client handshake over `io`; `server_name` is sent as SNI
    /// (unless it is an IP address) and checked against the certificate.
    pub fn connect<IO>(&self, server_name: &str, io: IO) -> Connect<IO>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        self.connect_with(server_name, io, |_| {})
    }

    /// As [`connect`](Self::connect), with `f` adjusting the session first
    /// (ALPN preferences, a saved session to resume, a PSK...).
    pub fn connect_with<IO, F>(&self, server_name: &str, io: IO, f: F) -> Connect<IO>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
        F: FnOnce(&mut Session),
    {
        let mut session = Session::new_client(&self.config);
        if let Err(e) = session.set_server_name(server_name) {
            return Handshake::failed(io::Error::new(io::ErrorKind::InvalidInput, e));
        }
        f(&mut session);
        Handshake::new(TlsStream::new(io, session, self.exact))
    }

    /// The config connections are made with.
    pub fn config(&self) -> &Arc<Config> {
        &self.config
    }
}
