//! Handshake messages: TLS 1.3 (RFC 8446 §4) and TLS 1.2 with ECDHE
//! (RFC 5246 §7.4, RFC 8422 §5). The hellos are shared; messages whose body
//! differs between versions get a variant per version and each version has
//! its own reader (`read_tls13`, `read_tls12`), so a message that does not
//! exist in the negotiated version is `unexpected_message`.
//!
//! Message bodies keep their extensions as raw `Extension` lists; the typed
//! views live in `extensions.rs`. None of these structs hold secrets (Finished
//! carries a MAC over public transcript data, tickets are opaque), so `Debug`
//! is derived.

use super::codec::{
    encode_prefixed, put_bytes16, put_bytes24, put_bytes8, put_u32, put_u8, Codec, DecodeError,
    EncodeError, LenPrefix, Reader,
};
use super::enums::{
    AlertDescription, CipherSuite, ExtensionType, HandshakeType, NamedGroup, ProtocolVersion,
    SignatureScheme,
};
use super::extensions::{encode_extensions, read_extensions, Extension};
use crate::error::Error;

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

/// One certificate of a TLS 1.3 Certificate message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CertificateEntry {
    /// DER (or a raw public key); non-empty.
    pub cert: Vec<u8>,
    pub extensions: Vec<Extension>,
}

impl Codec for CertificateEntry {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_bytes24(out, &self.cert)?;
        encode_extensions(&self.extensions, out)
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let cert = r.bytes24()?;
        if cert.is_empty() {
            return Err(DecodeError("empty certificate"));
        }
        Ok(Self {
            cert: cert.to_vec(),
            extensions: read_extensions(r)?,
        })
    }
}

/// TLS 1.3 Certificate (RFC 8446 §4.4.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Certificate13 {
    pub context: Vec<u8>,
    /// End-entity first; may be empty (a client without a certificate).
    pub entries: Vec<CertificateEntry>,
}

impl Codec for Certificate13 {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_bytes8(out, &self.context)?;
        encode_prefixed(out, LenPrefix::U24, |o| {
            self.entries.iter().try_for_each(|e| e.encode(o))
        })
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let context = r.bytes8()?.to_vec();
        let mut list = r.sub24()?;
        let mut entries = Vec::new();
        while list.any_left() {
            entries.push(CertificateEntry::read(&mut list)?);
        }
        Ok(Self { context, entries })
    }
}

/// TLS 1.3 CertificateRequest (RFC 8446 §4.3.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CertificateRequest13 {
    pub context: Vec<u8>,
    pub extensions: Vec<Extension>,
}

impl Codec for CertificateRequest13 {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_bytes8(out, &self.context)?;
        encode_extensions(&self.extensions, out)
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            context: r.bytes8()?.to_vec(),
            extensions: read_extensions(r)?,
        })
    }
}

/// CertificateVerify (RFC 8446 §4.4.3); the same layout as a TLS 1.2
/// `DigitallySigned`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CertificateVerify {
    pub scheme: SignatureScheme,
    pub signature: Vec<u8>,
}

impl Codec for CertificateVerify {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.scheme.encode(out)?;
        put_bytes16(out, &self.signature)
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            scheme: SignatureScheme::read(r)?,
            signature: r.bytes16()?.to_vec(),
        })
    }
}

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

/// TLS 1.2 Certificate (RFC 5246 §7.4.2): DER certificates, end-entity first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Certificate12(pub Vec<Vec<u8>>);

impl Codec for Certificate12 {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        encode_prefixed(out, LenPrefix::U24, |o| {
            self.0.iter().try_for_each(|c| put_bytes24(o, c))
        })
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut list = r.sub24()?;
        let mut certs = Vec::new();
        while list.any_left() {
            let c = list.bytes24()?;
            if c.is_empty() {
                return Err(DecodeError("empty certificate"));
            }
            certs.push(c.to_vec());
        }
        Ok(Self(certs))
    }
}

/// TLS 1.2 CertificateRequest (RFC 5246 §7.4.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CertificateRequest12 {
    pub cert_types: Vec<u8>,
    pub schemes: Vec<SignatureScheme>,
    /// DER DistinguishedNames.
    pub authorities: Vec<Vec<u8>>,
}

impl Codec for CertificateRequest12 {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_bytes8(out, &self.cert_types)?;
        encode_prefixed(out, LenPrefix::U16, |o| {
            self.schemes.iter().try_for_each(|s| s.encode(o))
        })?;
        encode_prefixed(out, LenPrefix::U16, |o| {
            self.authorities.iter().try_for_each(|a| put_bytes16(o, a))
        })
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let cert_types = r.bytes8()?;
        if cert_types.is_empty() {
            return Err(DecodeError("empty certificate_types"));
        }
        let mut list = r.sub16()?;
        let mut schemes = Vec::new();
        while list.any_left() {
            schemes.push(SignatureScheme::read(&mut list)?);
        }
        if schemes.is_empty() {
            return Err(DecodeError("empty supported_signature_algorithms"));
        }
        let mut list = r.sub16()?;
        let mut authorities = Vec::new();
        while list.any_left() {
            let dn = list.bytes16()?;
            if dn.is_empty() {
                return Err(DecodeError("empty distinguished name"));
            }
            authorities.push(dn.to_vec());
        }
        Ok(Self {
            cert_types: cert_types.to_vec(),
            schemes,
            authorities,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msgs::enums::NamedGroup;
    use crate::msgs::extensions::{ClientExtensions, KeyShareEntry};
    use crate::msgs::test_vectors::*;

    fn alert<T: core::fmt::Debug>(r: Result<T, Error>) -> AlertDescription {
        r.expect_err("expected an error")
            .sent_alert()
            .expect("protocol errors carry an alert")
    }

    fn read(encoded: &[u8]) -> Result<HandshakeMessage, Error> {
        HandshakeMessage::read_tls13(HandshakeType(encoded[0]), &encoded[4..])
    }

    fn sample_client_hello() -> ClientHello {
        ClientHello {
            legacy_version: ProtocolVersion::TLSV1_2,
            random: [7; 32],
            session_id: vec![1; 32],
            cipher_suites: vec![
                CipherSuite::TLS13_AES_128_GCM_SHA256,
                CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
            ],
            compression_methods: vec![0],
            extensions: ClientExtensions {
                server_name: Some("example.com".into()),
                supported_versions: Some(vec![ProtocolVersion::TLSV1_3]),
                key_shares: Some(vec![KeyShareEntry {
                    group: NamedGroup::X25519,
                    payload: vec![9; 32],
                }]),
                ..Default::default()
            }
            .to_extensions()
            .unwrap(),
        }
    }

    fn sample_server_hello() -> ServerHello {
        ServerHello {
            legacy_version: ProtocolVersion::TLSV1_2,
            random: [3; 32],
            session_id: vec![1; 32],
            cipher_suite: CipherSuite::TLS13_AES_256_GCM_SHA384,
            compression_method: 0,
            extensions: vec![Extension {
                typ: ExtensionType::SUPPORTED_VERSIONS,
                data: vec![3, 4],
            }],
        }
    }

    fn some_exts() -> Vec<Extension> {
        vec![
            Extension::empty(ExtensionType::EARLY_DATA),
            Extension {
                typ: ExtensionType(0xfafa),
                data: vec![1, 2, 3],
            },
        ]
    }

    fn sample_payloads() -> Vec<HandshakePayload> {
        use HandshakePayload as P;
        vec![
            P::ClientHello(sample_client_hello()),
            P::ClientHello(ClientHello {
                session_id: vec![],
                extensions: vec![],
                ..sample_client_hello()
            }),
            P::ServerHello(sample_server_hello()),
            P::ServerHello(ServerHello {
                random: HRR_RANDOM,
                ..sample_server_hello()
            }),
            P::ServerHello(ServerHello {
                extensions: vec![],
                ..sample_server_hello()
            }),
            P::NewSessionTicket13(NewSessionTicket13 {
                lifetime: 7200,
                age_add: 0xdead_beef,
                nonce: vec![0, 1],
                ticket: vec![0xaa; 100],
                extensions: some_exts(),
            }),
            P::EndOfEarlyData,
            P::EncryptedExtensions(vec![]),
            P::EncryptedExtensions(some_exts()),
            P::Certificate13(Certificate13 {
                context: vec![],
                entries: vec![],
            }),
            P::Certificate13(Certificate13 {
                context: vec![5; 8],
                entries: vec![
                    CertificateEntry {
                        cert: vec![0x30; 300],
                        extensions: some_exts(),
                    },
                    CertificateEntry {
                        cert: vec![0x31],
                        extensions: vec![],
                    },
                ],
            }),
            P::CertificateRequest13(CertificateRequest13 {
                context: vec![1, 2],
                extensions: some_exts(),
            }),
            P::CertificateVerify(CertificateVerify {
                scheme: SignatureScheme::ED25519,
                signature: vec![0x55; 64],
            }),
            P::Finished(vec![0x11; 32]),
            P::Finished(vec![]),
            P::KeyUpdate {
                update_requested: false,
            },
            P::KeyUpdate {
                update_requested: true,
            },
        ]
    }

    #[test]
    fn hrr_random_is_sha256_of_label() {
        let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, b"HelloRetryRequest");
        assert_eq!(d.as_ref(), HRR_RANDOM);
        let hrr = ServerHello {
            random: HRR_RANDOM,
            ..sample_server_hello()
        };
        assert!(hrr.is_hrr());
        assert!(!sample_server_hello().is_hrr());
    }

    #[test]
    fn roundtrip_every_message() {
        for p in sample_payloads() {
            let msg = HandshakeMessage::new(p);
            let bytes = msg.to_bytes().unwrap();
            assert_eq!(bytes[0], msg.typ.0);
            let len = u32::from_be_bytes([0, bytes[1], bytes[2], bytes[3]]) as usize;
            assert_eq!(len, bytes.len() - 4);
            assert_eq!(read(&bytes).unwrap(), msg, "{msg:?}");
            // Trailing bytes are refused, except where the body is opaque.
            let mut longer = bytes.clone();
            longer.push(0);
            if msg.typ != HandshakeType::FINISHED {
                assert_eq!(
                    alert(HandshakeMessage::read_tls13(msg.typ, &longer[4..])),
                    AlertDescription::DECODE_ERROR,
                    "{msg:?}"
                );
            }
        }
    }

    fn sample_tls12_payloads() -> Vec<HandshakePayload> {
        use HandshakePayload as P;
        vec![
            P::HelloRequest,
            P::ClientHello(sample_client_hello()),
            P::ServerHello(sample_server_hello()),
            P::Certificate12(Certificate12(vec![])),
            P::Certificate12(Certificate12(vec![vec![0x30; 700], vec![0x31]])),
            P::ServerKeyExchange(ServerKeyExchange {
                params: EcdheParams {
                    group: NamedGroup::X25519,
                    public: vec![9; 32],
                },
                scheme: SignatureScheme::RSA_PSS_RSAE_SHA256,
                signature: vec![0x77; 256],
            }),
            P::CertificateRequest12(CertificateRequest12 {
                cert_types: vec![1, 64],
                schemes: vec![SignatureScheme::ECDSA_SECP256R1_SHA256],
                authorities: vec![vec![0x30, 0], vec![0x30; 40]],
            }),
            P::CertificateRequest12(CertificateRequest12 {
                cert_types: vec![1],
                schemes: vec![SignatureScheme::RSA_PKCS1_SHA256],
                authorities: vec![],
            }),
            P::ServerHelloDone,
            P::CertificateVerify(CertificateVerify {
                scheme: SignatureScheme::RSA_PKCS1_SHA256,
                signature: vec![0x55; 64],
            }),
            P::ClientKeyExchange(ClientKeyExchange(vec![4; 65])),
            P::NewSessionTicket12(NewSessionTicket12 {
                lifetime_hint: 300,
                ticket: vec![0xee; 180],
            }),
            P::NewSessionTicket12(NewSessionTicket12 {
                lifetime_hint: 0,
                ticket: vec![],
            }),
            P::Finished(vec![0x11; 12]),
        ]
    }

    #[test]
    fn tls12_roundtrip_truncation_and_trailing_bytes() {
        for p in sample_tls12_payloads() {
            let msg = HandshakeMessage::new(p);
            let b = msg.to_bytes().unwrap();
            let back = HandshakeMessage::read_tls12(msg.typ, &b[4..]).unwrap();
            assert_eq!(back, msg);
            if msg.typ == HandshakeType::FINISHED {
                continue;
            }
            let mut longer = b.clone();
            longer.push(0);
            assert_eq!(
                alert(HandshakeMessage::read_tls12(msg.typ, &longer[4..])),
                AlertDescription::DECODE_ERROR,
                "{msg:?}"
            );
            let hello = matches!(msg.typ.0, 1 | 2);
            for cut in 4..b.len() {
                let r = HandshakeMessage::read_tls12(msg.typ, &b[4..cut]);
                if hello && r.is_ok() {
                    continue; // a hello may end before its extensions
                }
                assert_eq!(
                    alert(r),
                    AlertDescription::DECODE_ERROR,
                    "{msg:?} cut at {cut}"
                );
            }
        }
    }

    #[test]
    fn tls12_message_specifics() {
        // Wire layout of the ECDHE parameters: curve type 3, group, u8-prefixed point.
        let ske = ServerKeyExchange {
            params: EcdheParams {
                group: NamedGroup::SECP256R1,
                public: vec![4, 1, 2],
            },
            scheme: SignatureScheme::ECDSA_SECP256R1_SHA256,
            signature: vec![0xaa; 3],
        };
        let mut b = Vec::new();
        ske.encode(&mut b).unwrap();
        assert_eq!(b, [3, 0, 23, 3, 4, 1, 2, 4, 3, 0, 3, 0xaa, 0xaa, 0xaa]);
        let signed = ske.signed_content(&[1; 32], &[2; 32]).unwrap();
        assert_eq!(&signed[..32], &[1; 32]);
        assert_eq!(&signed[32..64], &[2; 32]);
        assert_eq!(&signed[64..], &b[..7]);
        // Explicit curves (type 1 and 2) and empty points/signatures are refused.
        for bad in [
            &[1u8, 0, 23, 1, 4, 4, 3, 0, 1, 0][..],
            &[3, 0, 23, 0, 4, 3, 0, 1, 0],
            &[3, 0, 23, 1, 4, 4, 3, 0, 0],
        ] {
            let r = HandshakeMessage::read_tls12(HandshakeType::SERVER_KEY_EXCHANGE, bad);
            assert_eq!(alert(r), AlertDescription::DECODE_ERROR);
        }
        // Empty ClientKeyExchange point, empty certificate entry, empty bodies with content.
        for (t, body) in [
            (HandshakeType::CLIENT_KEY_EXCHANGE, &[0u8][..]),
            (HandshakeType::CERTIFICATE, &[0, 0, 3, 0, 0, 0]),
            (HandshakeType::SERVER_HELLO_DONE, &[0]),
            (HandshakeType::HELLO_REQUEST, &[0]),
            (HandshakeType::CERTIFICATE_REQUEST, &[0, 0, 2, 4, 3, 0, 0]),
            (HandshakeType::CERTIFICATE_REQUEST, &[1, 1, 0, 0, 0, 0]),
        ] {
            assert_eq!(
                alert(HandshakeMessage::read_tls12(t, body)),
                AlertDescription::DECODE_ERROR,
                "{t:?}"
            );
        }
        // TLS 1.3-only messages do not exist in TLS 1.2, and the reverse.
        for t in [
            HandshakeType::ENCRYPTED_EXTENSIONS,
            HandshakeType::KEY_UPDATE,
            HandshakeType::END_OF_EARLY_DATA,
            HandshakeType::MESSAGE_HASH,
            HandshakeType(99),
        ] {
            assert_eq!(
                alert(HandshakeMessage::read_tls12(t, &[])),
                AlertDescription::UNEXPECTED_MESSAGE
            );
        }
        for t in [
            HandshakeType::SERVER_KEY_EXCHANGE,
            HandshakeType::SERVER_HELLO_DONE,
            HandshakeType::CLIENT_KEY_EXCHANGE,
            HandshakeType::HELLO_REQUEST,
        ] {
            assert_eq!(
                alert(HandshakeMessage::read_tls13(t, &[])),
                AlertDescription::UNEXPECTED_MESSAGE
            );
        }
    }

    #[test]
    fn synthetic_and_unknown_messages() {
        // message_hash exists only inside the transcript (RFC 8446 §4.4.1).
        let mut b = vec![HandshakeType::MESSAGE_HASH.0, 0, 0, 32];
        b.extend_from_slice(&[0xab; 32]);
        assert_eq!(alert(read(&b)), AlertDescription::UNEXPECTED_MESSAGE);

        for t in [0u8, 3, 6, 12, 14, 16, 21, 22, 99, 255] {
            assert_eq!(
                alert(HandshakeMessage::read_tls13(HandshakeType(t), &[])),
                AlertDescription::UNEXPECTED_MESSAGE,
                "type {t}"
            );
        }
    }

    #[test]
    fn key_update_values() {
        let ku = HandshakeType::KEY_UPDATE;
        assert_eq!(
            alert(HandshakeMessage::read_tls13(ku, &[2])),
            AlertDescription::ILLEGAL_PARAMETER
        );
        assert_eq!(
            alert(HandshakeMessage::read_tls13(ku, &[255])),
            AlertDescription::ILLEGAL_PARAMETER
        );
        assert_eq!(
            alert(HandshakeMessage::read_tls13(ku, &[])),
            AlertDescription::DECODE_ERROR
        );
        assert_eq!(
            alert(HandshakeMessage::read_tls13(ku, &[0, 0])),
            AlertDescription::DECODE_ERROR
        );
        assert_eq!(
            alert(HandshakeMessage::read_tls13(
                HandshakeType::END_OF_EARLY_DATA,
                &[0]
            )),
            AlertDescription::DECODE_ERROR
        );
    }

    #[test]
    fn rfc8448_client_hello() {
        let b = hex(RFC8448_CLIENT_HELLO);
        let msg = read(&b).unwrap();
        let HandshakePayload::ClientHello(ch) = &msg.payload else {
            panic!("not a ClientHello");
        };
        assert_eq!(ch.legacy_version, ProtocolVersion::TLSV1_2);
        assert_eq!(ch.random[..4], [0xcb, 0x34, 0xec, 0xb1]);
        assert!(ch.session_id.is_empty());
        assert_eq!(
            ch.cipher_suites,
            [
                CipherSuite::TLS13_AES_128_GCM_SHA256,
                CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
                CipherSuite::TLS13_AES_256_GCM_SHA384
            ]
        );
        assert_eq!(ch.compression_methods, [0]);
        assert_eq!(ch.extensions.len(), 9);
        assert_eq!(ch.extensions[0].typ, ExtensionType::SERVER_NAME);
        // Byte-exact re-encoding.
        assert_eq!(msg.to_bytes().unwrap(), b);
        assert_eq!(client_hello_binders_offset(&b), None);
    }

    #[test]
    fn rfc8448_server_messages() {
        let b = hex(RFC8448_SERVER_HELLO);
        let msg = read(&b).unwrap();
        let HandshakePayload::ServerHello(sh) = &msg.payload else {
            panic!("not a ServerHello");
        };
        assert!(!sh.is_hrr());
        assert_eq!(sh.cipher_suite, CipherSuite::TLS13_AES_128_GCM_SHA256);
        assert_eq!(sh.compression_method, 0);
        assert_eq!(sh.extensions.len(), 2);
        assert_eq!(msg.to_bytes().unwrap(), b);

        let b = hex(RFC8448_ENCRYPTED_EXTENSIONS);
        let msg = read(&b).unwrap();
        assert!(matches!(&msg.payload, HandshakePayload::EncryptedExtensions(e) if e.len() == 3));
        assert_eq!(msg.to_bytes().unwrap(), b);

        let b = hex(RFC8448_CERTIFICATE);
        let msg = read(&b).unwrap();
        let HandshakePayload::Certificate13(c) = &msg.payload else {
            panic!("not a Certificate");
        };
        assert!(c.context.is_empty());
        assert_eq!(c.entries.len(), 1);
        assert_eq!(c.entries[0].cert.len(), 0x1b0);
        assert_eq!(c.entries[0].cert[..2], [0x30, 0x82]);
        assert!(c.entries[0].extensions.is_empty());
        assert_eq!(msg.to_bytes().unwrap(), b);

        let b = hex(RFC8448_CERTIFICATE_VERIFY);
        let msg = read(&b).unwrap();
        let HandshakePayload::CertificateVerify(cv) = &msg.payload else {
            panic!("not a CertificateVerify");
        };
        assert_eq!(cv.scheme, SignatureScheme::RSA_PSS_RSAE_SHA256);
        assert_eq!(cv.signature.len(), 128);
        assert_eq!(msg.to_bytes().unwrap(), b);

        let b = hex(RFC8448_SERVER_FINISHED);
        let msg = read(&b).unwrap();
        assert!(matches!(&msg.payload, HandshakePayload::Finished(f) if f.len() == 32));
        assert_eq!(msg.to_bytes().unwrap(), b);

        let b = hex(RFC8448_NEW_SESSION_TICKET);
        let msg = read(&b).unwrap();
        let HandshakePayload::NewSessionTicket13(t) = &msg.payload else {
            panic!("not a NewSessionTicket");
        };
        assert_eq!(t.lifetime, 30);
        assert_eq!(t.age_add, 0xfad6_aac5);
        assert_eq!(t.nonce, [0, 0]);
        assert_eq!(t.ticket.len(), 0xb2);
        assert_eq!(t.max_early_data_size(), Some(0x400));
        assert_eq!(msg.to_bytes().unwrap(), b);
    }

    #[test]
    fn binders_offset() {
        let b = hex(RFC8448_RESUMED_CLIENT_HELLO);
        // RFC 8448 §4: the binder is computed over the first 477 octets.
        assert_eq!(client_hello_binders_offset(&b), Some(477));
        assert_eq!(b[477..480], [0x00, 0x21, 0x20]);
        assert!(read(&b).is_ok());
        for cut in 0..b.len() {
            assert_eq!(client_hello_binders_offset(&b[..cut]), None);
        }
        let mut longer = b.clone();
        longer.push(0);
        assert_eq!(client_hello_binders_offset(&longer), None);
        assert_eq!(
            client_hello_binders_offset(
                &HandshakeMessage::new(HandshakePayload::ClientHello(sample_client_hello()))
                    .to_bytes()
                    .unwrap()
            ),
            None
        );
    }

    /// Encoded offsets at which the body of `enc` ends right before its
    /// extensions block (a valid extension-less hello).
    fn hello_ext_start(enc: &[u8]) -> usize {
        let mut r = Reader::new(&enc[4..]);
        let sh = enc[0] == 2;
        r.take(34).unwrap();
        r.bytes8().unwrap();
        if sh {
            r.take(3).unwrap();
        } else {
            r.bytes16().unwrap();
            r.bytes8().unwrap();
        }
        4 + r.used()
    }

    #[test]
    fn truncation_at_every_offset() {
        for v in [
            RFC8448_CLIENT_HELLO,
            RFC8448_SERVER_HELLO,
            RFC8448_CERTIFICATE,
            RFC8448_NEW_SESSION_TICKET,
            RFC8448_RESUMED_CLIENT_HELLO,
            RFC8448_ENCRYPTED_EXTENSIONS,
            RFC8448_CERTIFICATE_VERIFY,
        ] {
            let b = hex(v);
            let typ = HandshakeType(b[0]);
            let hello = matches!(typ.0, 1 | 2);
            for cut in 4..b.len() {
                let r = HandshakeMessage::read_tls13(typ, &b[4..cut]);
                if hello && cut == hello_ext_start(&b) {
                    // A hello without extensions is a valid (TLS 1.2) hello.
                    assert!(r.is_ok());
                    continue;
                }
                assert_eq!(
                    alert(r),
                    AlertDescription::DECODE_ERROR,
                    "{typ:?} cut at {cut}"
                );
            }
        }
    }

    fn ch_body(f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&[3, 3]);
        b.extend_from_slice(&[0; 32]);
        f(&mut b);
        b
    }

    #[test]
    fn malformed_hellos() {
        let ch = HandshakeType::CLIENT_HELLO;
        let dec = AlertDescription::DECODE_ERROR;
        let ok = ch_body(|b| b.extend_from_slice(&[0, 0, 2, 0x13, 1, 1, 0, 0, 0]));
        assert!(HandshakeMessage::read_tls13(ch, &ok).is_ok());
        let bad: &[&[u8]] = &[
            &[33],                        // session id 33 bytes (content omitted: length alone must fail)
            &[0, 0, 0, 1, 0],             // empty suites
            &[0, 0, 3, 0x13, 1, 0, 1, 0], // odd suites
            &[0, 0, 2, 0x13, 1, 0],       // empty compression
            &[0, 0, 2, 0x13, 1, 1, 0, 0], // truncated ext length
            &[0, 0, 2, 0x13, 1, 1, 0, 0, 1], // ext length past end
            &[0, 0, 2, 0x13, 1, 1, 0, 0, 4, 0, 1, 0, 1], // inner length past outer
            &[0, 0, 2, 0x13, 1, 1, 0, 0, 0, 0], // trailing
        ];
        for tail in bad {
            let body = ch_body(|b| b.extend_from_slice(tail));
            assert_eq!(
                alert(HandshakeMessage::read_tls13(ch, &body)),
                dec,
                "{tail:?}"
            );
        }
        // Oversize session id with the bytes present.
        let mut sid33 = vec![33];
        sid33.extend_from_slice(&[0; 33]);
        sid33.extend_from_slice(&[0, 2, 0x13, 1, 1, 0]);
        assert_eq!(
            alert(HandshakeMessage::read_tls13(
                ch,
                &ch_body(|b| b.extend_from_slice(&sid33))
            )),
            dec
        );
        let mut sh = sample_server_hello();
        sh.session_id = vec![0; 33];
        let b = HandshakeMessage::new(HandshakePayload::ServerHello(sh))
            .to_bytes()
            .unwrap();
        assert_eq!(alert(read(&b)), dec);
        sh = sample_server_hello();
        sh.session_id = vec![0; 32];
        let b = HandshakeMessage::new(HandshakePayload::ServerHello(sh))
            .to_bytes()
            .unwrap();
        assert!(read(&b).is_ok());
    }

    #[test]
    fn malformed_certificate_and_ticket() {
        let dec = AlertDescription::DECODE_ERROR;
        let cert = HandshakeType::CERTIFICATE;
        let bad: &[&[u8]] = &[
            &[0, 0, 0, 5, 0, 0, 0, 0, 0],          // empty cert_data
            &[0, 0, 0, 6, 0, 0, 1, 0x30, 0, 0, 0], // list longer than entry (trailing in list)
            &[0, 0, 0, 5, 0, 0, 1, 0x30, 0, 0],    // list shorter than entry
            &[0, 0, 0, 6, 0, 0, 1, 0x30, 0, 1],    // entry ext length past list
            &[1, 0, 0, 0],                         // context length past end
        ];
        for b in bad {
            assert_eq!(alert(HandshakeMessage::read_tls13(cert, b)), dec, "{b:?}");
        }
        assert!(HandshakeMessage::read_tls13(cert, &[0, 0, 0, 6, 0, 0, 1, 0x30, 0, 0]).is_ok());

        let nst = HandshakeType::NEW_SESSION_TICKET;
        let mut b = vec![0; 8];
        b.extend_from_slice(&[0, 0, 0, 0, 0]); // empty nonce, empty ticket, no exts
        assert_eq!(alert(HandshakeMessage::read_tls13(nst, &b)), dec);
        let mut b = vec![0; 8];
        b.extend_from_slice(&[0, 0, 1, 9, 0, 0]);
        assert!(HandshakeMessage::read_tls13(nst, &b).is_ok());
        b.truncate(b.len() - 2); // extensions are mandatory
        assert_eq!(alert(HandshakeMessage::read_tls13(nst, &b)), dec);
    }

    /// xorshift64: deterministic, dependency-free randomness for the mutation test.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    #[test]
    fn mutation_never_panics() {
        let seeds: Vec<Vec<u8>> = [
            RFC8448_CLIENT_HELLO,
            RFC8448_SERVER_HELLO,
            RFC8448_CERTIFICATE,
            RFC8448_RESUMED_CLIENT_HELLO,
            RFC8448_NEW_SESSION_TICKET,
        ]
        .iter()
        .map(|v| hex(v))
        .collect();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut parsed = 0;
        for _ in 0..20_000 {
            let mut m = seeds[rng.below(seeds.len())].clone();
            for _ in 0..1 + rng.below(4) {
                match rng.below(6) {
                    0 | 1 => {
                        let i = rng.below(m.len());
                        if let Some(b) = m.get_mut(i) {
                            *b ^= 1 << rng.below(8);
                        }
                    }
                    2 => {
                        let i = rng.below(m.len());
                        if let Some(b) = m.get_mut(i) {
                            *b = rng.next() as u8;
                        }
                    }
                    3 => m.truncate(rng.below(m.len() + 1)),
                    4 => {
                        for _ in 0..rng.below(16) {
                            m.push(rng.next() as u8);
                        }
                    }
                    _ => {
                        let i = rng.below(m.len() + 1);
                        m.insert(i, rng.next() as u8);
                    }
                }
            }
            // Whole message (type byte + body), the hello entry points on the
            // body, and the joiner on the raw bytes.
            let typ = m.first().copied().unwrap_or(0);
            let body = m.get(4..).unwrap_or(&[]);
            let mut as_handshake13 = vec![typ];
            as_handshake13.extend_from_slice(body);
            crate::fuzzing::handshake13(&as_handshake13);
            crate::fuzzing::handshake12(&as_handshake13);
            crate::fuzzing::client_hello(body);
            crate::fuzzing::server_hello(body);
            let mut j = vec![3, 7, 60, 1];
            j.extend_from_slice(&m);
            crate::fuzzing::joiner(&j);
            if HandshakeMessage::read_tls13(HandshakeType(typ), body).is_ok() {
                parsed += 1;
            }
        }
        // Sanity: the mutations leave a fair share parseable (flips in
        // opaque bytes), so the round-trip checks were exercised.
        assert!(parsed > 1000, "only {parsed} mutants parsed");
    }
}
