//! TLS 1.2 key derivation (RFC 5246 §5, §6.3, §8.1; RFC 7627; RFC 5705).

pub(crate) mod prf;
