//! Certificates chosen by SNI through a `CertResolver`: exact names,
//! wildcards, the default, an ECDSA and an RSA certificate for one name
//! (picked by the client's signature algorithms, both TLS versions), and a
//! live replacement, against `openssl s_client -servername` and the Baton
//! client.

use crate::pair::{client_config, connect, handshake, transfer};
use crate::tenants::{first_pem_cert, serve_n, tenant, Tenant};
use crate::util::{all_cas_file, data, leaf_der, openssl_available, s_client, TIMEOUT};
use baton::cert::{CertResolver, SniCertStore};
use baton::{CertChainAndKey, Config, ProtocolVersion};
use std::sync::Arc;

struct Fixture {
    exact: Tenant,
    wild: Tenant,
    both_ec: Tenant,
    both_rsa: Tenant,
    resolver: Arc<CertResolver>,
    config: Config,
}

/// `a.test` (P-384), `*.wild2.test` (P-256), `both.test` (P-256 and RSA);
/// the config's own certificate (the P-256 test chain) is the default.
fn fixture() -> Fixture {
    let exact = tenant(&["a.test"], "server-p384.key", "ca-ecdsa");
    let wild = tenant(&["*.wild2.test"], "server-p256.key", "ca-ecdsa");
    let both_ec = tenant(&["both.test"], "server-p256.key", "ca-ecdsa");
    let both_rsa = tenant(&["both.test"], "server-rsa.key", "ca-rsa");
    let mut store = SniCertStore::new();
    for t in [&exact, &wild, &both_ec, &both_rsa] {
        store.add(Arc::new(t.chain_and_key())).unwrap();
    }
    assert_eq!((store.name_count(), store.cert_count()), (3, 4));
    let resolver = Arc::new(CertResolver::new(store));
    let mut b = Config::builder_minimal();
    b.security_policy("default_tls13").unwrap();
    b.add_cert_chain_and_key(
        CertChainAndKey::from_pem_files(data("server-p256-chain.pem"), data("server-p256.key"))
            .unwrap(),
    );
    b.set_cert_resolver(Arc::clone(&resolver));
    let config = b.build().unwrap();
    Fixture {
        exact,
        wild,
        both_ec,
        both_rsa,
        resolver,
        config,
    }
}

/// The leaf a Baton client gets for `sni`.
fn leaf_for(config: &Config, client: &Config, sni: &str) -> (Vec<u8>, Option<ProtocolVersion>) {
    let (mut c, mut s) = connect(client, config, sni);
    let (cr, sr) = handshake(&mut c, &mut s);
    sr.unwrap();
    cr.unwrap_or_else(|e| panic!("{sni}: {e}"));
    (c.peer_cert_chain()[0].clone(), c.actual_protocol_version())
}

#[test]
fn exact_wildcard_and_default_names() {
    let f = fixture();
    let ccfg = client_config(None, &[]);
    let default = leaf_der("server-p256.pem");
    assert_eq!(leaf_for(&f.config, &ccfg, "a.test").0, f.exact.der);
    assert_eq!(leaf_for(&f.config, &ccfg, "x.wild2.test").0, f.wild.der);
    assert_eq!(leaf_for(&f.config, &ccfg, "X.Wild2.Test").0, f.wild.der);
    // A wildcard covers one label: neither the parent nor two labels.
    assert_eq!(leaf_for(&f.config, &ccfg, "localhost").0, default);
    // Names no certificate is valid for: the default is sent (and refused
    // by the client's host check, which is the client's business).
    for sni in ["wild2.test", "y.x.wild2.test", "other.test"] {
        let (mut c, mut s) = connect(&ccfg, &f.config, sni);
        let (cr, sr) = handshake(&mut c, &mut s);
        sr.unwrap_err();
        assert!(cr.is_err(), "{sni}");
        assert_eq!(s.selected_cert().unwrap().chain()[0], default, "{sni}");
    }
}

#[test]
fn one_name_two_key_types_in_both_versions() {
    let f = fixture();
    let ecdsa_only = baton::SignatureScheme::ECDSA_SECP256R1_SHA256;
    let rsa_only = baton::SignatureScheme::RSA_PSS_RSAE_SHA256;
    let pol = |scheme, max: ProtocolVersion| -> &'static baton::SecurityPolicy {
        let base = baton::policy::lookup("default_tls13").unwrap();
        Box::leak(Box::new(baton::SecurityPolicy {
            name: "test",
            max_version: max,
            signature_schemes: Box::leak(vec![scheme].into_boxed_slice()),
            ..*base
        }))
    };
    for version in [ProtocolVersion::TLSV1_3, ProtocolVersion::TLSV1_2] {
        for (scheme, want) in [(ecdsa_only, &f.both_ec), (rsa_only, &f.both_rsa)] {
            let ccfg = client_config(Some(pol(scheme, version)), &[]);
            let (leaf, v) = leaf_for(&f.config, &ccfg, "both.test");
            assert_eq!(v, Some(version));
            assert_eq!(leaf, want.der, "{version:?} {scheme:?}");
        }
    }
}

#[test]
fn replacing_the_store_serves_new_handshakes_and_keeps_old_connections() {
    let f = fixture();
    let ccfg = client_config(None, &[]);
    let (mut old_c, mut old_s) = connect(&ccfg, &f.config, "a.test");
    let (cr, sr) = handshake(&mut old_c, &mut old_s);
    cr.unwrap();
    sr.unwrap();

    let renewed = tenant(&["a.test"], "server-p256.key", "ca-ecdsa");
    let mut store = SniCertStore::new();
    store.add(Arc::new(renewed.chain_and_key())).unwrap();
    let previous = f.resolver.replace(store);
    assert_eq!(previous.cert_count(), 4);

    assert_eq!(leaf_for(&f.config, &ccfg, "a.test").0, renewed.der);
    // The names dropped from the store fall back to the default.
    assert_eq!(
        leaf_for(&f.config, &ccfg, "localhost").0,
        leaf_der("server-p256.pem")
    );
    // The connection made before still carries data.
    assert_eq!(old_c.peer_cert_chain()[0], f.exact.der);
    assert_eq!(
        transfer(&mut old_c, &mut old_s, b"still here"),
        b"still here"
    );
}

#[test]
fn openssl_s_client_servername_picks_the_certificate() {
    if !openssl_available("openssl_s_client_servername_picks_the_certificate") {
        return;
    }
    let f = fixture();
    let cases: Vec<(&str, &[&str], Vec<u8>)> = vec![
        ("a.test", &[], f.exact.der.clone()),
        ("x.wild2.test", &[], f.wild.der.clone()),
        ("y.x.wild2.test", &[], leaf_der("server-p256.pem")),
        ("unknown.test", &[], leaf_der("server-p256.pem")),
        (
            "both.test",
            &["-sigalgs", "ecdsa_secp256r1_sha256"],
            f.both_ec.der.clone(),
        ),
        (
            "both.test",
            &["-sigalgs", "rsa_pss_rsae_sha256"],
            f.both_rsa.der.clone(),
        ),
        (
            "both.test",
            &["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"],
            f.both_rsa.der.clone(),
        ),
    ];
    let (port, server) = serve_n(f.config.clone(), cases.len());
    let ca = all_cas_file().to_str().unwrap().to_owned();
    for (name, extra, want) in &cases {
        let mut args = vec!["-servername", name, "-CAfile", &ca];
        args.extend_from_slice(extra);
        let mut p = s_client(port, &args);
        p.close_stdin();
        let out = p.wait(TIMEOUT);
        assert_eq!(
            first_pem_cert(&out.stdout).as_ref(),
            Some(want),
            "{name} {extra:?}: {}",
            out.stderr
        );
    }
    let results = server.join().unwrap();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
}
