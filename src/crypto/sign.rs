//! Private keys that sign handshakes (ECDSA P-256/P-384/P-521, RSA, RSA-PSS).

use crate::error::Error;
use crate::msgs::enums::SignatureScheme;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, EcdsaSigningAlgorithm, RsaKeyPair};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::PrivateKeyDer;
use zeroize::Zeroize;

/// What kind of key a certificate carries; decides the schemes it can sign with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyType {
    /// RSA (any size ≥ 2048 accepted).
    Rsa,
    /// ECDSA on P-256.
    EcdsaP256,
    /// ECDSA on P-384.
    EcdsaP384,
    /// ECDSA on P-521.
    EcdsaP521,
    /// RSA-PSS: an RSA key whose algorithm is id-RSASSA-PSS (RFC 4055); it signs
    /// only with `rsa_pss_pss_*` (RFC 8446 §4.2.3).
    RsaPss,
}

/// The message signed (and verified against the certificate) to prove that a
/// private key belongs to a certificate.
const KEY_CHECK_MESSAGE: &[u8] = b"baton key check";

enum Inner {
    Ecdsa(EcdsaKeyPair, KeyType),
    Rsa(RsaKeyPair),
    RsaPss(RsaKeyPair),
}

/// A private signing key, loaded from PEM (PKCS#8, SEC1 `EC PRIVATE KEY`, or PKCS#1 `RSA PRIVATE KEY`).
pub(crate) struct SigningKey {
    inner: Inner,
}

/// The ECDSA curves we accept, tried in order, with the signing algorithm for each.
const EC_CURVES: &[(&EcdsaSigningAlgorithm, KeyType)] = &[
    (&sig::ECDSA_P256_SHA256_ASN1_SIGNING, KeyType::EcdsaP256),
    (&sig::ECDSA_P384_SHA384_ASN1_SIGNING, KeyType::EcdsaP384),
    (&sig::ECDSA_P521_SHA512_ASN1_SIGNING, KeyType::EcdsaP521),
];

impl SigningKey {
    pub(crate) fn from_pem(pem: &[u8]) -> Result<Self, Error> {
        let mut der = PrivateKeyDer::from_pem_slice(pem).map_err(|e| {
            use rustls_pki_types::pem::Error as PemError;
            // Never echo PEM contents: they may be key material.
            match e {
                PemError::NoItemsFound => Error::usage(
                    "no private key found in PEM (expected PRIVATE KEY, EC PRIVATE KEY \
                     or RSA PRIVATE KEY; encrypted keys are not supported)",
                ),
                _ => Error::usage("malformed private key PEM"),
            }
        })?;
        let inner = Self::parse_der(&der);
        der.zeroize();
        Ok(Self { inner: inner? })
    }

    fn parse_der(der: &PrivateKeyDer<'_>) -> Result<Inner, Error> {
        match der {
            PrivateKeyDer::Pkcs8(k) => {
                let bytes = k.secret_pkcs8_der();
                if let Some(kp) = super::pss::key_pair_from_pkcs8(bytes)? {
                    return Ok(Inner::RsaPss(kp));
                }
                for (alg, ty) in EC_CURVES {
                    if let Ok(kp) = EcdsaKeyPair::from_pkcs8(alg, bytes) {
                        return Ok(Inner::Ecdsa(kp, *ty));
                    }
                }
                RsaKeyPair::from_pkcs8(bytes).map(Inner::Rsa).map_err(|_| {
                    Error::usage(
                        "unsupported or invalid PKCS#8 private key \
                         (expected ECDSA P-256/P-384/P-521, or RSA or RSA-PSS 2048..8192 bits)",
                    )
                })
            }
            PrivateKeyDer::Sec1(k) => {
                let bytes = k.secret_sec1_der();
                for (alg, ty) in EC_CURVES {
                    if let Ok(kp) = EcdsaKeyPair::from_private_key_der(alg, bytes) {
                        return Ok(Inner::Ecdsa(kp, *ty));
                    }
                }
                Err(Error::usage(
                    "unsupported or invalid EC private key (expected P-256, P-384 or P-521)",
                ))
            }
            PrivateKeyDer::Pkcs1(k) => RsaKeyPair::from_der(k.secret_pkcs1_der())
                .map(Inner::Rsa)
                .map_err(|_| {
                    Error::usage(
                        "unsupported or invalid RSA private key (expected 2048..8192 bits)",
                    )
                }),
            _ => Err(Error::usage("unsupported private key format")),
        }
    }

    pub(crate) fn key_type(&self) -> KeyType {
        match &self.inner {
            Inner::Ecdsa(_, ty) => *ty,
            Inner::Rsa(_) => KeyType::Rsa,
            Inner::RsaPss(_) => KeyType::RsaPss,
        }
    }

    /// True if this key can sign with `scheme` (in TLS 1.3 when `tls13`).
    ///
    /// ECDSA keys sign only with the hash that matches their curve, in both
    /// versions: aws-lc-rs offers no curve/hash-mismatched ECDSA signing.
    fn supports(&self, scheme: SignatureScheme, tls13: bool) -> bool {
        match self.key_type() {
            KeyType::EcdsaP256 => scheme == SignatureScheme::ECDSA_SECP256R1_SHA256,
            KeyType::EcdsaP384 => scheme == SignatureScheme::ECDSA_SECP384R1_SHA384,
            KeyType::EcdsaP521 => scheme == SignatureScheme::ECDSA_SECP521R1_SHA512,
            // Never rsae or PKCS#1: the key is for RSASSA-PSS only (RFC 4055 §1.2).
            KeyType::RsaPss => matches!(
                scheme,
                SignatureScheme::RSA_PSS_PSS_SHA256
                    | SignatureScheme::RSA_PSS_PSS_SHA384
                    | SignatureScheme::RSA_PSS_PSS_SHA512
            ),
            KeyType::Rsa => {
                matches!(
                    scheme,
                    SignatureScheme::RSA_PSS_RSAE_SHA256
                        | SignatureScheme::RSA_PSS_RSAE_SHA384
                        | SignatureScheme::RSA_PSS_RSAE_SHA512
                ) || (!tls13
                    && matches!(
                        scheme,
                        SignatureScheme::RSA_PKCS1_SHA256
                            | SignatureScheme::RSA_PKCS1_SHA384
                            | SignatureScheme::RSA_PKCS1_SHA512
                    ))
            }
        }
    }

    /// The first scheme in `offered` (the peer's preference order) this key can sign with.
    /// `tls13` excludes rsa_pkcs1_* and curve-mismatched ECDSA.
    pub(crate) fn choose_scheme(
        &self,
        offered: &[SignatureScheme],
        tls13: bool,
    ) -> Option<SignatureScheme> {
        offered.iter().copied().find(|s| self.supports(*s, tls13))
    }

    pub(crate) fn sign(&self, scheme: SignatureScheme, msg: &[u8]) -> Result<Vec<u8>, Error> {
        if !self.supports(scheme, false) {
            return Err(Error::internal(format!(
                "{:?} key cannot sign with {scheme:?}",
                self.key_type()
            )));
        }
        let rng = SystemRandom::new();
        match &self.inner {
            Inner::Ecdsa(kp, _) => kp
                .sign(&rng, msg)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| Error::internal("ECDSA signing failed")),
            Inner::Rsa(kp) | Inner::RsaPss(kp) => {
                // `supports` has matched the scheme to the key type above.
                let padding: &'static dyn sig::RsaEncoding = match scheme {
                    SignatureScheme::RSA_PSS_PSS_SHA256 => &sig::RSA_PSS_SHA256,
                    SignatureScheme::RSA_PSS_PSS_SHA384 => &sig::RSA_PSS_SHA384,
                    SignatureScheme::RSA_PSS_PSS_SHA512 => &sig::RSA_PSS_SHA512,
                    SignatureScheme::RSA_PSS_RSAE_SHA256 => &sig::RSA_PSS_SHA256,
                    SignatureScheme::RSA_PSS_RSAE_SHA384 => &sig::RSA_PSS_SHA384,
                    SignatureScheme::RSA_PSS_RSAE_SHA512 => &sig::RSA_PSS_SHA512,
                    SignatureScheme::RSA_PKCS1_SHA256 => &sig::RSA_PKCS1_SHA256,
                    SignatureScheme::RSA_PKCS1_SHA384 => &sig::RSA_PKCS1_SHA384,
                    SignatureScheme::RSA_PKCS1_SHA512 => &sig::RSA_PKCS1_SHA512,
                    _ => return Err(Error::internal("RSA key cannot sign with this scheme")),
                };
                let mut out = vec![0u8; kp.public_modulus_len()];
                kp.sign(padding, &rng, msg, &mut out)
                    .map_err(|_| Error::internal("RSA signing failed"))?;
                Ok(out)
            }
        }
    }

    /// The scheme used to prove key ownership: the key's natural TLS 1.3 scheme.
    fn check_scheme(&self) -> SignatureScheme {
        match self.key_type() {
            KeyType::EcdsaP256 => SignatureScheme::ECDSA_SECP256R1_SHA256,
            KeyType::EcdsaP384 => SignatureScheme::ECDSA_SECP384R1_SHA384,
            KeyType::EcdsaP521 => SignatureScheme::ECDSA_SECP521R1_SHA512,
            KeyType::Rsa => SignatureScheme::RSA_PSS_RSAE_SHA256,
            KeyType::RsaPss => SignatureScheme::RSA_PSS_PSS_SHA256,
        }
    }

    /// True if this key's public half is the one in the certificate `leaf_der`:
    /// we sign a fixed message and verify it with the certificate.
    pub(crate) fn public_key_matches(&self, leaf_der: &[u8]) -> bool {
        let scheme = self.check_scheme();
        match self.sign(scheme, KEY_CHECK_MESSAGE) {
            Ok(sig) => {
                super::verify::verify_signature(leaf_der, scheme, KEY_CHECK_MESSAGE, &sig, true)
                    .is_ok()
            }
            Err(_) => false,
        }
    }
}

impl core::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SigningKey({:?}, <redacted>)", self.key_type())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::verify::verify_signature;
    use crate::error::{AlertDescription, ErrorKind};
    use rustls_pki_types::CertificateDer;

    macro_rules! data {
        ($f:literal) => {
            &include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/", $f))[..]
        };
    }

    fn leaf(pem: &[u8]) -> Vec<u8> {
        CertificateDer::from_pem_slice(pem).unwrap().to_vec()
    }

    const PSS: [SignatureScheme; 3] = [
        SignatureScheme::RSA_PSS_RSAE_SHA256,
        SignatureScheme::RSA_PSS_RSAE_SHA384,
        SignatureScheme::RSA_PSS_RSAE_SHA512,
    ];
    const PSS_PSS: [SignatureScheme; 3] = [
        SignatureScheme::RSA_PSS_PSS_SHA256,
        SignatureScheme::RSA_PSS_PSS_SHA384,
        SignatureScheme::RSA_PSS_PSS_SHA512,
    ];
    const PKCS1: [SignatureScheme; 3] = [
        SignatureScheme::RSA_PKCS1_SHA256,
        SignatureScheme::RSA_PKCS1_SHA384,
        SignatureScheme::RSA_PKCS1_SHA512,
    ];

    /// (key PEM, cert PEM, type, schemes it signs with in TLS 1.2)
    #[allow(clippy::type_complexity)]
    fn cases() -> Vec<(&'static [u8], &'static [u8], KeyType, Vec<SignatureScheme>)> {
        let rsa: Vec<_> = PSS.iter().chain(PKCS1.iter()).copied().collect();
        vec![
            (
                data!("server-rsa.key"),
                data!("server-rsa.pem"),
                KeyType::Rsa,
                rsa.clone(),
            ),
            (
                data!("server-rsa-pkcs1.key"),
                data!("server-rsa.pem"),
                KeyType::Rsa,
                rsa,
            ),
            (
                data!("server-p256.key"),
                data!("server-p256.pem"),
                KeyType::EcdsaP256,
                vec![SignatureScheme::ECDSA_SECP256R1_SHA256],
            ),
            (
                data!("server-p256-sec1.key"),
                data!("server-p256.pem"),
                KeyType::EcdsaP256,
                vec![SignatureScheme::ECDSA_SECP256R1_SHA256],
            ),
            (
                data!("server-p384.key"),
                data!("server-p384.pem"),
                KeyType::EcdsaP384,
                vec![SignatureScheme::ECDSA_SECP384R1_SHA384],
            ),
            (
                data!("server-rsa-pss.key"),
                data!("server-rsa-pss.pem"),
                KeyType::RsaPss,
                PSS_PSS.to_vec(),
            ),
            (
                data!("server-p521.key"),
                data!("server-p521.pem"),
                KeyType::EcdsaP521,
                vec![SignatureScheme::ECDSA_SECP521R1_SHA512],
            ),
            (
                data!("server-p521-sec1.key"),
                data!("server-p521.pem"),
                KeyType::EcdsaP521,
                vec![SignatureScheme::ECDSA_SECP521R1_SHA512],
            ),
            (
                data!("client.key"),
                data!("client.pem"),
                KeyType::EcdsaP256,
                vec![SignatureScheme::ECDSA_SECP256R1_SHA256],
            ),
        ]
    }

    #[test]
    fn load_every_format_and_sign_verify_every_scheme() {
        for (key_pem, cert_pem, ty, schemes) in cases() {
            let key = SigningKey::from_pem(key_pem).unwrap();
            assert_eq!(key.key_type(), ty);
            let cert = leaf(cert_pem);
            assert!(key.public_key_matches(&cert));
            for scheme in schemes {
                let msg = b"the quick brown fox";
                let sig = key.sign(scheme, msg).unwrap();
                let tls13 = !PKCS1.contains(&scheme);
                verify_signature(&cert, scheme, msg, &sig, false).unwrap();
                if tls13 {
                    verify_signature(&cert, scheme, msg, &sig, true).unwrap();
                }
                // Tampered message and signature both fail with decrypt_error.
                let e =
                    verify_signature(&cert, scheme, b"another message", &sig, false).unwrap_err();
                assert_eq!(e.sent_alert(), Some(AlertDescription::DECRYPT_ERROR));
                let mut bad = sig.clone();
                let last = bad.len() - 1;
                bad[last] ^= 1;
                let e = verify_signature(&cert, scheme, msg, &bad, false).unwrap_err();
                assert_eq!(e.sent_alert(), Some(AlertDescription::DECRYPT_ERROR));
            }
        }
    }

    #[test]
    fn same_key_different_encodings() {
        let a = SigningKey::from_pem(data!("server-rsa.key")).unwrap();
        let b = SigningKey::from_pem(data!("server-rsa-pkcs1.key")).unwrap();
        let cert = leaf(data!("server-rsa.pem"));
        // A signature by the PKCS#1-loaded key verifies like one by the PKCS#8-loaded one.
        for k in [&a, &b] {
            let s = k.sign(SignatureScheme::RSA_PSS_RSAE_SHA256, b"m").unwrap();
            verify_signature(&cert, SignatureScheme::RSA_PSS_RSAE_SHA256, b"m", &s, true).unwrap();
        }
    }

    #[test]
    fn mismatched_key_is_detected() {
        let p256 = SigningKey::from_pem(data!("server-p256.key")).unwrap();
        assert!(!p256.public_key_matches(&leaf(data!("client.pem"))));
        assert!(!p256.public_key_matches(&leaf(data!("server-rsa.pem"))));
        assert!(!p256.public_key_matches(&leaf(data!("server-p384.pem"))));
        assert!(!p256.public_key_matches(b"not a certificate"));
        assert!(!p256.public_key_matches(&leaf(data!("server-p521.pem"))));
        let p521 = SigningKey::from_pem(data!("server-p521.key")).unwrap();
        assert!(!p521.public_key_matches(&leaf(data!("ca-p521.pem"))));
        assert!(!p521.public_key_matches(&leaf(data!("server-p384.pem"))));
        let rsa = SigningKey::from_pem(data!("server-rsa.key")).unwrap();
        assert!(!rsa.public_key_matches(&leaf(data!("server-p256.pem"))));
        assert!(!rsa.public_key_matches(&leaf(data!("ca-rsa.pem"))));
    }

    #[test]
    fn choose_scheme_cases() {
        use SignatureScheme as S;
        let rsa = SigningKey::from_pem(data!("server-rsa.key")).unwrap();
        let p256 = SigningKey::from_pem(data!("server-p256.key")).unwrap();
        let p384 = SigningKey::from_pem(data!("server-p384.key")).unwrap();

        let offered = [
            S::RSA_PKCS1_SHA256,
            S::ECDSA_SECP384R1_SHA384,
            S::RSA_PSS_RSAE_SHA384,
            S::ECDSA_SECP256R1_SHA256,
            S::RSA_PSS_RSAE_SHA256,
        ];
        // Peer's order wins.
        assert_eq!(
            rsa.choose_scheme(&offered, false),
            Some(S::RSA_PKCS1_SHA256)
        );
        assert_eq!(
            rsa.choose_scheme(&offered, true),
            Some(S::RSA_PSS_RSAE_SHA384)
        );
        assert_eq!(
            p256.choose_scheme(&offered, true),
            Some(S::ECDSA_SECP256R1_SHA256)
        );
        assert_eq!(
            p384.choose_scheme(&offered, true),
            Some(S::ECDSA_SECP384R1_SHA384)
        );
        // TLS 1.3 RSA with only PKCS#1 offered: nothing.
        assert_eq!(rsa.choose_scheme(&PKCS1, true), None);
        assert_eq!(rsa.choose_scheme(&PKCS1, false), Some(S::RSA_PKCS1_SHA256));
        // An RSA-PSS key signs only rsa_pss_pss_* (RFC 8446 §4.2.3), and an
        // rsaEncryption key never does.
        let pss = SigningKey::from_pem(data!("server-rsa-pss.key")).unwrap();
        let all_rsa: Vec<_> = PSS.iter().chain(&PKCS1).copied().collect();
        for tls13 in [false, true] {
            assert_eq!(pss.choose_scheme(&all_rsa, tls13), None);
            assert_eq!(rsa.choose_scheme(&PSS_PSS, tls13), None);
            let mixed = [S::RSA_PSS_RSAE_SHA384, S::RSA_PSS_PSS_SHA384];
            assert_eq!(
                pss.choose_scheme(&mixed, tls13),
                Some(S::RSA_PSS_PSS_SHA384)
            );
            assert_eq!(
                rsa.choose_scheme(&mixed, tls13),
                Some(S::RSA_PSS_RSAE_SHA384)
            );
        }
        for s in all_rsa {
            assert_eq!(pss.sign(s, b"m").unwrap_err().kind(), ErrorKind::Internal);
        }
        assert!(!pss.public_key_matches(&leaf(data!("server-rsa.pem"))));
        assert!(!rsa.public_key_matches(&leaf(data!("server-rsa-pss.pem"))));
        // P-521 signs only ecdsa_secp521r1_sha512, in both versions.
        let p521 = SigningKey::from_pem(data!("server-p521.key")).unwrap();
        assert_eq!(p521.choose_scheme(&offered, false), None);
        let with521 = [S::ECDSA_SECP384R1_SHA384, S::ECDSA_SECP521R1_SHA512];
        for tls13 in [false, true] {
            assert_eq!(
                p521.choose_scheme(&with521, tls13),
                Some(S::ECDSA_SECP521R1_SHA512)
            );
        }
        // Curve must match the hash.
        assert_eq!(p256.choose_scheme(&[S::ECDSA_SECP384R1_SHA384], true), None);
        assert_eq!(p384.choose_scheme(&[S::ECDSA_SECP256R1_SHA256], true), None);
        // Unknown, SHA-1, PSS-PSS, EdDSA: never chosen.
        let others = [
            S(0xfefe),
            S::RSA_PKCS1_SHA1,
            S::ECDSA_SHA1,
            S::RSA_PSS_PSS_SHA256,
            S::ED25519,
            S::ECDSA_SECP521R1_SHA512,
        ];
        for k in [&rsa, &p256, &p384] {
            assert_eq!(k.choose_scheme(&others, false), None);
            assert_eq!(k.choose_scheme(&[], false), None);
        }
        // sign() refuses schemes the key cannot serve.
        assert_eq!(
            p256.sign(S::RSA_PSS_RSAE_SHA256, b"m").unwrap_err().kind(),
            ErrorKind::Internal
        );
        assert!(rsa.sign(S::ECDSA_SECP256R1_SHA256, b"m").is_err());
        assert!(rsa.sign(S::RSA_PKCS1_SHA1, b"m").is_err());
    }

    #[test]
    fn garbage_pem_is_an_error() {
        let cases: &[&[u8]] = &[
            b"",
            b"hello",
            b"-----BEGIN PRIVATE KEY-----\nnot base64!!\n-----END PRIVATE KEY-----\n",
            b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            b"-----BEGIN EC PRIVATE KEY-----\nMAA=\n-----END EC PRIVATE KEY-----\n",
            b"-----BEGIN RSA PRIVATE KEY-----\nMAA=\n-----END RSA PRIVATE KEY-----\n",
            b"-----BEGIN PRIVATE KEY-----\nMIIB\n",
            b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
            data!("server-rsa.pem"),
        ];
        for c in cases {
            let e = SigningKey::from_pem(c).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Usage, "{e:?}");
        }
        // Truncations of a real key never panic.
        let k = data!("server-p256.key");
        for n in 0..k.len() {
            let _ = SigningKey::from_pem(&k[..n]);
        }
    }

    #[test]
    fn debug_redacts() {
        let k = SigningKey::from_pem(data!("server-p256.key")).unwrap();
        assert_eq!(format!("{k:?}"), "SigningKey(EcdsaP256, <redacted>)");
    }

    #[test]
    fn send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<SigningKey>();
    }
}
