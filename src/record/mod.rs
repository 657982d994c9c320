//! The record layer: deframing, protection, size limits.

pub(crate) mod deframer;
pub(crate) mod outbuf;
pub(crate) mod protect;

/// Largest plaintext fragment (2^14).
pub(crate) const MAX_PLAINTEXT: usize = 16384;
/// Largest TLS 1.3 ciphertext (2^14 + 256).
pub(crate) const MAX_CIPHERTEXT: usize = 16384 + 256;
/// Record header length.
pub(crate) const HEADER_LEN: usize = 5;
