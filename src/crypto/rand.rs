//! Randomness from aws-lc-rs.

use crate::error::Error;

pub(crate) fn fill(buf: &mut [u8]) -> Result<(), Error> {
    unimplemented!()
}

pub(crate) fn random32() -> Result<[u8; 32], Error> {
    let mut b = [0u8; 32];
    fill(&mut b)?;
    Ok(b)
}
