//! The ML-KEM-768 hybrids of draft-ietf-tls-ecdhe-mlkem, TLS 1.3 only.
//!
//! Each share and the secret are the concatenation of the two parts, in one
//! order per group: X25519MLKEM768 puts ML-KEM first (client share = the
//! 1184-byte encapsulation key || 32-byte X25519; server share = the 1088-byte
//! ciphertext || X25519; secret = ML-KEM secret || X25519 secret), and
//! SecP256r1MLKEM768 puts the 65-byte P-256 point first (and its secret first).
//! Each part has a fixed length, so a share of any other length is
//! `illegal_parameter` before anything is parsed.

use aws_lc_rs::kem::{Ciphertext, DecapsulationKey, EncapsulationKey, SharedSecret, ML_KEM_768};

use super::{illegal_share, Ecdh, Response};
use crate::error::Error;
use crate::msgs::enums::NamedGroup;
use crate::secrets::Secret;

/// ML-KEM-768 sizes (FIPS 203 §8, Table 3).
const EK_LEN: usize = 1184;
const CT_LEN: usize = 1088;
const SS_LEN: usize = 32;

/// One hybrid group: its ECDH half and which half comes first on the wire.
#[derive(Clone, Copy)]
pub(super) struct Hybrid {
    ecdh: NamedGroup,
    kem_first: bool,
}

impl Hybrid {
    pub(super) fn of(group: NamedGroup) -> Option<Self> {
        match group {
            NamedGroup::X25519MLKEM768 => Some(Self {
                ecdh: NamedGroup::X25519,
                kem_first: true,
            }),
            NamedGroup::SECP256R1MLKEM768 => Some(Self {
                ecdh: NamedGroup::SECP256R1,
                kem_first: false,
            }),
            _ => None,
        }
    }

    fn ecdh_len(self) -> usize {
        super::ecdh_share_len(self.ecdh)
    }

    /// Splits a share of exactly `kem_len + ecdh_len` bytes into (kem, ecdh).
    fn split(self, share: &[u8], kem_len: usize) -> Result<(&[u8], &[u8]), Error> {
        if share.len() != kem_len + self.ecdh_len() {
            return Err(illegal_share());
        }
        Ok(if self.kem_first {
            share.split_at(kem_len)
        } else {
            let (e, k) = share.split_at(self.ecdh_len());
            (k, e)
        })
    }

    fn join(self, kem: &[u8], ecdh: &[u8]) -> Vec<u8> {
        let (a, b) = if self.kem_first {
            (kem, ecdh)
        } else {
            (ecdh, kem)
        };
        [a, b].concat()
    }

    /// The combined secret; 64 bytes, built on the stack so no copy outlives it.
    fn secret(self, kem: &SharedSecret, ecdh: &Secret) -> Result<Secret, Error> {
        let kem = kem.as_ref();
        let ecdh = ecdh.as_bytes();
        if kem.len() != SS_LEN || ecdh.len() != SS_LEN {
            return Err(Error::internal("hybrid shared secret has wrong length"));
        }
        let mut buf = [0u8; 2 * SS_LEN];
        let (a, b) = if self.kem_first {
            (kem, ecdh)
        } else {
            (ecdh, kem)
        };
        buf[..SS_LEN].copy_from_slice(a);
        buf[SS_LEN..].copy_from_slice(b);
        let s = Secret::new(&buf);
        zeroize::Zeroize::zeroize(&mut buf);
        Ok(s)
    }
}

/// The client's half-done hybrid: an ML-KEM decapsulation key and an ECDH key.
/// aws-lc cleanses both when they are freed.
pub(super) struct Initiator {
    hybrid: Hybrid,
    dk: DecapsulationKey,
    ecdh: Ecdh,
    public: Vec<u8>,
}

impl Initiator {
    pub(super) fn generate(hybrid: Hybrid) -> Result<Self, Error> {
        let dk = DecapsulationKey::generate(&ML_KEM_768)
            .map_err(|_| Error::internal("ML-KEM key generation failed"))?;
        let ek = dk
            .encapsulation_key()
            .and_then(|ek| ek.key_bytes())
            .map_err(|_| Error::internal("ML-KEM encapsulation key failed"))?;
        if ek.as_ref().len() != EK_LEN {
            return Err(Error::internal("ML-KEM encapsulation key has wrong length"));
        }
        let ecdh = Ecdh::generate(hybrid.ecdh)?;
        let public = hybrid.join(ek.as_ref(), &ecdh.public);
        Ok(Self {
            hybrid,
            dk,
            ecdh,
            public,
        })
    }

    pub(super) fn public(&self) -> &[u8] {
        &self.public
    }

    /// The server's share: the ML-KEM ciphertext and its ECDH share. A
    /// ciphertext of the right length always decapsulates (ML-KEM's implicit
    /// rejection yields an unrelated secret and the Finished check fails), so
    /// only the length is ours to check (FIPS 203 §7.3).
    pub(super) fn complete(self, peer: &[u8]) -> Result<Secret, Error> {
        let (ct, ecdh_peer) = self.hybrid.split(peer, CT_LEN)?;
        let kem = self
            .dk
            .decapsulate(Ciphertext::from(ct))
            .map_err(|_| illegal_share())?;
        let ecdh = self.ecdh.agree(ecdh_peer)?;
        self.hybrid.secret(&kem, &ecdh)
    }
}

/// The server's side: encapsulate to the client's ML-KEM key, answer its ECDH share.
pub(super) fn respond(hybrid: Hybrid, peer: &[u8]) -> Result<Response, Error> {
    let (ek, ecdh_peer) = hybrid.split(peer, EK_LEN)?;
    if !ek_modulus_ok(ek) {
        return Err(illegal_share());
    }
    let ek = EncapsulationKey::new(&ML_KEM_768, ek).map_err(|_| illegal_share())?;
    let (ct, kem) = ek.encapsulate().map_err(|_| illegal_share())?;
    let ours = Ecdh::generate(hybrid.ecdh)?;
    let ecdh_public = ours.public.clone();
    let ecdh = ours.agree(ecdh_peer)?;
    Ok(Response {
        share: hybrid.join(ct.as_ref(), &ecdh_public),
        secret: hybrid.secret(&kem, &ecdh)?,
    })
}

/// FIPS 203 §7.2 encapsulation key check: every 12-bit coefficient of the
/// encoded vector t̂ (the key minus its 32-byte seed) is below q = 3329, i.e.
/// ByteEncode12(ByteDecode12(ek)) == ek. The draft makes a failure
/// illegal_parameter. The key is public, so this need not be constant time.
fn ek_modulus_ok(ek: &[u8]) -> bool {
    const Q: u16 = 3329;
    let Some(t) = ek.get(..ek.len().saturating_sub(32)) else {
        return false;
    };
    t.chunks_exact(3).all(|b| {
        let (b0, b1, b2) = (u16::from(b[0]), u16::from(b[1]), u16::from(b[2]));
        let c0 = b0 | ((b1 & 0x0f) << 8);
        let c1 = (b1 >> 4) | (b2 << 4);
        c0 < Q && c1 < Q
    })
}

#[cfg(test)]
pub(super) mod test_support {
    /// Sets one coefficient of an encoded encapsulation key to q (out of range).
    pub(crate) fn break_modulus(ek: &mut [u8]) {
        // Coefficient 0: low byte and the low nibble of byte 1. 3329 = 0xd01.
        ek[0] = 0x01;
        ek[1] = (ek[1] & 0xf0) | 0x0d;
    }
    pub(crate) const EK_LEN: usize = super::EK_LEN;
    pub(crate) const CT_LEN: usize = super::CT_LEN;
}
