use super::*;

const VALID: &str = r#"
listen = "127.0.0.1:8443"
workers = 2

[[site]]
names = ["a.test", "*.a.test"]
root = "/srv/a"
cert = "a.pem"
key = "a.key"

[[site]]
names = ["b.test"]
root = "/srv/b"
cert = ["b1.pem", "b2.pem"]
key = ["b1.key", "b2.key"]
policy = "default_tls13"
default = true
client_auth = "optional"
client_ca = "ca.pem"
[site.cache_control]
"/assets/" = "max-age=86400"
"#;

#[test]
fn valid_file_parses() {
    let spec = parse(VALID).unwrap();
    assert_eq!(spec.listen.as_deref(), Some("127.0.0.1:8443"));
    assert_eq!(spec.workers, Some(2));
    assert_eq!(spec.sites.len(), 2);
    assert_eq!(spec.sites[1].cert.list().len(), 2);
    assert!(spec.sites[1].default);
    assert_eq!(spec.sites[1].cache_control["/assets/"], "max-age=86400");
}

#[test]
fn unknown_key_is_named() {
    let e = parse(&VALID.replace("workers = 2", "wrokers = 2")).unwrap_err();
    assert!(e.contains("wrokers"), "{e}");
    let e = parse(&VALID.replace("policy =", "polcy =")).unwrap_err();
    assert!(e.contains("polcy"), "{e}");
}

#[test]
fn missing_field_is_named() {
    let e = parse(&VALID.replace("root = \"/srv/a\"", "")).unwrap_err();
    assert!(e.contains("root"), "{e}");
    assert!(parse("listen = \"127.0.0.1:1\"")
        .unwrap_err()
        .contains("site"));
}

#[test]
fn duplicate_names_and_defaults_refused() {
    let e = parse(&VALID.replace("[\"b.test\"]", "[\"A.test.\"]")).unwrap_err();
    assert!(e.contains("also in site 1"), "{e}");
    let two_defaults = VALID.replace("root = \"/srv/a\"", "root = \"/srv/a\"\ndefault = true");
    assert!(parse(&two_defaults).unwrap_err().contains("default"));
    let unpaired = VALID.replace("key = [\"b1.key\", \"b2.key\"]", "key = \"b1.key\"");
    assert!(parse(&unpaired).unwrap_err().contains("pairs"));
    let bad = VALID.replace("[\"b.test\"]", "[\"b_test\"]");
    assert!(parse(&bad).unwrap_err().contains("not a DNS name"));
}

#[test]
fn host_port_is_stripped() {
    assert_eq!(host_name("a.test:8443"), "a.test");
    assert_eq!(host_name("a.test"), "a.test");
    assert_eq!(host_name("[::1]:443"), "[::1]");
}

/// The example in docs/ parses, so it stays true.
#[test]
fn docs_example_parses() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples/sites.toml");
    let spec = parse(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(spec.sites.len() >= 2);
}

/// The routing rule, in memory: SNI picks the handshake's site, Host the
/// request's, and the two must agree.
#[test]
fn routing_by_sni_and_host() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data");
    let dir = std::env::temp_dir().join(format!("baton-sites-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let site = |names: &str, extra: &str| {
        format!(
            "[[site]]\nnames = {names}\nroot = {:?}\ncert = {:?}\nkey = {:?}\n{extra}\n",
            dir.to_str().unwrap(),
            data.join("server-p256-chain.pem").to_str().unwrap(),
            data.join("server-p256.key").to_str().unwrap(),
        )
    };
    let text = site("[\"a.test\"]", "default = true") + &site("[\"*.w.test\"]", "");
    let common = Common {
        limits: http::Limits::default(),
        precompressed: true,
        open_files: http::CacheConfig::default(),
        sessions: Arc::new(
            crate::sessions::SessionSetup::start(&crate::sessions::SessionFlags::default())
                .unwrap(),
        ),
    };
    let sites = Sites::load(&parse(&text).unwrap(), &common).unwrap();
    assert_eq!(sites.for_sni(Some("X.W.test.")), Some(1));
    assert_eq!(sites.for_sni(Some("a.b.w.test")), Some(0));
    assert_eq!(sites.for_sni(None), Some(0));
    let spec = parse(&text).unwrap();
    let shared = Shared::new(
        dir.join("none.toml"),
        Box::new(move |_| Ok(common.clone())),
        &spec,
        sites,
    );
    let is = |r: Result<Arc<http::Site>, u16>, want: usize| {
        let sites = shared.current();
        Arc::ptr_eq(&r.unwrap(), &sites.sites[want].http)
    };
    let (_, w) = shared.router(Some("x.w.test"));
    assert!(is(w.route(Some("y.w.test:8443")), 1));
    assert!(is(w.route(None), 1));
    assert_eq!(w.route(Some("a.test")).unwrap_err(), 421);
    assert_eq!(w.route(Some("nobody.test")).unwrap_err(), 421);
    let (_, a) = shared.router(Some("a.test"));
    assert!(is(a.route(Some("nobody.test")), 0));
    // No SNI: the default site's handshake reaches the default site only.
    let (_, none) = shared.router(None);
    assert_eq!(none.route(Some("x.w.test")).unwrap_err(), 421);
    assert!(is(none.route(Some("A.TEST")), 0));
    assert!(is(none.route(Some("nobody.test")), 0));
    // A reload of a file that is not there keeps the table.
    assert!(shared.reload().starts_with("reload failed"));
    assert_eq!(shared.current().sites.len(), 2);
}
