//! `baton serve --access-log FILE --metrics ADDR` against curl: the combined
//! and JSON lines parsed, the Prometheus text parsed and its counters
//! checked, the log reopened on SIGHUP, and a log that nobody reads (a full
//! FIFO) never holding up a request: its lines are dropped and counted.

use super::*;
use std::collections::BTreeMap;
use std::path::Path;

fn have_curl() -> bool {
    let found = Command::new("curl").arg("--version").output().is_ok();
    if !found {
        assert!(
            std::env::var_os("BATON_REQUIRE_OPENSSL").is_none(),
            "curl is required under tools/test"
        );
        eprintln!("SKIPPED: curl not found");
    }
    found
}

/// `baton serve DIR --listen 127.0.0.1:0 --workers 1 --metrics
/// 127.0.0.1:0 EXTRA...` (a generated certificate): the server, its URL and
/// its metrics URL.
fn serve(dir: &Path, extra: &[&str]) -> (Proc, String, String) {
    let mut args = vec![
        "serve",
        dir.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--workers",
        "1",
        "--metrics",
        "127.0.0.1:0",
    ];
    args.extend_from_slice(extra);
    let server = baton(&args);
    let url = line_after(&server, &format!("serving {} at ", dir.display()), false);
    let metrics = line_after(&server, "metrics at ", false);
    (server, url, metrics)
}

/// curl's stdout; it must succeed.
fn curl(args: &[&str]) -> String {
    let out = Command::new("curl")
        .args(["-sk", "--max-time", "30"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The status code of one GET.
fn code(url: &str, extra: &[&str]) -> String {
    let mut args = vec!["-o", "/dev/null", "-w", "%{http_code}"];
    args.extend_from_slice(extra);
    args.push(url);
    curl(&args)
}

/// Samples of a Prometheus text exposition (0.0.4), by `name{labels}` as
/// written; checks the syntax on the way: every sample's family has `# TYPE`
/// before it, counters end in `_total`, label values are quoted.
fn parse_metrics(text: &str) -> BTreeMap<String, f64> {
    let sample = regex::Regex::new(
        r#"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? (\S+)$"#,
    )
    .unwrap();
    let mut types = BTreeMap::new();
    let mut out = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, ty) = rest.split_once(' ').expect(line);
            types.insert(name.to_string(), ty.to_string());
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let c = sample
            .captures(line)
            .unwrap_or_else(|| panic!("not a sample: {line:?}"));
        let name = &c[1];
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| {
                name.strip_suffix(s)
                    .filter(|f| types.get(*f).is_some_and(|t| t == "histogram"))
            })
            .unwrap_or(name);
        let ty = types
            .get(family)
            .unwrap_or_else(|| panic!("no # TYPE for {line:?}"));
        if ty == "counter" {
            assert!(name.ends_with("_total"), "{line}");
        }
        let value: f64 = c[5].parse().unwrap_or_else(|_| panic!("{line:?}"));
        let key = line.rsplit_once(' ').unwrap().0.to_string();
        out.insert(key, value);
    }
    out
}

fn scrape(metrics: &str) -> BTreeMap<String, f64> {
    let head = curl(&["-D", "-", "-o", "/dev/null", metrics]);
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/plain; version=0.0.4"),
        "{head}"
    );
    parse_metrics(&curl(&[metrics]))
}

/// The sum of the samples of `name` (any labels).
fn total(m: &BTreeMap<String, f64>, name: &str) -> f64 {
    m.iter()
        .filter(|(k, _)| *k == name || k.starts_with(&format!("{name}{{")))
        .map(|(_, v)| v)
        .sum()
}

fn sigterm(server: Proc) -> Output {
    Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    let done = server.wait(TIMEOUT);
    assert!(done.status.success(), "{}", done.stderr);
    done
}

fn site(name: &str) -> std::path::PathBuf {
    let dir = scratch_dir().join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.txt"), b"hello logs\n").unwrap();
    std::fs::canonicalize(dir).unwrap()
}

/// Four requests (200 with a quoting User-Agent and a Referer, 200, 304,
/// 404), each on its own connection: the combined lines match nginx's
/// format with the quotes escaped, and /metrics counts them by status, the
/// handshakes by version, the bytes and the latency histogram.
#[test]
fn serve_access_log_combined_and_metrics() {
    if !have_curl() {
        return;
    }
    let dir = site("serve-obs-combined");
    let log = dir.with_extension("log");
    let _ = std::fs::remove_file(&log);
    let (server, url, metrics) = serve(&dir, &["--access-log", log.to_str().unwrap()]);
    let a = format!("{url}a.txt");
    assert_eq!(
        code(&a, &["-A", "agent \"x\"", "-e", "https://ref/"]),
        "200"
    );
    let head = curl(&["-D", "-", "-o", "/dev/null", &a]);
    let etag = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("etag: ")
                .or_else(|| l.strip_prefix("ETag: "))
        })
        .expect("an ETag")
        .trim()
        .to_string();
    assert_eq!(code(&a, &["-H", &format!("If-None-Match: {etag}")]), "304");
    assert_eq!(code(&format!("{url}missing"), &[]), "404");

    let m = scrape(&metrics);
    let get = |k: &str| m.get(k).copied().unwrap_or_else(|| panic!("no {k}: {m:?}"));
    assert_eq!(get(r#"baton_http_responses_total{code="200"}"#), 2.0);
    assert_eq!(get(r#"baton_http_responses_total{code="304"}"#), 1.0);
    assert_eq!(get(r#"baton_http_responses_total{code="404"}"#), 1.0);
    assert_eq!(total(&m, "baton_http_responses_total"), 4.0);
    assert_eq!(get("baton_connections_accepted_total"), 4.0);
    assert_eq!(total(&m, "baton_handshakes_total"), 4.0);
    assert!(
        m.keys()
            .any(|k| k.starts_with(r#"baton_handshakes_total{version="TLSv1.3",suite="TLS_"#)),
        "{m:?}"
    );
    assert_eq!(get("baton_workers"), 1.0);
    // Two bodies of 11 bytes and a 404 page, beside the heads.
    assert!(get("baton_sent_bytes_total") > 22.0, "{m:?}");
    assert!(get("baton_received_bytes_total") > 0.0, "{m:?}");
    assert_eq!(
        get(r#"baton_http_request_duration_seconds_bucket{le="+Inf"}"#),
        4.0
    );
    assert_eq!(get("baton_http_request_duration_seconds_count"), 4.0);
    assert_eq!(total(&m, "baton_tls_connections_total"), 8.0);
    assert_eq!(get("baton_access_log_dropped_lines_total"), 0.0);
    assert!(
        code(&metrics.replace("/metrics", "/other"), &[]) == "404",
        "only /metrics"
    );

    // The worker hands its lines over on its tick, within about a second
    // and with no further request: they reach the file while it runs.
    let deadline = std::time::Instant::now() + TIMEOUT;
    while std::fs::read_to_string(&log).unwrap().lines().count() < 4 {
        assert!(
            std::time::Instant::now() < deadline,
            "no lines while running"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    sigterm(server);
    let text = std::fs::read_to_string(&log).unwrap();
    let line = regex::Regex::new(
        r#"^127\.0\.0\.1 - - \[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] "([^"]*)" (\d{3}) (\d+) "([^"]*)" "([^"]*)"$"#,
    )
    .unwrap();
    let lines: Vec<_> = text
        .lines()
        .map(|l| {
            line.captures(l)
                .unwrap_or_else(|| panic!("not combined: {l:?}"))
        })
        .collect();
    assert_eq!(lines.len(), 4, "{text}");
    let fields =
        |i: usize| -> Vec<&str> { (1..=5).map(|g| lines[i].get(g).unwrap().as_str()).collect() };
    assert_eq!(
        fields(0),
        [
            "GET /a.txt HTTP/1.1",
            "200",
            "11",
            "https://ref/",
            r"agent \x22x\x22"
        ]
    );
    assert_eq!(fields(2)[1..3], ["304", "0"]);
    assert_eq!(fields(3)[..2], ["GET /missing HTTP/1.1", "404"]);
    assert!(fields(3)[4].starts_with("curl/"), "{text}");
}

/// JSON lines: the combined fields, the TLS details and the request time;
/// after the file is moved away and SIGHUP, lines go to a new file by the
/// old name (log rotation). Lines a worker still buffers at the reopen go
/// to the new file; here the first five were handed over before it.
#[test]
fn serve_access_log_json_and_reopen() {
    if !have_curl() {
        return;
    }
    let dir = site("serve-obs-json");
    let log = dir.with_extension("log");
    let rotated = dir.with_extension("log.1");
    let _ = std::fs::remove_file(&log);
    let _ = std::fs::remove_file(&rotated);
    let (server, url, _) = serve(
        &dir,
        &[
            "--access-log",
            log.to_str().unwrap(),
            "--access-log-format",
            "json",
        ],
    );
    let a = format!("{url}a.txt");
    assert_eq!(code(&a, &["-A", "line\t\"one\"\\"]), "200");
    // Four more lines of over 4 KiB fill the worker's 16 KiB buffer, which
    // then goes to the writer; wait for it in the file.
    let agent = "b".repeat(4000);
    let mut args = vec!["-A", agent.as_str(), "-w", "%{http_code}\n"];
    for _ in 0..4 {
        args.extend_from_slice(&["-o", "/dev/null", a.as_str()]);
    }
    assert_eq!(curl(&args), "200\n".repeat(4));
    let deadline = std::time::Instant::now() + TIMEOUT;
    while std::fs::metadata(&log).unwrap().len() < 16_000 {
        assert!(std::time::Instant::now() < deadline, "the lines never came");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    std::fs::rename(&log, &rotated).unwrap();
    Command::new("kill")
        .args(["-HUP", &server.pid().to_string()])
        .status()
        .unwrap();
    // Printed after the reopen was asked of the writer, which does it
    // before any buffer that comes later.
    line_after(&server, "SIGHUP: no certificate files", true);
    assert_eq!(code(&format!("{url}nope"), &[]), "404");
    sigterm(server);

    let parse = |p: &Path| -> Vec<serde_json::Value> {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
            .collect()
    };
    let (old, new) = (parse(&rotated), parse(&log));
    assert_eq!((old.len(), new.len()), (5, 1), "{old:?} {new:?}");
    let j = &old[0];
    assert_eq!(j["remote_addr"], "127.0.0.1");
    assert_eq!(j["request"], "GET /a.txt HTTP/1.1");
    assert_eq!(j["status"], 200);
    assert_eq!(j["body_bytes_sent"], 11);
    assert_eq!(j["http_user_agent"], "line\t\"one\"\\");
    assert_eq!(j["http_referer"], serde_json::Value::Null);
    assert_eq!(j["tls_version"], "TLSv1.3");
    assert!(j["tls_suite"].as_str().unwrap().starts_with("TLS_"), "{j}");
    assert_eq!(j["tls_resumed"], false);
    assert!(
        j["ktls_send"].is_boolean() && j["ktls_recv"].is_boolean(),
        "{j}"
    );
    assert!(j["request_time"].as_f64().unwrap() >= 0.0, "{j}");
    assert!(j["time"].as_str().unwrap().ends_with('Z'), "{j}");
    assert_eq!(new[0]["status"], 404);
}

/// An access log that nobody reads (a FIFO whose reader never reads, so
/// the writer thread blocks once the pipe is full) never holds up a request:
/// rounds of keep-alive requests with long User-Agents all succeed, and
/// /metrics shows the dropped lines growing. Bounded: at most 20 rounds.
#[test]
fn serve_access_log_blocked_never_stalls_requests() {
    use std::os::unix::fs::OpenOptionsExt;
    if !have_curl() {
        return;
    }
    let dir = site("serve-obs-fifo");
    let fifo = dir.with_extension("fifo");
    let _ = std::fs::remove_file(&fifo);
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    // A reader that never reads: the server's open succeeds, its writes
    // block once the pipe holds 64 KiB.
    let reader = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&fifo)
        .unwrap();
    let (server, url, metrics) = serve(&dir, &["--access-log", fifo.to_str().unwrap()]);
    let agent = "a".repeat(4000);
    let urls: Vec<String> = (0..50).map(|_| format!("{url}a.txt")).collect();
    let mut dropped = Vec::new();
    for _ in 0..20 {
        let mut args = vec!["-A", &agent, "-w", "%{http_code}\n"];
        // One connection, 50 requests, each body thrown away.
        for u in &urls {
            args.extend_from_slice(&["-o", "/dev/null", u]);
        }
        let codes = curl(&args);
        assert_eq!(codes.lines().count(), 50, "{codes}");
        assert!(codes.lines().all(|c| c == "200"), "{codes}");
        let m = scrape(&metrics);
        dropped.push(m["baton_access_log_dropped_lines_total"]);
        if dropped.len() >= 2
            && dropped[dropped.len() - 1] > dropped[dropped.len() - 2]
            && dropped[dropped.len() - 2] > 0.0
        {
            break;
        }
    }
    let n = dropped.len();
    assert!(
        n >= 2 && dropped[n - 1] > dropped[n - 2] && dropped[n - 2] > 0.0,
        "dropped lines never grew: {dropped:?}"
    );
    // The writer gets EPIPE instead of blocking: a clean exit.
    drop(reader);
    let done = sigterm(server);
    assert!(done.stderr.contains("lines dropped"), "{}", done.stderr);
}

/// The kTLS counters in /metrics: every connection's two directions are
/// counted once, in the kernel where it protects them (tools/ktls-vm) and
/// in userspace elsewhere.
#[test]
fn serve_metrics_ktls_directions() {
    if !have_curl() {
        return;
    }
    let dir = site("serve-obs-ktls");
    let (server, url, metrics) = serve(&dir, &[]);
    for _ in 0..3 {
        assert_eq!(code(&format!("{url}a.txt"), &[]), "200");
    }
    let m = scrape(&metrics);
    let get = |dir: &str, mode: &str| {
        m[&format!(r#"baton_tls_connections_total{{direction="{dir}",mode="{mode}"}}"#)]
    };
    let kernel = baton_ktls::probe().available();
    let (k, u) = if kernel { (3.0, 0.0) } else { (0.0, 3.0) };
    assert_eq!(
        (get("send", "kernel"), get("send", "userspace")),
        (k, u),
        "{m:?}"
    );
    // The receive direction may stay in userspace on a kernel without it.
    assert_eq!(
        get("recv", "kernel") + get("recv", "userspace"),
        3.0,
        "{m:?}"
    );
    assert!(kernel || get("recv", "kernel") == 0.0, "{m:?}");
    sigterm(server);
}

/// The new flags' bad values are usage errors (exit 2).
#[test]
fn serve_obs_usage_errors() {
    let cases: [&[&str]; 4] = [
        &["serve", "--access-log-format", "json"],
        &[
            "serve",
            "--access-log",
            "/dev/null",
            "--access-log-format",
            "xml",
        ],
        &["serve", "--metrics", "localhost"],
        &["serve", "--access-log", "/nonexistent-dir/x.log"],
    ];
    for (i, args) in cases.iter().enumerate() {
        let out = baton(args).wait(TIMEOUT);
        let want = if i == 3 { 1 } else { 2 };
        assert_eq!(out.status.code(), Some(want), "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.starts_with("error: "),
            "{args:?}: {}",
            out.stderr
        );
    }
}
