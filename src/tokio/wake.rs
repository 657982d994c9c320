//! Waking a handshake that waits for the application.
//!
//! The handshake's asynchronous callbacks (a ClientHello callback answering
//! [`Later`](crate::ClientHelloAction::Later), a session cache lookup
//! answered [`Pending`](crate::resumption::CacheLookup::Pending), a private
//! key operation or a CRL lookup completed on another thread, an early-data
//! decision) are answered from elsewhere. The pending halves
//! ([`PendingClientHello::with_waker`](crate::PendingClientHello::with_waker)
//! and its siblings) take a closure to call once answered; inside such a
//! callback, [`handshake_waker`] gives the closure that wakes the task
//! driving this handshake. The callback runs synchronously inside the
//! stream's poll, on the polling thread, so a thread-local names the stream.

use std::cell::RefCell;
use std::sync::{Arc, Mutex};
use std::task::Waker;

/// The waker of the task that last polled one stream. Updated at every poll
/// (a task can move between threads and wakers), read when the answer comes.
#[derive(Default)]
pub(super) struct WakeCell {
    waker: Mutex<Option<Waker>>,
}

impl WakeCell {
    /// Stores the current task's waker (before the handshake is driven, so
    /// an answer given at any time after finds it).
    pub(super) fn register(&self, waker: &Waker) {
        let mut slot = lock(&self.waker);
        match &*slot {
            Some(w) if w.will_wake(waker) => {}
            _ => *slot = Some(waker.clone()),
        }
    }

    fn wake(&self) {
        let w = lock(&self.waker).clone();
        if let Some(w) = w {
            w.wake();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A waker store cannot be left half-written: poisoning is harmless here.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<WakeCell>>> = const { RefCell::new(None) };
}

/// Runs `f` with `cell` as the stream whose handshake callbacks run now.
pub(super) fn with_current<R>(cell: &Arc<WakeCell>, f: impl FnOnce() -> R) -> R {
    let prev = CURRENT.with(|c| c.replace(Some(Arc::clone(cell))));
    // Restored even if `f` panics, so a later stream never wakes this one.
    struct Restore(Option<Arc<WakeCell>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let prev = self.0.take();
            CURRENT.with(|c| *c.borrow_mut() = prev);
        }
    }
    let _restore = Restore(prev);
    f()
}

/// Inside a handshake callback of a handshake driven by this module (a
/// [`TlsAcceptor`](super::TlsAcceptor) or [`TlsConnector`](super::TlsConnector)
/// future), the closure that wakes
/// the task driving that handshake. Pass it to the pending half, e.g.
/// `PendingClientHello::with_waker(baton::tokio::handshake_waker())`, or call
/// it after completing a [`PrivateKeyOp`](crate::PrivateKeyOp) or
/// [`CrlLookup`](crate::cert::CrlLookup) on another thread.
///
/// Outside such a callback it returns a closure that does nothing: the
/// handshake would then wait until its task is polled for another reason.
pub fn handshake_waker() -> impl FnOnce() + Send + 'static {
    let cell = CURRENT.with(|c| c.borrow().clone());
    move || {
        if let Some(cell) = cell {
            cell.wake();
        }
    }
}
