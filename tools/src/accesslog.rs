//! `baton serve --access-log FILE`: one line per response, in nginx's
//! combined format or as JSON, written without ever making a worker wait.
//!
//! Each worker thread formats its lines into its own buffer (a thread-local:
//! no lock, no sharing) and hands a buffer to the one writer thread over a
//! bounded channel when it holds [`HAND_OFF_BYTES`] or its oldest line is a
//! second old (checked as lines come and on the worker's 100 ms tick), and
//! at the worker's exit. The hand-off
//! is a `try_send`: when the writer falls behind (a slow disk, a FIFO nobody
//! reads) and the channel is full, the buffer's lines are dropped and
//! counted ([`AccessLog::dropped`]), never waited for.

use crate::http::LogEntry;
use crossbeam_channel::{Receiver, Sender, TrySendError};
use std::cell::RefCell;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A worker's buffer goes to the writer once it holds this much.
const HAND_OFF_BYTES: usize = 16 * 1024;
/// ... or once its oldest line is this old.
const HAND_OFF_AGE: Duration = Duration::from_secs(1);
/// Buffers waiting for the writer: beyond them, lines are dropped.
const QUEUED_BUFFERS: usize = 8;

/// How lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// nginx's `combined`.
    Combined,
    /// One JSON object per line, with the TLS details and the request time.
    Json,
}

impl Format {
    /// `--access-log-format`'s value.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "combined" => Some(Self::Combined),
            "json" => Some(Self::Json),
            _ => None,
        }
    }
}

/// What a connection adds to its requests' lines.
#[derive(Clone, Debug)]
pub struct ConnInfo {
    pub peer: SocketAddr,
    pub version: Option<&'static str>,
    pub suite: Option<&'static str>,
    pub resumed: bool,
    /// Kernel TLS (send, recv).
    pub ktls: (bool, bool),
}

enum Ctl {
    Reopen,
    Finish,
}

/// The access log: shared by the workers (through the service).
#[derive(Debug)]
pub struct AccessLog {
    /// Tells this log's thread-local buffers from another's (tests run
    /// several servers in one process).
    id: usize,
    format: Format,
    tx: Sender<Vec<u8>>,
    ctl: Sender<Ctl>,
    dropped: Arc<AtomicU64>,
    /// Disconnected when the writer thread ends.
    done: Receiver<()>,
}

impl std::fmt::Debug for Ctl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Ctl::Reopen => "Reopen",
            Ctl::Finish => "Finish",
        })
    }
}

fn open(path: &PathBuf) -> std::io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

impl AccessLog {
    /// Opens `path` for appending (here, so that a bad path is an error at
    /// start) and starts the writer thread.
    pub fn start(path: PathBuf, format: Format) -> std::io::Result<Self> {
        static NEXT_ID: AtomicUsize = AtomicUsize::new(1);
        let file = open(&path)?;
        let (tx, rx) = crossbeam_channel::bounded(QUEUED_BUFFERS);
        let (ctl, ctl_rx) = crossbeam_channel::unbounded();
        let (done_tx, done) = crossbeam_channel::bounded(0);
        std::thread::Builder::new()
            .name("baton-access-log".into())
            .spawn(move || write_loop(path, file, rx, ctl_rx, done_tx))?;
        Ok(Self {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            format,
            tx,
            ctl,
            dropped: Arc::new(AtomicU64::new(0)),
            done,
        })
    }

    /// Lines dropped because the writer was behind.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Opens the file again by its name (after log rotation moved it; the
    /// SIGHUP path calls this). The writer does it, between buffers; if the
    /// open fails, it says so on stderr and keeps the old file.
    pub fn reopen(&self) {
        let _ = self.ctl.send(Ctl::Reopen);
    }

    /// Writes what the writer holds and stops it; call after the workers
    /// have stopped (their exit hands over their last lines). Waits at most
    /// 5 s: a file that blocks (a FIFO nobody reads) must not hold up exit.
    pub fn finish(&self) {
        let _ = self.ctl.send(Ctl::Finish);
        let _ = self.done.recv_timeout(Duration::from_secs(5));
    }

    /// Adds one response's line to the calling worker's buffer.
    pub fn record(&self, entry: &LogEntry, conn: &ConnInfo, took: Duration) {
        BUFFER.with(|slot| {
            let mut slot = slot.borrow_mut();
            if slot.as_ref().is_none_or(|b| b.id != self.id) {
                *slot = Some(WorkerBuffer::new(self));
            }
            let Some(b) = slot.as_mut() else { return };
            let now = SystemTime::now();
            if b.lines == 0 {
                b.since = Instant::now();
            }
            match self.format {
                Format::Combined => combined(&mut b.buf, &mut b.clock, now, entry, conn),
                Format::Json => json(&mut b.buf, now, entry, conn, took),
            }
            b.lines += 1;
            if b.buf.len() >= HAND_OFF_BYTES || b.since.elapsed() >= HAND_OFF_AGE {
                b.hand_off();
            }
        });
    }
}

/// Hands the calling worker's buffer to the writer if its oldest line is
/// [`HAND_OFF_AGE`] old: the worker's tick calls this, so that lines reach
/// the file within about a second even when no more requests come.
pub fn tick() {
    BUFFER.with(|slot| {
        if let Some(b) = slot.borrow_mut().as_mut() {
            if b.lines > 0 && b.since.elapsed() >= HAND_OFF_AGE {
                b.hand_off();
            }
        }
    });
}

thread_local! {
    /// The worker's lines not yet handed to the writer.
    static BUFFER: RefCell<Option<WorkerBuffer>> = const { RefCell::new(None) };
}

struct WorkerBuffer {
    id: usize,
    tx: Sender<Vec<u8>>,
    dropped: Arc<AtomicU64>,
    buf: Vec<u8>,
    lines: u64,
    /// When the first line in `buf` was added.
    since: Instant,
    clock: LocalTime,
}

impl WorkerBuffer {
    fn new(log: &AccessLog) -> Self {
        Self {
            id: log.id,
            tx: log.tx.clone(),
            dropped: Arc::clone(&log.dropped),
            buf: Vec::with_capacity(HAND_OFF_BYTES + 1024),
            lines: 0,
            since: Instant::now(),
            clock: LocalTime::default(),
        }
    }

    fn hand_off(&mut self) {
        if self.lines == 0 {
            return;
        }
        let full = std::mem::replace(&mut self.buf, Vec::with_capacity(HAND_OFF_BYTES + 1024));
        match self.tx.try_send(full) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(self.lines, Ordering::Relaxed);
            }
        }
        self.lines = 0;
    }
}

/// A worker thread's exit hands over its last lines.
impl Drop for WorkerBuffer {
    fn drop(&mut self) {
        self.hand_off();
    }
}

/// Writes buffers as they come. Control messages go first: a reopen asked
/// before a buffer arrived applies to that buffer, and a finish writes what
/// is queued, then stops.
fn write_loop(
    path: PathBuf,
    mut file: File,
    rx: Receiver<Vec<u8>>,
    ctl: Receiver<Ctl>,
    _done: Sender<()>,
) {
    let report = |e: std::io::Error| eprintln!("access log {}: {e}", path.display());
    let write = |file: &mut File, buf: &[u8]| {
        if let Err(e) = file.write_all(buf) {
            report(e);
        }
    };
    let mut finishing = false;
    loop {
        let buf = crossbeam_channel::select! {
            recv(rx) -> buf => match buf {
                Ok(buf) => Some(buf),
                Err(_) => {
                    finishing = true;
                    None
                }
            },
            recv(ctl) -> msg => {
                finishing |= control(msg.ok(), &path, &mut file);
                None
            }
        };
        while let Ok(msg) = ctl.try_recv() {
            finishing |= control(Some(msg), &path, &mut file);
        }
        if let Some(buf) = buf {
            write(&mut file, &buf);
        }
        if finishing {
            while let Ok(buf) = rx.try_recv() {
                write(&mut file, &buf);
            }
            return;
        }
    }
}

/// Acts on a control message; true to finish (also when the log is gone).
fn control(msg: Option<Ctl>, path: &PathBuf, file: &mut File) -> bool {
    match msg {
        Some(Ctl::Reopen) => {
            match open(path) {
                Ok(f) => *file = f,
                Err(e) => eprintln!("access log {}: reopening: {e}", path.display()),
            }
            false
        }
        Some(Ctl::Finish) | None => true,
    }
}

/// nginx's `$time_local` (`07/Dec/2026:08:00:00 +0000`, in UTC), formatted
/// once a second per worker.
#[derive(Default)]
struct LocalTime {
    secs: u64,
    text: String,
}

impl LocalTime {
    fn get(&mut self, now: SystemTime) -> &str {
        let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        if self.text.is_empty() || secs != self.secs {
            const MONTHS: [&str; 12] = [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ];
            let (y, m, d) = civil(secs / 86400);
            let s = secs % 86400;
            self.secs = secs;
            self.text = format!(
                "{d:02}/{}/{y}:{:02}:{:02}:{:02} +0000",
                MONTHS[(m - 1) as usize],
                s / 3600,
                s / 60 % 60,
                s % 60
            );
        }
        &self.text
    }
}

/// Year, month (1-12) and day of the days since 1970-01-01 (Howard
/// Hinnant's civil_from_days).
fn civil(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

/// A quoted field of the combined format: `"`, `\`, control bytes and
/// non-ASCII bytes as `\xHH` (as nginx does), so that a client can't end
/// the field or the line early (log injection).
fn quoted(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    if s.is_empty() {
        out.push(b'-');
    }
    for &b in s.as_bytes() {
        if b == b'"' || b == b'\\' || !(0x20..0x7f).contains(&b) {
            let _ = write!(out, "\\x{b:02X}");
        } else {
            out.push(b);
        }
    }
    out.push(b'"');
}

/// The request line as logged (`$request`), `-` for a head not parsed.
fn request_line(e: &LogEntry) -> String {
    if e.method.is_empty() {
        String::new()
    } else {
        format!("{} {} HTTP/1.{}", e.method, e.target, e.version)
    }
}

/// `$remote_addr - - [$time_local] "$request" $status $body_bytes_sent
/// "$http_referer" "$http_user_agent"`.
fn combined(out: &mut Vec<u8>, clock: &mut LocalTime, now: SystemTime, e: &LogEntry, c: &ConnInfo) {
    let _ = write!(out, "{} - - [{}] ", c.peer.ip(), clock.get(now));
    quoted(out, &request_line(e));
    let _ = write!(out, " {} {} ", e.status, e.bytes);
    quoted(out, e.referer.as_deref().unwrap_or(""));
    out.push(b' ');
    quoted(out, e.user_agent.as_deref().unwrap_or(""));
    out.push(b'\n');
}

/// A JSON string: quotes, backslashes and control characters escaped.
fn json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let mut b = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            }
        }
    }
    out.push(b'"');
}

fn json_opt(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => json_str(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

/// The combined format's fields (time in RFC 3339, UTC), then the TLS
/// version, suite, resumption, kernel TLS per direction, whether the request
/// came as early data, and the request time in seconds.
fn json(out: &mut Vec<u8>, now: SystemTime, e: &LogEntry, c: &ConnInfo, took: Duration) {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (y, mo, d) = civil(secs / 86400);
    let s = secs % 86400;
    let _ = write!(
        out,
        "{{\"remote_addr\":\"{}\",\"time\":\"{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z\",\"request\":",
        c.peer.ip(),
        s / 3600,
        s / 60 % 60,
        s % 60,
        since.subsec_millis()
    );
    json_str(out, &request_line(e));
    let _ = write!(
        out,
        ",\"status\":{},\"body_bytes_sent\":{},\"http_referer\":",
        e.status, e.bytes
    );
    json_opt(out, e.referer.as_deref());
    out.extend_from_slice(b",\"http_user_agent\":");
    json_opt(out, e.user_agent.as_deref());
    out.extend_from_slice(b",\"tls_version\":");
    json_opt(out, c.version);
    out.extend_from_slice(b",\"tls_suite\":");
    json_opt(out, c.suite);
    let _ = writeln!(
        out,
        ",\"tls_resumed\":{},\"ktls_send\":{},\"ktls_recv\":{},\"early_data\":{},\"request_time\":{:.6}}}",
        c.resumed,
        c.ktls.0,
        c.ktls.1,
        e.early,
        took.as_secs_f64()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> ConnInfo {
        ConnInfo {
            peer: "127.0.0.1:5000".parse().unwrap(),
            version: Some("TLSv1.3"),
            suite: Some("TLS_AES_128_GCM_SHA256"),
            resumed: false,
            ktls: (true, false),
        }
    }

    fn entry() -> LogEntry {
        LogEntry {
            method: "GET".into(),
            target: "/a\"b\x01".into(),
            version: 1,
            status: 200,
            bytes: 12,
            referer: None,
            user_agent: Some("x\" \\\n\u{e9}".into()),
            early: false,
        }
    }

    #[test]
    fn combined_escapes_and_dates() {
        let mut out = Vec::new();
        let mut clock = LocalTime::default();
        // 2026-12-07T08:00:05Z
        let t = UNIX_EPOCH + Duration::from_secs(1_796_630_405);
        combined(&mut out, &mut clock, t, &entry(), &info());
        let line = String::from_utf8(out).unwrap();
        assert_eq!(
            line,
            "127.0.0.1 - - [07/Dec/2026:08:00:05 +0000] \"GET /a\\x22b\\x01 HTTP/1.1\" 200 12 \
             \"-\" \"x\\x22 \\x5C\\x0A\\xC3\\xA9\"\n"
        );
    }

    #[test]
    fn json_escapes() {
        let mut out = Vec::new();
        json(
            &mut out,
            UNIX_EPOCH,
            &entry(),
            &info(),
            Duration::from_micros(1500),
        );
        let line = String::from_utf8(out).unwrap();
        assert!(line.ends_with("}\n"), "{line}");
        assert_eq!(line.lines().count(), 1);
        assert!(
            line.contains(r#""request":"GET /a\"b\u0001 HTTP/1.1""#),
            "{line}"
        );
        assert!(
            line.contains(r#""http_user_agent":"x\" \\\u000a"#),
            "{line}"
        );
        assert!(line.contains(r#""http_referer":null"#), "{line}");
        assert!(
            line.contains(r#""time":"1970-01-01T00:00:00.000Z""#),
            "{line}"
        );
        assert!(line.contains(r#""request_time":0.001500"#), "{line}");
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(11_016), (2000, 2, 29));
        assert_eq!(civil(20_794), (2026, 12, 7));
    }
}
