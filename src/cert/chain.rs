//! A server's certificate chain and private key, loaded from PEM, and what
//! certificate selection reads from the chain (its signature algorithms).

use crate::crypto::sign::{KeyType, SigningKey};
use crate::error::Error;
use crate::msgs::enums::SignatureScheme;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use std::path::Path;

use super::read_file;
use super::verify::schemes_for_signature_algorithm;

/// A certificate chain (leaf first, DER) and its private key, loaded from PEM.
/// Shared by many connections through `Config`.
pub struct CertChainAndKey {
    chain: Vec<Vec<u8>>,
    key: SigningKey,
    /// For each certificate of the chain that is not self-signed: the signature
    /// schemes that name its signature algorithm (empty if none does).
    pub(super) signed_with: Vec<Vec<SignatureScheme>>,
    /// The stapled OCSP response and SCT list (`stapled`).
    pub(super) ocsp: super::stapled::Swappable,
    pub(super) sct: super::stapled::Swappable,
}

impl CertChainAndKey {
    /// Loads a PEM chain (leaf first) and a PEM private key; fails if the key does not match the leaf.
    pub fn from_pem(chain_pem: &[u8], key_pem: &[u8]) -> Result<Self, Error> {
        let chain = CertificateDer::pem_slice_iter(chain_pem)
            .map(|c| c.map(|c| c.to_vec()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::usage(format!("malformed certificate PEM: {e}")))?;
        let Some(leaf) = chain.first() else {
            return Err(Error::usage(
                "no CERTIFICATE found in certificate chain PEM",
            ));
        };
        if let Err(e) = webpki::EndEntityCert::try_from(&CertificateDer::from(leaf.as_slice())) {
            return Err(Error::usage(format!(
                "leaf certificate is not a valid X.509 certificate: {e}"
            )));
        }
        let key = SigningKey::from_pem(key_pem)?;
        if !key.public_key_matches(leaf) {
            return Err(Error::usage("private key does not match certificate"));
        }
        let signed_with = chain
            .iter()
            .filter_map(|der| match certificate_signature(der) {
                Some(sig) if sig.self_signed => None,
                Some(sig) => Some(schemes_for_signature_algorithm(sig.algorithm)),
                // Unparseable (an intermediate webpki never looked at): no scheme names it.
                None => Some(Vec::new()),
            })
            .collect();
        Ok(Self {
            chain,
            key,
            signed_with,
            ocsp: Default::default(),
            sct: Default::default(),
        })
    }
    /// Same as [`from_pem`](Self::from_pem), reading two files.
    pub fn from_pem_files(chain: impl AsRef<Path>, key: impl AsRef<Path>) -> Result<Self, Error> {
        let chain_pem = read_file(chain.as_ref())?;
        let key_pem = zeroize::Zeroizing::new(read_file(key.as_ref())?);
        Self::from_pem(&chain_pem, &key_pem)
    }
    /// The chain, leaf first, DER.
    pub fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }
    /// The key type (decides which signature schemes it serves).
    pub fn key_type(&self) -> KeyType {
        self.key.key_type()
    }
    pub(crate) fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// True if every signature in the chain (a self-signed certificate's own
    /// excepted: it is a trust anchor, RFC 8446 §4.4.2.2) uses one of `schemes`.
    /// Used to prefer the chain a client says it accepts (`signature_algorithms_cert`).
    pub(crate) fn chain_signed_with(&self, schemes: &[SignatureScheme]) -> bool {
        self.signed_with
            .iter()
            .all(|names| names.iter().any(|s| schemes.contains(s)))
    }
}

/// What the certificate chain selection needs from one certificate.
pub(super) struct CertSignature<'a> {
    /// The content of the outer signatureAlgorithm AlgorithmIdentifier.
    pub(super) algorithm: &'a [u8],
    /// Issuer equals subject: a self-signed (root) certificate.
    pub(super) self_signed: bool,
}

/// One DER element: (tag, contents, rest). Single-byte tags and definite
/// lengths of up to four bytes, which is all X.509 needs; `None` if malformed.
/// Also reads the PKCS#8 envelope of RSA-PSS keys (`crypto::pss`).
pub(crate) fn der_next(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&len0, rest) = rest.split_first()?;
    let (len, rest) = if len0 < 0x80 {
        (usize::from(len0), rest)
    } else {
        let n = usize::from(len0 & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let (len, rest) = rest.split_at(n);
        (
            len.iter().fold(0usize, |a, &b| (a << 8) | usize::from(b)),
            rest,
        )
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The signature algorithm of a certificate and whether it is self-signed:
/// `Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }`,
/// `tbsCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber, signature,
/// issuer, validity, subject, ... }` (RFC 5280 §4.1).
pub(super) fn certificate_signature(der: &[u8]) -> Option<CertSignature<'_>> {
    const SEQUENCE: u8 = 0x30;
    const VERSION: u8 = 0xa0;
    let seq = |input| der_next(input).filter(|(tag, _, _)| *tag == SEQUENCE);
    let (_, cert, _) = seq(der)?;
    let (_, tbs, rest) = seq(cert)?;
    let (_, algorithm, _) = seq(rest)?;
    let (tag, _, mut t) = der_next(tbs)?;
    if tag == VERSION {
        t = der_next(t)?.2; // serialNumber
    }
    let t = der_next(t)?.2; // signature
    let (_, issuer, t) = seq(t)?;
    let t = der_next(t)?.2; // validity
    let (_, subject, _) = seq(t)?;
    Some(CertSignature {
        algorithm,
        self_signed: issuer == subject,
    })
}

/// The named curve of a certificate's EC public key (`None`: not an EC key on
/// a curve Baton has, or a certificate webpki cannot parse). webpki parses the
/// certificate and hands out its SubjectPublicKeyInfo; aws-lc accepts that
/// SPKI for exactly one ECDSA verification algorithm, whose curve it names.
pub(crate) fn ec_key_curve(der: &[u8]) -> Option<crate::NamedGroup> {
    use crate::NamedGroup as G;
    use aws_lc_rs::signature as sig;
    let cert = CertificateDer::from(der);
    let ee = webpki::EndEntityCert::try_from(&cert).ok()?;
    let spki = ee.subject_public_key_info();
    [
        (&sig::ECDSA_P256_SHA256_ASN1, G::SECP256R1),
        (&sig::ECDSA_P384_SHA384_ASN1, G::SECP384R1),
        (&sig::ECDSA_P521_SHA512_ASN1, G::SECP521R1),
    ]
    .into_iter()
    .find(|(alg, _)| sig::ParsedPublicKey::new(*alg, spki.as_ref()).is_ok())
    .map(|(_, group)| group)
}

impl core::fmt::Debug for CertChainAndKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CertChainAndKey")
            .field("certs", &self.chain.len())
            .field("key", &self.key)
            .field("ocsp_response", &self.ocsp_response().map(|r| r.len()))
            .field("sct_list", &self.sct_list().map(|l| l.len()))
            .finish()
    }
}
