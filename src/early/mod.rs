//! TLS 1.3 early data (0-RTT): the anti-replay that makes it safe to accept
//! across a fleet of servers.
//!
//! - [`AntiReplayStore`]: claims a key once, atomically, in a store every
//!   server shares; [`AntiReplayMode`] picks the key (single-use tickets or
//!   ClientHello recording).
//! - [`MemoryAntiReplay`]: the store for one machine; a fleet shares
//!   `resumption::redis::RedisAntiReplay` (feature `redis`).

pub mod antireplay;
mod decision;
mod memory;

pub use antireplay::{AntiReplayMode, AntiReplayStore, Claim, ClaimAnswer, PendingClaim};
pub(crate) use decision::EarlySettings;
pub use decision::{
    EarlyDataAnswer, EarlyDataCallback, EarlyDataDecision, EarlyDataStatus, OfferedEarlyData,
    PendingEarlyData, MAX_EARLY_DATA_SIZE,
};
pub use memory::{MemoryAntiReplay, MAX_KEY_LEN};

#[cfg(test)]
mod tests;
