//! TLS 1.2 on the in-memory pair: every ECDHE suite × group × matching
//! certificate, version negotiation in each direction, the downgrade
//! sentinel, extended master secret, ALPN/SNI and close_notify.

use crate::pair::{client_config, connect, handshake, server_config, transfer, CERTS, GROUPS};
use baton::{
    AlertDescription, CipherSuite, Config, Connection, ErrorKind, NamedGroup, ProtocolVersion,
    SecurityPolicy,
};

pub const TLS12_ECDSA_SUITES: [CipherSuite; 3] = [
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
];
pub const TLS12_RSA_SUITES: [CipherSuite; 3] = [
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
];

/// A policy for `min..=max` with these suites and groups (schemes from the default).
pub fn policy_versions(
    min: ProtocolVersion,
    max: ProtocolVersion,
    suites: &[CipherSuite],
    groups: &[NamedGroup],
) -> &'static SecurityPolicy {
    let base = baton::policy::default_policy();
    Box::leak(Box::new(SecurityPolicy {
        name: "test",
        min_version: min,
        max_version: max,
        cipher_suites: Box::leak(suites.to_vec().into_boxed_slice()),
        groups: Box::leak(groups.to_vec().into_boxed_slice()),
        ..*base
    }))
}

pub fn tls12_policy(suites: &[CipherSuite], groups: &[NamedGroup]) -> &'static SecurityPolicy {
    policy_versions(
        ProtocolVersion::TLSV1_2,
        ProtocolVersion::TLSV1_2,
        suites,
        groups,
    )
}

fn all_suites() -> Vec<CipherSuite> {
    let mut v = vec![
        CipherSuite::TLS13_AES_128_GCM_SHA256,
        CipherSuite::TLS13_AES_256_GCM_SHA384,
        CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
    ];
    v.extend(TLS12_ECDSA_SUITES);
    v.extend(TLS12_RSA_SUITES);
    v
}

/// TLS 1.2 and 1.3, everything Baton implements.
fn both_versions() -> &'static SecurityPolicy {
    policy_versions(
        ProtocolVersion::TLSV1_2,
        ProtocolVersion::TLSV1_3,
        &all_suites(),
        &GROUPS,
    )
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 253) as u8).collect()
}

fn close(a: &mut Connection, b: &mut Connection) {
    a.shutdown_send().unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(b.recv(&mut buf).unwrap(), 0);
    b.shutdown_send().unwrap();
    assert_eq!(a.recv(&mut buf).unwrap(), 0);
}

#[test]
fn every_tls12_suite_group_and_certificate() {
    let payload = pattern(50_000);
    let mut combos = 0;
    for &(cert, key) in CERTS {
        let suites = if cert.contains("rsa") {
            TLS12_RSA_SUITES
        } else {
            TLS12_ECDSA_SUITES
        };
        for suite in suites {
            for group in GROUPS {
                // In TLS 1.2 the client's groups also name the ECDSA certificate's
                // curve (RFC 8422 §5.1); the server's policy holds only `group`.
                let mut client_groups = vec![group];
                if cert.contains("p256") {
                    client_groups.push(NamedGroup::SECP256R1);
                } else if cert.contains("p384") {
                    client_groups.push(NamedGroup::SECP384R1);
                }
                let p = tls12_policy(&[suite], &client_groups);
                let sp = policy_versions(
                    ProtocolVersion::TLSV1_2,
                    ProtocolVersion::TLSV1_3,
                    &all_suites(),
                    &[group],
                );
                let scfg = server_config(cert, key, Some(sp), &["h2", "http/1.1"]);
                let ccfg = client_config(Some(p), &["http/1.1"]);
                let (mut c, mut s) = connect(&ccfg, &scfg, "localhost");
                let (cr, sr) = handshake(&mut c, &mut s);
                cr.unwrap_or_else(|e| panic!("{cert} {suite:?} {group:?}: client {e:?}"));
                sr.unwrap();
                for conn in [&c, &s] {
                    assert_eq!(
                        conn.actual_protocol_version(),
                        Some(ProtocolVersion::TLSV1_2)
                    );
                    assert_eq!(conn.cipher_suite(), Some(suite));
                    assert_eq!(conn.kx_group(), Some(group));
                    assert_eq!(conn.alpn(), Some(&b"http/1.1"[..]));
                }
                assert_eq!(s.server_name(), Some("localhost"));
                assert_eq!(c.client_protocol_version(), Some(ProtocolVersion::TLSV1_2));
                assert_eq!(transfer(&mut c, &mut s, &payload), payload);
                assert_eq!(transfer(&mut s, &mut c, &payload), payload);
                let (mut ek, mut sk) = ([0u8; 32], [0u8; 32]);
                c.export_keying_material(b"EXPERIMENTAL baton", b"ctx", &mut ek)
                    .unwrap();
                s.export_keying_material(b"EXPERIMENTAL baton", b"ctx", &mut sk)
                    .unwrap();
                assert_eq!(ek, sk, "both ends export the same keying material");
                close(&mut c, &mut s);
                combos += 1;
            }
        }
    }
    assert_eq!(combos, 27);
}

#[test]
fn version_negotiation_each_way() {
    let ecdsa = ("server-p256-chain.pem", "server-p256.key");
    // TLS 1.3 + 1.2 client, TLS 1.2-only server: TLS 1.2, and no downgrade alarm
    // (a TLS 1.2-only server does not set the sentinel).
    let scfg = server_config(
        ecdsa.0,
        ecdsa.1,
        Some(tls12_policy(&TLS12_ECDSA_SUITES, &GROUPS)),
        &[],
    );
    let ccfg = client_config(Some(both_versions()), &[]);
    let (mut c, mut s) = connect(&ccfg, &scfg, "localhost");
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    assert_eq!(c.actual_protocol_version(), Some(ProtocolVersion::TLSV1_2));
    assert_eq!(c.client_protocol_version(), Some(ProtocolVersion::TLSV1_3));
    assert_eq!(s.client_protocol_version(), Some(ProtocolVersion::TLSV1_3));
    assert_eq!(s.server_protocol_version(), Some(ProtocolVersion::TLSV1_2));
    // Both sides offer EMS, so both use it.
    assert_eq!(c.extended_master_secret(), Some(true));
    assert_eq!(s.extended_master_secret(), Some(true));
    close(&mut c, &mut s);

    // TLS 1.2-only client, TLS 1.3 + 1.2 server: TLS 1.2.
    let scfg = server_config(ecdsa.0, ecdsa.1, Some(both_versions()), &[]);
    let ccfg = client_config(Some(tls12_policy(&TLS12_ECDSA_SUITES, &GROUPS)), &[]);
    let (mut c, mut s) = connect(&ccfg, &scfg, "localhost");
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    assert_eq!(s.actual_protocol_version(), Some(ProtocolVersion::TLSV1_2));
    assert_eq!(s.client_protocol_version(), Some(ProtocolVersion::TLSV1_2));
    assert_eq!(s.server_protocol_version(), Some(ProtocolVersion::TLSV1_3));
    close(&mut c, &mut s);

    // Both sides with both versions: TLS 1.3.
    let ccfg = client_config(Some(both_versions()), &[]);
    let (mut c, mut s) = connect(&ccfg, &scfg, "localhost");
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    assert_eq!(c.actual_protocol_version(), Some(ProtocolVersion::TLSV1_3));
    // TLS 1.3 has no extended master secret to report.
    assert_eq!(c.extended_master_secret(), None);
    assert_eq!(s.extended_master_secret(), None);

    // TLS 1.3-only client, TLS 1.2-only server: protocol_version.
    let scfg = server_config(
        ecdsa.0,
        ecdsa.1,
        Some(tls12_policy(&TLS12_ECDSA_SUITES, &GROUPS)),
        &[],
    );
    let ccfg = client_config(
        Some(policy_versions(
            ProtocolVersion::TLSV1_3,
            ProtocolVersion::TLSV1_3,
            &[CipherSuite::TLS13_AES_128_GCM_SHA256],
            &GROUPS,
        )),
        &[],
    );
    let (mut c, mut s) = connect(&ccfg, &scfg, "localhost");
    let (cr, sr) = handshake(&mut c, &mut s);
    assert_eq!(
        sr.unwrap_err().sent_alert(),
        Some(AlertDescription::PROTOCOL_VERSION)
    );
    assert_eq!(
        cr.unwrap_err().kind(),
        ErrorKind::Alert(AlertDescription::PROTOCOL_VERSION)
    );
}

/// An attacker strips TLS 1.3 from the ClientHello (renames supported_versions):
/// the TLS 1.3-capable server answers TLS 1.2 with the sentinel, and the client
/// catches the downgrade before anything else.
#[test]
fn downgrade_sentinel_is_set_and_checked() {
    use std::io::{Read, Write};
    let scfg = server_config(
        "server-p256-chain.pem",
        "server-p256.key",
        Some(both_versions()),
        &[],
    );
    let ccfg = client_config(Some(both_versions()), &[]);
    let (client_end, mut mitm_client_side) = crate::pair::duplex();
    let (mut mitm_server_side, server_end) = crate::pair::duplex();
    let mut c = Connection::new_client(&ccfg);
    c.set_server_name("localhost").unwrap();
    c.set_io(client_end);
    let mut s = Connection::new_server(&scfg);
    s.set_io(server_end);
    assert!(c.negotiate().unwrap_err().is_blocked());
    let mut hello = vec![0u8; 4096];
    let n = mitm_client_side.read(&mut hello).unwrap();
    hello.truncate(n);
    // supported_versions (0x002b) with [1.3, 1.2] → an unknown extension type.
    let pat = [0x00, 0x2b, 0x00, 0x05, 0x04, 0x03, 0x04, 0x03, 0x03];
    let at = hello
        .windows(pat.len())
        .position(|w| w == pat)
        .expect("supported_versions in the ClientHello");
    hello[at] = 0xfa;
    hello[at + 1] = 0xfa;
    mitm_server_side.write_all(&hello).unwrap();
    assert!(s.negotiate().unwrap_err().is_blocked());
    let mut flight = vec![0u8; 16384];
    let n = mitm_server_side.read(&mut flight).unwrap();
    flight.truncate(n);
    // ServerHello.random ends with "DOWNGRD\x01": header 5 + 4, version 2, random 32.
    assert_eq!(&flight[5 + 4 + 2 + 24..5 + 4 + 2 + 32], b"DOWNGRD\x01");
    mitm_client_side.write_all(&flight).unwrap();
    let err = c.negotiate().unwrap_err();
    assert_eq!(err.sent_alert(), Some(AlertDescription::ILLEGAL_PARAMETER));
    assert!(err.message().contains("downgrade"), "{err}");
}

#[test]
fn a_policy_without_tls13_never_negotiates_it() {
    let scfg = server_config(
        "server-rsa.pem",
        "server-rsa.key",
        Some(tls12_policy(&TLS12_RSA_SUITES, &GROUPS)),
        &[],
    );
    let ccfg = client_config(Some(both_versions()), &[]);
    let (mut c, mut s) = connect(&ccfg, &scfg, "localhost");
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    assert_eq!(c.actual_protocol_version(), Some(ProtocolVersion::TLSV1_2));
}

#[test]
fn ecdsa_suites_need_an_ecdsa_certificate() {
    // RSA certificate, only ECDSA suites offered: nothing in common.
    let scfg = server_config(
        "server-rsa.pem",
        "server-rsa.key",
        Some(both_versions()),
        &[],
    );
    let ccfg = client_config(Some(tls12_policy(&TLS12_ECDSA_SUITES, &GROUPS)), &[]);
    let (mut c, mut s) = connect(&ccfg, &scfg, "localhost");
    let (cr, sr) = handshake(&mut c, &mut s);
    assert_eq!(
        sr.unwrap_err().sent_alert(),
        Some(AlertDescription::HANDSHAKE_FAILURE)
    );
    assert!(cr.is_err());
}

#[test]
fn server_prefers_its_own_order_across_certificates() {
    // Two certificates; the client offers RSA suites first: the server still
    // uses its policy order, which puts ECDSA suites first.
    let mut b = Config::builder_minimal();
    for (c, k) in [
        ("server-rsa.pem", "server-rsa.key"),
        ("server-p256-chain.pem", "server-p256.key"),
    ] {
        b.add_cert_chain_and_key(
            baton::CertChainAndKey::from_pem_files(crate::pair::data(c), crate::pair::data(k))
                .unwrap(),
        );
    }
    let mut ours = TLS12_ECDSA_SUITES.to_vec();
    ours.extend(TLS12_RSA_SUITES);
    b.custom_security_policy(tls12_policy(&ours, &GROUPS))
        .unwrap();
    let scfg = b.build().unwrap();
    let mut theirs = TLS12_RSA_SUITES.to_vec();
    theirs.extend(TLS12_ECDSA_SUITES);
    let ccfg = client_config(Some(tls12_policy(&theirs, &GROUPS)), &[]);
    let (mut c, mut s) = connect(&ccfg, &scfg, "localhost");
    let (cr, sr) = handshake(&mut c, &mut s);
    cr.unwrap();
    sr.unwrap();
    assert_eq!(
        s.cipher_suite(),
        Some(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
    );
}

/// rfc9151 bounds the signatures anywhere in the peer's chain to SHA-384 ones:
/// the test chains are signed with SHA-256, so they are refused under rfc9151
/// with unsupported_certificate, while the same chains pass under the default.
#[test]
fn rfc9151_restricts_certificate_chain_signatures() {
    let client = |name: &str| {
        let mut b = Config::builder_minimal();
        for ca in ["ca-rsa.pem", "ca-ecdsa.pem"] {
            b.add_pem_to_trust_store(&std::fs::read(crate::pair::data(ca)).unwrap())
                .unwrap();
        }
        b.security_policy(name).unwrap();
        b.build().unwrap()
    };
    for (cert, key) in [
        ("server-p384.pem", "server-p384.key"),
        ("server-rsa.pem", "server-rsa.key"),
    ] {
        let scfg = server_config(cert, key, Some(both_versions()), &[]);
        let (mut c, mut s) = connect(&client("rfc9151"), &scfg, "localhost");
        let (cr, _) = handshake(&mut c, &mut s);
        let e = cr.unwrap_err();
        assert_eq!(
            e.sent_alert(),
            Some(AlertDescription::UNSUPPORTED_CERTIFICATE),
            "{cert}: {e:?}"
        );
        let (mut c, mut s) = connect(&client("default_tls13"), &scfg, "localhost");
        let (cr, sr) = handshake(&mut c, &mut s);
        cr.unwrap();
        sr.unwrap();
    }
}

/// ChaCha20 boosting: the boosted CloudFront policy gives ChaCha20 to a client
/// that lists it first, in both versions; the plain policy and an AES-first
/// client get AES-128-GCM, the server's own first choice.
#[test]
fn chacha20_boosting() {
    let server = |name: &str| {
        let mut b = Config::builder_minimal();
        b.add_cert_chain_and_key(
            baton::CertChainAndKey::from_pem_files(
                crate::pair::data("server-p256-chain.pem"),
                crate::pair::data("server-p256.key"),
            )
            .unwrap(),
        );
        b.security_policy(name).unwrap();
        b.build().unwrap()
    };
    let cases = [
        // (TLS 1.3?, client suites in its order, expected with boosted, expected plain)
        (
            true,
            vec![
                CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
                CipherSuite::TLS13_AES_128_GCM_SHA256,
            ],
            CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
            CipherSuite::TLS13_AES_128_GCM_SHA256,
        ),
        (
            true,
            vec![
                CipherSuite::TLS13_AES_128_GCM_SHA256,
                CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
            ],
            CipherSuite::TLS13_AES_128_GCM_SHA256,
            CipherSuite::TLS13_AES_128_GCM_SHA256,
        ),
        (
            false,
            vec![
                CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
                CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            ],
            CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        ),
    ];
    for (tls13, suites, boosted, plain) in cases {
        let v = if tls13 {
            ProtocolVersion::TLSV1_3
        } else {
            ProtocolVersion::TLSV1_2
        };
        let ccfg = client_config(
            Some(policy_versions(
                v,
                v,
                &suites,
                &[NamedGroup::X25519, NamedGroup::SECP256R1],
            )),
            &[],
        );
        for (name, want) in [
            ("CloudFront-TLS-1-2-2021-ChaCha20-Boosted", boosted),
            ("CloudFront-TLS-1-2-2021", plain),
        ] {
            let (mut c, mut s) = connect(&ccfg, &server(name), "localhost");
            let (cr, sr) = handshake(&mut c, &mut s);
            cr.unwrap_or_else(|e| panic!("{name} {suites:?}: {e:?}"));
            sr.unwrap();
            assert_eq!(s.cipher_suite(), Some(want), "{name} with {suites:?}");
            assert_eq!(s.actual_protocol_version(), Some(v));
        }
    }
}
