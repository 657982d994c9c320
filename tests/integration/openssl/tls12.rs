//! TLS 1.2 against OpenSSL, both directions: every ECDHE suite with its
//! certificate type, each group, EMS on and off at the peer, ALPN,
//! renegotiation refusal, fallback SCSV and 16 MiB transfers with checksums.

use super::*;
use crate::require_openssl;
use crate::tls12::{policy_versions, tls12_policy, TLS12_ECDSA_SUITES, TLS12_RSA_SUITES};
use baton::{AlertDescription, SecurityPolicy};
use std::path::PathBuf;
use std::sync::Arc;

const GROUPS: [Group; 3] = [X25519, P256, P384];

/// OpenSSL's name for a TLS 1.2 suite.
fn openssl_name(cs: CipherSuite) -> &'static str {
    match cs {
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => "ECDHE-ECDSA-AES128-GCM-SHA256",
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => "ECDHE-ECDSA-AES256-GCM-SHA384",
        CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 => {
            "ECDHE-ECDSA-CHACHA20-POLY1305"
        }
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => "ECDHE-RSA-AES128-GCM-SHA256",
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => "ECDHE-RSA-AES256-GCM-SHA384",
        CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 => "ECDHE-RSA-CHACHA20-POLY1305",
        other => panic!("no OpenSSL name for {other:?}"),
    }
}

/// Every suite with a certificate of its key type and a group, rotating groups
/// so each suite meets each group across both certificate types.
fn cases() -> Vec<(CipherSuite, Cert, Group)> {
    let mut v = Vec::new();
    for (i, suite) in TLS12_ECDSA_SUITES.into_iter().enumerate() {
        for (j, group) in GROUPS.into_iter().enumerate() {
            let cert = if (i + j) % 2 == 0 { ECDSA } else { P384_CERT };
            v.push((suite, cert, group));
        }
    }
    for suite in TLS12_RSA_SUITES {
        for group in GROUPS {
            v.push((suite, RSA, group));
        }
    }
    v
}

fn with_policy(mut b: baton::ConfigBuilder, p: &'static SecurityPolicy) -> baton::ConfigBuilder {
    b.custom_security_policy(p).unwrap();
    b
}

fn client_cfg(p: &'static SecurityPolicy, require_ems: bool) -> Config {
    let mut b = Config::builder_minimal();
    b.add_pem_to_trust_store(&std::fs::read(all_cas_file()).unwrap())
        .unwrap();
    b.require_extended_master_secret(require_ems);
    with_policy(b, p).build().unwrap()
}

fn server_cfg(cert: Cert, p: &'static SecurityPolicy, require_ems: bool) -> Config {
    let mut b = Config::builder_minimal();
    b.add_cert_chain_and_key(
        baton::CertChainAndKey::from_pem_files(data(cert.chain), data(cert.key)).unwrap(),
    );
    b.require_extended_master_secret(require_ems);
    with_policy(b, p).build().unwrap()
}

/// TLS 1.2 and 1.3 with every suite and group Baton implements.
fn both() -> &'static SecurityPolicy {
    let mut suites = vec![
        CipherSuite::TLS13_AES_128_GCM_SHA256,
        CipherSuite::TLS13_AES_256_GCM_SHA384,
        CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
    ];
    suites.extend(TLS12_ECDSA_SUITES);
    suites.extend(TLS12_RSA_SUITES);
    policy_versions(
        ProtocolVersion::TLSV1_2,
        ProtocolVersion::TLSV1_3,
        &suites,
        &GROUPS.map(|g| g.baton),
    )
}

/// An OpenSSL config that turns the extended master secret off (OpenSSL 3 has
/// no command-line switch for it).
fn no_ems_conf() -> PathBuf {
    let f = scratch_dir().join("openssl-no-ems.cnf");
    std::fs::write(
        &f,
        "openssl_conf = init\n[init]\nssl_conf = ssl\n[ssl]\nsystem_default = sys\n[sys]\nOptions = -ExtendedMasterSecret\n",
    )
    .unwrap();
    f
}

#[test]
fn baton_client_to_openssl_server_every_tls12_suite() {
    require_openssl!();
    for (suite, cert, group) in cases() {
        let srv = s_server_with(
            cert,
            &[
                "-tls1_2",
                "-cipher",
                openssl_name(suite),
                "-groups",
                group.openssl,
                "-naccept",
                "1",
                "-rev",
                "-quiet",
            ],
        );
        // The client offers TLS 1.3 too: the server's choice of 1.2 must not look like a downgrade.
        let cfg = client_cfg(both(), true);
        let mut conn = baton_client(&cfg, srv.port, |c| c.set_server_name("localhost").unwrap())
            .unwrap_or_else(|e| {
                panic!(
                    "{suite:?} {group:?}: {e:?}\ns_server: {}",
                    srv.proc.stderr_now()
                )
            });
        let n = Negotiated::of(&conn);
        assert_eq!(n.version, Some(ProtocolVersion::TLSV1_2));
        assert_eq!(n.suite, Some(suite));
        assert_eq!(n.group, Some(group.baton));
        assert_eq!(conn.peer_cert_chain().first(), Some(&leaf_der(cert.chain)));
        rev_roundtrip(&mut conn, "tls 1.2 from baton");
        conn.shutdown().expect("close_notify both ways");
        let out = srv.proc.wait(TIMEOUT);
        assert!(out.status.success(), "s_server: {}", out.stderr);
    }
}

/// The curve an ECDSA certificate's key is on, as OpenSSL names it.
fn cert_curve(cert: Cert) -> Option<&'static str> {
    match cert.key {
        k if k == ECDSA.key => Some("P-256"),
        k if k == P384_CERT.key => Some("P-384"),
        _ => None,
    }
}

#[test]
fn openssl_client_to_baton_server_every_tls12_suite() {
    require_openssl!();
    for (suite, cert, group) in cases() {
        // In TLS 1.2 the client's groups also bound the certificate's curve
        // (RFC 8422 §5.1), so s_client lists it; the server's policy has only
        // `group`, so that is the ECDHE group.
        let groups = match cert_curve(cert) {
            Some(c) if c != group.openssl => format!("{}:{c}", group.openssl),
            _ => group.openssl.to_string(),
        };
        let args = [
            "-tls1_2",
            "-cipher",
            openssl_name(suite),
            "-groups",
            &groups,
            "-CAfile",
            all_cas_file().to_str().unwrap(),
            "-verify_return_error",
            "-verify_hostname",
            "localhost",
            "-servername",
            "localhost",
            "-alpn",
            "h2,http/1.1",
            "-brief",
            "-ign_eof",
        ];
        let mut b = Config::builder_minimal();
        b.add_cert_chain_and_key(
            baton::CertChainAndKey::from_pem_files(data(cert.chain), data(cert.key)).unwrap(),
        );
        b.set_alpn_preferences(&["http/1.1"]).unwrap();
        let p = policy_versions(
            ProtocolVersion::TLSV1_2,
            ProtocolVersion::TLSV1_3,
            both().cipher_suites,
            &[group.baton],
        );
        let cfg = with_policy(b, p).build().unwrap();
        let msg = b"hello over tls 1.2\n";
        let (n, out) = echo_once(cfg, &args, msg);
        assert_eq!(n.version, Some(ProtocolVersion::TLSV1_2));
        assert_eq!(n.suite, Some(suite));
        assert_eq!(n.group, Some(group.baton));
        assert_eq!(n.alpn.as_deref(), Some(&b"http/1.1"[..]));
        assert_eq!(n.sni.as_deref(), Some("localhost"));
        assert_eq!(out.stdout, msg);
        for want in [
            "Protocol version: TLSv1.2",
            &format!("Ciphersuite: {}", openssl_name(suite)),
            group.temp_key,
            "Verification: OK",
        ] {
            assert!(
                out.stderr.contains(want),
                "{suite:?}: s_client lacks {want:?}: {}",
                out.stderr
            );
        }
    }
}

/// An ECDSA certificate on a curve the TLS 1.2 client did not list is not
/// used (OpenSSL would reject it with "wrong curve").
#[test]
fn tls12_ecdsa_certificate_curve_must_be_offered() {
    require_openssl!();
    let server = baton_server(server_cfg(P384_CERT, both(), true), |conn| conn.negotiate());
    let mut cli = s_client(server.port, &["-tls1_2", "-groups", "P-256"]);
    cli.close_stdin();
    let out = cli.wait(TIMEOUT);
    let e = server.join(TIMEOUT).unwrap_err();
    assert!(e.contains("handshake_failure"), "{e}");
    assert!(out.stderr.contains("handshake failure"), "{}", out.stderr);
}

/// The extended master secret is on with OpenSSL by default; shown in its session printout.
#[test]
fn extended_master_secret_is_negotiated_with_openssl() {
    require_openssl!();
    let server = baton_server(server_cfg(ECDSA, both(), true), |conn| {
        conn.negotiate()?;
        conn.shutdown()?;
        Ok(())
    });
    let mut cli = s_client(server.port, &["-tls1_2", "-ign_eof"]);
    cli.close_stdin();
    let out = cli.wait(TIMEOUT);
    server.join(TIMEOUT).unwrap();
    assert!(
        out.stdout_str().contains("Extended master secret: yes"),
        "{}",
        out.stdout_str()
    );
}

/// A peer without EMS: refused in both directions when EMS is required,
/// accepted when the requirement is turned off.
#[test]
fn peer_without_extended_master_secret() {
    require_openssl!();
    let conf = no_ems_conf();
    let env = [("OPENSSL_CONF", conf.as_path())];
    // P-384 must be listed: in TLS 1.2 it also names the certificate's curve (RFC 8422 §5.1).
    let p = tls12_policy(
        &TLS12_ECDSA_SUITES,
        &[NamedGroup::X25519, NamedGroup::SECP384R1],
    );

    // Baton client → s_server without EMS.
    for require in [true, false] {
        let srv = s_server_env(
            None,
            &env,
            &[
                "-cert",
                &path(P384_CERT.chain),
                "-key",
                &path(P384_CERT.key),
                "-tls1_2",
                "-naccept",
                "1",
                "-rev",
                "-quiet",
            ],
        );
        let r = baton_client(&client_cfg(p, require), srv.port, |c| {
            c.set_server_name("localhost").unwrap()
        });
        if require {
            let e = r.expect_err("EMS is required");
            assert_eq!(
                e.sent_alert(),
                Some(AlertDescription::HANDSHAKE_FAILURE),
                "{e:?}"
            );
            assert!(e.message().contains("extended master secret"), "{e}");
            let _ = srv.proc.wait(TIMEOUT);
        } else {
            let mut conn = r.unwrap_or_else(|e| panic!("{e:?}: {}", srv.proc.stderr_now()));
            rev_roundtrip(&mut conn, "no ems");
            conn.shutdown().unwrap();
            let out = srv.proc.wait(TIMEOUT);
            assert!(out.status.success(), "{}", out.stderr);
        }
    }

    // s_client without EMS → Baton server.
    for require in [true, false] {
        let server = baton_server(server_cfg(P384_CERT, p, require), |conn| {
            conn.negotiate()?;
            let data = recv_exact(conn, 6)?;
            send_all(conn, &data)?;
            conn.shutdown()?;
            Ok(())
        });
        let mut cli = s_client_env(server.port, &env, &["-tls1_2", "-quiet", "-ign_eof"]);
        // Refused, s_client may exit before reading stdin: write only when it will.
        if !require {
            cli.write_stdin(b"no ems");
        }
        cli.close_stdin();
        let out = cli.wait(TIMEOUT);
        let r = server.join(TIMEOUT);
        if require {
            let e = r.expect_err("EMS is required");
            assert!(e.contains("extended master secret"), "{e}");
            assert!(out.stderr.contains("handshake failure"), "{}", out.stderr);
        } else {
            r.unwrap();
            assert_eq!(out.stdout, b"no ems");
        }
    }
}

/// Without an explicit setting the policy decides whether EMS is required:
/// a FIPS policy (`default_fips`) refuses a peer without it with
/// handshake_failure, the default policy accepts it and uses the RFC 5246
/// master secret (checked by both Finished messages and by data both ways).
#[test]
fn extended_master_secret_requirement_follows_the_policy() {
    require_openssl!();
    let conf = no_ems_conf();
    let env = [("OPENSSL_CONF", conf.as_path())];
    let named = |mut b: baton::ConfigBuilder, name: &str| {
        b.security_policy(name).unwrap();
        b.build().unwrap()
    };
    for (name, fips) in [
        ("default_tls13", false),
        ("default", false),
        ("default_fips", true),
    ] {
        assert_eq!(
            baton::policy::lookup(name).unwrap().is_fips(),
            fips,
            "{name}"
        );

        // Baton client → s_server without EMS.
        let srv = s_server_env(
            None,
            &env,
            &[
                "-cert",
                &path(RSA.chain),
                "-key",
                &path(RSA.key),
                "-tls1_2",
                "-naccept",
                "1",
                "-rev",
                "-quiet",
            ],
        );
        let mut b = Config::builder_minimal();
        b.add_pem_to_trust_store(&std::fs::read(all_cas_file()).unwrap())
            .unwrap();
        let r = baton_client(&named(b, name), srv.port, |c| {
            c.set_server_name("localhost").unwrap()
        });
        if fips {
            let e = r.expect_err("a FIPS policy requires EMS");
            assert_eq!(
                e.sent_alert(),
                Some(AlertDescription::HANDSHAKE_FAILURE),
                "{e:?}"
            );
            assert!(e.message().contains("extended master secret"), "{e}");
            let _ = srv.proc.wait(TIMEOUT);
        } else {
            let mut conn = r.unwrap_or_else(|e| panic!("{name}: {e:?}: {}", srv.proc.stderr_now()));
            assert_eq!(conn.extended_master_secret(), Some(false));
            rev_roundtrip(&mut conn, "standard master secret");
            conn.shutdown().unwrap();
            let out = srv.proc.wait(TIMEOUT);
            assert!(out.status.success(), "{}", out.stderr);
        }

        // s_client without EMS → Baton server.
        let mut b = Config::builder_minimal();
        b.add_cert_chain_and_key(
            baton::CertChainAndKey::from_pem_files(data(RSA.chain), data(RSA.key)).unwrap(),
        );
        let server = baton_server(named(b, name), |conn| {
            conn.negotiate()?;
            let ems = conn.extended_master_secret();
            let data = recv_exact(conn, 6)?;
            send_all(conn, &data)?;
            conn.shutdown()?;
            Ok(ems)
        });
        let mut cli = s_client_env(server.port, &env, &["-tls1_2", "-quiet", "-ign_eof"]);
        // Refused, s_client may exit before reading stdin: write only when it will.
        if !fips {
            cli.write_stdin(b"no ems");
        }
        cli.close_stdin();
        let out = cli.wait(TIMEOUT);
        let r = server.join(TIMEOUT);
        if fips {
            let e = r.expect_err("a FIPS policy requires EMS");
            assert!(e.contains("extended master secret"), "{e}");
            assert!(out.stderr.contains("handshake failure"), "{}", out.stderr);
        } else {
            assert_eq!(r.unwrap(), Some(false), "{name}");
            assert_eq!(out.stdout, b"no ems", "{name}: {}", out.stderr);
        }
    }
}

/// With EMS on both sides the connection reports it, and a FIPS policy connects.
#[test]
fn extended_master_secret_is_reported() {
    require_openssl!();
    let srv = s_server_with(P384_CERT, &["-tls1_2", "-naccept", "1", "-rev", "-quiet"]);
    let mut b = Config::builder_minimal();
    b.add_pem_to_trust_store(&std::fs::read(all_cas_file()).unwrap())
        .unwrap();
    b.security_policy("default_fips").unwrap();
    let mut conn = baton_client(&b.build().unwrap(), srv.port, |c| {
        c.set_server_name("localhost").unwrap()
    })
    .unwrap();
    assert_eq!(conn.extended_master_secret(), Some(true));
    rev_roundtrip(&mut conn, "extended master secret");
    conn.shutdown().unwrap();
    assert!(srv.proc.wait(TIMEOUT).status.success());
}

/// A renegotiation request from s_client ("R" on its stdin) is refused with
/// a no_renegotiation warning; OpenSSL then gives up on the connection.
#[test]
fn renegotiation_from_openssl_is_refused() {
    require_openssl!();
    let server = baton_server(server_cfg(ECDSA, both(), true), |conn| {
        conn.negotiate()?;
        let mut buf = [0u8; 64];
        // Read until the peer goes away; the refusal happens inside recv.
        loop {
            match conn.recv(&mut buf) {
                Ok(0) => return Ok("closed".to_string()),
                Ok(_) => continue,
                Err(e) => return Ok(format!("{e}")),
            }
        }
    });
    let mut cli = s_client(server.port, &["-tls1_2"]);
    cli.write_stdin(b"R\n");
    let out = {
        std::thread::sleep(std::time::Duration::from_millis(300));
        cli.close_stdin();
        cli.wait(TIMEOUT)
    };
    let end = server.join(TIMEOUT).unwrap();
    assert!(
        out.stderr.contains("RENEGOTIATING") || out.stdout_str().contains("RENEGOTIATING"),
        "s_client did not try: {}",
        out.stderr
    );
    assert!(
        out.stderr.contains("no renegotiation"),
        "s_client must report our no_renegotiation alert: {}",
        out.stderr
    );
    assert!(
        end.contains("handshake_failure") || end == "closed",
        "{end}"
    );
}

/// RFC 7507: a client that signals a fallback to TLS 1.2 is refused by a
/// server that supports TLS 1.3.
#[test]
fn fallback_scsv_is_refused() {
    require_openssl!();
    let server = baton_server(server_cfg(ECDSA, both(), true), |conn| conn.negotiate());
    let mut cli = s_client(server.port, &["-tls1_2", "-fallback_scsv"]);
    cli.close_stdin();
    let out = cli.wait(TIMEOUT);
    let e = server.join(TIMEOUT).unwrap_err();
    assert!(e.contains("inappropriate_fallback"), "{e}");
    assert!(
        out.stderr.contains("inappropriate fallback"),
        "{}",
        out.stderr
    );
}

/// s_client sends 16 MiB over TLS 1.2 through a Baton echo server and gets them back.
#[test]
fn bulk_16mib_tls12_openssl_client_through_baton_echo() {
    require_openssl!();
    let payload = Arc::new(payload(BULK_LEN, 12));
    let server = baton_server(server_cfg(RSA, both(), true), |conn| {
        conn.negotiate()?;
        let mut buf = vec![0u8; 64 * 1024];
        let mut echoed = 0;
        while echoed < BULK_LEN {
            let n = conn.recv(&mut buf)?;
            assert!(n > 0, "s_client closed after {echoed} bytes");
            send_all(conn, &buf[..n])?;
            echoed += n;
        }
        conn.shutdown()?;
        Ok(conn.actual_protocol_version())
    });
    let mut cli = s_client(
        server.port,
        &[
            "-tls1_2",
            "-cipher",
            "ECDHE-RSA-AES256-GCM-SHA384",
            "-quiet",
        ],
    );
    cli.feed_stdin(Arc::clone(&payload));
    let out = cli.wait(BULK_TIMEOUT);
    let v = server
        .join(BULK_TIMEOUT)
        .unwrap_or_else(|e| panic!("Baton server: {e}; s_client: {}", out.stderr));
    assert_eq!(v, Some(ProtocolVersion::TLSV1_2));
    assert_eq!(out.stdout.len(), BULK_LEN, "{}", out.stderr);
    assert_eq!(sha256_hex(&out.stdout), sha256_hex(&payload));
}

/// A Baton client sends 16 MiB over TLS 1.2 (ChaCha20) to s_server.
#[test]
fn bulk_16mib_tls12_baton_client_to_openssl_server() {
    require_openssl!();
    let payload = payload(BULK_LEN, 13);
    let srv = s_server_with(ECDSA, &["-tls1_2", "-naccept", "1", "-quiet"]);
    let p = tls12_policy(
        &[CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256],
        &[NamedGroup::SECP256R1],
    );
    let mut conn = baton_client(&client_cfg(p, true), srv.port, |c| {
        c.set_server_name("localhost").unwrap()
    })
    .unwrap();
    assert_eq!(
        conn.actual_protocol_version(),
        Some(ProtocolVersion::TLSV1_2)
    );
    send_all(&mut conn, &payload).unwrap();
    conn.shutdown().unwrap();
    let out = srv.proc.wait(BULK_TIMEOUT);
    assert!(out.status.success(), "s_server: {}", out.stderr);
    assert_eq!(out.stdout.len(), BULK_LEN);
    assert_eq!(sha256_hex(&out.stdout), sha256_hex(&payload));
}
