//! Interop with s2n-tls itself (the reference system, through the `s2n-tls`
//! and `s2n-tls-tokio` crates) on 127.0.0.1: Baton client ↔ s2n server and
//! s2n client ↔ Baton server, every TLS 1.3 suite × group, each certificate
//! type, HRR, ALPN and close_notify. Baton's side is restricted by a custom
//! policy so that each combination is really what gets negotiated.

use crate::pair::{client_config, policy, server_config, CERTS, GROUPS, SUITES};
use baton::{CipherSuite, Connection, NamedGroup, ProtocolVersion};
use s2n_tls::security::Policy;
use s2n_tls_tokio::{TlsAcceptor, TlsConnector};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// s2n's TLS 1.3 policy with every suite and group we test (x25519 and ChaCha20 included).
const S2N_POLICY: &str = "20190801";
const TIMEOUT: Duration = Duration::from_secs(20);

fn read(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn s2n_builder(s2n_policy: &str, alpn: &[&str]) -> s2n_tls::config::Builder {
    let mut b = s2n_tls::config::Builder::new();
    b.set_security_policy(&Policy::from_version(s2n_policy).unwrap())
        .unwrap();
    if !alpn.is_empty() {
        b.set_application_protocol_preference(alpn.iter().map(|p| p.as_bytes()))
            .unwrap();
    }
    b
}

fn payload(len: usize, k: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_mul(k) % 251) as u8)
        .collect()
}

/// What the s2n side saw: (suite name, group name, ALPN).
type S2nView = (String, String, Option<Vec<u8>>);

fn s2n_view(c: &s2n_tls::connection::Connection) -> S2nView {
    assert_eq!(
        c.actual_protocol_version().unwrap(),
        s2n_tls::enums::Version::TLS13
    );
    (
        c.cipher_suite().unwrap().to_string(),
        c.selected_key_exchange_group()
            .unwrap_or("none")
            .to_string(),
        c.application_protocol().map(|p| p.to_vec()),
    )
}

fn check(baton: &Connection, view: &S2nView, suite: CipherSuite, group: NamedGroup) {
    assert_eq!(
        baton.actual_protocol_version(),
        Some(ProtocolVersion::TLSV1_3)
    );
    assert_eq!(baton.cipher_suite(), Some(suite));
    assert_eq!(baton.kx_group(), Some(group));
    assert_eq!(view.0, suite.to_string(), "s2n's suite");
    assert_eq!(view.1, group.to_string(), "s2n's group");
}

/// Baton echo server on a thread; returns (port, join handle with the Baton connection's result).
fn baton_echo_server(cfg: baton::Config) -> (u16, std::thread::JoinHandle<Connection>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let h = std::thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        tcp.set_read_timeout(Some(TIMEOUT)).unwrap();
        let mut conn = Connection::new_server(&cfg);
        conn.set_io(tcp);
        conn.negotiate()
            .unwrap_or_else(|e| panic!("baton server: {e}"));
        let mut buf = vec![0u8; 16384];
        loop {
            let n = conn
                .recv(&mut buf)
                .unwrap_or_else(|e| panic!("baton server recv: {e}"));
            if n == 0 {
                break;
            }
            let mut off = 0;
            while off < n {
                off += conn.send(&buf[off..n]).unwrap();
            }
        }
        conn.shutdown_send().unwrap();
        conn
    });
    (port, h)
}

/// s2n client: sends `data`, reads the echo, closes, expects the peer's close_notify.
fn s2n_client_echo(port: u16, alpn: &[&str], data: &[u8]) -> S2nView {
    s2n_client_echo_with(S2N_POLICY, port, alpn, data)
}

fn s2n_client_echo_with(s2n_policy: &str, port: u16, alpn: &[&str], data: &[u8]) -> S2nView {
    let mut b = s2n_builder(s2n_policy, alpn);
    b.trust_pem(&read("ca-rsa.pem")).unwrap();
    b.trust_pem(&read("ca-ecdsa.pem")).unwrap();
    let connector = TlsConnector::new(b.build().unwrap());
    runtime().block_on(async {
        tokio::time::timeout(TIMEOUT, async {
            let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .unwrap();
            let mut tls = connector
                .connect("localhost", tcp)
                .await
                .expect("s2n client handshake");
            let view = s2n_view(tls.as_ref());
            let (mut rd, mut wr) = tokio::io::split(tls);
            let writer = async {
                wr.write_all(data).await.unwrap();
                wr.flush().await.unwrap();
                wr
            };
            let reader = async {
                let mut echo = vec![0u8; data.len()];
                rd.read_exact(&mut echo).await.unwrap();
                assert!(echo == data, "echo differs");
                rd
            };
            let (wr, rd) = tokio::join!(writer, reader);
            tls = rd.unsplit(wr);
            tls.shutdown().await.expect("s2n shutdown");
            let mut rest = Vec::new();
            assert_eq!(tls.read_to_end(&mut rest).await.unwrap(), 0, "clean close");
            view
        })
        .await
        .expect("s2n client timed out")
    })
}

#[test]
fn s2n_client_to_baton_server_every_suite_and_group() {
    let data = payload(300_000, 7);
    for suite in SUITES {
        for group in GROUPS {
            let scfg = server_config(
                "server-p256-chain.pem",
                "server-p256.key",
                Some(policy(&[suite], &[group])),
                &["h2"],
            );
            let (port, h) = baton_echo_server(scfg);
            let view = s2n_client_echo(port, &["h2", "http/1.1"], &data);
            let conn = h.join().unwrap();
            check(&conn, &view, suite, group);
            assert_eq!(conn.alpn(), Some(&b"h2"[..]));
            assert_eq!(view.2.as_deref(), Some(&b"h2"[..]));
            assert_eq!(conn.server_name(), Some("localhost"));
        }
    }
}

#[test]
fn s2n_client_to_baton_server_each_certificate_type() {
    let data = payload(50_000, 13);
    for &(cert, key) in CERTS {
        let (port, h) = baton_echo_server(server_config(cert, key, None, &[]));
        let view = s2n_client_echo(port, &[], &data);
        let conn = h.join().unwrap();
        check(
            &conn,
            &view,
            CipherSuite::TLS13_AES_128_GCM_SHA256,
            conn.kx_group().unwrap(),
        );
        assert_eq!(
            conn.selected_cert().unwrap().chain()[0],
            crate::util::leaf_der(cert)
        );
    }
}

/// s2n echo server on a thread (tokio inside); returns the port and a handle to what s2n saw.
fn s2n_echo_server(
    cert: &str,
    key: &str,
    alpn: &[&str],
) -> (u16, std::thread::JoinHandle<S2nView>) {
    s2n_echo_server_with(S2N_POLICY, cert, key, alpn)
}

fn s2n_echo_server_with(
    s2n_policy: &str,
    cert: &str,
    key: &str,
    alpn: &[&str],
) -> (u16, std::thread::JoinHandle<S2nView>) {
    let mut b = s2n_builder(s2n_policy, alpn);
    b.load_pem(&read(cert), &read(key)).unwrap();
    let acceptor = TlsAcceptor::new(b.build().unwrap());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let h = std::thread::spawn(move || {
        runtime().block_on(async {
            tokio::time::timeout(TIMEOUT, async {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let (tcp, _) = listener.accept().await.unwrap();
                let mut tls = acceptor.accept(tcp).await.expect("s2n server handshake");
                let view = s2n_view(tls.as_ref());
                let mut buf = vec![0u8; 16384];
                loop {
                    let n = tls.read(&mut buf).await.expect("s2n server read");
                    if n == 0 {
                        break;
                    }
                    tls.write_all(&buf[..n]).await.unwrap();
                }
                tls.shutdown().await.expect("s2n server shutdown");
                view
            })
            .await
            .expect("s2n server timed out")
        })
    });
    (port, h)
}

/// Baton client: sends `data` in chunks, reading each chunk's echo, then closes.
fn baton_client_echo(cfg: &baton::Config, port: u16, data: &[u8]) -> Connection {
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut conn = Connection::new_client(cfg);
    conn.set_server_name("localhost").unwrap();
    conn.set_io(tcp);
    conn.negotiate()
        .unwrap_or_else(|e| panic!("baton client: {e}"));
    let mut echo = Vec::with_capacity(data.len());
    let mut buf = vec![0u8; 16384];
    let mut sent = 0;
    for chunk in data.chunks(8192) {
        let mut off = 0;
        while off < chunk.len() {
            off += conn.send(&chunk[off..]).unwrap();
        }
        sent += chunk.len();
        // Read the echo of this chunk before sending more, so neither side's
        // socket buffers fill while the other is blocked writing.
        while echo.len() < sent {
            let n = conn.recv(&mut buf).unwrap();
            assert!(n > 0);
            echo.extend_from_slice(&buf[..n]);
        }
    }
    assert!(echo == data, "echo differs");
    conn.shutdown_send().unwrap();
    assert_eq!(conn.recv(&mut buf).unwrap(), 0, "s2n's close_notify");
    conn
}

#[test]
fn baton_client_to_s2n_server_every_suite_and_group() {
    let data = payload(200_000, 11);
    for suite in SUITES {
        for group in GROUPS {
            let (port, h) = s2n_echo_server("server-rsa.pem", "server-rsa.key", &["http/1.1"]);
            let ccfg = client_config(Some(policy(&[suite], &[group])), &["h2", "http/1.1"]);
            let conn = baton_client_echo(&ccfg, port, &data);
            let view = h.join().unwrap();
            check(&conn, &view, suite, group);
            assert_eq!(conn.alpn(), Some(&b"http/1.1"[..]));
            assert!(!conn.used_hello_retry() || group != NamedGroup::X25519);
        }
    }
}

#[test]
fn baton_client_to_s2n_server_each_certificate_type() {
    let data = payload(40_000, 5);
    for &(cert, key) in CERTS {
        let (port, h) = s2n_echo_server(cert, key, &[]);
        let conn = baton_client_echo(&client_config(None, &[]), port, &data);
        let view = h.join().unwrap();
        // s2n's server picks the suite by its own order; both sides must agree on it.
        check(
            &conn,
            &view,
            conn.cipher_suite().unwrap(),
            conn.kx_group().unwrap(),
        );
        assert!(!conn.peer_cert_chain().is_empty());
    }
}

#[test]
fn s2n_client_gets_hello_retry_from_baton_server() {
    // s2n shares one group first; a Baton server that accepts only P-384 must ask again.
    let suite = CipherSuite::TLS13_AES_256_GCM_SHA384;
    let scfg = server_config(
        "server-p384.pem",
        "server-p384.key",
        Some(policy(&[suite], &[NamedGroup::SECP384R1])),
        &[],
    );
    let (port, h) = baton_echo_server(scfg);
    let view = s2n_client_echo(port, &[], &payload(1000, 3));
    let conn = h.join().unwrap();
    check(&conn, &view, suite, NamedGroup::SECP384R1);
    assert!(
        conn.used_hello_retry(),
        "s2n's first share is not P-384, so Baton must send HRR"
    );
}

// ------------------------------------------------------------ post-quantum

fn named(name: &str) -> &'static baton::SecurityPolicy {
    baton::policy::lookup(name).unwrap()
}

/// s2n's client under default_pq shares X25519MLKEM768 and secp256r1; a Baton
/// server under the same policy takes the hybrid without a HelloRetryRequest.
#[test]
fn s2n_default_pq_client_to_baton_default_pq_server() {
    let scfg = server_config(
        "server-rsa.pem",
        "server-rsa.key",
        Some(named("default_pq")),
        &[],
    );
    let (port, h) = baton_echo_server(scfg);
    let view = s2n_client_echo_with("default_pq", port, &[], &payload(70_000, 3));
    let conn = h.join().unwrap();
    check(
        &conn,
        &view,
        conn.cipher_suite().unwrap(),
        NamedGroup::X25519MLKEM768,
    );
    assert!(!conn.used_hello_retry());
}

/// HelloRetryRequest from Baton's server, to a hybrid (SecP256r1MLKEM768, which
/// s2n's client does not share first) and from one (to secp384r1 and secp521r1).
#[test]
fn s2n_client_gets_hello_retry_to_and_from_a_hybrid() {
    let suite = CipherSuite::TLS13_AES_128_GCM_SHA256;
    for group in [
        NamedGroup::SECP256R1MLKEM768,
        NamedGroup::SECP384R1,
        NamedGroup::SECP521R1,
    ] {
        let scfg = server_config(
            "server-rsa.pem",
            "server-rsa.key",
            Some(policy(&[suite], &[group])),
            &[],
        );
        let (port, h) = baton_echo_server(scfg);
        let view = s2n_client_echo_with("default_pq", port, &[], &payload(5000, 9));
        let conn = h.join().unwrap();
        check(&conn, &view, suite, group);
        assert!(conn.used_hello_retry(), "{group}");
    }
}

/// Baton's client under default_pq against s2n's server under default_pq:
/// the hybrid, in one round trip.
#[test]
fn baton_default_pq_client_to_s2n_default_pq_server() {
    for s2n_policy in ["default_pq", "20241001"] {
        let (port, h) = s2n_echo_server_with(s2n_policy, "server-rsa.pem", "server-rsa.key", &[]);
        let mut b = baton::Config::builder_minimal();
        b.add_pem_to_trust_store(&read("ca-rsa.pem")).unwrap();
        b.security_policy("default_pq").unwrap();
        let conn = baton_client_echo(&b.build().unwrap(), port, &payload(60_000, 5));
        let view = h.join().unwrap();
        check(
            &conn,
            &view,
            conn.cipher_suite().unwrap(),
            NamedGroup::X25519MLKEM768,
        );
        assert!(!conn.used_hello_retry());
    }
}

/// A Baton client that lists SecP256r1MLKEM768 after X25519 (which s2n's
/// `20230317_pq` lacks) shares both, as BoringSSL and browsers do, so s2n
/// takes the hybrid without a HelloRetryRequest (s2n prefers a kem group).
#[test]
fn baton_client_shares_a_hybrid_listed_second_with_s2n() {
    let (port, h) = s2n_echo_server_with("20230317_pq", "server-rsa.pem", "server-rsa.key", &[]);
    let ccfg = client_config(
        Some(policy(
            &[CipherSuite::TLS13_AES_256_GCM_SHA384],
            &[NamedGroup::X25519, NamedGroup::SECP256R1MLKEM768],
        )),
        &[],
    );
    let conn = baton_client_echo(&ccfg, port, &payload(3000, 7));
    let view = h.join().unwrap();
    check(
        &conn,
        &view,
        CipherSuite::TLS13_AES_256_GCM_SHA384,
        NamedGroup::SECP256R1MLKEM768,
    );
    assert!(!conn.used_hello_retry());
}
