//! A read-only view of a ClientHello captured elsewhere (a packet capture, a
//! proxy, a load balancer), and its JA4 fingerprint.
//!
//! The bytes go through the same parser the handshake uses, so a hello this
//! view accepts is one a Baton server would accept as well-formed, and a
//! malformed one is the same typed `decode_error` the server would raise.
//! The internal message type stays private; this type copies what it exposes.

use std::fmt::Write as _;

use crate::error::Error;
use crate::msgs::codec::{Codec, Reader};
use crate::msgs::enums::{
    AlertDescription, CipherSuite, ExtensionType, HandshakeType, NamedGroup, ProtocolVersion,
    SignatureScheme,
};
use crate::msgs::extensions::{ClientExtensions, Extension};
use crate::msgs::handshake::{ClientHello as WireHello, HandshakeMessage, HandshakePayload};

/// TLS record content type `handshake` (RFC 8446 §5.1).
const CONTENT_TYPE_HANDSHAKE: u8 = 22;

/// A parsed ClientHello (RFC 8446 §4.1.2), for inspection only.
///
/// Built by [`ClientHello::parse`]. Lists keep the order and the values the
/// client sent, GREASE included (RFC 8701); nothing in a ClientHello is
/// secret (key shares are public values), so `Debug` shows everything.
#[derive(Clone, Debug)]
pub struct ClientHello {
    raw: Vec<u8>,
    hello: WireHello,
    exts: ClientExtensions,
}

fn decode_error(msg: &'static str) -> Error {
    Error::protocol(AlertDescription::DECODE_ERROR, msg)
}

impl ClientHello {
    /// Parses a ClientHello from `bytes`: either the handshake message (type
    /// 1, a 24-bit length, the body) or one whole TLS record (content type 22,
    /// version, 16-bit length) that carries exactly that message. A hello
    /// fragmented over several records is not accepted here: join the
    /// records' payloads and pass the handshake message.
    ///
    /// # Errors
    ///
    /// Anything malformed (truncated, trailing bytes, bad lengths, duplicate
    /// or malformed extensions, another handshake type) is an [`Error`] of
    /// kind [`Protocol`](crate::ErrorKind::Protocol) whose
    /// [`sent_alert`](Error::sent_alert) names the alert a server would send,
    /// `decode_error` in most cases. Never panics.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let msg = match bytes.first() {
            Some(&CONTENT_TYPE_HANDSHAKE) => {
                let mut r = Reader::new(bytes);
                let header = r
                    .take(3)
                    .map_err(|_| decode_error("truncated record header"))?;
                debug_assert_eq!(header[0], CONTENT_TYPE_HANDSHAKE);
                let fragment = r.bytes16().map_err(|_| decode_error("truncated record"))?;
                if r.any_left() {
                    return Err(decode_error("bytes after the record"));
                }
                fragment
            }
            _ => bytes,
        };
        let mut r = Reader::new(msg);
        let typ = HandshakeType::read(&mut r).map_err(|_| decode_error("empty message"))?;
        if typ != HandshakeType::CLIENT_HELLO {
            return Err(Error::protocol(
                AlertDescription::UNEXPECTED_MESSAGE,
                "not a ClientHello",
            ));
        }
        let body = r
            .bytes24()
            .map_err(|_| decode_error("truncated handshake message"))?;
        if r.any_left() {
            return Err(decode_error("bytes after the ClientHello"));
        }
        let hello = match HandshakeMessage::read_tls13(typ, body)?.payload {
            HandshakePayload::ClientHello(h) => h,
            _ => return Err(Error::internal("ClientHello read as another message")),
        };
        let exts = ClientExtensions::parse(&hello.extensions)?;
        Ok(Self {
            raw: msg.to_vec(),
            hello,
            exts,
        })
    }

    /// The view of a ClientHello the handshake already parsed (`raw`: the
    /// handshake message with its header), for the ClientHello callback.
    pub(crate) fn from_wire(raw: &[u8], hello: WireHello) -> Result<Self, Error> {
        let exts = ClientExtensions::parse(&hello.extensions)?;
        Ok(Self {
            raw: raw.to_vec(),
            hello,
            exts,
        })
    }

    /// The handshake message's bytes (4-byte header and body), as a
    /// transcript hash would see them; without the record header when
    /// [`parse`](Self::parse) was given a record.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// `legacy_version` (0x0303 from any TLS 1.2 or 1.3 client).
    pub fn legacy_version(&self) -> ProtocolVersion {
        self.hello.legacy_version
    }

    /// The client's 32-byte random.
    pub fn random(&self) -> &[u8; 32] {
        &self.hello.random
    }

    /// `legacy_session_id` (0 to 32 bytes).
    pub fn session_id(&self) -> &[u8] {
        &self.hello.session_id
    }

    /// The cipher suites, in the client's order, GREASE and SCSVs included.
    pub fn cipher_suites(&self) -> &[CipherSuite] {
        &self.hello.cipher_suites
    }

    /// The extensions in the client's order: each one's type code point and
    /// its raw body.
    pub fn extensions(&self) -> impl Iterator<Item = (u16, &[u8])> + '_ {
        self.hello
            .extensions
            .iter()
            .map(|e: &Extension| (e.typ.0, e.data.as_slice()))
    }

    /// The `host_name` of `server_name`, lowercased and without a trailing
    /// dot; `None` without the extension.
    pub fn server_name(&self) -> Option<&str> {
        self.exts.server_name.as_deref()
    }

    /// The ALPN protocol names in the client's order; empty without the
    /// extension.
    pub fn alpn_protocols(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.exts.alpn.iter().flatten().map(Vec::as_slice)
    }

    /// `supported_versions` in the client's order; empty without the
    /// extension (a TLS 1.2-only client).
    pub fn supported_versions(&self) -> &[ProtocolVersion] {
        self.exts.supported_versions.as_deref().unwrap_or_default()
    }

    /// `supported_groups` in the client's order; empty without the extension.
    pub fn supported_groups(&self) -> &[NamedGroup] {
        self.exts.supported_groups.as_deref().unwrap_or_default()
    }

    /// `signature_algorithms` in the client's order; empty without the
    /// extension.
    pub fn signature_algorithms(&self) -> &[SignatureScheme] {
        self.exts
            .signature_algorithms
            .as_deref()
            .unwrap_or_default()
    }

    /// The groups of the offered key shares, in the client's order; empty
    /// without `key_share` or with an empty one (a client waiting for a
    /// HelloRetryRequest).
    pub fn key_share_groups(&self) -> impl Iterator<Item = NamedGroup> + '_ {
        self.exts.key_shares.iter().flatten().map(|k| k.group)
    }

    /// True if the client offers a pre-shared key (`pre_shared_key`: a
    /// TLS 1.3 resumption or an external PSK).
    pub fn psk_offered(&self) -> bool {
        self.exts.pre_shared_key.is_some()
    }

    /// True if the client offers 0-RTT data (`early_data`).
    pub fn early_data_offered(&self) -> bool {
        self.exts.early_data
    }

    /// The JA4 TLS client fingerprint (FoxIO, `technical_details/JA4.md`),
    /// for a hello sent over TCP, e.g. `t13d1516h2_8daaf6152771_e5627efa2ab1`.
    ///
    /// GREASE values are left out everywhere; counts stop at 99; the cipher
    /// hash covers the sorted suites, the extension hash the sorted
    /// extensions without SNI and ALPN, then `_` and the signature
    /// algorithms in the client's order (no `_` when there are none); an
    /// empty list hashes to `000000000000`.
    pub fn ja4(&self) -> String {
        let ciphers: Vec<u16> = self
            .hello
            .cipher_suites
            .iter()
            .map(|c| c.0)
            .filter(|&v| !is_grease(v))
            .collect();
        let ext_types: Vec<u16> = self
            .hello
            .extensions
            .iter()
            .map(|e| e.typ.0)
            .filter(|&v| !is_grease(v))
            .collect();
        let sni = if ext_types.contains(&ExtensionType::SERVER_NAME.0) {
            'd'
        } else {
            'i'
        };
        let mut out = format!(
            "t{}{sni}{:02}{:02}{}_",
            ja4_version(self.ja4_version_value()),
            ciphers.len().min(99),
            ext_types.len().min(99),
            ja4_alpn(self.alpn_protocols().next()),
        );

        let mut sorted = ciphers;
        sorted.sort_unstable();
        out.push_str(&ja4_hash(&hex_list(&sorted)));
        out.push('_');

        let mut sorted: Vec<u16> = ext_types
            .into_iter()
            .filter(|&t| t != ExtensionType::SERVER_NAME.0 && t != ExtensionType::ALPN.0)
            .collect();
        sorted.sort_unstable();
        let mut input = hex_list(&sorted);
        let sigs: Vec<u16> = self
            .signature_algorithms()
            .iter()
            .map(|s| s.0)
            .filter(|&v| !is_grease(v))
            .collect();
        if !sorted.is_empty() && !sigs.is_empty() {
            input.push('_');
            input.push_str(&hex_list(&sigs));
        }
        out.push_str(&ja4_hash(&input));
        out
    }

    /// The highest non-GREASE `supported_versions` entry, else `legacy_version`.
    fn ja4_version_value(&self) -> u16 {
        self.supported_versions()
            .iter()
            .map(|v| v.0)
            .filter(|&v| !is_grease(v))
            .max()
            .unwrap_or(self.hello.legacy_version.0)
    }
}

/// GREASE code points (RFC 8701): 0x0a0a, 0x1a1a, ... 0xfafa.
fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && v >> 8 == v & 0xff
}

fn ja4_version(v: u16) -> &'static str {
    match v {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        0x0002 => "s2",
        0xfeff => "d1",
        0xfefd => "d2",
        0xfefc => "d3",
        _ => "00",
    }
}

/// First and last character of the first ALPN value; when either end is not
/// ASCII alphanumeric, the first and last hex digits of the value instead.
fn ja4_alpn(first: Option<&[u8]>) -> String {
    let (Some(&a), Some(&z)) = (first.and_then(|p| p.first()), first.and_then(|p| p.last())) else {
        return "00".to_owned();
    };
    if a.is_ascii_alphanumeric() && z.is_ascii_alphanumeric() {
        format!("{}{}", a as char, z as char)
    } else {
        format!("{:x}{:x}", a >> 4, z & 0x0f)
    }
}

/// Lowercase 4-digit hex values, comma separated.
fn hex_list(values: &[u16]) -> String {
    let mut s = String::with_capacity(values.len() * 5);
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "{v:04x}");
    }
    s
}

/// The first 12 hex digits of SHA-256(`input`); twelve zeros for an empty list.
fn ja4_hash(input: &str) -> String {
    if input.is_empty() {
        return "000000000000".to_owned();
    }
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, input.as_bytes());
    d.as_ref()[..6].iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hash inputs and outputs of the worked example in JA4.md.
    #[test]
    fn spec_worked_example_hashes() {
        assert_eq!(
            ja4_hash(&hex_list(&[
                0x002f, 0x0035, 0x009c, 0x009d, 0x1301, 0x1302, 0x1303, 0xc013, 0xc014, 0xc02b,
                0xc02c, 0xc02f, 0xc030, 0xcca8, 0xcca9
            ])),
            "8daaf6152771"
        );
        let exts = "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01";
        assert_eq!(ja4_hash(exts), "6d807ffa2a79");
        assert_eq!(
            ja4_hash(&format!("{exts}_0403,0804,0401,0503,0805,0501,0806,0601")),
            "e5627efa2ab1"
        );
        assert_eq!(ja4_hash(""), "000000000000");
    }

    /// Every example of the ALPN rule in JA4.md.
    #[test]
    fn spec_alpn_examples() {
        let cases: &[(&[u8], &str)] = &[
            (b"h2", "h2"),
            (b"http/1.1", "h1"),
            (b"x", "xx"),
            (&[0xab], "ab"),
            (&[0x20], "20"),
            (&[0xab, 0xcd], "ad"),
            (&[0x20, 0x61], "21"),
            (&[0x30, 0xab], "3b"),
            (&[0x61, 0x20], "60"),
            (&[0x30, 0x31, 0xab, 0xcd], "3d"),
            (&[0x30, 0xab, 0xcd, 0x31], "01"),
        ];
        for (value, want) in cases {
            assert_eq!(ja4_alpn(Some(value)), *want, "{value:02x?}");
        }
        assert_eq!(ja4_alpn(None), "00");
    }

    #[test]
    fn grease_values() {
        let all: Vec<u16> = (0..=0xffffu16).filter(|&v| is_grease(v)).collect();
        let want: Vec<u16> = (0..16u16)
            .map(|i| (i << 12) | 0x0a00 | (i << 4) | 0x0a)
            .collect();
        assert_eq!(all, want);
    }
}
