//! TLS 1.2 (RFC 5246 with RFC 8422 ECDHE), its extensions (RFC 5746
//! renegotiation_info, RFC 7627 extended master secret) and ChaCha20-Poly1305
//! records (RFC 7905).

use super::peer::{after_handshake, edit_ch, edit_sh, msg_mut, set_ext, tamper, Edit, Msg, Setup};
use super::{row, Row};
use crate::engine::Mode::{Client, Server};
use crate::error::AlertDescription as A;
use crate::msgs::enums::{ContentType as C, ExtensionType as X, HandshakeType as H};
use crate::{CipherSuite, ProtocolVersion};

/// The server's first flight (ServerHello, Certificate, ServerKeyExchange,
/// ServerHelloDone) as messages, rewritten by `$f`; the client is the victim.
macro_rules! server_flight {
    ($f:expr) => {
        || tamper(Setup::Tls12, 1, Edit::Plain($f))
    };
}

macro_rules! sh {
    ($f:expr) => {
        server_flight!(|m| edit_sh(m, $f))
    };
}

macro_rules! ch {
    ($f:expr) => {
        || tamper(Setup::Tls12, 0, Edit::Plain(|m| edit_ch(m, $f)))
    };
}

/// Flips the last byte of the flight's last record (a tag, when protected).
fn flip_last(b: &mut [u8]) {
    *b.last_mut().unwrap() ^= 1;
}

/// Changes the first byte of every Finished in the flight.
fn bad_finished(m: &mut [Msg]) {
    msg_mut(m, H::FINISHED).body[0] ^= 1;
}

/// The ServerKeyExchange's signature length offset: curve type, group,
/// public value, then the scheme.
fn ske_scheme_at(body: &[u8]) -> usize {
    4 + usize::from(body[3])
}

#[rustfmt::skip]
pub(super) fn rows() -> Vec<Row> {
    vec![
        row("5246 §7.4.1.3", "the server picks a cipher suite the client offered",
            Client, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", A::ILLEGAL_PARAMETER,
            sh!(|sh| sh.cipher_suite = CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)),
        row("5246 §7.4.1.3", "the server picks a compression method the client offered",
            Client, "compression method 1", A::ILLEGAL_PARAMETER,
            sh!(|sh| sh.compression_method = 1)),
        row("5246 §7.4.1.4", "an extension the client did not request is unsupported_extension",
            Client, "an unknown extension 0x7777", A::UNSUPPORTED_EXTENSION,
            sh!(|sh| set_ext(&mut sh.extensions, crate::msgs::enums::ExtensionType(0x7777), &[]))),
        row("5246 App. E.1", "a version the client does not support is protocol_version",
            Client, "server_version TLS 1.1", A::PROTOCOL_VERSION,
            sh!(|sh| sh.legacy_version = ProtocolVersion::TLSV1_1)),
        row("5746 §3.4", "a non-empty renegotiated_connection in the first handshake is handshake_failure",
            Client, "renegotiation_info with 12 bytes", A::HANDSHAKE_FAILURE,
            sh!(|sh| set_ext(&mut sh.extensions, X::RENEGOTIATION_INFO, &[12; 13]))),
        row("7627 §5.1", "extended_master_secret's extension_data is empty",
            Client, "a one-byte body", A::DECODE_ERROR,
            sh!(|sh| set_ext(&mut sh.extensions, X::EXTENDED_MASTER_SECRET, &[0]))),
        row("8422 §5.2", "a ServerHello's ec_point_formats includes uncompressed",
            Client, "ec_point_formats [1]", A::ILLEGAL_PARAMETER,
            sh!(|sh| set_ext(&mut sh.extensions, X::EC_POINT_FORMATS, &[1, 1]))),
        row("5246 §7.4.1.3", "legacy session_id<0..32>",
            Client, "a 33-byte session id", A::DECODE_ERROR,
            sh!(|sh| sh.session_id = vec![7; 33])),
        row("6066 §8 / 5246 §7.4", "CertificateStatus only after a status_request was acknowledged",
            Client, "an unsolicited CertificateStatus", A::UNEXPECTED_MESSAGE,
            server_flight!(|m| {
                let at = m.iter().position(|x| x.typ == H::SERVER_KEY_EXCHANGE).unwrap();
                m.insert(at, Msg::new(H(22), &[1, 0, 0, 1, 0x30]));
            })),
        row("5246 §7.4.3 / 7.2.2", "a ServerKeyExchange signature that does not verify is decrypt_error",
            Client, "one signature byte changed", A::DECRYPT_ERROR,
            server_flight!(|m| *msg_mut(m, H::SERVER_KEY_EXCHANGE).body.last_mut().unwrap() ^= 1)),
        row("5246 §7.4.1.4.1", "the ServerKeyExchange is signed with a scheme the client offered",
            Client, "ecdsa_secp384r1_sha384", A::ILLEGAL_PARAMETER,
            server_flight!(|m| {
                let b = &mut msg_mut(m, H::SERVER_KEY_EXCHANGE).body;
                let at = ske_scheme_at(b);
                b[at..at + 2].copy_from_slice(&[5, 3]);
            })),
        row("8422 §5.4", "the ServerKeyExchange curve is one the client offered",
            Client, "secp384r1", A::ILLEGAL_PARAMETER,
            server_flight!(|m| msg_mut(m, H::SERVER_KEY_EXCHANGE).body[1..3].copy_from_slice(&[0, 24]))),
        row("5246 §7.4.5", "ServerHelloDone is empty",
            Client, "a one-byte ServerHelloDone", A::DECODE_ERROR,
            server_flight!(|m| msg_mut(m, H::SERVER_HELLO_DONE).body.push(0))),
        row("5246 §7.4.2", "a server using ECDHE_ECDSA sends Certificate",
            Client, "no Certificate", A::UNEXPECTED_MESSAGE,
            server_flight!(|m| m.retain(|x| x.typ != H::CERTIFICATE))),
        row("5246 §7.4.3 / 8422 §5.4", "... and ServerKeyExchange",
            Client, "no ServerKeyExchange", A::UNEXPECTED_MESSAGE,
            server_flight!(|m| m.retain(|x| x.typ != H::SERVER_KEY_EXCHANGE))),
        row("5246 §7.4.9", "a wrong Finished is decrypt_error",
            Client, "the server's verify_data changed", A::DECRYPT_ERROR,
            || tamper(Setup::Tls12, 3, Edit::Sealed(|m| bad_finished(m)))),
        row("5077 §3.3", "no NewSessionTicket unless the ServerHello acknowledged session_ticket",
            Client, "a NewSessionTicket before the server's CCS", A::UNEXPECTED_MESSAGE,
            || tamper(Setup::Tls12, 3, Edit::Raw(|b| {
                let nst = super::peer::join(&[Msg::new(H::NEW_SESSION_TICKET, &[0, 0, 0, 60, 0, 2, 1, 2])]);
                b.splice(0..0, super::peer::record(C::HANDSHAKE, &nst)).for_each(drop);
            }))),
        row("5246 §6.2.3.3", "a record that fails to decrypt is bad_record_mac",
            Client, "one tag byte of the server's Finished changed", A::BAD_RECORD_MAC,
            || tamper(Setup::Tls12, 3, Edit::Raw(|b| flip_last(b)))),
        row("5246 §7.4.1.2", "a ClientHello offers the null compression method (RFC names no alert; a wrong value: illegal_parameter, as RFC 8446 §4.1.2 and BoringSSL)",
            Server, "compression methods [1]", A::ILLEGAL_PARAMETER,
            ch!(|ch| ch.compression_methods = vec![1])),
        row("8422 §5.1.2", "a ClientHello's ec_point_formats includes uncompressed",
            Server, "ec_point_formats [1]", A::ILLEGAL_PARAMETER,
            ch!(|ch| set_ext(&mut ch.extensions, X::EC_POINT_FORMATS, &[1, 1]))),
        row("5246 §7.4.1.3", "no cipher suite in common is handshake_failure",
            Server, "only TLS 1.3 suites", A::HANDSHAKE_FAILURE,
            ch!(|ch| ch.cipher_suites = vec![CipherSuite::TLS13_AES_128_GCM_SHA256])),
        row("8422 §5.1.1 / 5246 §7.4.1.3", "no ECDHE group in common is handshake_failure",
            Server, "supported_groups [x448]", A::HANDSHAKE_FAILURE,
            ch!(|ch| set_ext(&mut ch.extensions, X::SUPPORTED_GROUPS, &[0, 2, 0, 0x1e]))),
        row("7507 §3", "TLS_FALLBACK_SCSV below the server's highest version is inappropriate_fallback",
            Server, "a TLS 1.2 hello with the SCSV to a TLS 1.3 server", A::INAPPROPRIATE_FALLBACK,
            || tamper(Setup::FallbackToTls12, 0, Edit::Plain(|m| edit_ch(m, |ch| {
                ch.cipher_suites.push(CipherSuite::TLS_FALLBACK_SCSV)
            })))),
        row("5746 §3.6", "a non-empty renegotiation_info in an initial ClientHello is handshake_failure",
            Server, "renegotiation_info with 12 bytes", A::HANDSHAKE_FAILURE,
            ch!(|ch| set_ext(&mut ch.extensions, X::RENEGOTIATION_INFO, &[12; 13]))),
        row("7627 §5.1", "extended_master_secret's extension_data is empty",
            Server, "a one-byte body", A::DECODE_ERROR,
            ch!(|ch| set_ext(&mut ch.extensions, X::EXTENDED_MASTER_SECRET, &[0]))),
        row("8422 §5.7 / 5246 §7.4.7", "ClientKeyExchange's public value is not empty",
            Server, "an empty public value", A::DECODE_ERROR,
            || tamper(Setup::Tls12, 2, Edit::Plain(|m| msg_mut(m, H::CLIENT_KEY_EXCHANGE).body = vec![0]))),
        row("8422 §5.11 / RFC 7748 §6.1", "an X25519 public value is 32 bytes",
            Server, "a 31-byte X25519 public value", A::ILLEGAL_PARAMETER,
            || tamper(Setup::Tls12, 2, Edit::Plain(|m| msg_mut(m, H::CLIENT_KEY_EXCHANGE).body = [&[31u8][..], &[9; 31]].concat()))),
        row("5246 §7.4.9", "a wrong Finished is decrypt_error",
            Server, "the client's verify_data changed", A::DECRYPT_ERROR,
            || tamper(Setup::Tls12, 2, Edit::Sealed(|m| bad_finished(m)))),
        row("5246 §7.1", "one change_cipher_spec per handshake, before Finished",
            Server, "change_cipher_spec twice", A::UNEXPECTED_MESSAGE,
            || tamper(Setup::Tls12, 2, Edit::Raw(|b| {
                let ccs = super::peer::record(C::CHANGE_CIPHER_SPEC, &[1]);
                let at = b.windows(6).position(|w| w == &ccs[..]).unwrap();
                b.splice(at..at, ccs).for_each(drop);
            }))),
        row("5246 §6.2.3.3", "a record that fails to decrypt is bad_record_mac",
            Server, "one tag byte of the client's Finished changed", A::BAD_RECORD_MAC,
            || tamper(Setup::Tls12, 2, Edit::Raw(|b| flip_last(b)))),
        row("5246 §6 / §7.4", "no application data before the handshake protects it",
            Server, "plaintext application data before ClientKeyExchange", A::UNEXPECTED_MESSAGE,
            || tamper(Setup::Tls12, 2, Edit::Raw(|b| {
                b.splice(0..0, super::peer::record(C::APPLICATION_DATA, b"early")).for_each(drop);
            }))),
        row("5246 §7.1", "change_cipher_spec comes where the handshake expects it",
            Server, "CCS before ClientKeyExchange", A::UNEXPECTED_MESSAGE,
            || tamper(Setup::Tls12, 2, Edit::Raw(|b| {
                let ccs = super::peer::record(C::CHANGE_CIPHER_SPEC, &[1]);
                b.splice(0..0, ccs).for_each(drop);
            }))),
        row("7905 §2 / 5246 §6.2.3.3", "a ChaCha20-Poly1305 record that fails to decrypt is bad_record_mac",
            Client, "one tag byte changed", A::BAD_RECORD_MAC,
            || tamper(Setup::Tls12ChaCha, 3, Edit::Raw(|b| flip_last(b)))),
        row("7905 §2 / 5246 §7.4.9", "a wrong Finished under ChaCha20-Poly1305 is decrypt_error",
            Server, "the client's verify_data changed", A::DECRYPT_ERROR,
            || tamper(Setup::Tls12ChaCha, 2, Edit::Sealed(|m| bad_finished(m)))),
        row("5246 §7.4", "no handshake message but HelloRequest from a server after the handshake",
            Client, "a ServerHelloDone after the handshake", A::UNEXPECTED_MESSAGE,
            || after_handshake(Setup::Tls12, Server, &[(C::HANDSHAKE, &[14, 0, 0, 0])])),
    ]
}
