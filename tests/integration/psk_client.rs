//! The Baton client with TLS 1.3 external PSKs against `openssl s_server
//! -psk` (OpenSSL 3.0) on 127.0.0.1: the PSK handshake without certificates,
//! the identity negotiated, a wrong secret, psk_ke, a SHA-384 PSK, and the
//! certificate handshake when the server holds none of the offered PSKs.

use crate::require_openssl;
use crate::util::*;
use baton::{AlertDescription, Config, Connection, ExternalPsk, PskHash};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

const ID: &str = "baton-client-7";
const SECRET_HEX: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn psk(id: &str, secret_hex: &str, hash: PskHash) -> ExternalPsk {
    ExternalPsk::new(id.as_bytes(), &unhex(secret_hex), hash).unwrap()
}

/// A client config with `psks` and no trust anchors: a PSK handshake needs
/// none, and a certificate handshake with it fails verification.
fn psk_config(psks: &[ExternalPsk], psk_ke: bool) -> Config {
    let mut b = Config::builder_minimal();
    b.allow_psk_ke(psk_ke);
    for p in psks {
        b.add_psk(p.clone());
    }
    b.build().unwrap()
}

/// `openssl s_server -tls1_3 -rev` with `args`, and no certificate unless
/// `args` gives one.
fn server(args: &[&str]) -> SServer {
    let mut all = vec!["-tls1_3", "-rev"];
    all.extend_from_slice(args);
    s_server(&all)
}

fn psk_server(extra: &[&str]) -> SServer {
    let mut args = vec!["-nocert", "-psk", SECRET_HEX, "-psk_identity", ID];
    args.extend_from_slice(extra);
    server(&args)
}

/// Connects a Baton client with `config` (plus `setup`) to `srv`.
fn connect(
    srv: &SServer,
    config: &Config,
    setup: impl FnOnce(&mut Connection),
) -> Result<Connection, baton::Error> {
    baton_client(config, srv.port, |c| {
        c.set_server_name("localhost").unwrap();
        setup(c);
    })
}

fn connect_ok(srv: &SServer, config: &Config, setup: impl FnOnce(&mut Connection)) -> Connection {
    connect(srv, config, setup).unwrap_or_else(|e| {
        panic!(
            "Baton client handshake failed: {e} [{e:?}]\nopenssl s_server stderr: {}",
            srv.proc.stderr_now()
        )
    })
}

/// A line to `s_server -rev` and its reversal back: data both ways.
fn rev_roundtrip(conn: &mut Connection, line: &str) {
    send_all(conn, format!("{line}\n").as_bytes()).unwrap();
    let back = recv_until(conn, |b| b.ends_with(b"\n")).unwrap();
    let expected: String = line.chars().rev().collect::<String>() + "\n";
    assert_eq!(String::from_utf8_lossy(&back), expected);
}

fn assert_psk_handshake(conn: &Connection, id: &str) {
    assert_eq!(conn.negotiated_psk_identity(), Some(id.as_bytes()));
    assert!(!conn.is_resumed(), "an external PSK is no resumption");
    assert_eq!(
        conn.actual_protocol_version(),
        Some(baton::ProtocolVersion::TLSV1_3)
    );
}

#[test]
fn sha256_psk_from_the_config_against_openssl() {
    require_openssl!();
    let srv = psk_server(&[]);
    let config = psk_config(&[psk(ID, SECRET_HEX, PskHash::Sha256)], false);
    let mut conn = connect_ok(&srv, &config, |_| {});
    assert_psk_handshake(&conn, ID);
    // psk_dhe_ke: a key exchange happened.
    assert!(conn.kx_group().is_some());
    rev_roundtrip(&mut conn, "external psk, both ways");
}

/// The server's PSK second among three offered (one from the config, two
/// on the connection): OpenSSL selects index 1 and the client maps it back.
#[test]
fn the_server_picks_the_second_of_several_offered_psks() {
    require_openssl!();
    let srv = psk_server(&[]);
    let other = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
    let config = psk_config(&[psk("unknown-1", other, PskHash::Sha256)], false);
    let mut conn = connect_ok(&srv, &config, |c| {
        c.add_psk(psk(ID, SECRET_HEX, PskHash::Sha256)).unwrap();
        c.add_psk(psk("unknown-2", other, PskHash::Sha256)).unwrap();
    });
    assert_psk_handshake(&conn, ID);
    rev_roundtrip(&mut conn, "second of three");
}

/// A HelloRetryRequest (the server wants P-384, which the first hello has
/// no share for): the second hello offers the PSK again with its binder over
/// the new transcript, and OpenSSL accepts it.
#[test]
fn the_psk_survives_a_hello_retry_request() {
    require_openssl!();
    let srv = psk_server(&["-groups", "P-384"]);
    let config = psk_config(&[psk(ID, SECRET_HEX, PskHash::Sha256)], false);
    let mut conn = connect_ok(&srv, &config, |_| {});
    assert!(conn.used_hello_retry());
    assert_eq!(conn.kx_group(), Some(baton::NamedGroup::SECP384R1));
    assert_psk_handshake(&conn, ID);
    rev_roundtrip(&mut conn, "after a retry");
}

/// A wrong secret: OpenSSL's binder check fails ("binder does not verify").
/// RFC 8446 §6.2 names decrypt_error for a binder that does not validate;
/// OpenSSL 3.0 sends illegal_parameter. The client reports the peer's
/// alert as a typed error either way.
#[test]
fn a_wrong_secret_fails_with_the_servers_alert() {
    require_openssl!();
    let srv = psk_server(&[]);
    let wrong = "00112233445566778899aabbccddeeff00112233445566778899aabbccddee00";
    let config = psk_config(&[psk(ID, wrong, PskHash::Sha256)], false);
    let err = connect(&srv, &config, |_| {}).expect_err("handshake with a wrong PSK");
    assert!(
        matches!(
            err.received_alert(),
            Some(AlertDescription::ILLEGAL_PARAMETER | AlertDescription::DECRYPT_ERROR)
        ),
        "{err} [{err:?}]"
    );
    assert!(matches!(err.kind(), baton::ErrorKind::Alert(_)), "{err:?}");
    assert_eq!(err.sent_alert(), None, "the client found nothing wrong");
}

/// `-allow_no_dhe_kex` and a client that allows psk_ke (offering psk_dhe_ke
/// then psk_ke): OpenSSL 3.0 still uses psk_dhe_ke, because it takes psk_ke
/// only from a client that names psk_ke alone. The handshake works either
/// way; the key exchange shows which mode was used.
#[test]
fn psk_ke_allowed_on_both_ends_openssl_still_uses_psk_dhe_ke() {
    require_openssl!();
    let srv = psk_server(&["-allow_no_dhe_kex"]);
    let config = psk_config(&[psk(ID, SECRET_HEX, PskHash::Sha256)], true);
    let mut conn = connect_ok(&srv, &config, |_| {});
    assert_psk_handshake(&conn, ID);
    assert!(conn.kx_group().is_some(), "OpenSSL chose psk_ke");
    rev_roundtrip(&mut conn, "psk_dhe_ke");
}

/// A PEM SSL_SESSION holding `secret` as a TLS 1.3 PSK for
/// TLS_AES_256_GCM_SHA384, for `s_server -psk_session`: `-psk` always binds
/// its key to SHA-256. Written as DER here and converted by `openssl
/// sess_id`; the timeout is a day (OpenSSL's default of 3 s would expire the
/// PSK under a slow test).
fn sha384_psk_session(secret: &[u8]) -> std::path::PathBuf {
    fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![tag];
        match body.len() {
            n @ 0..=127 => v.push(n as u8),
            n => v.extend([0x81, u8::try_from(n).unwrap()]),
        }
        v.extend_from_slice(body);
        v
    }
    fn integer(n: u64) -> Vec<u8> {
        let b = n.to_be_bytes();
        let skip = b.iter().take_while(|&&x| x == 0).count().min(7);
        let mut body = b[skip..].to_vec();
        if body[0] & 0x80 != 0 {
            body.insert(0, 0);
        }
        tlv(2, &body)
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let body = [
        integer(1),                     // SSL_SESSION_ASN1 version
        integer(0x0304),                // TLS 1.3
        tlv(4, &[0x13, 0x02]),          // TLS_AES_256_GCM_SHA384
        tlv(4, &[]),                    // no session id
        tlv(4, secret),                 // the PSK
        tlv(0xa1, &integer(now)),       // [1] time
        tlv(0xa2, &integer(24 * 3600)), // [2] timeout
    ]
    .concat();
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let der = scratch_dir().join(format!("psk384-{n}.der"));
    let pem = scratch_dir().join(format!("psk384-{n}.pem"));
    std::fs::write(&der, tlv(0x30, &body)).unwrap();
    let out = Command::new("openssl")
        .args(["sess_id", "-inform", "DER", "-in"])
        .arg(&der)
        .arg("-out")
        .arg(&pem)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    pem
}

const SECRET384_HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\
                             202122232425262728292a2b2c2d2e2f";

#[test]
fn sha384_psk_against_openssl_with_only_the_sha384_suite() {
    require_openssl!();
    let session = sha384_psk_session(&unhex(SECRET384_HEX));
    let srv = server(&[
        "-nocert",
        "-ciphersuites",
        "TLS_AES_256_GCM_SHA384",
        "-psk_session",
        session.to_str().unwrap(),
        "-psk_identity",
        ID,
    ]);
    // A SHA-256 PSK first, which the client offers (it has a SHA-256
    // suite) and the server cannot use with its only suite.
    let config = psk_config(
        &[
            psk("sha256-first", SECRET_HEX, PskHash::Sha256),
            psk(ID, SECRET384_HEX, PskHash::Sha384),
        ],
        false,
    );
    let mut conn = connect_ok(&srv, &config, |_| {});
    assert_psk_handshake(&conn, ID);
    assert_eq!(
        conn.cipher_suite(),
        Some(baton::CipherSuite::TLS13_AES_256_GCM_SHA384)
    );
    rev_roundtrip(&mut conn, "sha-384");
}

/// `s_server -psk` binds its key to SHA-256, so with only the SHA-384 suite
/// it can use no PSK, and without a certificate it fails the handshake
/// (handshake_failure): the SHA-384 PSK needs `-psk_session` above.
#[test]
fn openssl_psk_flag_is_sha256_only_so_a_sha384_psk_finds_no_match() {
    require_openssl!();
    let srv = psk_server(&["-ciphersuites", "TLS_AES_256_GCM_SHA384"]);
    let config = psk_config(&[psk(ID, SECRET_HEX, PskHash::Sha384)], false);
    let err = connect(&srv, &config, |_| {}).expect_err("no usable PSK, no certificate");
    assert_eq!(
        err.received_alert(),
        Some(AlertDescription::HANDSHAKE_FAILURE),
        "{err} [{err:?}]"
    );
}

fn cert_server() -> SServer {
    let (cert, key) = (data("server-rsa.pem"), data("server-rsa.key"));
    server(&[
        "-cert",
        cert.to_str().unwrap(),
        "-key",
        key.to_str().unwrap(),
        "-psk",
        SECRET_HEX,
        "-psk_identity",
        "someone-else",
    ])
}

/// A server that holds none of the offered PSKs answers with its
/// certificate, which the client verifies as usual: accepted with the test
/// CA, refused without it.
#[test]
fn no_psk_selected_is_a_verified_certificate_handshake() {
    require_openssl!();
    let srv = cert_server();
    let mut b = Config::builder_minimal();
    b.add_pem_to_trust_store(&std::fs::read(data("ca-rsa.pem")).unwrap())
        .unwrap();
    b.add_psk(psk(ID, SECRET_HEX, PskHash::Sha256));
    let config = b.build().unwrap();
    let mut conn = connect_ok(&srv, &config, |_| {});
    assert_eq!(conn.negotiated_psk_identity(), None);
    assert!(!conn.is_resumed());
    assert!(!conn.peer_cert_chain().is_empty());
    rev_roundtrip(&mut conn, "certificate");

    let srv = cert_server();
    let untrusting = psk_config(&[psk(ID, SECRET_HEX, PskHash::Sha256)], false);
    let err = connect(&srv, &untrusting, |_| {}).expect_err("an unknown CA");
    assert_eq!(
        err.sent_alert(),
        Some(AlertDescription::UNKNOWN_CA),
        "{err:?}"
    );
}
