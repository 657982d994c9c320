//! Responses: status lines and headers, files (whole or one range), directory
//! indexes and listings, and error pages.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::root::{open_under, resolve, Opened, Root};
use super::{
    html_escape, parse_range, percent_decode, percent_encode, target_path, RangeAnswer, Request,
};

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
        425 => "Too Early",
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
pub(super) fn error_response<W: Write>(
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
pub(super) fn dir_response(
    opened: Opened,
    url_path: &str,
    keep: bool,
    head_only: bool,
) -> Response {
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
