//! Certificate status against OpenSSL: OCSP stapling both ways (a Baton
//! server to `openssl s_client -status`, the Baton client to `openssl
//! s_server -status_file`, with OCSP validation), CRLs that revoke the leaf
//! or the intermediate, and SCT lists. The PKI, OCSP responses and CRLs are
//! made with `openssl ocsp` / `openssl ca -gencrl` at test time
//! (`tests/data/status/mkpki.sh`), so none of their dates runs out.

use crate::require_openssl;
use crate::status_pki::*;
use crate::util::*;
use baton::{AlertDescription, CertChainAndKey, Config, Connection, OcspValidation};
use std::sync::Arc;

/// The leaf (and its intermediate) as a Baton server chain.
fn leaf_chain() -> Arc<CertChainAndKey> {
    Arc::new(CertChainAndKey::from_pem(&pki_read("chain.pem"), &pki_read("leaf.key")).unwrap())
}

fn server_with(ck: Arc<CertChainAndKey>) -> Config {
    let mut b = Config::builder_minimal();
    b.add_shared_cert_chain_and_key(ck);
    b.build().unwrap()
}

/// A client trusting the status root; `f` adds the settings under test.
fn client_with(f: impl FnOnce(&mut baton::ConfigBuilder)) -> Config {
    let mut b = Config::builder_minimal();
    b.add_pem_to_trust_store(&pki_read("root.pem")).unwrap();
    f(&mut b);
    b.build().unwrap()
}

/// `openssl s_server` with the leaf chain, TLS `version`, and `extra` args.
fn s_server_leaf(version: &str, extra: &[&str]) -> SServer {
    let (cert, chain, key) = (
        pki_path("leaf.pem"),
        pki_path("inter.pem"),
        pki_path("leaf.key"),
    );
    let mut args = vec![
        "-cert",
        &cert,
        "-cert_chain",
        &chain,
        "-key",
        &key,
        version,
        "-naccept",
        "1",
        "-quiet",
    ];
    args.extend_from_slice(extra);
    s_server(&args)
}

fn connect(config: &Config, srv: &SServer) -> Result<Connection, baton::Error> {
    baton_client(config, srv.port, |c| {
        c.set_server_name("localhost").unwrap()
    })
}

const VERSIONS: [&str; 2] = ["-tls1_3", "-tls1_2"];

// ---------------------------------------------------------------- Baton server

/// `openssl s_client -status` against a Baton server; returns s_client's stdout.
fn s_client_status(config: Config, version: &str, status: bool) -> String {
    let server = baton_server(config, |conn| {
        conn.negotiate()?;
        conn.shutdown()?;
        Ok(())
    });
    let root = pki_path("root.pem");
    let mut args = vec![
        version,
        "-CAfile",
        &root,
        "-verify_return_error",
        "-servername",
        "localhost",
    ];
    if status {
        args.push("-status");
    }
    let mut cli = s_client(server.port, &args);
    cli.close_stdin();
    let out = cli.wait(TIMEOUT);
    server.join(TIMEOUT).expect("Baton server");
    assert!(out.status.success(), "s_client failed: {}", out.stderr);
    out.stdout_str()
}

#[test]
fn baton_server_staples_for_openssl_s_client() {
    require_openssl!();
    let ck = leaf_chain();
    ck.set_ocsp_response(&pki_read("good.der")).unwrap();
    for v in VERSIONS {
        let out = s_client_status(server_with(Arc::clone(&ck)), v, true);
        assert!(
            out.contains("OCSP Response Status: successful"),
            "{v}: no staple seen by s_client:\n{out}"
        );
        assert!(out.contains("Cert Status: good"), "{v}:\n{out}");
        // Never stapled to a client that did not ask.
        let out = s_client_status(server_with(Arc::clone(&ck)), v, false);
        assert!(
            !out.contains("OCSP Response"),
            "{v}: stapled unasked:\n{out}"
        );
    }
}

#[test]
fn baton_server_without_a_staple_sends_none() {
    require_openssl!();
    for v in VERSIONS {
        let out = s_client_status(server_with(leaf_chain()), v, true);
        assert!(
            out.contains("OCSP response: no response sent"),
            "{v}:\n{out}"
        );
    }
}

/// A shared chain's staple is replaced while the config keeps serving.
#[test]
fn staple_reloads_without_a_new_config() {
    require_openssl!();
    let ck = leaf_chain();
    let config = server_with(Arc::clone(&ck));
    ck.set_ocsp_response(&pki_read("good.der")).unwrap();
    let out = s_client_status(config.clone(), "-tls1_3", true);
    assert!(out.contains("Cert Status: good"), "{out}");
    ck.set_ocsp_response(&pki_read("revoked.der")).unwrap();
    let out = s_client_status(config.clone(), "-tls1_3", true);
    assert!(out.contains("Cert Status: revoked"), "{out}");
    ck.set_ocsp_response(&[]).unwrap();
    let out = s_client_status(config, "-tls1_3", true);
    assert!(out.contains("no response sent"), "{out}");
    assert!(ck.set_ocsp_response(b"not DER").is_err());
}

// ---------------------------------------------------------------- Baton client

#[test]
fn baton_client_exposes_and_validates_openssl_staple() {
    require_openssl!();
    let good = pki_path("good.der");
    for v in VERSIONS {
        let srv = s_server_leaf(v, &["-status_file", &good]);
        let config = client_with(|b| {
            b.set_ocsp_validation(OcspValidation::Required);
        });
        let conn = connect(&config, &srv).unwrap_or_else(|e| panic!("{v}: {e}"));
        assert_eq!(conn.ocsp_response(), Some(&pki_read("good.der")[..]), "{v}");
    }
}

#[test]
fn baton_client_only_exposes_when_validation_is_off() {
    require_openssl!();
    let revoked = pki_path("revoked.der");
    for v in VERSIONS {
        let srv = s_server_leaf(v, &["-status_file", &revoked]);
        let config = client_with(|b| {
            b.request_ocsp_status(true);
        });
        let conn = connect(&config, &srv).unwrap_or_else(|e| panic!("{v}: {e}"));
        assert_eq!(
            conn.ocsp_response(),
            Some(&pki_read("revoked.der")[..]),
            "{v}"
        );
    }
}

/// The alert the Baton client sends when validating the staple in `file`.
fn staple_alert(v: &str, file: &str, config: &Config) -> Option<AlertDescription> {
    let f = pki_path(file);
    let srv = s_server_leaf(v, &["-status_file", &f]);
    match connect(config, &srv) {
        Ok(_) => None,
        Err(e) => Some(e.sent_alert().unwrap_or_else(|| panic!("{v} {file}: {e}"))),
    }
}

#[test]
fn baton_client_refuses_bad_staples() {
    require_openssl!();
    let config = client_with(|b| {
        b.set_ocsp_validation(OcspValidation::IfStapled);
    });
    for v in VERSIONS {
        assert_eq!(
            staple_alert(v, "revoked.der", &config),
            Some(AlertDescription::CERTIFICATE_REVOKED),
            "{v}"
        );
        for file in ["unknown.der", "wrong-cert.der", "not-delegated.der"] {
            assert_eq!(
                staple_alert(v, file, &config),
                Some(AlertDescription::BAD_CERTIFICATE_STATUS_RESPONSE),
                "{v} {file}"
            );
        }
        // Signed by a responder the issuer delegated to.
        assert_eq!(staple_alert(v, "delegated.der", &config), None, "{v}");
    }
}

fn in_ten_days() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 10 * 86_400
}

#[test]
fn baton_client_refuses_an_expired_staple() {
    require_openssl!();
    // The responses say nextUpdate = now + 7 days; the certificates last years.
    let config = client_with(|b| {
        b.set_ocsp_validation(OcspValidation::IfStapled);
        b.set_wall_clock(in_ten_days);
    });
    for v in VERSIONS {
        assert_eq!(
            staple_alert(v, "good.der", &config),
            Some(AlertDescription::BAD_CERTIFICATE_STATUS_RESPONSE),
            "{v}"
        );
    }
}

#[test]
fn must_staple_fails_without_a_staple() {
    require_openssl!();
    for (mode, ok) in [
        (OcspValidation::Required, false),
        (OcspValidation::IfStapled, true),
    ] {
        let config = client_with(|b| {
            b.set_ocsp_validation(mode);
        });
        for v in VERSIONS {
            let srv = s_server_leaf(v, &[]);
            match connect(&config, &srv) {
                Ok(conn) => {
                    assert!(ok, "{v} {mode:?}");
                    assert_eq!(conn.ocsp_response(), None);
                }
                Err(e) => {
                    assert!(!ok, "{v} {mode:?}: {e}");
                    assert_eq!(
                        e.sent_alert(),
                        Some(AlertDescription::BAD_CERTIFICATE_STATUS_RESPONSE)
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------- CRLs

fn crl_alert(
    crls: &[&str],
    f: impl Fn(&mut baton::ConfigBuilder),
) -> Vec<Option<AlertDescription>> {
    let config = client_with(|b| {
        for crl in crls {
            b.add_crl_pem(&pki_read(crl)).unwrap();
        }
        f(b);
    });
    VERSIONS
        .iter()
        .map(|v| {
            let srv = s_server_leaf(v, &[]);
            connect(&config, &srv)
                .err()
                .map(|e| e.sent_alert().unwrap_or_else(|| panic!("{v}: {e}")))
        })
        .collect()
}

#[test]
fn crls_revoke_the_leaf_or_the_intermediate() {
    require_openssl!();
    let revoked = Some(AlertDescription::CERTIFICATE_REVOKED);
    assert_eq!(
        crl_alert(&["inter-none.crl", "root-none.crl"], |_| {}),
        [None, None]
    );
    assert_eq!(
        crl_alert(&["inter-leaf-revoked.crl", "root-none.crl"], |_| {}),
        [revoked, revoked]
    );
    assert_eq!(
        crl_alert(&["inter-none.crl", "root-inter-revoked.crl"], |_| {}),
        [revoked, revoked]
    );
    // End-entity depth: the intermediate's revocation is not looked at.
    assert_eq!(
        crl_alert(&["inter-none.crl", "root-inter-revoked.crl"], |b| {
            b.set_revocation_depth(baton::cert::RevocationDepth::EndEntity);
        }),
        [None, None]
    );
}

#[test]
fn crl_unknown_status_fails_unless_allowed() {
    require_openssl!();
    let unknown = Some(AlertDescription::CERTIFICATE_UNKNOWN);
    // Only the intermediate's CRL: the intermediate itself is not covered.
    assert_eq!(crl_alert(&["inter-none.crl"], |_| {}), [unknown, unknown]);
    assert_eq!(
        crl_alert(&["inter-none.crl"], |b| {
            b.allow_unknown_revocation_status(true);
        }),
        [None, None]
    );
}

// ---------------------------------------------------------------- SCT

/// Both versions (the 1.2-only `default` policy needs an RSA chain).
#[test]
fn sct_list_from_baton_server_to_baton_client() {
    let ck = Arc::new(
        CertChainAndKey::from_pem_files(data("server-rsa.pem"), data("server-rsa.key")).unwrap(),
    );
    let list = [0u8, 6, 0, 4, 0xde, 0xad, 0xbe, 0xef];
    ck.set_sct_list(&list).unwrap();
    assert!(ck.set_sct_list(&[0, 0]).is_err());
    for policy in ["default_tls13", "default"] {
        for ask in [true, false] {
            let mut b = Config::builder_minimal();
            b.add_shared_cert_chain_and_key(Arc::clone(&ck));
            b.security_policy(policy).unwrap();
            let server = baton_server(b.build().unwrap(), |conn| {
                conn.negotiate()?;
                conn.shutdown()?;
                Ok(conn.actual_protocol_version())
            });
            let mut b = Config::builder_minimal();
            b.add_pem_to_trust_store(&std::fs::read(data("ca-rsa.pem")).unwrap())
                .unwrap();
            b.request_sct_list(ask);
            b.security_policy(policy).unwrap();
            let config = b.build().unwrap();
            let mut conn = baton_client(&config, server.port, |c| {
                c.set_server_name("localhost").unwrap()
            })
            .unwrap();
            let got = conn.sct_list().map(<[u8]>::to_vec);
            let _ = conn.shutdown();
            let version = server.join(TIMEOUT).unwrap();
            let want = if policy == "default" {
                "TLSv1.2"
            } else {
                "TLSv1.3"
            };
            assert_eq!(format!("{:?}", version.unwrap()), want);
            assert_eq!(got.as_deref(), ask.then_some(&list[..]), "{version:?}");
        }
    }
}

/// A Baton server's staple and SCTs reach a Baton client that validates,
/// in both versions (20190214 is TLS 1.2 with ECDSA suites).
#[test]
fn baton_to_baton_staple_and_scts() {
    require_openssl!(); // the PKI is made with openssl
    let ck = leaf_chain();
    ck.set_ocsp_response(&pki_read("good.der")).unwrap();
    let list = [0u8, 5, 0, 3, 1, 2, 3];
    ck.set_sct_list(&list).unwrap();
    for (policy, want) in [("default_tls13", "TLSv1.3"), ("20190214", "TLSv1.2")] {
        let mut b = Config::builder_minimal();
        b.add_shared_cert_chain_and_key(Arc::clone(&ck));
        b.security_policy(policy).unwrap();
        let server = baton_server(b.build().unwrap(), |conn| {
            conn.negotiate()?;
            conn.shutdown()?;
            Ok(())
        });
        let config = client_with(|b| {
            b.security_policy(policy).unwrap();
            b.set_ocsp_validation(OcspValidation::Required);
            b.request_sct_list(true);
        });
        let mut conn =
            connect_port(&config, server.port).unwrap_or_else(|e| panic!("{policy}: {e}"));
        assert_eq!(
            conn.actual_protocol_version()
                .map(|v| v.to_string())
                .as_deref(),
            Some(want)
        );
        assert_eq!(conn.ocsp_response(), Some(&pki_read("good.der")[..]));
        assert_eq!(conn.sct_list(), Some(&list[..]));
        let _ = conn.shutdown();
        server.join(TIMEOUT).unwrap();
    }
    // A revoked staple from a Baton server: the client refuses it.
    ck.set_ocsp_response(&pki_read("revoked.der")).unwrap();
    let server = baton_server(server_with(Arc::clone(&ck)), |conn| conn.negotiate());
    let config = client_with(|b| {
        b.set_ocsp_validation(OcspValidation::IfStapled);
    });
    let e = connect_port(&config, server.port).unwrap_err();
    assert_eq!(e.sent_alert(), Some(AlertDescription::CERTIFICATE_REVOKED));
    let e = server.join(TIMEOUT).unwrap_err();
    assert!(e.contains("certificate_revoked"), "{e}");
}

fn connect_port(config: &Config, port: u16) -> Result<Connection, baton::Error> {
    baton_client(config, port, |c| c.set_server_name("localhost").unwrap())
}

/// `openssl s_server -serverinfo` with a signed_certificate_timestamp
/// extension (SERVERINFOV2: TLS 1.2 ServerHello and TLS 1.3 leaf
/// CertificateEntry, sent when the ClientHello has it): the Baton client
/// exposes the list when it asked, and the server sends nothing otherwise.
#[test]
fn baton_client_reads_openssl_sct_list() {
    require_openssl!();
    let list = [0u8, 6, 0, 4, 0xde, 0xad, 0xbe, 0xef];
    // context (SSL_EXT_CLIENT_HELLO | TLS1_2_SERVER_HELLO | TLS1_3_CERTIFICATE),
    // then the extension: type 18, length, body.
    let mut info = vec![0, 0, 0x11, 0x80, 0, 18, 0, list.len() as u8];
    info.extend_from_slice(&list);
    let b64 = {
        // A tiny base64 encoder: the file is one short PEM block.
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in info.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(char::from(A[(n >> (18 - 6 * i) & 63) as usize]));
                } else {
                    out.push('=');
                }
            }
        }
        out
    };
    let file = scratch_dir().join("serverinfo-sct.pem");
    std::fs::write(
        &file,
        format!(
            "-----BEGIN SERVERINFOV2 FOR SCT-----\n{b64}\n-----END SERVERINFOV2 FOR SCT-----\n"
        ),
    )
    .unwrap();
    let file = file.to_str().unwrap();
    for v in VERSIONS {
        for ask in [true, false] {
            let srv = s_server_leaf(v, &["-serverinfo", file]);
            let config = client_with(|b| {
                b.request_sct_list(ask);
            });
            let conn = connect(&config, &srv).unwrap_or_else(|e| panic!("{v}: {e}"));
            assert_eq!(conn.sct_list(), ask.then_some(&list[..]), "{v} ask={ask}");
        }
    }
}
