//! TLS 1.3 specifics.

pub(crate) mod key_schedule;
#[cfg(test)]
pub(crate) mod rfc8448;
