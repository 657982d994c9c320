//! External PSKs (TLS 1.3) on a Baton server against `openssl s_client
//! -psk`: a server with no certificate at all, a wrong secret, and a
//! selection callback that declines (a certificate handshake instead).

use crate::require_openssl;
use crate::util::*;
use baton::psk::OfferedPsks;
use baton::{Config, Connection, Error, ExternalPsk, PskHash};

const MSG: &[u8] = b"hello over an external psk\n";
const ID: &str = "edge-client-7";
const SECRET_HEX: &str = "00112233445566778899aabbccddeeff0123456789abcdef0123456789abcdef";

fn secret() -> Vec<u8> {
    (0..SECRET_HEX.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&SECRET_HEX[i..i + 2], 16).unwrap())
        .collect()
}

fn psk() -> ExternalPsk {
    ExternalPsk::new(ID.as_bytes(), &secret(), PskHash::Sha256).unwrap()
}

/// The server's view of one connection: the PSK identity used, whether it
/// resumed, and whether it sent a certificate.
type Seen = (Option<Vec<u8>>, bool, bool);

fn echo(conn: &mut Connection) -> Result<Seen, Error> {
    conn.negotiate()?;
    let got = recv_exact(conn, MSG.len())?;
    send_all(conn, &got)?;
    let seen = (
        conn.negotiated_psk_identity().map(<[u8]>::to_vec),
        conn.is_resumed(),
        conn.selected_cert().is_some(),
    );
    conn.shutdown()?;
    Ok(seen)
}

/// `openssl s_client -tls1_3 -psk ... -psk_identity ID` with `extra`
/// arguments: its output, and the Baton server's result.
fn s_client_psk(config: Config, psk_hex: &str, extra: &[&str]) -> (String, Result<Seen, String>) {
    let server = baton_server(config, echo);
    let mut args = vec!["-tls1_3", "-psk", psk_hex, "-psk_identity", ID, "-ign_eof"];
    args.extend_from_slice(extra);
    let mut cli = s_client(server.port, &args);
    cli.write_stdin(MSG);
    cli.close_stdin();
    let out = cli.wait(TIMEOUT);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned() + &out.stderr;
    (stdout, server.join(TIMEOUT))
}

/// A server with a PSK and no certificate: the handshake uses the PSK
/// (no certificate could be sent), data flows, and it is no resumption.
#[test]
fn s_client_psk_to_a_server_without_certificate() {
    require_openssl!();
    let mut b = Config::builder();
    b.add_psk(psk());
    let (out, seen) = s_client_psk(b.build().unwrap(), SECRET_HEX, &[]);
    let seen = seen.unwrap_or_else(|e| panic!("Baton server: {e}\n{out}"));
    assert_eq!(seen, (Some(ID.as_bytes().to_vec()), false, false), "{out}");
    assert!(
        out.contains(std::str::from_utf8(MSG).unwrap()),
        "no echo:\n{out}"
    );
}

/// The same identity with another secret: the binder does not verify, the
/// server fails with decrypt_error (RFC 8446 §4.2.11) and a typed error.
#[test]
fn s_client_with_a_wrong_secret_gets_decrypt_error() {
    require_openssl!();
    let mut b = Config::builder();
    b.add_psk(psk());
    let wrong = "ff".repeat(32);
    let (out, seen) = s_client_psk(b.build().unwrap(), &wrong, &[]);
    let err = seen.expect_err("the handshake must fail");
    assert!(err.contains("binder"), "{err}\n{out}");
    assert!(
        err.contains("alert: decrypt_error"),
        "the alert sent: {err}"
    );
    assert!(
        out.contains("decrypt error"),
        "s_client should report the decrypt_error alert:\n{out}"
    );
}

/// A selection callback that sees the offered identity and declines: the
/// server does a certificate handshake instead, which s_client verifies.
#[test]
fn a_declining_selection_callback_falls_back_to_the_certificate() {
    require_openssl!();
    let mut b = Config::builder();
    b.add_cert_chain_and_key(
        baton::CertChainAndKey::from_pem_files(
            data("server-p256-chain.pem"),
            data("server-p256.key"),
        )
        .unwrap(),
    );
    b.add_psk(psk());
    b.set_psk_selection_callback(|offered: &OfferedPsks<'_>| {
        assert_eq!(offered.identities().collect::<Vec<_>>(), [ID.as_bytes()]);
        None
    });
    let ca = all_cas_file().to_str().unwrap().to_string();
    let (out, seen) = s_client_psk(
        b.build().unwrap(),
        SECRET_HEX,
        &[
            "-CAfile",
            &ca,
            "-verify_return_error",
            "-servername",
            "localhost",
        ],
    );
    let seen = seen.unwrap_or_else(|e| panic!("Baton server: {e}\n{out}"));
    assert_eq!(seen, (None, false, true), "{out}");
    assert!(out.contains("Verify return code: 0 (ok)"), "{out}");
}

/// A selection callback that picks the offered identity of a PSK added to
/// the connection (not the config).
#[test]
fn a_connection_psk_chosen_by_the_callback() {
    require_openssl!();
    let mut b = Config::builder();
    b.set_psk_selection_callback(|offered: &OfferedPsks<'_>| {
        offered.identities().position(|id| id == ID.as_bytes())
    });
    let server = baton_server(b.build().unwrap(), |conn: &mut Connection| {
        conn.add_psk(psk())?;
        echo(conn)
    });
    let mut cli = s_client(
        server.port,
        &[
            "-tls1_3",
            "-psk",
            SECRET_HEX,
            "-psk_identity",
            ID,
            "-ign_eof",
        ],
    );
    cli.write_stdin(MSG);
    cli.close_stdin();
    let out = cli.wait(TIMEOUT);
    let seen = server
        .join(TIMEOUT)
        .unwrap_or_else(|e| panic!("Baton server: {e}\n{}", out.stderr));
    assert_eq!(seen.0.as_deref(), Some(ID.as_bytes()));
}

/// Baton to Baton with a SHA-384 PSK and no certificate anywhere: the
/// server picks TLS_AES_256_GCM_SHA384 for the PSK's hash, both ends name
/// the identity, and neither calls it a resumption.
#[test]
fn baton_client_and_server_with_a_sha384_psk() {
    let psk384 = ExternalPsk::new(ID.as_bytes(), &secret(), PskHash::Sha384).unwrap();
    let mut s = Config::builder();
    s.add_psk(psk384.clone());
    let server = baton_server(s.build().unwrap(), echo);
    let mut c = Config::builder();
    c.add_psk(psk384);
    let mut conn = baton_client(&c.build().unwrap(), server.port, |_| {}).unwrap();
    assert_eq!(conn.negotiated_psk_identity(), Some(ID.as_bytes()));
    assert_eq!(
        conn.cipher_suite(),
        Some(baton::CipherSuite::TLS13_AES_256_GCM_SHA384)
    );
    assert!(!conn.is_resumed());
    send_all(&mut conn, MSG).unwrap();
    assert_eq!(recv_exact(&mut conn, MSG.len()).unwrap(), MSG);
    conn.shutdown().unwrap();
    let seen = server.join(TIMEOUT).unwrap();
    assert_eq!(seen, (Some(ID.as_bytes().to_vec()), false, false));
}
