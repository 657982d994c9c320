//! An anti-replay store in this process's memory, for one machine.

use super::antireplay::{AntiReplayStore, Claim};
use core::cmp::Reverse;
use core::time::Duration;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Mutex, MutexGuard};
use std::time::{Instant, SystemTime};

/// The longest key accepted (a binder is at most 48 bytes; ticket identities
/// of our own tickets are shorter than this).
pub const MAX_KEY_LEN: usize = 64;

/// Expired claims looked at per `claim` call at most, so that no call does
/// unbounded work; each claim adds at most one entry, so this keeps up.
const SWEEP_PER_CLAIM: usize = 16;

/// Claims longer than this are kept this long (no ticket lives anywhere near
/// it), so that the expiry never overflows an `Instant`.
const MAX_TTL: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// An [`AntiReplayStore`] in memory: one machine, forgotten on restart.
///
/// Each claim is kept until its TTL passes; expired claims are swept a few at
/// a time on later claims. At most `capacity` claims are held: when that many
/// are live, a new key answers [`Claim::Unavailable`] (early data rejected)
/// rather than forgetting a live claim, which would let its replay through.
///
/// [`remembers_since`](AntiReplayStore::remembers_since) is the store's
/// creation: a server that just started cannot know what it accepted before,
/// so early data that could have been claimed before then is rejected.
pub struct MemoryAntiReplay {
    inner: Mutex<Inner>,
    capacity: usize,
    created: SystemTime,
}

struct Inner {
    /// Key → expiry of its claim (possibly past, until swept).
    claims: HashMap<Vec<u8>, Instant>,
    /// Every recorded expiry, soonest first, for the sweep. An entry whose
    /// key was claimed again since (a later expiry in `claims`) is stale and
    /// dropped when it comes up; stale entries are always expired ones.
    expiries: BinaryHeap<Reverse<(Instant, Vec<u8>)>>,
}

impl Inner {
    /// Forgets up to [`SWEEP_PER_CLAIM`] expired claims.
    fn sweep(&mut self, now: Instant) {
        for _ in 0..SWEEP_PER_CLAIM {
            match self.expiries.peek() {
                Some(Reverse((at, _))) if *at <= now => {}
                _ => return,
            }
            let Some(Reverse((at, key))) = self.expiries.pop() else {
                return;
            };
            if self.claims.get(&key) == Some(&at) {
                self.claims.remove(&key);
            }
        }
    }
}

impl MemoryAntiReplay {
    /// A store holding at most `capacity` live claims (size it for the
    /// early-data handshakes expected within the longest TTL: a claim costs
    /// roughly 200 bytes).
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Inner {
                claims: HashMap::new(),
                expiries: BinaryHeap::new(),
            }),
            capacity,
            created: SystemTime::now(),
        }
    }

    /// Claims held now, including expired ones not swept yet.
    pub fn len(&self) -> usize {
        self.lock().claims.len()
    }

    /// Whether no claim is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most claims held at once.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Entries in the expiry heap (live, expired and stale).
    #[cfg(test)]
    pub(super) fn queued_expiries(&self) -> usize {
        self.lock().expiries.len()
    }

    /// A poisoned lock only means another thread panicked holding it; the map
    /// and heap are updated so that they stay consistent at every step.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl AntiReplayStore for MemoryAntiReplay {
    fn claim(&self, key: &[u8], ttl: Duration) -> Claim {
        if key.len() > MAX_KEY_LEN {
            return Claim::Unavailable;
        }
        let now = Instant::now();
        // At least 1 ms, as in Redis: a zero TTL still claims.
        let ttl = ttl.clamp(Duration::from_millis(1), MAX_TTL);
        let Some(expiry) = now.checked_add(ttl) else {
            return Claim::Unavailable;
        };
        let mut inner = self.lock();
        inner.sweep(now);
        match inner.claims.get_mut(key) {
            Some(at) if *at > now => return Claim::Replayed,
            // Claimed before, expired, not swept yet: claimed afresh in place.
            // (Its old heap entry is now stale.)
            Some(at) => *at = expiry,
            None => {
                if inner.claims.len() >= self.capacity {
                    return Claim::Unavailable;
                }
                inner.claims.insert(key.to_vec(), expiry);
            }
        }
        inner.expiries.push(Reverse((expiry, key.to_vec())));
        Claim::Fresh
    }

    fn remembers_since(&self) -> Option<SystemTime> {
        Some(self.created)
    }
}

/// Counts only: the keys are tickets and binders.
impl core::fmt::Debug for MemoryAntiReplay {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MemoryAntiReplay")
            .field("len", &self.len())
            .field("capacity", &self.capacity)
            .finish()
    }
}
