//! Handshake messages: TLS 1.3 (RFC 8446 §4) and TLS 1.2 with ECDHE
//! (RFC 5246 §7.4, RFC 8422 §5). The hellos are shared; messages whose body
//! differs between versions get a variant per version and each version has
//! its own reader (`read_tls13`, `read_tls12`), so a message that does not
//! exist in the negotiated version is `unexpected_message`.
//!
//! Message bodies keep their extensions as raw `Extension` lists; the typed
//! views live in `extensions`. None of these structs hold secrets (Finished
//! carries a MAC over public transcript data, tickets are opaque), so `Debug`
//! is derived.
//!
//! `hello` holds ClientHello and ServerHello, `certificate` the certificate
//! messages of both versions; this file keeps the rest (tickets, TLS 1.2 key
//! exchange) and the message type that reads and writes them all.

use super::codec::{
    encode_prefixed, put_bytes16, put_bytes8, put_u32, put_u8, Codec, DecodeError, EncodeError,
    LenPrefix, Reader,
};
use super::enums::{AlertDescription, ExtensionType, HandshakeType, NamedGroup, SignatureScheme};
use super::extensions::{encode_extensions, read_extensions, Extension};
use crate::error::Error;

mod certificate;
mod hello;
mod status;
#[cfg(test)]
mod tests;

pub(crate) use certificate::{
    Certificate12, Certificate13, CertificateEntry, CertificateRequest12, CertificateRequest13,
    CertificateVerify,
};
pub(crate) use hello::{ClientHello, ServerHello, DOWNGRADE_TLS11, DOWNGRADE_TLS12, HRR_RANDOM};
pub(crate) use status::{check_sct_list, CertificateStatus};

/// TLS 1.3 NewSessionTicket (RFC 8446 §4.6.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NewSessionTicket13 {
    pub lifetime: u32,
    pub age_add: u32,
    pub nonce: Vec<u8>,
    /// Non-empty.
    pub ticket: Vec<u8>,
    pub extensions: Vec<Extension>,
}

impl NewSessionTicket13 {
    /// `max_early_data_size` from an `early_data` extension, if present and
    /// well formed.
    #[cfg_attr(not(any(test, feature = "fuzzing")), allow(dead_code))] // only the fuzz harness and tests call it today
    pub(crate) fn max_early_data_size(&self) -> Option<u32> {
        let ext = self
            .extensions
            .iter()
            .find(|e| e.typ == ExtensionType::EARLY_DATA)?;
        let b: [u8; 4] = ext.data.as_slice().try_into().ok()?;
        Some(u32::from_be_bytes(b))
    }
}

impl Codec for NewSessionTicket13 {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_u32(out, self.lifetime);
        put_u32(out, self.age_add);
        put_bytes8(out, &self.nonce)?;
        put_bytes16(out, &self.ticket)?;
        encode_extensions(&self.extensions, out)
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let lifetime = r.u32()?;
        let age_add = r.u32()?;
        let nonce = r.bytes8()?.to_vec();
        let ticket = r.bytes16()?;
        if ticket.is_empty() {
            return Err(DecodeError("empty ticket"));
        }
        Ok(Self {
            lifetime,
            age_add,
            nonce,
            ticket: ticket.to_vec(),
            extensions: read_extensions(r)?,
        })
    }
}

/// `ECCurveType.named_curve` (RFC 8422 §5.4); explicit curves are not supported.
const NAMED_CURVE: u8 = 3;

/// The ECDHE parameters of a TLS 1.2 ServerKeyExchange (RFC 8422 §5.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EcdheParams {
    pub group: NamedGroup,
    /// The server's public value (X25519: 32 bytes; NIST curves: uncompressed point). Non-empty.
    pub public: Vec<u8>,
}

impl Codec for EcdheParams {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_u8(out, NAMED_CURVE);
        self.group.encode(out)?;
        put_bytes8(out, &self.public)
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        if r.u8()? != NAMED_CURVE {
            return Err(DecodeError("ECDHE parameters are not for a named curve"));
        }
        let group = NamedGroup::read(r)?;
        let public = r.bytes8()?;
        if public.is_empty() {
            return Err(DecodeError("empty ECDHE public value"));
        }
        Ok(Self {
            group,
            public: public.to_vec(),
        })
    }
}

/// TLS 1.2 ServerKeyExchange for ECDHE: parameters and their signature
/// (RFC 8422 §5.4, TLS 1.2 `DigitallySigned`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ServerKeyExchange {
    pub params: EcdheParams,
    pub scheme: SignatureScheme,
    pub signature: Vec<u8>,
}

impl ServerKeyExchange {
    /// What the server signs: `client_random || server_random || params`.
    pub(crate) fn signed_content(
        &self,
        client_random: &[u8; 32],
        server_random: &[u8; 32],
    ) -> Result<Vec<u8>, EncodeError> {
        let mut v = Vec::with_capacity(64 + 4 + self.params.public.len());
        v.extend_from_slice(client_random);
        v.extend_from_slice(server_random);
        self.params.encode(&mut v)?;
        Ok(v)
    }
}

impl Codec for ServerKeyExchange {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.params.encode(out)?;
        self.scheme.encode(out)?;
        put_bytes16(out, &self.signature)
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let params = EcdheParams::read(r)?;
        let scheme = SignatureScheme::read(r)?;
        let signature = r.bytes16()?;
        if signature.is_empty() {
            return Err(DecodeError("empty ServerKeyExchange signature"));
        }
        Ok(Self {
            params,
            scheme,
            signature: signature.to_vec(),
        })
    }
}

/// TLS 1.2 NewSessionTicket (RFC 5077 §3.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NewSessionTicket12 {
    pub lifetime_hint: u32,
    pub ticket: Vec<u8>,
}

impl Codec for NewSessionTicket12 {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_u32(out, self.lifetime_hint);
        put_bytes16(out, &self.ticket)
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            lifetime_hint: r.u32()?,
            ticket: r.bytes16()?.to_vec(),
        })
    }
}

/// The ECDHE ClientKeyExchange body: the client's public value (RFC 8422 §5.7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ClientKeyExchange(pub Vec<u8>);

impl Codec for ClientKeyExchange {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_bytes8(out, &self.0)
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let public = r.bytes8()?;
        if public.is_empty() {
            return Err(DecodeError("empty ECDHE public value"));
        }
        Ok(Self(public.to_vec()))
    }
}

/// The body of a handshake message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum HandshakePayload {
    ClientHello(ClientHello),
    /// Includes HelloRetryRequest (see [`ServerHello::is_hrr`]).
    ServerHello(ServerHello),
    NewSessionTicket13(NewSessionTicket13),
    EndOfEarlyData,
    EncryptedExtensions(Vec<Extension>),
    Certificate13(Certificate13),
    CertificateRequest13(CertificateRequest13),
    CertificateVerify(CertificateVerify),
    /// The verify_data; its length is checked by the engine.
    Finished(Vec<u8>),
    KeyUpdate {
        update_requested: bool,
    },
    // ---- TLS 1.2 only ----
    HelloRequest,
    Certificate12(Certificate12),
    ServerKeyExchange(ServerKeyExchange),
    CertificateRequest12(CertificateRequest12),
    ServerHelloDone,
    ClientKeyExchange(ClientKeyExchange),
    NewSessionTicket12(NewSessionTicket12),
    /// The stapled OCSP response (RFC 6066 §8).
    CertificateStatus(CertificateStatus),
}

impl HandshakePayload {
    fn typ(&self) -> HandshakeType {
        match self {
            Self::ClientHello(_) => HandshakeType::CLIENT_HELLO,
            Self::ServerHello(_) => HandshakeType::SERVER_HELLO,
            Self::NewSessionTicket13(_) => HandshakeType::NEW_SESSION_TICKET,
            Self::EndOfEarlyData => HandshakeType::END_OF_EARLY_DATA,
            Self::EncryptedExtensions(_) => HandshakeType::ENCRYPTED_EXTENSIONS,
            Self::Certificate13(_) => HandshakeType::CERTIFICATE,
            Self::CertificateRequest13(_) => HandshakeType::CERTIFICATE_REQUEST,
            Self::CertificateVerify(_) => HandshakeType::CERTIFICATE_VERIFY,
            Self::Finished(_) => HandshakeType::FINISHED,
            Self::KeyUpdate { .. } => HandshakeType::KEY_UPDATE,
            Self::HelloRequest => HandshakeType::HELLO_REQUEST,
            Self::Certificate12(_) => HandshakeType::CERTIFICATE,
            Self::ServerKeyExchange(_) => HandshakeType::SERVER_KEY_EXCHANGE,
            Self::CertificateRequest12(_) => HandshakeType::CERTIFICATE_REQUEST,
            Self::ServerHelloDone => HandshakeType::SERVER_HELLO_DONE,
            Self::ClientKeyExchange(_) => HandshakeType::CLIENT_KEY_EXCHANGE,
            Self::NewSessionTicket12(_) => HandshakeType::NEW_SESSION_TICKET,
            Self::CertificateStatus(_) => HandshakeType::CERTIFICATE_STATUS,
        }
    }

    fn encode_body(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        match self {
            Self::ClientHello(m) => m.encode(out),
            Self::ServerHello(m) => m.encode(out),
            Self::NewSessionTicket13(m) => m.encode(out),
            Self::EndOfEarlyData => Ok(()),
            Self::EncryptedExtensions(exts) => encode_extensions(exts, out),
            Self::Certificate13(m) => m.encode(out),
            Self::CertificateRequest13(m) => m.encode(out),
            Self::CertificateVerify(m) => m.encode(out),
            Self::Finished(b) => {
                out.extend_from_slice(b);
                Ok(())
            }
            Self::KeyUpdate { update_requested } => {
                put_u8(out, u8::from(*update_requested));
                Ok(())
            }
            Self::HelloRequest | Self::ServerHelloDone => Ok(()),
            Self::Certificate12(m) => m.encode(out),
            Self::ServerKeyExchange(m) => m.encode(out),
            Self::CertificateRequest12(m) => m.encode(out),
            Self::ClientKeyExchange(m) => m.encode(out),
            Self::NewSessionTicket12(m) => m.encode(out),
            Self::CertificateStatus(m) => m.encode(out),
        }
    }
}

/// A handshake message: its type and decoded body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HandshakeMessage {
    pub typ: HandshakeType,
    pub payload: HandshakePayload,
}

/// Decodes a whole body as `T`; failures (trailing bytes included) are `decode_error`.
fn decode_whole<T: Codec>(body: &[u8], what: &'static str) -> Result<T, Error> {
    T::read_bytes(body).map_err(|e| {
        Error::protocol(
            AlertDescription::DECODE_ERROR,
            format!("malformed {what}: {}", e.0),
        )
    })
}

impl HandshakeMessage {
    /// A message whose type is derived from the payload.
    pub(crate) fn new(payload: HandshakePayload) -> Self {
        Self {
            typ: payload.typ(),
            payload,
        }
    }

    /// Decodes a TLS 1.3 handshake message; `body` excludes the 4-byte header.
    ///
    /// Malformed bodies are `decode_error`; types that do not exist in TLS 1.3
    /// (and `message_hash`, which is never sent) are `unexpected_message`.
    pub(crate) fn read_tls13(typ: HandshakeType, body: &[u8]) -> Result<Self, Error> {
        use HandshakePayload as P;
        let payload = match typ {
            HandshakeType::CLIENT_HELLO => P::ClientHello(decode_whole(body, "ClientHello")?),
            HandshakeType::SERVER_HELLO => P::ServerHello(decode_whole(body, "ServerHello")?),
            HandshakeType::NEW_SESSION_TICKET => {
                P::NewSessionTicket13(decode_whole(body, "NewSessionTicket")?)
            }
            HandshakeType::END_OF_EARLY_DATA => {
                if !body.is_empty() {
                    return Err(Error::protocol(
                        AlertDescription::DECODE_ERROR,
                        "malformed EndOfEarlyData: non-empty body",
                    ));
                }
                P::EndOfEarlyData
            }
            HandshakeType::ENCRYPTED_EXTENSIONS => {
                let exts = (|| {
                    let mut r = Reader::new(body);
                    let exts = read_extensions(&mut r)?;
                    r.expect_empty("trailing bytes")?;
                    Ok(exts)
                })()
                .map_err(|e: DecodeError| {
                    Error::protocol(
                        AlertDescription::DECODE_ERROR,
                        format!("malformed EncryptedExtensions: {}", e.0),
                    )
                })?;
                P::EncryptedExtensions(exts)
            }
            HandshakeType::CERTIFICATE => P::Certificate13(decode_whole(body, "Certificate")?),
            HandshakeType::CERTIFICATE_REQUEST => {
                P::CertificateRequest13(decode_whole(body, "CertificateRequest")?)
            }
            HandshakeType::CERTIFICATE_VERIFY => {
                P::CertificateVerify(decode_whole(body, "CertificateVerify")?)
            }
            HandshakeType::FINISHED => P::Finished(body.to_vec()),
            HandshakeType::KEY_UPDATE => match body {
                [0] => P::KeyUpdate {
                    update_requested: false,
                },
                [1] => P::KeyUpdate {
                    update_requested: true,
                },
                [_] => {
                    return Err(Error::protocol(
                        AlertDescription::ILLEGAL_PARAMETER,
                        "KeyUpdate request_update is neither 0 nor 1",
                    ))
                }
                _ => {
                    return Err(Error::protocol(
                        AlertDescription::DECODE_ERROR,
                        "malformed KeyUpdate: body is not one byte",
                    ))
                }
            },
            other => {
                return Err(Error::protocol(
                    AlertDescription::UNEXPECTED_MESSAGE,
                    format!("unexpected handshake message {other} in TLS 1.3"),
                ))
            }
        };
        Ok(Self { typ, payload })
    }

    /// Decodes a TLS 1.2 handshake message (ECDHE key exchange); `body`
    /// excludes the 4-byte header.
    ///
    /// Malformed bodies are `decode_error`; types that do not exist in TLS 1.2
    /// are `unexpected_message`. The Finished length is checked by the engine.
    pub(crate) fn read_tls12(typ: HandshakeType, body: &[u8]) -> Result<Self, Error> {
        use HandshakePayload as P;
        let empty = |what: &'static str, p: HandshakePayload| {
            if body.is_empty() {
                Ok(p)
            } else {
                Err(Error::protocol(
                    AlertDescription::DECODE_ERROR,
                    format!("malformed {what}: non-empty body"),
                ))
            }
        };
        let payload = match typ {
            HandshakeType::HELLO_REQUEST => empty("HelloRequest", P::HelloRequest)?,
            HandshakeType::CLIENT_HELLO => P::ClientHello(decode_whole(body, "ClientHello")?),
            HandshakeType::SERVER_HELLO => P::ServerHello(decode_whole(body, "ServerHello")?),
            HandshakeType::CERTIFICATE => P::Certificate12(decode_whole(body, "Certificate")?),
            HandshakeType::SERVER_KEY_EXCHANGE => {
                P::ServerKeyExchange(decode_whole(body, "ServerKeyExchange")?)
            }
            HandshakeType::CERTIFICATE_REQUEST => {
                P::CertificateRequest12(decode_whole(body, "CertificateRequest")?)
            }
            HandshakeType::SERVER_HELLO_DONE => empty("ServerHelloDone", P::ServerHelloDone)?,
            HandshakeType::CERTIFICATE_VERIFY => {
                P::CertificateVerify(decode_whole(body, "CertificateVerify")?)
            }
            HandshakeType::CLIENT_KEY_EXCHANGE => {
                P::ClientKeyExchange(decode_whole(body, "ClientKeyExchange")?)
            }
            HandshakeType::NEW_SESSION_TICKET => {
                P::NewSessionTicket12(decode_whole(body, "NewSessionTicket")?)
            }
            HandshakeType::FINISHED => P::Finished(body.to_vec()),
            HandshakeType::CERTIFICATE_STATUS => {
                P::CertificateStatus(decode_whole(body, "CertificateStatus")?)
            }
            other => {
                return Err(Error::protocol(
                    AlertDescription::UNEXPECTED_MESSAGE,
                    format!("unexpected handshake message {other} in TLS 1.2"),
                ))
            }
        };
        Ok(Self { typ, payload })
    }

    /// The full encoding, 4-byte header (type, u24 length) included: the
    /// bytes that go into the transcript.
    /// On error `out` is left as it was.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let start = out.len();
        put_u8(out, self.typ.0);
        encode_prefixed(out, LenPrefix::U24, |o| self.payload.encode_body(o))
            .inspect_err(|_| out.truncate(start))
    }

    /// `encode` into a new vector.
    #[cfg_attr(not(any(test, feature = "fuzzing")), allow(dead_code))] // only the fuzz harness and tests call it today
    pub(crate) fn to_bytes(&self) -> Result<Vec<u8>, EncodeError> {
        let mut v = Vec::new();
        self.encode(&mut v)?;
        Ok(v)
    }
}

/// For an encoded ClientHello (4-byte header included) whose last extension
/// is `pre_shared_key`: the offset of the binders list (its `u16` length
/// prefix). `encoded[..offset]` is the partial ClientHello that PSK binders
/// are computed over (RFC 8446 §4.2.11.2). `None` if the message is malformed
/// or has no `pre_shared_key` as its last extension.
#[cfg_attr(not(any(test, feature = "fuzzing")), allow(dead_code))] // only the fuzz harness and tests call it today
pub(crate) fn client_hello_binders_offset(encoded: &[u8]) -> Option<usize> {
    let mut r = Reader::new(encoded);
    if r.u8().ok()? != HandshakeType::CLIENT_HELLO.0 {
        return None;
    }
    let body_len = r.u24().ok()? as usize;
    if r.left() != body_len {
        return None;
    }
    r.take(2 + 32).ok()?; // legacy_version, random
    r.bytes8().ok()?; // session id
    r.bytes16().ok()?; // cipher suites
    r.bytes8().ok()?; // compression methods
    let ext_len = r.u16().ok()? as usize;
    let ext_end = r.used().checked_add(ext_len)?;
    if ext_end != encoded.len() {
        return None;
    }
    while r.used() < ext_end {
        let typ = ExtensionType(r.u16().ok()?);
        let len = r.u16().ok()? as usize;
        let body_start = r.used();
        let body_end = body_start.checked_add(len)?;
        if typ == ExtensionType::PRE_SHARED_KEY {
            if body_end != ext_end {
                return None;
            }
            let identities_len = r.u16().ok()? as usize;
            r.take(identities_len).ok()?;
            let offset = r.used();
            // The binders list must be exactly the rest of the extension.
            let binders_len = r.u16().ok()? as usize;
            return (r.used().checked_add(binders_len)? == body_end).then_some(offset);
        }
        r.take(len).ok()?;
    }
    None
}
