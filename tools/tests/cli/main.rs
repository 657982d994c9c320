//! End-to-end tests of the `baton` command: `serve`, `server` and `client`,
//! against OpenSSL and against the library. Bounded in time like the
//! integration tests, whose helpers this shares.
//!
//! Here: the helpers that start `baton` and read its output, and usage errors;
//! `server`/`client` in `client_server`, `--policy` in `policy`, `serve` in
//! `serve`, `ticket-keys` and `serve` with Redis in `fleet`, external PSKs
//! (`--psk-identity`/`--psk-secret`) in `psk`, `serve` with several
//! certificates by SNI and their reload on SIGHUP in `serve_sni`, OCSP
//! stapling and CRLs (`--ocsp`, `--crl`) in `status`, mutual TLS
//! (`--client-auth`, `--client-ca`, `--cert`/`--key`) in `client_auth`, the
//! HTTP semantics of `serve` (caching, variants, limits) in `serve_http`,
//! its access log and Prometheus metrics in `serve_obs`.

#[path = "../../../tests/integration/redis_server.rs"]
mod redis_server;
#[path = "../../../tests/integration/status_pki.rs"]
mod status_pki;
#[path = "../../../tests/integration/tenants.rs"]
mod tenants;
#[path = "../../../tests/integration/util.rs"]
mod util;

mod client_auth;
mod client_server;
mod early;
mod fleet;
mod keylog;
mod policy;
mod psk;
mod resume;
mod serve;
mod serve_http;
mod serve_obs;
mod serve_sni;
mod sign;
mod status;

use std::process::Command;
use util::*;

const BATON: &str = env!("CARGO_BIN_EXE_baton");

fn baton(args: &[&str]) -> Proc {
    Proc::spawn("baton", Command::new(BATON).args(args))
}

fn path(name: &str) -> String {
    data(name).to_str().unwrap().to_string()
}

/// The sum over `baton serve`'s per-worker counter lines of `name=N`.
fn workers_total(stderr: &str, name: &str) -> u64 {
    stderr
        .lines()
        .filter(|l| l.starts_with("worker "))
        .filter_map(|l| {
            l.split_whitespace()
                .find_map(|w| w.strip_prefix(name)?.strip_prefix('='))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .sum()
}

/// Waits for `prefix` at the start of a line on stdout (or stderr) and returns the rest of that line.
fn line_after(p: &Proc, prefix: &str, stderr: bool) -> String {
    // Only whole lines: the child may be caught half-way through writing one.
    let find = |text: &str| {
        let whole = &text[..text.rfind('\n').map_or(0, |i| i + 1)];
        whole
            .lines()
            .find_map(|l| l.strip_prefix(prefix).map(str::to_string))
    };

    let deadline = std::time::Instant::now() + TIMEOUT;
    loop {
        let text = if stderr {
            p.stderr_now()
        } else {
            String::from_utf8_lossy(&p.stdout_now()).into_owned()
        };
        if let Some(rest) = find(&text) {
            return rest;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "baton never printed {prefix:?}; stdout: {:?}; stderr: {}",
            String::from_utf8_lossy(&p.stdout_now()),
            p.stderr_now()
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn usage_errors_exit_2() {
    let cases: [&[&str]; 7] = [
        &[],
        &["bogus"],
        &["client"],
        &["server", "--listen"],
        &["serve", "--nope"],
        &["serve", "--handshake-timeout", "0"],
        &["serve", "--handshake-timeout", "ten"],
    ];
    for args in cases {
        let out = baton(args).wait(TIMEOUT);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.starts_with("error: ") || args.is_empty(),
            "{args:?}: {}",
            out.stderr
        );
    }
    let out = baton(&["client", "--help"]).wait(TIMEOUT);
    assert!(out.status.success());
    assert!(out.stdout_str().contains("--insecure"));
}
