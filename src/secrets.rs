//! Secret byte strings: fixed-size, zeroized on drop, redacted in `Debug`,
//! compared in constant time.

use zeroize::Zeroize;

/// A secret of up to 66 bytes (large enough for SHA-384 secrets, AES-256 keys
/// and the 66-byte P-521 ECDH shared secret).
#[derive(Clone)]
pub(crate) struct Secret {
    buf: [u8; Self::MAX_LEN],
    len: u8,
}

impl Secret {
    /// The most bytes a `Secret` holds.
    pub(crate) const MAX_LEN: usize = 66;

    /// Copies `bytes` (at most [`Self::MAX_LEN`]) into a new secret.
    ///
    /// Every caller is internal and passes a hash output, an AEAD key, an IV or
    /// an (EC)DH shared secret, all of statically known length ≤ 66; nothing
    /// sized by the peer reaches here. Truncating would silently produce a
    /// wrong key, so a longer input is a bug and is asserted against.
    pub(crate) fn new(bytes: &[u8]) -> Self {
        // ok-panic: internal invariant; all callers pass fixed-size (≤ 66 byte) material.
        assert!(
            bytes.len() <= Self::MAX_LEN,
            "Secret::new: {} bytes exceeds {}",
            bytes.len(),
            Self::MAX_LEN
        );
        let mut buf = [0u8; Self::MAX_LEN];
        buf[..bytes.len()].copy_from_slice(bytes);
        Self {
            buf,
            len: bytes.len() as u8,
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }

    pub(crate) fn len(&self) -> usize {
        self.len as usize
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.buf.zeroize();
    }
}

impl core::fmt::Debug for Secret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Secret(<{} bytes redacted>)", self.len)
    }
}

/// Constant-time equality (length is not secret).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut acc = 0u8;
    for (x, y) in a.iter().zip(b) {
        acc |= x ^ y;
    }
    // Keep the optimizer from turning the loop into an early-exit compare.
    core::hint::black_box(acc) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_roundtrip_and_redaction() {
        let s = Secret::new(&[1, 2, 3]);
        assert_eq!(s.as_bytes(), &[1, 2, 3]);
        assert_eq!(s.len(), 3);
        assert_eq!(format!("{s:?}"), "Secret(<3 bytes redacted>)");
        let full = Secret::new(&[0xaa; 66]);
        assert_eq!(full.as_bytes(), &[0xaa; 66][..]);
        let empty = Secret::new(&[]);
        assert!(empty.as_bytes().is_empty());
    }

    #[test]
    #[should_panic]
    fn secret_too_long_is_a_bug() {
        let _ = Secret::new(&[0u8; 67]);
    }

    #[test]
    fn ct_eq_cases() {
        assert!(ct_eq(b"", b""));
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
        assert!(!ct_eq(b"", b"a"));
        assert!(!ct_eq(&[0x80; 32], &[0x00; 32]));
    }
}
