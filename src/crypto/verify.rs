//! Signature verification with a certificate's public key, through rustls-webpki.

use crate::error::Error;
use crate::msgs::enums::SignatureScheme;

/// Schemes Baton verifies in CertificateVerify (TLS 1.3), in our preference order.
pub(crate) const TLS13_VERIFY_SCHEMES: &[SignatureScheme] = &[
    SignatureScheme::ECDSA_SECP256R1_SHA256,
    SignatureScheme::ECDSA_SECP384R1_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA256,
    SignatureScheme::RSA_PSS_RSAE_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA512,
];

/// Verifies `sig` over `msg` with the end-entity certificate's key.
/// A bad signature is `decrypt_error`; a scheme not allowed (for TLS 1.3: pkcs1, SHA-1) is `illegal_parameter`.
pub(crate) fn verify_signature(
    end_entity_der: &[u8],
    scheme: SignatureScheme,
    msg: &[u8],
    sig: &[u8],
    tls13: bool,
) -> Result<(), Error> {
    unimplemented!()
}
