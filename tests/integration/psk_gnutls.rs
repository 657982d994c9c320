//! TLS 1.3 external PSKs against GnuTLS (3.7 in Debian 12), both ways, on
//! 127.0.0.1: `gnutls-cli --pskusername --pskkey` against a Baton server
//! that has no certificate, and the Baton client against `gnutls-serv
//! --pskpasswd`; a wrong key on either side, and psk_ke (no key exchange).
//!
//! GnuTLS names the TLS 1.3 PSK modes by key exchange in its priority
//! string: `+ECDHE-PSK`/`+DHE-PSK` is psk_dhe_ke, `+PSK` is psk_ke; `-KX-ALL:+PSK`
//! leaves psk_ke alone. Like `openssl -psk`, `--pskkey` binds its key to
//! SHA-256, so these tests use SHA-256 PSKs.

use crate::gnutls::gnutls_available;
use crate::util::*;
use baton::{AlertDescription, Config, Connection, ErrorKind, ExternalPsk, NamedGroup, PskHash};
use std::process::Command;

const ID: &str = "gnutls-edge-3";
const KEY: &str = "8899aabbccddeeff00112233445566778899aabbccddeeff0011223344556677";
const WRONG: &str = "8899aabbccddeeff00112233445566778899aabbccddeeff0011223344556600";
const MSG: &[u8] = b"psk through gnutls\n";

/// psk_dhe_ke only (ECDHE or DHE with the PSK).
const PRIO_DHE: &str = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+PSK:+DHE-PSK:+ECDHE-PSK";
/// psk_ke only: no key exchange at all.
const PRIO_PSK_KE: &str = "NORMAL:-VERS-ALL:+VERS-TLS1.3:-KX-ALL:+PSK";

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn psk(key: &str) -> ExternalPsk {
    ExternalPsk::new(ID.as_bytes(), &unhex(key), PskHash::Sha256).unwrap()
}

/// What a Baton server made of one connection.
#[derive(Debug)]
struct ServerSeen {
    identity: Option<Vec<u8>>,
    group: Option<NamedGroup>,
    sent_cert: bool,
}

/// A failed handshake, typed: kind, alert sent, message.
type Failed = (ErrorKind, Option<AlertDescription>, String);

/// A Baton echo server (one connection) with `config`; the handshake's
/// failure is returned typed rather than as the helper's string.
fn echo_server(config: Config) -> BatonServer<Result<ServerSeen, Failed>> {
    baton_server(config, |conn: &mut Connection| {
        if let Err(e) = conn.negotiate() {
            return Ok(Err((e.kind(), e.sent_alert(), e.to_string())));
        }
        let got = recv_exact(conn, MSG.len())?;
        send_all(conn, &got)?;
        let seen = ServerSeen {
            identity: conn.negotiated_psk_identity().map(<[u8]>::to_vec),
            group: conn.kx_group(),
            sent_cert: conn.selected_cert().is_some(),
        };
        conn.shutdown()?;
        Ok(Ok(seen))
    })
}

fn psk_server_config(psk_ke: bool) -> Config {
    let mut b = Config::builder_minimal();
    b.add_psk(psk(KEY)).allow_psk_ke(psk_ke);
    b.build().unwrap()
}

/// `gnutls-cli` with the PSK (`key`) and `prio` against `server`: its
/// output, and the server's outcome. `MSG` is written only when the
/// handshake is expected to work (gnutls-cli may be gone otherwise).
fn gnutls_cli(
    server: BatonServer<Result<ServerSeen, Failed>>,
    key: &str,
    prio: &str,
    works: bool,
) -> (Output, Result<ServerSeen, Failed>) {
    let mut cli = Proc::spawn(
        "gnutls-cli",
        Command::new("gnutls-cli").args([
            "--pskusername",
            ID,
            "--pskkey",
            key,
            "--priority",
            prio,
            "--port",
            &server.port.to_string(),
            "127.0.0.1",
        ]),
    );
    if works {
        cli.write_stdin(MSG);
        // Wait for the echo: gnutls-cli ends the connection at stdin EOF.
        cli.wait_for_stdout(TIMEOUT, |out| out.ends_with(MSG));
    }
    cli.close_stdin();
    let out = cli.wait(TIMEOUT);
    let seen = server
        .join(TIMEOUT)
        .unwrap_or_else(|e| panic!("Baton server: {e}\ngnutls-cli: {}", out.stderr));
    (out, seen)
}

fn gnutls_text(out: &Output) -> String {
    format!("{}{}", out.stdout_str(), out.stderr)
}

/// gnutls-cli offering the PSK with (EC)DHE to a Baton server that has the
/// PSK and no certificate: psk_dhe_ke, the identity, the echo.
#[test]
fn gnutls_cli_psk_to_a_baton_server_without_certificate() {
    if !gnutls_available() {
        return;
    }
    let (out, seen) = gnutls_cli(echo_server(psk_server_config(false)), KEY, PRIO_DHE, true);
    let text = gnutls_text(&out);
    let seen = seen.unwrap_or_else(|e| panic!("{e:?}\n{text}"));
    assert_eq!(seen.identity.as_deref(), Some(ID.as_bytes()), "{text}");
    assert!(seen.group.is_some(), "psk_dhe_ke has a group");
    assert!(!seen.sent_cert);
    assert!(
        text.contains(&format!("PSK authentication. Connected as '{ID}'")),
        "{text}"
    );
}

/// gnutls-cli with another key under the same identity: the binder does
/// not verify, the Baton server sends decrypt_error (RFC 8446 §4.2.11) and
/// returns a typed protocol error; GnuTLS reports the alert.
#[test]
fn gnutls_cli_with_a_wrong_key_gets_decrypt_error() {
    if !gnutls_available() {
        return;
    }
    let (out, seen) = gnutls_cli(
        echo_server(psk_server_config(false)),
        WRONG,
        PRIO_DHE,
        false,
    );
    let (kind, sent, msg) = seen.expect_err("a wrong key must fail");
    assert_eq!(kind, ErrorKind::Protocol, "{msg}");
    assert_eq!(sent, Some(AlertDescription::DECRYPT_ERROR), "{msg}");
    assert!(msg.contains("binder"), "{msg}");
    let text = gnutls_text(&out);
    assert!(
        text.contains("Received alert [51]: Decrypt error"),
        "{text}"
    );
}

/// gnutls-cli offering only psk_ke (`-KX-ALL:+PSK`: no key_share). With
/// `allow_psk_ke(true)` the Baton server takes it: no key exchange at all
/// (`kx_group()` is None). Without it the server may not use the PSK in a
/// mode the client did not offer (RFC 8446 §4.2.9), so it goes on without
/// the PSK, and with no certificate it fails with handshake_failure.
#[test]
fn gnutls_cli_psk_ke_only() {
    if !gnutls_available() {
        return;
    }
    let (out, seen) = gnutls_cli(echo_server(psk_server_config(true)), KEY, PRIO_PSK_KE, true);
    let text = gnutls_text(&out);
    let seen = seen.unwrap_or_else(|e| panic!("{e:?}\n{text}"));
    assert_eq!(seen.identity.as_deref(), Some(ID.as_bytes()), "{text}");
    assert_eq!(seen.group, None, "psk_ke has no key exchange");
    assert!(text.contains("Connected as"), "{text}");

    let (out, seen) = gnutls_cli(
        echo_server(psk_server_config(false)),
        KEY,
        PRIO_PSK_KE,
        false,
    );
    let (_, sent, msg) = seen.expect_err("psk_ke not allowed and no certificate");
    assert_eq!(sent, Some(AlertDescription::HANDSHAKE_FAILURE), "{msg}");
    assert!(msg.contains("no certificate"), "{msg}");
    let text = gnutls_text(&out);
    assert!(text.contains("Received alert [40]"), "{text}");
}

/// Starts `gnutls-serv --echo --pskpasswd` (`username:hexkey`, holding
/// `key` for `ID`) with no certificate and `prio`; returns its port and
/// the process (killed on drop). gnutls-serv has no option to bind one
/// address: it listens on all of them, and the test connects to 127.0.0.1.
fn gnutls_serv_psk(key: &str, prio: &str) -> (u16, Proc) {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let passwd = scratch_dir().join(format!("gnutls-psk-{n}.passwd"));
    std::fs::write(&passwd, format!("{ID}:{key}\n")).unwrap();
    let port = free_port();
    let mut proc = Proc::spawn(
        "gnutls-serv",
        Command::new("gnutls-serv")
            .args(["--echo", "-q", "--pskpasswd"])
            .arg(&passwd)
            .args(["--priority", prio, "--port", &port.to_string()]),
    );
    let deadline = std::time::Instant::now() + LISTEN_TIMEOUT;
    while !is_listening(port) {
        assert!(proc.running(), "gnutls-serv exited: {}", proc.stderr_now());
        assert!(
            std::time::Instant::now() < deadline,
            "gnutls-serv did not listen: {}",
            proc.stderr_now()
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    (port, proc)
}

/// A Baton client holding the PSK (`key`), psk_ke allowed or not, against
/// `port`; no trust anchors, so only a PSK handshake can succeed.
fn baton_psk_client(port: u16, key: &str, psk_ke: bool) -> Result<Connection, baton::Error> {
    let mut b = Config::builder_minimal();
    b.add_psk(psk(key)).allow_psk_ke(psk_ke);
    baton_client(&b.build().unwrap(), port, |_| {})
}

fn echo_through(conn: &mut Connection) {
    send_all(conn, MSG).unwrap();
    assert_eq!(recv_exact(conn, MSG.len()).unwrap(), MSG);
    conn.shutdown().unwrap();
}

/// The Baton client against gnutls-serv with the PSK and no certificate:
/// psk_dhe_ke, the identity, data both ways.
#[test]
fn baton_client_psk_to_gnutls_serv() {
    if !gnutls_available() {
        return;
    }
    let (port, proc) = gnutls_serv_psk(KEY, PRIO_DHE);
    let mut conn = baton_psk_client(port, KEY, false)
        .unwrap_or_else(|e| panic!("{e:?}\ngnutls-serv: {}", proc.stderr_now()));
    assert_eq!(conn.negotiated_psk_identity(), Some(ID.as_bytes()));
    assert!(conn.kx_group().is_some());
    assert!(conn.peer_cert_chain().is_empty());
    echo_through(&mut conn);
}

/// A wrong key: GnuTLS 3.7 answers a binder that does not verify with
/// illegal_parameter (RFC 8446 §4.2.11 names decrypt_error; OpenSSL 3.0
/// sends illegal_parameter too), and so does it for an identity it does not
/// hold. The Baton client reports the peer's alert as a typed error.
#[test]
fn baton_client_with_a_wrong_key_gets_gnutls_illegal_parameter() {
    if !gnutls_available() {
        return;
    }
    let (port, proc) = gnutls_serv_psk(WRONG, PRIO_DHE);
    let err = baton_psk_client(port, KEY, false).expect_err("a wrong key");
    assert_eq!(
        err.kind(),
        ErrorKind::Alert(AlertDescription::ILLEGAL_PARAMETER),
        "{err:?}\ngnutls-serv: {}",
        proc.stderr_now()
    );
    assert_eq!(err.sent_alert(), None, "the client found nothing wrong");
    // gnutls-serv goes on serving after a failed handshake.
    let mut b = Config::builder_minimal();
    b.add_psk(ExternalPsk::new(b"someone-else", &unhex(KEY), PskHash::Sha256).unwrap());
    let err = baton_client(&b.build().unwrap(), port, |_| {}).expect_err("an unknown identity");
    assert_eq!(
        err.received_alert(),
        Some(AlertDescription::ILLEGAL_PARAMETER),
        "{err:?}"
    );
}

/// gnutls-serv allowing only psk_ke, and a Baton client that allows it (it
/// offers psk_dhe_ke then psk_ke): GnuTLS picks psk_ke, so the handshake
/// has no key exchange. A client that does not allow psk_ke offers only
/// psk_dhe_ke, which this server refuses with handshake_failure.
#[test]
fn baton_client_psk_ke_against_gnutls_serv() {
    if !gnutls_available() {
        return;
    }
    let (port, proc) = gnutls_serv_psk(KEY, PRIO_PSK_KE);
    let mut conn = baton_psk_client(port, KEY, true)
        .unwrap_or_else(|e| panic!("{e:?}\ngnutls-serv: {}", proc.stderr_now()));
    assert_eq!(conn.negotiated_psk_identity(), Some(ID.as_bytes()));
    assert_eq!(conn.kx_group(), None, "psk_ke");
    echo_through(&mut conn);

    let err = baton_psk_client(port, KEY, false).expect_err("no common PSK mode");
    assert_eq!(
        err.received_alert(),
        Some(AlertDescription::HANDSHAKE_FAILURE),
        "{err:?}"
    );
}
