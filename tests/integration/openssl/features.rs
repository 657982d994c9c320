//! HelloRetryRequest, ALPN, SNI, close_notify and security policies against OpenSSL.

use super::*;
use crate::require_openssl;
use baton::{AlertDescription, ErrorKind};

// ---------------------------------------------------------------- HelloRetryRequest

/// s_server accepts only P-384; Baton's first ClientHello carries an X25519
/// share, so the server must ask again (two ClientHellos on the wire).
#[test]
fn hrr_baton_client() {
    require_openssl!();
    let srv = s_server_with(
        RSA,
        &[
            "-tls1_3",
            "-groups",
            "secp384r1",
            "-naccept",
            "1",
            "-rev",
            "-quiet",
            "-msg",
        ],
    );
    let mut conn = connect_localhost(&srv, |_| {});
    assert_eq!(conn.kx_group(), Some(NamedGroup::SECP384R1));
    rev_roundtrip(&mut conn, "after a retry");
    conn.shutdown().unwrap();
    let out = srv.proc.wait(TIMEOUT);
    let hellos = out.stdout_str().matches("ClientHello").count();
    assert_eq!(
        hellos,
        2,
        "expected a HelloRetryRequest (2 ClientHellos); s_server trace:\n{}",
        out.stdout_str()
    );
}

/// s_client's first share is X448, which Baton does not offer; Baton must send
/// a HelloRetryRequest for X25519.
#[test]
fn hrr_baton_server() {
    require_openssl!();
    let args = verifying_args(&["-groups", "x448:x25519", "-msg", "-ign_eof"]);
    let (n, out) = echo_once(
        server_config(ECDSA.chain, ECDSA.key),
        &refs(&args),
        b"retried\n",
    );
    assert_eq!(n.group, Some(NamedGroup::X25519));
    let trace = out.stdout_str();
    assert_eq!(
        trace.matches("ClientHello").count(),
        2,
        "s_client trace:\n{trace}"
    );
    assert!(trace.contains("retried\n"));
}

// ---------------------------------------------------------------- ALPN

#[test]
fn alpn_baton_client_offers() {
    require_openssl!();
    let srv = s_server_with(
        RSA,
        &[
            "-tls1_3", "-alpn", "http/1.1", "-naccept", "1", "-rev", "-quiet",
        ],
    );
    let mut conn = connect_localhost(&srv, |c| {
        c.set_alpn_preferences(&["h2", "http/1.1"]).unwrap()
    });
    assert_eq!(conn.alpn(), Some(&b"http/1.1"[..]));
    rev_roundtrip(&mut conn, "alpn");
    conn.shutdown().unwrap();
}

/// No protocol in common: OpenSSL's server ends the handshake with a fatal
/// no_application_protocol alert, which Baton reports as such.
#[test]
fn alpn_no_overlap_is_fatal() {
    require_openssl!();
    let srv = s_server_with(
        RSA,
        &["-tls1_3", "-alpn", "spdy/3", "-naccept", "1", "-quiet"],
    );
    let result = baton_client(&client_config(), srv.port, |c| {
        c.set_server_name("localhost").unwrap();
        c.set_alpn_preferences(&["h2"]).unwrap();
    });
    let err = result
        .map(|_| ())
        .expect_err("handshake without a common protocol");
    let alert = AlertDescription::NO_APPLICATION_PROTOCOL;
    assert_eq!(err.kind(), ErrorKind::Alert(alert), "{err} [{err:?}]");
    assert_eq!(err.received_alert(), Some(alert));
}

/// A server that does not do ALPN ignores the offer; the handshake goes on.
#[test]
fn alpn_server_without_alpn() {
    require_openssl!();
    let srv = s_server_with(RSA, &["-tls1_3", "-naccept", "1", "-rev", "-quiet"]);
    let mut conn = connect_localhost(&srv, |c| c.set_alpn_preferences(&["h2"]).unwrap());
    assert_eq!(conn.alpn(), None);
    rev_roundtrip(&mut conn, "no alpn");
    conn.shutdown().unwrap();
}

#[test]
fn alpn_baton_server_selects() {
    require_openssl!();
    let mut b = Config::builder_minimal();
    b.add_cert_chain_and_key(
        baton::CertChainAndKey::from_pem_files(data(RSA.chain), data(RSA.key)).unwrap(),
    );
    b.set_alpn_preferences(&["http/1.1"]).unwrap();
    let config = b.build().unwrap();
    let args = verifying_args(&["-alpn", "foo,http/1.1", "-ign_eof"]);
    let (n, out) = echo_once(config, &refs(&args), b"alpn\n");
    assert_eq!(n.alpn.as_deref(), Some(&b"http/1.1"[..]));
    assert!(
        out.stdout_str().contains("ALPN protocol: http/1.1"),
        "s_client output:\n{}",
        out.stdout_str()
    );
}

// ---------------------------------------------------------------- SNI

/// s_server picks its certificate by SNI: `server.test` gets the P-384 one,
/// `localhost` the default RSA one.
#[test]
fn sni_baton_client_selects_certificate() {
    require_openssl!();
    let (chain2, key2) = (path(P384_CERT.chain), path(P384_CERT.key));
    let srv = s_server_with(
        RSA,
        &[
            "-servername",
            "server.test",
            "-cert2",
            &chain2,
            "-key2",
            &key2,
            "-tls1_3",
            "-naccept",
            "2",
            "-rev",
        ],
    );
    for (name, leaf) in [("server.test", P384_CERT.chain), ("localhost", RSA.chain)] {
        let mut conn = baton_client(&client_config(), srv.port, |c| {
            c.set_server_name(name).unwrap()
        })
        .unwrap_or_else(|e| panic!("SNI {name}: {e}; s_server: {}", srv.proc.stderr_now()));
        assert_eq!(conn.server_name(), Some(name));
        assert_eq!(
            conn.peer_cert_chain().first(),
            Some(&leaf_der(leaf)),
            "SNI {name}"
        );
        rev_roundtrip(&mut conn, name);
        conn.shutdown().unwrap();
    }
    let out = srv.proc.wait(TIMEOUT);
    assert!(
        out.stdout_str()
            .contains("Hostname in TLS extension: \"server.test\""),
        "s_server output:\n{}",
        out.stdout_str()
    );
}

#[test]
fn sni_reaches_baton_server() {
    require_openssl!();
    let args = verifying_args(&["-servername", "server.test", "-ign_eof"]);
    let (n, _) = echo_once(server_config(RSA.chain, RSA.key), &refs(&args), b"sni\n");
    assert_eq!(n.sni.as_deref(), Some("server.test"));

    let args = verifying_args(&["-noservername", "-ign_eof"]);
    let (n, _) = echo_once(server_config(RSA.chain, RSA.key), &refs(&args), b"no sni\n");
    assert_eq!(n.sni, None);
}

// ---------------------------------------------------------------- close_notify

/// Baton closes first; s_server answers with its own close_notify, which
/// `shutdown` waits for.
#[test]
fn close_notify_baton_client_first() {
    require_openssl!();
    let srv = s_server_with(ECDSA, &["-tls1_3", "-naccept", "1", "-quiet"]);
    let mut conn = connect_localhost(&srv, |_| {});
    send_all(&mut conn, b"bye\n").unwrap();
    conn.shutdown()
        .expect("shutdown: s_server's close_notify should arrive");
    assert!(conn.send(b"more").is_err(), "send after shutdown must fail");
    let out = srv.proc.wait(TIMEOUT);
    assert!(out.status.success(), "s_server: {}", out.stderr);
    assert_eq!(out.stdout, b"bye\n");
}

/// s_server closes first (at its stdin EOF): Baton's recv returns 0.
#[test]
fn close_notify_openssl_server_first() {
    require_openssl!();
    let mut srv = s_server_with(ECDSA, &["-tls1_3", "-naccept", "1", "-quiet"]);
    let mut conn = connect_localhost(&srv, |_| {});
    // Once s_server has printed our data it is past the handshake, and its
    // stdin EOF means "close this connection".
    send_all(&mut conn, b"ping\n").unwrap();
    srv.proc.wait_for_stdout(TIMEOUT, |o| o == b"ping\n");
    srv.proc.write_stdin(b"pong\n");
    srv.proc.close_stdin();
    let got = recv_to_end(&mut conn).expect("recv until close_notify");
    assert_eq!(got, b"pong\n");
    conn.shutdown()
        .expect("shutdown after the peer's close_notify");
    let out = srv.proc.wait(TIMEOUT);
    assert!(out.status.success(), "s_server: {}", out.stderr);
}

/// s_client closes first (at its stdin EOF, no -ign_eof): Baton's recv returns 0.
#[test]
fn close_notify_openssl_client_first() {
    require_openssl!();
    let server = baton_server(server_config(RSA.chain, RSA.key), |conn| {
        conn.negotiate()?;
        let got = recv_to_end(conn)?;
        // s_client exits right after its close_notify, so ours may meet a
        // closed socket; what matters is that we saw theirs.
        let _ = conn.shutdown();
        Ok(got)
    });
    let args = verifying_args(&["-servername", "localhost", "-brief"]);
    let mut cli = s_client(server.port, &refs(&args));
    cli.write_stdin(b"data then close\n");
    cli.close_stdin();
    let out = cli.wait(TIMEOUT);
    let got = server
        .join(TIMEOUT)
        .unwrap_or_else(|e| panic!("Baton server: {e}; s_client: {}", out.stderr));
    assert_eq!(got, b"data then close\n");
    assert!(out.status.success(), "s_client: {}", out.stderr);
}

/// Baton's server closes first; s_client sees a proper warning-level
/// close_notify and answers, which Baton's `shutdown` waits for.
#[test]
fn close_notify_baton_server_first() {
    require_openssl!();
    let args = verifying_args(&["-msg", "-ign_eof"]);
    let (_, out) = echo_once(server_config(RSA.chain, RSA.key), &refs(&args), b"x\n");
    let trace = out.stdout_str();
    assert!(
        trace.contains("<<< TLS 1.3, Alert [length 0002], warning close_notify"),
        "s_client trace:\n{trace}"
    );
    assert!(trace.contains(">>> TLS 1.3, Alert [length 0002], warning close_notify"));
}

// ---------------------------------------------------------------- policies

#[test]
fn security_policy_default_tls13() {
    require_openssl!();
    let mut b = Config::builder_minimal();
    b.add_pem_to_trust_store(&std::fs::read(data("ca-rsa.pem")).unwrap())
        .unwrap();
    b.security_policy("default_tls13").unwrap();
    let config = b.build().unwrap();
    let srv = s_server_with(RSA, &["-naccept", "1", "-rev", "-quiet"]);
    let mut conn = baton_client(&config, srv.port, |c| {
        c.set_server_name("localhost").unwrap()
    })
    .unwrap_or_else(|e| panic!("{e}; s_server: {}", srv.proc.stderr_now()));
    assert_eq!(
        conn.actual_protocol_version(),
        Some(ProtocolVersion::TLSV1_3)
    );
    rev_roundtrip(&mut conn, "policy");
    conn.shutdown().unwrap();

    let mut b = Config::builder_minimal();
    let err = b
        .security_policy("no_such_policy")
        .map(|_| ())
        .expect_err("unknown policy");
    assert_eq!(err.kind(), ErrorKind::Usage);
    assert!(
        err.message().contains("default_tls13"),
        "should list the known names: {err}"
    );
}

// ---------------------------------------------------------------- record padding

/// s_server pads every record to a multiple of 512 bytes (RFC 8446 §5.4); Baton
/// must strip the padding. Both handshake and application records are padded.
#[test]
fn padded_records_from_openssl_server() {
    require_openssl!();
    let srv = s_server_with(
        ECDSA,
        &[
            "-tls1_3",
            "-record_padding",
            "512",
            "-naccept",
            "1",
            "-rev",
            "-quiet",
        ],
    );
    let mut conn = connect_localhost(&srv, |_| {});
    for line in ["a", "padded records", &"x".repeat(3000)] {
        rev_roundtrip(&mut conn, line);
    }
    conn.shutdown().unwrap();
    srv.proc.wait(TIMEOUT);
}

/// s_client pads its records; the Baton server echoes them back.
#[test]
fn padded_records_from_openssl_client() {
    require_openssl!();
    let args = verifying_args(&["-record_padding", "1024", "-ign_eof"]);
    let (n, out) = echo_once(
        server_config(RSA.chain, RSA.key),
        &refs(&args),
        b"padded hello\n",
    );
    assert_eq!(n.version, Some(baton::ProtocolVersion::TLSV1_3));
    assert!(out.stdout_str().contains("padded hello\n"));
}
