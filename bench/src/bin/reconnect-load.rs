//! The reconnecting load client of `bench/serve-vs-nginx --reconnect-every N`:
//! like wrk (HTTP/1.1 GETs, a fixed number of connections, a fixed time),
//! but each connection is closed after N requests and opened again,
//! resuming the session the previous one left. wrk cannot do that: its
//! OpenSSL client never offers a saved session.
//!
//! The TLS client is rustls (neither server's library), each connection
//! thread with its own in-memory session store, so every reconnect offers
//! the ticket its own previous connection received (TLS 1.3 tickets are used
//! once). The certificate is not verified (wrk does not verify either): the
//! client's costs are not what is measured, the server's are.
//!
//! ```text
//! reconnect-load --addr 127.0.0.1:PORT --path /1k.bin --connections 16 \
//!     --duration 10 --reconnect-every 10 [--tls 1.2|1.3] [--no-resume]
//! ```
//! Prints `RESULT requests bytes duration_us errors handshakes resumed`.

#![forbid(unsafe_code)]

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Opts {
    addr: String,
    path: String,
    connections: usize,
    duration: Duration,
    every: u64,
    tls12: bool,
    resume: bool,
}

fn parse() -> Opts {
    let mut o = Opts {
        addr: String::new(),
        path: "/".into(),
        connections: 16,
        duration: Duration::from_secs(10),
        every: 1,
        tls12: false,
        resume: true,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    let val = |i: usize| -> &str {
        args.get(i + 1)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("{} needs a value", args[i]))
    };
    while i < args.len() {
        // Every option but --no-resume takes a value.
        let step = if args[i] == "--no-resume" { 1 } else { 2 };
        match args[i].as_str() {
            "--addr" => o.addr = val(i).into(),
            "--path" => o.path = val(i).into(),
            "--connections" => o.connections = val(i).parse().expect("--connections N"),
            "--duration" => o.duration = Duration::from_secs(val(i).parse().expect("--duration S")),
            "--reconnect-every" => o.every = val(i).parse().expect("--reconnect-every N"),
            "--tls" => o.tls12 = val(i) == "1.2",
            "--no-resume" => o.resume = false,
            other => panic!("unknown option {other}"),
        }
        i += step;
    }
    assert!(!o.addr.is_empty(), "--addr HOST:PORT");
    assert!(o.every > 0 && o.connections > 0, "positive counts");
    o
}

/// A client configuration with its own session store (one per thread).
fn config(o: &Opts) -> Arc<ClientConfig> {
    let versions: &[&'static rustls::SupportedProtocolVersion] = if o.tls12 {
        &[&rustls::version::TLS12]
    } else {
        &[&rustls::version::TLS13]
    };
    let mut c = baton_bench::load_client::unverified_client(versions);
    c.resumption = if o.resume {
        rustls::client::Resumption::in_memory_sessions(16)
    } else {
        rustls::client::Resumption::disabled()
    };
    Arc::new(c)
}

#[derive(Default)]
struct Counts {
    requests: u64,
    bytes: u64,
    errors: u64,
    handshakes: u64,
    resumed: u64,
}

/// Reads one response; its body length (headers + body bytes in `bytes`).
fn response<R: BufRead>(r: &mut R, bytes: &mut u64) -> std::io::Result<()> {
    let mut line = String::new();
    let mut len: Option<u64> = None;
    let mut status_ok = false;
    let mut first = true;
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        *bytes += line.len() as u64;
        if first {
            status_ok = line.split(' ').nth(1).is_some_and(|s| s.starts_with('2'));
            first = false;
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().ok();
            }
        }
    }
    let len = len.ok_or(std::io::ErrorKind::InvalidData)?;
    let n = std::io::copy(&mut r.by_ref().take(len), &mut std::io::sink())?;
    *bytes += n;
    if n != len || !status_ok {
        return Err(std::io::ErrorKind::InvalidData.into());
    }
    Ok(())
}

/// One connection: a handshake, up to `every` requests, a close.
fn connection(o: &Opts, cfg: &Arc<ClientConfig>, end: Instant, c: &mut Counts) -> bool {
    let name = ServerName::try_from("localhost").expect("name");
    let Ok(tcp) = TcpStream::connect(&o.addr) else {
        c.errors += 1;
        return false;
    };
    let _ = tcp.set_nodelay(true);
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(30)));
    let conn = ClientConnection::new(cfg.clone(), name).expect("client");
    let mut tls = BufReader::with_capacity(64 * 1024, StreamOwned::new(conn, tcp));
    let req = format!(
        "GET {} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: reconnect-load\r\n\r\n",
        o.path
    );
    for i in 0..o.every {
        if i > 0 && Instant::now() >= end {
            break;
        }
        let ok = tls.get_mut().write_all(req.as_bytes()).is_ok()
            && response(&mut tls, &mut c.bytes).is_ok();
        if i == 0 {
            c.handshakes += 1;
            if tls.get_ref().conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed) {
                c.resumed += 1;
            }
        }
        if !ok {
            c.errors += 1;
            return false;
        }
        c.requests += 1;
    }
    // A clean close, as a browser closing an idle connection.
    let s = tls.get_mut();
    s.conn.send_close_notify();
    let _ = s.conn.complete_io(&mut s.sock);
    true
}

fn main() {
    let o = Arc::new(parse());
    let start = Instant::now();
    let end = start + o.duration;
    let threads: Vec<_> = (0..o.connections)
        .map(|_| {
            let o = o.clone();
            std::thread::spawn(move || {
                let cfg = config(&o);
                let mut c = Counts::default();
                while Instant::now() < end {
                    if !connection(&o, &cfg, end, &mut c) {
                        // Do not spin on a server that refuses.
                        std::thread::sleep(Duration::from_millis(10));
                    }
                }
                c
            })
        })
        .collect();
    let mut t = Counts::default();
    for h in threads {
        let c = h.join().expect("load thread");
        t.requests += c.requests;
        t.bytes += c.bytes;
        t.errors += c.errors;
        t.handshakes += c.handshakes;
        t.resumed += c.resumed;
    }
    let us = start.elapsed().as_micros();
    println!(
        "RESULT {} {} {} {} {} {}",
        t.requests, t.bytes, us, t.errors, t.handshakes, t.resumed
    );
}
