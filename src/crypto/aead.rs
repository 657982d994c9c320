//! AEAD seal/open for record protection.

use crate::error::Error;

/// A record AEAD.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AeadAlg {
    Aes128Gcm,
    Aes256Gcm,
    ChaCha20Poly1305,
}

impl AeadAlg {
    pub(crate) fn key_len(self) -> usize {
        unimplemented!()
    }
    pub(crate) const TAG_LEN: usize = 16;
    pub(crate) const NONCE_LEN: usize = 12;
}

/// One direction's AEAD key.
pub(crate) struct AeadKey {
    _p: (),
}

impl AeadKey {
    pub(crate) fn new(alg: AeadAlg, key: &[u8]) -> Result<Self, Error> {
        unimplemented!()
    }
    pub(crate) fn alg(&self) -> AeadAlg {
        unimplemented!()
    }
    /// Encrypts `buf[start..]` in place and appends the tag.
    pub(crate) fn seal_in_place(
        &self,
        nonce: [u8; 12],
        aad: &[u8],
        buf: &mut Vec<u8>,
        start: usize,
    ) -> Result<(), Error> {
        unimplemented!()
    }
    /// Decrypts `buf` (ciphertext || tag) in place; returns the plaintext length.
    /// Failure is `bad_record_mac`.
    pub(crate) fn open_in_place(
        &self,
        nonce: [u8; 12],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<usize, Error> {
        unimplemented!()
    }
}

impl core::fmt::Debug for AeadKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("AeadKey(<redacted>)")
    }
}
