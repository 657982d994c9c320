//! The idle side of `bench/serve-vs-nginx --idle-connections N`: opens N
//! TLS 1.3 keep-alive connections (rustls, certificate not verified, as
//! wrk), makes one request on each so the server holds each past its
//! handshake and first response, prints `READY opened failed`, and holds
//! them all open, idle, for `--hold` seconds (or until killed).
//!
//! ```text
//! idle-conns --addr 127.0.0.1:PORT --connections 10000 --path /1k.bin \
//!     [--threads 4] [--hold 120]
//! ```

#![forbid(unsafe_code)]

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

type Conn = StreamOwned<ClientConnection, TcpStream>;

/// One connection with one request answered; None on any failure.
fn open(addr: &str, cfg: &Arc<ClientConfig>, req: &[u8]) -> Option<Conn> {
    let tcp = TcpStream::connect(addr).ok()?;
    tcp.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let name = ServerName::try_from("localhost").ok()?;
    let mut s = StreamOwned::new(ClientConnection::new(cfg.clone(), name).ok()?, tcp);
    s.write_all(req).ok()?;
    // The head, then Content-Length bytes of body.
    let mut got = Vec::with_capacity(2048);
    let mut buf = [0u8; 4096];
    let (head_end, len) = loop {
        let n = s.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        got.extend_from_slice(&buf[..n]);
        if let Some(at) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&got[..at]).to_ascii_lowercase();
            if !head.starts_with("http/1.1 200") {
                return None;
            }
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))?
                .trim()
                .parse()
                .ok()?;
            break (at + 4, len);
        }
        if got.len() > 64 * 1024 {
            return None;
        }
    };
    while got.len() < head_end + len {
        let n = s.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        got.extend_from_slice(&buf[..n]);
    }
    Some(s)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |name: &str, default: &str| -> String {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .unwrap_or_else(|| default.to_string())
    };
    let addr = get("--addr", "");
    assert!(!addr.is_empty(), "--addr HOST:PORT");
    let count: usize = get("--connections", "10000")
        .parse()
        .expect("--connections N");
    let threads: usize = get("--threads", "4").parse().expect("--threads N");
    let hold: u64 = get("--hold", "120").parse().expect("--hold S");
    let path = get("--path", "/1k.bin");
    let cfg = Arc::new(baton_bench::load_client::unverified_client(&[
        &rustls::version::TLS13,
    ]));
    let req = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: idle-conns\r\n\r\n");
    let handles: Vec<_> = (0..threads.max(1))
        .map(|t| {
            let (addr, cfg, req) = (addr.clone(), cfg.clone(), req.clone());
            let n = count / threads.max(1) + usize::from(t < count % threads.max(1));
            std::thread::spawn(move || {
                let mut held = Vec::with_capacity(n);
                let mut failed = 0usize;
                for _ in 0..n {
                    match open(&addr, &cfg, req.as_bytes()) {
                        Some(c) => held.push(c),
                        None => failed += 1,
                    }
                }
                (held, failed)
            })
        })
        .collect();
    let mut held = Vec::new();
    let mut failed = 0;
    for h in handles {
        let (c, f) = h.join().expect("opener thread");
        held.extend(c);
        failed += f;
    }
    println!("READY {} {failed}", held.len());
    std::io::stdout().flush().ok();
    std::thread::sleep(Duration::from_secs(hold));
    drop(held);
}
