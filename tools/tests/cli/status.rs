//! `--ocsp` on `baton server` / `baton serve` (staple a DER response) and on
//! `baton client` (ask, check, report), `--crl` on the client, against OpenSSL.

use super::*;
use crate::status_pki::{pki_path, pki_read};

/// `openssl s_client -status` (TLS `version`) to `port`; its stdout.
fn s_client_status(port: u16, version: &str) -> String {
    let root = pki_path("root.pem");
    let mut cli = s_client(
        port,
        &[
            version,
            "-status",
            "-CAfile",
            &root,
            "-verify_return_error",
            "-servername",
            "localhost",
        ],
    );
    cli.close_stdin();
    let out = cli.wait(TIMEOUT);
    assert!(out.status.success(), "s_client: {}", out.stderr);
    out.stdout_str()
}

fn port_of(p: &Proc) -> u16 {
    let addr = line_after(p, "listening on ", true);
    addr.rsplit(':').next().unwrap().parse().unwrap()
}

#[test]
fn server_staples_ocsp_file() {
    require_openssl!();
    let server = baton(&[
        "server",
        "--listen",
        "127.0.0.1:0",
        "--cert",
        &pki_path("chain.pem"),
        "--key",
        &pki_path("leaf.key"),
        "--ocsp",
        &pki_path("good.der"),
    ]);
    let port = port_of(&server);
    for v in ["-tls1_3", "-tls1_2"] {
        let out = s_client_status(port, v);
        assert!(
            out.contains("OCSP Response Status: successful") && out.contains("Cert Status: good"),
            "{v}: {out}\nbaton: {}",
            server.stderr_now()
        );
    }
}

#[test]
fn serve_staples_ocsp_file() {
    require_openssl!();
    let dir = scratch_dir().join("serve-ocsp");
    std::fs::create_dir_all(&dir).unwrap();
    let server = baton(&[
        "serve",
        dir.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--workers",
        "1",
        "--cert",
        &pki_path("chain.pem"),
        "--key",
        &pki_path("leaf.key"),
        "--ocsp",
        &pki_path("good.der"),
    ]);
    let url = line_after(&server, "serving ", false);
    let port: u16 = url
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .unwrap_or_else(|| panic!("unexpected line {url}"));
    let out = s_client_status(port, "-tls1_3");
    assert!(
        out.contains("OCSP Response Status: successful"),
        "{out}\nbaton: {}",
        server.stderr_now()
    );
}

#[test]
fn ocsp_option_usage_errors() {
    let not_der = scratch_dir().join("not-ocsp.der");
    std::fs::write(&not_der, b"not an OCSP response").unwrap();
    let cases: [&[&str]; 2] = [
        &[
            "server",
            "--listen",
            "127.0.0.1:0",
            "--cert",
            &path("server-rsa.pem"),
            "--key",
            &path("server-rsa.key"),
            "--ocsp",
            not_der.to_str().unwrap(),
        ],
        &["serve", "--ocsp", not_der.to_str().unwrap()],
    ];
    for args in cases {
        let out = baton(args).wait(TIMEOUT);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains("--ocsp"), "{args:?}: {}", out.stderr);
    }
}

/// `baton client --ocsp` against `openssl s_server -status_file FILE`.
fn client_against_staple(file: &str, extra: &[&str]) -> Output {
    let status = pki_path(file);
    let srv = s_server(&[
        "-cert",
        &pki_path("leaf.pem"),
        "-cert_chain",
        &pki_path("inter.pem"),
        "-key",
        &pki_path("leaf.key"),
        "-status_file",
        &status,
        "-naccept",
        "1",
        "-rev",
        "-quiet",
    ]);
    let target = format!("localhost:{}", srv.port);
    let root = pki_path("root.pem");
    let mut args = vec!["client", &target, "--ca", &root];
    args.extend_from_slice(extra);
    let mut c = baton(&args);
    c.write_stdin(b"ping\n");
    c.close_stdin();
    c.wait(TIMEOUT)
}

#[test]
fn client_reports_and_checks_the_staple() {
    require_openssl!();
    let out = client_against_staple("good.der", &["--ocsp"]);
    assert!(out.status.success(), "{}", out.stderr);
    let bytes = pki_read("good.der").len();
    assert!(
        out.stderr
            .contains(&format!("ocsp: stapled=yes bytes={bytes} verified=yes")),
        "{}",
        out.stderr
    );
    assert_eq!(out.stdout_str(), "gnip\n");

    let out = client_against_staple("revoked.der", &["--ocsp"]);
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("revoked"), "{}", out.stderr);

    // Without --ocsp nothing is asked or said.
    let out = client_against_staple("revoked.der", &[]);
    assert!(out.status.success(), "{}", out.stderr);
    assert!(!out.stderr.contains("ocsp:"), "{}", out.stderr);
}

#[test]
fn client_crl_refuses_a_revoked_leaf() {
    require_openssl!();
    let crls = scratch_dir().join("cli-crls.pem");
    let mut pem = pki_read("inter-leaf-revoked.crl");
    pem.extend(pki_read("root-none.crl"));
    std::fs::write(&crls, pem).unwrap();
    let out = client_against_staple("good.der", &["--crl", crls.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("revoked"), "{}", out.stderr);
}
