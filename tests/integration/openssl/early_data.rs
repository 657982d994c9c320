//! 0-RTT that a Baton server does not accept: `openssl s_client` holding a
//! ticket from `openssl s_server` for the same name sends early data to a
//! Baton server, which must skip it (RFC 8446 §4.2.10) and finish an ordinary
//! handshake.

use super::*;
use crate::require_openssl;

/// Runs `s_client` against `s_server -early_data` until it saved a ticket
/// that allows early data in `sess`.
fn ticket_with_early_data(sess: &std::path::Path) {
    let srv = s_server_with(
        ECDSA,
        &["-tls1_3", "-early_data", "-naccept", "1", "-quiet"],
    );
    let args = verifying_args(&[
        "-servername",
        "localhost",
        "-sess_out",
        sess.to_str().unwrap(),
        "-ign_eof",
    ]);
    let mut cli = s_client(srv.port, &refs(&args));
    // Data through the server proves the handshake is done; the ticket
    // follows the server's part of it (OpenSSL sends it after the client's Finished).
    cli.write_stdin(b"for a ticket\n");
    srv.proc
        .wait_for_stdout(TIMEOUT, |out| out.ends_with(b"for a ticket\n"));
    let deadline = std::time::Instant::now() + TIMEOUT;
    while !std::fs::read_to_string(sess).is_ok_and(|s| s.contains("END SSL SESSION PARAMETERS")) {
        assert!(
            std::time::Instant::now() < deadline,
            "s_client saved no session; stderr: {}",
            cli.stderr_now()
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    drop(cli);
    let text = std::process::Command::new("openssl")
        .args(["sess_id", "-noout", "-text", "-in", sess.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("Max Early Data: 16384"),
        "the ticket allows no early data:\n{text}"
    );
}

/// Without and with a HelloRetryRequest (s_client's first key share is
/// X448, which Baton lacks): the 0-RTT is skipped by trial decryption, or by
/// its outer type until the second ClientHello.
#[test]
fn rejected_early_data_is_skipped_by_a_baton_server() {
    require_openssl!();
    let dir = scratch_dir();
    let sess = dir.join(format!("early-data-{}.sess", free_port()));
    ticket_with_early_data(&sess);
    let early = dir.join(format!("early-data-{}.txt", free_port()));
    std::fs::write(&early, b"0-RTT that the server never sees\n".repeat(100)).unwrap();
    for groups in ["x25519", "x448:x25519"] {
        early_data_to_baton(&sess, &early, groups);
    }
}

fn early_data_to_baton(sess: &std::path::Path, early: &std::path::Path, groups: &str) {
    const MSG: &[u8] = b"after the handshake\n";
    let server = baton_server(server_config(ECDSA.chain, ECDSA.key), |conn| {
        conn.negotiate()?;
        let retried = conn.used_hello_retry();
        let data = recv_exact(conn, MSG.len())?;
        send_all(conn, &data)?;
        conn.shutdown()?;
        Ok((data, retried))
    });
    let args = verifying_args(&[
        "-servername",
        "localhost",
        "-groups",
        groups,
        "-sess_in",
        sess.to_str().unwrap(),
        "-early_data",
        early.to_str().unwrap(),
        "-ign_eof",
    ]);
    let mut cli = s_client(server.port, &refs(&args));
    cli.write_stdin(MSG);
    let out = cli.wait(TIMEOUT);
    let (got, retried) = server.join(TIMEOUT).unwrap_or_else(|e| {
        panic!(
            "Baton server failed ({groups}): {e}\nopenssl s_client stdout: {}\nstderr: {}",
            out.stdout_str(),
            out.stderr
        )
    });
    assert_eq!(got, MSG);
    assert_eq!(retried, groups.starts_with("x448"));
    let stdout = out.stdout_str();
    assert!(
        stdout.contains("Early data was rejected"),
        "s_client did not send early data ({groups}):\n{stdout}\n{}",
        out.stderr
    );
    assert!(stdout.contains("after the handshake"), "{stdout}");
}
