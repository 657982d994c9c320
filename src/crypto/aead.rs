//! AEAD seal/open for record protection.
// Some items are not used yet: `alg` is read by the kTLS hand-off next.
#![allow(dead_code)]

use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};

use crate::error::{AlertDescription, Error};

/// A record AEAD.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AeadAlg {
    Aes128Gcm,
    Aes256Gcm,
    ChaCha20Poly1305,
}

impl AeadAlg {
    pub(crate) fn key_len(self) -> usize {
        match self {
            AeadAlg::Aes128Gcm => 16,
            AeadAlg::Aes256Gcm | AeadAlg::ChaCha20Poly1305 => 32,
        }
    }
    pub(crate) const TAG_LEN: usize = 16;
    pub(crate) const NONCE_LEN: usize = 12;

    fn algorithm(self) -> &'static aead::Algorithm {
        match self {
            AeadAlg::Aes128Gcm => &aead::AES_128_GCM,
            AeadAlg::Aes256Gcm => &aead::AES_256_GCM,
            AeadAlg::ChaCha20Poly1305 => &aead::CHACHA20_POLY1305,
        }
    }
}

/// One direction's AEAD key.
pub(crate) struct AeadKey {
    alg: AeadAlg,
    key: LessSafeKey,
}

impl AeadKey {
    /// A key of the wrong length is an internal error (keys come from our key schedule).
    pub(crate) fn new(alg: AeadAlg, key: &[u8]) -> Result<Self, Error> {
        if key.len() != alg.key_len() {
            return Err(Error::internal("AEAD key has the wrong length"));
        }
        let unbound = UnboundKey::new(alg.algorithm(), key)
            .map_err(|_| Error::internal("AEAD key rejected"))?;
        Ok(Self {
            alg,
            key: LessSafeKey::new(unbound),
        })
    }
    pub(crate) fn alg(&self) -> AeadAlg {
        self.alg
    }
    /// Encrypts `buf[start..]` in place and appends the tag.
    pub(crate) fn seal_in_place(
        &self,
        nonce: [u8; 12],
        aad: &[u8],
        buf: &mut Vec<u8>,
        start: usize,
    ) -> Result<(), Error> {
        let Some(region) = buf.get_mut(start..) else {
            return Err(Error::internal("AEAD seal start past end of buffer"));
        };
        let tag = self
            .key
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), region)
            .map_err(|_| Error::internal("AEAD seal failed"))?;
        buf.extend_from_slice(tag.as_ref());
        Ok(())
    }
    /// Decrypts `buf` (ciphertext || tag) in place; returns the plaintext length.
    /// Failure is `bad_record_mac`.
    pub(crate) fn open_in_place(
        &self,
        nonce: [u8; 12],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<usize, Error> {
        if buf.len() < AeadAlg::TAG_LEN {
            return Err(bad_record_mac());
        }
        self.key
            .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(aad), buf)
            .map(|pt| pt.len())
            .map_err(|_| bad_record_mac())
    }
}

#[track_caller]
fn bad_record_mac() -> Error {
    Error::protocol(
        AlertDescription::BAD_RECORD_MAC,
        "record failed authentication",
    )
}

impl core::fmt::Debug for AeadKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("AeadKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls13::rfc8448::unhex;

    const ALGS: [AeadAlg; 3] = [
        AeadAlg::Aes128Gcm,
        AeadAlg::Aes256Gcm,
        AeadAlg::ChaCha20Poly1305,
    ];

    fn key_for(alg: AeadAlg) -> AeadKey {
        let bytes: Vec<u8> = (0..alg.key_len() as u8).collect();
        AeadKey::new(alg, &bytes).unwrap()
    }

    fn assert_bad_mac(r: Result<usize, Error>) {
        let e = r.unwrap_err();
        assert_eq!(e.sent_alert(), Some(AlertDescription::BAD_RECORD_MAC));
    }

    #[test]
    fn roundtrip_all_algs() {
        for alg in ALGS {
            let key = key_for(alg);
            assert_eq!(key.alg(), alg);
            let nonce = [7u8; 12];
            let mut buf = b"prefix".to_vec();
            buf.extend_from_slice(b"hello, world");
            key.seal_in_place(nonce, b"aad", &mut buf, 6).unwrap();
            assert_eq!(&buf[..6], b"prefix");
            assert_eq!(buf.len(), 6 + 12 + AeadAlg::TAG_LEN);
            assert_ne!(&buf[6..18], b"hello, world");
            let n = key.open_in_place(nonce, b"aad", &mut buf[6..]).unwrap();
            assert_eq!(n, 12);
            assert_eq!(&buf[6..18], b"hello, world");
            // Empty plaintext.
            let mut e = Vec::new();
            key.seal_in_place(nonce, b"", &mut e, 0).unwrap();
            assert_eq!(e.len(), 16);
            assert_eq!(key.open_in_place(nonce, b"", &mut e).unwrap(), 0);
        }
    }

    #[test]
    fn tampering_is_bad_record_mac() {
        for alg in ALGS {
            let key = key_for(alg);
            let nonce = [1u8; 12];
            let mut sealed = b"attack at dawn".to_vec();
            key.seal_in_place(nonce, b"hdr", &mut sealed, 0).unwrap();
            let n = sealed.len();
            for i in [0, n - 17, n - 16, n - 1] {
                let mut t = sealed.clone();
                t[i] ^= 1;
                assert_bad_mac(key.open_in_place(nonce, b"hdr", &mut t));
            }
            assert_bad_mac(key.open_in_place(nonce, b"hdX", &mut sealed.clone()));
            assert_bad_mac(key.open_in_place([2u8; 12], b"hdr", &mut sealed.clone()));
            assert_bad_mac(key.open_in_place(nonce, b"hdr", &mut sealed.clone()[..n - 1]));
            assert_bad_mac(key.open_in_place(nonce, b"hdr", &mut [0u8; 15]));
            assert_bad_mac(key.open_in_place(nonce, b"hdr", &mut []));
            assert_eq!(key.open_in_place(nonce, b"hdr", &mut sealed).unwrap(), 14);
        }
    }

    #[test]
    fn wrong_key_length_rejected() {
        assert!(AeadKey::new(AeadAlg::Aes128Gcm, &[0u8; 32]).is_err());
        assert!(AeadKey::new(AeadAlg::Aes256Gcm, &[0u8; 16]).is_err());
        assert!(AeadKey::new(AeadAlg::ChaCha20Poly1305, &[0u8; 31]).is_err());
        let mut buf = vec![1, 2, 3];
        assert!(key_for(AeadAlg::Aes128Gcm)
            .seal_in_place([0; 12], b"", &mut buf, 4)
            .is_err());
    }

    #[test]
    fn chacha20_poly1305_rfc8439_a5() {
        // RFC 8439 §A.5 decryption vector (first 16 bytes of ciphertext checked by the tag).
        let key = unhex("1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0");
        let nonce: [u8; 12] = unhex("000000000102030405060708").try_into().unwrap();
        let aad = unhex("f33388860000000000004e91");
        let mut ct = unhex(
            "64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb2\
             4c6cfc18755d43eea09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf\
             332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855\
             9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4\
             b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523e\
             af4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a\
             0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a10\
             49e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29\
             a6ad5cb4022b02709beead9d67890cbb22392336fea1851f38",
        );
        let k = AeadKey::new(AeadAlg::ChaCha20Poly1305, &key).unwrap();
        let n = k.open_in_place(nonce, &aad, &mut ct).unwrap();
        assert_eq!(n, 265);
        assert!(ct.starts_with(b"Internet-Drafts are draft documents valid"));
    }
}
