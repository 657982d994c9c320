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

/// `baton serve` on a free port with the fleet's keys (polled every second)
/// and session cache in `url`.
fn fleet_server(url: &str) -> (Proc, u16) {
    let server = baton(&[
        "serve",
        scratch_dir().to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--workers",
        "1",
        "--ticket-keys",
        url,
        "--ticket-keys-poll",
        "1",
        "--session-cache",
        url,
        "--quiet",
    ]);
    let port = serve_port(&server, scratch_dir());
    (server, port)
}

/// One `openssl s_client` visit: resumes `sess_in` if given, keeps the
/// session it ends with in `sess_out`, and must get an HTTP answer. Returns
/// whether the session was resumed.
fn visit(port: u16, sess_in: Option<&std::path::Path>, sess_out: &std::path::Path) -> bool {
    visit_with(port, sess_in, sess_out, &[])
}

/// [`visit`] with more `s_client` arguments.
fn visit_with(
    port: u16,
    sess_in: Option<&std::path::Path>,
    sess_out: &std::path::Path,
    extra: &[&str],
) -> bool {
    let mut args = vec![
        "-servername",
        "localhost",
        "-ign_eof",
        "-sess_out",
        sess_out.to_str().unwrap(),
    ];
    if let Some(p) = sess_in {
        args.extend(["-sess_in", p.to_str().unwrap()]);
    }
    args.extend(extra);
    let mut c = s_client(port, &args);
    // After the answer, so the post-handshake ticket is read before EOF.
    c.write_stdin(b"GET / HTTP/1.0\r\n\r\n");
    c.close_stdin();
    let out = c.wait(TIMEOUT);
    let text = out.stdout_str();
    assert!(out.status.success(), "s_client to {port}: {}", out.stderr);
    assert!(text.contains("HTTP/1.1 200 OK"), "{text}");
    let reused = text.contains("\nReused, ");
    assert!(reused || text.contains("\nNew, "), "{text}");
    reused
}

/// Polls until `cond`, bounded.
fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + TIMEOUT;
    while !cond() {
        assert!(std::time::Instant::now() < deadline, "timed out: {what}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Two `baton serve` sharing one Redis: a TLS 1.3 ticket one issued resumes
/// on the other; a server with other keys answers it with a full
/// handshake, as does the other server once the key is retired.
#[test]
fn fleet_ticket_from_one_server_resumes_on_the_other() {
    require_openssl!();
    let redis = redis_server!();
    let url = redis.url("fleet1");
    run_ok(&[
        "ticket-keys",
        "rotate",
        "--redis",
        &url,
        "--lead",
        "0",
        "--min-interval",
        "1",
    ]);
    let (a, port_a) = fleet_server(&url);
    let (b, port_b) = fleet_server(&url);
    let other_url = redis.url("elsewhere");
    run_ok(&[
        "ticket-keys",
        "rotate",
        "--redis",
        &other_url,
        "--lead",
        "0",
    ]);
    let (c, port_c) = fleet_server(&other_url);

    let dir = scratch_dir().join("fleet1");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (s1, s2, s3) = (dir.join("1.pem"), dir.join("2.pem"), dir.join("3.pem"));
    assert!(
        !visit(port_a, None, &s1),
        "a first visit is a full handshake"
    );
    assert!(visit(port_b, Some(&s1), &s2), "A's ticket resumes on B");
    assert!(visit(port_a, Some(&s2), &s3), "and B's on A");
    assert!(
        !visit(port_c, Some(&s3), &s1),
        "unknown key: a full handshake"
    );

    // Retired: a rotation with short lifetimes deletes the key from Redis
    // (and publishes a new one), and the servers drop it at their next poll.
    let old = run_ok(&["ticket-keys", "list", "--redis", &url]);
    let old = old.split_whitespace().next().unwrap().to_string();
    eventually("the key retired", || {
        let out = run_ok(&[
            "ticket-keys",
            "rotate",
            "--redis",
            &url,
            "--lead",
            "0",
            "--min-interval",
            "1",
            "--encrypt-decrypt",
            "1",
            "--decrypt-only",
            "1",
        ]);
        out.contains(&format!("retired {old}"))
    });
    let mut n = 0;
    eventually("B forgets the retired key", || {
        n += 1;
        // Until it does, B resumes; after, a full handshake, never a failure.
        !visit(port_b, Some(&s3), &dir.join(format!("r{n}.pem")))
    });
    for server in [a, b, c] {
        let done = terminate(server);
        assert_eq!(handshake_failures(&done.stderr), 0, "{}", done.stderr);
    }
}

/// The workers' failed handshakes, from the stats `baton serve` prints at exit.
fn handshake_failures(stderr: &str) -> u64 {
    stderr
        .lines()
        .filter(|l| l.starts_with("worker "))
        .flat_map(|l| l.split_whitespace())
        .filter_map(|w| w.strip_prefix("failed="))
        .map(|v| v.parse::<u64>().unwrap())
        .sum()
}

/// A key rotation while clients go back and forth between two servers,
/// resuming each time: every visit resumes, before, during and after it.
#[test]
fn fleet_rotation_while_clients_reconnect_loses_no_resumption() {
    require_openssl!();
    let redis = redis_server!();
    let url = redis.url("fleet2");
    run_ok(&[
        "ticket-keys",
        "rotate",
        "--redis",
        &url,
        "--lead",
        "0",
        "--min-interval",
        "1",
    ]);
    let (a, port_a) = fleet_server(&url);
    let (b, port_b) = fleet_server(&url);
    let dir = scratch_dir().join("fleet2");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sess = |i: usize| dir.join(format!("{i}.pem"));
    assert!(!visit(port_a, None, &sess(0)));
    let mut i = 0;
    let step = |i: &mut usize| {
        let port = [port_b, port_a][*i & 1];
        assert!(
            visit(port, Some(&sess(*i)), &sess(*i + 1)),
            "visit {i} not resumed"
        );
        *i += 1;
    };
    for _ in 0..4 {
        step(&mut i);
    }
    // A new key, two polls ahead of use, as a rotator publishes it (once
    // the first one's rotation slot is over).
    let deadline = std::time::Instant::now() + TIMEOUT;
    loop {
        assert!(std::time::Instant::now() < deadline, "no rotation slot");
        let made = run_ok(&[
            "ticket-keys",
            "rotate",
            "--redis",
            &url,
            "--lead",
            "2",
            "--min-interval",
            "1",
        ]);
        if made.starts_with("created ") {
            break;
        }
        step(&mut i);
    }
    // Go on while both servers install the key, then past its intro time.
    step(&mut i);
    wait_installed(&a, 2);
    step(&mut i);
    wait_installed(&b, 2);
    let installed = std::time::Instant::now();
    while installed.elapsed() < std::time::Duration::from_secs(3) {
        step(&mut i);
    }
    for server in [a, b] {
        let done = terminate(server);
        assert_eq!(handshake_failures(&done.stderr), 0, "{}", done.stderr);
        assert!(done.stderr.contains("installed=2"), "{}", done.stderr);
    }
}

/// A TLS 1.2 session (a session id, no ticket) made on `from`, then
/// offered to `to` up to `tries` times (its store on `from` is queued to a
/// cache worker, so the first offer may come before it is in Redis: a full
/// handshake, which is the right answer then); whether `to` resumed it.
/// Every visit must succeed.
fn session_id_round_trip(from: u16, to: u16, dir: &std::path::Path, tries: usize) -> bool {
    let (first, second) = (dir.join("id.pem"), dir.join("id-next.pem"));
    let _ = std::fs::remove_file(&first);
    let tls12 = ["-tls1_2", "-no_ticket"];
    assert!(!visit_with(from, None, &first, &tls12));
    first.exists()
        && (0..tries).any(|_| {
            let resumed = visit_with(to, Some(&first), &second, &tls12);
            if !resumed {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            resumed
        })
}

/// A number `name=N` in a line of counters.
fn counter(line: &str, name: &str) -> u64 {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(name)?.strip_prefix('='))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {line}"))
}

/// Asks `baton serve` for its counters (SIGUSR1) and waits until its key
/// source reports `installed` keys.
fn wait_installed(server: &Proc, installed: u64) {
    eventually("the key source's counters", || {
        std::process::Command::new("kill")
            .args(["-USR1", &server.pid().to_string()])
            .status()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(100));
        let e = server.stderr_now();
        let whole = &e[..e.rfind('\n').map_or(0, |i| i + 1)];
        whole
            .lines()
            .rev()
            .find(|l| l.starts_with("redis ticket keys "))
            .is_some_and(|l| counter(l, "installed") == installed)
    });
}

/// The `redis session cache` counters line of a `baton serve` exit.
fn cache_line(stderr: &str) -> &str {
    stderr
        .lines()
        .find(|l| l.starts_with("redis session cache "))
        .unwrap_or_else(|| panic!("no session cache line: {stderr}"))
}

/// Two `baton serve` sharing one Redis session cache (and ticket keys, which
/// seal its entries): a TLS 1.2 session id made on one resumes on the
/// other, the lookup answered by a cache worker while the runtime parks the
/// handshake.
#[test]
fn fleet_session_id_resumes_through_the_redis_cache() {
    require_openssl!();
    let redis = redis_server!();
    let url = redis.url("fleet4");
    run_ok(&["ticket-keys", "rotate", "--redis", &url, "--lead", "0"]);
    let (a, port_a) = fleet_server(&url);
    let (b, port_b) = fleet_server(&url);
    let dir = scratch_dir().join("fleet4");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    assert!(
        session_id_round_trip(port_a, port_b, &dir, 20),
        "A's id on B"
    );
    assert!(
        session_id_round_trip(port_b, port_a, &dir, 20),
        "B's id on A"
    );
    for server in [a, b] {
        let done = terminate(server);
        let e = &done.stderr;
        assert_eq!(handshake_failures(e), 0, "{e}");
        let parked: u64 = e
            .lines()
            .filter(|l| l.starts_with("worker "))
            .flat_map(|l| l.split_whitespace())
            .filter_map(|w| w.strip_prefix("parked="))
            .map(|v| v.parse::<u64>().unwrap())
            .sum();
        assert!(parked >= 1, "the lookup parked the handshake: {e}");
        let cache = cache_line(e);
        assert_eq!(counter(cache, "hits"), 1, "{cache}");
        assert!(counter(cache, "stores") >= 1, "{cache}");
    }
}

/// Redis stopped and restarted under load (four clients reconnecting at
/// once, each to one server then the other): no failed connection; TLS 1.3
/// tickets resume all along (the keys stay installed); TLS 1.2 session ids
/// get full handshakes while the cache is away and resume again after; each
/// server says each outage and its end once.
#[test]
fn fleet_redis_restart_during_reconnects() {
    use std::sync::atomic::{AtomicBool, Ordering};
    require_openssl!();
    let mut redis = redis_server!();
    let url = redis.url("fleet3");
    run_ok(&["ticket-keys", "rotate", "--redis", &url, "--lead", "0"]);
    let (a, port_a) = fleet_server(&url);
    let (b, port_b) = fleet_server(&url);
    let dir = scratch_dir().join("fleet3");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    assert!(session_id_round_trip(port_a, port_b, &dir, 20));
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..4)
        .map(|k| {
            let (stop, dir) = (std::sync::Arc::clone(&stop), dir.join(k.to_string()));
            std::thread::spawn(move || {
                std::fs::create_dir_all(&dir).unwrap();
                let sess = |i: usize| dir.join(format!("{i}.pem"));
                assert!(!visit(port_a, None, &sess(0)));
                let mut i = 0;
                while !stop.load(Ordering::SeqCst) {
                    let (port, other) = [(port_b, port_a), (port_a, port_b)][i & 1];
                    assert!(
                        visit(port, Some(&sess(i)), &sess(i + 1)),
                        "client {k}: visit {i} not resumed"
                    );
                    // Resumed or not, never a failure.
                    session_id_round_trip(port, other, &dir, 1);
                    i += 1;
                }
                i
            })
        })
        .collect();
    // Bounded pauses (no timing is asserted): long enough for the clients to
    // go round, and for both key sources to fail polls (every second).
    let pause = || std::thread::sleep(std::time::Duration::from_millis(2500));
    pause();
    redis.stop();
    pause();
    redis.restart();
    pause();
    // The caches probe with backoff: session ids resume again.
    let check = dir.join("check");
    std::fs::create_dir_all(&check).unwrap();
    eventually("session ids resume after the restart", || {
        session_id_round_trip(port_a, port_b, &check, 1)
            && session_id_round_trip(port_b, port_a, &check, 1)
    });
    stop.store(true, Ordering::SeqCst);
    for (k, c) in clients.into_iter().enumerate() {
        let visits = c.join().unwrap_or_else(|_| panic!("client {k} failed"));
        assert!(visits > 0, "client {k} made no visit");
    }
    for server in [a, b] {
        let done = terminate(server);
        let e = &done.stderr;
        assert_eq!(handshake_failures(e), 0, "{e}");
        for what in ["ticket keys", "session cache"] {
            for said in ["Redis unreachable", "Redis is back"] {
                let n = e
                    .lines()
                    .filter(|l| l.contains(said) && l.starts_with(&format!("baton: {what}")))
                    .count();
                assert_eq!(n, 1, "{what}: {said}: {e}");
            }
        }
        let keys = e
            .lines()
            .find(|l| l.starts_with("redis ticket keys "))
            .unwrap();
        assert!(
            keys.contains(": up ") && keys.contains("outages=1"),
            "{keys}"
        );
        let cache = cache_line(e);
        assert!(
            cache.contains(": up ") && cache.contains("outages=1"),
            "{cache}"
        );
    }
}

/// Two `baton serve --early-data` sharing ticket keys and a single-use
/// anti-replay store in one Redis: a ticket carries 0-RTT once across the
/// fleet (accepted by A, refused by B), and both connections succeed.
#[test]
fn fleet_early_data_once_across_servers() {
    require_openssl!();
    let redis = redis_server!();
    let url = redis.url("fleet-early");
    run_ok(&[
        "ticket-keys",
        "rotate",
        "--redis",
        &url,
        "--lead",
        "0",
        "--min-interval",
        "1",
    ]);
    let start = |url: &str| {
        let server = baton(&[
            "serve",
            scratch_dir().to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--workers",
            "1",
            "--ticket-keys",
            url,
            "--ticket-keys-poll",
            "1",
            "--early-data",
            "--anti-replay",
            url,
            "--anti-replay-mode",
            "tickets",
        ]);
        let port = serve_port(&server, scratch_dir());
        (server, port)
    };
    let (a, port_a) = start(&url);
    let (b, port_b) = start(&url);
    // Tickets count in whole seconds: one issued a second after the store
    // learnt Redis's epoch is placed after it.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let dir = scratch_dir().join("fleet-early");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (s1, s2, s3) = (dir.join("1.pem"), dir.join("2.pem"), dir.join("3.pem"));
    let early = dir.join("early.txt");
    std::fs::write(&early, "GET / HTTP/1.0\r\n\r\n").unwrap();
    let early = early.to_str().unwrap();
    assert!(!visit(port_a, None, &s1));
    let zero_rtt = |port: u16, out_sess: &std::path::Path| {
        let mut c = s_client(
            port,
            &[
                "-servername",
                "localhost",
                "-ign_eof",
                "-sess_in",
                s1.to_str().unwrap(),
                "-sess_out",
                out_sess.to_str().unwrap(),
                "-early_data",
                early,
            ],
        );
        c.write_stdin(b"GET / HTTP/1.0\r\n\r\n");
        c.close_stdin();
        let out = c.wait(TIMEOUT);
        assert!(out.status.success(), "s_client: {}", out.stderr);
        out.stdout_str() + &out.stderr
    };
    let first = zero_rtt(port_a, &s2);
    assert!(first.contains("Early data was accepted"), "{first}");
    assert!(first.contains("HTTP/1.1 200 OK"), "{first}");
    let second = zero_rtt(port_b, &s3);
    assert!(second.contains("Early data was rejected"), "{second}");
    assert!(second.contains("HTTP/1.1 200 OK"), "{second}");
    for server in [a, b] {
        let done = terminate(server);
        assert_eq!(handshake_failures(&done.stderr), 0, "{}", done.stderr);
    }
}
