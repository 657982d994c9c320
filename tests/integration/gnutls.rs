//! A second independent TLS stack on 127.0.0.1: `gnutls-cli` against a Baton
//! echo server, one connection per TLS 1.3 suite and group.

use crate::pair::{policy, server_config};
use crate::util::{baton_server, recv_exact, send_all, Proc};
use baton::{CipherSuite, NamedGroup, ProtocolVersion};
use std::process::Command;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(30);

pub(crate) fn gnutls_available() -> bool {
    let ok = Command::new("gnutls-cli")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("BATON_REQUIRE_OPENSSL").is_none(),
            "gnutls-cli is required here (tools/test installs gnutls-bin)"
        );
        eprintln!("SKIPPED: gnutls-cli not installed");
    }
    ok
}

#[test]
fn gnutls_client_to_baton_server_every_suite_and_group() {
    if !gnutls_available() {
        return;
    }
    let cases = [
        (
            CipherSuite::TLS13_AES_128_GCM_SHA256,
            "AES-128-GCM",
            NamedGroup::X25519,
            "GROUP-X25519",
        ),
        (
            CipherSuite::TLS13_AES_256_GCM_SHA384,
            "AES-256-GCM",
            NamedGroup::SECP256R1,
            "GROUP-SECP256R1",
        ),
        (
            CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
            "CHACHA20-POLY1305",
            NamedGroup::SECP384R1,
            "GROUP-SECP384R1",
        ),
    ];
    let ca = format!("{}/tests/data/ca-ecdsa.pem", env!("CARGO_MANIFEST_DIR"));
    for (suite, gcipher, group, ggroup) in cases {
        let msg: &'static [u8] = b"hello from gnutls\n";
        let cfg = server_config(
            "server-p256-chain.pem",
            "server-p256.key",
            Some(policy(&[suite], &[group])),
            &[],
        );
        let server = baton_server(cfg, move |conn| {
            conn.negotiate()?;
            let got = recv_exact(conn, msg.len())?;
            send_all(conn, &got)?;
            conn.shutdown()?;
            Ok((
                conn.cipher_suite(),
                conn.kx_group(),
                conn.actual_protocol_version(),
                conn.server_name().map(String::from),
            ))
        });
        let prio =
            format!("NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+{gcipher}:-GROUP-ALL:+{ggroup}");
        let mut cli = Proc::spawn(
            "gnutls-cli",
            Command::new("gnutls-cli").args([
                "--x509cafile",
                &ca,
                "--priority",
                &prio,
                "--port",
                &server.port.to_string(),
                "localhost",
            ]),
        );
        cli.write_stdin(msg);
        cli.close_stdin();
        let out = cli.wait(TIMEOUT);
        let (s, g, v, sni) = server
            .join(TIMEOUT)
            .unwrap_or_else(|e| panic!("Baton server: {e}\ngnutls: {}", out.stderr));
        assert_eq!(
            (s, g, v),
            (Some(suite), Some(group), Some(ProtocolVersion::TLSV1_3))
        );
        assert_eq!(sni.as_deref(), Some("localhost"));
        assert!(
            out.stdout_str().contains("hello from gnutls"),
            "gnutls stdout: {}\nstderr: {}",
            out.stdout_str(),
            out.stderr
        );
    }
}

/// What a Baton server saw: version, extended master secret, scheme it signed with.
type Seen = (
    Option<ProtocolVersion>,
    Option<bool>,
    Option<baton::SignatureScheme>,
);

/// gnutls-cli (priority `prio`, trusting `ca` under tests/data) sends one line
/// to a Baton echo server built from `cfg`; returns what the server saw (or
/// its error) and gnutls's output. With `refused`, the handshake is expected
/// to fail, so nothing is written (gnutls-cli may already be gone).
fn gnutls_echo(
    cfg: baton::Config,
    prio: &str,
    ca: &str,
    refused: bool,
) -> (Result<Seen, String>, crate::util::Output) {
    let msg: &'static [u8] = b"hello from gnutls\n";
    let server = baton_server(cfg, move |conn| {
        conn.negotiate()?;
        let seen = (
            conn.actual_protocol_version(),
            conn.extended_master_secret(),
            conn.signature_scheme(),
        );
        let got = recv_exact(conn, msg.len())?;
        send_all(conn, &got)?;
        conn.shutdown()?;
        Ok(seen)
    });
    let ca = format!("{}/tests/data/{ca}", env!("CARGO_MANIFEST_DIR"));
    let mut cli = Proc::spawn(
        "gnutls-cli",
        Command::new("gnutls-cli").args([
            "--x509cafile",
            &ca,
            "--priority",
            prio,
            "--port",
            &server.port.to_string(),
            "localhost",
        ]),
    );
    if !refused {
        cli.write_stdin(msg);
    }
    cli.close_stdin();
    let out = cli.wait(TIMEOUT);
    let r = server.join(TIMEOUT);
    if r.is_ok() {
        assert!(
            out.stdout_str().contains("hello from gnutls"),
            "gnutls stdout: {}\nstderr: {}",
            out.stdout_str(),
            out.stderr
        );
    }
    (r, out)
}

/// A TLS 1.2 gnutls client without EMS (`%NO_SESSION_HASH`): accepted under
/// the default policy with the standard master secret, refused under a FIPS
/// policy.
#[test]
fn gnutls_client_without_extended_master_secret() {
    if !gnutls_available() {
        return;
    }
    for (name, fips) in [("default_tls13", false), ("default_fips", true)] {
        let mut b = baton::Config::builder_minimal();
        b.add_cert_chain_and_key(
            baton::CertChainAndKey::from_pem_files(
                crate::util::data("server-rsa.pem"),
                crate::util::data("server-rsa.key"),
            )
            .unwrap(),
        );
        b.security_policy(name).unwrap();
        let (r, out) = gnutls_echo(
            b.build().unwrap(),
            "NORMAL:-VERS-ALL:+VERS-TLS1.2:%NO_SESSION_HASH",
            "ca-rsa.pem",
            fips,
        );
        if fips {
            let e = r.expect_err("a FIPS policy requires EMS");
            assert!(e.contains("extended master secret"), "{e}");
        } else {
            let (v, ems, _) = r.unwrap_or_else(|e| panic!("{e}\ngnutls: {}", out.stderr));
            assert_eq!(v, Some(ProtocolVersion::TLSV1_2));
            assert_eq!(ems, Some(false), "{name}");
        }
    }
}

/// gnutls-cli verifies a Baton server's P-521 chain and its
/// ecdsa_secp521r1_sha512 signatures, in TLS 1.3 and TLS 1.2.
#[test]
fn gnutls_client_to_baton_server_with_p521_certificate() {
    if !gnutls_available() {
        return;
    }
    for (vers, want) in [
        ("+VERS-TLS1.3", ProtocolVersion::TLSV1_3),
        ("+VERS-TLS1.2", ProtocolVersion::TLSV1_2),
    ] {
        let cfg = server_config("server-p521.pem", "server-p521.key", None, &[]);
        let prio = format!("NORMAL:-VERS-ALL:{vers}");
        let (r, out) = gnutls_echo(cfg, &prio, "ca-p521.pem", false);
        let (v, _, scheme) = r.unwrap_or_else(|e| panic!("{vers}: {e}\ngnutls: {}", out.stderr));
        assert_eq!(v, Some(want));
        assert_eq!(scheme, Some(baton::SignatureScheme::ECDSA_SECP521R1_SHA512));
    }
}

/// Starts `gnutls-serv --echo` with `cert`/`key` (under tests/data) and
/// `prio` on a free port; returns the port and the process (killed on drop).
fn gnutls_serv(cert: &str, key: &str, prio: &str) -> (u16, Proc) {
    let port = crate::util::free_port();
    let data = |f: &str| crate::util::data(f).to_str().unwrap().to_string();
    let mut proc = Proc::spawn(
        "gnutls-serv",
        Command::new("gnutls-serv").args([
            "--echo",
            "-q",
            "--disable-client-cert",
            "--x509certfile",
            &data(cert),
            "--x509keyfile",
            &data(key),
            "--priority",
            prio,
            "--port",
            &port.to_string(),
        ]),
    );
    let deadline = std::time::Instant::now() + crate::util::LISTEN_TIMEOUT;
    while !crate::util::is_listening(port) {
        assert!(proc.running(), "gnutls-serv exited: {}", proc.stderr_now());
        assert!(
            std::time::Instant::now() < deadline,
            "gnutls-serv did not listen: {}",
            proc.stderr_now()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    (port, proc)
}

/// A Baton client (trusting `ca`, under `policy`) against gnutls-serv: a line
/// goes there and back; returns the version and the scheme the server signed with.
fn baton_to_gnutls_serv(
    cert: &str,
    key: &str,
    ca: &str,
    prio: &str,
    policy: &str,
) -> (Option<ProtocolVersion>, Option<baton::SignatureScheme>) {
    let (port, proc) = gnutls_serv(cert, key, prio);
    let mut b = baton::Config::builder_minimal();
    b.security_policy(policy).unwrap();
    b.add_pem_to_trust_store(&std::fs::read(crate::util::data(ca)).unwrap())
        .unwrap();
    let mut conn = crate::util::baton_client(&b.build().unwrap(), port, |c| {
        c.set_server_name("localhost").unwrap()
    })
    .unwrap_or_else(|e| panic!("{e:?}\ngnutls-serv: {}", proc.stderr_now()));
    let line = b"echo through gnutls\n";
    send_all(&mut conn, line).unwrap();
    let back = recv_exact(&mut conn, line.len()).unwrap();
    assert_eq!(back, line);
    let seen = (conn.actual_protocol_version(), conn.peer_signature_scheme());
    conn.shutdown().unwrap();
    seen
}

/// A Baton client verifies gnutls-serv's P-521 chain and signatures, in TLS 1.3
/// and TLS 1.2. In TLS 1.2 a scheme names only the hash: gnutls takes the
/// first of ours, ecdsa_secp256r1_sha256, and signs SHA-256 with its P-521 key;
/// limited to ECDSA-SHA512 it signs ecdsa_secp521r1_sha512.
#[test]
fn baton_client_to_gnutls_server_with_p521_certificate() {
    use baton::SignatureScheme as S;
    if !gnutls_available() {
        return;
    }
    for (vers, want, want_scheme) in [
        (
            "+VERS-TLS1.3",
            ProtocolVersion::TLSV1_3,
            S::ECDSA_SECP521R1_SHA512,
        ),
        (
            "+VERS-TLS1.2",
            ProtocolVersion::TLSV1_2,
            S::ECDSA_SECP256R1_SHA256,
        ),
        (
            "+VERS-TLS1.2:-SIGN-ALL:+SIGN-ECDSA-SHA512",
            ProtocolVersion::TLSV1_2,
            S::ECDSA_SECP521R1_SHA512,
        ),
    ] {
        let (v, scheme) = baton_to_gnutls_serv(
            "server-p521.pem",
            "server-p521.key",
            "ca-p521.pem",
            &format!("NORMAL:-VERS-ALL:{vers}"),
            // A TLS 1.2 client accepts an ECDSA key only on a curve it
            // offered (RFC 8422 §5.1.1), so the policy must list secp521r1.
            "20230317",
        );
        assert_eq!(v, Some(want), "{vers}");
        assert_eq!(scheme, Some(want_scheme), "{vers}");
    }
}
