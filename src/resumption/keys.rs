//! Ticket encryption keys, as s2n manages them (SKELETON: bodies to be written).
//!
//! Each key has a name (1..=16 bytes), a secret (16..=64 bytes), and an intro
//! time. From its intro time it encrypts and decrypts for the encrypt-decrypt
//! lifetime (default 2 h), then only decrypts for the decrypt-only lifetime
//! (default 13 h), then it is gone. When several keys may encrypt, one is
//! chosen by weight so that a new key ramps in. When none may encrypt, no
//! ticket is issued (handshakes never fail for it).

use crate::error::Result;
use std::time::Duration;

/// Where a key is in its life at a given time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TicketKeyState {
    /// Before its intro time: installed ahead of use, not used yet.
    Pending,
    /// Encrypts new tickets and decrypts old ones.
    EncryptDecrypt,
    /// Only decrypts tickets issued earlier.
    DecryptOnly,
    /// Past both lifetimes: removed at the next change.
    Expired,
}

/// A key as [`TicketKeys::list`] shows it (never its secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketKeyInfo {
    /// The key's name, as given.
    pub name: Vec<u8>,
    /// Unix seconds from which it encrypts.
    pub intro_time: u64,
    /// Its state at the time asked.
    pub state: TicketKeyState,
}

/// The server's ticket keys: shared by every connection of a config, and
/// changed while connections run (`add_key`, `remove_key` take `&self`).
pub struct TicketKeys {
    _todo: (),
}

impl TicketKeys {
    /// An empty key set with s2n's default lifetimes (2 h encrypt-decrypt,
    /// 13 h decrypt-only).
    pub fn new() -> Self {
        todo!()
    }

    /// A key set that makes its own keys in memory (random secrets): a new one
    /// whenever none may encrypt or the newest has used half its
    /// encrypt-decrypt lifetime, so one machine needs no key management.
    /// Keys added by hand are used beside them.
    pub fn generated() -> Self {
        todo!()
    }

    /// An empty key set with these lifetimes.
    pub fn with_lifetimes(encrypt_decrypt: Duration, decrypt_only: Duration) -> Result<Self> {
        let _ = (encrypt_decrypt, decrypt_only);
        todo!()
    }

    /// Adds a key. Usage error for a bad name or secret length, a name already
    /// present, or a key already expired at `now`.
    pub fn add_key(&self, name: &[u8], secret: &[u8], intro_time: u64) -> Result<()> {
        let _ = (name, secret, intro_time);
        todo!()
    }

    /// Removes a key by name; returns whether it was there.
    pub fn remove_key(&self, name: &[u8]) -> bool {
        let _ = name;
        todo!()
    }

    /// The keys and their states at `now` (Unix seconds), by intro time.
    pub fn list(&self, now: u64) -> Vec<TicketKeyInfo> {
        let _ = now;
        todo!()
    }

    /// Whether some key may encrypt at `now`.
    pub fn can_encrypt(&self, now: u64) -> bool {
        let _ = now;
        todo!()
    }

    /// The encrypt-decrypt lifetime.
    pub fn encrypt_decrypt_lifetime(&self) -> Duration {
        todo!()
    }

    /// The decrypt-only lifetime.
    pub fn decrypt_only_lifetime(&self) -> Duration {
        todo!()
    }

    /// Seals `plaintext` under a key chosen by weight; `None` when no key may
    /// encrypt at `now`.
    pub(crate) fn seal(&self, now: u64, plaintext: &[u8]) -> Option<Vec<u8>> {
        let _ = (now, plaintext);
        todo!()
    }

    /// Opens a ticket sealed by [`seal`](Self::seal).
    pub(crate) fn open(
        &self,
        now: u64,
        ticket: &[u8],
    ) -> core::result::Result<zeroize::Zeroizing<Vec<u8>>, super::ResumptionRefusal> {
        let _ = (now, ticket);
        todo!()
    }
}
