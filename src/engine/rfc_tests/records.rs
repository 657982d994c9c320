//! The record layer (RFC 8446 §5): types, lengths, protection, and the
//! middlebox-compatibility change_cipher_spec.

use super::peer::{connected, feed, record, records, take_output, tamper, Edit, Outcome, Setup};
use super::{row, Row};
use crate::engine::Mode::{Client, Server};
use crate::error::AlertDescription as A;
use crate::msgs::enums::ContentType as C;
use crate::record::MAX_PLAINTEXT;

/// The flight's records with `f` applied to each (type, payload), re-framed.
fn map_records(bytes: &mut Vec<u8>, f: impl Fn(C, Vec<u8>) -> Vec<(C, Vec<u8>)>) {
    let recs = records(bytes);
    bytes.clear();
    for (t, p) in recs {
        for (t, p) in f(t, p) {
            bytes.extend_from_slice(&record(t, &p));
        }
    }
}

/// Protected records of TLS 1.3's server flight: rewritten raw by `$f`
/// (a sealer and the flight's plaintext handshake bytes).
macro_rules! server_sealed {
    ($f:expr) => {
        || tamper(Setup::Tls13, 1, Edit::SealedRaw($f))
    };
}

/// The first ClientHello's bytes, rewritten by `$f`; the server is the victim.
macro_rules! ch_raw {
    ($f:expr) => {
        || tamper(Setup::Tls13, 0, Edit::Raw($f))
    };
}

/// A plaintext change_cipher_spec to the `to` side of a connected pair.
fn ccs_after_handshake(setup: Setup, to_server: bool) -> Outcome {
    let (mut client, mut server) = connected(setup);
    let (to, from) = if to_server {
        (&mut server, &mut client)
    } else {
        (&mut client, &mut server)
    };
    let victim = feed(to, &record(C::CHANGE_CIPHER_SPEC, &[1]));
    let answer = take_output(to);
    Outcome {
        victim,
        peer: feed(from, &answer),
    }
}

#[rustfmt::skip]
pub(super) fn rows() -> Vec<Row> {
    vec![
        row("8446 §5", "change_cipher_spec before the first ClientHello is unexpected_message",
            Server, "CCS first", A::UNEXPECTED_MESSAGE,
            ch_raw!(|b| b.splice(0..0, record(C::CHANGE_CIPHER_SPEC, &[1])).for_each(drop))),
        row("8446 §5", "a change_cipher_spec other than 0x01 is unexpected_message",
            Server, "CCS 0x02 before the client's Finished", A::UNEXPECTED_MESSAGE,
            || tamper(Setup::Tls13, 2, Edit::Raw(|b| map_records(b, |t, p| {
                if t == C::CHANGE_CIPHER_SPEC { vec![(t, vec![2])] } else { vec![(t, p)] }
            })))),
        row("8446 §5", "a protected change_cipher_spec is unexpected_message",
            Client, "CCS as the inner type", A::UNEXPECTED_MESSAGE,
            server_sealed!(|s, hs| [s.seal_inner(&[1, 20]), s.seal_inner(&[hs, &[22]].concat())].concat())),
        row("8446 §5.4", "a TLSInnerPlaintext with no non-zero byte is unexpected_message",
            Client, "an all-zero inner plaintext", A::UNEXPECTED_MESSAGE,
            server_sealed!(|s, _| s.seal_inner(&[0; 20]))),
        row("8446 §5", "an unknown inner content type is unexpected_message",
            Client, "inner type 99", A::UNEXPECTED_MESSAGE,
            server_sealed!(|s, _| s.seal_inner(&[1, 2, 99]))),
        row("8446 §5.2", "a record that fails to decrypt is bad_record_mac",
            Client, "one tag byte changed", A::BAD_RECORD_MAC,
            server_sealed!(|s, hs| {
                let mut r = s.seal(C::HANDSHAKE, hs);
                *r.last_mut().unwrap() ^= 1;
                r
            })),
        row("8446 §5.2", "a ciphertext over 2^14 + 256 bytes is record_overflow",
            Client, "2^14 + 257 bytes", A::RECORD_OVERFLOW,
            server_sealed!(|s, hs| {
                let mut inner = [hs, &[22]].concat();
                inner.resize(MAX_PLAINTEXT + 256 - 16 + 1, 0);
                s.seal_inner(&inner)
            })),
        row("8446 §5.2", "a TLSInnerPlaintext content over 2^14 bytes is record_overflow",
            Client, "2^14 + 1 content bytes", A::RECORD_OVERFLOW,
            server_sealed!(|s, hs| {
                let mut inner = hs.to_vec();
                inner.resize(MAX_PLAINTEXT + 1, 0);
                inner.push(22);
                s.seal_inner(&inner)
            })),
        row("8446 §5.2", "after keys, protected records have outer type application_data",
            Client, "outer type handshake", A::UNEXPECTED_MESSAGE,
            server_sealed!(|s, hs| {
                let mut r = s.seal(C::HANDSHAKE, hs);
                r[0] = C::HANDSHAKE.0;
                r
            })),
        row("8446 §5.1", "a plaintext record over 2^14 bytes is record_overflow",
            Server, "a 2^14 + 1 byte handshake record", A::RECORD_OVERFLOW,
            ch_raw!(|b| {
                let mut p = vec![1, 0, 0x40, 0x01];
                p.resize(MAX_PLAINTEXT + 1, 0);
                *b = record(C::HANDSHAKE, &p);
            })),
        row("8446 §5", "an unknown record type is unexpected_message",
            Server, "record type 99", A::UNEXPECTED_MESSAGE,
            ch_raw!(|b| *b = record(C(99), &b[5..]))),
        row("8446 §5.1", "no zero-length handshake fragments (RFC names no alert)",
            Server, "an empty handshake record", A::UNEXPECTED_MESSAGE,
            ch_raw!(|b| b.splice(0..0, record(C::HANDSHAKE, &[])).for_each(drop))),
        row("8446 §5.1", "no application data before the handshake keys",
            Server, "plaintext application data first", A::UNEXPECTED_MESSAGE,
            ch_raw!(|b| *b = record(C::APPLICATION_DATA, b"GET / HTTP/1.1\r\n"))),
        row("8446 §5.1", "handshake messages are not interleaved with other record types",
            Server, "an alert between two halves of the ClientHello", A::UNEXPECTED_MESSAGE,
            ch_raw!(|b| map_records(b, |t, p| {
                let (x, y) = p.split_at(p.len() / 2);
                vec![(t, x.to_vec()), (C::ALERT, vec![1, 90]), (t, y.to_vec())]
            }))),
        row("8446 §5", "change_cipher_spec is dropped only before the peer's Finished",
            Server, "a CCS after the handshake", A::UNEXPECTED_MESSAGE,
            || ccs_after_handshake(Setup::Tls13, true)),
        row("5246 §7.1", "change_cipher_spec only where the handshake expects it",
            Client, "a CCS after the TLS 1.2 handshake", A::UNEXPECTED_MESSAGE,
            || ccs_after_handshake(Setup::Tls12, false)),
        row("8446 §6", "an alert is two bytes (RFC names no alert)",
            Server, "a one-byte plaintext alert", A::DECODE_ERROR,
            ch_raw!(|b| *b = record(C::ALERT, &[2]))),
    ]
}
