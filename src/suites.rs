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
