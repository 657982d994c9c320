//! Caching semantics: validators (`ETag`, `Last-Modified`), the conditional
//! requests they answer, `Date`, and `Cache-Control`/`Expires` by path.

use std::cell::RefCell;
use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::parse::{if_range_etag, none_match, Request};

/// A file's validators.
#[derive(Debug)]
pub struct Validators {
    /// Strong: `"INODE-MTIME_NS-SIZE"` in hex (plus `-br`/`-gz` for a
    /// variant). Strong because `If-Range` needs the strong comparison;
    /// the nanosecond mtime and the inode change on every rewrite or
    /// rename-into-place, so two different contents do not share one.
    pub etag: String,
    /// Whole seconds, as HTTP dates have.
    pub modified: SystemTime,
}

impl Validators {
    /// The validators of the file described by `meta`; `suffix` tells
    /// variants apart.
    pub fn of(meta: &Metadata, suffix: &str) -> Self {
        let ns = i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec());
        let etag = format!(
            "\"{:x}-{:x}-{:x}{suffix}\"",
            meta.ino(),
            ns.max(0),
            meta.len()
        );
        let secs = u64::try_from(meta.mtime()).unwrap_or(0);
        Self {
            etag,
            modified: UNIX_EPOCH + Duration::from_secs(secs),
        }
    }

    /// `Last-Modified`'s value.
    pub fn last_modified(&self) -> httpdate::HttpDate {
        httpdate::HttpDate::from(self.modified)
    }

    /// The head lines these validators give every 200, 206 and 304 of the
    /// file: `ETag` and `Last-Modified`, formatted once.
    pub fn lines(&self) -> String {
        format!(
            "ETag: {}\r\nLast-Modified: {}\r\n",
            self.etag,
            self.last_modified()
        )
    }

    /// True if the request's preconditions make a GET/HEAD a 304 (RFC 9110
    /// §13.2.2): `If-None-Match` if present, else `If-Modified-Since`.
    pub fn not_modified(&self, req: &Request) -> bool {
        if let Some(list) = &req.if_none_match {
            return none_match(list, &self.etag);
        }
        match req
            .if_modified_since
            .as_deref()
            .map(httpdate::parse_http_date)
        {
            Some(Ok(since)) => self.modified <= since,
            // An invalid date is ignored (§13.1.3).
            _ => false,
        }
    }

    /// True if `If-Range` (when present) lets the `Range` apply: a strong
    /// ETag match, or a date equal to Last-Modified (§13.1.5).
    pub fn range_applies(&self, req: &Request) -> bool {
        let Some(v) = &req.if_range else {
            return true;
        };
        if let Some(matched) = if_range_etag(v, &self.etag) {
            return matched;
        }
        httpdate::parse_http_date(v).is_ok_and(|d| d == self.modified)
    }
}

/// A file's validators and their head lines, prepared once per cached file
/// (and per variant suffix) instead of formatted on every response.
#[derive(Debug)]
pub struct Prepared {
    /// The validators, for the conditional requests.
    pub validators: Validators,
    /// [`Validators::lines`].
    pub lines: String,
}

impl Prepared {
    /// Formats the validators of the file described by `meta` (`suffix`
    /// as for [`Validators::of`]).
    pub fn of(meta: &Metadata, suffix: &str) -> Self {
        let validators = Validators::of(meta, suffix);
        let lines = validators.lines();
        Self { validators, lines }
    }
}

thread_local! {
    /// The formatted `Date` of the current second, per worker thread: one
    /// format per second instead of one per response.
    static DATE: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
}

/// Calls `f` with the current `Date` value (IMF-fixdate).
pub fn with_date<R>(now: SystemTime, f: impl FnOnce(&str) -> R) -> R {
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    DATE.with_borrow_mut(|(at, text)| {
        if *at != secs {
            *at = secs;
            *text = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(secs));
        }
        f(text)
    })
}

/// One `Cache-Control` rule.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Rule {
    prefix: String,
    value: String,
    /// From `max-age=N`, for `Expires`.
    max_age: Option<u64>,
}

/// `Cache-Control` (and `Expires` from its `max-age`) by URL path prefix;
/// the longest matching prefix wins. Empty: no such headers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CacheTable {
    rules: Vec<Rule>,
}

impl CacheTable {
    /// Adds a rule from `PREFIX=VALUE` (the `--cache-control` flag).
    pub fn add_spec(&mut self, spec: &str) -> Result<(), String> {
        let (prefix, value) = spec
            .split_once('=')
            .ok_or_else(|| format!("--cache-control wants PREFIX=VALUE, got {spec:?}"))?;
        self.add(prefix, value)
    }

    /// Adds a rule: paths starting with `prefix` (which starts with `/`) get
    /// `Cache-Control: value`.
    pub fn add(&mut self, prefix: &str, value: &str) -> Result<(), String> {
        let value = value.trim();
        if !prefix.starts_with('/') {
            return Err(format!(
                "a cache-control prefix starts with '/', got {prefix:?}"
            ));
        }
        if value.is_empty() || value.bytes().any(|b| b.is_ascii_control()) {
            return Err(format!("bad Cache-Control value {value:?}"));
        }
        let max_age = value.split(',').find_map(|d| {
            let (k, v) = d.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case("max-age")
                .then(|| v.trim().trim_matches('"').parse::<u64>().ok())
                .flatten()
        });
        self.rules.retain(|r| r.prefix != prefix);
        self.rules.push(Rule {
            prefix: prefix.to_string(),
            value: value.to_string(),
            max_age,
        });
        // Longest first: the first match is the longest prefix.
        self.rules
            .sort_by_key(|r| std::cmp::Reverse(r.prefix.len()));
        Ok(())
    }

    /// True if no rules are set.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The `Cache-Control` value and the `Expires` time for `path` (the
    /// decoded path from the root, starting with `/`), if a rule matches.
    pub fn lookup(&self, path: &str, now: SystemTime) -> Option<(&str, Option<String>)> {
        let rule = self.rules.iter().find(|r| path.starts_with(&r.prefix))?;
        let expires = rule.max_age.map(|age| {
            let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
            // Saturating: a huge max-age gives a far date, not an overflow.
            let at = secs.saturating_add(age).min(253_402_300_799); // 9999-12-31
            httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(at))
        });
        Some((&rule.value, expires))
    }
}
