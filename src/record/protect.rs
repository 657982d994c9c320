//! Per-direction record protection (TLS 1.3 now; TLS 1.2 explicit-nonce later),
//! with sequence numbers and AEAD usage limits.

use crate::crypto::aead::AeadAlg;
use crate::error::Error;
use crate::msgs::enums::ContentType;
use crate::secrets::Secret;

/// The key material of one direction, handed to kTLS (zeroized on drop).
#[derive(Debug)]
pub(crate) struct TrafficKeys {
    pub aead: AeadAlg,
    pub key: Secret,
    pub iv: Secret,
    /// Sequence number of the next record.
    pub seq: u64,
}

/// Seals outgoing records.
pub(crate) struct Encrypter {
    _p: (),
}

impl Encrypter {
    pub(crate) fn new_tls13(aead: AeadAlg, key: &Secret, iv: &[u8; 12]) -> Result<Self, Error> {
        unimplemented!()
    }
    /// Appends one protected record (header, encrypted `plaintext || typ || zeros(pad)`, tag) to `out`.
    /// `plaintext.len() + pad` ≤ 2^14.
    pub(crate) fn seal(
        &mut self,
        typ: ContentType,
        plaintext: &[u8],
        pad: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        unimplemented!()
    }
    /// Records sealed under this key.
    pub(crate) fn seq(&self) -> u64 {
        unimplemented!()
    }
    /// True once this key is near its AEAD confidentiality limit (RFC 8446 §5.5):
    /// a KeyUpdate should be sent now.
    pub(crate) fn wants_rekey(&self) -> bool {
        unimplemented!()
    }
    /// Ciphertext overhead per record (header + inner type + tag).
    pub(crate) fn overhead(&self) -> usize {
        unimplemented!()
    }
    pub(crate) fn traffic_keys(&self) -> TrafficKeys {
        unimplemented!()
    }
}

/// Opens incoming records.
pub(crate) struct Decrypter {
    _p: (),
}

impl Decrypter {
    pub(crate) fn new_tls13(aead: AeadAlg, key: &Secret, iv: &[u8; 12]) -> Result<Self, Error> {
        unimplemented!()
    }
    /// Decrypts a TLS 1.3 record in place. Returns (inner content type, plaintext length);
    /// the plaintext is `payload[..len]`. AEAD failure → `bad_record_mac`; plaintext > 2^14 or
    /// ciphertext > 2^14+256 → `record_overflow`; no non-zero byte (no inner type) → `unexpected_message`.
    pub(crate) fn open(
        &mut self,
        header_bytes: &[u8; 5],
        payload: &mut [u8],
    ) -> Result<(ContentType, usize), Error> {
        unimplemented!()
    }
    pub(crate) fn seq(&self) -> u64 {
        unimplemented!()
    }
    pub(crate) fn traffic_keys(&self) -> TrafficKeys {
        unimplemented!()
    }
}

impl core::fmt::Debug for Encrypter {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Encrypter(<redacted>)")
    }
}

impl core::fmt::Debug for Decrypter {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Decrypter(<redacted>)")
    }
}
