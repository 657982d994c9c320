//! The rotating side: publish new ticket keys ahead of use, retire old ones.

use super::{hex, RedisUrl, StoreError};
use crate::resumption::TicketKeyState;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use std::time::Duration;
use zeroize::Zeroizing;

/// Bytes of a new key's secret (AES-256 strength; each server stretches it
/// with HKDF).
const SECRET_LEN: usize = 32;
/// Bytes of a new key's (random) name.
const NAME_LEN: usize = 16;

/// How [`rotate`] makes and retires keys. The lifetimes should be those the
/// servers' [`TicketKeys`](crate::TicketKeys) use.
#[derive(Clone, Debug)]
pub struct RotateOptions {
    /// How long a key encrypts from its intro time (s2n's default: 2 h).
    pub encrypt_decrypt: Duration,
    /// How long it then only decrypts (s2n's default: 13 h).
    pub decrypt_only: Duration,
    /// How far in the future a new key's intro time is, so that every server
    /// has installed it before any of them encrypts with it: at least two of
    /// the servers' poll intervals (default 20 s, for the default 10 s).
    pub lead: Duration,
    /// The rotation slot: after one rotator made a key, others make none for
    /// this long (default 60 s), so that racing rotators make one key.
    pub min_interval: Duration,
}

impl Default for RotateOptions {
    fn default() -> Self {
        Self {
            encrypt_decrypt: Duration::from_secs(2 * 3600),
            decrypt_only: Duration::from_secs(13 * 3600),
            lead: Duration::from_secs(20),
            min_interval: Duration::from_secs(60),
        }
    }
}

impl RotateOptions {
    fn state(&self, intro: u64, now: u64) -> TicketKeyState {
        let ed_end = intro.saturating_add(self.encrypt_decrypt.as_secs());
        let end = ed_end.saturating_add(self.decrypt_only.as_secs());
        if now < intro {
            TicketKeyState::Pending
        } else if now < ed_end {
            TicketKeyState::EncryptDecrypt
        } else if now < end {
            TicketKeyState::DecryptOnly
        } else {
            TicketKeyState::Expired
        }
    }
}

/// A published key as [`list`] and [`rotate`] show it (never its secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishedKey {
    /// The key's name.
    pub name: Vec<u8>,
    /// Unix seconds from which it encrypts.
    pub intro_time: u64,
    /// Its state at the time asked, by the lifetimes given.
    pub state: TicketKeyState,
}

impl core::fmt::Display for PublishedKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{} intro={} state={:?}",
            hex(&self.name),
            self.intro_time,
            self.state
        )
    }
}

/// What [`rotate`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RotateOutcome {
    /// The key made and published; `None` when another rotator holds the
    /// rotation slot (it made one less than `min_interval` ago).
    pub created: Option<PublishedKey>,
    /// Names of the keys retired (past both lifetimes at `now`).
    pub retired: Vec<Vec<u8>>,
}

/// Makes a key (random name and 32-byte secret from aws-lc's generator) with
/// intro time `now + lead`, publishes it under the URL's prefix, and deletes
/// the published keys past both lifetimes at `now` (Unix seconds).
///
/// Racing rotators make one key: a rotator first takes the rotation slot with
/// `SET prefix:ticket-keys:rotation NAME NX PX min_interval`, which Redis
/// grants to exactly one of them; the others only retire. (A WATCH/MULTI
/// transaction would also do, but would let two rotators that run one after
/// the other within the interval both make a key.)
pub fn rotate(
    con: &mut redis::Connection,
    url: &RedisUrl,
    opts: &RotateOptions,
    now: u64,
) -> Result<RotateOutcome, StoreError> {
    let rng = SystemRandom::new();
    let mut name = [0u8; NAME_LEN];
    let mut secret = Zeroizing::new([0u8; SECRET_LEN]);
    rng.fill(&mut name)
        .and_then(|()| rng.fill(&mut secret[..]))
        .map_err(|_| StoreError::new("the random generator failed"))?;
    let slot_ms = u64::try_from(opts.min_interval.as_millis())
        .unwrap_or(u64::MAX)
        .max(1);
    let took: Option<String> = redis::cmd("SET")
        .arg(url.key("ticket-keys:rotation"))
        .arg(hex(&name))
        .arg("NX")
        .arg("PX")
        .arg(slot_ms)
        .query(con)?;
    let keys_key = url.key("ticket-keys");
    let created = match took {
        Some(_) => {
            let intro = now.saturating_add(opts.lead.as_secs());
            let mut value = Zeroizing::new(Vec::with_capacity(8 + SECRET_LEN));
            value.extend_from_slice(&intro.to_be_bytes());
            value.extend_from_slice(&secret[..]);
            redis::cmd("HSET")
                .arg(&keys_key)
                .arg(&name[..])
                .arg(&value[..])
                .exec(con)?;
            Some(PublishedKey {
                name: name.to_vec(),
                intro_time: intro,
                state: opts.state(intro, now),
            })
        }
        None => None,
    };
    let retired: Vec<Vec<u8>> = list(con, url, opts, now)?
        .into_iter()
        .filter(|k| k.state == TicketKeyState::Expired)
        .map(|k| k.name)
        .collect();
    if !retired.is_empty() {
        redis::cmd("HDEL").arg(&keys_key).arg(&retired).exec(con)?;
    }
    Ok(RotateOutcome { created, retired })
}

/// The published keys, by intro time, with their states at `now` by the
/// lifetimes in `opts` (no secrets).
pub fn list(
    con: &mut redis::Connection,
    url: &RedisUrl,
    opts: &RotateOptions,
    now: u64,
) -> Result<Vec<PublishedKey>, StoreError> {
    let all: Vec<(Vec<u8>, Zeroizing<Vec<u8>>)> = redis::cmd("HGETALL")
        .arg(url.key("ticket-keys"))
        .query::<Vec<(Vec<u8>, Vec<u8>)>>(con)?
        .into_iter()
        .map(|(n, v)| (n, Zeroizing::new(v)))
        .collect();
    let mut out: Vec<PublishedKey> = all
        .iter()
        .map(|(name, value)| {
            // A value too short to hold an intro time counts as expired, so
            // that the next rotation clears it.
            let intro = value
                .first_chunk::<8>()
                .map_or(0, |b| u64::from_be_bytes(*b));
            PublishedKey {
                name: name.clone(),
                intro_time: intro,
                state: opts.state(intro, now),
            }
        })
        .collect();
    out.sort_by(|a, b| (a.intro_time, &a.name).cmp(&(b.intro_time, &b.name)));
    Ok(out)
}
