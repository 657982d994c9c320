//! SIGINT / SIGTERM / SIGUSR1 / SIGHUP for `baton serve`, through signal-hook:
//! its handler only writes to a self-pipe, and a small thread takes the
//! signals from the other end and hands them to the main thread, so nothing
//! of ours runs in a signal handler. The signals are blocked in the main
//! thread and so in every worker started after it: only that thread takes
//! them, and no worker's system call is ever cut short by one.

use nix::sys::signal::{SigSet, Signal as Sig};
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM, SIGUSR1};
use signal_hook::iterator::Signals;
use std::io;
use std::sync::mpsc;

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

/// The four signals, caught from [`Listener::new`] on until exit (their
/// default actions, which would kill the process, no longer apply). A second
/// SIGINT/SIGTERM during the drain is caught and ignored, as before: the
/// drain is bounded (5 s).
#[derive(Debug)]
pub struct Listener(mpsc::Receiver<Signal>);

impl Listener {
    /// Catches the four signals and blocks them in the calling thread and
    /// every thread it starts afterwards. Call it before starting workers and
    /// before the listener opens, so that a signal sent once the address is
    /// printed is never lost.
    pub fn new() -> io::Result<Self> {
        let mut signals = Signals::new([SIGINT, SIGTERM, SIGUSR1, SIGHUP])?;
        let (tx, rx) = mpsc::channel();
        // Started before the mask below, so this thread is the one left with
        // the signals unblocked; it ends with the process.
        std::thread::Builder::new()
            .name("baton-signals".into())
            .spawn(move || {
                for sig in signals.forever() {
                    let sig = match sig {
                        SIGUSR1 => Signal::Report,
                        SIGHUP => Signal::Reload,
                        _ => Signal::Terminate,
                    };
                    if tx.send(sig).is_err() {
                        break;
                    }
                }
            })?;
        let mut mask = SigSet::empty();
        for sig in [Sig::SIGINT, Sig::SIGTERM, Sig::SIGUSR1, Sig::SIGHUP] {
            mask.add(sig);
        }
        mask.thread_block().map_err(io::Error::from)?;
        Ok(Self(rx))
    }

    /// Waits for the next of the signals.
    pub fn wait(&mut self) -> io::Result<Signal> {
        self.0
            .recv()
            .map_err(|_| io::Error::other("the signal thread ended"))
    }
}
