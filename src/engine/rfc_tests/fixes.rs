//! Rows Baton violated when this table was written: each is the regression
//! test of the commit that fixed it.

use super::peer::{edit_ch, edit_sh, record, set_ext, tamper, Edit, Msg, Setup};
use super::{row, Row};
use crate::engine::Mode::{Client, Server};
use crate::error::AlertDescription as A;
use crate::msgs::enums::{ContentType as C, ExtensionType as X, HandshakeType as H};

/// Adds an extension to the EncryptedExtensions in a decrypted flight.
fn ee_push(m: &mut [Msg], typ: X, data: &[u8]) {
    let ee = m
        .iter_mut()
        .find(|x| x.typ == H::ENCRYPTED_EXTENSIONS)
        .unwrap();
    let body = &mut ee.body;
    let len = usize::from(u16::from_be_bytes([body[0], body[1]])) + 4 + data.len();
    body[..2].copy_from_slice(&(len as u16).to_be_bytes());
    body.extend_from_slice(&typ.0.to_be_bytes());
    body.extend_from_slice(&(data.len() as u16).to_be_bytes());
    body.extend_from_slice(data);
}

const H2: &[u8] = &[0, 3, 2, b'h', b'2'];

#[rustfmt::skip]
pub(super) fn rows() -> Vec<Row> {
    vec![
        // Fix 1: an ALPN answer without an ALPN offer was illegal_parameter.
        row("8446 §4.2", "no extension responses the client did not request",
            Client, "ALPN in EncryptedExtensions without an offer", A::UNSUPPORTED_EXTENSION,
            || tamper(Setup::Tls13, 1, Edit::Sealed(|m| ee_push(m, X::ALPN, H2)))),
        row("5246 §7.4.1.4", "an extension the client did not request is unsupported_extension",
            Client, "ALPN in a TLS 1.2 ServerHello without an offer", A::UNSUPPORTED_EXTENSION,
            || tamper(Setup::Tls12, 1, Edit::Plain(|m| edit_sh(m, |sh| set_ext(&mut sh.extensions, X::ALPN, H2))))),
        // Fix 2: an extension we sent, answered in a TLS 1.3 message that does not
        // allow it, was unsupported_extension.
        row("8446 §4.2", "an extension recognized but not specified for the message: illegal_parameter",
            Client, "signature_algorithms in the ServerHello", A::ILLEGAL_PARAMETER,
            || tamper(Setup::Tls13, 1, Edit::Plain(|m| edit_sh(m, |sh| {
                set_ext(&mut sh.extensions, X::SIGNATURE_ALGORITHMS, &[0, 2, 4, 3])
            })))),
        row("8446 §4.2", "an extension recognized but not specified for the message: illegal_parameter",
            Client, "supported_groups in the HelloRetryRequest", A::ILLEGAL_PARAMETER,
            || tamper(Setup::Hrr, 1, Edit::Plain(|m| edit_sh(m, |sh| {
                set_ext(&mut sh.extensions, X::SUPPORTED_GROUPS, &[0, 2, 0, 24])
            })))),
        row("8446 §4.2 / §4.3.1", "EncryptedExtensions carries no extension that belongs elsewhere",
            Client, "key_share in EncryptedExtensions", A::ILLEGAL_PARAMETER,
            || tamper(Setup::Tls13, 1, Edit::Sealed(|m| ee_push(m, X::KEY_SHARE, &[0, 29, 0, 1, 9])))),
        // Fix 3: a pre_shared_key answer without a PSK offer was illegal_parameter.
        row("8446 §4.2", "no extension responses the client did not request",
            Client, "pre_shared_key in the ServerHello without a PSK offer", A::UNSUPPORTED_EXTENSION,
            || tamper(Setup::Tls13, 1, Edit::Plain(|m| edit_sh(m, |sh| {
                set_ext(&mut sh.extensions, X::PRE_SHARED_KEY, &[0, 0])
            })))),
        // Fix 4: a CertificateRequest was taken without looking at its extensions or
        // its context.
        row("8446 §4.3.2", "CertificateRequest carries signature_algorithms",
            Client, "a CertificateRequest without extensions", A::MISSING_EXTENSION,
            || tamper(Setup::Tls13, 1, Edit::Sealed(|m| cert_request(m, &[0, 0, 0])))),
        row("8446 §4.3.2", "in the handshake, certificate_request_context is empty (RFC names no alert)",
            Client, "a one-byte context", A::ILLEGAL_PARAMETER,
            || tamper(Setup::Tls13, 1, Edit::Sealed(|m| cert_request(m, &[1, 7, 0, 8, 0, 13, 0, 4, 0, 2, 4, 3])))),
        // Fix 5: extensions on a server's CertificateEntry were ignored.
        row("8446 §4.4.2", "CertificateEntry extensions answer ones the ClientHello sent",
            Client, "an unknown extension on the leaf", A::UNSUPPORTED_EXTENSION,
            || tamper(Setup::Tls13, 1, Edit::Sealed(|m| cert_entry_ext(m, &[0x77, 0x77, 0, 0])))),
        // Fix 6: an empty host name (a length outside HostName<1..2^16-1>) was
        // illegal_parameter.
        row("6066 §3", "HostName<1..2^16-1>",
            Server, "an empty host name", A::DECODE_ERROR,
            || tamper(Setup::Tls13, 0, Edit::Plain(|m| edit_ch(m, |ch| {
                set_ext(&mut ch.extensions, X::SERVER_NAME, &[0, 3, 0, 0, 0])
            })))),
        // Fix 7: a TLS 1.2-only client took a ServerHello with supported_versions
        // for TLS 1.3 and failed on the record boundary (unexpected_message).
        row("8446 §4.1.3", "supported_versions in a ServerHello names a version the client offered",
            Client, "TLS 1.3 selected for a TLS 1.2-only client", A::ILLEGAL_PARAMETER,
            || tamper(Setup::Tls12, 1, Edit::Plain(|m| edit_sh(m, |sh| {
                set_ext(&mut sh.extensions, X::SUPPORTED_VERSIONS, &[3, 4])
            })))),
        // Fix 8: a Finished of the wrong length was decrypt_error.
        row("5246 §7.4.9 / 7.2.2", "verify_data is 12 bytes; a wrong message length is decode_error",
            Server, "a 13-byte TLS 1.2 Finished", A::DECODE_ERROR,
            || tamper(Setup::Tls12, 2, Edit::Sealed(|m| finished(m).push(0)))),
        row("8446 §4.4.4 / §6.2", "verify_data is Hash.length bytes; a wrong message length is decode_error",
            Client, "a 33-byte server Finished", A::DECODE_ERROR,
            || tamper(Setup::Tls13, 1, Edit::Sealed(|m| finished(m).push(0)))),
        row("8446 §4.4.4 / §6.2", "verify_data is Hash.length bytes; a wrong message length is decode_error",
            Server, "a 31-byte client Finished", A::DECODE_ERROR,
            || tamper(Setup::Tls13, 2, Edit::Sealed(|m| finished(m).truncate(31)))),
        // Fix 9: a TLS 1.2-only client dropped a change_cipher_spec before the
        // ServerHello, as if TLS 1.3's compatibility mode applied.
        row("5246 §7.1", "change_cipher_spec comes where the handshake expects it",
            Client, "change_cipher_spec before the ServerHello", A::UNEXPECTED_MESSAGE,
            || tamper(Setup::Tls12, 1, Edit::Raw(|b| {
                b.splice(0..0, record(C::CHANGE_CIPHER_SPEC, &[1])).for_each(drop);
            }))),
    ]
}

fn finished(m: &mut [Msg]) -> &mut Vec<u8> {
    &mut m.iter_mut().find(|x| x.typ == H::FINISHED).unwrap().body
}

/// Adds extensions `exts` (encoded) to the first CertificateEntry, whose
/// extension block is empty in what Baton sends.
fn cert_entry_ext(m: &mut [Msg], exts: &[u8]) {
    let b = &mut m.iter_mut().find(|x| x.typ == H::CERTIFICATE).unwrap().body;
    let list = u32::from_be_bytes([0, b[1], b[2], b[3]]) as usize + exts.len();
    b[1..4].copy_from_slice(&(list as u32).to_be_bytes()[1..]);
    let cert = u32::from_be_bytes([0, b[4], b[5], b[6]]) as usize;
    let at = 7 + cert;
    assert_eq!(&b[at..at + 2], &[0, 0]);
    b[at..at + 2].copy_from_slice(&(exts.len() as u16).to_be_bytes());
    b.splice(at + 2..at + 2, exts.iter().copied());
}

/// Inserts a CertificateRequest with `body` before the server's Certificate.
fn cert_request(m: &mut Vec<Msg>, body: &[u8]) {
    let at = m.iter().position(|x| x.typ == H::CERTIFICATE).unwrap();
    m.insert(at, Msg::new(H::CERTIFICATE_REQUEST, body));
}
