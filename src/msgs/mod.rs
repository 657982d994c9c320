//! Wire formats: the codec, code points, and handshake messages.

pub(crate) mod codec;
pub mod enums;
pub(crate) mod extensions;
pub(crate) mod handshake;
pub(crate) mod joiner;

#[cfg(test)]
pub(crate) mod test_vectors;
