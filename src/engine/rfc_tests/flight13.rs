//! TLS 1.3 encrypted flights: the server's EncryptedExtensions to Finished
//! (the client enforces), the client's Finished (the server enforces), and
//! post-handshake messages.

use super::peer::{after_handshake, msg_mut, tamper, Edit, Msg, Setup};
use super::{row, Row};
use crate::engine::Mode::{Client, Server};
use crate::error::AlertDescription as A;
use crate::msgs::codec::Codec;
use crate::msgs::enums::{ContentType as C, HandshakeType as H};
use crate::msgs::handshake::ServerHello;
use crate::{CipherSuite, ProtocolVersion};

/// The server's encrypted flight (EE, Certificate, CertificateVerify,
/// Finished), rewritten by `$f`; the client is the victim.
macro_rules! server_flight {
    ($f:expr) => {
        || tamper(Setup::Tls13, 1, Edit::Sealed($f))
    };
}

/// The client's encrypted flight (Finished), rewritten by `$f`.
macro_rules! client_flight {
    ($f:expr) => {
        || tamper(Setup::Tls13, 2, Edit::Sealed($f))
    };
}

/// One handshake record `from` sends after the handshake.
macro_rules! post {
    ($from:expr, $msgs:expr) => {
        || {
            after_handshake(
                Setup::Tls13,
                $from,
                &[(C::HANDSHAKE, &super::peer::join(&$msgs))],
            )
        }
    };
}

/// Adds an EncryptedExtensions extension.
fn ee_push(m: &mut [Msg], typ: u16, data: &[u8]) {
    let body = &mut msg_mut(m, H::ENCRYPTED_EXTENSIONS).body;
    let len = u16::from_be_bytes([body[0], body[1]]) as usize + 4 + data.len();
    body[..2].copy_from_slice(&(len as u16).to_be_bytes());
    body.extend_from_slice(&typ.to_be_bytes());
    body.extend_from_slice(&(data.len() as u16).to_be_bytes());
    body.extend_from_slice(data);
}

fn drop_msg(m: &mut Vec<Msg>, typ: H) {
    m.retain(|x| x.typ != typ);
}

/// Inserts `msg` before the first message of type `before`.
fn insert_before(m: &mut Vec<Msg>, before: H, msg: Msg) {
    let at = m.iter().position(|x| x.typ == before).unwrap();
    m.insert(at, msg);
}

fn a_server_hello() -> Vec<u8> {
    ServerHello {
        legacy_version: ProtocolVersion::TLSV1_2,
        random: [3; 32],
        session_id: Vec::new(),
        cipher_suite: CipherSuite::TLS13_AES_128_GCM_SHA256,
        compression_method: 0,
        extensions: Vec::new(),
    }
    .get_encoding()
    .unwrap()
}

/// A NewSessionTicket: lifetime, age_add, nonce, ticket, no extensions.
const TICKET: [u8; 17] = [0, 0, 0, 60, 0, 0, 0, 1, 1, 0, 0, 3, 1, 2, 3, 0, 0];
/// Appended to the `TICKET` body, it leaves bytes after the extensions.
const TRAILING: u8 = 0;

pub(super) fn rows() -> Vec<Row> {
    let mut v = server_flight_rows();
    v.extend(client_flight_rows());
    v.extend(post_handshake_rows());
    v
}

#[rustfmt::skip]
fn server_flight_rows() -> Vec<Row> {
    vec![
        row("8446 §4.2", "no extension responses the client did not request",
            Client, "an unknown extension in EncryptedExtensions", A::UNSUPPORTED_EXTENSION,
            server_flight!(|m| ee_push(m, 0x7777, &[]))),
        row("8446 §4.2.10", "early_data is accepted only when offered",
            Client, "early_data without an offer", A::UNSUPPORTED_EXTENSION,
            server_flight!(|m| ee_push(m, 42, &[]))),
        row("6066 §3", "the server's server_name extension_data is empty",
            Client, "a server_name acknowledgement with a body", A::DECODE_ERROR,
            server_flight!(|m| msg_mut(m, H::ENCRYPTED_EXTENSIONS).body = vec![0, 6, 0, 0, 0, 2, 0, 0])),
        row("8446 §4.2.7", "named_group_list<2..2^16-1>",
            Client, "an empty supported_groups in EncryptedExtensions", A::DECODE_ERROR,
            server_flight!(|m| ee_push(m, 10, &[0, 0]))),
        row("8446 §4.3.1", "EncryptedExtensions decodes whole",
            Client, "a byte after the extensions", A::DECODE_ERROR,
            server_flight!(|m| msg_mut(m, H::ENCRYPTED_EXTENSIONS).body.push(0))),
        row("8446 §4.4.2", "a server's certificate_request_context is empty (RFC names no alert)",
            Client, "a one-byte context", A::ILLEGAL_PARAMETER,
            server_flight!(|m| {
                let b = &mut msg_mut(m, H::CERTIFICATE).body;
                b[0] = 1;
                b.insert(1, 7);
            })),
        row("8446 §6.2", "a corrupt certificate is bad_certificate",
            Client, "the leaf's DER cut to its first 20 bytes", A::BAD_CERTIFICATE,
            server_flight!(|m| msg_mut(m, H::CERTIFICATE).body = [&[0u8, 0, 0, 25, 0, 0, 20][..], &[0x30; 20], &[0, 0]].concat())),
        row("7301 §3.1", "the server's ProtocolNameList holds exactly one name",
            Client, "two protocols in EncryptedExtensions", A::DECODE_ERROR,
            || tamper(Setup::Alpn, 1, Edit::Sealed(|m| {
                msg_mut(m, H::ENCRYPTED_EXTENSIONS).body = vec![0, 16, 0, 16, 0, 12, 0, 10, 2, b'h', b'2', 8, b'h', b't', b't', b'p', b'/', b'1', b'.', b'1'];
            }))),
        row("8446 §4.4.2.4", "an empty server Certificate is decode_error",
            Client, "no certificate entries", A::DECODE_ERROR,
            server_flight!(|m| msg_mut(m, H::CERTIFICATE).body = vec![0, 0, 0, 0])),
        row("8446 §4.4.3", "a CertificateVerify that does not verify is decrypt_error",
            Client, "one signature byte changed", A::DECRYPT_ERROR,
            server_flight!(|m| *msg_mut(m, H::CERTIFICATE_VERIFY).body.last_mut().unwrap() ^= 1)),
        row("8446 §4.4.3", "the CertificateVerify scheme is one the client offered",
            Client, "ed448", A::ILLEGAL_PARAMETER,
            server_flight!(|m| msg_mut(m, H::CERTIFICATE_VERIFY).body[..2].copy_from_slice(&[8, 8]))),
        row("8446 §4.2.3", "RSASSA-PKCS1-v1_5 is never a TLS 1.3 CertificateVerify scheme",
            Client, "rsa_pkcs1_sha256", A::ILLEGAL_PARAMETER,
            server_flight!(|m| msg_mut(m, H::CERTIFICATE_VERIFY).body[..2].copy_from_slice(&[4, 1]))),
        row("8446 §4.4.3", "CertificateVerify decodes whole",
            Client, "the signature length runs past the message", A::DECODE_ERROR,
            server_flight!(|m| msg_mut(m, H::CERTIFICATE_VERIFY).body[2] ^= 0x40)),
        row("8446 §4.4.4", "a wrong Finished is decrypt_error",
            Client, "one verify_data byte changed", A::DECRYPT_ERROR,
            server_flight!(|m| msg_mut(m, H::FINISHED).body[0] ^= 1)),
        row("8446 §4.4.2", "a certificate-authenticated server sends Certificate",
            Client, "no Certificate", A::UNEXPECTED_MESSAGE,
            server_flight!(|m| drop_msg(m, H::CERTIFICATE))),
        row("8446 §4.4.3", "... and CertificateVerify before Finished",
            Client, "no CertificateVerify", A::UNEXPECTED_MESSAGE,
            server_flight!(|m| drop_msg(m, H::CERTIFICATE_VERIFY))),
        row("8446 §4.3.1", "EncryptedExtensions follows ServerHello",
            Client, "no EncryptedExtensions", A::UNEXPECTED_MESSAGE,
            server_flight!(|m| drop_msg(m, H::ENCRYPTED_EXTENSIONS))),
        row("8446 §4", "messages come in the order §4 gives",
            Client, "a second ServerHello after EncryptedExtensions", A::UNEXPECTED_MESSAGE,
            server_flight!(|m| insert_before(m, H::CERTIFICATE, Msg::new(H::SERVER_HELLO, &a_server_hello())))),
        row("8446 §4", "messages come in the order §4 gives",
            Client, "NewSessionTicket before Finished", A::UNEXPECTED_MESSAGE,
            server_flight!(|m| insert_before(m, H::FINISHED, Msg::new(H::NEW_SESSION_TICKET, &TICKET)))),
        row("8446 §4.6.3", "KeyUpdate only after the handshake",
            Client, "KeyUpdate before Finished", A::UNEXPECTED_MESSAGE,
            server_flight!(|m| insert_before(m, H::FINISHED, Msg::new(H::KEY_UPDATE, &[0])))),
        row("8446 §5 / §6.2", "an unknown handshake message type is unexpected_message",
            Client, "message type 99", A::UNEXPECTED_MESSAGE,
            server_flight!(|m| insert_before(m, H::CERTIFICATE, Msg::new(H(99), &[1, 2, 3])))),
        row("8446 §5.1", "a message before a key change ends its record",
            Client, "Finished and the start of another message in one record", A::UNEXPECTED_MESSAGE,
            server_flight!(|m| m.push(Msg::new(H::NEW_SESSION_TICKET, &TICKET)))),
        row("8446 §2 / §5.1", "no application data before the peer's Finished",
            Client, "application data under the server's handshake key", A::UNEXPECTED_MESSAGE,
            || tamper(Setup::Tls13, 1, Edit::SealedRaw(|s, hs| {
                [s.seal(C::APPLICATION_DATA, b"too soon"), s.seal(C::HANDSHAKE, hs)].concat()
            }))),
    ]
}

#[rustfmt::skip]
fn client_flight_rows() -> Vec<Row> {
    vec![
        row("8446 §4.4.4", "a wrong Finished is decrypt_error",
            Server, "one verify_data byte changed", A::DECRYPT_ERROR,
            client_flight!(|m| msg_mut(m, H::FINISHED).body[0] ^= 1)),
        row("8446 §4.4.2", "a client sends Certificate only when asked",
            Server, "an empty Certificate before Finished", A::UNEXPECTED_MESSAGE,
            client_flight!(|m| insert_before(m, H::FINISHED, Msg::new(H::CERTIFICATE, &[0, 0, 0, 0])))),
        row("8446 §4.5", "EndOfEarlyData only after accepted early data",
            Server, "EndOfEarlyData before Finished", A::UNEXPECTED_MESSAGE,
            client_flight!(|m| insert_before(m, H::FINISHED, Msg::new(H::END_OF_EARLY_DATA, &[])))),
        row("8446 §4.6.3", "KeyUpdate only after the handshake",
            Server, "KeyUpdate before Finished", A::UNEXPECTED_MESSAGE,
            client_flight!(|m| insert_before(m, H::FINISHED, Msg::new(H::KEY_UPDATE, &[0])))),
        row("8446 §5.1", "a message before a key change ends its record",
            Server, "Finished and the start of another message in one record", A::UNEXPECTED_MESSAGE,
            client_flight!(|m| m.push(Msg::new(H::KEY_UPDATE, &[0])))),
        row("8446 §2 / §5.1", "no application data before the peer's Finished",
            Server, "application data under the handshake key", A::UNEXPECTED_MESSAGE,
            || tamper(Setup::Tls13, 2, Edit::SealedRaw(|s, hs| {
                [s.seal(C::APPLICATION_DATA, b"too soon"), s.seal(C::HANDSHAKE, hs)].concat()
            }))),
    ]
}

#[rustfmt::skip]
fn post_handshake_rows() -> Vec<Row> {
    vec![
        row("8446 §4.6.3", "request_update other than 0 or 1 is illegal_parameter",
            Server, "request_update 2", A::ILLEGAL_PARAMETER,
            post!(Client, [Msg::new(H::KEY_UPDATE, &[2])])),
        row("8446 §4.6.3", "KeyUpdate decodes whole",
            Server, "a two-byte KeyUpdate", A::DECODE_ERROR,
            post!(Client, [Msg::new(H::KEY_UPDATE, &[0, 0])])),
        row("8446 §5.1", "a message before a key change ends its record",
            Client, "KeyUpdate and the start of another message in one record", A::UNEXPECTED_MESSAGE,
            post!(Server, [Msg::new(H::KEY_UPDATE, &[0]), Msg::new(H::NEW_SESSION_TICKET, &TICKET[..4])])),
        row("8446 §4.6.2", "CertificateRequest after the handshake needs post_handshake_auth",
            Client, "a post-handshake CertificateRequest", A::UNEXPECTED_MESSAGE,
            post!(Server, [Msg::new(H::CERTIFICATE_REQUEST, &[0, 0, 8, 0, 13, 0, 4, 0, 2, 4, 3])])),
        row("8446 §4.6.1", "only a server sends NewSessionTicket",
            Server, "NewSessionTicket from the client", A::UNEXPECTED_MESSAGE,
            post!(Client, [Msg::new(H::NEW_SESSION_TICKET, &TICKET)])),
        row("8446 §4.6.1", "NewSessionTicket decodes whole",
            Client, "a byte after the extensions", A::DECODE_ERROR,
            post!(Server, [Msg::new(H::NEW_SESSION_TICKET, &[&TICKET[..], &[TRAILING]].concat())])),
        row("8446 §4.6.1", "ticket<1..2^16-1>",
            Client, "a NewSessionTicket with an empty ticket", A::DECODE_ERROR,
            post!(Server, [Msg::new(H::NEW_SESSION_TICKET, &[0, 0, 0, 60, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0])])),
        row("8446 §4 / §B.3", "HelloRequest does not exist in TLS 1.3",
            Client, "a HelloRequest after the handshake", A::UNEXPECTED_MESSAGE,
            post!(Server, [Msg::new(H::HELLO_REQUEST, &[])])),
        row("8446 §4.5", "EndOfEarlyData only after accepted early data",
            Server, "EndOfEarlyData after the handshake", A::UNEXPECTED_MESSAGE,
            post!(Client, [Msg::new(H::END_OF_EARLY_DATA, &[])])),
        row("8446 §4", "no renegotiation in TLS 1.3",
            Client, "a ServerHello after the handshake", A::UNEXPECTED_MESSAGE,
            post!(Server, [Msg::new(H::SERVER_HELLO, &a_server_hello())])),
        row("8446 §4", "no renegotiation in TLS 1.3",
            Server, "Finished after the handshake", A::UNEXPECTED_MESSAGE,
            post!(Client, [Msg::new(H::FINISHED, &[0; 32])])),
        row("8446 §5.1", "handshake messages are not interleaved with other record types",
            Server, "application data inside a KeyUpdate", A::UNEXPECTED_MESSAGE,
            || after_handshake(Setup::Tls13, Client, &[
                (C::HANDSHAKE, &[24, 0]),
                (C::APPLICATION_DATA, b"between"),
                (C::HANDSHAKE, &[0, 1, 0]),
            ])),
        row("8446 §5.1", "handshake messages are not interleaved with other record types",
            Client, "an alert inside a KeyUpdate", A::UNEXPECTED_MESSAGE,
            || after_handshake(Setup::Tls13, Server, &[(C::HANDSHAKE, &[24, 0]), (C::ALERT, &[1, 90])])),
        row("8446 §6", "an alert is two bytes (RFC names no alert)",
            Server, "a three-byte alert record", A::DECODE_ERROR,
            || after_handshake(Setup::Tls13, Client, &[(C::ALERT, &[2, 40, 0])])),
    ]
}
