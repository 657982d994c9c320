//! ClientHellos no library we have would send, written byte by byte and sent
//! over 127.0.0.1 to a Baton server: hundreds of unknown extensions, GREASE
//! and unknown suites, groups and versions (RFC 8701, RFC 8446 §4.1.2:
//! servers ignore what they do not know), fragmented over many records; the
//! server must answer with a ServerHello that picks only known values, and
//! ask again (without a cookie) when only unknown groups were shared.

use crate::util::{baton_server, server_config, tcp_connect, TIMEOUT};
use std::io::{Read, Write};

const TLS13: u16 = 0x0304;
const X25519: u16 = 0x001d;
const P256: u16 = 0x0017;
const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];
/// RFC 8701's reserved values, 0x?A?A.
const GREASE: [u16; 16] = [
    0x0a0a, 0x1a1a, 0x2a2a, 0x3a3a, 0x4a4a, 0x5a5a, 0x6a6a, 0x7a7a, 0x8a8a, 0x9a9a, 0xaaaa, 0xbaba,
    0xcaca, 0xdada, 0xeaea, 0xfafa,
];

fn u16s(v: &[u16]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_be_bytes()).collect()
}

/// `body` with a big-endian length prefix of `n` bytes.
fn prefixed(n: usize, body: &[u8]) -> Vec<u8> {
    let len = (body.len() as u32).to_be_bytes();
    [&len[4 - n..], body].concat()
}

/// A TLS 1.3 ClientHello message for "localhost" with `shares` as its key
/// shares, `groups` as supported_groups, and `extra` extensions first.
fn client_hello(shares: &[(u16, Vec<u8>)], groups: &[u16], extra: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let suites = [GREASE[3], 0x13ff, 0x1301, 0x1302, 0x00ff];
    let versions = [GREASE[7], 0x0305, 0x7f1c, TLS13, 0x0303];
    let share_list: Vec<u8> = shares
        .iter()
        .flat_map(|(g, k)| [&g.to_be_bytes()[..], &prefixed(2, k)].concat())
        .collect();
    let sni = prefixed(2, &[&[0u8][..], &prefixed(2, b"localhost")].concat());
    let mut exts: Vec<(u16, Vec<u8>)> = extra.to_vec();
    exts.extend([
        (0x0000, sni),
        (0x002b, prefixed(1, &u16s(&versions))),
        (0x000a, prefixed(2, &u16s(groups))),
        (
            0x000d,
            prefixed(2, &u16s(&[GREASE[9], 0x0403, 0x0804, 0x0805])),
        ),
        (0x0033, prefixed(2, &share_list)),
        (GREASE[12], Vec::new()),
    ]);
    let ext_bytes: Vec<u8> = exts
        .iter()
        .flat_map(|(t, d)| [&t.to_be_bytes()[..], &prefixed(2, d)].concat())
        .collect();
    let body = [
        &[3, 3][..],
        &[0x42; 32],
        &prefixed(1, &[0x5e; 32]),
        &prefixed(2, &u16s(&suites)),
        &[1, 0],
        &prefixed(2, &ext_bytes),
    ]
    .concat();
    [&[1u8][..], &prefixed(3, &body)].concat()
}

/// `msg` as handshake records of at most `frag` bytes each.
fn records(msg: &[u8], frag: usize) -> Vec<u8> {
    msg.chunks(frag)
        .flat_map(|c| [&[22, 3, 1][..], &prefixed(2, c)].concat())
        .collect()
}

/// What the server answered: its first handshake message, decoded.
#[derive(Debug)]
struct Hello {
    random: [u8; 32],
    session_id: Vec<u8>,
    suite: u16,
    compression: u8,
    exts: Vec<(u16, Vec<u8>)>,
}

impl Hello {
    fn ext(&self, typ: u16) -> Option<&[u8]> {
        self.exts
            .iter()
            .find(|(t, _)| *t == typ)
            .map(|(_, d)| d.as_slice())
    }
}

/// Sends `bytes` to a fresh Baton server and decodes the ServerHello (or
/// HelloRetryRequest) it answers with.
fn server_answer(bytes: &[u8]) -> Hello {
    let server = baton_server(
        server_config("server-p256-chain.pem", "server-p256.key"),
        |c| c.negotiate(),
    );
    let mut s = tcp_connect(server.port);
    s.write_all(bytes).unwrap();
    let mut header = [0u8; 5];
    s.read_exact(&mut header).unwrap();
    assert_eq!(
        header[0], 22,
        "the server answered with record type {}",
        header[0]
    );
    let mut rec = vec![0u8; usize::from(u16::from_be_bytes([header[3], header[4]]))];
    s.read_exact(&mut rec).unwrap();
    drop(s);
    // The server then fails on the closed socket (or its alert is unread): either way it ends.
    let _ = server.join(TIMEOUT);
    assert_eq!(rec[0], 2, "not a ServerHello");
    let b = &rec[4..];
    assert_eq!(&b[..2], &[3, 3], "legacy_version");
    let sid_len = usize::from(b[34]);
    let at = 35 + sid_len;
    let mut exts = Vec::new();
    let mut e = &b[at + 5..];
    while !e.is_empty() {
        let len = usize::from(u16::from_be_bytes([e[2], e[3]]));
        exts.push((u16::from_be_bytes([e[0], e[1]]), e[4..4 + len].to_vec()));
        e = &e[4 + len..];
    }
    Hello {
        random: b[2..34].try_into().unwrap(),
        session_id: b[35..at].to_vec(),
        suite: u16::from_be_bytes([b[at], b[at + 1]]),
        compression: b[at + 2],
        exts,
    }
}

/// 300 extensions of types Baton does not know (12 of them GREASE), 60
/// bytes each: an 19 KB ClientHello, which needs two records at least.
fn unknown_extensions() -> Vec<(u16, Vec<u8>)> {
    (0..300u16)
        // GREASE[12] is in every hello already: one extension of a type only.
        .map(|i| match GREASE[..12].get(usize::from(i)) {
            Some(g) => (*g, vec![i as u8; 60]),
            None => (0x4000 + i, vec![i as u8; 60]),
        })
        .collect()
}

fn x25519_share() -> (u16, Vec<u8>) {
    let mut k = vec![0u8; 32];
    k[0] = 9; // the base point: a valid public value
    (X25519, k)
}

fn assert_sane_server_hello(h: &Hello) {
    assert_ne!(h.random, HRR_RANDOM, "unexpected HelloRetryRequest: {h:?}");
    assert_eq!(h.session_id, [0x5e; 32]);
    assert!(
        [0x1301, 0x1302].contains(&h.suite),
        "suite {:#06x}",
        h.suite
    );
    assert_eq!(h.compression, 0);
    assert_eq!(h.ext(0x002b), Some(&TLS13.to_be_bytes()[..]));
    let share = h.ext(0x0033).expect("no key_share");
    assert_eq!(&share[..4], &[0, 0x1d, 0, 32], "key_share {share:02x?}");
    let types: Vec<u16> = h.exts.iter().map(|(t, _)| *t).collect();
    assert_eq!(types.len(), 2, "ServerHello extensions {types:x?}");
}

fn grease_share() -> (u16, Vec<u8>) {
    (GREASE[2], vec![0])
}

#[test]
fn hundreds_of_unknown_extensions_in_full_records() {
    let groups = [GREASE[2], 0x0100, 0x0200, X25519, P256];
    let ch = client_hello(
        &[grease_share(), x25519_share()],
        &groups,
        &unknown_extensions(),
    );
    assert!(ch.len() > 16384, "{} bytes", ch.len());
    assert_sane_server_hello(&server_answer(&records(&ch, 16384)));
}

#[test]
fn hundreds_of_unknown_extensions_in_hundred_byte_records() {
    let groups = [GREASE[2], 0x0100, 0x0200, X25519, P256];
    let ch = client_hello(
        &[grease_share(), x25519_share()],
        &groups,
        &unknown_extensions(),
    );
    assert_sane_server_hello(&server_answer(&records(&ch, 100)));
}

#[test]
fn a_client_hello_in_one_byte_records() {
    let ch = client_hello(&[x25519_share()], &[X25519], &[]);
    let h = server_answer(&records(&ch, 1));
    assert_sane_server_hello(&h);
}

/// Only unknown groups shared: the server asks for one it knows, and sends
/// no cookie: it keeps its state (RFC 8446 §4.2.2).
#[test]
fn only_unknown_shares_get_a_retry_without_cookie() {
    let groups = [GREASE[2], 0x0100, X25519];
    let ch = client_hello(&[grease_share(), (0x0100, vec![7; 40])], &groups, &[]);
    let h = server_answer(&records(&ch, 16384));
    assert_eq!(h.random, HRR_RANDOM, "{h:?}");
    assert_eq!(h.ext(0x0033), Some(&X25519.to_be_bytes()[..]));
    assert_eq!(h.ext(0x002b), Some(&TLS13.to_be_bytes()[..]));
    assert_eq!(h.ext(0x002c), None, "a cookie: {h:?}");
    assert_eq!(h.exts.len(), 2, "{h:?}");
}
