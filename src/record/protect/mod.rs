//! Per-direction record protection for TLS 1.3 (RFC 8446 §5.2) and TLS 1.2
//! AEAD suites (RFC 5246 §6.2.3.3, RFC 5288, RFC 7905), with sequence numbers
//! and AEAD usage limits.

use super::{HEADER_LEN, MAX_CIPHERTEXT, MAX_PLAINTEXT};
use crate::crypto::aead::{AeadAlg, AeadKey};
use crate::error::{AlertDescription, Error};
use crate::msgs::enums::{ContentType, ProtocolVersion};
use crate::secrets::Secret;

/// The key material of one direction, handed to kTLS (zeroized on drop).
///
/// Layout per version, as the kernel's `tls12_crypto_info_*` structs want it:
/// - TLS 1.3: `iv` is the 12-byte IV (salt = its first 4 bytes, the rest the kernel's "iv").
/// - TLS 1.2 AES-GCM: `iv` is the 4-byte implicit salt; the 8-byte explicit
///   nonce of the next record is `seq` (big-endian), because Baton uses the
///   sequence number as the explicit nonce.
/// - TLS 1.2 ChaCha20-Poly1305: `iv` is the 12-byte IV.
#[derive(Clone, Debug)]
pub(crate) struct TrafficKeys {
    pub version: ProtocolVersion,
    pub aead: AeadAlg,
    pub key: Secret,
    pub iv: Secret,
    /// Sequence number of the next record.
    pub seq: u64,
}

/// Which record protection a key does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RecordVersion {
    /// Nonce = iv XOR seq, AAD = the record header, inner content type and padding.
    Tls13,
    /// AAD = seq || type || version || plaintext length; the outer type is the real one.
    /// AES-GCM: nonce = salt || explicit, the 8 explicit bytes open the fragment.
    /// ChaCha20-Poly1305: nonce = iv XOR seq, nothing explicit.
    Tls12,
}

/// TLS 1.3 ChaCha20-Poly1305 records with less plaintext than this are copied
/// and sealed in place rather than sealed out of place: the inner type byte as
/// extra plaintext costs aws-lc a ChaCha20 block of its own (about 1 k
/// instructions under callgrind), more than copying a small record costs.
/// AES-GCM's extra byte is cheap, and TLS 1.2 has none.
const CHACHA_SCATTER_MIN: usize = 8192;

/// Bytes of explicit nonce at the start of a TLS 1.2 fragment.
fn explicit_len(version: RecordVersion, aead: AeadAlg) -> usize {
    match (version, aead) {
        (RecordVersion::Tls12, AeadAlg::Aes128Gcm | AeadAlg::Aes256Gcm) => 8,
        _ => 0,
    }
}

/// TLS 1.2 additional data (RFC 5246 §6.2.3.3).
fn tls12_aad(seq: u64, typ: u8, version: [u8; 2], len: usize) -> [u8; 13] {
    let mut aad = [0u8; 13];
    aad[..8].copy_from_slice(&seq.to_be_bytes());
    aad[8] = typ;
    aad[9..11].copy_from_slice(&version);
    aad[11..].copy_from_slice(&(len as u16).to_be_bytes());
    aad
}

/// Records after which a key wants replacing (RFC 8446 §5.5; draft-irtf-cfrg-aead-limits).
///
/// AES-GCM: the confidentiality limit for full-size records is about 2^24.5
/// records; asking for a KeyUpdate at 2^24 leaves a comfortable margin.
/// ChaCha20-Poly1305's limit is beyond 2^64 records; we still ask well before
/// the sequence number could run out (2^62).
pub(crate) fn rekey_threshold(aead: AeadAlg) -> u64 {
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

    fn new_tls12(aead: AeadAlg, key: &Secret, iv: &[u8]) -> Result<Self, Error> {
        if iv.len() != crate::tls12::prf::tls12_iv_len(aead) {
            return Err(Error::internal("TLS 1.2 IV has the wrong length"));
        }
        Ok(Self {
            version: RecordVersion::Tls12,
            key: AeadKey::new(aead, key.as_bytes())?,
            key_bytes: key.clone(),
            iv: Secret::new(iv),
            seq: 0,
        })
    }

    fn explicit_len(&self) -> usize {
        explicit_len(self.version, self.key.alg())
    }

    fn traffic_keys(&self) -> TrafficKeys {
        TrafficKeys {
            version: match self.version {
                RecordVersion::Tls13 => ProtocolVersion::TLSV1_3,
                RecordVersion::Tls12 => ProtocolVersion::TLSV1_2,
            },
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
        Ok(match (self.version, self.iv.len()) {
            // TLS 1.2 GCM: salt || explicit part, which is our sequence number.
            (RecordVersion::Tls12, 4) => {
                let mut nonce = [0u8; 12];
                nonce[..4].copy_from_slice(self.iv.as_bytes());
                nonce[4..].copy_from_slice(&self.seq.to_be_bytes());
                nonce
            }
            _ => tls13_nonce(&self.iv, self.seq),
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

    /// A TLS 1.2 write key; `iv` is the 4-byte GCM salt or the 12-byte ChaCha20 IV.
    /// TLS 1.2 has no KeyUpdate: at `wants_rekey` the connection must close.
    pub(crate) fn new_tls12(aead: AeadAlg, key: &Secret, iv: &[u8]) -> Result<Self, Error> {
        Ok(Self {
            state: KeyState::new_tls12(aead, key, iv)?,
            rekey_at: rekey_threshold(aead),
        })
    }
    /// Appends one protected record (header, encrypted `plaintext || typ || zeros(pad)`, tag) to `out`.
    /// `plaintext.len() + pad` ≤ 2^14.
    ///
    /// The record's bytes in `out` are zeroed first and then overwritten: for
    /// handshake records and tests. The application-data path keeps an
    /// already-initialised buffer and calls [`seal_into`](Self::seal_into).
    /// On error `out` is left as it was.
    #[cfg(test)]
    pub(crate) fn seal(
        &mut self,
        typ: ContentType,
        plaintext: &[u8],
        pad: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let len = self.record_len(typ, plaintext.len(), pad)?;
        let start = out.len();
        out.resize(start + len, 0);
        if let Err(e) = self.seal_into(typ, plaintext, pad, &mut out[start..]) {
            out.truncate(start);
            return Err(e);
        }
        Ok(())
    }

    /// The length of the whole record (header included) that sealing
    /// `plaintext_len` bytes of type `typ` with `pad` bytes of padding makes;
    /// an error for what [`seal_into`](Self::seal_into) refuses: more than 2^14 bytes of
    /// content, inner type 0, padding under TLS 1.2.
    pub(crate) fn record_len(
        &self,
        typ: ContentType,
        plaintext_len: usize,
        pad: usize,
    ) -> Result<usize, Error> {
        let content = plaintext_len
            .checked_add(pad)
            .filter(|&n| n <= MAX_PLAINTEXT)
            .ok_or_else(|| Error::internal("record plaintext plus padding exceeds 2^14"))?;
        if typ.0 == 0 {
            return Err(Error::internal("inner content type 0 is padding"));
        }
        Ok(match self.state.version {
            RecordVersion::Tls12 => {
                if pad != 0 {
                    return Err(Error::internal("TLS 1.2 records have no padding"));
                }
                HEADER_LEN + self.state.explicit_len() + plaintext_len + AeadAlg::TAG_LEN
            }
            RecordVersion::Tls13 => HEADER_LEN + content + 1 + AeadAlg::TAG_LEN, // ≤ 2^14 + 22
        })
    }

    /// Seals one record into `dst`, which must be exactly
    /// [`record_len`](Self::record_len) bytes (else an internal error, nothing
    /// sealed). The plaintext is encrypted where it lies, straight into `dst`,
    /// with no copy of it first; except TLS 1.3 records with padding or small
    /// ChaCha20-Poly1305 ones (see `CHACHA_SCATTER_MIN`), which are copied into
    /// `dst` and sealed there. Sealing with the sequence number at 2^64 - 1 is
    /// an error (never wraps); `wants_rekey` asks for a new key long before.
    /// On error the sequence number is unchanged and `dst` holds garbage.
    pub(crate) fn seal_into(
        &mut self,
        typ: ContentType,
        plaintext: &[u8],
        pad: usize,
        dst: &mut [u8],
    ) -> Result<(), Error> {
        let len = self.record_len(typ, plaintext.len(), pad)?;
        if dst.len() != len {
            return Err(Error::internal("record buffer has the wrong length"));
        }
        let nonce = self.state.nonce()?;
        let ct_len = len - HEADER_LEN;
        let (header, body) = dst.split_at_mut(HEADER_LEN);
        match self.state.version {
            RecordVersion::Tls12 => {
                let explicit = self.state.explicit_len();
                header.copy_from_slice(&[typ.0, 3, 3, (ct_len >> 8) as u8, ct_len as u8]);
                let (explicit_nonce, sealed) = body.split_at_mut(explicit);
                explicit_nonce.copy_from_slice(&nonce[12 - explicit..]);
                let aad = tls12_aad(self.state.seq, typ.0, [3, 3], plaintext.len());
                self.state
                    .key
                    .seal_out_of_place(nonce, &aad, plaintext, &[], sealed)?;
            }
            RecordVersion::Tls13 => {
                let hdr = [
                    ContentType::APPLICATION_DATA.0,
                    3,
                    3,
                    (ct_len >> 8) as u8,
                    ct_len as u8,
                ];
                header.copy_from_slice(&hdr);
                let key = &self.state.key;
                if pad == 0
                    && !(key.alg() == AeadAlg::ChaCha20Poly1305
                        && plaintext.len() < CHACHA_SCATTER_MIN)
                {
                    // The inner type is the AEAD's extra plaintext, sealed after the caller's bytes.
                    key.seal_out_of_place(nonce, &hdr, plaintext, &[typ.0], body)?;
                } else {
                    let (inner, tag) = body.split_at_mut(plaintext.len() + pad + 1);
                    let (data, rest) = inner.split_at_mut(plaintext.len());
                    data.copy_from_slice(plaintext);
                    rest[0] = typ.0;
                    rest[1..].fill(0);
                    key.seal_in_place_separate(nonce, &hdr, inner, tag)?;
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
    /// The record count at which this key wants replacing.
    pub(crate) fn rekey_at(&self) -> u64 {
        self.rekey_at
    }
    /// True once this key is near its AEAD confidentiality limit (RFC 8446 §5.5):
    /// a KeyUpdate should be sent now.
    pub(crate) fn wants_rekey(&self) -> bool {
        self.state.seq >= self.rekey_at
    }
    /// Ciphertext overhead per record (header + inner type or explicit nonce + tag).
    pub(crate) fn overhead(&self) -> usize {
        match self.state.version {
            RecordVersion::Tls13 => HEADER_LEN + 1 + AeadAlg::TAG_LEN,
            RecordVersion::Tls12 => HEADER_LEN + self.state.explicit_len() + AeadAlg::TAG_LEN,
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

    /// A TLS 1.2 read key; `iv` is the 4-byte GCM salt or the 12-byte ChaCha20 IV.
    pub(crate) fn new_tls12(aead: AeadAlg, key: &Secret, iv: &[u8]) -> Result<Self, Error> {
        Ok(Self {
            state: KeyState::new_tls12(aead, key, iv)?,
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
    ///
    /// Returns the content type and where the plaintext lies in `payload`.
    pub(crate) fn open(
        &mut self,
        header_bytes: &[u8; 5],
        payload: &mut [u8],
    ) -> Result<(ContentType, core::ops::Range<usize>), Error> {
        match self.state.version {
            RecordVersion::Tls13 => self
                .open_tls13(header_bytes, payload)
                .map(|(t, n)| (t, 0..n)),
            RecordVersion::Tls12 => self.open_tls12(header_bytes, payload),
        }
    }

    /// TLS 1.2: the outer type is the real one (handshake, alert or
    /// application_data; change_cipher_spec is never protected); the GCM
    /// explicit nonce is taken from the record as sent. Too short to hold the
    /// explicit nonce and tag, or failing authentication: `bad_record_mac`.
    fn open_tls12(
        &mut self,
        header_bytes: &[u8; 5],
        payload: &mut [u8],
    ) -> Result<(ContentType, core::ops::Range<usize>), Error> {
        let typ = ContentType(header_bytes[0]);
        if !matches!(
            typ,
            ContentType::ALERT | ContentType::HANDSHAKE | ContentType::APPLICATION_DATA
        ) {
            return Err(Error::protocol(
                AlertDescription::UNEXPECTED_MESSAGE,
                "protected TLS 1.2 record has an invalid content type",
            ));
        }
        if payload.len() > MAX_CIPHERTEXT {
            return Err(Error::protocol(
                AlertDescription::RECORD_OVERFLOW,
                "encrypted record longer than 2^14 + 256",
            ));
        }
        let explicit = self.state.explicit_len();
        if payload.len() < explicit + AeadAlg::TAG_LEN {
            return Err(Error::protocol(
                AlertDescription::BAD_RECORD_MAC,
                "encrypted record shorter than its nonce and tag",
            ));
        }
        let mut nonce = self.state.nonce()?;
        nonce[12 - explicit..].copy_from_slice(&payload[..explicit]);
        let pt_len = payload.len() - explicit - AeadAlg::TAG_LEN;
        if pt_len > MAX_PLAINTEXT {
            return Err(Error::protocol(
                AlertDescription::RECORD_OVERFLOW,
                "record plaintext longer than 2^14",
            ));
        }
        let aad = tls12_aad(
            self.state.seq,
            typ.0,
            [header_bytes[1], header_bytes[2]],
            pt_len,
        );
        let n = self
            .state
            .key
            .open_in_place(nonce, &aad, &mut payload[explicit..])?;
        self.state.seq += 1;
        Ok((typ, explicit..explicit + n))
    }

    fn open_tls13(
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
        // Padding does not raise the limit: the whole TLSInnerPlaintext
        // (content, type, padding) is at most 2^14 + 1 octets (RFC 8446 §5.4).
        if inner_len > MAX_PLAINTEXT + 1 {
            return Err(Error::protocol(
                AlertDescription::RECORD_OVERFLOW,
                "record plaintext with its padding longer than 2^14 + 1",
            ));
        }
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
    #[cfg(test)]
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
mod tests;
