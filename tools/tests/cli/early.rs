//! `baton serve --early-data` against `openssl s_client -sess_in -early_data`:
//! a GET sent as 0-RTT is answered, a POST sent as 0-RTT gets 425 Too Early
//! (RFC 8470), both answered before the client's Finished (0.5-RTT), and a
//! ticket carries 0-RTT once. In tools/ktls-vm (the name
//! has `ktls`) the connections that accepted early data hand their keys to
//! kernel TLS afterwards, at the record boundary after the client's Finished,
//! and the responses come through the kernel.

use super::*;

/// One `s_client` run: `early` sent as early data (`-early_data`), `stdin`
/// after the handshake; a ticket read from `sess_in` if given, the new one
/// written to `sess_out`.
fn s_client_run(
    port: u16,
    dir: &std::path::Path,
    sess_in: Option<&str>,
    sess_out: &str,
    early: Option<&str>,
    stdin: &str,
) -> String {
    let mut args = vec![
        "-tls1_3".to_string(),
        "-servername".into(),
        "localhost".into(),
        "-ign_eof".into(),
        "-sess_out".into(),
        sess_out.into(),
    ];
    if let Some(s) = sess_in {
        args.extend(["-sess_in".into(), s.into()]);
    }
    if let Some(request) = early {
        let name = std::path::Path::new(sess_out).file_name().unwrap();
        let file = dir.join(format!("{}.early", name.to_str().unwrap()));
        std::fs::write(&file, request).unwrap();
        args.extend(["-early_data".into(), file.to_str().unwrap().into()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut cli = s_client(port, &args);
    cli.write_stdin(stdin.as_bytes());
    cli.close_stdin();
    let out = cli.wait(TIMEOUT);
    String::from_utf8_lossy(&out.stdout).into_owned() + &out.stderr
}

#[test]
fn serve_ktls_early_data_get_answered_post_425() {
    if !openssl_available("serve_ktls_early_data_get_answered_post_425") {
        return;
    }
    let dir = scratch_dir().join("serve-early");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a"), "file a\n").unwrap();
    let dir = std::fs::canonicalize(dir).unwrap();
    let before = baton_ktls::tls_stat();
    let server = baton(&[
        "serve",
        dir.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--workers",
        "1",
        "--early-data",
        // Single-use tickets in memory: usable for 0-RTT from the first
        // ticket the server issues a whole second after its start.
        "--anti-replay-mode",
        "tickets",
    ]);
    let url = line_after(&server, &format!("serving {} at ", dir.display()), false);
    let port: u16 = url
        .trim_start_matches("https://127.0.0.1:")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let work = scratch_dir().join(format!("serve-early-{port}"));
    std::fs::create_dir_all(&work).unwrap();
    let sess = |n: u32| work.join(format!("s{n}.pem")).to_str().unwrap().to_string();
    let get = "GET /a HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    let get_keep = "GET /a HTTP/1.1\r\nHost: localhost\r\n\r\n";
    let post =
        "POST /a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

    // A ticket, then a GET as 0-RTT with it (and a new ticket).
    let out = s_client_run(port, &work, None, &sess(1), None, get);
    assert!(out.contains("file a"), "{out}");
    // The early GET is answered before the client's Finished (0.5-RTT,
    // sealed in userspace); the GET after the handshake then goes through
    // kernel TLS where there is one, with the record numbers after it.
    let out = s_client_run(port, &work, Some(&sess(1)), &sess(2), Some(get_keep), get);
    assert!(out.contains("Early data was accepted"), "{out}");
    assert_eq!(out.matches("HTTP/1.1 200 OK").count(), 2, "{out}");
    assert_eq!(out.matches("file a").count(), 2, "{out}");
    // A POST as 0-RTT: accepted at the TLS layer, refused by HTTP.
    let out = s_client_run(port, &work, Some(&sess(2)), &sess(3), Some(post), "");
    assert!(out.contains("Early data was accepted"), "{out}");
    assert!(out.contains("HTTP/1.1 425 Too Early"), "{out}");
    // The first ticket again: single-use, so 0-RTT is refused (nothing is
    // answered from it) and the request goes again after the handshake.
    let out = s_client_run(port, &work, Some(&sess(1)), &sess(4), Some(post), get);
    assert!(out.contains("Early data was rejected"), "{out}");
    assert!(
        out.contains("HTTP/1.1 200 OK") && !out.contains("HTTP/1.1 425"),
        "{out}"
    );

    std::process::Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    let done = server.wait(TIMEOUT);
    assert!(done.status.success(), "{}", done.stderr);
    let early = workers_total(&done.stderr, "early_data");
    assert_eq!(early, 2, "{}", done.stderr);
    let half_rtt = workers_total(&done.stderr, "half_rtt");
    assert_eq!(
        half_rtt, 2,
        "early requests answered at 0.5-RTT: {}",
        done.stderr
    );
    assert!(
        done.stderr.contains("GET /a 200 7 early"),
        "{}",
        done.stderr
    );
    assert!(done.stderr.contains("POST /a 425"), "{}", done.stderr);
    if baton_ktls::probe().available() {
        let after = baton_ktls::tls_stat().unwrap();
        let b = before.unwrap();
        assert!(after["TlsTxSw"] - b["TlsTxSw"] >= 4, "{after:?}");
        assert!(after["TlsRxSw"] - b["TlsRxSw"] >= 4, "{after:?}");
        assert_eq!(after["TlsDecryptError"], b["TlsDecryptError"]);
    }
    let _ = std::fs::remove_dir_all(&work);
}
