//! Signatures on the runtime's signing threads: `openssl s_client` (TLS 1.3
//! and 1.2, RSA) and curl against a runtime that offloads them, resumed
//! through the eventfd (never the wake-up timer), and the same with
//! offloading off or left to the config's own callback.

use super::*;
use baton::pkey::{PrivateKeyCallback, PrivateKeyOp};

fn rsa_config(callback: Option<Arc<PrivateKeyCallback>>) -> Config {
    let mut b = Config::builder_minimal();
    b.add_cert_chain_and_key(
        CertChainAndKey::from_pem_files(data("server-rsa.pem"), data("server-rsa.key")).unwrap(),
    );
    if let Some(cb) = callback {
        b.set_private_key_callback(cb);
    }
    b.build().unwrap()
}

fn start_signing(tls: Config, sign_threads: usize) -> Runtime {
    let cfg = RuntimeConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        workers: 1,
        ktls: KtlsMode::Auto,
        sign_threads,
        shutdown_grace: Duration::from_secs(30),
        ..Default::default()
    };
    Runtime::start(cfg, tls, Arc::new(EchoUpTo(5))).expect("starting the runtime")
}

/// `openssl s_client VERSION` sends "hello" through the echo; its output.
fn s_client_echo(port: u16, version: &str) -> util::Output {
    let ca = data("ca-rsa.pem");
    let mut cli = s_client(
        port,
        &[
            version,
            "-servername",
            "localhost",
            "-CAfile",
            ca.to_str().unwrap(),
            "-verify_return_error",
            "-quiet",
            "-ign_eof",
        ],
    );
    cli.write_stdin(b"hello");
    cli.close_stdin();
    cli.wait(TIMEOUT)
}

#[test]
fn openssl_s_client_through_a_runtime_that_signs_on_its_threads() {
    if !openssl_available("openssl_s_client_through_a_runtime_that_signs_on_its_threads") {
        return;
    }
    for threads in [2, 0] {
        let rt = start_signing(rsa_config(None), threads);
        let port = rt.local_addr().port();
        for version in ["-tls1_3", "-tls1_2"] {
            let out = s_client_echo(port, version);
            assert_eq!(out.stdout, b"hello", "{version}: {}", out.stderr);
        }
        let stats = rt.shutdown();
        assert_eq!(total(&stats, |s| s.handshakes), 2, "{stats:?}");
        let offloaded = if threads > 0 { 2 } else { 0 };
        assert_eq!(
            total(&stats, |s| s.signatures_offloaded),
            offloaded,
            "{stats:?}"
        );
        // Resumed by the signing threads' eventfd, not the polling timer.
        assert_eq!(total(&stats, |s| s.handshakes_parked), 0, "{stats:?}");
    }
}

#[test]
fn curl_through_a_runtime_that_signs_on_its_threads() {
    let curl = std::process::Command::new("curl").arg("--version").output();
    if curl.is_err() {
        eprintln!("SKIPPED: curl not found");
        return;
    }
    let rt = start_signing(rsa_config(None), 1);
    let port = rt.local_addr().port();
    let ca = data("ca-rsa.pem");
    // The echo sends the first 5 bytes of the request back and closes:
    // curl sees a reply that is not HTTP, after a good handshake.
    let out = std::process::Command::new("curl")
        .args(["-sS", "--max-time", "10", "--http1.1", "--cacert"])
        .arg(&ca)
        .arg(format!("https://localhost:{port}/"))
        .output()
        .unwrap();
    let stats = rt.shutdown();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("SSL"), "curl: {stderr}");
    assert_eq!(
        total(&stats, |s| s.handshakes),
        1,
        "{stats:?}; curl: {stderr}"
    );
    assert_eq!(total(&stats, |s| s.signatures_offloaded), 1, "{stats:?}");
}

#[test]
fn the_configs_own_callback_is_asked_instead() {
    let asked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let a = Arc::clone(&asked);
    let cb: Arc<PrivateKeyCallback> = Arc::new(move |op: PrivateKeyOp| {
        a.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        std::thread::spawn(move || op.sign());
    });
    let rt = start_signing(rsa_config(Some(cb)), 2);
    let port = rt.local_addr().port();
    let mut cfg = Config::builder_minimal();
    cfg.add_pem_to_trust_store(&std::fs::read(data("ca-rsa.pem")).unwrap())
        .unwrap();
    let mut conn = baton_client(&cfg.build().unwrap(), port, |c| {
        c.set_server_name("localhost").unwrap();
    })
    .expect("handshake");
    send_all(&mut conn, b"hello").unwrap();
    assert_eq!(recv_exact(&mut conn, 5).unwrap(), b"hello");
    let stats = rt.shutdown();
    assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(total(&stats, |s| s.signatures_offloaded), 0, "{stats:?}");
}
