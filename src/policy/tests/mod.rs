//! Tests of the policy tables: snapshot, the usage guide's charts, preference
//! order, lookup, and the generated part of `docs/security-policies.md`.

use super::*;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// Every name the usage guide's charts and text use (the issue's list).
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
    for &n in GUIDE_NAMES {
        let p = lookup(n).unwrap_or_else(|e| panic!("{n}: {e}"));
        if aliases().all(|(a, _)| a != n) {
            assert!(p.name.eq_ignore_ascii_case(n), "{n} -> {}", p.name);
        }
    }
    assert_eq!(policies().count() + aliases().count(), GUIDE_NAMES.len());
    let mut all = policy_names();
    all.sort_unstable();
    let mut want = GUIDE_NAMES.to_vec();
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
        ["20230317", "20240331", "20240416", "20240417", "rfc9151"]
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
            NamedGroup::SECP384R1
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
    assert!(!pss_pss.active);
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

// ------------------------------------------------------------------ charts

/// The chart columns, Baton's names (the charts' spellings are normalized to these).
const VERSION_COLUMNS: &[&str] = &["SSLv3", "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3"];
const SUITE_COLUMNS: &[&str] = &[
    "AES-CBC", "AES-GCM", "ChaCha20", "3DES", "RC4", "DHE", "ECDHE", "RSA kx",
];
const SIGNATURE_COLUMNS: &[&str] = &["RSA PKCS1", "ECDSA", "SHA-1 Legacy", "RSA PSS"];
const GROUP_COLUMNS: &[&str] = &["secp256r1", "secp384r1", "x25519"];

fn version_column(v: ProtocolVersion) -> &'static str {
    match v {
        ProtocolVersion::SSLV3 => "SSLv3",
        ProtocolVersion::TLSV1_0 => "TLS1.0",
        ProtocolVersion::TLSV1_1 => "TLS1.1",
        ProtocolVersion::TLSV1_2 => "TLS1.2",
        _ => "TLS1.3",
    }
}

/// What a chart row describes: versions, suites, schemes, groups. Either a whole
/// table or only the entries Baton uses today.
struct View {
    versions: Vec<ProtocolVersion>,
    suites: Vec<CipherSuite>,
    schemes: Vec<SignatureScheme>,
    groups: Vec<NamedGroup>,
}

impl View {
    fn full(p: &SecurityPolicy) -> View {
        View {
            versions: p.versions(),
            suites: p.cipher_suites.to_vec(),
            schemes: p.signature_schemes.to_vec(),
            groups: p.groups.to_vec(),
        }
    }

    fn active(p: &SecurityPolicy) -> View {
        View {
            versions: p.active_versions(),
            suites: p.active_cipher_suites(),
            schemes: p.active_signature_schemes(),
            groups: p.active_groups(),
        }
    }

    /// The chart columns this view has: what can be negotiated, as s2n's corrected
    /// charts count it. A suite counts if some version of the view can use it; a
    /// signature family if a negotiable version and suite can use it (TLS 1.2 with
    /// a suite of that key type, or TLS 1.3 for ECDSA and RSA-PSS); a group if
    /// (EC)DHE over it can be negotiated.
    fn features(&self) -> BTreeSet<&'static str> {
        use SignatureScheme as S;
        let mut f = BTreeSet::new();
        f.extend(self.versions.iter().map(|&v| version_column(v)));
        let tls13 = self.versions.contains(&ProtocolVersion::TLSV1_3);
        let tls12 = self.versions.contains(&ProtocolVersion::TLSV1_2);
        let usable: Vec<SuiteInfo> = self
            .suites
            .iter()
            .filter_map(|&cs| suite_info(cs))
            .filter(|i| self.versions.iter().any(|&v| i.usable_at(v)))
            .collect();
        for i in &usable {
            f.insert(match (i.cipher, i.mac) {
                (Cipher::Aes128 | Cipher::Aes256, Mac::Gcm) => "AES-GCM",
                (Cipher::Aes128 | Cipher::Aes256, _) => "AES-CBC",
                (Cipher::ChaCha20, _) => "ChaCha20",
                (Cipher::TripleDes, _) => "3DES",
                (Cipher::Rc4, _) => "RC4",
            });
            f.insert(match i.kx {
                Kx::Ecdhe | Kx::Tls13 => "ECDHE",
                Kx::Dhe => "DHE",
                Kx::Rsa => "RSA kx",
            });
        }
        // signature_algorithms exists from TLS 1.2 on.
        let tls12_auth = |a: Auth| tls12 && usable.iter().any(|i| i.auth == a);
        let has = |set: &[SignatureScheme]| self.schemes.iter().any(|s| set.contains(s));
        let pkcs1 = [
            S::RSA_PKCS1_SHA224,
            S::RSA_PKCS1_SHA256,
            S::RSA_PKCS1_SHA384,
            S::RSA_PKCS1_SHA512,
        ];
        let ecdsa = [
            S::ECDSA_SHA224,
            S::ECDSA_SECP256R1_SHA256,
            S::ECDSA_SECP384R1_SHA384,
            S::ECDSA_SECP521R1_SHA512,
        ];
        let sha1 = [S::RSA_PKCS1_SHA1, S::ECDSA_SHA1];
        let pss = [
            S::RSA_PSS_RSAE_SHA256,
            S::RSA_PSS_RSAE_SHA384,
            S::RSA_PSS_RSAE_SHA512,
            S::RSA_PSS_PSS_SHA256,
            S::RSA_PSS_PSS_SHA384,
            S::RSA_PSS_PSS_SHA512,
        ];
        if has(&pkcs1) && tls12_auth(Auth::Rsa) {
            f.insert("RSA PKCS1");
        }
        if has(&ecdsa) && (tls12_auth(Auth::Ecdsa) || tls13) {
            f.insert("ECDSA");
        }
        if has(&sha1) && (tls12_auth(Auth::Rsa) || tls12_auth(Auth::Ecdsa)) {
            f.insert("SHA-1 Legacy");
        }
        if has(&pss) && (tls12_auth(Auth::Rsa) || tls13) {
            f.insert("RSA PSS");
        }
        if usable.iter().any(|i| matches!(i.kx, Kx::Ecdhe | Kx::Tls13)) {
            for &g in &self.groups {
                if let Some(n) = g.name() {
                    f.insert(n);
                }
            }
        }
        f
    }
}

/// A chart row: the policy name as written and the columns marked X.
struct ChartRow {
    name: String,
    columns: Vec<&'static str>,
    marked: BTreeSet<&'static str>,
}

fn normalize_column(h: &str) -> &'static str {
    let all = VERSION_COLUMNS
        .iter()
        .chain(SUITE_COLUMNS)
        .chain(SIGNATURE_COLUMNS)
        .chain(GROUP_COLUMNS);
    match h {
        "ChaCha20-Poly1305" | "CHACHAPOLY" => "ChaCha20",
        _ => all
            .copied()
            .find(|c| *c == h)
            .unwrap_or_else(|| panic!("unknown chart column {h:?}")),
    }
}

fn parse_chart(text: &str) -> Vec<ChartRow> {
    let cells = |l: &str| -> Vec<String> {
        l.trim()
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_string())
            .collect()
    };
    let mut lines = text.lines().filter(|l| l.starts_with('|'));
    let header = cells(lines.next().unwrap());
    let columns: Vec<&'static str> = header[1..].iter().map(|h| normalize_column(h)).collect();
    lines
        .skip(1)
        .map(|l| {
            let c = cells(l);
            assert_eq!(c.len(), columns.len() + 1, "{l}");
            let marked = columns
                .iter()
                .zip(&c[1..])
                .filter(|(_, v)| match v.as_str() {
                    "X" => true,
                    "" => false,
                    other => panic!("odd chart cell {other:?} in {l}"),
                })
                .map(|(col, _)| *col)
                .collect();
            ChartRow {
                name: c[0].trim_matches('"').to_string(),
                columns: columns.clone(),
                marked,
            }
        })
        .collect()
}

/// (policy as the chart names it, column, what the chart says, why the source differs)
type Exception = (&'static str, &'static str, bool, &'static str);

const NO_ECDSA_SUITE: &str =
    "the chart marks ECDSA, but the policy has no ECDHE-ECDSA suite (and no TLS 1.3), \
    so no ECDSA certificate can be used although ECDSA schemes are listed";
const NO_ECDHE_SUITE: &str = "the chart marks the curve, but the policy has no ECDHE suite, \
    so its curve list is never used";
const CHACHA_LISTED: &str = "the source lists TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256";
const TLS13_ONLY: &str = "20200207 lists only TLS 1.3 suites, so TLS 1.0-1.2, CBC, \
    PKCS#1 and SHA-1 signatures cannot be negotiated, and TLS 1.3 key exchange is (EC)DHE";

/// Where the 2023 edition of the charts (the seed) disagrees with s2n's source. s2n
/// corrected every one of these in its charts in December 2023 (PR #4304), and the
/// 2024 edition below matches the tables with no exception.
fn chart_2023_exceptions() -> Vec<Exception> {
    let mut v: Vec<Exception> = vec![
        ("default", "ChaCha20", false, CHACHA_LISTED),
        ("20190120", "ChaCha20", false, CHACHA_LISTED),
        ("20190121", "ChaCha20", false, CHACHA_LISTED),
        ("20190122", "ChaCha20", false, CHACHA_LISTED),
        (
            "20190122",
            "DHE",
            true,
            "20190122 is 20160411 plus ChaCha20 and has no DHE suite",
        ),
    ];
    for p in [
        "default", "20170718", "20170405", "20170328", "20170210", "20160824", "20160804",
        "20160411", "20150306", "20150214", "20150202", "20141001", "20140601", "20190120",
        "20190121", "20190122",
    ] {
        v.push((p, "ECDSA", true, NO_ECDSA_SUITE));
    }
    for p in ["20150214", "20150202", "20141001", "20140601"] {
        v.push((p, "secp256r1", true, NO_ECDHE_SUITE));
        v.push((p, "secp384r1", true, NO_ECDHE_SUITE));
    }
    for (col, chart) in [
        ("TLS1.0", true),
        ("TLS1.1", true),
        ("TLS1.2", true),
        ("AES-CBC", true),
        ("ECDHE", false),
        ("RSA PKCS1", true),
        ("SHA-1 Legacy", true),
    ] {
        v.push(("20200207", col, chart, TLS13_ONLY));
    }
    v
}

/// Checks every row of `charts` against the tables; returns the mismatches.
fn chart_mismatches(charts: &[&str]) -> Vec<(String, &'static str, bool)> {
    let mut out = Vec::new();
    for chart in charts {
        for row in parse_chart(chart) {
            let p = lookup(&row.name).unwrap_or_else(|e| panic!("chart row {}: {e}", row.name));
            let have = View::full(p).features();
            for &col in &row.columns {
                let chart_says = row.marked.contains(col);
                if chart_says != have.contains(col) {
                    out.push((row.name.clone(), col, chart_says));
                }
            }
        }
    }
    out
}

#[test]
fn charts_2024_edition_match_exactly() {
    let rows: usize = CHARTS_2024.iter().map(|c| parse_chart(c).len()).sum();
    assert_eq!(rows, 24 + 23 + 23);
    assert_eq!(chart_mismatches(&CHARTS_2024), []);
}

#[test]
fn charts_2023_edition_match_but_for_documented_exceptions() {
    let rows: usize = CHARTS_2023.iter().map(|c| parse_chart(c).len()).sum();
    assert_eq!(rows, 25 + 24 + 23);
    let mut found = chart_mismatches(&CHARTS_2023);
    found.sort();
    let mut expected: Vec<_> = chart_2023_exceptions()
        .into_iter()
        .map(|(p, c, chart, _)| (p.to_string(), c, chart))
        .collect();
    expected.sort();
    assert_eq!(found, expected);
}

#[test]
fn active_view_is_a_subset() {
    for p in policies() {
        let (full, active) = (View::full(p).features(), View::active(p).features());
        assert!(
            active.is_subset(&full),
            "{}: {active:?} vs {full:?}",
            p.name
        );
        for col in &active {
            assert!(
                ![
                    "SSLv3",
                    "TLS1.0",
                    "TLS1.1",
                    "AES-CBC",
                    "3DES",
                    "RC4",
                    "DHE",
                    "RSA kx",
                    "SHA-1 Legacy"
                ]
                .contains(col),
                "{}: {col} is not implemented",
                p.name
            );
        }
    }
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
/// 20190214) and default_fips's DHE-RSA suites (CBC-SHA256 before GCM).
const FULL_CBC_FIRST: &[&str] = &[
    "20160411", "20170328", "20170405", "20170718", "20190120", "20190122", "20190214", "20240416",
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

// ------------------------------------------------------------------ docs

const DOC: &str = "docs/security-policies.md";
const BEGIN: &str = "<!-- BEGIN GENERATED";
const END: &str = "<!-- END GENERATED -->";

/// Row labels: aliases first, then every table.
fn doc_rows() -> Vec<(String, &'static SecurityPolicy)> {
    aliases()
        .map(|(a, p)| (format!("`{a}` (= {})", p.name), p))
        .chain(policies().map(|p| (format!("`{}`", p.name), p)))
        .collect()
}

fn doc_chart(s: &mut String, title: &str, columns: &[&str]) {
    writeln!(s, "#### {title}\n").unwrap();
    writeln!(s, "| policy | {} |", columns.join(" | ")).unwrap();
    writeln!(s, "|---|{}", "---|".repeat(columns.len())).unwrap();
    for (label, p) in doc_rows() {
        let (full, active) = (View::full(p).features(), View::active(p).features());
        let cells: Vec<&str> = columns
            .iter()
            .map(|c| {
                if active.contains(c) {
                    "X"
                } else if full.contains(c) {
                    "o"
                } else {
                    ""
                }
            })
            .collect();
        writeln!(s, "| {label} | {} |", cells.join(" | ")).unwrap();
    }
    s.push('\n');
}

fn render_docs_section() -> String {
    let mut s = String::new();
    writeln!(
        s,
        "{BEGIN} by `BATON_UPDATE_POLICY_DOCS=1 cargo test --lib policy::tests::docs`; do not edit by hand -->\n"
    )
    .unwrap();
    s.push_str(
        "`X`: in the policy and negotiated by Baton today. `o`: in the policy (s2n-tls \
         negotiates it) but not implemented by Baton yet, so skipped. Empty: not in the policy.\n\n",
    );
    let mut suites = VERSION_COLUMNS.to_vec();
    suites.extend_from_slice(SUITE_COLUMNS);
    doc_chart(&mut s, "Chart: versions and cipher suites", &suites);
    doc_chart(&mut s, "Chart: signature schemes", SIGNATURE_COLUMNS);
    let mut groups = GROUP_COLUMNS.to_vec();
    groups.push("secp521r1");
    doc_chart(&mut s, "Chart: groups", &groups);

    s.push_str("### Every policy's lists\n\n");
    s.push_str(
        "In preference order. `*` marks an entry Baton does not implement yet (skipped).\n\n",
    );
    for p in policies() {
        let alias: Vec<String> = aliases()
            .filter(|(_, q)| core::ptr::eq(*q, p))
            .map(|(a, _)| format!("`{a}`"))
            .collect();
        let also = if alias.is_empty() {
            String::new()
        } else {
            format!(" (= {})", alias.join(", "))
        };
        writeln!(s, "#### `{}`{also}\n", p.name).unwrap();
        let active = p.active_versions();
        let versions: Vec<String> = p
            .versions()
            .iter()
            .map(|v| format!("{v:?}{}", if active.contains(v) { "" } else { "*" }))
            .collect();
        writeln!(
            s,
            "min {:?}, max {:?}; negotiates {}; ChaCha20 boosting: {}\n",
            p.min_version,
            p.max_version,
            versions.join(", "),
            if p.chacha20_boosted { "yes" } else { "no" }
        )
        .unwrap();
        let entries = p.entries();
        let list = |kind| -> String {
            entries
                .iter()
                .filter(|e| e.kind == kind)
                .map(|e| format!("{}{}", e.name, if e.active { "" } else { "*" }))
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(s, "- cipher suites: {}", list(EntryKind::CipherSuite)).unwrap();
        writeln!(
            s,
            "- signature schemes: {}",
            list(EntryKind::SignatureScheme)
        )
        .unwrap();
        match p.certificate_signature_schemes {
            Some(_) => writeln!(
                s,
                "- certificate signature schemes: {}",
                list(EntryKind::CertificateSignatureScheme)
            )
            .unwrap(),
            None => s.push_str("- certificate signature schemes: any\n"),
        }
        writeln!(s, "- groups: {}\n", list(EntryKind::Group)).unwrap();
    }
    s.push_str(END);
    s
}

#[test]
fn docs() {
    let doc = std::fs::read_to_string(manifest_path(DOC)).unwrap();
    let (start, end) = (doc.find(BEGIN), doc.find(END));
    let (Some(start), Some(end)) = (start, end) else {
        panic!("{DOC} lacks the {BEGIN} ... {END} markers");
    };
    let spliced = format!(
        "{}{}{}",
        &doc[..start],
        render_docs_section(),
        &doc[end + END.len()..]
    );
    check_generated(
        DOC,
        &spliced,
        "BATON_UPDATE_POLICY_DOCS",
        "the generated charts and lists; regenerate after changing tables or what Baton implements",
    );
}

/// The three charts of the usage guide edition in `shared/seeds/000_*` (2023), verbatim.
const CHARTS_2023: [&str; 3] = [
    r#"
|          version          | SSLv3 | TLS1.0 | TLS1.1 | TLS1.2 | TLS1.3  | AES-CBC | AES-GCM | ChaCha20-Poly1305 | 3DES | RC4 | DHE | ECDHE |
|---------------------------|-------|--------|--------|--------|---------|---------|---------|-------------------|------|-----|-----|-------|
|         "default"         |       |   X    |    X   |    X   |         |    X    |    X    |                   |      |     |     |   X   |
|       "default_tls13"     |       |   X    |    X   |    X   |    X    |    X    |    X    |          X        |      |     |     |   X   |
|       "default_fips"      |       |        |        |    X   |         |    X    |    X    |                   |      |     |  X  |   X   |
|         "20190214"        |       |   X    |    X   |    X   |         |    X    |    X    |                   |  X   |     |  X  |   X   |
|         "20170718"        |       |   X    |    X   |    X   |         |    X    |    X    |                   |      |     |     |   X   |
|         "20170405"        |       |   X    |    X   |    X   |         |    X    |    X    |                   |  X   |     |     |   X   |
|         "20170328"        |       |   X    |    X   |    X   |         |    X    |    X    |                   |  X   |     |  X  |   X   |
|         "20170210"        |       |   X    |    X   |    X   |         |    X    |    X    |          X        |      |     |     |   X   |
|         "20160824"        |       |   X    |    X   |    X   |         |    X    |    X    |                   |      |     |     |   X   |
|         "20160804"        |       |   X    |    X   |    X   |         |    X    |    X    |                   |  X   |     |     |   X   |
|         "20160411"        |       |   X    |    X   |    X   |         |    X    |    X    |                   |  X   |     |     |   X   |
|         "20150306"        |       |   X    |    X   |    X   |         |    X    |    X    |                   |  X   |     |     |   X   |
|         "20150214"        |       |   X    |    X   |    X   |         |    X    |    X    |                   |  X   |     |  X  |       |
|         "20150202"        |       |   X    |    X   |    X   |         |    X    |         |                   |  X   |     |  X  |       |
|         "20141001"        |       |   X    |    X   |    X   |         |    X    |         |                   |  X   |  X  |  X  |       |
|         "20140601"        |   X   |   X    |    X   |    X   |         |    X    |         |                   |  X   |  X  |  X  |       |
|         "20190120"        |       |   X    |    X   |    X   |         |    X    |    X    |                   |  X   |     |     |   X   |
|         "20190121"        |       |   X    |    X   |    X   |         |    X    |    X    |                   |  X   |     |     |   X   |
|         "20190122"        |       |   X    |    X   |    X   |         |    X    |    X    |                   |  X   |     |  X  |   X   |
|         "20190801"        |       |   X    |    X   |    X   |    X    |    X    |    X    |          X        |      |     |     |   X   |
|         "20190802"        |       |   X    |    X   |    X   |    X    |    X    |    X    |          X        |      |     |     |   X   |
|         "20200207"        |       |   X    |    X   |    X   |    X    |    X    |    X    |          X        |      |     |     |       |
|         "20230317"        |       |        |        |    X   |    X    |    X    |    X    |                   |      |     |     |   X   |
|         "rfc9151"         |       |        |        |    X   |    X    |         |    X    |                   |      |     |  X  |   X   |
| "CloudFront-TLS-1-2-2021" |       |        |        |    X   |    X    |         |    X    |          X        |      |     |     |   X   |
"#,
    r#"
|    version     |   RSA PKCS1  |   ECDSA  |  SHA-1 Legacy |  RSA PSS |
|----------------|--------------|----------|---------------|----------|
|   "default"    |      X       |     X    |      X        |          |
| "default_tls13"|      X       |     X    |      X        |    X     |
| "default_fips" |      X       |     X    |               |          |
|   "20190214"   |      X       |     X    |      X        |          |
|   "20170718"   |      X       |     X    |      X        |          |
|   "20170405"   |      X       |     X    |      X        |          |
|   "20170328"   |      X       |     X    |      X        |          |
|   "20170210"   |      X       |     X    |      X        |          |
|   "20160824"   |      X       |     X    |      X        |          |
|   "20160804"   |      X       |     X    |      X        |          |
|   "20160411"   |      X       |     X    |      X        |          |
|   "20150306"   |      X       |     X    |      X        |          |
|   "20150214"   |      X       |     X    |      X        |          |
|   "20150202"   |      X       |     X    |      X        |          |
|   "20141001"   |      X       |     X    |      X        |          |
|   "20140601"   |      X       |     X    |      X        |          |
|   "20190120"   |      X       |     X    |      X        |          |
|   "20190121"   |      X       |     X    |      X        |          |
|   "20190122"   |      X       |     X    |      X        |          |
|   "20190801"   |      X       |     X    |      X        |    X     |
|   "20190802"   |      X       |     X    |      X        |    X     |
|   "20200207"   |      X       |     X    |      X        |    X     |
|   "20230317"   |      X       |     X    |               |    X     |
|   "rfc9151"    |      X       |     X    |               |    X     |
"#,
    r#"
|    version     |   secp256r1  |  secp384r1 | x25519 |
|----------------|--------------|------------|--------|
|   "default"    |      X       |      X     |        |
| "default_tls13"|      X       |      X     |   X    |
| "default_fips" |      X       |      X     |        |
|   "20190214"   |      X       |      X     |        |
|   "20170718"   |      X       |      X     |        |
|   "20170405"   |      X       |      X     |        |
|   "20170328"   |      X       |      X     |        |
|   "20170210"   |      X       |      X     |        |
|   "20160824"   |      X       |      X     |        |
|   "20160804"   |      X       |      X     |        |
|   "20160411"   |      X       |      X     |        |
|   "20150306"   |      X       |      X     |        |
|   "20150214"   |      X       |      X     |        |
|   "20150202"   |      X       |      X     |        |
|   "20141001"   |      X       |      X     |        |
|   "20140601"   |      X       |      X     |        |
|   "20190120"   |      X       |      X     |        |
|   "20190121"   |      X       |      X     |        |
|   "20190122"   |      X       |      X     |        |
|   "20190801"   |      X       |      X     |   X    |
|   "20190802"   |      X       |      X     |        |
|   "20200207"   |      X       |      X     |   X    |
|   "rfc9151"    |              |      X     |        |
"#,
];

/// The same charts as corrected in s2n-tls commit 68c546368 (PR #4304, 2023-12) and
/// published with the 20240417/20240416 defaults (commit b3ee9af0c), verbatim.
const CHARTS_2024: [&str; 3] = [
    r#"
|    version    | TLS1.0 | TLS1.1 | TLS1.2 | TLS1.3 | AES-CBC | AES-GCM | CHACHAPOLY | 3DES | RC4 | DHE | ECDHE | RSA kx |
|---------------|--------|--------|--------|--------|---------|---------|------------|------|-----|-----|-------|--------|
|   20230317    |        |        |    X   |    X   |    X    |    X    |            |      |     |     |   X   |        |
|   20240331    |        |        |    X   |        |    X    |    X    |            |      |     |     |   X   |        |
|    default    |    X   |    X   |    X   |        |    X    |    X    |      X     |      |     |     |   X   |    X   |
| default_tls13 |    X   |    X   |    X   |    X   |    X    |    X    |      X     |      |     |     |   X   |    X   |
| default_fips  |        |        |    X   |        |    X    |    X    |            |      |     |  X  |   X   |        |
|   20190214    |    X   |    X   |    X   |        |    X    |    X    |            |   X  |     |  X  |   X   |    X   |
|   20170718    |    X   |    X   |    X   |        |    X    |    X    |            |      |     |     |   X   |    X   |
|   20170405    |    X   |    X   |    X   |        |    X    |    X    |            |   X  |     |     |   X   |    X   |
|   20170328    |    X   |    X   |    X   |        |    X    |    X    |            |   X  |     |  X  |   X   |    X   |
|   20170210    |    X   |    X   |    X   |        |    X    |    X    |      X     |      |     |     |   X   |    X   |
|   20160824    |    X   |    X   |    X   |        |    X    |    X    |            |      |     |     |   X   |    X   |
|   20160804    |    X   |    X   |    X   |        |    X    |    X    |            |   X  |     |     |   X   |    X   |
|   20160411    |    X   |    X   |    X   |        |    X    |    X    |            |   X  |     |     |   X   |    X   |
|   20150306    |    X   |    X   |    X   |        |    X    |    X    |            |   X  |     |     |   X   |    X   |
|   20150214    |    X   |    X   |    X   |        |    X    |    X    |            |   X  |     |  X  |       |    X   |
|   20150202    |    X   |    X   |    X   |        |    X    |         |            |   X  |     |  X  |       |    X   |
|   20141001    |    X   |    X   |    X   |        |    X    |         |            |   X  |  X  |  X  |       |    X   |
|   20190120    |    X   |    X   |    X   |        |    X    |    X    |      X     |   X  |     |     |   X   |    X   |
|   20190121    |    X   |    X   |    X   |        |    X    |    X    |      X     |   X  |     |     |   X   |    X   |
|   20190122    |    X   |    X   |    X   |        |    X    |    X    |      X     |   X  |     |     |   X   |    X   |
|   20190801    |    X   |    X   |    X   |    X   |    X    |    X    |      X     |      |     |     |   X   |    X   |
|   20190802    |    X   |    X   |    X   |    X   |    X    |    X    |      X     |      |     |     |   X   |    X   |
|   20200207    |        |        |        |    X   |         |    X    |      X     |      |     |     |   X   |        |
|    rfc9151    |        |        |    X   |    X   |         |    X    |            |      |     |  X  |   X   |    X   |
"#,
    r#"
|    version    | RSA PKCS1 | ECDSA | SHA-1 Legacy | RSA PSS |
|---------------|-----------|-------|--------------|---------|
|   20230317    |     X     |   X   |              |    X    |
|    default    |     X     |       |       X      |         |
| default_tls13 |     X     |   X   |       X      |    X    |
| default_fips  |     X     |   X   |              |         |
|   20190214    |     X     |   X   |       X      |         |
|   20170718    |     X     |       |       X      |         |
|   20170405    |     X     |       |       X      |         |
|   20170328    |     X     |       |       X      |         |
|   20170210    |     X     |       |       X      |         |
|   20160824    |     X     |       |       X      |         |
|   20160804    |     X     |       |       X      |         |
|   20160411    |     X     |       |       X      |         |
|   20150306    |     X     |       |       X      |         |
|   20150214    |     X     |       |       X      |         |
|   20150202    |     X     |       |       X      |         |
|   20141001    |     X     |       |       X      |         |
|   20190120    |     X     |       |       X      |         |
|   20190121    |     X     |       |       X      |         |
|   20190122    |     X     |       |       X      |         |
|   20190801    |     X     |   X   |       X      |    X    |
|   20190802    |     X     |   X   |       X      |    X    |
|   20200207    |           |   X   |              |    X    |
|    rfc9151    |     X     |   X   |              |    X    |
"#,
    r#"
|    version    | secp256r1 | secp384r1 | x25519 |
|---------------|-----------|-----------|--------|
|   20230317    |     X     |     X     |        |
|    default    |     X     |     X     |        |
| default_tls13 |     X     |     X     |    X   |
| default_fips  |     X     |     X     |        |
|   20190214    |     X     |     X     |        |
|   20170718    |     X     |     X     |        |
|   20170405    |     X     |     X     |        |
|   20170328    |     X     |     X     |        |
|   20170210    |     X     |     X     |        |
|   20160824    |     X     |     X     |        |
|   20160804    |     X     |     X     |        |
|   20160411    |     X     |     X     |        |
|   20150306    |     X     |     X     |        |
|   20150214    |           |           |        |
|   20150202    |           |           |        |
|   20141001    |           |           |        |
|   20190120    |     X     |     X     |        |
|   20190121    |     X     |     X     |        |
|   20190122    |     X     |     X     |        |
|   20190801    |     X     |     X     |    X   |
|   20190802    |     X     |     X     |        |
|   20200207    |     X     |     X     |    X   |
|    rfc9151    |           |     X     |        |
"#,
];

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
        groups: &[NamedGroup::SECP521R1],
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
}
