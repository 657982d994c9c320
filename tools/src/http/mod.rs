//! A minimal HTTP/1.1 static file responder for an event loop: GET and HEAD,
//! keep-alive and pipelining, Content-Length, single byte ranges, validators
//! and conditional requests, pre-compressed variants, `Cache-Control` by
//! path, directory listings, limits on what a client may send, and no way
//! out of the served directory.
//!
//! It knows nothing about TLS or sockets: `HttpConn` takes received bytes and
//! gives responses (head bytes, then optionally part of a file); `serve.rs`
//! runs it on the io_uring runtime, and `tests.rs` drives it in memory.
//!
//! This file holds the per-connection state and the limits; `parse` reads
//! requests and header values, `cache` the validators and caching headers,
//! `root` maps targets to files that cannot leave the served directory, and
//! `response` builds the answers.

mod cache;
mod files;
mod images;
mod parse;
mod response;
mod root;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_caching;
#[cfg(test)]
mod tests_files;
#[cfg(test)]
mod tests_images;

pub use cache::CacheTable;
pub use files::{CacheConfig, FilePart};
pub use parse::{parse_head, RangeAnswer, Request, MAX_HEADERS_CAP};
pub use response::{build_response, Response};
pub use root::Root;

use response::error_response;
use std::time::Duration;

/// Longest request body read and thrown away (GET/HEAD bodies have no meaning).
const MAX_DISCARD: u64 = 1024 * 1024;

/// What a client may send, each with a sane default (`baton serve` flags).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Longest request head (request line and headers): beyond it, 431.
    pub max_head: usize,
    /// Most header lines in a head: beyond it, 431 (at most [`MAX_HEADERS_CAP`]).
    pub max_headers: usize,
    /// Longest request line: beyond it, 414.
    pub max_line: usize,
    /// Requests per connection: the last one is answered with
    /// `Connection: close`; 0: no limit.
    pub max_requests: u64,
    /// Time from a request head's first byte to its end: a head still
    /// incomplete after it (bytes trickling in, slowloris) closes the
    /// connection. Checked by the event loop's handler as bytes arrive; a
    /// client that stops sending is closed by the idle timeout.
    pub head_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_head: 16 * 1024,
            max_headers: 64,
            max_line: 8 * 1024,
            max_requests: 1000,
            head_timeout: Duration::from_secs(10),
        }
    }
}

/// One site: the served directory and how it is served.
#[derive(Debug)]
pub struct Site {
    pub root: Root,
    /// `Cache-Control`/`Expires` by path prefix.
    pub cache: CacheTable,
    /// Serve `FILE.br`/`FILE.gz` beside `FILE` to clients that accept them
    /// (like nginx's brotli_static/gzip_static).
    pub precompressed: bool,
    pub limits: Limits,
    /// The per-worker open-file cache (`--open-file-cache*`).
    pub open_files: CacheConfig,
}

impl Site {
    /// `root` with the defaults: no Cache-Control, variants on, default limits.
    pub fn new(root: Root) -> Self {
        Self {
            root,
            cache: CacheTable::default(),
            precompressed: true,
            limits: Limits::default(),
            open_files: CacheConfig::default(),
        }
    }
}

/// Picks the site that answers a request, by its `Host` (`baton serve
/// --config`'s many sites), or the status to refuse it with (421 when the
/// name belongs to no site or to another site than the handshake's).
pub trait Router: Send + Sync + std::fmt::Debug {
    /// The site for `host` (the header as sent, port included; `None` when
    /// the request had none).
    fn route(&self, host: Option<&str>) -> Result<std::sync::Arc<Site>, u16>;
}

/// Where a head ends: just after the first empty line (`\r\n\r\n` or
/// `\n\n`), searching from `from` (what an earlier call already scanned, so
/// a head trickling in is not scanned again from its start each time).
fn head_end(buf: &[u8], from: usize) -> Option<usize> {
    let mut i = from.saturating_sub(3);
    while let Some(off) = buf.get(i..)?.iter().position(|&b| b == b'\n') {
        let nl = i + off;
        match buf.get(nl + 1..) {
            Some([b'\n', ..]) => return Some(nl + 2),
            Some([b'\r', b'\n', ..]) => return Some(nl + 3),
            _ => i = nl + 1,
        }
    }
    None
}

/// Most request bytes buffered for one connection of an event loop (pipelined
/// requests waiting behind a response): beyond it the connection is closed.
const MAX_BUFFERED: usize = 1 << 20;

/// What the access log records of one answer.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// Empty when the head was refused before it could be parsed.
    pub method: String,
    pub target: String,
    /// HTTP/1.x minor version.
    pub version: u8,
    pub status: u16,
    /// Body bytes of the response.
    pub bytes: u64,
    pub referer: Option<String>,
    pub user_agent: Option<String>,
    /// The request came as TLS early data (0-RTT; it may be a replay).
    pub early: bool,
}

impl LogEntry {
    /// A refusal of a head that was not parsed.
    fn unparsed(status: u16) -> Self {
        Self {
            status,
            ..Self::default()
        }
    }

    fn of(req: &Request, status: u16, bytes: u64, early: bool) -> Self {
        Self {
            method: req.method.clone(),
            target: req.target.clone(),
            version: req.version,
            status,
            bytes,
            referer: req.referer.clone(),
            user_agent: req.user_agent.clone(),
            early,
        }
    }
}

/// The short form `baton serve` prints on stderr: `METHOD TARGET STATUS
/// BYTES`, ` early` after 0-RTT requests, or `- - STATUS` for a refused head.
impl std::fmt::Display for LogEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.method.is_empty() {
            return write!(f, "- - {}", self.status);
        }
        let tag = if self.early { " early" } else { "" };
        write!(
            f,
            "{} {} {} {}{tag}",
            self.method, self.target, self.status, self.bytes
        )
    }
}

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
        log: LogEntry,
    },
    /// Refused (the bytes are the error response); the connection must close.
    Refuse { bytes: Vec<u8>, log: LogEntry },
}

/// One connection's HTTP/1.1 requests for an event loop: push received bytes,
/// take responses one at a time.
#[derive(Debug)]
pub struct HttpConn {
    site: std::sync::Arc<Site>,
    buf: Vec<u8>,
    discard: u64,
    /// `buf[..early]` came as TLS early data (0-RTT, replayable).
    early: usize,
    /// How much of `buf` was searched for the head's end without finding it.
    scanned: usize,
    /// Likewise for the request line's end; `usize::MAX` once it is found.
    line_scanned: usize,
    /// Requests answered so far.
    requests: u64,
    /// Picks each request's site by `Host`; without it, `site` answers all.
    router: Option<Box<dyn Router>>,
}

impl HttpConn {
    /// Serves `site`.
    pub fn new(site: std::sync::Arc<Site>) -> Self {
        Self {
            site,
            buf: Vec::new(),
            discard: 0,
            early: 0,
            scanned: 0,
            line_scanned: 0,
            requests: 0,
            router: None,
        }
    }

    /// Serves the site `router` picks for each request; `site` gives the
    /// connection's limits (the handshake's site).
    pub fn with_router(site: std::sync::Arc<Site>, router: Box<dyn Router>) -> Self {
        Self {
            router: Some(router),
            ..Self::new(site)
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

    /// True if part of a request head is buffered (not a body being
    /// skipped): the event loop's cue to time the head (`head_timeout`).
    pub fn partial_head(&self) -> bool {
        self.discard == 0 && !self.buf.is_empty()
    }

    /// The limits this connection is held to.
    pub fn limits(&self) -> &Limits {
        &self.site.limits
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
        let refuse = |status: u16, log: Option<&Request>| {
            let (bytes, len) = error_response(status, false, false);
            let log = match log {
                Some(req) => LogEntry::of(req, status, len, false),
                None => LogEntry::unparsed(status),
            };
            Next::Refuse { bytes, log }
        };
        let limits = &self.site.limits;
        // The request line first: a long target is 414, not 431. Searched
        // on from where the last call stopped, as the head's end is.
        if self.line_scanned != usize::MAX {
            let window = &self.buf[..self.buf.len().min(limits.max_line + 1)];
            let from = self.line_scanned.min(window.len());
            match window[from..].iter().position(|&b| b == b'\n') {
                Some(_) => self.line_scanned = usize::MAX,
                None if self.buf.len() > limits.max_line => return refuse(414, None),
                None => self.line_scanned = window.len(),
            }
        }
        let end = match head_end(&self.buf, self.scanned) {
            Some(end) if end <= limits.max_head => end,
            Some(_) => return refuse(431, None),
            None if self.buf.len() > limits.max_head => return refuse(431, None),
            None => {
                self.scanned = self.buf.len();
                return Next::NeedMore;
            }
        };
        self.scanned = 0;
        self.line_scanned = 0;
        let parsed = parse_head(&self.buf[..end], limits.max_headers);
        self.buf.drain(..end);
        let early = self.early > 0;
        self.early = self.early.saturating_sub(end);
        let mut req = match parsed {
            Ok(r) => r,
            Err(status) => return refuse(status, None),
        };
        if req.chunked || req.content_length > MAX_DISCARD {
            let status = if req.chunked { 501 } else { 413 };
            return refuse(status, Some(&req));
        }
        self.discard = req.content_length;
        self.requests += 1;
        if limits.max_requests != 0 && self.requests >= limits.max_requests {
            req.keep_alive = false;
        }
        let (response, tag) = if early && req.method != "GET" && req.method != "HEAD" {
            let (bytes, len) = error_response(425, req.keep_alive, false);
            let r = Response {
                status: 425,
                len,
                bytes,
                file: None,
            };
            (r, true)
        } else {
            let site = match &self.router {
                None => Ok(std::sync::Arc::clone(&self.site)),
                Some(router) => router.route(req.host.as_deref()),
            };
            // Early GET/HEAD are logged as such: they may have been replayed.
            let r = match site {
                Ok(site) => build_response(&site, &req),
                Err(status) => {
                    let (bytes, len) = error_response(status, req.keep_alive, req.method == "HEAD");
                    Response {
                        status,
                        len,
                        bytes,
                        file: None,
                    }
                }
            };
            (r, early)
        };
        let log = LogEntry::of(&req, response.status, response.len, tag);
        Next::Respond {
            response,
            keep_alive: req.keep_alive,
            log,
        }
    }
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
