//! A minimal HTTP/1.1 static file responder for an event loop: GET and HEAD,
//! keep-alive and pipelining, Content-Length, single byte ranges, directory
//! listings, and no way out of the served directory.
//!
//! It knows nothing about TLS or sockets: `HttpConn` takes received bytes and
//! gives responses (head bytes, then optionally part of a file); `serve.rs`
//! runs it on the io_uring runtime, and the tests below drive it in memory.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Longest request head (request line and headers) accepted.
const MAX_HEAD: usize = 16 * 1024;
/// Longest request body read and thrown away (GET/HEAD bodies have no meaning).
const MAX_DISCARD: u64 = 1024 * 1024;

/// A parsed request head.
#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub target: String,
    pub keep_alive: bool,
    pub content_length: u64,
    pub chunked: bool,
    /// The `Range` header's value, unless `If-Range` came with it (without
    /// validators to compare, the whole file is the safe answer).
    pub range: Option<String>,
}

/// Where a head ends: just after the first empty line (`\r\n\r\n` or `\n\n`).
fn head_end(buf: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(off) = buf[i..].iter().position(|&b| b == b'\n') {
        let nl = i + off;
        match buf.get(nl + 1..) {
            Some([b'\n', ..]) => return Some(nl + 2),
            Some([b'\r', b'\n', ..]) => return Some(nl + 3),
            _ => i = nl + 1,
        }
    }
    None
}

/// Parses a request head, or returns the status to refuse it with.
pub fn parse_head(head: &[u8]) -> Result<Request, u16> {
    let text = std::str::from_utf8(head).map_err(|_| 400u16)?;
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let line = lines.next().ok_or(400u16)?;
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(400);
    };
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) || target.is_empty() {
        return Err(400);
    }
    let http11 = match version {
        "HTTP/1.1" => true,
        "HTTP/1.0" => false,
        v if v.starts_with("HTTP/") => return Err(505),
        _ => return Err(400),
    };
    let mut req = Request {
        method: method.to_string(),
        target: target.to_string(),
        keep_alive: http11,
        content_length: 0,
        chunked: false,
        range: None,
    };
    let mut seen_length = None;
    let mut if_range = false;
    for line in lines.take_while(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':').ok_or(400u16)?;
        if name.is_empty() || name.bytes().any(|b| b.is_ascii_whitespace()) {
            return Err(400);
        }
        let value = value.trim();
        if name.eq_ignore_ascii_case("connection") {
            for token in value.split(',').map(str::trim) {
                if token.eq_ignore_ascii_case("close") {
                    req.keep_alive = false;
                } else if token.eq_ignore_ascii_case("keep-alive") && !http11 {
                    req.keep_alive = true;
                }
            }
        } else if name.eq_ignore_ascii_case("content-length") {
            let n = value.parse::<u64>().map_err(|_| 400u16)?;
            if seen_length.is_some_and(|m| m != n) {
                return Err(400);
            }
            seen_length = Some(n);
            req.content_length = n;
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            req.chunked = true;
        } else if name.eq_ignore_ascii_case("range") {
            req.range = Some(value.to_string());
        } else if name.eq_ignore_ascii_case("if-range") {
            if_range = true;
        }
    }
    if if_range {
        req.range = None;
    }
    Ok(req)
}

/// What a `Range` header asks of a file of `len` bytes (RFC 9110 §14.1.2).
#[derive(Debug, PartialEq, Eq)]
pub enum RangeAnswer {
    /// Ignore it and send the whole file (syntax we don't serve, or several ranges).
    Full,
    /// 206: bytes `start..=end`.
    Part { start: u64, end: u64 },
    /// 416: nothing of the file is in the range.
    Unsatisfiable,
}

/// Parses a single `bytes=` range; anything else is answered with the whole file.
pub fn parse_range(value: &str, len: u64) -> RangeAnswer {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return RangeAnswer::Full;
    };
    let spec = spec.trim();
    if spec.contains(',') {
        return RangeAnswer::Full; // multipart/byteranges is not served
    }
    let Some((first, last)) = spec.split_once('-') else {
        return RangeAnswer::Full;
    };
    let num = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (first, last) = (first.trim(), last.trim());
    match (first.is_empty(), num(first), num(last)) {
        // bytes=-N: the last N bytes.
        (true, _, Some(n)) => {
            if n == 0 || len == 0 {
                RangeAnswer::Unsatisfiable
            } else {
                RangeAnswer::Part {
                    start: len.saturating_sub(n),
                    end: len - 1,
                }
            }
        }
        (false, Some(a), None) if last.is_empty() => {
            if a >= len {
                RangeAnswer::Unsatisfiable
            } else {
                RangeAnswer::Part {
                    start: a,
                    end: len - 1,
                }
            }
        }
        (false, Some(a), Some(b)) if a <= b => {
            if a >= len {
                RangeAnswer::Unsatisfiable
            } else {
                RangeAnswer::Part {
                    start: a,
                    end: b.min(len - 1),
                }
            }
        }
        _ => RangeAnswer::Full,
    }
}

/// Most request bytes buffered for one connection of an event loop (pipelined
/// requests waiting behind a response): beyond it the connection is closed.
const MAX_BUFFERED: usize = 1 << 20;

/// What [`HttpConn::next`] found in the buffered input.
#[derive(Debug)]
pub enum Next {
    /// Not a whole request yet.
    NeedMore,
    /// A response; `keep_alive` says whether more requests may follow; `log`
    /// is the request's log line.
    Respond {
        response: Response,
        keep_alive: bool,
        log: String,
    },
    /// Refused (the bytes are the error response); the connection must close.
    Refuse { bytes: Vec<u8>, log: String },
}

/// One connection's HTTP/1.1 requests for an event loop: push received bytes,
/// take responses one at a time. The same parsing and answers as
/// [`serve_connection`].
#[derive(Debug)]
pub struct HttpConn {
    root: std::sync::Arc<Root>,
    buf: Vec<u8>,
    discard: u64,
}

impl HttpConn {
    /// Serves files under `root`.
    pub fn new(root: std::sync::Arc<Root>) -> Self {
        Self {
            root,
            buf: Vec::new(),
            discard: 0,
        }
    }

    /// Bytes from the client. False if too much is buffered (close then).
    pub fn push(&mut self, data: &[u8]) -> bool {
        self.buf.extend_from_slice(data);
        self.buf.len() <= MAX_BUFFERED
    }

    /// The next request's answer, if a whole request is buffered.
    pub fn next(&mut self) -> Next {
        if self.discard > 0 {
            let n = usize::try_from(self.discard)
                .unwrap_or(usize::MAX)
                .min(self.buf.len());
            self.buf.drain(..n);
            self.discard -= n as u64;
            if self.discard > 0 {
                return Next::NeedMore;
            }
        }
        let refuse = |status: u16, log: String| {
            let mut bytes = Vec::new();
            let _ = error_response(&mut bytes, status, false, false);
            Next::Refuse { bytes, log }
        };
        let end = match head_end(&self.buf) {
            Some(end) if end <= MAX_HEAD => end,
            Some(_) => return refuse(431, "- - 431".into()),
            None if self.buf.len() > MAX_HEAD => return refuse(431, "- - 431".into()),
            None => return Next::NeedMore,
        };
        let head: Vec<u8> = self.buf.drain(..end).collect();
        let req = match parse_head(&head) {
            Ok(r) => r,
            Err(status) => return refuse(status, format!("- - {status}")),
        };
        if req.chunked || req.content_length > MAX_DISCARD {
            let status = if req.chunked { 501 } else { 413 };
            return refuse(status, format!("{} {} {status}", req.method, req.target));
        }
        self.discard = req.content_length;
        let response = build_response(&self.root, &req);
        let log = format!(
            "{} {} {} {}",
            req.method, req.target, response.status, response.len
        );
        Next::Respond {
            response,
            keep_alive: req.keep_alive,
            log,
        }
    }
}

/// Decodes `%XX` escapes; `None` for a malformed escape.
pub fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

/// Encodes everything but unreserved characters, for links in listings.
fn percent_encode(name: &[u8]) -> String {
    let mut out = String::with_capacity(name.len());
    for &b in name {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The path part of a request target (no query, no fragment).
fn target_path(target: &str) -> &str {
    target.split(['?', '#']).next().unwrap_or("")
}

/// The served directory. Files are opened relative to a descriptor of it with
/// `openat2(RESOLVE_BENEATH)`, so the kernel refuses, atomically, any path that
/// leaves it (`..`, absolute or escaping symlinks, magic links): no
/// check-then-open race, and one syscall instead of `realpath`'s one
/// `readlink` per path component. Without `openat2` (kernels before 5.6, or a
/// seccomp filter that refuses it) [`Root::open`] fails: every other way to
/// check a path races with a symlink swapped under it, so there is no fallback.
#[derive(Debug)]
pub struct Root {
    path: PathBuf,
    dir: File,
}

/// An opened file or directory under [`Root`].
#[derive(Debug)]
pub struct Opened {
    /// Path relative to the root (no `..`, no leading `/`).
    pub rel: PathBuf,
    pub file: File,
    pub meta: fs::Metadata,
}

impl Root {
    /// Opens `path` (a directory, canonicalized) as the served root, and
    /// checks once that this kernel resolves paths beneath it (`openat2`).
    pub fn open(path: &Path) -> io::Result<Self> {
        Self::open_probed(path, |dir| openat_beneath(dir, Path::new(".")).map(drop))
    }

    /// [`open`](Self::open), with the `openat2` check given (tests stand in a
    /// kernel without it).
    fn open_probed(path: &Path, probe: impl FnOnce(&File) -> nix::Result<()>) -> io::Result<Self> {
        let path = fs::canonicalize(path)?;
        let dir = File::open(&path)?;
        if !dir.metadata()?.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} is not a directory", path.display()),
            ));
        }
        probe(&dir).map_err(|e| {
            io::Error::new(
                io::ErrorKind::Unsupported,
                format!(
                    "openat2(RESOLVE_BENEATH) does not work here ({e}); it needs Linux 5.6 \
                     or later and no seccomp filter refusing it. Refusing to serve: \
                     without it a symlink swapped during a request could lead outside {}",
                    path.display()
                ),
            )
        })?;
        Ok(Self { path, dir })
    }

    /// The root's canonical path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens `rel` (from [`resolve`]) for reading, refusing anything outside
    /// the root (403), missing (404), and anything but regular files and
    /// directories (403: a FIFO or device would block or never end).
    pub fn open_beneath(&self, rel: &Path) -> Result<Opened, u16> {
        open_under(&self.dir, rel)
    }
}

/// `openat2(dir, rel, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)`, read-only.
/// O_NONBLOCK so that opening a FIFO cannot block the worker; it does nothing
/// for regular files.
fn openat_beneath(dir: &File, rel: &Path) -> nix::Result<File> {
    use nix::fcntl::{OFlag, OpenHow, ResolveFlag};
    let flags = OFlag::O_RDONLY | OFlag::O_CLOEXEC | OFlag::O_NOCTTY | OFlag::O_NONBLOCK;
    let how = OpenHow::new()
        .flags(flags)
        .resolve(ResolveFlag::RESOLVE_BENEATH | ResolveFlag::RESOLVE_NO_MAGICLINKS);
    let target = if rel.as_os_str().is_empty() {
        Path::new(".")
    } else {
        rel
    };
    nix::fcntl::openat2(dir, target, how).map(File::from)
}

/// Opens `rel` beneath the directory `dir` (the root, or a directory already
/// opened under it): a regular file or a directory, else an HTTP status.
fn open_under(dir: &File, rel: &Path) -> Result<Opened, u16> {
    let file = openat_beneath(dir, rel).map_err(errno_status)?;
    let meta = file.metadata().map_err(io_status)?;
    if !meta.is_file() && !meta.is_dir() {
        return Err(403);
    }
    Ok(Opened {
        rel: rel.to_path_buf(),
        file,
        meta,
    })
}

fn io_status(e: io::Error) -> u16 {
    match e.raw_os_error() {
        Some(code) => errno_status(nix::errno::Errno::from_raw(code)),
        None => 404,
    }
}

/// EXDEV: the path would leave the root; ELOOP: a magic link or a symlink
/// loop; EACCES/EPERM: not readable.
fn errno_status(e: nix::errno::Errno) -> u16 {
    use nix::errno::Errno;
    match e {
        Errno::EXDEV | Errno::ELOOP | Errno::EACCES | Errno::EPERM => 403,
        _ => 404,
    }
}

/// Maps a request target to a path relative to the root: percent-decoded,
/// `.` and empty segments dropped. Refuses (403) any `..` segment after
/// decoding; [`Root::open_beneath`] refuses symlinks that lead out.
pub fn resolve(target: &str) -> Result<PathBuf, u16> {
    let path = target_path(target);
    if !path.starts_with('/') {
        return Err(400);
    }
    let decoded = percent_decode(path).ok_or(400u16)?;
    if decoded.contains(&0) {
        return Err(400);
    }
    let mut p = PathBuf::new();
    for seg in decoded.split(|&b| b == b'/') {
        match seg {
            b"" | b"." => {}
            b".." => return Err(403),
            s => p.push(OsStr::from_bytes(s)),
        }
    }
    Ok(p)
}

/// Content-Type by file extension.
pub fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(OsStr::to_str)
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("json") => "application/json",
        Some("txt" | "rs" | "toml" | "sh" | "c" | "h") => "text/plain; charset=utf-8",
        Some("md") => "text/markdown; charset=utf-8",
        Some("csv") => "text/csv; charset=utf-8",
        Some("xml") => "application/xml",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("ico") => "image/x-icon",
        Some("wasm") => "application/wasm",
        Some("pdf") => "application/pdf",
        Some("zip") => "application/zip",
        Some("gz") => "application/gzip",
        Some("tar") => "application/x-tar",
        Some("mp4") => "video/mp4",
        Some("webm") => "video/webm",
        Some("mp3") => "audio/mpeg",
        Some("woff") => "font/woff",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        206 => "Partial Content",
        416 => "Range Not Satisfiable",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

/// Writes a status line and headers (Content-Length, Connection, and `extra`).
fn write_head<W: Write>(
    w: &mut W,
    status: u16,
    len: u64,
    keep_alive: bool,
    extra: &[(&str, &str)],
) -> io::Result<()> {
    let mut h = format!("HTTP/1.1 {status} {}\r\nServer: baton\r\n", reason(status));
    for (name, value) in extra {
        let _ = write!(h, "{name}: {value}\r\n");
    }
    let conn = if keep_alive { "keep-alive" } else { "close" };
    let _ = write!(h, "Content-Length: {len}\r\nConnection: {conn}\r\n\r\n");
    w.write_all(h.as_bytes())
}

/// A short plain-text error page. Returns the body length.
fn error_response<W: Write>(
    w: &mut W,
    status: u16,
    keep: bool,
    head_only: bool,
) -> io::Result<u64> {
    let body = format!("{status} {}\n", reason(status));
    let mut extra = vec![("Content-Type", "text/plain; charset=utf-8")];
    if status == 405 {
        extra.push(("Allow", "GET, HEAD"));
    }
    write_head(w, status, body.len() as u64, keep, &extra)?;
    if !head_only {
        w.write_all(body.as_bytes())?;
    }
    w.flush()?;
    Ok(body.len() as u64)
}

/// A response, ready to send: `bytes` (the head, and a small body) and
/// optionally part of a file after them.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// Body length, for the log.
    pub len: u64,
    pub bytes: Vec<u8>,
    /// (file, offset, length) to send after `bytes`.
    pub file: Option<(File, u64, u64)>,
}

impl Response {
    fn small(status: u16, bytes: Vec<u8>, len: u64) -> Self {
        Self {
            status,
            len,
            bytes,
            file: None,
        }
    }
}

/// Builds the answer to one request (no I/O but opening the file).
pub fn build_response(root: &Root, req: &Request) -> Response {
    let keep = req.keep_alive;
    let head_only = req.method == "HEAD";
    let mut v = Vec::new();
    // Writing into a Vec cannot fail.
    if req.method != "GET" && !head_only {
        let len = error_response(&mut v, 405, keep, false).unwrap_or(0);
        return Response::small(405, v, len);
    }
    let opened = match resolve(&req.target).and_then(|rel| root.open_beneath(&rel)) {
        Ok(o) => o,
        Err(status) => {
            let len = error_response(&mut v, status, keep, head_only).unwrap_or(0);
            return Response::small(status, v, len);
        }
    };
    if opened.meta.is_dir() {
        let url_path = target_path(&req.target);
        if !url_path.ends_with('/') {
            let location = format!("{url_path}/");
            let _ = write_head(&mut v, 301, 0, keep, &[("Location", &location)]);
            return Response::small(301, v, 0);
        }
        return dir_response(opened, url_path, keep, head_only);
    }
    file_response(opened, keep, head_only, req.range.as_deref())
}

/// A directory that was opened under the root: its index.html, or a listing.
/// Both go through the opened descriptor, never through its path again, so a
/// symlink swapped after the open cannot point them elsewhere.
fn dir_response(opened: Opened, url_path: &str, keep: bool, head_only: bool) -> Response {
    let mut v = Vec::new();
    match open_under(&opened.file, Path::new("index.html")) {
        Ok(mut o) if o.meta.is_file() => {
            o.rel = opened.rel.join("index.html");
            file_response(o, keep, head_only, None)
        }
        _ => {
            let Ok(page) = listing(opened.file, url_path) else {
                let len = error_response(&mut v, 403, keep, head_only).unwrap_or(0);
                return Response::small(403, v, len);
            };
            let ct = [("Content-Type", "text/html; charset=utf-8")];
            let _ = write_head(&mut v, 200, page.len() as u64, keep, &ct);
            if !head_only {
                v.extend_from_slice(page.as_bytes());
            }
            Response::small(200, v, page.len() as u64)
        }
    }
}

fn file_response(opened: Opened, keep: bool, head_only: bool, range: Option<&str>) -> Response {
    let mut v = Vec::new();
    let len = opened.meta.len();
    let file = opened.file;
    let path = opened.rel.as_path();
    let ct = ("Content-Type", content_type(path));
    let (status, start, len) = match range.map(|r| parse_range(r, len)) {
        None | Some(RangeAnswer::Full) => {
            let _ = write_head(&mut v, 200, len, keep, &[ct, ("Accept-Ranges", "bytes")]);
            (200, 0, len)
        }
        Some(RangeAnswer::Part { start, end }) => {
            let cr = format!("bytes {start}-{end}/{len}");
            let _ = write_head(
                &mut v,
                206,
                end - start + 1,
                keep,
                &[ct, ("Content-Range", &cr)],
            );
            (206, start, end - start + 1)
        }
        Some(RangeAnswer::Unsatisfiable) => {
            let cr = format!("bytes */{len}");
            let body = "416 Range Not Satisfiable\n";
            let extra = [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Range", &cr),
            ];
            let _ = write_head(&mut v, 416, body.len() as u64, keep, &extra);
            if !head_only {
                v.extend_from_slice(body.as_bytes());
            }
            return Response::small(416, v, body.len() as u64);
        }
    };
    Response {
        status,
        len,
        bytes: v,
        file: (!head_only && len > 0).then_some((file, start, len)),
    }
}

/// An HTML index of the opened directory `dir`, shown at `url_path` (which
/// ends with `/`). Read through the descriptor (`fdopendir`), not the path.
fn listing(dir: File, url_path: &str) -> io::Result<String> {
    use nix::dir::{Dir, Type};
    use nix::fcntl::AtFlags;
    use nix::sys::stat::{fstatat, SFlag};
    let mut dir = Dir::from_fd(dir.into()).map_err(io::Error::from)?;
    let mut entries: Vec<(Vec<u8>, Option<bool>)> = Vec::new();
    for e in dir.iter() {
        let e = e.map_err(io::Error::from)?;
        let name = e.file_name().to_bytes();
        if name == b"." || name == b".." {
            continue;
        }
        let is_dir = e.file_type().map(|t| t == Type::Directory);
        entries.push((name.to_vec(), is_dir));
    }
    // File systems without d_type: ask, relative to the same descriptor, and
    // about the entry itself (a symlink to a directory is listed as a file).
    let mut entries: Vec<(Vec<u8>, bool)> = entries
        .into_iter()
        .map(|(name, is_dir)| {
            let is_dir = is_dir.unwrap_or_else(|| {
                fstatat(&dir, OsStr::from_bytes(&name), AtFlags::AT_SYMLINK_NOFOLLOW).is_ok_and(
                    |st| SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT == SFlag::S_IFDIR,
                )
            });
            (name, is_dir)
        })
        .collect();
    entries.sort();
    let shown = percent_decode(url_path).unwrap_or_default();
    let title = html_escape(&String::from_utf8_lossy(&shown));
    let mut page = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of {title}</title></head>\n\
         <body><h1>Index of {title}</h1>\n<ul>\n"
    );
    if url_path != "/" {
        page.push_str("<li><a href=\"../\">../</a></li>\n");
    }
    for (name, is_dir) in entries {
        let slash = if is_dir { "/" } else { "" };
        let href = percent_encode(&name);
        let text = html_escape(&String::from_utf8_lossy(&name));
        let _ = writeln!(page, "<li><a href=\"{href}{slash}\">{text}{slash}</a></li>");
    }
    page.push_str("</ul></body></html>\n");
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A temporary directory tree, removed on drop.
    struct TempTree(PathBuf);
    impl TempTree {
        fn new(name: &str) -> Self {
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
    fn exchange(root: &Path, input: &str) -> (String, Vec<String>) {
        let mut c = HttpConn::new(std::sync::Arc::new(Root::open(root).unwrap()));
        assert!(c.push(input.as_bytes()));
        let mut out = Vec::new();
        let mut log = Vec::new();
        loop {
            match c.next() {
                Next::NeedMore => break,
                Next::Refuse { bytes, log: l } => {
                    out.extend_from_slice(&bytes);
                    log.push(l);
                    break;
                }
                Next::Respond {
                    response,
                    keep_alive,
                    log: l,
                } => {
                    out.extend_from_slice(&response.bytes);
                    if let Some((file, start, len)) = response.file {
                        let mut body = vec![0u8; len as usize];
                        std::os::unix::fs::FileExt::read_exact_at(&file, &mut body, start).unwrap();
                        out.extend_from_slice(&body);
                    }
                    log.push(l);
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
        assert_eq!(head_end(b"GET / HTTP/1.1\r\n\r\nrest"), Some(18));
        assert_eq!(head_end(b"GET / HTTP/1.0\n\nrest"), Some(16));
        assert_eq!(head_end(b"GET / HTTP/1.1\r\nHost: x\r\n"), None);
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
        let page = dir_response(opened, "/link/", false, false);
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
        let big = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(MAX_HEAD + 10));
        let (out, _) = exchange(&t.0, &big);
        assert!(out.starts_with("HTTP/1.1 431 "), "{out}");
        let (out, _) = exchange(&t.0, "garbage\r\n\r\n");
        assert!(out.starts_with("HTTP/1.1 400 "), "{out}");
        assert_eq!(content_type(Path::new("x.PNG")), "image/png");
        assert_eq!(content_type(Path::new("noext")), "application/octet-stream");
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
}
