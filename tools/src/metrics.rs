//! `baton serve --metrics ADDR`: the counters as Prometheus text (exposition
//! format 0.0.4) at `GET /metrics`, on a plain-HTTP listener of its own
//! served by one std thread, never by the io_uring workers.
//!
//! Two sources, both free of locks on the workers' hot path:
//! - the runtime's [`WorkerStats`], which each worker keeps as plain fields
//!   and copies into a channel when asked (at its next tick, ≤ 100 ms), so a
//!   scrape costs the workers one copy each and counting costs them nothing;
//! - the HTTP handler's [`HttpCounters`] (responses by status, the latency
//!   histogram): one set per worker thread, written only by that thread
//!   with a relaxed load and store (no locked instruction; one writer, so no
//!   increment is lost) and read by the scrape. A set is registered (the one
//!   lock) at a worker's first connection.
//!
//! The text is written by hand: it is a few lines of format, less code than
//! wiring a registry crate's types to counters that already exist.

use baton_ktls::uring::{StatsHandle, WorkerStats};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Upper bounds of the latency histogram's buckets, in seconds.
pub const BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// Statuses counted one by one; any other is counted as 0 ("other").
const STATUSES: usize = 600;

/// One worker's HTTP counters. Written only by its worker thread.
#[derive(Debug)]
pub struct HttpCounters {
    status: Box<[AtomicU64]>,
    /// Per bucket, not cumulative; the last is +Inf.
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
}

/// An increment by the only thread that writes `a`: a plain load and store
/// (no lock prefix), which no concurrent reader can tear.
fn bump(a: &AtomicU64, by: u64) {
    a.store(
        a.load(Ordering::Relaxed).wrapping_add(by),
        Ordering::Relaxed,
    );
}

impl HttpCounters {
    fn new() -> Self {
        Self {
            status: (0..STATUSES).map(|_| AtomicU64::new(0)).collect(),
            buckets: Default::default(),
            sum_nanos: AtomicU64::new(0),
        }
    }

    /// A response with `status`, queued `took` after its request's first
    /// byte arrived.
    pub fn record(&self, status: u16, took: Duration) {
        let i = usize::from(status);
        bump(&self.status[if i < STATUSES { i } else { 0 }], 1);
        let secs = took.as_secs_f64();
        let b = BUCKETS
            .iter()
            .position(|&le| secs <= le)
            .unwrap_or(BUCKETS.len());
        bump(&self.buckets[b], 1);
        bump(
            &self.sum_nanos,
            u64::try_from(took.as_nanos()).unwrap_or(u64::MAX),
        );
    }
}

/// The HTTP counters of every worker, and the access log's drop count.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Tells this registry's thread-local sets from another's (tests run
    /// several servers in one process).
    id: usize,
    workers: Mutex<Vec<Arc<HttpCounters>>>,
}

thread_local! {
    static MINE: RefCell<Option<(usize, Arc<HttpCounters>)>> = const { RefCell::new(None) };
}

impl Metrics {
    pub fn new() -> Self {
        static NEXT_ID: AtomicUsize = AtomicUsize::new(1);
        Self {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            workers: Mutex::default(),
        }
    }

    /// The calling worker thread's counters (registered on first use); a
    /// connection takes them once, at its start.
    pub fn for_this_worker(&self) -> Arc<HttpCounters> {
        MINE.with(|slot| {
            let mut slot = slot.borrow_mut();
            if let Some((id, c)) = slot.as_ref() {
                if *id == self.id {
                    return Arc::clone(c);
                }
            }
            let c = Arc::new(HttpCounters::new());
            if let Ok(mut w) = self.workers.lock() {
                w.push(Arc::clone(&c));
            }
            *slot = Some((self.id, Arc::clone(&c)));
            c
        })
    }

    fn http_sums(&self) -> (BTreeMap<u16, u64>, [u64; BUCKETS.len() + 1], u64) {
        let mut status = BTreeMap::new();
        let mut buckets = [0u64; BUCKETS.len() + 1];
        let mut sum = 0u64;
        let workers = match self.workers.lock() {
            Ok(w) => w.clone(),
            Err(_) => Vec::new(),
        };
        for w in &workers {
            for (code, n) in w.status.iter().enumerate() {
                let n = n.load(Ordering::Relaxed);
                if n > 0 {
                    *status.entry(code as u16).or_default() += n;
                }
            }
            for (b, n) in buckets.iter_mut().zip(&w.buckets) {
                *b += n.load(Ordering::Relaxed);
            }
            sum = sum.wrapping_add(w.sum_nanos.load(Ordering::Relaxed));
        }
        (status, buckets, sum)
    }
}

/// A label value: `\`, `"` and newlines escaped.
fn label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn head(out: &mut String, name: &str, ty: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {ty}");
}

fn counter(out: &mut String, name: &str, help: &str, value: u64) {
    head(out, name, "counter", help);
    let _ = writeln!(out, "{name} {value}");
}

/// The exposition text: the workers' counters summed, the HTTP counters, and
/// the access log's dropped lines.
pub fn render(stats: &[WorkerStats], http: &Metrics, log_dropped: u64) -> String {
    let sum = |f: fn(&WorkerStats) -> u64| stats.iter().map(f).sum::<u64>();
    let mut out = String::with_capacity(4096);
    head(&mut out, "baton_workers", "gauge", "Workers that answered.");
    let _ = writeln!(out, "baton_workers {}", stats.len());
    for (name, help, f) in [
        (
            "baton_connections_accepted_total",
            "Connections accepted.",
            (|s: &WorkerStats| s.accepted) as fn(&WorkerStats) -> u64,
        ),
        (
            "baton_connections_refused_total",
            "Connections closed at accept (per-worker cap).",
            |s| s.refused,
        ),
        (
            "baton_handshake_failures_total",
            "Handshakes that failed or timed out.",
            |s| s.handshake_failures,
        ),
        (
            "baton_handshakes_parked_total",
            "Handshakes that waited for an asynchronous lookup.",
            |s| s.handshakes_parked,
        ),
        (
            "baton_early_data_total",
            "Handshakes that accepted TLS 1.3 early data.",
            |s| s.early_data,
        ),
        (
            "baton_timeouts_total",
            "Connections closed by the handshake or idle timeout.",
            |s| s.timeouts,
        ),
        (
            "baton_received_bytes_total",
            "Plaintext bytes received.",
            |s| s.bytes_in,
        ),
        (
            "baton_sent_bytes_total",
            "Plaintext bytes handed to the send path.",
            |s| s.bytes_out,
        ),
        (
            "baton_signatures_offloaded_total",
            "Handshake signatures made on the signing threads.",
            |s| s.signatures_offloaded,
        ),
    ] {
        counter(&mut out, name, help, sum(f));
    }

    let mut kinds = BTreeMap::new();
    for s in stats {
        for (k, n) in &s.handshake_kinds {
            *kinds.entry(*k).or_insert(0u64) += n;
        }
    }
    head(
        &mut out,
        "baton_handshakes_total",
        "counter",
        "Completed handshakes by version, suite and resumption.",
    );
    for (k, n) in &kinds {
        let _ = writeln!(
            out,
            "baton_handshakes_total{{version=\"{}\",suite=\"{}\",resumed=\"{}\"}} {n}",
            label(&k.version.to_string()),
            label(&k.suite.to_string()),
            k.resumed
        );
    }

    head(
        &mut out,
        "baton_tls_connections_total",
        "counter",
        "Connections by direction and where their records were protected.",
    );
    for (dir, mode, f) in [
        (
            "send",
            "kernel",
            (|s: &WorkerStats| s.kernel_send) as fn(&WorkerStats) -> u64,
        ),
        ("send", "userspace", |s| s.userspace_send),
        ("recv", "kernel", |s| s.kernel_recv),
        ("recv", "userspace", |s| s.userspace_recv),
    ] {
        let _ = writeln!(
            out,
            "baton_tls_connections_total{{direction=\"{dir}\",mode=\"{mode}\"}} {}",
            sum(f)
        );
    }

    let mut errors = BTreeMap::new();
    for s in stats {
        for (k, n) in &s.errors {
            *errors.entry(k.as_str()).or_insert(0u64) += n;
        }
    }
    head(&mut out, "baton_errors_total", "counter", "Errors by kind.");
    for (k, n) in &errors {
        let _ = writeln!(out, "baton_errors_total{{kind=\"{}\"}} {n}", label(k));
    }

    let (status, buckets, sum_nanos) = http.http_sums();
    head(
        &mut out,
        "baton_http_responses_total",
        "counter",
        "HTTP responses by status code (0: outside 100-599).",
    );
    for (code, n) in &status {
        let _ = writeln!(out, "baton_http_responses_total{{code=\"{code}\"}} {n}");
    }
    let name = "baton_http_request_duration_seconds";
    head(
        &mut out,
        name,
        "histogram",
        "From a request head's first byte to its response queued.",
    );
    let mut cumulative = 0u64;
    for (i, n) in buckets.iter().enumerate() {
        cumulative += n;
        let le = BUCKETS.get(i).map_or("+Inf".to_string(), |b| b.to_string());
        let _ = writeln!(out, "{name}_bucket{{le=\"{le}\"}} {cumulative}");
    }
    let _ = writeln!(out, "{name}_sum {}", sum_nanos as f64 / 1e9);
    let _ = writeln!(out, "{name}_count {cumulative}");

    counter(
        &mut out,
        "baton_access_log_dropped_lines_total",
        "Access log lines dropped because the writer was behind.",
        log_dropped,
    );
    out
}

/// Binds `addr` (errors come back here) and serves `/metrics` on a thread.
pub fn start(
    addr: SocketAddr,
    stats: StatsHandle,
    http: Arc<Metrics>,
    log_dropped: impl Fn() -> u64 + Send + 'static,
) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr)?;
    let local = listener.local_addr()?;
    std::thread::Builder::new()
        .name("baton-metrics".into())
        .spawn(move || {
            for conn in listener.incoming().flatten() {
                // One scrape at a time: a scraper is one client, and a slow
                // one is cut by the timeouts.
                let _ = answer(conn, || render(&stats.stats(), &http, log_dropped()));
            }
        })?;
    Ok(local)
}

/// Reads one request head (at most 8 KiB, 5 s) and answers it, then closes.
fn answer(mut conn: TcpStream, body: impl FnOnce() -> String) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(5)))?;
    conn.set_write_timeout(Some(Duration::from_secs(5)))?;
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 8192 {
        let n = conn.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let (status, ctype, body) = if line.starts_with(b"GET /metrics ") {
        ("200 OK", "text/plain; version=0.0.4; charset=utf-8", body())
    } else {
        (
            "404 Not Found",
            "text/plain",
            "not found; try /metrics\n".into(),
        )
    };
    let reply = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    conn.write_all(reply.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_and_statuses() {
        let m = Metrics::new();
        let c = m.for_this_worker();
        assert!(Arc::ptr_eq(&c, &m.for_this_worker()));
        c.record(200, Duration::from_micros(50));
        c.record(200, Duration::from_millis(3));
        c.record(404, Duration::from_secs(9));
        c.record(999, Duration::ZERO);
        let text = render(&[WorkerStats::default()], &m, 7);
        assert!(
            text.contains("baton_http_responses_total{code=\"200\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("baton_http_responses_total{code=\"0\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("_bucket{le=\"0.0001\"} 2\n"), "{text}");
        assert!(text.contains("_bucket{le=\"0.005\"} 3\n"), "{text}");
        assert!(text.contains("_bucket{le=\"+Inf\"} 4\n"), "{text}");
        assert!(
            text.contains("baton_access_log_dropped_lines_total 7\n"),
            "{text}"
        );
        assert!(text.contains("# TYPE baton_http_request_duration_seconds histogram\n"));
    }

    #[test]
    fn labels_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
