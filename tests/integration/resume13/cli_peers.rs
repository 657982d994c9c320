//! `gnutls-cli --resume` (psk_dhe_ke, and psk_ke allowed or not) and curl
//! fetching two URLs from one Baton server.

use super::*;

// ---------------------------------------------------------------- gnutls-cli

fn have(tool: &str, arg: &str) -> bool {
    let ok = Command::new(tool)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("BATON_REQUIRE_OPENSSL").is_none(),
            "{tool} is required under tools/test"
        );
        eprintln!("SKIPPED: {tool} not installed");
    }
    ok
}

/// What one `gnutls-cli --resume` run left: its stdout, its debug log
/// (stderr), and what the Baton server saw on each connection.
struct GnutlsRun {
    stdout: String,
    log: String,
    seen: Vec<Seen>,
}

impl GnutlsRun {
    /// Whether gnutls read a NewSessionTicket before its second ClientHello
    /// (from its level-4 debug log, one ordered stream).
    fn ticket_before_reconnect(&self) -> bool {
        let hellos: Vec<usize> = self
            .log
            .match_indices("CLIENT HELLO was queued")
            .map(|(i, _)| i)
            .collect();
        assert!(hellos.len() >= 2, "gnutls did not reconnect: {}", self.log);
        self.log[..hellos[1]].contains("NEW SESSION TICKET (4) was received")
    }
}

/// `gnutls-cli --resume` (TLS 1.3 only, plus `extra`) against a Baton server
/// from `config`, sending a line on the second connection. gnutls waits for
/// a ticket only its round-trip estimate plus 60 ms before it reconnects, so
/// on a loaded machine it may reconnect without one: such a run (its own log
/// shows no ticket before the second ClientHello) says nothing about Baton
/// and runs again, at most three times in all. With `want_ticket` false, one
/// run, returned as is.
fn gnutls_resume(config: &Config, extra: &[&str], want_ticket: bool) -> GnutlsRun {
    let ca = data("ca-ecdsa.pem");
    let mut last = None;
    for _ in 0..3 {
        let server = baton_server_n(config.clone(), 2, echo_line);
        let port = server.port.to_string();
        let mut args = vec![
            "-d",
            "4",
            "--x509cafile",
            ca.to_str().unwrap(),
            "--resume",
            "--port",
            &port,
        ];
        args.extend_from_slice(extra);
        args.push("localhost");
        let mut cli = Proc::spawn("gnutls-cli", Command::new("gnutls-cli").args(&args));
        cli.write_stdin(b"gnutls line\n");
        cli.close_stdin();
        let out = cli.wait(TIMEOUT);
        let run = GnutlsRun {
            stdout: out.stdout_str(),
            seen: all_ok(server.join(TIMEOUT), 2, &out.stdout_str()),
            log: out.stderr,
        };
        assert!(
            out.status.success(),
            "gnutls-cli: {}\n{}",
            run.stdout,
            run.log
        );
        assert!(
            run.stdout.contains("gnutls line"),
            "no echo: {}",
            run.stdout
        );
        if !want_ticket || run.ticket_before_reconnect() {
            return run;
        }
        last = Some(run);
    }
    let run = last.unwrap();
    panic!(
        "gnutls never had a ticket before reconnecting (three runs); server saw {:?}; stdout: {}",
        run.seen, run.stdout
    );
}

const TLS13_ONLY: &str = "NORMAL:-VERS-ALL:+VERS-TLS1.3";

/// `gnutls-cli --resume` (TLS 1.3 only) reconnects with the ticket of its
/// first connection: it says "This is a resumed session" and the Baton
/// server resumed the second connection.
#[test]
fn gnutls_cli_resumes_with_baton_server() {
    if !have("gnutls-cli", "--version") {
        return;
    }
    let run = gnutls_resume(&ticket_server(|_| {}), &["--priority", TLS13_ONLY], true);
    assert!(
        run.stdout.contains("This is a resumed session"),
        "{}",
        run.stdout
    );
    run.seen[0].assert_full();
    run.seen[1].assert_resumed_dhe();
}

/// gnutls-cli with a priority naming no (EC)DHE-PSK offers psk_ke alone;
/// `+PSK` also makes it offer an external PSK identity, which the server
/// cannot open and skips.
const PSK_KE_ONLY: [&str; 6] = [
    "--priority",
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+PSK",
    "--pskusername",
    "external",
    "--pskkey",
    "00112233445566778899aabbccddeeff",
];

/// psk_ke, allowed: GnuTLS offers only psk_ke, the Baton server resumes
/// without a key exchange, and gnutls-cli says it resumed.
#[test]
fn gnutls_cli_psk_ke_resumes_when_allowed() {
    if !have("gnutls-cli", "--version") {
        return;
    }
    let config = ticket_server(|b| {
        b.allow_psk_ke(true);
    });
    let run = gnutls_resume(&config, &PSK_KE_ONLY, true);
    let seen = &run.seen;
    assert!(!seen[0].resumed && seen[0].cert_sent, "{:?}", seen[0]);
    // The external PSK identity is no ticket of ours.
    assert_eq!(seen[0].refusal, Some(ResumptionRefusal::Malformed));
    assert!(seen[1].resumed && !seen[1].cert_sent, "{:?}", seen[1]);
    assert_eq!(seen[1].refusal, None);
    assert_eq!(seen[1].group, None, "psk_ke has no key exchange");
    assert!(
        run.stdout.contains("This is a resumed session"),
        "{}",
        run.stdout
    );
}

/// psk_ke, not allowed (the default): a client that names only psk_ke gets
/// no ticket at all, so its reconnection is a full handshake that works.
#[test]
fn gnutls_cli_psk_ke_refused_by_default() {
    if !have("gnutls-cli", "--version") {
        return;
    }
    let run = gnutls_resume(&ticket_server(|_| {}), &PSK_KE_ONLY, false);
    for s in &run.seen {
        assert!(!s.resumed && s.cert_sent && s.group.is_some(), "{s:?}");
        assert_eq!(s.refusal, Some(ResumptionRefusal::PskModeRefused));
    }
    assert!(!run.log.contains("NEW SESSION TICKET"), "a ticket was sent");
    assert!(!run.stdout.contains("This is a resumed session"));
}

// ---------------------------------------------------------------- curl

/// Server side of one HTTP/1.1 request: answer with `Connection: close`, so
/// that curl's next URL opens a new connection (and resumes).
fn http_once(conn: &mut Connection) -> Result<Seen, Error> {
    conn.negotiate()?;
    let seen = Seen::of(conn);
    let head = recv_until(conn, |b| b.windows(4).any(|w| w == b"\r\n\r\n"))?;
    let path = String::from_utf8_lossy(&head)
        .split_whitespace()
        .nth(1)
        .unwrap_or("?")
        .to_string();
    let body = format!("body of {path}\n");
    let resp = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    send_all(conn, resp.as_bytes())?;
    conn.shutdown()?;
    Ok(seen)
}

/// curl (OpenSSL 3 backend) fetches two URLs from one Baton server in one
/// run: the second connection says "SSL re-using session ID", gets no
/// Certificate message, and the Baton server resumed it.
#[test]
fn curl_two_urls_resumes_the_second_connection() {
    if !have("curl", "--version") {
        return;
    }
    let config = ticket_server(|b| {
        b.set_alpn_preferences(&["http/1.1"]).unwrap();
    });
    let server = baton_server_n(config, 2, http_once);
    let base = format!("https://localhost:{}", server.port);
    let out = Command::new("curl")
        .args(["-v", "--max-time", "20", "--cacert"])
        .arg(data("ca-ecdsa.pem"))
        .args(["--resolve", &format!("localhost:{}:127.0.0.1", server.port)])
        .arg(format!("{base}/one"))
        .arg(format!("{base}/two"))
        .output()
        .expect("running curl");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let body = String::from_utf8_lossy(&out.stdout).into_owned();
    let seen = all_ok(server.join(TIMEOUT), 2, &err);
    assert!(out.status.success(), "curl: {err}");
    assert_eq!(body, "body of /one\nbody of /two\n", "{err}");
    check_curl_resumed(&err);
    seen[0].assert_full();
    seen[1].assert_resumed_dhe();
}

/// curl -v's words: two connections, the second offered the saved session
/// and got no Certificate (so the server resumed).
pub(crate) fn check_curl_resumed(err: &str) {
    let second = err
        .find("(#1)")
        .unwrap_or_else(|| panic!("curl opened one connection only: {err}"));
    let (first, second) = err.split_at(second);
    assert!(first.contains("Certificate (11)"), "{err}");
    assert!(second.contains("SSL re-using session ID"), "{err}");
    assert!(
        !second.contains("Certificate (11)"),
        "the second connection was a full handshake: {err}"
    );
}
