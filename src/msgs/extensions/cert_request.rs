//! The extensions of a TLS 1.3 CertificateRequest that client authentication
//! reads: signature_algorithms (required), signature_algorithms_cert and
//! certificate_authorities (RFC 8446 §4.2.4); others are ignored.

use super::{check_no_duplicates, decode_body, encode_list, read_nonempty, Extension};
use crate::error::Error;
use crate::msgs::codec::{encode_prefixed, put_bytes16, DecodeError, EncodeError, LenPrefix};
use crate::msgs::enums::{AlertDescription, ExtensionType, SignatureScheme};

/// A CertificateRequest's extensions, typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct CertRequestExtensions {
    pub signature_algorithms: Vec<SignatureScheme>,
    /// DER `Name`s of the CAs the server accepts (empty: any).
    pub authorities: Vec<Vec<u8>>,
}

impl CertRequestExtensions {
    /// Decodes them; no signature_algorithms is `missing_extension`.
    pub(crate) fn parse(exts: &[Extension]) -> Result<Self, Error> {
        check_no_duplicates(exts, AlertDescription::DECODE_ERROR)?;
        let mut schemes = None;
        let mut authorities = Vec::new();
        for ext in exts {
            match ext.typ {
                ExtensionType::SIGNATURE_ALGORITHMS => {
                    schemes = Some(decode_body(ext, |r| {
                        read_nonempty(r.sub16()?, "empty scheme list")
                    })?);
                }
                ExtensionType::CERTIFICATE_AUTHORITIES => {
                    authorities = decode_body(ext, |r| read_names(r.sub16()?))?;
                }
                _ => {}
            }
        }
        let signature_algorithms = schemes.ok_or_else(|| {
            Error::protocol(
                AlertDescription::MISSING_EXTENSION,
                "CertificateRequest without signature_algorithms",
            )
        })?;
        Ok(Self {
            signature_algorithms,
            authorities,
        })
    }

    /// Encodes them; certificate_authorities only when there are names.
    pub(crate) fn to_extensions(&self) -> Result<Vec<Extension>, EncodeError> {
        let mut v = vec![Extension::build(
            ExtensionType::SIGNATURE_ALGORITHMS,
            |o| encode_list(o, LenPrefix::U16, &self.signature_algorithms),
        )?];
        if !self.authorities.is_empty() {
            v.push(Extension::build(
                ExtensionType::CERTIFICATE_AUTHORITIES,
                |o| encode_names(o, &self.authorities),
            )?);
        }
        Ok(v)
    }
}

/// `DistinguishedName authorities<3..2^16-1>`, each `opaque <1..2^16-1>`.
fn read_names(mut list: crate::msgs::codec::Reader<'_>) -> Result<Vec<Vec<u8>>, DecodeError> {
    if !list.any_left() {
        return Err(DecodeError("empty certificate_authorities"));
    }
    let mut out = Vec::new();
    while list.any_left() {
        let dn = list.bytes16()?;
        if dn.is_empty() {
            return Err(DecodeError("empty distinguished name"));
        }
        out.push(dn.to_vec());
    }
    Ok(out)
}

fn encode_names(out: &mut Vec<u8>, names: &[Vec<u8>]) -> Result<(), EncodeError> {
    encode_prefixed(out, LenPrefix::U16, |o| {
        names.iter().try_for_each(|n| put_bytes16(o, n))
    })
}

/// Whether `names` fit one certificate_authorities list (or a TLS 1.2
/// CertificateRequest's): a server sends all of them or none.
pub(crate) fn names_fit(names: &[Vec<u8>]) -> bool {
    let total = names
        .iter()
        .map(|n| n.len().saturating_add(2))
        .sum::<usize>();
    total <= 0xffff && names.iter().all(|n| !n.is_empty() && n.len() <= 0xffff)
}

#[cfg(test)]
mod tests {
    use super::*;
    use SignatureScheme as S;

    #[test]
    fn round_trip() {
        let req = CertRequestExtensions {
            signature_algorithms: vec![S::ECDSA_SECP256R1_SHA256, S::RSA_PSS_RSAE_SHA256],
            authorities: vec![vec![0x30, 0], vec![0x30, 1, 5]],
        };
        let exts = req.to_extensions().unwrap();
        assert_eq!(CertRequestExtensions::parse(&exts).unwrap(), req);
        let no_names = CertRequestExtensions {
            authorities: Vec::new(),
            ..req
        };
        let exts = no_names.to_extensions().unwrap();
        assert_eq!(exts.len(), 1);
        assert_eq!(CertRequestExtensions::parse(&exts).unwrap(), no_names);
    }

    #[test]
    fn malformed_bodies_are_typed_errors() {
        let ext = |typ, data: &[u8]| Extension {
            typ,
            data: data.to_vec(),
        };
        let sigs = ext(ExtensionType::SIGNATURE_ALGORITHMS, &[0, 2, 4, 3]);
        let cases: &[(&[Extension], AlertDescription)] = &[
            (&[], AlertDescription::MISSING_EXTENSION),
            (
                &[ext(ExtensionType::SIGNATURE_ALGORITHMS, &[0, 0])],
                AlertDescription::DECODE_ERROR,
            ),
            (
                &[ext(ExtensionType::SIGNATURE_ALGORITHMS, &[0, 3, 4, 3, 1])],
                AlertDescription::DECODE_ERROR,
            ),
            (
                &[
                    sigs.clone(),
                    ext(ExtensionType::CERTIFICATE_AUTHORITIES, &[0, 0]),
                ],
                AlertDescription::DECODE_ERROR,
            ),
            (
                &[
                    sigs.clone(),
                    ext(ExtensionType::CERTIFICATE_AUTHORITIES, &[0, 2, 0, 0]),
                ],
                AlertDescription::DECODE_ERROR,
            ),
            (
                &[
                    sigs.clone(),
                    ext(ExtensionType::CERTIFICATE_AUTHORITIES, &[0, 4, 0, 9, 1, 1]),
                ],
                AlertDescription::DECODE_ERROR,
            ),
            (
                &[sigs.clone(), sigs.clone()],
                AlertDescription::DECODE_ERROR,
            ),
        ];
        for (exts, alert) in cases {
            let err = CertRequestExtensions::parse(exts).unwrap_err();
            assert_eq!(err.sent_alert(), Some(*alert), "{exts:?}");
        }
        // Unknown extensions are ignored.
        let ok = [sigs, ext(ExtensionType(0xfe00), &[1, 2, 3])];
        assert!(CertRequestExtensions::parse(&ok).is_ok());
    }

    #[test]
    fn names_that_do_not_fit_are_refused_before_encoding() {
        assert!(names_fit(&[vec![0x30, 0]]));
        assert!(!names_fit(&vec![vec![0u8; 1000]; 70]));
        assert!(!names_fit(&[Vec::new()]));
    }
}
