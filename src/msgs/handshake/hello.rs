//! The hello messages: ClientHello and ServerHello (RFC 8446 §4.1.2-4.1.3),
//! which HelloRetryRequest shares, and the constants read from their randoms.

use crate::msgs::codec::{
    encode_prefixed, put_bytes8, put_u8, Codec, DecodeError, EncodeError, LenPrefix, Reader,
};
use crate::msgs::enums::{CipherSuite, ProtocolVersion};
use crate::msgs::extensions::{encode_extensions, read_extensions, Extension};

/// `ServerHello.random` of a HelloRetryRequest: SHA-256("HelloRetryRequest")
/// (RFC 8446 §4.1.3).
pub(crate) const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// The last 8 bytes of `ServerHello.random` from a TLS 1.3-capable server that
/// negotiates TLS 1.2 (RFC 8446 §4.1.3), so a TLS 1.3 client detects a downgrade.
pub(crate) const DOWNGRADE_TLS12: [u8; 8] = *b"DOWNGRD\x01";
/// The same for TLS 1.1 and below.
pub(crate) const DOWNGRADE_TLS11: [u8; 8] = *b"DOWNGRD\x00";

/// Largest `legacy_session_id` (RFC 8446 §4.1.2).
const MAX_SESSION_ID: usize = 32;

fn read_random(r: &mut Reader<'_>) -> Result<[u8; 32], DecodeError> {
    let b = r.take(32)?;
    let mut out = [0u8; 32];
    out.copy_from_slice(b);
    Ok(out)
}

fn read_session_id(r: &mut Reader<'_>) -> Result<Vec<u8>, DecodeError> {
    let sid = r.bytes8()?;
    if sid.len() > MAX_SESSION_ID {
        return Err(DecodeError("session id longer than 32 bytes"));
    }
    Ok(sid.to_vec())
}

/// Hello messages may end before the extensions block (TLS 1.2 and older
/// peers); present, it must be well formed.
fn read_optional_extensions(r: &mut Reader<'_>) -> Result<Vec<Extension>, DecodeError> {
    if r.any_left() {
        read_extensions(r)
    } else {
        Ok(Vec::new())
    }
}

/// An empty list is written as no block at all, which is what
/// `read_optional_extensions` reads back as empty.
fn encode_optional_extensions(exts: &[Extension], out: &mut Vec<u8>) -> Result<(), EncodeError> {
    if exts.is_empty() {
        return Ok(());
    }
    encode_extensions(exts, out)
}

/// ClientHello (RFC 8446 §4.1.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ClientHello {
    pub legacy_version: ProtocolVersion,
    pub random: [u8; 32],
    /// At most 32 bytes.
    pub session_id: Vec<u8>,
    /// Non-empty.
    pub cipher_suites: Vec<CipherSuite>,
    /// Non-empty.
    pub compression_methods: Vec<u8>,
    pub extensions: Vec<Extension>,
}

impl Codec for ClientHello {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.legacy_version.encode(out)?;
        out.extend_from_slice(&self.random);
        put_bytes8(out, &self.session_id)?;
        encode_prefixed(out, LenPrefix::U16, |o| {
            self.cipher_suites.iter().try_for_each(|cs| cs.encode(o))
        })?;
        put_bytes8(out, &self.compression_methods)?;
        encode_optional_extensions(&self.extensions, out)
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let legacy_version = ProtocolVersion::read(r)?;
        let random = read_random(r)?;
        let session_id = read_session_id(r)?;
        let mut suites = r.sub16()?;
        if !suites.any_left() {
            return Err(DecodeError("empty cipher suite list"));
        }
        if suites.left() % 2 != 0 {
            return Err(DecodeError("odd cipher suite list length"));
        }
        let mut cipher_suites = Vec::with_capacity(suites.left() / 2);
        while suites.any_left() {
            cipher_suites.push(CipherSuite::read(&mut suites)?);
        }
        let compression_methods = r.bytes8()?;
        if compression_methods.is_empty() {
            return Err(DecodeError("empty compression method list"));
        }
        let extensions = read_optional_extensions(r)?;
        Ok(Self {
            legacy_version,
            random,
            session_id,
            cipher_suites,
            compression_methods: compression_methods.to_vec(),
            extensions,
        })
    }
}

/// ServerHello (RFC 8446 §4.1.3), which is also the HelloRetryRequest format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ServerHello {
    pub legacy_version: ProtocolVersion,
    pub random: [u8; 32],
    pub session_id: Vec<u8>,
    pub cipher_suite: CipherSuite,
    pub compression_method: u8,
    pub extensions: Vec<Extension>,
}

impl ServerHello {
    /// True if this is a HelloRetryRequest (its random is `HRR_RANDOM`).
    pub(crate) fn is_hrr(&self) -> bool {
        self.random == HRR_RANDOM
    }
}

impl Codec for ServerHello {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.legacy_version.encode(out)?;
        out.extend_from_slice(&self.random);
        put_bytes8(out, &self.session_id)?;
        self.cipher_suite.encode(out)?;
        put_u8(out, self.compression_method);
        encode_optional_extensions(&self.extensions, out)
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            legacy_version: ProtocolVersion::read(r)?,
            random: read_random(r)?,
            session_id: read_session_id(r)?,
            cipher_suite: CipherSuite::read(r)?,
            compression_method: r.u8()?,
            extensions: read_optional_extensions(r)?,
        })
    }
}
