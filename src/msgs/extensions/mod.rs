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

use std::collections::HashSet;

use super::codec::{
    encode_prefixed, put_bytes16, put_bytes8, put_u16, put_u8, Codec, DecodeError, EncodeError,
    LenPrefix, Reader,
};
use super::enums::{AlertDescription, ExtensionType, NamedGroup, ProtocolVersion, SignatureScheme};
use crate::error::Error;

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
// Small decoding helpers.

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

/// Remembers which extension types were seen; a repeat is `illegal_parameter`
/// (RFC 8446 §4.2: "There MUST NOT be more than one extension of the same type").
#[derive(Debug, Default)]
struct SeenTypes(HashSet<u16>);

impl SeenTypes {
    fn check(&mut self, typ: ExtensionType) -> Result<(), Error> {
        if self.0.insert(typ.0) {
            Ok(())
        } else {
            Err(Error::protocol(
                AlertDescription::ILLEGAL_PARAMETER,
                format!("duplicate {typ} extension"),
            ))
        }
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
    if raw.is_empty() || raw.len() > 255 {
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

// ---------------------------------------------------------------------------
// ClientHello extensions.

/// Typed view of ClientHello extensions; used both to build (`to_extensions`)
/// and to parse (`parse`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ClientExtensions {
    /// The `host_name` entry of `server_name`, lowercased, without a trailing dot.
    pub server_name: Option<String>,
    pub supported_versions: Option<Vec<ProtocolVersion>>,
    pub supported_groups: Option<Vec<NamedGroup>>,
    pub signature_algorithms: Option<Vec<SignatureScheme>>,
    pub signature_algorithms_cert: Option<Vec<SignatureScheme>>,
    /// May be `Some(empty)`: a client that wants an HRR to pick the group.
    pub key_shares: Option<Vec<KeyShareEntry>>,
    pub alpn: Option<Vec<Vec<u8>>>,
    pub cookie: Option<Vec<u8>>,
    pub psk_modes: Option<Vec<u8>>,
    pub early_data: bool,
    pub extended_master_secret: bool,
    pub renegotiation_info: Option<Vec<u8>>,
    pub ec_point_formats: Option<Vec<u8>>,
    /// Raw body of the TLS 1.2 `session_ticket` extension (may be empty).
    pub session_ticket: Option<Vec<u8>>,
    /// An OCSP `status_request` was made (other status types are ignored).
    pub status_request: bool,
    /// Raw body of `pre_shared_key` (identities and binders); it was the last extension.
    pub pre_shared_key: Option<Vec<u8>>,
    /// Types that were present but that Baton ignores (padding, unknown, ...).
    pub unknown: Vec<ExtensionType>,
}

impl ClientExtensions {
    /// Decodes the extensions of a ClientHello.
    ///
    /// Duplicate types and a `pre_shared_key` that is not last are
    /// `illegal_parameter`; malformed bodies are `decode_error`.
    pub(crate) fn parse(exts: &[Extension]) -> Result<Self, Error> {
        let mut out = Self::default();
        let mut seen = SeenTypes::default();
        let last = exts.len().saturating_sub(1);
        for (i, ext) in exts.iter().enumerate() {
            seen.check(ext.typ)?;
            match ext.typ {
                ExtensionType::SERVER_NAME => {
                    let names = decode_body(ext, |r| {
                        let mut list = r.sub16()?;
                        if !list.any_left() {
                            return Err(DecodeError("empty server name list"));
                        }
                        let mut names = Vec::new();
                        while list.any_left() {
                            let name_type = list.u8()?;
                            let name = list.bytes16()?;
                            names.push((name_type, name));
                        }
                        Ok(names)
                    })?;
                    for (name_type, name) in names {
                        if name_type != NAME_TYPE_HOST_NAME {
                            continue;
                        }
                        if out.server_name.is_some() {
                            return Err(Error::protocol(
                                AlertDescription::ILLEGAL_PARAMETER,
                                "more than one host_name in server_name",
                            ));
                        }
                        out.server_name = Some(validate_host_name(name)?);
                    }
                }
                ExtensionType::SUPPORTED_VERSIONS => {
                    out.supported_versions = Some(decode_body(ext, |r| {
                        read_nonempty(r.sub8()?, "empty version list")
                    })?);
                }
                ExtensionType::SUPPORTED_GROUPS => {
                    out.supported_groups = Some(decode_body(ext, |r| {
                        read_nonempty(r.sub16()?, "empty group list")
                    })?);
                }
                ExtensionType::SIGNATURE_ALGORITHMS => {
                    out.signature_algorithms = Some(decode_body(ext, |r| {
                        read_nonempty(r.sub16()?, "empty scheme list")
                    })?);
                }
                ExtensionType::SIGNATURE_ALGORITHMS_CERT => {
                    out.signature_algorithms_cert = Some(decode_body(ext, |r| {
                        read_nonempty(r.sub16()?, "empty scheme list")
                    })?);
                }
                ExtensionType::KEY_SHARE => {
                    let shares: Vec<KeyShareEntry> = decode_body(ext, |r| {
                        let mut sub = r.sub16()?;
                        let mut v = Vec::new();
                        while sub.any_left() {
                            v.push(KeyShareEntry::read(&mut sub)?);
                        }
                        Ok(v)
                    })?;
                    let mut groups = HashSet::new();
                    if !shares.iter().all(|s| groups.insert(s.group.0)) {
                        return Err(Error::protocol(
                            AlertDescription::ILLEGAL_PARAMETER,
                            "two key shares for one group",
                        ));
                    }
                    out.key_shares = Some(shares);
                }
                ExtensionType::ALPN => {
                    out.alpn = Some(decode_body(ext, |r| {
                        let mut list = r.sub16()?;
                        if !list.any_left() {
                            return Err(DecodeError("empty protocol list"));
                        }
                        let mut v = Vec::new();
                        while list.any_left() {
                            let p = list.bytes8()?;
                            if p.is_empty() {
                                return Err(DecodeError("empty protocol name"));
                            }
                            v.push(p.to_vec());
                        }
                        Ok(v)
                    })?);
                }
                ExtensionType::COOKIE => {
                    out.cookie = Some(decode_body(ext, read_cookie)?);
                }
                ExtensionType::PSK_KEY_EXCHANGE_MODES => {
                    out.psk_modes = Some(decode_body(ext, |r| {
                        let modes = r.bytes8()?;
                        if modes.is_empty() {
                            return Err(DecodeError("empty mode list"));
                        }
                        Ok(modes.to_vec())
                    })?);
                }
                ExtensionType::EARLY_DATA => {
                    expect_empty_body(ext)?;
                    out.early_data = true;
                }
                ExtensionType::EXTENDED_MASTER_SECRET => {
                    expect_empty_body(ext)?;
                    out.extended_master_secret = true;
                }
                ExtensionType::RENEGOTIATION_INFO => {
                    out.renegotiation_info = Some(decode_body(ext, |r| Ok(r.bytes8()?.to_vec()))?);
                }
                ExtensionType::EC_POINT_FORMATS => {
                    out.ec_point_formats = Some(decode_body(ext, read_point_formats)?);
                }
                ExtensionType::SESSION_TICKET => {
                    out.session_ticket = Some(ext.data.clone());
                }
                ExtensionType::STATUS_REQUEST => {
                    out.status_request = decode_body(ext, |r| {
                        let status_type = r.u8()?;
                        if status_type != STATUS_TYPE_OCSP {
                            // Unknown request types: not understood, ignored.
                            r.rest();
                            return Ok(false);
                        }
                        let _responder_ids = r.bytes16()?;
                        let _request_extensions = r.bytes16()?;
                        Ok(true)
                    })?;
                }
                ExtensionType::PRE_SHARED_KEY => {
                    if i != last {
                        return Err(Error::protocol(
                            AlertDescription::ILLEGAL_PARAMETER,
                            "pre_shared_key is not the last extension",
                        ));
                    }
                    out.pre_shared_key = Some(ext.data.clone());
                }
                other => out.unknown.push(other),
            }
        }
        Ok(out)
    }

    /// Encodes the present fields in a fixed order, `pre_shared_key` last.
    /// `unknown` is not encoded (it carries no bodies).
    pub(crate) fn to_extensions(&self) -> Result<Vec<Extension>, EncodeError> {
        let mut v = Vec::new();
        if let Some(name) = &self.server_name {
            v.push(Extension::build(ExtensionType::SERVER_NAME, |o| {
                encode_prefixed(o, LenPrefix::U16, |o| {
                    put_u8(o, NAME_TYPE_HOST_NAME);
                    put_bytes16(o, name.as_bytes())
                })
            })?);
        }
        if self.status_request {
            v.push(Extension::build(ExtensionType::STATUS_REQUEST, |o| {
                put_u8(o, STATUS_TYPE_OCSP);
                put_u16(o, 0); // responder_id_list
                put_u16(o, 0); // request_extensions
                Ok(())
            })?);
        }
        if let Some(groups) = &self.supported_groups {
            v.push(Extension::build(ExtensionType::SUPPORTED_GROUPS, |o| {
                encode_list(o, LenPrefix::U16, groups)
            })?);
        }
        if let Some(formats) = &self.ec_point_formats {
            v.push(Extension::build(ExtensionType::EC_POINT_FORMATS, |o| {
                put_bytes8(o, formats)
            })?);
        }
        if let Some(schemes) = &self.signature_algorithms {
            v.push(Extension::build(
                ExtensionType::SIGNATURE_ALGORITHMS,
                |o| encode_list(o, LenPrefix::U16, schemes),
            )?);
        }
        if let Some(protocols) = &self.alpn {
            v.push(alpn_extension(protocols)?);
        }
        if self.extended_master_secret {
            v.push(Extension::empty(ExtensionType::EXTENDED_MASTER_SECRET));
        }
        if let Some(ticket) = &self.session_ticket {
            v.push(Extension {
                typ: ExtensionType::SESSION_TICKET,
                data: ticket.clone(),
            });
        }
        if let Some(schemes) = &self.signature_algorithms_cert {
            v.push(Extension::build(
                ExtensionType::SIGNATURE_ALGORITHMS_CERT,
                |o| encode_list(o, LenPrefix::U16, schemes),
            )?);
        }
        if let Some(shares) = &self.key_shares {
            v.push(Extension::build(ExtensionType::KEY_SHARE, |o| {
                encode_list(o, LenPrefix::U16, shares)
            })?);
        }
        if let Some(versions) = &self.supported_versions {
            v.push(Extension::build(ExtensionType::SUPPORTED_VERSIONS, |o| {
                encode_list(o, LenPrefix::U8, versions)
            })?);
        }
        if let Some(cookie) = &self.cookie {
            v.push(cookie_extension(cookie)?);
        }
        if let Some(modes) = &self.psk_modes {
            v.push(Extension::build(
                ExtensionType::PSK_KEY_EXCHANGE_MODES,
                |o| put_bytes8(o, modes),
            )?);
        }
        if self.early_data {
            v.push(Extension::empty(ExtensionType::EARLY_DATA));
        }
        if let Some(info) = &self.renegotiation_info {
            v.push(Extension::build(ExtensionType::RENEGOTIATION_INFO, |o| {
                put_bytes8(o, info)
            })?);
        }
        if let Some(psk) = &self.pre_shared_key {
            v.push(Extension {
                typ: ExtensionType::PRE_SHARED_KEY,
                data: psk.clone(),
            });
        }
        Ok(v)
    }
}

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

// ---------------------------------------------------------------------------
// Server extensions.

/// Which message the server-side extensions came in; decides which extensions
/// are legal and how their bodies look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ServerExtContext {
    ServerHello13,
    HelloRetryRequest,
    EncryptedExtensions,
    ServerHello12,
}

impl ServerExtContext {
    /// RFC 8446 §4.2 (the "TLS 1.3" column) for the 1.3 contexts; RFC 5246 and
    /// friends for a TLS 1.2 ServerHello. Only extensions Baton can have
    /// offered are listed: anything else in a server message is an answer to
    /// something we did not ask, i.e. `unsupported_extension` (RFC 8446 §4.2).
    fn allows(self, typ: ExtensionType) -> bool {
        use ExtensionType as T;
        match self {
            Self::ServerHello13 => matches!(
                typ,
                T::SUPPORTED_VERSIONS | T::KEY_SHARE | T::PRE_SHARED_KEY
            ),
            Self::HelloRetryRequest => {
                matches!(typ, T::SUPPORTED_VERSIONS | T::KEY_SHARE | T::COOKIE)
            }
            Self::EncryptedExtensions => matches!(
                typ,
                T::SERVER_NAME | T::SUPPORTED_GROUPS | T::ALPN | T::EARLY_DATA
            ),
            Self::ServerHello12 => matches!(
                typ,
                T::SERVER_NAME
                    | T::ALPN
                    | T::EXTENDED_MASTER_SECRET
                    | T::RENEGOTIATION_INFO
                    | T::EC_POINT_FORMATS
                    | T::SESSION_TICKET
                    | T::STATUS_REQUEST
            ),
        }
    }
}

/// Typed view of the extensions in a ServerHello, HelloRetryRequest or
/// EncryptedExtensions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ServerExtensions {
    /// SH13 / HRR: the selected version.
    pub supported_version: Option<ProtocolVersion>,
    /// SH13: the server's share.
    pub key_share: Option<KeyShareEntry>,
    /// HRR: the group the client must send a share for.
    pub hrr_selected_group: Option<NamedGroup>,
    /// HRR: cookie to echo.
    pub cookie: Option<Vec<u8>>,
    /// SH13: index of the selected PSK identity.
    pub pre_shared_key: Option<u16>,
    /// EE / SH12: an empty `server_name`.
    pub server_name_ack: bool,
    /// EE / SH12: the one selected protocol.
    pub alpn: Option<Vec<u8>>,
    /// EE: the server's groups (informational).
    pub supported_groups: Option<Vec<NamedGroup>>,
    /// EE: early data accepted.
    pub early_data: bool,
    /// SH12.
    pub extended_master_secret: bool,
    /// SH12.
    pub renegotiation_info: Option<Vec<u8>>,
    /// SH12.
    pub ec_point_formats: Option<Vec<u8>>,
    /// SH12: an empty `session_ticket` (a ticket will follow).
    pub session_ticket_ack: bool,
    /// SH12: an empty `status_request` (a CertificateStatus will follow).
    pub status_request_ack: bool,
}

impl ServerExtensions {
    /// Decodes server extensions received in `ctx`.
    ///
    /// An extension not allowed in `ctx` (unknown types included) is
    /// `unsupported_extension`; a repeated type is `illegal_parameter`;
    /// malformed bodies are `decode_error`.
    pub(crate) fn parse(ctx: ServerExtContext, exts: &[Extension]) -> Result<Self, Error> {
        let mut out = Self::default();
        let mut seen = SeenTypes::default();
        for ext in exts {
            if !ctx.allows(ext.typ) {
                return Err(Error::protocol(
                    AlertDescription::UNSUPPORTED_EXTENSION,
                    format!("{} extension not allowed in {ctx:?}", ext.typ),
                ));
            }
            seen.check(ext.typ)?;
            match ext.typ {
                ExtensionType::SUPPORTED_VERSIONS => {
                    out.supported_version = Some(decode_body(ext, ProtocolVersion::read)?);
                }
                ExtensionType::KEY_SHARE if ctx == ServerExtContext::HelloRetryRequest => {
                    out.hrr_selected_group = Some(decode_body(ext, NamedGroup::read)?);
                }
                ExtensionType::KEY_SHARE => {
                    out.key_share = Some(decode_body(ext, KeyShareEntry::read)?);
                }
                ExtensionType::COOKIE => {
                    out.cookie = Some(decode_body(ext, read_cookie)?);
                }
                ExtensionType::PRE_SHARED_KEY => {
                    out.pre_shared_key = Some(decode_body(ext, |r| r.u16())?);
                }
                ExtensionType::SERVER_NAME => {
                    expect_empty_body(ext)?;
                    out.server_name_ack = true;
                }
                ExtensionType::ALPN => {
                    out.alpn = Some(decode_body(ext, |r| {
                        let mut list = r.sub16()?;
                        let p = list.bytes8()?;
                        if p.is_empty() {
                            return Err(DecodeError("empty protocol name"));
                        }
                        list.expect_empty("more than one protocol")?;
                        Ok(p.to_vec())
                    })?);
                }
                ExtensionType::SUPPORTED_GROUPS => {
                    out.supported_groups = Some(decode_body(ext, |r| {
                        read_nonempty(r.sub16()?, "empty group list")
                    })?);
                }
                ExtensionType::EARLY_DATA => {
                    expect_empty_body(ext)?;
                    out.early_data = true;
                }
                ExtensionType::EXTENDED_MASTER_SECRET => {
                    expect_empty_body(ext)?;
                    out.extended_master_secret = true;
                }
                ExtensionType::RENEGOTIATION_INFO => {
                    out.renegotiation_info = Some(decode_body(ext, |r| Ok(r.bytes8()?.to_vec()))?);
                }
                ExtensionType::EC_POINT_FORMATS => {
                    out.ec_point_formats = Some(decode_body(ext, read_point_formats)?);
                }
                ExtensionType::SESSION_TICKET => {
                    expect_empty_body(ext)?;
                    out.session_ticket_ack = true;
                }
                ExtensionType::STATUS_REQUEST => {
                    expect_empty_body(ext)?;
                    out.status_request_ack = true;
                }
                other => {
                    // `allows` admitted a type this match does not decode.
                    return Err(Error::internal(format!(
                        "no decoder for allowed extension {other}"
                    )));
                }
            }
        }
        Ok(out)
    }

    /// Encodes the fields that belong in `ctx` (others are left out).
    pub(crate) fn to_extensions(
        &self,
        ctx: ServerExtContext,
    ) -> Result<Vec<Extension>, EncodeError> {
        use ServerExtContext as C;
        let mut v = Vec::new();
        match ctx {
            C::ServerHello13 | C::HelloRetryRequest => {
                if ctx == C::ServerHello13 {
                    if let Some(share) = &self.key_share {
                        v.push(Extension::build(ExtensionType::KEY_SHARE, |o| {
                            share.encode(o)
                        })?);
                    }
                    if let Some(index) = self.pre_shared_key {
                        v.push(Extension::build(ExtensionType::PRE_SHARED_KEY, |o| {
                            put_u16(o, index);
                            Ok(())
                        })?);
                    }
                } else if let Some(group) = self.hrr_selected_group {
                    v.push(Extension::build(ExtensionType::KEY_SHARE, |o| {
                        group.encode(o)
                    })?);
                }
                if let Some(version) = self.supported_version {
                    v.push(Extension::build(ExtensionType::SUPPORTED_VERSIONS, |o| {
                        version.encode(o)
                    })?);
                }
                if ctx == C::HelloRetryRequest {
                    if let Some(cookie) = &self.cookie {
                        v.push(cookie_extension(cookie)?);
                    }
                }
            }
            C::EncryptedExtensions => {
                if self.server_name_ack {
                    v.push(Extension::empty(ExtensionType::SERVER_NAME));
                }
                if let Some(groups) = &self.supported_groups {
                    v.push(Extension::build(ExtensionType::SUPPORTED_GROUPS, |o| {
                        encode_list(o, LenPrefix::U16, groups)
                    })?);
                }
                if let Some(p) = &self.alpn {
                    v.push(alpn_extension(std::slice::from_ref(p))?);
                }
                if self.early_data {
                    v.push(Extension::empty(ExtensionType::EARLY_DATA));
                }
            }
            C::ServerHello12 => {
                if self.server_name_ack {
                    v.push(Extension::empty(ExtensionType::SERVER_NAME));
                }
                if let Some(info) = &self.renegotiation_info {
                    v.push(Extension::build(ExtensionType::RENEGOTIATION_INFO, |o| {
                        put_bytes8(o, info)
                    })?);
                }
                if let Some(formats) = &self.ec_point_formats {
                    v.push(Extension::build(ExtensionType::EC_POINT_FORMATS, |o| {
                        put_bytes8(o, formats)
                    })?);
                }
                if self.extended_master_secret {
                    v.push(Extension::empty(ExtensionType::EXTENDED_MASTER_SECRET));
                }
                if self.session_ticket_ack {
                    v.push(Extension::empty(ExtensionType::SESSION_TICKET));
                }
                if self.status_request_ack {
                    v.push(Extension::empty(ExtensionType::STATUS_REQUEST));
                }
                if let Some(p) = &self.alpn {
                    v.push(alpn_extension(std::slice::from_ref(p))?);
                }
            }
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msgs::handshake::{ClientHello, ServerHello};
    use crate::msgs::test_vectors::*;

    fn alert<T: core::fmt::Debug>(r: Result<T, Error>) -> AlertDescription {
        r.expect_err("expected an error")
            .sent_alert()
            .expect("protocol errors carry an alert")
    }

    fn ext(typ: u16, data: &[u8]) -> Extension {
        Extension {
            typ: ExtensionType(typ),
            data: data.to_vec(),
        }
    }

    fn share(group: NamedGroup, len: usize) -> KeyShareEntry {
        KeyShareEntry {
            group,
            payload: vec![0x42; len],
        }
    }

    fn full_client() -> ClientExtensions {
        ClientExtensions {
            server_name: Some("www.example-host_1.com".into()),
            supported_versions: Some(vec![ProtocolVersion::TLSV1_3, ProtocolVersion::TLSV1_2]),
            supported_groups: Some(vec![NamedGroup::X25519, NamedGroup::SECP256R1]),
            signature_algorithms: Some(vec![
                SignatureScheme::ECDSA_SECP256R1_SHA256,
                SignatureScheme::RSA_PSS_RSAE_SHA256,
            ]),
            signature_algorithms_cert: Some(vec![SignatureScheme::ED25519]),
            key_shares: Some(vec![
                share(NamedGroup::X25519, 32),
                share(NamedGroup::SECP256R1, 65),
            ]),
            alpn: Some(vec![b"h2".to_vec(), b"http/1.1".to_vec()]),
            cookie: Some(vec![1, 2, 3]),
            psk_modes: Some(vec![1]),
            early_data: true,
            extended_master_secret: true,
            renegotiation_info: Some(Vec::new()),
            ec_point_formats: Some(vec![0]),
            session_ticket: Some(vec![9; 40]),
            status_request: true,
            pre_shared_key: Some(vec![0, 3, 7, 7, 7]),
            unknown: Vec::new(),
        }
    }

    #[test]
    fn extension_codec() {
        let e = ext(0x1234, b"abc");
        let b = e.get_encoding().unwrap();
        assert_eq!(b, [0x12, 0x34, 0, 3, b'a', b'b', b'c']);
        assert_eq!(Extension::read_bytes(&b).unwrap(), e);
        assert!(Extension::read_bytes(&b[..6]).is_err());
        assert!(Extension::read_bytes(&[b.as_slice(), &[0]].concat()).is_err());

        let list = vec![e.clone(), Extension::empty(ExtensionType::EARLY_DATA)];
        let mut out = Vec::new();
        encode_extensions(&list, &mut out).unwrap();
        let mut r = Reader::new(&out);
        assert_eq!(read_extensions(&mut r).unwrap(), list);
        assert!(!r.any_left());

        // Empty list is fine; inner lengths must agree with the outer one.
        assert_eq!(read_extensions(&mut Reader::new(&[0, 0])).unwrap(), vec![]);
        assert!(read_extensions(&mut Reader::new(&[0, 3, 0, 1, 0])).is_err());
        assert!(read_extensions(&mut Reader::new(&[0, 4, 0, 1, 0, 1])).is_err());
        assert!(read_extensions(&mut Reader::new(&[0])).is_err());
    }

    #[test]
    fn key_share_entry_codec() {
        let s = share(NamedGroup::X25519, 32);
        assert_eq!(
            KeyShareEntry::read_bytes(&s.get_encoding().unwrap()).unwrap(),
            s
        );
        assert!(KeyShareEntry::read_bytes(&[0, 0x1d, 0, 0]).is_err());
        assert!(KeyShareEntry::read_bytes(&[0, 0x1d, 0, 2, 1]).is_err());
    }

    #[test]
    fn client_extensions_roundtrip_all_fields() {
        let full = full_client();
        let exts = full.to_extensions().unwrap();
        assert_eq!(exts.last().unwrap().typ, ExtensionType::PRE_SHARED_KEY);
        assert_eq!(ClientExtensions::parse(&exts).unwrap(), full);
        assert_eq!(
            ClientExtensions::parse(&[]).unwrap(),
            ClientExtensions::default()
        );
    }

    #[test]
    fn client_extensions_roundtrip_each_field() {
        let full = full_client();
        let d = ClientExtensions::default;
        let singles = [
            ClientExtensions {
                server_name: full.server_name.clone(),
                ..d()
            },
            ClientExtensions {
                supported_versions: full.supported_versions.clone(),
                ..d()
            },
            ClientExtensions {
                supported_groups: full.supported_groups.clone(),
                ..d()
            },
            ClientExtensions {
                signature_algorithms: full.signature_algorithms.clone(),
                ..d()
            },
            ClientExtensions {
                signature_algorithms_cert: full.signature_algorithms_cert.clone(),
                ..d()
            },
            ClientExtensions {
                key_shares: full.key_shares.clone(),
                ..d()
            },
            ClientExtensions {
                key_shares: Some(Vec::new()),
                ..d()
            },
            ClientExtensions {
                alpn: full.alpn.clone(),
                ..d()
            },
            ClientExtensions {
                cookie: full.cookie.clone(),
                ..d()
            },
            ClientExtensions {
                psk_modes: full.psk_modes.clone(),
                ..d()
            },
            ClientExtensions {
                early_data: true,
                ..d()
            },
            ClientExtensions {
                extended_master_secret: true,
                ..d()
            },
            ClientExtensions {
                renegotiation_info: Some(vec![5; 12]),
                ..d()
            },
            ClientExtensions {
                ec_point_formats: full.ec_point_formats.clone(),
                ..d()
            },
            ClientExtensions {
                session_ticket: Some(Vec::new()),
                ..d()
            },
            ClientExtensions {
                status_request: true,
                ..d()
            },
            ClientExtensions {
                pre_shared_key: full.pre_shared_key.clone(),
                ..d()
            },
        ];
        for s in singles {
            let exts = s.to_extensions().unwrap();
            assert_eq!(exts.len(), 1, "{s:?}");
            assert_eq!(ClientExtensions::parse(&exts).unwrap(), s);
        }
    }

    #[test]
    fn rfc8448_client_hello_extensions() {
        let b = hex(RFC8448_CLIENT_HELLO);
        let ch = ClientHello::read_bytes(&b[4..]).unwrap();
        let e = ClientExtensions::parse(&ch.extensions).unwrap();
        assert_eq!(e.server_name.as_deref(), Some("server"));
        assert_eq!(e.supported_versions, Some(vec![ProtocolVersion::TLSV1_3]));
        let groups = e.supported_groups.unwrap();
        assert_eq!(groups.len(), 9);
        assert_eq!(
            groups[..4],
            [
                NamedGroup::X25519,
                NamedGroup::SECP256R1,
                NamedGroup::SECP384R1,
                NamedGroup::SECP521R1
            ]
        );
        assert_eq!(groups[4], NamedGroup(0x0100)); // ffdhe2048
        let shares = e.key_shares.unwrap();
        assert_eq!(shares.len(), 1);
        assert_eq!(shares[0].group, NamedGroup::X25519);
        assert_eq!(shares[0].payload.len(), 32);
        assert_eq!(shares[0].payload[..4], [0x99, 0x38, 0x1d, 0xe5]);
        let sigs = e.signature_algorithms.unwrap();
        assert_eq!(sigs.len(), 15);
        assert_eq!(sigs[0], SignatureScheme::ECDSA_SECP256R1_SHA256);
        assert!(sigs.contains(&SignatureScheme::RSA_PSS_RSAE_SHA256));
        assert_eq!(e.psk_modes, Some(vec![1]));
        assert_eq!(e.renegotiation_info, Some(vec![]));
        assert_eq!(e.session_ticket, Some(vec![]));
        assert_eq!(e.unknown, vec![ExtensionType(0x1c)]); // record_size_limit
        assert!(e.pre_shared_key.is_none() && !e.early_data && e.alpn.is_none());
    }

    #[test]
    fn rfc8448_resumed_client_hello_extensions() {
        let b = hex(RFC8448_RESUMED_CLIENT_HELLO);
        let ch = ClientHello::read_bytes(&b[4..]).unwrap();
        let e = ClientExtensions::parse(&ch.extensions).unwrap();
        assert!(e.early_data);
        assert_eq!(e.pre_shared_key.as_ref().map(Vec::len), Some(0xdd));
        assert_eq!(e.unknown, vec![ExtensionType(0x1c), ExtensionType::PADDING]);
        // Moving pre_shared_key away from the end is illegal.
        let mut exts = ch.extensions.clone();
        let psk = exts.pop().unwrap();
        exts.insert(0, psk);
        assert_eq!(
            alert(ClientExtensions::parse(&exts)),
            AlertDescription::ILLEGAL_PARAMETER
        );
    }

    #[test]
    fn client_duplicates_are_illegal() {
        for e in full_client().to_extensions().unwrap() {
            let exts = vec![e.clone(), e];
            assert_eq!(
                alert(ClientExtensions::parse(&exts)),
                AlertDescription::ILLEGAL_PARAMETER
            );
        }
        // Unknown types too.
        let exts = vec![ext(0x7777, b""), ext(0x7777, b"x")];
        assert_eq!(
            alert(ClientExtensions::parse(&exts)),
            AlertDescription::ILLEGAL_PARAMETER
        );
        // Two shares for one group.
        let ks = ClientExtensions {
            key_shares: Some(vec![
                share(NamedGroup::X25519, 32),
                share(NamedGroup::X25519, 32),
            ]),
            ..Default::default()
        };
        assert_eq!(
            alert(ClientExtensions::parse(&ks.to_extensions().unwrap())),
            AlertDescription::ILLEGAL_PARAMETER
        );
    }

    #[test]
    fn client_trailing_bytes_and_truncation() {
        for e in full_client().to_extensions().unwrap() {
            if matches!(
                e.typ,
                ExtensionType::SESSION_TICKET | ExtensionType::PRE_SHARED_KEY
            ) {
                continue; // raw bodies
            }
            let mut longer = e.clone();
            longer.data.push(0);
            assert_eq!(
                alert(ClientExtensions::parse(&[longer])),
                AlertDescription::DECODE_ERROR,
                "{:?}",
                e.typ
            );
            for cut in 0..e.data.len() {
                let short = Extension {
                    typ: e.typ,
                    data: e.data[..cut].to_vec(),
                };
                let r = ClientExtensions::parse(&[short]);
                assert!(r.is_err(), "{:?} cut at {cut}", e.typ);
            }
        }
    }

    #[test]
    fn client_bad_bodies() {
        let dec = AlertDescription::DECODE_ERROR;
        let cases: &[(u16, &[u8])] = &[
            (43, &[0]),                // supported_versions: empty
            (43, &[3, 3, 4, 3]),       // odd length
            (10, &[0, 0]),             // supported_groups: empty
            (13, &[0, 0]),             // signature_algorithms: empty
            (50, &[0, 0]),             // signature_algorithms_cert: empty
            (16, &[0, 0]),             // alpn: empty list
            (16, &[0, 3, 0, 1, b'a']), // alpn: empty name
            (44, &[0, 0]),             // cookie: empty
            (45, &[0]),                // psk modes: empty
            (11, &[0]),                // ec_point_formats: empty
            (42, &[0]),                // early_data: not empty
            (23, &[0]),                // extended_master_secret: not empty
            (0, &[0, 0]),              // server_name: empty list
            (0, &[0, 4, 0, 0, 2, b'a']),
            (51, &[0, 4, 0, 0x1d, 0, 0]), // empty key share
            (5, &[1, 0, 0]),              // status_request truncated
        ];
        for (typ, body) in cases {
            assert_eq!(
                alert(ClientExtensions::parse(&[ext(*typ, body)])),
                dec,
                "type {typ} body {body:?}"
            );
        }
        // Non-OCSP status requests are ignored, whatever follows.
        let e = ClientExtensions::parse(&[ext(5, &[7, 1, 2, 3])]).unwrap();
        assert!(!e.status_request);
    }

    fn sni(names: &[(u8, &[u8])]) -> Extension {
        Extension::build(ExtensionType::SERVER_NAME, |o| {
            encode_prefixed(o, LenPrefix::U16, |o| {
                names.iter().try_for_each(|(t, n)| {
                    put_u8(o, *t);
                    put_bytes16(o, n)
                })
            })
        })
        .unwrap()
    }

    #[test]
    fn server_name_validation() {
        let parse = |names: &[(u8, &[u8])]| ClientExtensions::parse(&[sni(names)]);
        let ok = |n: &[u8]| parse(&[(0, n)]).unwrap().server_name.unwrap();
        assert_eq!(ok(b"Example.COM"), "example.com");
        assert_eq!(ok(b"example.com."), "example.com");
        assert_eq!(ok(b"a"), "a");
        assert_eq!(ok(b"_srv.x-y.Z9"), "_srv.x-y.z9");
        let long = [b'a'; 63].repeat(4);
        let long: Vec<u8> = long
            .chunks(63)
            .collect::<Vec<_>>()
            .join(&b'.')
            .into_iter()
            .take(255)
            .collect();
        assert_eq!(long.len(), 255);
        assert_eq!(ok(&long).len(), 255);

        let ill = AlertDescription::ILLEGAL_PARAMETER;
        for bad in [
            &b""[..],
            b".",
            b"..",
            b"a..b",
            b".a",
            b"a b",
            b"a/b",
            b"caf\xc3\xa9",
            b"a\0",
            &[b'a'; 64],
            &[b'a'; 256],
        ] {
            assert_eq!(alert(parse(&[(0, bad)])), ill, "{bad:?}");
        }
        // Other name types are ignored.
        assert_eq!(parse(&[(1, b"??")]).unwrap().server_name, None);
        assert_eq!(
            parse(&[(1, b"??"), (0, b"x.y")])
                .unwrap()
                .server_name
                .as_deref(),
            Some("x.y")
        );
        // Two host names.
        assert_eq!(alert(parse(&[(0, b"a"), (0, b"b")])), ill);
    }

    fn full_server(ctx: ServerExtContext) -> ServerExtensions {
        use ServerExtContext as C;
        match ctx {
            C::ServerHello13 => ServerExtensions {
                supported_version: Some(ProtocolVersion::TLSV1_3),
                key_share: Some(share(NamedGroup::X25519, 32)),
                pre_shared_key: Some(3),
                ..Default::default()
            },
            C::HelloRetryRequest => ServerExtensions {
                supported_version: Some(ProtocolVersion::TLSV1_3),
                hrr_selected_group: Some(NamedGroup::SECP384R1),
                cookie: Some(vec![0xc0; 100]),
                ..Default::default()
            },
            C::EncryptedExtensions => ServerExtensions {
                server_name_ack: true,
                alpn: Some(b"h2".to_vec()),
                supported_groups: Some(vec![NamedGroup::X25519]),
                early_data: true,
                ..Default::default()
            },
            C::ServerHello12 => ServerExtensions {
                server_name_ack: true,
                alpn: Some(b"http/1.1".to_vec()),
                extended_master_secret: true,
                renegotiation_info: Some(vec![1; 24]),
                ec_point_formats: Some(vec![0]),
                session_ticket_ack: true,
                status_request_ack: true,
                ..Default::default()
            },
        }
    }

    const CONTEXTS: [ServerExtContext; 4] = [
        ServerExtContext::ServerHello13,
        ServerExtContext::HelloRetryRequest,
        ServerExtContext::EncryptedExtensions,
        ServerExtContext::ServerHello12,
    ];

    #[test]
    fn server_extensions_roundtrip() {
        for ctx in CONTEXTS {
            let full = full_server(ctx);
            let exts = full.to_extensions(ctx).unwrap();
            assert_eq!(
                ServerExtensions::parse(ctx, &exts).unwrap(),
                full,
                "{ctx:?}"
            );
            // Each field alone.
            for e in &exts {
                let one = ServerExtensions::parse(ctx, std::slice::from_ref(e)).unwrap();
                assert_eq!(one.to_extensions(ctx).unwrap(), vec![e.clone()]);
            }
            // Duplicates.
            for e in &exts {
                assert_eq!(
                    alert(ServerExtensions::parse(ctx, &[e.clone(), e.clone()])),
                    AlertDescription::ILLEGAL_PARAMETER
                );
            }
            // Trailing bytes.
            for e in &exts {
                let mut longer = e.clone();
                longer.data.push(0);
                assert_eq!(
                    alert(ServerExtensions::parse(ctx, &[longer])),
                    AlertDescription::DECODE_ERROR
                );
            }
            // Fields of other contexts are not emitted.
            for other in CONTEXTS {
                for e in full_server(other).to_extensions(ctx).unwrap() {
                    assert!(ctx.allows(e.typ));
                }
            }
        }
    }

    #[test]
    fn server_extensions_not_allowed() {
        let unsupported = AlertDescription::UNSUPPORTED_EXTENSION;
        let cases: &[(ServerExtContext, u16)] = &[
            (ServerExtContext::ServerHello13, 16),         // alpn
            (ServerExtContext::ServerHello13, 0),          // server_name
            (ServerExtContext::ServerHello13, 44),         // cookie
            (ServerExtContext::HelloRetryRequest, 41),     // pre_shared_key
            (ServerExtContext::EncryptedExtensions, 51),   // key_share
            (ServerExtContext::EncryptedExtensions, 43),   // supported_versions
            (ServerExtContext::EncryptedExtensions, 0x1c), // record_size_limit
            (ServerExtContext::ServerHello12, 43),
            (ServerExtContext::ServerHello12, 0x7777),
        ];
        for (ctx, typ) in cases {
            assert_eq!(
                alert(ServerExtensions::parse(*ctx, &[ext(*typ, b"")])),
                unsupported,
                "{ctx:?} {typ}"
            );
        }
    }

    #[test]
    fn server_bad_bodies() {
        use ServerExtContext as C;
        let dec = AlertDescription::DECODE_ERROR;
        let cases: &[(ServerExtContext, u16, &[u8])] = &[
            (C::ServerHello13, 43, &[3]),
            (C::ServerHello13, 43, &[2, 3, 3, 4]), // a list, not a single version
            (C::ServerHello13, 51, &[0, 0x1d]),    // HRR shape in a SH
            (C::ServerHello13, 51, &[0, 0x1d, 0, 0]),
            (C::ServerHello13, 41, &[0]),
            (C::HelloRetryRequest, 51, &[0, 0x1d, 0, 1, 1]), // SH shape in an HRR
            (C::HelloRetryRequest, 44, &[0, 0]),
            (C::EncryptedExtensions, 0, &[0, 0]),
            (
                C::EncryptedExtensions,
                16,
                &[0, 6, 2, b'h', b'2', 1, b'x', 0],
            ),
            (C::EncryptedExtensions, 16, &[0, 6, 2, b'h', b'2', 1, b'x']), // two protocols
            (C::EncryptedExtensions, 16, &[0, 1, 0]),
            (C::EncryptedExtensions, 16, &[0, 0]),
            (C::EncryptedExtensions, 10, &[0, 0]),
            (C::ServerHello12, 11, &[0]),
            (C::ServerHello12, 35, &[0]),
            (C::ServerHello12, 5, &[1]),
        ];
        for (ctx, typ, body) in cases {
            assert_eq!(
                alert(ServerExtensions::parse(*ctx, &[ext(*typ, body)])),
                dec,
                "{ctx:?} {typ} {body:?}"
            );
        }
    }

    #[test]
    fn rfc8448_server_extensions() {
        let b = hex(RFC8448_SERVER_HELLO);
        let sh = ServerHello::read_bytes(&b[4..]).unwrap();
        let ctx = ServerExtContext::ServerHello13;
        let e = ServerExtensions::parse(ctx, &sh.extensions).unwrap();
        assert_eq!(e.supported_version, Some(ProtocolVersion::TLSV1_3));
        let ks = e.key_share.as_ref().unwrap();
        assert_eq!(ks.group, NamedGroup::X25519);
        assert_eq!(ks.payload.len(), 32);
        assert_eq!(ks.payload[..4], [0xc9, 0x82, 0x88, 0x76]);
        // Our canonical order is the RFC's order.
        assert_eq!(e.to_extensions(ctx).unwrap(), sh.extensions);

        // The RFC's EncryptedExtensions answers record_size_limit, which
        // Baton never offers.
        let b = hex(RFC8448_ENCRYPTED_EXTENSIONS);
        let mut exts = read_extensions(&mut Reader::new(&b[4..])).unwrap();
        let ctx = ServerExtContext::EncryptedExtensions;
        assert_eq!(
            alert(ServerExtensions::parse(ctx, &exts)),
            AlertDescription::UNSUPPORTED_EXTENSION
        );
        exts.retain(|e| e.typ != ExtensionType(0x1c));
        let e = ServerExtensions::parse(ctx, &exts).unwrap();
        assert!(e.server_name_ack);
        assert_eq!(e.supported_groups.as_ref().map(Vec::len), Some(9));
    }
}
