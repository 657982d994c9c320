//! Request heads (with `httparse`) and the header grammars `baton serve`
//! acts on: `Range`, entity tags, `Accept-Encoding`, and `%XX` in targets.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

/// Most header lines any configuration may allow: the parser's header array
/// lives on the stack (32 bytes each), so the per-request cost is fixed.
pub const MAX_HEADERS_CAP: usize = 256;

/// A parsed request head: what the responder needs, copied out of the
/// buffer (only headers that are present cost an allocation).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub target: String,
    pub keep_alive: bool,
    pub content_length: u64,
    pub chunked: bool,
    /// `Range`.
    pub range: Option<String>,
    /// `If-Range`.
    pub if_range: Option<String>,
    /// `If-None-Match` (several fields joined with `,`).
    pub if_none_match: Option<String>,
    /// `If-Modified-Since`.
    pub if_modified_since: Option<String>,
    /// `Accept-Encoding` (several fields joined with `,`).
    pub accept_encoding: Option<String>,
    /// The minor version: 1 for HTTP/1.1, 0 for HTTP/1.0 (for the log).
    pub version: u8,
    /// `Referer`, for the access log (invalid UTF-8 replaced).
    pub referer: Option<String>,
    /// `User-Agent`, for the access log (invalid UTF-8 replaced).
    pub user_agent: Option<String>,
    /// `Host` (the first one), as sent: `baton serve --config` routes by it.
    pub host: Option<String>,
}

/// Parses a complete request head (it ends with an empty line), or returns
/// the status to refuse it with: 400 for malformed syntax, 431 for more than
/// `max_headers` header lines, 505 for a version other than HTTP/1.x.
pub fn parse_head(head: &[u8], max_headers: usize) -> Result<Request, u16> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS_CAP];
    let mut parsed = httparse::Request::new(&mut headers[..max_headers.min(MAX_HEADERS_CAP)]);
    match parsed.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err(400),
        Err(httparse::Error::TooManyHeaders) => return Err(431),
        // A version httparse does not take: 505 if it is some HTTP/x.y.
        Err(httparse::Error::Version) => {
            let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
            return Err(if line.windows(6).any(|w| w == b" HTTP/") {
                505
            } else {
                400
            });
        }
        Err(_) => return Err(400),
    }
    let (Some(method), Some(target), Some(version)) = (parsed.method, parsed.path, parsed.version)
    else {
        return Err(400);
    };
    let http11 = version == 1;
    let mut req = Request {
        method: method.to_string(),
        target: target.to_string(),
        keep_alive: http11,
        version,
        ..Request::default()
    };
    let mut seen_length = None;
    for h in parsed.headers.iter() {
        let name = h.name;
        let is = |n: &str| name.eq_ignore_ascii_case(n);
        // Only the values acted on must be text.
        let text = || {
            std::str::from_utf8(h.value)
                .map(str::trim)
                .map_err(|_| 400u16)
        };
        if is("connection") {
            for token in text()?.split(',').map(str::trim) {
                if token.eq_ignore_ascii_case("close") {
                    req.keep_alive = false;
                } else if token.eq_ignore_ascii_case("keep-alive") && !http11 {
                    req.keep_alive = true;
                }
            }
        } else if is("content-length") {
            let v = text()?;
            if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                return Err(400);
            }
            let n = v.parse::<u64>().map_err(|_| 400u16)?;
            if seen_length.is_some_and(|m| m != n) {
                return Err(400);
            }
            seen_length = Some(n);
            req.content_length = n;
        } else if is("transfer-encoding") {
            req.chunked = true;
        } else if is("range") {
            req.range = Some(text()?.to_string());
        } else if is("if-range") {
            req.if_range = Some(text()?.to_string());
        } else if is("if-none-match") {
            append(&mut req.if_none_match, text()?);
        } else if is("if-modified-since") {
            req.if_modified_since = Some(text()?.to_string());
        } else if is("accept-encoding") {
            append(&mut req.accept_encoding, text()?);
        } else if is("referer") {
            // Only logged: bytes that are not UTF-8 must not refuse the request.
            req.referer = Some(String::from_utf8_lossy(h.value).trim().to_string());
        } else if is("user-agent") {
            req.user_agent = Some(String::from_utf8_lossy(h.value).trim().to_string());
        } else if is("host") && req.host.is_none() {
            req.host = Some(text()?.to_string());
        }
    }
    Ok(req)
}

/// A list header that came in several fields is one list (RFC 9110 §5.3).
fn append(slot: &mut Option<String>, value: &str) {
    match slot {
        Some(s) => {
            s.push_str(", ");
            s.push_str(value);
        }
        None => *slot = Some(value.to_string()),
    }
}

/// What a `Range` header asks of a file of `len` bytes (RFC 9110 §14.1.2).
#[derive(Debug, PartialEq, Eq)]
pub enum RangeAnswer {
    /// Ignore it and send the whole file: syntax we don't serve, or several
    /// ranges (RFC 9110 §14.2 lets a server ignore Range; a 200 with the
    /// whole body is never a broken multipart).
    Full,
    /// 206: bytes `start..=end`.
    Part { start: u64, end: u64 },
    /// 416: nothing of the file is in the range.
    Unsatisfiable,
}

/// Parses a single `bytes=` range; anything else is answered with the
/// whole file. Our own: the crates for this allocate a Vec of ranges per
/// request and would still need the several-ranges case told apart.
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

/// Splits an entity tag into (weak, opaque-tag with its quotes); `None` if
/// it is not one (RFC 9110 §8.8.3).
fn entity_tag(s: &str) -> Option<(bool, &str)> {
    let s = s.trim();
    let (weak, tag) = match s.strip_prefix("W/") {
        Some(t) => (true, t),
        None => (false, s),
    };
    let ok = tag.len() >= 2
        && tag.starts_with('"')
        && tag.ends_with('"')
        && !tag[1..tag.len() - 1].contains('"');
    ok.then_some((weak, tag))
}

/// `If-None-Match` against our (strong) `etag`: `*`, or any listed tag
/// equal by the weak comparison (RFC 9110 §13.1.2, §8.8.3.2).
pub fn none_match(list: &str, etag: &str) -> bool {
    if list.trim() == "*" {
        return true;
    }
    let ours = entity_tag(etag).map(|(_, t)| t);
    list.split(',')
        .filter_map(entity_tag)
        .any(|(_, tag)| Some(tag) == ours)
}

/// `If-Range` holding an entity tag: matches only by the strong comparison
/// (neither weak). `None` if the value is not an entity tag (then a date).
pub fn if_range_etag(value: &str, etag: &str) -> Option<bool> {
    let (weak, tag) = entity_tag(value)?;
    Some(!weak && entity_tag(etag).is_some_and(|(w, t)| !w && t == tag))
}

/// A content coding we serve from a file beside the original.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    Br,
    Gzip,
}

impl Coding {
    /// In order of preference when the client accepts both equally.
    pub const ALL: [Coding; 2] = [Coding::Br, Coding::Gzip];

    /// The token in `Content-Encoding`.
    pub fn token(self) -> &'static str {
        match self {
            Coding::Br => "br",
            Coding::Gzip => "gzip",
        }
    }

    /// The suffix of the file that holds it.
    pub fn suffix(self) -> &'static str {
        match self {
            Coding::Br => ".br",
            Coding::Gzip => ".gz",
        }
    }
}

/// What `Accept-Encoding` allows (RFC 9110 §12.5.3), as q-values in
/// thousandths: 0 is "not acceptable".
#[derive(Debug, PartialEq, Eq)]
pub struct Accepted {
    pub br: u16,
    pub gzip: u16,
    pub identity: u16,
}

/// Parses `Accept-Encoding`; `None` (no header) accepts only identity here:
/// like nginx's gzip_static, a client that did not ask gets no coding.
/// Malformed members are skipped (a q that does not parse counts as 0).
pub fn accept_encoding(value: Option<&str>) -> Accepted {
    let Some(value) = value else {
        return Accepted {
            br: 0,
            gzip: 0,
            identity: 1000,
        };
    };
    let (mut br, mut gzip, mut identity, mut star) = (None, None, None, None);
    for member in value.split(',') {
        let mut parts = member.split(';');
        let coding = parts.next().unwrap_or("").trim();
        if coding.is_empty() {
            continue;
        }
        let mut q = 1000;
        for param in parts {
            if let Some((k, v)) = param.split_once('=') {
                if k.trim().eq_ignore_ascii_case("q") {
                    q = qvalue(v.trim()).unwrap_or(0);
                }
            }
        }
        let slot = if coding.eq_ignore_ascii_case("br") {
            &mut br
        } else if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            &mut gzip
        } else if coding.eq_ignore_ascii_case("identity") {
            &mut identity
        } else if coding == "*" {
            &mut star
        } else {
            continue;
        };
        *slot = Some(q);
    }
    Accepted {
        br: br.or(star).unwrap_or(0),
        gzip: gzip.or(star).unwrap_or(0),
        // Identity is acceptable unless excluded by name or by `*;q=0`.
        identity: identity.or(star).unwrap_or(1000),
    }
}

/// A qvalue (`0`, `0.5`, `1.000`) in thousandths.
fn qvalue(s: &str) -> Option<u16> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut thousandths: u16 = 0;
    for (i, b) in frac.bytes().enumerate() {
        thousandths += u16::from(b - b'0') * [100, 10, 1][i];
    }
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

impl Accepted {
    /// The coding to serve among those `available` (in [`Coding::ALL`]
    /// order): the highest q above 0, `br` on a tie; `None` for identity.
    pub fn choose(&self, available: impl Iterator<Item = Coding>) -> Option<Coding> {
        let mut best: Option<(Coding, u16)> = None;
        for c in available {
            let q = match c {
                Coding::Br => self.br,
                Coding::Gzip => self.gzip,
            };
            if q > 0 && best.is_none_or(|(_, b)| q > b) {
                best = Some((c, q));
            }
        }
        best.map(|(c, _)| c)
    }
}

/// `%XX` escapes are well formed (two hex digits each); the decoder itself
/// passes malformed ones through, which we refuse instead (400).
pub fn escapes_ok(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter().enumerate().all(|(i, &c)| {
        c != b'%'
            || b.get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
    })
}

/// Decodes `%XX` escapes; `None` for a malformed escape.
pub fn percent_decode(s: &str) -> Option<Vec<u8>> {
    escapes_ok(s).then(|| percent_encoding::percent_decode_str(s).collect())
}

/// Everything but the unreserved characters (RFC 3986 §2.3).
const LINK: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Encodes a file name for a link in a listing.
pub fn percent_encode(name: &[u8]) -> String {
    percent_encoding::percent_encode(name, LINK).to_string()
}
