//! The typed view of the extensions a server answers with: in ServerHello,
//! HelloRetryRequest and EncryptedExtensions.

use super::{
    alpn_extension, check_no_duplicates, cookie_extension, decode_body, encode_list,
    expect_empty_body, read_cookie, read_nonempty, read_point_formats, Extension, KeyShareEntry,
};
use crate::error::Error;
use crate::msgs::codec::{put_bytes8, put_u16, Codec, DecodeError, EncodeError, LenPrefix};
use crate::msgs::enums::{AlertDescription, ExtensionType, NamedGroup, ProtocolVersion};

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
    /// The alert for a repeated extension (see `check_no_duplicates`).
    fn duplicate_alert(self) -> AlertDescription {
        match self {
            Self::ServerHello13 | Self::HelloRetryRequest => AlertDescription::ILLEGAL_PARAMETER,
            Self::EncryptedExtensions | Self::ServerHello12 => AlertDescription::DECODE_ERROR,
        }
    }

    /// RFC 8446 §4.2 (the "TLS 1.3" column) for the 1.3 contexts; RFC 5246 and
    /// friends for a TLS 1.2 ServerHello. Only extensions Baton can have
    /// offered are listed: anything else in a server message is an answer to
    /// something we did not ask, i.e. `unsupported_extension` (RFC 8446 §4.2).
    pub(super) fn allows(self, typ: ExtensionType) -> bool {
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
            // supported_groups: every TLS 1.2 ClientHello of ours offers it,
            // and some servers answer with their list (ignored).
            Self::ServerHello12 => matches!(
                typ,
                T::SERVER_NAME
                    | T::SUPPORTED_GROUPS
                    | T::ALPN
                    | T::EXTENDED_MASTER_SECRET
                    | T::RENEGOTIATION_INFO
                    | T::EC_POINT_FORMATS
                    | T::SESSION_TICKET
                    | T::STATUS_REQUEST
                    | T::SCT
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
    /// EE / SH12: the server's groups (informational).
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
    /// SH12: the server's SignedCertificateTimestampList (RFC 6962 §3.3.1).
    pub sct_list: Option<Vec<u8>>,
}

impl ServerExtensions {
    /// [`parse`](Self::parse) for a TLS 1.3 client (RFC 8446 §4.2): an
    /// extension our ClientHello did not carry answers nothing we asked
    /// (`unsupported_extension`; the HelloRetryRequest's cookie excepted), and
    /// one it did carry, in a message that does not allow it, is
    /// `illegal_parameter`. `sent` says which our ClientHello carried. A
    /// repeated type is refused first, as in `parse`.
    pub(crate) fn parse_answer(
        ctx: ServerExtContext,
        exts: &[Extension],
        sent: impl Fn(ExtensionType) -> bool,
    ) -> Result<Self, Error> {
        check_no_duplicates(exts, ctx.duplicate_alert())?;
        for e in exts {
            let server_initiated =
                ctx == ServerExtContext::HelloRetryRequest && e.typ == ExtensionType::COOKIE;
            let alert = if !sent(e.typ) && !server_initiated {
                AlertDescription::UNSUPPORTED_EXTENSION
            } else if !ctx.allows(e.typ) {
                AlertDescription::ILLEGAL_PARAMETER
            } else {
                continue;
            };
            return Err(Error::protocol(
                alert,
                format!("{} extension not expected in {ctx:?}", e.typ),
            ));
        }
        Self::parse(ctx, exts)
    }

    /// Decodes server extensions received in `ctx`.
    ///
    /// An extension not allowed in `ctx` (unknown types included) is
    /// `unsupported_extension`; a repeated type (checked first) is
    /// `decode_error` or `illegal_parameter` by context; malformed bodies are
    /// `decode_error`.
    pub(crate) fn parse(ctx: ServerExtContext, exts: &[Extension]) -> Result<Self, Error> {
        let mut out = Self::default();
        check_no_duplicates(exts, ctx.duplicate_alert())?;
        for ext in exts {
            if !ctx.allows(ext.typ) {
                return Err(Error::protocol(
                    AlertDescription::UNSUPPORTED_EXTENSION,
                    format!("{} extension not allowed in {ctx:?}", ext.typ),
                ));
            }
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
                ExtensionType::SCT => {
                    out.sct_list = Some(decode_body(ext, |r| {
                        let list = r.rest();
                        crate::msgs::handshake::check_sct_list(list)?;
                        Ok(list.to_vec())
                    })?);
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
                // Parsed (some servers send their list), so encoded too: a
                // typed view round-trips (Baton's own server never sets it).
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
                if self.extended_master_secret {
                    v.push(Extension::empty(ExtensionType::EXTENDED_MASTER_SECRET));
                }
                if self.session_ticket_ack {
                    v.push(Extension::empty(ExtensionType::SESSION_TICKET));
                }
                if self.status_request_ack {
                    v.push(Extension::empty(ExtensionType::STATUS_REQUEST));
                }
                if let Some(list) = &self.sct_list {
                    v.push(Extension {
                        typ: ExtensionType::SCT,
                        data: list.clone(),
                    });
                }
                if let Some(p) = &self.alpn {
                    v.push(alpn_extension(std::slice::from_ref(p))?);
                }
            }
        }
        Ok(v)
    }
}
