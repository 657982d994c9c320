//! The certificate messages: TLS 1.3 Certificate, CertificateRequest and
//! CertificateVerify (RFC 8446 §4.3.2, §4.4.2-4.4.3), and TLS 1.2 Certificate
//! and CertificateRequest (RFC 5246 §7.4.2, §7.4.4).

use crate::error::{AlertDescription, Error};
use crate::msgs::codec::{
    encode_prefixed, put_bytes16, put_bytes24, put_bytes8, Codec, DecodeError, EncodeError,
    LenPrefix, Reader,
};
use crate::msgs::enums::{ExtensionType, SignatureScheme};
use crate::msgs::extensions::{encode_extensions, read_extensions, Extension};

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

impl Certificate13 {
    /// A server's entries carry only extensions the client requested
    /// (RFC 8446 §4.4.2); `sent` says which our ClientHello carried.
    pub(crate) fn check_entry_extensions(
        &self,
        sent: impl Fn(ExtensionType) -> bool,
    ) -> Result<(), Error> {
        match self
            .entries
            .iter()
            .flat_map(|e| &e.extensions)
            .find(|e| !sent(e.typ))
        {
            Some(e) => Err(Error::protocol(
                AlertDescription::UNSUPPORTED_EXTENSION,
                format!("{} extension in a CertificateEntry, not requested", e.typ),
            )),
            None => Ok(()),
        }
    }
}

impl CertificateRequest13 {
    /// A CertificateRequest in the handshake: an empty context and
    /// signature_algorithms present (RFC 8446 §4.3.2); unknown extensions
    /// are ignored.
    pub(crate) fn check_in_handshake(&self) -> Result<(), Error> {
        if !self.context.is_empty() {
            return Err(Error::protocol(
                AlertDescription::ILLEGAL_PARAMETER,
                "CertificateRequest context in the handshake",
            ));
        }
        let exts = crate::msgs::extensions::ClientExtensions::parse(&self.extensions)?;
        if exts.signature_algorithms.is_none() {
            return Err(Error::protocol(
                AlertDescription::MISSING_EXTENSION,
                "CertificateRequest without signature_algorithms",
            ));
        }
        Ok(())
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
