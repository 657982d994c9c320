//! The transports a `Connection` drives (a socket, a byte stream, callbacks)
//! and helpers over the caller's `IoSlice`s.

use super::*;

/// Output is written to the transport once this much ciphertext is queued.
pub(super) const FLUSH_THRESHOLD: usize = 64 * 1024;

/// A transport that is both readable and writable.
pub trait Transport: Read + Write + Send {}
impl<T: Read + Write + Send> Transport for T {}

pub(super) type SendFn = dyn FnMut(&[u8]) -> io::Result<usize> + Send;
pub(super) type RecvFn = dyn FnMut(&mut [u8]) -> io::Result<usize> + Send;

pub(super) enum Io {
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
    pub(super) fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
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

    pub(super) fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
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

    pub(super) fn flush(&mut self) -> io::Result<()> {
        match self {
            Io::Stream(s) => s.flush(),
            _ => Ok(()),
        }
    }
}

pub(super) fn blocked_or(e: io::Error, dir: Blocked) -> Error {
    if e.kind() == io::ErrorKind::WouldBlock {
        Error::blocked(dir)
    } else {
        Error::from(e)
    }
}

/// At most `max` bytes of `bufs`, starting `offset` bytes in.
pub(super) fn slices_from<'a>(
    bufs: &'a [IoSlice<'_>],
    mut offset: usize,
    mut max: usize,
) -> Vec<IoSlice<'a>> {
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
pub(super) fn contiguous<'a>(
    bufs: &'a [IoSlice<'_>],
    mut offset: usize,
    len: usize,
) -> Option<&'a [u8]> {
    for b in bufs {
        if offset < b.len() {
            return b.get(offset..offset + len);
        }
        offset -= b.len();
    }
    None
}

/// Copies up to `max` bytes starting `offset` bytes into `bufs` into `out`; returns the count.
pub(super) fn gather(
    bufs: &[IoSlice<'_>],
    mut offset: usize,
    max: usize,
    out: &mut Vec<u8>,
) -> usize {
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
