use crate::engine::{Engine, Mode};
use crate::error::{AlertDescription, Result};
use crate::msgs::enums::ContentType;

const CCS: [u8; 6] = [ContentType::CHANGE_CIPHER_SPEC.0, 3, 3, 0, 1, 1];

fn server() -> Engine {
    let mut b = crate::Config::builder_minimal();
    b.add_cert_chain_and_key(
        crate::CertChainAndKey::from_pem(
            include_bytes!("../../../tests/data/server-p256-chain.pem"),
            include_bytes!("../../../tests/data/server-p256.key"),
        )
        .unwrap(),
    );
    Engine::new(b.build().unwrap(), Mode::Server)
}

fn feed(e: &mut Engine, bytes: &[u8]) -> Result<()> {
    e.read_space(usize::MAX)[..bytes.len()].copy_from_slice(bytes);
    e.commit_read(bytes.len());
    e.process()
}

#[test]
fn change_cipher_spec_before_the_client_hello_is_unexpected() {
    let mut s = server();
    let err = feed(&mut s, &CCS).unwrap_err();
    assert_eq!(err.sent_alert(), Some(AlertDescription::UNEXPECTED_MESSAGE));
    assert_eq!(
        s.pending_output(),
        [ContentType::ALERT.0, 3, 3, 0, 2, 2, 10]
    );
}

#[test]
fn change_cipher_spec_after_the_client_hello_is_ignored_once() {
    let cfg = crate::Config::builder_minimal().build().unwrap();
    let mut client = Engine::new(cfg, Mode::Client);
    client.c.info.server_name = Some("localhost".into());
    client.start().unwrap();
    let hello = client.pending_output().to_vec();
    let mut s = server();
    feed(&mut s, &hello).unwrap();
    feed(&mut s, &CCS).unwrap();
    let err = feed(&mut s, &CCS).unwrap_err();
    assert_eq!(err.sent_alert(), Some(AlertDescription::UNEXPECTED_MESSAGE));
}

/// A client that shares only X25519, for a server that wants P-384.
fn hello_retry() -> (Engine, Engine) {
    let mut client = Engine::new(
        crate::Config::builder_minimal().build().unwrap(),
        Mode::Client,
    );
    client.c.info.server_name = Some("localhost".into());
    client.start().unwrap();
    let base = crate::policy::default_policy();
    let policy = Box::leak(Box::new(crate::policy::SecurityPolicy {
        name: "p384-only",
        min_version: base.min_version,
        max_version: base.max_version,
        cipher_suites: base.cipher_suites,
        signature_schemes: base.signature_schemes,
        certificate_signature_schemes: base.certificate_signature_schemes,
        groups: &[crate::NamedGroup::SECP384R1],
        chacha20_boosted: false,
    }));
    let mut b = crate::Config::builder_minimal();
    b.add_cert_chain_and_key(
        crate::CertChainAndKey::from_pem(
            include_bytes!("../../../tests/data/server-p256-chain.pem"),
            include_bytes!("../../../tests/data/server-p256.key"),
        )
        .unwrap(),
    );
    b.custom_security_policy(policy).unwrap();
    let mut server = Engine::new(b.build().unwrap(), Mode::Server);
    let hello = client.pending_output().to_vec();
    client.consume_output(hello.len());
    feed(&mut server, &hello).unwrap();
    (client, server)
}

/// The server keeps its state, so it needs no cookie (RFC 8446 §4.2.2:
/// the server MAY send one) and sends none: 36 bytes fewer, and no
/// echo for the client to get wrong.
#[test]
fn hello_retry_request_carries_no_cookie() {
    use crate::msgs::enums::ExtensionType;
    use crate::msgs::handshake::{HandshakeMessage, HandshakePayload};
    let (_, server) = hello_retry();
    let out = server.pending_output();
    let len = usize::from(u16::from_be_bytes([out[3], out[4]]));
    let msg = HandshakeMessage::read_tls13(
        crate::msgs::enums::HandshakeType::SERVER_HELLO,
        &out[9..5 + len],
    )
    .unwrap();
    let HandshakePayload::ServerHello(hrr) = msg.payload else {
        panic!("not a HelloRetryRequest");
    };
    assert!(hrr.is_hrr());
    let types: Vec<_> = hrr.extensions.iter().map(|e| e.typ).collect();
    assert_eq!(types.len(), 2, "{types:?}");
    assert!(!types.contains(&ExtensionType::COOKIE), "{types:?}");
}

#[test]
fn plaintext_records_over_two_to_the_fourteen_are_record_overflow() {
    // The start of a 20000-byte ClientHello in one 2^14 + 1 byte record:
    // legal as ciphertext, too long as the plaintext it is here.
    let mut body = vec![1, 0, 0x4e, 0x20];
    body.resize(crate::record::MAX_PLAINTEXT + 1, 0);
    let len = (body.len() as u16).to_be_bytes();
    let rec = [&[ContentType::HANDSHAKE.0, 3, 1, len[0], len[1]], &body[..]].concat();
    let mut s = server();
    let err = feed(&mut s, &rec).unwrap_err();
    assert_eq!(err.sent_alert(), Some(AlertDescription::RECORD_OVERFLOW));
    // And a plaintext alert of that size.
    let mut s = server();
    let mut rec = rec;
    rec[0] = ContentType::ALERT.0;
    let err = feed(&mut s, &rec).unwrap_err();
    assert_eq!(err.sent_alert(), Some(AlertDescription::RECORD_OVERFLOW));
}
