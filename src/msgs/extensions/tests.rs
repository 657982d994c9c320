use super::*;
use crate::msgs::codec::{encode_prefixed, put_bytes16, put_u8, Codec, LenPrefix, Reader};
use crate::msgs::enums::{
    AlertDescription, ExtensionType, NamedGroup, ProtocolVersion, SignatureScheme,
};
use crate::msgs::handshake::{ClientHello, ServerHello};
use crate::msgs::test_vectors::*;

fn alert<T: core::fmt::Debug>(r: Result<T, Error>) -> AlertDescription {
    r.expect_err("expected an error")
        .sent_alert()
        .expect("protocol errors carry an alert")
}

fn ext(typ: u16, data: &[u8]) -> Extension {
    Extension {
        typ: ExtensionType(typ),
        data: data.to_vec(),
    }
}

fn share(group: NamedGroup, len: usize) -> KeyShareEntry {
    KeyShareEntry {
        group,
        payload: vec![0x42; len],
    }
}

fn full_client() -> ClientExtensions {
    ClientExtensions {
        server_name: Some("www.example-host_1.com".into()),
        supported_versions: Some(vec![ProtocolVersion::TLSV1_3, ProtocolVersion::TLSV1_2]),
        supported_groups: Some(vec![NamedGroup::X25519, NamedGroup::SECP256R1]),
        signature_algorithms: Some(vec![
            SignatureScheme::ECDSA_SECP256R1_SHA256,
            SignatureScheme::RSA_PSS_RSAE_SHA256,
        ]),
        signature_algorithms_cert: Some(vec![SignatureScheme::ED25519]),
        key_shares: Some(vec![
            share(NamedGroup::X25519, 32),
            share(NamedGroup::SECP256R1, 65),
        ]),
        alpn: Some(vec![b"h2".to_vec(), b"http/1.1".to_vec()]),
        cookie: Some(vec![1, 2, 3]),
        psk_modes: Some(vec![1]),
        early_data: true,
        extended_master_secret: true,
        renegotiation_info: Some(Vec::new()),
        ec_point_formats: Some(vec![0]),
        session_ticket: Some(vec![9; 40]),
        status_request: true,
        sct: true,
        pre_shared_key: Some(vec![0, 3, 7, 7, 7]),
        unknown: Vec::new(),
    }
}

#[test]
fn extension_codec() {
    let e = ext(0x1234, b"abc");
    let b = e.get_encoding().unwrap();
    assert_eq!(b, [0x12, 0x34, 0, 3, b'a', b'b', b'c']);
    assert_eq!(Extension::read_bytes(&b).unwrap(), e);
    assert!(Extension::read_bytes(&b[..6]).is_err());
    assert!(Extension::read_bytes(&[b.as_slice(), &[0]].concat()).is_err());

    let list = vec![e.clone(), Extension::empty(ExtensionType::EARLY_DATA)];
    let mut out = Vec::new();
    encode_extensions(&list, &mut out).unwrap();
    let mut r = Reader::new(&out);
    assert_eq!(read_extensions(&mut r).unwrap(), list);
    assert!(!r.any_left());

    // Empty list is fine; inner lengths must agree with the outer one.
    assert_eq!(read_extensions(&mut Reader::new(&[0, 0])).unwrap(), vec![]);
    assert!(read_extensions(&mut Reader::new(&[0, 3, 0, 1, 0])).is_err());
    assert!(read_extensions(&mut Reader::new(&[0, 4, 0, 1, 0, 1])).is_err());
    assert!(read_extensions(&mut Reader::new(&[0])).is_err());
}

#[test]
fn key_share_entry_codec() {
    let s = share(NamedGroup::X25519, 32);
    assert_eq!(
        KeyShareEntry::read_bytes(&s.get_encoding().unwrap()).unwrap(),
        s
    );
    assert!(KeyShareEntry::read_bytes(&[0, 0x1d, 0, 0]).is_err());
    assert!(KeyShareEntry::read_bytes(&[0, 0x1d, 0, 2, 1]).is_err());
}

#[test]
fn client_extensions_roundtrip_all_fields() {
    let full = full_client();
    let exts = full.to_extensions().unwrap();
    assert_eq!(exts.last().unwrap().typ, ExtensionType::PRE_SHARED_KEY);
    assert_eq!(ClientExtensions::parse(&exts).unwrap(), full);
    assert_eq!(
        ClientExtensions::parse(&[]).unwrap(),
        ClientExtensions::default()
    );
}

#[test]
fn client_extensions_roundtrip_each_field() {
    let full = full_client();
    let d = ClientExtensions::default;
    let singles = [
        ClientExtensions {
            server_name: full.server_name.clone(),
            ..d()
        },
        ClientExtensions {
            supported_versions: full.supported_versions.clone(),
            ..d()
        },
        ClientExtensions {
            supported_groups: full.supported_groups.clone(),
            ..d()
        },
        ClientExtensions {
            signature_algorithms: full.signature_algorithms.clone(),
            ..d()
        },
        ClientExtensions {
            signature_algorithms_cert: full.signature_algorithms_cert.clone(),
            ..d()
        },
        ClientExtensions {
            key_shares: full.key_shares.clone(),
            ..d()
        },
        ClientExtensions {
            key_shares: Some(Vec::new()),
            ..d()
        },
        ClientExtensions {
            alpn: full.alpn.clone(),
            ..d()
        },
        ClientExtensions {
            cookie: full.cookie.clone(),
            ..d()
        },
        ClientExtensions {
            psk_modes: full.psk_modes.clone(),
            ..d()
        },
        ClientExtensions {
            early_data: true,
            ..d()
        },
        ClientExtensions {
            extended_master_secret: true,
            ..d()
        },
        ClientExtensions {
            renegotiation_info: Some(vec![5; 12]),
            ..d()
        },
        ClientExtensions {
            ec_point_formats: full.ec_point_formats.clone(),
            ..d()
        },
        ClientExtensions {
            session_ticket: Some(Vec::new()),
            ..d()
        },
        ClientExtensions {
            status_request: true,
            ..d()
        },
        ClientExtensions {
            pre_shared_key: full.pre_shared_key.clone(),
            ..d()
        },
    ];
    for s in singles {
        let exts = s.to_extensions().unwrap();
        assert_eq!(exts.len(), 1, "{s:?}");
        assert_eq!(ClientExtensions::parse(&exts).unwrap(), s);
    }
}

#[test]
fn rfc8448_client_hello_extensions() {
    let b = hex(RFC8448_CLIENT_HELLO);
    let ch = ClientHello::read_bytes(&b[4..]).unwrap();
    let e = ClientExtensions::parse(&ch.extensions).unwrap();
    assert_eq!(e.server_name.as_deref(), Some("server"));
    assert_eq!(e.supported_versions, Some(vec![ProtocolVersion::TLSV1_3]));
    let groups = e.supported_groups.unwrap();
    assert_eq!(groups.len(), 9);
    assert_eq!(
        groups[..4],
        [
            NamedGroup::X25519,
            NamedGroup::SECP256R1,
            NamedGroup::SECP384R1,
            NamedGroup::SECP521R1
        ]
    );
    assert_eq!(groups[4], NamedGroup(0x0100)); // ffdhe2048
    let shares = e.key_shares.unwrap();
    assert_eq!(shares.len(), 1);
    assert_eq!(shares[0].group, NamedGroup::X25519);
    assert_eq!(shares[0].payload.len(), 32);
    assert_eq!(shares[0].payload[..4], [0x99, 0x38, 0x1d, 0xe5]);
    let sigs = e.signature_algorithms.unwrap();
    assert_eq!(sigs.len(), 15);
    assert_eq!(sigs[0], SignatureScheme::ECDSA_SECP256R1_SHA256);
    assert!(sigs.contains(&SignatureScheme::RSA_PSS_RSAE_SHA256));
    assert_eq!(e.psk_modes, Some(vec![1]));
    assert_eq!(e.renegotiation_info, Some(vec![]));
    assert_eq!(e.session_ticket, Some(vec![]));
    assert_eq!(e.unknown, vec![ExtensionType(0x1c)]); // record_size_limit
    assert!(e.pre_shared_key.is_none() && !e.early_data && e.alpn.is_none());
}

#[test]
fn rfc8448_resumed_client_hello_extensions() {
    let b = hex(RFC8448_RESUMED_CLIENT_HELLO);
    let ch = ClientHello::read_bytes(&b[4..]).unwrap();
    let e = ClientExtensions::parse(&ch.extensions).unwrap();
    assert!(e.early_data);
    assert_eq!(e.pre_shared_key.as_ref().map(Vec::len), Some(0xdd));
    assert_eq!(e.unknown, vec![ExtensionType(0x1c), ExtensionType::PADDING]);
    // Moving pre_shared_key away from the end is illegal.
    let mut exts = ch.extensions.clone();
    let psk = exts.pop().unwrap();
    exts.insert(0, psk);
    assert_eq!(
        alert(ClientExtensions::parse(&exts)),
        AlertDescription::ILLEGAL_PARAMETER
    );
}

#[test]
fn client_duplicates_are_decode_errors() {
    for e in full_client().to_extensions().unwrap() {
        let exts = vec![e.clone(), e];
        assert_eq!(
            alert(ClientExtensions::parse(&exts)),
            AlertDescription::DECODE_ERROR
        );
    }
    // Unknown types too.
    let exts = vec![ext(0x7777, b""), ext(0x7777, b"x")];
    assert_eq!(
        alert(ClientExtensions::parse(&exts)),
        AlertDescription::DECODE_ERROR
    );
    // Two shares for one group: a wrong value, not a repeated extension
    // (RFC 8446 §4.2.8).
    let ks = ClientExtensions {
        key_shares: Some(vec![
            share(NamedGroup::X25519, 32),
            share(NamedGroup::X25519, 32),
        ]),
        ..Default::default()
    };
    assert_eq!(
        alert(ClientExtensions::parse(&ks.to_extensions().unwrap())),
        AlertDescription::ILLEGAL_PARAMETER
    );
}

#[test]
fn client_trailing_bytes_and_truncation() {
    for e in full_client().to_extensions().unwrap() {
        if matches!(
            e.typ,
            ExtensionType::SESSION_TICKET | ExtensionType::PRE_SHARED_KEY
        ) {
            continue; // raw bodies
        }
        let mut longer = e.clone();
        longer.data.push(0);
        assert_eq!(
            alert(ClientExtensions::parse(&[longer])),
            AlertDescription::DECODE_ERROR,
            "{:?}",
            e.typ
        );
        for cut in 0..e.data.len() {
            let short = Extension {
                typ: e.typ,
                data: e.data[..cut].to_vec(),
            };
            let r = ClientExtensions::parse(&[short]);
            assert!(r.is_err(), "{:?} cut at {cut}", e.typ);
        }
    }
}

#[test]
fn client_bad_bodies() {
    let dec = AlertDescription::DECODE_ERROR;
    let cases: &[(u16, &[u8])] = &[
        (43, &[0]),                // supported_versions: empty
        (43, &[3, 3, 4, 3]),       // odd length
        (10, &[0, 0]),             // supported_groups: empty
        (13, &[0, 0]),             // signature_algorithms: empty
        (50, &[0, 0]),             // signature_algorithms_cert: empty
        (16, &[0, 0]),             // alpn: empty list
        (16, &[0, 3, 0, 1, b'a']), // alpn: empty name
        (44, &[0, 0]),             // cookie: empty
        (45, &[0]),                // psk modes: empty
        (11, &[0]),                // ec_point_formats: empty
        (42, &[0]),                // early_data: not empty
        (23, &[0]),                // extended_master_secret: not empty
        (0, &[0, 0]),              // server_name: empty list
        (0, &[0, 4, 0, 0, 2, b'a']),
        (51, &[0, 4, 0, 0x1d, 0, 0]), // empty key share
        (5, &[1, 0, 0]),              // status_request truncated
    ];
    for (typ, body) in cases {
        assert_eq!(
            alert(ClientExtensions::parse(&[ext(*typ, body)])),
            dec,
            "type {typ} body {body:?}"
        );
    }
    // Non-OCSP status requests are ignored, whatever follows.
    let e = ClientExtensions::parse(&[ext(5, &[7, 1, 2, 3])]).unwrap();
    assert!(!e.status_request);
}

fn sni(names: &[(u8, &[u8])]) -> Extension {
    Extension::build(ExtensionType::SERVER_NAME, |o| {
        encode_prefixed(o, LenPrefix::U16, |o| {
            names.iter().try_for_each(|(t, n)| {
                put_u8(o, *t);
                put_bytes16(o, n)
            })
        })
    })
    .unwrap()
}

#[test]
fn server_name_validation() {
    let parse = |names: &[(u8, &[u8])]| ClientExtensions::parse(&[sni(names)]);
    let ok = |n: &[u8]| parse(&[(0, n)]).unwrap().server_name.unwrap();
    assert_eq!(ok(b"Example.COM"), "example.com");
    assert_eq!(ok(b"example.com."), "example.com");
    assert_eq!(ok(b"a"), "a");
    assert_eq!(ok(b"_srv.x-y.Z9"), "_srv.x-y.z9");
    let long = [b'a'; 63].repeat(4);
    let long: Vec<u8> = long
        .chunks(63)
        .collect::<Vec<_>>()
        .join(&b'.')
        .into_iter()
        .take(255)
        .collect();
    assert_eq!(long.len(), 255);
    assert_eq!(ok(&long).len(), 255);

    // An empty name is outside HostName<1..2^16-1>: malformed (RFC 8446 §6.2).
    assert_eq!(alert(parse(&[(0, b"")])), AlertDescription::DECODE_ERROR);
    let ill = AlertDescription::ILLEGAL_PARAMETER;
    for bad in [
        &b"."[..],
        b"..",
        b"a..b",
        b".a",
        b"a b",
        b"a/b",
        b"caf\xc3\xa9",
        b"a\0",
        &[b'a'; 64],
        &[b'a'; 256],
    ] {
        assert_eq!(alert(parse(&[(0, bad)])), ill, "{bad:?}");
    }
    // Other name types are ignored.
    assert_eq!(parse(&[(1, b"??")]).unwrap().server_name, None);
    assert_eq!(
        parse(&[(1, b"??"), (0, b"x.y")])
            .unwrap()
            .server_name
            .as_deref(),
        Some("x.y")
    );
    // Two host names.
    assert_eq!(alert(parse(&[(0, b"a"), (0, b"b")])), ill);
}

fn full_server(ctx: ServerExtContext) -> ServerExtensions {
    use ServerExtContext as C;
    match ctx {
        C::ServerHello13 => ServerExtensions {
            supported_version: Some(ProtocolVersion::TLSV1_3),
            key_share: Some(share(NamedGroup::X25519, 32)),
            pre_shared_key: Some(3),
            ..Default::default()
        },
        C::HelloRetryRequest => ServerExtensions {
            supported_version: Some(ProtocolVersion::TLSV1_3),
            hrr_selected_group: Some(NamedGroup::SECP384R1),
            cookie: Some(vec![0xc0; 100]),
            ..Default::default()
        },
        C::EncryptedExtensions => ServerExtensions {
            server_name_ack: true,
            alpn: Some(b"h2".to_vec()),
            supported_groups: Some(vec![NamedGroup::X25519]),
            early_data: true,
            ..Default::default()
        },
        C::ServerHello12 => ServerExtensions {
            server_name_ack: true,
            alpn: Some(b"http/1.1".to_vec()),
            extended_master_secret: true,
            renegotiation_info: Some(vec![1; 24]),
            ec_point_formats: Some(vec![0]),
            session_ticket_ack: true,
            status_request_ack: true,
            sct_list: Some(vec![0, 5, 0, 3, 1, 2, 3]),
            ..Default::default()
        },
    }
}

const CONTEXTS: [ServerExtContext; 4] = [
    ServerExtContext::ServerHello13,
    ServerExtContext::HelloRetryRequest,
    ServerExtContext::EncryptedExtensions,
    ServerExtContext::ServerHello12,
];

#[test]
fn server_extensions_roundtrip() {
    for ctx in CONTEXTS {
        let full = full_server(ctx);
        let exts = full.to_extensions(ctx).unwrap();
        assert_eq!(
            ServerExtensions::parse(ctx, &exts).unwrap(),
            full,
            "{ctx:?}"
        );
        // Each field alone.
        for e in &exts {
            let one = ServerExtensions::parse(ctx, std::slice::from_ref(e)).unwrap();
            assert_eq!(one.to_extensions(ctx).unwrap(), vec![e.clone()]);
        }
        // Duplicates, of unsolicited types too: the repeat is found first.
        // BoGo: DuplicateExtensionClient-* (SH12, EE),
        // HelloRetryRequest-DuplicateCurve/Cookie-TLS13.
        let dup = match ctx {
            ServerExtContext::ServerHello13 | ServerExtContext::HelloRetryRequest => {
                AlertDescription::ILLEGAL_PARAMETER
            }
            _ => AlertDescription::DECODE_ERROR,
        };
        for e in exts.iter().chain([&ext(0xffff, b"")]) {
            assert_eq!(
                alert(ServerExtensions::parse(ctx, &[e.clone(), e.clone()])),
                dup,
                "{ctx:?}"
            );
        }
        // Trailing bytes.
        for e in &exts {
            let mut longer = e.clone();
            longer.data.push(0);
            assert_eq!(
                alert(ServerExtensions::parse(ctx, &[longer])),
                AlertDescription::DECODE_ERROR
            );
        }
        // Fields of other contexts are not emitted.
        for other in CONTEXTS {
            for e in full_server(other).to_extensions(ctx).unwrap() {
                assert!(ctx.allows(e.typ));
            }
        }
    }
}

#[test]
fn server_extensions_not_allowed() {
    let unsupported = AlertDescription::UNSUPPORTED_EXTENSION;
    let cases: &[(ServerExtContext, u16)] = &[
        (ServerExtContext::ServerHello13, 16),         // alpn
        (ServerExtContext::ServerHello13, 0),          // server_name
        (ServerExtContext::ServerHello13, 44),         // cookie
        (ServerExtContext::HelloRetryRequest, 41),     // pre_shared_key
        (ServerExtContext::EncryptedExtensions, 51),   // key_share
        (ServerExtContext::EncryptedExtensions, 43),   // supported_versions
        (ServerExtContext::EncryptedExtensions, 0x1c), // record_size_limit
        (ServerExtContext::ServerHello12, 43),
        (ServerExtContext::ServerHello12, 0x7777),
    ];
    for (ctx, typ) in cases {
        assert_eq!(
            alert(ServerExtensions::parse(*ctx, &[ext(*typ, b"")])),
            unsupported,
            "{ctx:?} {typ}"
        );
    }
}

#[test]
fn server_bad_bodies() {
    use ServerExtContext as C;
    let dec = AlertDescription::DECODE_ERROR;
    let cases: &[(ServerExtContext, u16, &[u8])] = &[
        (C::ServerHello13, 43, &[3]),
        (C::ServerHello13, 43, &[2, 3, 3, 4]), // a list, not a single version
        (C::ServerHello13, 51, &[0, 0x1d]),    // HRR shape in a SH
        (C::ServerHello13, 51, &[0, 0x1d, 0, 0]),
        (C::ServerHello13, 41, &[0]),
        (C::HelloRetryRequest, 51, &[0, 0x1d, 0, 1, 1]), // SH shape in an HRR
        (C::HelloRetryRequest, 44, &[0, 0]),
        (C::EncryptedExtensions, 0, &[0, 0]),
        (
            C::EncryptedExtensions,
            16,
            &[0, 6, 2, b'h', b'2', 1, b'x', 0],
        ),
        (C::EncryptedExtensions, 16, &[0, 6, 2, b'h', b'2', 1, b'x']), // two protocols
        (C::EncryptedExtensions, 16, &[0, 1, 0]),
        (C::EncryptedExtensions, 16, &[0, 0]),
        (C::EncryptedExtensions, 10, &[0, 0]),
        (C::ServerHello12, 11, &[0]),
        (C::ServerHello12, 35, &[0]),
        (C::ServerHello12, 5, &[1]),
    ];
    for (ctx, typ, body) in cases {
        assert_eq!(
            alert(ServerExtensions::parse(*ctx, &[ext(*typ, body)])),
            dec,
            "{ctx:?} {typ} {body:?}"
        );
    }
}

#[test]
fn rfc8448_server_extensions() {
    let b = hex(RFC8448_SERVER_HELLO);
    let sh = ServerHello::read_bytes(&b[4..]).unwrap();
    let ctx = ServerExtContext::ServerHello13;
    let e = ServerExtensions::parse(ctx, &sh.extensions).unwrap();
    assert_eq!(e.supported_version, Some(ProtocolVersion::TLSV1_3));
    let ks = e.key_share.as_ref().unwrap();
    assert_eq!(ks.group, NamedGroup::X25519);
    assert_eq!(ks.payload.len(), 32);
    assert_eq!(ks.payload[..4], [0xc9, 0x82, 0x88, 0x76]);
    // Our canonical order is the RFC's order.
    assert_eq!(e.to_extensions(ctx).unwrap(), sh.extensions);

    // The RFC's EncryptedExtensions answers record_size_limit, which
    // Baton never offers.
    let b = hex(RFC8448_ENCRYPTED_EXTENSIONS);
    let mut exts = read_extensions(&mut Reader::new(&b[4..])).unwrap();
    let ctx = ServerExtContext::EncryptedExtensions;
    assert_eq!(
        alert(ServerExtensions::parse(ctx, &exts)),
        AlertDescription::UNSUPPORTED_EXTENSION
    );
    exts.retain(|e| e.typ != ExtensionType(0x1c));
    let e = ServerExtensions::parse(ctx, &exts).unwrap();
    assert!(e.server_name_ack);
    assert_eq!(e.supported_groups.as_ref().map(Vec::len), Some(9));
}

#[test]
fn tls12_server_hello_may_echo_supported_groups() {
    // A TLS 1.2 client always offers supported_groups, so a server that
    // answers with its own list (some do) is not answering an unrequested
    // extension (RFC 5246 §7.4.1.4); BoGo: SupportedCurves-ServerHello-TLS12.
    let parsed = ServerExtensions::parse(
        ServerExtContext::ServerHello12,
        &[ext(10, &[0, 2, 0, 0x1d])],
    )
    .unwrap();
    assert_eq!(parsed.supported_groups, Some(vec![NamedGroup::X25519]));
    // And it round-trips (the fuzz oracle's check: it was dropped on encode).
    let again = ServerExtensions::parse(
        ServerExtContext::ServerHello12,
        &parsed
            .to_extensions(ServerExtContext::ServerHello12)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(again, parsed);
}

#[test]
fn sct_extensions_malformed() {
    // ClientHello: the request is empty (RFC 6962 §3.3.1).
    assert_eq!(
        alert(ClientExtensions::parse(&[ext(18, &[0])])),
        AlertDescription::DECODE_ERROR
    );
    assert!(ClientExtensions::parse(&[ext(18, &[])]).unwrap().sct);
    // TLS 1.2 ServerHello: a framed, non-empty SignedCertificateTimestampList.
    for bad in [
        &[][..],
        &[0, 0],
        &[0, 2, 0, 0],
        &[0, 3, 0, 2, 1],
        &[0, 1, 0, 1, 1, 9],
    ] {
        let r = ServerExtensions::parse(ServerExtContext::ServerHello12, &[ext(18, bad)]);
        assert_eq!(alert(r), AlertDescription::DECODE_ERROR, "{bad:?}");
    }
    // TLS 1.3 puts SCTs in the CertificateEntry, never in EncryptedExtensions.
    let r = ServerExtensions::parse(
        ServerExtContext::EncryptedExtensions,
        &[ext(18, &[0, 3, 0, 1, 1])],
    );
    assert_eq!(alert(r), AlertDescription::UNSUPPORTED_EXTENSION);
}
