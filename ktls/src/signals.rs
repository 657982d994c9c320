//! SIGINT / SIGTERM / SIGUSR1 for a server's main thread: blocked in every
//! thread (so no worker is killed by them), then taken one at a time with
//! `sigwait` — no signal handler, no async-signal-safety concerns.

use std::io;

/// What arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT or SIGTERM: shut down gracefully.
    Terminate,
    /// SIGUSR1: print the counters.
    Report,
}

fn set() -> libc::sigset_t {
    // SAFETY: sigemptyset/sigaddset initialise and fill a local sigset_t.
    unsafe {
        let mut s: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut s);
        libc::sigaddset(&mut s, libc::SIGINT);
        libc::sigaddset(&mut s, libc::SIGTERM);
        libc::sigaddset(&mut s, libc::SIGUSR1);
        s
    }
}

/// Blocks the three signals in the calling thread and every thread it starts
/// afterwards. Call it first in `main`, before starting workers.
pub fn block() -> io::Result<()> {
    let s = set();
    // SAFETY: `s` is an initialised sigset_t; the old mask is not wanted.
    let r = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &s, std::ptr::null_mut()) };
    if r != 0 {
        return Err(io::Error::from_raw_os_error(r));
    }
    Ok(())
}

/// Waits for the next of the blocked signals.
pub fn wait() -> io::Result<Signal> {
    let s = set();
    let mut sig: libc::c_int = 0;
    // SAFETY: `s` is initialised and `sig` is a valid out pointer.
    let r = unsafe { libc::sigwait(&s, &mut sig) };
    if r != 0 {
        return Err(io::Error::from_raw_os_error(r));
    }
    Ok(if sig == libc::SIGUSR1 {
        Signal::Report
    } else {
        Signal::Terminate
    })
}
