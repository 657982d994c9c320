//! Floods against the engine's receive limits, on both receive paths, and
//! the rejected 0-RTT skip.

use super::super::tests::{connected, drain, pump, unfinished};
use super::*;
use crate::engine::{Engine, KernelOp};
use crate::msgs::enums::{ContentType, ExtensionType, HandshakeType};
use crate::msgs::extensions::{ClientExtensions, Extension};
use crate::msgs::handshake::{ClientHello, HandshakeMessage, HandshakePayload, ServerHello};
use crate::offload::Direction;
use crate::record::protect::Encrypter;

fn alert_of(r: Result<()>) -> Option<AlertDescription> {
    r.expect_err("the flood must fail").sent_alert()
}

/// One KeyUpdate record: header, 4-byte message header and 1-byte body,
/// inner type, tag.
const KEY_UPDATE_RECORD: usize = 5 + 5 + 1 + 16;

#[test]
fn key_update_requests_from_a_peer_that_never_reads_are_answered_once() {
    let (mut client, mut server) = connected();
    // Application data between requests keeps the KeyUpdate count low, so
    // only the coalescing keeps the server's output bounded.
    for _ in 0..10_000 {
        client.key_update(true).unwrap();
        client.write_app_record(b"x").unwrap();
        pump(&mut client, &mut server).unwrap();
    }
    assert_eq!(drain(&mut server).len(), 10_000);
    assert_eq!(server.pending_output().len(), KEY_UPDATE_RECORD);
    // The one answer is enough: the client reads what the server sends next.
    server.write_app_record(b"under the next key").unwrap();
    pump(&mut server, &mut client).unwrap();
    assert_eq!(drain(&mut client), b"under the next key");
    // Data went out under that key, so the next request is answered again.
    client.key_update(true).unwrap();
    pump(&mut client, &mut server).unwrap();
    assert_eq!(server.pending_output().len(), KEY_UPDATE_RECORD);
    pump(&mut server, &mut client).unwrap();
    server.write_app_record(b"and the one after").unwrap();
    pump(&mut server, &mut client).unwrap();
    assert_eq!(drain(&mut client), b"and the one after");
}

#[test]
fn key_updates_without_application_data_are_limited() {
    let (mut client, mut server) = connected();
    for round in 0..3 {
        for _ in 0..MAX_KEY_UPDATES {
            client.key_update(false).unwrap();
            pump(&mut client, &mut server).unwrap();
        }
        client.write_app_record(b"resets the count").unwrap();
        pump(&mut client, &mut server).unwrap();
        assert_eq!(drain(&mut server), b"resets the count", "round {round}");
    }
    for _ in 0..MAX_KEY_UPDATES {
        client.key_update(false).unwrap();
    }
    pump(&mut client, &mut server).unwrap();
    client.key_update(false).unwrap();
    let r = pump(&mut client, &mut server);
    assert_eq!(alert_of(r), Some(AlertDescription::UNEXPECTED_MESSAGE));
}

#[test]
fn warning_alerts_are_limited_and_reset_by_application_data() {
    let (mut client, mut server) = connected();
    for _ in 0..100 {
        client.c.queue_alert(AlertDescription::USER_CANCELED);
        client.write_app_record(b"y").unwrap();
        pump(&mut client, &mut server).unwrap();
    }
    assert_eq!(drain(&mut server).len(), 100);
    for _ in 0..MAX_WARNING_ALERTS {
        client.c.queue_alert(AlertDescription::USER_CANCELED);
    }
    pump(&mut client, &mut server).unwrap();
    client.c.queue_alert(AlertDescription::USER_CANCELED);
    let r = pump(&mut client, &mut server);
    assert_eq!(alert_of(r), Some(AlertDescription::UNEXPECTED_MESSAGE));
}

#[test]
fn empty_records_are_limited_and_reset_by_data() {
    let (mut client, mut server) = connected();
    for _ in 0..10 {
        for _ in 0..MAX_EMPTY_RECORDS {
            client.write_app_record(b"").unwrap();
        }
        client.write_app_record(b"z").unwrap();
        pump(&mut client, &mut server).unwrap();
    }
    assert_eq!(drain(&mut server), b"zzzzzzzzzz");
    for _ in 0..=MAX_EMPTY_RECORDS {
        client.write_app_record(b"").unwrap();
    }
    let r = pump(&mut client, &mut server);
    assert_eq!(alert_of(r), Some(AlertDescription::UNEXPECTED_MESSAGE));
}

/// BoGo's interleaving: `empty` empty records with `alerts` warning alerts
/// (user_canceled) alternating at the end, fed through `send`.
fn interleaved(empty: u32, alerts: u32, mut send: impl FnMut(bool) -> Result<()>) -> Result<()> {
    for i in (1..=empty.max(alerts)).rev() {
        if i <= empty {
            send(false)?;
        }
        if i <= alerts {
            send(true)?;
        }
    }
    Ok(())
}

#[test]
fn warning_alerts_do_not_end_a_run_of_empty_records() {
    // Neither moves the connection forward, so neither resets the other's
    // count: alternating them must not get around both limits. BoGo:
    // AlternateTooManyEmptyRecordsAndWarningAlerts (and the passing
    // AlternateEmptyRecordsAndWarningAlerts, ...TooManyWarningAlerts).
    let cases = [
        (MAX_EMPTY_RECORDS, MAX_WARNING_ALERTS, true),
        (MAX_EMPTY_RECORDS + 1, MAX_WARNING_ALERTS, false),
        (MAX_EMPTY_RECORDS, MAX_WARNING_ALERTS + 1, false),
    ];
    for (empty, alerts, ok) in cases {
        let (mut client, mut server) = connected();
        let r = interleaved(empty, alerts, |alert| {
            if alert {
                client.c.queue_alert(AlertDescription::USER_CANCELED);
            } else {
                client.write_app_record(b"")?;
            }
            pump(&mut client, &mut server)
        });
        assert_eq!(r.is_ok(), ok, "{empty} empty, {alerts} alerts");
        if !ok {
            assert_eq!(alert_of(r), Some(AlertDescription::UNEXPECTED_MESSAGE));
        }
        // The kernel receive path counts the same.
        let mut server = kernel_server();
        let r = interleaved(empty, alerts, |alert| match alert {
            true => server.process_kernel_record(ContentType::ALERT.0, &[1, 90]),
            false => server.process_kernel_record(ContentType::APPLICATION_DATA.0, b""),
        });
        assert_eq!(r.is_ok(), ok, "kernel: {empty} empty, {alerts} alerts");
    }
}

#[test]
fn a_second_change_cipher_spec_is_refused() {
    let (mut client, mut server) = unfinished(None);
    client.start().unwrap();
    client.c.send_ccs().unwrap();
    pump(&mut client, &mut server).unwrap();
    client.c.send_ccs().unwrap();
    let r = pump(&mut client, &mut server);
    assert_eq!(alert_of(r), Some(AlertDescription::UNEXPECTED_MESSAGE));
}

/// A connected server whose both directions the kernel took over.
fn kernel_server() -> Engine {
    let (_client, mut server) = connected();
    server.move_to_kernel(Direction::Send).unwrap();
    server.move_to_kernel(Direction::Recv).unwrap();
    server
}

const KEY_UPDATE_REQUESTED: [u8; 5] = [24, 0, 0, 1, 1];
const KEY_UPDATE_NOT_REQUESTED: [u8; 5] = [24, 0, 0, 1, 0];

#[test]
fn kernel_path_key_update_flood_leaves_at_most_one_rekey_queued() {
    let mut server = kernel_server();
    for _ in 0..10_000 {
        server
            .process_kernel_record(ContentType::HANDSHAKE.0, &KEY_UPDATE_REQUESTED)
            .unwrap();
        server
            .process_kernel_record(ContentType::APPLICATION_DATA.0, b"x")
            .unwrap();
    }
    let ops = server.c.send.state.kernel_ops().unwrap();
    let rekeys = ops
        .iter()
        .filter(|op| matches!(op, KernelOp::RekeySend(_)))
        .count();
    assert_eq!((ops.len(), rekeys), (2, 1), "the KeyUpdate and its rekey");
    assert!(server.c.recv.state.take_next_kernel_keys().is_some());
}

#[test]
fn kernel_path_shares_the_limits() {
    let mut server = kernel_server();
    for _ in 0..MAX_KEY_UPDATES {
        server
            .process_kernel_record(ContentType::HANDSHAKE.0, &KEY_UPDATE_NOT_REQUESTED)
            .unwrap();
    }
    let r = server.process_kernel_record(ContentType::HANDSHAKE.0, &KEY_UPDATE_NOT_REQUESTED);
    assert_eq!(alert_of(r), Some(AlertDescription::UNEXPECTED_MESSAGE));

    let mut server = kernel_server();
    for _ in 0..MAX_WARNING_ALERTS {
        server
            .process_kernel_record(ContentType::ALERT.0, &[1, 90])
            .unwrap();
    }
    let r = server.process_kernel_record(ContentType::ALERT.0, &[1, 90]);
    assert_eq!(alert_of(r), Some(AlertDescription::UNEXPECTED_MESSAGE));

    // Application data the caller read from the kernel itself resets them too.
    let mut server = kernel_server();
    for _ in 0..100 {
        server
            .process_kernel_record(ContentType::HANDSHAKE.0, &KEY_UPDATE_NOT_REQUESTED)
            .unwrap();
        server
            .process_kernel_record(ContentType::ALERT.0, &[1, 90])
            .unwrap();
        server.kernel_app_data_received();
    }
}

// ---- rejected 0-RTT ----

/// The client's ClientHello record, changed by `edit` (re-encoded).
fn edited_hello(client: &mut Engine, edit: impl FnOnce(&mut ClientHello)) -> Vec<u8> {
    let out = client.pending_output().to_vec();
    client.consume_output(out.len());
    assert_eq!(out[0], ContentType::HANDSHAKE.0);
    edited_hello_bytes(&out, edit)
}

fn record(typ: ContentType, body: &[u8]) -> Vec<u8> {
    let mut v = vec![typ.0, 3, 3];
    v.extend_from_slice(&(body.len() as u16).to_be_bytes());
    v.extend_from_slice(body);
    v
}

/// A record that looks like 0-RTT: encrypted under a key the server lacks.
fn early_record(len: usize) -> Vec<u8> {
    record(ContentType::APPLICATION_DATA, &vec![0x5a; len - 5])
}

fn offer_early_data(ch: &mut ClientHello) {
    ch.extensions
        .push(Extension::empty(ExtensionType::EARLY_DATA));
}

fn feed(e: &mut Engine, bytes: &[u8]) -> Result<()> {
    let space = e.read_space(bytes.len());
    space.copy_from_slice(bytes);
    e.commit_read(bytes.len());
    e.process()
}

#[test]
fn rejected_early_data_is_skipped_up_to_the_budget() {
    let full = 5 + MAX_PLAINTEXT + 256;
    let (mut client, mut server) = unfinished(None);
    client.start().unwrap();
    let hello = edited_hello(&mut client, offer_early_data);
    feed(&mut server, &hello).unwrap();
    assert!(!server.pending_output().is_empty(), "the server's flight");
    // Exactly the budget is skipped...
    feed(&mut server, &early_record(full)).unwrap();
    feed(&mut server, &early_record(MAX_SKIPPED_EARLY_DATA - full)).unwrap();
    // ...and one byte more is a record that fails to open.
    let r = feed(&mut server, &early_record(6));
    assert_eq!(alert_of(r), Some(AlertDescription::BAD_RECORD_MAC));
}

#[test]
fn without_early_data_offered_nothing_is_skipped() {
    let (mut client, mut server) = unfinished(None);
    client.start().unwrap();
    let hello = edited_hello(&mut client, |_| {});
    feed(&mut server, &hello).unwrap();
    let r = feed(&mut server, &early_record(100));
    assert_eq!(alert_of(r), Some(AlertDescription::BAD_RECORD_MAC));
}

#[test]
fn skipping_ends_at_the_first_record_that_opens() {
    let (mut client, mut server) = unfinished(None);
    client.start().unwrap();
    let hello = edited_hello(&mut client, offer_early_data);
    feed(&mut server, &hello).unwrap();
    feed(&mut server, &early_record(300)).unwrap();
    // A record under the client's handshake key (the start of a Finished,
    // which the server keeps until the rest arrives) opens...
    let keys = server.c.recv.state.decrypter().unwrap().traffic_keys();
    let iv: [u8; 12] = keys.iv.as_bytes().try_into().unwrap();
    let mut enc = Encrypter::new_tls13(keys.aead, &keys.key, &iv).unwrap();
    let mut rec = Vec::new();
    enc.seal(ContentType::HANDSHAKE, &[20, 0], 0, &mut rec)
        .unwrap();
    feed(&mut server, &rec).unwrap();
    // ...and ends the skipping, budget left or not.
    let r = feed(&mut server, &early_record(300));
    assert_eq!(alert_of(r), Some(AlertDescription::BAD_RECORD_MAC));
}

/// A ClientHello record (header included), changed by `edit` (re-encoded).
fn edited_hello_bytes(rec: &[u8], edit: impl FnOnce(&mut ClientHello)) -> Vec<u8> {
    let parsed = HandshakeMessage::read_tls13(HandshakeType::CLIENT_HELLO, &rec[9..]).unwrap();
    let HandshakePayload::ClientHello(mut ch) = parsed.payload else {
        panic!("not a ClientHello");
    };
    edit(&mut ch);
    record(
        ContentType::HANDSHAKE,
        &HandshakeMessage::new(HandshakePayload::ClientHello(ch))
            .to_bytes()
            .unwrap(),
    )
}

/// After a HelloRetryRequest the server skips 0-RTT by its outer type until
/// the second ClientHello, which must not offer early data again; after it
/// nothing is skipped.
#[test]
fn after_hello_retry_early_data_is_skipped_until_the_second_hello() {
    for second_offers_early_data in [false, true] {
        let (mut client, mut server) = unfinished(None);
        client.start().unwrap();
        let original = client.pending_output().to_vec();
        let shares = key_shares_of(&original);
        // No key share: the server must ask again.
        let first = edited_hello(&mut client, |ch| {
            set_key_shares(ch, &[]);
            offer_early_data(ch);
        });
        feed(&mut server, &first).unwrap();
        let hrr = server.pending_output().to_vec();
        server.consume_output(hrr.len());
        // The HelloRetryRequest record, then a ChangeCipherSpec.
        let len = usize::from(u16::from_be_bytes([hrr[3], hrr[4]]));
        let sh =
            HandshakeMessage::read_tls13(HandshakeType::SERVER_HELLO, &hrr[9..5 + len]).unwrap();
        let HandshakePayload::ServerHello(ServerHello { extensions, .. }) = sh.payload else {
            panic!("not a HelloRetryRequest");
        };
        let group = extensions
            .iter()
            .find(|e| e.typ == ExtensionType::KEY_SHARE)
            .unwrap()
            .data
            .clone();
        // The client's 0-RTT, sent before it saw the HelloRetryRequest.
        feed(&mut server, &early_record(1000)).unwrap();
        feed(&mut server, &early_record(1000)).unwrap();
        let second = edited_hello_bytes(&first, |ch| {
            ch.extensions.retain(|e| e.typ != ExtensionType::EARLY_DATA);
            if second_offers_early_data {
                offer_early_data(ch);
            }
            let share: Vec<_> = shares
                .iter()
                .filter(|(g, _)| g.to_be_bytes()[..] == group[..])
                .cloned()
                .collect();
            set_key_shares(ch, &share);
        });
        let r = feed(&mut server, &second);
        if second_offers_early_data {
            assert_eq!(alert_of(r), Some(AlertDescription::ILLEGAL_PARAMETER));
            continue;
        }
        r.unwrap();
        let r = feed(&mut server, &early_record(100));
        assert_eq!(alert_of(r), Some(AlertDescription::BAD_RECORD_MAC));
    }
}

/// (group, key) of each key share in a ClientHello record.
fn key_shares_of(rec: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let parsed = HandshakeMessage::read_tls13(HandshakeType::CLIENT_HELLO, &rec[9..]).unwrap();
    let HandshakePayload::ClientHello(ch) = parsed.payload else {
        panic!("not a ClientHello");
    };
    let exts = ClientExtensions::parse(&ch.extensions).unwrap();
    exts.key_shares
        .unwrap()
        .into_iter()
        .map(|s| (s.group.0, s.payload))
        .collect()
}

fn set_key_shares(ch: &mut ClientHello, shares: &[(u16, Vec<u8>)]) {
    let mut body = Vec::new();
    for (g, key) in shares {
        body.extend_from_slice(&g.to_be_bytes());
        body.extend_from_slice(&(key.len() as u16).to_be_bytes());
        body.extend_from_slice(key);
    }
    let mut data = (body.len() as u16).to_be_bytes().to_vec();
    data.extend_from_slice(&body);
    for e in &mut ch.extensions {
        if e.typ == ExtensionType::KEY_SHARE {
            e.data = data.clone();
        }
    }
}
