//! Private keys that sign handshakes (ECDSA P-256/P-384, RSA).

use crate::error::Error;
use crate::msgs::enums::SignatureScheme;

/// What kind of key a certificate carries; decides the schemes it can sign with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    /// RSA (any size ≥ 2048 accepted).
    Rsa,
    /// ECDSA on P-256.
    EcdsaP256,
    /// ECDSA on P-384.
    EcdsaP384,
}

/// A private signing key, loaded from PEM (PKCS#8, SEC1 `EC PRIVATE KEY`, or PKCS#1 `RSA PRIVATE KEY`).
pub(crate) struct SigningKey {
    _p: (),
}

impl SigningKey {
    pub(crate) fn from_pem(pem: &[u8]) -> Result<Self, Error> {
        unimplemented!()
    }
    pub(crate) fn key_type(&self) -> KeyType {
        unimplemented!()
    }
    /// The first scheme in `offered` (the peer's preference order) this key can sign with.
    /// `tls13` excludes rsa_pkcs1_* and curve-mismatched ECDSA.
    pub(crate) fn choose_scheme(
        &self,
        offered: &[SignatureScheme],
        tls13: bool,
    ) -> Option<SignatureScheme> {
        unimplemented!()
    }
    pub(crate) fn sign(&self, scheme: SignatureScheme, msg: &[u8]) -> Result<Vec<u8>, Error> {
        unimplemented!()
    }
}

impl core::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SigningKey({:?}, <redacted>)", self.key_type())
    }
}
