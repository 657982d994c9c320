//! End-to-end tests of the `baton` command: `serve`, `server` and `client`,
//! against OpenSSL and against the library. Bounded in time like the
//! integration tests, whose helpers this shares.

#[path = "../../../tests/integration/util.rs"]
mod util;

use std::process::Command;
use util::*;

const BATON: &str = env!("CARGO_BIN_EXE_baton");

fn baton(args: &[&str]) -> Proc {
    Proc::spawn("baton", Command::new(BATON).args(args))
}

fn path(name: &str) -> String {
    data(name).to_str().unwrap().to_string()
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

/// `baton serve` with a generated certificate: the printed fingerprint is the
/// served certificate's, files come back, and `..` is refused.
#[test]
fn serve_generated_certificate_and_files() {
    require_openssl!();
    let dir = scratch_dir().join("serve-root");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("hello.txt"), b"hello from baton serve\n").unwrap();
    let dir = std::fs::canonicalize(dir).unwrap();
    let server = baton(&["serve", dir.to_str().unwrap(), "--listen", "127.0.0.1:0"]);
    let url = line_after(&server, &format!("serving {} at ", dir.display()), false);
    let port: u16 = url
        .trim_start_matches("https://127.0.0.1:")
        .trim_end_matches('/')
        .parse()
        .unwrap_or_else(|_| panic!("unexpected URL {url}"));
    let fingerprint = line_after(&server, "certificate SHA-256 fingerprint: ", false);

    let get = |request: &str| {
        let mut c = s_client(port, &["-servername", "localhost", "-ign_eof"]);
        c.write_stdin(request.as_bytes());
        c.close_stdin();
        let out = c.wait(TIMEOUT);
        assert!(out.status.success(), "s_client: {}", out.stderr);
        out.stdout_str()
    };
    let page = get("GET /hello.txt HTTP/1.0\r\n\r\n");
    assert!(page.contains("HTTP/1.1 200 OK\r\n"), "{page}");
    assert!(page.contains("\r\n\r\nhello from baton serve\n"), "{page}");
    let refused = get("GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.0\r\n\r\n");
    assert!(refused.contains("HTTP/1.1 403 "), "{refused}");

    // The certificate s_client printed hashes to the announced fingerprint.
    let pem_start = page
        .find("-----BEGIN CERTIFICATE-----")
        .expect("a certificate in s_client's output");
    let pem_end =
        page.find("-----END CERTIFICATE-----").unwrap() + "-----END CERTIFICATE-----".len();
    use rustls_pki_types::pem::PemObject;
    let der =
        rustls_pki_types::CertificateDer::from_pem_slice(&page.as_bytes()[pem_start..pem_end])
            .unwrap();
    let hex = sha256_hex(&der);
    let ours: String = fingerprint.split(':').collect::<String>().to_lowercase();
    assert_eq!(ours, hex);
}

/// `baton server --echo`, driven by the library as a client.
#[test]
fn server_echoes_and_reports_handshakes() {
    let server = baton(&[
        "server",
        "--listen",
        "127.0.0.1:0",
        "--cert",
        &path("server-rsa.pem"),
        "--key",
        &path("server-rsa.key"),
        "--alpn",
        "h2,http/1.1",
        "--echo",
    ]);
    let addr = line_after(&server, "listening on ", true);
    let port: u16 = addr.rsplit(':').next().unwrap().parse().unwrap();
    let mut conn = baton_client(&client_config(), port, |c| {
        c.set_server_name("localhost").unwrap();
        c.set_alpn_preferences(&["http/1.1"]).unwrap();
    })
    .unwrap_or_else(|e| panic!("{e}; baton server: {}", server.stderr_now()));
    send_all(&mut conn, b"echo me\n").unwrap();
    assert_eq!(recv_exact(&mut conn, 8).unwrap(), b"echo me\n");
    conn.shutdown().expect("baton server answers close_notify");
    let line = line_after(&server, "handshake: ", true);
    for want in [
        "version=TLSv1.3",
        "suite=TLS_",
        "group=",
        "alpn=http/1.1",
        "sni=localhost",
    ] {
        assert!(line.contains(want), "handshake line lacks {want}: {line}");
    }
}

/// `baton client` against `openssl s_server -rev`: stdin goes out, the reply
/// comes to stdout, and stdin EOF ends with close_notify both ways (exit 0).
#[test]
fn client_copies_stdin_and_stdout() {
    require_openssl!();
    let srv = s_server(&[
        "-cert",
        &path("server-rsa.pem"),
        "-key",
        &path("server-rsa.key"),
        "-naccept",
        "1",
        "-rev",
        "-quiet",
    ]);
    let target = format!("localhost:{}", srv.port);
    let mut c = baton(&["client", &target, "--ca", &path("ca-rsa.pem")]);
    c.write_stdin(b"first line\nsecond line\n");
    c.close_stdin();
    let out = c.wait(TIMEOUT);
    assert!(out.status.success(), "baton client: {}", out.stderr);
    assert_eq!(out.stdout_str(), "enil tsrif\nenil dnoces\n");
    assert!(
        out.stderr.contains("handshake: peer=127.0.0.1:"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("sni=localhost"), "{}", out.stderr);
}

/// A failed verification is one clear `error:` line and exit status 1.
#[test]
fn client_reports_verification_failure() {
    require_openssl!();
    let srv = s_server(&[
        "-cert",
        &path("server-untrusted.pem"),
        "-key",
        &path("server-untrusted.key"),
        "-naccept",
        "1",
        "-quiet",
    ]);
    let target = format!("localhost:{}", srv.port);
    let out = baton(&["client", &target, "--ca", &path("ca-rsa.pem")]).wait(TIMEOUT);
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(
        out.stderr.starts_with("error: handshake with "),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("unknown_ca"), "{}", out.stderr);
}

/// Starts `baton server --policy POLICY` with a chain from `tests/data` and
/// returns it with its port.
fn baton_server_with_policy(policy: &str, chain: &str, key: &str) -> (Proc, u16) {
    let server = baton(&[
        "server",
        "--listen",
        "127.0.0.1:0",
        "--cert",
        &path(chain),
        "--key",
        &path(key),
        "--policy",
        policy,
    ]);
    let addr = line_after(&server, "listening on ", true);
    let port: u16 = addr.rsplit(':').next().unwrap().parse().unwrap();
    (server, port)
}

/// `baton server --policy` with a TLS 1.2-only policy, `openssl s_client`
/// offering TLS 1.3 and 1.2: TLS 1.2 with the policy's first suite, as both
/// the server's handshake line and s_client say.
#[test]
fn server_policy_tls12_with_openssl_client() {
    require_openssl!();
    let cases = [
        // s2n's "default" (20170210): ECDHE-RSA only.
        (
            "default",
            "server-rsa.pem",
            "server-rsa.key",
            "ca-rsa.pem",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "ECDHE-RSA-AES128-GCM-SHA256",
        ),
        (
            "20240331",
            "server-p256-chain.pem",
            "server-p256.key",
            "ca-ecdsa.pem",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "ECDHE-ECDSA-AES128-GCM-SHA256",
        ),
    ];
    for (policy, chain, key, ca, suite, openssl_suite) in cases {
        let (server, port) = baton_server_with_policy(policy, chain, key);
        let mut c = s_client(
            port,
            &[
                "-brief",
                "-servername",
                "localhost",
                "-CAfile",
                &path(ca),
                "-verify_return_error",
            ],
        );
        c.write_stdin(b"hello\n");
        c.close_stdin();
        let out = c.wait(TIMEOUT);
        assert!(out.status.success(), "{policy}: s_client: {}", out.stderr);
        assert!(
            out.stderr.contains("Protocol version: TLSv1.2")
                && out
                    .stderr
                    .contains(&format!("Ciphersuite: {openssl_suite}")),
            "{policy}: s_client: {}",
            out.stderr
        );
        let line = line_after(&server, "handshake: ", true);
        for want in ["version=TLSv1.2".to_string(), format!("suite={suite} ")] {
            assert!(line.contains(&want), "{policy}: lacks {want}: {line}");
        }
    }
}

/// `baton client --policy` with TLS 1.2-only policies against `openssl s_server`
/// (which allows TLS 1.3): TLS 1.2, the expected suite, and data both ways.
#[test]
fn client_policy_tls12_with_openssl_server() {
    require_openssl!();
    let cases = [
        (
            "default",
            "server-rsa.pem",
            "server-rsa.key",
            "ca-rsa.pem",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        ),
        (
            "default_fips",
            "server-p384.pem",
            "server-p384.key",
            "ca-ecdsa.pem",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        ),
    ];
    for (policy, chain, key, ca, suite) in cases {
        let srv = s_server(&[
            "-cert",
            &path(chain),
            "-key",
            &path(key),
            "-naccept",
            "1",
            "-rev",
            "-quiet",
        ]);
        let target = format!("localhost:{}", srv.port);
        let mut c = baton(&["client", &target, "--ca", &path(ca), "--policy", policy]);
        c.write_stdin(b"tls twelve\n");
        c.close_stdin();
        let out = c.wait(TIMEOUT);
        assert!(
            out.status.success(),
            "{policy}: baton client: {}",
            out.stderr
        );
        assert_eq!(out.stdout_str(), "evlewt slt\n", "{policy}");
        for want in ["version=TLSv1.2".to_string(), format!("suite={suite} ")] {
            assert!(
                out.stderr.contains(&want),
                "{policy}: lacks {want}: {}",
                out.stderr
            );
        }
    }
}

/// An unknown policy name, or one Baton can negotiate nothing under, is a
/// usage error (exit 2) before any connection, naming the valid policies.
#[test]
fn bad_policy_names_are_usage_errors() {
    let server_args = |policy: &'static str| -> Vec<String> {
        [
            "server",
            "--listen",
            "127.0.0.1:0",
            "--cert",
            &path("server-rsa.pem"),
            "--key",
            &path("server-rsa.key"),
            "--policy",
            policy,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let client_args = |policy: &'static str| -> Vec<String> {
        ["client", "localhost:9", "--policy", policy]
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    for args in [server_args("no-such-policy"), client_args("no-such-policy")] {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = baton(&refs).wait(TIMEOUT);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", out.stderr);
        let first = out.stderr.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("error: --policy no-such-policy: ")
                && first.contains("unknown security policy")
                && first.contains("valid names: default, default_tls13, default_fips, 20140601")
                && first.contains("rfc9151"),
            "{args:?}: {}",
            out.stderr
        );
    }
    for args in [server_args("20140601"), client_args("20140601")] {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = baton(&refs).wait(TIMEOUT);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("\"20140601\" cannot be used"),
            "{args:?}: {}",
            out.stderr
        );
    }
}

/// What the `ktls:` line should say on this kernel: the kernel where it has
/// kTLS (in tools/ktls-vm), userspace with the reason elsewhere.
fn expect_ktls_line(line: &str) {
    if baton_ktls::probe().available() {
        assert!(line.contains("send=kernel recv=kernel"), "{line}");
    } else {
        assert!(
            line.contains("send=userspace (") && line.contains("recv=userspace ("),
            "{line}"
        );
        assert!(
            line.contains("TLS ULP"),
            "the reason names the missing ULP: {line}"
        );
    }
}

/// `baton server --ktls auto --echo` with `baton client --ktls auto`: both print
/// who protects each direction's records, and the echo is intact either way.
#[test]
fn server_and_client_report_ktls_per_direction() {
    let server = baton(&[
        "server",
        "--listen",
        "127.0.0.1:0",
        "--cert",
        &path("server-p256-chain.pem"),
        "--key",
        &path("server-p256.key"),
        "--echo",
        "--ktls",
        "auto",
    ]);
    let addr = line_after(&server, "listening on ", true);
    let port: u16 = addr.rsplit(':').next().unwrap().parse().unwrap();
    let target = format!("localhost:{port}");
    let mut c = baton(&[
        "client",
        &target,
        "--ca",
        &path("ca-ecdsa.pem"),
        "--ktls",
        "auto",
    ]);
    let payload = payload(200_000, 4);
    let hex: String = payload.iter().map(|b| format!("{b:02x}")).collect();
    let text = format!("{hex}\n");
    c.write_stdin(text.as_bytes());
    c.close_stdin();
    let out = c.wait(BULK_TIMEOUT);
    assert!(out.status.success(), "baton client: {}", out.stderr);
    assert_eq!(out.stdout_str(), text);
    let client_line = out
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("ktls: "))
        .unwrap_or_else(|| panic!("no ktls line: {}", out.stderr))
        .to_string();
    expect_ktls_line(&client_line);
    expect_ktls_line(&line_after(&server, "ktls: ", true));
}

/// `--ktls off` says so; `--ktls require` fails with one clear line where the
/// kernel can't, and works where it can; a bad mode is a usage error.
#[test]
fn client_ktls_off_and_require() {
    require_openssl!();
    let start = || {
        s_server(&[
            "-cert",
            &path("server-p256.pem"),
            "-cert_chain",
            &path("intermediate-p256.pem"),
            "-key",
            &path("server-p256.key"),
            "-naccept",
            "1",
            "-rev",
            "-quiet",
        ])
    };
    // `baton client --ktls MODE` against a fresh s_server -rev, fed `line`.
    let run = |mode: &str, line: &[u8]| {
        let srv = start();
        let target = format!("localhost:{}", srv.port);
        let mut c = baton(&[
            "client",
            &target,
            "--ca",
            &path("ca-ecdsa.pem"),
            "--ktls",
            mode,
        ]);
        c.write_stdin(line);
        c.close_stdin();
        c.wait(TIMEOUT)
    };
    let out = run("off", b"abc\n");
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(out.stdout_str(), "cba\n");
    assert!(
        out.stderr.contains(
            "send=userspace (kernel TLS turned off) recv=userspace (kernel TLS turned off)"
        ),
        "{}",
        out.stderr
    );

    let out = run("require", b"xyz\n");
    if baton_ktls::probe().available() {
        assert!(out.status.success(), "{}", out.stderr);
        assert_eq!(out.stdout_str(), "zyx\n");
        assert!(
            out.stderr.contains("send=kernel recv=kernel"),
            "{}",
            out.stderr
        );
    } else {
        assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
        assert!(
            out.stderr
                .contains("error: kernel TLS required, but send stays in userspace: the kernel has no TLS ULP"),
            "{}",
            out.stderr
        );
    }

    let out = baton(&["client", "localhost:1", "--ktls", "sometimes"]).wait(TIMEOUT);
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("auto, off, require"), "{}", out.stderr);
}

/// `baton serve` with curl as the client: whole files of the record-boundary
/// sizes, a single byte range (206), a range past the end (416), checksums;
/// the summary at exit says which path the bodies took (with kTLS, in
/// tools/ktls-vm: io_uring SPLICE, ranges at their offsets).
#[test]
fn serve_ktls_files_and_ranges_to_curl() {
    if std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("BATON_REQUIRE_OPENSSL").is_none(),
            "curl is required under tools/test"
        );
        eprintln!("SKIPPED serve_ktls_files_and_ranges_to_curl: curl not found");
        return;
    }
    let dir = scratch_dir().join("serve-curl");
    std::fs::create_dir_all(&dir).unwrap();
    let sizes = [0usize, 1, 16383, 16384, 16385, 1 << 20];
    for (i, len) in sizes.iter().enumerate() {
        std::fs::write(dir.join(format!("f{len}")), payload(*len, 50 + i as u64)).unwrap();
    }
    let dir = std::fs::canonicalize(dir).unwrap();
    let server = baton(&["serve", dir.to_str().unwrap(), "--listen", "127.0.0.1:0"]);
    let url = line_after(&server, &format!("serving {} at ", dir.display()), false);
    let curl = |args: &[&str]| {
        let out = std::process::Command::new("curl")
            .args(["-sk", "--max-time", "60"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "curl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    for (i, len) in sizes.iter().enumerate() {
        let body = curl(&[&format!("{url}f{len}")]);
        assert_eq!(body.len(), *len);
        assert_eq!(sha256_hex(&body), sha256_hex(&payload(*len, 50 + i as u64)));
    }
    let whole = payload(1 << 20, 55);
    let part = curl(&["-r", "1000-1999", &format!("{url}f1048576")]);
    assert_eq!(part, &whole[1000..2000]);
    let tail = curl(&["-r", "-10", &format!("{url}f1048576")]);
    assert_eq!(tail, &whole[whole.len() - 10..]);
    let code = curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-r",
        "2000000-",
        &format!("{url}f1048576"),
    ]);
    assert_eq!(code, b"416");
    let code = curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &format!("{url}%2e%2e/%2e%2e/etc/passwd"),
    ]);
    assert_eq!(code, b"403");
    std::process::Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    let done = server.wait(TIMEOUT);
    assert!(done.status.success(), "{}", done.stderr);
    // spliced/sendfile/sealed, summed over the workers.
    let mut paths = [0u64; 3];
    for line in done.stderr.lines().filter(|l| l.starts_with("worker ")) {
        let v = line
            .split_whitespace()
            .find_map(|w| w.strip_prefix("spliced/sendfile/sealed="))
            .unwrap_or_else(|| panic!("{line}"));
        for (p, n) in paths.iter_mut().zip(v.split('/')) {
            *p += n.parse::<u64>().unwrap();
        }
    }
    let bodies = sizes.iter().sum::<usize>() as u64 + 1000 + 10;
    if baton_ktls::probe().available() {
        assert_eq!(paths, [bodies, 0, 0], "{}", done.stderr);
    } else {
        assert_eq!(paths, [0, 0, bodies], "{}", done.stderr);
    }
}

/// `baton serve --workers 2` under load: 200 concurrent clients with keep-alive
/// requests, a 64 MiB file through curl, then SIGTERM: a clean exit with one
/// summary line per worker whose counters add up. On a kernel with kTLS
/// (tools/ktls-vm) the records and file bodies go through the kernel.
#[test]
fn serve_ktls_load_and_graceful_shutdown() {
    let dir = scratch_dir().join("serve-load");
    std::fs::create_dir_all(&dir).unwrap();
    let small = payload(1024, 60);
    std::fs::write(dir.join("small.bin"), &small).unwrap();
    let big_len = 64 << 20;
    let big = payload(big_len, 61);
    std::fs::write(dir.join("big.bin"), &big).unwrap();
    let dir = std::fs::canonicalize(dir).unwrap();
    let before = baton_ktls::tls_stat();
    let server = baton(&[
        "serve",
        dir.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--workers",
        "2",
        "--ktls",
        "auto",
        // 200 handshakes at once in a debug build on an emulated CPU (the kTLS
        // VMs) can outlast the default 10 s; this test is about load and
        // shutdown, not the deadline (tested in ktls/tests/uring.rs).
        "--handshake-timeout",
        "120",
    ]);
    let url = line_after(&server, &format!("serving {} at ", dir.display()), false);
    let port: u16 = url
        .trim_start_matches("https://127.0.0.1:")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    const CLIENTS: usize = 200;
    const REQUESTS: usize = 3;
    let threads: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let small = small.clone();
            std::thread::spawn(move || {
                let mut b = baton::Config::builder_minimal();
                b.disable_x509_verification();
                let mut conn = baton_client(&b.build().unwrap(), port, |_| {}).expect("handshake");
                for _ in 0..REQUESTS {
                    send_all(&mut conn, b"GET /small.bin HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
                    let resp = recv_until(&mut conn, |r| {
                        r.windows(4)
                            .position(|w| w == b"\r\n\r\n")
                            .is_some_and(|i| r.len() >= i + 4 + 1024)
                    })
                    .unwrap();
                    assert!(resp.starts_with(b"HTTP/1.1 200 OK\r\n"));
                    assert!(resp.ends_with(&small));
                }
                conn.shutdown_send().unwrap();
            })
        })
        .collect();
    let failed = threads
        .into_iter()
        .map(|t| t.join())
        .filter(Result::is_err)
        .count();
    if failed > 0 {
        // The server's side of it: its counters and errors.
        std::process::Command::new("kill")
            .args(["-USR1", &server.pid().to_string()])
            .status()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_secs(1));
        panic!(
            "{failed} clients failed; baton serve: {}",
            server.stderr_now()
        );
    }
    let out = std::process::Command::new("curl")
        .args(["-sk", "--max-time", "300", &format!("{url}big.bin")])
        .output();
    if let Ok(out) = out {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout.len(), big_len);
        assert_eq!(sha256_hex(&out.stdout), sha256_hex(&big));
    }
    std::process::Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    let done = server.wait(TIMEOUT);
    assert!(done.status.success(), "{}", done.stderr);
    let workers: Vec<&str> = done
        .stderr
        .lines()
        .filter(|l| l.starts_with("worker "))
        .collect();
    assert_eq!(workers.len(), 2, "{}", done.stderr);
    let field = |line: &str, name: &str| -> u64 {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(name))
            .and_then(|v| v.split('/').next().unwrap().parse().ok())
            .unwrap_or_else(|| panic!("{name} in {line}"))
    };
    let handshakes: u64 = workers.iter().map(|l| field(l, "handshakes=")).sum();
    assert!(handshakes >= (CLIENTS + 1) as u64, "{}", done.stderr);
    let kernel_send: u64 = workers.iter().map(|l| field(l, "kernel/userspace=")).sum();
    // File bodies by io_uring SPLICE through kTLS (every small file and the
    // 64 MiB one), or sealed in userspace.
    let spliced: u64 = workers
        .iter()
        .map(|l| field(l, "spliced/sendfile/sealed="))
        .sum();
    if baton_ktls::probe().available() {
        assert_eq!(
            spliced,
            (big_len + CLIENTS * REQUESTS * 1024) as u64,
            "{}",
            done.stderr
        );
        assert_eq!(
            kernel_send, handshakes,
            "every connection's send in the kernel: {}",
            done.stderr
        );
        let after = baton_ktls::tls_stat().unwrap();
        let b = before.unwrap();
        assert!(after["TlsTxSw"] - b["TlsTxSw"] >= handshakes, "{after:?}");
        assert_eq!(after["TlsDecryptError"], b["TlsDecryptError"]);
    } else {
        assert_eq!(kernel_send, 0, "{}", done.stderr);
        assert_eq!(spliced, 0, "{}", done.stderr);
    }
}

/// `baton serve` logs one line per request on stderr, whole, and none with
/// `--quiet` (the benchmark against nginx's `access_log off` uses it); the
/// counters are printed at exit either way.
#[test]
fn serve_request_log_and_quiet() {
    require_openssl!();
    let dir = scratch_dir().join("serve-quiet");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("hello.txt"), b"hello from baton serve\n").unwrap();
    let dir = std::fs::canonicalize(dir).unwrap();
    for quiet in [false, true] {
        let mut args = vec![
            "serve",
            dir.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--workers",
            "1",
        ];
        if quiet {
            args.push("--quiet");
        }
        let server = baton(&args);
        let url = line_after(&server, &format!("serving {} at ", dir.display()), false);
        let port: u16 = url
            .trim_start_matches("https://127.0.0.1:")
            .trim_end_matches('/')
            .parse()
            .unwrap();
        for _ in 0..2 {
            let mut c = s_client(port, &["-servername", "localhost", "-ign_eof"]);
            c.write_stdin(b"GET /hello.txt HTTP/1.0\r\n\r\n");
            c.close_stdin();
            let out = c.wait(TIMEOUT);
            assert!(out.status.success(), "s_client: {}", out.stderr);
            assert!(out
                .stdout_str()
                .contains("\r\n\r\nhello from baton serve\n"));
        }
        std::process::Command::new("kill")
            .args(["-TERM", &server.pid().to_string()])
            .status()
            .unwrap();
        let done = server.wait(TIMEOUT);
        assert!(done.status.success(), "{}", done.stderr);
        let logged = done
            .stderr
            .lines()
            .filter(|l| l.starts_with("127.0.0.1:") && l.ends_with(" GET /hello.txt 200 23"))
            .count();
        assert_eq!(logged, if quiet { 0 } else { 2 }, "{}", done.stderr);
        assert!(!quiet || !done.stderr.contains("GET "), "{}", done.stderr);
        assert!(
            done.stderr.lines().any(|l| l.starts_with("worker 0: ")),
            "{}",
            done.stderr
        );
    }
}

/// One keep-alive request on `conn`: the whole response (head and body), or
/// `None` when the server closed the connection.
fn http_get(conn: &mut baton::Connection, target: &str) -> Option<Vec<u8>> {
    let req = format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n");
    send_all(conn, req.as_bytes()).ok()?;
    let mut got = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .and_then(|v| v.trim().parse().ok())
                .expect("a Content-Length on every response");
            if got.len() >= end + 4 + len {
                assert_eq!(got.len(), end + 4 + len, "no bytes beyond the response");
                return Some(got);
            }
        }
        match conn.recv(&mut buf) {
            Ok(0) | Err(_) => return None,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// `baton serve` never answers with anything from outside its root while a
/// symlink inside it is swapped between a directory inside (`pub`) and one
/// outside, by rename(2) of a prepared symlink, as fast as a thread can, with
/// listings and files requested meanwhile. Bounded: a fixed number of requests
/// and of swaps; what each request meets depends on the race, but the rule
/// does not (a listing or file of `pub`, or 403).
#[test]
fn serve_stays_in_its_root_while_a_symlink_is_swapped() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let base = scratch_dir().join("serve-swap");
    let _ = std::fs::remove_dir_all(&base);
    let (root, outside) = (base.join("root"), base.join("outside"));
    std::fs::create_dir_all(root.join("pub")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(root.join("pub/file.txt"), b"inside bytes\n").unwrap();
    std::fs::write(root.join("pub/only-in-pub.txt"), b"x").unwrap();
    // Every name and byte outside carries the marker.
    std::fs::write(outside.join("file.txt"), b"MARKER outside bytes\n").unwrap();
    std::fs::write(outside.join("MARKER-listed.txt"), b"MARKER").unwrap();
    std::fs::write(outside.join("index.html"), b"MARKER index").unwrap();
    std::os::unix::fs::symlink("pub", root.join("link")).unwrap();
    let root = std::fs::canonicalize(root).unwrap();
    let outside = std::fs::canonicalize(outside).unwrap();

    let server = baton(&[
        "serve",
        root.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--cert",
        &path("server-rsa.pem"),
        "--key",
        &path("server-rsa.key"),
        "--quiet",
    ]);
    let url = line_after(&server, &format!("serving {} at ", root.display()), false);
    let port: u16 = url
        .trim_start_matches("https://127.0.0.1:")
        .trim_end_matches('/')
        .parse()
        .unwrap_or_else(|_| panic!("unexpected URL {url}"));
    let config = client_config();
    let connect = || {
        baton_client(&config, port, |c| c.set_server_name("localhost").unwrap())
            .unwrap_or_else(|e| panic!("{e}; baton serve: {}", server.stderr_now()))
    };
    let mut conn = connect();
    // Before any swap: the link leads to pub's listing.
    let page = http_get(&mut conn, "/link/").expect("a listing");
    let page = String::from_utf8_lossy(&page);
    assert!(
        page.starts_with("HTTP/1.1 200 ") && page.contains("only-in-pub.txt"),
        "{page}"
    );

    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let flipper = {
        let (stop, root) = (stop.clone(), root.clone());
        std::thread::spawn(move || {
            let tmp = root.join("link.tmp");
            for i in 0..200_000u32 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let target = if i % 2 == 0 {
                    outside.as_path()
                } else {
                    "pub".as_ref()
                };
                let _ = std::fs::remove_file(&tmp);
                std::os::unix::fs::symlink(target, &tmp).unwrap();
                std::fs::rename(&tmp, root.join("link")).unwrap();
            }
        })
    };
    let targets = [
        "/link/",
        "/link/file.txt",
        "/link/index.html",
        "/link/MARKER-listed.txt",
    ];
    let mut answers = std::collections::BTreeMap::new();
    for i in 0..600 {
        let target = targets[i % targets.len()];
        let resp = match http_get(&mut conn, target) {
            Some(r) => r,
            None => {
                conn = connect();
                http_get(&mut conn, target).expect("a response on a fresh connection")
            }
        };
        let text = String::from_utf8_lossy(&resp);
        assert!(
            !text.contains("MARKER"),
            "{target} answered with something from outside the root:\n{text}"
        );
        *answers.entry(text[..12].to_string()).or_insert(0u32) += 1;
    }
    stop.store(true, Ordering::Relaxed);
    flipper.join().unwrap();
    eprintln!("answers while swapping: {answers:?}");
    let _ = std::fs::remove_dir_all(&base);
}
