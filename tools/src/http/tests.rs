use super::parse::*;
use super::response::*;
use super::root::*;
use super::*;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// A temporary directory tree, removed on drop.
pub(super) struct TempTree(pub(super) PathBuf);

thread_local! {
    /// Responses this thread's [`exchange_site`] saw with a file image.
    pub(super) static IMAGES_SEEN: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}
impl TempTree {
    pub(super) fn new(name: &str) -> Self {
        let p = std::env::temp_dir().join(format!("baton-http-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(p.join("sub")).unwrap();
        fs::write(p.join("a.txt"), b"hello\n").unwrap();
        fs::write(p.join("sub/page.html"), b"<p>hi</p>").unwrap();
        fs::write(p.join("with space.txt"), b"x").unwrap();
        let _ = std::os::unix::fs::symlink("/etc", p.join("escape"));
        Self(fs::canonicalize(&p).unwrap())
    }
}
impl Drop for TempTree {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Drives an [`HttpConn`] with `input` as the whole request stream and
/// collects the responses (file bodies read in) and the log lines.
pub(super) fn exchange(root: &Path, input: &str) -> (String, Vec<String>) {
    exchange_early(root, "", input)
}

/// As [`exchange`], with `early` sent first as TLS early data.
fn exchange_early(root: &Path, early: &str, input: &str) -> (String, Vec<String>) {
    exchange_site(Site::new(Root::open(root).unwrap()), early, input)
}

/// As [`exchange_early`], serving `site`.
pub(super) fn exchange_site(site: Site, early: &str, input: &str) -> (String, Vec<String>) {
    let mut c = HttpConn::new(std::sync::Arc::new(site));
    assert!(c.push_early(early.as_bytes()));
    assert!(c.push(input.as_bytes()));
    let mut out = Vec::new();
    let mut log = Vec::new();
    loop {
        match c.next() {
            Next::NeedMore => break,
            Next::Refuse { bytes, log: l } => {
                out.extend_from_slice(&bytes);
                log.push(l.to_string());
                break;
            }
            Next::Respond {
                response,
                keep_alive,
                log: l,
            } => {
                out.extend_from_slice(&response.bytes);
                if let Some(part) = response.file {
                    let (start, len) = (part.offset as usize, part.len as usize);
                    let mut body = vec![0u8; len];
                    std::os::unix::fs::FileExt::read_exact_at(&part.file, &mut body, part.offset)
                        .unwrap();
                    if let Some(image) = &part.image {
                        // What the runtime would seal instead of reading.
                        assert_eq!(&image[start..start + len], &body[..]);
                        IMAGES_SEEN.set(IMAGES_SEEN.get() + 1);
                    }
                    out.extend_from_slice(&body);
                }
                log.push(l.to_string());
                if !keep_alive {
                    break;
                }
            }
        }
    }
    (String::from_utf8(out).unwrap(), log)
}

#[test]
fn heads() {
    assert_eq!(head_end(b"GET / HTTP/1.1\r\n\r\nrest", 0), Some(18));
    assert_eq!(head_end(b"GET / HTTP/1.0\n\nrest", 0), Some(16));
    assert_eq!(head_end(b"GET / HTTP/1.0\n\nrest", 15), Some(16));
    assert_eq!(head_end(b"GET / HTTP/1.1\r\nHost: x\r\n", 0), None);
    let parse_head = |h: &[u8]| parse_head(h, 64);
    let r = parse_head(b"GET /a?b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    assert_eq!(
        (r.method.as_str(), r.target.as_str(), r.keep_alive),
        ("GET", "/a?b", false)
    );
    let r = parse_head(b"HEAD / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").unwrap();
    assert!(r.keep_alive);
    assert!(!parse_head(b"GET / HTTP/1.0\r\n\r\n").unwrap().keep_alive);
    let r = parse_head(b"POST / HTTP/1.1\r\nContent-Length: 12\r\n\r\n").unwrap();
    assert_eq!(r.content_length, 12);
    assert_eq!(parse_head(b"GET / HTTP/2.0\r\n\r\n"), Err(505));
    assert_eq!(parse_head(b"GET /\r\n\r\n"), Err(400));
    assert_eq!(
        parse_head(b"GET / HTTP/1.1\r\nbad header\r\n\r\n"),
        Err(400)
    );
    assert_eq!(
        parse_head(b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"),
        Err(400)
    );
}

#[test]
fn decoding() {
    assert_eq!(percent_decode("/a%20b%2F").unwrap(), b"/a b/");
    assert!(percent_decode("/%zz").is_none());
    assert!(percent_decode("/%2").is_none());
    assert_eq!(percent_encode(b"a b/\xff"), "a%20b%2F%FF");
    assert_eq!(
        html_escape("<a href=\"x\">&'"),
        "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
    );
}

#[test]
fn resolving_stays_inside_root() {
    let t = TempTree::new("resolve");
    assert_eq!(resolve("/a.txt?x=1").unwrap(), Path::new("a.txt"));
    assert_eq!(
        resolve("/with%20space.txt").unwrap(),
        Path::new("with space.txt")
    );
    assert_eq!(resolve("/").unwrap(), Path::new(""));
    assert_eq!(
        resolve("/sub/./page.html").unwrap(),
        Path::new("sub/page.html")
    );
    assert_eq!(resolve("/../etc/passwd"), Err(403));
    assert_eq!(resolve("/%2e%2e/etc/passwd"), Err(403));
    assert_eq!(resolve("/sub/%2E%2E/a.txt"), Err(403));
    assert_eq!(resolve("/sub%2f..%2fa.txt"), Err(403));
    assert_eq!(resolve("/a%00.txt"), Err(400));
    assert_eq!(resolve("a.txt"), Err(400));
    // Symlinks: inside (relative) is fine; out, absolute, and loops are
    // refused; FIFOs are refused without blocking.
    let _ = std::os::unix::fs::symlink("sub/page.html", t.0.join("inside"));
    let _ = std::os::unix::fs::symlink(t.0.join("a.txt"), t.0.join("absolute"));
    let _ = std::os::unix::fs::symlink("loop", t.0.join("loop"));
    nix::unistd::mkfifo(&t.0.join("fifo"), nix::sys::stat::Mode::S_IRWXU).unwrap();
    let open = |root: &Root, target: &str| {
        resolve(target).and_then(|rel| root.open_beneath(&rel).map(|o| o.meta.len()))
    };
    let root = Root::open(&t.0).unwrap();
    assert_eq!(open(&root, "/a.txt"), Ok(6));
    assert_eq!(open(&root, "/inside"), Ok(9));
    assert!(root.open_beneath(Path::new("")).unwrap().meta.is_dir());
    assert_eq!(open(&root, "/escape/passwd"), Err(403));
    assert_eq!(open(&root, "/escape/"), Err(403));
    assert_eq!(open(&root, "/missing"), Err(404));
    assert_eq!(open(&root, "/a.txt/x"), Err(404));
    assert_eq!(open(&root, "/fifo"), Err(403));
    assert!(matches!(open(&root, "/loop"), Err(403 | 404)));
    // An absolute symlink is refused even when it points back inside.
    assert_eq!(open(&root, "/absolute"), Err(403));
}

/// A directory opened under the root is listed (and its index.html looked
/// up) through the opened descriptor: a symlink swapped to point outside
/// between the open and the listing changes nothing.
#[test]
fn a_directory_is_listed_through_the_descriptor_that_was_opened() {
    let t = TempTree::new("swap");
    let outside = TempTree::new("swap-outside");
    fs::write(outside.0.join("OUTSIDE-ONLY.txt"), b"secret").unwrap();
    fs::write(outside.0.join("index.html"), b"OUTSIDE index").unwrap();
    fs::create_dir(t.0.join("pub")).unwrap();
    fs::write(t.0.join("pub/inside.txt"), b"public").unwrap();
    std::os::unix::fs::symlink("pub", t.0.join("link")).unwrap();
    let root = Root::open(&t.0).unwrap();
    let opened = root.open_beneath(Path::new("link")).unwrap();
    // The swap: rename(2) of a prepared symlink over `link`.
    std::os::unix::fs::symlink(&outside.0, t.0.join("link.new")).unwrap();
    fs::rename(t.0.join("link.new"), t.0.join("link")).unwrap();
    let site = Site::new(Root::open(&t.0).unwrap());
    let req = parse_head(b"GET /link/ HTTP/1.0\r\n\r\n", 8).unwrap();
    let page = dir_response(&site, &req, opened, "/link/");
    let page = String::from_utf8(page.bytes).unwrap();
    assert!(page.starts_with("HTTP/1.1 200 "), "{page}");
    assert!(page.contains("inside.txt"), "{page}");
    assert!(!page.contains("OUTSIDE"), "{page}");
}

/// Where `openat2` is missing (ENOSYS) or refused (EPERM from a seccomp
/// filter), the root is refused at start with a clear error: there is no
/// racy fallback to switch to later.
#[test]
fn a_root_is_refused_where_openat2_does_not_work() {
    let t = TempTree::new("probe");
    for errno in [nix::errno::Errno::ENOSYS, nix::errno::Errno::EPERM] {
        let e = Root::open_probed(&t.0, |_| Err(errno)).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::Unsupported, "{e}");
        assert!(e.to_string().contains("Refusing to serve"), "{e}");
    }
    assert!(Root::open(&t.0).is_ok(), "this kernel has openat2");
}

/// Requests that start in early data: GET and HEAD are answered (and
/// logged as early), others get 425 Too Early with their body skipped and
/// the connection kept; a request that starts in early data is early
/// however it ends, and one that starts after it is answered as usual.
#[test]
fn early_data_requests_get_425_unless_get_or_head() {
    let t = TempTree::new("early");
    let (out, log) = exchange_early(
        &t.0,
        "GET /a.txt HTTP/1.1\r\n\r\n\
         POST /a.txt HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc\
         PUT /a.txt HTTP/1.1\r\nContent-",
        "Length: 2\r\n\r\nxy\
         POST /a.txt HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc\
         HEAD /a.txt HTTP/1.1\r\n\r\n",
    );
    let responses: Vec<&str> = out.split("HTTP/1.1 ").skip(1).collect();
    assert_eq!(responses.len(), 5, "{out}");
    assert!(responses[0].starts_with("200 OK\r\n"));
    assert!(responses[1].starts_with("425 Too Early\r\n"), "{out}");
    assert!(responses[2].starts_with("425 Too Early\r\n"), "{out}");
    assert!(responses[3].starts_with("405 "), "after early data: {out}");
    assert!(responses[4].starts_with("200 OK\r\n"));
    assert_eq!(
        log,
        [
            "GET /a.txt 200 6 early",
            "POST /a.txt 425 14 early",
            "PUT /a.txt 425 14 early",
            "POST /a.txt 405 23",
            "HEAD /a.txt 200 6"
        ]
    );
}

#[test]
fn keep_alive_get_head_405() {
    let t = TempTree::new("keepalive");
    let (out, log) = exchange(
        &t.0,
        "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n\
         HEAD /a.txt HTTP/1.1\r\n\r\n\
         POST /a.txt HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc\
         GET /nope HTTP/1.1\r\nConnection: close\r\n\r\n\
         GET /a.txt HTTP/1.1\r\n\r\n",
    );
    let responses: Vec<&str> = out.split("HTTP/1.1 ").skip(1).collect();
    assert_eq!(responses.len(), 4, "{out}");
    assert!(responses[0].starts_with("200 OK\r\n"));
    assert!(responses[0].contains("Content-Length: 6\r\n"));
    assert!(responses[0].contains("Content-Type: text/plain; charset=utf-8\r\n"));
    assert!(responses[0].ends_with("\r\n\r\nhello\n"));
    assert!(responses[1].starts_with("200 OK\r\n") && responses[1].ends_with("\r\n\r\n"));
    assert!(responses[2].starts_with("405 ") && responses[2].contains("Allow: GET, HEAD\r\n"));
    assert!(responses[3].starts_with("404 ") && responses[3].contains("Connection: close\r\n"));
    assert_eq!(
        log,
        [
            "GET /a.txt 200 6",
            "HEAD /a.txt 200 6",
            "POST /a.txt 405 23",
            "GET /nope 404 14"
        ]
    );
}

#[test]
fn directories() {
    let t = TempTree::new("dirs");
    let (out, _) = exchange(&t.0, "GET /sub HTTP/1.0\r\n\r\n");
    assert!(
        out.starts_with("HTTP/1.1 301 ") && out.contains("Location: /sub/\r\n"),
        "{out}"
    );
    assert!(out.contains("Connection: close\r\n"));
    let (out, _) = exchange(&t.0, "GET / HTTP/1.0\r\n\r\n");
    assert!(
        out.contains("href=\"with%20space.txt\">with space.txt</a>"),
        "{out}"
    );
    assert!(out.contains("href=\"sub/\">sub/</a>"));
    fs::write(t.0.join("sub/index.html"), b"index!").unwrap();
    let (out, _) = exchange(&t.0, "GET /sub/ HTTP/1.0\r\n\r\n");
    assert!(
        out.ends_with("\r\n\r\nindex!") && out.contains("text/html"),
        "{out}"
    );
    let (out, _) = exchange(&t.0, "GET /escape/hostname HTTP/1.0\r\n\r\n");
    assert!(out.starts_with("HTTP/1.1 403 "), "{out}");
}

#[test]
fn refusals() {
    let t = TempTree::new("refuse");
    let (out, _) = exchange(&t.0, "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
    assert!(out.starts_with("HTTP/1.1 501 "), "{out}");
    let big = format!(
        "GET / HTTP/1.1\r\nX: {}\r\n\r\n",
        "a".repeat(Limits::default().max_head + 10)
    );
    let (out, _) = exchange(&t.0, &big);
    assert!(out.starts_with("HTTP/1.1 431 "), "{out}");
    let (out, _) = exchange(&t.0, "garbage\r\n\r\n");
    assert!(out.starts_with("HTTP/1.1 400 "), "{out}");
    assert_eq!(content_type(Path::new("x.PNG")), ("image/png", ""));
    assert_eq!(
        content_type(Path::new("noext")),
        ("application/octet-stream", "")
    );
    assert_eq!(
        content_type(Path::new("a.html")),
        ("text/html", "; charset=utf-8")
    );
}

#[test]
fn range_parsing() {
    use RangeAnswer::*;
    let p = |v: &str| parse_range(v, 100);
    assert_eq!(p("bytes=0-9"), Part { start: 0, end: 9 });
    assert_eq!(p("bytes=90-"), Part { start: 90, end: 99 });
    assert_eq!(p("bytes=-10"), Part { start: 90, end: 99 });
    assert_eq!(p("bytes=-1000"), Part { start: 0, end: 99 });
    assert_eq!(p("bytes=50-1000"), Part { start: 50, end: 99 });
    assert_eq!(p("bytes=100-"), Unsatisfiable);
    assert_eq!(p("bytes=100-200"), Unsatisfiable);
    assert_eq!(p("bytes=-0"), Unsatisfiable);
    assert_eq!(parse_range("bytes=0-0", 0), Unsatisfiable);
    for ignored in [
        "bytes=5-1",
        "bytes=0-1,5-6",
        "items=0-1",
        "bytes=a-b",
        "bytes=-",
        "bytes=+1-2",
        "",
    ] {
        assert_eq!(p(ignored), Full, "{ignored}");
    }
    // u64 overflow in the number is ignored, not a panic.
    assert_eq!(p("bytes=99999999999999999999999-"), Full);
}

#[test]
fn range_responses() {
    let t = TempTree::new("range");
    // a.txt is "hello\n".
    let (out, log) = exchange(
        &t.0,
        "GET /a.txt HTTP/1.1\r\nRange: bytes=1-3\r\nConnection: close\r\n\r\n",
    );
    assert!(out.starts_with("HTTP/1.1 206 Partial Content\r\n"), "{out}");
    assert!(
        out.contains("Content-Range: bytes 1-3/6\r\n") && out.contains("Content-Length: 3\r\n")
    );
    assert!(out.ends_with("\r\n\r\nell"), "{out}");
    assert_eq!(log, ["GET /a.txt 206 3"]);
    let (out, _) = exchange(
        &t.0,
        "GET /a.txt HTTP/1.1\r\nRange: bytes=6-\r\nConnection: close\r\n\r\n",
    );
    assert!(
        out.starts_with("HTTP/1.1 416 ") && out.contains("Content-Range: bytes */6\r\n"),
        "{out}"
    );
    // If-Range without validators: the whole file.
    let (out, _) = exchange(
        &t.0,
        "GET /a.txt HTTP/1.1\r\nRange: bytes=1-3\r\nIf-Range: \"x\"\r\nConnection: close\r\n\r\n",
    );
    assert!(
        out.starts_with("HTTP/1.1 200 ") && out.ends_with("hello\n"),
        "{out}"
    );
    assert!(out.contains("Accept-Ranges: bytes\r\n"));
    // HEAD with a range: the 206 head, no body.
    let (out, _) = exchange(
        &t.0,
        "HEAD /a.txt HTTP/1.1\r\nRange: bytes=-2\r\nConnection: close\r\n\r\n",
    );
    assert!(
        out.starts_with("HTTP/1.1 206 ") && out.ends_with("\r\n\r\n"),
        "{out}"
    );
    assert!(out.contains("Content-Range: bytes 4-5/6\r\n"));
}
