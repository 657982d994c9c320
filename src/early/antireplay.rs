//! Anti-replay for TLS 1.3 early data (RFC 8446 §8), across a fleet.
//!
//! 0-RTT data can be captured and sent again, to the same server or to any
//! other server that accepts the same ticket. A server accepts early data
//! only after an [`AntiReplayStore`] has *claimed* a key for it, atomically,
//! in a store every server of the fleet shares: the first claim of a key wins,
//! every later one within its lifetime is a replay. Two modes
//! ([`AntiReplayMode`]) decide what the key is:
//!
//! - **Single-use tickets:** the key is the ticket (the PSK identity), kept
//!   for the ticket's remaining lifetime, so each ticket carries early data
//!   once.
//! - **ClientHello recording:** the key is the ClientHello's verified PSK
//!   binder (unique per ClientHello), kept for a freshness window; a
//!   ClientHello whose ticket age says it was not sent within that window is
//!   refused early data without asking the store.
//!
//! Whatever goes wrong leads to the same safe answer: the early data is
//! rejected and the handshake goes on in 1-RTT. A store that cannot answer in
//! time, an error, a restart that forgot what it accepted: never accept on
//! doubt.

use core::time::Duration;
use std::time::SystemTime;

/// What an anti-replay key is made of (see the [module docs](self)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AntiReplayMode {
    /// Each ticket carries early data at most once (the key is the PSK
    /// identity, kept for the ticket's remaining lifetime).
    SingleUseTickets,
    /// Each ClientHello carries early data at most once (the key is its PSK
    /// binder, kept for `window`), and only a ClientHello sent within
    /// `window` of its arrival, judged by the ticket age, is considered.
    RecordClientHellos {
        /// The freshness window.
        window: Duration,
    },
}

/// The outcome of a claim.
#[derive(Debug)]
pub enum Claim {
    /// The key was not claimed before: this is the first use, early data may
    /// be accepted.
    Fresh,
    /// The key was claimed before: a replay, reject early data.
    Replayed,
    /// The store could not answer (down, slow, full): reject early data.
    Unavailable,
    /// The answer comes later: the handshake returns
    /// [`Blocked::OnApplicationInput`](crate::Blocked::OnApplicationInput)
    /// until the paired [`ClaimAnswer`] answers; a store must answer within
    /// its own deadline ([`ClaimAnswer::unavailable`] when it passes).
    Pending(PendingClaim),
}

/// A store that claims anti-replay keys atomically, shared by every server
/// that accepts the same tickets or PSKs. Called from handshakes: `claim`
/// must not block (answer [`Claim::Pending`] for a remote store).
pub trait AntiReplayStore: Send + Sync {
    /// Claims `key` for `ttl`: [`Claim::Fresh`] if no claim of `key` is live,
    /// recording this one; [`Claim::Replayed`] otherwise. Atomic: of two
    /// concurrent claims of one key, on any servers sharing the store, at
    /// most one is `Fresh`. `key` is at most 64 bytes.
    fn claim(&self, key: &[u8], ttl: Duration) -> Claim;

    /// Since when the store has known every claim it accepted: `None` when
    /// it never forgets, the store's start for one in memory, the epoch of
    /// a shared store that can forget (a Redis restarted empty). Early data
    /// whose key could have been claimed before then (a ticket issued, or a
    /// ClientHello sent, before it) is rejected, because the store cannot
    /// know whether it was. It may move forward while the store runs (when
    /// it finds it has forgotten): read it once the claim is answered.
    fn remembers_since(&self) -> Option<SystemTime>;
}

/// The handshake's half of a claim answered later.
pub struct PendingClaim {
    /// `Some(true)` fresh, `Some(false)` replayed, `None` unavailable.
    slot: crate::oneshot::Slot<Option<bool>>,
}

/// The store's half: answer from any thread. Dropping it unanswered counts
/// as [`unavailable`](Self::unavailable).
pub struct ClaimAnswer {
    answer: crate::oneshot::Answer<Option<bool>>,
}

impl PendingClaim {
    /// A pending claim and the handle that answers it.
    pub fn new() -> (PendingClaim, ClaimAnswer) {
        Self::make(None)
    }

    /// As [`new`](Self::new), and `wake` is called once, on the answering
    /// thread, when the answer is given (or the handle is dropped), so an
    /// event loop can drive the handshake again.
    pub fn with_waker(wake: impl FnOnce() + Send + 'static) -> (PendingClaim, ClaimAnswer) {
        Self::make(Some(Box::new(wake)))
    }

    fn make(waker: Option<crate::oneshot::Waker>) -> (PendingClaim, ClaimAnswer) {
        let (slot, answer) = crate::oneshot::pair(waker, None);
        (PendingClaim { slot }, ClaimAnswer { answer })
    }

    /// The answer if given: `None` while unanswered, then the same answer
    /// (never `Pending`) at every call. For an application that claims keys
    /// itself; handshakes poll their pending claim on their own.
    pub fn result(&self) -> Option<Claim> {
        self.poll()
    }

    /// `None` while unanswered; then the answer (never `Pending`), the same
    /// at every later poll.
    pub(crate) fn poll(&self) -> Option<Claim> {
        self.slot.poll().map(|a| match a {
            Some(true) => Claim::Fresh,
            Some(false) => Claim::Replayed,
            None => Claim::Unavailable,
        })
    }
}

impl ClaimAnswer {
    /// The key was not claimed before (now it is).
    pub fn fresh(mut self) {
        self.answer.give(Some(true));
    }

    /// The key was claimed before.
    pub fn replayed(mut self) {
        self.answer.give(Some(false));
    }

    /// The store failed or its deadline passed.
    pub fn unavailable(mut self) {
        self.answer.give(None);
    }
}

impl core::fmt::Debug for PendingClaim {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PendingClaim")
            .field("answered", &self.slot.is_answered())
            .finish()
    }
}

impl core::fmt::Debug for ClaimAnswer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClaimAnswer")
            .field("answered", &self.answer.is_answered())
            .finish()
    }
}
