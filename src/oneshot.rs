//! An answer given later, from any thread, to a handshake that waits for it:
//! the session cache's lookup, the anti-replay store's claim and the
//! application's early-data decision are each a pair of public types on
//! this one mechanism. The handshake polls its [`Slot`] (it returns
//! `Blocked::OnApplicationInput` meanwhile); the other side gives the value
//! once through its [`Answer`], which calls an optional waker so an event
//! loop drives the handshake again. An answer dropped unanswered gives its
//! fallback value, so a handshake never waits on a handle that is gone.

use std::sync::{Arc, Mutex, MutexGuard};

/// Called once when the answer is given.
pub(crate) type Waker = Box<dyn FnOnce() + Send + 'static>;

struct Shared<T> {
    value: Mutex<Option<T>>,
    waker: Mutex<Option<Waker>>,
}

/// The waiting half.
pub(crate) struct Slot<T> {
    shared: Arc<Shared<T>>,
}

/// The answering half; dropping it unanswered answers `fallback`.
pub(crate) struct Answer<T> {
    shared: Arc<Shared<T>>,
    fallback: Option<T>,
}

/// A slot and its answer; `waker` is called once, on the answering thread.
pub(crate) fn pair<T>(waker: Option<Waker>, fallback: T) -> (Slot<T>, Answer<T>) {
    let shared = Arc::new(Shared {
        value: Mutex::new(None),
        waker: Mutex::new(waker),
    });
    (
        Slot {
            shared: Arc::clone(&shared),
        },
        Answer {
            shared,
            fallback: Some(fallback),
        },
    )
}

impl<T: Clone> Slot<T> {
    /// `None` while unanswered, then the answer, the same at every call.
    pub(crate) fn poll(&self) -> Option<T> {
        lock(&self.shared.value).clone()
    }
}

impl<T> Slot<T> {
    pub(crate) fn is_answered(&self) -> bool {
        lock(&self.shared.value).is_some()
    }
}

impl<T> Answer<T> {
    /// Gives the answer (the first one counts).
    pub(crate) fn give(&mut self, value: T) {
        if self.fallback.take().is_some() {
            self.set(value);
        }
    }

    pub(crate) fn is_answered(&self) -> bool {
        self.fallback.is_none()
    }

    fn set(&self, value: T) {
        *lock(&self.shared.value) = Some(value);
        // Taken out first so the waker runs with no lock held.
        let wake = lock(&self.shared.waker).take();
        if let Some(wake) = wake {
            wake();
        }
    }
}

impl<T> Drop for Answer<T> {
    fn drop(&mut self) {
        if let Some(v) = self.fallback.take() {
            self.set(v);
        }
    }
}

/// A poisoned lock only means another thread panicked holding it; the value
/// is still consistent.
fn lock<V>(m: &Mutex<V>) -> MutexGuard<'_, V> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn answered_once_then_the_same_value() {
        let (slot, mut answer) = pair::<u8>(None, 0);
        assert_eq!(slot.poll(), None);
        answer.give(7);
        answer.give(9);
        assert!(answer.is_answered() && slot.is_answered());
        assert_eq!(slot.poll(), Some(7));
        drop(answer);
        assert_eq!(slot.poll(), Some(7));
    }

    #[test]
    fn dropped_unanswered_gives_the_fallback_and_wakes_once() {
        let woken = Arc::new(AtomicUsize::new(0));
        let w = Arc::clone(&woken);
        let (slot, answer) = pair::<u8>(
            Some(Box::new(move || {
                w.fetch_add(1, Ordering::SeqCst);
            })),
            42,
        );
        drop(answer);
        assert_eq!(slot.poll(), Some(42));
        assert_eq!(woken.load(Ordering::SeqCst), 1);
    }
}
