//! A session cache in Redis: TLS 1.2 session ids shared by a fleet.

use super::{hex, spawn_workers, with_connection, Link, LogFn, RedisUrl, StoreError};
use crate::resumption::{CacheLookup, LookupAnswer, PendingLookup, SessionCache};
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

/// How a [`RedisSessionCache`] works.
#[derive(Clone)]
pub struct RedisCacheOptions {
    /// Worker threads that talk to Redis, each with its own connection
    /// (default 2).
    pub workers: usize,
    /// Operations queued for the workers at most; past it a lookup answers
    /// "not found" and a store or delete is dropped, counted (default 1024).
    pub queue: usize,
    /// Connect, read and write timeout, and the longest a lookup waits in the
    /// queue (default 500 ms): after it the handshake goes on in full.
    pub timeout: Duration,
    /// Longest wait between reconnect probes while Redis is down (default
    /// 5 s); the first wait is 100 ms, doubling.
    pub max_backoff: Duration,
    /// Where the once-per-outage lines go (default: stderr).
    pub log: Option<Arc<LogFn>>,
    /// Called on the worker thread each time a pending lookup is answered
    /// (see [`PendingLookup::with_waker`]), so an event loop can drive the
    /// handshake again at once instead of at its next timer.
    pub waker: Option<Arc<dyn Fn() + Send + Sync>>,
}

impl Default for RedisCacheOptions {
    fn default() -> Self {
        Self {
            workers: 2,
            queue: 1024,
            timeout: Duration::from_millis(500),
            max_backoff: Duration::from_secs(5),
            log: None,
            waker: None,
        }
    }
}

impl core::fmt::Debug for RedisCacheOptions {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RedisCacheOptions")
            .field("workers", &self.workers)
            .field("queue", &self.queue)
            .field("timeout", &self.timeout)
            .field("max_backoff", &self.max_backoff)
            .field("log", &self.log.is_some())
            .field("waker", &self.waker.is_some())
            .finish()
    }
}

/// What a session cache has done so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RedisCacheStats {
    /// `retrieve` calls.
    pub lookups: u64,
    /// Lookups answered with an entry.
    pub hits: u64,
    /// Lookups Redis answered with nothing.
    pub misses: u64,
    /// Lookups answered "not found" at once: circuit open or queue full.
    pub skipped: u64,
    /// Lookups that failed or waited too long (answered "not found").
    pub lookup_errors: u64,
    /// Entries written.
    pub stores: u64,
    /// Entries deleted.
    pub deletes: u64,
    /// Stores and deletes not done: queue full or circuit open.
    pub dropped: u64,
    /// Stores and deletes that failed.
    pub write_errors: u64,
    /// Times Redis went from reachable (or never tried) to unreachable.
    pub outages: u64,
    /// Redis is unreachable now (the circuit is open).
    pub down: bool,
    /// When an operation last succeeded.
    pub last_success: Option<SystemTime>,
}

impl core::fmt::Display for RedisCacheStats {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{} lookups={} hits={} misses={} skipped={} lookup_errors={} stores={} deletes={} \
             dropped={} write_errors={} outages={}",
            if self.down { "down" } else { "up" },
            self.lookups,
            self.hits,
            self.misses,
            self.skipped,
            self.lookup_errors,
            self.stores,
            self.deletes,
            self.dropped,
            self.write_errors,
            self.outages,
        )
    }
}

/// One operation for a worker.
enum Job {
    Get {
        key: String,
        answer: LookupAnswer,
        /// Past this, answer "not found" without asking Redis.
        deadline: Instant,
    },
    Store {
        key: String,
        value: Vec<u8>,
        ttl_ms: u64,
    },
    Delete {
        key: String,
    },
}

/// What the handshakes and the workers share.
struct Shared {
    link: Link,
    stats: Mutex<RedisCacheStats>,
}

impl Shared {
    fn count(&self, f: impl FnOnce(&mut RedisCacheStats)) {
        if let Ok(mut s) = self.stats.lock() {
            f(&mut s);
        }
    }

    /// Whether to send an operation to Redis now: not while the circuit is
    /// open, except one probe per backoff period.
    fn may_try(&self) -> bool {
        let mut h = self.link.health();
        !h.is_down() || h.may_try()
    }

    fn succeeded(&self) {
        self.link.succeeded();
        self.count(|s| {
            s.down = false;
            s.last_success = Some(SystemTime::now());
        });
    }

    fn failed(&self, e: &StoreError) {
        let started = self.link.failed(e);
        self.count(|s| {
            s.down = true;
            s.outages += u64::from(started);
        });
    }
}

/// A [`SessionCache`] in Redis, for TLS 1.2 session ids shared by a fleet
/// (`SET key value PX ttl`, `GET`, `DEL`; the values are sealed by the
/// handshake before they get here).
///
/// Handshakes never wait on Redis: `retrieve` answers
/// [`CacheLookup::Pending`] and a worker thread does the `GET` (answering "not
/// found" on an error or after the timeout); `store` and `delete` are queued.
/// While Redis is down, `retrieve` answers [`CacheLookup::NotFound`] at once.
/// Dropping it lets the workers finish what is queued, then stops them.
pub struct RedisSessionCache {
    shared: Arc<Shared>,
    waker: Option<Arc<dyn Fn() + Send + Sync>>,
    queue: Option<SyncSender<Job>>,
    workers: Vec<JoinHandle<()>>,
}

impl core::fmt::Debug for RedisSessionCache {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RedisSessionCache")
            .field("url", &self.shared.link.url)
            .finish_non_exhaustive()
    }
}

impl RedisSessionCache {
    /// Starts the workers for `url` (they connect on first use). Errors only
    /// for a bad URL or options, or a thread that cannot start.
    pub fn start(url: &str, opts: RedisCacheOptions) -> Result<Self, StoreError> {
        let url = RedisUrl::parse(url)?;
        if opts.workers == 0 || opts.queue == 0 || opts.timeout.is_zero() {
            return Err(StoreError::new(
                "workers, queue and timeout must be above zero",
            ));
        }
        let shared = Arc::new(Shared {
            link: Link::new(
                "session cache",
                url,
                opts.timeout,
                opts.max_backoff,
                opts.log.clone(),
            ),
            stats: Mutex::new(RedisCacheStats::default()),
        });
        let worker = Arc::clone(&shared);
        let (tx, workers) = spawn_workers(
            opts.workers,
            opts.queue,
            "baton-redis-cache",
            move |_, next| {
                let mut con = None;
                while let Some(job) = next() {
                    run(&worker, &mut con, job);
                }
            },
        )?;
        Ok(Self {
            shared,
            waker: opts.waker,
            queue: Some(tx),
            workers,
        })
    }

    /// The counters so far.
    pub fn stats(&self) -> RedisCacheStats {
        self.shared
            .stats
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    /// The URL used (without any password).
    pub fn url(&self) -> &RedisUrl {
        &self.shared.link.url
    }

    fn key(&self, id: &[u8]) -> String {
        self.shared.link.url.key(&format!("session:{}", hex(id)))
    }

    /// Queues a store or delete unless the circuit is open or the queue full.
    fn queue_write(&self, job: Job) {
        let sent =
            self.shared.may_try() && self.queue.as_ref().is_some_and(|q| q.try_send(job).is_ok());
        if !sent {
            self.shared.count(|s| s.dropped += 1);
        }
    }
}

impl SessionCache for RedisSessionCache {
    fn store(&self, id: &[u8], value: &[u8], ttl: Duration) {
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        self.queue_write(Job::Store {
            key: self.key(id),
            value: value.to_vec(),
            ttl_ms,
        });
    }

    fn retrieve(&self, id: &[u8]) -> CacheLookup {
        self.shared.count(|s| s.lookups += 1);
        if !self.shared.may_try() {
            self.shared.count(|s| s.skipped += 1);
            return CacheLookup::NotFound;
        }
        let Some(queue) = &self.queue else {
            return CacheLookup::NotFound;
        };
        let (pending, answer) = match &self.waker {
            Some(w) => {
                let w = Arc::clone(w);
                PendingLookup::with_waker(move || w())
            }
            None => PendingLookup::new(),
        };
        let job = Job::Get {
            key: self.key(id),
            answer,
            deadline: Instant::now() + self.shared.link.timeouts.io,
        };
        match queue.try_send(job) {
            Ok(()) => CacheLookup::Pending(pending),
            Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) => {
                if let Job::Get { answer, .. } = job {
                    answer.not_found();
                }
                self.shared.count(|s| s.skipped += 1);
                CacheLookup::NotFound
            }
        }
    }

    fn delete(&self, id: &[u8]) {
        self.queue_write(Job::Delete { key: self.key(id) });
    }
}

impl Drop for RedisSessionCache {
    fn drop(&mut self) {
        drop(self.queue.take());
        for t in self.workers.drain(..) {
            let _ = t.join();
        }
    }
}

/// One job on a worker, with its connection.
fn run(shared: &Shared, con: &mut Option<redis::Connection>, job: Job) {
    let (url, t) = (&shared.link.url, shared.link.timeouts);
    match job {
        Job::Get {
            key,
            answer,
            deadline,
        } => {
            if Instant::now() >= deadline {
                answer.not_found();
                shared.count(|s| s.lookup_errors += 1);
                return;
            }
            let got: Result<Option<Vec<u8>>, StoreError> =
                with_connection(con, url, t, |c| redis::cmd("GET").arg(&key).query(c));
            match got {
                Ok(Some(v)) => {
                    answer.found(v);
                    shared.succeeded();
                    shared.count(|s| s.hits += 1);
                }
                Ok(None) => {
                    answer.not_found();
                    shared.succeeded();
                    shared.count(|s| s.misses += 1);
                }
                Err(e) => {
                    answer.not_found();
                    shared.failed(&e);
                    shared.count(|s| s.lookup_errors += 1);
                }
            }
        }
        Job::Store { key, value, ttl_ms } => {
            let r = with_connection(con, url, t, |c| {
                redis::cmd("SET")
                    .arg(&key)
                    .arg(&value)
                    .arg("PX")
                    .arg(ttl_ms)
                    .exec(c)
            });
            write_done(shared, r, |s| s.stores += 1);
        }
        Job::Delete { key } => {
            let r = with_connection(con, url, t, |c| redis::cmd("DEL").arg(&key).exec(c));
            write_done(shared, r, |s| s.deletes += 1);
        }
    }
}

fn write_done(shared: &Shared, r: Result<(), StoreError>, ok: impl FnOnce(&mut RedisCacheStats)) {
    match r {
        Ok(()) => {
            shared.succeeded();
            shared.count(ok);
        }
        Err(e) => {
            shared.failed(&e);
            shared.count(|s| s.write_errors += 1);
        }
    }
}
