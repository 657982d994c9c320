//! Cuts a byte stream into records, bounded to one maximum-size record of buffer.

use crate::error::Error;
use crate::msgs::enums::{ContentType, ProtocolVersion};

/// A record header as received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RecordHeader {
    pub typ: ContentType,
    pub version: ProtocolVersion,
    pub len: u16,
}

/// A complete record borrowed from the deframer; `payload` may be decrypted in place.
#[derive(Debug)]
pub(crate) struct Record<'a> {
    pub header: RecordHeader,
    /// The 5 header bytes (additional data for TLS 1.3 AEAD).
    pub header_bytes: [u8; 5],
    pub payload: &'a mut [u8],
}

/// Stream → records. Never holds more than one maximum record plus header beyond what was consumed.
pub(crate) struct Deframer {
    _p: (),
}

impl Deframer {
    pub(crate) fn new() -> Self {
        unimplemented!()
    }
    /// Free space to read transport bytes into; at most `limit` bytes long (call
    /// with `bytes_needed()` to read exactly record by record, as kTLS RX needs).
    pub(crate) fn space(&mut self, limit: usize) -> &mut [u8] {
        unimplemented!()
    }
    /// Marks `n` bytes of `space()` as filled.
    pub(crate) fn commit(&mut self, n: usize) {
        unimplemented!()
    }
    /// Copies `data` in; returns how many bytes were taken (bounded by capacity).
    pub(crate) fn feed(&mut self, data: &[u8]) -> usize {
        unimplemented!()
    }
    /// Bytes still needed to complete the next record (header first, then body); ≥ 1.
    pub(crate) fn bytes_needed(&self) -> usize {
        unimplemented!()
    }
    /// Bytes buffered but not yet returned as records.
    pub(crate) fn buffered(&self) -> usize {
        unimplemented!()
    }
    /// The next complete record, if any. Validates the header: unknown content type →
    /// `unexpected_message`; length > 2^14+256 → `record_overflow`; version major ≠ 3 → `decode_error`;
    /// zero-length non-application-data → handled by caller.
    pub(crate) fn next_record(&mut self) -> Result<Option<Record<'_>>, Error> {
        unimplemented!()
    }
}

impl core::fmt::Debug for Deframer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Deframer({} buffered)", self.buffered())
    }
}
