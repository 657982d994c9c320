//! Anti-replay for 0-RTT in Redis: one claim per key across a fleet, and an
//! epoch that says since when Redis has remembered them (see
//! [`RedisAntiReplay`]).

use super::{hex, spawn_workers, with_connection, Link, LogFn, RedisUrl, StoreError};
use crate::early::{AntiReplayStore, Claim, ClaimAnswer, PendingClaim, MAX_KEY_LEN};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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
    /// Claims Redis took but answered unavailable because the epoch had moved
    /// past what the store promised when the claim was made (Redis restarted
    /// empty or was flushed; see [`RedisAntiReplay`]).
    pub unavailable_epoch: u64,
    /// Times this store found no epoch in Redis and wrote one (a new Redis,
    /// or one restarted empty or flushed).
    pub epochs_written: u64,
    /// The epoch read from Redis, once one was: since when Redis has
    /// remembered every claim.
    pub epoch: Option<SystemTime>,
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
        self.unavailable_queue_full
            + self.unavailable_circuit_open
            + self.unavailable_error
            + self.unavailable_epoch
    }
}

impl core::fmt::Display for RedisAntiReplayStats {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{} claims={} fresh={} replayed={} unavailable={} (queue_full={} circuit_open={} \
             error={} epoch={}) outages={} epochs_written={}",
            if self.down { "down" } else { "up" },
            self.claims,
            self.fresh,
            self.replayed,
            self.unavailable(),
            self.unavailable_queue_full,
            self.unavailable_circuit_open,
            self.unavailable_error,
            self.unavailable_epoch,
            self.outages,
            self.epochs_written,
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
    /// What `remembers_since` said when the claim was made: a Redis whose
    /// epoch is later has forgotten claims the handshake counted on.
    since: SystemTime,
}

/// What the handshakes and the workers share.
struct Shared {
    link: Link,
    stats: Mutex<RedisAntiReplayStats>,
    /// `P:replay:epoch`.
    epoch_key: String,
    /// When the store started: what it vouches for until Redis has told it
    /// its epoch.
    started: SystemTime,
    /// The latest epoch read from Redis (it only moves forward).
    epoch: Mutex<Option<SystemTime>>,
    /// Set on drop: the workers answer what is left without asking Redis.
    closing: AtomicBool,
}

/// A poisoned lock only means a thread panicked holding it; the value is
/// still whole (and the epoch must not fall back to an earlier one).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
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
        let mut h = self.link.health();
        if !h.is_down() {
            Admit::Up
        } else if h.may_try() {
            Admit::Probe
        } else {
            Admit::CircuitOpen
        }
    }

    fn remembers_since(&self) -> SystemTime {
        lock(&self.epoch).unwrap_or(self.started)
    }

    /// Takes in an epoch Redis answered. Later epochs win: an answer read
    /// before a restart or a flush may arrive after one read since, and must
    /// not move the epoch back.
    fn learn(&self, reply: &EpochReply) {
        let epoch = {
            let mut e = lock(&self.epoch);
            let later = e.map_or(reply.epoch, |old| old.max(reply.epoch));
            *e = Some(later);
            later
        };
        self.count(|s| {
            s.epoch = Some(epoch);
            s.epochs_written += u64::from(reply.wrote);
        });
    }

    fn is_down(&self) -> bool {
        self.link.health().is_down()
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

/// An [`AntiReplayStore`] in Redis, shared by every server of a fleet: a
/// claim is `SET P:replay:HEX 1 NX PX ttl`, which Redis runs atomically, so
/// of all the servers claiming one key exactly one is told it is fresh.
///
/// Handshakes never wait on Redis: `claim` answers [`Claim::Pending`] and a
/// worker thread runs the `SET` (`OK` fresh, nil replayed, an error or the
/// timeout unavailable; and see the epoch below). A claim that waited in the
/// queue past its deadline is answered unavailable without asking Redis.
/// While Redis is down, or the queue is full, `claim` answers
/// [`Claim::Unavailable`] at once; a probe goes through once per backoff
/// period, and the outage is logged once when it starts and once when it
/// ends. Dropping the store answers what is still queued as unavailable and
/// stops the workers.
///
/// # The epoch: what Redis has forgotten
///
/// Redis outlives the servers, but not its own restart without persistence,
/// nor a `FLUSHALL`: after either it has forgotten the claims made before,
/// and their replays would be fresh to it. So Redis also holds
/// `P:replay:epoch`, the time since which it has remembered every claim
/// (decimal Unix milliseconds, rounded up; never an expiry), and
/// [`remembers_since`](AntiReplayStore::remembers_since) is that epoch: the
/// handshake rejects the early data of a ticket issued, or a ClientHello
/// sent, before it.
///
/// Every claim is one `MULTI`/`EXEC` transaction: `SET P:replay:epoch NOW
/// NX`, `GET P:replay:epoch`, then the claim's `SET NX PX`. The epoch is thus
/// read atomically with the claim, on whatever connection (a new one after a
/// restart included), and is never missing when a claim is taken: a Redis
/// restarted empty or flushed gets its epoch from the first transaction that
/// reaches it, and every server reads that same one. The store keeps the
/// latest epoch it read (it never moves back), updated before the claim is
/// answered, and answers a claim that set its key:
///
/// - fresh only if the epoch is no later than what `remembers_since` said
///   when the claim was made, which is what the handshake checked;
/// - unavailable if this transaction wrote the epoch (Redis had forgotten
///   everything) or found one later than that (another server found Redis
///   empty first).
///
/// So no claim is answered fresh under a stale epoch, and a handshake that
/// reads `remembers_since` once its claim is answered sees the epoch the
/// claim was judged by, or a later one.
///
/// The first worker also reads (or writes) the epoch when it starts, so that
/// the first claims are judged by it; until Redis first answers,
/// `remembers_since` is the store's start (nothing is known yet). The epoch
/// is written with the writing server's clock: the fleet's clocks are
/// assumed synchronized, as ticket ages already assume.
///
/// The epoch only sees data lost with the epoch itself. Claims lost while the
/// epoch stays go unseen: a restart that reloads an older RDB snapshot, a
/// failover to a replica that lagged, claims evicted under memory pressure.
/// Where 0-RTT is accepted, give Redis `appendonly yes` and
/// `maxmemory-policy noeviction`.
pub struct RedisAntiReplay {
    shared: Arc<Shared>,
    waker: Option<Arc<dyn Fn() + Send + Sync>>,
    queue: Option<SyncSender<Job>>,
    workers: Vec<JoinHandle<()>>,
}

impl core::fmt::Debug for RedisAntiReplay {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RedisAntiReplay")
            .field("url", &self.shared.link.url)
            .finish_non_exhaustive()
    }
}

impl RedisAntiReplay {
    /// Starts the workers for `url` (`redis://HOST:PORT/KEYPREFIX`); one
    /// connects at once, in the background, to read the epoch, the others on
    /// first use. Errors only for a bad URL or options, or a thread that
    /// cannot start.
    pub fn start(url: &str, opts: RedisAntiReplayOptions) -> Result<Self, StoreError> {
        let url = RedisUrl::parse(url)?;
        if opts.workers == 0 || opts.queue == 0 || opts.timeout.is_zero() {
            return Err(StoreError::new(
                "workers, queue and timeout must be above zero",
            ));
        }
        let epoch_key = url.key("replay:epoch");
        let shared = Arc::new(Shared {
            link: Link::new(
                "anti-replay",
                url,
                opts.timeout,
                opts.max_backoff,
                opts.log.clone(),
            ),
            stats: Mutex::new(RedisAntiReplayStats::default()),
            epoch_key,
            started: SystemTime::now(),
            epoch: Mutex::new(None),
            closing: AtomicBool::new(false),
        });
        let worker = Arc::clone(&shared);
        let (tx, workers) = spawn_workers(
            opts.workers,
            opts.queue,
            "baton-redis-replay",
            move |i, next| {
                let mut con = None;
                // Learn the epoch before the first claim needs it (once: every
                // claim reads it anyway).
                if i == 0 {
                    sync_epoch(&worker, &mut con);
                }
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
    pub fn stats(&self) -> RedisAntiReplayStats {
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

    /// The Redis key for an anti-replay key.
    fn key(&self, key: &[u8]) -> String {
        self.shared.link.url.key(&format!("replay:{}", hex(key)))
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
            deadline: Instant::now() + self.shared.link.timeouts.io,
            probe,
            since: self.shared.remembers_since(),
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

    /// The epoch: since when Redis has remembered every claim (see the
    /// [type docs](RedisAntiReplay)); before Redis first answered, when this
    /// store started. Moves forward when Redis turns out to have restarted
    /// empty or been flushed; read it once the claim is answered.
    fn remembers_since(&self) -> Option<SystemTime> {
        Some(self.shared.remembers_since())
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

/// What Redis said of the epoch, in the same transaction as a claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct EpochReply {
    /// Redis had none: this store wrote it (Redis is new, restarted empty or
    /// flushed).
    wrote: bool,
    /// Since when Redis has remembered every claim.
    epoch: SystemTime,
}

/// The replies to `SET epoch NOW NX` and `GET epoch`.
type EpochRaw = (Option<String>, Option<String>);

/// The epoch as written: Unix milliseconds, rounded up so that it is never
/// earlier than the moment it stands for.
fn epoch_ms(t: SystemTime) -> u64 {
    let ns = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    u64::try_from(ns.div_ceil(1_000_000)).unwrap_or(u64::MAX)
}

/// Adds the epoch check to a transaction: a Redis without an epoch starts
/// remembering now (`SET NX`, never an expiry), then the epoch is read.
fn add_epoch(pipe: &mut redis::Pipeline, key: &str) {
    pipe.cmd("SET")
        .arg(key)
        .arg(epoch_ms(SystemTime::now()))
        .arg("NX")
        .cmd("GET")
        .arg(key);
}

fn parse_epoch((set, get): EpochRaw) -> Result<EpochReply, StoreError> {
    let wrote = set_nx(set, "the epoch")?;
    let text = get.ok_or_else(|| StoreError::new("the epoch vanished within a transaction"))?;
    let epoch = Some(text.as_str())
        .filter(|t| !t.is_empty() && t.len() <= 20 && t.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|t| t.parse::<u64>().ok())
        .and_then(|ms| UNIX_EPOCH.checked_add(Duration::from_millis(ms)))
        .ok_or_else(|| StoreError::new("the epoch key does not hold decimal Unix milliseconds"))?;
    Ok(EpochReply { wrote, epoch })
}

/// A `SET NX` reply: whether it set the key.
fn set_nx(reply: Option<String>, what: &str) -> Result<bool, StoreError> {
    match reply.as_deref() {
        Some("OK") => Ok(true),
        None => Ok(false),
        Some(other) => Err(StoreError::new(format!(
            "SET NX of {what} answered {other:?}"
        ))),
    }
}

/// How a claim Redis answered is answered to the handshake.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Fresh,
    Replayed,
    /// Redis took the claim but has forgotten claims since `since`, which
    /// the handshake counted on: unavailable.
    Forgotten,
}

/// `claimed`: the claim's `SET NX` set the key; `since`: what
/// `remembers_since` said when the claim was made.
fn verdict(claimed: bool, epoch: EpochReply, since: SystemTime) -> Verdict {
    if !claimed {
        Verdict::Replayed
    } else if epoch.wrote || epoch.epoch > since {
        Verdict::Forgotten
    } else {
        Verdict::Fresh
    }
}

/// Reads the epoch, or writes it where Redis has none: on the first worker's
/// start, so that `remembers_since` is Redis's before the first claim needs
/// it.
fn sync_epoch(shared: &Shared, con: &mut Option<redis::Connection>) {
    if shared.closing.load(Ordering::SeqCst) {
        return;
    }
    let reply = with_connection(con, &shared.link.url, shared.link.timeouts, |c| {
        let mut pipe = redis::pipe();
        pipe.atomic();
        add_epoch(&mut pipe, &shared.epoch_key);
        pipe.query::<EpochRaw>(c)
    })
    .and_then(parse_epoch);
    match reply {
        Ok(epoch) => {
            shared.learn(&epoch);
            shared.succeeded();
        }
        Err(e) => shared.failed(&e),
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
        since,
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
    // The claim and the epoch check in one transaction: whatever connection
    // it runs on (a new one after a restart included), the claim is judged
    // by the epoch of the very data it was claimed in. A retry after a
    // dropped connection cannot turn a claim fresh twice: if the first
    // transaction ran, the second finds the key and answers nil.
    let reply = with_connection(con, &shared.link.url, shared.link.timeouts, |c| {
        let mut pipe = redis::pipe();
        pipe.atomic();
        add_epoch(&mut pipe, &shared.epoch_key);
        pipe.cmd("SET")
            .arg(&key)
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(ttl_ms);
        pipe.query::<(Option<String>, Option<String>, Option<String>)>(c)
    })
    .and_then(|(set, get, claim)| Ok((parse_epoch((set, get))?, set_nx(claim, "a claim")?)));
    // The answer goes last, so that whoever sees it sees the epoch, the
    // health, the log line and the counters it led to.
    match reply {
        Ok((epoch, claimed)) => {
            shared.learn(&epoch);
            shared.succeeded();
            match verdict(claimed, epoch, since) {
                Verdict::Fresh => {
                    shared.count(|s| s.fresh += 1);
                    answer.fresh();
                }
                Verdict::Replayed => {
                    shared.count(|s| s.replayed += 1);
                    answer.replayed();
                }
                Verdict::Forgotten => {
                    shared.count(|s| s.unavailable_epoch += 1);
                    answer.unavailable();
                }
            }
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

    /// A store whose workers never reach Redis (nothing listens on port 1).
    fn unreachable() -> RedisAntiReplay {
        RedisAntiReplay::start(
            "redis://user:s3cret@127.0.0.1:1/edge",
            RedisAntiReplayOptions {
                log: Some(Arc::new(|_: &str| {})),
                ..Default::default()
            },
        )
        .unwrap()
    }

    #[test]
    fn key_layout_and_local_answers() {
        let before = SystemTime::now();
        let store = unreachable();
        assert_eq!(store.key(&[0xab, 0x01]), "edge:replay:ab01");
        assert_eq!(store.shared.epoch_key, "edge:replay:epoch");
        // Redis never answered: nothing is known before the store's start.
        let since = store.remembers_since().unwrap();
        assert!(since >= before && since <= SystemTime::now());
        assert!(matches!(
            store.claim(&[0; MAX_KEY_LEN + 1], Duration::from_secs(1)),
            Claim::Unavailable
        ));
        let s = store.stats();
        assert_eq!((s.claims, s.unavailable_error), (1, 1), "{s}");
        assert_eq!(s.epoch, None);
        assert!(!format!("{store:?}").contains("s3cret"));
    }

    fn at_ms(ms: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(ms)
    }

    #[test]
    fn epoch_is_written_rounded_up() {
        assert_eq!(epoch_ms(UNIX_EPOCH + Duration::from_micros(1500)), 2);
        assert_eq!(epoch_ms(at_ms(2)), 2);
        assert_eq!(epoch_ms(UNIX_EPOCH - Duration::from_secs(1)), 0);
        let now = SystemTime::now();
        assert!(
            at_ms(epoch_ms(now)) >= now,
            "never earlier than it stands for"
        );
    }

    #[test]
    fn epoch_replies_parsed() {
        let some = |s: &str| Some(s.to_string());
        let ok = parse_epoch((some("OK"), some("1700000000123"))).unwrap();
        assert_eq!((ok.wrote, ok.epoch), (true, at_ms(1_700_000_000_123)));
        assert!(!parse_epoch((None, some("5"))).unwrap().wrote);
        for bad in [
            (None, None),
            (None, some("")),
            (None, some("abc")),
            (None, some("-1")),
            (None, some("+1")),
            (None, some(" 1")),
            (None, some("99999999999999999999999")),
            (some("QUEUED"), some("1")),
        ] {
            assert!(parse_epoch(bad.clone()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn fresh_only_under_the_epoch_the_handshake_saw() {
        let since = at_ms(1000);
        let read = |ms| EpochReply {
            wrote: false,
            epoch: at_ms(ms),
        };
        let wrote = |ms| EpochReply {
            wrote: true,
            epoch: at_ms(ms),
        };
        assert_eq!(verdict(true, read(1000), since), Verdict::Fresh);
        assert_eq!(verdict(true, read(10), since), Verdict::Fresh);
        // Redis forgot claims after the handshake checked: never fresh.
        assert_eq!(verdict(true, read(1001), since), Verdict::Forgotten);
        assert_eq!(verdict(true, wrote(10), since), Verdict::Forgotten);
        // A replay is a replay whatever the epoch.
        assert_eq!(verdict(false, read(10), since), Verdict::Replayed);
        assert_eq!(verdict(false, wrote(2000), since), Verdict::Replayed);
    }

    #[test]
    fn epoch_learnt_never_moves_back() {
        let store = unreachable();
        let learn = |ms, wrote| {
            store.shared.learn(&EpochReply {
                wrote,
                epoch: at_ms(ms),
            })
        };
        // The first epoch replaces the store's start, even an earlier one
        // (Redis outlives the servers).
        learn(500, false);
        assert_eq!(store.remembers_since(), Some(at_ms(500)));
        learn(900, true);
        learn(700, false);
        assert_eq!(store.remembers_since(), Some(at_ms(900)));
        let s = store.stats();
        assert_eq!((s.epoch, s.epochs_written), (Some(at_ms(900)), 1), "{s}");
    }
}
