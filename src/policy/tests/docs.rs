//! The generated part of `docs/security-policies.md`: the charts and lists
//! rendered from the tables and compared with the committed file.

use super::charts::*;
use super::*;

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
