//! `baton serve` and resumption: curl fetching several URLs in one run opens
//! a connection per URL (`Connection: close`) and resumes each after the
//! first with the TLS 1.3 ticket the server sent. In tools/ktls-vm (the name
//! has `ktls`) the resumed connections go through kernel TLS too.

use super::*;

/// curl (OpenSSL 3 backend) fetches three files from one `baton serve` in
/// one run, each on its own connection: the first is a full handshake, the
/// later ones say "SSL re-using session ID" and get no Certificate message
/// (the server resumed them), and every body is right. On a kernel with kTLS
/// every connection, resumed ones included, hands its keys to the kernel and
/// the file bodies go through it.
#[test]
fn serve_ktls_curl_several_urls_resume() {
    if Command::new("curl").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("BATON_REQUIRE_OPENSSL").is_none(),
            "curl is required under tools/test"
        );
        eprintln!("SKIPPED serve_ktls_curl_several_urls_resume: curl not found");
        return;
    }
    let dir = scratch_dir().join("serve-resume");
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["a", "b", "c"] {
        std::fs::write(dir.join(name), format!("file {name}\n")).unwrap();
    }
    let dir = std::fs::canonicalize(dir).unwrap();
    let before = baton_ktls::tls_stat();
    let server = baton(&[
        "serve",
        dir.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        // Two workers share one config (and its ticket keys): a ticket from
        // either resumes on either.
        "--workers",
        "2",
    ]);
    let url = line_after(&server, &format!("serving {} at ", dir.display()), false);
    let out = Command::new("curl")
        .args(["-v", "-k", "--max-time", "30", "-H", "Connection: close"])
        .args(["a", "b", "c"].map(|n| format!("{url}{n}")))
        .output()
        .expect("running curl");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "curl: {err}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "file a\nfile b\nfile c\n",
        "{err}"
    );
    // curl -v numbers its connections #0, #1, #2.
    let at = |n: u32| {
        err.find(&format!("(#{n})"))
            .unwrap_or_else(|| panic!("curl did not open connection #{n}: {err}"))
    };
    let (one, two) = (at(1), at(2));
    let conns = [&err[..one], &err[one..two], &err[two..]];
    assert!(conns[0].contains("Certificate (11)"), "{err}");
    for later in &conns[1..] {
        assert!(later.contains("SSL re-using session ID"), "{err}");
        assert!(
            !later.contains("Certificate (11)"),
            "a later connection was a full handshake: {err}"
        );
    }
    std::process::Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    let done = server.wait(TIMEOUT);
    assert!(done.status.success(), "{}", done.stderr);
    // Summed over the workers' exit lines: `NAME=A/B...` fields.
    let sum = |name: &str, i: usize| -> u64 {
        done.stderr
            .lines()
            .filter(|l| l.starts_with("worker "))
            .filter_map(|l| {
                l.split_whitespace()
                    .find_map(|w| w.strip_prefix(name))
                    .and_then(|v| v.split('/').nth(i)?.parse::<u64>().ok())
            })
            .sum()
    };
    let (kernel_send, sealed) = (
        sum("kernel/userspace=", 0),
        sum("spliced/sendfile/sealed=", 2),
    );
    if baton_ktls::probe().available() {
        // Every connection, resumed ones included, sent through kernel TLS
        // (the 7-byte bodies go with their heads, from the open-file
        // cache), and nothing was sealed in userspace.
        assert!(kernel_send >= 3, "{}", done.stderr);
        assert_eq!(sealed, 0, "{}", done.stderr);
        let after = baton_ktls::tls_stat().unwrap();
        let b = before.unwrap();
        assert!(after["TlsTxSw"] - b["TlsTxSw"] >= 3, "{after:?}");
        assert!(after["TlsRxSw"] - b["TlsRxSw"] >= 3, "{after:?}");
        assert_eq!(after["TlsDecryptError"], b["TlsDecryptError"]);
    } else {
        assert_eq!(kernel_send, 0, "{}", done.stderr);
    }
}
