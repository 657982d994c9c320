//! Stapled OCSP responses (RFC 6960): parsed with RustCrypto's `x509-ocsp`
//! (strict DER, no hand-written parsing), signatures checked with the same
//! aws-lc algorithms as certificate chains (through webpki's algorithm table).
//!
//! A response is accepted for a leaf when it is `successful`, a
//! BasicOCSPResponse, signed by the leaf's issuer or by a delegated responder
//! that the issuer certified for OCSP signing, holds a SingleResponse whose
//! CertID names the leaf, is current, and says `good`. The chain itself was
//! validated before (the issuer is the one path validation used).

use crate::error::{AlertDescription, Error};
use aws_lc_rs::digest;
use rustls_pki_types::TrustAnchor;
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::der::{Decode, Encode, Header, Length, Reader, SliceReader, Tag};
use x509_cert::ext::pkix::ExtendedKeyUsage;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::Certificate;
use x509_ocsp::{BasicOcspResponse, CertId, CertStatus, OcspResponse, OcspResponseStatus};

/// How far the peer's clock may be from ours when comparing thisUpdate and
/// nextUpdate (responders and servers drift; RFC 6960 gives no number).
const SKEW_SECS: u64 = 300;

const ID_PKIX_OCSP_BASIC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.1");
const ID_KP_OCSP_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.9");
const ID_CE_EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const ID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const ID_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const ID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");

fn bad(msg: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::protocol(AlertDescription::BAD_CERTIFICATE_STATUS_RESPONSE, msg)
}

/// Checks that `der` is an OCSPResponse (any status); for the server side,
/// so a configured staple is at least what it claims to be.
pub(crate) fn check_response_der(der: &[u8]) -> Result<(), Error> {
    OcspResponse::from_der(der)
        .map(|_| ())
        .map_err(|e| Error::usage(format!("not a DER OCSP response: {e}")))
}

/// The issuer of the leaf, as the CertID and the signature check need it.
struct Issuer {
    /// The DER Name (SEQUENCE included): what `issuerNameHash` hashes.
    name: Vec<u8>,
    spki: SubjectPublicKeyInfoOwned,
}

impl Issuer {
    fn from_cert(cert: &Certificate) -> Result<Self, Error> {
        Ok(Self {
            name: cert
                .tbs_certificate
                .subject
                .to_der()
                .map_err(|_| bad("cannot encode the issuer's name"))?,
            spki: cert.tbs_certificate.subject_public_key_info.clone(),
        })
    }

    /// A trust anchor keeps its subject and SPKI without their outer
    /// SEQUENCE header; put it back and let `der` parse them.
    fn from_anchor(anchor: &TrustAnchor<'_>) -> Result<Self, Error> {
        let name = wrap_sequence(anchor.subject.as_ref())?;
        let spki = wrap_sequence(anchor.subject_public_key_info.as_ref())?;
        Ok(Self {
            name,
            spki: SubjectPublicKeyInfoOwned::from_der(&spki)
                .map_err(|_| bad("trust anchor key does not parse"))?,
        })
    }

    fn key_alg(&self) -> Result<Vec<u8>, Error> {
        contents(
            &self
                .spki
                .algorithm
                .to_der()
                .map_err(|_| bad("cannot encode the key algorithm"))?,
        )
    }

    fn key(&self) -> &[u8] {
        self.spki.subject_public_key.raw_bytes()
    }
}

/// `SEQUENCE { contents }` in DER.
fn wrap_sequence(contents: &[u8]) -> Result<Vec<u8>, Error> {
    let len = Length::try_from(contents.len()).map_err(|_| bad("name too long"))?;
    let mut out = Vec::with_capacity(contents.len() + 6);
    Header::new(Tag::Sequence, len)
        .and_then(|h| h.encode_to_vec(&mut out))
        .map_err(|_| bad("cannot encode a name"))?;
    out.extend_from_slice(contents);
    Ok(out)
}

/// The contents of one DER TLV (what webpki calls an algorithm id).
fn contents(tlv: &[u8]) -> Result<Vec<u8>, Error> {
    let mut r = SliceReader::new(tlv).map_err(|_| bad("malformed DER"))?;
    let header = Header::decode(&mut r).map_err(|_| bad("malformed DER"))?;
    let v = r
        .read_slice(header.length)
        .map_err(|_| bad("malformed DER"))?;
    r.finish(v.to_vec()).map_err(|_| bad("malformed DER"))
}

/// The first element of a DER SEQUENCE, byte for byte as received: the
/// signed part (tbsResponseData, tbsCertificate), never a re-encoding.
fn signed_part(der: &[u8]) -> Result<&[u8], Error> {
    let mut r = SliceReader::new(der).map_err(|_| bad("malformed DER"))?;
    let tbs = r
        .sequence(|r| {
            let tbs = r.tlv_bytes()?;
            let rest = r.remaining_len();
            r.read_slice(rest)?;
            Ok(tbs)
        })
        .map_err(|_| bad("malformed DER"))?;
    r.finish(tbs).map_err(|_| bad("malformed DER"))
}

/// Verifies `signature` over `message` by `key` with the algorithm named by
/// `sig_alg` (DER AlgorithmIdentifier contents); the algorithms are the chain
/// check's, so OCSP accepts nothing weaker than certificates do.
fn verify(
    key_alg: &[u8],
    key: &[u8],
    sig_alg: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<(), Error> {
    let mut known = false;
    for alg in super::verify::all_certificate_algorithms() {
        if alg.public_key_alg_id().as_ref() != key_alg || alg.signature_alg_id().as_ref() != sig_alg
        {
            continue;
        }
        known = true;
        if alg.verify_signature(key, message, signature).is_ok() {
            return Ok(());
        }
    }
    Err(bad(if known {
        "OCSP response signature does not verify"
    } else {
        "OCSP response signed with an unsupported algorithm"
    }))
}

fn hash_for(oid: ObjectIdentifier) -> Option<&'static digest::Algorithm> {
    // SHA-1 in a CertID only names the certificate (RFC 6960 §4.1.1, and
    // what most responders use); nothing is signed with it.
    Some(match oid {
        ID_SHA1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
        ID_SHA256 => &digest::SHA256,
        ID_SHA384 => &digest::SHA384,
        ID_SHA512 => &digest::SHA512,
        _ => return None,
    })
}

/// True if `id` names `leaf` (by serial) as issued by `issuer`.
fn names_leaf(id: &CertId, leaf: &Certificate, issuer: &Issuer) -> bool {
    let Some(alg) = hash_for(id.hash_algorithm.oid) else {
        return false;
    };
    id.serial_number.as_bytes() == leaf.tbs_certificate.serial_number.as_bytes()
        && id.issuer_name_hash.as_bytes() == digest::digest(alg, &issuer.name).as_ref()
        && id.issuer_key_hash.as_bytes() == digest::digest(alg, issuer.key()).as_ref()
}

/// A certificate in the response that the issuer signed for OCSP signing
/// (RFC 6960 §4.2.2.2), valid now: its key may sign for the issuer.
fn delegated_responder(
    cert: &Certificate,
    issuer: &Issuer,
    now: u64,
) -> Result<SubjectPublicKeyInfoOwned, Error> {
    let tbs = &cert.tbs_certificate;
    if tbs.issuer.to_der().ok().as_deref() != Some(issuer.name.as_slice()) {
        return Err(bad("OCSP responder certificate is not from the issuer"));
    }
    let ocsp_signing = tbs
        .extensions
        .iter()
        .flatten()
        .filter(|e| e.extn_id == ID_CE_EXT_KEY_USAGE)
        .filter_map(|e| ExtendedKeyUsage::from_der(e.extn_value.as_bytes()).ok())
        .any(|eku| eku.0.contains(&ID_KP_OCSP_SIGNING));
    if !ocsp_signing {
        return Err(bad(
            "OCSP responder certificate lacks the OCSPSigning extended key usage",
        ));
    }
    let v = &tbs.validity;
    if now + SKEW_SECS < v.not_before.to_unix_duration().as_secs()
        || now > v.not_after.to_unix_duration().as_secs() + SKEW_SECS
    {
        return Err(bad(
            "OCSP responder certificate is expired or not yet valid",
        ));
    }
    let der = cert
        .to_der()
        .map_err(|_| bad("cannot encode the responder certificate"))?;
    let sig_alg = contents(
        &cert
            .signature_algorithm
            .to_der()
            .map_err(|_| bad("malformed responder certificate"))?,
    )?;
    verify(
        &issuer.key_alg()?,
        issuer.key(),
        &sig_alg,
        signed_part(&der)?,
        cert.signature.raw_bytes(),
    )
    .map_err(|_| bad("OCSP responder certificate is not signed by the issuer"))?;
    Ok(tbs.subject_public_key_info.clone())
}

impl super::TrustStore {
    /// [`validate`] against this store's anchors.
    pub(crate) fn validate_ocsp(
        &self,
        response: &[u8],
        chain: &[Vec<u8>],
        now: u64,
    ) -> Result<(), Error> {
        validate(response, chain, &self.anchors, now)
    }
}

/// Validates a stapled OCSP response for `chain[0]` at `now` (Unix seconds).
/// `chain` was already validated against `anchors`; the leaf's issuer is the
/// next certificate that names it, else the anchor that does.
///
/// Revoked → `certificate_revoked`; anything else wrong (unknown status,
/// stale, wrong certificate, bad signature, malformed) →
/// `bad_certificate_status_response`.
pub(crate) fn validate(
    response: &[u8],
    chain: &[Vec<u8>],
    anchors: &[TrustAnchor<'_>],
    now: u64,
) -> Result<(), Error> {
    let leaf_der = chain.first().ok_or_else(|| bad("no certificate"))?;
    let leaf = Certificate::from_der(leaf_der)
        .map_err(|_| bad("leaf certificate does not parse for OCSP"))?;
    let issuer_name = leaf
        .tbs_certificate
        .issuer
        .to_der()
        .map_err(|_| bad("cannot encode the leaf's issuer"))?;
    // ok-panic: `chain.first()` above proved it non-empty.
    let from_chain = chain[1..]
        .iter()
        .filter_map(|der| Certificate::from_der(der).ok())
        .find(|c| c.tbs_certificate.subject.to_der().ok().as_deref() == Some(&issuer_name[..]));
    let issuer = match from_chain {
        Some(cert) => Issuer::from_cert(&cert)?,
        None => {
            let name = contents(&issuer_name)?;
            let anchor = anchors
                .iter()
                .find(|a| a.subject.as_ref() == name.as_slice())
                .ok_or_else(|| bad("the leaf's issuer is not in the chain or the trust store"))?;
            Issuer::from_anchor(anchor)?
        }
    };

    let resp = OcspResponse::from_der(response).map_err(|_| bad("malformed OCSP response"))?;
    if resp.response_status != OcspResponseStatus::Successful {
        return Err(bad(format!(
            "OCSP response status is {:?}",
            resp.response_status
        )));
    }
    let bytes = resp
        .response_bytes
        .ok_or_else(|| bad("successful OCSP response without a body"))?;
    if bytes.response_type != ID_PKIX_OCSP_BASIC {
        return Err(bad("OCSP response is not a BasicOCSPResponse"));
    }
    let basic_der = bytes.response.as_bytes();
    let basic =
        BasicOcspResponse::from_der(basic_der).map_err(|_| bad("malformed BasicOCSPResponse"))?;

    // Who signed: the issuer, or a responder it delegated to.
    let sig_alg = contents(
        &basic
            .signature_algorithm
            .to_der()
            .map_err(|_| bad("malformed OCSP signature algorithm"))?,
    )?;
    let tbs = signed_part(basic_der)?;
    let sig = basic.signature.raw_bytes();
    let by_issuer = verify(&issuer.key_alg()?, issuer.key(), &sig_alg, tbs, sig);
    if let Err(issuer_err) = by_issuer {
        let mut last = issuer_err;
        let mut ok = false;
        for cert in basic.certs.iter().flatten() {
            match delegated_responder(cert, &issuer, now).and_then(|spki| {
                let alg = contents(&spki.algorithm.to_der().map_err(|_| bad("bad key"))?)?;
                verify(
                    &alg,
                    spki.subject_public_key.raw_bytes(),
                    &sig_alg,
                    tbs,
                    sig,
                )
            }) {
                Ok(()) => {
                    ok = true;
                    break;
                }
                Err(e) => last = e,
            }
        }
        if !ok {
            return Err(last);
        }
    }

    let single = basic
        .tbs_response_data
        .responses
        .iter()
        .find(|r| names_leaf(&r.cert_id, &leaf, &issuer))
        .ok_or_else(|| bad("OCSP response is not about the server's certificate"))?;
    let this_update = single.this_update.0.to_unix_duration().as_secs();
    if this_update > now + SKEW_SECS {
        return Err(bad(
            "OCSP response is not valid yet (thisUpdate in the future)",
        ));
    }
    if let Some(next) = &single.next_update {
        if now > next.0.to_unix_duration().as_secs() + SKEW_SECS {
            return Err(bad("OCSP response is expired (past nextUpdate)"));
        }
    }
    match single.cert_status {
        CertStatus::Good(_) => Ok(()),
        CertStatus::Revoked(_) => Err(Error::protocol(
            AlertDescription::CERTIFICATE_REVOKED,
            "OCSP: the server's certificate is revoked",
        )),
        CertStatus::Unknown(_) => Err(bad("OCSP: the responder does not know the certificate")),
    }
}
