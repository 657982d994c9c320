//! Responses: status lines and headers, files (whole or one range, or a
//! pre-compressed variant), conditional answers (304), directory indexes and
//! listings, and error pages.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::fs::File;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::cache::with_date;
use super::files::{self, Src};
use super::parse::{accept_encoding, parse_range, percent_decode, percent_encode, Coding};
use super::root::{open_under, resolve, Opened};
use super::{html_escape, target_path, RangeAnswer, Request, Site};

/// Content-Type by file extension, from mime_guess's table: the type, and
/// the charset parameter to append (text types are served as UTF-8).
pub fn content_type(path: &Path) -> (&'static str, &'static str) {
    let ty = mime_guess::from_path(path)
        .first_raw()
        .unwrap_or("application/octet-stream");
    let charset = if ty.starts_with("text/") || ty == "application/javascript" {
        "; charset=utf-8"
    } else {
        ""
    };
    (ty, charset)
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        206 => "Partial Content",
        301 => "Moved Permanently",
        304 => "Not Modified",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        413 => "Content Too Large",
        414 => "URI Too Long",
        416 => "Range Not Satisfiable",
        421 => "Misdirected Request",
        425 => "Too Early",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

/// A response head being written: the status line, `Server` and `Date`,
/// then the caller's headers, then [`finish`](Head::finish).
struct Head(String);

impl Head {
    fn new(status: u16) -> Self {
        let mut h = String::with_capacity(256);
        let _ = write!(
            h,
            "HTTP/1.1 {status} {}\r\nServer: baton\r\n",
            reason(status)
        );
        with_date(SystemTime::now(), |d| {
            let _ = write!(h, "Date: {d}\r\n");
        });
        Self(h)
    }

    fn header(&mut self, name: &str, value: &str) -> &mut Self {
        let _ = write!(self.0, "{name}: {value}\r\n");
        self
    }

    /// Content-Length (none for a 304) and Connection, and the empty line.
    fn finish(mut self, len: Option<u64>, keep_alive: bool) -> Vec<u8> {
        if let Some(len) = len {
            let _ = write!(self.0, "Content-Length: {len}\r\n");
        }
        let conn = if keep_alive { "keep-alive" } else { "close" };
        let _ = write!(self.0, "Connection: {conn}\r\n\r\n");
        self.0.into_bytes()
    }
}

/// A short plain-text error page: the bytes, and the body length.
pub(super) fn error_response(status: u16, keep: bool, head_only: bool) -> (Vec<u8>, u64) {
    let body = format!("{status} {}\n", reason(status));
    let mut h = Head::new(status);
    h.header("Content-Type", "text/plain; charset=utf-8");
    if status == 405 {
        h.header("Allow", "GET, HEAD");
    }
    let mut v = h.finish(Some(body.len() as u64), keep);
    if !head_only {
        v.extend_from_slice(body.as_bytes());
    }
    (v, body.len() as u64)
}

/// A response, ready to send: `bytes` (the head, and a small body) and
/// optionally part of a file after them.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// Body length, for the log.
    pub len: u64,
    pub bytes: Vec<u8>,
    /// Part of a file to send after `bytes`.
    pub file: Option<super::FilePart>,
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

    fn error(status: u16, keep: bool, head_only: bool) -> Self {
        let (v, len) = error_response(status, keep, head_only);
        Self::small(status, v, len)
    }
}

/// Builds the answer to one request (no I/O but opening files).
pub fn build_response(site: &Site, req: &Request) -> Response {
    let keep = req.keep_alive;
    let head_only = req.method == "HEAD";
    if req.method != "GET" && !head_only {
        return Response::error(405, keep, false);
    }
    let rel = match resolve(&req.target) {
        Ok(rel) => rel,
        Err(status) => return Response::error(status, keep, head_only),
    };
    let mut opened = match files::open(&site.root, &rel, site.open_files) {
        Ok(Src::Open(o)) => o,
        Ok(cached) => return file_response(site, req, rel, cached),
        Err(status) => return Response::error(status, keep, head_only),
    };
    if opened.meta.is_dir() {
        let url_path = target_path(&req.target);
        if !url_path.ends_with('/') {
            let location = format!("{url_path}/");
            let mut h = Head::new(301);
            h.header("Location", &location);
            return Response::small(301, h.finish(Some(0), keep), 0);
        }
        return dir_response(site, req, opened, url_path);
    }
    let rel = std::mem::take(&mut opened.rel);
    file_response(site, req, rel, Src::Open(opened))
}

/// A directory that was opened under the root: its index.html, or a listing.
/// Both go through the opened descriptor, never through its path again, so a
/// symlink swapped after the open cannot point them elsewhere.
pub(super) fn dir_response(site: &Site, req: &Request, opened: Opened, url_path: &str) -> Response {
    let (keep, head_only) = (req.keep_alive, req.method == "HEAD");
    match open_under(&opened.file, Path::new("index.html")) {
        Ok(o) if o.meta.is_file() => {
            let rel = opened.rel.join("index.html");
            file_response(site, req, rel, Src::Open(o))
        }
        _ => {
            let Ok(page) = listing(opened.file, url_path) else {
                return Response::error(403, keep, head_only);
            };
            let mut h = Head::new(200);
            h.header("Content-Type", "text/html; charset=utf-8");
            cache_headers(site, &opened.rel, &mut h);
            let mut v = h.finish(Some(page.len() as u64), keep);
            if !head_only {
                v.extend_from_slice(page.as_bytes());
            }
            Response::small(200, v, page.len() as u64)
        }
    }
}

/// `Cache-Control` and `Expires` for the file at `rel`, by the site's table.
fn cache_headers(site: &Site, rel: &Path, h: &mut Head) {
    if site.cache.is_empty() {
        return;
    }
    let path = format!("/{}", rel.to_string_lossy());
    if let Some((value, expires)) = site.cache.lookup(&path, SystemTime::now()) {
        h.header("Cache-Control", value);
        if let Some(e) = expires {
            h.header("Expires", &e);
        }
    }
}

/// The pre-compressed variants of `rel` that exist beside it (regular
/// files, opened beneath the root like any request), in preference order.
fn variants(site: &Site, rel: &Path) -> Vec<(Coding, Src)> {
    if !site.precompressed || rel.file_name().is_none() {
        return Vec::new();
    }
    Coding::ALL
        .into_iter()
        .filter_map(|c| {
            let mut name = rel.as_os_str().to_os_string();
            name.push(c.suffix());
            let o = files::open(&site.root, &PathBuf::from(name), site.open_files).ok()?;
            o.meta().is_file().then_some((c, o))
        })
        .collect()
}

fn file_response(site: &Site, req: &Request, rel: PathBuf, opened: Src) -> Response {
    let (keep, head_only) = (req.keep_alive, req.method == "HEAD");
    let mut variants = variants(site, &rel);
    let has_variants = !variants.is_empty();
    let accepted = accept_encoding(req.accept_encoding.as_deref());
    let chosen = accepted.choose(variants.iter().map(|(c, _)| *c));
    if chosen.is_none() && accepted.identity == 0 {
        // The client refused identity and no coding it takes is here.
        let (mut v, len) = error_response(406, keep, head_only);
        if has_variants {
            insert_vary(&mut v);
        }
        return Response::small(406, v, len);
    }
    let (ty, charset) = match &opened {
        Src::Cached(e) => e.content_type,
        Src::Open(_) => content_type(&rel),
    };
    let (served, suffix) = match chosen {
        Some(c) => {
            let i = variants.iter().position(|(v, _)| *v == c).unwrap_or(0);
            let (_, o) = variants.swap_remove(i);
            (o, if c == Coding::Br { "-br" } else { "-gz" })
        }
        None => (opened, ""),
    };
    drop(variants);
    let prepared = served.prepared(suffix);
    let validators = &prepared.validators;
    // The headers a 304 repeats (RFC 9110 §15.4.5), then the rest.
    let common = |h: &mut Head| {
        h.0.push_str(&prepared.lines);
        cache_headers(site, &rel, h);
        if has_variants {
            h.header("Vary", "Accept-Encoding");
        }
    };
    if validators.not_modified(req) {
        let mut h = Head::new(304);
        common(&mut h);
        return Response::small(304, h.finish(None, keep), 0);
    }
    let len = served.meta().len();
    let range = match &req.range {
        Some(r) if validators.range_applies(req) => parse_range(r, len),
        _ => RangeAnswer::Full,
    };
    let (status, start, count) = match range {
        RangeAnswer::Full => (200, 0, len),
        RangeAnswer::Part { start, end } => (206, start, end - start + 1),
        RangeAnswer::Unsatisfiable => {
            let body = "416 Range Not Satisfiable\n";
            let mut h = Head::new(416);
            h.header("Content-Type", "text/plain; charset=utf-8");
            h.header("Content-Range", &format!("bytes */{len}"));
            if has_variants {
                h.header("Vary", "Accept-Encoding");
            }
            let mut v = h.finish(Some(body.len() as u64), keep);
            if !head_only {
                v.extend_from_slice(body.as_bytes());
            }
            return Response::small(416, v, body.len() as u64);
        }
    };
    let mut h = Head::new(status);
    let _ = write!(h.0, "Content-Type: {ty}{charset}\r\n");
    if let Some(c) = chosen {
        h.header("Content-Encoding", c.token());
    }
    common(&mut h);
    h.header("Accept-Ranges", "bytes");
    if status == 206 {
        let end = start + count - 1;
        h.header("Content-Range", &format!("bytes {start}-{end}/{len}"));
    }
    let mut bytes = h.finish(Some(count), keep);
    let file = if !head_only && count > 0 {
        served.body(start, count, &mut bytes)
    } else {
        None
    };
    Response {
        status,
        len: count,
        bytes,
        file,
    }
}

/// Adds `Vary: Accept-Encoding` to a finished head (before its empty line).
fn insert_vary(v: &mut Vec<u8>) {
    if let Some(at) = v.windows(4).position(|w| w == b"\r\n\r\n") {
        v.splice(at + 2..at + 2, *b"Vary: Accept-Encoding\r\n");
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
