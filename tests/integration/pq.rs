//! The post-quantum hybrids between two Baton ends on the in-memory pipe,
//! with a man in the middle where the wire must be inspected or tampered
//! with: TLS 1.3 only (a TLS 1.2 hello lists no hybrid, a TLS 1.2 server never
//! picks one, a TLS 1.2 client refuses one), HelloRetryRequest both ways, and
//! an invalid ML-KEM key answered with illegal_parameter.

use crate::pair::{client_config, connect, duplex, handshake, server_config, End};
use crate::tls12::{policy_versions, tls12_policy, TLS12_ECDSA_SUITES};
use baton::{AlertDescription, CipherSuite, Connection, ErrorKind, NamedGroup, ProtocolVersion};
use std::io::{Read, Write};

const X_HYBRID: NamedGroup = NamedGroup::X25519MLKEM768;
const P_HYBRID: NamedGroup = NamedGroup::SECP256R1MLKEM768;
const ECDSA: (&str, &str) = ("server-p256-chain.pem", "server-p256.key");

fn tls13(groups: &[NamedGroup]) -> &'static baton::SecurityPolicy {
    crate::pair::policy(&[CipherSuite::TLS13_AES_128_GCM_SHA256], groups)
}

fn named(name: &str) -> &'static baton::SecurityPolicy {
    baton::policy::lookup(name).unwrap()
}

fn drain(e: &mut End) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = e.read(&mut buf) {
        out.extend_from_slice(&buf[..n]);
    }
    out
}

fn blocked(r: baton::Result<()>) -> bool {
    match r {
        Ok(()) => false,
        Err(e) if e.is_blocked() => true,
        Err(e) => panic!("{e}"),
    }
}

/// (extension type, offset of its body in `wire`, body length) of the
/// ClientHello in the single plaintext record at the start of `wire`.
fn client_hello_extensions(wire: &[u8]) -> Vec<(u16, usize, usize)> {
    let u16_at = |i: usize| usize::from(u16::from_be_bytes([wire[i], wire[i + 1]]));
    assert_eq!(wire[0], 22, "a handshake record");
    assert_eq!(wire[5], 1, "a ClientHello");
    let mut i = 5 + 4 + 2 + 32;
    i += 1 + usize::from(wire[i]); // session id
    i += 2 + u16_at(i); // cipher suites
    i += 1 + usize::from(wire[i]); // compression methods
    let end = i + 2 + u16_at(i);
    i += 2;
    let mut out = Vec::new();
    while i < end {
        let (typ, len) = (u16_at(i) as u16, u16_at(i + 2));
        out.push((typ, i + 4, len));
        i += 4 + len;
    }
    out
}

fn supported_groups(wire: &[u8]) -> Vec<NamedGroup> {
    let (_, at, len) = *client_hello_extensions(wire)
        .iter()
        .find(|e| e.0 == 0x000a)
        .expect("supported_groups");
    wire[at + 2..at + len]
        .chunks(2)
        .map(|c| NamedGroup(u16::from_be_bytes([c[0], c[1]])))
        .collect()
}

/// (group, offset of the share in `wire`, length) of each key share.
fn key_shares(wire: &[u8]) -> Vec<(NamedGroup, usize, usize)> {
    let Some(&(_, at, len)) = client_hello_extensions(wire).iter().find(|e| e.0 == 0x0033) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut i = at + 2;
    while i < at + len {
        let g = NamedGroup(u16::from_be_bytes([wire[i], wire[i + 1]]));
        let n = usize::from(u16::from_be_bytes([wire[i + 2], wire[i + 3]]));
        out.push((g, i + 4, n));
        i += 4 + n;
    }
    out
}

/// A client's first flight under `policy`, as bytes on the wire.
fn first_flight(policy: &'static baton::SecurityPolicy) -> Vec<u8> {
    let (a, mut b) = duplex();
    let mut c = Connection::new_client(&client_config(Some(policy), &[]));
    c.set_server_name("localhost").unwrap();
    c.set_io(a);
    assert!(blocked(c.negotiate()));
    drain(&mut b)
}

/// default_pq: supported_groups is s2n's (kem groups, then curves); the key
/// shares are X25519MLKEM768 (1184 + 32 bytes, ML-KEM first) and secp256r1.
#[test]
fn default_pq_client_hello() {
    let wire = first_flight(named("default_pq"));
    assert_eq!(
        supported_groups(&wire),
        [
            X_HYBRID,
            P_HYBRID,
            NamedGroup::SECP256R1,
            NamedGroup::X25519,
            NamedGroup::SECP384R1,
            NamedGroup::SECP521R1
        ]
    );
    let shares: Vec<_> = key_shares(&wire).iter().map(|s| (s.0, s.2)).collect();
    assert_eq!(shares, [(X_HYBRID, 1216), (NamedGroup::SECP256R1, 65)]);
}

/// A hello that offers TLS 1.2 only lists no hybrid and shares nothing.
#[test]
fn tls12_only_client_hello_lists_no_hybrid() {
    let p = tls12_policy(
        &TLS12_ECDSA_SUITES,
        &[X_HYBRID, NamedGroup::X25519, P_HYBRID],
    );
    let wire = first_flight(p);
    assert_eq!(supported_groups(&wire), [NamedGroup::X25519]);
    assert!(key_shares(&wire).is_empty());
}

/// A TLS 1.2 server whose policy lists hybrids first, against a client that
/// offers both versions with a hybrid first, picks the first classical group.
#[test]
fn tls12_server_never_picks_a_hybrid() {
    // secp256r1 listed too: the ECDSA P-256 certificate needs it in TLS 1.2.
    let groups = [
        X_HYBRID,
        P_HYBRID,
        NamedGroup::SECP384R1,
        NamedGroup::X25519,
        NamedGroup::SECP256R1,
    ];
    let scfg = server_config(
        ECDSA.0,
        ECDSA.1,
        Some(tls12_policy(&TLS12_ECDSA_SUITES, &groups)),
        &[],
    );
    let mut suites = vec![CipherSuite::TLS13_AES_128_GCM_SHA256];
    suites.extend(TLS12_ECDSA_SUITES);
    let ccfg = client_config(
        Some(policy_versions(
            ProtocolVersion::TLSV1_2,
            ProtocolVersion::TLSV1_3,
            &suites,
            &groups,
        )),
        &[],
    );
    let (mut c, mut s) = connect(&ccfg, &scfg, "localhost");
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    assert_eq!(c.actual_protocol_version(), Some(ProtocolVersion::TLSV1_2));
    assert_eq!(s.kx_group(), Some(NamedGroup::SECP384R1));
    assert_eq!(c.kx_group(), Some(NamedGroup::SECP384R1));
}

/// A TLS 1.2 ServerKeyExchange naming a hybrid (the client listed it, for TLS
/// 1.3) is illegal_parameter at the client, before its signature is checked.
#[test]
fn tls12_client_refuses_a_hybrid_in_server_key_exchange() {
    let mut suites = vec![CipherSuite::TLS13_AES_128_GCM_SHA256];
    suites.extend(TLS12_ECDSA_SUITES);
    let ccfg = client_config(
        Some(policy_versions(
            ProtocolVersion::TLSV1_2,
            ProtocolVersion::TLSV1_3,
            &suites,
            &[X_HYBRID, NamedGroup::X25519, NamedGroup::SECP256R1],
        )),
        &[],
    );
    let scfg = server_config(
        ECDSA.0,
        ECDSA.1,
        Some(tls12_policy(&TLS12_ECDSA_SUITES, &[NamedGroup::X25519])),
        &[],
    );
    let (ca, mut cb) = duplex();
    let (sa, mut sb) = duplex();
    let mut c = Connection::new_client(&ccfg);
    c.set_server_name("localhost").unwrap();
    c.set_io(ca);
    let mut s = Connection::new_server(&scfg);
    s.set_io(sa);
    assert!(blocked(c.negotiate()));
    sb.write_all(&drain(&mut cb)).unwrap();
    assert!(blocked(s.negotiate()));
    let mut flight = drain(&mut sb);
    // Walk the plaintext records' handshake messages to ServerKeyExchange
    // (type 12): curve_type (3), then the named curve, which becomes the hybrid.
    let mut hs: Vec<usize> = Vec::new(); // wire offset of each handshake byte
    let mut i = 0;
    while i + 5 <= flight.len() {
        let len = usize::from(u16::from_be_bytes([flight[i + 3], flight[i + 4]]));
        hs.extend(i + 5..i + 5 + len);
        i += 5 + len;
    }
    let mut m = 0;
    loop {
        let typ = flight[hs[m]];
        let len = (usize::from(flight[hs[m + 1]]) << 16)
            | (usize::from(flight[hs[m + 2]]) << 8)
            | usize::from(flight[hs[m + 3]]);
        if typ == 12 {
            assert_eq!(flight[hs[m + 4]], 3, "named_curve");
            flight[hs[m + 5]] = 0x11;
            flight[hs[m + 6]] = 0xec;
            break;
        }
        m += 4 + len;
    }
    cb.write_all(&flight).unwrap();
    let e = c.negotiate().unwrap_err();
    assert_eq!(
        e.sent_alert(),
        Some(AlertDescription::ILLEGAL_PARAMETER),
        "{e}"
    );
}

/// Two Baton ends under default_pq: X25519MLKEM768 in one round trip; a
/// server without hybrids takes the client's secp256r1 share, also without HRR.
#[test]
fn default_pq_between_baton_ends() {
    for (server_policy, want) in [
        (named("default_pq"), X_HYBRID),
        (named("20241001"), X_HYBRID),
        (named("default_tls13"), NamedGroup::SECP256R1),
    ] {
        let scfg = server_config(ECDSA.0, ECDSA.1, Some(server_policy), &[]);
        let ccfg = client_config(Some(named("default_pq")), &[]);
        let (mut c, mut s) = connect(&ccfg, &scfg, "localhost");
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        assert_eq!(c.kx_group(), Some(want));
        assert_eq!(s.kx_group(), Some(want));
        assert!(!c.used_hello_retry() && !s.used_hello_retry());
    }
}

/// A client whose policy lists a classical group first still shares its
/// first hybrid (as BoringSSL and the browsers do), so a server that wants
/// the hybrid gets it without a HelloRetryRequest, and one without hybrids
/// takes the classical share.
#[test]
fn a_hybrid_listed_second_is_shared_too() {
    for (client_groups, server_groups, want) in [
        (
            &[NamedGroup::X25519, X_HYBRID][..],
            &[X_HYBRID][..],
            X_HYBRID,
        ),
        (
            &[NamedGroup::SECP256R1, P_HYBRID][..],
            &[P_HYBRID][..],
            P_HYBRID,
        ),
        (
            &[NamedGroup::X25519, X_HYBRID][..],
            &[NamedGroup::X25519][..],
            NamedGroup::X25519,
        ),
    ] {
        let scfg = server_config(ECDSA.0, ECDSA.1, Some(tls13(server_groups)), &[]);
        let ccfg = client_config(Some(tls13(client_groups)), &[]);
        let (mut c, mut s) = connect(&ccfg, &scfg, "localhost");
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        assert_eq!(c.kx_group(), Some(want));
        assert!(!c.used_hello_retry() && !s.used_hello_retry(), "{want}");
    }
}

/// HelloRetryRequest to a hybrid, from a hybrid, and hybrid to hybrid.
#[test]
fn hello_retry_to_and_from_hybrids_between_baton_ends() {
    for (client_groups, server_group) in [
        // The client shares its first group and its first of the other kind
        // (classical / hybrid), so the server's choice is a third group.
        (&[NamedGroup::X25519, P_HYBRID, X_HYBRID][..], X_HYBRID),
        (&[NamedGroup::SECP384R1, X_HYBRID, P_HYBRID][..], P_HYBRID),
        (&[X_HYBRID, P_HYBRID][..], P_HYBRID),
        (&[P_HYBRID, X_HYBRID][..], X_HYBRID),
        (
            &[X_HYBRID, NamedGroup::X25519, NamedGroup::SECP521R1][..],
            NamedGroup::SECP521R1,
        ),
    ] {
        let scfg = server_config(ECDSA.0, ECDSA.1, Some(tls13(&[server_group])), &[]);
        let ccfg = client_config(Some(tls13(client_groups)), &[]);
        let (mut c, mut s) = connect(&ccfg, &scfg, "localhost");
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
        assert_eq!(c.kx_group(), Some(server_group));
        assert!(
            c.used_hello_retry() && s.used_hello_retry(),
            "{server_group}"
        );
    }
}

/// An ML-KEM encapsulation key failing the FIPS 203 modulus check, or a
/// hybrid share one byte short, gets illegal_parameter from the server.
#[test]
fn server_answers_a_bad_hybrid_share_with_illegal_parameter() {
    for tamper in ["modulus", "length"] {
        let ccfg = client_config(Some(tls13(&[X_HYBRID])), &[]);
        let scfg = server_config(ECDSA.0, ECDSA.1, Some(tls13(&[X_HYBRID])), &[]);
        let (ca, mut cb) = duplex();
        let (sa, mut sb) = duplex();
        let mut c = Connection::new_client(&ccfg);
        c.set_server_name("localhost").unwrap();
        c.set_io(ca);
        let mut s = Connection::new_server(&scfg);
        s.set_io(sa);
        assert!(blocked(c.negotiate()));
        let mut hello = drain(&mut cb);
        let (g, at, len) = key_shares(&hello)[0];
        assert_eq!((g, len), (X_HYBRID, 1216));
        if tamper == "modulus" {
            // Coefficient 0 of t̂ := q = 3329 (0xd01).
            hello[at] = 0x01;
            hello[at + 1] = (hello[at + 1] & 0xf0) | 0x0d;
        } else {
            // Drop the share's last byte and shrink every enclosing length
            // (all of them come before the share, so their offsets hold).
            let exts = client_hello_extensions(&hello);
            let ks_at = exts.iter().find(|e| e.0 == 0x0033).unwrap().1;
            let block = exts[0].1 - 4 - 2;
            let dec16 = |w: &mut Vec<u8>, i: usize| {
                let v = u16::from_be_bytes([w[i], w[i + 1]]) - 1;
                w[i..i + 2].copy_from_slice(&v.to_be_bytes());
            };
            for at16 in [3, block, ks_at - 2, ks_at, at - 2] {
                dec16(&mut hello, at16);
            }
            let hs_len = u32::from_be_bytes([0, hello[6], hello[7], hello[8]]) - 1;
            hello[6..9].copy_from_slice(&hs_len.to_be_bytes()[1..]);
            hello.remove(at + len - 1);
        }
        sb.write_all(&hello).unwrap();
        let e = s.negotiate().unwrap_err();
        assert_eq!(
            e.sent_alert(),
            Some(AlertDescription::ILLEGAL_PARAMETER),
            "{tamper}: {e}"
        );
        cb.write_all(&drain(&mut sb)).unwrap();
        assert_eq!(
            c.negotiate().unwrap_err().kind(),
            ErrorKind::Alert(AlertDescription::ILLEGAL_PARAMETER)
        );
    }
}
