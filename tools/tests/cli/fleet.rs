//! A fleet: `baton ticket-keys` (the rotating side) and `baton serve
//! --ticket-keys/--session-cache redis://...`, against a real
//! `redis-server` on 127.0.0.1 (skipped with a visible line without one,
//! unless `BATON_REQUIRE_REDIS` is set, as tools/test does).

use super::*;
use crate::redis_server::RedisServer;

macro_rules! redis_server {
    () => {
        match RedisServer::start(module_path!()) {
            Some(s) => s,
            None => return,
        }
    };
}

/// Runs `baton ARGS` to the end; returns its stdout (it must succeed).
fn run_ok(args: &[&str]) -> String {
    let out = baton(args).wait(TIMEOUT);
    assert!(out.status.success(), "baton {args:?}: {}", out.stderr);
    out.stdout_str()
}

#[test]
fn ticket_keys_rotate_and_list() {
    let redis = redis_server!();
    let url = redis.url("cli");
    let made = run_ok(&["ticket-keys", "rotate", "--redis", &url]);
    let line = made
        .lines()
        .find_map(|l| l.strip_prefix("created "))
        .unwrap_or_else(|| panic!("no key made: {made}"));
    // Ahead of use by the default lead (20 s): pending.
    assert!(line.ends_with("state=Pending"), "{line}");
    let name = line.split_whitespace().next().unwrap();
    assert_eq!(name.len(), 32, "16-byte names in hex: {line}");
    // A second rotator within the rotation slot makes none.
    let again = run_ok(&["ticket-keys", "rotate", "--redis", &url]);
    assert!(again.starts_with("no key made"), "{again}");
    let listed = run_ok(&["ticket-keys", "list", "--redis", &url]);
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(listed.starts_with(name), "{listed}");
    assert!(!listed.contains("secret"), "{listed}");
}

#[test]
fn ticket_keys_and_serve_usage_errors_exit_2() {
    let cases: [&[&str]; 6] = [
        &["ticket-keys"],
        &["ticket-keys", "spin", "--redis", "redis://127.0.0.1:1/p"],
        &["ticket-keys", "rotate"],
        &["ticket-keys", "list", "--redis", "http://127.0.0.1:1/p"],
        &[
            "ticket-keys",
            "rotate",
            "--redis",
            "redis://h:1/p",
            "--lead",
            "soon",
        ],
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--ticket-keys",
            "redis://h:1",
        ],
    ];
    for args in cases {
        let out = baton(args).wait(TIMEOUT);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.starts_with("error: "),
            "{args:?}: {}",
            out.stderr
        );
    }
    let out = baton(&["ticket-keys", "--help"]).wait(TIMEOUT);
    assert!(out.status.success());
    assert!(out.stdout_str().contains("rotate"));
}

/// `baton serve --ticket-keys --session-cache` installs the published key and
/// prints the Redis counters with its own at exit, and serves while Redis
/// is stopped.
#[test]
fn serve_with_redis_prints_its_counters() {
    require_openssl!();
    let mut redis = redis_server!();
    let url = redis.url("serve");
    run_ok(&["ticket-keys", "rotate", "--redis", &url, "--lead", "0"]);
    let server = baton(&[
        "serve",
        scratch_dir().to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--ticket-keys",
        &url,
        "--session-cache",
        &url,
        "--quiet",
    ]);
    let port = serve_port(&server, scratch_dir());
    let handshake = || {
        let mut c = s_client(port, &["-servername", "localhost"]);
        c.close_stdin();
        let out = c.wait(TIMEOUT);
        assert!(out.status.success(), "s_client: {}", out.stderr);
    };
    handshake();
    redis.stop();
    handshake();
    let done = terminate(server);
    let keys = done
        .stderr
        .lines()
        .find(|l| l.starts_with("redis ticket keys redis://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no key source line: {}", done.stderr));
    assert!(keys.contains("installed=1"), "{keys}");
    assert!(
        done.stderr
            .lines()
            .any(|l| l.starts_with("redis session cache redis://127.0.0.1:")),
        "{}",
        done.stderr
    );
}

/// The port `baton serve` printed.
fn serve_port(server: &Proc, dir: &std::path::Path) -> u16 {
    let dir = std::fs::canonicalize(dir).unwrap();
    let url = line_after(server, &format!("serving {} at ", dir.display()), false);
    url.trim_start_matches("https://127.0.0.1:")
        .trim_end_matches('/')
        .parse()
        .unwrap_or_else(|_| panic!("unexpected URL {url}"))
}

/// SIGTERM, then its exit (which must be clean).
fn terminate(server: Proc) -> util::Output {
    std::process::Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    let done = server.wait(TIMEOUT);
    assert!(done.status.success(), "{}", done.stderr);
    done
}
