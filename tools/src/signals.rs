//! SIGINT / SIGTERM / SIGUSR1 / SIGHUP for `baton serve`'s main thread: blocked in
//! every thread (so no worker is killed by them), then taken one at a time
//! with `sigwait` — no signal handler, no async-signal-safety concerns.

use nix::sys::signal::{SigSet, Signal as Sig};
use std::io;

/// What arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT or SIGTERM: shut down gracefully.
    Terminate,
    /// SIGUSR1: print the counters.
    Report,
    /// SIGHUP: load the certificates again.
    Reload,
}

fn set() -> SigSet {
    let mut s = SigSet::empty();
    for sig in [Sig::SIGINT, Sig::SIGTERM, Sig::SIGUSR1, Sig::SIGHUP] {
        s.add(sig);
    }
    s
}

/// Blocks the four signals in the calling thread and every thread it starts
/// afterwards. Call it first, before starting workers.
pub fn block() -> io::Result<()> {
    set().thread_block().map_err(io::Error::from)
}

/// Waits for the next of the blocked signals.
pub fn wait() -> io::Result<Signal> {
    Ok(match set().wait().map_err(io::Error::from)? {
        Sig::SIGUSR1 => Signal::Report,
        Sig::SIGHUP => Signal::Reload,
        _ => Signal::Terminate,
    })
}
