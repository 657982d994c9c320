//! Redis as the fleet's shared store for resumption (feature `redis`).
//!
//! - [`RedisTicketKeySource`]: every server polls Redis in a background thread
//!   and installs the published ticket keys into its
//!   [`TicketKeys`](crate::TicketKeys); keys live in memory, and handshakes
//!   never touch Redis.
//! - [`rotate`] and [`list`]: the rotating side (one process, e.g. a cron job
//!   running `baton ticket-keys rotate`) publishes a new key with an intro time
//!   in the future and retires expired ones.
//! - [`RedisSessionCache`]: a [`SessionCache`](super::SessionCache) for TLS 1.2
//!   session ids; lookups run on worker threads and answer
//!   [`CacheLookup::Pending`](super::CacheLookup::Pending), so a handshake never
//!   waits on Redis.
//! - [`RedisAntiReplay`]: an [`AntiReplayStore`](crate::early::AntiReplayStore)
//!   for 0-RTT early data shared by a fleet; claims run on worker threads and
//!   answer [`Claim::Pending`](crate::early::Claim::Pending), and whatever
//!   goes wrong answers "unavailable" (the early data is rejected, the
//!   handshake goes on in 1-RTT).
//!
//! # The URL
//!
//! `redis://[USER:PASSWORD@]HOST[:PORT]/KEYPREFIX`: the server (port 6379 by
//! default) and a prefix for every key this module reads or writes, so that
//! several fleets (or tests) share one Redis. Unlike a plain Redis URL, the
//! path is the prefix, not a database number (database 0 is used). The
//! prefix is 1 to 64 bytes of `A-Z a-z 0-9 _ - . :`.
//!
//! # What Redis holds (under prefix `P`)
//!
//! - `P:ticket-keys`: a hash, one field per key: the field is the key's name
//!   (raw bytes), the value is the intro time (8 bytes, big-endian Unix
//!   seconds) followed by the secret. One `HGETALL` reads a consistent set.
//! - `P:ticket-keys:rotation`: the rotation slot (see [`rotate`]).
//! - `P:session:HEX`: one TLS 1.2 session per id, with a TTL; the value is
//!   already sealed with the ticket keys by the handshake.
//! - `P:replay:HEX`: one anti-replay claim (the key is a ticket's identity or
//!   a ClientHello's binder, in hex), set with `SET NX PX` so that exactly one
//!   server claims it, and expiring with the claim's TTL. Its value (`1`)
//!   means nothing.
//! - `P:replay:epoch`: since when Redis has remembered every claim (decimal
//!   Unix milliseconds, never an expiry), written with `SET NX` by the first
//!   claim (or store start) that finds it missing: a Redis restarted empty or
//!   flushed gets a new one, and early data from before it is rejected (see
//!   [`RedisAntiReplay`]). It does not see claims lost while it stays (an
//!   older RDB snapshot reloaded, a lagging replica promoted, eviction): give
//!   Redis `appendonly yes` and `maxmemory-policy noeviction` where 0-RTT is
//!   accepted.
//!
//! Redis holds the ticket key secrets in the clear: restrict who reaches it
//! (bind to a private network, `requirepass` or ACLs). Give it persistence
//! (`appendonly yes`) so the keys survive a restart: servers remove a key
//! once it is no longer published, except that a Redis publishing no keys at
//! all (restarted empty) leaves the installed ones in place.
//!
//! # When Redis is down or slow
//!
//! Connect, read and write time out quickly (500 ms by default). A key source
//! keeps the keys it installed and retries with exponential backoff; a session
//! cache answers "not found" at once while its circuit is open (a full
//! handshake), and probes with backoff; an anti-replay store likewise answers
//! "unavailable" at once (no 0-RTT). Each says once when Redis goes away
//! and once when it is back (through a log function, stderr by default), and
//! counts outages in its stats.

mod antireplay;
mod cache;
mod keysource;
mod rotate;

pub use antireplay::{RedisAntiReplay, RedisAntiReplayOptions, RedisAntiReplayStats};
pub use cache::{RedisCacheOptions, RedisCacheStats, RedisSessionCache};
pub use keysource::{KeySourceOptions, KeySourceStats, RedisTicketKeySource};
pub use rotate::{list, rotate, PublishedKey, RotateOptions, RotateOutcome};

use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Why a Redis operation or a URL failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreError(String);

impl StoreError {
    fn new(msg: impl Into<String>) -> Self {
        Self(msg.into())
    }
}

impl core::fmt::Display for StoreError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

impl From<redis::RedisError> for StoreError {
    fn from(e: redis::RedisError) -> Self {
        Self(format!("redis: {e}"))
    }
}

/// A parsed `redis://HOST:PORT/KEYPREFIX` (see the [module docs](self)).
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl {
    /// `redis://AUTHORITY/`: what the `redis` crate connects to.
    server: String,
    /// `HOST:PORT` without credentials, for messages.
    shown: String,
    prefix: String,
}

impl RedisUrl {
    /// Parses and checks a URL.
    pub fn parse(url: &str) -> Result<Self, StoreError> {
        let bad = |why: &str| {
            StoreError::new(format!(
                "bad Redis URL ({why}): expected redis://HOST:PORT/KEYPREFIX"
            ))
        };
        let rest = url
            .strip_prefix("redis://")
            .ok_or_else(|| bad("not redis://"))?;
        let (authority, prefix) = rest.split_once('/').ok_or_else(|| bad("no key prefix"))?;
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        if host_port.is_empty() || host_port.starts_with(':') {
            return Err(bad("no host"));
        }
        if let Some((_, port)) = host_port
            .rsplit_once(':')
            .filter(|_| !host_port.ends_with(']'))
        {
            port.parse::<u16>().map_err(|_| bad("bad port"))?;
        }
        let ok_byte = |b: u8| b.is_ascii_alphanumeric() || b"_-.:".contains(&b);
        if prefix.is_empty() || prefix.len() > 64 || !prefix.bytes().all(ok_byte) {
            return Err(bad("the key prefix wants 1 to 64 of A-Z a-z 0-9 _ - . :"));
        }
        Ok(Self {
            server: format!("redis://{authority}/"),
            shown: host_port.to_string(),
            prefix: prefix.to_string(),
        })
    }

    /// The key prefix (the URL's path).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// A key under the prefix.
    fn key(&self, suffix: &str) -> String {
        format!("{}:{suffix}", self.prefix)
    }
}

/// Shows `redis://HOST:PORT/PREFIX`, never the password.
impl core::fmt::Display for RedisUrl {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "redis://{}/{}", self.shown, self.prefix)
    }
}

impl core::fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "RedisUrl({self})")
    }
}

/// Where the once-per-outage messages go.
pub type LogFn = dyn Fn(&str) + Send + Sync;

/// The default log: one line on stderr.
fn stderr_log() -> Arc<LogFn> {
    Arc::new(|line: &str| eprintln!("baton: {line}"))
}

/// The short timeouts every connection gets: a slow Redis counts as down.
#[derive(Clone, Copy, Debug)]
struct Timeouts {
    connect: Duration,
    io: Duration,
}

/// Opens a connection with short connect, read and write timeouts.
fn connect(url: &RedisUrl, t: Timeouts) -> Result<redis::Connection, StoreError> {
    let client = redis::Client::open(url.server.as_str())?;
    let con = client.get_connection_with_timeout(t.connect)?;
    con.set_read_timeout(Some(t.io))?;
    con.set_write_timeout(Some(t.io))?;
    Ok(con)
}

/// Runs `op` on the kept connection, or on a new one. A kept connection that
/// Redis dropped (it restarted) is replaced once at once, so that a restart
/// the other users of the store already saw is not taken for a new outage.
fn with_connection<T>(
    slot: &mut Option<redis::Connection>,
    url: &RedisUrl,
    t: Timeouts,
    op: impl Fn(&mut redis::Connection) -> redis::RedisResult<T>,
) -> Result<T, StoreError> {
    if let Some(con) = slot.as_mut() {
        match op(con) {
            Ok(v) => return Ok(v),
            Err(e) if e.is_connection_dropped() && !e.is_timeout() => *slot = None,
            Err(e) => {
                *slot = None;
                return Err(e.into());
            }
        }
    }
    let mut con = connect(url, t)?;
    let v = op(&mut con)?;
    *slot = Some(con);
    Ok(v)
}

/// Opens a connection to `url` with short timeouts (for the rotating side).
pub fn open(url: &RedisUrl, timeout: Duration) -> Result<redis::Connection, StoreError> {
    connect(
        url,
        Timeouts {
            connect: timeout,
            io: timeout,
        },
    )
}

/// What a pool of Redis workers shares about its server: where it is, how
/// patiently to talk to it, where the outage lines go, and whether it is up.
struct Link {
    url: RedisUrl,
    timeouts: Timeouts,
    log: Arc<LogFn>,
    health: Mutex<Health>,
}

impl Link {
    /// `what` names the user in the outage lines; `timeout` is the connect
    /// and I/O timeout; the backoff starts at 100 ms (or `max_backoff`).
    fn new(
        what: &'static str,
        url: RedisUrl,
        timeout: Duration,
        max_backoff: Duration,
        log: Option<Arc<LogFn>>,
    ) -> Self {
        Self {
            url,
            timeouts: Timeouts {
                connect: timeout,
                io: timeout,
            },
            log: log.unwrap_or_else(stderr_log),
            health: Mutex::new(Health::new(
                what,
                Duration::from_millis(100).min(max_backoff),
                max_backoff,
            )),
        }
    }

    fn health(&self) -> std::sync::MutexGuard<'_, Health> {
        self.health.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A success; logs once when it ends an outage.
    fn succeeded(&self) {
        let line = self.health().succeeded(&self.url);
        if let Some(line) = line {
            (self.log)(&line);
        }
    }

    /// A failure; logs once when it starts an outage, and says whether it did.
    fn failed(&self, e: &StoreError) -> bool {
        let line = self.health().failed(&self.url, e);
        let started = line.is_some();
        if let Some(line) = line {
            (self.log)(&line);
        }
        started
    }
}

/// Starts `n` worker threads (`NAME-i`) on one job queue of `queue` places:
/// each runs `body(i, next)`, where `next()` waits for the next job and is
/// `None` once the queue's sender is dropped.
fn spawn_workers<J: Send + 'static>(
    n: usize,
    queue: usize,
    name: &str,
    body: impl Fn(usize, &mut dyn FnMut() -> Option<J>) + Send + Sync + 'static,
) -> Result<(mpsc::SyncSender<J>, Vec<std::thread::JoinHandle<()>>), StoreError> {
    let (tx, rx) = mpsc::sync_channel::<J>(queue);
    let rx = Arc::new(Mutex::new(rx));
    let body = Arc::new(body);
    let mut workers = Vec::with_capacity(n);
    for i in 0..n {
        let (rx, body) = (Arc::clone(&rx), Arc::clone(&body));
        let t = std::thread::Builder::new()
            .name(format!("{name}-{i}"))
            .spawn(move || {
                // The lock is held only to take one job.
                let mut next = || rx.lock().ok()?.recv().ok();
                body(i, &mut next);
            })
            .map_err(|e| StoreError::new(format!("starting {name}-{i}: {e}")))?;
        workers.push(t);
    }
    Ok((tx, workers))
}

/// Up or down, and when to try again: the state behind "logged once per
/// outage" and the reconnect backoff.
#[derive(Debug)]
struct Health {
    what: &'static str,
    down_since: Option<Instant>,
    failures_in_outage: u64,
    backoff: Duration,
    min_backoff: Duration,
    max_backoff: Duration,
    next_try: Option<Instant>,
}

impl Health {
    fn new(what: &'static str, min_backoff: Duration, max_backoff: Duration) -> Self {
        Self {
            what,
            down_since: None,
            failures_in_outage: 0,
            backoff: min_backoff,
            min_backoff,
            max_backoff,
            next_try: None,
        }
    }

    fn is_down(&self) -> bool {
        self.down_since.is_some()
    }

    /// A failure: returns the line to log (and an outage to count) when it
    /// starts an outage. Doubles the wait before the next try, up to the cap.
    /// (The caller logs, after letting go of any lock: a slow log must not
    /// hold up the handshakes that check the health.)
    fn failed(&mut self, url: &RedisUrl, err: &StoreError) -> Option<String> {
        let now = Instant::now();
        self.failures_in_outage += 1;
        let mut line = None;
        if self.down_since.is_none() {
            self.down_since = Some(now);
            self.backoff = self.min_backoff;
            line = Some(format!(
                "{} {url}: Redis unreachable ({err}); {}; retrying with backoff",
                self.what,
                match self.what {
                    "ticket keys" => "keeping the keys installed",
                    "anti-replay" => "rejecting early data (1-RTT) until it is back",
                    _ => "full handshakes until it is back",
                }
            ));
        } else {
            self.backoff = (self.backoff * 2).min(self.max_backoff);
        }
        self.next_try = Some(now + self.backoff);
        line
    }

    /// A success: the line to log when it ends an outage.
    fn succeeded(&mut self, url: &RedisUrl) -> Option<String> {
        let line = self.down_since.take().map(|since| {
            format!(
                "{} {url}: Redis is back after {:.1} s ({} failed attempts)",
                self.what,
                since.elapsed().as_secs_f64(),
                self.failures_in_outage
            )
        });
        self.failures_in_outage = 0;
        self.backoff = self.min_backoff;
        self.next_try = None;
        line
    }

    /// While down: whether the backoff allows a try now (and if so, the next
    /// one waits for another backoff, so that one probe goes at a time).
    fn may_try(&mut self) -> bool {
        match self.next_try {
            Some(t) if Instant::now() < t => false,
            Some(_) => {
                self.next_try = Some(Instant::now() + self.backoff);
                true
            }
            None => true,
        }
    }
}

/// Unix seconds now.
fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Lowercase hex, for key names in messages and session ids in Redis keys.
fn hex(bytes: &[u8]) -> String {
    use core::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_parse() {
        let u = RedisUrl::parse("redis://127.0.0.1:6380/edge-keys").unwrap();
        assert_eq!(u.prefix(), "edge-keys");
        assert_eq!(u.server, "redis://127.0.0.1:6380/");
        assert_eq!(u.key("ticket-keys"), "edge-keys:ticket-keys");
        let u = RedisUrl::parse("redis://user:s3cret@redis.internal/fleet:a").unwrap();
        assert_eq!(u.to_string(), "redis://redis.internal/fleet:a");
        assert!(!format!("{u:?}").contains("s3cret"));
        for bad in [
            "http://h:1/p",
            "redis://h:1",
            "redis://h:1/",
            "redis://h:x/p",
            "redis://:1/p",
            "redis://h/p q",
            "redis://h/p/q",
        ] {
            assert!(RedisUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn health_logs_once_per_outage() {
        let lines = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let l2 = Arc::clone(&lines);
        let log: Arc<LogFn> = Arc::new(move |s: &str| l2.lock().unwrap().push(s.to_string()));
        let url = RedisUrl::parse("redis://h:1/p").unwrap();
        let mut h = Health::new(
            "ticket keys",
            Duration::from_millis(10),
            Duration::from_millis(40),
        );
        let err = StoreError::new("refused");
        let run = |line: Option<String>| line.map(|l| log(&l)).is_some();
        assert!(run(h.failed(&url, &err)));
        assert!(!run(h.failed(&url, &err)));
        assert!(!run(h.failed(&url, &err)));
        assert_eq!(h.backoff, Duration::from_millis(40));
        assert!(!run(h.failed(&url, &err)));
        assert_eq!(h.backoff, Duration::from_millis(40), "capped");
        assert!(h.is_down());
        assert!(run(h.succeeded(&url)));
        assert!(!h.is_down());
        assert!(!run(h.succeeded(&url)));
        let lines = lines.lock().unwrap();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].contains("unreachable") && lines[1].contains("back"));
    }
}
