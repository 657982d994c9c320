//! The only module that imports aws-lc-rs.

pub(crate) mod aead;
pub(crate) mod hash;
pub(crate) mod kx;
pub(crate) mod pss;
pub(crate) mod rand;
pub(crate) mod sign;
pub(crate) mod verify;
