use super::*;
use crate::engine::{Engine, Mode};
use crate::msgs::codec::Codec;
use crate::msgs::enums::ContentType;
use crate::msgs::handshake::HRR_RANDOM;
use crate::record::MAX_PLAINTEXT;

/// A started client and the ClientHello it sent.
fn started_client() -> (Engine, ClientHello) {
    let cfg = crate::Config::builder_minimal().build().unwrap();
    let mut e = Engine::new(cfg, Mode::Client);
    e.c.info.server_name = Some("localhost".into());
    e.start().unwrap();
    let out = e.pending_output().to_vec();
    e.consume_output(out.len());
    let len = usize::from(u16::from_be_bytes([out[3], out[4]]));
    let ch = ClientHello::read_bytes(&out[5 + 4..5 + len]).unwrap();
    (e, ch)
}

/// A HelloRetryRequest for `ch` that asks only for `cookie` back.
pub(super) fn hrr(ch: &ClientHello, cookie: Vec<u8>) -> Vec<u8> {
    let suite = *ch
        .cipher_suites
        .iter()
        .find(|s| tls13_suite(**s).is_some())
        .unwrap();
    let exts = ServerExtensions {
        supported_version: Some(ProtocolVersion::TLSV1_3),
        cookie: Some(cookie),
        ..Default::default()
    };
    let sh = ServerHello {
        legacy_version: ProtocolVersion::TLSV1_2,
        random: HRR_RANDOM,
        session_id: ch.session_id.clone(),
        cipher_suite: suite,
        compression_method: 0,
        extensions: exts
            .to_extensions(ServerExtContext::HelloRetryRequest)
            .unwrap(),
    };
    HandshakeMessage::new(HandshakePayload::ServerHello(sh))
        .to_bytes()
        .unwrap()
}

/// Feeds a handshake message in plaintext records of at most 2^14 bytes.
pub(super) fn feed(e: &mut Engine, msg: &[u8]) -> Result<()> {
    for chunk in msg.chunks(MAX_PLAINTEXT) {
        let len = (chunk.len() as u16).to_be_bytes();
        let rec = [&[ContentType::HANDSHAKE.0, 3, 3, len[0], len[1]], chunk].concat();
        let space = e.read_space(usize::MAX);
        space[..rec.len()].copy_from_slice(&rec);
        e.commit_read(rec.len());
        e.process()?;
    }
    Ok(())
}

#[test]
fn hrr_with_a_64k_cookie_is_refused_with_an_alert() {
    let (mut client, ch) = started_client();
    // Fits the HRR, but echoed it would overflow the second ClientHello's
    // u16 extension block (this used to fire an assert in the encoder).
    let err = feed(&mut client, &hrr(&ch, vec![0x5a; 65_500])).unwrap_err();
    assert_eq!(err.sent_alert(), Some(AlertDescription::ILLEGAL_PARAMETER));
    // The alert went out in plaintext (no keys yet), and no second ClientHello.
    assert_eq!(
        client.pending_output(),
        [ContentType::ALERT.0, 3, 3, 0, 2, 2, 47]
    );
    let again = client.process().unwrap_err();
    assert_eq!(
        again.sent_alert(),
        Some(AlertDescription::ILLEGAL_PARAMETER)
    );
}

#[test]
fn hrr_cookie_up_to_the_limit_is_echoed() {
    let (mut client, ch) = started_client();
    let cookie = vec![0xc0; MAX_HRR_COOKIE];
    feed(&mut client, &hrr(&ch, cookie.clone())).unwrap();
    let out = client.pending_output().to_vec();
    // Compatibility CCS, then the second ClientHello carrying the cookie.
    assert_eq!(out[..6], [ContentType::CHANGE_CIPHER_SPEC.0, 3, 3, 0, 1, 1]);
    let hello = &out[6..];
    let len = usize::from(u16::from_be_bytes([hello[3], hello[4]]));
    let ch2 = ClientHello::read_bytes(&hello[5 + 4..5 + len]).unwrap();
    let exts = ClientExtensions::parse(&ch2.extensions).unwrap();
    assert_eq!(exts.cookie, Some(cookie));

    let (mut client, ch) = started_client();
    let err = feed(&mut client, &hrr(&ch, vec![0xc0; MAX_HRR_COOKIE + 1])).unwrap_err();
    assert_eq!(err.sent_alert(), Some(AlertDescription::ILLEGAL_PARAMETER));
}

#[test]
fn a_client_hello_too_large_to_encode_is_an_internal_error_not_a_panic() {
    // Past the cookie check, the encoder is the last line of defence.
    let (_, ch) = started_client();
    let mut exts = ClientExtensions::parse(&ch.extensions).unwrap();
    exts.cookie = Some(vec![1; 65_500]);
    let hello = ClientHello {
        extensions: exts.to_extensions().unwrap(),
        ..ch
    };
    let msg = HandshakeMessage::new(HandshakePayload::ClientHello(hello));
    let mut buf = vec![7];
    assert!(msg.encode(&mut buf).is_err());
    assert_eq!(buf, [7], "nothing half-written");
    let cfg = crate::Config::builder_minimal().build().unwrap();
    let mut c = Common::new(cfg, Mode::Client);
    let err = c.queue_handshake(&msg, &mut Transcript::new()).unwrap_err();
    assert_eq!(err.kind(), crate::ErrorKind::Internal);
    assert_eq!(err.sent_alert(), Some(AlertDescription::INTERNAL_ERROR));
}
