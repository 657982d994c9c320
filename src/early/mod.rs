//! TLS 1.3 early data (0-RTT): the anti-replay that makes it safe to accept
//! across a fleet of servers.
//!
//! - [`AntiReplayStore`]: claims a key once, atomically, in a store every
//!   server shares; [`AntiReplayMode`] picks the key (single-use tickets or
//!   ClientHello recording).

pub mod antireplay;

pub use antireplay::{AntiReplayMode, AntiReplayStore, Claim, ClaimAnswer, PendingClaim};
