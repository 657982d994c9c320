// Unit tests for the resumption module.

use super::keys::{pick, weight};
use super::state::ServerSessionState;
use super::*;
use crate::error::ErrorKind;
use crate::msgs::enums::{CipherSuite, ProtocolVersion};
use crate::secrets::Secret;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const NAME16: &[u8; 16] = b"0123456789abcdef";
const SECRET: [u8; 32] = [0xab; 32];

/// Keys with short lifetimes (100 s encrypt-decrypt, 50 s decrypt-only) and
/// one 16-byte-name key introduced at 1000.
fn short_keys() -> TicketKeys {
    let k = TicketKeys::with_lifetimes(Duration::from_secs(100), Duration::from_secs(50)).unwrap();
    k.add_key_at(1000, NAME16, &SECRET, 1000).unwrap();
    k
}

/// The name a ticket says it was sealed under.
fn ticket_name(t: &[u8]) -> &[u8] {
    &t[2..2 + t[1] as usize]
}

/// A deterministic byte stream for garbage inputs (xorshift).
fn garbage(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn usage(r: crate::error::Result<()>) -> bool {
    matches!(r, Err(e) if e.kind() == ErrorKind::Usage)
}

// ---------------------------------------------------------------- keys

#[test]
fn add_key_rejects_bad_input() {
    let k = TicketKeys::new();
    assert!(usage(k.add_key_at(10, b"", &SECRET, 10)), "empty name");
    assert!(
        usage(k.add_key_at(10, &[1; 17], &SECRET, 10)),
        "17-byte name"
    );
    assert!(
        usage(k.add_key_at(10, b"n", &[1; 15], 10)),
        "15-byte secret"
    );
    assert!(
        usage(k.add_key_at(10, b"n", &[1; 65], 10)),
        "65-byte secret"
    );
    assert!(
        usage(k.add_key_at(10, b"n", &[0; 32], 10)),
        "all-zero secret"
    );
    k.add_key_at(10, &[1; 16], &[1; 16], 10).unwrap();
    k.add_key_at(10, b"x", &[1; 64], 10).unwrap();
    assert!(
        usage(k.add_key_at(10, b"x", &[2; 32], 10)),
        "duplicate name"
    );
    // Past 2 h + 13 h at add time.
    let dead = 100_000 - 15 * 3600;
    assert!(usage(k.add_key_at(100_000, b"old", &SECRET, dead)));
    // One second younger is decrypt-only: accepted.
    k.add_key_at(100_000, b"old", &SECRET, dead + 1).unwrap();
    // A key for the future is accepted (pending).
    k.add_key_at(10, b"future", &SECRET, 1_000_000).unwrap();
    // At most MAX_KEYS keys; expired ones do not count.
    let k = TicketKeys::new();
    for i in 0..TicketKeys::MAX_KEYS as u8 {
        k.add_key_at(10, &[i], &SECRET, 10).unwrap();
    }
    assert!(usage(k.add_key_at(10, b"one more", &SECRET, 10)));
    k.add_key_at(10 + 15 * 3600, b"one more", &SECRET, 10 + 15 * 3600)
        .unwrap();
    assert_eq!(k.list(10 + 15 * 3600).len(), 1);
}

#[test]
fn lifetimes() {
    let k = TicketKeys::new();
    assert_eq!(k.encrypt_decrypt_lifetime(), Duration::from_secs(7200));
    assert_eq!(k.decrypt_only_lifetime(), Duration::from_secs(13 * 3600));
    assert!(TicketKeys::with_lifetimes(Duration::ZERO, Duration::from_secs(1)).is_err());
    assert!(
        TicketKeys::generated_with_lifetimes(Duration::from_millis(999), Duration::ZERO).is_err()
    );
    let k = TicketKeys::with_lifetimes(Duration::from_secs(5), Duration::ZERO).unwrap();
    assert_eq!(k.encrypt_decrypt_lifetime(), Duration::from_secs(5));
    assert_eq!(k.decrypt_only_lifetime(), Duration::ZERO);
}

#[test]
fn seal_open_round_trip() {
    let k = short_keys();
    for pt in [&b""[..], b"x", &[7u8; 300]] {
        let t = k.seal(1010, pt, &[]).unwrap();
        assert_eq!(ticket_name(&t), NAME16);
        assert_eq!(t.len(), 2 + 16 + 32 + pt.len() + 16);
        assert_eq!(&k.open(1010, &t, &[]).unwrap()[..], pt);
    }
    // Two seals of the same plaintext differ (fresh salt each time).
    assert_ne!(
        k.seal(1010, b"same", &[]).unwrap(),
        k.seal(1010, b"same", &[]).unwrap()
    );
}

#[test]
fn key_life_cycle_at_each_boundary() {
    let k = short_keys();
    let t = k.seal(1000, b"state", &[]).unwrap();
    // Opening walks the boundaries (open at 1150 retires the key).
    assert_eq!(
        k.open(999, &t, &[]).unwrap_err(),
        ResumptionRefusal::Expired
    );
    for now in [1000, 1099, 1100, 1149] {
        assert_eq!(&k.open(now, &t, &[]).unwrap()[..], b"state", "at {now}");
    }
    assert_eq!(
        k.open(1150, &t, &[]).unwrap_err(),
        ResumptionRefusal::Expired
    );
    assert!(k.list(1150).is_empty(), "expired key dropped lazily");
    assert_eq!(
        k.open(1150, &t, &[]).unwrap_err(),
        ResumptionRefusal::UnknownKey
    );

    // States, on a fresh set (a seal at 1150 drops the key too).
    let k = short_keys();
    let cases = [
        (999, TicketKeyState::Pending),
        (1000, TicketKeyState::EncryptDecrypt),
        (1099, TicketKeyState::EncryptDecrypt),
        (1100, TicketKeyState::DecryptOnly),
        (1149, TicketKeyState::DecryptOnly),
        (1150, TicketKeyState::Expired),
    ];
    for (now, state) in cases {
        assert_eq!(k.list(now)[0].state, state, "at {now}");
        assert_eq!(
            k.can_encrypt(now),
            state == TicketKeyState::EncryptDecrypt,
            "at {now}"
        );
        assert_eq!(
            k.seal(now, b"x", &[]).is_some(),
            state == TicketKeyState::EncryptDecrypt
        );
    }
    assert!(k.list(1150).is_empty());
}

#[test]
fn no_key_means_no_ticket() {
    let k = TicketKeys::new();
    assert!(!k.can_encrypt(0));
    assert!(k.seal(0, b"x", &[]).is_none());
    k.add_key_at(0, b"later", &SECRET, 500).unwrap();
    assert!(
        k.seal(0, b"x", &[]).is_none(),
        "pending keys do not encrypt"
    );
}

#[test]
fn every_truncation_is_malformed() {
    let k = short_keys();
    let t = k.seal(1010, b"some session state", &[]).unwrap();
    for n in 0..t.len() {
        assert_eq!(
            k.open(1010, &t[..n], &[]).unwrap_err(),
            ResumptionRefusal::Malformed,
            "len {n}"
        );
    }
    let mut long = t.clone();
    long.push(0);
    assert_eq!(
        k.open(1010, &long, &[]).unwrap_err(),
        ResumptionRefusal::Malformed
    );
}

#[test]
fn every_bit_flip_is_refused() {
    let k = short_keys();
    let t = k.seal(1010, b"some session state", &[]).unwrap();
    for byte in 0..t.len() {
        for bit in 0..8 {
            let mut bad = t.clone();
            bad[byte] ^= 1 << bit;
            let want = if (2..18).contains(&byte) {
                // The name: no key by that name.
                ResumptionRefusal::UnknownKey
            } else {
                // Format, name length (16 flips to 0 or > 16), salt, body, tag.
                ResumptionRefusal::Malformed
            };
            assert_eq!(
                k.open(1010, &bad, &[]).unwrap_err(),
                want,
                "byte {byte} bit {bit}"
            );
        }
    }
}

#[test]
fn foreign_and_garbage_tickets() {
    let k = short_keys();
    // Same name, other secret: does not authenticate.
    let other =
        TicketKeys::with_lifetimes(Duration::from_secs(100), Duration::from_secs(50)).unwrap();
    other.add_key_at(1000, NAME16, &[0xcd; 32], 1000).unwrap();
    let t = other.seal(1010, b"x", &[]).unwrap();
    assert_eq!(
        k.open(1010, &t, &[]).unwrap_err(),
        ResumptionRefusal::Malformed
    );
    // Another name: unknown key.
    let other = TicketKeys::new();
    other.add_key_at(1000, b"else", &SECRET, 1000).unwrap();
    let t = other.seal(1010, b"x", &[]).unwrap();
    assert_eq!(
        k.open(1010, &t, &[]).unwrap_err(),
        ResumptionRefusal::UnknownKey
    );
    // Removed key: unknown.
    let t = k.seal(1010, b"x", &[]).unwrap();
    assert!(k.remove_key(NAME16));
    assert!(!k.remove_key(NAME16));
    assert_eq!(
        k.open(1010, &t, &[]).unwrap_err(),
        ResumptionRefusal::UnknownKey
    );
    // Garbage of every small length, and some that name the real key: refused, no panic.
    let k = short_keys();
    for seed in 0..2000u64 {
        let mut g = garbage(seed, (seed % 200) as usize);
        assert!(k.open(1010, &g, &[]).is_err());
        if g.len() > 70 {
            g[0] = 1;
            g[1] = 16;
            g[2..18].copy_from_slice(NAME16);
            assert_eq!(
                k.open(1010, &g, &[]).unwrap_err(),
                ResumptionRefusal::Malformed
            );
        }
    }
}

#[test]
fn weight_ramps_up_then_down() {
    // s2n-like triangle over a 100 s encrypt-decrypt life starting at 1000.
    assert_eq!(weight(100, 1000, 1000), 1, "floor of 1 at intro");
    assert_eq!(weight(100, 1000, 1001), 1);
    assert_eq!(weight(100, 1000, 1010), 10);
    assert_eq!(weight(100, 1000, 1050), 50, "peak at the midpoint");
    assert_eq!(weight(100, 1000, 1060), 40);
    assert_eq!(weight(100, 1000, 1099), 1);
    // Monotone up to the midpoint, down after it.
    for t in 1000..1050 {
        assert!(weight(100, 1000, t) <= weight(100, 1000, t + 1));
    }
    for t in 1050..1099 {
        assert!(weight(100, 1000, t) >= weight(100, 1000, t + 1));
    }
    // Huge values saturate rather than overflow.
    assert_eq!(weight(u64::MAX, u64::MAX - 5, u64::MAX - 1), 1);
    assert_eq!(weight(u64::MAX, 0, 7), 7);
}

#[test]
fn pick_follows_weights() {
    assert_eq!(pick(&[], 5), None);
    assert_eq!(pick(&[0, 0], 5), None);
    assert_eq!(pick(&[0, 3], 0), Some(1));
    // [1, 3]: r % 4 == 0 → first, 1..=3 → second.
    let got: Vec<_> = (0..8).map(|r| pick(&[1, 3], r).unwrap()).collect();
    assert_eq!(got, [0, 1, 1, 1, 0, 1, 1, 1]);
    // The sum does not overflow: 2^65 - 2 total, r = 2^64 - 1 lands in the second.
    assert_eq!(pick(&[u64::MAX, u64::MAX], u64::MAX), Some(1));
    assert_eq!(pick(&[u64::MAX, u64::MAX], u64::MAX - 1), Some(0));
}

#[test]
fn seal_ramps_a_new_key_in() {
    // Old key at its peak (weight 50) and a new one at its intro (weight 1),
    // then 49 s later (old 1, new 49). 4000 draws; expected 78 then 3920, and
    // the bounds are tens of standard deviations away, so this cannot flake.
    let k = short_keys();
    k.add_key_at(1050, b"new", &SECRET, 1050).unwrap();
    let count_new = |now| {
        (0..4000)
            .filter(|_| ticket_name(&k.seal(now, b"", &[]).unwrap()) == b"new")
            .count()
    };
    let early = count_new(1050);
    assert!((1..400).contains(&early), "early share {early}");
    let late = count_new(1099);
    assert!(late > 3500, "late share {late}");
}

#[test]
fn generated_keys_rotate() {
    let k = TicketKeys::generated_with_lifetimes(Duration::from_secs(100), Duration::from_secs(50))
        .unwrap();
    assert!(k.list(0).is_empty(), "no key until the first seal");
    let t0 = k.seal(1000, b"a", &[]).unwrap();
    assert_eq!(k.list(1000).len(), 1);
    assert_eq!(k.list(1000)[0].intro_time, 1000);
    assert_eq!(k.list(1000)[0].name.len(), 16);
    k.seal(1049, b"a", &[]).unwrap();
    assert_eq!(
        k.list(1049).len(),
        1,
        "not before half the encrypt-decrypt life"
    );
    let t1 = k.seal(1050, b"b", &[]).unwrap();
    let l = k.list(1050);
    assert_eq!(l.len(), 2, "a fresh key at half life");
    assert_eq!(l[1].intro_time, 1050);
    assert_ne!(l[0].name, l[1].name);
    // The old key keeps decrypting; both tickets open.
    assert_eq!(&k.open(1120, &t0, &[]).unwrap()[..], b"a");
    assert_eq!(&k.open(1120, &t1, &[]).unwrap()[..], b"b");
    // After a long idle time, everything has expired: the next seal makes a key.
    assert!(!k.can_encrypt(5000));
    let t2 = k.seal(5000, b"c", &[]).unwrap();
    assert_eq!(k.list(5000).len(), 1);
    assert_eq!(&k.open(5000, &t2, &[]).unwrap()[..], b"c");
    assert_eq!(
        k.open(5000, &t0, &[]).unwrap_err(),
        ResumptionRefusal::UnknownKey
    );
}

#[test]
fn generated_keys_coexist_with_hand_added() {
    let k = TicketKeys::generated_with_lifetimes(Duration::from_secs(100), Duration::from_secs(50))
        .unwrap();
    k.add_key_at(1000, b"hand", &SECRET, 1000).unwrap();
    // The hand key may encrypt: nothing generated.
    assert_eq!(ticket_name(&k.seal(1010, b"", &[]).unwrap()), b"hand");
    assert_eq!(k.list(1010).len(), 1);
    // The hand key stops encrypting: a key is generated beside it.
    let t = k.seal(1100, b"x", &[]).unwrap();
    assert_ne!(ticket_name(&t), b"hand");
    assert_eq!(k.list(1100).len(), 2);
}

#[test]
fn live_changes_while_another_thread_seals() {
    let k = Arc::new(short_keys());
    let writer = {
        let k = Arc::clone(&k);
        std::thread::spawn(move || {
            for i in 0..200u32 {
                let name = i.to_be_bytes();
                k.add_key_at(1010, &name, &SECRET, 1000).unwrap();
                assert!(k.remove_key(&name));
            }
        })
    };
    for _ in 0..500 {
        // NAME16 is always there, so sealing never fails; a ticket sealed
        // under a transient key may meet its removal (UnknownKey), never
        // anything else.
        let t = k.seal(1010, b"v", &[]).expect("a key may always encrypt");
        match k.open(1010, &t, &[]) {
            Ok(v) => assert_eq!(&v[..], b"v"),
            Err(e) => assert_eq!(e, ResumptionRefusal::UnknownKey),
        }
    }
    writer.join().unwrap();
    assert_eq!(k.list(1010).len(), 1);
}

#[test]
fn debug_shows_no_secret() {
    let k = short_keys();
    k.add_key_at(1000, b"name", &[0x5a; 20], 1000).unwrap();
    let d = format!("{k:?}");
    assert!(d.contains("6e616d65"), "names are shown: {d}");
    assert!(d.contains("keys: 2"), "{d}");
    for needle in ["171", "ab, ab", "abab", "90", "5a5a", "5A"] {
        assert!(!d.contains(needle), "{needle} in {d}");
    }
    let s = saved_session();
    let d = format!("{s:?}");
    assert!(!d.contains("17") && !d.contains("secret"), "{d}");
    let st = state();
    assert!(format!("{st:?}").contains("redacted"));
}

// ---------------------------------------------------------------- state

fn state() -> ServerSessionState {
    ServerSessionState {
        version: ProtocolVersion::TLSV1_3,
        suite: CipherSuite::TLS13_AES_128_GCM_SHA256,
        secret: Secret::new(&[0x11; 32]),
        ems: true,
        issued_at: 1_700_000_000,
        auth_time: 1_699_000_000,
        lifetime: 7200,
        age_add: 0xdead_beef,
        max_early_data: 0,
        server_name: Some("example.com".into()),
        alpn: Some(b"h2".to_vec()),
        peer_chain: Vec::new(),
    }
}

#[test]
fn state_round_trips() {
    let s = state();
    assert_eq!(ServerSessionState::decode(&s.encode()).unwrap(), s);
    let mut bare = state();
    bare.server_name = None;
    bare.alpn = None;
    bare.ems = false;
    bare.secret = Secret::new(&[0x22; 48]);
    assert_eq!(ServerSessionState::decode(&bare.encode()).unwrap(), bare);
    assert_ne!(bare, s);
    let mut other_secret = state();
    other_secret.secret = Secret::new(&[0x12; 32]);
    assert_ne!(other_secret, s);
    // And through a ticket.
    let k = short_keys();
    let t = k.seal(1010, &s.encode(), &[]).unwrap();
    assert_eq!(
        ServerSessionState::decode(&k.open(1010, &t, &[]).unwrap()).unwrap(),
        s
    );
}

#[test]
fn state_keeps_the_client_chain_and_reads_format_1() {
    let mut s = state();
    s.peer_chain = vec![vec![0x30, 1, 2], vec![0x30, 0]];
    let enc = s.encode();
    assert_eq!(enc[0], 2);
    assert_eq!(ServerSessionState::decode(&enc).unwrap(), s);
    assert_ne!(s, state());
    // Without a chain: format 1, as before client authentication.
    let v1 = state().encode().to_vec();
    assert_eq!(v1[0], 1);
    assert_eq!(ServerSessionState::decode(&v1).unwrap(), state());
    // Format 2 holds a chain: not an empty one (one encoding per state),
    // no empty certificate, and the count must be met.
    let mut v = v1.clone();
    v[0] = 2;
    for tail in [&[0u8][..], &[1], &[1, 0, 0, 0], &[2, 0, 0, 1, 7]] {
        let mut w = v.clone();
        w.extend_from_slice(tail);
        assert!(ServerSessionState::decode(&w).is_err(), "{tail:?}");
    }
    v.extend_from_slice(&[1, 0, 0, 1, 7]);
    assert_eq!(
        ServerSessionState::decode(&v).unwrap().peer_chain,
        vec![vec![7]]
    );
    // A chain too big to keep keeps its leaf, a leaf too big nothing.
    use crate::resumption::state::{chain_to_keep, MAX_KEPT_CHAIN};
    let big = vec![vec![1u8; MAX_KEPT_CHAIN / 2], vec![2u8; MAX_KEPT_CHAIN]];
    assert_eq!(chain_to_keep(&big), vec![big[0].clone()]);
    assert!(chain_to_keep(&[vec![1u8; MAX_KEPT_CHAIN + 1]]).is_empty());
    assert_eq!(chain_to_keep(&s.peer_chain), s.peer_chain);
}

#[test]
fn state_decode_refuses_bad_bytes() {
    let enc = state().encode();
    for n in 0..enc.len() {
        assert!(ServerSessionState::decode(&enc[..n]).is_err(), "len {n}");
    }
    let mut v = enc.to_vec();
    v.push(0);
    assert!(ServerSessionState::decode(&v).is_err(), "trailing byte");
    let mut v = enc.to_vec();
    v[0] = 3;
    assert!(ServerSessionState::decode(&v).is_err(), "unknown format");
    let mut v = enc.to_vec();
    v[0] = 2;
    assert!(
        ServerSessionState::decode(&v).is_err(),
        "format 2 without a chain"
    );
    // A secret longer than a Secret holds is an error, not Secret::new's assert.
    let mut v = vec![1, 3, 4, 0x13, 1, 67];
    v.extend_from_slice(&[0; 67]);
    v.extend_from_slice(&[0; 1 + 8 + 8 + 12 + 2]);
    assert!(ServerSessionState::decode(&v).is_err());
    // ems is 0 or 1.
    let mut v = enc.to_vec();
    v[6 + 32] = 2;
    assert!(ServerSessionState::decode(&v).is_err());
    // The server name must be UTF-8.
    let mut s = state();
    s.server_name = Some("ab".into());
    let mut v = s.encode().to_vec();
    let at = v.windows(2).position(|w| w == b"ab").unwrap();
    v[at] = 0xff;
    assert!(ServerSessionState::decode(&v).is_err());
    for seed in 0..3000u64 {
        let _ = ServerSessionState::decode(&garbage(seed, (seed % 150) as usize));
    }
}

// ---------------------------------------------------------------- saved

fn saved_session() -> SavedSession {
    SavedSession {
        version: ProtocolVersion::TLSV1_2,
        suite: CipherSuite(0xc02f),
        secret: Secret::new(&[0x17; 48]),
        ems: true,
        ticket: vec![9; 300],
        session_id: vec![3; 32],
        received_at: 1_700_000_000,
        lifetime: 3600,
        age_add: 5,
        max_early_data: 0,
        server_name: Some("example.org".into()),
        alpn: Some(b"http/1.1".to_vec()),
        peer_chain: vec![vec![0x30; 70_000], vec![0x31; 10]],
    }
}

fn same_saved(a: &SavedSession, b: &SavedSession) -> bool {
    a.version == b.version
        && a.suite == b.suite
        && a.secret.as_bytes() == b.secret.as_bytes()
        && a.ems == b.ems
        && a.ticket == b.ticket
        && a.session_id == b.session_id
        && a.received_at == b.received_at
        && a.lifetime == b.lifetime
        && a.age_add == b.age_add
        && a.max_early_data == b.max_early_data
        && a.server_name == b.server_name
        && a.alpn == b.alpn
        && a.peer_chain == b.peer_chain
}

#[test]
fn saved_session_round_trips() {
    let s = saved_session();
    let b = s.to_bytes();
    assert_eq!(&b[..4], b"BTS\x01");
    assert!(same_saved(&SavedSession::from_bytes(&b).unwrap(), &s));
    let mut bare = saved_session();
    bare.version = ProtocolVersion::TLSV1_3;
    bare.session_id.clear();
    bare.server_name = None;
    bare.alpn = None;
    bare.peer_chain.clear();
    let back = SavedSession::from_bytes(&bare.to_bytes()).unwrap();
    assert!(same_saved(&back, &bare));
    assert!(back.is_single_use());
    assert_eq!(back.age_secs(1_700_000_010), 10);
}

#[test]
fn saved_session_refuses_other_versions_and_garbage() {
    let b = saved_session().to_bytes().to_vec();
    let msg = |r: crate::error::Result<SavedSession>| {
        let e = r.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage);
        e.message().to_owned()
    };
    let mut v2 = b.clone();
    v2[3] = 2;
    assert!(msg(SavedSession::from_bytes(&v2)).contains("format 2"));
    assert!(msg(SavedSession::from_bytes(b"")).contains("not a saved"));
    assert!(msg(SavedSession::from_bytes(b"XTS\x01rest")).contains("not a saved"));
    for n in 0..b.len().min(600) {
        let _ = msg(SavedSession::from_bytes(&b[..n]));
    }
    let mut long = b.clone();
    long.push(0);
    assert!(msg(SavedSession::from_bytes(&long)).contains("malformed"));
    // A chain of 17 certificates is refused.
    let mut s = saved_session();
    s.peer_chain.clear();
    let mut v = s.to_bytes().to_vec();
    *v.last_mut().unwrap() = 17;
    v.extend(std::iter::repeat_n([0u8, 0, 1, 0x30], 17).flatten());
    assert!(msg(SavedSession::from_bytes(&v)).contains("chain"));
    for seed in 0..3000u64 {
        let mut g = garbage(seed, (seed % 200) as usize);
        if g.len() >= 4 {
            g[..4].copy_from_slice(b"BTS\x01");
        }
        assert!(SavedSession::from_bytes(&g).is_err());
    }
}

#[test]
fn saved_session_trims_what_cannot_fit() {
    let mut s = saved_session();
    s.peer_chain = vec![vec![1]; 20];
    let back = SavedSession::from_bytes(&s.to_bytes()).unwrap();
    assert_eq!(back.peer_chain.len(), 16);
}

// ---------------------------------------------------------------- cache

#[test]
fn pending_lookup_answers() {
    let (p, a) = PendingLookup::new();
    assert_eq!(p.poll(), None);
    a.found(b"v".to_vec());
    assert_eq!(p.poll(), Some(Some(b"v".to_vec())));
    assert_eq!(p.poll(), Some(Some(b"v".to_vec())), "the answer stays");

    let (p, a) = PendingLookup::new();
    a.not_found();
    assert_eq!(p.poll(), Some(None));

    let (p, a) = PendingLookup::new();
    drop(a);
    assert_eq!(p.poll(), Some(None), "dropped unanswered is not found");
}

#[test]
fn pending_lookup_wakes_once_from_another_thread() {
    let woken = Arc::new(AtomicUsize::new(0));
    let w = Arc::clone(&woken);
    let (p, a) = PendingLookup::with_waker(move || {
        w.fetch_add(1, Ordering::SeqCst);
    });
    assert_eq!(woken.load(Ordering::SeqCst), 0);
    std::thread::spawn(move || a.found(vec![1, 2]))
        .join()
        .unwrap();
    assert_eq!(woken.load(Ordering::SeqCst), 1);
    assert_eq!(p.poll(), Some(Some(vec![1, 2])));

    let woken = Arc::new(AtomicUsize::new(0));
    let w = Arc::clone(&woken);
    let (p, a) = PendingLookup::with_waker(move || {
        w.fetch_add(1, Ordering::SeqCst);
    });
    drop(a);
    assert_eq!(
        woken.load(Ordering::SeqCst),
        1,
        "a dropped answer wakes too"
    );
    assert_eq!(p.poll(), Some(None));
}

fn found(c: &MemorySessionCache, id: &[u8]) -> Option<Vec<u8>> {
    match c.retrieve(id) {
        CacheLookup::Found(v) => Some(v),
        CacheLookup::NotFound => None,
        CacheLookup::Pending(_) => panic!("memory cache never pends"),
    }
}

#[test]
fn memory_cache_evicts_oldest_and_honours_ttl() {
    let hour = Duration::from_secs(3600);
    let c = MemorySessionCache::new(2);
    c.store(b"a", b"1", hour);
    c.store(b"b", b"2", hour);
    c.store(b"a", b"1'", hour); // re-stored: now the newest
    c.store(b"c", b"3", hour); // evicts b, the oldest
    assert_eq!(found(&c, b"a"), Some(b"1'".to_vec()));
    assert_eq!(found(&c, b"b"), None);
    assert_eq!(found(&c, b"c"), Some(b"3".to_vec()));
    assert_eq!(c.len(), 2);
    c.delete(b"a");
    c.delete(b"nothing");
    assert_eq!(found(&c, b"a"), None);
    // A zero TTL has expired by the time it is looked up (Instant is monotonic).
    c.store(b"z", b"0", Duration::ZERO);
    assert_eq!(found(&c, b"z"), None);
    // A TTL too large for Instant never expires rather than panicking.
    c.store(b"m", b"max", Duration::MAX);
    assert_eq!(found(&c, b"m"), Some(b"max".to_vec()));
    let none = MemorySessionCache::new(0);
    none.store(b"a", b"1", hour);
    assert!(none.is_empty());
    assert!(format!("{c:?}").contains("capacity: 2"));
}

#[test]
fn memory_cache_is_shared_across_threads() {
    let c = Arc::new(MemorySessionCache::new(50));
    let threads: Vec<_> = (0..4u8)
        .map(|t| {
            let c = Arc::clone(&c);
            std::thread::spawn(move || {
                for i in 0..100u8 {
                    c.store(&[t, i], &[i], Duration::from_secs(60));
                    let _ = c.retrieve(&[t, i.wrapping_sub(1)]);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(c.len(), 50);
    let dyn_cache: Arc<dyn SessionCache> = c;
    let _ = dyn_cache.retrieve(b"x");
}
