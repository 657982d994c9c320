//! `baton serve --sign-threads N`: handshake signatures on the signing
//! threads (counted per worker), inline with 0, and a bad value refused.

use super::*;

#[test]
fn serve_sign_threads_offloads_or_signs_inline() {
    require_openssl!();
    let dir = scratch_dir().join("serve-sign");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("hello.txt"), b"signed elsewhere\n").unwrap();
    let dir = std::fs::canonicalize(dir).unwrap();
    for threads in ["2", "0"] {
        let server = baton(&[
            "serve",
            dir.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--workers",
            "1",
            "--cert",
            &path("server-rsa.pem"),
            "--key",
            &path("server-rsa.key"),
            "--sign-threads",
            threads,
            "--quiet",
        ]);
        let url = line_after(&server, &format!("serving {} at ", dir.display()), false);
        let port: u16 = url
            .trim_start_matches("https://127.0.0.1:")
            .trim_end_matches('/')
            .parse()
            .unwrap();
        for version in ["-tls1_3", "-tls1_2"] {
            let mut c = s_client(port, &[version, "-servername", "localhost", "-ign_eof"]);
            c.write_stdin(b"GET /hello.txt HTTP/1.0\r\n\r\n");
            c.close_stdin();
            let out = c.wait(TIMEOUT);
            assert!(out.status.success(), "s_client: {}", out.stderr);
            assert!(out.stdout_str().contains("\r\n\r\nsigned elsewhere\n"));
        }
        std::process::Command::new("kill")
            .args(["-TERM", &server.pid().to_string()])
            .status()
            .unwrap();
        let done = server.wait(TIMEOUT);
        assert!(done.status.success(), "{}", done.stderr);
        let want = if threads == "0" { 0 } else { 2 };
        assert_eq!(
            workers_total(&done.stderr, "signatures_offloaded"),
            want,
            "{}",
            done.stderr
        );
    }
    let bad = baton(&["serve", "--sign-threads", "many"]).wait(TIMEOUT);
    assert!(!bad.status.success());
    assert!(bad.stderr.contains("--sign-threads"), "{}", bad.stderr);
}
