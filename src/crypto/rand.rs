//! Randomness from aws-lc-rs.

use crate::error::Error;

pub(crate) fn fill(buf: &mut [u8]) -> Result<(), Error> {
    aws_lc_rs::rand::fill(buf).map_err(|_| Error::internal("random number generator failed"))
}

pub(crate) fn random32() -> Result<[u8; 32], Error> {
    let mut b = [0u8; 32];
    fill(&mut b)?;
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_and_differs() {
        let a = random32().unwrap();
        let b = random32().unwrap();
        assert_ne!(a, b);
        assert_ne!(a, [0u8; 32]);
        let mut empty = [0u8; 0];
        fill(&mut empty).unwrap();
    }
}
