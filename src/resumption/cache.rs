//! The server's session cache for TLS 1.2 session ids, as s2n's
//! store / retrieve / delete callbacks. Values are sealed with the config's
//! ticket keys before they reach the cache, so a shared store (Redis) holds
//! only ciphertext.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// What `retrieve` answers.
#[derive(Debug)]
pub enum CacheLookup {
    /// The value stored under the id.
    Found(Vec<u8>),
    /// Nothing stored under it: the handshake goes on in full.
    NotFound,
    /// The answer comes later: the handshake returns
    /// [`Blocked::OnApplicationInput`](crate::Blocked::OnApplicationInput)
    /// until the paired [`LookupAnswer`] is given, then the application
    /// drives it again.
    Pending(PendingLookup),
}

/// A server's session cache. Called from handshakes: `store` and `delete`
/// must not block; `retrieve` may answer [`CacheLookup::Pending`].
pub trait SessionCache: Send + Sync {
    /// Stores `value` under `id` for `ttl`.
    fn store(&self, id: &[u8], value: &[u8], ttl: Duration);
    /// Looks up `id`.
    fn retrieve(&self, id: &[u8]) -> CacheLookup;
    /// Removes `id` (the entry failed to resume or expired).
    fn delete(&self, id: &[u8]);
}

/// The handshake's half of an answer that comes later.
pub struct PendingLookup {
    /// `Some(value)` found, `None` not found.
    slot: crate::oneshot::Slot<Option<Vec<u8>>>,
}

/// The application's half: give the answer from any thread. Dropping it
/// unanswered counts as [`not_found`](Self::not_found).
pub struct LookupAnswer {
    answer: crate::oneshot::Answer<Option<Vec<u8>>>,
}

impl PendingLookup {
    /// A pending lookup and the handle that answers it.
    pub fn new() -> (PendingLookup, LookupAnswer) {
        Self::make(None)
    }

    /// As [`new`](Self::new), and `wake` is called once, on the answering
    /// thread, when the answer is given (or the answer handle is dropped),
    /// so an event loop can drive the handshake again.
    pub fn with_waker(wake: impl FnOnce() + Send + 'static) -> (PendingLookup, LookupAnswer) {
        Self::make(Some(Box::new(wake)))
    }

    fn make(waker: Option<crate::oneshot::Waker>) -> (PendingLookup, LookupAnswer) {
        let (slot, answer) = crate::oneshot::pair(waker, None);
        (PendingLookup { slot }, LookupAnswer { answer })
    }

    /// `None` while unanswered; then the answer (`Some(None)`: not found),
    /// the same at every later poll.
    pub(crate) fn poll(&self) -> Option<Option<Vec<u8>>> {
        self.slot.poll()
    }
}

impl LookupAnswer {
    /// The entry was found.
    pub fn found(mut self, value: Vec<u8>) {
        self.answer.give(Some(value));
    }

    /// There is no entry (or the store failed): the handshake goes on in full.
    pub fn not_found(mut self) {
        self.answer.give(None);
    }
}

impl core::fmt::Debug for PendingLookup {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PendingLookup")
            .field("answered", &self.slot.is_answered())
            .finish()
    }
}

impl core::fmt::Debug for LookupAnswer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("LookupAnswer")
            .field("answered", &self.answer.is_answered())
            .finish()
    }
}

/// A poisoned lock only means another thread panicked holding it; the data
/// (a cache map) is still consistent.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

struct Entry {
    value: Vec<u8>,
    /// `None`: the TTL was too large to represent, so it never expires.
    expires: Option<Instant>,
    /// Insertion order, the key of `order`.
    seq: u64,
}

#[derive(Default)]
struct Inner {
    map: HashMap<Vec<u8>, Entry>,
    /// Insertion order → id, so the oldest entry is the first.
    order: BTreeMap<u64, Vec<u8>>,
    next_seq: u64,
}

impl Inner {
    fn remove(&mut self, id: &[u8]) -> Option<Entry> {
        let e = self.map.remove(id)?;
        self.order.remove(&e.seq);
        Some(e)
    }
}

/// A bounded in-memory cache for one machine.
pub struct MemorySessionCache {
    capacity: usize,
    inner: Mutex<Inner>,
}

impl MemorySessionCache {
    /// A cache that holds at most `capacity` entries (the oldest go first).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// How many entries it holds now (expired ones included until looked up
    /// or evicted).
    pub fn len(&self) -> usize {
        lock(&self.inner).map.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl core::fmt::Debug for MemorySessionCache {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MemorySessionCache")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish()
    }
}

impl SessionCache for MemorySessionCache {
    fn store(&self, id: &[u8], value: &[u8], ttl: Duration) {
        if self.capacity == 0 {
            return;
        }
        let mut inner = lock(&self.inner);
        inner.remove(id);
        while inner.map.len() >= self.capacity {
            let Some((_, oldest)) = inner.order.pop_first() else {
                break;
            };
            inner.map.remove(&oldest);
        }
        let seq = inner.next_seq;
        inner.next_seq += 1;
        inner.order.insert(seq, id.to_vec());
        inner.map.insert(
            id.to_vec(),
            Entry {
                value: value.to_vec(),
                expires: Instant::now().checked_add(ttl),
                seq,
            },
        );
    }

    fn retrieve(&self, id: &[u8]) -> CacheLookup {
        let mut inner = lock(&self.inner);
        let live = match inner.map.get(id) {
            None => return CacheLookup::NotFound,
            Some(e) => e.expires.is_none_or(|t| Instant::now() < t),
        };
        if !live {
            inner.remove(id);
            return CacheLookup::NotFound;
        }
        match inner.map.get(id) {
            Some(e) => CacheLookup::Found(e.value.clone()),
            None => CacheLookup::NotFound,
        }
    }

    fn delete(&self, id: &[u8]) {
        lock(&self.inner).remove(id);
    }
}
