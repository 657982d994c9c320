//! The pending-claim handshake and the in-memory store.

use super::*;
use core::time::Duration;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

/// Bounded waits for expiry: generous, never a timing assertion.
const WAIT: Duration = Duration::from_secs(20);

fn fresh(c: Claim) -> bool {
    matches!(c, Claim::Fresh)
}

fn replayed(c: Claim) -> bool {
    matches!(c, Claim::Replayed)
}

fn unavailable(c: Claim) -> bool {
    matches!(c, Claim::Unavailable)
}

#[test]
fn pending_answers_once_and_stays() {
    let (p, a) = PendingClaim::new();
    assert!(p.poll().is_none() && p.result().is_none());
    a.fresh();
    assert!(fresh(p.poll().unwrap()));
    assert!(fresh(p.result().unwrap()), "the answer stays");

    let (p, a) = PendingClaim::new();
    a.replayed();
    assert!(replayed(p.poll().unwrap()));
    let (p, a) = PendingClaim::new();
    a.unavailable();
    assert!(unavailable(p.poll().unwrap()));
}

#[test]
fn pending_dropped_unanswered_is_unavailable() {
    let (p, a) = PendingClaim::new();
    drop(a);
    assert!(unavailable(p.poll().unwrap()));
    // From another thread, as a store's worker answers.
    let (p, a) = PendingClaim::new();
    std::thread::spawn(move || drop(a)).join().unwrap();
    assert!(unavailable(p.poll().unwrap()));
}

#[test]
fn pending_waker_called_once() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    let (p, a) = PendingClaim::with_waker(move || {
        c.fetch_add(1, Ordering::SeqCst);
    });
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    std::thread::spawn(move || a.fresh()).join().unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(fresh(p.poll().unwrap()));

    // Dropping unanswered wakes too, once.
    let c = Arc::clone(&calls);
    let (p, a) = PendingClaim::with_waker(move || {
        c.fetch_add(1, Ordering::SeqCst);
    });
    drop(a);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert!(unavailable(p.poll().unwrap()));
    // The handshake's half going away first changes nothing.
    let c = Arc::clone(&calls);
    let (p, a) = PendingClaim::with_waker(move || {
        c.fetch_add(1, Ordering::SeqCst);
    });
    drop(p);
    a.replayed();
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[test]
fn memory_fresh_then_replayed() {
    let s = MemoryAntiReplay::new(16);
    assert!(s.is_empty());
    let day = Duration::from_secs(86_400);
    assert!(fresh(s.claim(b"ticket-1", day)));
    assert!(replayed(s.claim(b"ticket-1", day)));
    assert!(replayed(s.claim(b"ticket-1", day)));
    assert!(fresh(s.claim(b"ticket-2", day)));
    assert!(fresh(s.claim(b"", day)), "an empty key is a key");
    assert_eq!(s.len(), 3);
    let dbg = format!("{s:?}");
    assert!(dbg.contains("len: 3") && !dbg.contains("ticket"), "{dbg}");
}

#[test]
fn memory_expired_claim_is_fresh_again() {
    let s = MemoryAntiReplay::new(4);
    assert!(fresh(s.claim(b"short", Duration::from_millis(20))));
    let deadline = Instant::now() + WAIT;
    // Replayed while live, then Fresh once expired (no timing assertion:
    // only that it happens within a generous bound).
    loop {
        match s.claim(b"short", Duration::from_secs(3600)) {
            Claim::Fresh => break,
            Claim::Replayed => {}
            other => panic!("{other:?}"),
        }
        assert!(Instant::now() < deadline, "never expired");
        std::thread::sleep(Duration::from_millis(5));
    }
    // Claimed again for an hour: replayed now.
    assert!(replayed(s.claim(b"short", Duration::from_secs(3600))));
    // A zero TTL still claims (rounded up to 1 ms), and then expires.
    assert!(fresh(s.claim(b"zero", Duration::ZERO)));
    let deadline = Instant::now() + WAIT;
    while !fresh(s.claim(b"zero", Duration::ZERO)) {
        assert!(Instant::now() < deadline, "never expired");
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn memory_full_of_live_claims_never_evicts() {
    let s = MemoryAntiReplay::new(3);
    let hour = Duration::from_secs(3600);
    for k in [b"a", b"b", b"c"] {
        assert!(fresh(s.claim(k, hour)));
    }
    for _ in 0..100 {
        assert!(unavailable(s.claim(b"d", hour)), "full: no room");
    }
    // Every live claim is still there.
    for k in [b"a", b"b", b"c"] {
        assert!(replayed(s.claim(k, hour)));
    }
    assert_eq!(s.len(), 3);
}

#[test]
fn memory_full_store_makes_room_as_claims_expire() {
    let s = MemoryAntiReplay::new(2);
    assert!(fresh(s.claim(b"live", Duration::from_secs(3600))));
    assert!(fresh(s.claim(b"brief", Duration::from_millis(10))));
    let deadline = Instant::now() + WAIT;
    loop {
        match s.claim(b"new", Duration::from_secs(3600)) {
            Claim::Fresh => break,
            Claim::Unavailable => {}
            other => panic!("{other:?}"),
        }
        assert!(Instant::now() < deadline, "the expired claim never swept");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(replayed(s.claim(b"live", Duration::from_secs(3600))));
    assert!(unavailable(s.claim(b"more", Duration::from_secs(1))));
}

#[test]
fn memory_sweep_is_bounded_and_keeps_up() {
    // Many claims expiring, then a stream of new ones: each claim sweeps a
    // few, so the store drains without any call scanning everything.
    let s = MemoryAntiReplay::new(1000);
    for i in 0u32..1000 {
        assert!(fresh(s.claim(&i.to_be_bytes(), Duration::from_millis(1))));
    }
    // The last one claimed expires last: once it is fresh again, all are
    // expired.
    let deadline = Instant::now() + WAIT;
    while !fresh(s.claim(&999u32.to_be_bytes(), Duration::from_secs(60))) {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(2));
    }
    for i in 0u32..200 {
        let _ = s.claim(&(5000 + i).to_be_bytes(), Duration::from_secs(60));
    }
    // 201 claims swept up to 16 each: the 1000 expired ones are gone.
    assert_eq!(s.len(), 201);
    assert!(s.queued_expiries() <= 201 + 16);
}

#[test]
fn memory_oversize_key_is_unavailable() {
    let s = MemoryAntiReplay::new(4);
    let hour = Duration::from_secs(3600);
    assert!(fresh(s.claim(&[7; MAX_KEY_LEN], hour)));
    assert!(unavailable(s.claim(&[7; MAX_KEY_LEN + 1], hour)));
    assert!(unavailable(s.claim(&[0; 100_000], hour)));
    assert!(fresh(s.claim(b"k", Duration::MAX)), "a huge TTL is capped");
    assert!(replayed(s.claim(b"k", Duration::MAX)));
    assert_eq!(s.len(), 2);
}

#[test]
fn memory_remembers_since_its_creation() {
    let before = SystemTime::now();
    let s = MemoryAntiReplay::new(1);
    let after = SystemTime::now();
    let since = s.remembers_since().unwrap();
    assert!(before <= since && since <= after);
    // As a trait object, the way a config holds it.
    let store: Arc<dyn AntiReplayStore> = Arc::new(s);
    assert_eq!(store.remembers_since(), Some(since));
}

#[test]
fn memory_concurrent_claims_one_fresh() {
    let s = Arc::new(MemoryAntiReplay::new(64));
    let barrier = Arc::new(std::sync::Barrier::new(16));
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let (s, barrier) = (Arc::clone(&s), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                s.claim(b"one-binder", Duration::from_secs(3600))
            })
        })
        .collect();
    let answers: Vec<Claim> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let n_fresh = answers.iter().filter(|c| matches!(c, Claim::Fresh)).count();
    let n_replayed = answers
        .iter()
        .filter(|c| matches!(c, Claim::Replayed))
        .count();
    assert_eq!((n_fresh, n_replayed), (1, 15), "{answers:?}");
}
