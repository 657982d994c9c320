//! The server's session cache for TLS 1.2 session ids (SKELETON), as s2n's
//! store / retrieve / delete callbacks. Values are sealed with the config's
//! ticket keys before they reach the cache, so a shared store (Redis) holds
//! only ciphertext.

use std::time::Duration;

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
#[derive(Debug)]
pub struct PendingLookup {
    _todo: (),
}

/// The application's half: give the answer from any thread.
#[derive(Debug)]
pub struct LookupAnswer {
    _todo: (),
}

impl PendingLookup {
    /// A pending lookup and the handle that answers it.
    pub fn new() -> (PendingLookup, LookupAnswer) {
        todo!()
    }

    /// `None` while unanswered; then the answer (`Some(None)`: not found).
    pub(crate) fn poll(&self) -> Option<Option<Vec<u8>>> {
        todo!()
    }
}

impl LookupAnswer {
    /// The entry was found.
    pub fn found(self, value: Vec<u8>) {
        let _ = value;
        todo!()
    }

    /// There is no entry (or the store failed): the handshake goes on in full.
    pub fn not_found(self) {
        todo!()
    }
}

/// A bounded in-memory cache for one machine.
#[derive(Debug)]
pub struct MemorySessionCache {
    _todo: (),
}

impl MemorySessionCache {
    /// A cache that holds at most `capacity` entries (the oldest go first).
    pub fn new(capacity: usize) -> Self {
        let _ = capacity;
        todo!()
    }
}

impl SessionCache for MemorySessionCache {
    fn store(&self, id: &[u8], value: &[u8], ttl: Duration) {
        let _ = (id, value, ttl);
        todo!()
    }
    fn retrieve(&self, id: &[u8]) -> CacheLookup {
        let _ = id;
        todo!()
    }
    fn delete(&self, id: &[u8]) {
        let _ = id;
        todo!()
    }
}
