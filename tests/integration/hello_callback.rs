//! The server's ClientHello callback: what it sees, refusing with an alert,
//! swapping the config by SNI (certificate, TLS 1.2-only policy), an answer
//! given later from another thread, once per handshake across a
//! HelloRetryRequest; against the Baton client, rustls and `openssl s_client`.

use crate::pair::{client_config, connect, handshake, policy};
use crate::tenants::{first_pem_cert, serve_n, tenant};
use crate::util::{all_cas_file, openssl_available, s_client, TIMEOUT};
use baton::{
    AlertDescription, Blocked, CipherSuite, ClientHello, ClientHelloAction, Config, ErrorKind,
    NamedGroup, PendingClientHello, ProtocolVersion,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};

/// The default server: the P-256 test chain (names localhost, server.test).
fn base_builder() -> baton::ConfigBuilder {
    let mut b = Config::builder_minimal();
    b.add_cert_chain_and_key(
        baton::CertChainAndKey::from_pem_files(
            crate::util::data("server-p256-chain.pem"),
            crate::util::data("server-p256.key"),
        )
        .unwrap(),
    );
    b
}

/// A config for `legacy.test` under the TLS 1.2-only `default` policy
/// (RSA suites only, so an RSA certificate).
fn legacy_tenant() -> (Config, Vec<u8>) {
    let t = tenant(&["legacy.test"], "server-rsa.key", "ca-rsa");
    let mut b = Config::builder_minimal();
    b.security_policy("default").unwrap();
    b.add_cert_chain_and_key(t.chain_and_key());
    (b.build().unwrap(), t.der)
}

#[test]
fn callback_sees_the_client_hello() {
    let seen: Arc<Mutex<Option<ClientHello>>> = Arc::default();
    let s = Arc::clone(&seen);
    let mut b = base_builder();
    b.set_alpn_preferences(&["h2"]).unwrap();
    b.set_client_hello_callback(move |ch| {
        *s.lock().unwrap() = Some(ch.clone());
        ClientHelloAction::Continue
    });
    let scfg = b.build().unwrap();
    let ccfg = client_config(None, &["h2", "http/1.1"]);
    let (mut c, mut s) = connect(&ccfg, &scfg, "Server.Test");
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    let ch = seen.lock().unwrap().take().expect("the callback ran");
    assert_eq!(ch.server_name(), Some("server.test"));
    let alpn: Vec<&[u8]> = ch.alpn_protocols().collect();
    assert_eq!(alpn, [&b"h2"[..], b"http/1.1"]);
    assert_eq!(ch.legacy_version(), ProtocolVersion::TLSV1_2);
    assert!(ch.supported_versions().contains(&ProtocolVersion::TLSV1_3));
    assert!(!ch.cipher_suites().is_empty() && !ch.supported_groups().is_empty());
    assert!(!ch.signature_algorithms().is_empty());
    // The raw bytes are the handshake message, and parse to the same view.
    assert_eq!(ch.raw()[0], 1);
    let again = ClientHello::parse(ch.raw()).unwrap();
    let types = |h: &ClientHello| h.extensions().map(|(t, _)| t).collect::<Vec<_>>();
    assert_eq!(types(&ch), types(&again));
    assert!(types(&ch).contains(&0) && types(&ch).contains(&16));
    assert_eq!(ch.cipher_suites(), again.cipher_suites());
    assert_eq!(s.alpn(), Some(&b"h2"[..]));
}

#[test]
fn reject_fails_both_ends_with_the_alert() {
    let mut b = base_builder();
    b.set_client_hello_callback(|ch| match ch.server_name() {
        Some("server.test") => ClientHelloAction::Continue,
        _ => ClientHelloAction::Reject(AlertDescription::UNRECOGNIZED_NAME),
    });
    let scfg = b.build().unwrap();
    let ccfg = client_config(None, &[]);
    let (mut c, mut s) = connect(&ccfg, &scfg, "localhost");
    let (cr, sr) = handshake(&mut c, &mut s);
    let se = sr.unwrap_err();
    assert_eq!(se.kind(), ErrorKind::Protocol);
    assert_eq!(se.sent_alert(), Some(AlertDescription::UNRECOGNIZED_NAME));
    assert_eq!(
        cr.unwrap_err().kind(),
        ErrorKind::Alert(AlertDescription::UNRECOGNIZED_NAME)
    );
    // The same config serves the name it accepts.
    let (mut c, mut s) = connect(&ccfg, &scfg, "server.test");
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
}

#[test]
fn swap_config_by_sni_changes_certificate_and_version() {
    let (legacy, legacy_der) = legacy_tenant();
    let mut b = base_builder();
    b.set_client_hello_callback(move |ch| match ch.server_name() {
        Some("legacy.test") => ClientHelloAction::SwapConfig(legacy.clone()),
        _ => ClientHelloAction::Continue,
    });
    let scfg = b.build().unwrap();
    let ccfg = client_config(None, &[]);

    let (mut c, mut s) = connect(&ccfg, &scfg, "legacy.test");
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    assert_eq!(c.actual_protocol_version(), Some(ProtocolVersion::TLSV1_2));
    assert_eq!(c.peer_cert_chain()[0], legacy_der);

    let (mut c, mut s) = connect(&ccfg, &scfg, "server.test");
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    assert_eq!(c.actual_protocol_version(), Some(ProtocolVersion::TLSV1_3));
    assert_eq!(
        c.peer_cert_chain()[0],
        crate::util::leaf_der("server-p256.pem")
    );
}

#[test]
fn later_answer_from_another_thread_swaps_the_config() {
    let tenant_cert = tenant(&["late.test"], "server-p384.key", "ca-ecdsa");
    let mut tb = Config::builder_minimal();
    tb.add_cert_chain_and_key(tenant_cert.chain_and_key());
    let tenant_cfg = tb.build().unwrap();

    // The callback hands the answer to a thread that answers when told to;
    // the waker says when the answer is in.
    let (answer_tx, answer_rx) = mpsc::channel();
    let (woken_tx, woken_rx) = mpsc::channel::<()>();
    let woken_tx = Mutex::new(woken_tx);
    let mut b = base_builder();
    b.set_client_hello_callback(move |_| {
        let w = woken_tx.lock().unwrap().clone();
        let (pending, answer) = PendingClientHello::with_waker(move || {
            let _ = w.send(());
        });
        answer_tx.send(answer).unwrap();
        ClientHelloAction::Later(pending)
    });
    let scfg = b.build().unwrap();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let answerer = std::thread::spawn(move || {
        let answer: baton::ClientHelloAnswer = answer_rx.recv_timeout(TIMEOUT).unwrap();
        go_rx.recv_timeout(TIMEOUT).unwrap();
        answer.swap_config(tenant_cfg);
    });

    let ccfg = client_config(None, &[]);
    let (mut c, mut s) = connect(&ccfg, &scfg, "late.test");
    assert!(c.negotiate().unwrap_err().is_blocked());
    // Blocked on the application, as often as it is driven, until answered.
    for _ in 0..3 {
        let e = s.negotiate().unwrap_err();
        assert_eq!(e.blocked_on(), Some(Blocked::OnApplicationInput), "{e}");
    }
    go_tx.send(()).unwrap();
    woken_rx.recv_timeout(TIMEOUT).expect("the waker ran");
    answerer.join().unwrap();
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    assert_eq!(c.peer_cert_chain()[0], tenant_cert.der);
}

#[test]
fn answer_dropped_unanswered_fails_with_internal_error() {
    let mut b = base_builder();
    b.set_client_hello_callback(|_| {
        let (pending, answer) = PendingClientHello::new();
        drop(answer);
        ClientHelloAction::Later(pending)
    });
    let scfg = b.build().unwrap();
    let (mut c, mut s) = connect(&client_config(None, &[]), &scfg, "server.test");
    let (_, sr) = handshake(&mut c, &mut s);
    assert_eq!(
        sr.unwrap_err().sent_alert(),
        Some(AlertDescription::INTERNAL_ERROR)
    );
}

#[test]
fn callback_runs_once_across_a_hello_retry() {
    let calls = Arc::new(AtomicUsize::new(0));
    let n = Arc::clone(&calls);
    let mut b = base_builder();
    b.custom_security_policy(policy(
        &[CipherSuite::TLS13_AES_256_GCM_SHA384],
        &[NamedGroup::SECP384R1],
    ))
    .unwrap();
    b.set_client_hello_callback(move |_| {
        n.fetch_add(1, Ordering::SeqCst);
        ClientHelloAction::Continue
    });
    let scfg = b.build().unwrap();
    let ccfg = client_config(
        Some(policy(
            &[CipherSuite::TLS13_AES_256_GCM_SHA384],
            &[NamedGroup::X25519, NamedGroup::SECP384R1],
        )),
        &[],
    );
    let (mut c, mut s) = connect(&ccfg, &scfg, "server.test");
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    assert!(s.used_hello_retry());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn swapped_config_without_certificates_fails_cleanly() {
    let empty = Config::builder_minimal().build().unwrap();
    let mut b = base_builder();
    b.set_client_hello_callback(move |_| ClientHelloAction::SwapConfig(empty.clone()));
    let scfg = b.build().unwrap();
    let (mut c, mut s) = connect(&client_config(None, &[]), &scfg, "server.test");
    let (_, sr) = handshake(&mut c, &mut s);
    assert_eq!(
        sr.unwrap_err().sent_alert(),
        Some(AlertDescription::HANDSHAKE_FAILURE)
    );
}

// ---------------------------------------------------------------- rustls

#[test]
fn rustls_client_seen_and_swapped() {
    use rustls_pki_types::ServerName;
    let t = tenant(&["rustls.test"], "server-p384.key", "ca-ecdsa");
    let mut tb = Config::builder_minimal();
    tb.add_cert_chain_and_key(t.chain_and_key());
    let tenant_cfg = tb.build().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = Arc::clone(&seen);
    let mut b = base_builder();
    b.set_client_hello_callback(move |ch| {
        let alpn = ch.alpn_protocols().map(<[u8]>::to_vec).collect::<Vec<_>>();
        s2.lock()
            .unwrap()
            .push((ch.server_name().map(str::to_owned), alpn));
        ClientHelloAction::SwapConfig(tenant_cfg.clone())
    });
    let scfg = b.build().unwrap();

    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(crate::util::leaf_der("ca-ecdsa.pem").into())
        .unwrap();
    let mut ccfg = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    ccfg.alpn_protocols = vec![b"h2".to_vec()];
    let mut client =
        rustls::ClientConnection::new(Arc::new(ccfg), ServerName::try_from("rustls.test").unwrap())
            .unwrap();
    let (a, mut io) = crate::pair::duplex();
    let mut server = baton::Connection::new_server(&scfg);
    server.set_io(a);
    for _ in 0..50 {
        while client.wants_write() {
            client.write_tls(&mut io).unwrap();
        }
        match client.read_tls(&mut io) {
            Ok(_) => {
                client.process_new_packets().unwrap();
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("{e}"),
        }
        match server.negotiate() {
            Ok(()) if !client.is_handshaking() => break,
            Ok(()) => {}
            Err(e) if e.is_blocked() => {}
            Err(e) => panic!("baton: {e}"),
        }
    }
    assert!(!client.is_handshaking());
    let leaf = client.peer_certificates().unwrap()[0].to_vec();
    assert_eq!(leaf, t.der);
    assert_eq!(
        *seen.lock().unwrap(),
        [(Some("rustls.test".to_owned()), vec![b"h2".to_vec()])]
    );
}

// ---------------------------------------------------------------- openssl

/// `openssl s_client -servername NAME ARGS` to `port`, stdin closed at
/// once; returns (stdout, stderr).
fn s_client_once(port: u16, name: &str, args: &[&str]) -> (Vec<u8>, String) {
    let ca = all_cas_file().to_str().unwrap().to_owned();
    let mut all = vec!["-servername", name, "-CAfile", &ca];
    all.extend_from_slice(args);
    let mut p = s_client(port, &all);
    p.close_stdin();
    let out = p.wait(TIMEOUT);
    (out.stdout.clone(), out.stderr)
}

#[test]
fn openssl_sees_the_reject_alert_and_the_swapped_tenant() {
    if !openssl_available("openssl_sees_the_reject_alert_and_the_swapped_tenant") {
        return;
    }
    let (legacy, legacy_der) = legacy_tenant();
    let mut b = base_builder();
    b.set_client_hello_callback(move |ch| match ch.server_name() {
        Some("legacy.test") => ClientHelloAction::SwapConfig(legacy.clone()),
        Some("blocked.test") => ClientHelloAction::Reject(AlertDescription::ACCESS_DENIED),
        _ => ClientHelloAction::Continue,
    });
    let (port, server) = serve_n(b.build().unwrap(), 3);

    let (_, err) = s_client_once(port, "blocked.test", &[]);
    assert!(err.contains("access denied"), "{err}");

    let (out, err) = s_client_once(port, "legacy.test", &[]);
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains("TLSv1.2"), "{text}\n{err}");
    assert_eq!(first_pem_cert(&out).as_deref(), Some(&legacy_der[..]));

    let (out, _) = s_client_once(port, "server.test", &[]);
    assert!(String::from_utf8_lossy(&out).contains("TLSv1.3"));
    assert_eq!(
        first_pem_cert(&out),
        Some(crate::util::leaf_der("server-p256.pem"))
    );

    let results = server.join().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(
        results[0].as_ref().unwrap_err().sent_alert(),
        Some(AlertDescription::ACCESS_DENIED)
    );
    assert!(results[1].is_ok() && results[2].is_ok(), "{results:?}");
}
