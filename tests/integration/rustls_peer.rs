//! In-process interop with rustls 0.23 (aws-lc-rs provider) over an in-memory
//! pipe: Baton client ↔ rustls server and rustls client ↔ Baton server, every
//! TLS 1.3 suite × group × certificate type, ALPN, HRR and close_notify.

use crate::pair::{client_config, data, duplex, policy, server_config, End, CERTS, GROUPS, SUITES};
use baton::{CipherSuite, Connection, NamedGroup, ProtocolVersion};
use rustls::crypto::{aws_lc_rs as provider, CryptoProvider};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::io::{self, Read, Write};
use std::sync::Arc;

/// A provider restricted to one suite and the given groups (in order).
fn restricted(suite: CipherSuite, groups: &[NamedGroup]) -> Arc<CryptoProvider> {
    let mut p = provider::default_provider();
    p.cipher_suites.retain(|s| u16::from(s.suite()) == suite.0);
    let all = p.kx_groups.clone();
    p.kx_groups = groups
        .iter()
        .map(|g| {
            *all.iter()
                .find(|k| u16::from(k.name()) == g.0)
                .expect("rustls group")
        })
        .collect();
    assert_eq!(p.cipher_suites.len(), 1);
    Arc::new(p)
}

fn rustls_server(
    cert: &str,
    key: &str,
    provider: Arc<CryptoProvider>,
    alpn: &[&str],
) -> rustls::ServerConnection {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(data(cert))
        .unwrap()
        .map(|c| c.unwrap())
        .collect();
    let key = PrivateKeyDer::from_pem_file(data(key)).unwrap();
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    cfg.alpn_protocols = alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    rustls::ServerConnection::new(Arc::new(cfg)).unwrap()
}

fn rustls_client(provider: Arc<CryptoProvider>, alpn: &[&str]) -> rustls::ClientConnection {
    let mut roots = rustls::RootCertStore::empty();
    for ca in ["ca-rsa.pem", "ca-ecdsa.pem"] {
        for c in CertificateDer::pem_file_iter(data(ca)).unwrap() {
            roots.add(c.unwrap()).unwrap();
        }
    }
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.alpn_protocols = alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    rustls::ClientConnection::new(Arc::new(cfg), ServerName::try_from("localhost").unwrap())
        .unwrap()
}

/// One turn of the rustls side: write what it has, read what arrived.
fn rustls_turn<S>(conn: &mut rustls::ConnectionCommon<S>, io: &mut End) {
    while conn.wants_write() {
        conn.write_tls(io).unwrap();
    }
    match conn.read_tls(io) {
        Ok(_) => {
            conn.process_new_packets()
                .unwrap_or_else(|e| panic!("rustls: {e}"));
        }
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        Err(e) => panic!("rustls read_tls: {e}"),
    }
    while conn.wants_write() {
        conn.write_tls(io).unwrap();
    }
}

fn handshake<S>(baton: &mut Connection, peer: &mut rustls::ConnectionCommon<S>, io: &mut End) {
    for _ in 0..50 {
        rustls_turn(peer, io);
        match baton.negotiate() {
            Ok(()) if !peer.is_handshaking() => return,
            Ok(()) => {}
            Err(e) if e.is_blocked() => {}
            Err(e) => panic!("baton: {e}"),
        }
    }
    panic!("handshake did not finish");
}

/// Data both ways, then close_notify both ways.
fn exchange<S>(baton: &mut Connection, peer: &mut rustls::ConnectionCommon<S>, io: &mut End) {
    let to_peer: Vec<u8> = (0..150_000u32).map(|i| (i % 253) as u8).collect();
    let to_baton: Vec<u8> = (0..120_000u32).map(|i| (i % 241) as u8).collect();

    let mut sent = 0;
    while sent < to_peer.len() {
        sent += baton.send(&to_peer[sent..]).unwrap();
    }
    let mut got = Vec::new();
    let mut buf = vec![0u8; 32 * 1024];
    for _ in 0..10_000 {
        rustls_turn(peer, io);
        match peer.reader().read(&mut buf) {
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("rustls read: {e}"),
        }
        if got.len() >= to_peer.len() {
            break;
        }
    }
    assert!(
        got == to_peer,
        "rustls received {} of {} bytes intact",
        got.len(),
        to_peer.len()
    );

    // rustls buffers a bounded amount of plaintext: feed it as it drains.
    let (mut fed, mut got) = (0, Vec::new());
    for _ in 0..10_000 {
        if fed < to_baton.len() {
            fed += peer.writer().write(&to_baton[fed..]).unwrap();
        }
        rustls_turn(peer, io);
        loop {
            match baton.recv(&mut buf) {
                Ok(n) => {
                    assert!(n > 0);
                    got.extend_from_slice(&buf[..n]);
                }
                Err(e) if e.is_blocked() => break,
                Err(e) => panic!("baton recv: {e}"),
            }
        }
        if got.len() >= to_baton.len() {
            break;
        }
    }
    assert!(got == to_baton);

    // Baton closes first; rustls sees a clean EOF, answers, Baton sees 0.
    baton.shutdown_send().unwrap();
    rustls_turn(peer, io);
    assert_eq!(
        peer.reader().read(&mut buf).unwrap(),
        0,
        "rustls must see close_notify"
    );
    peer.send_close_notify();
    rustls_turn(peer, io);
    assert_eq!(baton.recv(&mut buf).unwrap(), 0);
}

fn check(
    baton: &Connection,
    suite: CipherSuite,
    group: NamedGroup,
    peer_suite: u16,
    peer_group: u16,
) {
    assert_eq!(
        baton.actual_protocol_version(),
        Some(ProtocolVersion::TLSV1_3)
    );
    assert_eq!(baton.cipher_suite(), Some(suite));
    assert_eq!(baton.kx_group(), Some(group));
    assert_eq!(peer_suite, suite.0);
    assert_eq!(peer_group, group.0);
}

fn negotiated<S>(c: &rustls::ConnectionCommon<S>) -> (u16, u16) {
    (
        u16::from(c.negotiated_cipher_suite().unwrap().suite()),
        u16::from(c.negotiated_key_exchange_group().unwrap().name()),
    )
}

#[test]
fn baton_client_to_rustls_server_every_suite_group_cert() {
    for &(cert, key) in CERTS {
        for suite in SUITES {
            for group in GROUPS {
                let (a, mut b) = duplex();
                let mut server =
                    rustls_server(cert, key, restricted(suite, &GROUPS), &["h2", "http/1.1"]);
                let ccfg = client_config(Some(policy(&[suite], &[group])), &["http/1.1"]);
                let mut client = Connection::new_client(&ccfg);
                client.set_server_name("localhost").unwrap();
                client.set_io(a);
                handshake(&mut client, &mut server, &mut b);
                let (ps, pg) = negotiated(&server);
                check(&client, suite, group, ps, pg);
                assert_eq!(client.alpn(), Some(&b"http/1.1"[..]));
                assert_eq!(server.alpn_protocol(), Some(&b"http/1.1"[..]));
                assert_eq!(server.server_name(), Some("localhost"));
                exchange(&mut client, &mut server, &mut b);
            }
        }
    }
}

#[test]
fn rustls_client_to_baton_server_every_suite_group_cert() {
    for &(cert, key) in CERTS {
        let scfg = server_config(cert, key, None, &["h2"]);
        for suite in SUITES {
            for group in GROUPS {
                let (a, mut b) = duplex();
                let mut client = rustls_client(restricted(suite, &[group]), &["h2"]);
                let mut server = Connection::new_server(&scfg);
                server.set_io(a);
                handshake(&mut server, &mut client, &mut b);
                let (ps, pg) = negotiated(&client);
                check(&server, suite, group, ps, pg);
                assert!(!server.used_hello_retry());
                assert_eq!(server.alpn(), Some(&b"h2"[..]));
                assert_eq!(server.server_name(), Some("localhost"));
                exchange(&mut server, &mut client, &mut b);
            }
        }
    }
}

#[test]
fn rustls_client_gets_hello_retry_from_baton_server() {
    // rustls shares only its first group (X25519); the Baton server accepts only P-384.
    let suite = CipherSuite::TLS13_AES_128_GCM_SHA256;
    let scfg = server_config(
        "server-p384.pem",
        "server-p384.key",
        Some(policy(&[suite], &[NamedGroup::SECP384R1])),
        &[],
    );
    let (a, mut b) = duplex();
    let mut client = rustls_client(
        restricted(suite, &[NamedGroup::X25519, NamedGroup::SECP384R1]),
        &[],
    );
    let mut server = Connection::new_server(&scfg);
    server.set_io(a);
    handshake(&mut server, &mut client, &mut b);
    assert!(server.used_hello_retry());
    let (ps, pg) = negotiated(&client);
    check(&server, suite, NamedGroup::SECP384R1, ps, pg);
    exchange(&mut server, &mut client, &mut b);
}

#[test]
fn baton_client_gets_hello_retry_from_rustls_server() {
    let suite = CipherSuite::TLS13_CHACHA20_POLY1305_SHA256;
    let (a, mut b) = duplex();
    let mut server = rustls_server(
        "server-rsa.pem",
        "server-rsa.key",
        restricted(suite, &[NamedGroup::SECP256R1]),
        &[],
    );
    let ccfg = client_config(
        Some(policy(
            &[suite],
            &[NamedGroup::X25519, NamedGroup::SECP256R1],
        )),
        &[],
    );
    let mut client = Connection::new_client(&ccfg);
    client.set_server_name("localhost").unwrap();
    client.set_io(a);
    handshake(&mut client, &mut server, &mut b);
    assert!(client.used_hello_retry());
    let (ps, pg) = negotiated(&server);
    check(&client, suite, NamedGroup::SECP256R1, ps, pg);
    exchange(&mut client, &mut server, &mut b);
}

/// `release_buffers` between exchanges with a real peer: refused while a
/// record is half received or data is unread, then frees, and the connection
/// goes on both ways (buffers come back on demand).
#[test]
fn release_buffers_between_exchanges_with_rustls() {
    let suite = SUITES[0];
    let (a, mut b) = duplex();
    let mut server = rustls_server(
        "server-p256-chain.pem",
        "server-p256.key",
        restricted(suite, &GROUPS),
        &[],
    );
    let ccfg = client_config(Some(policy(&[suite], &GROUPS)), &[]);
    let mut client = Connection::new_client(&ccfg);
    client.set_server_name("localhost").unwrap();
    client.set_io(a);
    handshake(&mut client, &mut server, &mut b);
    client.release_buffers().unwrap();

    // rustls sends one record; Baton reads only a few bytes of it first.
    server.writer().write_all(&[7u8; 5000]).unwrap();
    let mut wire = Vec::new();
    while server.wants_write() {
        server.write_tls(&mut wire).unwrap();
    }
    b.write_all(&wire[..10]).unwrap();
    let mut buf = [0u8; 100];
    assert!(client.recv(&mut buf).unwrap_err().is_blocked());
    assert_eq!(
        client.release_buffers().unwrap_err().kind(),
        baton::ErrorKind::Usage,
        "half a record is buffered"
    );
    b.write_all(&wire[10..]).unwrap();
    // A small read leaves most of the record's plaintext queued: refused again.
    assert_eq!(client.recv(&mut buf).unwrap(), 100);
    assert_eq!(
        client.release_buffers().unwrap_err().kind(),
        baton::ErrorKind::Usage,
        "decrypted data is unread"
    );
    let mut got = 100;
    let mut big = vec![0u8; 8192];
    while got < 5000 {
        got += client.recv(&mut big).unwrap();
    }
    client.release_buffers().unwrap();
    // Everything still works both ways after releasing.
    exchange(&mut client, &mut server, &mut b);
}

// ------------------------------------------------------------ post-quantum

/// A provider with every suite and exactly `groups`, in that order, from all
/// rustls has (its defaults leave SecP256r1MLKEM768 out).
fn with_groups(groups: &[NamedGroup]) -> Arc<CryptoProvider> {
    let mut p = provider::default_provider();
    p.kx_groups = groups
        .iter()
        .map(|g| {
            *provider::ALL_KX_GROUPS
                .iter()
                .find(|k| u16::from(k.name()) == g.0)
                .expect("rustls group")
        })
        .collect();
    Arc::new(p)
}

const HYBRIDS: [NamedGroup; 2] = [NamedGroup::X25519MLKEM768, NamedGroup::SECP256R1MLKEM768];

/// The classical group rustls (like browsers) also shares beside a hybrid.
fn classical_of(hybrid: NamedGroup) -> NamedGroup {
    if hybrid == NamedGroup::X25519MLKEM768 {
        NamedGroup::X25519
    } else {
        NamedGroup::SECP256R1
    }
}

fn rustls_group<S>(c: &rustls::ConnectionCommon<S>) -> u16 {
    u16::from(c.negotiated_key_exchange_group().unwrap().name())
}

/// A browser-like rustls client (hybrid first, its classical half shared too)
/// gets the hybrid from a Baton server whose policy lists it, in one round
/// trip, and the classical group from one whose policy does not.
#[test]
fn rustls_client_hybrid_first_to_baton_server() {
    for hybrid in HYBRIDS {
        let classical = classical_of(hybrid);
        for (server_policy, want) in [
            (baton::policy::lookup("default_pq").unwrap(), hybrid),
            (baton::policy::lookup("default_tls13").unwrap(), classical),
        ] {
            let scfg = server_config("server-rsa.pem", "server-rsa.key", Some(server_policy), &[]);
            let (a, mut b) = duplex();
            let mut client = rustls_client(with_groups(&[hybrid, classical]), &[]);
            let mut server = Connection::new_server(&scfg);
            server.set_io(a);
            handshake(&mut server, &mut client, &mut b);
            assert!(
                !server.used_hello_retry(),
                "{hybrid} / {}",
                server_policy.name
            );
            assert_eq!(server.kx_group(), Some(want));
            assert_eq!(rustls_group(&client), want.0);
            exchange(&mut server, &mut client, &mut b);
        }
    }
}

/// Baton's client under default_pq shares X25519MLKEM768 and secp256r1: a
/// rustls server with the hybrid picks it; one without picks secp256r1; one
/// with only SecP256r1MLKEM768 asks for it with a HelloRetryRequest.
#[test]
fn baton_client_default_pq_to_rustls_server() {
    let ccfg = {
        let mut b = baton::Config::builder_minimal();
        b.add_pem_to_trust_store(&std::fs::read(data("ca-rsa.pem")).unwrap())
            .unwrap();
        b.security_policy("default_pq").unwrap();
        b.build().unwrap()
    };
    for (server_groups, want, hrr) in [
        (
            &[NamedGroup::X25519MLKEM768, NamedGroup::X25519][..],
            NamedGroup::X25519MLKEM768,
            false,
        ),
        (&[NamedGroup::SECP256R1][..], NamedGroup::SECP256R1, false),
        (&[NamedGroup::X25519][..], NamedGroup::X25519, true),
        (
            &[NamedGroup::SECP256R1MLKEM768][..],
            NamedGroup::SECP256R1MLKEM768,
            true,
        ),
    ] {
        let (a, mut b) = duplex();
        let mut server = rustls_server(
            "server-rsa.pem",
            "server-rsa.key",
            with_groups(server_groups),
            &[],
        );
        let mut client = Connection::new_client(&ccfg);
        client.set_server_name("localhost").unwrap();
        client.set_io(a);
        handshake(&mut client, &mut server, &mut b);
        assert_eq!(client.kx_group(), Some(want));
        assert_eq!(client.used_hello_retry(), hrr, "{want}");
        assert_eq!(rustls_group(&server), want.0);
        exchange(&mut client, &mut server, &mut b);
    }
}

/// HelloRetryRequest to a hybrid, both directions: the first hello shares
/// only groups the other side does not take.
#[test]
fn hello_retry_to_a_hybrid_both_directions_with_rustls() {
    let suite = CipherSuite::TLS13_AES_256_GCM_SHA384;
    for hybrid in HYBRIDS {
        // rustls client shares secp384r1 first; Baton server takes only the hybrid.
        let scfg = server_config(
            "server-p256-chain.pem",
            "server-p256.key",
            Some(policy(&[suite], &[hybrid])),
            &[],
        );
        let (a, mut b) = duplex();
        let mut client = rustls_client(with_groups(&[NamedGroup::SECP384R1, hybrid]), &[]);
        let mut server = Connection::new_server(&scfg);
        server.set_io(a);
        handshake(&mut server, &mut client, &mut b);
        assert!(server.used_hello_retry());
        assert_eq!(server.kx_group(), Some(hybrid));
        assert_eq!(rustls_group(&client), hybrid.0);
        exchange(&mut server, &mut client, &mut b);

        // Baton client shares secp384r1 and its first hybrid (the other
        // one); rustls server takes only this hybrid.
        let other = *HYBRIDS.iter().find(|&&h| h != hybrid).unwrap();
        let (a, mut b) = duplex();
        let mut server = rustls_server(
            "server-p256-chain.pem",
            "server-p256.key",
            with_groups(&[hybrid]),
            &[],
        );
        let ccfg = client_config(
            Some(policy(&[suite], &[NamedGroup::SECP384R1, other, hybrid])),
            &[],
        );
        let mut client = Connection::new_client(&ccfg);
        client.set_server_name("localhost").unwrap();
        client.set_io(a);
        handshake(&mut client, &mut server, &mut b);
        assert!(client.used_hello_retry());
        assert_eq!(client.kx_group(), Some(hybrid));
        assert_eq!(rustls_group(&server), hybrid.0);
        exchange(&mut client, &mut server, &mut b);

        // And from a hybrid back to a classical group: Baton client shares the
        // hybrid (and its first classical group, secp384r1 here), the rustls
        // server takes only x25519.
        let (a, mut b) = duplex();
        let mut server = rustls_server(
            "server-p256-chain.pem",
            "server-p256.key",
            with_groups(&[NamedGroup::X25519]),
            &[],
        );
        let ccfg = client_config(
            Some(policy(
                &[suite],
                &[hybrid, NamedGroup::SECP384R1, NamedGroup::X25519],
            )),
            &[],
        );
        let mut client = Connection::new_client(&ccfg);
        client.set_server_name("localhost").unwrap();
        client.set_io(a);
        handshake(&mut client, &mut server, &mut b);
        assert!(client.used_hello_retry());
        assert_eq!(client.kx_group(), Some(NamedGroup::X25519));
        exchange(&mut client, &mut server, &mut b);
    }
}
