//! Signature verification with a certificate's public key, through rustls-webpki.

use crate::error::{AlertDescription, Error};
use crate::msgs::enums::SignatureScheme;
use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm};
use webpki::aws_lc_rs as algs;

/// Schemes Baton verifies in CertificateVerify (TLS 1.3), in our preference order.
pub(crate) const TLS13_VERIFY_SCHEMES: &[SignatureScheme] = &[
    SignatureScheme::ECDSA_SECP256R1_SHA256,
    SignatureScheme::ECDSA_SECP384R1_SHA384,
    SignatureScheme::ECDSA_SECP521R1_SHA512,
    SignatureScheme::RSA_PSS_RSAE_SHA256,
    SignatureScheme::RSA_PSS_RSAE_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA512,
    SignatureScheme::RSA_PSS_PSS_SHA256,
    SignatureScheme::RSA_PSS_PSS_SHA384,
    SignatureScheme::RSA_PSS_PSS_SHA512,
];

/// Schemes Baton verifies in TLS 1.2 signatures (ServerKeyExchange,
/// CertificateVerify) and accepts in certificate chains: the TLS 1.3 set plus
/// RSA PKCS#1 v1.5. SHA-1 schemes are not implemented.
pub(crate) const TLS12_VERIFY_SCHEMES: &[SignatureScheme] = &[
    SignatureScheme::ECDSA_SECP256R1_SHA256,
    SignatureScheme::ECDSA_SECP384R1_SHA384,
    SignatureScheme::ECDSA_SECP521R1_SHA512,
    SignatureScheme::RSA_PSS_RSAE_SHA256,
    SignatureScheme::RSA_PSS_RSAE_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA512,
    SignatureScheme::RSA_PSS_PSS_SHA256,
    SignatureScheme::RSA_PSS_PSS_SHA384,
    SignatureScheme::RSA_PSS_PSS_SHA512,
    SignatureScheme::RSA_PKCS1_SHA256,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::RSA_PKCS1_SHA512,
];

type Algs = &'static [&'static dyn SignatureVerificationAlgorithm];

static P256_SHA256: Algs = &[algs::ECDSA_P256_SHA256];
static P384_SHA384: Algs = &[algs::ECDSA_P384_SHA384];
static P521_SHA512: Algs = &[algs::ECDSA_P521_SHA512];
static ANY_EC_SHA256: Algs = &[
    algs::ECDSA_P256_SHA256,
    algs::ECDSA_P384_SHA256,
    algs::ECDSA_P521_SHA256,
];
static ANY_EC_SHA384: Algs = &[
    algs::ECDSA_P384_SHA384,
    algs::ECDSA_P256_SHA384,
    algs::ECDSA_P521_SHA384,
];
static ANY_EC_SHA512: Algs = &[
    algs::ECDSA_P521_SHA512,
    algs::ECDSA_P256_SHA512,
    algs::ECDSA_P384_SHA512,
];
static PSS_SHA256: Algs = &[algs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY];
static PSS_SHA384: Algs = &[algs::RSA_PSS_2048_8192_SHA384_LEGACY_KEY];
static PSS_SHA512: Algs = &[algs::RSA_PSS_2048_8192_SHA512_LEGACY_KEY];
// rsa_pss_pss_*: the same signatures, from a key whose SPKI is id-RSASSA-PSS
// (webpki has no algorithm for that key type; see `crypto::pss`).
static PSS_PSS_SHA256: Algs = &[&super::pss::PSS_KEY_SHA256];
static PSS_PSS_SHA384: Algs = &[&super::pss::PSS_KEY_SHA384];
static PSS_PSS_SHA512: Algs = &[&super::pss::PSS_KEY_SHA512];
static PKCS1_SHA256: Algs = &[algs::RSA_PKCS1_2048_8192_SHA256];
static PKCS1_SHA384: Algs = &[algs::RSA_PKCS1_2048_8192_SHA384];
static PKCS1_SHA512: Algs = &[algs::RSA_PKCS1_2048_8192_SHA512];

/// The webpki algorithms that may verify `scheme`, or why the scheme is refused.
///
/// In TLS 1.3 an ECDSA scheme names both curve and hash. In TLS 1.2 it names
/// only the hash, so either curve is tried (webpki checks which one the key has).
fn algorithms_for(scheme: SignatureScheme, tls13: bool) -> Result<Algs, Error> {
    use SignatureScheme as S;
    Ok(match scheme {
        S::ECDSA_SECP256R1_SHA256 if tls13 => P256_SHA256,
        S::ECDSA_SECP384R1_SHA384 if tls13 => P384_SHA384,
        S::ECDSA_SECP521R1_SHA512 if tls13 => P521_SHA512,
        S::ECDSA_SECP256R1_SHA256 => ANY_EC_SHA256,
        S::ECDSA_SECP384R1_SHA384 => ANY_EC_SHA384,
        S::ECDSA_SECP521R1_SHA512 => ANY_EC_SHA512,
        S::RSA_PSS_RSAE_SHA256 => PSS_SHA256,
        S::RSA_PSS_RSAE_SHA384 => PSS_SHA384,
        S::RSA_PSS_RSAE_SHA512 => PSS_SHA512,
        S::RSA_PSS_PSS_SHA256 => PSS_PSS_SHA256,
        S::RSA_PSS_PSS_SHA384 => PSS_PSS_SHA384,
        S::RSA_PSS_PSS_SHA512 => PSS_PSS_SHA512,
        S::RSA_PKCS1_SHA256 | S::RSA_PKCS1_SHA384 | S::RSA_PKCS1_SHA512 if tls13 => {
            return Err(Error::protocol(
                AlertDescription::ILLEGAL_PARAMETER,
                format!("signature scheme {scheme:?} is not allowed in TLS 1.3"),
            ))
        }
        S::RSA_PKCS1_SHA256 => PKCS1_SHA256,
        S::RSA_PKCS1_SHA384 => PKCS1_SHA384,
        S::RSA_PKCS1_SHA512 => PKCS1_SHA512,
        S::RSA_PKCS1_SHA1 | S::ECDSA_SHA1 => {
            return Err(Error::protocol(
                AlertDescription::ILLEGAL_PARAMETER,
                format!("signature scheme {scheme:?} (SHA-1) is not allowed"),
            ))
        }
        _ => {
            return Err(Error::protocol(
                AlertDescription::ILLEGAL_PARAMETER,
                format!("unsupported signature scheme {scheme:?}"),
            ))
        }
    })
}

/// Verifies `sig` over `msg` with the end-entity certificate's key.
/// A bad signature is `decrypt_error`; a scheme not allowed (for TLS 1.3: pkcs1, SHA-1) is `illegal_parameter`.
pub(crate) fn verify_signature(
    end_entity_der: &[u8],
    scheme: SignatureScheme,
    msg: &[u8],
    sig: &[u8],
    tls13: bool,
) -> Result<(), Error> {
    let candidates = algorithms_for(scheme, tls13)?;
    let der = CertificateDer::from(end_entity_der);
    let cert = webpki::EndEntityCert::try_from(&der).map_err(|e| {
        Error::protocol(
            AlertDescription::BAD_CERTIFICATE,
            format!("cannot parse end-entity certificate: {e}"),
        )
    })?;
    for alg in candidates {
        #[allow(deprecated)]
        match cert.verify_signature(*alg, msg, sig) {
            Ok(()) => return Ok(()),
            // This algorithm is for another key type or curve: try the next.
            Err(webpki::Error::UnsupportedSignatureAlgorithmForPublicKey)
            | Err(webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_)) => continue,
            Err(_) => {
                return Err(Error::protocol(
                    AlertDescription::DECRYPT_ERROR,
                    format!("invalid {scheme:?} signature"),
                ))
            }
        }
    }
    Err(Error::protocol(
        AlertDescription::ILLEGAL_PARAMETER,
        format!("signature scheme {scheme:?} does not match the certificate's public key"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::sign::SigningKey;
    use rustls_pki_types::pem::PemObject;

    macro_rules! data {
        ($f:literal) => {
            &include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/", $f))[..]
        };
    }

    fn leaf(pem: &[u8]) -> Vec<u8> {
        CertificateDer::from_pem_slice(pem).unwrap().to_vec()
    }

    fn alert(r: Result<(), Error>) -> Option<AlertDescription> {
        r.unwrap_err().sent_alert()
    }

    #[test]
    fn tls13_refuses_pkcs1_and_sha1() {
        use SignatureScheme as S;
        let key = SigningKey::from_pem(data!("server-rsa.key")).unwrap();
        let cert = leaf(data!("server-rsa.pem"));
        let sig = key.sign(S::RSA_PKCS1_SHA256, b"m").unwrap();
        verify_signature(&cert, S::RSA_PKCS1_SHA256, b"m", &sig, false).unwrap();
        assert_eq!(
            alert(verify_signature(
                &cert,
                S::RSA_PKCS1_SHA256,
                b"m",
                &sig,
                true
            )),
            Some(AlertDescription::ILLEGAL_PARAMETER)
        );
        for s in [
            S::RSA_PKCS1_SHA1,
            S::ECDSA_SHA1,
            S::RSA_PSS_PSS_SHA256,
            S::ED448,
            S(0x1234),
        ] {
            for tls13 in [false, true] {
                assert_eq!(
                    alert(verify_signature(&cert, s, b"m", &sig, tls13)),
                    Some(AlertDescription::ILLEGAL_PARAMETER)
                );
            }
        }
    }

    #[test]
    fn scheme_must_match_key() {
        use SignatureScheme as S;
        let rsa = leaf(data!("server-rsa.pem"));
        let p256 = leaf(data!("server-p256.pem"));
        let p384 = leaf(data!("server-p384.pem"));
        let k256 = SigningKey::from_pem(data!("server-p256.key")).unwrap();
        let sig = k256.sign(S::ECDSA_SECP256R1_SHA256, b"m").unwrap();
        // ECDSA scheme against an RSA certificate.
        assert_eq!(
            alert(verify_signature(
                &rsa,
                S::ECDSA_SECP256R1_SHA256,
                b"m",
                &sig,
                true
            )),
            Some(AlertDescription::ILLEGAL_PARAMETER)
        );
        // RSA scheme against an ECDSA certificate.
        assert_eq!(
            alert(verify_signature(
                &p256,
                S::RSA_PSS_RSAE_SHA256,
                b"m",
                &sig,
                true
            )),
            Some(AlertDescription::ILLEGAL_PARAMETER)
        );
        // TLS 1.3: curve must match the scheme.
        assert_eq!(
            alert(verify_signature(
                &p384,
                S::ECDSA_SECP256R1_SHA256,
                b"m",
                &sig,
                true
            )),
            Some(AlertDescription::ILLEGAL_PARAMETER)
        );
        // An rsa_pss_rsae signature does not verify with an RSA-PSS (id-RSASSA-PSS)
        // certificate, nor rsa_pss_pss with an rsaEncryption one, though the
        // signatures are the same bytes: the scheme names the key type.
        let pss = leaf(data!("server-rsa-pss.pem"));
        let kpss = SigningKey::from_pem(data!("server-rsa-pss.key")).unwrap();
        let sig_pss = kpss.sign(S::RSA_PSS_PSS_SHA256, b"m").unwrap();
        verify_signature(&pss, S::RSA_PSS_PSS_SHA256, b"m", &sig_pss, true).unwrap();
        assert_eq!(
            alert(verify_signature(
                &pss,
                S::RSA_PSS_RSAE_SHA256,
                b"m",
                &sig_pss,
                true
            )),
            Some(AlertDescription::ILLEGAL_PARAMETER)
        );
        let krsa = SigningKey::from_pem(data!("server-rsa.key")).unwrap();
        let sig_rsae = krsa.sign(S::RSA_PSS_RSAE_SHA256, b"m").unwrap();
        assert_eq!(
            alert(verify_signature(
                &rsa,
                S::RSA_PSS_PSS_SHA256,
                b"m",
                &sig_rsae,
                true
            )),
            Some(AlertDescription::ILLEGAL_PARAMETER)
        );
        // TLS 1.3: a P-521 signature is ecdsa_secp521r1_sha512 and nothing else.
        let p521 = leaf(data!("server-p521.pem"));
        let k521 = SigningKey::from_pem(data!("server-p521.key")).unwrap();
        let sig521 = k521.sign(S::ECDSA_SECP521R1_SHA512, b"m").unwrap();
        verify_signature(&p521, S::ECDSA_SECP521R1_SHA512, b"m", &sig521, true).unwrap();
        for s in [S::ECDSA_SECP256R1_SHA256, S::ECDSA_SECP384R1_SHA384] {
            assert_eq!(
                alert(verify_signature(&p521, s, b"m", &sig521, true)),
                Some(AlertDescription::ILLEGAL_PARAMETER)
            );
        }
        assert_eq!(
            alert(verify_signature(
                &p384,
                S::ECDSA_SECP521R1_SHA512,
                b"m",
                &sig521,
                true
            )),
            Some(AlertDescription::ILLEGAL_PARAMETER)
        );
        // TLS 1.2: the scheme only names the hash, so a P-384 key with SHA-256 is a
        // candidate; this signature is from another key, hence decrypt_error.
        assert_eq!(
            alert(verify_signature(
                &p384,
                S::ECDSA_SECP256R1_SHA256,
                b"m",
                &sig,
                false
            )),
            Some(AlertDescription::DECRYPT_ERROR)
        );
    }

    #[test]
    fn garbage_inputs() {
        use SignatureScheme as S;
        let p256 = leaf(data!("server-p256.pem"));
        for sig in [&b""[..], &[0u8; 1], &[0x30, 0x00], &[0xff; 600]] {
            for s in TLS13_VERIFY_SCHEMES {
                let e = verify_signature(&p256, *s, b"m", sig, true).unwrap_err();
                assert!(e.sent_alert().is_some());
            }
        }
        for der in [&b""[..], b"\x30\x03\x02\x01\x01", &p256[..p256.len() / 2]] {
            assert_eq!(
                alert(verify_signature(
                    der,
                    S::ECDSA_SECP256R1_SHA256,
                    b"m",
                    b"s",
                    true
                )),
                Some(AlertDescription::BAD_CERTIFICATE)
            );
        }
    }
}
