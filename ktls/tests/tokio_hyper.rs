//! A hyper HTTPS server whose records the kernel seals and opens: the
//! handshake through `baton::tokio::TlsAcceptor` (reading exactly to the
//! client's Finished), then `KtlsStream::from_tls`, then hyper over it;
//! `curl` downloads 1 MiB and uploads 2 MiB that come back.
//!
//! In the kTLS VMs both directions must be in the kernel and
//! `/proc/net/tls_stat` must count the sockets; on a kernel without kTLS
//! (this host) the same requests go through the stream's userspace fallback
//! after a visible line (a failure when BATON_REQUIRE_KTLS is set).
#![cfg(feature = "tokio")]

#[path = "../../tests/integration/util.rs"]
mod util;

use baton::tokio::TlsAcceptor;
use baton_ktls::tokio::KtlsStream;
use baton_ktls::{KtlsMode, KtlsOptions};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::process::Command;
use std::sync::{Arc, Mutex};
use util::*;

const DOWNLOAD: usize = 1 << 20;
const UPLOAD: usize = 2 << 20;

fn body(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.method() == Method::POST {
        let got = match req.into_body().collect().await {
            Ok(b) => b.to_bytes(),
            Err(_) => Bytes::from_static(b"bad body"),
        };
        return Ok(Response::new(Full::new(got)));
    }
    Ok(Response::new(Full::new(Bytes::from(body(DOWNLOAD)))))
}

/// Starts the server on its own thread; returns its port and where each
/// connection's record paths are written (`ktls_status()`'s text).
fn start_server() -> (u16, Arc<Mutex<Vec<String>>>) {
    let mut b = baton::Config::builder_minimal();
    b.add_cert_chain_and_key(
        baton::CertChainAndKey::from_pem_files(
            data("server-p256-chain.pem"),
            data("server-p256.key"),
        )
        .unwrap(),
    );
    b.set_alpn_preferences(&["http/1.1"]).unwrap();
    let acceptor = TlsAcceptor::new(b.build().unwrap()).exact_reads(true);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let paths = Arc::new(Mutex::new(Vec::new()));
    let seen = paths.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            // Ends with the test process (the thread is detached).
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let (acceptor, seen) = (acceptor.clone(), seen.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let stream =
                        match KtlsStream::from_tls(tls, KtlsMode::Auto, &KtlsOptions::default()) {
                            Ok(s) => s,
                            Err(e) => return seen.lock().unwrap().push(format!("error {e}")),
                        };
                    seen.lock().unwrap().push(stream.ktls_status().to_string());
                    let service = hyper::service::service_fn(handle);
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    (port, paths)
}

fn curl(port: u16, extra: &[&str]) -> Vec<u8> {
    let out = Command::new("curl")
        .args(["-sS", "--fail", "--http1.1", "--max-time", "60", "--cacert"])
        .arg(data("ca-ecdsa.pem"))
        .arg("--resolve")
        .arg(format!("localhost:{port}:127.0.0.1"))
        .args(extra)
        .arg(format!("https://localhost:{port}/"))
        .output()
        .expect("running curl");
    assert!(
        out.status.success(),
        "curl {extra:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn hyper_over_kernel_tls_with_curl() {
    if Command::new("curl").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("BATON_REQUIRE_KTLS").is_none(),
            "curl is needed for hyper_over_kernel_tls_with_curl"
        );
        eprintln!("SKIPPED hyper_over_kernel_tls_with_curl: no curl");
        return;
    }
    let support = baton_ktls::probe();
    let kernel = support.available();
    if !kernel {
        assert!(
            std::env::var_os("BATON_REQUIRE_KTLS").is_none(),
            "BATON_REQUIRE_KTLS is set, but {support}"
        );
        eprintln!(
            "SKIPPED kernel part of hyper_over_kernel_tls_with_curl: {support}; \
             the requests go through the userspace fallback here"
        );
    }
    let before = baton_ktls::tls_stat().unwrap_or_default();
    let (port, paths) = start_server();
    assert_eq!(curl(port, &[]), body(DOWNLOAD), "the download");
    let upload = scratch_dir().join("tokio-hyper-upload.bin");
    std::fs::write(&upload, body(UPLOAD)).unwrap();
    let echoed = curl(port, &["--data-binary", &format!("@{}", upload.display())]);
    assert!(echoed == body(UPLOAD), "the upload came back changed");
    let paths = paths.lock().unwrap().clone();
    assert_eq!(paths.len(), 2, "{paths:?}");
    for p in &paths {
        let want = if kernel {
            "send=kernel recv=kernel"
        } else {
            "send=userspace"
        };
        assert!(p.starts_with(want), "{p}");
    }
    if kernel {
        let after = baton_ktls::tls_stat().unwrap_or_default();
        let grew =
            |k: &str| after.get(k).copied().unwrap_or(0) - before.get(k).copied().unwrap_or(0);
        assert!(
            grew("TlsTxSw") >= 2 && grew("TlsRxSw") >= 2,
            "{before:?} -> {after:?}"
        );
        assert_eq!(grew("TlsDecryptError"), 0);
    }
}

/// The other side: a hyper client over `TlsConnector` (exact reads) and
/// `KtlsStream::from_tls`, against `openssl s_server -www`, whose TLS 1.3
/// NewSessionTickets arrive after the hand-off as control records.
#[test]
fn hyper_client_over_kernel_tls_against_openssl_s_server() {
    if !openssl_available("hyper_client_over_kernel_tls_against_openssl_s_server") {
        return;
    }
    let kernel = baton_ktls::probe().available();
    assert!(
        kernel || std::env::var_os("BATON_REQUIRE_KTLS").is_none(),
        "BATON_REQUIRE_KTLS is set, but the kernel has no kTLS"
    );
    let server = s_server(&[
        "-www",
        "-cert",
        &data("server-p256.pem").display().to_string(),
        "-cert_chain",
        &data("intermediate-p256.pem").display().to_string(),
        "-key",
        &data("server-p256.key").display().to_string(),
    ]);
    let port = server.port;
    let mut b = baton::Config::builder_minimal();
    b.add_pem_to_trust_store(&std::fs::read(data("ca-ecdsa.pem")).unwrap())
        .unwrap();
    let connector = baton::tokio::TlsConnector::new(b.build().unwrap()).exact_reads(true);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (status, page, paths) = rt.block_on(async move {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let tls = connector.connect("localhost", tcp).await.unwrap();
        let tls = KtlsStream::from_tls(tls, KtlsMode::Auto, &KtlsOptions::default())
            .unwrap_or_else(|e| panic!("hand-off: {e}"));
        let paths = tls.ktls_status().to_string();
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .unwrap();
        let conn = tokio::spawn(conn);
        let req = Request::get("/")
            .header(hyper::header::HOST, "localhost")
            .body(http_body_util::Empty::<Bytes>::new())
            .unwrap();
        let resp =
            tokio::time::timeout(std::time::Duration::from_secs(60), sender.send_request(req))
                .await
                .expect("the answer within a minute (a hang guard)")
                .unwrap();
        let status = resp.status();
        let page = resp.into_body().collect().await.unwrap().to_bytes();
        drop(sender);
        let _ = conn.await;
        (status, page, paths)
    });
    assert_eq!(status, 200);
    // -www's status page names the negotiated protocol and cipher.
    let page = String::from_utf8_lossy(&page);
    assert!(page.contains("TLSv1.3"), "{page}");
    if kernel {
        assert_eq!(paths, "send=kernel recv=kernel");
    } else {
        assert!(paths.starts_with("send=userspace"), "{paths}");
    }
}
