use super::chain::*;
use super::trust::*;
use super::verify::*;
use crate::crypto::sign::KeyType;
use crate::error::ErrorKind;
use crate::error::{AlertDescription, Error};
use crate::msgs::enums::SignatureScheme;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use std::path::{Path, PathBuf};
use webpki::aws_lc_rs as algs;

macro_rules! path {
    ($f:literal) => {
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/", $f)
    };
}
macro_rules! data {
    ($f:literal) => {
        &include_bytes!(path!($f))[..]
    };
}

/// 2026-01-01: inside every good certificate's validity, after the expired one's.
const NOW: u64 = 1_767_225_600;

fn chain(pem: &[u8]) -> Vec<Vec<u8>> {
    CertificateDer::pem_slice_iter(pem)
        .map(|c| c.unwrap().to_vec())
        .collect()
}

fn store(files: &[&[u8]]) -> TrustStore {
    let mut ts = TrustStore::new();
    for f in files {
        ts.add_pem(f).unwrap();
    }
    ts
}

fn alert<T: core::fmt::Debug>(r: Result<T, Error>) -> AlertDescription {
    r.unwrap_err().sent_alert().unwrap()
}

fn test_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("baton-cert-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn load_chain_and_key_every_format() {
    let cases: &[(&[u8], &[u8], KeyType, usize)] = &[
        (
            data!("server-rsa.pem"),
            data!("server-rsa.key"),
            KeyType::Rsa,
            1,
        ),
        (
            data!("server-rsa.pem"),
            data!("server-rsa-pkcs1.key"),
            KeyType::Rsa,
            1,
        ),
        (
            data!("server-p256-chain.pem"),
            data!("server-p256.key"),
            KeyType::EcdsaP256,
            2,
        ),
        (
            data!("server-p256-chain.pem"),
            data!("server-p256-sec1.key"),
            KeyType::EcdsaP256,
            2,
        ),
        (
            data!("server-p384.pem"),
            data!("server-p384.key"),
            KeyType::EcdsaP384,
            1,
        ),
        (
            data!("client-chain.pem"),
            data!("client.key"),
            KeyType::EcdsaP256,
            2,
        ),
    ];
    for (c, k, ty, n) in cases {
        let ck = CertChainAndKey::from_pem(c, k).unwrap();
        assert_eq!(ck.key_type(), *ty);
        assert_eq!(ck.chain().len(), *n);
        assert!(ck.signing_key().public_key_matches(&ck.chain()[0]));
        let dbg = format!("{ck:?}");
        assert!(dbg.contains("redacted"), "{dbg}");
    }
    let ck = CertChainAndKey::from_pem_files(
        path!("server-p256-chain.pem"),
        path!("server-p256-sec1.key"),
    )
    .unwrap();
    assert_eq!(ck.chain(), chain(data!("server-p256-chain.pem")).as_slice());
}

#[test]
fn mismatched_or_bad_inputs_are_usage_errors() {
    let mismatched: &[(&[u8], &[u8])] = &[
        (data!("server-rsa.pem"), data!("server-p256.key")),
        (data!("server-p256.pem"), data!("server-p384.key")),
        (data!("server-p256.pem"), data!("client.key")),
        (data!("server-p384.pem"), data!("server-rsa-pkcs1.key")),
        // The chain's leaf is what matters, not the intermediate.
        (
            data!("server-p256-chain.pem"),
            data!("intermediate-p256.key"),
        ),
    ];
    for (c, k) in mismatched {
        let e = CertChainAndKey::from_pem(c, k).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage);
        assert_eq!(e.message(), "private key does not match certificate");
    }
    let garbage: &[(&[u8], &[u8])] = &[
        (b"", data!("server-rsa.key")),
        (b"garbage", data!("server-rsa.key")),
        (data!("server-rsa.key"), data!("server-rsa.key")),
        (
            b"-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n",
            data!("server-rsa.key"),
        ),
        (
            b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
            data!("server-rsa.key"),
        ),
        (data!("server-rsa.pem"), b""),
        (data!("server-rsa.pem"), b"garbage"),
        (data!("server-rsa.pem"), data!("server-rsa.pem")),
    ];
    for (c, k) in garbage {
        let e = CertChainAndKey::from_pem(c, k).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage, "{e:?}");
    }
    let e =
        CertChainAndKey::from_pem_files(path!("no-such.pem"), path!("server-rsa.key")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Usage);
    assert!(e.message().contains("no-such.pem"), "{}", e.message());
    let e =
        CertChainAndKey::from_pem_files(path!("server-rsa.pem"), path!("no-such.key")).unwrap_err();
    assert!(e.message().contains("no-such.key"), "{}", e.message());
}

#[test]
fn valid_chains_verify() {
    let ts = store(&[data!("ca-rsa.pem"), data!("ca-ecdsa.pem")]);
    assert_eq!(ts.len(), 2);
    ts.verify_server_chain(&chain(data!("server-rsa.pem")), NOW)
        .unwrap();
    ts.verify_server_chain(&chain(data!("server-p256-chain.pem")), NOW)
        .unwrap();
    ts.verify_server_chain(&chain(data!("server-p384.pem")), NOW)
        .unwrap();
    // Now, and the far future, still inside the 100-year validity.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    ts.verify_server_chain(&chain(data!("server-p256-chain.pem")), now)
        .unwrap();
    ts.verify_server_chain(&chain(data!("server-p384.pem")), 4_000_000_000)
        .unwrap();
}

#[test]
fn invalid_chains() {
    let ts = store(&[data!("ca-rsa.pem"), data!("ca-ecdsa.pem")]);
    let e = ts
        .verify_server_chain(&chain(data!("server-expired.pem")), NOW)
        .unwrap_err();
    assert_eq!(e.sent_alert(), Some(AlertDescription::CERTIFICATE_EXPIRED));
    assert_eq!(e.message(), "certificate expired");
    // Before the good certificates' notBefore (1990).
    assert_eq!(
        alert(ts.verify_server_chain(&chain(data!("server-rsa.pem")), 631_152_000)),
        AlertDescription::CERTIFICATE_EXPIRED
    );
    let e = ts
        .verify_server_chain(&chain(data!("server-untrusted.pem")), NOW)
        .unwrap_err();
    assert_eq!(e.sent_alert(), Some(AlertDescription::UNKNOWN_CA));
    assert_eq!(
        e.message(),
        "certificate chain is not trusted: unknown issuer"
    );
    // Missing intermediate.
    assert_eq!(
        alert(ts.verify_server_chain(&chain(data!("server-p256.pem")), NOW)),
        AlertDescription::UNKNOWN_CA
    );
    // A client certificate is not valid for server auth.
    assert_eq!(
        alert(ts.verify_server_chain(&chain(data!("client-chain.pem")), NOW)),
        AlertDescription::BAD_CERTIFICATE
    );
    // A CA as the leaf.
    assert_eq!(
        alert(ts.verify_server_chain(&chain(data!("ca-rsa.pem")), NOW)),
        AlertDescription::BAD_CERTIFICATE
    );
    // Empty and garbage chains.
    assert_eq!(
        alert(ts.verify_server_chain(&[], NOW)),
        AlertDescription::BAD_CERTIFICATE
    );
    assert_eq!(
        alert(ts.verify_server_chain(&[b"junk".to_vec()], NOW)),
        AlertDescription::BAD_CERTIFICATE
    );
    let mut c = chain(data!("server-p256-chain.pem"));
    c[1] = b"junk".to_vec();
    assert!(ts.verify_server_chain(&c, NOW).is_err());
    let mut leaf = chain(data!("server-rsa.pem"));
    let n = leaf[0].len();
    leaf[0][n - 10] ^= 0x55; // inside the signature
    assert!(ts.verify_server_chain(&leaf, NOW).is_err());
    // Truncations never panic.
    let full = chain(data!("server-p256-chain.pem"));
    for i in 0..full[0].len() {
        let c = vec![full[0][..i].to_vec(), full[1].clone()];
        assert!(ts.verify_server_chain(&c, NOW).is_err());
    }
}

#[test]
fn wipe_makes_everything_unknown() {
    let mut ts = store(&[data!("ca-rsa.pem")]);
    ts.verify_server_chain(&chain(data!("server-rsa.pem")), NOW)
        .unwrap();
    let copy = ts.clone();
    ts.wipe();
    assert_eq!(ts.len(), 0);
    assert_eq!(
        alert(ts.verify_server_chain(&chain(data!("server-rsa.pem")), NOW)),
        AlertDescription::UNKNOWN_CA
    );
    // The clone kept its anchors.
    assert_eq!(copy.len(), 1);
    copy.verify_server_chain(&chain(data!("server-rsa.pem")), NOW)
        .unwrap();
    assert_eq!(format!("{copy:?}"), "TrustStore(1 anchors)");
}

#[test]
fn add_pem_counts_and_errors() {
    let mut ts = TrustStore::new();
    let mut bundle = data!("ca-rsa.pem").to_vec();
    bundle.extend_from_slice(data!("ca-ecdsa.pem"));
    assert_eq!(ts.add_pem(&bundle).unwrap(), 2);
    // Duplicates are not stored twice.
    assert_eq!(ts.add_pem(data!("ca-rsa.pem")).unwrap(), 0);
    assert_eq!(ts.len(), 2);
    for bad in [
        &b""[..],
        b"hello",
        data!("ca-rsa.key"),
        b"-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n",
        b"-----BEGIN CERTIFICATE-----\n%%%\n-----END CERTIFICATE-----\n",
    ] {
        let e = ts.add_pem(bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage);
    }
    assert_eq!(ts.len(), 2);
}

#[test]
fn add_location_file_and_directory() {
    let mut ts = TrustStore::new();
    assert_eq!(ts.add_location(Path::new(path!("ca-rsa.pem"))).unwrap(), 1);
    ts.verify_server_chain(&chain(data!("server-rsa.pem")), NOW)
        .unwrap();
    let e = ts
        .add_location(Path::new(path!("does-not-exist.pem")))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Usage);
    assert!(e.message().contains("does-not-exist.pem"));
    assert!(ts.add_location(Path::new(path!("README.md"))).is_err());

    let dir = test_dir("dir");
    std::fs::write(dir.join("ca-rsa.pem"), data!("ca-rsa.pem")).unwrap();
    std::fs::write(dir.join("0a1b2c3d.0"), data!("ca-ecdsa.pem")).unwrap();
    // Wrong extension: ignored even though it is a valid CA.
    std::fs::write(dir.join("untrusted-ca.txt"), data!("untrusted-ca.pem")).unwrap();
    std::fs::write(dir.join("untrusted-ca.pem.bak"), data!("untrusted-ca.pem")).unwrap();
    // Unparseable: skipped.
    std::fs::write(dir.join("junk.crt"), b"junk").unwrap();
    std::fs::create_dir(dir.join("sub.pem")).unwrap();
    // A symlink to a CA file is followed; a dangling one is skipped.
    std::os::unix::fs::symlink(path!("untrusted-ca.pem"), dir.join("link.pem")).unwrap();
    std::os::unix::fs::symlink(dir.join("nowhere"), dir.join("dangling.pem")).unwrap();

    let mut ts = TrustStore::new();
    assert_eq!(ts.add_location(&dir).unwrap(), 3);
    assert_eq!(ts.len(), 3);
    ts.verify_server_chain(&chain(data!("server-rsa.pem")), NOW)
        .unwrap();
    ts.verify_server_chain(&chain(data!("server-p256-chain.pem")), NOW)
        .unwrap();
    ts.verify_server_chain(&chain(data!("server-untrusted.pem")), NOW)
        .unwrap();

    // Without the link, the untrusted CA's leaf stays unknown.
    std::fs::remove_file(dir.join("link.pem")).unwrap();
    let mut ts = TrustStore::new();
    assert_eq!(ts.add_location(&dir).unwrap(), 2);
    assert_eq!(
        alert(ts.verify_server_chain(&chain(data!("server-untrusted.pem")), NOW)),
        AlertDescription::UNKNOWN_CA
    );

    // A directory with nothing loadable is an error.
    let empty = test_dir("empty");
    std::fs::write(empty.join("junk.pem"), b"junk").unwrap();
    assert_eq!(
        TrustStore::new().add_location(&empty).unwrap_err().kind(),
        ErrorKind::Usage
    );
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&empty);
}

#[test]
fn trust_file_names() {
    for ok in ["a.pem", "b.crt", "0a1b2c3d.0", "ABCDEF01.12"] {
        assert!(is_trust_file_name(ok), "{ok}");
    }
    for no in [
        "a.key",
        "README",
        "0a1b2c3d",
        "0a1b2c3d.",
        "0a1b2c3g.0",
        "0a1b2c3.0",
        "0a1b2c3d.r0",
    ] {
        assert!(!is_trust_file_name(no), "{no}");
    }
}

#[test]
fn system_defaults_env_and_fallbacks() {
    // Environment variables win, and are used alone.
    let mut ts = TrustStore::new();
    let n = ts
        .add_system_from(
            Some(path!("ca-rsa.pem").into()),
            None,
            &[path!("ca-ecdsa.pem")],
        )
        .unwrap();
    assert_eq!((n, ts.len()), (1, 1));
    ts.verify_server_chain(&chain(data!("server-rsa.pem")), NOW)
        .unwrap();

    let dir = test_dir("envdir");
    std::fs::write(dir.join("ca.pem"), data!("ca-ecdsa.pem")).unwrap();
    let mut ts = TrustStore::new();
    let dirs = std::env::join_paths([dir.as_path(), Path::new("/nonexistent/baton")]).unwrap();
    ts.add_system_from(Some(path!("ca-rsa.pem").into()), Some(dirs), &[])
        .unwrap();
    assert_eq!(ts.len(), 2);

    // Env paths that do not exist: fall back to the first existing bundle.
    let mut ts = TrustStore::new();
    ts.add_system_from(
        Some("/nonexistent/baton.pem".into()),
        Some("".into()),
        &[
            "/nonexistent/a.pem",
            path!("ca-ecdsa.pem"),
            path!("ca-rsa.pem"),
        ],
    )
    .unwrap();
    assert_eq!(ts.len(), 1);
    ts.verify_server_chain(&chain(data!("server-p384.pem")), NOW)
        .unwrap();

    // Nothing anywhere.
    let e = TrustStore::new()
        .add_system_from(None, None, &["/nonexistent/a.pem"])
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Usage);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn system_defaults_on_this_machine() {
    if !Path::new("/etc/ssl/certs/ca-certificates.crt").exists() {
        println!("skipping: /etc/ssl/certs/ca-certificates.crt does not exist");
        return;
    }
    let mut ts = TrustStore::new();
    let n = ts.add_system_defaults().unwrap();
    assert!(n > 0 && ts.len() > 0, "loaded {n}");
    // Our test CA is not among them.
    assert_eq!(
        alert(ts.verify_server_chain(&chain(data!("server-rsa.pem")), NOW)),
        AlertDescription::UNKNOWN_CA
    );
}

#[test]
fn host_names() {
    for leaf in [
        data!("server-rsa.pem"),
        data!("server-p256.pem"),
        data!("server-p384.pem"),
    ] {
        let leaf = &chain(leaf)[0];
        for ok in [
            "localhost",
            "server.test",
            "a.wild.test",
            "127.0.0.1",
            "SERVER.test",
        ] {
            check_host_name(leaf, ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in [
            "other.test",
            "wild.test",
            "a.b.wild.test",
            "127.0.0.2",
            "::1",
            "test",
        ] {
            let e = check_host_name(leaf, bad).unwrap_err();
            assert_eq!(e.sent_alert(), Some(AlertDescription::BAD_CERTIFICATE));
            assert!(e.message().contains(bad), "{}", e.message());
        }
        let e = check_host_name(leaf, "other.test").unwrap_err();
        assert_eq!(e.message(), "certificate is not valid for host other.test");
        for invalid in ["", "bad name", "a..b", "-"] {
            assert_eq!(
                alert(check_host_name(leaf, invalid)),
                AlertDescription::BAD_CERTIFICATE
            );
        }
    }
    assert_eq!(
        alert(check_host_name(b"junk", "localhost")),
        AlertDescription::BAD_CERTIFICATE
    );
}

#[test]
fn dns_names() {
    let leaf = &chain(data!("server-p256.pem"))[0];
    assert_eq!(
        leaf_dns_names(leaf).unwrap(),
        ["localhost", "server.test", "*.wild.test"]
    );
    let client = &chain(data!("client.pem"))[0];
    assert_eq!(leaf_dns_names(client).unwrap(), ["client.test"]);
    // A CA without SAN.
    assert!(leaf_dns_names(&chain(data!("ca-rsa.pem"))[0])
        .unwrap()
        .is_empty());
    assert_eq!(
        alert(leaf_dns_names(b"junk")),
        AlertDescription::BAD_CERTIFICATE
    );
}

/// A chain made with rcgen: a root (whose key picks the algorithm it signs the
/// next certificate with), an optional intermediate, and a leaf for "localhost".
/// Returns (root PEM, chain leaf-first as DER).
fn made_chain(
    root_alg: &'static rcgen::SignatureAlgorithm,
    intermediate_alg: Option<&'static rcgen::SignatureAlgorithm>,
    leaf_alg: &'static rcgen::SignatureAlgorithm,
) -> (String, Vec<Vec<u8>>) {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose,
        IsCa, KeyPair,
    };
    let ca_params = |cn: &str| {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.distinguished_name.push(DnType::CommonName, cn);
        p
    };
    let root = CertifiedIssuer::self_signed(
        ca_params("policy test root"),
        KeyPair::generate_for(root_alg).unwrap(),
    )
    .unwrap();
    let mut chain = Vec::new();
    let mut leaf_params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_key = KeyPair::generate_for(leaf_alg).unwrap();
    match intermediate_alg {
        Some(alg) => {
            let int = CertifiedIssuer::signed_by(
                ca_params("policy test intermediate"),
                KeyPair::generate_for(alg).unwrap(),
                &root,
            )
            .unwrap();
            chain.push(
                leaf_params
                    .signed_by(&leaf_key, &int)
                    .unwrap()
                    .der()
                    .to_vec(),
            );
            chain.push(int.der().to_vec());
        }
        None => chain.push(
            leaf_params
                .signed_by(&leaf_key, &root)
                .unwrap()
                .der()
                .to_vec(),
        ),
    }
    (root.pem(), chain)
}

const RFC9151_CERT_SCHEMES: &[SignatureScheme] = &[
    SignatureScheme::ECDSA_SECP384R1_SHA384,
    SignatureScheme::RSA_PKCS1_SHA384,
];

#[test]
fn rfc9151_table_is_what_these_tests_use() {
    let p = crate::policy::lookup("rfc9151").unwrap();
    assert_eq!(p.certificate_signature_schemes, Some(RFC9151_CERT_SCHEMES));
}

#[test]
fn certificate_schemes_refuse_other_signature_algorithms() {
    // Every test certificate is signed with SHA-256 (ecdsa-with-SHA256 or
    // sha256WithRSAEncryption): fine without a restriction, refused under rfc9151.
    let ts = store(&[data!("ca-rsa.pem"), data!("ca-ecdsa.pem")]);
    for pem in [
        data!("server-rsa.pem"),
        data!("server-p256-chain.pem"),
        data!("server-p384.pem"),
    ] {
        let c = chain(pem);
        ts.verify_server_chain_with(&c, NOW, None).unwrap();
        let e = ts
            .verify_server_chain_with(&c, NOW, Some(RFC9151_CERT_SCHEMES))
            .unwrap_err();
        assert_eq!(
            e.sent_alert(),
            Some(AlertDescription::UNSUPPORTED_CERTIFICATE)
        );
        assert!(
            e.message().contains("security policy")
                && e.message()
                    .contains("ecdsa_secp384r1_sha384, rsa_pkcs1_sha384"),
            "{e}"
        );
    }
    // Other failures keep their own alert under a restriction.
    assert_eq!(
        alert(ts.verify_server_chain_with(
            &chain(data!("server-untrusted.pem")),
            NOW,
            Some(RFC9151_CERT_SCHEMES)
        )),
        AlertDescription::UNKNOWN_CA
    );
    // A list that allows nothing webpki verifies (SHA-1 only) refuses everything.
    let e = ts
        .verify_server_chain_with(
            &chain(data!("server-rsa.pem")),
            NOW,
            Some(&[SignatureScheme::RSA_PKCS1_SHA1]),
        )
        .unwrap_err();
    assert_eq!(
        e.sent_alert(),
        Some(AlertDescription::UNSUPPORTED_CERTIFICATE)
    );
    // The SHA-256 schemes allow them.
    ts.verify_server_chain_with(
        &chain(data!("server-p384.pem")),
        NOW,
        Some(&[SignatureScheme::ECDSA_SECP256R1_SHA256]),
    )
    .unwrap();
    ts.verify_server_chain_with(
        &chain(data!("server-rsa.pem")),
        NOW,
        Some(&[SignatureScheme::RSA_PKCS1_SHA256]),
    )
    .unwrap();
}

#[test]
fn certificate_schemes_accept_cnsa_chains_and_check_every_link() {
    use rcgen::{
        PKCS_ECDSA_P256_SHA256 as P256, PKCS_ECDSA_P384_SHA384 as P384, PKCS_ED25519 as ED25519,
        PKCS_RSA_SHA384 as RSA384,
    };
    let rfc9151 = Some(RFC9151_CERT_SCHEMES);
    let verify = |(root, c): &(String, Vec<Vec<u8>>), schemes| {
        store(&[root.as_bytes()]).verify_server_chain_with(c, NOW, schemes)
    };
    // ECDSA P-384 / SHA-384 all the way: accepted.
    let ok = made_chain(&P384, Some(&P384), &P384);
    verify(&ok, rfc9151).unwrap();
    // RSA PKCS#1 SHA-384 (3072-bit keys) signing a P-384 leaf: accepted.
    let ok = made_chain(&RSA384, None, &P384);
    verify(&ok, rfc9151).unwrap();
    // The leaf is fine but the root signed the intermediate with SHA-256: refused.
    let bad = made_chain(&P256, Some(&P384), &P384);
    verify(&bad, None).unwrap();
    assert_eq!(
        verify(&bad, rfc9151).unwrap_err().sent_alert(),
        Some(AlertDescription::UNSUPPORTED_CERTIFICATE)
    );
    // Ed25519 is verifiable, but only a list that names it allows it.
    let ed = made_chain(&ED25519, None, &ED25519);
    verify(&ed, None).unwrap();
    verify(&ed, Some(&[SignatureScheme::ED25519])).unwrap();
    let default_tls13 = crate::policy::default_policy().certificate_signature_schemes;
    assert!(default_tls13.is_some());
    assert_eq!(
        verify(&ed, default_tls13).unwrap_err().sent_alert(),
        Some(AlertDescription::UNSUPPORTED_CERTIFICATE)
    );
    verify(&ok, default_tls13).unwrap();
}

#[test]
fn certificate_scheme_mapping() {
    use SignatureScheme as S;
    for s in [
        S::RSA_PKCS1_SHA1,
        S::ECDSA_SHA1,
        S::RSA_PKCS1_SHA224,
        S::ECDSA_SHA224,
        S::ED448,
    ] {
        assert!(certificate_signature_algorithms(s).is_empty(), "{s:?}");
    }
    let pss_pss = [
        S::RSA_PSS_PSS_SHA256,
        S::RSA_PSS_PSS_SHA384,
        S::RSA_PSS_PSS_SHA512,
    ];
    for s in CERT_SIGNATURE_SCHEMES.into_iter().chain(pss_pss) {
        let algs = certificate_signature_algorithms(s);
        assert!(!algs.is_empty(), "{s:?}");
        // Everything we map to is something the unrestricted verifier accepts too.
        for a in algs {
            assert!(
                super::verify::all_certificate_algorithms()
                    .iter()
                    .any(|b| b.signature_alg_id() == a.signature_alg_id()
                        && b.public_key_alg_id() == a.public_key_alg_id()),
                "{s:?}"
            );
        }
    }
}

fn chain_and_key(chain: &[u8], key: &[u8]) -> CertChainAndKey {
    CertChainAndKey::from_pem(chain, key).unwrap()
}

#[test]
fn chain_signature_schemes_of_the_test_chains() {
    use SignatureScheme as S;
    let rsa = chain_and_key(data!("server-rsa.pem"), data!("server-rsa.key"));
    let p256 = chain_and_key(data!("server-p256-chain.pem"), data!("server-p256.key"));
    let cnsa_ec = chain_and_key(data!("server-cnsa-p384.pem"), data!("server-cnsa-p384.key"));
    let cnsa_rsa = chain_and_key(
        data!("server-cnsa-rsa3072.pem"),
        data!("server-cnsa-rsa3072.key"),
    );
    assert_eq!(rsa.signed_with, [vec![S::RSA_PKCS1_SHA256]]);
    // Leaf and intermediate, both ecdsa-with-SHA256.
    assert_eq!(
        p256.signed_with,
        [
            vec![S::ECDSA_SECP256R1_SHA256],
            vec![S::ECDSA_SECP256R1_SHA256]
        ]
    );
    assert_eq!(cnsa_ec.signed_with, [vec![S::ECDSA_SECP384R1_SHA384]]);
    assert_eq!(cnsa_rsa.signed_with, [vec![S::RSA_PKCS1_SHA384]]);

    assert!(rsa.chain_signed_with(&[S::ECDSA_SECP256R1_SHA256, S::RSA_PKCS1_SHA256]));
    assert!(!rsa.chain_signed_with(&[S::RSA_PSS_RSAE_SHA256, S::RSA_PKCS1_SHA384]));
    assert!(p256.chain_signed_with(&[S::ECDSA_SECP256R1_SHA256]));
    assert!(!p256.chain_signed_with(&[S::ECDSA_SECP384R1_SHA384, S::RSA_PKCS1_SHA256]));
    let rfc9151 = crate::policy::lookup("rfc9151")
        .unwrap()
        .certificate_signature_schemes
        .unwrap();
    assert!(cnsa_ec.chain_signed_with(rfc9151));
    assert!(cnsa_rsa.chain_signed_with(rfc9151));
    assert!(!rsa.chain_signed_with(rfc9151) && !p256.chain_signed_with(rfc9151));
    assert!(!cnsa_ec.chain_signed_with(&[]));
}

#[test]
fn chain_signature_schemes_skip_self_signed_and_name_pss_both_ways() {
    use rcgen::{PKCS_ECDSA_P384_SHA384 as P384, PKCS_ED25519 as ED25519};
    use SignatureScheme as S;
    // A root included in the chain: its self-signature is not counted.
    let (root_pem, mut c) = made_chain(&ED25519, Some(&P384), &P384);
    let root = CertificateDer::from_pem_slice(root_pem.as_bytes()).unwrap();
    c.push(root.to_vec());
    let sigs: Vec<_> = c
        .iter()
        .map(|d| {
            let s = certificate_signature(d).unwrap();
            (schemes_for_signature_algorithm(s.algorithm), s.self_signed)
        })
        .collect();
    assert_eq!(
        sigs,
        [
            (vec![S::ECDSA_SECP384R1_SHA384], false),
            (vec![S::ED25519], false),
            (vec![S::ED25519], true),
        ]
    );
    // RSA-PSS: rsae and pss name the same certificate signature algorithm.
    let pss = schemes_for_signature_algorithm(
        algs::RSA_PSS_2048_8192_SHA384_LEGACY_KEY
            .signature_alg_id()
            .as_ref(),
    );
    assert_eq!(pss, [S::RSA_PSS_RSAE_SHA384, S::RSA_PSS_PSS_SHA384]);
    // Unknown algorithms and malformed input name nothing, and never panic.
    assert!(schemes_for_signature_algorithm(b"\x06\x01\x00").is_empty());
    let leaf = &c[0];
    for n in 0..leaf.len() {
        let _ = certificate_signature(&leaf[..n]);
    }
    assert!(certificate_signature(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_none());
    assert!(certificate_signature(&[0x30, 0x85, 1, 1, 1, 1, 1]).is_none());
}

#[test]
fn rsa_pss_keys_in_chains() {
    use SignatureScheme as S;
    // An id-RSASSA-PSS leaf under an rsaEncryption root: webpki checks the
    // root's PKCS#1 signature; the leaf's key type does not matter to it.
    let ts = store(&[data!("ca-rsa.pem")]);
    ts.verify_server_chain(&chain(data!("server-rsa-pss.pem")), NOW)
        .unwrap();
    // An rsaEncryption leaf signed by an RSA-PSS root with RSASSA-PSS-SHA256:
    // webpki alone has no algorithm for that issuer key; ours verifies it.
    let ts = store(&[data!("ca-rsa-pss.pem")]);
    let c = chain(data!("server-rsa-under-pss-ca.pem"));
    ts.verify_server_chain(&c, NOW).unwrap();
    ts.verify_server_chain_with(&c, NOW, Some(&[S::RSA_PSS_PSS_SHA256]))
        .unwrap();
    for other in [S::RSA_PSS_RSAE_SHA256, S::RSA_PSS_PSS_SHA384] {
        assert_eq!(
            alert(ts.verify_server_chain_with(&c, NOW, Some(&[other]))),
            AlertDescription::UNSUPPORTED_CERTIFICATE,
            "{other:?}"
        );
    }
    let ck = chain_and_key(
        data!("server-rsa-under-pss-ca.pem"),
        data!("server-rsa-under-pss-ca.key"),
    );
    assert_eq!(
        ck.signed_with,
        [vec![S::RSA_PSS_RSAE_SHA256, S::RSA_PSS_PSS_SHA256]]
    );
    let pss = chain_and_key(data!("server-rsa-pss.pem"), data!("server-rsa-pss.key"));
    assert_eq!(pss.signing_key().key_type(), KeyType::RsaPss);
}

/// The TLS 1.2 client's curve check reads the leaf's EC curve through webpki
/// and aws-lc: each test certificate's curve, and none for an RSA key.
#[test]
fn ec_key_curve_of_each_test_certificate() {
    use crate::NamedGroup as G;
    for (cert, key, want) in [
        ("server-p256.pem", "server-p256.key", Some(G::SECP256R1)),
        ("server-p384.pem", "server-p384.key", Some(G::SECP384R1)),
        ("server-p521.pem", "server-p521.key", Some(G::SECP521R1)),
        ("server-rsa.pem", "server-rsa.key", None),
    ] {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/");
        let ck =
            CertChainAndKey::from_pem_files(format!("{dir}{cert}"), format!("{dir}{key}")).unwrap();
        assert_eq!(super::ec_key_curve(&ck.chain()[0]), want, "{cert}");
    }
    assert_eq!(super::ec_key_curve(b"not a certificate"), None);
}
