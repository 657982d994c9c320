//! Regression tests for what BoringSSL's BoGo suite found (tools/bogo-run):
//! each names the BoGo tests it stands for.

use super::tests::{pump, unfinished, TLS12_ONLY};
use super::*;
use crate::msgs::enums::{ExtensionType, HandshakeType};
use crate::msgs::extensions::Extension;

/// The content types of the records in `bytes`, in order.
fn record_types(bytes: &[u8]) -> Vec<u8> {
    let mut types = Vec::new();
    let mut rest = bytes;
    while rest.len() >= 5 {
        let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        types.push(rest[0]);
        rest = &rest[(5 + len).min(rest.len())..];
    }
    types
}

#[test]
fn tls13_client_alert_after_server_hello_is_encrypted() {
    // RFC 8446 §5: once the ServerHello is in, the client's records (alerts
    // included) go under its handshake traffic key. BoGo: the runner could
    // not read an alert sent in the clear ("bad record MAC").
    let (mut client, mut server) = unfinished(None);
    client.start().unwrap();
    pump(&mut client, &mut server).unwrap();
    let flight = server.pending_output().to_vec();
    server.consume_output(flight.len());
    let sh_len = 5 + usize::from(u16::from_be_bytes([flight[3], flight[4]]));
    // The ServerHello, then a record the client cannot decrypt.
    let mut bogus = flight[..sh_len].to_vec();
    bogus.extend_from_slice(&[ContentType::APPLICATION_DATA.0, 3, 3, 0, 20]);
    bogus.extend_from_slice(&[0u8; 20]);
    let space = client.read_space(usize::MAX);
    space[..bogus.len()].copy_from_slice(&bogus);
    client.commit_read(bogus.len());
    let err = client.process().unwrap_err();
    assert_eq!(err.sent_alert(), Some(AlertDescription::BAD_RECORD_MAC));
    let types = record_types(client.pending_output());
    assert!(
        !types.contains(&ContentType::ALERT.0),
        "alert in the clear: {types:?}"
    );
    assert_eq!(types.last(), Some(&ContentType::APPLICATION_DATA.0));
    // The server, which reads under that key, sees the client's alert.
    let _ = pump(&mut client, &mut server);
    assert_eq!(
        server.error().map(|e| e.kind()),
        Some(crate::ErrorKind::Alert(AlertDescription::BAD_RECORD_MAC))
    );
}

/// The server's first flight with its ServerHello (the first message of the
/// first record) changed by `edit` and re-encoded; the rest passes unchanged.
fn edited_server_hello(
    flight: &[u8],
    tls13: bool,
    edit: impl FnOnce(&mut crate::msgs::handshake::ServerHello),
) -> Vec<u8> {
    let rec_len = 5 + usize::from(u16::from_be_bytes([flight[3], flight[4]]));
    let msg_len = 4
        + usize::from(u16::from_be_bytes([flight[7], flight[8]]))
        + (usize::from(flight[6]) << 16);
    let body = &flight[9..5 + msg_len];
    let parsed = if tls13 {
        HandshakeMessage::read_tls13(HandshakeType::SERVER_HELLO, body)
    } else {
        HandshakeMessage::read_tls12(HandshakeType::SERVER_HELLO, body)
    };
    let HandshakePayload::ServerHello(mut sh) = parsed.unwrap().payload else {
        panic!("not a ServerHello");
    };
    edit(&mut sh);
    let mut payload = HandshakeMessage::new(HandshakePayload::ServerHello(sh))
        .to_bytes()
        .unwrap();
    payload.extend_from_slice(&flight[5 + msg_len..rec_len]);
    let mut out = vec![ContentType::HANDSHAKE.0, 3, 3];
    out.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&flight[rec_len..]);
    out
}

#[test]
fn unrequested_server_extensions_are_unsupported_extension() {
    // RFC 8446 §4.2, RFC 5246 §7.4.1.4: a response to an extension we never
    // sent is unsupported_extension (BoGo: UnofferedExtension-Client,
    // AlwaysSelectPSKIdentity-TLS13). The client offered no ALPN and no PSK.
    let alpn = Extension {
        typ: ExtensionType::ALPN,
        data: vec![0, 3, 2, b'h', b'2'],
    };
    let psk = Extension {
        typ: ExtensionType::PRE_SHARED_KEY,
        data: vec![0, 0],
    };
    for (tls12, ext) in [(true, alpn), (false, psk)] {
        let (mut client, mut server) =
            unfinished(tls12.then_some((&TLS12_ONLY, RenegotiationRefusal::Warning)));
        client.start().unwrap();
        pump(&mut client, &mut server).unwrap();
        let flight = server.pending_output().to_vec();
        let edited = edited_server_hello(&flight, !tls12, |sh| sh.extensions.push(ext));
        let space = client.read_space(usize::MAX);
        space[..edited.len()].copy_from_slice(&edited);
        client.commit_read(edited.len());
        let err = client.process().unwrap_err();
        assert_eq!(
            err.sent_alert(),
            Some(AlertDescription::UNSUPPORTED_EXTENSION),
            "tls12={tls12}: {err}"
        );
    }
}

/// Feeds `bytes` to `e` and processes them.
fn feed(e: &mut Engine, bytes: &[u8]) -> Result<()> {
    let space = e.read_space(usize::MAX);
    space[..bytes.len()].copy_from_slice(bytes);
    e.commit_read(bytes.len());
    e.process()
}

/// One plaintext record.
fn record(typ: ContentType, body: &[u8]) -> Vec<u8> {
    let mut v = vec![typ.0, 3, 3];
    v.extend_from_slice(&(body.len() as u16).to_be_bytes());
    v.extend_from_slice(body);
    v
}

/// The client's ClientHello record, changed by `edit` and re-encoded.
fn edited_hello(
    client: &mut Engine,
    edit: impl FnOnce(&mut crate::msgs::handshake::ClientHello),
) -> Vec<u8> {
    let hello = client.pending_output().to_vec();
    client.consume_output(hello.len());
    let parsed = HandshakeMessage::read_tls13(HandshakeType::CLIENT_HELLO, &hello[9..]).unwrap();
    let HandshakePayload::ClientHello(mut ch) = parsed.payload else {
        panic!("not a ClientHello");
    };
    edit(&mut ch);
    let msg = HandshakeMessage::new(HandshakePayload::ClientHello(ch))
        .to_bytes()
        .unwrap();
    record(ContentType::HANDSHAKE, &msg)
}

#[test]
fn hello_retry_request_must_end_its_record() {
    // A HelloRetryRequest is a ServerHello (RFC 8446 §5.1: aligned with a
    // record boundary); what follows it in the record belongs to a transcript
    // that does not exist yet. BoGo: PartialServerHelloWithHelloRetryRequest.
    let (mut client, mut server) = unfinished(None);
    client.start().unwrap();
    // The server sees only P-256 and no share, so it asks for one.
    let edited = edited_hello(&mut client, |ch| {
        for e in &mut ch.extensions {
            if e.typ == ExtensionType::SUPPORTED_GROUPS {
                e.data = vec![0, 2, 0, 0x17];
            } else if e.typ == ExtensionType::KEY_SHARE {
                e.data = vec![0, 0];
            }
        }
    });
    feed(&mut server, &edited).unwrap();
    let out = server.pending_output().to_vec();
    let len = usize::from(u16::from_be_bytes([out[3], out[4]]));
    let mut body = out[5..5 + len].to_vec();
    assert_eq!(body[0], HandshakeType::SERVER_HELLO.0);
    // The start of another message in the HelloRetryRequest's record.
    body.extend_from_slice(&[HandshakeType::SERVER_HELLO.0, 0, 0, 40]);
    let err = feed(&mut client, &record(ContentType::HANDSHAKE, &body)).unwrap_err();
    assert_eq!(err.sent_alert(), Some(AlertDescription::UNEXPECTED_MESSAGE));
}

#[test]
fn warning_alert_before_the_server_hello_is_tolerated() {
    // A TLS 1.2 server may warn unrecognized_name before its ServerHello
    // (RFC 6066 §3); the client cannot know the version yet, so it treats
    // the warning as TLS 1.2 does. BoGo: SendSNIWarningAlert.
    let (mut client, mut server) = unfinished(Some((&TLS12_ONLY, RenegotiationRefusal::Warning)));
    client.start().unwrap();
    pump(&mut client, &mut server).unwrap();
    let mut flight = record(
        ContentType::ALERT,
        &[1, AlertDescription::UNRECOGNIZED_NAME.0],
    );
    flight.extend_from_slice(server.pending_output());
    server.consume_output(server.pending_output().len());
    feed(&mut client, &flight).unwrap();
    for _ in 0..4 {
        pump(&mut client, &mut server).unwrap();
        pump(&mut server, &mut client).unwrap();
    }
    assert!(client.is_handshake_complete() && server.is_handshake_complete());
}

#[test]
fn tls12_empty_application_data_before_finished_is_unexpected() {
    // Application data, even an empty record, is legal only once the peer's
    // Finished is in; between its ChangeCipherSpec and Finished it is not.
    // BoGo: AppDataAfterChangeCipherSpec-Empty.
    let (mut client, mut server) = unfinished(Some((&TLS12_ONLY, RenegotiationRefusal::Warning)));
    client.start().unwrap();
    pump(&mut client, &mut server).unwrap();
    pump(&mut server, &mut client).unwrap();
    // The client's flight: ClientKeyExchange, CCS, then (instead of its
    // Finished) an empty application_data record under the new key.
    let flight = client.pending_output().to_vec();
    client.consume_output(flight.len());
    let ccs = flight
        .windows(6)
        .position(|w| w == [20, 3, 3, 0, 1, 1])
        .expect("CCS in the flight");
    let mut wire = flight[..ccs + 6].to_vec();
    let enc = client.c.send.state.encrypter_mut().unwrap();
    enc.set_seq_for_test(0);
    enc.seal(ContentType::APPLICATION_DATA, b"", 0, &mut wire)
        .unwrap();
    let err = feed(&mut server, &wire).unwrap_err();
    assert_eq!(err.sent_alert(), Some(AlertDescription::UNEXPECTED_MESSAGE));
}

#[test]
fn tls12_hello_without_null_compression_is_illegal_parameter() {
    // The list must contain null (RFC 5246 §7.4.1.2): a wrong value, so
    // illegal_parameter as in TLS 1.3 (RFC 8446 §4.1.2), not a negotiation
    // failure. BoGo: NoNullCompression-TLS12.
    let (mut client, mut server) = unfinished(Some((&TLS12_ONLY, RenegotiationRefusal::Warning)));
    client.start().unwrap();
    let edited = edited_hello(&mut client, |ch| ch.compression_methods = vec![1]);
    let err = feed(&mut server, &edited).unwrap_err();
    assert_eq!(err.sent_alert(), Some(AlertDescription::ILLEGAL_PARAMETER));
}

#[test]
fn tls12_server_echoing_our_session_id_is_illegal_parameter() {
    // Our session id is only TLS 1.3's compatibility value: we never offer a
    // TLS 1.2 session, so a server echoing it claims a resumption we cannot
    // do (RFC 5246 §7.4.1.3). BoGo: EchoTLS13CompatibilitySessionID,
    // TLS12-NoTicket-NoOffer.
    let (mut client, _) = unfinished(None);
    let (_, mut server) = unfinished(Some((&TLS12_ONLY, RenegotiationRefusal::Warning)));
    client.start().unwrap();
    let hello = client.pending_output().to_vec();
    let ch = HandshakeMessage::read_tls13(HandshakeType::CLIENT_HELLO, &hello[9..]).unwrap();
    let HandshakePayload::ClientHello(ch) = ch.payload else {
        panic!("not a ClientHello");
    };
    assert_eq!(ch.session_id.len(), 32);
    pump(&mut client, &mut server).unwrap();
    let flight = server.pending_output().to_vec();
    let edited = edited_server_hello(&flight, false, |sh| sh.session_id = ch.session_id.clone());
    let err = feed(&mut client, &edited).unwrap_err();
    assert_eq!(
        err.sent_alert(),
        Some(AlertDescription::ILLEGAL_PARAMETER),
        "{err}"
    );
}

#[test]
fn tls13_unsolicited_certificate_entry_extension_is_unsupported_extension() {
    // RFC 8446 §4.4.2: extensions in the server's CertificateEntry must answer
    // ones the client sent, and we send none (no OCSP or SCT request): §4.2
    // names unsupported_extension. BoGo: SendUnknownExtensionOnCertificate-TLS13.
    let (mut client, mut server) = unfinished(None);
    client.start().unwrap();
    pump(&mut client, &mut server).unwrap();
    let flight = server.pending_output().to_vec();
    server.consume_output(flight.len());
    // ServerHello and the compatibility CCS in the clear: the client installs
    // the server's handshake key.
    let sh_len = 5 + usize::from(u16::from_be_bytes([flight[3], flight[4]]));
    let clear = sh_len + 6;
    assert_eq!(flight[sh_len], ContentType::CHANGE_CIPHER_SPEC.0);
    feed(&mut client, &flight[..clear]).unwrap();
    // Open the encrypted flight with the client's key, then rewind it.
    let mut messages = Vec::new();
    let mut rest = flight[clear..].to_vec();
    let dec = client.c.recv.state.decrypter_mut().unwrap();
    let mut records = 0;
    while !rest.is_empty() {
        let len = 5 + usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        let mut rec: Vec<u8> = rest.drain(..len).collect();
        let (hdr, body) = rec.split_at_mut(5);
        let (typ, range) = dec.open(&hdr[..].try_into().unwrap(), body).unwrap();
        assert_eq!(typ, ContentType::HANDSHAKE);
        messages.extend_from_slice(&body[range]);
        records += 1;
    }
    dec.set_seq_for_test(0);
    let Phase::Handshaking(Hs::Client13(state)) = &client.phase else {
        panic!("client not in its TLS 1.3 handshake");
    };
    let (suite, secret) = state.server_handshake_keys().unwrap();
    // Give the leaf's entry an extension nobody asked for.
    let mut edited = Vec::new();
    let mut m = &messages[..];
    while !m.is_empty() {
        let len = 4 + (usize::from(m[1]) << 16 | usize::from(u16::from_be_bytes([m[2], m[3]])));
        let (one, tail) = m.split_at(len);
        m = tail;
        if one[0] != HandshakeType::CERTIFICATE.0 {
            edited.extend_from_slice(one);
            continue;
        }
        let parsed = HandshakeMessage::read_tls13(HandshakeType::CERTIFICATE, &one[4..]).unwrap();
        let HandshakePayload::Certificate13(mut cert) = parsed.payload else {
            panic!("not a TLS 1.3 Certificate");
        };
        cert.entries[0].extensions.push(Extension {
            typ: ExtensionType(0x7777),
            data: vec![],
        });
        let msg = HandshakeMessage::new(HandshakePayload::Certificate13(cert));
        edited.extend_from_slice(&msg.to_bytes().unwrap());
    }
    assert!(records > 0);
    let (key, iv) = crate::tls13::key_schedule::traffic_key_iv(suite.hash, suite.aead, &secret);
    let mut enc = crate::record::protect::Encrypter::new_tls13(suite.aead, &key, &iv).unwrap();
    let mut wire = Vec::new();
    for chunk in edited.chunks(16384) {
        enc.seal(ContentType::HANDSHAKE, chunk, 0, &mut wire)
            .unwrap();
    }
    let err = feed(&mut client, &wire).unwrap_err();
    assert_eq!(
        err.sent_alert(),
        Some(AlertDescription::UNSUPPORTED_EXTENSION),
        "{err}"
    );
}

/// TLS 1.2 with ECDHE-ECDSA, the client offering only X25519 and P-256.
static TLS12_P256_ONLY: crate::policy::SecurityPolicy = crate::policy::SecurityPolicy {
    name: "test-tls12-p256",
    min_version: crate::ProtocolVersion::TLSV1_2,
    max_version: crate::ProtocolVersion::TLSV1_2,
    cipher_suites: &[crate::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256],
    signature_schemes: &[
        crate::SignatureScheme::ECDSA_SECP256R1_SHA256,
        crate::SignatureScheme::ECDSA_SECP384R1_SHA384,
    ],
    groups: &[crate::NamedGroup::X25519, crate::NamedGroup::SECP256R1],
    certificate_signature_schemes: None,
    chacha20_boosted: false,
};

#[test]
fn tls12_client_refuses_an_ecdsa_leaf_on_a_curve_it_did_not_offer() {
    // In TLS 1.2 supported_groups also bounds the curve of the server's ECDSA
    // key (RFC 8422 §5.1, as Baton's server already honours). BoGo:
    // CheckLeafCurve.
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
    let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    let mut sb = Config::builder_minimal();
    sb.add_cert_chain_and_key(
        crate::CertChainAndKey::from_pem(cert.pem().as_bytes(), key.serialize_pem().as_bytes())
            .unwrap(),
    );
    sb.custom_security_policy(&TLS12_P256_ONLY).unwrap();
    let mut cb = Config::builder_minimal();
    cb.disable_x509_verification();
    cb.custom_security_policy(&TLS12_P256_ONLY).unwrap();
    let mut client = Engine::new(cb.build().unwrap(), Mode::Client);
    let mut server = Engine::new(sb.build().unwrap(), Mode::Server);
    client.start().unwrap();
    // Baton's server would refuse the P-384 key for this client: offer P-384
    // to the server, so that it picks the key, and keep the client's state.
    let edited = edited_hello(&mut client, |ch| {
        for e in &mut ch.extensions {
            if e.typ == ExtensionType::SUPPORTED_GROUPS {
                e.data = vec![0, 4, 0, 0x1d, 0, 0x18];
            }
        }
    });
    feed(&mut server, &edited).unwrap();
    let err = pump(&mut server, &mut client).unwrap_err();
    assert_eq!(
        err.sent_alert(),
        Some(AlertDescription::UNSUPPORTED_CERTIFICATE),
        "{err}"
    );
}

#[test]
fn tls12_records_after_the_hello_carry_the_negotiated_version() {
    // Once TLS 1.2 is negotiated, a record with another version is refused
    // (protocol_version) as the kernel's TLS 1.2 receive path refuses it;
    // TLS 1.3's legacy_record_version stays ignored (RFC 8446 §5.1). BoGo:
    // CheckRecordVersion-TLS12.
    let (c, mut s) = super::tests::unfinished(Some((&TLS12_ONLY, RenegotiationRefusal::Warning)));
    let mut client = c;
    client.start().unwrap();
    for _ in 0..4 {
        pump(&mut client, &mut s).unwrap();
        pump(&mut s, &mut client).unwrap();
    }
    s.write_app_record(b"hello").unwrap();
    let mut rec = s.pending_output().to_vec();
    s.consume_output(rec.len());
    rec[2] = 1; // 0x0301
    let err = feed(&mut client, &rec).unwrap_err();
    assert_eq!(
        err.sent_alert(),
        Some(AlertDescription::PROTOCOL_VERSION),
        "{err}"
    );
}
