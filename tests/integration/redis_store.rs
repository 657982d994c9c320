//! Redis as the fleet's shared store (feature `redis`), against a real
//! `redis-server` started on a free 127.0.0.1 port for each test: the key
//! source, the rotator, the session cache, and Redis stopped and restarted
//! under them. Skipped (with a visible line) when `redis-server` is not
//! installed, unless `BATON_REQUIRE_REDIS` is set (tools/test installs it and
//! sets it).

use crate::redis_server::RedisServer;
use baton::resumption::redis::{
    self as store, KeySourceOptions, LogFn, RedisCacheOptions, RedisSessionCache,
    RedisTicketKeySource, RedisUrl, RotateOptions,
};
use baton::resumption::{CacheLookup, SessionCache, TicketKeyState, TicketKeys};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Bounded waits: generous, since a loaded CI machine is slow; never a
/// timing assertion.
pub(crate) const WAIT: Duration = Duration::from_secs(20);

macro_rules! redis_server {
    () => {
        match RedisServer::start(module_path!()) {
            Some(s) => s,
            None => return,
        }
    };
}

/// A plain connection, for the test to look at or change what is stored.
pub(crate) fn connect(r: &RedisServer) -> redis::Connection {
    redis::Client::open(format!("redis://127.0.0.1:{}/", r.port))
        .unwrap()
        .get_connection_with_timeout(Duration::from_secs(5))
        .unwrap()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Waits until `cond` holds, or panics naming `what` after [`WAIT`].
pub(crate) fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        thread::sleep(Duration::from_millis(20));
    }
}

/// A log function that keeps its lines.
pub(crate) fn captured_log() -> (Arc<LogFn>, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let l = Arc::clone(&lines);
    let f: Arc<LogFn> = Arc::new(move |s: &str| l.lock().unwrap().push(s.to_string()));
    (f, lines)
}

pub(crate) fn count(lines: &Mutex<Vec<String>>, needle: &str) -> usize {
    lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.contains(needle))
        .count()
}

/// Publishes a key the way the rotator does (intro time, then the secret).
fn publish(con: &mut redis::Connection, prefix: &str, name: &[u8], intro: u64) {
    let mut value = intro.to_be_bytes().to_vec();
    value.extend_from_slice(&[0x42; 32]);
    redis::cmd("HSET")
        .arg(format!("{prefix}:ticket-keys"))
        .arg(name)
        .arg(value)
        .exec(con)
        .unwrap();
}

fn fast_source() -> KeySourceOptions {
    KeySourceOptions {
        poll_interval: Duration::from_millis(100),
        max_backoff: Some(Duration::from_millis(400)),
        ..Default::default()
    }
}

fn names(keys: &TicketKeys) -> Vec<Vec<u8>> {
    keys.list(now()).into_iter().map(|k| k.name).collect()
}

#[test]
fn key_source_installs_published_keys_and_removes_retired_ones() {
    let redis = redis_server!();
    let mut con = connect(&redis);
    let t = now();
    publish(&mut con, "ks", b"key-a", t);
    publish(&mut con, "ks", b"key-b", t + 30);
    let keys = Arc::new(TicketKeys::new());
    // A key added by hand is the application's: the source never removes it.
    keys.add_key(b"by-hand", &[7; 32], t).unwrap();
    let source =
        RedisTicketKeySource::start(&redis.url("ks"), Arc::clone(&keys), fast_source()).unwrap();
    wait_until("both published keys installed", || {
        let n = names(&keys);
        n.contains(&b"key-a".to_vec()) && n.contains(&b"key-b".to_vec())
    });
    let b = keys
        .list(t)
        .into_iter()
        .find(|k| k.name == b"key-b")
        .unwrap();
    assert_eq!(
        b.intro_time,
        t + 30,
        "installed with its published intro time"
    );
    assert_eq!(b.state, TicketKeyState::Pending);

    redis::cmd("HDEL")
        .arg("ks:ticket-keys")
        .arg("key-a")
        .exec(&mut con)
        .unwrap();
    wait_until("the retired key removed", || {
        !names(&keys).contains(&b"key-a".to_vec())
    });
    let n = names(&keys);
    assert!(
        n.contains(&b"key-b".to_vec()) && n.contains(&b"by-hand".to_vec()),
        "{n:?}"
    );
    let s = source.stats();
    assert_eq!((s.keys_installed, s.keys_removed), (2, 1), "{s:?}");
    assert!(
        !s.down && s.outages == 0 && s.last_success.is_some(),
        "{s:?}"
    );
}

#[test]
fn rotation_publishes_a_future_key_and_retires_expired_ones() {
    let redis = redis_server!();
    let url = RedisUrl::parse(&redis.url("rot")).unwrap();
    let opts = RotateOptions::default();
    let mut con = store::open(&url, Duration::from_secs(5)).unwrap();
    let t = now();
    // One key long past both lifetimes, one in its decrypt-only time.
    let life = (opts.encrypt_decrypt + opts.decrypt_only).as_secs();
    publish(&mut con, "rot", b"old", t - life - 10);
    publish(
        &mut con,
        "rot",
        b"decrypting",
        t - opts.encrypt_decrypt.as_secs() - 10,
    );

    let out = store::rotate(&mut con, &url, &opts, t).unwrap();
    let new = out.created.expect("a key made");
    assert_eq!(
        new.intro_time,
        t + opts.lead.as_secs(),
        "intro time ahead of use"
    );
    assert_eq!(new.state, TicketKeyState::Pending);
    assert_eq!(out.retired, vec![b"old".to_vec()]);

    let listed = store::list(&mut con, &url, &opts, t).unwrap();
    let states: Vec<(&[u8], TicketKeyState)> =
        listed.iter().map(|k| (&k.name[..], k.state)).collect();
    assert_eq!(
        states,
        [
            (&b"decrypting"[..], TicketKeyState::DecryptOnly),
            (&new.name[..], TicketKeyState::Pending)
        ]
    );
    // Within the rotation slot another rotation makes no key.
    let again = store::rotate(&mut con, &url, &opts, t).unwrap();
    assert_eq!(again.created, None);
    assert_eq!(store::list(&mut con, &url, &opts, t).unwrap().len(), 2);

    // Installed by a server, the new key has a 32-byte secret it accepts.
    let keys = Arc::new(TicketKeys::new());
    let _source =
        RedisTicketKeySource::start(&redis.url("rot"), Arc::clone(&keys), fast_source()).unwrap();
    wait_until("the rotated key installed", || {
        names(&keys).contains(&new.name)
    });
}

#[test]
fn racing_rotators_make_one_key() {
    let redis = redis_server!();
    let url = RedisUrl::parse(&redis.url("race")).unwrap();
    let t = now();
    let barrier = Arc::new(Barrier::new(4));
    let rotators: Vec<_> = (0..4)
        .map(|_| {
            let (url, barrier) = (url.clone(), Arc::clone(&barrier));
            thread::spawn(move || {
                let mut con = store::open(&url, Duration::from_secs(5)).unwrap();
                barrier.wait();
                store::rotate(&mut con, &url, &RotateOptions::default(), t).unwrap()
            })
        })
        .collect();
    let made = rotators
        .into_iter()
        .filter_map(|r| r.join().unwrap().created)
        .count();
    assert_eq!(made, 1);
    let mut con = store::open(&url, Duration::from_secs(5)).unwrap();
    assert_eq!(
        store::list(&mut con, &url, &RotateOptions::default(), t)
            .unwrap()
            .len(),
        1
    );
}

/// What Redis holds for a session id (the cache's own layout).
fn stored(con: &mut redis::Connection, prefix: &str, id: &[u8]) -> Option<Vec<u8>> {
    let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
    redis::cmd("GET")
        .arg(format!("{prefix}:session:{hex}"))
        .query(con)
        .unwrap()
}

#[test]
fn session_cache_store_retrieve_expire_delete() {
    let redis = redis_server!();
    let mut con = connect(&redis);
    // The waker says when an answer is given (found or not).
    let answers = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let a = Arc::clone(&answers);
    let cache = RedisSessionCache::start(
        &redis.url("sc"),
        RedisCacheOptions {
            waker: Some(Arc::new(move || {
                a.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            })),
            ..Default::default()
        },
    )
    .unwrap();
    let answered = || answers.load(std::sync::atomic::Ordering::SeqCst);

    cache.store(b"id-1", b"sealed-1", Duration::from_secs(600));
    wait_until("stored", || stored(&mut con, "sc", b"id-1").is_some());
    assert_eq!(stored(&mut con, "sc", b"id-1").unwrap(), b"sealed-1");
    // The handshake never waits: the answer comes from a worker.
    assert!(matches!(cache.retrieve(b"id-1"), CacheLookup::Pending(_)));
    wait_until("a hit", || cache.stats().hits == 1);
    wait_until("the hit answered", || answered() == 1);
    assert!(matches!(cache.retrieve(b"nope"), CacheLookup::Pending(_)));
    wait_until("a miss", || cache.stats().misses == 1);
    wait_until("the miss answered", || answered() == 2);

    cache.delete(b"id-1");
    wait_until("deleted", || stored(&mut con, "sc", b"id-1").is_none());

    cache.store(b"id-2", b"sealed-2", Duration::from_millis(300));
    wait_until("stored", || cache.stats().stores == 2);
    wait_until("expired", || stored(&mut con, "sc", b"id-2").is_none());
    let s = cache.stats();
    assert_eq!((s.stores, s.deletes, s.lookups), (2, 1, 2), "{s}");
    assert_eq!((s.outages, s.dropped, s.lookup_errors), (0, 0, 0), "{s}");
}

#[test]
fn redis_stopped_and_restarted_under_a_source_and_a_cache() {
    let mut redis = redis_server!();
    let mut con = connect(&redis);
    publish(&mut con, "out", b"key-1", now());
    drop(con);
    let (log, lines) = captured_log();
    let keys = Arc::new(TicketKeys::new());
    let source = RedisTicketKeySource::start(
        &redis.url("out"),
        Arc::clone(&keys),
        KeySourceOptions {
            log: Some(Arc::clone(&log)),
            ..fast_source()
        },
    )
    .unwrap();
    let cache = RedisSessionCache::start(
        &redis.url("out"),
        RedisCacheOptions {
            max_backoff: Duration::from_millis(400),
            log: Some(Arc::clone(&log)),
            ..Default::default()
        },
    )
    .unwrap();
    wait_until("key installed", || names(&keys) == [b"key-1".to_vec()]);
    cache.store(b"s", b"v", Duration::from_secs(600));
    wait_until("stored", || cache.stats().stores == 1);

    redis.stop();
    // The source notices, keeps its keys, and keeps trying with backoff.
    wait_until("source down", || source.stats().down);
    let failed = source.stats().polls_failed;
    wait_until("more failed polls", || {
        source.stats().polls_failed >= failed + 3
    });
    assert_eq!(names(&keys), [b"key-1".to_vec()], "installed keys kept");
    // The cache's first lookup fails on a worker; after it the circuit is
    // open and lookups answer NotFound at once (a full handshake).
    wait_until("cache answers NotFound at once", || {
        matches!(cache.retrieve(b"s"), CacheLookup::NotFound)
    });
    for _ in 0..20 {
        cache.store(b"t", b"w", Duration::from_secs(60));
        let _ = cache.retrieve(b"s");
    }
    // The worker that saw the failure logs and counts it after marking the
    // circuit open.
    wait_until("the cache's outage counted", || cache.stats().outages == 1);
    let (ks, cs) = (source.stats(), cache.stats());
    assert_eq!(ks.outages, 1, "one outage however many failed polls: {ks}");
    assert!(cs.down && cs.outages == 1 && cs.skipped >= 1, "{cs}");
    assert_eq!(
        count(&lines, "ticket keys"),
        1,
        "{:?}",
        lines.lock().unwrap()
    );
    assert_eq!(
        count(&lines, "session cache"),
        1,
        "{:?}",
        lines.lock().unwrap()
    );

    redis.restart();
    wait_until("source back", || !source.stats().down);
    // It came back empty (no persistence): the installed key stays.
    wait_until("the empty Redis noticed", || {
        count(&lines, "publishes no keys") == 1
    });
    assert_eq!(names(&keys), [b"key-1".to_vec()]);
    // A rotator publishes again (with its key-1 and a new one).
    publish(&mut connect(&redis), "out", b"key-1", now());
    publish(&mut connect(&redis), "out", b"key-2", now());
    wait_until("new key installed", || names(&keys).len() == 2);
    // Lookups probe with backoff; once one gets through, the cache is back.
    wait_until("cache back", || {
        let _ = cache.retrieve(b"s");
        thread::sleep(Duration::from_millis(50));
        !cache.stats().down
    });
    cache.store(b"u", b"x", Duration::from_secs(60));
    wait_until("stores again", || {
        stored(&mut connect(&redis), "out", b"u").is_some()
    });
    let (ks, cs) = (source.stats(), cache.stats());
    assert_eq!((ks.outages, cs.outages), (1, 1), "{ks} / {cs}");
    assert_eq!(
        count(&lines, "Redis is back"),
        2,
        "{:?}",
        lines.lock().unwrap()
    );
    assert_eq!(
        count(&lines, "unreachable"),
        2,
        "{:?}",
        lines.lock().unwrap()
    );
}
