//! `baton serve --config FILE`: three sites chosen by SNI and Host (curl
//! with `--resolve`, certificates checked by their DER), 421 when SNI and
//! Host disagree, SIGHUP reloading the file under load, and sites of two
//! servers resuming through one Redis.

use super::*;
use crate::tenants::{first_pem_cert, tenant, Tenant};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

fn have_curl() -> bool {
    let ok = Command::new("curl").arg("--version").output().is_ok();
    if !ok {
        eprintln!("SKIPPED: no curl");
    }
    ok
}

/// A root whose `hello.txt` says `body`.
fn root(name: &str, body: &str) -> PathBuf {
    let dir = scratch_dir().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("hello.txt"), body).unwrap();
    dir
}

/// A `[[site]]` entry.
fn site_entry(names: &[&str], root: &Path, t: &Tenant, extra: &str) -> String {
    format!(
        "[[site]]\nnames = {names:?}\nroot = {:?}\ncert = {:?}\nkey = {:?}\n{extra}\n",
        root.to_str().unwrap(),
        t.chain.to_str().unwrap(),
        t.key.to_str().unwrap(),
    )
}

/// Written aside and renamed, as a deployment tool does.
fn install(file: &Path, text: &str) {
    let tmp = file.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, file).unwrap();
}

fn start(file: &Path, workers: &str) -> (Proc, u16) {
    start_with(file, workers, &[])
}

fn start_with(file: &Path, workers: &str, extra: &[&str]) -> (Proc, u16) {
    let f = file.to_str().unwrap();
    let mut args = vec![
        "serve",
        "--config",
        f,
        "--listen",
        "127.0.0.1:0",
        "--workers",
        workers,
        "--quiet",
    ];
    args.extend_from_slice(extra);
    let server = baton(&args);
    let url = line_after(&server, &format!("serving the sites of {f} at "), false);
    let port = url
        .trim_start_matches("https://127.0.0.1:")
        .trim_end_matches('/')
        .parse()
        .unwrap_or_else(|_| panic!("unexpected URL {url}"));
    (server, port)
}

/// curl to `https://NAME:PORT/hello.txt` (NAME resolved to 127.0.0.1, so
/// it is the SNI), with extra arguments; returns (status, body, stderr).
fn curl(port: u16, name: &str, extra: &[&str]) -> (String, String, String) {
    let out = Command::new("curl")
        .args(["-sS", "-v", "--max-time", "20", "--cacert"])
        .arg(all_cas_file())
        .arg("--resolve")
        .arg(format!("{name}:{port}:127.0.0.1"))
        .args(["-w", "\n%{http_code}"])
        .args(extra)
        .arg(format!("https://{name}:{port}/hello.txt"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{name}: {err}");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap();
    (code.to_owned(), body.to_owned(), err)
}

/// The leaf `openssl s_client -servername NAME` gets.
fn leaf_seen(port: u16, name: &str) -> Vec<u8> {
    let mut c = s_client(port, &["-servername", name]);
    c.close_stdin();
    let out = c.wait(TIMEOUT);
    first_pem_cert(&out.stdout).unwrap_or_else(|| panic!("no certificate: {}", out.stderr))
}

fn signal(server: &Proc, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &server.pid().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig}");
}

#[test]
fn serve_config_three_sites_by_sni_and_host() {
    require_openssl!();
    if !have_curl() {
        return;
    }
    let a = tenant(&["a.test"], "server-p256.key", "ca-ecdsa");
    let w = tenant(&["*.w.test"], "server-rsa.key", "ca-rsa");
    let l = tenant(&["legacy.test"], "server-p256.key", "ca-ecdsa");
    let file = scratch_dir().join("sites-three.toml");
    let text = [
        "workers = 1\n".to_owned(),
        site_entry(
            &["a.test"],
            &root("sites-a", "site a\n"),
            &a,
            "default = true",
        ),
        site_entry(&["*.w.test"], &root("sites-w", "site w\n"), &w, ""),
        // TLS 1.2 only (ECDSA suites).
        site_entry(
            &["legacy.test"],
            &root("sites-l", "site legacy\n"),
            &l,
            "policy = \"20240331\"",
        ),
    ]
    .concat();
    install(&file, &text);
    let (server, port) = start(&file, "1");

    for (name, body, t) in [
        ("a.test", "site a\n", &a),
        ("x.w.test", "site w\n", &w),
        ("legacy.test", "site legacy\n", &l),
    ] {
        // curl checks the chain and the name; the DER pins the certificate.
        let (code, got, err) = curl(port, name, &[]);
        assert_eq!(
            (code.as_str(), got.as_str()),
            ("200", body),
            "{name}: {err}"
        );
        assert_eq!(leaf_seen(port, name), t.der, "{name}");
        let tls12 = err.contains("TLSv1.2");
        assert_eq!(tls12, name == "legacy.test", "{name}: {err}");
    }
    // A wildcard covers one label only: a.b.w.test is nobody's, so the
    // handshake gets the default site's certificate.
    assert_eq!(leaf_seen(port, "a.b.w.test"), a.der);

    // SNI and Host must agree: another tenant's name is 421.
    let (code, _, _) = curl(port, "a.test", &["-H", "Host: legacy.test"]);
    assert_eq!(code, "421");
    let (code, _, _) = curl(port, "x.w.test", &["-H", "Host: a.test"]);
    assert_eq!(code, "421");
    // A Host no site has goes to the default site: only over its handshake.
    let (code, body, _) = curl(port, "a.test", &["-H", "Host: nobody.test:443"]);
    assert_eq!((code.as_str(), body.as_str()), ("200", "site a\n"));
    let (code, _, _) = curl(port, "x.w.test", &["-H", "Host: nobody.test"]);
    assert_eq!(code, "421");
    // Without SNI (curl sends none to an address) the handshake is the
    // default site's, and so is the only site it reaches: otherwise a
    // client could skip another site's policy or client auth.
    for (host, want) in [
        ("a.test", "200"),
        ("x.w.test", "421"),
        ("legacy.test", "421"),
    ] {
        let out = Command::new("curl")
            .args(["-sS", "-k", "--max-time", "20", "-o", "/dev/null"])
            .args(["-w", "%{http_code}", "-H"])
            .arg(format!("Host: {host}"))
            .arg(format!("https://127.0.0.1:{port}/hello.txt"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{host}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), want, "{host}");
    }
    // Case and port do not matter.
    let (code, body, _) = curl(port, "y.w.test", &["-H", "Host: Y.W.Test:1"]);
    assert_eq!((code.as_str(), body.as_str()), ("200", "site w\n"));

    signal(&server, "-TERM");
    assert!(server.wait(TIMEOUT).status.success());
}

#[test]
fn serve_config_reload_under_load_and_a_broken_file() {
    require_openssl!();
    if !have_curl() {
        return;
    }
    let a1 = tenant(&["a.test"], "server-p256.key", "ca-ecdsa");
    let a2 = tenant(&["a.test"], "server-p384.key", "ca-ecdsa");
    let b = tenant(&["b.test"], "server-rsa.key", "ca-rsa");
    let (ra, rb) = (root("reload-a", "site a\n"), root("reload-b", "site b\n"));
    let file = scratch_dir().join("sites-reload.toml");
    install(&file, &site_entry(&["a.test"], &ra, &a1, ""));
    let (server, port) = start(&file, "2");
    assert_eq!(leaf_seen(port, "a.test"), a1.der);
    // A TLS 1.2 session (its ticket comes within the handshake) to resume
    // after the reload.
    let session = scratch_dir().join("sites-reload.sess");
    let _ = std::fs::remove_file(&session);
    let mut c = s_client(
        port,
        &[
            "-servername",
            "a.test",
            "-tls1_2",
            "-sess_out",
            session.to_str().unwrap(),
        ],
    );
    c.close_stdin();
    assert!(String::from_utf8_lossy(&c.wait(TIMEOUT).stdout)
        .into_owned()
        .contains("New, TLSv1.2"));

    // The load: curl fetching 20 times per run over keep-alive, until told
    // to stop (at most 500 runs).
    let stop = Arc::new(AtomicBool::new(false));
    let (runs, failures) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let load = {
        let (stop, runs, failures) = (stop.clone(), runs.clone(), failures.clone());
        std::thread::spawn(move || {
            let url = format!("https://a.test:{port}/hello.txt");
            let mut errors = Vec::new();
            for _ in 0..500 {
                if stop.load(Ordering::Relaxed) && runs.load(Ordering::Relaxed) >= 3 {
                    break;
                }
                let out = Command::new("curl")
                    .args(["-sS", "--fail", "--max-time", "20", "--cacert"])
                    .arg(all_cas_file())
                    .arg("--resolve")
                    .arg(format!("a.test:{port}:127.0.0.1"))
                    .args(std::iter::repeat_n(&url, 20))
                    .output()
                    .unwrap();
                let got = String::from_utf8_lossy(&out.stdout)
                    .matches("site a\n")
                    .count();
                if !out.status.success() || got != 20 {
                    failures.fetch_add(1, Ordering::Relaxed);
                    errors.push(String::from_utf8_lossy(&out.stderr).into_owned());
                }
                runs.fetch_add(1, Ordering::Relaxed);
            }
            errors
        })
    };
    let wait_runs = |n: usize| {
        let deadline = std::time::Instant::now() + TIMEOUT;
        while runs.load(Ordering::Relaxed) < n {
            assert!(std::time::Instant::now() < deadline, "the load stalled");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    };
    wait_runs(2);

    // A keep-alive connection from before the reload.
    let mut kept = s_client(port, &["-servername", "a.test", "-ign_eof", "-quiet"]);
    let request = b"GET /hello.txt HTTP/1.1\r\nHost: a.test\r\n\r\n";
    let answers = |out: &[u8]| String::from_utf8_lossy(out).matches("site a\n").count();
    kept.write_stdin(request);
    kept.wait_for_stdout(TIMEOUT, |o| answers(o) == 1);

    // A site added and a certificate replaced.
    let text = [
        site_entry(&["a.test"], &ra, &a2, ""),
        site_entry(&["b.test"], &rb, &b, ""),
    ]
    .concat();
    install(&file, &text);
    signal(&server, "-HUP");
    line_after(
        &server,
        &format!("reloaded {}: 2 sites", file.display()),
        true,
    );
    let after = runs.load(Ordering::Relaxed);
    wait_runs(after + 2);
    assert_eq!(leaf_seen(port, "a.test"), a2.der);
    let (code, body, _) = curl(port, "b.test", &[]);
    assert_eq!((code.as_str(), body.as_str()), ("200", "site b\n"));
    // The connection made before still answers, from the sites it began with.
    kept.write_stdin(request);
    kept.wait_for_stdout(TIMEOUT, |o| answers(o) == 2);
    // -ign_eof: it stays until killed (on drop).
    drop(kept);
    // Site a kept its names, policy and client auth: its clients resume.
    let mut c = s_client(
        port,
        &[
            "-servername",
            "a.test",
            "-tls1_2",
            "-sess_in",
            session.to_str().unwrap(),
        ],
    );
    c.close_stdin();
    let out = String::from_utf8_lossy(&c.wait(TIMEOUT).stdout).into_owned();
    assert!(out.contains("Reused, TLSv1.2"), "{out}");

    // A broken file: the sites in use stay.
    install(
        &file,
        "[[site]]\nnames = [\"c.test\"]\nroot = \"/nonexistent\"\n",
    );
    signal(&server, "-HUP");
    line_after(&server, "reload failed, keeping the sites in use", true);
    let (code, body, _) = curl(port, "b.test", &[]);
    assert_eq!((code.as_str(), body.as_str()), ("200", "site b\n"));
    assert_eq!(leaf_seen(port, "a.test"), a2.der);

    stop.store(true, Ordering::Relaxed);
    let errors = load.join().unwrap();
    assert_eq!(failures.load(Ordering::Relaxed), 0, "{errors:?}");
    signal(&server, "-TERM");
    assert!(server.wait(TIMEOUT).status.success());
}

#[test]
fn serve_config_errors_exit_2_naming_the_problem() {
    let dir = scratch_dir().join("sites-errors");
    std::fs::create_dir_all(&dir).unwrap();
    let a = tenant(&["a.test"], "server-p256.key", "ca-ecdsa");
    let r = root("sites-errors-root", "x\n");
    let good = site_entry(&["a.test"], &r, &a, "");
    let cases = [
        ("unknown", good.replace("names", "nmaes"), "nmaes"),
        (
            "missing",
            format!("{good}[[site]]\nnames = [\"b.test\"]\n"),
            "root",
        ),
        ("duplicate", format!("{good}{good}"), "also in site 1"),
        (
            "nofile",
            good.replace(a.key.to_str().unwrap(), "/nonexistent/a.key"),
            "/nonexistent/a.key",
        ),
    ];
    for (name, text, want) in cases {
        let file = dir.join(format!("{name}.toml"));
        std::fs::write(&file, text).unwrap();
        let out = Command::new(BATON)
            .args(["serve", "--config", file.to_str().unwrap()])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(want), "{name}: {err}");
    }
    // Per-site flags do not go with --config.
    let file = dir.join("good.toml");
    std::fs::write(&file, &good).unwrap();
    let out = Command::new(BATON)
        .args([
            "serve",
            "--config",
            file.to_str().unwrap(),
            "--policy",
            "default",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--policy does not go with --config"));
}

/// `openssl s_client -tls1_2` to `name` on `port`, saving (`-sess_out`) or
/// offering (`-sess_in`) `session`; returns its stdout.
fn tls12_session(port: u16, name: &str, flag: &str, session: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "-servername",
        name,
        "-tls1_2",
        flag,
        session.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let mut c = s_client(port, &args);
    c.close_stdin();
    let out = c.wait(TIMEOUT);
    assert!(out.status.success(), "s_client: {}", out.stderr);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Two `baton serve --config` processes with the same sites, ticket keys
/// and session cache in one Redis: a site's tickets and session ids resume
/// on the other server; a session never resumes on another site, nor on a
/// site whose client authentication changed since (its resumption context).
#[test]
fn serve_config_sites_share_sessions_through_redis() {
    require_openssl!();
    let Some(redis) = crate::redis_server::RedisServer::start(module_path!()) else {
        return;
    };
    let url = redis.url("sites");
    let rotated = baton(&["ticket-keys", "rotate", "--redis", &url, "--lead", "0"]).wait(TIMEOUT);
    assert!(rotated.status.success(), "{}", rotated.stderr);
    let a = tenant(&["a.test"], "server-p256.key", "ca-ecdsa");
    let b = tenant(&["b.test"], "server-rsa.key", "ca-rsa");
    let (ra, rb) = (root("fleet-a", "site a\n"), root("fleet-b", "site b\n"));
    let sites = |a_extra: &str| {
        [
            site_entry(&["a.test"], &ra, &a, a_extra),
            site_entry(&["b.test"], &rb, &b, ""),
        ]
        .concat()
    };
    let (f1, f2) = (
        scratch_dir().join("sites-fleet-1.toml"),
        scratch_dir().join("sites-fleet-2.toml"),
    );
    install(&f1, &sites(""));
    install(&f2, &sites(""));
    let flags = [
        "--ticket-keys",
        &url,
        "--session-cache",
        &url,
        "--early-data",
    ];
    let (one, p1) = start_with(&f1, "1", &flags);
    let (two, p2) = start_with(&f2, "1", &flags);
    // Both servers poll the key rotated above before they issue tickets.
    let session = scratch_dir().join("sites-fleet.sess");
    let new_session = |extra: &[&str]| {
        let _ = std::fs::remove_file(&session);
        let deadline = std::time::Instant::now() + TIMEOUT;
        loop {
            let out = tls12_session(p1, "a.test", "-sess_out", &session, extra);
            assert!(out.contains("New, TLSv1.2"), "{out}");
            let ticket = out.contains("TLS session ticket:");
            if ticket || !extra.is_empty() || std::time::Instant::now() > deadline {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    };
    for (what, extra) in [("ticket", &[][..]), ("session id", &["-no_ticket"][..])] {
        new_session(extra);
        // A session id's store on server one is queued to a cache worker, so
        // the first offers may come before it is in Redis (a full handshake,
        // rightly): offered up to 20 times. A ticket needs no store.
        let tries = if extra.is_empty() { 1 } else { 20 };
        let mut out = String::new();
        for _ in 0..tries {
            out = tls12_session(p2, "a.test", "-sess_in", &session, extra);
            if out.contains("Reused, TLSv1.2") {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert!(
            out.contains("Reused, TLSv1.2"),
            "{what} on the other server: {out}"
        );
        let out = tls12_session(p2, "b.test", "-sess_in", &session, extra);
        assert!(
            out.contains("New, TLSv1.2"),
            "{what} on another site: {out}"
        );
    }
    // Site a now asks for client certificates on server two: a session made
    // without one must not resume there, though the keys are the same.
    install(
        &f2,
        &sites(&format!(
            "client_auth = \"optional\"\nclient_ca = {:?}\n",
            data("ca-ecdsa.pem").to_str().unwrap()
        )),
    );
    signal(&two, "-HUP");
    line_after(&two, &format!("reloaded {}: 2 sites", f2.display()), true);
    new_session(&[]);
    let out = tls12_session(p2, "a.test", "-sess_in", &session, &[]);
    assert!(out.contains("New, TLSv1.2"), "after the change: {out}");
    // Server one's site a did not change: the same session resumes there.
    let out = tls12_session(p1, "a.test", "-sess_in", &session, &[]);
    assert!(out.contains("Reused, TLSv1.2"), "unchanged site: {out}");
    for s in [one, two] {
        signal(&s, "-TERM");
        assert!(s.wait(TIMEOUT).status.success());
    }
}

/// SIGHUP applies the file's global HTTP limits to new connections, and
/// names the runtime settings that only a restart applies.
#[test]
fn serve_config_reload_applies_global_limits() {
    require_openssl!();
    if !have_curl() {
        return;
    }
    let a = tenant(&["a.test"], "server-p256.key", "ca-ecdsa");
    let ra = root("limits-a", "site a\n");
    let file = scratch_dir().join("sites-limits.toml");
    install(&file, &site_entry(&["a.test"], &ra, &a, ""));
    let (server, port) = start(&file, "1");
    let long = format!("https://a.test:{port}/{}", "x".repeat(100));
    let status = || {
        let out = Command::new("curl")
            .args(["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert"])
            .arg(all_cas_file())
            .arg("--resolve")
            .arg(format!("a.test:{port}:127.0.0.1"))
            .arg(&long)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(status(), "404");
    let globals = "max_request_line = 64\nworkers = 3\n";
    install(
        &file,
        &(globals.to_owned() + &site_entry(&["a.test"], &ra, &a, "")),
    );
    signal(&server, "-HUP");
    let line = line_after(
        &server,
        &format!("reloaded {}: 1 sites", file.display()),
        true,
    );
    assert!(
        line.contains("(workers changed: they take a restart)"),
        "{line}"
    );
    assert_eq!(status(), "414");
    signal(&server, "-TERM");
    assert!(server.wait(TIMEOUT).status.success());
}
