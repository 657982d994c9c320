//! The same hyper HTTP/1.1 server over `baton::tokio` and over tokio-rustls,
//! loaded by `h2load --h1` in paired rounds in one run: requests per second
//! and the server thread's CPU time per request, Baton relative to rustls.
//!
//! Both servers: TLS 1.3, TLS_AES_128_GCM_SHA256, X25519, the ECDSA P-256
//! test certificate, a tokio current_thread runtime on one thread pinned to
//! CPU 0; h2load runs pinned to CPU 1 (when there are two). Each round runs
//! both servers, the order alternating, so drift in the machine's load hits
//! both alike. CPU time is the server thread's own (`schedstat`), so the
//! load generator's cost is not counted.
//!
//! ```text
//! hyper-vs-rustls [--rounds 5] [--requests 20000] [--connections 8] [--body 1024] [--exact-reads 1]
//! ```
//!
//! `--exact-reads 1` makes Baton's stream read no further than each record
//! (`TlsAcceptor::exact_reads`, what a kernel TLS hand-off needs), to see
//! what that costs.

#![forbid(unsafe_code)]

use baton::{CertChainAndKey, CipherSuite, Config, NamedGroup, ProtocolVersion, SecurityPolicy};
use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::convert::Infallible;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Stack {
    Baton,
    Rustls,
}

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data")
        .join(name)
}

fn baton_acceptor(exact: bool) -> baton::tokio::TlsAcceptor {
    let policy: &'static SecurityPolicy = Box::leak(Box::new(SecurityPolicy {
        name: "bench",
        min_version: ProtocolVersion::TLSV1_3,
        max_version: ProtocolVersion::TLSV1_3,
        cipher_suites: &[CipherSuite::TLS13_AES_128_GCM_SHA256],
        groups: &[NamedGroup::X25519],
        ..*baton::policy::default_policy()
    }));
    let mut b = Config::builder_minimal();
    b.custom_security_policy(policy).expect("bench policy");
    b.add_cert_chain_and_key(
        CertChainAndKey::from_pem_files(data("server-p256-chain.pem"), data("server-p256.key"))
            .expect("test certificate"),
    );
    b.set_alpn_preferences(&["http/1.1"]).unwrap();
    baton::tokio::TlsAcceptor::new(b.build().expect("baton config")).exact_reads(exact)
}

fn rustls_acceptor() -> tokio_rustls::TlsAcceptor {
    let mut p = rustls::crypto::aws_lc_rs::default_provider();
    p.cipher_suites
        .retain(|s| s.suite() == rustls::CipherSuite::TLS13_AES_128_GCM_SHA256);
    p.kx_groups = vec![rustls::crypto::aws_lc_rs::kx_group::X25519];
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(data("server-p256-chain.pem"))
            .unwrap()
            .map(|c| c.unwrap())
            .collect();
    let key = PrivateKeyDer::from_pem_file(data("server-p256.key")).unwrap();
    let mut cfg = rustls::ServerConfig::builder_with_provider(Arc::new(p))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    tokio_rustls::TlsAcceptor::from(Arc::new(cfg))
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin + Send + 'static>(io: S, body: Bytes) {
    let svc = hyper::service::service_fn(move |_req| {
        let b = body.clone();
        async move { Ok::<_, Infallible>(hyper::Response::new(Full::new(b))) }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(io), svc)
        .await;
}

/// Starts one server thread pinned to `cpu`; returns its port and the
/// `/proc` path of its thread.
fn start(stack: Stack, body: Bytes, cpu: Option<usize>, exact: bool) -> (u16, PathBuf) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        if let Some(cpu) = cpu {
            let mut set = nix::sched::CpuSet::new();
            set.set(cpu).expect("cpu index");
            nix::sched::sched_setaffinity(nix::unistd::Pid::from_raw(0), &set)
                .expect("pinning the server thread");
        }
        let task = std::fs::read_link("/proc/thread-self").expect("/proc/thread-self");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send((listener.local_addr().unwrap().port(), task))
                .unwrap();
            let baton = baton_acceptor(exact);
            let rustls = rustls_acceptor();
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let _ = tcp.set_nodelay(true);
                let body = body.clone();
                match stack {
                    Stack::Baton => {
                        let acc = baton.clone();
                        tokio::spawn(async move {
                            if let Ok(tls) = acc.accept(tcp).await {
                                serve(tls, body).await;
                            }
                        });
                    }
                    Stack::Rustls => {
                        let acc = rustls.clone();
                        tokio::spawn(async move {
                            if let Ok(tls) = acc.accept(tcp).await {
                                serve(tls, body).await;
                            }
                        });
                    }
                }
            }
        });
    });
    let (port, task) = rx.recv().expect("server thread started");
    (port, PathBuf::from("/proc").join(task))
}

/// Nanoseconds the thread has run on a CPU.
fn cpu_ns(task: &std::path::Path) -> u64 {
    let s = std::fs::read_to_string(task.join("schedstat")).expect("schedstat");
    s.split_whitespace().next().unwrap().parse().unwrap()
}

struct Round {
    rps: f64,
    cpu_per_req_us: f64,
}

fn load(
    port: u16,
    requests: u64,
    conns: u64,
    client_cpu: Option<usize>,
    task: &std::path::Path,
) -> Round {
    let url = format!("https://127.0.0.1:{port}/");
    let mut cmd = match client_cpu {
        Some(cpu) => {
            let mut c = Command::new("taskset");
            c.args(["-c", &cpu.to_string(), "h2load"]);
            c
        }
        None => Command::new("h2load"),
    };
    cmd.args([
        "--h1",
        "-t",
        "1",
        "-n",
        &requests.to_string(),
        "-c",
        &conns.to_string(),
        &url,
    ]);
    let before = cpu_ns(task);
    let out = cmd
        .output()
        .expect("running h2load (apt install nghttp2-client)");
    let cpu = cpu_ns(task) - before;
    let text = String::from_utf8_lossy(&out.stdout);
    let rps: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("finished in "))
        .and_then(|l| l.split(", ").nth(1))
        .and_then(|r| r.strip_suffix(" req/s"))
        .and_then(|r| r.trim().parse().ok())
        .unwrap_or_else(|| panic!("no req/s in h2load's output: {text}"));
    let ok: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("requests: "))
        .and_then(|l| l.split(", ").find_map(|f| f.strip_suffix(" succeeded")))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    assert_eq!(ok, requests, "h2load: not every request succeeded: {text}");
    Round {
        rps,
        cpu_per_req_us: cpu as f64 / 1000.0 / ok as f64,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let mut rounds = 5usize;
    let mut requests = 20_000u64;
    let mut conns = 8u64;
    let mut body_len = 1024usize;
    let mut exact = false;
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let v = pair.get(1).map(String::as_str).unwrap_or("");
        let bad = || -> ! {
            panic!("usage: hyper-vs-rustls [--rounds N] [--requests N] [--connections N] [--body BYTES] [--exact-reads 0|1]")
        };
        match pair[0].as_str() {
            "--rounds" => rounds = v.parse().unwrap_or_else(|_| bad()),
            "--requests" => requests = v.parse().unwrap_or_else(|_| bad()),
            "--connections" => conns = v.parse().unwrap_or_else(|_| bad()),
            "--body" => body_len = v.parse().unwrap_or_else(|_| bad()),
            "--exact-reads" => exact = v == "1",
            _ => bad(),
        }
    }
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (server_cpu, client_cpu) = if cpus >= 2 {
        (Some(0), Some(1))
    } else {
        (None, None)
    };
    let body = Bytes::from(vec![b'x'; body_len]);
    let (bport, btask) = start(Stack::Baton, body.clone(), server_cpu, exact);
    let (rport, rtask) = start(Stack::Rustls, body, server_cpu, exact);
    println!(
        "hyper over baton::tokio vs tokio-rustls: {rounds} rounds x {requests} requests, {conns} connections, {body_len}-byte bodies, exact reads {exact}, server on CPU {server_cpu:?}, h2load on CPU {client_cpu:?}"
    );
    // Warm-up (first-connection costs, page faults), not counted.
    load(bport, 2000, conns, client_cpu, &btask);
    load(rport, 2000, conns, client_cpu, &rtask);
    let (mut b, mut r) = (Vec::new(), Vec::new());
    for i in 0..rounds {
        let order = if i % 2 == 0 {
            [Stack::Baton, Stack::Rustls]
        } else {
            [Stack::Rustls, Stack::Baton]
        };
        for s in order {
            let round = match s {
                Stack::Baton => load(bport, requests, conns, client_cpu, &btask),
                Stack::Rustls => load(rport, requests, conns, client_cpu, &rtask),
            };
            println!(
                "round {i} {s:?}: {:.0} req/s, {:.2} us server CPU/request",
                round.rps, round.cpu_per_req_us
            );
            match s {
                Stack::Baton => b.push(round),
                Stack::Rustls => r.push(round),
            }
        }
    }
    let med = |v: &[Round], f: fn(&Round) -> f64| median(v.iter().map(f).collect());
    let (b_rps, r_rps) = (med(&b, |x| x.rps), med(&r, |x| x.rps));
    let (b_cpu, r_cpu) = (med(&b, |x| x.cpu_per_req_us), med(&r, |x| x.cpu_per_req_us));
    println!("median baton::tokio: {b_rps:.0} req/s, {b_cpu:.2} us CPU/request");
    println!("median tokio-rustls: {r_rps:.0} req/s, {r_cpu:.2} us CPU/request");
    println!(
        "RATIO baton/rustls: requests/s {:.3}, CPU/request {:.3}",
        b_rps / r_rps,
        b_cpu / r_cpu
    );
}
