//! RSA-PSS keys: those whose algorithm is id-RSASSA-PSS (RFC 4055) rather than
//! rsaEncryption, as `openssl genpkey -algorithm RSA-PSS` makes them. They sign
//! only with `rsa_pss_pss_*` (RFC 8446 §4.2.3).
//!
//! Neither aws-lc-rs nor webpki takes them as they come: `RsaKeyPair::from_pkcs8`
//! accepts rsaEncryption PKCS#8 only, and webpki has no algorithm for an
//! id-RSASSA-PSS SubjectPublicKeyInfo. So we unwrap the PKCS#8 envelope (checking
//! that it names id-RSASSA-PSS) and hand the RSAPrivateKey inside to aws-lc-rs,
//! which parses and checks it; and we give webpki a verification algorithm whose
//! public key is id-RSASSA-PSS, verified by aws-lc-rs, for handshake signatures
//! and for certificates issued by such a key (`cert::verify`). Keys whose algorithm
//! carries RSASSA-PSS-params (a hash restriction) are refused: honouring the
//! restriction would need its parameters parsed, and signing outside it would
//! break the key's contract.

use crate::cert::der_next as read_der;
use crate::error::Error;
use aws_lc_rs::signature::{self as sig, RsaKeyPair};
use rustls_pki_types::SignatureVerificationAlgorithm as Verify;
use rustls_pki_types::{alg_id, AlgorithmIdentifier, InvalidSignature};

/// The contents of an AlgorithmIdentifier that is id-RSASSA-PSS
/// (1.2.840.113549.1.1.10) with no parameters.
const RSASSA_PSS_NO_PARAMS: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a,
];

/// The DER of OBJECT IDENTIFIER id-RSASSA-PSS (tag, length, value): all of
/// [`RSASSA_PSS_NO_PARAMS`], since that has nothing after the OID.
const RSASSA_PSS_OID: &[u8] = RSASSA_PSS_NO_PARAMS;

/// What the PKCS#8 envelope says about an RSA-PSS key.
pub(crate) enum Pkcs8Pss<'a> {
    /// Not an id-RSASSA-PSS key: some other algorithm, or not PKCS#8 at all.
    NotPss,
    /// id-RSASSA-PSS with parameters, which we do not support.
    WithParameters,
    /// id-RSASSA-PSS with no parameters: the RSAPrivateKey (PKCS#1) inside.
    Key(&'a [u8]),
}

/// Looks into a PKCS#8 PrivateKeyInfo (RFC 5208; version 0 or 1, RFC 5958)
/// for an id-RSASSA-PSS key.
pub(crate) fn unwrap_pkcs8(der: &[u8]) -> Pkcs8Pss<'_> {
    let inner = || -> Option<Pkcs8Pss<'_>> {
        let (0x30, info, _) = read_der(der)? else {
            return None;
        };
        let (0x02, version, rest) = read_der(info)? else {
            return None;
        };
        if version != [0] && version != [1] {
            return None;
        }
        let (0x30, alg, rest) = read_der(rest)? else {
            return None;
        };
        let (0x04, key, _) = read_der(rest)? else {
            return None;
        };
        Some(if alg == RSASSA_PSS_NO_PARAMS {
            Pkcs8Pss::Key(key)
        } else if alg.starts_with(RSASSA_PSS_OID) {
            Pkcs8Pss::WithParameters
        } else {
            Pkcs8Pss::NotPss
        })
    };
    inner().unwrap_or(Pkcs8Pss::NotPss)
}

/// Loads a PKCS#8 id-RSASSA-PSS key; `Ok(None)` if it is not one.
pub(crate) fn key_pair_from_pkcs8(der: &[u8]) -> Result<Option<RsaKeyPair>, Error> {
    match unwrap_pkcs8(der) {
        Pkcs8Pss::NotPss => Ok(None),
        Pkcs8Pss::WithParameters => Err(Error::usage(
            "RSA-PSS private key with parameters (a hash restriction) is not supported; \
             generate it without -pkeyopt rsa_pss_keygen_* options",
        )),
        Pkcs8Pss::Key(rsa) => RsaKeyPair::from_der(rsa).map(Some).map_err(|_| {
            Error::usage("invalid RSA-PSS private key (expected RSA 2048..8192 bits)")
        }),
    }
}

/// Verifies RSASSA-PSS signatures with an id-RSASSA-PSS public key (no
/// parameters), for webpki. Salt length = hash length, as TLS requires.
#[derive(Debug)]
pub(crate) struct PssKeyAlgorithm {
    verify: &'static sig::RsaParameters,
    /// The signature algorithm a certificate names for this hash (the same
    /// RSASSA-PSS-params whatever the issuer's key type).
    signature_alg: AlgorithmIdentifier,
}

impl Verify for PssKeyAlgorithm {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        // `public_key` is the subjectPublicKey: an RSAPublicKey, as with rsaEncryption.
        sig::UnparsedPublicKey::new(self.verify, public_key)
            .verify(message, signature)
            .map_err(|_| InvalidSignature)
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        AlgorithmIdentifier::from_slice(RSASSA_PSS_NO_PARAMS)
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        self.signature_alg
    }
}

pub(crate) static PSS_KEY_SHA256: PssKeyAlgorithm = PssKeyAlgorithm {
    verify: &sig::RSA_PSS_2048_8192_SHA256,
    signature_alg: alg_id::RSA_PSS_SHA256,
};
pub(crate) static PSS_KEY_SHA384: PssKeyAlgorithm = PssKeyAlgorithm {
    verify: &sig::RSA_PSS_2048_8192_SHA384,
    signature_alg: alg_id::RSA_PSS_SHA384,
};
pub(crate) static PSS_KEY_SHA512: PssKeyAlgorithm = PssKeyAlgorithm {
    verify: &sig::RSA_PSS_2048_8192_SHA512,
    signature_alg: alg_id::RSA_PSS_SHA512,
};

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::PrivateKeyDer;

    fn pkcs8(pem: &[u8]) -> Vec<u8> {
        match PrivateKeyDer::from_pem_slice(pem).unwrap() {
            PrivateKeyDer::Pkcs8(k) => k.secret_pkcs8_der().to_vec(),
            _ => panic!("not PKCS#8"),
        }
    }

    #[test]
    fn only_parameterless_pss_keys_unwrap() {
        let pss = pkcs8(include_bytes!("../../tests/data/server-rsa-pss.key"));
        assert!(matches!(unwrap_pkcs8(&pss), Pkcs8Pss::Key(_)));
        assert!(key_pair_from_pkcs8(&pss).unwrap().is_some());
        // aws-lc-rs alone refuses it: the reason this module exists.
        assert!(RsaKeyPair::from_pkcs8(&pss).is_err());
        for other in [
            &pkcs8(include_bytes!("../../tests/data/server-rsa.key"))[..],
            &pkcs8(include_bytes!("../../tests/data/server-p256.key")),
            b"",
            &[0x30, 0x80],
        ] {
            assert!(matches!(unwrap_pkcs8(other), Pkcs8Pss::NotPss));
            assert!(key_pair_from_pkcs8(other).unwrap().is_none());
        }
        // The same key with RSASSA-PSS-params (SHA-256 restriction) in its
        // AlgorithmIdentifier: refused, not used beyond its restriction.
        let mut restricted = Vec::new();
        let params: &[u8] = &[
            0x30, 0x0f, 0xa0, 0x0d, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
            0x04, 0x02, 0x01,
        ];
        // Rebuild: outer SEQUENCE { version, AlgorithmIdentifier+params, key }.
        let (_, info, _) = read_der(&pss).unwrap();
        let (_, _, after_version) = read_der(info).unwrap();
        let (_, _, after_alg) = read_der(after_version).unwrap();
        let mut body = vec![0x02, 0x01, 0x00];
        let alg_len = RSASSA_PSS_NO_PARAMS.len() + params.len();
        body.extend([0x30, alg_len as u8]);
        body.extend(RSASSA_PSS_NO_PARAMS);
        body.extend(params);
        body.extend(after_alg);
        restricted.extend([0x30, 0x82, (body.len() >> 8) as u8, body.len() as u8]);
        restricted.extend(body);
        assert!(matches!(
            unwrap_pkcs8(&restricted),
            Pkcs8Pss::WithParameters
        ));
        let e = key_pair_from_pkcs8(&restricted).err().unwrap();
        assert!(e.to_string().contains("parameters"), "{e}");
    }

    #[test]
    fn truncations_and_bad_lengths_never_panic() {
        let pss = pkcs8(include_bytes!("../../tests/data/server-rsa-pss.key"));
        for n in 0..pss.len() {
            assert!(!matches!(unwrap_pkcs8(&pss[..n]), Pkcs8Pss::Key(_)));
        }
        // Lengths beyond the input.
        for bad in [&[0x30, 0x81, 0x85, 0, 0][..], &[0x30, 0x84, 1, 0, 0, 0]] {
            assert!(matches!(unwrap_pkcs8(bad), Pkcs8Pss::NotPss));
        }
    }
}
