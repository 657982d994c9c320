//! Kernel TLS offload for Baton.
//!
//! The handshake runs in userspace (crate `baton`); afterwards the keys of each
//! direction can move into the Linux kernel (`setsockopt(SOL_TLS, TLS_TX/TLS_RX)`)
//! so that the kernel seals and opens records — and `sendfile` can encrypt
//! straight from the page cache. [`enable`] consumes the handshaken
//! [`baton::Connection`] and returns a [`baton::KernelSession`], on which
//! `send`, `recv`, `sendfile` and `shutdown` work as before for the caller;
//! what the kernel does not do (alerts, close_notify, TLS 1.3 NewSessionTicket
//! and KeyUpdate, the AEAD usage limit) stays in Baton.
//!
//! ```no_run
//! # fn main() -> baton::Result<()> {
//! # let config = baton::Config::builder().build()?;
//! # let stream = std::net::TcpStream::connect("127.0.0.1:443").unwrap();
//! let mut conn = baton::Connection::new_server(&config);
//! conn.set_fd(std::os::fd::OwnedFd::from(stream))?;
//! // The kernel must take over receiving exactly at a record boundary.
//! conn.set_exact_record_reads(true);
//! conn.negotiate()?;
//! let mut conn = baton_ktls::enable(conn, baton_ktls::KtlsMode::Auto, &Default::default())
//!     .map_err(|e| e.error)?;
//! eprintln!("records: {}", conn.ktls_status()); // e.g. "send=kernel recv=kernel"
//! conn.send(b"hello")?;
//! # Ok(()) }
//! ```
//!
//! Where the kernel can't (no `tls` module, an old kernel, a cipher it lacks),
//! the direction stays in userspace, inside the same kernel session, and
//! [`baton::KernelSession::ktls_status`] says why.
//! From async code, `tokio::KtlsStream` (feature `tokio`) does the same
//! hand-off for a `tokio::net::TcpStream` and is `AsyncRead + AsyncWrite`.
//!
//! All `unsafe` code of Baton lives in this crate, each block with a
//! `// SAFETY:` comment: `sys` (the kTLS socket options, record-type cmsgs,
//! sendfile), `uring::ring` (the one submission point, adopting an accepted
//! socket), `uring::buffers` (the mmap'd areas the kernel writes) and `heap`
//! (one FFI call for the memory figures).

pub mod heap;
mod probe;
mod sys;
#[cfg(feature = "tokio")]
pub mod tokio;
pub mod uring;

pub use probe::{probe, KernelSupport};

use baton::offload::{Direction, DirectionKeys, KernelRecordIo, KtlsStatus, RecordPath};
use baton::{Connection, Error, KernelSession, Result};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, IoSlice};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::Arc;

/// What to do about kernel TLS (the `--ktls` switch).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum KtlsMode {
    /// Use the kernel where it can, userspace elsewhere.
    #[default]
    Auto,
    /// Never use the kernel.
    Off,
    /// Fail unless both directions move to the kernel.
    Require,
}

impl std::str::FromStr for KtlsMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(KtlsMode::Auto),
            "off" => Ok(KtlsMode::Off),
            "require" => Ok(KtlsMode::Require),
            _ => Err(Error::usage(format!(
                "unknown kTLS mode '{s}' (valid: auto, off, require)"
            ))),
        }
    }
}

/// Optional kernel features, each used only where the kernel has it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct KtlsOptions {
    /// `TLS_TX_ZEROCOPY_RO` (Linux 5.19+): `sendfile` may send page-cache pages
    /// without copying them first. The file must not change while it is being
    /// sent, or the peer gets records that fail authentication.
    pub zerocopy_sendfile: bool,
    /// `TLS_RX_EXPECT_NO_PAD` (Linux 6.0+, TLS 1.3): decrypt straight into the
    /// reader's buffer, assuming the peer does not pad records (if it does, the
    /// kernel retries; correct, only slower).
    pub rx_expect_no_pad: bool,
}

/// Moves the send direction to the kernel if it can; see [`enable_direction`].
pub fn enable_send(conn: &mut KernelSession, opts: &KtlsOptions) -> Result<RecordPath> {
    enable_direction(conn, Direction::Send, opts)
}

/// Moves the receive direction to the kernel if it can; see [`enable_direction`].
pub fn enable_recv(conn: &mut KernelSession, opts: &KtlsOptions) -> Result<RecordPath> {
    enable_direction(conn, Direction::Recv, opts)
}

/// Moves `dir` to the kernel.
///
/// A Usage error if the direction can't hand over now (no socket, bytes of
/// that direction still buffered in Baton, moved already). Otherwise
/// `Ok(RecordPath::Kernel)`, or `Ok(RecordPath::Userspace(why))` when the kernel
/// can't take it — the connection then goes on in userspace, unharmed.
pub fn enable_direction(
    conn: &mut KernelSession,
    dir: Direction,
    opts: &KtlsOptions,
) -> Result<RecordPath> {
    let sock = conn.socket().cloned().ok_or_else(|| {
        Error::usage("kernel TLS needs a TCP socket transport (Connection::set_fd)")
    })?;
    let fd = sock.as_fd();
    let mut grant = conn.begin_kernel_offload(dir)?;
    let support = probe();
    // Refusals known from the probe come before any key leaves the connection.
    if let Some(why) = support.refusal(dir, grant.version(), grant.cipher()) {
        grant.decline(why.clone());
        return Ok(RecordPath::Userspace(why));
    }
    let keys = grant.take_keys()?;
    let installed = attach_and_install(fd, dir, &keys);
    drop(keys);
    if let Err(why) = installed {
        // The kernel refused the key: it holds none of it, userspace goes on.
        grant.decline(why.clone());
        return Ok(RecordPath::Userspace(why));
    }
    // The key is in: from here nothing may fail. Optional hints are best effort.
    match dir {
        Direction::Send if opts.zerocopy_sendfile && support.tx_zerocopy => {
            let _ = sys::set_tls_flag(fd, sys::TLS_TX_ZEROCOPY_RO);
        }
        Direction::Recv
            if opts.rx_expect_no_pad
                && support.rx_no_pad
                && grant.version() == baton::ProtocolVersion::TLSV1_3 =>
        {
            let _ = sys::set_tls_flag(fd, sys::TLS_RX_EXPECT_NO_PAD);
        }
        _ => {}
    }
    let cipher = grant.cipher();
    grant.commit(Box::new(KtlsSocket {
        fd: Arc::clone(&sock),
        cipher,
        can_rekey: support.rekey,
    }))?;
    Ok(RecordPath::Kernel)
}

fn attach_and_install(
    fd: BorrowedFd<'_>,
    dir: Direction,
    keys: &DirectionKeys,
) -> std::result::Result<(), Cow<'static, str>> {
    match sys::set_ulp(fd) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EEXIST) => {}
        Err(e) => {
            return Err(Cow::Owned(format!(
                "attaching the tls ULP to the socket failed: {e}"
            )))
        }
    }
    sys::set_crypto(fd, dir, keys)
        .map_err(|e| Cow::Owned(format!("the kernel refused the {dir} key: {e}")))
}

/// The hand-off: consumes the handshaken `conn` and moves each direction to
/// the kernel as `mode` says. Returns the kernel session, in which each
/// direction the kernel refused (or that `Off` kept) goes on in userspace;
/// its [`ktls_status`](KernelSession::ktls_status) says where each went, and why.
///
/// Errors hand back what lets the caller go on ([`EnableError::conn`]):
/// the connection unchanged where the hand-off can't start (handshake not
/// complete, no socket: Usage errors), or the kernel session where it ran but
/// a direction stayed in userspace under [`KtlsMode::Require`], or a direction
/// could not move (bytes of it still buffered).
pub fn enable(
    conn: Connection,
    mode: KtlsMode,
    opts: &KtlsOptions,
) -> std::result::Result<KernelSession, EnableError> {
    if conn.socket().is_none() {
        return Err(EnableError::new(
            Error::usage("kernel TLS needs a TCP socket transport (Connection::set_fd)"),
            Handback::Connection(Box::new(conn)),
        ));
    }
    let mut ks = conn
        .into_kernel_session()
        .map_err(|(conn, e)| EnableError::new(e, Handback::Connection(Box::new(conn))))?;
    match enable_session(&mut ks, mode, opts) {
        Ok(_) => Ok(ks),
        Err(e) => Err(EnableError::new(e, Handback::Kernel(Box::new(ks)))),
    }
}

/// Why [`enable`] failed, and the connection to go on with (or drop).
#[derive(Debug)]
pub struct EnableError {
    /// What went wrong (a Usage error, with the reason).
    pub error: Error,
    /// The connection, as far as the hand-off got.
    pub conn: Handback,
}

impl EnableError {
    fn new(error: Error, conn: Handback) -> Self {
        Self { error, conn }
    }
}

impl std::fmt::Display for EnableError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for EnableError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// What a failed [`enable`] hands back.
#[derive(Debug)]
#[non_exhaustive]
pub enum Handback {
    /// Nothing moved: the connection as it was.
    Connection(Box<Connection>),
    /// The hand-off ran: the kernel session, each direction where it ended up.
    Kernel(Box<KernelSession>),
}

/// Both directions of a kernel session, as `mode` says; what [`enable`] does
/// after the hand-off. With [`KtlsMode::Require`], a direction that stays in
/// userspace is an error (the session itself is still usable).
pub fn enable_session(
    conn: &mut KernelSession,
    mode: KtlsMode,
    opts: &KtlsOptions,
) -> Result<KtlsStatus> {
    if mode == KtlsMode::Off {
        for dir in [Direction::Send, Direction::Recv] {
            conn.note_userspace(dir, "kernel TLS turned off");
        }
        return Ok(conn.ktls_status());
    }
    for dir in [Direction::Send, Direction::Recv] {
        let path = enable_direction(conn, dir, opts)?;
        if let (KtlsMode::Require, RecordPath::Userspace(why)) = (mode, &path) {
            return Err(Error::usage(format!(
                "kernel TLS required, but {dir} stays in userspace: {why}"
            )));
        }
    }
    Ok(conn.ktls_status())
}

/// A socket with kernel TLS in one direction: the kernel side of a
/// [`KernelSession`]. It shares the connection's socket, which stays open while
/// either holds it.
#[derive(Debug)]
struct KtlsSocket {
    fd: Arc<OwnedFd>,
    cipher: baton::offload::KernelCipher,
    can_rekey: bool,
}

impl KernelRecordIo for KtlsSocket {
    fn send(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        sys::send_data(self.fd.as_fd(), bufs)
    }

    fn send_control(&mut self, content_type: u8, data: &[u8]) -> io::Result<usize> {
        sys::send_control(self.fd.as_fd(), content_type, data)
    }

    fn recv(&mut self, buf: &mut [u8]) -> io::Result<(u8, usize)> {
        sys::recv_record(self.fd.as_fd(), buf)
    }

    fn rekey(&mut self, dir: Direction, keys: &DirectionKeys) -> io::Result<()> {
        sys::set_crypto(self.fd.as_fd(), dir, keys)
    }

    fn can_rekey(&self) -> bool {
        self.can_rekey
    }

    fn send_seq(&mut self) -> io::Result<u64> {
        sys::tx_seq(self.fd.as_fd(), self.cipher)
    }

    fn sendfile(&mut self, file: BorrowedFd<'_>, offset: u64, len: usize) -> io::Result<usize> {
        sys::sendfile(self.fd.as_fd(), file, offset, len)
    }
}

/// The kernel's TLS counters (`/proc/net/tls_stat`: `TlsTxSw`, `TlsRxSw`,
/// `TlsCurrTxSw`, `TlsDecryptError`, `TlsTxRekeyOk`, ...), or `None` where the
/// file doesn't exist (no TLS module loaded).
pub fn tls_stat() -> Option<BTreeMap<String, u64>> {
    let text = std::fs::read_to_string("/proc/net/tls_stat").ok()?;
    Some(
        text.lines()
            .filter_map(|l| {
                let mut it = l.split_whitespace();
                let k = it.next()?;
                let v = it.next()?.parse().ok()?;
                Some((k.to_string(), v))
            })
            .collect(),
    )
}
