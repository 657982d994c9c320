//! RFC-exact behaviour on input: one table row per MUST that a TLS server or
//! client enforces on what its peer sends (RFC 8446 §4 and §5, RFC 5246,
//! RFC 7627, RFC 7905 and the RFCs they lean on), each with the alert the RFC
//! names.
//!
//! Every row runs two honest engines through a handshake in memory and lets a
//! tampering peer break exactly one rule (see [`peer`]): the victim must fail
//! with a typed protocol error carrying that alert, and the tampering engine
//! must read that very alert back. Where the RFC names no alert, the row
//! says so and holds Baton to the alert RFC 8446 §6.2 describes.
//!
//! To add a row: pick the table by where the violation happens (`hello13`:
//! plaintext TLS 1.3 hellos; `flight13`: encrypted TLS 1.3 flights and
//! post-handshake messages; `records`: the record layer; `tls12`: TLS 1.2,
//! EMS and ChaCha20; `fixes`: rows that caught a Baton bug), write what the peer does as an [`peer::Edit`] of one
//! flight, and run `cargo test --lib rfc_tests`. `print_table` (ignored)
//! prints every row as Markdown.

mod fixes;
mod flight13;
mod hello13;
mod peer;
mod records;
mod tls12;

use crate::engine::Mode;
use crate::error::{AlertDescription, ErrorKind};
use peer::Outcome;

/// One MUST and how a peer breaks it.
struct Row {
    /// RFC and section, e.g. "8446 §4.1.2".
    rfc: &'static str,
    /// The requirement, quoted or paraphrased.
    must: &'static str,
    /// Who enforces it (the victim).
    enforcer: Mode,
    /// What the tampering peer does.
    violation: &'static str,
    /// The alert the RFC names (or, where it names none, the one §6.2 describes).
    alert: AlertDescription,
    run: fn() -> Outcome,
}

/// Short-hand for the tables.
const fn row(
    rfc: &'static str,
    must: &'static str,
    enforcer: Mode,
    violation: &'static str,
    alert: AlertDescription,
    run: fn() -> Outcome,
) -> Row {
    Row {
        rfc,
        must,
        enforcer,
        violation,
        alert,
        run,
    }
}

fn check(row: &Row) -> Result<(), String> {
    // A row whose scripted peer panics fails alone, not the whole table.
    let out = std::panic::catch_unwind(row.run).map_err(|p| {
        let why = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()));
        format!("the scripted peer panicked: {why:?}")
    })?;
    let e = match &out.victim {
        Ok(()) => return Err(format!("accepted the violation ({out:?})")),
        Err(e) => e,
    };
    if e.kind() != ErrorKind::Protocol || e.sent_alert() != Some(row.alert) {
        return Err(format!(
            "wanted {:?}, got {:?} alert {:?}: {}",
            row.alert,
            e.kind(),
            e.sent_alert(),
            e.message()
        ));
    }
    match &out.peer {
        Err(p) if p.kind() == ErrorKind::Alert(row.alert) => Ok(()),
        _ => Err(format!("alert not delivered to the peer ({out:?})")),
    }
}

/// Runs every row of `table`; fails listing each row that did not hold.
fn run_table(name: &str, table: &[Row]) {
    let failures: Vec<String> = table
        .iter()
        .filter_map(|row| {
            check(row).err().map(|why| {
                format!(
                    "RFC {} [{:?}] {} / {}: {why}",
                    row.rfc, row.enforcer, row.must, row.violation
                )
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{name}: {} of {} rows failed:\n{}",
        failures.len(),
        table.len(),
        failures.join("\n")
    );
}

fn all_tables() -> Vec<(&'static str, Vec<Row>)> {
    vec![
        ("hello13", hello13::rows()),
        ("flight13", flight13::rows()),
        ("records", records::rows()),
        ("tls12", tls12::rows()),
        ("fixes", fixes::rows()),
    ]
}

#[test]
fn tls13_hellos() {
    run_table("hello13", &hello13::rows());
}

#[test]
fn tls13_encrypted_flights_and_post_handshake() {
    run_table("flight13", &flight13::rows());
}

#[test]
fn record_layer() {
    run_table("records", &records::rows());
}

#[test]
fn tls12_ems_and_chacha20() {
    run_table("tls12", &tls12::rows());
}

#[test]
fn violations_fixed() {
    run_table("fixes", &fixes::rows());
}

/// The whole table in Markdown: `cargo test --lib rfc_tests::print_table --
/// --ignored --nocapture`.
#[test]
#[ignore = "prints the table; run it on demand"]
fn print_table() {
    println!("| RFC | MUST | enforced by | violation | alert |\n|---|---|---|---|---|");
    for (_, table) in all_tables() {
        for r in table {
            println!(
                "| {} | {} | {:?} | {} | {:?} |",
                r.rfc, r.must, r.enforcer, r.violation, r.alert
            );
        }
    }
}

/// The table stays broad, and every row says who enforces what.
#[test]
fn the_table_covers_both_sides() {
    let rows: Vec<Row> = all_tables().into_iter().flat_map(|(_, t)| t).collect();
    assert!(rows.len() >= 60, "only {} rows", rows.len());
    for side in [Mode::Client, Mode::Server] {
        assert!(rows.iter().filter(|r| r.enforcer == side).count() >= 20);
    }
    for r in &rows {
        assert!(!r.rfc.is_empty() && !r.must.is_empty() && !r.violation.is_empty());
    }
}
