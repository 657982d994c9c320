//! In-memory client/server pairs (no sockets): every suite × group × certificate
//! type, HRR, ALPN, SNI, KeyUpdate, close_notify, validation failures, and
//! corrupted handshakes.

use baton::{
    AlertDescription, CertChainAndKey, CipherSuite, Config, Connection, Error, ErrorKind,
    NamedGroup, ProtocolVersion, SecurityPolicy,
};
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex};

/// Every TLS 1.3 suite and group Baton implements, for the interop matrices.
pub const SUITES: [CipherSuite; 3] = [
    CipherSuite::TLS13_AES_128_GCM_SHA256,
    CipherSuite::TLS13_AES_256_GCM_SHA384,
    CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
];
pub const GROUPS: [NamedGroup; 3] = [
    NamedGroup::X25519,
    NamedGroup::SECP256R1,
    NamedGroup::SECP384R1,
];

pub fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// One direction of an in-memory byte pipe.
#[derive(Clone, Default)]
pub struct Pipe(Arc<Mutex<VecDeque<u8>>>);

/// One end of an in-memory duplex stream; reads block (WouldBlock) when empty.
pub struct End {
    rx: Pipe,
    tx: Pipe,
}

impl Read for End {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut q = self.rx.0.lock().unwrap();
        if q.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = q.len().min(buf.len());
        for (d, s) in buf.iter_mut().zip(q.drain(..n)) {
            *d = s;
        }
        Ok(n)
    }
}

impl Write for End {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tx.0.lock().unwrap().extend(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

pub fn duplex() -> (End, End) {
    let (a, b) = (Pipe::default(), Pipe::default());
    (
        End {
            rx: a.clone(),
            tx: b.clone(),
        },
        End { rx: b, tx: a },
    )
}

pub fn policy(suites: &[CipherSuite], groups: &[NamedGroup]) -> &'static SecurityPolicy {
    let base = baton::policy::default_policy();
    Box::leak(Box::new(SecurityPolicy {
        name: "test",
        min_version: ProtocolVersion::TLSV1_3,
        max_version: ProtocolVersion::TLSV1_3,
        cipher_suites: Box::leak(suites.to_vec().into_boxed_slice()),
        signature_schemes: base.signature_schemes,
        certificate_signature_schemes: None,
        groups: Box::leak(groups.to_vec().into_boxed_slice()),
        chacha20_boosted: false,
    }))
}

pub const CERTS: &[(&str, &str)] = &[
    ("server-rsa.pem", "server-rsa.key"),
    ("server-p256-chain.pem", "server-p256.key"),
    ("server-p384.pem", "server-p384.key"),
];

pub fn server_config(
    cert: &str,
    key: &str,
    policy: Option<&'static SecurityPolicy>,
    alpn: &[&str],
) -> Config {
    let mut b = Config::builder_minimal();
    b.add_cert_chain_and_key(CertChainAndKey::from_pem_files(data(cert), data(key)).unwrap());
    if let Some(p) = policy {
        b.custom_security_policy(p).unwrap();
    }
    if !alpn.is_empty() {
        b.set_alpn_preferences(alpn).unwrap();
    }
    b.build().unwrap()
}

pub fn client_config(policy: Option<&'static SecurityPolicy>, alpn: &[&str]) -> Config {
    let mut b = Config::builder_minimal();
    b.add_pem_to_trust_store(&std::fs::read(data("ca-rsa.pem")).unwrap())
        .unwrap();
    b.add_pem_to_trust_store(&std::fs::read(data("ca-ecdsa.pem")).unwrap())
        .unwrap();
    if let Some(p) = policy {
        b.custom_security_policy(p).unwrap();
    }
    if !alpn.is_empty() {
        b.set_alpn_preferences(alpn).unwrap();
    }
    b.build().unwrap()
}

pub fn connect(client_cfg: &Config, server_cfg: &Config, sni: &str) -> (Connection, Connection) {
    let (a, b) = duplex();
    let mut client = Connection::new_client(client_cfg);
    client.set_server_name(sni).unwrap();
    client.set_io(a);
    let mut server = Connection::new_server(server_cfg);
    server.set_io(b);
    (client, server)
}

fn step(r: Result<(), Error>) -> Result<bool, Error> {
    match r {
        Ok(()) => Ok(true),
        Err(e) if e.is_blocked() => Ok(false),
        Err(e) => Err(e),
    }
}

/// Drives both handshakes to completion (bounded); returns each side's result.
pub fn handshake(
    client: &mut Connection,
    server: &mut Connection,
) -> (Result<(), Error>, Result<(), Error>) {
    let (mut c_res, mut s_res) = (Ok(false), Ok(false));
    for _ in 0..50 {
        if matches!(c_res, Ok(false)) {
            c_res = step(client.negotiate());
        }
        if matches!(s_res, Ok(false)) {
            s_res = step(server.negotiate());
        }
        let settled = |r: &Result<bool, Error>| !matches!(r, Ok(false));
        if settled(&c_res) && settled(&s_res) {
            break;
        }
        if c_res.is_err() || s_res.is_err() {
            // Let the other side read the alert.
            if matches!(c_res, Ok(false)) {
                c_res = step(client.negotiate());
            }
            if matches!(s_res, Ok(false)) {
                s_res = step(server.negotiate());
            }
            break;
        }
    }
    let fin = |r: Result<bool, Error>| match r {
        Ok(true) => Ok(()),
        Ok(false) => Err(Error::usage("handshake did not finish")),
        Err(e) => Err(e),
    };
    (fin(c_res), fin(s_res))
}

/// Moves `data` from `tx` to `rx`, interleaving partial sends and receives.
pub fn transfer(tx: &mut Connection, rx: &mut Connection, data: &[u8]) -> Vec<u8> {
    let mut sent = 0;
    let mut got = Vec::with_capacity(data.len());
    let mut buf = vec![0u8; 20000];
    let mut spins = 0;
    while got.len() < data.len() {
        if sent < data.len() {
            let end = (sent + 100_000).min(data.len());
            match tx.send(&data[sent..end]) {
                Ok(n) => sent += n,
                Err(e) if e.is_blocked() => {}
                Err(e) => panic!("send failed: {e}"),
            }
        }
        loop {
            match rx.recv(&mut buf) {
                Ok(0) => panic!("unexpected close"),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.is_blocked() => break,
                Err(e) => panic!("recv failed: {e}"),
            }
        }
        spins += 1;
        assert!(spins < 1_000_000, "transfer did not progress");
    }
    got
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

/// Half-close from `a`, then `b` sees EOF (0), closes too, and `a` sees 0.
fn close_both(a: &mut Connection, b: &mut Connection) {
    a.shutdown_send().unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(
        b.recv(&mut buf).unwrap(),
        0,
        "peer must see close_notify as 0"
    );
    b.shutdown_send().unwrap();
    assert_eq!(a.recv(&mut buf).unwrap(), 0);
    assert!(a.send(b"x").is_err(), "no send after close_notify");
}

#[test]
fn every_suite_group_and_certificate() {
    let payload = pattern(70_000);
    for &(cert, key) in CERTS {
        let scfg = server_config(cert, key, None, &[]);
        for suite in SUITES {
            for group in GROUPS {
                let ccfg = client_config(Some(policy(&[suite], &[group])), &[]);
                let (mut c, mut s) = connect(&ccfg, &scfg, "localhost");
                let (cr, sr) = handshake(&mut c, &mut s);
                cr.unwrap_or_else(|e| panic!("{cert} {suite} {group}: client: {e}"));
                sr.unwrap_or_else(|e| panic!("{cert} {suite} {group}: server: {e}"));
                for conn in [&c, &s] {
                    assert_eq!(
                        conn.actual_protocol_version(),
                        Some(ProtocolVersion::TLSV1_3)
                    );
                    assert_eq!(conn.cipher_suite(), Some(suite));
                    assert_eq!(conn.kx_group(), Some(group));
                }
                assert!(!c.used_hello_retry());
                assert_eq!(
                    c.peer_cert_chain().len(),
                    if cert.contains("chain") { 2 } else { 1 }
                );
                assert_eq!(
                    s.selected_cert().unwrap().chain()[0],
                    c.peer_cert_chain()[0]
                );
                assert_eq!(s.server_name(), Some("localhost"));
                assert_eq!(transfer(&mut c, &mut s, &payload), payload);
                assert_eq!(transfer(&mut s, &mut c, &payload), payload);
                close_both(&mut c, &mut s);
            }
        }
    }
}

#[test]
fn hello_retry_request_when_first_share_is_unacceptable() {
    let scfg = server_config(
        "server-p256-chain.pem",
        "server-p256.key",
        Some(policy(
            &[CipherSuite::TLS13_AES_256_GCM_SHA384],
            &[NamedGroup::SECP384R1],
        )),
        &[],
    );
    let ccfg = client_config(
        Some(policy(
            &[
                CipherSuite::TLS13_AES_128_GCM_SHA256,
                CipherSuite::TLS13_AES_256_GCM_SHA384,
            ],
            &[NamedGroup::X25519, NamedGroup::SECP384R1],
        )),
        &[],
    );
    let (mut c, mut s) = connect(&ccfg, &scfg, "server.test");
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    assert!(c.used_hello_retry() && s.used_hello_retry());
    assert_eq!(c.kx_group(), Some(NamedGroup::SECP384R1));
    assert_eq!(
        c.cipher_suite(),
        Some(CipherSuite::TLS13_AES_256_GCM_SHA384)
    );
    let p = pattern(1000);
    assert_eq!(transfer(&mut c, &mut s, &p), p);
}

#[test]
fn no_common_group_fails_with_handshake_failure() {
    let scfg = server_config(
        "server-rsa.pem",
        "server-rsa.key",
        Some(policy(
            &[CipherSuite::TLS13_AES_128_GCM_SHA256],
            &[NamedGroup::SECP384R1],
        )),
        &[],
    );
    let ccfg = client_config(
        Some(policy(
            &[CipherSuite::TLS13_AES_128_GCM_SHA256],
            &[NamedGroup::X25519],
        )),
        &[],
    );
    let (mut c, mut s) = connect(&ccfg, &scfg, "localhost");
    let (cr, sr) = handshake(&mut c, &mut s);
    assert_eq!(
        sr.unwrap_err().sent_alert(),
        Some(AlertDescription::HANDSHAKE_FAILURE)
    );
    assert_eq!(
        cr.unwrap_err().kind(),
        ErrorKind::Alert(AlertDescription::HANDSHAKE_FAILURE)
    );
}

#[test]
fn alpn_server_preference_and_mismatch() {
    let scfg = server_config(
        "server-rsa.pem",
        "server-rsa.key",
        None,
        &["http/1.1", "h2"],
    );
    let ccfg = client_config(None, &["h2", "http/1.1"]);
    let (mut c, mut s) = connect(&ccfg, &scfg, "localhost");
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    assert_eq!(c.alpn(), Some(&b"http/1.1"[..]));
    assert_eq!(s.alpn(), Some(&b"http/1.1"[..]));

    // Per-connection override on the client.
    let (mut c, mut s) = connect(&ccfg, &scfg, "localhost");
    c.set_alpn_preferences(&["h2"]).unwrap();
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    assert_eq!(c.alpn(), Some(&b"h2"[..]));

    let ccfg = client_config(None, &["spdy/3"]);
    let (mut c, mut s) = connect(&ccfg, &scfg, "localhost");
    let (cr, sr) = handshake(&mut c, &mut s);
    assert_eq!(
        sr.unwrap_err().sent_alert(),
        Some(AlertDescription::NO_APPLICATION_PROTOCOL)
    );
    assert_eq!(
        cr.unwrap_err().kind(),
        ErrorKind::Alert(AlertDescription::NO_APPLICATION_PROTOCOL)
    );
}

#[test]
fn host_name_mismatch_and_untrusted_chain_fail() {
    let scfg = server_config("server-rsa.pem", "server-rsa.key", None, &[]);
    let ccfg = client_config(None, &[]);
    let (mut c, mut s) = connect(&ccfg, &scfg, "other.test");
    let (cr, sr) = handshake(&mut c, &mut s);
    let e = cr.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol);
    assert_eq!(e.sent_alert(), Some(AlertDescription::BAD_CERTIFICATE));
    assert!(e.message().contains("other.test"), "{e}");
    assert_eq!(
        sr.unwrap_err().kind(),
        ErrorKind::Alert(AlertDescription::BAD_CERTIFICATE)
    );

    let mut b = Config::builder_minimal();
    b.add_pem_to_trust_store(&std::fs::read(data("ca-ecdsa.pem")).unwrap())
        .unwrap();
    let ccfg = b.build().unwrap();
    let (mut c, mut s) = connect(&ccfg, &scfg, "localhost");
    let (cr, _) = handshake(&mut c, &mut s);
    assert_eq!(
        cr.unwrap_err().sent_alert(),
        Some(AlertDescription::UNKNOWN_CA)
    );

    let scfg = server_config("server-expired.pem", "server-expired.key", None, &[]);
    let (mut c, mut s) = connect(&client_config(None, &[]), &scfg, "localhost");
    let (cr, _) = handshake(&mut c, &mut s);
    assert_eq!(
        cr.unwrap_err().sent_alert(),
        Some(AlertDescription::CERTIFICATE_EXPIRED)
    );
}

#[test]
fn verify_host_callback_replaces_the_name_check() {
    let scfg = server_config("server-rsa.pem", "server-rsa.key", None, &[]);
    let mut b = Config::builder_minimal();
    b.add_pem_to_trust_store(&std::fs::read(data("ca-rsa.pem")).unwrap())
        .unwrap();
    b.set_verify_host_callback(|name| name == "server.test");
    let ccfg = b.build().unwrap();
    let (mut c, mut s) = connect(&ccfg, &scfg, "not-in-the-cert.example");
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();

    let mut b = Config::builder_minimal();
    b.add_pem_to_trust_store(&std::fs::read(data("ca-rsa.pem")).unwrap())
        .unwrap();
    b.set_verify_host_callback(|_| false);
    let (mut c, mut s) = connect(&b.build().unwrap(), &scfg, "localhost");
    assert_eq!(
        handshake(&mut c, &mut s).0.unwrap_err().sent_alert(),
        Some(AlertDescription::BAD_CERTIFICATE)
    );
}

#[test]
fn key_update_both_directions_keeps_data_flowing() {
    let scfg = server_config("server-p384.pem", "server-p384.key", None, &[]);
    let ccfg = client_config(None, &[]);
    let (mut c, mut s) = connect(&ccfg, &scfg, "localhost");
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    let p = pattern(50_000);
    for _ in 0..3 {
        c.request_key_update(true).unwrap();
        assert_eq!(transfer(&mut c, &mut s, &p), p);
        assert_eq!(transfer(&mut s, &mut c, &p), p);
        s.request_key_update(false).unwrap();
        assert_eq!(transfer(&mut s, &mut c, &p), p);
    }
    close_both(&mut s, &mut c);
}

/// A client that floods KeyUpdate requests, with data between them so that
/// no limit stops it, and never reads: the server answers them all with one
/// KeyUpdate, so what waits for the client stays one record. Without data
/// between them, the 33rd KeyUpdate ends the connection.
#[test]
fn key_update_flood_from_a_peer_that_never_reads() {
    let scfg = server_config("server-p256-chain.pem", "server-p256.key", None, &[]);
    let ccfg = client_config(None, &[]);
    let (a, b) = duplex();
    let to_client = a.rx.clone();
    let mut c = Connection::new_client(&ccfg);
    c.set_server_name("localhost").unwrap();
    c.set_io(a);
    let mut s = Connection::new_server(&scfg);
    s.set_io(b);
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    assert!(to_client.0.lock().unwrap().is_empty());
    let mut buf = [0u8; 16];
    for _ in 0..10_000 {
        c.request_key_update(true).unwrap();
        c.send(b"x").unwrap();
        assert_eq!(s.recv(&mut buf).unwrap(), 1);
    }
    // One KeyUpdate record: header, message, inner type, tag.
    assert_eq!(to_client.0.lock().unwrap().len(), 5 + 5 + 1 + 16);
    send_all_to(&mut s, &mut c, b"under the next key");

    for _ in 0..33 {
        c.request_key_update(false).unwrap();
    }
    let e = s.recv(&mut buf).unwrap_err();
    assert_eq!(e.sent_alert(), Some(AlertDescription::UNEXPECTED_MESSAGE));
    // The alert is already in the client's pipe.
    let e = c.recv(&mut [0u8; 64]).unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::Alert(AlertDescription::UNEXPECTED_MESSAGE)
    );
}

/// Sends `msg` from `tx` and checks that `rx` receives it.
fn send_all_to(tx: &mut Connection, rx: &mut Connection, msg: &[u8]) {
    assert_eq!(transfer(tx, rx, msg), msg);
}

#[test]
fn sixteen_mib_with_checksum() {
    let scfg = server_config("server-p256-chain.pem", "server-p256.key", None, &[]);
    let ccfg = client_config(None, &[]);
    let (mut c, mut s) = connect(&ccfg, &scfg, "localhost");
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    let p = pattern(16 << 20);
    let got = transfer(&mut c, &mut s, &p);
    assert!(got == p);
}

#[test]
fn corrupted_client_flight_never_panics_and_fails_with_an_alert() {
    // Capture a real ClientHello flight.
    let ccfg = client_config(None, &["h2"]);
    let mut client = Connection::new_client(&ccfg);
    client.set_server_name("localhost").unwrap();
    let captured = Arc::new(Mutex::new(Vec::new()));
    let cap = captured.clone();
    client.set_io_callbacks(
        move |b| {
            cap.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        },
        |_| Err(io::ErrorKind::WouldBlock.into()),
    );
    assert!(client.negotiate().unwrap_err().is_blocked());
    let flight = captured.lock().unwrap().clone();
    let scfg = server_config("server-rsa.pem", "server-rsa.key", None, &["h2"]);
    let mut failures = 0;
    let mut rng = 0x2545F4914F6CDD1Du64;
    for i in 0..flight.len() * 3 {
        let mut bytes = flight.clone();
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        match i % 3 {
            0 => bytes[i / 3] ^= 1 << (rng % 8),
            1 => bytes[i / 3] = rng as u8,
            _ => bytes.truncate(i / 3),
        }
        let mut server = Connection::new_server(&scfg);
        let input = Arc::new(Mutex::new(Some(bytes)));
        server.set_io_callbacks(
            |b| Ok(b.len()),
            move |buf| match input.lock().unwrap().take() {
                Some(b) => {
                    let n = b.len().min(buf.len());
                    buf[..n].copy_from_slice(&b[..n]);
                    Ok(n)
                }
                None => Ok(0),
            },
        );
        match server.negotiate() {
            Ok(()) => panic!("a server cannot finish with only a ClientHello"),
            Err(e) if e.kind() == ErrorKind::Protocol => failures += 1,
            Err(e) => assert!(
                matches!(e.kind(), ErrorKind::Closed | ErrorKind::Blocked),
                "{e:?}"
            ),
        }
    }
    assert!(failures > 0);
}

#[test]
fn sendv_with_offset_across_slices() {
    let scfg = server_config("server-rsa.pem", "server-rsa.key", None, &[]);
    let ccfg = client_config(None, &[]);
    let (mut c, mut s) = connect(&ccfg, &scfg, "localhost");
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    let parts: Vec<Vec<u8>> = [10usize, 20_000, 1, 40_000, 7]
        .iter()
        .map(|&n| pattern(n))
        .collect();
    let slices: Vec<io::IoSlice<'_>> = parts.iter().map(|p| io::IoSlice::new(p)).collect();
    let all: Vec<u8> = parts.concat();
    let mut off = 3;
    while off < all.len() {
        off += c.sendv_with_offset(&slices, off).unwrap();
    }
    let mut got = Vec::new();
    let mut buf = vec![0u8; 9000];
    while got.len() < all.len() - 3 {
        let n = s.recv(&mut buf).unwrap();
        got.extend_from_slice(&buf[..n]);
    }
    assert!(got == all[3..]);
}

/// A `Connection` is an `io::Read` and `io::Write`: `write_all`, `flush` and
/// `read` drive `send`, `flush` and `recv`; a blocked call is `WouldBlock`,
/// the peer's close_notify is end of stream.
#[test]
fn connection_is_an_io_read_and_write() {
    use std::io::{Read, Write};
    let scfg = server_config("server-p256-chain.pem", "server-p256.key", None, &[]);
    let ccfg = client_config(None, &[]);
    let (mut c, mut s) = connect(&ccfg, &scfg, "localhost");
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let e = Read::read(&mut s, &mut buf).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::WouldBlock, "{e}");
    let data = pattern(100_000);
    c.write_all(&data).unwrap();
    Write::flush(&mut c).unwrap();
    let mut got = Vec::new();
    while got.len() < data.len() {
        let n = Read::read(&mut s, &mut buf).unwrap();
        assert!(n > 0);
        got.extend_from_slice(&buf[..n]);
    }
    assert!(got == data);
    c.shutdown_send().unwrap();
    assert_eq!(Read::read(&mut s, &mut buf).unwrap(), 0, "close_notify");
}
