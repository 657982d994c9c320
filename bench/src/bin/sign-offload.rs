//! Request latency on open connections while new RSA-2048 handshakes keep
//! arriving, with the io_uring runtime's handshake signatures made inline in
//! the worker against made on its signing threads (`RuntimeConfig::sign_threads`),
//! side by side in one run.
//!
//! One worker (pinned to the first core) serves K keep-alive connections,
//! each sending a 16-byte request at a fixed rate (R per second) and
//! reading a 1 KiB answer, and H threads that open connections as fast as
//! they can (full TLS 1.3 handshakes, RSA-PSS signatures, no resumption)
//! and close them. The requests' rate is fixed so that both modes do the
//! same request work; a request's latency runs from the time it was due
//! (not when it could be sent), so a stalled worker counts for every
//! request it delayed. The table shows the percentiles and the handshake
//! rate for each mode.
//!
//! ```text
//! sign-offload [--seconds 10] [--connections 8] [--rate 500] [--handshakers 2] [--sign-threads 1]
//! ```
//! The clients run on the same machine: on a small one they take CPU from
//! the server too, which is the same for both modes.

#![forbid(unsafe_code)]

use baton::{CertChainAndKey, Config, Connection, Session};
use baton_ktls::uring::{Flow, Handler, Output, Runtime, RuntimeConfig, Service};
use baton_ktls::KtlsMode;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const REQUEST: usize = 16;
const ANSWER: usize = 1024;

/// Answers each 16-byte request with 1 KiB.
struct Answers;

struct AnswerHandler {
    partial: usize,
}

impl Handler for AnswerHandler {
    fn on_data(&mut self, input: &[u8], out: &mut Output) -> Flow {
        self.partial += input.len();
        while self.partial >= REQUEST {
            self.partial -= REQUEST;
            out.extend_from_slice(&[b'x'; ANSWER]);
        }
        Flow::Continue
    }
}

impl Service for Answers {
    type Handler = AnswerHandler;
    fn connect(&self, _peer: SocketAddr, _session: &Session) -> AnswerHandler {
        AnswerHandler { partial: 0 }
    }
}

struct Opts {
    seconds: u64,
    connections: usize,
    rate: u64,
    handshakers: usize,
    sign_threads: usize,
}

fn parse() -> Opts {
    let mut o = Opts {
        seconds: 10,
        connections: 8,
        rate: 500,
        handshakers: 2,
        sign_threads: 1,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let v = |what: &str| -> u64 {
            pair.get(1)
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{what} wants a number"))
        };
        match pair[0].as_str() {
            "--seconds" => o.seconds = v("--seconds"),
            "--connections" => o.connections = v("--connections") as usize,
            "--rate" => o.rate = v("--rate").max(1),
            "--handshakers" => o.handshakers = v("--handshakers") as usize,
            "--sign-threads" => o.sign_threads = v("--sign-threads") as usize,
            other => panic!("unknown option {other}"),
        }
    }
    assert!(
        o.sign_threads > 0,
        "--sign-threads is the offloading mode's count"
    );
    o
}

/// A fresh RSA-2048 certificate for localhost.
fn rsa_2048() -> CertChainAndKey {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("RSA-2048 key");
    let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("params");
    let cert = params.self_signed(&key).expect("self-signed certificate");
    CertChainAndKey::from_pem(cert.pem().as_bytes(), key.serialize_pem().as_bytes())
        .expect("loading the certificate")
}

fn client_config() -> Config {
    let mut b = Config::builder_minimal();
    // The server's costs are measured, not the client's (as wrk).
    b.disable_x509_verification();
    b.build().expect("client config")
}

fn connect(cfg: &Config, addr: SocketAddr) -> Option<Connection> {
    let tcp = TcpStream::connect(addr).ok()?;
    tcp.set_nodelay(true).ok()?;
    tcp.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut conn = Connection::new_client(cfg);
    conn.set_server_name("localhost").ok()?;
    conn.set_io(tcp);
    conn.negotiate().ok()?;
    Some(conn)
}

/// What one mode came to.
struct Result {
    latencies_us: Vec<u32>,
    handshakes: u64,
    offloaded: u64,
    failures: u64,
}

fn run(tls: &Config, sign_threads: usize, o: &Opts) -> Result {
    let cfg = RuntimeConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        workers: 1,
        pin: true,
        ktls: KtlsMode::Off,
        sign_threads,
        ..Default::default()
    };
    let rt = Runtime::start(cfg, tls.clone(), Arc::new(Answers)).expect("runtime");
    let addr = rt.local_addr();
    let client = client_config();
    let stop = Arc::new(AtomicBool::new(false));
    let measuring = Arc::new(AtomicBool::new(false));
    let handshakes = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(AtomicU64::new(0));

    let interval = Duration::from_micros(1_000_000 / o.rate);
    let requesters: Vec<_> = (0..o.connections)
        .map(|_| {
            let (client, stop, measuring) = (client.clone(), stop.clone(), measuring.clone());
            std::thread::spawn(move || {
                let mut conn = connect(&client, addr).expect("keep-alive connection");
                let mut lat = Vec::new();
                let mut buf = vec![0u8; ANSWER];
                let mut due = Instant::now();
                while !stop.load(Ordering::Relaxed) {
                    due += interval;
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                    let t = due;
                    conn.write_all(&[b'q'; REQUEST]).expect("request");
                    conn.flush().expect("flush");
                    conn.read_exact(&mut buf).expect("answer");
                    if measuring.load(Ordering::Relaxed) {
                        lat.push(t.elapsed().as_micros().min(u32::MAX as u128) as u32);
                    }
                }
                lat
            })
        })
        .collect();
    let generators: Vec<_> = (0..o.handshakers)
        .map(|_| {
            let (client, stop, measuring) = (client.clone(), stop.clone(), measuring.clone());
            let (handshakes, failures) = (handshakes.clone(), failures.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let ok = connect(&client, addr).is_some();
                    if measuring.load(Ordering::Relaxed) {
                        if ok {
                            handshakes.fetch_add(1, Ordering::Relaxed);
                        } else {
                            failures.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();
    // Warm-up, then the measured window.
    std::thread::sleep(Duration::from_secs(1));
    measuring.store(true, Ordering::Relaxed);
    std::thread::sleep(Duration::from_secs(o.seconds));
    measuring.store(false, Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    let mut latencies_us: Vec<u32> = requesters
        .into_iter()
        .flat_map(|t| t.join().expect("requester"))
        .collect();
    for g in generators {
        g.join().expect("handshaker");
    }
    let stats = rt.shutdown();
    latencies_us.sort_unstable();
    Result {
        latencies_us,
        handshakes: handshakes.load(Ordering::Relaxed),
        offloaded: stats.iter().map(|s| s.signatures_offloaded).sum(),
        failures: failures.load(Ordering::Relaxed),
    }
}

fn pct(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let o = parse();
    let tls = {
        let mut b = Config::builder_minimal();
        b.add_cert_chain_and_key(rsa_2048());
        b.build().expect("server config")
    };
    println!(
        "1 worker, {} keep-alive connections at {} requests/s each (16 B request, 1 KiB answer), \
         {} handshake threads (RSA-2048, TLS 1.3, full), {} s per mode, {} cores",
        o.connections,
        o.rate,
        o.handshakers,
        o.seconds,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "{:<22} {:>9} {:>8} {:>8} {:>8} {:>8} {:>11} {:>10}",
        "signatures",
        "requests",
        "p50 us",
        "p99 us",
        "p99.9 us",
        "max us",
        "handshakes/s",
        "offloaded"
    );
    for (name, threads) in [
        ("inline (0 threads)".to_string(), 0),
        (
            format!("offloaded ({} thread)", o.sign_threads),
            o.sign_threads,
        ),
    ] {
        let r = run(&tls, threads, &o);
        let l = &r.latencies_us;
        println!(
            "{:<22} {:>9} {:>8} {:>8} {:>8} {:>8} {:>11.0} {:>10}",
            name,
            l.len(),
            pct(l, 0.50),
            pct(l, 0.99),
            pct(l, 0.999),
            l.last().copied().unwrap_or(0),
            r.handshakes as f64 / o.seconds as f64,
            r.offloaded,
        );
        if r.failures > 0 {
            println!("  ({} handshakes failed)", r.failures);
        }
    }
}
