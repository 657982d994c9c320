//! AEAD seal/open for record protection.

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
    /// Encrypts `buf[start..]` in place and appends the tag: the tests'
    /// reference for the sealing paths the record layer uses.
    #[cfg(test)]
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
    /// Encrypts `in_out` in place and writes the tag to `tag` (exactly `TAG_LEN` bytes).
    pub(crate) fn seal_in_place_separate(
        &self,
        nonce: [u8; 12],
        aad: &[u8],
        in_out: &mut [u8],
        tag: &mut [u8],
    ) -> Result<(), Error> {
        if tag.len() != AeadAlg::TAG_LEN {
            return Err(Error::internal("AEAD tag buffer has the wrong length"));
        }
        let t = self
            .key
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), in_out)
            .map_err(|_| Error::internal("AEAD seal failed"))?;
        tag.copy_from_slice(t.as_ref());
        Ok(())
    }
    /// Encrypts `plaintext || extra` into `out`, which must be exactly
    /// `plaintext.len() + extra.len() + TAG_LEN` bytes: ciphertext, then tag.
    ///
    /// Reads the plaintext where it lies, so sending needs no copy of it into
    /// the record buffer first. `extra` is TLS 1.3's inner content type and
    /// padding (empty for TLS 1.2). A wrong `out` length is an internal error,
    /// caught before anything is written.
    pub(crate) fn seal_out_of_place(
        &self,
        nonce: [u8; 12],
        aad: &[u8],
        plaintext: &[u8],
        extra: &[u8],
        out: &mut [u8],
    ) -> Result<(), Error> {
        let want = plaintext
            .len()
            .checked_add(extra.len())
            .and_then(|n| n.checked_add(AeadAlg::TAG_LEN));
        if want != Some(out.len()) {
            return Err(Error::internal("AEAD seal output has the wrong length"));
        }
        let (ciphertext, extra_and_tag) = out.split_at_mut(plaintext.len());
        self.key
            .seal_out_of_place_scatter(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                plaintext,
                ciphertext,
                extra,
                extra_and_tag,
            )
            .map_err(|_| Error::internal("AEAD seal failed"))
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

    /// Seals `pt` in place (`pt || extra`, tag appended) and out of place
    /// (`pt` read where it lies, `extra` scattered); both must agree.
    fn seal_both(key: &AeadKey, nonce: [u8; 12], aad: &[u8], pt: &[u8], extra: &[u8]) -> Vec<u8> {
        let mut in_place = pt.to_vec();
        in_place.extend_from_slice(extra);
        key.seal_in_place(nonce, aad, &mut in_place, 0).unwrap();
        let mut out = vec![0xa5; pt.len() + extra.len() + AeadAlg::TAG_LEN];
        key.seal_out_of_place(nonce, aad, pt, extra, &mut out)
            .unwrap();
        assert_eq!(out, in_place, "{:?}", key.alg());
        out
    }

    #[test]
    fn out_of_place_known_answers() {
        // GCM spec (McGrew-Viega) test cases 2, 13 and 14: zero key, zero IV, no AAD.
        let zero = [0u8; 16];
        for (alg, pt_len, expect) in [
            (
                AeadAlg::Aes128Gcm,
                16,
                "0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf",
            ),
            (AeadAlg::Aes256Gcm, 0, "530f8afbc74536b9a963b4f1c4cb738b"),
            (
                AeadAlg::Aes256Gcm,
                16,
                "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919",
            ),
        ] {
            let key = AeadKey::new(alg, &vec![0u8; alg.key_len()]).unwrap();
            let pt = &zero[..pt_len];
            assert_eq!(seal_both(&key, [0; 12], b"", pt, &[]), unhex(expect));
            // The same bytes split between plaintext and extra (as TLS 1.3's type byte is).
            if pt_len > 0 {
                let (a, b) = pt.split_at(pt_len - 1);
                assert_eq!(seal_both(&key, [0; 12], b"", a, b), unhex(expect));
            }
        }
        // RFC 8439 §A.5: open the vector, then seal its plaintext again.
        let (k, nonce, aad, sealed) = rfc8439_a5();
        let mut pt = sealed.clone();
        let n = k.open_in_place(nonce, &aad, &mut pt).unwrap();
        pt.truncate(n);
        assert_eq!(seal_both(&k, nonce, &aad, &pt, &[]), sealed);
        let (a, b) = pt.split_at(n - 1);
        assert_eq!(seal_both(&k, nonce, &aad, a, b), sealed);
    }

    #[test]
    fn out_of_place_matches_in_place_for_record_shapes() {
        for alg in ALGS {
            let key = key_for(alg);
            for size in [0usize, 1, 1024, 16384] {
                let pt: Vec<u8> = (0..size).map(|i| i as u8).collect();
                let ct_len = (size + 1 + AeadAlg::TAG_LEN) as u16;
                let hdr = [23, 3, 3, (ct_len >> 8) as u8, ct_len as u8];
                // TLS 1.3: header as AAD, inner type (and padding) as extra.
                let a = seal_both(&key, [3; 12], &hdr, &pt, &[23]);
                let b = seal_both(&key, [3; 12], &hdr, &pt, &[22, 0, 0, 0]);
                assert_ne!(a, b);
                // TLS 1.2: 13-byte AAD, nothing extra.
                let mut aad = [0u8; 13];
                aad[8..11].copy_from_slice(&[23, 3, 3]);
                aad[11..].copy_from_slice(&(size as u16).to_be_bytes());
                seal_both(&key, [4; 12], &aad, &pt, &[]);
            }
        }
    }

    #[test]
    fn out_of_place_wrong_lengths_are_errors() {
        for alg in ALGS {
            let key = key_for(alg);
            let pt = [1u8; 10];
            for (extra, out_len) in [
                (&[][..], 10 + 15),
                (&[][..], 10 + 17),
                (&[23][..], 10 + 16),
                (&[23][..], 10 + 18),
                (&[23][..], 0),
            ] {
                let mut out = vec![0u8; out_len];
                assert!(key
                    .seal_out_of_place([0; 12], b"", &pt, extra, &mut out)
                    .is_err());
                assert!(out.iter().all(|&b| b == 0), "nothing written");
            }
            let mut out = [0u8; 16];
            assert!(key
                .seal_out_of_place([0; 12], b"", &[], &[], &mut out)
                .is_ok());
        }
    }

    fn rfc8439_a5() -> (AeadKey, [u8; 12], Vec<u8>, Vec<u8>) {
        let key = unhex("1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0");
        let nonce: [u8; 12] = unhex("000000000102030405060708").try_into().unwrap();
        let aad = unhex("f33388860000000000004e91");
        let ct = unhex(
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
        (k, nonce, aad, ct)
    }

    #[test]
    fn chacha20_poly1305_rfc8439_a5() {
        // RFC 8439 §A.5 decryption vector (first 16 bytes of ciphertext checked by the tag).
        let (k, nonce, aad, mut ct) = rfc8439_a5();
        let n = k.open_in_place(nonce, &aad, &mut ct).unwrap();
        assert_eq!(n, 265);
        assert!(ct.starts_with(b"Internet-Drafts are draft documents valid"));
    }
}
