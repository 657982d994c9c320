//! Secret byte strings: fixed-size, zeroized on drop, redacted in `Debug`,
//! compared in constant time.

use zeroize::Zeroize;

/// A secret of up to 64 bytes (large enough for SHA-384 secrets and AES-256 keys).
#[derive(Clone)]
pub(crate) struct Secret {
    buf: [u8; 64],
    len: u8,
}

impl Secret {
    /// Copies `bytes` (at most 64) into a new secret.
    pub(crate) fn new(bytes: &[u8]) -> Self {
        unimplemented!()
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        unimplemented!()
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
    unimplemented!()
}
