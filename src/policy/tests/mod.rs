//! Tests of the policy tables: snapshot, the usage guide's charts, preference
//! order, lookup, and the generated part of `docs/security-policies.md`.

use super::*;
use std::collections::BTreeSet;
use std::fmt::Write as _;

mod charts;
mod docs;

/// Every name the usage guide's charts and text use (the list).
const GUIDE_NAMES: &[&str] = &[
    "default",
    "default_tls13",
    "default_fips",
    "20190214",
    "20170718",
    "20170405",
    "20170328",
    "20170210",
    "20160824",
    "20160804",
    "20160411",
    "20150306",
    "20150214",
    "20150202",
    "20141001",
    "20140601",
    "20190120",
    "20190121",
    "20190122",
    "20190801",
    "20190802",
    "20200207",
    "20230317",
    "rfc9151",
    "CloudFront-TLS-1-2-2021",
    "CloudFront-TLS-1-2-2021-ChaCha20-Boosted",
    "20240417",
    "20240416",
    "20240331",
];

/// s2n's post-quantum policies Baton carries (issue 13), outside the guide's charts.
const PQ_NAMES: &[&str] = &[
    "default_pq",
    "20230317_pq",
    "20241001",
    "20241001_pq_mixed",
    "20250512",
    "20250721",
    "ELBSecurityPolicy-TLS13-1-2-PQ-2025-09",
];

fn manifest_path(rel: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn names<T: Copy + core::fmt::Debug>(items: &[T]) -> String {
    items
        .iter()
        .map(|i| format!("{i:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

// ------------------------------------------------------------------ lookup

#[test]
fn every_guide_name_resolves() {
    for &n in GUIDE_NAMES.iter().chain(PQ_NAMES) {
        let p = lookup(n).unwrap_or_else(|e| panic!("{n}: {e}"));
        if aliases().all(|(a, _)| a != n) {
            assert!(p.name.eq_ignore_ascii_case(n), "{n} -> {}", p.name);
        }
    }
    assert_eq!(
        policies().count() + aliases().count(),
        GUIDE_NAMES.len() + PQ_NAMES.len()
    );
    let mut all = policy_names();
    all.sort_unstable();
    let mut want = [GUIDE_NAMES, PQ_NAMES].concat();
    want.sort_unstable();
    assert_eq!(all, want);
}

#[test]
fn aliases_resolve_to_the_numbered_tables() {
    let alias = |n| aliases().find(|(a, _)| *a == n).unwrap().1.name;
    assert_eq!(alias("default"), "20170210");
    assert_eq!(alias("default_tls13"), "20240417");
    assert_eq!(alias("default_fips"), "20240416");
    for (a, p) in aliases() {
        assert!(core::ptr::eq(lookup(a).unwrap(), p));
        assert!(core::ptr::eq(lookup(p.name).unwrap(), p));
        assert!(policy_names().contains(&a));
    }
    // Baton's builder default is s2n's default_tls13, not s2n's TLS 1.2 "default".
    assert!(core::ptr::eq(
        default_policy(),
        lookup("default_tls13").unwrap()
    ));
    assert_eq!(default_policy().max_version, ProtocolVersion::TLSV1_3);
    assert_eq!(
        lookup("default").unwrap().max_version,
        ProtocolVersion::TLSV1_2
    );
}

#[test]
fn lookup_ignores_case_like_s2n() {
    // s2n registers "CloudFront-TLS-1-2-2021-Chacha20-Boosted"; its guide says "ChaCha20".
    let boosted = lookup("CloudFront-TLS-1-2-2021-Chacha20-Boosted").unwrap();
    assert_eq!(boosted.name, "CloudFront-TLS-1-2-2021-ChaCha20-Boosted");
    assert!(core::ptr::eq(
        lookup("RFC9151").unwrap(),
        lookup("rfc9151").unwrap()
    ));
    assert!(core::ptr::eq(
        lookup("DEFAULT_TLS13").unwrap(),
        default_policy()
    ));
}

#[test]
fn unknown_name_lists_every_name() {
    let e = lookup("nope").unwrap_err();
    assert_eq!(e.kind(), crate::ErrorKind::Usage);
    assert!(e.message().contains("\"nope\""), "{e}");
    for n in policy_names() {
        assert!(e.message().contains(n), "{n} missing from: {e}");
    }
    assert!(lookup("").is_err());
    assert!(lookup("default ").is_err());
}

// ------------------------------------------------------------------ table invariants

#[test]
fn tables_are_well_formed() {
    let mut seen = BTreeSet::new();
    for p in policies() {
        assert!(
            seen.insert(p.name.to_ascii_lowercase()),
            "duplicate {}",
            p.name
        );
        let has13 = p.cipher_suites.iter().any(|cs| cs.is_tls13());
        let want_max = if has13 {
            ProtocolVersion::TLSV1_3
        } else {
            ProtocolVersion::TLSV1_2
        };
        assert_eq!(p.max_version, want_max, "{}", p.name);
        assert!(p.min_version <= p.max_version, "{}", p.name);
        assert!(!p.versions().is_empty(), "{}", p.name);
        for cs in p.cipher_suites {
            assert!(
                cs.name().is_some() && suite_info(*cs).is_some(),
                "{}: {cs:?}",
                p.name
            );
            assert_eq!(suite_info(*cs).unwrap().is_tls13(), cs.is_tls13());
        }
        let schemes = p
            .signature_schemes
            .iter()
            .chain(p.certificate_signature_schemes.unwrap_or(&[]));
        for s in schemes {
            assert!(s.name().is_some(), "{}: {s:?}", p.name);
        }
        for g in p.groups {
            assert!(g.name().is_some(), "{}: {g:?}", p.name);
        }
        assert!(no_duplicates(p.cipher_suites), "{}", p.name);
        assert!(no_duplicates(p.signature_schemes), "{}", p.name);
        assert!(no_duplicates(p.groups), "{}", p.name);
        assert!(
            p.entries().iter().all(|e| e.name != "unknown"),
            "{}",
            p.name
        );
    }
    // Only the CloudFront boosted policy boosts; it is CloudFront-TLS-1-2-2021 otherwise.
    let boosted: Vec<_> = policies().filter(|p| p.chacha20_boosted).collect();
    assert_eq!(boosted.len(), 1);
    let plain = lookup("CloudFront-TLS-1-2-2021").unwrap();
    assert_eq!(
        &SecurityPolicy {
            name: plain.name,
            chacha20_boosted: true,
            ..*boosted[0]
        },
        &SecurityPolicy {
            chacha20_boosted: true,
            ..*plain
        }
    );
    // s2n's certificate_signature_preferences, where a policy has them.
    let with_cert: Vec<_> = policies()
        .filter(|p| p.certificate_signature_schemes.is_some())
        .map(|p| p.name)
        .collect();
    assert_eq!(
        with_cert,
        [
            "20230317",
            "20230317_pq",
            "20240331",
            "20240416",
            "20240417",
            "20241001",
            "20241001_pq_mixed",
            "20250512",
            "20250721",
            "rfc9151",
            "ELBSecurityPolicy-TLS13-1-2-PQ-2025-09"
        ]
    );
    // 20240331 is 20230317 without TLS 1.3 (usage guide).
    let (a, b) = (lookup("20230317").unwrap(), lookup("20240331").unwrap());
    let no13: Vec<_> = a
        .cipher_suites
        .iter()
        .filter(|c| !c.is_tls13())
        .copied()
        .collect();
    assert_eq!(b.cipher_suites, no13.as_slice());
    assert_eq!(
        (
            a.signature_schemes,
            a.certificate_signature_schemes,
            a.groups,
            a.min_version
        ),
        (
            b.signature_schemes,
            b.certificate_signature_schemes,
            b.groups,
            b.min_version
        )
    );
}

fn no_duplicates<T: Ord + Copy>(items: &[T]) -> bool {
    items.iter().collect::<BTreeSet<_>>().len() == items.len()
}

// ------------------------------------------------------------------ what Baton implements

#[test]
fn implemented_matches_the_engine() {
    for s in crate::suites::TLS13_SUITES {
        assert!(suite_implemented(s.suite), "{:?}", s.suite);
    }
    let groups: Vec<_> = [
        NamedGroup::SECP256R1,
        NamedGroup::SECP384R1,
        NamedGroup::SECP521R1,
        NamedGroup::X25519,
        NamedGroup::X448,
        NamedGroup::MLKEM1024,
        NamedGroup::SECP256R1MLKEM768,
        NamedGroup::X25519MLKEM768,
        NamedGroup::SECP384R1MLKEM1024,
    ]
    .into_iter()
    .filter(|&g| group_implemented(g))
    .collect();
    let mut engine = crate::crypto::kx::SUPPORTED_GROUPS.to_vec();
    engine.sort();
    assert_eq!(groups, engine);
    for &s in crate::crypto::verify::TLS13_VERIFY_SCHEMES {
        assert!(scheme_implemented(s), "{s:?}");
    }
    for s in [
        SignatureScheme::RSA_PKCS1_SHA1,
        SignatureScheme::ECDSA_SHA1,
        SignatureScheme::RSA_PKCS1_SHA224,
        SignatureScheme::ECDSA_SHA224,
    ] {
        assert!(!scheme_implemented(s), "{s:?}");
    }
    assert!(!version_implemented(ProtocolVersion::TLSV1_1));
    // Every implemented suite is AEAD with (EC)DHE.
    for p in policies() {
        for cs in p.active_cipher_suites() {
            let i = suite_info(cs).unwrap();
            assert!(matches!(i.kx, Kx::Ecdhe | Kx::Tls13), "{cs:?}");
            assert!(matches!(i.mac, Mac::Gcm | Mac::Poly1305), "{cs:?}");
        }
    }
}

#[test]
fn active_entries() {
    use CipherSuite as C;
    let p = lookup("default").unwrap();
    assert_eq!(
        p.versions(),
        [
            ProtocolVersion::TLSV1_0,
            ProtocolVersion::TLSV1_1,
            ProtocolVersion::TLSV1_2
        ]
    );
    assert_eq!(p.active_versions(), [ProtocolVersion::TLSV1_2]);
    assert_eq!(
        p.active_cipher_suites(),
        [
            C::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            C::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            C::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
        ]
    );
    assert_eq!(
        p.active_signature_schemes(),
        [
            SignatureScheme::RSA_PKCS1_SHA256,
            SignatureScheme::RSA_PKCS1_SHA384,
            SignatureScheme::RSA_PKCS1_SHA512,
            SignatureScheme::ECDSA_SECP256R1_SHA256,
            SignatureScheme::ECDSA_SECP384R1_SHA384,
            SignatureScheme::ECDSA_SECP521R1_SHA512,
        ]
    );
    assert_eq!(
        p.active_groups(),
        [NamedGroup::SECP256R1, NamedGroup::SECP384R1]
    );

    // 20200207 allows SSLv3 up, but lists only TLS 1.3 suites.
    let p = lookup("20200207").unwrap();
    assert_eq!(p.min_version, ProtocolVersion::SSLV3);
    assert_eq!(p.versions(), [ProtocolVersion::TLSV1_3]);
    assert_eq!(p.active_versions(), [ProtocolVersion::TLSV1_3]);
    assert_eq!(
        p.active_groups(),
        [
            NamedGroup::X25519,
            NamedGroup::SECP256R1,
            NamedGroup::SECP384R1,
            NamedGroup::SECP521R1
        ]
    );

    // Nothing in 20150202 is negotiable by Baton yet (no ECDHE, no AEAD).
    let p = lookup("20150202").unwrap();
    assert!(p.active_versions().is_empty());
    assert!(p.active_cipher_suites().is_empty());
    assert!(p.active_signature_schemes().is_empty());
    assert!(p.active_groups().is_empty());
    assert!(p.entries().iter().all(|e| !e.active));
    // 20150306 negotiates ECDHE-RSA AES-GCM at TLS 1.2, so its groups are used.
    let p = lookup("20150306").unwrap();
    assert_eq!(
        p.active_groups(),
        [NamedGroup::SECP256R1, NamedGroup::SECP384R1]
    );

    // Entries: one per list item, in order, with kinds.
    let p = lookup("rfc9151").unwrap();
    let e = p.entries();
    let count = |k| e.iter().filter(|x| x.kind == k).count();
    assert_eq!(count(EntryKind::Version), 2);
    assert_eq!(count(EntryKind::CipherSuite), p.cipher_suites.len());
    assert_eq!(count(EntryKind::SignatureScheme), p.signature_schemes.len());
    assert_eq!(count(EntryKind::CertificateSignatureScheme), 2);
    assert_eq!(count(EntryKind::Group), 1);
    let suites: Vec<_> = e
        .iter()
        .filter(|x| x.kind == EntryKind::CipherSuite)
        .map(|x| (x.name, x.active))
        .collect();
    assert_eq!(
        suites,
        [
            ("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", true),
            ("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", true),
            ("TLS_RSA_WITH_AES_256_GCM_SHA384", false),
            ("TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", false),
            ("TLS_AES_256_GCM_SHA384", true),
        ]
    );
    assert!(e
        .iter()
        .filter(|x| x.kind == EntryKind::CertificateSignatureScheme)
        .all(|x| x.active));
    let pss_pss = e
        .iter()
        .find(|x| x.code == SignatureScheme::RSA_PSS_PSS_SHA384.0)
        .unwrap();
    // Handshake signatures with RSA-PSS keys (crypto::pss).
    assert!(pss_pss.active);
}

// ------------------------------------------------------------------ snapshot

/// The full content of every table, in a stable text form.
fn render_snapshot() -> String {
    let mut s = String::from(
        "# Baton security policies: the full content of every table (src/policy/tables.rs).\n\
         # Numbered policies never change. If this file and the tables disagree, the\n\
         # tables changed: put them back. Only if the change is intended (a new policy,\n\
         # a corrected transcription of s2n-tls), regenerate with\n\
         #   BATON_UPDATE_POLICY_SNAPSHOT=1 cargo test --lib policy::tests::snapshot\n\
         # and say why in the commit message.\n",
    );
    s.push('\n');
    for (a, p) in aliases() {
        writeln!(s, "alias {a} -> {}", p.name).unwrap();
    }
    for p in policies() {
        writeln!(s, "\npolicy {}", p.name).unwrap();
        writeln!(s, "  min version: {:?}", p.min_version).unwrap();
        writeln!(s, "  max version: {:?}", p.max_version).unwrap();
        writeln!(s, "  versions: {}", names(&p.versions())).unwrap();
        let yes_no = if p.chacha20_boosted { "yes" } else { "no" };
        writeln!(s, "  chacha20 boosted: {yes_no}").unwrap();
        let list = |s: &mut String, title: &str, items: Vec<(u16, String)>| {
            writeln!(s, "  {title}:").unwrap();
            for (code, name) in items {
                writeln!(s, "    0x{code:04x} {name}").unwrap();
            }
        };
        list(
            &mut s,
            "cipher suites",
            p.cipher_suites
                .iter()
                .map(|c| (c.0, format!("{c:?}")))
                .collect(),
        );
        list(
            &mut s,
            "signature schemes",
            p.signature_schemes
                .iter()
                .map(|c| (c.0, format!("{c:?}")))
                .collect(),
        );
        match p.certificate_signature_schemes {
            Some(cs) => list(
                &mut s,
                "certificate signature schemes",
                cs.iter().map(|c| (c.0, format!("{c:?}"))).collect(),
            ),
            None => writeln!(s, "  certificate signature schemes: any").unwrap(),
        }
        list(
            &mut s,
            "groups",
            p.groups.iter().map(|c| (c.0, format!("{c:?}"))).collect(),
        );
    }
    s
}

/// Compares `rendered` with the committed file, or rewrites the file when `env` is set.
fn check_generated(rel: &str, rendered: &str, env: &str, what: &str) {
    let path = manifest_path(rel);
    if std::env::var_os(env).is_some() {
        std::fs::write(&path, rendered).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != rendered {
        let line = committed
            .lines()
            .zip(rendered.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(rendered.lines().count()));
        panic!(
            "{rel} is out of date ({what}); first difference at line {}:\n  committed: {:?}\n  now:       {:?}\n\
             If, and only if, the change is intended, regenerate with {env}=1 and commit the result.",
            line + 1,
            committed.lines().nth(line).unwrap_or("<end>"),
            rendered.lines().nth(line).unwrap_or("<end>"),
        );
    }
}

#[test]
fn snapshot() {
    check_generated(
        "tests/data/policies.snapshot",
        &render_snapshot(),
        "BATON_UPDATE_POLICY_SNAPSHOT",
        "a security policy table changed; numbered policies must never change",
    );
}

// ------------------------------------------------------------------ preference order

/// The policies whose list breaks `rule` (which sees two suites, `a` before `b`).
fn breaking(
    suites: impl Fn(&SecurityPolicy) -> Vec<CipherSuite>,
    rule: impl Fn(SuiteInfo, SuiteInfo) -> bool,
) -> Vec<&'static str> {
    policies()
        .filter(|p| {
            let s: Vec<SuiteInfo> = suites(p).into_iter().filter_map(suite_info).collect();
            s.iter()
                .enumerate()
                .any(|(n, &a)| s[n + 1..].iter().any(|&b| !rule(a, b)))
        })
        .map(|p| p.name)
        .collect()
}

fn same_family(a: SuiteInfo, b: SuiteInfo) -> bool {
    a.kx == b.kx && a.auth == b.auth
}

fn is_aead(i: SuiteInfo) -> bool {
    matches!(i.mac, Mac::Gcm | Mac::Poly1305)
}

#[test]
fn active_suites_follow_the_guide_order() {
    let active = |p: &SecurityPolicy| p.active_cipher_suites();
    // Rule 3 (AES128, AES256, ChaCha20) among the TLS 1.3 suites.
    assert_eq!(
        breaking(active, |a, b| !(a.is_tls13() && b.is_tls13())
            || a.cipher <= b.cipher),
        // s2n's TLS 1.3 list of 2019-08-01 puts AES-256 first.
        ["20190801", "20190802"]
    );
    // Rule 3 among TLS 1.2 suites with the same key exchange and signature.
    assert_eq!(
        breaking(active, |a, b| a.is_tls13()
            || !same_family(a, b)
            || a.cipher <= b.cipher),
        // "Same as 20160411, but with ChaCha20 added as 1st in Preference List".
        ["20190122"]
    );
    // Rule 4 (GCM before Poly1305) is the same order for these suites; rule 2 holds
    // trivially (every active TLS 1.2 suite is ECDHE).
    assert_eq!(
        breaking(active, |a, b| !same_family(a, b)
            || a.mac <= b.mac
            || !is_aead(b)),
        ["20190122"]
    );
}

/// Policies that put a CBC suite before an AEAD one of the same family: s2n's
/// "CBC cipher #1 to avoid negotiating GCM with buggy Java clients" lists (20160411
/// and those built from it: 20170328, 20170405, 20170718, 20190120, 20190122,
/// 20190214), default_fips's DHE-RSA suites (CBC-SHA256 before GCM), and the
/// ELB TLS13-1-2 list (AES-128 GCM and CBC before AES-256).
const FULL_CBC_FIRST: &[&str] = &[
    "20160411",
    "20170328",
    "20170405",
    "20170718",
    "20190120",
    "20190122",
    "20190214",
    "20240416",
    "ELBSecurityPolicy-TLS13-1-2-PQ-2025-09",
];
/// 20150306 lists TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA before
/// TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA.
const FULL_LEGACY_CIPHER_EARLY: &[&str] = &["20150306"];

#[test]
fn full_lists_follow_the_guide_order_except_where_s2n_does_not() {
    let full = |p: &SecurityPolicy| p.cipher_suites.to_vec();
    // Rule 2: forward secrecy first, ECDHE before DHE (TLS 1.2 suites).
    assert_eq!(
        breaking(full, |a, b| a.is_tls13() || b.is_tls13() || a.kx <= b.kx),
        // "DHE and 3DES are added (at the lowest preference)" after RSA key
        // exchange in 20170328 and 20190214; rfc9151 lists RSA before DHE.
        ["20170328", "20190214", "rfc9151"]
    );
    // AEAD suites before CBC ones of the same family.
    assert_eq!(
        breaking(full, |a, b| !same_family(a, b) || is_aead(a) || !is_aead(b)),
        FULL_CBC_FIRST
    );
    // Rule 3's tail: 3DES and RC4 after every AES and ChaCha20 suite of the family.
    assert_eq!(
        breaking(full, |a, b| !same_family(a, b)
            || a.cipher < Cipher::TripleDes
            || b.cipher >= Cipher::TripleDes),
        FULL_LEGACY_CIPHER_EARLY
    );
}

/// A policy Baton can negotiate nothing under is refused up front, with the
/// policy's name and the reason; every other table is accepted.
#[test]
fn check_usable_refuses_the_policies_without_an_active_version() {
    let refused: Vec<&str> = policies()
        .filter(|p| p.check_usable().is_err())
        .map(|p| p.name)
        .collect();
    assert_eq!(refused, ["20140601", "20141001", "20150202", "20150214"]);
    for p in policies() {
        assert_eq!(p.check_usable().is_ok(), !p.active_versions().is_empty());
    }
    let e = lookup("20150214").unwrap().check_usable().unwrap_err();
    assert_eq!(e.kind(), crate::ErrorKind::Usage);
    assert!(
        e.message().contains("\"20150214\" cannot be used")
            && e.message().contains("no cipher suite Baton implements"),
        "{e}"
    );
    // Each other missing dimension has its own reason.
    let base = lookup("20240417").unwrap();
    let leak = |p: SecurityPolicy| -> &'static SecurityPolicy { Box::leak(Box::new(p)) };
    let no_group = leak(SecurityPolicy {
        groups: &[NamedGroup::X448],
        ..*base
    });
    let no_scheme = leak(SecurityPolicy {
        signature_schemes: &[SignatureScheme::RSA_PKCS1_SHA1],
        ..*base
    });
    let no_cert_scheme = leak(SecurityPolicy {
        certificate_signature_schemes: Some(&[SignatureScheme::ECDSA_SHA1]),
        ..*base
    });
    for (p, why) in [
        (no_group, "no key exchange group"),
        (no_scheme, "no signature scheme"),
        (no_cert_scheme, "no certificate signature scheme"),
    ] {
        let e = p.check_usable().unwrap_err();
        assert!(e.message().contains(why), "{e}");
    }
}

/// `negotiates` is what the engine offers and accepts: the active versions.
#[test]
fn negotiates_follows_the_active_versions() {
    let v12 = ProtocolVersion::TLSV1_2;
    let v13 = ProtocolVersion::TLSV1_3;
    let cases: [(&str, bool, bool); 5] = [
        ("default", true, false),
        ("default_tls13", true, true),
        ("20200207", false, true), // allows SSLv3 up, lists only TLS 1.3 suites
        ("20240331", true, false),
        ("rfc9151", true, true),
    ];
    for (name, tls12, tls13) in cases {
        let p = lookup(name).unwrap();
        assert_eq!(
            (p.negotiates(v12), p.negotiates(v13)),
            (tls12, tls13),
            "{name}"
        );
        assert!(!p.negotiates(ProtocolVersion::TLSV1_0), "{name}");
    }
    // The allocation-free `negotiates` agrees with `active_versions` for
    // every policy and version.
    for p in crate::policy::policies() {
        for v in [
            ProtocolVersion::SSLV3,
            ProtocolVersion::TLSV1_0,
            ProtocolVersion::TLSV1_1,
            v12,
            v13,
        ] {
            assert_eq!(
                p.negotiates(v),
                p.active_versions().contains(&v),
                "{} {v:?}",
                p.name
            );
        }
    }
}

/// The PQ policies put s2n's kem groups before its curves; the hybrids are
/// active only where TLS 1.3 is, and never for a TLS 1.2-only policy.
#[test]
fn pq_policies_list_kem_groups_first_and_only_for_tls13() {
    let p = lookup("default_pq").unwrap();
    assert_eq!(p.name, "20250721");
    assert_eq!(
        p.active_groups(),
        [
            NamedGroup::X25519MLKEM768,
            NamedGroup::SECP256R1MLKEM768,
            NamedGroup::SECP256R1,
            NamedGroup::X25519,
            NamedGroup::SECP384R1,
            NamedGroup::SECP521R1,
        ]
    );
    assert!(p
        .entries()
        .iter()
        .any(|e| e.name == "SecP384r1MLKEM1024" && !e.active));
    let tls12_only: &'static SecurityPolicy = Box::leak(Box::new(SecurityPolicy {
        max_version: ProtocolVersion::TLSV1_2,
        cipher_suites: lookup("20240331").unwrap().cipher_suites,
        ..*p
    }));
    assert_eq!(
        tls12_only.active_groups(),
        [
            NamedGroup::SECP256R1,
            NamedGroup::X25519,
            NamedGroup::SECP384R1,
            NamedGroup::SECP521R1,
        ]
    );
}
