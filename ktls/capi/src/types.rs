//! The C-visible constants and enums (cbindgen copies them into baton.h).
#![forbid(unsafe_code)]
// The names are C's: the header spells them exactly like this.
#![allow(non_camel_case_types)]

use std::os::raw::c_int;

/// A connection's role, for `baton_connection_new`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum baton_mode {
    /// Answers the handshake.
    BATON_SERVER = 0,
    /// Starts the handshake.
    BATON_CLIENT = 1,
}

/// Why a call on a non-blocking fd returned -1 without failing (s2n's
/// `s2n_blocked_status`): wait for that, then call it again.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum baton_blocked_status {
    /// Not blocked: the call finished, or failed for another reason.
    BATON_NOT_BLOCKED = 0,
    /// Wait until the fd is readable.
    BATON_BLOCKED_ON_READ = 1,
    /// Wait until the fd is writable.
    BATON_BLOCKED_ON_WRITE = 2,
    /// The handshake waits for the application (a callback's answer).
    BATON_BLOCKED_ON_APPLICATION_INPUT = 3,
    /// Early data must be accepted or rejected first.
    BATON_BLOCKED_ON_EARLY_DATA = 4,
}

/// The class of an error code, from `baton_error_get_type` (s2n's error
/// types, same order).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum baton_error_type {
    /// No error.
    BATON_ERR_T_OK = 0,
    /// The socket failed; `errno` holds the OS error.
    BATON_ERR_T_IO = 1,
    /// The peer closed the connection.
    BATON_ERR_T_CLOSED = 2,
    /// Not a failure: wait for the blocked status and call again.
    BATON_ERR_T_BLOCKED = 3,
    /// The peer sent a fatal alert (`baton_connection_get_alert`).
    BATON_ERR_T_ALERT = 4,
    /// The peer broke the protocol or failed verification; Baton sent an
    /// alert (`baton_connection_get_sent_alert`).
    BATON_ERR_T_PROTO = 5,
    /// A failure inside Baton (or a caught panic).
    BATON_ERR_T_INTERNAL = 6,
    /// The API was misused (NULL, bad length, wrong order, bad setting).
    BATON_ERR_T_USAGE = 7,
}

/// `baton_connection_is_ktls_enabled`: the records Baton writes.
pub const BATON_KTLS_SEND: c_int = 0;
/// `baton_connection_is_ktls_enabled`: the records Baton reads.
pub const BATON_KTLS_RECV: c_int = 1;

/// `baton_connection_get_actual_protocol_version`: SSLv3 (never negotiated).
pub const BATON_SSLV3: c_int = 30;
/// TLS 1.0 (never negotiated; s2n's numbering).
pub const BATON_TLS10: c_int = 31;
/// TLS 1.1 (never negotiated).
pub const BATON_TLS11: c_int = 32;
/// TLS 1.2.
pub const BATON_TLS12: c_int = 33;
/// TLS 1.3.
pub const BATON_TLS13: c_int = 34;

// Error codes: the type in the top bits (`code >> 26`), as s2n does.

/// No error.
pub const BATON_ERR_OK: c_int = 0;
/// A socket call failed (`errno` is set).
pub const BATON_ERR_IO: c_int = 0x0400_0001;
/// The peer closed the connection (without close_notify, or during the handshake).
pub const BATON_ERR_CLOSED: c_int = 0x0800_0001;
/// The call would block: see the blocked status.
pub const BATON_ERR_BLOCKED: c_int = 0x0C00_0001;
/// The peer sent a fatal alert.
pub const BATON_ERR_ALERT: c_int = 0x1000_0001;
/// The peer broke the protocol or its certificate was refused.
pub const BATON_ERR_PROTOCOL: c_int = 0x1400_0001;
/// A failure inside Baton or its crypto provider.
pub const BATON_ERR_INTERNAL: c_int = 0x1800_0001;
/// A private key operation failed.
pub const BATON_ERR_PRIVATE_KEY: c_int = 0x1800_0002;
/// Baton panicked inside this call (caught at the boundary): free the object.
pub const BATON_ERR_PANIC: c_int = 0x1800_0003;
/// Wrong order of calls or a setting Baton refuses.
pub const BATON_ERR_USAGE: c_int = 0x1C00_0001;
/// A required pointer argument was NULL.
pub const BATON_ERR_NULL: c_int = 0x1C00_0002;
/// An argument is out of range (a negative length, a string not UTF-8...).
pub const BATON_ERR_INVALID_ARGUMENT: c_int = 0x1C00_0003;
/// The kernel can't take this direction's records (no kernel TLS, a cipher it
/// lacks...): the connection goes on in userspace, unharmed.
pub const BATON_ERR_KTLS_UNSUPPORTED: c_int = 0x1C00_0004;
