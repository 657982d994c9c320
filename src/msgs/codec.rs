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

/// An encoder was asked to write a vector longer than its length prefix can
/// say. Sizes we echo can come from the peer (a HelloRetryRequest cookie), so
/// this is an error, never a panic; the engine sends `internal_error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EncodeError(pub &'static str);

impl From<EncodeError> for Error {
    fn from(e: EncodeError) -> Self {
        Error::internal(format!("cannot encode message: {}", e.0))
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

    #[cfg_attr(not(any(test, feature = "fuzzing")), allow(dead_code))] // client_hello_binders_offset
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
    /// Appends the encoding; fails (leaving `out` as it was) if a vector
    /// does not fit its length prefix.
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError>;
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError>;

    #[cfg(test)]
    fn get_encoding(&self) -> Result<Vec<u8>, EncodeError> {
        let mut v = Vec::new();
        self.encode(&mut v)?;
        Ok(v)
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
/// A body too long for the prefix is an `EncodeError` and `out` is left as it
/// was: bodies can hold bytes the peer chose, so this must not panic.
pub(crate) fn encode_prefixed(
    out: &mut Vec<u8>,
    prefix: LenPrefix,
    f: impl FnOnce(&mut Vec<u8>) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    let width = match prefix {
        LenPrefix::U8 => 1,
        LenPrefix::U16 => 2,
        LenPrefix::U24 => 3,
    };
    let start = out.len();
    out.extend_from_slice(&[0u8; 3][..width]);
    if let Err(e) = f(out) {
        out.truncate(start);
        return Err(e);
    }
    let len = out.len() - start - width;
    if len >= 1usize << (8 * width) {
        out.truncate(start);
        return Err(EncodeError("vector longer than its length prefix allows"));
    }
    let be = (len as u32).to_be_bytes();
    out[start..start + width].copy_from_slice(&be[4 - width..]);
    Ok(())
}

pub(crate) fn put_u8(out: &mut Vec<u8>, v: u8) {
    out.push(v);
}

pub(crate) fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

pub(crate) fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

pub(crate) fn put_bytes8(out: &mut Vec<u8>, b: &[u8]) -> Result<(), EncodeError> {
    encode_prefixed(out, LenPrefix::U8, |o| {
        o.extend_from_slice(b);
        Ok(())
    })
}

pub(crate) fn put_bytes16(out: &mut Vec<u8>, b: &[u8]) -> Result<(), EncodeError> {
    encode_prefixed(out, LenPrefix::U16, |o| {
        o.extend_from_slice(b);
        Ok(())
    })
}

pub(crate) fn put_bytes24(out: &mut Vec<u8>, b: &[u8]) -> Result<(), EncodeError> {
    encode_prefixed(out, LenPrefix::U24, |o| {
        o.extend_from_slice(b);
        Ok(())
    })
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
        put_bytes24(&mut v, b"abc").unwrap();
        assert_eq!(v, [0, 0, 3, b'a', b'b', b'c']);
        let mut r = Reader::new(&v);
        assert_eq!(r.bytes24().unwrap(), b"abc");
    }

    #[test]
    fn oversized_bodies_are_errors_and_leave_the_output_alone() {
        let mut v = vec![9];
        assert!(put_bytes8(&mut v, &[0; 256]).is_err());
        assert!(put_bytes16(&mut v, &vec![0; 65536]).is_err());
        assert_eq!(v, [9]);
        put_bytes8(&mut v, &[0; 255]).unwrap();
        put_bytes16(&mut v, &vec![0; 65535]).unwrap();
        // An inner vector that fits can still overflow the outer one.
        let r = encode_prefixed(&mut v, LenPrefix::U16, |o| put_bytes16(o, &vec![1; 65534]));
        assert!(r.is_err());
        assert_eq!(v.len(), 1 + 256 + 2 + 65535);
        // A failing body fails the whole vector, and leaves nothing behind.
        let mut w = Vec::new();
        let r = encode_prefixed(&mut w, LenPrefix::U24, |o| {
            o.push(1);
            put_bytes8(o, &[0; 300])
        });
        assert!(r.is_err() && w.is_empty());
    }
}
