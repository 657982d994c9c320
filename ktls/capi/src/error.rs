//! Errors at the C boundary: each failing call stores its code in the
//! thread's `baton_errno` and its text for `baton_strerror_debug`, as s2n does.
#![forbid(unsafe_code)]

use crate::types::*;
use baton::{Blocked, ErrorKind};
use std::cell::{Cell, RefCell};
use std::ffi::{CStr, CString};
use std::os::raw::c_int;

/// Why a call failed, as C sees it: a code, a message, and for Baton's own
/// errors the blocked direction, the OS error and the alerts.
#[derive(Debug)]
pub struct Failure {
    pub(crate) code: c_int,
    pub(crate) debug: String,
    pub(crate) blocked: Option<Blocked>,
    pub(crate) os_error: Option<i32>,
}

impl Failure {
    fn new(code: c_int, debug: impl Into<String>) -> Self {
        Self {
            code,
            debug: debug.into(),
            blocked: None,
            os_error: None,
        }
    }

    /// A NULL where a pointer was required.
    pub fn null(what: &str) -> Self {
        Self::new(BATON_ERR_NULL, format!("{what} is NULL"))
    }

    /// An argument out of range.
    pub fn invalid(msg: impl Into<String>) -> Self {
        Self::new(BATON_ERR_INVALID_ARGUMENT, msg)
    }

    /// Calls in the wrong order, or a refused setting.
    pub fn usage(msg: impl Into<String>) -> Self {
        Self::new(BATON_ERR_USAGE, msg)
    }

    /// The kernel refused a direction; the connection stays in userspace.
    pub fn ktls(why: &str) -> Self {
        Self::new(
            BATON_ERR_KTLS_UNSUPPORTED,
            format!("kernel TLS unavailable, records stay in userspace: {why}"),
        )
    }

    /// A panic caught at the boundary.
    pub fn panic() -> Self {
        Self::new(BATON_ERR_PANIC, "Baton panicked inside this call (caught)")
    }
}

impl From<baton::Error> for Failure {
    fn from(e: baton::Error) -> Self {
        let code = match e.kind() {
            ErrorKind::Blocked => BATON_ERR_BLOCKED,
            ErrorKind::Closed => BATON_ERR_CLOSED,
            ErrorKind::Io => BATON_ERR_IO,
            ErrorKind::Protocol => BATON_ERR_PROTOCOL,
            ErrorKind::Alert(_) => BATON_ERR_ALERT,
            ErrorKind::Usage => BATON_ERR_USAGE,
            ErrorKind::PrivateKey => BATON_ERR_PRIVATE_KEY,
            _ => BATON_ERR_INTERNAL,
        };
        Self {
            code,
            debug: e.debug(),
            blocked: e.blocked_on(),
            os_error: e.os_error(),
        }
    }
}

/// What a failing call returns to C, per return type.
pub trait FailValue {
    /// The error value: -1, or NULL.
    fn fail_value() -> Self;
}

impl FailValue for c_int {
    fn fail_value() -> Self {
        -1
    }
}

impl FailValue for isize {
    fn fail_value() -> Self {
        -1
    }
}

impl<T> FailValue for *mut T {
    fn fail_value() -> Self {
        std::ptr::null_mut()
    }
}

impl<T> FailValue for *const T {
    fn fail_value() -> Self {
        std::ptr::null()
    }
}

thread_local! {
    static ERRNO: Cell<c_int> = const { Cell::new(BATON_ERR_OK) };
    /// The last failure's debug text, kept for `baton_strerror_debug`.
    static DEBUG: RefCell<CString> = RefCell::new(CString::default());
}

/// Records `f` as this thread's last error (and the OS error in `errno`).
pub fn record(f: &Failure) {
    ERRNO.with(|e| e.set(f.code));
    // Interior NULs (never expected in Baton's messages) would cut the text.
    let text = CString::new(f.debug.replace('\0', " ")).unwrap_or_default();
    DEBUG.with(|d| *d.borrow_mut() = text);
    if let Some(os) = f.os_error {
        nix::errno::Errno::set_raw(os);
    }
}

/// The thread's `baton_errno` cell: its address for `baton_errno_location`.
pub fn errno_cell() -> *mut c_int {
    ERRNO.with(|e| e.as_ptr())
}

/// The thread's last error code.
pub fn errno() -> c_int {
    ERRNO.with(|e| e.get())
}

/// The type of an error code (`code >> 26`, as s2n).
pub fn error_type(code: c_int) -> c_int {
    match code {
        BATON_ERR_OK => baton_error_type::BATON_ERR_T_OK as c_int,
        c if (0..=7).contains(&(c >> 26)) => c >> 26,
        _ => baton_error_type::BATON_ERR_T_INTERNAL as c_int,
    }
}

/// Static text for a code: (name, description). Lives as long as the program.
pub fn describe(code: c_int) -> (&'static CStr, &'static CStr) {
    match code {
        BATON_ERR_OK => (c"BATON_ERR_OK", c"no error"),
        BATON_ERR_IO => (c"BATON_ERR_IO", c"socket error (see errno)"),
        BATON_ERR_CLOSED => (c"BATON_ERR_CLOSED", c"the peer closed the connection"),
        BATON_ERR_BLOCKED => (
            c"BATON_ERR_BLOCKED",
            c"the call would block: wait for the blocked status and call again",
        ),
        BATON_ERR_ALERT => (c"BATON_ERR_ALERT", c"the peer sent a fatal alert"),
        BATON_ERR_PROTOCOL => (
            c"BATON_ERR_PROTOCOL",
            c"the peer broke the protocol or was not trusted; an alert was sent",
        ),
        BATON_ERR_INTERNAL => (c"BATON_ERR_INTERNAL", c"internal error"),
        BATON_ERR_PRIVATE_KEY => (
            c"BATON_ERR_PRIVATE_KEY",
            c"the private key operation failed",
        ),
        BATON_ERR_PANIC => (
            c"BATON_ERR_PANIC",
            c"internal error: Baton panicked inside the call (caught); free the object",
        ),
        BATON_ERR_USAGE => (c"BATON_ERR_USAGE", c"API misuse or a refused setting"),
        BATON_ERR_NULL => (c"BATON_ERR_NULL", c"a required pointer argument is NULL"),
        BATON_ERR_INVALID_ARGUMENT => (
            c"BATON_ERR_INVALID_ARGUMENT",
            c"an argument is out of range",
        ),
        BATON_ERR_KTLS_UNSUPPORTED => (
            c"BATON_ERR_KTLS_UNSUPPORTED",
            c"kernel TLS can't take these records; the connection goes on in userspace",
        ),
        _ => (c"BATON_ERR_UNKNOWN", c"unknown error code"),
    }
}

/// The detailed text of `code` if it is this thread's last error (valid
/// until the next failing call on the thread), else its static description.
pub fn debug_text(code: c_int) -> *const std::os::raw::c_char {
    if code != BATON_ERR_OK && code == errno() {
        DEBUG.with(|d| d.borrow().as_ptr())
    } else {
        describe(code).1.as_ptr()
    }
}

/// Blocked status for a failure.
pub fn blocked_status(f: &Failure) -> baton_blocked_status {
    match f.blocked {
        Some(Blocked::OnRead) => baton_blocked_status::BATON_BLOCKED_ON_READ,
        Some(Blocked::OnWrite) => baton_blocked_status::BATON_BLOCKED_ON_WRITE,
        Some(Blocked::OnApplicationInput) => {
            baton_blocked_status::BATON_BLOCKED_ON_APPLICATION_INPUT
        }
        Some(Blocked::OnEarlyData) => baton_blocked_status::BATON_BLOCKED_ON_EARLY_DATA,
        // A future status: reading is the safe wait (the peer moves next).
        Some(_) => baton_blocked_status::BATON_BLOCKED_ON_READ,
        None => baton_blocked_status::BATON_NOT_BLOCKED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_follow_the_top_bits() {
        assert_eq!(
            error_type(BATON_ERR_IO),
            baton_error_type::BATON_ERR_T_IO as c_int
        );
        assert_eq!(
            error_type(BATON_ERR_KTLS_UNSUPPORTED),
            baton_error_type::BATON_ERR_T_USAGE as c_int
        );
        assert_eq!(
            error_type(BATON_ERR_PANIC),
            baton_error_type::BATON_ERR_T_INTERNAL as c_int
        );
        assert_eq!(
            error_type(-5),
            baton_error_type::BATON_ERR_T_INTERNAL as c_int
        );
    }

    #[test]
    fn debug_text_is_the_last_errors() {
        record(&Failure::invalid("size is negative"));
        let p = debug_text(BATON_ERR_INVALID_ARGUMENT);
        let s = DEBUG.with(|d| d.borrow().to_str().unwrap().to_string());
        assert_eq!(s, "size is negative");
        assert_eq!(p, DEBUG.with(|d| d.borrow().as_ptr()));
        assert_eq!(debug_text(BATON_ERR_IO), describe(BATON_ERR_IO).1.as_ptr());
    }
}
