//! TLS 1.3 hellos in plaintext: ClientHello checks (the server enforces),
//! ServerHello and HelloRetryRequest checks (the client enforces).

use super::peer::{edit_ch, edit_sh, ext, msg_mut, remove_ext, set_ext, tamper, Edit, Msg, Setup};
use super::{row, Row};
use crate::engine::Mode::{Client, Server};
use crate::error::AlertDescription as A;
use crate::msgs::enums::{ExtensionType as X, HandshakeType};
use crate::msgs::extensions::Extension;
use crate::msgs::handshake::{DOWNGRADE_TLS11, DOWNGRADE_TLS12, HRR_RANDOM};
use crate::{CipherSuite, NamedGroup};

/// A ClientHello key_share body.
pub(super) fn key_shares(entries: &[(NamedGroup, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (g, key) in entries {
        body.extend_from_slice(&g.0.to_be_bytes());
        body.extend_from_slice(&(key.len() as u16).to_be_bytes());
        body.extend_from_slice(key);
    }
    [&(body.len() as u16).to_be_bytes()[..], &body].concat()
}

/// A ServerHello key_share body.
fn server_share(g: NamedGroup, key: &[u8]) -> Vec<u8> {
    key_shares(&[(g, key)])[2..].to_vec()
}

/// A point that is not on P-256 (uncompressed form).
const OFF_CURVE: [u8; 65] = {
    let mut p = [1u8; 65];
    p[0] = 4;
    p
};

/// A pre_shared_key offer: one identity, one 32-byte binder.
const PSK_OFFER: [u8; 44] = {
    let mut b = [0u8; 44];
    let head = [0, 7, 0, 1, 0x41, 0, 0, 0, 0, 0, 33, 32];
    let mut i = 0;
    while i < head.len() {
        b[i] = head[i];
        i += 1;
    }
    b
};

/// The first ClientHello, changed by `$f`; the server is the victim.
macro_rules! ch {
    ($f:expr) => {
        || tamper(Setup::Tls13, 0, Edit::Plain(|m| edit_ch(m, $f)))
    };
}

/// The second ClientHello (after a HelloRetryRequest), changed by `$f`.
macro_rules! ch2 {
    ($f:expr) => {
        || tamper(Setup::Hrr, 2, Edit::Plain(|m| edit_ch(m, $f)))
    };
}

/// The ServerHello, changed by `$f`; the client is the victim.
macro_rules! sh {
    ($f:expr) => {
        || tamper(Setup::Tls13, 1, Edit::Plain(|m| edit_sh(m, $f)))
    };
}

/// The HelloRetryRequest, changed by `$f`.
macro_rules! hrr {
    ($f:expr) => {
        || tamper(Setup::Hrr, 1, Edit::Plain(|m| edit_sh(m, $f)))
    };
}

/// The ServerHello that follows the HelloRetryRequest, changed by `$f`.
macro_rules! sh_after_hrr {
    ($f:expr) => {
        || tamper(Setup::Hrr, 3, Edit::Plain(|m| edit_sh(m, $f)))
    };
}

/// The ClientHello body, changed as bytes by `$f`.
macro_rules! ch_bytes {
    ($f:expr) => {
        || {
            tamper(
                Setup::Tls13,
                0,
                Edit::Plain(|m| ($f)(&mut msg_mut(m, HandshakeType::CLIENT_HELLO).body)),
            )
        }
    };
}

pub(super) fn rows() -> Vec<Row> {
    let mut v = client_hello_rows();
    v.extend(server_hello_rows());
    v.extend(hello_retry_rows());
    v
}

#[rustfmt::skip]
fn client_hello_rows() -> Vec<Row> {
    vec![
        row("8446 §4.1.2", "a TLS 1.3 ClientHello offers exactly the null compression method",
            Server, "compression methods [0, 1]", A::ILLEGAL_PARAMETER,
            ch!(|ch| ch.compression_methods = vec![0, 1])),
        row("8446 §4.1.2", "legacy_session_id is at most 32 bytes",
            Server, "a 33-byte session id", A::DECODE_ERROR,
            ch!(|ch| ch.session_id = vec![7; 33])),
        row("8446 §4.1.2", "cipher_suites<2..2^16-2>",
            Server, "an empty cipher suite list", A::DECODE_ERROR,
            ch!(|ch| ch.cipher_suites.clear())),
        row("8446 §4.1.2", "the message ends with its extensions",
            Server, "a byte after the extensions", A::DECODE_ERROR,
            ch_bytes!(|b: &mut Vec<u8>| b.push(0))),
        row("8446 §4.2", "extensions<8..2^16-1> holds whole extensions",
            Server, "the last extension cut short by a byte", A::DECODE_ERROR,
            ch_bytes!(|b: &mut Vec<u8>| {
                b.pop();
                let n = b.len();
                let at = n - ext_block_len(b);
                let len = u16::from_be_bytes([b[at - 2], b[at - 1]]) - 1;
                b[at - 2..at].copy_from_slice(&len.to_be_bytes());
            })),
        row("8446 §4.2", "no two extensions of one type in a block (RFC names no alert; a ClientHello repeat is malformed: decode_error, as BoringSSL, rustls and Go)",
            Server, "supported_groups twice", A::DECODE_ERROR,
            ch!(|ch| {
                let g = ext(&ch.extensions, X::SUPPORTED_GROUPS);
                ch.extensions.insert(0, Extension { typ: X::SUPPORTED_GROUPS, data: g });
            })),
        row("8446 §4.2.1", "a TLS 1.3-only server refuses a client without TLS 1.3 in supported_versions",
            Server, "supported_versions [TLS 1.2]", A::PROTOCOL_VERSION,
            ch!(|ch| set_ext(&mut ch.extensions, X::SUPPORTED_VERSIONS, &[2, 3, 3]))),
        row("8446 §4.2.1", "without supported_versions the client offers TLS 1.2 at most",
            Server, "no supported_versions", A::PROTOCOL_VERSION,
            ch!(|ch| remove_ext(&mut ch.extensions, X::SUPPORTED_VERSIONS))),
        row("8446 §4.2.1", "versions holds two-byte values",
            Server, "a supported_versions list of odd length", A::DECODE_ERROR,
            ch!(|ch| set_ext(&mut ch.extensions, X::SUPPORTED_VERSIONS, &[3, 3, 4, 3]))),
        row("8446 §4.2.9", "ke_modes<1..255>",
            Server, "an empty psk_key_exchange_modes", A::DECODE_ERROR,
            ch!(|ch| set_ext(&mut ch.extensions, X::PSK_KEY_EXCHANGE_MODES, &[0]))),
        row("8446 §4.2.3", "signature_algorithms_cert: supported_signature_algorithms<2..2^16-2>",
            Server, "an empty signature_algorithms_cert list", A::DECODE_ERROR,
            ch!(|ch| set_ext(&mut ch.extensions, X::SIGNATURE_ALGORITHMS_CERT, &[0, 0]))),
        row("8446 §4.2.1", "versions<2..254>",
            Server, "an empty supported_versions list", A::DECODE_ERROR,
            ch!(|ch| set_ext(&mut ch.extensions, X::SUPPORTED_VERSIONS, &[0]))),
        row("8446 §4.2.8", "no KeyShareEntry for a group outside supported_groups",
            Server, "supported_groups without X25519", A::ILLEGAL_PARAMETER,
            ch!(|ch| set_ext(&mut ch.extensions, X::SUPPORTED_GROUPS, &[0, 2, 0, 0x17]))),
        row("8446 §4.2.8", "no two KeyShareEntry values for one group",
            Server, "the X25519 share twice", A::ILLEGAL_PARAMETER,
            ch!(|ch| {
                let k = [9u8; 32];
                let ks = key_shares(&[(NamedGroup::X25519, &k), (NamedGroup::X25519, &k)]);
                set_ext(&mut ch.extensions, X::KEY_SHARE, &ks);
            })),
        row("8446 §4.2.8.2", "an X25519 public value is 32 bytes",
            Server, "a 31-byte X25519 share", A::ILLEGAL_PARAMETER,
            ch!(|ch| {
                let ks = key_shares(&[(NamedGroup::X25519, &[9; 31])]);
                set_ext(&mut ch.extensions, X::KEY_SHARE, &ks);
            })),
        row("8446 §4.2.8.2", "peers validate that an ECDHE public value is on the curve",
            Server, "a P-256 share off the curve", A::ILLEGAL_PARAMETER,
            ch!(|ch| {
                let ks = key_shares(&[(NamedGroup::SECP256R1, &OFF_CURVE)]);
                set_ext(&mut ch.extensions, X::KEY_SHARE, &ks);
            })),
        row("8446 §4.2.8.2", "ECDHE public values use the uncompressed point format",
            Server, "a compressed P-256 share", A::ILLEGAL_PARAMETER,
            ch!(|ch| {
                let mut p = [5u8; 33];
                p[0] = 2;
                let ks = key_shares(&[(NamedGroup::SECP256R1, &p)]);
                set_ext(&mut ch.extensions, X::KEY_SHARE, &ks);
            })),
        row("8446 §4.2.8", "key_exchange<1..2^16-1>",
            Server, "an empty X25519 share", A::DECODE_ERROR,
            ch!(|ch| set_ext(&mut ch.extensions, X::KEY_SHARE, &key_shares(&[(NamedGroup::X25519, &[])])))),
        row("8446 §4.2.3", "supported_signature_algorithms<2..2^16-2>",
            Server, "an empty signature_algorithms list", A::DECODE_ERROR,
            ch!(|ch| set_ext(&mut ch.extensions, X::SIGNATURE_ALGORITHMS, &[0, 0]))),
        row("8446 §4.2.7", "named_group_list<2..2^16-1> of two-byte values",
            Server, "a supported_groups list of odd length", A::DECODE_ERROR,
            ch!(|ch| set_ext(&mut ch.extensions, X::SUPPORTED_GROUPS, &[0, 3, 0, 0x1d, 0]))),
        row("8446 §4.1.2", "cipher_suites holds two-byte values",
            Server, "a cipher suite list of odd length", A::DECODE_ERROR,
            ch_bytes!(|b: &mut Vec<u8>| {
                let at = 35 + usize::from(b[34]);
                let len = u16::from_be_bytes([b[at], b[at + 1]]);
                b[at..at + 2].copy_from_slice(&(len + 1).to_be_bytes());
                b.insert(at + 2, 0x13);
            })),
        row("7301 §3.1", "empty protocol names MUST NOT be included",
            Server, "an empty ALPN protocol name", A::DECODE_ERROR,
            ch!(|ch| set_ext(&mut ch.extensions, X::ALPN, &[0, 4, 2, b'h', b'2', 0]))),
        row("7301 §3.2", "no protocol in common is no_application_protocol",
            Server, "offers only http/1.1 to an h2 server", A::NO_APPLICATION_PROTOCOL,
            || tamper(Setup::AlpnMismatch, 0, Edit::Plain(|_| {}))),
        row("8446 §4", "a second ClientHello only after a HelloRetryRequest",
            Server, "the ClientHello twice", A::UNEXPECTED_MESSAGE,
            || tamper(Setup::Tls13, 0, Edit::Raw(|b| b.extend_from_slice(&b.clone())))),
        row("8446 §4.2.3", "a certificate-authenticating server needs signature_algorithms",
            Server, "no signature_algorithms", A::MISSING_EXTENSION,
            ch!(|ch| remove_ext(&mut ch.extensions, X::SIGNATURE_ALGORITHMS))),
        row("8446 §9.2", "a ClientHello with key_share also carries supported_groups",
            Server, "no supported_groups", A::MISSING_EXTENSION,
            ch!(|ch| remove_ext(&mut ch.extensions, X::SUPPORTED_GROUPS))),
        row("8446 §9.2", "a (EC)DHE ClientHello carries key_share",
            Server, "no key_share", A::MISSING_EXTENSION,
            ch!(|ch| remove_ext(&mut ch.extensions, X::KEY_SHARE))),
        row("8446 §4.2.11", "pre_shared_key is the last extension",
            Server, "pre_shared_key before key_share", A::ILLEGAL_PARAMETER,
            ch!(|ch| {
                set_ext(&mut ch.extensions, X::PSK_KEY_EXCHANGE_MODES, &[1, 1]);
                ch.extensions.insert(0, Extension { typ: X::PRE_SHARED_KEY, data: PSK_OFFER.to_vec() });
            })),
        row("8446 §4.2.9", "pre_shared_key comes with psk_key_exchange_modes",
            Server, "pre_shared_key alone", A::MISSING_EXTENSION,
            ch!(|ch| ch.extensions.push(Extension { typ: X::PRE_SHARED_KEY, data: PSK_OFFER.to_vec() }))),
        row("8446 §4.2.10", "early_data in a ClientHello is empty",
            Server, "early_data with a body", A::DECODE_ERROR,
            ch!(|ch| set_ext(&mut ch.extensions, X::EARLY_DATA, &[0]))),
        row("6066 §3", "one host_name in server_name (RFC names no alert)",
            Server, "two host names", A::ILLEGAL_PARAMETER,
            ch!(|ch| {
                let one = ext(&ch.extensions, X::SERVER_NAME);
                let entry = &one[2..];
                let list = [entry, entry].concat();
                let body = [&(list.len() as u16).to_be_bytes()[..], &list].concat();
                set_ext(&mut ch.extensions, X::SERVER_NAME, &body);
            })),
        row("8446 §5.1", "a message before a key change ends its record",
            Server, "the ClientHello and the start of another message in one record",
            A::UNEXPECTED_MESSAGE,
            || tamper(Setup::Tls13, 0, Edit::Plain(|m| m.push(Msg::new(HandshakeType::FINISHED, &[0; 32]))))),
        row("8446 §4.1.2", "the second ClientHello keeps the cipher suites",
            Server, "drops the suite the HelloRetryRequest chose", A::ILLEGAL_PARAMETER,
            ch2!(|ch| ch.cipher_suites.retain(|s| *s != CipherSuite::TLS13_AES_128_GCM_SHA256))),
        row("8446 §4.1.2", "the second ClientHello keeps legacy_session_id",
            Server, "a new session id", A::ILLEGAL_PARAMETER,
            ch2!(|ch| ch.session_id = vec![1; 32])),
        row("8446 §4.2.8", "after a HelloRetryRequest the only share is for the selected group",
            Server, "an X25519 share instead of P-384", A::ILLEGAL_PARAMETER,
            ch2!(|ch| {
                let ks = key_shares(&[(NamedGroup::X25519, &[9; 32])]);
                set_ext(&mut ch.extensions, X::KEY_SHARE, &ks);
            })),
        row("8446 §4.1.2", "the second ClientHello has a cookie only if the HelloRetryRequest sent one",
            Server, "a cookie Baton's HelloRetryRequest never sent", A::ILLEGAL_PARAMETER,
            ch2!(|ch| set_ext(&mut ch.extensions, X::COOKIE, &[0, 4, 1, 2, 3, 4]))),
        row("8446 §4.2.10", "no early_data in the second ClientHello",
            Server, "offers early_data again", A::ILLEGAL_PARAMETER,
            ch2!(|ch| ch.extensions.insert(0, Extension::empty(X::EARLY_DATA)))),
    ]
}

/// Length of the extension block at the end of a ClientHello body.
fn ext_block_len(body: &[u8]) -> usize {
    let sid = 35 + usize::from(body[34]);
    let suites = sid + 2 + usize::from(u16::from_be_bytes([body[sid], body[sid + 1]]));
    let comp = suites + 1 + usize::from(body[suites]);
    body.len() - comp - 2
}

#[rustfmt::skip]
fn server_hello_rows() -> Vec<Row> {
    vec![
        row("8446 §4.1.3", "legacy_session_id_echo matches the ClientHello's",
            Client, "a different session id", A::ILLEGAL_PARAMETER,
            sh!(|sh| sh.session_id[0] ^= 1)),
        row("8446 §4.1.3", "the cipher suite is one the client offered",
            Client, "TLS_AES_128_CCM_8_SHA256", A::ILLEGAL_PARAMETER,
            sh!(|sh| sh.cipher_suite = CipherSuite::TLS13_AES_128_CCM_8_SHA256)),
        row("8446 §4.1.3", "legacy_compression_method is 0 (RFC names no alert)",
            Client, "compression method 1", A::ILLEGAL_PARAMETER,
            sh!(|sh| sh.compression_method = 1)),
        row("8446 §4.1.3", "supported_versions names a version the client offered",
            Client, "selects 0x0305", A::ILLEGAL_PARAMETER,
            sh!(|sh| set_ext(&mut sh.extensions, X::SUPPORTED_VERSIONS, &[3, 5]))),
        row("8446 §4.1.3", "supported_versions names no version before TLS 1.3",
            Client, "selects TLS 1.2", A::ILLEGAL_PARAMETER,
            sh!(|sh| set_ext(&mut sh.extensions, X::SUPPORTED_VERSIONS, &[3, 3]))),
        row("8446 §4.2", "no extension responses the client did not request",
            Client, "an unknown extension 0x7777", A::UNSUPPORTED_EXTENSION,
            sh!(|sh| set_ext(&mut sh.extensions, crate::msgs::enums::ExtensionType(0x7777), &[]))),
        row("8446 §4.2.1", "a TLS 1.3-only client refuses a server without TLS 1.3",
            Client, "no supported_versions (a TLS 1.2 ServerHello)", A::PROTOCOL_VERSION,
            sh!(|sh| remove_ext(&mut sh.extensions, X::SUPPORTED_VERSIONS))),
        row("8446 §4.2", "no two extensions of one type (RFC names no alert)",
            Client, "supported_versions twice", A::ILLEGAL_PARAMETER,
            sh!(|sh| sh.extensions.push(Extension { typ: X::SUPPORTED_VERSIONS, data: vec![3, 4] }))),
        row("8446 §9.2", "an (EC)DHE ServerHello carries key_share",
            Client, "no key_share", A::MISSING_EXTENSION,
            sh!(|sh| remove_ext(&mut sh.extensions, X::KEY_SHARE))),
        row("8446 §4.2.8", "the server's share is in the group of a share the client sent",
            Client, "a P-256 share (the client shared X25519)", A::ILLEGAL_PARAMETER,
            sh!(|sh| {
                let mut p = OFF_CURVE;
                p[1] = 0;
                set_ext(&mut sh.extensions, X::KEY_SHARE, &server_share(NamedGroup::SECP256R1, &p));
            })),
        row("8446 §7.4.2", "an all-zero X25519 shared secret aborts (RFC names no alert)",
            Client, "the all-zero X25519 point", A::ILLEGAL_PARAMETER,
            sh!(|sh| set_ext(&mut sh.extensions, X::KEY_SHARE, &server_share(NamedGroup::X25519, &[0; 32])))),
        row("8446 §4.1.3", "a ServerHello decodes whole",
            Client, "the last byte cut off", A::DECODE_ERROR,
            || tamper(Setup::Tls13, 1, Edit::Plain(|m| {
                msg_mut(m, HandshakeType::SERVER_HELLO).body.pop();
            }))),
        row("8446 §5.1", "a message before a key change ends its record",
            Client, "the ServerHello and the start of EncryptedExtensions in one record",
            A::UNEXPECTED_MESSAGE,
            || tamper(Setup::Tls13, 1, Edit::Plain(|m| m.push(Msg::new(HandshakeType::ENCRYPTED_EXTENSIONS, &[0, 0]))))),
        row("8446 §4.1.3", "a TLS 1.3 client refuses a TLS 1.2 ServerHello ending in DOWNGRD 01",
            Client, "the TLS 1.2 downgrade sentinel", A::ILLEGAL_PARAMETER,
            || tamper(Setup::Downgrade, 1, Edit::Plain(|m| edit_sh(m, |sh| sh.random[24..].copy_from_slice(&DOWNGRADE_TLS12))))),
        row("8446 §4.1.3", "... or in DOWNGRD 00",
            Client, "the TLS 1.1 downgrade sentinel", A::ILLEGAL_PARAMETER,
            || tamper(Setup::Downgrade, 1, Edit::Plain(|m| edit_sh(m, |sh| sh.random[24..].copy_from_slice(&DOWNGRADE_TLS11))))),
    ]
}

#[rustfmt::skip]
fn hello_retry_rows() -> Vec<Row> {
    vec![
        row("8446 §4.1.4", "a HelloRetryRequest that would not change the ClientHello aborts",
            Client, "neither key_share nor cookie", A::ILLEGAL_PARAMETER,
            hrr!(|sh| sh.extensions.retain(|e| e.typ == X::SUPPORTED_VERSIONS))),
        row("8446 §4.2.8", "selected_group is in the client's supported_groups",
            Client, "selects X448", A::ILLEGAL_PARAMETER,
            hrr!(|sh| set_ext(&mut sh.extensions, X::KEY_SHARE, &NamedGroup::X448.0.to_be_bytes()))),
        row("8446 §4.2.8", "selected_group is not one the client already shared",
            Client, "selects X25519", A::ILLEGAL_PARAMETER,
            hrr!(|sh| set_ext(&mut sh.extensions, X::KEY_SHARE, &NamedGroup::X25519.0.to_be_bytes()))),
        row("8446 §4.1.4", "the HelloRetryRequest's cipher suite was offered",
            Client, "TLS_AES_128_CCM_8_SHA256", A::ILLEGAL_PARAMETER,
            hrr!(|sh| sh.cipher_suite = CipherSuite::TLS13_AES_128_CCM_8_SHA256)),
        row("8446 §4.1.4", "the HelloRetryRequest echoes legacy_session_id",
            Client, "a different session id", A::ILLEGAL_PARAMETER,
            hrr!(|sh| sh.session_id[0] ^= 1)),
        row("8446 §4.1.4", "the HelloRetryRequest's supported_versions names TLS 1.3",
            Client, "selects TLS 1.2", A::ILLEGAL_PARAMETER,
            hrr!(|sh| set_ext(&mut sh.extensions, X::SUPPORTED_VERSIONS, &[3, 3]))),
        row("8446 §4.2.2", "cookie<1..2^16-1>",
            Client, "an empty cookie", A::DECODE_ERROR,
            hrr!(|sh| set_ext(&mut sh.extensions, X::COOKIE, &[0, 0]))),
        row("8446 §4.2", "no extension responses the client did not request",
            Client, "ALPN in the HelloRetryRequest", A::UNSUPPORTED_EXTENSION,
            hrr!(|sh| set_ext(&mut sh.extensions, X::ALPN, &[0, 3, 2, b'h', b'2']))),
        row("8446 §4.1.4", "a second HelloRetryRequest is unexpected_message",
            Client, "answers the second ClientHello with another one", A::UNEXPECTED_MESSAGE,
            sh_after_hrr!(|sh| {
                sh.random = HRR_RANDOM;
                sh.extensions.retain(|e| e.typ == X::SUPPORTED_VERSIONS);
                set_ext(&mut sh.extensions, X::KEY_SHARE, &NamedGroup::SECP256R1.0.to_be_bytes());
            })),
        row("8446 §4.1.4", "the ServerHello's cipher suite is the HelloRetryRequest's",
            Client, "AES-256 after AES-128", A::ILLEGAL_PARAMETER,
            sh_after_hrr!(|sh| sh.cipher_suite = CipherSuite::TLS13_AES_256_GCM_SHA384)),
        row("8446 §4.2.8", "the ServerHello's share is in the group the HelloRetryRequest selected",
            Client, "an X25519 share after selecting P-384", A::ILLEGAL_PARAMETER,
            sh_after_hrr!(|sh| set_ext(&mut sh.extensions, X::KEY_SHARE, &server_share(NamedGroup::X25519, &[9; 32])))),
    ]
}
