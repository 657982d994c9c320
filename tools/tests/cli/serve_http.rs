//! `baton serve`'s HTTP semantics against curl and h2load: validators and
//! conditional requests, If-Range, several ranges, Cache-Control by prefix,
//! pre-compressed variants, and the limits on what a client sends (long
//! heads and lines, header counts, requests per connection, idle and
//! trickling clients) answered or closed without harming other connections.

use super::*;

/// `baton serve DIR --listen 127.0.0.1:0 EXTRA...` with the test CA's
/// certificate; its URL and port.
fn serve(dir: &std::path::Path, extra: &[&str]) -> (Proc, String, u16) {
    let (cert, key) = (path("server-rsa.pem"), path("server-rsa.key"));
    let mut args = vec![
        "serve",
        dir.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--cert",
        &cert,
        "--key",
        &key,
    ];
    args.extend_from_slice(extra);
    let server = baton(&args);
    let url = line_after(&server, &format!("serving {} at ", dir.display()), false);
    let port: u16 = url
        .trim_start_matches("https://127.0.0.1:")
        .trim_end_matches('/')
        .parse()
        .unwrap_or_else(|_| panic!("unexpected URL {url}"));
    (server, url, port)
}

fn have(tool: &str, arg: &str) -> bool {
    let found = Command::new(tool).arg(arg).output().is_ok();
    if !found {
        assert!(
            std::env::var_os("BATON_REQUIRE_OPENSSL").is_none(),
            "{tool} is required under tools/test"
        );
        eprintln!("SKIPPED: {tool} not found");
    }
    found
}

/// curl's response head (`-D -`) for one request, the body thrown away;
/// names are lowercased for [`get_header`].
fn curl_head(args: &[&str]) -> String {
    let out = Command::new("curl")
        .args(["-sk", "--max-time", "30", "-o", "/dev/null", "-D", "-"])
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

/// curl's body for one request.
fn curl_body(args: &[&str]) -> Vec<u8> {
    let out = Command::new("curl")
        .args(["-sk", "--max-time", "30"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "curl {args:?}");
    out.stdout
}

fn status(head: &str) -> u16 {
    head.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn get_header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// The open-file cache notices a file replaced on disk (its new content and
/// ETag are served once the validity window has passed) and a deleted one
/// (404). Bounded polling, no timing assertion: only that the change shows.
#[test]
fn serve_open_file_cache_sees_changes_to_curl() {
    if !have("curl", "--version") {
        return;
    }
    let dir = scratch_dir().join("serve-http-open-files");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("hot.txt"), b"first\n").unwrap();
    let dir = std::fs::canonicalize(dir).unwrap();
    let args = [
        "--workers",
        "1",
        "--quiet",
        "--open-file-cache-valid-ms",
        "50",
    ];
    let (_server, url, _) = serve(&dir, &args);
    let hot = format!("{url}hot.txt");
    let first = curl_head(&[&hot]);
    let etag = get_header(&first, "etag").expect(&first).to_string();
    assert_eq!(curl_body(&[&hot]), b"first\n");
    // Replaced by rename, as deploy tools do.
    std::fs::write(dir.join("hot.tmp"), b"second version\n").unwrap();
    std::fs::rename(dir.join("hot.tmp"), dir.join("hot.txt")).unwrap();
    let mut seen = None;
    for _ in 0..200 {
        let head = curl_head(&[&hot]);
        let now = get_header(&head, "etag").map(str::to_string);
        if now.as_deref() != Some(etag.as_str()) {
            seen = now;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(seen.is_some(), "the new file's ETag never came");
    assert_eq!(curl_body(&[&hot]), b"second version\n");
    std::fs::remove_file(dir.join("hot.txt")).unwrap();
    let gone = (0..200).any(|_| {
        let found = status(&curl_head(&[&hot])) == 404;
        if !found {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        found
    });
    assert!(gone, "a deleted file was still served");
}

/// Every caching header case, with curl: 304 by ETag and by date, If-Range
/// matching or not, Cache-Control/Expires by prefix, br/gzip variants with
/// Vary, 416, and several ranges answered with the whole file.
#[test]
fn serve_caching_semantics_to_curl() {
    if !have("curl", "--version") {
        return;
    }
    let dir = scratch_dir().join("serve-http-caching");
    std::fs::create_dir_all(dir.join("static")).unwrap();
    std::fs::write(dir.join("a.txt"), b"hello caching\n").unwrap();
    std::fs::write(dir.join("static/app.js"), b"console.log(1)").unwrap();
    std::fs::write(dir.join("static/app.js.gz"), b"GZ-BYTES").unwrap();
    std::fs::write(dir.join("static/app.js.br"), b"BR-BYTES!").unwrap();
    let dir = std::fs::canonicalize(dir).unwrap();
    let (_server, url, _) = serve(
        &dir,
        &[
            "--cache-control",
            "/=no-cache",
            "--cache-control",
            "/static/=public, max-age=600",
            "--quiet",
        ],
    );
    let a = format!("{url}a.txt");
    let head = curl_head(&[&a]);
    assert_eq!(status(&head), 200, "{head}");
    let etag = get_header(&head, "etag").expect(&head).to_string();
    let lm = get_header(&head, "last-modified").expect(&head).to_string();
    assert!(get_header(&head, "date").is_some());
    assert_eq!(get_header(&head, "cache-control"), Some("no-cache"));
    assert!(get_header(&head, "expires").is_none());

    let inm = format!("If-None-Match: {etag}");
    let head = curl_head(&["-H", &inm, &a]);
    assert_eq!(status(&head), 304, "{head}");
    assert_eq!(get_header(&head, "etag"), Some(etag.as_str()));
    let ims = format!("If-Modified-Since: {lm}");
    assert_eq!(status(&curl_head(&["-H", &ims, &a])), 304);
    let old = "If-Modified-Since: Thu, 01 Jan 1970 00:00:01 GMT";
    assert_eq!(status(&curl_head(&["-H", old, &a])), 200);

    let if_range = format!("If-Range: {etag}");
    let part = curl_body(&["-r", "0-4", "-H", &if_range, &a]);
    assert_eq!(part, b"hello");
    let whole = curl_body(&["-r", "0-4", "-H", "If-Range: \"stale\"", &a]);
    assert_eq!(whole, b"hello caching\n");
    let head = curl_head(&["-r", "0-1,3-4", &a]);
    assert_eq!(status(&head), 200, "several ranges: {head}");
    assert_eq!(get_header(&head, "content-length"), Some("14"));
    let head = curl_head(&["-r", "100-", &a]);
    assert_eq!(status(&head), 416);
    assert_eq!(get_header(&head, "content-range"), Some("bytes */14"));

    let js = format!("{url}static/app.js");
    let head = curl_head(&[&js]);
    assert_eq!(
        get_header(&head, "cache-control"),
        Some("public, max-age=600")
    );
    let date = httpdate(get_header(&head, "date").unwrap());
    let expires = httpdate(get_header(&head, "expires").expect(&head));
    assert_eq!(expires - date, 600);
    assert_eq!(get_header(&head, "vary"), Some("Accept-Encoding"));
    let br = curl_body(&["-H", "Accept-Encoding: gzip, br", &js]);
    assert_eq!(br, b"BR-BYTES!");
    let gz = curl_body(&["-H", "Accept-Encoding: gzip", &js]);
    assert_eq!(gz, b"GZ-BYTES");
    let head = curl_head(&["-H", "Accept-Encoding: gzip", &js]);
    assert_eq!(get_header(&head, "content-encoding"), Some("gzip"));
    assert_eq!(get_header(&head, "vary"), Some("Accept-Encoding"));
    assert!(get_header(&head, "content-type")
        .unwrap()
        .contains("javascript"));
    let plain = curl_body(&["-H", "Accept-Encoding: identity", &js]);
    assert_eq!(plain, b"console.log(1)");
}

/// Seconds since the epoch of an IMF-fixdate (`Date`, `Expires`).
fn httpdate(s: &str) -> u64 {
    // "Sun, 06 Nov 1994 08:49:37 GMT"
    let p: Vec<&str> = s.split([' ', ':']).collect();
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (d, m, y): (i64, i64, i64) = (
        p[1].parse().unwrap(),
        months.iter().position(|x| *x == p[2]).unwrap() as i64 + 1,
        p[3].parse().unwrap(),
    );
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    let hms: i64 = p[4].parse::<i64>().unwrap() * 3600
        + p[5].parse::<i64>().unwrap() * 60
        + p[6].parse::<i64>().unwrap();
    (days * 86400 + hms) as u64
}

/// The limits against a real server: a long request line (414), too many
/// headers and a big head (431), requests per connection (the last says
/// close), and a malformed request (400) — each refusal closes only its own
/// connection.
#[test]
fn serve_limits_to_curl() {
    if !have("curl", "--version") {
        return;
    }
    let dir = scratch_dir().join("serve-http-limits");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.txt"), b"limits\n").unwrap();
    let dir = std::fs::canonicalize(dir).unwrap();
    let (_server, url, port) = serve(
        &dir,
        &[
            "--max-request-line",
            "200",
            "--max-headers",
            "10",
            "--max-head-bytes",
            "2048",
            "--max-requests",
            "2",
        ],
    );
    let a = format!("{url}a.txt");
    let long = format!("{url}{}", "x".repeat(300));
    assert_eq!(status(&curl_head(&[&long])), 414);
    let mut many = Vec::new();
    for i in 0..12 {
        many.push("-H".to_string());
        many.push(format!("X-H{i}: v"));
    }
    let mut args: Vec<&str> = many.iter().map(String::as_str).collect();
    args.push(&a);
    assert_eq!(status(&curl_head(&args)), 431);
    let big = format!("X-Big: {}", "b".repeat(3000));
    assert_eq!(status(&curl_head(&["-H", &big, &a])), 431);
    // Three requests on one curl: the second response closes the connection.
    let heads = curl_head(&[&a, &a, &a]);
    let conns: Vec<&str> = heads
        .lines()
        .filter_map(|l| l.strip_prefix("Connection: "))
        .collect();
    assert_eq!(conns, ["keep-alive", "close", "keep-alive"], "{heads}");
    // Malformed: 400 and closed.
    let config = client_config();
    let mut conn =
        baton_client(&config, port, |c| c.set_server_name("localhost").unwrap()).unwrap();
    send_all(&mut conn, b"GET /a.txt HTTP/1.1\r\nno colon here\r\n\r\n").unwrap();
    let got = read_to_close(&mut conn);
    assert!(got.starts_with("HTTP/1.1 400 "), "{got}");
    assert_eq!(status(&curl_head(&[&a])), 200, "others unharmed");
}

/// What arrives on `conn` until the server closes it; panics if it is
/// still open after the socket's read timeout.
fn read_to_close(conn: &mut baton::Connection) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match conn.recv(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => {
                assert_ne!(
                    e.kind(),
                    baton::ErrorKind::Blocked,
                    "still open after the read timeout"
                );
                break;
            }
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// A request head sent a byte at a time (slowloris) is closed once the
/// head timeout has passed, while another connection is served as usual;
/// a connection idle between requests is closed by the idle timeout.
#[test]
fn serve_closes_trickling_and_idle_connections() {
    let dir = scratch_dir().join("serve-http-slow");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.txt"), b"slow\n").unwrap();
    let dir = std::fs::canonicalize(dir).unwrap();
    let (server, _, port) = serve(&dir, &["--head-timeout", "1", "--idle-timeout", "2"]);
    let config = client_config();
    let connect =
        || baton_client(&config, port, |c| c.set_server_name("localhost").unwrap()).unwrap();
    let mut slow = connect();
    let mut other = connect();
    let head = b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\nX-Slow: "
        .iter()
        .chain(std::iter::repeat(&b'z'));
    // Bounded: at most 300 bytes, 100 ms apart (30 s); the server closes
    // after about 1 s, and a send after that fails once its RST is back.
    let mut closed = false;
    for (i, b) in head.take(300).enumerate() {
        if send_all(&mut slow, &[*b]).is_err() {
            closed = true;
            break;
        }
        if i == 3 {
            // Meanwhile another connection is answered.
            send_all(
                &mut other,
                b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n",
            )
            .unwrap();
            let mut buf = [0u8; 4096];
            let n = other.recv(&mut buf).unwrap();
            assert!(buf[..n].starts_with(b"HTTP/1.1 200 "));
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        closed,
        "a trickling head was never closed; {}",
        server.stderr_now()
    );
    assert!(
        server.stderr_now().contains("head timeout"),
        "{}",
        server.stderr_now()
    );
    // The idle one: answered, then closed by the idle timeout (2 s) without
    // another request (read_to_close fails if still open after 10 s).
    let mut idle = connect();
    send_all(&mut idle, b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
    let got = read_to_close(&mut idle);
    assert!(
        got.starts_with("HTTP/1.1 200 ") && got.ends_with("slow\n"),
        "{got}"
    );
}

/// h2load (HTTP/1.1) with conditional requests: every one is answered,
/// with 304 by ETag, over several keep-alive connections.
#[test]
fn serve_conditional_requests_to_h2load() {
    if !have("h2load", "--version") || !have("curl", "--version") {
        return;
    }
    let dir = scratch_dir().join("serve-http-h2load");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.txt"), vec![b'h'; 1024]).unwrap();
    let dir = std::fs::canonicalize(dir).unwrap();
    let (_server, url, _) = serve(&dir, &["--quiet"]);
    let a = format!("{url}a.txt");
    let etag = get_header(&curl_head(&[&a]), "etag").unwrap().to_string();
    let run = |extra: &str| {
        let out = Command::new("timeout")
            .args([
                "60", "h2load", "--h1", "-n", "400", "-c", "4", "-H", extra, &a,
            ])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "h2load: {text}");
        text
    };
    let text = run(&format!("If-None-Match: {etag}"));
    assert!(
        text.contains("400 succeeded, 0 failed, 0 errored"),
        "{text}"
    );
    assert!(
        text.contains("0 2xx, 400 3xx, 0 4xx, 0 5xx"),
        "all 304: {text}"
    );
    let text = run("If-None-Match: \"other\"");
    assert!(text.contains("400 2xx, 0 3xx"), "all 200: {text}");
}

/// `--max-connections 1` with one worker: a second connection is closed at
/// accept while the first is open, and taken once the first has gone.
#[test]
fn serve_max_connections_per_worker() {
    let dir = scratch_dir().join("serve-http-maxconn");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.txt"), b"one\n").unwrap();
    let dir = std::fs::canonicalize(dir).unwrap();
    let (server, _, port) = serve(
        &dir,
        &["--max-connections", "1", "--workers", "1", "--quiet"],
    );
    let config = client_config();
    let connect = || baton_client(&config, port, |c| c.set_server_name("localhost").unwrap());
    let mut first = connect().unwrap();
    send_all(
        &mut first,
        b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n",
    )
    .unwrap();
    let mut buf = [0u8; 4096];
    let n = first.recv(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200 "));
    assert!(connect().is_err(), "a second connection beyond the limit");
    drop(first);
    // The first one's close reaches the worker asynchronously: bounded retries.
    let taken = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        connect().is_ok()
    });
    assert!(taken, "{}", server.stderr_now());
}

/// The new flags refuse bad values with a usage error (exit 2).
#[test]
fn serve_http_flags_usage_errors() {
    let cases: [&[&str]; 7] = [
        &["serve", "--cache-control", "no-equals-sign"],
        &["serve", "--cache-control", "relative/=max-age=1"],
        &["serve", "--max-headers", "0"],
        &["serve", "--max-headers", "257"],
        &["serve", "--head-timeout", "ten"],
        &["serve", "--max-requests", "-1"],
        &["serve", "--open-file-cache-valid-ms", "soon"],
    ];
    for args in cases {
        let out = baton(args).wait(TIMEOUT);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.starts_with("error: "),
            "{args:?}: {}",
            out.stderr
        );
    }
}
