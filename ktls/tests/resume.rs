//! Resumed sessions through kernel TLS (in the VMs of tools/ktls-vm; on a
//! kernel without the `tls` ULP these print SKIPPED and pass, unless
//! BATON_REQUIRE_KTLS is set).
//!
//! A resumed handshake derives its traffic keys from the ticket's PSK, and
//! a TLS 1.3 server sends its tickets right after the handshake, under the
//! application key the kernel takes over: the kernel must get the keys and
//! the record sequence numbers that follow those records, and a client whose
//! kernel receives must still read the tickets (as control records). After
//! 0-RTT, the hand-off comes after EndOfEarlyData and Finished.

#[path = "../../tests/integration/util.rs"]
mod util;

use baton::policy::SecurityPolicy;
use baton::{
    CertChainAndKey, CipherSuite, Config, Connection, KernelSession, NamedGroup, ProtocolVersion,
    SavedSession, SignatureScheme,
};
use baton_ktls::{KtlsMode, KtlsOptions};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::fd::OwnedFd;
use std::thread;
use util::*;

fn ktls_or_skip(test: &str) -> bool {
    let support = baton_ktls::probe();
    if support.available() {
        return true;
    }
    if std::env::var_os("BATON_REQUIRE_KTLS").is_some() {
        panic!("{test}: BATON_REQUIRE_KTLS is set, but {support}");
    }
    eprintln!("SKIPPED {test}: {support}; the kTLS tests run for real in tools/ktls-vm");
    false
}

fn policy(version: ProtocolVersion, suite: CipherSuite) -> &'static SecurityPolicy {
    Box::leak(Box::new(SecurityPolicy {
        name: "ktls-resume",
        min_version: version,
        max_version: version,
        cipher_suites: Box::leak(vec![suite].into_boxed_slice()),
        signature_schemes: &[SignatureScheme::ECDSA_SECP256R1_SHA256],
        certificate_signature_schemes: None,
        groups: &[NamedGroup::X25519, NamedGroup::SECP256R1],
        chacha20_boosted: false,
    }))
}

fn configs(version: ProtocolVersion, suite: CipherSuite) -> (Config, Config) {
    let mut s = Config::builder_minimal();
    s.custom_security_policy(policy(version, suite)).unwrap();
    s.add_cert_chain_and_key(
        CertChainAndKey::from_pem_files(data("server-p256-chain.pem"), data("server-p256.key"))
            .unwrap(),
    );
    s.session_tickets(true);
    let mut c = Config::builder_minimal();
    c.custom_security_policy(policy(version, suite)).unwrap();
    c.add_pem_to_trust_store(&std::fs::read(data("ca-ecdsa.pem")).unwrap())
        .unwrap();
    c.session_tickets(true);
    (s.build().unwrap(), c.build().unwrap())
}

/// Handshakes on a socket, then hands both directions to the kernel.
fn kernel_side(conn: Connection, stream: &TcpStream) -> KernelSession {
    kernel_side_with(conn, stream, |_| {})
}

/// [`kernel_side`], with `before` run on the connection before the
/// handshake completes (early data).
fn kernel_side_with(
    mut conn: Connection,
    stream: &TcpStream,
    before: impl FnOnce(&mut Connection),
) -> KernelSession {
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    conn.set_fd(OwnedFd::from(stream.try_clone().unwrap()))
        .unwrap();
    conn.set_exact_record_reads(true);
    before(&mut conn);
    conn.negotiate().expect("handshake");
    let mut k = conn.into_kernel_session().map_err(|(_, e)| e).unwrap();
    let st = baton_ktls::enable_session(&mut k, KtlsMode::Require, &KtlsOptions::default())
        .unwrap_or_else(|e| panic!("enabling kTLS: {e}"));
    assert!(st.send.is_kernel() && st.recv.is_kernel(), "{st}");
    k
}

/// One connection, kernel TLS on both ends: the client sends, the server
/// echoes, so the client has read past the server's tickets. Returns
/// (client resumed, server resumed, the client's newest session).
fn connect(
    server: &Config,
    client: &Config,
    offer: Option<SavedSession>,
) -> (bool, bool, Option<SavedSession>) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let scfg = server.clone();
    let srv = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut k = kernel_side(Connection::new_server(&scfg), &stream);
        let got = recv_exact(&mut k, 100_000).expect("server receive");
        send_all(&mut k, &got).unwrap();
        let mut buf = [0u8; 64];
        assert_eq!(k.recv(&mut buf).unwrap(), 0, "client's close_notify");
        k.shutdown().unwrap();
        k.is_resumed()
    });
    let stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
    let mut conn = Connection::new_client(client);
    conn.set_server_name("localhost").unwrap();
    if let Some(s) = offer {
        conn.session_mut().set_saved_session(s).unwrap();
    }
    let mut k = kernel_side(conn, &stream);
    let data = payload(100_000, 7);
    send_all(&mut k, &data).unwrap();
    let back = recv_exact(&mut k, data.len()).expect("client receive");
    assert_eq!(sha256_hex(&back), sha256_hex(&data));
    k.shutdown().unwrap();
    let server_resumed = srv.join().unwrap();
    (k.is_resumed(), server_resumed, k.saved_session())
}

fn resume_three_times(version: ProtocolVersion, suite: CipherSuite) {
    eprintln!("resume through kTLS: {version} {suite}");
    let (server, client) = configs(version, suite);
    let (c, s, saved) = connect(&server, &client, None);
    assert!(!c && !s);
    // A TLS 1.3 ticket came in through the kernel, as a control record.
    let saved = saved.expect("a session to resume");
    let (c, s, next) = connect(&server, &client, Some(saved));
    assert!(c && s, "{suite}: resumed on both ends");
    let (c, s, _) = connect(&server, &client, next);
    assert!(
        c && s,
        "{suite}: the resumed connection's session resumes too"
    );
}

#[test]
fn resumed_sessions_through_kernel_tls_every_tls13_suite() {
    if !ktls_or_skip("resumed_sessions_through_kernel_tls_every_tls13_suite") {
        return;
    }
    for suite in [
        CipherSuite::TLS13_AES_128_GCM_SHA256,
        CipherSuite::TLS13_AES_256_GCM_SHA384,
        CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
    ] {
        resume_three_times(ProtocolVersion::TLSV1_3, suite);
    }
}

/// TLS 1.2 tickets (RFC 5077): the abbreviated handshake's keys come from the
/// saved master secret and the new randoms.
#[test]
fn resumed_sessions_through_kernel_tls_every_tls12_suite() {
    if !ktls_or_skip("resumed_sessions_through_kernel_tls_every_tls12_suite") {
        return;
    }
    for suite in [
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ] {
        resume_three_times(ProtocolVersion::TLSV1_2, suite);
    }
}

/// 0-RTT, then kernel TLS: the client sends early data with its ticket, the
/// server reads it (`recv_early_data`), both finish the handshake
/// (EndOfEarlyData, Finished) and hand their keys to the kernel at the
/// record boundary after it, and 100 KB go both ways through the kernel.
#[test]
fn early_data_then_kernel_tls_every_tls13_suite() {
    if !ktls_or_skip("early_data_then_kernel_tls_every_tls13_suite") {
        return;
    }
    const EARLY: &[u8] = b"GET /early HTTP/1.1\r\nHost: localhost\r\n\r\n";
    for suite in [
        CipherSuite::TLS13_AES_128_GCM_SHA256,
        CipherSuite::TLS13_AES_256_GCM_SHA384,
        CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
    ] {
        eprintln!("0-RTT then kTLS: {suite}");
        let (server, client) = {
            let mut s = Config::builder_minimal();
            s.custom_security_policy(policy(ProtocolVersion::TLSV1_3, suite))
                .unwrap();
            s.add_cert_chain_and_key(
                CertChainAndKey::from_pem_files(
                    data("server-p256-chain.pem"),
                    data("server-p256.key"),
                )
                .unwrap(),
            );
            s.session_tickets(true);
            s.set_max_early_data_size(16384).unwrap();
            s.set_anti_replay(
                std::sync::Arc::new(baton::early::MemoryAntiReplay::new(64)),
                baton::early::AntiReplayMode::SingleUseTickets,
            );
            (
                s.build().unwrap(),
                configs(ProtocolVersion::TLSV1_3, suite).1,
            )
        };
        // The in-memory store places tickets in whole seconds after its start.
        thread::sleep(std::time::Duration::from_millis(1100));
        let (_, _, saved) = connect(&server, &client, None);
        let saved = saved.expect("a ticket");
        assert!(saved.max_early_data() > 0);

        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let scfg = server.clone();
        let srv = thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut early = Vec::new();
            let mut k = kernel_side_with(Connection::new_server(&scfg), &stream, |conn| {
                let mut buf = [0u8; 4096];
                loop {
                    let n = conn.recv_early_data(&mut buf).expect("early data");
                    if n == 0 {
                        break;
                    }
                    early.extend_from_slice(&buf[..n]);
                }
            });
            assert_eq!(
                k.early_data_status(),
                baton::early::EarlyDataStatus::Accepted
            );
            let got = recv_exact(&mut k, 100_000).expect("server receive");
            send_all(&mut k, &got).unwrap();
            let mut buf = [0u8; 64];
            assert_eq!(k.recv(&mut buf).unwrap(), 0, "client's close_notify");
            k.shutdown().unwrap();
            early
        });
        let stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
        let mut conn = Connection::new_client(&client);
        conn.set_server_name("localhost").unwrap();
        conn.session_mut().set_saved_session(saved).unwrap();
        let mut k = kernel_side_with(conn, &stream, |conn| {
            assert_eq!(conn.send_early_data(EARLY).unwrap(), EARLY.len());
        });
        assert_eq!(
            k.early_data_status(),
            baton::early::EarlyDataStatus::Accepted
        );
        let data = payload(100_000, 9);
        send_all(&mut k, &data).unwrap();
        let back = recv_exact(&mut k, data.len()).expect("client receive");
        assert_eq!(sha256_hex(&back), sha256_hex(&data));
        k.shutdown().unwrap();
        assert_eq!(srv.join().unwrap(), EARLY, "{suite}");
    }
}
