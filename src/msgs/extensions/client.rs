//! The typed view of the extensions a client sends in its ClientHello.

use std::collections::HashSet;

use super::{
    alpn_extension, check_no_duplicates, cookie_extension, decode_body, encode_list,
    expect_empty_body, read_cookie, read_nonempty, read_point_formats, validate_host_name,
    Extension, KeyShareEntry, NAME_TYPE_HOST_NAME, STATUS_TYPE_OCSP,
};
use crate::error::Error;
use crate::msgs::codec::{
    encode_prefixed, put_bytes16, put_bytes8, put_u16, put_u8, Codec, DecodeError, EncodeError,
    LenPrefix,
};
use crate::msgs::enums::{
    AlertDescription, ExtensionType, NamedGroup, ProtocolVersion, SignatureScheme,
};

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
    /// An empty `signed_certificate_timestamp`: the client asks for SCTs (RFC 6962 §3.3.1).
    pub sct: bool,
    /// Raw body of `pre_shared_key` (identities and binders); it was the last extension.
    pub pre_shared_key: Option<Vec<u8>>,
    /// Types that were present but that Baton ignores (padding, unknown, ...).
    pub unknown: Vec<ExtensionType>,
}

impl ClientExtensions {
    /// Decodes the extensions of a ClientHello.
    ///
    /// Duplicate types and malformed bodies are `decode_error`; a
    /// `pre_shared_key` that is not last is `illegal_parameter`.
    pub(crate) fn parse(exts: &[Extension]) -> Result<Self, Error> {
        let mut out = Self::default();
        check_no_duplicates(exts, AlertDescription::DECODE_ERROR)?;
        let last = exts.len().saturating_sub(1);
        for (i, ext) in exts.iter().enumerate() {
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
                ExtensionType::SCT => {
                    expect_empty_body(ext)?;
                    out.sct = true;
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
        if self.sct {
            v.push(Extension::empty(ExtensionType::SCT));
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
