//! The quick table runner: every figure for Baton, s2n-tls, rustls and OpenSSL
//! and the raw aws-lc-rs ceiling, measured in one run, as Markdown tables with
//! the ratios Baton/peer.
//!
//! ```text
//! cargo run --release -p baton-bench -- [--quick] [--filter TEXT] [--svg PATH]
//! cargo run --release -p baton-bench -- --callgrind LIB OP --iters N
//! ```
//! `--callgrind` runs one operation N times after setup, for
//! `valgrind --tool=callgrind` (see `bench/callgrind.sh`, which subtracts two
//! runs to get instructions per operation). LIB: baton, s2n, rustls, openssl;
//! OP: hs13-ecdsa, hs13-rsa, hs12-ecdsa, rec16k, the resumed handshakes
//! res13-ecdsa, res12-ecdsa, and raw12, raw12-client, raw12-server (the raw
//! crypto of a TLS 1.2 resumed handshake, both sides or one; any LIB).

#![forbid(unsafe_code)]

use baton_bench::baton_lib::{Baton, BatonResume};
use baton_bench::ceiling::{self, PkCosts};
use baton_bench::measure::{self, MemState};
use baton_bench::openssl_lib::{OpenSsl, OpenSslResume};
use baton_bench::rustls_lib::{Rustls, RustlsResume};
use baton_bench::s2n_lib::{S2n, S2nResume};
use baton_bench::svg::{self, Series};
use baton_bench::{Case, Group, Library, Pair, Resume, Side, SideTimes, Suite};
use std::time::Duration;

const LIBS: [&str; 4] = ["Baton", "s2n-tls", "rustls", "OpenSSL"];

/// Calls `$f::<L>($args)` for each library, in `LIBS` order.
macro_rules! per_lib {
    ($($f:ident)::+, $($arg:expr),*) => {
        [
            guarded(|| $($f)::+::<Baton>($($arg),*)),
            guarded(|| $($f)::+::<S2n>($($arg),*)),
            guarded(|| $($f)::+::<Rustls>($($arg),*)),
            guarded(|| $($f)::+::<OpenSsl>($($arg),*)),
        ]
    };
}

/// A library that panics (a failed handshake, a short read) loses that
/// figure, not the whole table.
fn guarded<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|p| {
        let msg = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        Err(format!("failed: {msg}"))
    })
}

struct Opts {
    budget: Duration,
    filter: Option<String>,
    svg: Option<String>,
}

fn main() {
    // Failures are reported in the table's notes; keep stderr for real problems.
    std::panic::set_hook(Box::new(|_| {}));
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut opts = Opts {
        budget: Duration::from_millis(300),
        filter: None,
        svg: None,
    };
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--quick" => opts.budget = Duration::from_millis(60),
            "--filter" => {
                i += 1;
                opts.filter = args.get(i).cloned();
            }
            "--svg" => {
                i += 1;
                opts.svg = args.get(i).cloned();
            }
            "--budget-ms" => {
                i += 1;
                let ms = args
                    .get(i)
                    .and_then(|s| s.parse().ok())
                    .expect("--budget-ms N");
                opts.budget = Duration::from_millis(ms);
            }
            "--callgrind" => {
                let lib = args.get(i + 1).expect("--callgrind LIB OP");
                let op = args.get(i + 2).expect("--callgrind LIB OP");
                let iters = match args.get(i + 3).map(String::as_str) {
                    Some("--iters") => args
                        .get(i + 4)
                        .and_then(|s| s.parse().ok())
                        .expect("--iters N"),
                    _ => 1,
                };
                return callgrind(lib, op, iters);
            }
            "-h" | "--help" => {
                println!(
                    "usage: baton-bench [--quick] [--budget-ms N] [--filter TEXT] [--svg PATH]\n       \
                     baton-bench --callgrind baton|s2n|rustls|openssl hs13-ecdsa|hs13-rsa|hs12-ecdsa|rec16k|res13-ecdsa|res12-ecdsa|raw12[-client|-server] --iters N"
                );
                return;
            }
            other => panic!("unknown option {other} (try --help)"),
        }
        i += 1;
    }
    run_tables(&opts);
}

fn wanted(opts: &Opts, label: &str) -> bool {
    opts.filter
        .as_ref()
        .is_none_or(|f| label.to_lowercase().contains(&f.to_lowercase()))
}

fn fmt(v: &Result<f64, String>, scale: f64, prec: usize) -> String {
    match v {
        Ok(x) => format!("{:.*}", prec, x / scale),
        Err(_) => "n/a".into(),
    }
}

fn ratio(a: &Result<f64, String>, b: &Result<f64, String>) -> String {
    match (a, b) {
        (Ok(a), Ok(b)) if *b > 0.0 => format!("{:.2}", a / b),
        _ => "n/a".into(),
    }
}

fn header(first: &str, unit: &str) {
    println!(
        "| {first} | Baton {unit} | s2n-tls | rustls | OpenSSL | ceiling | Baton/s2n-tls | Baton/rustls | Baton/OpenSSL | Baton/ceiling |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
}

fn row(
    label: &str,
    v: &[Result<f64, String>; 4],
    ceil: &Result<f64, String>,
    scale: f64,
    prec: usize,
) {
    println!(
        "| {label} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
        fmt(&v[0], scale, prec),
        fmt(&v[1], scale, prec),
        fmt(&v[2], scale, prec),
        fmt(&v[3], scale, prec),
        fmt(ceil, scale, prec),
        ratio(&v[0], &v[1]),
        ratio(&v[0], &v[2]),
        ratio(&v[0], &v[3]),
        ratio(&v[0], ceil),
    );
}

fn notes(what: &str, v: &[Result<f64, String>; 4], seen: &mut Vec<String>) {
    for (name, r) in LIBS.iter().zip(v) {
        if let Err(e) = r {
            let n = format!("{name}, {what}: {e}");
            if !seen.contains(&n) {
                seen.push(n);
            }
        }
    }
}

/// X25519MLKEM768 against X25519 (TLS 1.3, AES-128-GCM, ECDSA P-256), both
/// measured in this run: handshakes/s per side for Baton, s2n-tls and rustls,
/// each library's hybrid/X25519 ratio, and Baton's ratio to each peer.
fn pq_table(budget: Duration, missing: &mut Vec<String>) {
    println!(
        "### Post-quantum key exchange (full handshakes per second of that side's CPU time)\n"
    );
    println!("| side, group | Baton | s2n-tls | rustls | Baton/s2n-tls | Baton/rustls |");
    println!("|---|---:|---:|---:|---:|---:|");
    let [classical, hybrid] = Case::HANDSHAKES_PQ.map(|case| {
        let r = per_lib!(measure::handshakes, case, budget);
        notes(
            &case.label(),
            &r.clone().map(|x| x.map(|x| x.client)),
            missing,
        );
        r
    });
    for (side, pick) in [
        (
            "client",
            (|h: &measure::Handshakes| h.client) as fn(&measure::Handshakes) -> f64,
        ),
        ("server", |h: &measure::Handshakes| h.server),
    ] {
        let get =
            |r: &[Result<measure::Handshakes, String>; 4]| r.clone().map(|x| x.map(|h| pick(&h)));
        let (c, h) = (get(&classical), get(&hybrid));
        for (label, v) in [(Group::X25519, &c), (Group::X25519MlKem768, &h)] {
            println!(
                "| {side}, {} | {} | {} | {} | {} | {} |",
                label.label(),
                fmt(&v[0], 1.0, 0),
                fmt(&v[1], 1.0, 0),
                fmt(&v[2], 1.0, 0),
                ratio(&v[0], &v[1]),
                ratio(&v[0], &v[2]),
            );
        }
        println!(
            "| {side}, X25519MLKEM768 / X25519 | {} | {} | {} | | |",
            ratio(&h[0], &c[0]),
            ratio(&h[1], &c[1]),
            ratio(&h[2], &c[2]),
        );
    }
    println!(
        "\nEach library restricted to the one group (s2n-tls by policy: `default_tls13` for X25519, \
         `default_pq` for the hybrid, whose client also sends a secp256r1 share, as s2n always \
         does). OpenSSL here has no ML-KEM (3.0).\n"
    );
}

fn run_tables(opts: &Opts) {
    let b = opts.budget;
    let mut missing = Vec::new();
    println!("### Record layer (MB/s, 10^6 bytes/s; in-memory transport)\n");
    header("suite, write size, direction", "MB/s");
    for suite in Suite::ALL {
        for write in [1024usize, 16 * 1024] {
            let label = format!("{}, {} KiB", suite.label(), write / 1024);
            if !wanted(opts, &label) {
                continue;
            }
            let case = Case::records(suite);
            let r = per_lib!(measure::bulk, case, write, b);
            let send = r.clone().map(|x| x.map(|x| x.send));
            let recv = r.map(|x| x.map(|x| x.recv));
            notes(&label, &send, &mut missing);
            row(
                &format!("{label}, send"),
                &send,
                &Ok(ceiling::seal(suite, write, b)),
                1e6,
                0,
            );
            row(
                &format!("{label}, receive"),
                &recv,
                &Ok(ceiling::open(suite, write, b)),
                1e6,
                0,
            );
        }
    }
    println!("\nCeiling: raw aws-lc-rs AEAD seal (send) / open (receive) of the same sizes.\n");
    if wanted(opts, "event loop") || opts.filter.is_none() {
        println!("### Baton's record layer alone (event-loop API, no transport; MB/s)\n");
        println!("| suite, write size | send | ceiling (seal) | send/ceiling | receive | ceiling (open) | receive/ceiling |");
        println!("|---|---:|---:|---:|---:|---:|---:|");
        for suite in Suite::ALL {
            for write in [1024usize, 16 * 1024] {
                let case = Case::records(suite);
                let r = guarded(|| baton_bench::baton_lib::event_loop_bulk(case, write, b));
                let (seal, open) = (
                    ceiling::seal(suite, write, b),
                    ceiling::open(suite, write, b),
                );
                match r {
                    Ok(x) => println!(
                        "| {}, {} KiB | {:.0} | {:.0} | {:.2} | {:.0} | {:.0} | {:.2} |",
                        suite.label(),
                        write / 1024,
                        x.send / 1e6,
                        seal / 1e6,
                        x.send / seal,
                        x.recv / 1e6,
                        open / 1e6,
                        x.recv / open
                    ),
                    Err(e) => println!(
                        "| {}, {} KiB | n/a ({e}) | | | | | |",
                        suite.label(),
                        write / 1024
                    ),
                }
            }
        }
        println!(
            "\nSend: `seal_plaintext` + `take_pending_tls` (buffers swapped, not copied). Receive: \
             `feed_tls` (one copy in) + `take_plaintext` (one copy out).\n"
        );
    }

    let pk = PkCosts::measure(b);
    println!("### Full handshakes (per second of that side's CPU time)\n");
    header("case, side", "hs/s");
    let hs_budget = b * 3;
    for case in Case::HANDSHAKES {
        if !wanted(opts, &case.label()) {
            continue;
        }
        let r = per_lib!(measure::handshakes, case, hs_budget);
        let client = r.clone().map(|x| x.map(|x| x.client));
        let server = r.map(|x| x.map(|x| x.server));
        notes(&case.label(), &client, &mut missing);
        row(
            &format!("{}, client", case.label()),
            &client,
            &Ok(1.0 / pk.client(case.key)),
            1.0,
            0,
        );
        row(
            &format!("{}, server", case.label()),
            &server,
            &Ok(1.0 / pk.server(case.key)),
            1.0,
            0,
        );
    }
    println!(
        "\nCeiling: raw aws-lc-rs public-key work of that side only (server: X25519 {:.1} µs + \
         signature, ECDSA P-256 {:.1} µs / RSA-2048 {:.1} µs; client: X25519 + each verification, \
         ECDSA {:.1} µs ×3 / RSA {:.1} µs ×2).\n",
        pk.x25519 * 1e6,
        pk.ecdsa_sign * 1e6,
        pk.rsa_sign * 1e6,
        pk.ecdsa_verify * 1e6,
        pk.rsa_verify * 1e6
    );

    if wanted(opts, "resumed") || wanted(opts, &Case::RESUMED[0].label()) {
        resumed_table(hs_budget, &pk, &mut missing);
    }

    if wanted(opts, "post-quantum") {
        pq_table(hs_budget, &mut missing);
    }

    let case = Case::HANDSHAKES[0];
    if wanted(opts, "memory") {
        println!("### Heap bytes per connection ({})\n", case.label());
        println!("| side, state | Baton | s2n-tls | rustls | OpenSSL | Baton/s2n-tls | Baton/rustls | Baton/OpenSSL |");
        println!("|---|---:|---:|---:|---:|---:|---:|---:|");
        for side in [Side::Client, Side::Server] {
            for state in MemState::ALL {
                let r = per_lib!(mem_f64, case, side, state);
                let c = |v: &Result<f64, String>| match v {
                    Ok(x) => format!("{x:.0}"),
                    Err(e) if e.starts_with("no API") => "no API".into(),
                    Err(_) => "n/a".into(),
                };
                notes("memory", &r, &mut missing);
                println!(
                    "| {side:?}, {} | {} | {} | {} | {} | {} | {} | {} |",
                    state.label(),
                    c(&r[0]),
                    c(&r[1]),
                    c(&r[2]),
                    c(&r[3]),
                    ratio(&r[0], &r[1]),
                    ratio(&r[0], &r[2]),
                    ratio(&r[0], &r[3]),
                );
            }
        }
        println!(
            "\nBytes freed when that one connection is dropped (glibc mallinfo2 in-use bytes, chunk \
             headers included; configurations are shared and not counted). Lower is better, so \
             here a ratio under 1 is Baton ahead.\n"
        );
    }
    missing.retain(|m| !m.contains("no API"));
    if !missing.is_empty() {
        println!("Not measured:\n");
        for m in &missing {
            println!("- {m}");
        }
        println!();
    }
    if let Some(path) = &opts.svg {
        plot(path, b);
    }
}

/// Resumed handshakes per second of each side's CPU time, resumption on for
/// every library in these cases only; ceilings: TLS 1.3, the one X25519 of
/// `psk_dhe_ke` (the public-key work, as for full handshakes); TLS 1.2, all
/// of the abbreviated handshake's crypto.
fn resumed_table(budget: Duration, pk: &PkCosts, missing: &mut Vec<String>) {
    println!("### Resumed handshakes (per second of that side's CPU time)\n");
    header("case, side", "hs/s");
    let raw12 = ceiling::Tls12Resumed::measure(budget);
    for case in Case::RESUMED {
        let r = [
            guarded(|| measure::resumed::<BatonResume>(case, budget)),
            guarded(|| measure::resumed::<S2nResume>(case, budget)),
            guarded(|| measure::resumed::<RustlsResume>(case, budget)),
            guarded(|| measure::resumed::<OpenSslResume>(case, budget)),
        ];
        let mut client = r.clone().map(|x| x.map(|x| x.client));
        if client[3].is_ok() {
            client[3] = Err(baton_bench::openssl_lib::NO_CLIENT_RESUMPTION.into());
        }
        let server = r.map(|x| x.map(|x| x.server));
        let what = format!("resumed {}", case.label());
        notes(&what, &client, missing);
        notes(&what, &server, missing);
        let (c_ceil, s_ceil) = if case.suite.is_tls12() {
            (1.0 / raw12.client, 1.0 / raw12.server)
        } else {
            (1.0 / pk.x25519, 1.0 / pk.x25519)
        };
        row(
            &format!("resumed {}, client", case.label()),
            &client,
            &Ok(c_ceil),
            1.0,
            0,
        );
        row(
            &format!("resumed {}, server", case.label()),
            &server,
            &Ok(s_ceil),
            1.0,
            0,
        );
    }
    println!(
        "\nEach iteration is a real resumed handshake (checked on both sides every time); a TLS \
         1.3 client offers the ticket the previous connection received (one per connection, used \
         once), its time including reading that ticket. Ceiling: TLS 1.3 (`psk_dhe_ke`), the \
         X25519 alone ({:.1} µs); TLS 1.2 (ticket), all of its crypto as raw aws-lc-rs calls \
         (client {:.1} µs: random, SHA-256 transcript, PRF key block and both Finished, two \
         AES-128-GCM keys, one seal and one open; server {:.1} µs: the same plus opening the \
         ticket, HKDF-SHA256 and AES-256-GCM).\n",
        pk.x25519 * 1e6,
        raw12.client * 1e6,
        raw12.server * 1e6
    );
}

fn mem_f64<L: Library>(case: Case, side: Side, state: MemState) -> Result<f64, String> {
    match measure::memory::<L>(case, side, state)? {
        Some(n) => Ok(n as f64),
        None => Err("no API to release buffers".into()),
    }
}

/// Send and receive throughput by record size (TLS 1.3 AES-128-GCM), every
/// library and the ceiling: a table, and plots at `path` (send) and at
/// `path` with `-receive` before `.svg` (receive).
fn plot(path: &str, b: Duration) {
    let sizes = [256usize, 1024, 4096, 16384];
    let labels = ["256 B", "1 KiB", "4 KiB", "16 KiB"];
    let suite = Suite::Tls13Aes128Gcm;
    let empty = |name: &str| Series {
        name: name.to_string(),
        values: vec![],
    };
    let mut send: Vec<Series> = LIBS.iter().map(|n| empty(n)).collect();
    let mut recv: Vec<Series> = LIBS.iter().map(|n| empty(n)).collect();
    let mut seal = empty("aws-lc-rs seal (ceiling)");
    let mut open = empty("aws-lc-rs open (ceiling)");
    println!(
        "### Throughput by record size ({}, MB/s, send / receive)\n",
        suite.label()
    );
    println!(
        "| write = record size | Baton | s2n-tls | rustls | OpenSSL | ceiling (seal / open) |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (size, label) in sizes.iter().zip(labels) {
        let r = per_lib!(measure::bulk, Case::records(suite), *size, b);
        for ((s, rv), v) in send.iter_mut().zip(recv.iter_mut()).zip(&r) {
            s.values.push(v.as_ref().ok().map(|x| x.send / 1e6));
            rv.values.push(v.as_ref().ok().map(|x| x.recv / 1e6));
        }
        let (cs, co) = (
            ceiling::seal(suite, *size, b) / 1e6,
            ceiling::open(suite, *size, b) / 1e6,
        );
        seal.values.push(Some(cs));
        open.values.push(Some(co));
        let f = |v: &Result<measure::Bulk, String>| {
            v.as_ref().map_or("n/a".into(), |x| {
                format!("{:.0} / {:.0}", x.send / 1e6, x.recv / 1e6)
            })
        };
        println!(
            "| {label} | {} | {} | {} | {} | {cs:.0} / {co:.0} |",
            f(&r[0]),
            f(&r[1]),
            f(&r[2]),
            f(&r[3])
        );
    }
    println!();
    send.push(seal);
    recv.push(open);
    let recv_path = match path.strip_suffix(".svg") {
        Some(stem) => format!("{stem}-receive.svg"),
        None => format!("{path}-receive"),
    };
    for (p, series, what) in [
        (path.to_string(), &send, "Send"),
        (recv_path, &recv, "Receive"),
    ] {
        let svg = svg::plot(
            &format!(
                "{what} throughput by record size, {} (in memory)",
                suite.label()
            ),
            &labels,
            "MB/s",
            series,
        );
        std::fs::write(&p, svg).expect("writing the SVG");
        println!("(plot written to {p})");
    }
    println!();
}

/// The whole measured loop, both sides (`--toggle-collect='*cg_total*'`):
/// entered once, so it does not depend on callgrind tracking every return.
#[inline(never)]
fn cg_total(f: impl FnOnce()) {
    f()
}

/// One 16 KiB application write (callgrind counts it with `--toggle-collect='*record_send*'`).
#[inline(never)]
fn record_send<P: Pair>(pair: &mut P, data: &[u8]) {
    pair.send(data);
}

/// Receives one 16 KiB write (`--toggle-collect='*record_recv*'`).
#[inline(never)]
fn record_recv<P: Pair>(pair: &mut P, buf: &mut [u8]) {
    let mut got = 0;
    while got < buf.len() {
        let n = pair.recv(&mut buf[got..]);
        assert!(n > 0);
        got += n;
    }
}

fn callgrind(lib: &str, op: &str, iters: u32) {
    if let Some(side) = op.strip_prefix("raw12") {
        // The raw crypto of a TLS 1.2 resumed handshake (any LIB): one side
        // per process ("-client", "-server"), counted with cg_total, since
        // the two sides' wrappers can be folded into one function.
        let (mut client, mut server) = ceiling::Tls12Resumed::ops();
        client();
        server();
        cg_total(|| {
            for _ in 0..iters {
                if side != "-server" {
                    client();
                }
                if side != "-client" {
                    server();
                }
            }
        });
        return;
    }
    fn go<L: Library>(op: &str, iters: u32) {
        let (case, records) = match op {
            "hs13-ecdsa" => (Case::HANDSHAKES[0], false),
            "hs13-rsa" => (Case::HANDSHAKES[1], false),
            "hs12-ecdsa" => (Case::HANDSHAKES[2], false),
            "rec16k" => (Case::records(Suite::Tls13Aes128Gcm), true),
            "res13-ecdsa" | "res12-ecdsa" => return,
            _ => panic!("unknown op {op}"),
        };
        let lib = L::setup(case, false).unwrap_or_else(|e| panic!("{e}"));
        let mut t = SideTimes::for_callgrind();
        if records {
            let mut pair = measure::connected(&lib, case).unwrap();
            let data = baton_bench::pattern(16 * 1024);
            let mut buf = vec![0u8; 16 * 1024];
            // One round outside the counted part (first-use allocations).
            pair.send(&data);
            let mut got = 0;
            while got < data.len() {
                got += pair.recv(&mut buf[got..]);
            }
            cg_total(|| {
                for _ in 0..iters {
                    record_send(&mut pair, &data);
                    record_recv(&mut pair, &mut buf);
                }
            });
            assert_eq!(buf, data);
        } else {
            drop(measure::connected(&lib, case).unwrap());
            cg_total(|| {
                for _ in 0..iters {
                    drop(lib.handshake(&mut t));
                }
            });
        }
    }
    /// A resumed handshake, `iters` times after setup (and one uncounted).
    fn resumed<L: Resume>(op: &str, iters: u32) {
        let case = match op {
            "res13-ecdsa" => Case::RESUMED[0],
            "res12-ecdsa" => Case::RESUMED[1],
            _ => return,
        };
        let mut lib = L::setup_resumption(case).unwrap_or_else(|e| panic!("{e}"));
        let mut t = SideTimes::for_callgrind();
        lib.resumed_handshake(case, &mut SideTimes::default())
            .unwrap();
        cg_total(|| {
            for _ in 0..iters {
                lib.resumed_handshake(case, &mut t).unwrap();
            }
        });
    }
    match lib {
        "baton" => resumed::<BatonResume>(op, iters),
        "s2n" => resumed::<S2nResume>(op, iters),
        "rustls" => resumed::<RustlsResume>(op, iters),
        "openssl" => resumed::<OpenSslResume>(op, iters),
        _ => panic!("unknown library {lib}"),
    }
    match lib {
        "baton" => go::<Baton>(op, iters),
        "s2n" => go::<S2n>(op, iters),
        "rustls" => go::<Rustls>(op, iters),
        "openssl" => go::<OpenSsl>(op, iters),
        _ => panic!("unknown library {lib}"),
    }
}
