//! Per-direction record protection (TLS 1.3 now; TLS 1.2 explicit-nonce later),
//! with sequence numbers and AEAD usage limits.
// Some items are not used yet: the kTLS hand-off (`traffic_keys`, `seq`, `overhead`) is consumed by baton-ktls next.
#![allow(dead_code)]

use super::{HEADER_LEN, MAX_CIPHERTEXT, MAX_PLAINTEXT};
use crate::crypto::aead::{AeadAlg, AeadKey};
use crate::error::{AlertDescription, Error};
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

/// Which record protection a key does. TLS 1.2 (AEAD with an explicit nonce,
/// AAD = seq || type || version || plaintext length) is to come; only TLS 1.3
/// is implemented now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RecordVersion {
    /// Nonce = iv XOR seq, AAD = the record header, inner content type and padding.
    Tls13,
}

/// Records after which a key wants replacing (RFC 8446 §5.5; draft-irtf-cfrg-aead-limits).
///
/// AES-GCM: the confidentiality limit for full-size records is about 2^24.5
/// records; asking for a KeyUpdate at 2^24 leaves a comfortable margin.
/// ChaCha20-Poly1305's limit is beyond 2^64 records; we still ask well before
/// the sequence number could run out (2^62).
fn rekey_threshold(aead: AeadAlg) -> u64 {
    match aead {
        AeadAlg::Aes128Gcm | AeadAlg::Aes256Gcm => 1 << 24,
        AeadAlg::ChaCha20Poly1305 => 1 << 62,
    }
}

/// TLS 1.3 per-record nonce (RFC 8446 §5.3): the 64-bit sequence number,
/// big-endian and left-padded to the IV length, XORed with the IV.
fn tls13_nonce(iv: &Secret, seq: u64) -> [u8; 12] {
    let mut nonce = [0u8; 12];
    nonce.copy_from_slice(iv.as_bytes());
    for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
        *n ^= s;
    }
    nonce
}

/// The key, IV and sequence number shared by both directions' types.
struct KeyState {
    version: RecordVersion,
    key: AeadKey,
    key_bytes: Secret,
    iv: Secret,
    seq: u64,
}

impl KeyState {
    fn new_tls13(aead: AeadAlg, key: &Secret, iv: &[u8; 12]) -> Result<Self, Error> {
        Ok(Self {
            version: RecordVersion::Tls13,
            key: AeadKey::new(aead, key.as_bytes())?,
            key_bytes: key.clone(),
            iv: Secret::new(iv),
            seq: 0,
        })
    }

    fn traffic_keys(&self) -> TrafficKeys {
        TrafficKeys {
            aead: self.key.alg(),
            key: self.key_bytes.clone(),
            iv: self.iv.clone(),
            seq: self.seq,
        }
    }

    /// The nonce for the current sequence number. The last number, 2^64 - 1,
    /// is never used, so the counter can always be incremented without wrapping.
    fn nonce(&self) -> Result<[u8; 12], Error> {
        if self.seq == u64::MAX {
            return Err(Error::internal("record sequence number exhausted"));
        }
        Ok(match self.version {
            RecordVersion::Tls13 => tls13_nonce(&self.iv, self.seq),
        })
    }
}

/// Seals outgoing records.
pub(crate) struct Encrypter {
    state: KeyState,
    rekey_at: u64,
}

impl Encrypter {
    pub(crate) fn new_tls13(aead: AeadAlg, key: &Secret, iv: &[u8; 12]) -> Result<Self, Error> {
        Ok(Self {
            state: KeyState::new_tls13(aead, key, iv)?,
            rekey_at: rekey_threshold(aead),
        })
    }
    /// Appends one protected record (header, encrypted `plaintext || typ || zeros(pad)`, tag) to `out`.
    /// `plaintext.len() + pad` ≤ 2^14.
    ///
    /// The plaintext is copied once, into `out`, and encrypted there. On error
    /// `out` is left as it was. Sealing with the sequence number at 2^64 - 1
    /// is an error (never wraps); `wants_rekey` asks for a new key long before.
    pub(crate) fn seal(
        &mut self,
        typ: ContentType,
        plaintext: &[u8],
        pad: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let content = plaintext
            .len()
            .checked_add(pad)
            .filter(|&n| n <= MAX_PLAINTEXT)
            .ok_or_else(|| Error::internal("record plaintext plus padding exceeds 2^14"))?;
        if typ.0 == 0 {
            return Err(Error::internal("inner content type 0 is padding"));
        }
        let nonce = self.state.nonce()?;
        match self.state.version {
            RecordVersion::Tls13 => {
                let ct_len = content + 1 + AeadAlg::TAG_LEN; // ≤ 2^14 + 17
                let start = out.len();
                out.reserve(HEADER_LEN + ct_len);
                let header = [
                    ContentType::APPLICATION_DATA.0,
                    3,
                    3,
                    (ct_len >> 8) as u8,
                    ct_len as u8,
                ];
                out.extend_from_slice(&header);
                out.extend_from_slice(plaintext);
                out.push(typ.0);
                out.resize(out.len() + pad, 0);
                if let Err(e) =
                    self.state
                        .key
                        .seal_in_place(nonce, &header, out, start + HEADER_LEN)
                {
                    out.truncate(start);
                    return Err(e);
                }
            }
        }
        self.state.seq += 1;
        Ok(())
    }
    /// Records sealed under this key.
    pub(crate) fn seq(&self) -> u64 {
        self.state.seq
    }
    /// True once this key is near its AEAD confidentiality limit (RFC 8446 §5.5):
    /// a KeyUpdate should be sent now.
    pub(crate) fn wants_rekey(&self) -> bool {
        self.state.seq >= self.rekey_at
    }
    /// Ciphertext overhead per record (header + inner type + tag).
    pub(crate) fn overhead(&self) -> usize {
        match self.state.version {
            RecordVersion::Tls13 => HEADER_LEN + 1 + AeadAlg::TAG_LEN,
        }
    }
    pub(crate) fn traffic_keys(&self) -> TrafficKeys {
        self.state.traffic_keys()
    }

    #[cfg(test)]
    pub(crate) fn set_seq_for_test(&mut self, seq: u64) {
        self.state.seq = seq;
    }
}

/// Opens incoming records.
pub(crate) struct Decrypter {
    state: KeyState,
}

impl Decrypter {
    pub(crate) fn new_tls13(aead: AeadAlg, key: &Secret, iv: &[u8; 12]) -> Result<Self, Error> {
        Ok(Self {
            state: KeyState::new_tls13(aead, key, iv)?,
        })
    }
    /// Decrypts a TLS 1.3 record in place. Returns (inner content type, plaintext length);
    /// the plaintext is `payload[..len]`. AEAD failure → `bad_record_mac`; plaintext > 2^14 or
    /// ciphertext > 2^14+256 → `record_overflow`; no non-zero byte (no inner type) → `unexpected_message`.
    ///
    /// The outer type in `header_bytes` must be application_data (RFC 8446 §5.2;
    /// the caller deals with unprotected change_cipher_spec before calling this),
    /// else `unexpected_message`.
    /// The inner type is one of alert, handshake or application_data; any other
    /// (change_cipher_spec is never encrypted in TLS 1.3) is `unexpected_message`.
    /// The sequence number advances only when the record authenticates, so a
    /// caller may skip undecryptable records (rejected 0-RTT) without desync.
    pub(crate) fn open(
        &mut self,
        header_bytes: &[u8; 5],
        payload: &mut [u8],
    ) -> Result<(ContentType, usize), Error> {
        if header_bytes[0] != ContentType::APPLICATION_DATA.0 {
            return Err(Error::protocol(
                AlertDescription::UNEXPECTED_MESSAGE,
                "protected record's outer type is not application_data",
            ));
        }
        if payload.len() > MAX_CIPHERTEXT {
            return Err(Error::protocol(
                AlertDescription::RECORD_OVERFLOW,
                "encrypted record longer than 2^14 + 256",
            ));
        }
        let nonce = self.state.nonce()?;
        let inner_len = self.state.key.open_in_place(nonce, header_bytes, payload)?;
        self.state.seq += 1;
        // Strip padding: the content type is the last non-zero byte (RFC 8446 §5.4).
        let inner = &payload[..inner_len];
        let Some(type_at) = inner.iter().rposition(|&b| b != 0) else {
            return Err(Error::protocol(
                AlertDescription::UNEXPECTED_MESSAGE,
                "encrypted record has no content type",
            ));
        };
        if type_at > MAX_PLAINTEXT {
            return Err(Error::protocol(
                AlertDescription::RECORD_OVERFLOW,
                "record plaintext longer than 2^14",
            ));
        }
        let typ = ContentType(inner[type_at]);
        match typ {
            ContentType::ALERT | ContentType::HANDSHAKE | ContentType::APPLICATION_DATA => {}
            _ => {
                return Err(Error::protocol(
                    AlertDescription::UNEXPECTED_MESSAGE,
                    "encrypted record has an invalid content type",
                ))
            }
        }
        Ok((typ, type_at))
    }
    pub(crate) fn seq(&self) -> u64 {
        self.state.seq
    }
    pub(crate) fn traffic_keys(&self) -> TrafficKeys {
        self.state.traffic_keys()
    }

    #[cfg(test)]
    pub(crate) fn set_seq_for_test(&mut self, seq: u64) {
        self.state.seq = seq;
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

#[cfg(test)]
mod tests {
    use super::*;

    const ALGS: [AeadAlg; 3] = [
        AeadAlg::Aes128Gcm,
        AeadAlg::Aes256Gcm,
        AeadAlg::ChaCha20Poly1305,
    ];

    fn pair(aead: AeadAlg) -> (Encrypter, Decrypter) {
        let key = Secret::new(&vec![0x42; aead.key_len()]);
        let iv = [9u8; 12];
        (
            Encrypter::new_tls13(aead, &key, &iv).unwrap(),
            Decrypter::new_tls13(aead, &key, &iv).unwrap(),
        )
    }

    fn open_vec(d: &mut Decrypter, rec: &mut [u8]) -> Result<(ContentType, Vec<u8>), Error> {
        let (hdr, body) = rec.split_at_mut(HEADER_LEN);
        let hdr: [u8; 5] = hdr.try_into().unwrap();
        let (typ, n) = d.open(&hdr, body)?;
        Ok((typ, body[..n].to_vec()))
    }

    fn alert(r: Result<(ContentType, Vec<u8>), Error>) -> AlertDescription {
        r.unwrap_err().sent_alert().unwrap()
    }

    #[test]
    fn roundtrip_with_padding() {
        for aead in ALGS {
            let (mut e, mut d) = pair(aead);
            assert_eq!(e.overhead(), 22);
            let cases: [(ContentType, &[u8], usize); 5] = [
                (ContentType::HANDSHAKE, b"hello", 0),
                (ContentType::APPLICATION_DATA, b"data", 100),
                (ContentType::ALERT, &[1, 0], 3),
                (ContentType::APPLICATION_DATA, b"", 0),
                (ContentType::APPLICATION_DATA, b"", 7),
            ];
            for (i, (typ, pt, pad)) in cases.into_iter().enumerate() {
                let mut out = b"keep".to_vec();
                e.seal(typ, pt, pad, &mut out).unwrap();
                assert_eq!(&out[..4], b"keep");
                let rec = &mut out[4..];
                let ct_len = pt.len() + pad + 1 + 16;
                assert_eq!(rec.len(), 5 + ct_len);
                assert_eq!(&rec[..3], &[23, 3, 3]);
                assert_eq!(u16::from_be_bytes([rec[3], rec[4]]) as usize, ct_len);
                assert_eq!(e.seq(), i as u64 + 1);
                let (t, p) = open_vec(&mut d, rec).unwrap();
                assert_eq!((t, &p[..]), (typ, pt));
                assert_eq!(d.seq(), i as u64 + 1);
            }
        }
    }

    #[test]
    fn max_sizes() {
        let (mut e, mut d) = pair(AeadAlg::Aes128Gcm);
        let big = vec![0x61; MAX_PLAINTEXT];
        let mut out = Vec::new();
        e.seal(ContentType::APPLICATION_DATA, &big, 0, &mut out)
            .unwrap();
        assert_eq!(out.len(), MAX_PLAINTEXT + e.overhead());
        let (_, p) = open_vec(&mut d, &mut out).unwrap();
        assert_eq!(p.len(), MAX_PLAINTEXT);
        // Too much plaintext + padding is refused and leaves `out` alone.
        let mut out = vec![1, 2];
        assert!(e
            .seal(ContentType::APPLICATION_DATA, &big, 1, &mut out)
            .is_err());
        assert!(e
            .seal(ContentType::APPLICATION_DATA, b"", usize::MAX, &mut out)
            .is_err());
        assert!(e.seal(ContentType(0), b"x", 0, &mut out).is_err());
        assert_eq!(out, vec![1, 2]);
        assert_eq!(e.seq(), 1);
    }

    #[test]
    fn all_zero_inner_plaintext_is_unexpected_message() {
        for aead in ALGS {
            let key = Secret::new(&vec![0x42; aead.key_len()]);
            let iv = [9u8; 12];
            let mut d = Decrypter::new_tls13(aead, &key, &iv).unwrap();
            // Seal zeros directly with the AEAD, as a peer without a type byte would.
            for zeros in [0usize, 1, 50] {
                d.set_seq_for_test(0);
                let raw = AeadKey::new(aead, key.as_bytes()).unwrap();
                let ct_len = zeros + 16;
                let mut rec = vec![23, 3, 3, (ct_len >> 8) as u8, ct_len as u8];
                let hdr: [u8; 5] = rec[..5].try_into().unwrap();
                rec.extend(vec![0u8; zeros]);
                raw.seal_in_place(tls13_nonce(&Secret::new(&iv), 0), &hdr, &mut rec, 5)
                    .unwrap();
                assert_eq!(
                    alert(open_vec(&mut d, &mut rec)),
                    AlertDescription::UNEXPECTED_MESSAGE
                );
            }
        }
    }

    fn seal_raw_inner(aead: AeadAlg, inner: &[u8]) -> Vec<u8> {
        let key = Secret::new(&vec![0x42; aead.key_len()]);
        let raw = AeadKey::new(aead, key.as_bytes()).unwrap();
        let ct_len = inner.len() + 16;
        let mut rec = vec![23, 3, 3, (ct_len >> 8) as u8, ct_len as u8];
        let hdr: [u8; 5] = rec[..5].try_into().unwrap();
        rec.extend_from_slice(inner);
        raw.seal_in_place(tls13_nonce(&Secret::new(&[9u8; 12]), 0), &hdr, &mut rec, 5)
            .unwrap();
        rec
    }

    #[test]
    fn over_limit_is_record_overflow() {
        let aead = AeadAlg::ChaCha20Poly1305;
        // Content of 2^14 + 1 bytes (then the type) is over the limit ...
        let mut inner = vec![0x61; MAX_PLAINTEXT + 1];
        inner.push(23);
        let mut rec = seal_raw_inner(aead, &inner);
        let (_, mut d) = pair(aead);
        assert_eq!(
            alert(open_vec(&mut d, &mut rec)),
            AlertDescription::RECORD_OVERFLOW
        );
        // ... but 2^14 bytes of content plus padding up to the ciphertext limit is fine.
        let mut inner = vec![0x61; MAX_PLAINTEXT];
        inner.push(23);
        inner.resize(MAX_CIPHERTEXT - 16, 0);
        let mut rec = seal_raw_inner(aead, &inner);
        let (_, mut d) = pair(aead);
        let (t, p) = open_vec(&mut d, &mut rec).unwrap();
        assert_eq!((t, p.len()), (ContentType::APPLICATION_DATA, MAX_PLAINTEXT));
        // Ciphertext longer than 2^14 + 256 is refused before decrypting.
        let mut body = vec![0u8; MAX_CIPHERTEXT + 1];
        let hdr = [23, 3, 3, 0x41, 0x01];
        let (_, mut d) = pair(aead);
        assert_eq!(
            d.open(&hdr, &mut body).unwrap_err().sent_alert(),
            Some(AlertDescription::RECORD_OVERFLOW)
        );
        assert_eq!(d.seq(), 0);
    }

    #[test]
    fn outer_type_must_be_application_data() {
        let (mut e, mut d) = pair(AeadAlg::Aes128Gcm);
        let mut out = Vec::new();
        e.seal(ContentType::HANDSHAKE, b"hi", 0, &mut out).unwrap();
        for outer in [20u8, 21, 22] {
            let mut t = out.clone();
            t[0] = outer;
            assert_eq!(
                alert(open_vec(&mut d, &mut t)),
                AlertDescription::UNEXPECTED_MESSAGE
            );
        }
        assert_eq!(d.seq(), 0);
        assert!(open_vec(&mut d, &mut out).is_ok());
    }

    #[test]
    fn invalid_inner_type_is_unexpected_message() {
        for typ in [20u8, 24, 0xff] {
            let mut rec = seal_raw_inner(AeadAlg::Aes128Gcm, &[1, 2, typ, 0, 0]);
            let (_, mut d) = pair(AeadAlg::Aes128Gcm);
            assert_eq!(
                alert(open_vec(&mut d, &mut rec)),
                AlertDescription::UNEXPECTED_MESSAGE
            );
        }
    }

    #[test]
    fn tampering_and_wrong_sequence_are_bad_record_mac() {
        for aead in ALGS {
            let (mut e, mut d) = pair(aead);
            let mut out = Vec::new();
            e.seal(ContentType::APPLICATION_DATA, b"payload", 0, &mut out)
                .unwrap();
            for i in 1..out.len() {
                let mut t = out.clone();
                t[i] ^= 0x01;
                let r = open_vec(&mut d, &mut t);
                // Header version/length bytes are AAD: flipping them fails too.
                assert_eq!(alert(r), AlertDescription::BAD_RECORD_MAC, "byte {i}");
                assert_eq!(d.seq(), 0, "failed opens do not advance seq");
            }
            // Replayed / reordered: record 0 opened at seq 1 fails.
            let mut first = out.clone();
            assert!(open_vec(&mut d, &mut first).is_ok());
            let mut replay = out.clone();
            assert_eq!(
                alert(open_vec(&mut d, &mut replay)),
                AlertDescription::BAD_RECORD_MAC
            );
        }
    }

    #[test]
    fn sequence_numbers_and_nonces() {
        let iv = Secret::new(&[0xff; 12]);
        assert_eq!(tls13_nonce(&iv, 0), [0xff; 12]);
        let n = tls13_nonce(&iv, 0x0102_0304_0506_0708);
        assert_eq!(
            n,
            [0xff, 0xff, 0xff, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0xfa, 0xf9, 0xf8, 0xf7]
        );
        // Skip ahead on both sides: records still match up.
        let (mut e, mut d) = pair(AeadAlg::Aes256Gcm);
        e.set_seq_for_test(1_000_000);
        d.set_seq_for_test(1_000_000);
        let mut out = Vec::new();
        e.seal(ContentType::HANDSHAKE, b"x", 0, &mut out).unwrap();
        assert!(open_vec(&mut d, &mut out).is_ok());
        assert_eq!((e.seq(), d.seq()), (1_000_001, 1_000_001));
    }

    #[test]
    fn sequence_never_wraps() {
        let (mut e, mut d) = pair(AeadAlg::ChaCha20Poly1305);
        e.set_seq_for_test(u64::MAX - 1);
        let mut out = Vec::new();
        e.seal(ContentType::APPLICATION_DATA, b"last", 0, &mut out)
            .unwrap();
        assert_eq!(e.seq(), u64::MAX);
        let before = out.len();
        assert!(e
            .seal(ContentType::APPLICATION_DATA, b"wrap", 0, &mut out)
            .is_err());
        assert_eq!(out.len(), before);
        assert_eq!(e.seq(), u64::MAX);
        d.set_seq_for_test(u64::MAX - 1);
        assert!(open_vec(&mut d, &mut out).is_ok());
        assert_eq!(d.seq(), u64::MAX);
        let mut more = vec![23, 3, 3, 0, 17];
        more.extend([0u8; 17]);
        assert!(open_vec(&mut d, &mut more).is_err());
        assert_eq!(d.seq(), u64::MAX);
    }

    #[test]
    fn wants_rekey_at_the_limit() {
        for (aead, limit) in [
            (AeadAlg::Aes128Gcm, 1u64 << 24),
            (AeadAlg::Aes256Gcm, 1 << 24),
            (AeadAlg::ChaCha20Poly1305, 1 << 62),
        ] {
            let (mut e, _) = pair(aead);
            assert!(!e.wants_rekey());
            e.set_seq_for_test(limit - 1);
            assert!(!e.wants_rekey());
            let mut out = Vec::new();
            e.seal(ContentType::APPLICATION_DATA, b"x", 0, &mut out)
                .unwrap();
            assert!(e.wants_rekey());
            // Still able to seal (the engine sends KeyUpdate with this key).
            e.seal(ContentType::HANDSHAKE, b"ku", 0, &mut out).unwrap();
        }
        // 2^24 is under the AES-GCM confidentiality limit of 2^24.5 records.
        assert!(((1u64 << 24) as f64) < 2f64.powf(24.5));
    }

    #[test]
    fn traffic_keys_exported() {
        let key = Secret::new(&[7u8; 16]);
        let iv = [3u8; 12];
        let mut e = Encrypter::new_tls13(AeadAlg::Aes128Gcm, &key, &iv).unwrap();
        let mut out = Vec::new();
        e.seal(ContentType::APPLICATION_DATA, b"a", 0, &mut out)
            .unwrap();
        e.seal(ContentType::APPLICATION_DATA, b"b", 0, &mut out)
            .unwrap();
        let tk = e.traffic_keys();
        assert_eq!(tk.aead, AeadAlg::Aes128Gcm);
        assert_eq!(tk.key.as_bytes(), &[7u8; 16]);
        assert_eq!(tk.iv.as_bytes(), &[3u8; 12]);
        assert_eq!(tk.seq, 2);
        assert!(!format!("{tk:?}").contains("7, 7"));
        let d = Decrypter::new_tls13(AeadAlg::Aes128Gcm, &key, &iv).unwrap();
        assert_eq!(d.traffic_keys().seq, 0);
        // Wrong key length is an internal error, not a panic.
        assert!(Encrypter::new_tls13(AeadAlg::Aes256Gcm, &key, &iv).is_err());
        assert!(Decrypter::new_tls13(AeadAlg::ChaCha20Poly1305, &key, &iv).is_err());
    }
}
