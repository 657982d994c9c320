//! Kernel TLS against the real kernel: these tests need the `tls` ULP, so on a
//! kernel without it they print SKIPPED and pass — unless BATON_REQUIRE_KTLS is
//! set, as `tools/ktls-vm` does in the VMs, where a skip is a failure.
//!
//! Each test reads `/proc/net/tls_stat` before and after, so a pass proves the
//! kernel (not Baton's userspace record layer) handled the records.

#[path = "../../tests/integration/util.rs"]
mod util;

use baton::offload::{KernelCipher, RecordPath};
use baton::policy::SecurityPolicy;
use baton::{
    CertChainAndKey, CipherSuite, Config, Connection, ErrorKind, KernelSession, NamedGroup,
    ProtocolVersion, SignatureScheme,
};
use baton_ktls::{Handback, KtlsMode, KtlsOptions};
use std::collections::BTreeMap;
use std::io::Write;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use std::thread;
use std::time::Duration;
use util::*;

/// True if the kernel has kTLS; otherwise prints why the test is skipped
/// (and fails it when BATON_REQUIRE_KTLS is set).
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

/// The running kernel as (major, minor), from uname -r.
fn kernel_version() -> (u32, u32) {
    let r = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut it = r.trim().split(['.', '-']).map(|p| p.parse().unwrap_or(0));
    (it.next().unwrap_or(0), it.next().unwrap_or(0))
}

fn kernel_can_rekey() -> bool {
    kernel_version() >= (6, 14)
}

fn stat() -> BTreeMap<String, u64> {
    baton_ktls::tls_stat().expect("/proc/net/tls_stat (the tls module is loaded)")
}

fn delta(before: &BTreeMap<String, u64>, after: &BTreeMap<String, u64>, key: &str) -> u64 {
    after.get(key).copied().unwrap_or(0) - before.get(key).copied().unwrap_or(0)
}

// ---------------------------------------------------------------- configs

/// The six suites the kernel can take, with their version and cipher.
const CASES: [(ProtocolVersion, CipherSuite, KernelCipher); 6] = [
    (
        ProtocolVersion::TLSV1_3,
        CipherSuite::TLS13_AES_128_GCM_SHA256,
        KernelCipher::Aes128Gcm,
    ),
    (
        ProtocolVersion::TLSV1_3,
        CipherSuite::TLS13_AES_256_GCM_SHA384,
        KernelCipher::Aes256Gcm,
    ),
    (
        ProtocolVersion::TLSV1_3,
        CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
        KernelCipher::Chacha20Poly1305,
    ),
    (
        ProtocolVersion::TLSV1_2,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        KernelCipher::Aes128Gcm,
    ),
    (
        ProtocolVersion::TLSV1_2,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        KernelCipher::Aes256Gcm,
    ),
    (
        ProtocolVersion::TLSV1_2,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        KernelCipher::Chacha20Poly1305,
    ),
];

/// The groups of the test policies, unless a test names others.
const GROUPS: &[NamedGroup] = &[NamedGroup::X25519, NamedGroup::SECP256R1];

/// A policy with exactly one version and one suite (ECDSA P-256 certificate).
fn one_suite_policy(
    version: ProtocolVersion,
    suite: CipherSuite,
    groups: &'static [NamedGroup],
) -> &'static SecurityPolicy {
    Box::leak(Box::new(SecurityPolicy {
        name: "ktls-test",
        min_version: version,
        max_version: version,
        cipher_suites: Box::leak(vec![suite].into_boxed_slice()),
        signature_schemes: &[SignatureScheme::ECDSA_SECP256R1_SHA256],
        certificate_signature_schemes: None,
        groups,
        chacha20_boosted: false,
    }))
}

fn server_cfg(version: ProtocolVersion, suite: CipherSuite) -> Config {
    server_cfg_in(version, suite, GROUPS)
}

fn server_cfg_in(
    version: ProtocolVersion,
    suite: CipherSuite,
    groups: &'static [NamedGroup],
) -> Config {
    let mut b = Config::builder();
    b.custom_security_policy(one_suite_policy(version, suite, groups))
        .unwrap();
    b.add_cert_chain_and_key(
        CertChainAndKey::from_pem_files(data("server-p256-chain.pem"), data("server-p256.key"))
            .unwrap(),
    );
    b.build().unwrap()
}

fn client_cfg(version: ProtocolVersion, suite: CipherSuite) -> Config {
    client_cfg_in(version, suite, GROUPS)
}

fn client_cfg_in(
    version: ProtocolVersion,
    suite: CipherSuite,
    groups: &'static [NamedGroup],
) -> Config {
    let mut b = Config::builder();
    b.custom_security_policy(one_suite_policy(version, suite, groups))
        .unwrap();
    b.wipe_trust_store();
    b.add_pem_to_trust_store(&std::fs::read(data("ca-ecdsa.pem")).unwrap())
        .unwrap();
    b.build().unwrap()
}

/// A handshaken connection on (a dup of) a TCP socket, handed over for
/// kernel TLS (both directions still in userspace); the stream lives beside it.
struct Side {
    conn: KernelSession,
    _stream: TcpStream,
}

/// Runs the handshake of `conn` on `stream`, then consumes it into a kernel
/// session.
fn side(mut conn: Connection, stream: TcpStream) -> baton::Result<Side> {
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    conn.set_fd(OwnedFd::from(stream.try_clone().unwrap()))
        .unwrap();
    // kTLS receive must start exactly at a record boundary.
    conn.set_exact_record_reads(true);
    conn.negotiate()?;
    let conn = conn.into_kernel_session().map_err(|(_, e)| e)?;
    Ok(Side {
        conn,
        _stream: stream,
    })
}

/// A Baton client and server, handshaken over loopback TCP.
fn baton_pair(version: ProtocolVersion, suite: CipherSuite) -> (Side, Side) {
    baton_pair_in(version, suite, GROUPS)
}

/// A Baton client and server whose policies have exactly `groups`.
fn baton_pair_in(
    version: ProtocolVersion,
    suite: CipherSuite,
    groups: &'static [NamedGroup],
) -> (Side, Side) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let scfg = server_cfg_in(version, suite, groups);
    let server = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        side(Connection::new_server(&scfg), stream)
    });
    let mut conn = Connection::new_client(&client_cfg_in(version, suite, groups));
    conn.set_server_name("localhost").unwrap();
    let c = side(
        conn,
        TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap(),
    )
    .expect("client handshake");
    let s = server.join().unwrap().expect("server handshake");
    assert_eq!(c.conn.cipher_suite(), Some(suite));
    assert_eq!(s.conn.actual_protocol_version(), Some(version));
    assert_eq!(c.conn.kx_group(), Some(groups[0]));
    assert_eq!(s.conn.kx_group(), Some(groups[0]));
    (c, s)
}

fn require_kernel_both(conn: &mut KernelSession) {
    let st = baton_ktls::enable_session(conn, KtlsMode::Require, &KtlsOptions::default())
        .unwrap_or_else(|e| panic!("enabling kTLS: {e}"));
    assert!(st.send.is_kernel() && st.recv.is_kernel(), "{st}");
}

// ---------------------------------------------------------------- tests

#[test]
fn probe_finds_every_version_and_cipher_both_ways() {
    if !ktls_or_skip("probe_finds_every_version_and_cipher_both_ways") {
        return;
    }
    let s = baton_ktls::probe();
    eprintln!("kernel {:?}: {s}", kernel_version());
    for (version, _, cipher) in CASES {
        assert!(
            s.tx.contains(&(version, cipher)),
            "tx {version} {cipher}: {s}"
        );
        assert!(
            s.rx.contains(&(version, cipher)),
            "rx {version} {cipher}: {s}"
        );
    }
    // Every kernel of the VM matrix has these (5.19+ and 6.0+).
    assert!(s.tx_zerocopy && s.rx_no_pad, "{s}");
    assert_eq!(
        s.rekey,
        kernel_can_rekey(),
        "rekey support vs kernel {:?}",
        kernel_version()
    );
}

#[test]
fn enable_is_refused_before_the_handshake_and_on_non_socket_transports() {
    // No kernel needed: these are Usage errors decided before any syscall.
    let cfg = client_cfg(
        ProtocolVersion::TLSV1_3,
        CipherSuite::TLS13_AES_128_GCM_SHA256,
    );
    // Each refusal hands the connection back unchanged.
    let back = |e: baton_ktls::EnableError| match e.conn {
        Handback::Connection(conn) => (e.error, *conn),
        other => panic!("the hand-off ran: {other:?}"),
    };
    let conn = Connection::new_client(&cfg);
    let (e, mut conn) =
        back(baton_ktls::enable(conn, KtlsMode::Auto, &KtlsOptions::default()).unwrap_err());
    assert_eq!(e.kind(), ErrorKind::Usage, "{e}");
    assert!(e.message().contains("socket"), "{e}");
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    conn.set_fd(OwnedFd::from(stream)).unwrap();
    let (e, conn) =
        back(baton_ktls::enable(conn, KtlsMode::Auto, &KtlsOptions::default()).unwrap_err());
    assert_eq!(e.kind(), ErrorKind::Usage);
    assert!(e.message().contains("after the handshake"), "{e}");
    // Off too: there is no kernel session before the handshake.
    let (e, _conn) =
        back(baton_ktls::enable(conn, KtlsMode::Off, &KtlsOptions::default()).unwrap_err());
    assert_eq!(e.kind(), ErrorKind::Usage);
}

#[test]
fn without_kernel_tls_the_connection_stays_in_userspace_and_works() {
    // On the host (no tls ULP), auto mode must leave a working userspace connection
    // and say why; with the ULP it moves. Either way data flows.
    let (mut c, mut s) = baton_pair(
        ProtocolVersion::TLSV1_3,
        CipherSuite::TLS13_AES_128_GCM_SHA256,
    );
    let st =
        baton_ktls::enable_session(&mut s.conn, KtlsMode::Auto, &KtlsOptions::default()).unwrap();
    if baton_ktls::probe().available() {
        assert!(st.send.is_kernel() && st.recv.is_kernel(), "{st}");
    } else {
        assert!(!st.send.is_kernel() && !st.recv.is_kernel(), "{st}");
        let e = baton_ktls::enable_session(&mut c.conn, KtlsMode::Require, &KtlsOptions::default())
            .unwrap_err();
        assert!(e.message().contains("kernel TLS required"), "{e}");
    }
    let t = thread::spawn(move || {
        send_all(&mut s.conn, b"hello from the server").unwrap();
        let got = recv_exact(&mut s.conn, 5).unwrap();
        assert_eq!(got, b"howdy");
        s.conn.shutdown().unwrap();
    });
    assert_eq!(
        recv_exact(&mut c.conn, 21).unwrap(),
        b"hello from the server"
    );
    send_all(&mut c.conn, b"howdy").unwrap();
    assert_eq!(c.conn.recv(&mut [0u8; 64]).unwrap(), 0, "close_notify");
    c.conn.shutdown().unwrap();
    t.join().unwrap();
}

/// One side in the kernel, the other in Baton's userspace record layer: kernel TX
/// records are opened by userspace and userspace records by kernel RX, with a
/// sendfile, both close_notify, and the kernel's counters as proof.
fn cross_check(version: ProtocolVersion, suite: CipherSuite, kernel_is_server: bool) {
    cross_check_in(version, suite, kernel_is_server, GROUPS);
}

fn cross_check_in(
    version: ProtocolVersion,
    suite: CipherSuite,
    kernel_is_server: bool,
    groups: &'static [NamedGroup],
) {
    let (c, s) = baton_pair_in(version, suite, groups);
    let (mut k, mut u) = if kernel_is_server { (s, c) } else { (c, s) };
    let before = stat();
    require_kernel_both(&mut k.conn);
    let after_enable = stat();
    assert_eq!(
        delta(&before, &after_enable, "TlsTxSw"),
        1,
        "{after_enable:?}"
    );
    assert_eq!(
        delta(&before, &after_enable, "TlsRxSw"),
        1,
        "{after_enable:?}"
    );
    assert!(!u.conn.ktls_status().send.is_kernel());

    const LEN: usize = 1 << 20;
    let to_user = payload(LEN, 11);
    let from_user = payload(LEN, 12);
    let file_data = payload(LEN + 333, 13);
    let path = scratch_dir().join(format!("sendfile-{}-{}", suite, kernel_is_server));
    std::fs::File::create(&path)
        .unwrap()
        .write_all(&file_data)
        .unwrap();

    let expect_from_k = [&to_user[..], &file_data[..]].concat();
    let from_user_c = from_user.clone();
    let user = thread::spawn(move || {
        let got = recv_exact(&mut u.conn, expect_from_k.len()).expect("userspace receive");
        assert_eq!(sha256_hex(&got), sha256_hex(&expect_from_k));
        send_all(&mut u.conn, &from_user_c).unwrap();
        let mut buf = [0u8; 256];
        assert_eq!(
            u.conn.recv(&mut buf).unwrap(),
            0,
            "kernel side's close_notify"
        );
        u.conn.shutdown().unwrap();
    });
    send_all(&mut k.conn, &to_user).unwrap();
    let file = std::fs::File::open(&path).unwrap();
    let mut off = 0;
    while off < file_data.len() {
        let n = k
            .conn
            .sendfile(file.as_fd(), off as u64, file_data.len() - off)
            .unwrap();
        assert!(n > 0);
        off += n;
    }
    let got = recv_exact(&mut k.conn, LEN).expect("kernel receive");
    assert_eq!(sha256_hex(&got), sha256_hex(&from_user));
    k.conn
        .shutdown()
        .expect("close_notify both ways through the kernel");
    user.join().unwrap();
    let after = stat();
    assert_eq!(delta(&before, &after, "TlsDecryptError"), 0);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn kernel_server_with_userspace_client_every_version_and_cipher() {
    if !ktls_or_skip("kernel_server_with_userspace_client_every_version_and_cipher") {
        return;
    }
    for (version, suite, _) in CASES {
        eprintln!("kernel server: {version} {suite}");
        cross_check(version, suite, true);
    }
}

#[test]
fn kernel_client_with_userspace_server_every_version_and_cipher() {
    if !ktls_or_skip("kernel_client_with_userspace_server_every_version_and_cipher") {
        return;
    }
    for (version, suite, _) in CASES {
        eprintln!("kernel client: {version} {suite}");
        cross_check(version, suite, false);
    }
}

/// A post-quantum hybrid handshake changes only the handshake secret: the
/// traffic keys handed to the kernel work as after any other group, both
/// directions, each side in the kernel in turn.
#[test]
fn hybrid_key_exchange_then_kernel_tls_every_tls13_cipher() {
    if !ktls_or_skip("hybrid_key_exchange_then_kernel_tls_every_tls13_cipher") {
        return;
    }
    for hybrid in [
        &[NamedGroup::X25519MLKEM768][..],
        &[NamedGroup::SECP256R1MLKEM768][..],
    ] {
        for (version, suite, _) in CASES.iter().filter(|c| c.0 == ProtocolVersion::TLSV1_3) {
            eprintln!("hybrid {:?}: {suite}", hybrid[0]);
            cross_check_in(*version, *suite, true, hybrid);
            cross_check_in(*version, *suite, false, hybrid);
        }
    }
}

/// TLS 1.3 KeyUpdate on a kernel socket: the peer updates and asks us to; we
/// update on our own; and the AEAD limit forces one. On 6.14+ the kernel takes
/// the next keys (rekey counters rise) and data keeps flowing; before, the
/// connection fails with a clear error instead of corrupting data.
#[test]
fn key_update_in_each_direction() {
    if !ktls_or_skip("key_update_in_each_direction") {
        return;
    }
    for (version, suite, _) in CASES.iter().filter(|c| c.0 == ProtocolVersion::TLSV1_3) {
        let (mut c, mut s) = baton_pair(*version, *suite);
        require_kernel_both(&mut s.conn);
        let before = stat();
        // The userspace client updates its key and requests ours.
        c.conn.request_key_update(true).unwrap();
        send_all(&mut c.conn, b"after the client's update").unwrap();
        if !kernel_can_rekey() {
            let e = recv_exact(&mut s.conn, 25).unwrap_err();
            assert!(e.message().contains("6.14"), "{e}");
            continue;
        }
        assert_eq!(
            recv_exact(&mut s.conn, 25).unwrap(),
            b"after the client's update"
        );
        send_all(&mut s.conn, b"answered").unwrap();
        assert_eq!(recv_exact(&mut c.conn, 8).unwrap(), b"answered");
        // The kernel side updates on its own...
        s.conn.request_key_update(false).unwrap();
        send_all(&mut s.conn, b"after the server's update").unwrap();
        assert_eq!(
            recv_exact(&mut c.conn, 25).unwrap(),
            b"after the server's update"
        );
        // ... and when its send key reaches the (lowered) usage limit.
        s.conn.set_kernel_send_key_limit_for_test(8);
        let big = payload(40 * 16384, 5);
        let t = thread::spawn(move || {
            send_all(&mut s.conn, &big).unwrap();
            s.conn.shutdown().unwrap();
            big
        });
        let got = recv_exact(&mut c.conn, 40 * 16384).unwrap();
        assert_eq!(c.conn.recv(&mut [0u8; 16]).unwrap(), 0);
        c.conn.shutdown().unwrap();
        let big = t.join().unwrap();
        assert_eq!(sha256_hex(&got), sha256_hex(&big));
        let after = stat();
        assert!(delta(&before, &after, "TlsRxRekeyOk") >= 1, "{after:?}");
        assert!(delta(&before, &after, "TlsTxRekeyOk") >= 3, "{after:?}");
        assert_eq!(delta(&before, &after, "TlsDecryptError"), 0);
    }
}

/// Without kernel rekey (before 6.14), a TLS 1.3 send key at its limit closes
/// the connection cleanly; TLS 1.2 always does.
#[test]
fn send_key_limit_without_rekey_closes_cleanly() {
    if !ktls_or_skip("send_key_limit_without_rekey_closes_cleanly") {
        return;
    }
    let suite = if kernel_can_rekey() {
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
    } else {
        CipherSuite::TLS13_AES_128_GCM_SHA256
    };
    let version = if kernel_can_rekey() {
        ProtocolVersion::TLSV1_2
    } else {
        ProtocolVersion::TLSV1_3
    };
    let (mut c, mut s) = baton_pair(version, suite);
    require_kernel_both(&mut s.conn);
    s.conn.set_kernel_send_key_limit_for_test(4);
    let t = thread::spawn(move || {
        let chunk = payload(16384, 9);
        let mut sent = 0;
        let err = loop {
            match s.conn.send(&chunk) {
                Ok(n) => sent += n,
                Err(e) => break e,
            }
            assert!(sent < 64 * 16384, "the key limit never stopped sending");
        };
        assert_eq!(err.kind(), ErrorKind::Closed, "{err}");
        sent
    });
    let mut got = 0;
    let mut buf = vec![0u8; 65536];
    loop {
        let n = c.conn.recv(&mut buf).expect("data, then close_notify");
        if n == 0 {
            break;
        }
        got += n;
    }
    assert_eq!(got, t.join().unwrap());
}

// ---------------------------------------------------------------- OpenSSL peers

fn openssl_version_args(version: ProtocolVersion, suite: CipherSuite) -> Vec<String> {
    let name = suite.to_string();
    if version == ProtocolVersion::TLSV1_3 {
        vec!["-tls1_3".into(), "-ciphersuites".into(), name]
    } else {
        let ossl = match suite {
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => "ECDHE-ECDSA-AES128-GCM-SHA256",
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => "ECDHE-ECDSA-AES256-GCM-SHA384",
            _ => "ECDHE-ECDSA-CHACHA20-POLY1305",
        };
        vec!["-tls1_2".into(), "-cipher".into(), ossl.into()]
    }
}

/// Bytes each way for the OpenSSL transfers: 64 MiB, or BATON_KTLS_BULK_MIB.
fn bulk_len() -> usize {
    std::env::var("BATON_KTLS_BULK_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64usize)
        << 20
}

/// A Baton server with kTLS both ways (or off) echoes BULK bytes to `openssl
/// s_client`, then closes with close_notify.
fn openssl_client_echo(version: ProtocolVersion, suite: CipherSuite, mode: KtlsMode) {
    let len = bulk_len();
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let cfg = server_cfg(version, suite);
    let server = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut s = side(Connection::new_server(&cfg), stream)?;
        let st = baton_ktls::enable_session(&mut s.conn, mode, &KtlsOptions::default())?;
        let mut buf = vec![0u8; 64 * 1024];
        let mut echoed = 0;
        while echoed < len {
            let n = s.conn.recv(&mut buf)?;
            assert!(n > 0, "s_client closed after {echoed} bytes");
            send_all(&mut s.conn, &buf[..n])?;
            echoed += n;
        }
        s.conn.shutdown_send()?;
        Ok::<_, baton::Error>((echoed, st))
    });
    let mut args = vec![
        "-servername".to_string(),
        "localhost".into(),
        "-CAfile".into(),
        data("ca-ecdsa.pem").display().to_string(),
        "-verify_return_error".into(),
        "-quiet".into(),
    ];
    args.extend(openssl_version_args(version, suite));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let payload = Arc::new(payload(len, 21));
    let mut cli = s_client(port, &args);
    cli.feed_stdin(Arc::clone(&payload));
    let out = cli.wait(Duration::from_secs(600));
    let (echoed, st) = server
        .join()
        .unwrap()
        .unwrap_or_else(|e| panic!("Baton server: {e}; s_client: {}", out.stderr));
    assert_eq!(echoed, len);
    assert_eq!(st.send.is_kernel(), mode != KtlsMode::Off, "{st}");
    assert_eq!(out.stdout.len(), len, "s_client stderr: {}", out.stderr);
    assert_eq!(sha256_hex(&out.stdout), sha256_hex(&payload));
}

#[test]
fn openssl_s_client_through_a_kernel_tls_server_every_version_and_cipher() {
    if !ktls_or_skip("openssl_s_client_through_a_kernel_tls_server_every_version_and_cipher")
        || !openssl_available("openssl_s_client_through_a_kernel_tls_server")
    {
        return;
    }
    for (version, suite, _) in CASES {
        let before = stat();
        eprintln!(
            "s_client <-> kTLS server: {version} {suite}, {} MiB each way",
            bulk_len() >> 20
        );
        openssl_client_echo(version, suite, KtlsMode::Require);
        let after = stat();
        assert_eq!(delta(&before, &after, "TlsTxSw"), 1);
        assert_eq!(delta(&before, &after, "TlsRxSw"), 1);
        assert_eq!(delta(&before, &after, "TlsDecryptError"), 0);
    }
}

#[test]
fn openssl_s_client_with_ktls_off() {
    if !ktls_or_skip("openssl_s_client_with_ktls_off")
        || !openssl_available("openssl_s_client_with_ktls_off")
    {
        return;
    }
    let before = stat();
    openssl_client_echo(
        ProtocolVersion::TLSV1_3,
        CipherSuite::TLS13_AES_128_GCM_SHA256,
        KtlsMode::Off,
    );
    let after = stat();
    assert_eq!(
        delta(&before, &after, "TlsTxSw"),
        0,
        "kTLS off must not touch the kernel"
    );
}

/// A Baton client with kTLS both ways against `openssl s_server`: TLS 1.3
/// NewSessionTickets arrive as kernel handshake records and are handled in
/// userspace; a 64 MiB sendfile reaches s_server intact.
#[test]
fn kernel_tls_client_sendfile_to_openssl_s_server() {
    if !ktls_or_skip("kernel_tls_client_sendfile_to_openssl_s_server")
        || !openssl_available("kernel_tls_client_sendfile_to_openssl_s_server")
    {
        return;
    }
    let len = bulk_len();
    let data_file = payload(len, 31);
    let path = scratch_dir().join("sendfile-bulk");
    std::fs::write(&path, &data_file).unwrap();
    for zerocopy in [false, true] {
        let srv = s_server(&[
            "-cert",
            &data("server-p256.pem").display().to_string(),
            "-cert_chain",
            &data("intermediate-p256.pem").display().to_string(),
            "-key",
            &data("server-p256.key").display().to_string(),
            "-tls1_3",
            "-naccept",
            "1",
            "-quiet",
        ]);
        let before = stat();
        let mut conn = Connection::new_client(&client_cfg(
            ProtocolVersion::TLSV1_3,
            CipherSuite::TLS13_AES_128_GCM_SHA256,
        ));
        conn.set_server_name("localhost").unwrap();
        let mut c = side(conn, tcp_connect(srv.port)).unwrap();
        let mut opts = KtlsOptions::default();
        opts.zerocopy_sendfile = zerocopy;
        opts.rx_expect_no_pad = true;
        let st = baton_ktls::enable_session(&mut c.conn, KtlsMode::Require, &opts).unwrap();
        assert!(st.send.is_kernel() && st.recv.is_kernel());
        let file = std::fs::File::open(&path).unwrap();
        let mut off = 0;
        while off < len {
            off += c
                .conn
                .sendfile(file.as_fd(), off as u64, len - off)
                .unwrap();
        }
        // shutdown reads s_server's tickets (kernel handshake records) and its close_notify.
        c.conn.shutdown().unwrap();
        drop(c);
        let out = srv.proc.wait(Duration::from_secs(600));
        assert!(out.status.success(), "s_server: {}", out.stderr);
        assert_eq!(out.stdout.len(), len);
        assert_eq!(sha256_hex(&out.stdout), sha256_hex(&data_file));
        let after = stat();
        assert_eq!(delta(&before, &after, "TlsTxSw"), 1);
        assert_eq!(delta(&before, &after, "TlsRxSw"), 1);
    }
    let _ = std::fs::remove_file(&path);
}

// ---------------------------------------------------------------- record sizing

/// Dynamic record sizing and prefer-low-latency, read off the wire (record
/// headers are plaintext): userspace records everywhere, kernel records where
/// the kernel has kTLS (each bounded write becomes one kernel record).
fn record_sizes_on_the_wire(kernel: bool) {
    let (c, mut s) = baton_pair(
        ProtocolVersion::TLSV1_3,
        CipherSuite::TLS13_AES_128_GCM_SHA256,
    );
    let before = kernel.then(stat);
    if kernel {
        require_kernel_both(&mut s.conn);
        assert_eq!(s.conn.send_record_seq().unwrap(), 0);
    }
    s.conn
        .set_dynamic_record_threshold(4000, Duration::from_secs(60));
    let data = payload(40_000, 3);
    send_all(&mut s.conn, &data).unwrap();
    s.conn.prefer_low_latency();
    send_all(&mut s.conn, &data[..3000]).unwrap();
    // The client's socket, read raw: record lengths as sent.
    let mut raw = &c._stream;
    let mut lens = Vec::new();
    let mut payload_total = 0;
    while payload_total < 43_000 {
        let mut hdr = [0u8; 5];
        std::io::Read::read_exact(&mut raw, &mut hdr).unwrap();
        assert_eq!(hdr[0], 23, "application_data records only");
        let len = u16::from_be_bytes([hdr[3], hdr[4]]) as usize;
        let mut body = vec![0u8; len];
        std::io::Read::read_exact(&mut raw, &mut body).unwrap();
        lens.push(len);
        payload_total += len - 17; // inner type + tag
    }
    // 1400-byte records on the wire: 1378 bytes of data + 22 of overhead.
    assert_eq!(
        lens,
        [1395, 1395, 1395, 16401, 16401, 3115, 1395, 1395, 261],
        "kernel={kernel}"
    );
    if let Some(before) = before {
        // The kernel sealed them: its sequence number counts the nine records.
        assert_eq!(s.conn.send_record_seq().unwrap(), 9);
        assert_eq!(delta(&before, &stat(), "TlsTxSw"), 1);
    }
}

#[test]
fn record_sizing_in_userspace() {
    record_sizes_on_the_wire(false);
}

#[test]
fn record_sizing_in_the_kernel() {
    if !ktls_or_skip("record_sizing_in_the_kernel") {
        return;
    }
    record_sizes_on_the_wire(true);
}

/// `sendfile` without kernel TLS send: Baton reads the file and seals records;
/// the peer gets identical bytes, short files end early, and offsets hold.
#[test]
fn sendfile_in_userspace() {
    let (mut c, mut s) = baton_pair(
        ProtocolVersion::TLSV1_2,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    );
    let st =
        baton_ktls::enable_session(&mut s.conn, KtlsMode::Off, &KtlsOptions::default()).unwrap();
    // Off leaves both directions in userspace, saying so.
    assert_eq!(
        st.send,
        RecordPath::Userspace("kernel TLS turned off".into())
    );
    let data = payload(300_001, 17);
    let path = scratch_dir().join("sendfile-userspace");
    std::fs::write(&path, &data).unwrap();
    let t = thread::spawn(move || {
        let file = std::fs::File::open(&path).unwrap();
        // From offset 1000 to the end, asking for more than there is.
        let mut off = 1000u64;
        loop {
            let n = s.conn.sendfile(file.as_fd(), off, 1 << 20).unwrap();
            if n == 0 {
                break;
            }
            off += n as u64;
        }
        s.conn.shutdown().unwrap();
        off
    });
    let got = recv_to_end(&mut c.conn).unwrap();
    c.conn.shutdown().unwrap();
    assert_eq!(t.join().unwrap(), data.len() as u64);
    assert_eq!(sha256_hex(&got), sha256_hex(&data[1000..]));
}
