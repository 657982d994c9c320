//! Baton's one public error type, and the one place causes map to alerts.

use std::borrow::Cow;
use std::fmt;
use std::panic::Location;

pub use crate::msgs::enums::AlertDescription;

/// Why a non-blocking call could not make progress (s2n's `blocked` status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Blocked {
    /// Waiting for bytes from the peer: retry when the transport is readable.
    OnRead,
    /// Waiting for the transport to accept bytes: retry when it is writable.
    OnWrite,
    /// A callback paused the handshake until the application answers.
    OnApplicationInput,
    /// Early data must be accepted or rejected before the handshake goes on.
    OnEarlyData,
}

/// The class of an [`Error`]; branch on this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Not an error: the call would block. See [`Error::blocked`].
    Blocked,
    /// The peer closed the connection (or it was shut down) and no more data moves.
    Closed,
    /// The transport failed (see [`Error::os_error`]).
    Io,
    /// The peer broke the protocol; Baton sent a fatal alert ([`Error::sent_alert`]).
    Protocol,
    /// The peer sent a fatal alert.
    Alert(AlertDescription),
    /// The API was used incorrectly (wrong order, bad configuration, bad argument).
    Usage,
    /// A failure inside Baton or its crypto provider.
    Internal,
    /// The application's private-key operation failed (`PrivateKeyOp::fail`,
    /// or dropped unanswered), or its result did not verify under
    /// `PkeyValidation::Strict`; Baton sent `internal_error`.
    PrivateKey,
}

/// Baton's error: a kind to branch on, a readable message, and a debug string
/// that says where it was raised.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    msg: Cow<'static, str>,
    blocked: Option<Blocked>,
    alert: Option<AlertDescription>,
    os_error: Option<i32>,
    io_kind: Option<std::io::ErrorKind>,
    location: &'static Location<'static>,
}

impl Error {
    #[track_caller]
    fn new(kind: ErrorKind, msg: impl Into<Cow<'static, str>>) -> Self {
        Self {
            kind,
            msg: msg.into(),
            blocked: None,
            alert: None,
            os_error: None,
            io_kind: None,
            location: Location::caller(),
        }
    }

    /// A would-block status.
    #[track_caller]
    pub fn blocked(b: Blocked) -> Self {
        let mut e = Self::new(ErrorKind::Blocked, "operation would block");
        e.blocked = Some(b);
        e
    }

    /// The peer violated the protocol; `alert` is the fatal alert we send for it.
    #[track_caller]
    pub(crate) fn protocol(alert: AlertDescription, msg: impl Into<Cow<'static, str>>) -> Self {
        let mut e = Self::new(ErrorKind::Protocol, msg);
        e.alert = Some(alert);
        e
    }

    /// The peer sent us a fatal alert.
    #[track_caller]
    pub(crate) fn peer_alert(alert: AlertDescription) -> Self {
        let mut e = Self::new(
            ErrorKind::Alert(alert),
            format!("peer sent fatal alert {alert}"),
        );
        e.alert = Some(alert);
        e
    }

    /// Incorrect use of the API.
    #[track_caller]
    pub fn usage(msg: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Usage, msg)
    }

    /// A failure inside Baton; we send `internal_error` if a handshake is under way.
    #[track_caller]
    pub(crate) fn internal(msg: impl Into<Cow<'static, str>>) -> Self {
        let mut e = Self::new(ErrorKind::Internal, msg);
        e.alert = Some(AlertDescription::INTERNAL_ERROR);
        e
    }

    /// A private-key operation failed; `internal_error` goes to the peer.
    #[track_caller]
    pub(crate) fn private_key(msg: impl Into<Cow<'static, str>>) -> Self {
        let mut e = Self::new(ErrorKind::PrivateKey, msg);
        e.alert = Some(AlertDescription::INTERNAL_ERROR);
        e
    }

    /// The connection is closed.
    #[track_caller]
    pub(crate) fn closed(msg: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Closed, msg)
    }

    /// The kind of error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// For [`ErrorKind::Blocked`], what the call is waiting for.
    pub fn blocked_on(&self) -> Option<Blocked> {
        self.blocked
    }

    /// True for [`ErrorKind::Blocked`].
    pub fn is_blocked(&self) -> bool {
        self.kind == ErrorKind::Blocked
    }

    /// For protocol and internal errors, the fatal alert Baton sends (or sent) to the peer.
    pub fn sent_alert(&self) -> Option<AlertDescription> {
        match self.kind {
            ErrorKind::Protocol | ErrorKind::Internal | ErrorKind::PrivateKey => self.alert,
            _ => None,
        }
    }

    /// For [`ErrorKind::Alert`], the alert the peer sent.
    pub fn received_alert(&self) -> Option<AlertDescription> {
        match self.kind {
            ErrorKind::Alert(a) => Some(a),
            _ => None,
        }
    }

    /// The OS error number behind an [`ErrorKind::Io`] error, if any.
    pub fn os_error(&self) -> Option<i32> {
        self.os_error
    }

    /// A readable message (never contains secrets).
    pub fn message(&self) -> &str {
        &self.msg
    }

    /// A debug string naming the source location that raised the error.
    pub fn debug(&self) -> String {
        format!(
            "{} (raised at {}:{})",
            self.msg,
            self.location.file(),
            self.location.line()
        )
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind).field("msg", &self.msg);
        if let Some(b) = self.blocked {
            d.field("blocked", &b);
        }
        if let Some(a) = self.alert {
            d.field("alert", &a);
        }
        if let Some(e) = self.os_error {
            d.field("os_error", &e);
        }
        d.field(
            "at",
            &format_args!("{}:{}", self.location.file(), self.location.line()),
        );
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ErrorKind::Protocol => match self.alert {
                Some(a) => write!(f, "protocol error: {} (sent {a})", self.msg),
                None => write!(f, "protocol error: {}", self.msg),
            },
            ErrorKind::Alert(_) => f.write_str(&self.msg),
            ErrorKind::Io => write!(f, "I/O error: {}", self.msg),
            ErrorKind::Usage => write!(f, "usage error: {}", self.msg),
            ErrorKind::Internal => write!(f, "internal error: {}", self.msg),
            ErrorKind::PrivateKey => write!(f, "private key operation: {}", self.msg),
            ErrorKind::Closed => write!(f, "connection closed: {}", self.msg),
            ErrorKind::Blocked => write!(f, "blocked ({:?})", self.blocked),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    /// An I/O failure with context (kernel TLS set-up and rekeying), keeping the OS error.
    #[track_caller]
    pub fn io_context(what: &str, e: &std::io::Error) -> Self {
        let mut err = Self::new(ErrorKind::Io, format!("{what}: {e}"));
        err.os_error = e.raw_os_error();
        err.io_kind = Some(e.kind());
        err
    }
}

impl From<std::io::Error> for Error {
    #[track_caller]
    fn from(e: std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::WouldBlock => {
                // The direction is unknown here; callers that know it override.
                Self::blocked(Blocked::OnRead)
            }
            _ => {
                let mut err = Self::new(ErrorKind::Io, e.to_string());
                err.os_error = e.raw_os_error();
                err.io_kind = Some(e.kind());
                err
            }
        }
    }
}

impl From<Error> for std::io::Error {
    fn from(e: Error) -> Self {
        let kind = match e.kind {
            ErrorKind::Blocked => std::io::ErrorKind::WouldBlock,
            ErrorKind::Closed => std::io::ErrorKind::UnexpectedEof,
            ErrorKind::Io => e.io_kind.unwrap_or(std::io::ErrorKind::Other),
            ErrorKind::Usage => std::io::ErrorKind::InvalidInput,
            ErrorKind::Protocol | ErrorKind::Alert(_) => std::io::ErrorKind::InvalidData,
            ErrorKind::Internal | ErrorKind::PrivateKey => std::io::ErrorKind::Other,
        };
        match e.os_error {
            Some(code) => std::io::Error::from_raw_os_error(code),
            None => std::io::Error::new(kind, e),
        }
    }
}

/// Result alias used across Baton.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_debug() {
        let e = Error::protocol(AlertDescription::DECODE_ERROR, "bad length");
        assert_eq!(e.kind(), ErrorKind::Protocol);
        assert_eq!(e.sent_alert(), Some(AlertDescription::DECODE_ERROR));
        assert!(e.debug().contains("error.rs"));
        let a = Error::peer_alert(AlertDescription::HANDSHAKE_FAILURE);
        assert_eq!(
            a.kind(),
            ErrorKind::Alert(AlertDescription::HANDSHAKE_FAILURE)
        );
        assert_eq!(a.sent_alert(), None);
        let b = Error::blocked(Blocked::OnWrite);
        assert!(b.is_blocked());
        assert_eq!(b.blocked_on(), Some(Blocked::OnWrite));
    }
}
