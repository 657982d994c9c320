//! The C API from C: `examples/batonc.c`, `examples/batond.c` and
//! `tests/c/misuse.c` compiled with `cc` against the libraries this build
//! made, run against `openssl s_server`/`s_client`, each under valgrind
//! (memcheck: invalid accesses, and definite leaks) where it is installed.

#[path = "../../../tests/integration/util.rs"]
mod util;

use baton::offload::{Direction, KernelCipher};
use baton::ProtocolVersion;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use util::*;

/// valgrind's exit status when it found an error.
const VALGRIND_ERROR: i32 = 99;

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A file under the workspace's tests/data.
fn td(name: &str) -> String {
    let p = crate_dir().join("../../tests/data").join(name);
    assert!(p.exists(), "missing test file {}", p.display());
    p.to_str().expect("a UTF-8 path").to_owned()
}

/// Where the compiled C programs go: a folder of this process under the
/// temporary directory (in the kTLS VMs the tree is read-only and TMPDIR is
/// a tmpfs).
fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("baton-capi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("creating the scratch folder");
    dir
}

/// Where this build's libbaton_capi.a and .so are: target/<profile>/deps/,
/// beside this test (cargo compiles the library's unit, all its crate types
/// at once, before the tests that depend on it, so they are current), or the
/// copies cargo puts in target/<profile>/.
fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's path");
    let deps = exe
        .parent()
        .expect("target/<profile>/deps/<test>")
        .to_path_buf();
    let has_libs = |d: &Path| {
        ["libbaton_capi.a", "libbaton_capi.so"]
            .iter()
            .all(|l| d.join(l).exists())
    };
    let candidates = [Some(deps.clone()), deps.parent().map(Path::to_path_buf)];
    candidates
        .into_iter()
        .flatten()
        .find(|d| has_libs(d))
        .unwrap_or_else(|| {
            panic!(
                "libbaton_capi.a/.so not found in {} or its parent: build them with \
                 `cargo build -p baton-capi`",
                deps.display()
            )
        })
}

/// Compiles C `sources` into `out` with the header, statically or against
/// the shared library (with an rpath to it).
fn compile(out: &str, sources: &[&str], shared: bool) -> PathBuf {
    let exe = scratch().join(out);
    let lib = lib_dir();
    let mut cc = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()));
    cc.args(["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-g", "-o"])
        .arg(&exe)
        .arg("-I")
        .arg(crate_dir().join("include"));
    for s in sources {
        cc.arg(crate_dir().join(s));
    }
    if shared {
        cc.arg("-L")
            .arg(&lib)
            .arg("-lbaton_capi")
            .arg(format!("-Wl,-rpath,{}", lib.display()));
    } else {
        cc.arg(lib.join("libbaton_capi.a"));
    }
    // What Rust's std and aws-lc need from libc's siblings.
    cc.args(["-lpthread", "-ldl", "-lm"]);
    let status = cc
        .status()
        .unwrap_or_else(|e| panic!("running {cc:?}: {e}"));
    assert!(status.success(), "{cc:?} failed");
    exe
}

fn batonc() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| compile("batonc", &["examples/batonc.c"], false))
}

fn batond() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| compile("batond", &["examples/batond.c"], false))
}

/// Whether valgrind runs here; prints once why the programs run without it.
fn valgrind() -> bool {
    static FOUND: OnceLock<bool> = OnceLock::new();
    *FOUND.get_or_init(|| {
        // tools/ktls-vm's guests emulate the CPU: memcheck there costs minutes
        // per kernel and checks nothing the host's run has not (the same
        // programs, the same code paths but the setsockopt calls).
        if let Some(kernel) = std::env::var_os("BATON_KTLS_KERNEL") {
            eprintln!(
                "valgrind: not in the kTLS VM ({}); memcheck runs in the host's cargo test",
                kernel.to_string_lossy()
            );
            return false;
        }
        let found = Command::new("valgrind")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            eprintln!(
                "SKIPPED valgrind: not installed (tools/test installs it); \
                 the C programs run without memcheck"
            );
        }
        found
    })
}

/// `exe args...`, under valgrind when it is installed.
fn c_program(exe: &Path, args: &[&str]) -> Command {
    let mut cmd = if valgrind() {
        let mut c = Command::new("valgrind");
        c.args([
            "-q",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite",
            &format!("--error-exitcode={VALGRIND_ERROR}"),
        ])
        .arg(exe);
        c
    } else {
        Command::new(exe)
    };
    cmd.args(args);
    cmd
}

/// Runs `exe args` to the end; panics on a memcheck error.
fn run(exe: &Path, args: &[&str]) -> Output {
    let out = Proc::spawn("C program", &mut c_program(exe, args)).wait(BULK_TIMEOUT);
    assert_ne!(
        out.status.code(),
        Some(VALGRIND_ERROR),
        "valgrind found errors in {} {args:?}:\n{}",
        exe.display(),
        out.stderr
    );
    out
}

const REQUEST: &str = "GET / HTTP/1.0\\r\\n\\r\\n";

/// `openssl s_server -www` with the RSA test chain (for localhost).
fn www_server(extra: &[&str]) -> SServer {
    let (cert, key) = (td("server-rsa.pem"), td("server-rsa.key"));
    let mut args = vec!["-www", "-cert", &cert, "-key", &key];
    args.extend_from_slice(extra);
    s_server(&args)
}

/// batonc to `port` with the RSA CA; its output, after checking it succeeded.
fn batonc_ok(port: u16, extra: &[&str]) -> Output {
    let ca = td("ca-rsa.pem");
    let port = port.to_string();
    let mut args = vec!["-c", &ca, "-n", "localhost", "-r", REQUEST];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["127.0.0.1", &port]);
    let out = run(batonc(), &args);
    assert!(
        out.status.success(),
        "batonc {args:?} failed: {}",
        out.stderr
    );
    out
}

#[test]
fn batonc_tls13_with_alpn_against_s_server() {
    require_openssl!();
    let server = www_server(&["-tls1_3", "-alpn", "h2,http/1.1"]);
    let out = batonc_ok(server.port, &["-a", "h2", "-a", "http/1.1"]);
    let stdout = out.stdout_str();
    assert!(stdout.contains("protocol: TLSv1.3"), "{stdout}");
    assert!(stdout.contains("cipher: TLS_AES_"), "{stdout}");
    assert!(stdout.contains("alpn: h2"), "{stdout}");
    assert!(stdout.contains("server name: localhost"), "{stdout}");
    // s_server -www's page: the request went through and the answer came back.
    assert!(stdout.contains("HTTP/1.0 200 ok"), "{stdout}");
    assert!(stdout.contains("TLSv1.3"), "{stdout}");
}

#[test]
fn batonc_tls12_against_s_server() {
    require_openssl!();
    let server = www_server(&["-tls1_2"]);
    let out = batonc_ok(server.port, &["-p", "default"]);
    let stdout = out.stdout_str();
    assert!(stdout.contains("protocol: TLSv1.2"), "{stdout}");
    assert!(stdout.contains("cipher: TLS_ECDHE_RSA_WITH_"), "{stdout}");
    assert!(stdout.contains("alpn: (none)"), "{stdout}");
    assert!(stdout.contains("HTTP/1.0 200 ok"), "{stdout}");
}

#[test]
fn batonc_refuses_a_server_from_another_ca_with_an_alert() {
    require_openssl!();
    let (cert, key) = (td("server-untrusted.pem"), td("server-untrusted.key"));
    let server = s_server(&["-www", "-cert", &cert, "-key", &key]);
    let ca = td("ca-rsa.pem");
    let port = server.port.to_string();
    let out = run(
        batonc(),
        &["-c", &ca, "-n", "localhost", "127.0.0.1", &port],
    );
    assert_eq!(out.status.code(), Some(1), "stderr: {}", out.stderr);
    assert!(
        out.stderr
            .contains("negotiate failed: BATON_ERR_PROTOCOL (type PROTO)"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("not trusted"), "{}", out.stderr);
    // unknown_ca (48), RFC 8446 §6.2.
    assert!(out.stderr.contains("sent alert 48"), "{}", out.stderr);
}

/// s_client sends a line to batond (`extra` flags), reads the echo and
/// closes; batond's stdout, after checking it ended cleanly.
fn echo_through_batond(extra: &[&str]) -> String {
    let (cert, key) = (td("server-rsa.pem"), td("server-rsa.key"));
    let mut args = vec!["-c", &cert, "-k", &key, "-a", "h2"];
    args.extend_from_slice(extra);
    args.push("0");
    let server = Proc::spawn("batond", &mut c_program(batond(), &args));
    let port = listening_port(&server);
    let ca = td("ca-rsa.pem");
    let mut client = s_client(
        port,
        &[
            "-CAfile",
            &ca,
            "-verify_return_error",
            "-servername",
            "localhost",
            "-alpn",
            "h2",
        ],
    );
    client.write_stdin(b"baton-echo-7d1f\n");
    // The echo, then stdin's end makes s_client send close_notify.
    client.wait_for_stdout(TIMEOUT, |o| o.windows(15).any(|w| w == b"baton-echo-7d1f"));
    client.close_stdin();
    let c = client.wait(TIMEOUT);
    assert!(
        c.stdout_str().contains("ALPN protocol: h2"),
        "{}",
        c.stdout_str()
    );
    let s = server.wait(BULK_TIMEOUT);
    assert_ne!(s.status.code(), Some(VALGRIND_ERROR), "{}", s.stderr);
    assert!(s.status.success(), "batond failed: {}", s.stderr);
    let stdout = s.stdout_str();
    assert!(stdout.contains("protocol: TLSv1.3"), "{stdout}");
    assert!(stdout.contains("alpn: h2"), "{stdout}");
    assert!(stdout.contains("server name: localhost"), "{stdout}");
    assert!(stdout.contains("closed cleanly"), "{stdout}");
    stdout + &s.stderr
}

#[test]
fn s_client_against_batond_echo() {
    require_openssl!();
    let out = echo_through_batond(&[]);
    assert!(!out.contains("ktls"), "{out}");
}

#[test]
fn s_client_against_batond_with_ktls_or_the_fallback() {
    require_openssl!();
    let before = baton_ktls::tls_stat();
    let out = echo_through_batond(&["-K"]);
    check_ktls(&out, before);
}

/// The port batond printed once it listened.
fn listening_port(server: &Proc) -> u16 {
    server.wait_for_stdout(BULK_TIMEOUT, |o| {
        String::from_utf8_lossy(o).contains("listening on ")
    });
    let out = String::from_utf8_lossy(&server.stdout_now()).into_owned();
    out.lines()
        .find_map(|l| l.strip_prefix("listening on "))
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("no port in batond's output: {out:?}"))
}

#[test]
fn misuse_is_refused_with_typed_errors() {
    let exe = compile("misuse", &["tests/c/misuse.c"], false);
    let out = run(&exe, &[&td("server-rsa.pem"), &td("server-rsa.key")]);
    assert!(out.status.success(), "{}", out.stderr);
    assert!(out.stdout_str().contains("all checks passed"));
}

#[test]
fn batonc_linked_against_the_shared_library() {
    require_openssl!();
    let exe = compile("batonc-shared", &["examples/batonc.c"], true);
    // It loads libbaton_capi.so (through its rpath), not a static copy.
    if let Ok(ldd) = Command::new("ldd").arg(&exe).output() {
        let deps = String::from_utf8_lossy(&ldd.stdout);
        assert!(deps.contains("libbaton_capi.so"), "{deps}");
    }
    let server = www_server(&["-tls1_3"]);
    let ca = td("ca-rsa.pem");
    let port = server.port.to_string();
    let out = Proc::spawn(
        "batonc (shared)",
        Command::new(&exe).args([
            "-c",
            &ca,
            "-n",
            "localhost",
            "-r",
            REQUEST,
            "127.0.0.1",
            &port,
        ]),
    )
    .wait(TIMEOUT);
    assert!(out.status.success(), "{}", out.stderr);
    assert!(out.stdout_str().contains("HTTP/1.0 200 ok"));
}

/// Whether this kernel takes TLS 1.3 AES-128-GCM both ways; where it does
/// not, says so, and fails when BATON_REQUIRE_KTLS is set (tools/ktls-vm).
fn kernel_tls() -> bool {
    let support = baton_ktls::probe();
    let ok = [Direction::Send, Direction::Recv].into_iter().all(|d| {
        support
            .refusal(d, ProtocolVersion::TLSV1_3, KernelCipher::Aes128Gcm)
            .is_none()
    });
    if !ok {
        assert!(
            std::env::var_os("BATON_REQUIRE_KTLS").is_none(),
            "BATON_REQUIRE_KTLS is set, but {support}"
        );
        eprintln!(
            "kTLS: {support}; checked the userspace fallback only (tools/ktls-vm runs it for real)"
        );
    }
    ok
}

/// A C program's output after `-k`/`-K`: the kernel took both directions
/// (and its counters prove it), or both stayed in userspace with
/// BATON_ERR_KTLS_UNSUPPORTED, and the data went through either way.
fn check_ktls(out: &str, before: Option<std::collections::BTreeMap<String, u64>>) {
    if kernel_tls() {
        assert!(out.contains("ktls send: kernel"), "{out}");
        assert!(out.contains("ktls recv: kernel"), "{out}");
        let (before, after) = (
            before.unwrap_or_default(),
            baton_ktls::tls_stat().unwrap_or_default(),
        );
        for counter in ["TlsTxSw", "TlsRxSw"] {
            let grew = after.get(counter).copied().unwrap_or(0)
                > before.get(counter).copied().unwrap_or(0);
            assert!(grew, "{counter} did not grow: {before:?} -> {after:?}");
        }
    } else {
        assert!(out.contains("ktls send: userspace"), "{out}");
        assert!(out.contains("ktls recv: userspace"), "{out}");
        assert!(
            out.contains("ktls send failed: BATON_ERR_KTLS_UNSUPPORTED (type USAGE)"),
            "{out}"
        );
    }
}

#[test]
fn batonc_ktls_or_the_userspace_fallback() {
    require_openssl!();
    let server = www_server(&["-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256"]);
    let before = baton_ktls::tls_stat();
    let out = batonc_ok(server.port, &["-k"]);
    let stdout = out.stdout_str();
    // Either way the request and answer went through.
    assert!(stdout.contains("HTTP/1.0 200 ok"), "{stdout}");
    check_ktls(&(stdout + &out.stderr), before);
}

#[test]
fn batonc_reports_the_alert_the_server_sent() {
    require_openssl!();
    // The server requires a client certificate that batonc does not have.
    let ca = td("ca-rsa.pem");
    let server = www_server(&["-tls1_3", "-Verify", "1", "-CAfile", &ca]);
    let port = server.port.to_string();
    let out = run(
        batonc(),
        &[
            "-c",
            &ca,
            "-n",
            "localhost",
            "-r",
            REQUEST,
            "127.0.0.1",
            &port,
        ],
    );
    assert_eq!(out.status.code(), Some(1), "stderr: {}", out.stderr);
    // TLS 1.3: the client finishes first; the alert comes with its first read.
    assert!(
        out.stderr.contains("failed: BATON_ERR_ALERT (type ALERT)"),
        "{}",
        out.stderr
    );
    // certificate_required (116), RFC 8446 §4.4.2.4.
    assert!(out.stderr.contains("received alert 116"), "{}", out.stderr);
}

#[test]
fn header_compiles_as_c99_and_cpp() {
    let src = scratch().join("header_use.c");
    std::fs::write(
        &src,
        "#include \"baton.h\"\n\
         int main(void) { baton_blocked_status b; return baton_negotiate(0, &b) + baton_errno; }\n",
    )
    .unwrap();
    let include = crate_dir().join("include");
    for (compiler, lang, std) in [("cc", "c", "-std=c99"), ("c++", "c++", "-std=c++11")] {
        let status = Command::new(compiler)
            .args([
                std,
                "-pedantic",
                "-Wall",
                "-Werror",
                "-fsyntax-only",
                "-x",
                lang,
            ])
            .arg("-I")
            .arg(&include)
            .arg(&src)
            .status();
        match status {
            Ok(s) => assert!(s.success(), "baton.h does not compile as {lang}"),
            Err(e) => eprintln!("SKIPPED {lang}: {compiler} not found ({e})"),
        }
    }
}
