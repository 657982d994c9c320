//! A minimal HTTP/1.1 static file responder for an event loop: GET and HEAD,
//! keep-alive and pipelining, Content-Length, single byte ranges, directory
//! listings, and no way out of the served directory.
//!
//! It knows nothing about TLS or sockets: `HttpConn` takes received bytes and
//! gives responses (head bytes, then optionally part of a file); `serve.rs`
//! runs it on the io_uring runtime, and `tests.rs` drives it in memory.
//!
//! This file parses requests and holds the per-connection state; `root`
//! maps targets to files that cannot leave the served directory, and
//! `response` builds the answers.

mod response;
mod root;
#[cfg(test)]
mod tests;

use response::error_response;
pub use response::{build_response, Response};
pub use root::Root;

use std::fmt::Write as _;

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
/// take responses one at a time.
#[derive(Debug)]
pub struct HttpConn {
    root: std::sync::Arc<Root>,
    buf: Vec<u8>,
    discard: u64,
    /// `buf[..early]` came as TLS early data (0-RTT, replayable).
    early: usize,
}

impl HttpConn {
    /// Serves files under `root`.
    pub fn new(root: std::sync::Arc<Root>) -> Self {
        Self {
            root,
            buf: Vec::new(),
            discard: 0,
            early: 0,
        }
    }

    /// Bytes the client sent as TLS early data (0-RTT), before any other
    /// bytes. A request that starts in them may have been replayed: only
    /// GET and HEAD are answered; any other method gets 425 Too Early (RFC
    /// 8470 §5.2), which tells the client to send it again after the
    /// handshake. False if too much is buffered (close then).
    pub fn push_early(&mut self, data: &[u8]) -> bool {
        if self.buf.len() == self.early {
            self.early += data.len();
        }
        self.push(data)
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
            self.early = self.early.saturating_sub(n);
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
        let early = self.early > 0;
        self.early = self.early.saturating_sub(end);
        let req = match parse_head(&head) {
            Ok(r) => r,
            Err(status) => return refuse(status, format!("- - {status}")),
        };
        if req.chunked || req.content_length > MAX_DISCARD {
            let status = if req.chunked { 501 } else { 413 };
            return refuse(status, format!("{} {} {status}", req.method, req.target));
        }
        self.discard = req.content_length;
        if early && req.method != "GET" && req.method != "HEAD" {
            let mut bytes = Vec::new();
            let len = error_response(&mut bytes, 425, req.keep_alive, false).unwrap_or(0);
            return Next::Respond {
                response: Response {
                    status: 425,
                    len,
                    bytes,
                    file: None,
                },
                keep_alive: req.keep_alive,
                log: format!("{} {} 425 {len} early", req.method, req.target),
            };
        }
        let response = build_response(&self.root, &req);
        if early {
            // Logged as such: a request that may have been replayed.
            let log = format!(
                "{} {} {} {} early",
                req.method, req.target, response.status, response.len
            );
            return Next::Respond {
                response,
                keep_alive: req.keep_alive,
                log,
            };
        }
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
