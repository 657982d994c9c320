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

/// A store in memory standing in for a shared one that outlives this
/// server (an in-memory store refuses 0-RTT for the window after it starts).
struct Outlives(baton::early::MemoryAntiReplay);

impl baton::early::AntiReplayStore for Outlives {
    fn claim(&self, key: &[u8], ttl: std::time::Duration) -> baton::early::Claim {
        self.0.claim(key, ttl)
    }

    fn remembers_since(&self) -> Option<std::time::SystemTime> {
        None
    }
}

/// 0-RTT with an external PSK, Baton to Baton: both ends set the PSK up for
/// early data (size, suite, ALPN); the server's callback (required for an
/// external PSK: no ticket age to judge freshness by) accepts; the client's
/// early bytes are read by `recv_early_data`. The same PSK with another
/// ALPN protocol negotiated is refused.
#[test]
fn early_data_with_an_external_psk() {
    use baton::early::{EarlyDataDecision, EarlyDataStatus, MemoryAntiReplay};
    const EARLY_MSG: &[u8] = b"GET /psk HTTP/1.1\r\n\r\n";
    let psk = |alpn: &[u8]| {
        let mut p = psk();
        p.set_early_data(1024, baton::CipherSuite::TLS13_AES_128_GCM_SHA256)
            .unwrap();
        p.set_application_protocol(alpn).unwrap();
        p
    };
    let run = |server_alpn: &'static str| {
        let mut s = Config::builder();
        s.add_psk(psk(b"h2"));
        s.set_alpn_preferences(&[server_alpn]).unwrap();
        s.set_max_early_data_size(4096).unwrap();
        s.set_anti_replay(
            std::sync::Arc::new(Outlives(MemoryAntiReplay::new(64))),
            baton::early::AntiReplayMode::RecordClientHellos {
                window: std::time::Duration::from_secs(10),
            },
        );
        s.set_early_data_callback(|offer| {
            assert!(!offer.is_resumption());
            assert_eq!(offer.identity(), ID.as_bytes());
            EarlyDataDecision::Accept
        });
        let server = baton_server(s.build().unwrap(), |conn: &mut Connection| {
            let mut early = Vec::new();
            let mut buf = [0u8; 256];
            loop {
                let n = conn.recv_early_data(&mut buf)?;
                if n == 0 {
                    break;
                }
                early.extend_from_slice(&buf[..n]);
            }
            conn.negotiate()?;
            send_all(conn, b"ok\n")?;
            let _ = conn.shutdown();
            Ok((early, conn.early_data_status()))
        });
        let mut c = Config::builder();
        c.add_psk(psk(b"h2"));
        c.set_alpn_preferences(&["h2", "http/1.1"]).unwrap();
        let mut conn = Connection::new_client(&c.build().unwrap());
        conn.set_io(tcp_connect(server.port));
        assert_eq!(conn.send_early_data(EARLY_MSG).unwrap(), EARLY_MSG.len());
        conn.negotiate().unwrap();
        assert_eq!(conn.negotiated_psk_identity(), Some(ID.as_bytes()));
        assert_eq!(recv_exact(&mut conn, 3).unwrap(), b"ok\n");
        let status = conn.early_data_status();
        let _ = conn.shutdown();
        let (early, server_status) = server.join(TIMEOUT).unwrap();
        assert_eq!(status, server_status);
        (status, early)
    };
    let (status, early) = run("h2");
    assert_eq!(status, EarlyDataStatus::Accepted);
    assert_eq!(early, EARLY_MSG);
    let (status, early) = run("http/1.1");
    assert_eq!(status, EarlyDataStatus::Rejected);
    assert!(early.is_empty());
}
