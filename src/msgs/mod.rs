//! Wire formats: the codec, code points, and handshake messages.

pub(crate) mod codec;
pub mod enums;
