//! The usage guide's charts (both editions, verbatim) checked against the
//! tables: every row, and the few documented places where the 2023 edition
//! and s2n's source disagree.

use super::*;

/// The chart columns, Baton's names (the charts' spellings are normalized to these).
pub(super) const VERSION_COLUMNS: &[&str] = &["SSLv3", "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3"];
pub(super) const SUITE_COLUMNS: &[&str] = &[
    "AES-CBC", "AES-GCM", "ChaCha20", "3DES", "RC4", "DHE", "ECDHE", "RSA kx",
];
pub(super) const SIGNATURE_COLUMNS: &[&str] = &["RSA PKCS1", "ECDSA", "SHA-1 Legacy", "RSA PSS"];
pub(super) const GROUP_COLUMNS: &[&str] = &["secp256r1", "secp384r1", "x25519"];

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
pub(super) struct View {
    versions: Vec<ProtocolVersion>,
    suites: Vec<CipherSuite>,
    schemes: Vec<SignatureScheme>,
    groups: Vec<NamedGroup>,
}

impl View {
    pub(super) fn full(p: &SecurityPolicy) -> View {
        View {
            versions: p.versions(),
            suites: p.cipher_suites.to_vec(),
            schemes: p.signature_schemes.to_vec(),
            groups: p.groups.to_vec(),
        }
    }

    pub(super) fn active(p: &SecurityPolicy) -> View {
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
    pub(super) fn features(&self) -> BTreeSet<&'static str> {
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
