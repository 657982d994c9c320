//! `SSLKEYLOGFILE`: `baton client` against `openssl s_server -keylogfile`
//! writes the same secrets OpenSSL writes, and says so once on stderr.

use super::*;

/// `baton client` with `SSLKEYLOGFILE` set (or not), against s_server `-rev`
/// with its own key log; returns (stderr, Baton's lines, OpenSSL's lines).
fn client_with_keylog(name: &str, set: bool) -> (String, Vec<String>, Vec<String>) {
    let ours = scratch_dir().join(format!("cli-keylog-{}-{name}-baton", std::process::id()));
    let theirs = scratch_dir().join(format!("cli-keylog-{}-{name}-openssl", std::process::id()));
    let _ = std::fs::remove_file(&ours);
    let _ = std::fs::remove_file(&theirs);
    let srv = s_server(&[
        "-cert",
        &path("server-rsa.pem"),
        "-key",
        &path("server-rsa.key"),
        "-naccept",
        "1",
        "-rev",
        "-quiet",
        "-keylogfile",
        theirs.to_str().unwrap(),
    ]);
    let target = format!("localhost:{}", srv.port);
    let mut cmd = Command::new(BATON);
    cmd.args(["client", &target, "--ca", &path("ca-rsa.pem")]);
    if set {
        cmd.env("SSLKEYLOGFILE", &ours);
    } else {
        cmd.env_remove("SSLKEYLOGFILE");
    }
    let mut c = Proc::spawn("baton", &mut cmd);
    c.write_stdin(b"ping\n");
    c.close_stdin();
    let out = c.wait(TIMEOUT);
    assert!(out.status.success(), "baton client: {}", out.stderr);
    // The reply came back, so s_server has derived (and logged) every secret.
    assert_eq!(out.stdout_str(), "gnip\n");
    let read = |p: &std::path::Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_to_string(p)
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_owned)
            .collect();
        v.sort();
        v
    };
    (out.stderr, read(&ours), read(&theirs))
}

#[test]
fn client_writes_sslkeylogfile_and_says_so() {
    require_openssl!();
    let (stderr, ours, theirs) = client_with_keylog("on", true);
    let notice = "writing TLS secrets to $SSLKEYLOGFILE";
    assert_eq!(stderr.matches(notice).count(), 1, "{stderr}");
    assert_eq!(ours.len(), 5, "{ours:#?}");
    assert_eq!(ours, theirs);

    let (stderr, ours, _) = client_with_keylog("off", false);
    assert!(!stderr.contains(notice), "{stderr}");
    assert!(ours.is_empty());
}
