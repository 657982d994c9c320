//! Hello extensions: the raw `Extension` container, and typed views of the
//! extensions a client sends (`ClientExtensions`) and a server answers with
//! (`ServerExtensions`).
//!
//! Parsing works in two steps. The handshake message keeps its extensions as a
//! raw list (so the transcript and unknown extensions are untouched); the typed
//! views are built from that list once the engine knows the context. Every body
//! is decoded with a bounds-checked `Reader` and must be consumed exactly.
//!
//! Nothing here is secret: key shares are public values and tickets are opaque
//! to the client, so the `Debug` derives are safe.
//!
//! `client` holds the ClientHello view, `server` the view of the server's
//! answers; this file keeps the raw codec and the helpers both views share.

use std::collections::HashSet;

use super::codec::{
    encode_prefixed, put_bytes16, put_bytes8, Codec, DecodeError, EncodeError, LenPrefix, Reader,
};
use super::enums::{AlertDescription, ExtensionType, NamedGroup};
use crate::error::Error;

mod cert_request;
mod client;
mod psk;
mod server;
#[cfg(test)]
mod tests;
mod ticket;

pub(crate) use cert_request::{names_fit, CertRequestExtensions};
pub(crate) use client::ClientExtensions;
pub(crate) use psk::{PskIdentity, PskOffer, PSK_DHE_KE, PSK_KE};
pub(crate) use server::{ServerExtContext, ServerExtensions};
pub(crate) use ticket::TicketExtensions;

/// One extension, undecoded: its type and its body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Extension {
    pub typ: ExtensionType,
    pub data: Vec<u8>,
}

impl Extension {
    /// Builds an extension whose body is written by `f`.
    pub(crate) fn build(
        typ: ExtensionType,
        f: impl FnOnce(&mut Vec<u8>) -> Result<(), EncodeError>,
    ) -> Result<Self, EncodeError> {
        let mut data = Vec::new();
        f(&mut data)?;
        Ok(Self { typ, data })
    }

    /// An extension with an empty body.
    pub(crate) fn empty(typ: ExtensionType) -> Self {
        Self {
            typ,
            data: Vec::new(),
        }
    }
}

impl Codec for Extension {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let start = out.len();
        self.typ.encode(out)?;
        put_bytes16(out, &self.data).inspect_err(|_| out.truncate(start))
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let typ = ExtensionType::read(r)?;
        let data = r.bytes16()?.to_vec();
        Ok(Self { typ, data })
    }
}

/// Reads a `u16`-length-prefixed list of extensions (an empty list is fine).
pub(crate) fn read_extensions(r: &mut Reader<'_>) -> Result<Vec<Extension>, DecodeError> {
    let mut sub = r.sub16()?;
    let mut exts = Vec::new();
    while sub.any_left() {
        exts.push(Extension::read(&mut sub)?);
    }
    Ok(exts)
}

/// Writes a `u16`-length-prefixed list of extensions.
pub(crate) fn encode_extensions(exts: &[Extension], out: &mut Vec<u8>) -> Result<(), EncodeError> {
    encode_prefixed(out, LenPrefix::U16, |o| {
        exts.iter().try_for_each(|e| e.encode(o))
    })
}

/// A key share: a group and the public value for it (RFC 8446 §4.2.8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KeyShareEntry {
    pub group: NamedGroup,
    pub payload: Vec<u8>,
}

impl Codec for KeyShareEntry {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let start = out.len();
        self.group.encode(out)?;
        put_bytes16(out, &self.payload).inspect_err(|_| out.truncate(start))
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let group = NamedGroup::read(r)?;
        let payload = r.bytes16()?;
        if payload.is_empty() {
            return Err(DecodeError("empty key share"));
        }
        Ok(Self {
            group,
            payload: payload.to_vec(),
        })
    }
}

// ---------------------------------------------------------------------------
// Helpers shared by the client and server views.

/// Reads items until `sub` is exhausted; an empty list is an error.
fn read_nonempty<T: Codec>(mut sub: Reader<'_>, what: &'static str) -> Result<Vec<T>, DecodeError> {
    if !sub.any_left() {
        return Err(DecodeError(what));
    }
    let mut v = Vec::new();
    while sub.any_left() {
        v.push(T::read(&mut sub)?);
    }
    Ok(v)
}

fn encode_list<T: Codec>(
    out: &mut Vec<u8>,
    prefix: LenPrefix,
    items: &[T],
) -> Result<(), EncodeError> {
    encode_prefixed(out, prefix, |o| items.iter().try_for_each(|i| i.encode(o)))
}

/// Decodes an extension body with `f`, requiring that it consume every byte.
/// Decode failures become `decode_error` naming the extension.
fn decode_body<'a, T>(
    ext: &'a Extension,
    f: impl FnOnce(&mut Reader<'a>) -> Result<T, DecodeError>,
) -> Result<T, Error> {
    let mut r = Reader::new(&ext.data);
    f(&mut r)
        .and_then(|v| {
            r.expect_empty("trailing bytes")?;
            Ok(v)
        })
        .map_err(|e| {
            Error::protocol(
                AlertDescription::DECODE_ERROR,
                format!("malformed {} extension: {}", ext.typ, e.0),
            )
        })
}

fn expect_empty_body(ext: &Extension) -> Result<(), Error> {
    decode_body(ext, |_| Ok(()))
}

/// Rejects an extension block that holds one type twice (RFC 8446 §4.2,
/// RFC 5246 §7.4.1.4: "There MUST NOT be more than one extension of the same
/// type"). Neither RFC names the alert, so each message gets the one
/// BoringSSL sends for it (`alert`): `decode_error` in ClientHello, TLS 1.2
/// ServerHello and EncryptedExtensions (as rustls and Go do too),
/// `illegal_parameter` in the TLS 1.3 ServerHello, HelloRetryRequest and
/// NewSessionTicket. Callers check this before anything else about the
/// block, so a repeated unknown type is not reported as unsupported.
pub(crate) fn check_no_duplicates(
    exts: &[Extension],
    alert: AlertDescription,
) -> Result<(), Error> {
    let mut seen = HashSet::with_capacity(exts.len());
    match exts.iter().find(|e| !seen.insert(e.typ.0)) {
        None => Ok(()),
        Some(e) => Err(Error::protocol(
            alert,
            format!("duplicate {} extension", e.typ),
        )),
    }
}

/// Validates an SNI host name (RFC 6066 §3) and normalizes it: ASCII
/// lowercase, one trailing dot removed.
fn validate_host_name(raw: &[u8]) -> Result<String, Error> {
    let bad = |why: &'static str| {
        Err(Error::protocol(
            AlertDescription::ILLEGAL_PARAMETER,
            format!("invalid server name: {why}"),
        ))
    };
    if raw.is_empty() {
        // Outside HostName<1..2^16-1>: malformed, not a wrong value.
        return Err(Error::protocol(
            AlertDescription::DECODE_ERROR,
            "invalid server name: empty",
        ));
    }
    if raw.len() > 255 {
        return bad("length");
    }
    let name = raw.strip_suffix(b".").unwrap_or(raw);
    if name.is_empty() {
        return bad("empty");
    }
    for label in name.split(|&b| b == b'.') {
        if label.is_empty() || label.len() > 63 {
            return bad("empty or overlong label");
        }
        if !label
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return bad("character not allowed");
        }
    }
    Ok(name
        .iter()
        .map(|&b| char::from(b.to_ascii_lowercase()))
        .collect())
}

/// `status_type` for OCSP (RFC 6066 §8).
const STATUS_TYPE_OCSP: u8 = 1;

/// SNI `name_type` for a DNS host name.
const NAME_TYPE_HOST_NAME: u8 = 0;

fn read_cookie(r: &mut Reader<'_>) -> Result<Vec<u8>, DecodeError> {
    let c = r.bytes16()?;
    if c.is_empty() {
        return Err(DecodeError("empty cookie"));
    }
    Ok(c.to_vec())
}

fn read_point_formats(r: &mut Reader<'_>) -> Result<Vec<u8>, DecodeError> {
    let f = r.bytes8()?;
    if f.is_empty() {
        return Err(DecodeError("empty point format list"));
    }
    Ok(f.to_vec())
}

fn alpn_extension(protocols: &[Vec<u8>]) -> Result<Extension, EncodeError> {
    Extension::build(ExtensionType::ALPN, |o| {
        encode_prefixed(o, LenPrefix::U16, |o| {
            protocols.iter().try_for_each(|p| put_bytes8(o, p))
        })
    })
}

fn cookie_extension(cookie: &[u8]) -> Result<Extension, EncodeError> {
    Extension::build(ExtensionType::COOKIE, |o| put_bytes16(o, cookie))
}
