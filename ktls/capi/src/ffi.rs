//! The C entry points: the crate's only unsafe code. Each function checks its
//! pointers and lengths, runs the safe code under `catch_unwind` (a panic
//! never unwinds into C: it becomes `BATON_ERR_PANIC`), and turns a failure
//! into -1 or NULL with the thread's `baton_errno` set.

use crate::config::baton_config;
use crate::conn::baton_connection;
use crate::error::{self, FailValue, Failure};
use crate::types::*;
use baton::offload::Direction;
use std::ffi::{c_void, CStr};
use std::os::fd::BorrowedFd;
use std::os::raw::{c_char, c_int};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

/// Runs `f`, turning a failure or a panic into `T`'s error value.
fn guard<T: FailValue>(f: impl FnOnce() -> Result<T, Failure>) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            error::record(&e);
            T::fail_value()
        }
        Err(_) => {
            error::record(&Failure::panic());
            T::fail_value()
        }
    }
}

/// [`guard`] for the I/O calls: also writes the blocked status (NOT_BLOCKED
/// first, the direction to wait for on a blocked return).
///
/// # Safety
/// `blocked` is NULL or points to a writable `baton_blocked_status`.
unsafe fn guard_blocked<T: FailValue>(
    blocked: *mut baton_blocked_status,
    f: impl FnOnce() -> Result<T, Failure>,
) -> T {
    // SAFETY: the caller passes NULL or a valid, writable, aligned pointer
    // (the header's contract for every blocked out-parameter).
    let Some(out) = (unsafe { blocked.as_mut() }) else {
        error::record(&Failure::null("blocked"));
        return T::fail_value();
    };
    *out = baton_blocked_status::BATON_NOT_BLOCKED;
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            *out = error::blocked_status(&e);
            error::record(&e);
            T::fail_value()
        }
        Err(_) => {
            error::record(&Failure::panic());
            T::fail_value()
        }
    }
}

/// The object behind a handle.
///
/// # Safety
/// `p` is NULL or a live pointer from the matching `_new` call, used by no
/// other thread during this call.
unsafe fn obj<'a, T>(p: *mut T, what: &str) -> Result<&'a mut T, Failure> {
    // SAFETY: per this function's contract.
    unsafe { p.as_mut() }.ok_or_else(|| Failure::null(what))
}

/// A config, shared: it locks inside, so threads may use one at once.
///
/// # Safety
/// `p` is NULL or a live pointer from `baton_config_new*`.
unsafe fn config_ref<'a>(p: *mut baton_config) -> Result<&'a baton_config, Failure> {
    // SAFETY: per this function's contract; only shared references are made.
    unsafe { p.as_ref() }.ok_or_else(|| Failure::null("config"))
}

/// A NUL-terminated string's bytes.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that outlives the call.
unsafe fn cbytes<'a>(p: *const c_char, what: &str) -> Result<&'a [u8], Failure> {
    if p.is_null() {
        return Err(Failure::null(what));
    }
    // SAFETY: non-NULL and NUL-terminated per this function's contract.
    Ok(unsafe { CStr::from_ptr(p) }.to_bytes())
}

/// A NUL-terminated UTF-8 string.
///
/// # Safety
/// As [`cbytes`].
unsafe fn cstr<'a>(p: *const c_char, what: &str) -> Result<&'a str, Failure> {
    // SAFETY: forwarded contract.
    let b = unsafe { cbytes(p, what) }?;
    std::str::from_utf8(b).map_err(|_| Failure::invalid(format!("{what} is not UTF-8")))
}

/// The length of a caller's buffer, refused when negative.
fn length(size: libc::ssize_t, what: &str) -> Result<usize, Failure> {
    usize::try_from(size).map_err(|_| Failure::invalid(format!("{what} is negative")))
}

/// The 0/1 of a C boolean.
fn flag(b: bool) -> c_int {
    c_int::from(b)
}

// ------------------------------------------------------------ library, errors

/// Nothing to set up: returns 0 (kept for code written against s2n's shape).
#[no_mangle]
pub extern "C" fn baton_init() -> c_int {
    0
}

/// Frees the receive buffers this thread keeps for its next connections;
/// returns 0. Call it on a thread that is done with TLS.
#[no_mangle]
pub extern "C" fn baton_cleanup() -> c_int {
    guard(|| {
        baton::trim_buffer_pool();
        Ok(0)
    })
}

/// The address of this thread's last error code; `baton_errno` reads it.
/// Set by every call that fails (returns -1 or NULL); never cleared by a
/// call that succeeds.
#[no_mangle]
pub extern "C" fn baton_errno_location() -> *mut c_int {
    error::errno_cell()
}

/// The type (`baton_error_type`) of an error code.
#[no_mangle]
pub extern "C" fn baton_error_get_type(error: c_int) -> c_int {
    error::error_type(error)
}

fn language_ok(lang: *const c_char) -> bool {
    if lang.is_null() {
        return true;
    }
    // SAFETY: a non-NULL `lang` is a NUL-terminated string (header contract).
    let lang = unsafe { CStr::from_ptr(lang) };
    lang.to_bytes().eq_ignore_ascii_case(b"EN")
}

/// A static English description of `error` (`lang` is "EN" or NULL). Never
/// NULL; valid for the life of the program.
///
/// # Safety
/// `lang` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn baton_strerror(error: c_int, lang: *const c_char) -> *const c_char {
    if !language_ok(lang) {
        return c"Language is not supported for error translation".as_ptr();
    }
    error::describe(error).1.as_ptr()
}

/// For this thread's last error, its detailed message with where it was
/// raised (valid until the next failing Baton call on this thread); for
/// another code, the static description.
///
/// # Safety
/// `lang` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn baton_strerror_debug(error: c_int, lang: *const c_char) -> *const c_char {
    if !language_ok(lang) {
        return c"Language is not supported for error translation".as_ptr();
    }
    error::debug_text(error)
}

/// The constant's name of `error` ("BATON_ERR_IO"...), static.
#[no_mangle]
pub extern "C" fn baton_strerror_name(error: c_int) -> *const c_char {
    error::describe(error).0.as_ptr()
}

// ------------------------------------------------------------------- config

/// A new config: the default policy ("default_tls13") and the system trust
/// store. NULL on failure. Free it with `baton_config_free`.
#[no_mangle]
pub extern "C" fn baton_config_new() -> *mut baton_config {
    guard(|| Ok(Box::into_raw(Box::new(baton_config::new(false)))))
}

/// A new config without the system trust store (cheaper; for servers and
/// for clients that add their own CAs).
#[no_mangle]
pub extern "C" fn baton_config_new_minimal() -> *mut baton_config {
    guard(|| Ok(Box::into_raw(Box::new(baton_config::new(true)))))
}

/// Frees a config (NULL is fine). Connections that use it keep working:
/// they share the built settings.
///
/// # Safety
/// `config` is NULL or from `baton_config_new*`, not freed yet.
#[no_mangle]
pub unsafe extern "C" fn baton_config_free(config: *mut baton_config) -> c_int {
    guard(|| {
        if !config.is_null() {
            // SAFETY: from Box::into_raw in baton_config_new*, freed only here.
            drop(unsafe { Box::from_raw(config) });
        }
        Ok(0)
    })
}

/// Selects a named security policy ("default_tls13", "default",
/// "20230317"... see docs/security-policies.md).
///
/// # Safety
/// `config` is a live config; `version` a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn baton_config_set_cipher_preferences(
    config: *mut baton_config,
    version: *const c_char,
) -> c_int {
    guard(|| {
        // SAFETY: the caller's contract above.
        let (cfg, name) = unsafe { (config_ref(config)?, cstr(version, "version")?) };
        cfg.set_policy(name)?;
        Ok(0)
    })
}

/// Adds a certificate chain (PEM, leaf first) and its private key (PEM).
///
/// # Safety
/// `config` is a live config; both strings NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn baton_config_add_cert_chain_and_key(
    config: *mut baton_config,
    cert_chain_pem: *const c_char,
    private_key_pem: *const c_char,
) -> c_int {
    guard(|| {
        // SAFETY: the caller's contract above.
        let (cfg, chain, key) = unsafe {
            (
                config_ref(config)?,
                cbytes(cert_chain_pem, "cert_chain_pem")?,
                cbytes(private_key_pem, "private_key_pem")?,
            )
        };
        cfg.add_cert_chain_and_key(chain, key)?;
        Ok(0)
    })
}

/// Adds the PEM certificates in `pem` as trust anchors.
///
/// # Safety
/// `config` is a live config; `pem` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn baton_config_add_pem_to_trust_store(
    config: *mut baton_config,
    pem: *const c_char,
) -> c_int {
    guard(|| {
        // SAFETY: the caller's contract above.
        let (cfg, pem) = unsafe { (config_ref(config)?, cbytes(pem, "pem")?) };
        cfg.add_pem_to_trust_store(pem)?;
        Ok(0)
    })
}

/// Trusts the CAs in a PEM file and/or a directory of PEM files (either may
/// be NULL, not both).
///
/// # Safety
/// `config` is a live config; each path NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn baton_config_set_verification_ca_location(
    config: *mut baton_config,
    ca_pem_filename: *const c_char,
    ca_dir: *const c_char,
) -> c_int {
    guard(|| {
        // SAFETY: the caller's contract above.
        let cfg = unsafe { config_ref(config)? };
        let path = |p: *const c_char, what| -> Result<Option<&Path>, Failure> {
            if p.is_null() {
                return Ok(None);
            }
            // SAFETY: non-NULL, so NUL-terminated per the contract.
            Ok(Some(Path::new(unsafe { cstr(p, what) }?)))
        };
        let file = path(ca_pem_filename, "ca_pem_filename")?;
        let dir = path(ca_dir, "ca_dir")?;
        cfg.set_verification_ca_location(file, dir)?;
        Ok(0)
    })
}

/// Removes every trust anchor, the system's included.
///
/// # Safety
/// `config` is a live config.
#[no_mangle]
pub unsafe extern "C" fn baton_config_wipe_trust_store(config: *mut baton_config) -> c_int {
    guard(|| {
        // SAFETY: the caller's contract above.
        unsafe { config_ref(config)? }.wipe_trust_store()?;
        Ok(0)
    })
}

/// Accepts any peer certificate. For tests only: it removes the protection
/// against an active attacker.
///
/// # Safety
/// `config` is a live config.
#[no_mangle]
pub unsafe extern "C" fn baton_config_disable_x509_verification(
    config: *mut baton_config,
) -> c_int {
    guard(|| {
        // SAFETY: the caller's contract above.
        unsafe { config_ref(config)? }.disable_x509_verification()?;
        Ok(0)
    })
}

/// Appends an ALPN protocol (`protocol_len` bytes, 1 to 255) to the
/// preference list (client: offered in order; server: preferred in order).
///
/// # Safety
/// `config` is a live config; `protocol` points to `protocol_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn baton_config_append_protocol_preference(
    config: *mut baton_config,
    protocol: *const u8,
    protocol_len: u8,
) -> c_int {
    guard(|| {
        // SAFETY: the caller's contract above.
        let cfg = unsafe { config_ref(config)? };
        if protocol.is_null() {
            return Err(Failure::null("protocol"));
        }
        // SAFETY: non-NULL and `protocol_len` (at most 255) readable bytes per
        // the contract; copied before returning.
        let p = unsafe { std::slice::from_raw_parts(protocol, usize::from(protocol_len)) };
        cfg.append_protocol(p)?;
        Ok(0)
    })
}

// --------------------------------------------------------------- connection

/// A new connection, `BATON_SERVER` or `BATON_CLIENT`. NULL on failure.
/// Free it with `baton_connection_free`.
#[no_mangle]
pub extern "C" fn baton_connection_new(mode: c_int) -> *mut baton_connection {
    guard(|| Ok(Box::into_raw(Box::new(baton_connection::new(mode)?))))
}

/// Uses `config`'s settings (built now; the config can't change after).
///
/// # Safety
/// `conn` and `config` are live objects.
#[no_mangle]
pub unsafe extern "C" fn baton_connection_set_config(
    conn: *mut baton_connection,
    config: *mut baton_config,
) -> c_int {
    guard(|| {
        // SAFETY: the caller's contract above.
        let (conn, cfg) = unsafe { (obj(conn, "conn")?, config_ref(config)?) };
        conn.set_config(cfg.config()?)?;
        Ok(0)
    })
}

/// Uses the connected socket `fd`, blocking or `O_NONBLOCK`. Baton works on
/// a duplicate (`F_DUPFD_CLOEXEC`) that it closes when the connection is
/// wiped or freed: the caller keeps owning `fd` and closes it itself.
///
/// # Safety
/// `conn` is a live connection.
#[no_mangle]
pub unsafe extern "C" fn baton_connection_set_fd(conn: *mut baton_connection, fd: c_int) -> c_int {
    guard(|| {
        // SAFETY: the caller's contract above.
        let conn = unsafe { obj(conn, "conn")? };
        if fd < 0 {
            return Err(Failure::invalid("fd is negative"));
        }
        // SAFETY: the borrow lives only for the dup below; an fd that is not
        // open makes the dup fail with EBADF, it is never used otherwise.
        let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
        let owned = borrowed
            .try_clone_to_owned()
            .map_err(|e| Failure::from(baton::Error::io_context("duplicating fd", &e)))?;
        conn.set_fd(owned)?;
        Ok(0)
    })
}

/// Client: the server's name, sent as SNI (unless an IP address) and checked
/// against its certificate.
///
/// # Safety
/// `conn` is a live connection; `server_name` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn baton_set_server_name(
    conn: *mut baton_connection,
    server_name: *const c_char,
) -> c_int {
    guard(|| {
        // SAFETY: the caller's contract above.
        let (conn, name) = unsafe { (obj(conn, "conn")?, cstr(server_name, "server_name")?) };
        conn.set_server_name(name)?;
        Ok(0)
    })
}

/// Runs the handshake: 0 when done; -1 on failure, or on a non-blocking fd
/// with `*blocked` saying what to wait for before calling again.
///
/// # Safety
/// `conn` is a live connection; `blocked` points to writable memory.
#[no_mangle]
pub unsafe extern "C" fn baton_negotiate(
    conn: *mut baton_connection,
    blocked: *mut baton_blocked_status,
) -> c_int {
    // SAFETY: the caller's contract above.
    unsafe {
        guard_blocked(blocked, || {
            obj(conn, "conn")?.negotiate()?;
            Ok(0)
        })
    }
}

/// Sends up to `size` bytes of `buf` (the handshake first, if not done);
/// returns the bytes taken, which can be fewer (call again with the rest).
/// -1 when blocked (nothing more was taken: call again with the same data)
/// or failed.
///
/// # Safety
/// `conn` is a live connection; `buf` points to `size` readable bytes;
/// `blocked` points to writable memory.
#[no_mangle]
pub unsafe extern "C" fn baton_send(
    conn: *mut baton_connection,
    buf: *const c_void,
    size: libc::ssize_t,
    blocked: *mut baton_blocked_status,
) -> libc::ssize_t {
    // SAFETY: the caller's contract above.
    unsafe {
        guard_blocked(blocked, || {
            let conn = obj(conn, "conn")?;
            let len = length(size, "size")?;
            let data: &[u8] = match len {
                0 => &[],
                _ if buf.is_null() => return Err(Failure::null("buf")),
                // SAFETY: non-NULL, `len` readable bytes (len <= isize::MAX).
                _ => std::slice::from_raw_parts(buf.cast::<u8>(), len),
            };
            Ok(conn.send(data)? as libc::ssize_t)
        })
    }
}

/// Receives up to `size` bytes into `buf`; returns the count, 0 when the
/// peer sent close_notify, -1 when blocked or failed.
///
/// # Safety
/// `conn` is a live connection; `buf` points to `size` writable bytes;
/// `blocked` points to writable memory.
#[no_mangle]
pub unsafe extern "C" fn baton_recv(
    conn: *mut baton_connection,
    buf: *mut c_void,
    size: libc::ssize_t,
    blocked: *mut baton_blocked_status,
) -> libc::ssize_t {
    // SAFETY: the caller's contract above.
    unsafe {
        guard_blocked(blocked, || {
            let conn = obj(conn, "conn")?;
            let len = length(size, "size")?;
            let out: &mut [u8] = match len {
                0 => &mut [],
                _ if buf.is_null() => return Err(Failure::null("buf")),
                // SAFETY: non-NULL, `len` writable bytes, not aliased during the call.
                _ => std::slice::from_raw_parts_mut(buf.cast::<u8>(), len),
            };
            Ok(conn.recv(out)? as libc::ssize_t)
        })
    }
}

/// Sends close_notify and waits for the peer's; 0 when done, -1 when
/// blocked or failed. The socket stays open.
///
/// # Safety
/// `conn` is a live connection; `blocked` points to writable memory.
#[no_mangle]
pub unsafe extern "C" fn baton_shutdown(
    conn: *mut baton_connection,
    blocked: *mut baton_blocked_status,
) -> c_int {
    // SAFETY: the caller's contract above.
    unsafe {
        guard_blocked(blocked, || {
            obj(conn, "conn")?.shutdown()?;
            Ok(0)
        })
    }
}

/// Sends close_notify without waiting (half-close); `baton_recv` goes on
/// until the peer's close_notify.
///
/// # Safety
/// `conn` is a live connection; `blocked` points to writable memory.
#[no_mangle]
pub unsafe extern "C" fn baton_shutdown_send(
    conn: *mut baton_connection,
    blocked: *mut baton_blocked_status,
) -> c_int {
    // SAFETY: the caller's contract above.
    unsafe {
        guard_blocked(blocked, || {
            obj(conn, "conn")?.shutdown_send()?;
            Ok(0)
        })
    }
}

/// Makes the connection new again (same mode and config; no socket, no
/// server name), freeing what the last one held. Strings it returned die.
///
/// # Safety
/// `conn` is a live connection.
#[no_mangle]
pub unsafe extern "C" fn baton_connection_wipe(conn: *mut baton_connection) -> c_int {
    guard(|| {
        // SAFETY: the caller's contract above.
        unsafe { obj(conn, "conn")? }.wipe();
        Ok(0)
    })
}

/// Frees a connection (NULL is fine) and closes its duplicate of the fd;
/// sends nothing (call `baton_shutdown` first for a clean close).
///
/// # Safety
/// `conn` is NULL or from `baton_connection_new`, not freed yet.
#[no_mangle]
pub unsafe extern "C" fn baton_connection_free(conn: *mut baton_connection) -> c_int {
    guard(|| {
        if !conn.is_null() {
            // SAFETY: from Box::into_raw in baton_connection_new, freed only here.
            drop(unsafe { Box::from_raw(conn) });
        }
        Ok(0)
    })
}

// ------------------------------------------------------------------ getters

/// `BATON_TLS13` or `BATON_TLS12` after the handshake; -1 before.
///
/// # Safety
/// `conn` is a live connection.
#[no_mangle]
pub unsafe extern "C" fn baton_connection_get_actual_protocol_version(
    conn: *mut baton_connection,
) -> c_int {
    // SAFETY: the caller's contract above.
    guard(|| unsafe { obj(conn, "conn") }?.protocol_version())
}

/// The cipher suite's IANA name ("TLS_AES_128_GCM_SHA256"), owned by the
/// connection (valid until it is wiped or freed); NULL before the handshake.
///
/// # Safety
/// `conn` is a live connection.
#[no_mangle]
pub unsafe extern "C" fn baton_connection_get_cipher(conn: *mut baton_connection) -> *const c_char {
    // SAFETY: the caller's contract above.
    guard(|| unsafe { obj(conn, "conn") }?.cipher())
}

/// The negotiated ALPN protocol, owned by the connection (valid until it is
/// wiped or freed); NULL when none was negotiated (not an error).
///
/// # Safety
/// `conn` is a live connection.
#[no_mangle]
pub unsafe extern "C" fn baton_get_application_protocol(
    conn: *mut baton_connection,
) -> *const c_char {
    // SAFETY: the caller's contract above.
    guard(|| Ok(unsafe { obj(conn, "conn") }?.alpn()))
}

/// Client: the name set; server: the SNI the client sent. Owned by the
/// connection (valid until it is wiped or freed); NULL when none.
///
/// # Safety
/// `conn` is a live connection.
#[no_mangle]
pub unsafe extern "C" fn baton_get_server_name(conn: *mut baton_connection) -> *const c_char {
    // SAFETY: the caller's contract above.
    guard(|| Ok(unsafe { obj(conn, "conn") }?.server_name()))
}

/// 1 if the handshake resumed a session, else 0.
///
/// # Safety
/// `conn` is a live connection.
#[no_mangle]
pub unsafe extern "C" fn baton_connection_is_session_resumed(conn: *mut baton_connection) -> c_int {
    // SAFETY: the caller's contract above.
    guard(|| Ok(flag(unsafe { obj(conn, "conn") }?.is_resumed())))
}

/// The fatal alert the peer sent (its TLS code, e.g. 40), after a
/// `BATON_ERR_T_ALERT` error; -1 when none.
///
/// # Safety
/// `conn` is a live connection.
#[no_mangle]
pub unsafe extern "C" fn baton_connection_get_alert(conn: *mut baton_connection) -> c_int {
    // SAFETY: the caller's contract above.
    guard(|| unsafe { obj(conn, "conn") }?.received_alert())
}

/// The fatal alert Baton sent (e.g. 48 unknown_ca), after a
/// `BATON_ERR_T_PROTO` error; -1 when none.
///
/// # Safety
/// `conn` is a live connection.
#[no_mangle]
pub unsafe extern "C" fn baton_connection_get_sent_alert(conn: *mut baton_connection) -> c_int {
    // SAFETY: the caller's contract above.
    guard(|| unsafe { obj(conn, "conn") }?.sent_alert())
}

// --------------------------------------------------------------- kernel TLS

fn ktls_enable(conn: *mut baton_connection, dir: Direction) -> c_int {
    guard(|| {
        // SAFETY: the callers' contract: `conn` is NULL or a live connection.
        unsafe { obj(conn, "conn")? }.ktls_enable(dir)?;
        Ok(0)
    })
}

/// After the handshake, moves the records Baton sends into the kernel
/// (kTLS). 0 when the kernel took them; -1 with `BATON_ERR_KTLS_UNSUPPORTED`
/// where it can't (no kTLS, a cipher it lacks): the connection goes on in
/// userspace, unharmed. Other calls work the same either way.
///
/// # Safety
/// `conn` is a live connection.
#[no_mangle]
pub unsafe extern "C" fn baton_connection_ktls_enable_send(conn: *mut baton_connection) -> c_int {
    ktls_enable(conn, Direction::Send)
}

/// As `baton_connection_ktls_enable_send`, for the records Baton receives;
/// call it before `baton_recv` has read anything the peer sent after the
/// handshake, or it fails with `BATON_ERR_USAGE`.
///
/// # Safety
/// `conn` is a live connection.
#[no_mangle]
pub unsafe extern "C" fn baton_connection_ktls_enable_recv(conn: *mut baton_connection) -> c_int {
    ktls_enable(conn, Direction::Recv)
}

/// 1 if the kernel handles `direction`'s records (`BATON_KTLS_SEND` or
/// `BATON_KTLS_RECV`), 0 if Baton does; -1 for another direction.
///
/// # Safety
/// `conn` is a live connection.
#[no_mangle]
pub unsafe extern "C" fn baton_connection_is_ktls_enabled(
    conn: *mut baton_connection,
    direction: c_int,
) -> c_int {
    // SAFETY: the caller's contract above.
    guard(|| Ok(flag(unsafe { obj(conn, "conn") }?.is_ktls(direction)?)))
}

/// Who protects each direction's records, and why ("send=kernel
/// recv=userspace (...)"). Owned by the connection: valid until the kTLS
/// state changes or the connection is wiped or freed.
///
/// # Safety
/// `conn` is a live connection.
#[no_mangle]
pub unsafe extern "C" fn baton_connection_get_ktls_status(
    conn: *mut baton_connection,
) -> *const c_char {
    // SAFETY: the caller's contract above.
    guard(|| Ok(unsafe { obj(conn, "conn") }?.ktls_status()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_internal_error() {
        let r: c_int = guard(|| panic!("a bug inside Baton"));
        assert_eq!(r, -1);
        assert_eq!(error::errno(), BATON_ERR_PANIC);
        assert_eq!(
            baton_error_get_type(error::errno()),
            baton_error_type::BATON_ERR_T_INTERNAL as c_int
        );
        let mut blocked = baton_blocked_status::BATON_BLOCKED_ON_READ;
        // SAFETY: a valid out-parameter.
        let r: isize = unsafe { guard_blocked(&mut blocked, || panic!("again")) };
        assert_eq!(r, -1);
        assert_eq!(blocked, baton_blocked_status::BATON_NOT_BLOCKED);
        let p: *mut baton_config = guard(|| panic!("and in a constructor"));
        assert!(p.is_null());
    }
}
