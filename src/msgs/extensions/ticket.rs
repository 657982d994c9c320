//! The typed view of the extensions of a TLS 1.3 NewSessionTicket
//! (RFC 8446 §4.6.1). Baton does not resume yet, so the client checks a
//! ticket and drops it; session resumption will keep what is read here.

use super::{check_no_duplicates, decode_body, Extension};
use crate::error::Error;
use crate::msgs::codec::DecodeError;
use crate::msgs::enums::{AlertDescription, ExtensionType};

/// `tls_flags` (draft-ietf-tls-tlsflags; IANA codepoint 62). Baton sets and
/// acts on no flag; it reads the extension only to refuse a malformed one.
const TLS_FLAGS: ExtensionType = ExtensionType(62);

/// Extension types Baton knows in other messages. RFC 8446 §4.2: one of
/// these in a message the table does not list it for is `illegal_parameter`.
const KNOWN_ELSEWHERE: [ExtensionType; 15] = [
    ExtensionType::SERVER_NAME,
    ExtensionType::STATUS_REQUEST,
    ExtensionType::SUPPORTED_GROUPS,
    ExtensionType::EC_POINT_FORMATS,
    ExtensionType::SIGNATURE_ALGORITHMS,
    ExtensionType::ALPN,
    ExtensionType::EXTENDED_MASTER_SECRET,
    ExtensionType::SESSION_TICKET,
    ExtensionType::PRE_SHARED_KEY,
    ExtensionType::SUPPORTED_VERSIONS,
    ExtensionType::COOKIE,
    ExtensionType::PSK_KEY_EXCHANGE_MODES,
    ExtensionType::SIGNATURE_ALGORITHMS_CERT,
    ExtensionType::KEY_SHARE,
    ExtensionType::RENEGOTIATION_INFO,
];

/// What a NewSessionTicket's extensions say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct TicketExtensions {
    /// `early_data`: how much 0-RTT data the ticket allows (RFC 8446 §4.2.10).
    pub max_early_data_size: Option<u32>,
    /// `tls_flags`: the flag bytes, minimal (last byte non-zero).
    pub flags: Option<Vec<u8>>,
}

impl TicketExtensions {
    /// Reads the extensions of a NewSessionTicket. A repeated type is
    /// `illegal_parameter` (as BoringSSL; the RFC names none), malformed
    /// bodies `decode_error`, a known extension the §4.2 table does not allow
    /// here `illegal_parameter`; unknown types are ignored (§4.6.1: "Clients
    /// MUST ignore unrecognized extensions").
    pub(crate) fn parse(exts: &[Extension]) -> Result<Self, Error> {
        check_no_duplicates(exts, AlertDescription::ILLEGAL_PARAMETER)?;
        let mut out = Self::default();
        for ext in exts {
            match ext.typ {
                ExtensionType::EARLY_DATA => {
                    out.max_early_data_size = Some(decode_body(ext, |r| r.u32())?);
                }
                TLS_FLAGS => {
                    // `uint8 flags<1..255>`, minimally encoded; a trailing
                    // zero byte is a wrong value, not a syntax error.
                    let flags = decode_body(ext, |r| {
                        let f = r.bytes8()?;
                        if f.is_empty() {
                            return Err(DecodeError("empty flags"));
                        }
                        Ok(f.to_vec())
                    })?;
                    if flags.last() == Some(&0) {
                        return Err(Error::protocol(
                            AlertDescription::ILLEGAL_PARAMETER,
                            "tls_flags extension is not minimally encoded",
                        ));
                    }
                    out.flags = Some(flags);
                }
                t if KNOWN_ELSEWHERE.contains(&t) => {
                    return Err(Error::protocol(
                        AlertDescription::ILLEGAL_PARAMETER,
                        format!("{t} extension is not allowed in NewSessionTicket"),
                    ));
                }
                _ => {}
            }
        }
        Ok(out)
    }
}
