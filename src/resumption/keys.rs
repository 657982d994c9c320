//! Ticket encryption keys, as s2n manages them.
//!
//! Each key has a name (1..=16 bytes), a secret (16..=64 bytes), and an intro
//! time. From its intro time it encrypts and decrypts for the encrypt-decrypt
//! lifetime (default 2 h), then only decrypts for the decrypt-only lifetime
//! (default 13 h), then it is gone. When several keys may encrypt, one is
//! chosen by weight so that a new key ramps in. When none may encrypt, no
//! ticket is issued (handshakes never fail for it).
//!
//! A sealed ticket is
//! `format (1) | name length (1) | name | salt (32) | ciphertext | tag (16)`,
//! the bytes before the ciphertext being the AEAD's associated data. The
//! AES-256-GCM key and nonce are derived per ticket with HKDF-SHA256 from the
//! key's secret and the ticket's random salt, so a key can seal any number of
//! tickets without the 2^32 limit that random 96-bit nonces under one AES key
//! would impose.

use super::ResumptionRefusal;
use crate::crypto::hash::{HashAlg, PrkKey};
use crate::error::{Error, Result};
use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use zeroize::{Zeroize, Zeroizing};

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

/// The ticket format this code writes (the first byte of every ticket).
const FORMAT_V1: u8 = 1;
/// Length of the per-ticket random salt.
const SALT_LEN: usize = 32;
const TAG_LEN: usize = 16;
const AEAD_KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;
/// HKDF info prefix, so these keys can never collide with another use of a secret.
const HKDF_INFO: &[u8] = b"baton ticket key v1";

/// s2n's defaults.
const DEFAULT_ENCRYPT_DECRYPT: Duration = Duration::from_secs(2 * 3600);
const DEFAULT_DECRYPT_ONLY: Duration = Duration::from_secs(13 * 3600);

/// One key. The secret is zeroized on drop (`Zeroizing`).
struct Key {
    name: Vec<u8>,
    /// HKDF-Extract(HKDF_INFO, secret), its HMAC key ready: each ticket's key
    /// is one HKDF-Expand from it.
    prk: PrkKey,
    intro: u64,
    /// Made by [`TicketKeys::generated`]'s rotation, not added by hand.
    generated: bool,
}

/// The keys at one moment. Readers clone the `Arc` under a short read lock
/// and work without any lock; writers build a new list and swap it in.
type Snapshot = Arc<Vec<Arc<Key>>>;

/// The server's ticket keys: shared by every connection of a config, and
/// changed while connections run (`add_key`, `remove_key` take `&self`).
pub struct TicketKeys {
    keys: RwLock<Snapshot>,
    /// Encrypt-decrypt lifetime in seconds (never 0).
    enc_dec: u64,
    /// Decrypt-only lifetime in seconds.
    dec_only: u64,
    /// Makes and rotates its own keys (see [`TicketKeys::generated`]).
    auto: bool,
}

impl Default for TicketKeys {
    fn default() -> Self {
        Self::new()
    }
}

impl TicketKeys {
    /// Most bytes in a key name.
    pub const MAX_NAME_LEN: usize = 16;
    /// Fewest bytes in a key secret.
    pub const MIN_SECRET_LEN: usize = 16;
    /// Most bytes in a key secret.
    pub const MAX_SECRET_LEN: usize = 64;
    /// Most keys held at once (expired ones not counted), as s2n bounds
    /// them: a rotator adds one key per rotation, so this is far above need,
    /// and it keeps a runaway caller from making every seal slow.
    pub const MAX_KEYS: usize = 48;

    /// An empty key set with s2n's default lifetimes (2 h encrypt-decrypt,
    /// 13 h decrypt-only).
    pub fn new() -> Self {
        Self {
            keys: RwLock::new(Arc::new(Vec::new())),
            enc_dec: DEFAULT_ENCRYPT_DECRYPT.as_secs(),
            dec_only: DEFAULT_DECRYPT_ONLY.as_secs(),
            auto: false,
        }
    }

    /// A key set that makes its own keys in memory (random secrets): a new one
    /// whenever none may encrypt or the newest has used half its
    /// encrypt-decrypt lifetime, so one machine needs no key management.
    /// Keys added by hand are used beside them.
    pub fn generated() -> Self {
        // No key is made here: the first seal makes one, so a config that
        // never issues tickets never touches the random generator.
        Self {
            auto: true,
            ..Self::new()
        }
    }

    /// [`generated`](Self::generated) with these lifetimes (zero
    /// encrypt-decrypt lifetime: Usage error).
    pub fn generated_with_lifetimes(
        encrypt_decrypt: Duration,
        decrypt_only: Duration,
    ) -> Result<Self> {
        Ok(Self {
            auto: true,
            ..Self::with_lifetimes(encrypt_decrypt, decrypt_only)?
        })
    }

    /// An empty key set with these lifetimes.
    pub fn with_lifetimes(encrypt_decrypt: Duration, decrypt_only: Duration) -> Result<Self> {
        if encrypt_decrypt.as_secs() == 0 {
            return Err(Error::usage(
                "ticket key encrypt-decrypt lifetime must be at least one second",
            ));
        }
        Ok(Self {
            enc_dec: encrypt_decrypt.as_secs(),
            dec_only: decrypt_only.as_secs(),
            ..Self::new()
        })
    }

    /// Adds a key. Usage error for a bad name or secret length, a name already
    /// present, a key already expired at `now`, or more than
    /// [`MAX_KEYS`](Self::MAX_KEYS) keys.
    pub fn add_key(&self, name: &[u8], secret: &[u8], intro_time: u64) -> Result<()> {
        self.add_key_at(unix_now(), name, secret, intro_time)
    }

    /// [`add_key`](Self::add_key) with the current time given (Unix seconds).
    pub fn add_key_at(&self, now: u64, name: &[u8], secret: &[u8], intro_time: u64) -> Result<()> {
        if name.is_empty() || name.len() > Self::MAX_NAME_LEN {
            return Err(Error::usage("ticket key name must be 1 to 16 bytes"));
        }
        if secret.len() < Self::MIN_SECRET_LEN || secret.len() > Self::MAX_SECRET_LEN {
            return Err(Error::usage("ticket key secret must be 16 to 64 bytes"));
        }
        if secret.iter().all(|&b| b == 0) {
            return Err(Error::usage("ticket key secret is all zeros"));
        }
        let key = Key {
            name: name.to_vec(),
            prk: stretch(secret),
            intro: intro_time,
            generated: false,
        };
        if self.state_of(&key, now) == TicketKeyState::Expired {
            return Err(Error::usage("ticket key already past both lifetimes"));
        }
        self.insert(now, key, false)
    }

    /// Removes a key by name; returns whether it was there.
    pub fn remove_key(&self, name: &[u8]) -> bool {
        let mut guard = self.write();
        if !guard.iter().any(|k| k.name == name) {
            return false;
        }
        let kept: Vec<_> = guard.iter().filter(|k| k.name != name).cloned().collect();
        *guard = Arc::new(kept);
        true
    }

    /// The keys and their states at `now` (Unix seconds), by intro time.
    pub fn list(&self, now: u64) -> Vec<TicketKeyInfo> {
        self.snapshot()
            .iter()
            .map(|k| TicketKeyInfo {
                name: k.name.clone(),
                intro_time: k.intro,
                state: self.state_of(k, now),
            })
            .collect()
    }

    /// Whether some key may encrypt at `now`.
    pub fn can_encrypt(&self, now: u64) -> bool {
        self.snapshot()
            .iter()
            .any(|k| self.state_of(k, now) == TicketKeyState::EncryptDecrypt)
    }

    /// Whether [`seal`](Self::seal) at `now` would seal: some key may
    /// encrypt, or this set makes its own (a TLS 1.2 server promises a
    /// ticket in its ServerHello before it has the secret to seal).
    pub(crate) fn will_seal(&self, now: u64) -> bool {
        self.auto || self.can_encrypt(now)
    }

    /// The encrypt-decrypt lifetime.
    pub fn encrypt_decrypt_lifetime(&self) -> Duration {
        Duration::from_secs(self.enc_dec)
    }

    /// The decrypt-only lifetime.
    pub fn decrypt_only_lifetime(&self) -> Duration {
        Duration::from_secs(self.dec_only)
    }

    /// Seals `plaintext` under a key chosen by weight; `None` when no key may
    /// encrypt at `now`. `context` (the config's resumption context) is
    /// authenticated with it, not carried: only a config with the same
    /// context opens the result.
    pub(crate) fn seal(&self, now: u64, plaintext: &[u8], context: &[u8]) -> Option<Vec<u8>> {
        let keys = self.current(now);
        let keys = if self.auto && self.needs_fresh_key(&keys, now) {
            self.add_generated(now);
            self.snapshot()
        } else {
            keys
        };
        let weights: Vec<u64> = keys
            .iter()
            .map(|k| match self.state_of(k, now) {
                TicketKeyState::EncryptDecrypt => weight(self.enc_dec, k.intro, now),
                _ => 0,
            })
            .collect();
        let mut r = [0u8; 8];
        crate::crypto::rand::fill(&mut r).ok()?;
        let key = &keys[pick(&weights, u64::from_be_bytes(r))?];

        let mut salt = [0u8; SALT_LEN];
        crate::crypto::rand::fill(&mut salt).ok()?;
        let mut out = Vec::with_capacity(2 + key.name.len() + SALT_LEN + plaintext.len() + TAG_LEN);
        out.push(FORMAT_V1);
        // The name is 1..=16 bytes (checked when added).
        out.push(key.name.len() as u8);
        out.extend_from_slice(&key.name);
        out.extend_from_slice(&salt);
        let header_len = out.len();
        out.extend_from_slice(plaintext);
        let (aead, nonce) = ticket_aead(key, &salt)?;
        let (header, body) = out.split_at_mut(header_len);
        let aad = with_context(header, context);
        let tag = aead
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&aad[..]),
                body,
            )
            .ok()?;
        out.extend_from_slice(tag.as_ref());
        Some(out)
    }

    /// Opens a ticket sealed by [`seal`](Self::seal) under the same `context`
    /// (another context fails to authenticate: `Malformed`).
    pub(crate) fn open(
        &self,
        now: u64,
        ticket: &[u8],
        context: &[u8],
    ) -> core::result::Result<Zeroizing<Vec<u8>>, ResumptionRefusal> {
        let (&format, rest) = ticket.split_first().ok_or(ResumptionRefusal::Malformed)?;
        let (&name_len, rest) = rest.split_first().ok_or(ResumptionRefusal::Malformed)?;
        let name_len = name_len as usize;
        if format != FORMAT_V1 || name_len == 0 || name_len > Self::MAX_NAME_LEN {
            return Err(ResumptionRefusal::Malformed);
        }
        if rest.len() < name_len + SALT_LEN + TAG_LEN {
            return Err(ResumptionRefusal::Malformed);
        }
        let (name, rest) = rest.split_at(name_len);
        let (salt, sealed) = rest.split_at(SALT_LEN);
        let header_len = 2 + name_len + SALT_LEN;

        // The state is read before expired keys are dropped, so a ticket of a
        // key that has just expired says Expired once; after that its key is
        // gone and it is UnknownKey (a retired key).
        let keys = self.snapshot();
        let key = keys
            .iter()
            .find(|k| k.name == name)
            .ok_or(ResumptionRefusal::UnknownKey)?;
        let state = self.state_of(key, now);
        drop(self.current(now));
        match state {
            TicketKeyState::EncryptDecrypt | TicketKeyState::DecryptOnly => {}
            TicketKeyState::Pending | TicketKeyState::Expired => {
                return Err(ResumptionRefusal::Expired)
            }
        }
        let (aead, nonce) = ticket_aead(key, salt).ok_or(ResumptionRefusal::Malformed)?;
        // One allocation, no larger than the input.
        let mut buf = Zeroizing::new(sealed.to_vec());
        let aad = with_context(&ticket[..header_len], context);
        let len = aead
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&aad[..]),
                &mut buf[..],
            )
            .map_err(|_| ResumptionRefusal::Malformed)?
            .len();
        buf.truncate(len);
        Ok(buf)
    }

    /// The state of `key` at `now`.
    fn state_of(&self, key: &Key, now: u64) -> TicketKeyState {
        let enc_end = key.intro.saturating_add(self.enc_dec);
        let dec_end = enc_end.saturating_add(self.dec_only);
        if now < key.intro {
            TicketKeyState::Pending
        } else if now < enc_end {
            TicketKeyState::EncryptDecrypt
        } else if now < dec_end {
            TicketKeyState::DecryptOnly
        } else {
            TicketKeyState::Expired
        }
    }

    fn snapshot(&self) -> Snapshot {
        // A poisoned lock only means a writer panicked between building and
        // swapping a list; the list in place is still whole.
        Arc::clone(&self.keys.read().unwrap_or_else(|e| e.into_inner()))
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Snapshot> {
        self.keys.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The keys at `now`, expired ones dropped first (only then is the write
    /// lock taken, so the common path is a read lock and an `Arc` clone).
    fn current(&self, now: u64) -> Snapshot {
        let snap = self.snapshot();
        if !snap
            .iter()
            .any(|k| self.state_of(k, now) == TicketKeyState::Expired)
        {
            return snap;
        }
        let mut guard = self.write();
        let kept: Vec<_> = guard
            .iter()
            .filter(|k| self.state_of(k, now) != TicketKeyState::Expired)
            .cloned()
            .collect();
        *guard = Arc::new(kept);
        Arc::clone(&guard)
    }

    /// Adds `key`, keeping the list ordered by intro time and dropping
    /// expired keys. With `only_if_needed`, re-checks under the lock that a
    /// generated key is still wanted (two sealers may race to make one).
    fn insert(&self, now: u64, key: Key, only_if_needed: bool) -> Result<()> {
        let mut guard = self.write();
        if only_if_needed && !self.needs_fresh_key(&guard, now) {
            return Ok(());
        }
        if guard.iter().any(|k| k.name == key.name) {
            return Err(Error::usage(
                "a ticket key with this name is already present",
            ));
        }
        let mut kept: Vec<_> = guard
            .iter()
            .filter(|k| self.state_of(k, now) != TicketKeyState::Expired)
            .cloned()
            .collect();
        if kept.len() >= Self::MAX_KEYS {
            return Err(Error::usage("too many ticket keys (at most 48)"));
        }
        let at = kept.partition_point(|k| k.intro <= key.intro);
        kept.insert(at, Arc::new(key));
        *guard = Arc::new(kept);
        Ok(())
    }

    /// A generated set wants a new key when none may encrypt, or when its
    /// newest generated key has used half its encrypt-decrypt lifetime (so
    /// the next one has ramped up before the old one stops encrypting).
    fn needs_fresh_key(&self, keys: &[Arc<Key>], now: u64) -> bool {
        if !keys
            .iter()
            .any(|k| self.state_of(k, now) == TicketKeyState::EncryptDecrypt)
        {
            return true;
        }
        keys.iter()
            .filter(|k| k.generated)
            .map(|k| k.intro)
            .max()
            .is_some_and(|newest| now >= newest.saturating_add(self.enc_dec / 2))
    }

    fn add_generated(&self, now: u64) {
        let mut name = [0u8; 16];
        let mut secret = Zeroizing::new([0u8; 32]);
        if crate::crypto::rand::fill(&mut name).is_err()
            || crate::crypto::rand::fill(&mut secret[..]).is_err()
        {
            return; // No new key: seal goes on with what there is, or issues nothing.
        }
        let key = Key {
            name: name.to_vec(),
            prk: stretch(&secret[..]),
            // Local to this machine: no other server has to install it first.
            intro: now,
            generated: true,
        };
        // A name collision of 16 random bytes cannot happen in practice; if it
        // did, the error just means no key this time.
        let _ = self.insert(now, key, true);
    }
}

/// The weight of a key in its encrypt-decrypt life, s2n's ramp: it grows
/// linearly with the time since its intro until the midpoint of the
/// encrypt-decrypt lifetime, then falls linearly to its end:
/// `max(1, min(now - intro, intro + enc_dec - now))`. The floor of 1 keeps a
/// key chosen (rarely) at its first second, so a lone new key still seals.
/// A key about to stop encrypting and one just introduced thus both get
/// little traffic, and a new key's share grows as servers that have not yet
/// installed it catch up. `now` must be in `[intro, intro + enc_dec)`.
pub(crate) fn weight(enc_dec: u64, intro: u64, now: u64) -> u64 {
    let since = now.saturating_sub(intro);
    let until = intro.saturating_add(enc_dec).saturating_sub(now);
    since.min(until).max(1)
}

/// The index chosen by `r` among `weights` (0 means not eligible), each
/// index with probability `weight / sum`; `None` when all are 0. `r % sum`
/// is biased by at most `sum / 2^64`, negligible for weights in seconds.
pub(crate) fn pick(weights: &[u64], r: u64) -> Option<usize> {
    let total: u128 = weights.iter().map(|&w| u128::from(w)).sum();
    if total == 0 {
        return None;
    }
    let mut x = u128::from(r) % total;
    for (i, &w) in weights.iter().enumerate() {
        let w = u128::from(w);
        if x < w {
            return Some(i);
        }
        x -= w;
    }
    None
}

/// A key's secret stretched with HKDF-Extract (salt `HKDF_INFO`) into the
/// PRK its tickets' keys are expanded from. Done once, when the key is added.
fn stretch(secret: &[u8]) -> PrkKey {
    let prk = HashAlg::Sha256.hkdf_extract(HKDF_INFO, secret);
    HashAlg::Sha256.prk_key(prk.as_bytes())
}

/// The AES-256-GCM key and nonce for one ticket: HKDF-Expand(key's PRK,
/// info = HKDF_INFO | name | the ticket's random salt) → 32-byte key |
/// 12-byte nonce. A fresh key per ticket, so no nonce is ever reused
/// The additional data of a ticket: its header, then the resumption context
/// (empty unless the config sets one).
fn with_context<'a>(header: &'a [u8], context: &[u8]) -> std::borrow::Cow<'a, [u8]> {
    if context.is_empty() {
        return std::borrow::Cow::Borrowed(header);
    }
    let mut aad = Vec::with_capacity(header.len() + context.len());
    aad.extend_from_slice(header);
    aad.extend_from_slice(context);
    std::borrow::Cow::Owned(aad)
}

/// however many tickets one key seals.
fn ticket_aead(key: &Key, salt: &[u8]) -> Option<(LessSafeKey, [u8; NONCE_LEN])> {
    let mut okm = Zeroizing::new([0u8; AEAD_KEY_LEN + NONCE_LEN]);
    key.prk
        .expand(&[HKDF_INFO, &key.name, salt], &mut okm[..])
        .ok()?;
    let unbound = UnboundKey::new(&AES_256_GCM, &okm[..AEAD_KEY_LEN]).ok()?;
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(&okm[AEAD_KEY_LEN..]);
    okm.zeroize();
    Some((LessSafeKey::new(unbound), nonce))
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl core::fmt::Debug for TicketKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let snap = self.snapshot();
        let names: Vec<String> = snap
            .iter()
            .map(|k| k.name.iter().map(|b| format!("{b:02x}")).collect())
            .collect();
        f.debug_struct("TicketKeys")
            .field("keys", &snap.len())
            .field("names", &names)
            .field("encrypt_decrypt_secs", &self.enc_dec)
            .field("decrypt_only_secs", &self.dec_only)
            .field("generated", &self.auto)
            .finish()
    }
}
