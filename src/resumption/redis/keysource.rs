//! Every server's side: poll Redis, install the published ticket keys.

use super::{hex, stderr_log, unix_now, Health, LogFn, RedisUrl, StoreError, Timeouts};
use crate::resumption::TicketKeys;
use std::collections::HashSet;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};
use zeroize::Zeroize;

/// How a [`RedisTicketKeySource`] polls.
#[derive(Clone)]
pub struct KeySourceOptions {
    /// Time between polls (default 10 s). A rotator should publish keys at
    /// least two intervals ahead of their intro time.
    pub poll_interval: Duration,
    /// Connect, read and write timeout (default 500 ms).
    pub timeout: Duration,
    /// Longest wait between reconnect attempts while Redis is down (default:
    /// the poll interval); the first wait is 100 ms, doubling.
    pub max_backoff: Option<Duration>,
    /// Where the once-per-outage lines go (default: stderr).
    pub log: Option<Arc<LogFn>>,
}

impl Default for KeySourceOptions {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(10),
            timeout: Duration::from_millis(500),
            max_backoff: None,
            log: None,
        }
    }
}

impl core::fmt::Debug for KeySourceOptions {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeySourceOptions")
            .field("poll_interval", &self.poll_interval)
            .field("timeout", &self.timeout)
            .field("max_backoff", &self.max_backoff)
            .field("log", &self.log.is_some())
            .finish()
    }
}

/// What a key source has done so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeySourceStats {
    /// Polls that read the published keys.
    pub polls_ok: u64,
    /// Polls that failed (connect, timeout, error).
    pub polls_failed: u64,
    /// Times Redis went from reachable (or never tried) to unreachable.
    pub outages: u64,
    /// Redis is unreachable now.
    pub down: bool,
    /// Keys added to the [`TicketKeys`].
    pub keys_installed: u64,
    /// Keys removed because they were no longer published.
    pub keys_removed: u64,
    /// Published keys that `add_key` refused (bad size, already expired).
    pub keys_rejected: u64,
    /// Keys published at the last successful poll.
    pub keys_published: u64,
    /// When the last poll succeeded.
    pub last_success: Option<SystemTime>,
}

impl core::fmt::Display for KeySourceStats {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{} polls_ok={} polls_failed={} outages={} published={} installed={} removed={} \
             rejected={} last_success=",
            if self.down { "down" } else { "up" },
            self.polls_ok,
            self.polls_failed,
            self.outages,
            self.keys_published,
            self.keys_installed,
            self.keys_removed,
            self.keys_rejected,
        )?;
        match self.last_success.and_then(|t| t.elapsed().ok()) {
            Some(ago) => write!(f, "{}s_ago", ago.as_secs()),
            None => f.write_str("never"),
        }
    }
}

/// Installs the ticket keys published in Redis into a [`TicketKeys`], from a
/// background thread, and removes those no longer published. Keys are held
/// in memory only; handshakes never touch Redis. Dropping it stops the thread
/// (the installed keys stay).
pub struct RedisTicketKeySource {
    url: RedisUrl,
    stats: Arc<Mutex<KeySourceStats>>,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl core::fmt::Debug for RedisTicketKeySource {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RedisTicketKeySource")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl RedisTicketKeySource {
    /// Polls `url` once now (bounded by the timeout; a failure is logged and
    /// retried, not returned), then every poll interval in a thread. Errors
    /// only for a bad URL or a thread that cannot start.
    pub fn start(
        url: &str,
        keys: Arc<TicketKeys>,
        opts: KeySourceOptions,
    ) -> Result<Self, StoreError> {
        let url = RedisUrl::parse(url)?;
        if opts.poll_interval.is_zero() || opts.timeout.is_zero() {
            return Err(StoreError::new(
                "poll interval and timeout must be above zero",
            ));
        }
        let stats = Arc::new(Mutex::new(KeySourceStats::default()));
        let max_backoff = opts.max_backoff.unwrap_or(opts.poll_interval);
        let mut poller = Poller {
            key: url.key("ticket-keys"),
            url: url.clone(),
            keys,
            timeouts: Timeouts {
                connect: opts.timeout,
                io: opts.timeout,
            },
            log: opts.log.clone().unwrap_or_else(stderr_log),
            con: None,
            installed: HashSet::new(),
            rejected: HashSet::new(),
            health: Health::new(
                "ticket keys",
                Duration::from_millis(100).min(max_backoff),
                max_backoff,
            ),
            stats: Arc::clone(&stats),
            empty_logged: false,
        };
        poller.poll();
        let (stop, stopped) = mpsc::channel();
        let interval = opts.poll_interval;
        let thread = std::thread::Builder::new()
            .name("baton-redis-keys".into())
            .spawn(move || loop {
                let wait = if poller.health.is_down() {
                    poller.health.backoff.min(interval)
                } else {
                    interval
                };
                match stopped.recv_timeout(wait) {
                    Err(RecvTimeoutError::Timeout) => poller.poll(),
                    // A message or a dropped sender: stop.
                    _ => return,
                }
            })
            .map_err(|e| StoreError::new(format!("starting the key poller: {e}")))?;
        Ok(Self {
            url,
            stats,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The counters so far.
    pub fn stats(&self) -> KeySourceStats {
        self.stats.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The URL polled (without any password).
    pub fn url(&self) -> &RedisUrl {
        &self.url
    }
}

impl Drop for RedisTicketKeySource {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The published keys: (name, intro time and secret).
type Published = Vec<(Vec<u8>, Vec<u8>)>;

/// The polling thread's state.
struct Poller {
    url: RedisUrl,
    key: String,
    keys: Arc<TicketKeys>,
    timeouts: Timeouts,
    log: Arc<LogFn>,
    con: Option<redis::Connection>,
    /// Names this source added (keys added by hand are never removed here).
    installed: HashSet<Vec<u8>>,
    /// Names `add_key` refused: not tried again every poll.
    rejected: HashSet<Vec<u8>>,
    health: Health,
    stats: Arc<Mutex<KeySourceStats>>,
    /// The "publishes no keys" line was logged (once per empty spell).
    empty_logged: bool,
}

impl Poller {
    fn poll(&mut self) {
        let published = match self.read() {
            Ok(p) => p,
            Err(e) => {
                self.con = None;
                let line = self.health.failed(&self.url, &e);
                let started = line.is_some();
                if let Some(line) = line {
                    (self.log)(&line);
                }
                if let Ok(mut s) = self.stats.lock() {
                    s.polls_failed += 1;
                    s.outages += u64::from(started);
                    s.down = true;
                }
                return;
            }
        };
        if let Some(line) = self.health.succeeded(&self.url) {
            (self.log)(&line);
        }
        if let Ok(mut s) = self.stats.lock() {
            s.polls_ok += 1;
            s.down = false;
            s.last_success = Some(SystemTime::now());
            s.keys_published = published.len() as u64;
        }
        if published.is_empty() && !self.installed.is_empty() {
            // A Redis that restarted without its data (or a flushed one)
            // publishes nothing: removing every key would stop all
            // resumption, so keep them until a rotator publishes again.
            if !self.empty_logged {
                (self.log)(&format!(
                    "ticket keys {}: Redis publishes no keys; keeping the {} installed",
                    self.url,
                    self.installed.len()
                ));
                self.empty_logged = true;
            }
        } else {
            self.empty_logged = false;
            self.install(published);
        }
    }

    /// Installs the keys not installed yet, removes those no longer published.
    fn install(&mut self, published: Published) {
        let (mut added, mut removed, mut refused) = (0, 0, 0);
        let now = unix_now();
        let mut names = HashSet::with_capacity(published.len());
        for (name, mut value) in published {
            // Value: intro time (8 bytes, big-endian), then the secret.
            if !self.installed.contains(&name) && !self.rejected.contains(&name) {
                let ok = match value.split_first_chunk::<8>() {
                    Some((intro, secret)) => {
                        let intro = u64::from_be_bytes(*intro);
                        self.keys.add_key(&name, secret, intro).is_ok()
                    }
                    None => false,
                };
                if ok {
                    self.installed.insert(name.clone());
                    added += 1;
                } else {
                    (self.log)(&format!(
                        "ticket keys {}: published key {} refused (bad size, duplicate or \
                         expired at {now})",
                        self.url,
                        hex(&name)
                    ));
                    self.rejected.insert(name.clone());
                    refused += 1;
                }
            }
            value.zeroize();
            names.insert(name);
        }
        let gone: Vec<Vec<u8>> = self
            .installed
            .iter()
            .filter(|n| !names.contains(*n))
            .cloned()
            .collect();
        for name in gone {
            self.keys.remove_key(&name);
            self.installed.remove(&name);
            removed += 1;
        }
        self.rejected.retain(|n| names.contains(n));
        if let Ok(mut s) = self.stats.lock() {
            s.keys_installed += added;
            s.keys_removed += removed;
            s.keys_rejected += refused;
            s.keys_published = names.len() as u64;
        }
    }

    /// One `HGETALL`, on the open connection or a new one.
    fn read(&mut self) -> Result<Published, StoreError> {
        let key = self.key.clone();
        super::with_connection(&mut self.con, &self.url, self.timeouts, |con| {
            redis::cmd("HGETALL").arg(&key).query(con)
        })
    }
}
