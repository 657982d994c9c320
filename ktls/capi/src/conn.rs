//! `baton_connection`: a [`baton::Connection`] (or, after a kTLS call, the
//! [`baton::KernelSession`] it became) with the settings C gives before the
//! first I/O call, and the strings handed back to C.
#![forbid(unsafe_code)]

use crate::error::Failure;
use crate::types::*;
use baton::offload::{Direction, RecordPath};
use baton::{Config, Connection, KernelSession, Mode, ProtocolVersion, Session};
use std::ffi::CString;
use std::os::fd::OwnedFd;
use std::os::raw::{c_char, c_int};
use std::sync::Arc;

/// The object behind `struct baton_connection *`.
#[derive(Debug)]
#[allow(non_camel_case_types)] // the C name
pub struct baton_connection {
    mode: Mode,
    config: Option<Config>,
    fd: Option<Arc<OwnedFd>>,
    server_name: Option<String>,
    state: State,
    strings: Strings,
}

#[derive(Debug)]
enum State {
    /// Settings only: the Baton connection is made at the first I/O call.
    Idle,
    Open(Box<Connection>),
    Kernel(Box<KernelSession>),
}

/// Strings returned to C: each stays put until its value changes or the
/// connection is wiped or freed.
#[derive(Debug, Default)]
struct Strings {
    cipher: Option<CString>,
    alpn: Option<CString>,
    server_name: Option<CString>,
    ktls: Option<CString>,
}

/// The same call on whichever driver the connection has now.
macro_rules! drive {
    ($state:expr, $c:ident => $call:expr) => {
        match $state {
            State::Open($c) => $call,
            State::Kernel($c) => $call,
            State::Idle => unreachable_idle(),
        }
    };
}

fn unreachable_idle<T>() -> baton::Result<T> {
    Err(baton::Error::usage("the connection has not started"))
}

/// A pointer to `slot`'s string for `value`, replacing it only when the value
/// changed (so earlier pointers stay valid); NULL for none (or interior NUL).
fn cached(slot: &mut Option<CString>, value: Option<&[u8]>) -> *const c_char {
    let Some(v) = value else {
        return std::ptr::null();
    };
    if slot.as_ref().map(|c| c.as_bytes()) != Some(v) {
        *slot = CString::new(v).ok();
    }
    slot.as_ref().map_or(std::ptr::null(), |c| c.as_ptr())
}

impl baton_connection {
    /// A connection for `mode` (`BATON_SERVER` or `BATON_CLIENT`).
    pub fn new(mode: c_int) -> Result<Self, Failure> {
        let mode = match mode {
            m if m == baton_mode::BATON_SERVER as c_int => Mode::Server,
            m if m == baton_mode::BATON_CLIENT as c_int => Mode::Client,
            _ => {
                return Err(Failure::invalid(
                    "mode is neither BATON_SERVER nor BATON_CLIENT",
                ))
            }
        };
        Ok(Self {
            mode,
            config: None,
            fd: None,
            server_name: None,
            state: State::Idle,
            strings: Strings::default(),
        })
    }

    fn idle(&self, what: &str) -> Result<(), Failure> {
        match self.state {
            State::Idle => Ok(()),
            _ => Err(Failure::usage(format!(
                "{what} must come before the handshake starts"
            ))),
        }
    }

    /// Uses `config` (already built; shared, not copied).
    pub fn set_config(&mut self, config: Config) -> Result<(), Failure> {
        self.idle("baton_connection_set_config")?;
        self.config = Some(config);
        Ok(())
    }

    /// Uses the socket `fd` (a duplicate the connection owns).
    pub fn set_fd(&mut self, fd: OwnedFd) -> Result<(), Failure> {
        self.idle("baton_connection_set_fd")?;
        self.fd = Some(Arc::new(fd));
        Ok(())
    }

    /// Client: the server's name (SNI and certificate check).
    pub fn set_server_name(&mut self, name: &str) -> Result<(), Failure> {
        self.idle("baton_set_server_name")?;
        if self.mode != Mode::Client {
            return Err(Failure::usage("only a client sets the server name"));
        }
        if name.is_empty() || name.len() > 255 {
            return Err(Failure::invalid("a server name is 1 to 255 bytes"));
        }
        self.server_name = Some(name.to_owned());
        Ok(())
    }

    /// Makes the Baton connection from the settings, once.
    fn start(&mut self) -> Result<&mut State, Failure> {
        if let State::Idle = self.state {
            let config = self.config.as_ref().ok_or_else(|| {
                Failure::usage("no config: call baton_connection_set_config first")
            })?;
            let fd = self
                .fd
                .clone()
                .ok_or_else(|| Failure::usage("no socket: call baton_connection_set_fd first"))?;
            let mut c = Connection::new(self.mode, config);
            if let Some(name) = &self.server_name {
                c.set_server_name(name)?;
            }
            c.set_fd(fd)?;
            // Never read past a record: kernel TLS can take over receiving at
            // any record boundary (s2n reads a header, then its body, too).
            c.set_exact_record_reads(true);
            self.state = State::Open(Box::new(c));
        }
        Ok(&mut self.state)
    }

    /// Runs the handshake (again after a blocked return).
    pub fn negotiate(&mut self) -> Result<(), Failure> {
        match self.start()? {
            State::Open(c) => c.negotiate()?,
            // Only a handshaken connection moves to the kernel.
            State::Kernel(_) | State::Idle => {}
        }
        Ok(())
    }

    /// Sends application data; the byte count taken.
    pub fn send(&mut self, data: &[u8]) -> Result<usize, Failure> {
        Ok(drive!(self.start()?, c => c.send(data))?)
    }

    /// Receives application data; 0 at the peer's close_notify.
    pub fn recv(&mut self, buf: &mut [u8]) -> Result<usize, Failure> {
        Ok(drive!(self.start()?, c => c.recv(buf))?)
    }

    /// Sends close_notify and waits for the peer's.
    pub fn shutdown(&mut self) -> Result<(), Failure> {
        Ok(drive!(self.started()?, c => c.shutdown())?)
    }

    /// Sends close_notify without waiting (half-close).
    pub fn shutdown_send(&mut self) -> Result<(), Failure> {
        Ok(drive!(self.started()?, c => c.shutdown_send())?)
    }

    /// The driver, if the handshake started (nothing to close before).
    fn started(&mut self) -> Result<&mut State, Failure> {
        match self.state {
            State::Idle => Err(Failure::usage(
                "nothing to shut down: the handshake has not started",
            )),
            _ => Ok(&mut self.state),
        }
    }

    fn session(&self) -> Option<&Session> {
        match &self.state {
            State::Idle => None,
            State::Open(c) => Some(c.session()),
            State::Kernel(k) => Some(k.session()),
        }
    }

    fn negotiated(&self) -> Result<&Session, Failure> {
        self.session()
            .filter(|s| s.is_handshake_complete())
            .ok_or_else(|| Failure::usage("the handshake has not completed"))
    }

    /// `BATON_TLS12` or `BATON_TLS13`.
    pub fn protocol_version(&self) -> Result<c_int, Failure> {
        match self.negotiated()?.actual_protocol_version() {
            Some(ProtocolVersion::TLSV1_3) => Ok(BATON_TLS13),
            Some(ProtocolVersion::TLSV1_2) => Ok(BATON_TLS12),
            Some(ProtocolVersion::TLSV1_1) => Ok(BATON_TLS11),
            Some(ProtocolVersion::TLSV1_0) => Ok(BATON_TLS10),
            _ => Err(Failure::usage("no protocol version negotiated")),
        }
    }

    /// The cipher suite's IANA name.
    pub fn cipher(&mut self) -> Result<*const c_char, Failure> {
        let name = self
            .negotiated()?
            .cipher_suite()
            .and_then(|s| s.name())
            .ok_or_else(|| Failure::usage("no cipher suite negotiated"))?;
        Ok(cached(&mut self.strings.cipher, Some(name.as_bytes())))
    }

    /// The negotiated ALPN protocol, or NULL.
    pub fn alpn(&mut self) -> *const c_char {
        let Self { state, strings, .. } = self;
        let value = match state {
            State::Idle => None,
            State::Open(c) => c.alpn(),
            State::Kernel(k) => k.alpn(),
        };
        cached(&mut strings.alpn, value)
    }

    /// Client: the name set; server: the SNI the client sent; or NULL.
    pub fn server_name(&mut self) -> *const c_char {
        let Self {
            state,
            strings,
            server_name,
            ..
        } = self;
        let value = match state {
            State::Idle => server_name.as_deref(),
            State::Open(c) => c.server_name(),
            State::Kernel(k) => k.server_name(),
        };
        cached(&mut strings.server_name, value.map(str::as_bytes))
    }

    /// Whether the handshake resumed a session.
    pub fn is_resumed(&self) -> bool {
        self.session().is_some_and(|s| s.is_resumed())
    }

    fn last_error(&self) -> Option<&baton::Error> {
        self.session().and_then(|s| s.last_error())
    }

    /// The fatal alert the peer sent.
    pub fn received_alert(&self) -> Result<c_int, Failure> {
        self.last_error()
            .and_then(|e| e.received_alert())
            .map(|a| c_int::from(a.0))
            .ok_or_else(|| Failure::usage("the peer sent no fatal alert"))
    }

    /// The fatal alert Baton sent.
    pub fn sent_alert(&self) -> Result<c_int, Failure> {
        self.last_error()
            .and_then(|e| e.sent_alert())
            .map(|a| c_int::from(a.0))
            .ok_or_else(|| Failure::usage("Baton sent no fatal alert"))
    }

    /// Moves `dir`'s records into the kernel. On a kernel without kTLS (or a
    /// cipher it lacks): `BATON_ERR_KTLS_UNSUPPORTED`, and the connection
    /// goes on in userspace.
    pub fn ktls_enable(&mut self, dir: Direction) -> Result<(), Failure> {
        let state = std::mem::replace(&mut self.state, State::Idle);
        self.state = match state {
            State::Open(c) => match c.into_kernel_session() {
                Ok(k) => State::Kernel(Box::new(k)),
                Err((c, e)) => {
                    self.state = State::Open(Box::new(c));
                    return Err(e.into());
                }
            },
            other => other,
        };
        let State::Kernel(k) = &mut self.state else {
            return Err(Failure::usage(
                "kernel TLS can take over only after the handshake",
            ));
        };
        match baton_ktls::enable_direction(k, dir, &baton_ktls::KtlsOptions::default())? {
            RecordPath::Kernel => Ok(()),
            RecordPath::Userspace(why) => Err(Failure::ktls(&why)),
            _ => Err(Failure::ktls("unknown record path")),
        }
    }

    /// Whether the kernel handles `dir`'s records.
    pub fn is_ktls(&self, dir: c_int) -> Result<bool, Failure> {
        let dir = match dir {
            BATON_KTLS_SEND => Direction::Send,
            BATON_KTLS_RECV => Direction::Recv,
            _ => {
                return Err(Failure::invalid(
                    "direction is neither BATON_KTLS_SEND nor BATON_KTLS_RECV",
                ))
            }
        };
        let State::Kernel(k) = &self.state else {
            return Ok(false);
        };
        let status = k.ktls_status();
        Ok(match dir {
            Direction::Send => status.send.is_kernel(),
            _ => status.recv.is_kernel(),
        })
    }

    /// Who protects each direction's records, and why, as text.
    pub fn ktls_status(&mut self) -> *const c_char {
        let text = match &self.state {
            State::Kernel(k) => k.ktls_status().to_string(),
            _ => "send=userspace (kernel TLS not enabled) recv=userspace (kernel TLS not enabled)"
                .to_string(),
        };
        cached(&mut self.strings.ktls, Some(text.as_bytes()))
    }

    /// Back to a new connection of the same mode and config, without a
    /// socket or server name (s2n's `connection_wipe`).
    pub fn wipe(&mut self) {
        let mode = self.mode;
        let config = self.config.take();
        *self = Self {
            mode,
            config,
            fd: None,
            server_name: None,
            state: State::Idle,
            strings: Strings::default(),
        };
    }
}
