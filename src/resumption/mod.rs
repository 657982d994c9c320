//! Session resumption: ticket keys, what a ticket or a cache entry holds, the
//! client's saved sessions and the server's session cache.
//!
//! - [`TicketKeys`]: the server's ticket encryption keys, s2n-style (a name,
//!   an intro time, an encrypt-decrypt then a decrypt-only lifetime), shared
//!   by every connection of a [`Config`](crate::Config) and changed live.
//! - [`SavedSession`]: what a client keeps to resume (it holds a secret).
//! - [`SessionCache`]: the server's store for TLS 1.2 session IDs (the entries
//!   are sealed with the ticket keys, so a shared store sees only ciphertext).

pub mod cache;
mod client_store;
pub mod keys;
#[cfg(feature = "redis")]
pub mod redis;
mod saved;
pub(crate) mod settings;
pub(crate) mod state;

pub use cache::{CacheLookup, LookupAnswer, MemorySessionCache, PendingLookup, SessionCache};
pub use client_store::ClientSessionStore;
pub use keys::{TicketKeyInfo, TicketKeyState, TicketKeys};
pub use saved::SavedSession;
pub use settings::SessionCallback;

/// Why a server did not resume the session a client offered (the handshake
/// went on in full; see [`Session::resumption_refusal`](crate::Session::resumption_refusal)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResumptionRefusal {
    /// The ticket names a key this server does not hold (never had, or retired).
    UnknownKey,
    /// The ticket or cache entry is past its lifetime, or its key is past its
    /// decrypt-only lifetime.
    Expired,
    /// The original full handshake is older than the keying-material lifetime.
    KeyingMaterialExpired,
    /// The ticket did not authenticate or decode (truncated, altered, foreign).
    Malformed,
    /// The client's obfuscated ticket age is outside the skew window.
    AgeOutOfWindow,
    /// The session was made for another server name, version, cipher suite
    /// hash, or without the extended master secret.
    Mismatch,
    /// The session id is not in the cache (or the cache did not answer).
    CacheMiss,
    /// The client offers only `psk_ke`, which this server does not allow.
    PskModeRefused,
    /// The session's client sent no certificate, and this server now
    /// requires one (a full handshake asks for it).
    ClientAuthMissing,
}

impl core::fmt::Display for ResumptionRefusal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::UnknownKey => "ticket key unknown or retired",
            Self::Expired => "session expired",
            Self::KeyingMaterialExpired => "keying material lifetime exceeded",
            Self::Malformed => "ticket did not authenticate or decode",
            Self::AgeOutOfWindow => "ticket age outside the skew window",
            Self::Mismatch => "session made for another name, version or suite",
            Self::CacheMiss => "session id not in the cache",
            Self::PskModeRefused => "client offers only psk_ke",
            Self::ClientAuthMissing => "session without the client certificate now required",
        })
    }
}

#[cfg(test)]
mod tests;
