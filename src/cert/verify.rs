//! Chain validation through rustls-webpki (never hand-written path validation),
//! the policy's certificate signature schemes as webpki algorithms, and host
//! name checks.

use crate::error::{AlertDescription, Error};
use crate::msgs::enums::SignatureScheme;
use rustls_pki_types::{CertificateDer, ServerName, SignatureVerificationAlgorithm, UnixTime};
use std::time::Duration;
use webpki::aws_lc_rs as algs;

use super::TrustStore;

impl TrustStore {
    /// Validates `chain` (leaf first, DER) for TLS server auth at `now` (Unix seconds),
    /// accepting any signature algorithm the verifier supports.
    /// Same as [`verify_server_chain_with`](Self::verify_server_chain_with) with `None`.
    #[cfg(test)]
    pub(crate) fn verify_server_chain(
        &self,
        chain: &[Vec<u8>],
        now_unix: u64,
    ) -> Result<(), Error> {
        self.verify_server_chain_with(chain, now_unix, None)
    }

    /// Validates `chain` (leaf first, DER) for TLS server auth at `now` (Unix seconds).
    /// unknown issuer → `unknown_ca`; expired/not yet valid → `certificate_expired`; others → `bad_certificate`.
    /// Does NOT check the host name.
    ///
    /// `cert_schemes` is the security policy's `certificate_signature_schemes`: when
    /// `Some`, every signature in the chain (leaf and intermediates; a trust anchor's
    /// own self-signature is never checked) must use one of them, else the chain fails
    /// with `unsupported_certificate` and a message naming the allowed schemes. An
    /// ECDSA scheme allows its hash with any issuer curve, as in s2n-tls, which checks
    /// only the certificate's signature algorithm.
    pub(crate) fn verify_server_chain_with(
        &self,
        chain: &[Vec<u8>],
        now_unix: u64,
        cert_schemes: Option<&[SignatureScheme]>,
    ) -> Result<(), Error> {
        self.verify_chain_for(
            chain,
            now_unix,
            cert_schemes,
            webpki::KeyUsage::server_auth(),
        )
    }

    /// As [`verify_server_chain_with`](Self::verify_server_chain_with), for
    /// the extended key usage `usage` (the client side uses `client_auth`).
    pub(super) fn verify_chain_for(
        &self,
        chain: &[Vec<u8>],
        now_unix: u64,
        cert_schemes: Option<&[SignatureScheme]>,
        usage: webpki::KeyUsage,
    ) -> Result<(), Error> {
        let Some((leaf, rest)) = chain.split_first() else {
            return Err(Error::protocol(
                AlertDescription::BAD_CERTIFICATE,
                "no certificate to verify",
            ));
        };
        let leaf = CertificateDer::from(leaf.as_slice());
        let intermediates: Vec<CertificateDer<'_>> = rest
            .iter()
            .map(|c| CertificateDer::from(c.as_slice()))
            .collect();
        let restricted: Vec<&'static dyn SignatureVerificationAlgorithm>;
        let algs: &[&'static dyn SignatureVerificationAlgorithm] = match cert_schemes {
            None => all_certificate_algorithms(),
            Some(schemes) => {
                restricted = schemes
                    .iter()
                    .flat_map(|&s| certificate_signature_algorithms(s).iter().copied())
                    .collect();
                &restricted
            }
        };
        let ee = webpki::EndEntityCert::try_from(&leaf).map_err(chain_error)?;
        let crls = self.crls.refs();
        ee.verify_for_usage(
            algs,
            &self.anchors,
            &intermediates,
            UnixTime::since_unix_epoch(Duration::from_secs(now_unix)),
            usage,
            self.crls.options(&crls),
            None,
        )
        .map(|_| ())
        .map_err(|e| match cert_schemes {
            Some(schemes) if is_unsupported_algorithm(&e) => Error::protocol(
                AlertDescription::UNSUPPORTED_CERTIFICATE,
                format!(
                    "certificate chain is signed with an algorithm the security policy does \
                     not allow for certificates (allowed: {})",
                    schemes
                        .iter()
                        .map(|s| format!("{s:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            _ => chain_error(e),
        })
    }
}
/// The signature schemes that name a certificate signature algorithm
/// (AlgorithmIdentifier contents), by the same mapping the chain check uses
/// ([`certificate_signature_algorithms`]). An RSA-PSS signature is named by both
/// `rsa_pss_rsae_*` and `rsa_pss_pss_*` of its hash: they differ only in the
/// issuer's key, which does not change the certificate's signature algorithm.
/// The schemes that [`certificate_signature_algorithms`] maps to webpki algorithms.
pub(super) const CERT_SIGNATURE_SCHEMES: [SignatureScheme; 10] = [
    SignatureScheme::ECDSA_SECP256R1_SHA256,
    SignatureScheme::ECDSA_SECP384R1_SHA384,
    SignatureScheme::ECDSA_SECP521R1_SHA512,
    SignatureScheme::RSA_PKCS1_SHA256,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::RSA_PKCS1_SHA512,
    SignatureScheme::RSA_PSS_RSAE_SHA256,
    SignatureScheme::RSA_PSS_RSAE_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA512,
    SignatureScheme::ED25519,
];

pub(super) fn schemes_for_signature_algorithm(alg_id: &[u8]) -> Vec<SignatureScheme> {
    use SignatureScheme as S;
    let mut out = Vec::new();
    for s in CERT_SIGNATURE_SCHEMES {
        if certificate_signature_algorithms(s)
            .iter()
            .any(|a| a.signature_alg_id().as_ref() == alg_id)
        {
            out.push(s);
            out.extend(match s {
                S::RSA_PSS_RSAE_SHA256 => Some(S::RSA_PSS_PSS_SHA256),
                S::RSA_PSS_RSAE_SHA384 => Some(S::RSA_PSS_PSS_SHA384),
                S::RSA_PSS_RSAE_SHA512 => Some(S::RSA_PSS_PSS_SHA512),
                _ => None,
            });
        }
    }
    out
}

type Algs = &'static [&'static dyn SignatureVerificationAlgorithm];

// In a certificate, an ECDSA signature names its hash; the issuer's key decides the
// curve. So an ECDSA scheme allows its hash on every curve.
static ECDSA_SHA256: Algs = &[
    algs::ECDSA_P256_SHA256,
    algs::ECDSA_P384_SHA256,
    algs::ECDSA_P521_SHA256,
];
static ECDSA_SHA384: Algs = &[
    algs::ECDSA_P256_SHA384,
    algs::ECDSA_P384_SHA384,
    algs::ECDSA_P521_SHA384,
];
static ECDSA_SHA512: Algs = &[
    algs::ECDSA_P256_SHA512,
    algs::ECDSA_P384_SHA512,
    algs::ECDSA_P521_SHA512,
];
static PKCS1_SHA256: Algs = &[
    algs::RSA_PKCS1_2048_8192_SHA256,
    algs::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS,
];
static PKCS1_SHA384: Algs = &[
    algs::RSA_PKCS1_2048_8192_SHA384,
    algs::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS,
];
static PKCS1_SHA512: Algs = &[
    algs::RSA_PKCS1_2048_8192_SHA512,
    algs::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS,
];
static PSS_RSAE_SHA256: Algs = &[algs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY];
static PSS_RSAE_SHA384: Algs = &[algs::RSA_PSS_2048_8192_SHA384_LEGACY_KEY];
static PSS_RSAE_SHA512: Algs = &[algs::RSA_PSS_2048_8192_SHA512_LEGACY_KEY];
static ED25519: Algs = &[algs::ED25519];
// rsa_pss_pss_*: an RSASSA-PSS certificate signature by an issuer whose key is
// id-RSASSA-PSS, which webpki has no algorithm for (see `crypto::pss`).
static PSS_PSS_SHA256: Algs = &[&crate::crypto::pss::PSS_KEY_SHA256];
static PSS_PSS_SHA384: Algs = &[&crate::crypto::pss::PSS_KEY_SHA384];
static PSS_PSS_SHA512: Algs = &[&crate::crypto::pss::PSS_KEY_SHA512];

/// Every algorithm an unrestricted chain check accepts: webpki's, plus RSA-PSS
/// signatures by issuers with RSA-PSS keys.
pub(super) fn all_certificate_algorithms() -> Algs {
    static ALL: std::sync::OnceLock<Vec<&'static dyn SignatureVerificationAlgorithm>> =
        std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        let mut v = webpki::ALL_VERIFICATION_ALGS.to_vec();
        v.extend([PSS_PSS_SHA256, PSS_PSS_SHA384, PSS_PSS_SHA512].concat());
        v
    })
}

/// The webpki algorithms that verify a certificate signature made with `scheme`;
/// empty for schemes we cannot verify in certificates (SHA-1, SHA-224, Ed448),
/// so a policy listing them allows nothing more.
pub(crate) fn certificate_signature_algorithms(scheme: SignatureScheme) -> Algs {
    use SignatureScheme as S;
    match scheme {
        S::ECDSA_SECP256R1_SHA256 => ECDSA_SHA256,
        S::ECDSA_SECP384R1_SHA384 => ECDSA_SHA384,
        S::ECDSA_SECP521R1_SHA512 => ECDSA_SHA512,
        S::RSA_PKCS1_SHA256 => PKCS1_SHA256,
        S::RSA_PKCS1_SHA384 => PKCS1_SHA384,
        S::RSA_PKCS1_SHA512 => PKCS1_SHA512,
        S::RSA_PSS_RSAE_SHA256 => PSS_RSAE_SHA256,
        S::RSA_PSS_RSAE_SHA384 => PSS_RSAE_SHA384,
        S::RSA_PSS_RSAE_SHA512 => PSS_RSAE_SHA512,
        S::RSA_PSS_PSS_SHA256 => PSS_PSS_SHA256,
        S::RSA_PSS_PSS_SHA384 => PSS_PSS_SHA384,
        S::RSA_PSS_PSS_SHA512 => PSS_PSS_SHA512,
        S::ED25519 => ED25519,
        _ => &[],
    }
}

/// True for webpki's "no allowed algorithm verifies this signature" errors.
#[allow(deprecated)]
fn is_unsupported_algorithm(e: &webpki::Error) -> bool {
    use webpki::Error as E;
    matches!(
        e,
        E::UnsupportedSignatureAlgorithm
            | E::UnsupportedSignatureAlgorithmContext(_)
            | E::UnsupportedSignatureAlgorithmForPublicKey
            | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_)
    )
}

/// Maps a webpki path-validation error to our error with the right alert.
// The deprecated unit variants are matched too, in case webpki still returns them.
#[allow(deprecated)]
pub(super) fn chain_error(e: webpki::Error) -> Error {
    use webpki::Error as E;
    let (alert, msg): (AlertDescription, std::borrow::Cow<'static, str>) = match e {
        E::UnknownIssuer => (
            AlertDescription::UNKNOWN_CA,
            "certificate chain is not trusted: unknown issuer".into(),
        ),
        E::CertExpired { .. } => (
            AlertDescription::CERTIFICATE_EXPIRED,
            "certificate expired".into(),
        ),
        E::CertNotValidYet { .. } => (
            AlertDescription::CERTIFICATE_EXPIRED,
            "certificate is not valid yet".into(),
        ),
        E::CertRevoked => (
            AlertDescription::CERTIFICATE_REVOKED,
            "a certificate in the chain is revoked (CRL)".into(),
        ),
        E::UnknownRevocationStatus => (
            AlertDescription::CERTIFICATE_UNKNOWN,
            "no CRL covers a certificate in the chain".into(),
        ),
        E::CrlExpired { .. } => (
            AlertDescription::CERTIFICATE_UNKNOWN,
            "a CRL for the chain is past its nextUpdate".into(),
        ),
        E::BadDer | E::BadDerTime | E::TrailingData(_) => (
            AlertDescription::BAD_CERTIFICATE,
            "malformed certificate".into(),
        ),
        E::CaUsedAsEndEntity => (
            AlertDescription::BAD_CERTIFICATE,
            "a CA certificate was presented as the end-entity certificate".into(),
        ),
        E::EndEntityUsedAsCa => (
            AlertDescription::BAD_CERTIFICATE,
            "an end-entity certificate was used as a CA".into(),
        ),
        E::RequiredEkuNotFound | E::RequiredEkuNotFoundContext(_) => (
            AlertDescription::BAD_CERTIFICATE,
            "certificate is not valid for TLS server authentication (extended key usage)".into(),
        ),
        E::InvalidSignatureForPublicKey => (
            AlertDescription::BAD_CERTIFICATE,
            "invalid signature in certificate chain".into(),
        ),
        E::UnsupportedSignatureAlgorithm
        | E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKey
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => (
            AlertDescription::BAD_CERTIFICATE,
            "unsupported signature algorithm in certificate chain".into(),
        ),
        other => (
            AlertDescription::BAD_CERTIFICATE,
            format!("invalid certificate: {other:?}").into(),
        ),
    };
    Error::protocol(alert, msg)
}

/// Checks the leaf is valid for `name` (DNS name or IP address literal); failure → `bad_certificate`
/// with a message naming the host.
pub(crate) fn check_host_name(leaf_der: &[u8], name: &str) -> Result<(), Error> {
    let not_valid = || {
        Error::protocol(
            AlertDescription::BAD_CERTIFICATE,
            format!("certificate is not valid for host {name}"),
        )
    };
    let server_name = ServerName::try_from(name).map_err(|_| {
        Error::protocol(
            AlertDescription::BAD_CERTIFICATE,
            format!(
                "certificate is not valid for host {name} (not a valid DNS name or IP address)"
            ),
        )
    })?;
    let der = CertificateDer::from(leaf_der);
    let ee = webpki::EndEntityCert::try_from(&der).map_err(chain_error)?;
    ee.verify_is_valid_for_subject_name(&server_name)
        .map_err(|_| not_valid())
}

/// The DNS names (SAN dNSName) of a leaf certificate, for verify-host callbacks.
pub(crate) fn leaf_dns_names(leaf_der: &[u8]) -> Result<Vec<String>, Error> {
    let der = CertificateDer::from(leaf_der);
    let ee = webpki::EndEntityCert::try_from(&der).map_err(chain_error)?;
    Ok(ee.valid_dns_names().map(str::to_owned).collect())
}
