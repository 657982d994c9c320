//! `baton client`: connect, print the handshake, then copy stdin to the
//! connection and the connection to stdout at the same time.
//!
//! A `Connection` is one object with one owner, so both directions are driven
//! from one thread: the socket is non-blocking and `poll(2)` waits on stdin and
//! the socket together; Baton says through `Blocked` which way the socket must
//! become ready before a call can go on.

use crate::args::{PolicyAlpn, PskArgs};
use crate::{
    apply_common, apply_psk, build, client_identity, enable_ktls, handshake_line, ktls_mode,
    Failure,
};
use baton::{AlertDescription, Blocked, Config, Connection, Error, KernelSession, Mode};
use baton_ktls::KtlsMode;
use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;
use std::time::{Duration, Instant};

const HELP_TAIL: &str = "\
With a PSK the client offers it (TLS 1.3); a server that takes it sends no
certificate, and one that does not is verified as usual.

Prints the handshake line (ending in ` psk=ID` when the server took the PSK)
and the kTLS line (who protects the records, per direction) to stderr, then
copies stdin to the server and the server's data to stdout. At stdin EOF it
sends close_notify and waits for the server's; exits 0 once both sides have
closed cleanly.";

/// `baton client`'s options.
#[derive(clap::Args, Debug)]
#[command(after_help = HELP_TAIL)]
pub struct Args {
    /// the server to connect to
    #[arg(value_name = "HOST:PORT")]
    target: String,
    /// trust only the certificates in FILE (PEM) instead of the system store
    #[arg(long, value_name = "FILE")]
    ca: Option<String>,
    /// server name to send and verify (default: HOST, unless HOST is an IP
    /// address)
    #[arg(long, value_name = "NAME")]
    sni: Option<String>,
    #[command(flatten)]
    common: PolicyAlpn,
    /// do not verify the server's certificate (testing only)
    #[arg(long)]
    insecure: bool,
    /// a client certificate chain, PEM, leaf first, sent when the server asks
    /// for one (the handshake line then ends in ` client=NAME`, the common
    /// name of the one sent, or none)
    #[arg(long, value_name = "FILE")]
    cert: Option<String>,
    /// its private key, PEM (with --cert)
    #[arg(long, value_name = "FILE")]
    key: Option<String>,
    /// kernel TLS after the handshake: auto (default), off, or require (fail
    /// where the kernel can't take both directions)
    #[arg(long, value_name = "MODE")]
    ktls: Option<String>,
    #[command(flatten)]
    status: crate::status::ClientArgs,
    #[command(flatten)]
    psk: PskArgs,
}

/// How long connecting and the handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// `baton client`.
pub fn main(p: Args) -> Result<(), Failure> {
    let target = &p.target;
    let (host, _port) = split_host_port(target).map_err(Failure::Usage)?;
    let ip_literal = host.parse::<IpAddr>().ok();
    let ktls = ktls_mode(p.ktls.as_deref())?;

    let mut b = match &p.ca {
        Some(ca) => {
            let mut b = Config::builder_minimal();
            b.set_verification_ca_location(Some(Path::new(ca)), None)
                .map_err(|e| format!("loading trust anchors from {ca}: {e}"))?;
            b
        }
        None => Config::builder(),
    };
    apply_common(&mut b, &p.common)?;
    let psk = apply_psk(&mut b, &p.psk)?;
    let client_cert = match (&p.cert, &p.key) {
        (Some(cert), Some(key)) => {
            let chain = baton::CertChainAndKey::from_pem_files(cert, key)
                .map_err(|e| format!("loading {cert} and {key}: {e}"))?;
            b.add_client_cert_chain_and_key(chain);
            true
        }
        (None, None) => false,
        _ => return Err(Failure::Usage("--cert and --key go together".into())),
    };
    crate::status::apply_client(&mut b, &p.status)?;
    let sni = p.sni.clone();
    if p.insecure {
        b.disable_x509_verification();
    } else if let (None, Some(ip)) = (&sni, ip_literal) {
        // No SNI for an IP address (RFC 6066 §3), but the certificate must still
        // name that address: accept only an identity equal to it.
        b.set_verify_host_callback(move |name| name.parse::<IpAddr>().is_ok_and(|n| n == ip));
    }
    let config = build(b)?;

    let deadline = Instant::now() + HANDSHAKE_TIMEOUT;
    let sock = connect(target, deadline)?;
    let peer = sock
        .peer_addr()
        .map_or_else(|_| target.clone(), |a| a.to_string());
    sock.set_nonblocking(true)
        .map_err(|e| format!("setting the socket non-blocking: {e}"))?;
    let _ = sock.set_nodelay(true);

    let mut conn = Connection::new(Mode::Client, &config);
    let name = sni.or_else(|| ip_literal.is_none().then(|| host.to_string()));
    if let Some(name) = &name {
        conn.set_server_name(name)
            .map_err(|e| Failure::Usage(format!("server name {name:?}: {e}")))?;
    }
    // The connection holds its own handle (a dup) of the socket: whichever is
    // dropped first, the other never drives a closed or reused fd.
    let handle = sock
        .try_clone()
        .map_err(|e| format!("duplicating the socket: {e}"))?;
    conn.set_fd(OwnedFd::from(handle))
        .map_err(|e| format!("attaching the socket: {e}"))?;
    // The kernel must start receiving exactly at a record boundary.
    conn.set_exact_record_reads(ktls != KtlsMode::Off);

    handshake(&mut conn, &sock, deadline).map_err(|e| {
        // A server whose binder check fails answers decrypt_error (RFC 8446
        // §4.2.11; OpenSSL sends illegal_parameter): name the likely cause.
        let hint = match e.received_alert() {
            Some(AlertDescription::DECRYPT_ERROR | AlertDescription::ILLEGAL_PARAMETER) if psk => {
                " (does the server hold another secret for this --psk-identity?)"
            }
            _ => "",
        };
        format!("handshake with {peer} failed: {e}{hint}")
    })?;
    let mut line = handshake_line(&conn, &peer);
    if client_cert {
        line.push_str(&client_identity(&conn));
    }
    eprintln!("{line}");
    if p.status.ocsp {
        eprintln!("{}", crate::status::client_line(&conn, !p.insecure));
    }
    let (mut conn, line) = enable_ktls(conn, ktls, &peer)?;
    eprintln!("{line}");
    copy_loop(&mut conn, &sock)?;
    Ok(())
}

/// Splits `host:port`, `[v6]:port`.
fn split_host_port(target: &str) -> Result<(&str, u16), String> {
    let bad = || format!("expected HOST:PORT, got {target:?}");
    let (host, port) = target.rsplit_once(':').ok_or_else(bad)?;
    let host = match host.strip_prefix('[') {
        Some(h) => h.strip_suffix(']').ok_or_else(bad)?,
        None if host.contains(':') => return Err(bad()), // bare IPv6 needs brackets
        None => host,
    };
    let port = port.parse::<u16>().map_err(|_| bad())?;
    if host.is_empty() {
        return Err(bad());
    }
    Ok((host, port))
}

/// Connects to the first address of `target` that answers before the deadline.
fn connect(target: &str, deadline: Instant) -> Result<TcpStream, String> {
    let addrs: Vec<SocketAddr> = target
        .to_socket_addrs()
        .map_err(|e| format!("resolving {target}: {e}"))?
        .collect();
    let mut last = format!("{target} resolved to no address");
    for addr in addrs {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(format!("connecting to {target}: timed out"));
        }
        match TcpStream::connect_timeout(&addr, left) {
            Ok(s) => return Ok(s),
            Err(e) => last = format!("connecting to {addr}: {e}"),
        }
    }
    Err(last)
}

/// Drives the handshake on the non-blocking socket.
fn handshake(conn: &mut Connection, sock: &TcpStream, deadline: Instant) -> Result<(), Error> {
    loop {
        match conn.negotiate() {
            Ok(_) => return Ok(()),
            Err(e) if e.is_blocked() => {
                let events = match e.blocked_on() {
                    Some(Blocked::OnWrite) => PollFlags::POLLOUT,
                    Some(Blocked::OnRead) => PollFlags::POLLIN,
                    other => {
                        return Err(Error::usage(format!(
                            "handshake paused ({other:?}) but baton client has no way to answer"
                        )))
                    }
                };
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(Error::from(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "handshake timed out",
                    )));
                }
                let timeout = PollTimeout::try_from(left).unwrap_or(PollTimeout::MAX);
                let mut fds = [PollFd::new(sock.as_fd(), events)];
                match poll(&mut fds, timeout) {
                    Ok(_) | Err(Errno::EINTR) => {}
                    Err(e) => return Err(Error::from(io::Error::from(e))),
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// The socket readiness a `Blocked` error waits for.
fn readiness(e: &Error) -> PollFlags {
    match e.blocked_on() {
        Some(Blocked::OnWrite) => PollFlags::POLLOUT,
        _ => PollFlags::POLLIN,
    }
}

/// What the copy loop knows about both directions.
#[derive(Debug, Default)]
struct State {
    /// Read from stdin, not yet accepted by `send`.
    pending: Vec<u8>,
    /// Sent data may still sit in Baton's buffers.
    need_flush: bool,
    stdin_eof: bool,
    /// We sent close_notify.
    send_closed: bool,
    /// The peer sent close_notify.
    peer_closed: bool,
}

/// Copies stdin → connection and connection → stdout until both sides closed.
fn copy_loop(conn: &mut KernelSession, sock: &TcpStream) -> Result<(), String> {
    let stdin = io::stdin();
    let mut stdout = io::stdout().lock();
    let mut st = State::default();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        // Socket readiness this round needs, from what Baton reported.
        let mut want = PollFlags::empty();

        // Connection → stdout, until it would block.
        while !st.peer_closed {
            match conn.recv(&mut buf) {
                Ok(0) => st.peer_closed = true,
                Ok(n) => {
                    stdout
                        .write_all(&buf[..n])
                        .and_then(|()| stdout.flush())
                        .map_err(|e| format!("writing to stdout: {e}"))?;
                }
                Err(e) if e.is_blocked() => {
                    want |= readiness(&e);
                    break;
                }
                Err(e) => return Err(format!("receiving: {e}")),
            }
        }
        if st.peer_closed && !st.stdin_eof {
            // The server is done; stop reading stdin, finish what we hold and close.
            st.stdin_eof = true;
        }

        // Pending stdin data → connection.
        while !st.pending.is_empty() {
            match conn.send(&st.pending) {
                Ok(n) => {
                    st.pending.drain(..n);
                    st.need_flush = true;
                }
                Err(e) if e.is_blocked() => {
                    want |= readiness(&e);
                    break;
                }
                Err(e) => return Err(format!("sending: {e}")),
            }
        }
        if st.need_flush && st.pending.is_empty() {
            match conn.flush() {
                Ok(()) => st.need_flush = false,
                Err(e) if e.is_blocked() => want |= readiness(&e),
                Err(e) => return Err(format!("sending: {e}")),
            }
        }

        // Stdin is done and everything is out: close our direction.
        if st.stdin_eof && st.pending.is_empty() && !st.need_flush && !st.send_closed {
            match conn.shutdown_send() {
                Ok(()) => st.send_closed = true,
                Err(e) if e.is_blocked() => want |= readiness(&e),
                Err(e) => return Err(format!("sending close_notify: {e}")),
            }
        }
        if st.send_closed && st.peer_closed {
            return Ok(());
        }

        if !st.peer_closed {
            want |= PollFlags::POLLIN;
        }
        let read_stdin = !st.stdin_eof && st.pending.is_empty();
        let stdin_fd = stdin.as_fd();
        let mut fds = vec![PollFd::new(sock.as_fd(), want)];
        if read_stdin {
            fds.push(PollFd::new(stdin_fd, PollFlags::POLLIN));
        }
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(e) => return Err(format!("poll: {e}")),
        }
        let stdin_ready = read_stdin
            && fds[1].revents().is_some_and(|r| {
                r.intersects(PollFlags::POLLIN | PollFlags::POLLHUP | PollFlags::POLLERR)
            });
        if stdin_ready {
            // One read(2) of what is there: poll said it will not block.
            match nix::unistd::read(stdin_fd, &mut buf) {
                Ok(0) => st.stdin_eof = true,
                Ok(n) => st.pending.extend_from_slice(&buf[..n]),
                Err(Errno::EINTR | Errno::EAGAIN) => {}
                Err(e) => return Err(format!("reading stdin: {e}")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::split_host_port;

    #[test]
    fn host_port() {
        assert_eq!(split_host_port("example.com:443"), Ok(("example.com", 443)));
        assert_eq!(split_host_port("127.0.0.1:8443"), Ok(("127.0.0.1", 8443)));
        assert_eq!(split_host_port("[::1]:443"), Ok(("::1", 443)));
        assert!(split_host_port("::1:443").is_err());
        assert!(split_host_port("example.com").is_err());
        assert!(split_host_port(":443").is_err());
        assert!(split_host_port("h:99999").is_err());
    }
}
