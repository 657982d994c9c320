//! Anti-replay for 0-RTT in a real `redis-server` (feature `redis`): two
//! stores standing for two servers of a fleet share one Redis, and Redis is
//! stopped and restarted (empty) or flushed under them, which moves the
//! epoch (`remembers_since`) forward. Skipped like the other Redis tests when
//! `redis-server` is not installed (unless `BATON_REQUIRE_REDIS` is set).

use crate::redis_server::RedisServer;
use crate::redis_store::{captured_log, connect, count, wait_until, WAIT};
use baton::early::{AntiReplayStore, Claim};
use baton::resumption::redis::{RedisAntiReplay, RedisAntiReplayOptions};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

macro_rules! redis_server {
    () => {
        match RedisServer::start(module_path!()) {
            Some(s) => s,
            None => return,
        }
    };
}

const HOUR: Duration = Duration::from_secs(3600);

/// Options for a loaded CI machine: a claim's deadline far longer than any
/// scheduling delay, so that only a stopped Redis makes one unavailable.
fn patient() -> RedisAntiReplayOptions {
    RedisAntiReplayOptions {
        timeout: Duration::from_secs(10),
        max_backoff: Duration::from_millis(400),
        ..Default::default()
    }
}

/// What a claim came to: a pending one is waited for (bounded).
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    Fresh,
    Replayed,
    Unavailable,
}

fn settle(c: Claim) -> Answer {
    let deadline = Instant::now() + WAIT;
    let c = match c {
        Claim::Pending(p) => loop {
            if let Some(c) = p.result() {
                break c;
            }
            assert!(Instant::now() < deadline, "claim never answered");
            thread::sleep(Duration::from_millis(2));
        },
        c => c,
    };
    match c {
        Claim::Fresh => Answer::Fresh,
        Claim::Replayed => Answer::Replayed,
        Claim::Unavailable => Answer::Unavailable,
        Claim::Pending(_) => unreachable!("an answer is never pending"),
    }
}

/// Starts a store and waits until it has read the epoch (its first worker
/// does at once): until then its claims are judged by the store's start,
/// which the epoch of the new Redis each test starts comes after, so they
/// would not be fresh.
fn started(redis: &RedisServer, prefix: &str, opts: RedisAntiReplayOptions) -> RedisAntiReplay {
    let store = RedisAntiReplay::start(&redis.url(prefix), opts).unwrap();
    wait_until("the epoch read", || store.stats().epoch.is_some());
    store
}

/// `P:replay:epoch` as stored: decimal Unix milliseconds.
fn stored_epoch(con: &mut redis::Connection, prefix: &str) -> SystemTime {
    let ms: String = redis::cmd("GET")
        .arg(format!("{prefix}:replay:epoch"))
        .query(con)
        .unwrap();
    UNIX_EPOCH + Duration::from_millis(ms.parse().unwrap())
}

fn claim(store: &RedisAntiReplay, key: &[u8], ttl: Duration) -> Answer {
    settle(store.claim(key, ttl))
}

/// The TTL Redis holds for a claim, in ms (-2: no such key).
fn pttl(con: &mut redis::Connection, redis_key: &str) -> i64 {
    redis::cmd("PTTL").arg(redis_key).query(con).unwrap()
}

#[test]
fn replay_claimed_once_across_two_servers() {
    let redis = redis_server!();
    let (a, b) = (
        started(&redis, "fleet", patient()),
        started(&redis, "fleet", patient()),
    );
    // Both remember since the epoch the first one wrote, kept without expiry.
    let mut con = connect(&redis);
    let epoch = stored_epoch(&mut con, "fleet");
    assert_eq!(a.remembers_since(), Some(epoch));
    assert_eq!(b.remembers_since(), Some(epoch));
    assert_eq!(pttl(&mut con, "fleet:replay:epoch"), -1, "no expiry");
    assert_eq!(a.stats().epochs_written + b.stats().epochs_written, 1);
    assert!(matches!(a.claim(b"binder-1", HOUR), Claim::Pending(_)));
    wait_until("a's claim answered", || a.stats().fresh == 1);
    assert_eq!(claim(&b, b"binder-1", HOUR), Answer::Replayed);
    assert_eq!(claim(&a, b"binder-1", HOUR), Answer::Replayed);
    assert_eq!(claim(&b, b"binder-2", HOUR), Answer::Fresh);
    assert_eq!(claim(&a, b"binder-2", HOUR), Answer::Replayed);
    // Another fleet's prefix is another namespace.
    let other = started(&redis, "other", patient());
    assert_eq!(claim(&other, b"binder-1", HOUR), Answer::Fresh);

    // The documented layout: P:replay:HEX, expiring with the claim.
    let ttl = pttl(&mut con, "fleet:replay:62696e6465722d31");
    assert!(ttl > 0 && ttl <= 3_600_000, "{ttl}");
    let (sa, sb) = (a.stats(), b.stats());
    assert_eq!((sa.claims, sa.fresh, sa.replayed), (3, 1, 2), "{sa}");
    assert_eq!((sb.claims, sb.fresh, sb.replayed), (2, 1, 1), "{sb}");
    assert_eq!((sa.unavailable(), sb.unavailable()), (0, 0));
}

#[test]
fn replay_concurrent_claims_one_fresh() {
    let redis = redis_server!();
    let stores = Arc::new([
        started(&redis, "race", patient()),
        started(&redis, "race", patient()),
    ]);
    let barrier = Arc::new(Barrier::new(16));
    let threads: Vec<_> = (0..16)
        .map(|i| {
            let (stores, barrier) = (Arc::clone(&stores), Arc::clone(&barrier));
            thread::spawn(move || {
                barrier.wait();
                claim(&stores[i % 2], b"one-ticket", HOUR)
            })
        })
        .collect();
    let answers: Vec<Answer> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let fresh = answers.iter().filter(|a| **a == Answer::Fresh).count();
    let replayed = answers.iter().filter(|a| **a == Answer::Replayed).count();
    assert_eq!((fresh, replayed), (1, 15), "{answers:?}");
}

#[test]
fn replay_claim_expires_with_its_ttl() {
    let redis = redis_server!();
    let store = started(&redis, "ttl", patient());
    let mut con = connect(&redis);
    assert_eq!(
        claim(&store, b"short", Duration::from_millis(100)),
        Answer::Fresh
    );
    // Gone from Redis once its TTL passed (however long that takes here),
    // then fresh again.
    wait_until("the claim expired", || {
        pttl(&mut con, "ttl:replay:73686f7274") == -2
    });
    assert_eq!(claim(&store, b"short", HOUR), Answer::Fresh);
    assert_eq!(claim(&store, b"short", HOUR), Answer::Replayed);
    // A zero TTL is rounded up to 1 ms (Redis refuses PX 0): still a claim.
    assert_eq!(claim(&store, b"zero", Duration::ZERO), Answer::Fresh);
    let s = store.stats();
    assert_eq!(s.unavailable(), 0, "{s}");
}

/// A waker whose first call (on the worker, for the first answer) holds the
/// worker until the test sends on `release`; it counts every call.
struct HoldFirst {
    waker: Arc<dyn Fn() + Send + Sync>,
    entered: mpsc::Receiver<()>,
    release: mpsc::Sender<()>,
    wakes: Arc<AtomicUsize>,
}

fn hold_first() -> HoldFirst {
    let (entered_tx, entered) = mpsc::channel::<()>();
    let (release, release_rx) = mpsc::channel::<()>();
    let hooks = Mutex::new((entered_tx, release_rx));
    let wakes = Arc::new(AtomicUsize::new(0));
    let w = Arc::clone(&wakes);
    HoldFirst {
        waker: Arc::new(move || {
            if w.fetch_add(1, Ordering::SeqCst) == 0 {
                let hooks = hooks.lock().unwrap();
                hooks.0.send(()).unwrap();
                let _ = hooks.1.recv_timeout(WAIT);
            }
        }),
        entered,
        release,
        wakes,
    }
}

#[test]
fn replay_full_queue_answers_unavailable_at_once() {
    let redis = redis_server!();
    // One worker, held by the first answer's waker, and one queue slot.
    let hold = hold_first();
    let store = started(
        &redis,
        "full",
        RedisAntiReplayOptions {
            workers: 1,
            queue: 1,
            waker: Some(Arc::clone(&hold.waker)),
            ..patient()
        },
    );
    let first = store.claim(b"k1", HOUR);
    hold.entered
        .recv_timeout(WAIT)
        .expect("the first claim answered");
    let second = store.claim(b"k2", HOUR);
    assert!(matches!(second, Claim::Pending(_)), "queued");
    assert!(
        matches!(store.claim(b"k3", HOUR), Claim::Unavailable),
        "queue full"
    );
    assert_eq!(store.stats().unavailable_queue_full, 1);
    hold.release.send(()).unwrap();
    assert_eq!(settle(first), Answer::Fresh);
    assert_eq!(settle(second), Answer::Fresh);
    // k3 was never sent: it is still fresh to Redis.
    assert_eq!(claim(&store, b"k3", HOUR), Answer::Fresh);
    // Every pending claim woke its waker (the refused one once too, as its
    // answer was dropped).
    wait_until("all woken", || hold.wakes.load(Ordering::SeqCst) == 4);
}

#[test]
fn replay_claim_past_its_deadline_is_not_run() {
    let redis = redis_server!();
    let hold = hold_first();
    let timeout = Duration::from_millis(200);
    let store = started(
        &redis,
        "late",
        RedisAntiReplayOptions {
            workers: 1,
            timeout,
            waker: Some(Arc::clone(&hold.waker)),
            ..patient()
        },
    );
    // Whatever the first claim's answer, its waker holds the only worker.
    let _first = store.claim(b"k1", HOUR);
    hold.entered
        .recv_timeout(WAIT)
        .expect("the first claim answered");
    let late = store.claim(b"late", HOUR);
    assert!(matches!(late, Claim::Pending(_)));
    // Its deadline (the timeout, from the claim) surely passes in the queue.
    thread::sleep(timeout * 2);
    hold.release.send(()).unwrap();
    assert_eq!(settle(late), Answer::Unavailable);
    let mut con = connect(&redis);
    assert_eq!(pttl(&mut con, "late:replay:6c617465"), -2, "never sent");
    assert!(store.stats().unavailable_error >= 1);
}

#[test]
fn replay_redis_stopped_then_restarted() {
    let mut redis = redis_server!();
    let (log, lines) = captured_log();
    let opts = RedisAntiReplayOptions {
        log: Some(log),
        ..patient()
    };
    let (a, b) = (
        started(&redis, "out", opts.clone()),
        started(&redis, "out", opts),
    );
    assert_eq!(claim(&a, b"before", HOUR), Answer::Fresh);
    // A ticket or ClientHello whose key was claimed now was made before.
    let claimed_before = SystemTime::now();

    redis.stop();
    // The first claim after the stop fails on a worker (never fresh, never
    // a panic); then the circuit is open and claims answer at once.
    for store in [&a, &b] {
        assert_eq!(claim(store, b"during", HOUR), Answer::Unavailable);
        wait_until("unavailable at once", || {
            matches!(store.claim(b"during", HOUR), Claim::Unavailable)
        });
        for i in 0u32..50 {
            let answer = claim(store, &i.to_be_bytes(), HOUR);
            assert_eq!(answer, Answer::Unavailable, "claim {i} while down");
        }
    }
    let (sa, sb) = (a.stats(), b.stats());
    assert!(sa.down && sa.outages == 1 && sa.fresh == 1, "{sa}");
    assert!(sb.down && sb.outages == 1 && sb.fresh == 0, "{sb}");
    assert!(sa.unavailable_circuit_open >= 1, "{sa}");
    assert_eq!(count(&lines, "unreachable"), 2, "{:?}", lines.lock());

    let restarted_at = SystemTime::now();
    redis.restart();
    // Probes go through with backoff; once one does, claims are fresh again
    // (the first claim of each store that reaches the new Redis is not: it
    // finds the epoch missing, or later than the one its store promised).
    for store in [&a, &b] {
        let mut n = 0u32;
        wait_until("fresh answers back", || {
            n += 1;
            let key = format!("after-{n}");
            let answer = claim(store, key.as_bytes(), HOUR);
            thread::sleep(Duration::from_millis(20));
            answer == Answer::Fresh
        });
        assert!(!store.stats().down);
    }
    // Restarted empty (no persistence): one of them wrote a new epoch, no
    // earlier than the restart, and both remember since that one.
    let since = a.remembers_since().unwrap();
    assert!(since >= restarted_at, "{since:?} < {restarted_at:?}");
    assert_eq!(b.remembers_since(), Some(since));
    assert_eq!(stored_epoch(&mut connect(&redis), "out"), since);
    // The claim made before is forgotten, so its replay is fresh to Redis;
    // but it was made before the epoch, and the handshake rejects early data
    // whose ticket or ClientHello predates `remembers_since`.
    assert!(claimed_before < since);
    assert_eq!(claim(&b, b"before", HOUR), Answer::Fresh);
    assert_eq!(claim(&a, b"before", HOUR), Answer::Replayed);
    let (sa, sb) = (a.stats(), b.stats());
    assert_eq!((sa.outages, sb.outages), (1, 1), "{sa} / {sb}");
    // One epoch written per empty Redis (the first start, the restart), and
    // the claim that wrote the second was not answered fresh (eventually: it
    // may be one the test did not wait for, sent while Redis was down).
    wait_until("the second epoch counted", || {
        let (sa, sb) = (a.stats(), b.stats());
        sa.epochs_written + sb.epochs_written == 2
            && sa.unavailable_epoch + sb.unavailable_epoch >= 1
    });
    assert_eq!(count(&lines, "Redis is back"), 2, "{:?}", lines.lock());
    assert_eq!(count(&lines, "rejecting early data"), 2);
}

#[test]
fn replay_epoch_moves_forward_after_flushall() {
    let redis = redis_server!();
    let (a, b) = (
        started(&redis, "flush", patient()),
        started(&redis, "flush", patient()),
    );
    assert_eq!(claim(&a, b"before", HOUR), Answer::Fresh);
    let claimed_before = SystemTime::now();
    let mut con = connect(&redis);
    // The new epoch must be a later millisecond than the first for b to see
    // it move (an epoch in the same millisecond would cover as much).
    let first = b.remembers_since().unwrap();
    wait_until("a millisecond past the first epoch", || {
        SystemTime::now() > first + Duration::from_millis(1)
    });
    let flushed_at = SystemTime::now();
    let _: () = redis::cmd("FLUSHALL").query(&mut con).unwrap();

    // Redis keeps running without the epoch: the next claim writes a new one
    // and, though Redis took it, is not fresh (Redis forgot claims made
    // before, which the handshake counted on).
    assert_eq!(claim(&a, b"after", HOUR), Answer::Unavailable);
    let since = a.remembers_since().unwrap();
    assert!(since >= flushed_at, "{since:?} < {flushed_at:?}");
    assert!(
        claimed_before <= since,
        "the forgotten claim predates the epoch"
    );
    assert_eq!(stored_epoch(&mut con, "flush"), since);
    assert_eq!(pttl(&mut con, "flush:replay:epoch"), -1, "no expiry");
    assert_eq!(claim(&a, b"after", HOUR), Answer::Replayed, "Redis took it");

    // b still promises the old epoch: its next claim reads the new one and is
    // not fresh either; then both are fresh again under the new epoch.
    assert!(first < since);
    assert_eq!(claim(&b, b"b-after", HOUR), Answer::Unavailable);
    assert_eq!(b.remembers_since(), Some(since));
    assert_eq!(claim(&b, b"b-next", HOUR), Answer::Fresh);
    assert_eq!(claim(&a, b"a-next", HOUR), Answer::Fresh);
    // The forgotten claim: fresh to Redis, covered by the epoch.
    assert_eq!(claim(&b, b"before", HOUR), Answer::Fresh);

    let (sa, sb) = (a.stats(), b.stats());
    assert_eq!(
        (sa.unavailable_epoch, sb.unavailable_epoch),
        (1, 1),
        "{sa} / {sb}"
    );
    assert_eq!(sa.epochs_written + sb.epochs_written, 2, "{sa} / {sb}");
    assert_eq!((sa.outages, sb.outages), (0, 0), "{sa} / {sb}");
    assert_eq!(sa.unavailable() + sb.unavailable(), 2, "{sa} / {sb}");
}
