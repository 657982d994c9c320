//! Sockets the runtime makes: the `SO_REUSEPORT` listeners, and per
//! accepted connection its peer address, `TCP_NODELAY` and the cut at
//! shutdown. All through nix's safe wrappers.

use nix::sys::socket::{self as sock, sockopt, SockaddrIn, SockaddrIn6, SockaddrStorage};
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

/// A listening TCP socket with `SO_REUSEPORT`, so every worker has its own and
/// the kernel spreads connections across them.
pub(super) fn reuseport_listener(addr: SocketAddr) -> io::Result<TcpListener> {
    let family = match addr {
        SocketAddr::V4(_) => sock::AddressFamily::Inet,
        SocketAddr::V6(_) => sock::AddressFamily::Inet6,
    };
    let fd = sock::socket(
        family,
        sock::SockType::Stream,
        sock::SockFlag::SOCK_CLOEXEC,
        None,
    )?;
    sock::setsockopt(&fd, sockopt::ReuseAddr, &true)?;
    sock::setsockopt(&fd, sockopt::ReusePort, &true)?;
    match addr {
        SocketAddr::V4(a) => sock::bind(fd.as_raw_fd(), &SockaddrIn::from(a))?,
        SocketAddr::V6(a) => sock::bind(fd.as_raw_fd(), &SockaddrIn6::from(a))?,
    }
    sock::listen(&fd, sock::Backlog::new(1024)?)?;
    Ok(TcpListener::from(fd))
}

/// Small echoes and handshake flights should not wait for Nagle (failure
/// is harmless).
pub(super) fn set_nodelay(fd: BorrowedFd<'_>) {
    let _ = sock::setsockopt(&fd, sockopt::TcpNoDelay, &true);
}

/// The connected peer's address, if the socket still has one.
pub(super) fn peer_addr(fd: BorrowedFd<'_>) -> Option<SocketAddr> {
    let addr: SockaddrStorage = sock::getpeername(fd.as_raw_fd()).ok()?;
    if let Some(a) = addr.as_sockaddr_in() {
        return Some(SocketAddr::V4((*a).into()));
    }
    addr.as_sockaddr_in6().map(|a| SocketAddr::V6((*a).into()))
}

/// Cuts both directions of a connection's socket, so that every operation
/// on it completes (failure is harmless: the socket is going anyway).
pub(super) fn cut(fd: impl AsFd) {
    let _ = sock::shutdown(fd.as_fd().as_raw_fd(), sock::Shutdown::Both);
}
