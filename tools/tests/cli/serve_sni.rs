//! `baton serve` with several certificates: repeatable `--cert`/`--key`
//! chosen by SNI (curl with `--resolve`), `--cert-dir`, and SIGHUP reloading
//! them while a keep-alive connection made before goes on.

use super::*;
use crate::tenants::{first_pem_cert, tenant};

/// A root with one small file; returns its canonical path.
fn site(name: &str) -> std::path::PathBuf {
    let dir = scratch_dir().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("hello.txt"), b"hello tenant\n").unwrap();
    std::fs::canonicalize(dir).unwrap()
}

/// The port `baton serve` printed for `root`.
fn port_of(server: &Proc, root: &std::path::Path) -> u16 {
    let url = line_after(server, &format!("serving {} at ", root.display()), false);
    url.trim_start_matches("https://127.0.0.1:")
        .trim_end_matches('/')
        .parse()
        .unwrap_or_else(|_| panic!("unexpected URL {url}"))
}

fn signal(server: &Proc, sig: &str) {
    let ok = std::process::Command::new("kill")
        .args([sig, &server.pid().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig}");
}

#[test]
fn serve_two_cert_pairs_chosen_by_sni_to_curl() {
    if std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: no curl");
        return;
    }
    let a = tenant(&["a.test"], "server-p256.key", "ca-ecdsa");
    let b = tenant(&["b.test", "*.b.test"], "server-rsa.key", "ca-rsa");
    let root = site("serve-sni-curl");
    let s = |p: &std::path::Path| p.to_str().unwrap().to_owned();
    let server = baton(&[
        "serve",
        &s(&root),
        "--listen",
        "127.0.0.1:0",
        "--workers",
        "1",
        "--quiet",
        "--cert",
        &s(&a.chain),
        "--key",
        &s(&a.key),
        "--cert",
        &s(&b.chain),
        "--key",
        &s(&b.key),
    ]);
    let port = port_of(&server, &root);
    for name in ["a.test", "b.test", "www.b.test"] {
        let out = std::process::Command::new("curl")
            .args(["-sS", "-v", "--max-time", "20", "--cacert"])
            .arg(all_cas_file())
            .arg("--resolve")
            .arg(format!("{name}:{port}:127.0.0.1"))
            .arg(format!("https://{name}:{port}/hello.txt"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        // curl verifies the chain and the name: only the right certificate passes.
        assert!(out.status.success(), "{name}: {err}");
        assert_eq!(out.stdout, b"hello tenant\n", "{name}");
        assert!(err.contains("SSL certificate verify ok"), "{name}: {err}");
    }
    signal(&server, "-TERM");
    assert!(server.wait(TIMEOUT).status.success());
}

/// One `openssl s_client` handshake to `name`: the leaf it got.
fn leaf_seen(port: u16, name: &str) -> Vec<u8> {
    let mut c = s_client(port, &["-servername", name]);
    c.close_stdin();
    let out = c.wait(TIMEOUT);
    first_pem_cert(&out.stdout).unwrap_or_else(|| panic!("no certificate: {}", out.stderr))
}

#[test]
fn serve_cert_dir_reloads_on_sighup_keeping_connections() {
    require_openssl!();
    let certs = scratch_dir().join("serve-sni-reload-certs");
    std::fs::create_dir_all(&certs).unwrap();
    let install = |t: &crate::tenants::Tenant| {
        // Written aside and renamed, as a renewal tool does.
        for (from, to) in [(&t.chain, "site.crt"), (&t.key, "site.key")] {
            let tmp = certs.join(format!(".{to}.tmp"));
            std::fs::copy(from, &tmp).unwrap();
            std::fs::rename(&tmp, certs.join(to)).unwrap();
        }
    };
    let old = tenant(&["site.test"], "server-p256.key", "ca-ecdsa");
    install(&old);
    let root = site("serve-sni-reload");
    let server = baton(&[
        "serve",
        root.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--workers",
        "2",
        "--quiet",
        "--cert-dir",
        certs.to_str().unwrap(),
    ]);
    let port = port_of(&server, &root);
    assert_eq!(leaf_seen(port, "site.test"), old.der);

    // A keep-alive connection from before the reload.
    let mut kept = s_client(port, &["-servername", "site.test", "-ign_eof", "-quiet"]);
    let request = b"GET /hello.txt HTTP/1.1\r\nHost: site.test\r\n\r\n";
    kept.write_stdin(request);
    let answers = |out: &[u8]| String::from_utf8_lossy(out).matches("hello tenant").count();
    kept.wait_for_stdout(TIMEOUT, |o| answers(o) == 1);

    let new = tenant(&["site.test"], "server-p384.key", "ca-ecdsa");
    install(&new);
    signal(&server, "-HUP");
    line_after(&server, "reloaded 1 certificates", true);
    assert_eq!(
        sha256_hex(&leaf_seen(port, "site.test")),
        sha256_hex(&new.der)
    );

    // The connection made before still answers.
    kept.write_stdin(request);
    kept.wait_for_stdout(TIMEOUT, |o| answers(o) == 2);
    // -ign_eof: it stays until killed (on drop).
    drop(kept);

    // A broken file: the certificates in use stay.
    std::fs::write(certs.join("site.crt"), b"not a certificate").unwrap();
    signal(&server, "-HUP");
    line_after(
        &server,
        "reload failed, keeping the certificates in use",
        true,
    );
    assert_eq!(leaf_seen(port, "site.test"), new.der);

    signal(&server, "-TERM");
    assert!(server.wait(TIMEOUT).status.success());
}

/// `baton server` with two `--cert`/`--key` pairs: `s_client -servername`
/// gets the certificate for its name, and the first pair for another name.
#[test]
fn server_two_cert_pairs_chosen_by_sni() {
    require_openssl!();
    let a = tenant(&["a.test"], "server-p256.key", "ca-ecdsa");
    let b = tenant(&["b.test"], "server-p384.key", "ca-ecdsa");
    let s = |p: &std::path::Path| p.to_str().unwrap().to_owned();
    let server = baton(&[
        "server",
        "--listen",
        "127.0.0.1:0",
        "--cert",
        &s(&a.chain),
        "--key",
        &s(&a.key),
        "--cert",
        &s(&b.chain),
        "--key",
        &s(&b.key),
    ]);
    let addr = line_after(&server, "listening on ", true);
    let port: u16 = addr.rsplit(':').next().unwrap().parse().unwrap();
    assert_eq!(leaf_seen(port, "b.test"), b.der);
    assert_eq!(leaf_seen(port, "a.test"), a.der);
    assert_eq!(leaf_seen(port, "other.test"), a.der);
}
