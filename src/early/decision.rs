//! The server's early-data settings and the application's accept/reject
//! callback (as s2n's `s2n_early_data_cb`, which may answer later).

use super::{AntiReplayMode, AntiReplayStore, MemoryAntiReplay};
use core::time::Duration;
use std::sync::Arc;

/// What 0-RTT came to on a connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum EarlyDataStatus {
    /// The client did not offer early data (or has not sent its hello yet).
    #[default]
    NotRequested,
    /// Offered; the server has not answered yet (client side, before the
    /// server's EncryptedExtensions).
    Requested,
    /// The server accepted it: it is read with `recv_early_data`.
    Accepted,
    /// The server refused it (the handshake goes on in 1-RTT): a client
    /// sends that data again after the handshake.
    Rejected,
}

/// What a server's [`EarlyDataCallback`] sees about a 0-RTT offer that
/// passed every other check (the PSK, its limits, the anti-replay store).
#[derive(Debug)]
pub struct OfferedEarlyData<'a> {
    pub(crate) identity: &'a [u8],
    pub(crate) max_size: u32,
    pub(crate) alpn: Option<&'a [u8]>,
    pub(crate) server_name: Option<&'a str>,
    pub(crate) resumption: bool,
}

impl OfferedEarlyData<'_> {
    /// The PSK identity (the ticket, or the external PSK's identity).
    pub fn identity(&self) -> &[u8] {
        self.identity
    }
    /// The most early data this connection may receive.
    pub fn max_size(&self) -> u32 {
        self.max_size
    }
    /// The ALPN protocol negotiated (the same the PSK was made with).
    pub fn alpn(&self) -> Option<&[u8]> {
        self.alpn
    }
    /// The client's server name.
    pub fn server_name(&self) -> Option<&str> {
        self.server_name
    }
    /// True for a resumption ticket, false for an external PSK.
    pub fn is_resumption(&self) -> bool {
        self.resumption
    }
}

/// The application's answer to a 0-RTT offer.
#[derive(Debug)]
pub enum EarlyDataDecision {
    /// Accept the early data.
    Accept,
    /// Refuse it: the handshake goes on in 1-RTT.
    Reject,
    /// Answer later through the paired [`EarlyDataAnswer`]: the handshake
    /// returns [`Blocked::OnApplicationInput`](crate::Blocked::OnApplicationInput)
    /// until then.
    Later(PendingEarlyData),
}

/// A server's accept/reject callback for 0-RTT offers.
pub type EarlyDataCallback = dyn Fn(&OfferedEarlyData<'_>) -> EarlyDataDecision + Send + Sync;

/// The handshake's half of a decision given later.
pub struct PendingEarlyData {
    slot: crate::oneshot::Slot<bool>,
}

/// The application's half: answer from any thread. Dropping it unanswered
/// rejects.
pub struct EarlyDataAnswer {
    answer: crate::oneshot::Answer<bool>,
}

impl PendingEarlyData {
    /// A pending decision and the handle that gives it.
    pub fn new() -> (PendingEarlyData, EarlyDataAnswer) {
        Self::make(None)
    }

    /// As [`new`](Self::new), and `wake` is called once when the answer is
    /// given (or the handle dropped), so an event loop drives the handshake
    /// again.
    pub fn with_waker(wake: impl FnOnce() + Send + 'static) -> (PendingEarlyData, EarlyDataAnswer) {
        Self::make(Some(Box::new(wake)))
    }

    fn make(waker: Option<crate::oneshot::Waker>) -> (PendingEarlyData, EarlyDataAnswer) {
        let (slot, answer) = crate::oneshot::pair(waker, false);
        (PendingEarlyData { slot }, EarlyDataAnswer { answer })
    }

    /// `None` while unanswered, then whether it was accepted.
    pub(crate) fn poll(&self) -> Option<bool> {
        self.slot.poll()
    }
}

impl EarlyDataAnswer {
    /// Accepts the early data.
    pub fn accept(mut self) {
        self.answer.give(true);
    }

    /// Rejects it (the handshake goes on in 1-RTT).
    pub fn reject(mut self) {
        self.answer.give(false);
    }
}

impl core::fmt::Debug for PendingEarlyData {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PendingEarlyData")
            .field("answer", &self.slot.poll())
            .finish()
    }
}

impl core::fmt::Debug for EarlyDataAnswer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EarlyDataAnswer")
            .field("answered", &self.answer.is_answered())
            .finish()
    }
}

/// The most early data a server may allow per connection: what it buffers
/// until the application reads it.
pub const MAX_EARLY_DATA_SIZE: u32 = 1 << 20;

/// Entries of the in-memory anti-replay store a config makes when early
/// data is on and no store is given.
const DEFAULT_STORE_CAPACITY: usize = 1 << 16;

/// A config's early-data settings.
#[derive(Clone, Default)]
pub(crate) struct EarlySettings {
    /// Server: the most 0-RTT bytes its tickets allow (0: none).
    pub(crate) max_size: u32,
    /// Server: the anti-replay store and mode (`None` until `build`, which
    /// makes an in-memory ClientHello-recording store when early data is on).
    pub(crate) anti_replay: Option<(Arc<dyn AntiReplayStore>, AntiReplayMode)>,
    pub(crate) callback: Option<Arc<EarlyDataCallback>>,
}

impl EarlySettings {
    /// Fills in the default store when early data is on and none was given:
    /// in memory, recording ClientHellos within `window`.
    pub(crate) fn finish(&mut self, window: Duration) {
        if self.max_size > 0 && self.anti_replay.is_none() {
            self.anti_replay = Some((
                Arc::new(MemoryAntiReplay::new(DEFAULT_STORE_CAPACITY)),
                AntiReplayMode::RecordClientHellos { window },
            ));
        }
    }
}

impl core::fmt::Debug for EarlySettings {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EarlySettings")
            .field("max_size", &self.max_size)
            .field("anti_replay", &self.anti_replay.as_ref().map(|(_, m)| m))
            .field("callback", &self.callback.is_some())
            .finish()
    }
}
