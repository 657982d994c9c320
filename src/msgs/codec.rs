//! The one cursor (`Reader`) and the one trait (`Codec`) used for all wire parsing.
//!
//! Every read is bounds-checked and returns `DecodeError` instead of panicking;
//! lengths come from the wire but allocations are bounded by the input size.

use super::enums::AlertDescription;
use crate::error::Error;

/// Parse failure. Maps to `decode_error` (or `illegal_parameter` via `Error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DecodeError(pub &'static str);

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Error::protocol(AlertDescription::DECODE_ERROR, e.0)
    }
}

/// A bounds-checked cursor over received bytes.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let r = &self.buf[self.pos..];
        self.pos = self.buf.len();
        r
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.left() < n {
            return Err(DecodeError("truncated"));
        }
        let r = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(r)
    }

    pub(crate) fn left(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub(crate) fn any_left(&self) -> bool {
        self.pos < self.buf.len()
    }

    pub(crate) fn used(&self) -> usize {
        self.pos
    }

    /// Fails unless every byte was consumed.
    pub(crate) fn expect_empty(&self, what: &'static str) -> Result<(), DecodeError> {
        if self.any_left() {
            Err(DecodeError(what))
        } else {
            Ok(())
        }
    }

    pub(crate) fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, DecodeError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub(crate) fn u24(&mut self) -> Result<u32, DecodeError> {
        let b = self.take(3)?;
        Ok(u32::from_be_bytes([0, b[0], b[1], b[2]]))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, DecodeError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A sub-reader over a `u8`-length-prefixed vector.
    pub(crate) fn sub8(&mut self) -> Result<Reader<'a>, DecodeError> {
        let n = self.u8()? as usize;
        Ok(Reader::new(self.take(n)?))
    }

    /// A sub-reader over a `u16`-length-prefixed vector.
    pub(crate) fn sub16(&mut self) -> Result<Reader<'a>, DecodeError> {
        let n = self.u16()? as usize;
        Ok(Reader::new(self.take(n)?))
    }

    /// A sub-reader over a `u24`-length-prefixed vector.
    pub(crate) fn sub24(&mut self) -> Result<Reader<'a>, DecodeError> {
        let n = self.u24()? as usize;
        Ok(Reader::new(self.take(n)?))
    }

    pub(crate) fn bytes8(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = self.u8()? as usize;
        self.take(n)
    }

    pub(crate) fn bytes16(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = self.u16()? as usize;
        self.take(n)
    }

    pub(crate) fn bytes24(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = self.u24()? as usize;
        self.take(n)
    }
}

/// Encoding and decoding of one wire type.
pub(crate) trait Codec: Sized {
    fn encode(&self, out: &mut Vec<u8>);
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError>;

    #[allow(dead_code)] // kept for the TLS 1.2 / PSK / kTLS work that uses it next
    fn get_encoding(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.encode(&mut v);
        v
    }

    /// Decodes a whole buffer; trailing bytes are an error.
    fn read_bytes(b: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(b);
        let v = Self::read(&mut r)?;
        r.expect_empty("trailing bytes")?;
        Ok(v)
    }
}

/// Width of a length prefix.
#[derive(Debug, Clone, Copy)]
pub(crate) enum LenPrefix {
    U8,
    U16,
    U24,
}

/// Writes a length-prefixed body: reserves the prefix, runs `f`, then fixes the prefix.
///
/// Panics only if our own encoder writes a body larger than the prefix allows,
/// which is a programming error (all bodies we build are bounded by policy).
pub(crate) fn encode_prefixed(out: &mut Vec<u8>, prefix: LenPrefix, f: impl FnOnce(&mut Vec<u8>)) {
    let width = match prefix {
        LenPrefix::U8 => 1,
        LenPrefix::U16 => 2,
        LenPrefix::U24 => 3,
    };
    let start = out.len();
    out.extend_from_slice(&[0u8; 3][..width]);
    f(out);
    let len = out.len() - start - width;
    let be = (len as u32).to_be_bytes();
    let max = 1usize << (8 * width);
    assert!(len < max, "encoded vector exceeds its length prefix"); // ok-panic: our own encoder's bound
    out[start..start + width].copy_from_slice(&be[4 - width..]);
}

pub(crate) fn put_u8(out: &mut Vec<u8>, v: u8) {
    out.push(v);
}

pub(crate) fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

#[allow(dead_code)] // kept for the TLS 1.2 / PSK / kTLS work that uses it next
pub(crate) fn put_u24(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes()[1..]);
}

pub(crate) fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

pub(crate) fn put_bytes8(out: &mut Vec<u8>, b: &[u8]) {
    encode_prefixed(out, LenPrefix::U8, |o| o.extend_from_slice(b));
}

pub(crate) fn put_bytes16(out: &mut Vec<u8>, b: &[u8]) {
    encode_prefixed(out, LenPrefix::U16, |o| o.extend_from_slice(b));
}

pub(crate) fn put_bytes24(out: &mut Vec<u8>, b: &[u8]) {
    encode_prefixed(out, LenPrefix::U24, |o| o.extend_from_slice(b));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_bounds() {
        let mut r = Reader::new(&[0, 3, 1, 2]);
        assert_eq!(r.u16().unwrap(), 3);
        assert!(r.take(3).is_err());
        assert_eq!(r.left(), 2);
        let mut r = Reader::new(&[5, 1]);
        assert!(r.bytes8().is_err());
        let mut r = Reader::new(&[0, 0, 2, 9, 9]);
        assert_eq!(r.bytes24().unwrap(), &[9, 9]);
        assert!(!r.any_left());
    }

    #[test]
    fn prefixed_roundtrip() {
        let mut v = Vec::new();
        encode_prefixed(&mut v, LenPrefix::U24, |o| o.extend_from_slice(b"abc"));
        assert_eq!(v, [0, 0, 3, b'a', b'b', b'c']);
        let mut r = Reader::new(&v);
        assert_eq!(r.bytes24().unwrap(), b"abc");
    }
}
