//! Cipher suites Baton implements, as static tables.

use crate::crypto::aead::AeadAlg;
use crate::crypto::hash::HashAlg;
use crate::msgs::enums::CipherSuite;

/// A TLS 1.3 suite: AEAD + hash.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Tls13Suite {
    pub suite: CipherSuite,
    pub hash: HashAlg,
    pub aead: AeadAlg,
}

pub(crate) static TLS13_AES_128_GCM_SHA256: Tls13Suite = Tls13Suite {
    suite: CipherSuite::TLS13_AES_128_GCM_SHA256,
    hash: HashAlg::Sha256,
    aead: AeadAlg::Aes128Gcm,
};
pub(crate) static TLS13_AES_256_GCM_SHA384: Tls13Suite = Tls13Suite {
    suite: CipherSuite::TLS13_AES_256_GCM_SHA384,
    hash: HashAlg::Sha384,
    aead: AeadAlg::Aes256Gcm,
};
pub(crate) static TLS13_CHACHA20_POLY1305_SHA256: Tls13Suite = Tls13Suite {
    suite: CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
    hash: HashAlg::Sha256,
    aead: AeadAlg::ChaCha20Poly1305,
};

pub(crate) static TLS13_SUITES: &[&Tls13Suite] = &[
    &TLS13_AES_128_GCM_SHA256,
    &TLS13_AES_256_GCM_SHA384,
    &TLS13_CHACHA20_POLY1305_SHA256,
];

pub(crate) fn tls13_suite(cs: CipherSuite) -> Option<&'static Tls13Suite> {
    TLS13_SUITES.iter().copied().find(|s| s.suite == cs)
}

/// How a TLS 1.2 suite's server proves its identity: the certificate key type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Auth {
    Ecdsa,
    Rsa,
}

impl Auth {
    pub(crate) fn matches(self, key: crate::crypto::sign::KeyType) -> bool {
        use crate::crypto::sign::KeyType;
        matches!(
            (self, key),
            (Auth::Rsa, KeyType::Rsa | KeyType::RsaPss)
                | (
                    Auth::Ecdsa,
                    KeyType::EcdsaP256 | KeyType::EcdsaP384 | KeyType::EcdsaP521
                )
        )
    }
}

/// A TLS 1.2 ECDHE suite: AEAD, PRF hash and the server's key type.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Tls12Suite {
    pub suite: CipherSuite,
    pub hash: HashAlg,
    pub aead: AeadAlg,
    pub auth: Auth,
}

macro_rules! tls12_suites {
    ($($name:ident: $hash:ident, $aead:ident, $auth:ident;)*) => {
        $(pub(crate) static $name: Tls12Suite = Tls12Suite {
            suite: CipherSuite::$name,
            hash: HashAlg::$hash,
            aead: AeadAlg::$aead,
            auth: Auth::$auth,
        };)*
        pub(crate) static TLS12_SUITES: &[&Tls12Suite] = &[$(&$name),*];
    };
}

tls12_suites! {
    TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: Sha256, Aes128Gcm, Ecdsa;
    TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: Sha256, Aes128Gcm, Rsa;
    TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: Sha384, Aes256Gcm, Ecdsa;
    TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: Sha384, Aes256Gcm, Rsa;
    TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: Sha256, ChaCha20Poly1305, Ecdsa;
    TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: Sha256, ChaCha20Poly1305, Rsa;
}

pub(crate) fn tls12_suite(cs: CipherSuite) -> Option<&'static Tls12Suite> {
    TLS12_SUITES.iter().copied().find(|s| s.suite == cs)
}

/// True for the ChaCha20-Poly1305 suites of either version (ChaCha20 boosting).
pub(crate) fn is_chacha20(cs: CipherSuite) -> bool {
    tls13_suite(cs).map(|s| s.aead) == Some(AeadAlg::ChaCha20Poly1305)
        || tls12_suite(cs).map(|s| s.aead) == Some(AeadAlg::ChaCha20Poly1305)
}
