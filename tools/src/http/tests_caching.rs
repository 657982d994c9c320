//! Validators and conditional requests, Cache-Control by prefix,
//! pre-compressed variants and the limits, driven in memory; and the header
//! grammars on their own, malformed input included.

use super::parse::*;
use super::tests::{exchange, exchange_site, TempTree};
use super::*;
use std::fs;

/// One request on a fresh connection (closed after it).
fn get(site: Site, head: &str) -> String {
    exchange_site(site, "", &format!("{head}Connection: close\r\n\r\n")).0
}

fn site(t: &TempTree) -> Site {
    Site::new(Root::open(&t.0).unwrap())
}

/// A header's value in a response head.
fn header<'a>(resp: &'a str, name: &str) -> Option<&'a str> {
    let head = resp.split("\r\n\r\n").next()?;
    head.split("\r\n")
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
}

#[test]
fn validators_and_date_on_every_response() {
    let t = TempTree::new("validators");
    let out = get(site(&t), "GET /a.txt HTTP/1.1\r\n");
    let etag = header(&out, "ETag").expect(&out);
    assert!(
        etag.starts_with('"') && etag.ends_with('"'),
        "strong: {out}"
    );
    let lm = header(&out, "Last-Modified").expect(&out);
    assert!(httpdate::parse_http_date(lm).is_ok(), "{lm}");
    assert!(httpdate::parse_http_date(header(&out, "Date").unwrap()).is_ok());
    // Errors carry Date too.
    let out = get(site(&t), "GET /missing HTTP/1.1\r\n");
    assert!(out.starts_with("HTTP/1.1 404 ") && header(&out, "Date").is_some());
    // Rewriting the file changes the ETag (at once without the open-file
    // cache; tests_files covers the cache's validity window).
    fs::write(t.0.join("a.txt"), b"hello!\n").unwrap();
    let mut uncached = site(&t);
    uncached.open_files.capacity = 0;
    let again = get(uncached, "GET /a.txt HTTP/1.1\r\n");
    assert_ne!(header(&again, "ETag"), Some(etag));
}

#[test]
fn if_none_match_and_if_modified_since_give_304() {
    let t = TempTree::new("inm");
    let out = get(site(&t), "GET /a.txt HTTP/1.1\r\n");
    let etag = header(&out, "ETag").unwrap().to_string();
    let lm = header(&out, "Last-Modified").unwrap().to_string();
    let weak = format!("W/{etag}");
    for inm in [etag.as_str(), "*", &format!("\"x\", {weak}"), &weak] {
        let r = get(
            site(&t),
            &format!("GET /a.txt HTTP/1.1\r\nIf-None-Match: {inm}\r\n"),
        );
        assert!(r.starts_with("HTTP/1.1 304 Not Modified\r\n"), "{inm}: {r}");
        assert!(r.ends_with("\r\n\r\n"), "no body: {r}");
        assert_eq!(header(&r, "ETag"), Some(etag.as_str()));
        assert!(header(&r, "Content-Length").is_none(), "{r}");
        assert!(header(&r, "Date").is_some());
    }
    // HEAD too.
    let r = get(
        site(&t),
        &format!("HEAD /a.txt HTTP/1.1\r\nIf-None-Match: {etag}\r\n"),
    );
    assert!(r.starts_with("HTTP/1.1 304 "), "{r}");
    let r = get(
        site(&t),
        "GET /a.txt HTTP/1.1\r\nIf-None-Match: \"other\"\r\n",
    );
    assert!(
        r.starts_with("HTTP/1.1 200 ") && r.ends_with("hello\n"),
        "{r}"
    );
    // By date: at Last-Modified or later is 304, earlier is 200.
    let r = get(
        site(&t),
        &format!("GET /a.txt HTTP/1.1\r\nIf-Modified-Since: {lm}\r\n"),
    );
    assert!(r.starts_with("HTTP/1.1 304 "), "{r}");
    let old = "Thu, 01 Jan 1970 00:00:01 GMT";
    let r = get(
        site(&t),
        &format!("GET /a.txt HTTP/1.1\r\nIf-Modified-Since: {old}\r\n"),
    );
    assert!(r.starts_with("HTTP/1.1 200 "), "{r}");
    let r = get(
        site(&t),
        "GET /a.txt HTTP/1.1\r\nIf-Modified-Since: yesterday\r\n",
    );
    assert!(
        r.starts_with("HTTP/1.1 200 "),
        "an invalid date is ignored: {r}"
    );
    // If-None-Match present: If-Modified-Since is ignored (RFC 9110 §13.1.3).
    let r = get(
        site(&t),
        &format!("GET /a.txt HTTP/1.1\r\nIf-None-Match: \"other\"\r\nIf-Modified-Since: {lm}\r\n"),
    );
    assert!(r.starts_with("HTTP/1.1 200 "), "{r}");
}

#[test]
fn if_range_and_multiple_ranges() {
    let t = TempTree::new("ifrange");
    let out = get(site(&t), "GET /a.txt HTTP/1.1\r\n");
    let etag = header(&out, "ETag").unwrap().to_string();
    let lm = header(&out, "Last-Modified").unwrap().to_string();
    let range = |if_range: &str| {
        get(
            site(&t),
            &format!("GET /a.txt HTTP/1.1\r\nRange: bytes=1-3\r\nIf-Range: {if_range}\r\n"),
        )
    };
    for matching in [etag.as_str(), lm.as_str()] {
        let r = range(matching);
        assert!(
            r.starts_with("HTTP/1.1 206 ") && r.ends_with("\r\n\r\nell"),
            "{r}"
        );
    }
    let weak = format!("W/{etag}");
    for other in ["\"x\"", weak.as_str(), "Thu, 01 Jan 1970 00:00:01 GMT"] {
        let r = range(other);
        assert!(
            r.starts_with("HTTP/1.1 200 ") && r.ends_with("\r\n\r\nhello\n"),
            "{other}: {r}"
        );
    }
    // Several ranges: the whole file with 200, never a multipart.
    let r = get(site(&t), "GET /a.txt HTTP/1.1\r\nRange: bytes=0-1,3-4\r\n");
    assert!(
        r.starts_with("HTTP/1.1 200 ") && r.ends_with("\r\n\r\nhello\n"),
        "{r}"
    );
    assert!(!r.contains("multipart"));
    let r = get(site(&t), "GET /a.txt HTTP/1.1\r\nRange: bytes=10-\r\n");
    assert!(r.starts_with("HTTP/1.1 416 "), "{r}");
    assert_eq!(header(&r, "Content-Range"), Some("bytes */6"));
}

#[test]
fn cache_control_by_longest_prefix() {
    let t = TempTree::new("cachecontrol");
    let mut s = site(&t);
    s.cache.add_spec("/=no-cache").unwrap();
    s.cache.add_spec("/sub/=public, max-age=3600").unwrap();
    let r = get(s, "GET /sub/page.html HTTP/1.1\r\n");
    assert_eq!(header(&r, "Cache-Control"), Some("public, max-age=3600"));
    let date = httpdate::parse_http_date(header(&r, "Date").unwrap()).unwrap();
    let expires = httpdate::parse_http_date(header(&r, "Expires").expect(&r)).unwrap();
    assert_eq!(expires.duration_since(date).unwrap().as_secs(), 3600);
    let mut s = site(&t);
    s.cache.add_spec("/=no-cache").unwrap();
    s.cache.add_spec("/sub/=max-age=60").unwrap();
    let r = get(s, "GET /a.txt HTTP/1.1\r\n");
    assert_eq!(header(&r, "Cache-Control"), Some("no-cache"));
    assert!(
        header(&r, "Expires").is_none(),
        "no max-age, no Expires: {r}"
    );
    // No rules: no such headers.
    let r = get(site(&t), "GET /a.txt HTTP/1.1\r\n");
    assert!(header(&r, "Cache-Control").is_none());
    let mut table = CacheTable::default();
    assert!(table.add_spec("nocolon").is_err());
    assert!(table.add_spec("relative=max-age=1").is_err());
    assert!(table.add_spec("/x=bad\rvalue").is_err());
    // A huge max-age gives a far Expires, not an overflow.
    table.add_spec("/=max-age=18446744073709551615").unwrap();
    let (_, e) = table.lookup("/a", std::time::SystemTime::now()).unwrap();
    assert_eq!(e.as_deref(), Some("Fri, 31 Dec 9999 23:59:59 GMT"));
}

#[test]
fn precompressed_variants_by_accept_encoding() {
    let t = TempTree::new("variants");
    fs::write(t.0.join("app.js"), b"plain").unwrap();
    fs::write(t.0.join("app.js.gz"), b"GZIPPED").unwrap();
    fs::write(t.0.join("app.js.br"), b"BROTLI!!").unwrap();
    fs::write(t.0.join("only.css"), b"css").unwrap();
    fs::write(t.0.join("only.css.gz"), b"gz").unwrap();
    let req = |path: &str, ae: &str| {
        let ae = if ae.is_empty() {
            String::new()
        } else {
            format!("Accept-Encoding: {ae}\r\n")
        };
        get(site(&t), &format!("GET {path} HTTP/1.1\r\n{ae}"))
    };
    let plain = req("/app.js", "");
    assert!(plain.ends_with("\r\n\r\nplain"), "{plain}");
    assert_eq!(header(&plain, "Vary"), Some("Accept-Encoding"));
    assert!(header(&plain, "Content-Encoding").is_none());
    let br = req("/app.js", "gzip, deflate, br");
    assert!(
        br.ends_with("\r\n\r\nBROTLI!!"),
        "br preferred on a tie: {br}"
    );
    assert_eq!(header(&br, "Content-Encoding"), Some("br"));
    assert_eq!(header(&br, "Vary"), Some("Accept-Encoding"));
    assert_eq!(header(&br, "Content-Type"), header(&plain, "Content-Type"));
    assert_eq!(header(&br, "Content-Length"), Some("8"));
    let gz = req("/app.js", "br;q=0.5, gzip");
    assert_eq!(header(&gz, "Content-Encoding"), Some("gzip"), "{gz}");
    assert!(gz.ends_with("GZIPPED"));
    let etags = [&plain, &br, &gz].map(|r| header(r, "ETag").unwrap().to_string());
    assert!(etags[0] != etags[1] && etags[1] != etags[2] && etags[0] != etags[2]);
    assert!(req("/app.js", "br;q=0, gzip;q=0").ends_with("plain"));
    assert!(req("/app.js", "*").ends_with("BROTLI!!"));
    assert!(req("/only.css", "br, gzip").ends_with("\r\n\r\ngz"));
    // identity;q=0: a variant if there is one, else 406.
    assert!(req("/only.css", "gzip, identity;q=0").ends_with("gz"));
    let r = req("/a.txt", "br, identity;q=0");
    assert!(r.starts_with("HTTP/1.1 406 "), "{r}");
    let r = req("/only.css", "br, *;q=0");
    assert!(
        r.starts_with("HTTP/1.1 406 ") && header(&r, "Vary").is_some(),
        "{r}"
    );
    // A file without variants has no Vary.
    assert!(header(&req("/a.txt", "gzip"), "Vary").is_none());
    // Ranges apply to the variant's bytes; 304 by the variant's ETag.
    let r = get(
        site(&t),
        "GET /app.js HTTP/1.1\r\nAccept-Encoding: gzip\r\nRange: bytes=1-2\r\n",
    );
    assert!(
        r.starts_with("HTTP/1.1 206 ") && r.ends_with("\r\n\r\nZI"),
        "{r}"
    );
    assert_eq!(header(&r, "Content-Range"), Some("bytes 1-2/7"));
    let r = get(
        site(&t),
        &format!(
            "GET /app.js HTTP/1.1\r\nAccept-Encoding: gzip\r\nIf-None-Match: {}\r\n",
            etags[2]
        ),
    );
    assert!(r.starts_with("HTTP/1.1 304 "), "{r}");
    // Off: the original only, no Vary.
    let mut s = site(&t);
    s.precompressed = false;
    let r = get(s, "GET /app.js HTTP/1.1\r\nAccept-Encoding: br\r\n");
    assert!(r.ends_with("plain") && header(&r, "Vary").is_none(), "{r}");
}

#[test]
fn limits_are_answered() {
    let t = TempTree::new("limits");
    let limited = |f: &dyn Fn(&mut Limits)| {
        let mut s = site(&t);
        f(&mut s.limits);
        s
    };
    // Request line / target too long: 414, and the connection closes.
    let long = format!(
        "GET /{} HTTP/1.1\r\n\r\nGET /a.txt HTTP/1.1\r\n\r\n",
        "a".repeat(200)
    );
    let (out, log) = exchange_site(limited(&|l| l.max_line = 100), "", &long);
    assert!(
        out.starts_with("HTTP/1.1 414 ") && out.contains("Connection: close\r\n"),
        "{out}"
    );
    assert_eq!(log, ["- - 414"]);
    // ... also before the line has ended.
    let (out, _) = exchange_site(limited(&|l| l.max_line = 100), "", &long[..150]);
    assert!(out.starts_with("HTTP/1.1 414 "), "{out}");
    // Too many headers: 431.
    let many: String = (0..5).map(|i| format!("X-{i}: y\r\n")).collect();
    let req = format!("GET /a.txt HTTP/1.1\r\n{many}\r\n");
    let (out, _) = exchange_site(limited(&|l| l.max_headers = 4), "", &req);
    assert!(out.starts_with("HTTP/1.1 431 "), "{out}");
    let (out, _) = exchange_site(limited(&|l| l.max_headers = 5), "", &req);
    assert!(out.starts_with("HTTP/1.1 200 "), "{out}");
    // Head too big: 431.
    let (out, _) = exchange_site(
        limited(&|l| l.max_head = 300),
        "",
        &format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "b".repeat(300)),
    );
    assert!(out.starts_with("HTTP/1.1 431 "), "{out}");
    // Requests per connection: the last one says close.
    let three = "GET /a.txt HTTP/1.1\r\n\r\n".repeat(3);
    let (out, log) = exchange_site(limited(&|l| l.max_requests = 2), "", &three);
    assert_eq!(log.len(), 2, "{out}");
    let responses: Vec<&str> = out.split("HTTP/1.1 ").skip(1).collect();
    assert!(responses[0].contains("Connection: keep-alive\r\n"));
    assert!(responses[1].contains("Connection: close\r\n"));
    // Malformed: 400 and close, whatever follows.
    for bad in [
        "GET /a.txt HTTP/1.1\r\nNo colon\r\n\r\n",
        "GET  /a.txt HTTP/1.1\r\n\r\n",
        "GET /a\x01 HTTP/1.1\r\n\r\n",
        "\x16\x03\x01\x00\x05hello\r\n\r\n",
        "GET /a.txt HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        "GET /a.txt HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    ] {
        let (out, log) = exchange(&t.0, &format!("{bad}GET /a.txt HTTP/1.1\r\n\r\n"));
        assert!(out.starts_with("HTTP/1.1 400 "), "{bad:?}: {out}");
        assert_eq!(log.len(), 1, "closed after: {bad:?}");
    }
}

/// A head trickling in is scanned once, and is not a request until whole.
#[test]
fn a_head_in_single_bytes() {
    let t = TempTree::new("trickle");
    let mut c = HttpConn::new(std::sync::Arc::new(site(&t)));
    let req = b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n";
    for (i, b) in req.iter().enumerate() {
        assert!(matches!(c.next(), Next::NeedMore));
        assert_eq!(c.partial_head(), i > 0);
        assert!(c.push(&[*b]));
    }
    assert!(matches!(c.next(), Next::Respond { .. }));
    assert!(!c.partial_head());
}

#[test]
fn header_grammars() {
    // Accept-Encoding: q-values, *, identity.
    let a = accept_encoding(Some("gzip;q=0.8, br;q=0.9"));
    assert_eq!((a.br, a.gzip, a.identity), (900, 800, 1000));
    let a = accept_encoding(Some("*;q=0"));
    assert_eq!((a.br, a.gzip, a.identity), (0, 0, 0));
    let a = accept_encoding(Some("identity;q=0, *"));
    assert_eq!((a.br, a.gzip, a.identity), (1000, 1000, 0));
    let a = accept_encoding(None);
    assert_eq!((a.br, a.gzip, a.identity), (0, 0, 1000));
    let a = accept_encoding(Some("GZIP;Q=1.0, br;q=1.5, x;q=oops,,;"));
    assert_eq!((a.br, a.gzip), (0, 1000), "bad q counts as 0");
    assert_eq!(accept_encoding(Some("br;q=0.0001")).br, 0);
    let both = [Coding::Br, Coding::Gzip];
    assert_eq!(
        accept_encoding(Some("gzip, br")).choose(both.into_iter()),
        Some(Coding::Br)
    );
    assert_eq!(
        accept_encoding(Some("gzip, br;q=0.1")).choose(both.into_iter()),
        Some(Coding::Gzip)
    );
    assert_eq!(
        accept_encoding(Some("br")).choose([Coding::Gzip].into_iter()),
        None
    );
    // Entity tags: weak comparison for If-None-Match, strong for If-Range.
    assert!(none_match("\"a\"", "\"a\""));
    assert!(none_match("W/\"a\"", "\"a\""));
    assert!(none_match(" \"b\" ,W/\"a\"", "\"a\""));
    assert!(none_match("*", "\"a\""));
    assert!(!none_match("\"b\"", "\"a\""));
    assert!(!none_match("a", "\"a\""), "unquoted is not a tag");
    assert!(!none_match("\"", "\"a\""));
    assert_eq!(if_range_etag("\"a\"", "\"a\""), Some(true));
    assert_eq!(if_range_etag("W/\"a\"", "\"a\""), Some(false));
    assert_eq!(if_range_etag("\"b\"", "\"a\""), Some(false));
    assert_eq!(
        if_range_etag("Thu, 01 Jan 1970 00:00:00 GMT", "\"a\""),
        None
    );
    // Percent-decoding round trip, malformed escapes refused.
    for name in [&b"a b"[..], b"\xff\x00%", b"~.-_", b"\xe2\x82\xac"] {
        let enc = percent_encode(name);
        assert_eq!(percent_decode(&enc).unwrap(), name, "{enc}");
    }
    for bad in ["%", "%4", "%g0", "a%zzb"] {
        assert!(percent_decode(bad).is_none(), "{bad}");
    }
    // Heads: versions, limits, garbage never panics.
    assert_eq!(parse_head(b"GET / HTTP/2.0\r\n\r\n", 8), Err(505));
    assert_eq!(
        parse_head(b"GET / HTTP/1.1\r\nA: b\r\nC: d\r\n\r\n", 1),
        Err(431)
    );
    let r = parse_head(
        b"GET / HTTP/1.1\r\nIf-None-Match: \"a\"\r\nIf-None-Match: \"b\"\r\nAccept-Encoding: br\r\n\r\n",
        8,
    )
    .unwrap();
    assert_eq!(r.if_none_match.as_deref(), Some("\"a\", \"b\""));
    assert_eq!(r.accept_encoding.as_deref(), Some("br"));
    let mut seed = 7u64;
    for _ in 0..2000 {
        let mut head = b"GET / HTTP/1.1\r\n".to_vec();
        for _ in 0..40 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            head.push(b"ab:; ,=\"*/%\r\n\x00\xff"[(seed >> 33) as usize % 15]);
        }
        head.extend_from_slice(b"\r\n\r\n");
        let _ = parse_head(&head, 8);
        if let Ok(r) = parse_head(&head, 8) {
            let _ = accept_encoding(r.accept_encoding.as_deref());
        }
    }
}
