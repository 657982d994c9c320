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
