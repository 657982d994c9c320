//! Regression tests for BoGo's NewSessionTicket findings (tools/bogo-run):
//! the TLS 1.3 client checks a ticket before dropping it. Each test names
//! the BoGo tests it stands for.

use super::tests::pump;
use super::*;
use crate::msgs::enums::HandshakeType;

/// Feeds `bytes` to `e` and processes them.
fn feed(e: &mut Engine, bytes: &[u8]) -> Result<()> {
    let space = e.read_space(usize::MAX);
    space[..bytes.len()].copy_from_slice(bytes);
    e.commit_read(bytes.len());
    e.process()
}

/// A NewSessionTicket body: lifetime, age_add, a 1-byte nonce, a 1-byte
/// ticket, then `rest` (the extensions block, or anything).
fn ticket_body(rest: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, 0x0e, 0x10, 1, 2, 3, 4, 1, 0, 0, 1, 0xaa];
    b.extend_from_slice(rest);
    b
}

/// `exts` as an extensions block.
fn ext_block(exts: &[(u16, &[u8])]) -> Vec<u8> {
    let mut list = Vec::new();
    for (typ, body) in exts {
        list.extend_from_slice(&typ.to_be_bytes());
        list.extend_from_slice(&(body.len() as u16).to_be_bytes());
        list.extend_from_slice(body);
    }
    let mut b = (list.len() as u16).to_be_bytes().to_vec();
    b.extend_from_slice(&list);
    b
}

/// Sends a NewSessionTicket with `body` from a connected TLS 1.3 server
/// (under its application key) and returns what the client made of it.
fn client_reads_ticket(body: &[u8]) -> Result<()> {
    let (mut client, mut server) = super::tests::connected();
    let mut msg = vec![HandshakeType::NEW_SESSION_TICKET.0, 0];
    msg.extend_from_slice(&(body.len() as u16).to_be_bytes());
    msg.extend_from_slice(body);
    let mut rec = Vec::new();
    let enc = server.c.send.state.encrypter_mut().unwrap();
    enc.seal(ContentType::HANDSHAKE, &msg, 0, &mut rec).unwrap();
    feed(&mut client, &rec)?;
    // Still connected: data flows.
    server.write_app_record(b"after the ticket").unwrap();
    pump(&mut server, &mut client)?;
    assert_eq!(super::tests::drain(&mut client), b"after the ticket");
    Ok(())
}

#[test]
fn tls13_new_session_tickets_are_checked_before_they_are_dropped() {
    // RFC 8446 §4.6.1 and §4.2. BoGo (they need a client that offers
    // psk_key_exchange_modes, i.e. resumption, before the runner sends a
    // ticket): SendEmptySessionTicket-TLS13, TLS13-DuplicateTicketEarlyDataSupport,
    // TLS13-Client-EmptyTicketFlags, TLS13-Client-NonminimalTicketFlags.
    let early = 16384u32.to_be_bytes();
    let ok = ticket_body(&ext_block(&[
        (42, &early),
        (62, &[1, 0x02]),
        (0x7777, b"x"),
    ]));
    client_reads_ticket(&ok).unwrap();
    client_reads_ticket(&ticket_body(&ext_block(&[]))).unwrap();

    let decode = AlertDescription::DECODE_ERROR;
    let illegal = AlertDescription::ILLEGAL_PARAMETER;
    let cases: [(&str, Vec<u8>, AlertDescription); 7] = [
        (
            "empty ticket",
            vec![0, 0, 0, 1, 1, 2, 3, 4, 0, 0, 0, 0, 0],
            decode,
        ),
        (
            "trailing data",
            [ticket_body(&ext_block(&[])), vec![0]].concat(),
            decode,
        ),
        (
            "duplicate early_data",
            ticket_body(&ext_block(&[(42, &early), (42, &early)])),
            illegal,
        ),
        (
            "short early_data",
            ticket_body(&ext_block(&[(42, &early[1..])])),
            decode,
        ),
        (
            "empty flags",
            ticket_body(&ext_block(&[(62, &[0])])),
            decode,
        ),
        (
            "non-minimal flags",
            ticket_body(&ext_block(&[(62, &[2, 1, 0])])),
            illegal,
        ),
        (
            "key_share",
            ticket_body(&ext_block(&[(51, &[0, 0x1d, 0, 0])])),
            illegal,
        ),
    ];
    for (what, body, alert) in cases {
        let err = client_reads_ticket(&body).expect_err(what);
        assert_eq!(err.sent_alert(), Some(alert), "{what}: {err}");
    }
}
