//! Anti-replay for 0-RTT in Redis: one claim per key across a fleet.

use super::{hex, stderr_log, with_connection, Health, LogFn, RedisUrl, StoreError, Timeouts};
use crate::early::{AntiReplayStore, Claim, ClaimAnswer, PendingClaim, MAX_KEY_LEN};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

/// How a [`RedisAntiReplay`] works.
#[derive(Clone)]
pub struct RedisAntiReplayOptions {
    /// Worker threads that talk to Redis, each with its own connection
    /// (default 2).
    pub workers: usize,
    /// Claims queued for the workers at most; past it a claim answers
    /// [`Claim::Unavailable`] at once (default 1024).
    pub queue: usize,
    /// The longest a claim waits in the queue, and the connect, read and
    /// write timeout (default 100 ms): past it the claim is unavailable and
    /// the handshake goes on in 1-RTT. It bounds what a slow Redis adds to a
    /// 0-RTT handshake.
    pub timeout: Duration,
    /// Longest wait between reconnect probes while Redis is down (default
    /// 5 s); the first wait is 100 ms, doubling.
    pub max_backoff: Duration,
    /// Where the once-per-outage lines go (default: stderr).
    pub log: Option<Arc<LogFn>>,
    /// Attached to every [`PendingClaim`] (see [`PendingClaim::with_waker`]):
    /// called on the answering thread, so an event loop can drive the
    /// handshake again at once instead of at its next timer.
    pub waker: Option<Arc<dyn Fn() + Send + Sync>>,
}

impl Default for RedisAntiReplayOptions {
    fn default() -> Self {
        Self {
            workers: 2,
            queue: 1024,
            timeout: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            log: None,
            waker: None,
        }
    }
}

impl core::fmt::Debug for RedisAntiReplayOptions {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RedisAntiReplayOptions")
            .field("workers", &self.workers)
            .field("queue", &self.queue)
            .field("timeout", &self.timeout)
            .field("max_backoff", &self.max_backoff)
            .field("log", &self.log.is_some())
            .field("waker", &self.waker.is_some())
            .finish()
    }
}

/// What a [`RedisAntiReplay`] has done so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RedisAntiReplayStats {
    /// `claim` calls.
    pub claims: u64,
    /// Claims Redis answered fresh (first use: early data may be accepted).
    pub fresh: u64,
    /// Claims Redis answered replayed.
    pub replayed: u64,
    /// Claims answered unavailable at once because the queue was full.
    pub unavailable_queue_full: u64,
    /// Claims answered unavailable because Redis was known to be down (the
    /// circuit open).
    pub unavailable_circuit_open: u64,
    /// Claims answered unavailable because Redis failed, or the claim's
    /// deadline passed, or its key was longer than 64 bytes.
    pub unavailable_error: u64,
    /// Times Redis went from reachable (or never tried) to unreachable.
    pub outages: u64,
    /// Redis is unreachable now (the circuit is open).
    pub down: bool,
    /// When a claim last got an answer from Redis.
    pub last_success: Option<SystemTime>,
}

impl RedisAntiReplayStats {
    /// Claims answered unavailable, for whatever reason.
    pub fn unavailable(&self) -> u64 {
        self.unavailable_queue_full + self.unavailable_circuit_open + self.unavailable_error
    }
}

impl core::fmt::Display for RedisAntiReplayStats {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{} claims={} fresh={} replayed={} unavailable={} (queue_full={} circuit_open={} \
             error={}) outages={}",
            if self.down { "down" } else { "up" },
            self.claims,
            self.fresh,
            self.replayed,
            self.unavailable(),
            self.unavailable_queue_full,
            self.unavailable_circuit_open,
            self.unavailable_error,
            self.outages,
        )
    }
}

/// One claim for a worker.
struct Job {
    key: String,
    ttl_ms: u64,
    answer: ClaimAnswer,
    /// Past this, answer unavailable without asking Redis.
    deadline: Instant,
    /// Sent while the circuit was open, as the one probe of its backoff
    /// period; other jobs find the circuit open and do not try.
    probe: bool,
}

/// What the handshakes and the workers share.
struct Shared {
    url: RedisUrl,
    timeouts: Timeouts,
    log: Arc<LogFn>,
    health: Mutex<Health>,
    stats: Mutex<RedisAntiReplayStats>,
    /// Set on drop: the workers answer what is left without asking Redis.
    closing: AtomicBool,
}

/// Whether a claim goes to Redis.
enum Admit {
    Up,
    Probe,
    CircuitOpen,
}

impl Shared {
    fn count(&self, f: impl FnOnce(&mut RedisAntiReplayStats)) {
        if let Ok(mut s) = self.stats.lock() {
            f(&mut s);
        }
    }

    fn admit(&self) -> Admit {
        let Ok(mut h) = self.health.lock() else {
            return Admit::CircuitOpen;
        };
        if !h.is_down() {
            Admit::Up
        } else if h.may_try() {
            Admit::Probe
        } else {
            Admit::CircuitOpen
        }
    }

    fn is_down(&self) -> bool {
        self.health.lock().map_or(true, |h| h.is_down())
    }

    fn succeeded(&self) {
        let line = self
            .health
            .lock()
            .ok()
            .and_then(|mut h| h.succeeded(&self.url));
        if let Some(line) = line {
            (self.log)(&line);
        }
        self.count(|s| {
            s.down = false;
            s.last_success = Some(SystemTime::now());
        });
    }

    fn failed(&self, e: &StoreError) {
        let line = self
            .health
            .lock()
            .ok()
            .and_then(|mut h| h.failed(&self.url, e));
        let started = line.is_some();
        if let Some(line) = line {
            (self.log)(&line);
        }
        self.count(|s| {
            s.down = true;
            s.outages += u64::from(started);
        });
    }
}

/// An [`AntiReplayStore`] in Redis, shared by every server of a fleet: a
/// claim is `SET P:replay:HEX 1 NX PX ttl`, which Redis runs atomically, so
/// of all the servers claiming one key exactly one is told it is fresh.
///
/// Handshakes never wait on Redis: `claim` answers [`Claim::Pending`] and a
/// worker thread runs the `SET` (`OK` fresh, nil replayed, an error or the
/// timeout unavailable). A claim that waited in the queue past its deadline
/// is answered unavailable without asking Redis. While Redis is down, or the
/// queue is full, `claim` answers [`Claim::Unavailable`] at once; a probe goes
/// through once per backoff period, and the outage is logged once when it
/// starts and once when it ends.
///
/// [`remembers_since`](AntiReplayStore::remembers_since) is `None`: Redis
/// outlives the servers. It does not outlive its own restart unless it
/// persists its data (`appendonly yes`): a Redis restarted empty has
/// forgotten the claims made before, and their replays are fresh to it.
///
/// Dropping it answers what is still queued as unavailable and stops the
/// workers.
pub struct RedisAntiReplay {
    shared: Arc<Shared>,
    waker: Option<Arc<dyn Fn() + Send + Sync>>,
    queue: Option<SyncSender<Job>>,
    workers: Vec<JoinHandle<()>>,
}

impl core::fmt::Debug for RedisAntiReplay {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RedisAntiReplay")
            .field("url", &self.shared.url)
            .finish_non_exhaustive()
    }
}

impl RedisAntiReplay {
    /// Starts the workers for `url` (`redis://HOST:PORT/KEYPREFIX`; they
    /// connect on first use). Errors only for a bad URL or options, or a
    /// thread that cannot start.
    pub fn start(url: &str, opts: RedisAntiReplayOptions) -> Result<Self, StoreError> {
        let url = RedisUrl::parse(url)?;
        if opts.workers == 0 || opts.queue == 0 || opts.timeout.is_zero() {
            return Err(StoreError::new(
                "workers, queue and timeout must be above zero",
            ));
        }
        let shared = Arc::new(Shared {
            url,
            timeouts: Timeouts {
                connect: opts.timeout,
                io: opts.timeout,
            },
            log: opts.log.clone().unwrap_or_else(stderr_log),
            health: Mutex::new(Health::new(
                "anti-replay",
                Duration::from_millis(100).min(opts.max_backoff),
                opts.max_backoff,
            )),
            stats: Mutex::new(RedisAntiReplayStats::default()),
            closing: AtomicBool::new(false),
        });
        let (tx, rx) = mpsc::sync_channel::<Job>(opts.queue);
        let rx = Arc::new(Mutex::new(rx));
        let mut workers = Vec::with_capacity(opts.workers);
        for i in 0..opts.workers {
            let shared = Arc::clone(&shared);
            let rx = Arc::clone(&rx);
            let t = std::thread::Builder::new()
                .name(format!("baton-redis-replay-{i}"))
                .spawn(move || {
                    let mut con = None;
                    loop {
                        // The lock is held only to take one job.
                        let job = match rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => run(&shared, &mut con, job),
                            Err(_) => return,
                        }
                    }
                })
                .map_err(|e| StoreError::new(format!("starting an anti-replay worker: {e}")))?;
            workers.push(t);
        }
        Ok(Self {
            shared,
            waker: opts.waker,
            queue: Some(tx),
            workers,
        })
    }

    /// The counters so far.
    pub fn stats(&self) -> RedisAntiReplayStats {
        self.shared
            .stats
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    /// The URL used (without any password).
    pub fn url(&self) -> &RedisUrl {
        &self.shared.url
    }

    /// The Redis key for an anti-replay key.
    fn key(&self, key: &[u8]) -> String {
        self.shared.url.key(&format!("replay:{}", hex(key)))
    }
}

/// Milliseconds for `PX`: Redis refuses 0, so at least 1.
fn ttl_ms(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl AntiReplayStore for RedisAntiReplay {
    fn claim(&self, key: &[u8], ttl: Duration) -> Claim {
        self.shared.count(|s| s.claims += 1);
        if key.len() > MAX_KEY_LEN {
            self.shared.count(|s| s.unavailable_error += 1);
            return Claim::Unavailable;
        }
        let probe = match self.shared.admit() {
            Admit::Up => false,
            Admit::Probe => true,
            Admit::CircuitOpen => {
                self.shared.count(|s| s.unavailable_circuit_open += 1);
                return Claim::Unavailable;
            }
        };
        let Some(queue) = &self.queue else {
            return Claim::Unavailable;
        };
        let (pending, answer) = match &self.waker {
            Some(w) => {
                let w = Arc::clone(w);
                PendingClaim::with_waker(move || w())
            }
            None => PendingClaim::new(),
        };
        let job = Job {
            key: self.key(key),
            ttl_ms: ttl_ms(ttl),
            answer,
            deadline: Instant::now() + self.shared.timeouts.io,
            probe,
        };
        match queue.try_send(job) {
            Ok(()) => Claim::Pending(pending),
            // The job's answer is dropped here (unavailable; its waker, if
            // any, is called once, harmlessly).
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.shared.count(|s| s.unavailable_queue_full += 1);
                Claim::Unavailable
            }
        }
    }

    fn remembers_since(&self) -> Option<SystemTime> {
        None
    }
}

impl Drop for RedisAntiReplay {
    fn drop(&mut self) {
        self.shared.closing.store(true, Ordering::SeqCst);
        drop(self.queue.take());
        for t in self.workers.drain(..) {
            let _ = t.join();
        }
    }
}

/// One claim on a worker, with its connection.
fn run(shared: &Shared, con: &mut Option<redis::Connection>, job: Job) {
    let Job {
        key,
        ttl_ms,
        answer,
        deadline,
        probe,
    } = job;
    if shared.closing.load(Ordering::SeqCst) || Instant::now() >= deadline {
        shared.count(|s| s.unavailable_error += 1);
        answer.unavailable();
        return;
    }
    // Queued before the circuit opened: not worth a connect timeout each.
    if !probe && shared.is_down() {
        shared.count(|s| s.unavailable_circuit_open += 1);
        answer.unavailable();
        return;
    }
    // A retry after a dropped connection cannot turn a claim fresh twice:
    // if the first SET ran, the second finds the key and answers nil.
    let reply: Result<Option<String>, StoreError> =
        with_connection(con, &shared.url, shared.timeouts, |c| {
            redis::cmd("SET")
                .arg(&key)
                .arg(1)
                .arg("NX")
                .arg("PX")
                .arg(ttl_ms)
                .query(c)
        });
    // The answer goes last, so that whoever sees it sees the health, the
    // log line and the counters it led to.
    match reply {
        Ok(Some(ok)) if ok == "OK" => {
            shared.succeeded();
            shared.count(|s| s.fresh += 1);
            answer.fresh();
        }
        Ok(None) => {
            shared.succeeded();
            shared.count(|s| s.replayed += 1);
            answer.replayed();
        }
        Ok(Some(other)) => {
            shared.failed(&StoreError::new(format!("SET NX answered {other:?}")));
            shared.count(|s| s.unavailable_error += 1);
            answer.unavailable();
        }
        Err(e) => {
            shared.failed(&e);
            shared.count(|s| s.unavailable_error += 1);
            answer.unavailable();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::early::AntiReplayStore;

    #[test]
    fn ttl_is_at_least_a_millisecond() {
        assert_eq!(ttl_ms(Duration::ZERO), 1);
        assert_eq!(ttl_ms(Duration::from_micros(999)), 1);
        assert_eq!(ttl_ms(Duration::from_millis(1500)), 1500);
        assert_eq!(ttl_ms(Duration::MAX), u64::MAX);
    }

    #[test]
    fn bad_url_or_options_refused() {
        assert!(RedisAntiReplay::start("redis://h:1", Default::default()).is_err());
        for opts in [
            RedisAntiReplayOptions {
                workers: 0,
                ..Default::default()
            },
            RedisAntiReplayOptions {
                queue: 0,
                ..Default::default()
            },
            RedisAntiReplayOptions {
                timeout: Duration::ZERO,
                ..Default::default()
            },
        ] {
            assert!(RedisAntiReplay::start("redis://127.0.0.1:1/p", opts).is_err());
        }
    }

    #[test]
    fn key_layout_and_local_answers() {
        // Nothing is sent to Redis here: the workers connect on first use.
        let store = RedisAntiReplay::start(
            "redis://user:s3cret@127.0.0.1:1/edge",
            RedisAntiReplayOptions::default(),
        )
        .unwrap();
        assert_eq!(store.key(&[0xab, 0x01]), "edge:replay:ab01");
        assert_eq!(store.remembers_since(), None);
        assert!(matches!(
            store.claim(&[0; MAX_KEY_LEN + 1], Duration::from_secs(1)),
            Claim::Unavailable
        ));
        let s = store.stats();
        assert_eq!((s.claims, s.unavailable_error), (1, 1), "{s}");
        assert!(!format!("{store:?}").contains("s3cret"));
    }
}
