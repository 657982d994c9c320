//! Cuts a byte stream into records, bounded to one maximum-size record of buffer.

use super::{HEADER_LEN, MAX_CIPHERTEXT, MAX_PLAINTEXT};
use crate::error::{AlertDescription, Error};
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

impl Record<'_> {
    /// The payload of a record that is not protected. Only ciphertext may be
    /// longer than 2^14 (RFC 8446 §5.1, RFC 5246 §6.2.1); the deframer admits
    /// 2^14 + 256 because it cannot tell the two apart: `record_overflow`.
    pub(crate) fn plaintext(&self) -> Result<&[u8], Error> {
        if self.payload.len() > MAX_PLAINTEXT {
            return Err(Error::protocol(
                AlertDescription::RECORD_OVERFLOW,
                "plaintext record longer than 2^14",
            ));
        }
        Ok(self.payload)
    }
}

/// Extra room beyond one maximum record, so a reader that does not read record
/// by record can pull in the start of the next record in the same call.
const SLACK: usize = 4096;

/// The deframer's fixed buffer size: one maximum record plus header, plus slack.
pub(crate) const CAPACITY: usize = HEADER_LEN + MAX_CIPHERTEXT + SLACK;
// One maximum record always fits, so compaction always makes room to finish it.
const _: () = assert!(CAPACITY >= HEADER_LEN + MAX_CIPHERTEXT && CAPACITY < 32 * 1024);

/// Stream → records. Never holds more than one maximum record plus header beyond what was consumed.
///
/// The buffer is allocated at `CAPACITY` when first needed and never grows;
/// [`release`](Self::release) frees it while it holds nothing. Bytes
/// `buf[start..end]` are received but not yet returned as records; consumed
/// bytes at the front are reclaimed by moving the remainder down when room is
/// needed at the back.
pub(crate) struct Deframer {
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// `buf[..dirty]` may hold received records (committed bytes, some
    /// decrypted in place). Beyond it are zeros, or whatever a transport read
    /// wrote past what it committed: bytes off the wire, never plaintext.
    dirty: usize,
}

/// Most receive buffers a thread keeps for its next connections.
const POOL_MAX: usize = 16;

thread_local! {
    /// Receive buffers given back by this thread's finished or idle
    /// connections. A new connection would otherwise pay for a zeroed
    /// `CAPACITY` allocation (about a tenth of a resumed TLS 1.2 handshake);
    /// a thread-per-core server reuses them. Each is zeroed where it held
    /// records before it is kept, so no connection sees another's plaintext.
    static POOL: core::cell::RefCell<Vec<Box<[u8]>>> = const { core::cell::RefCell::new(Vec::new()) };
}

/// A `CAPACITY` buffer holding no records: from this thread's pool, or new.
fn take_buffer() -> Box<[u8]> {
    POOL.try_with(|p| p.borrow_mut().pop())
        .ok()
        .flatten()
        .unwrap_or_else(|| vec![0u8; CAPACITY].into_boxed_slice())
}

/// Frees the buffers this thread's pool keeps.
pub(crate) fn trim_pool() {
    let _ = POOL.try_with(|p| p.borrow_mut().clear());
}

/// Zeroes `buf[..dirty]` and keeps it for the next connection, unless the
/// pool is full (or the thread is ending): then it is freed.
fn give_back(mut buf: Box<[u8]>, dirty: usize) {
    if buf.len() != CAPACITY {
        return;
    }
    let _ = POOL.try_with(|p| {
        let mut pool = p.borrow_mut();
        if pool.len() < POOL_MAX {
            buf[..dirty.min(CAPACITY)].fill(0);
            pool.push(buf);
        }
    });
}

impl Drop for Deframer {
    fn drop(&mut self) {
        give_back(std::mem::take(&mut self.buf), self.dirty);
    }
}

/// Parses and validates a header. `Ok(None)` never happens; errors are the
/// alerts documented on `next_record`.
fn parse_header(h: &[u8; 5]) -> Result<RecordHeader, Error> {
    let typ = ContentType(h[0]);
    match typ {
        ContentType::CHANGE_CIPHER_SPEC
        | ContentType::ALERT
        | ContentType::HANDSHAKE
        | ContentType::APPLICATION_DATA => {}
        _ => {
            return Err(Error::protocol(
                AlertDescription::UNEXPECTED_MESSAGE,
                "record of unknown content type",
            ))
        }
    }
    let version = ProtocolVersion(u16::from_be_bytes([h[1], h[2]]));
    if h[1] != 3 {
        return Err(Error::protocol(
            AlertDescription::DECODE_ERROR,
            "record version is not TLS",
        ));
    }
    let len = u16::from_be_bytes([h[3], h[4]]);
    // change_cipher_spec is never protected: no need to wait for its body.
    if typ == ContentType::CHANGE_CIPHER_SPEC && usize::from(len) > MAX_PLAINTEXT {
        return Err(Error::protocol(
            AlertDescription::RECORD_OVERFLOW,
            "change_cipher_spec record longer than 2^14",
        ));
    }
    if usize::from(len) > MAX_CIPHERTEXT {
        return Err(Error::protocol(
            AlertDescription::RECORD_OVERFLOW,
            "record longer than 2^14 + 256",
        ));
    }
    Ok(RecordHeader { typ, version, len })
}

impl Deframer {
    pub(crate) fn new() -> Self {
        Self {
            buf: Box::default(),
            start: 0,
            end: 0,
            dirty: 0,
        }
    }

    /// Frees the buffer if nothing is buffered (an idle connection then holds
    /// no record buffer); returns whether it did. The next `space` allocates
    /// it again.
    pub(crate) fn release(&mut self) -> bool {
        if self.start != self.end {
            return false;
        }
        give_back(std::mem::take(&mut self.buf), self.dirty);
        self.start = 0;
        self.end = 0;
        self.dirty = 0;
        true
    }

    /// Moves unconsumed bytes to the front of the buffer.
    fn compact(&mut self) {
        if self.start == 0 {
            return;
        }
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
    }

    /// Free space to read transport bytes into; at most `limit` bytes long (call
    /// with `bytes_needed()` to read exactly record by record, as kTLS RX needs).
    ///
    /// Empty only when `limit` is 0 or the buffer is full of unconsumed bytes
    /// (which holds a complete record: call `next_record`).
    pub(crate) fn space(&mut self, limit: usize) -> &mut [u8] {
        if self.buf.is_empty() {
            self.buf = take_buffer();
            self.dirty = 0;
        }
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if CAPACITY - self.end < limit {
            self.compact();
        }
        let end = self.end.saturating_add(limit).min(CAPACITY);
        &mut self.buf[self.end..end]
    }

    /// Marks `n` bytes of `space()` as filled.
    pub(crate) fn commit(&mut self, n: usize) {
        debug_assert!(n <= CAPACITY - self.end, "commit past the space handed out");
        self.end += n.min(CAPACITY - self.end);
        self.dirty = self.dirty.max(self.end);
    }

    /// Copies `data` in; returns how many bytes were taken (bounded by capacity).
    /// Tests only: the drivers read straight into `space()` and `commit`.
    #[cfg(test)]
    pub(crate) fn feed(&mut self, data: &[u8]) -> usize {
        let space = self.space(data.len());
        let n = space.len();
        space.copy_from_slice(&data[..n]);
        self.commit(n);
        n
    }

    /// Bytes still needed to complete the next record (header first, then body); ≥ 1.
    ///
    /// Exact: `5 - have` while the next header is incomplete, else the rest of
    /// that record's body. Complete records already buffered are skipped (they
    /// need nothing more), so reading exactly this many bytes never reads past
    /// a record boundary. For a header `next_record` will reject, 1.
    pub(crate) fn bytes_needed(&self) -> usize {
        let mut pos = self.start;
        loop {
            let have = self.end - pos;
            if have < HEADER_LEN {
                return HEADER_LEN - have;
            }
            let mut h = [0u8; 5];
            h.copy_from_slice(&self.buf[pos..pos + HEADER_LEN]);
            let Ok(header) = parse_header(&h) else {
                return 1;
            };
            let total = HEADER_LEN + usize::from(header.len);
            if have < total {
                return total - have;
            }
            pos += total;
        }
    }

    /// Bytes buffered but not yet returned as records.
    pub(crate) fn buffered(&self) -> usize {
        self.end - self.start
    }

    /// The next complete record, if any. Validates the header: unknown content type →
    /// `unexpected_message`; length > 2^14+256 → `record_overflow`; version major ≠ 3 → `decode_error`;
    /// zero-length non-application-data → handled by caller.
    ///
    /// The header is checked as soon as its 5 bytes are here, before the body
    /// arrives. A returned record's bytes count as consumed.
    pub(crate) fn next_record(&mut self) -> Result<Option<Record<'_>>, Error> {
        if self.buffered() < HEADER_LEN {
            return Ok(None);
        }
        let mut header_bytes = [0u8; 5];
        header_bytes.copy_from_slice(&self.buf[self.start..self.start + HEADER_LEN]);
        let header = parse_header(&header_bytes)?;
        let total = HEADER_LEN + usize::from(header.len);
        if self.buffered() < total {
            return Ok(None);
        }
        let body = self.start + HEADER_LEN..self.start + total;
        self.start += total;
        Ok(Some(Record {
            header,
            header_bytes,
            payload: &mut self.buf[body],
        }))
    }
}

impl core::fmt::Debug for Deframer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Deframer({} buffered)", self.buffered())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(typ: u8, body: &[u8]) -> Vec<u8> {
        let mut r = vec![typ, 3, 3];
        r.extend_from_slice(&(body.len() as u16).to_be_bytes());
        r.extend_from_slice(body);
        r
    }

    fn alert_of(e: Error) -> AlertDescription {
        e.sent_alert().unwrap()
    }

    /// Drains all complete records as (type, payload).
    fn drain(d: &mut Deframer) -> Vec<(u8, Vec<u8>)> {
        let mut out = Vec::new();
        while let Some(r) = d.next_record().unwrap() {
            assert_eq!(r.header.len as usize, r.payload.len());
            assert_eq!(r.header_bytes[0], r.header.typ.0);
            out.push((r.header.typ.0, r.payload.to_vec()));
        }
        out
    }

    #[test]
    fn split_at_every_byte() {
        let mut stream = record(22, b"hello handshake");
        stream.extend(record(23, &[0xab; 300]));
        stream.extend(record(21, &[1, 0]));
        let want = vec![
            (22, b"hello handshake".to_vec()),
            (23, vec![0xab; 300]),
            (21, vec![1, 0]),
        ];
        for split in 0..=stream.len() {
            let mut d = Deframer::new();
            let mut got = Vec::new();
            assert_eq!(d.feed(&stream[..split]), split);
            got.extend(drain(&mut d));
            assert_eq!(d.feed(&stream[split..]), stream.len() - split);
            got.extend(drain(&mut d));
            assert_eq!(got, want, "split at {split}");
            assert_eq!(d.buffered(), 0);
        }
    }

    #[test]
    fn byte_by_byte() {
        let mut stream = record(22, &[1; 40]);
        stream.extend(record(23, &[]));
        stream.extend(record(23, &[2; 17]));
        let mut d = Deframer::new();
        let mut got = Vec::new();
        for b in &stream {
            assert_eq!(d.feed(&[*b]), 1);
            got.extend(drain(&mut d));
        }
        assert_eq!(
            got,
            vec![(22, vec![1; 40]), (23, vec![]), (23, vec![2; 17])]
        );
    }

    #[test]
    fn several_records_in_one_feed_and_in_place_mutation() {
        let mut stream = Vec::new();
        for i in 0..10u8 {
            stream.extend(record(23, &[i; 100]));
        }
        let mut d = Deframer::new();
        assert_eq!(d.feed(&stream), stream.len());
        for i in 0..10u8 {
            let r = d.next_record().unwrap().unwrap();
            assert_eq!(r.header.version, ProtocolVersion::TLSV1_2);
            assert_eq!(r.header_bytes, [23, 3, 3, 0, 100]);
            assert_eq!(r.payload, &[i; 100][..]);
            r.payload.fill(0xff); // in-place decryption writes here
            assert_eq!(d.buffered(), (9 - i as usize) * 105);
        }
        assert!(d.next_record().unwrap().is_none());
    }

    #[test]
    fn oversize_length_is_record_overflow() {
        let mut d = Deframer::new();
        let len = (MAX_CIPHERTEXT + 1) as u16;
        d.feed(&[23, 3, 3, (len >> 8) as u8, len as u8]);
        // Rejected from the header alone, before the body arrives.
        assert_eq!(
            alert_of(d.next_record().unwrap_err()),
            AlertDescription::RECORD_OVERFLOW
        );
        assert_eq!(d.bytes_needed(), 1);
        // Exactly the maximum is fine.
        let mut d = Deframer::new();
        let body = vec![7u8; MAX_CIPHERTEXT];
        assert_eq!(d.feed(&record(23, &body)), HEADER_LEN + MAX_CIPHERTEXT);
        assert_eq!(
            d.next_record().unwrap().unwrap().payload.len(),
            MAX_CIPHERTEXT
        );
        let mut d = Deframer::new();
        d.feed(&[22, 3, 1, 0xff, 0xff]);
        assert_eq!(
            alert_of(d.next_record().unwrap_err()),
            AlertDescription::RECORD_OVERFLOW
        );
    }

    #[test]
    fn only_ciphertext_may_exceed_two_to_the_fourteen() {
        for typ in [20u8, 21, 22, 23] {
            let mut d = Deframer::new();
            d.feed(&record(typ, &vec![1u8; MAX_PLAINTEXT]));
            let r = d.next_record().unwrap().unwrap();
            assert_eq!(r.plaintext().unwrap().len(), MAX_PLAINTEXT);
        }
        // The deframer cannot tell a TLS 1.2 protected handshake record from a
        // plaintext one, so it hands either over; read as plaintext it fails.
        for typ in [21u8, 22, 23] {
            let mut d = Deframer::new();
            d.feed(&record(typ, &vec![1u8; MAX_PLAINTEXT + 1]));
            let r = d.next_record().unwrap().unwrap();
            assert_eq!(r.payload.len(), MAX_PLAINTEXT + 1);
            assert_eq!(
                alert_of(r.plaintext().unwrap_err()),
                AlertDescription::RECORD_OVERFLOW
            );
        }
        // change_cipher_spec is never protected: refused from its header alone.
        let mut d = Deframer::new();
        let len = (MAX_PLAINTEXT as u16 + 1).to_be_bytes();
        d.feed(&[20, 3, 3, len[0], len[1]]);
        assert_eq!(
            alert_of(d.next_record().unwrap_err()),
            AlertDescription::RECORD_OVERFLOW
        );
    }

    #[test]
    fn bad_type_and_version() {
        for typ in [0u8, 19, 24, 0x80, 0xff] {
            let mut d = Deframer::new();
            d.feed(&record(typ, b"x"));
            assert_eq!(
                alert_of(d.next_record().unwrap_err()),
                AlertDescription::UNEXPECTED_MESSAGE,
                "type {typ}"
            );
        }
        for major in [0u8, 2, 4, 0x7f] {
            let mut d = Deframer::new();
            d.feed(&[22, major, 1, 0, 1, 0]);
            assert_eq!(
                alert_of(d.next_record().unwrap_err()),
                AlertDescription::DECODE_ERROR
            );
        }
        // Any minor version is accepted (ClientHello records carry 3,1).
        let mut d = Deframer::new();
        d.feed(&[22, 3, 1, 0, 1, 9]);
        let r = d.next_record().unwrap().unwrap();
        assert_eq!(r.header.version, ProtocolVersion::TLSV1_0);
        assert_eq!(r.payload, &[9]);
    }

    #[test]
    fn bytes_needed_is_exact() {
        let rec = record(23, &[5; 1000]);
        let mut d = Deframer::new();
        assert_eq!(d.bytes_needed(), 5);
        // Read exactly what is asked, in whatever pieces the transport gives.
        let mut fed = 0;
        d.feed(&rec[..2]);
        fed += 2;
        assert_eq!(d.bytes_needed(), 3);
        d.feed(&rec[fed..5]);
        fed = 5;
        assert_eq!(d.bytes_needed(), 1000);
        d.feed(&rec[fed..fed + 999]);
        fed += 999;
        assert_eq!(d.bytes_needed(), 1);
        assert!(d.next_record().unwrap().is_none());
        d.feed(&rec[fed..]);
        // Complete record buffered: the next one (nothing yet) needs a header.
        assert_eq!(d.bytes_needed(), 5);
        assert!(d.next_record().unwrap().is_some());
        assert_eq!(d.bytes_needed(), 5);
        // A driver that reads exactly bytes_needed() never crosses a record boundary.
        let mut stream = Vec::new();
        for n in [0usize, 1, 300, MAX_CIPHERTEXT, 17] {
            stream.extend(record(23, &vec![n as u8; n]));
        }
        let mut d = Deframer::new();
        let mut pos = 0;
        let mut count = 0;
        while pos < stream.len() {
            let need = d.bytes_needed();
            let space = d.space(need);
            assert_eq!(space.len(), need);
            space.copy_from_slice(&stream[pos..pos + need]);
            d.commit(need);
            pos += need;
            if d.next_record().unwrap().is_some() {
                count += 1;
                assert_eq!(d.buffered(), 0, "exact reads leave nothing extra");
            }
        }
        assert_eq!(count, 5);
    }

    #[test]
    fn capacity_is_bounded() {
        let mut d = Deframer::new();
        let junk = vec![0u8; 100_000];
        assert_eq!(d.feed(&junk), CAPACITY);
        assert_eq!(d.feed(&junk), 0);
        assert!(d.space(10).is_empty());
        assert_eq!(d.buffered(), CAPACITY);
        // Streaming many large records through never needs more than CAPACITY,
        // and compaction always leaves room to complete the next record.
        let big = record(23, &vec![3u8; MAX_PLAINTEXT + 100]);
        let mut stream = Vec::new();
        for _ in 0..20 {
            stream.extend_from_slice(&big);
        }
        let mut d = Deframer::new();
        let mut pos = 0;
        let mut got = 0;
        while got < 20 {
            let n = d.feed(&stream[pos..(pos + 7000).min(stream.len())]);
            pos += n;
            assert!(d.buffered() <= CAPACITY);
            while let Some(r) = d.next_record().unwrap() {
                assert_eq!(r.payload.len(), MAX_PLAINTEXT + 100);
                got += 1;
            }
        }
        assert_eq!(pos, stream.len());
    }

    #[test]
    fn release_only_when_empty_and_reallocates() {
        let mut d = Deframer::new();
        assert!(d.buf.is_empty(), "no buffer before the first read");
        let rec = record(23, b"abc");
        assert_eq!(d.feed(&rec[..4]), 4);
        assert!(!d.release(), "a partial record must stay buffered");
        assert_eq!(d.feed(&rec[4..]), rec.len() - 4);
        assert_eq!(d.next_record().unwrap().unwrap().payload, b"abc");
        assert!(d.release());
        assert!(d.buf.is_empty());
        assert_eq!(d.feed(&rec), rec.len());
        assert_eq!(d.next_record().unwrap().unwrap().payload, b"abc");
    }

    /// A buffer given back (released idle, or dropped with bytes in it)
    /// comes to the next deframer on this thread with its records zeroed,
    /// so no connection sees another's plaintext.
    #[test]
    fn pooled_buffers_come_back_zeroed() {
        let rec = [23u8, 3, 3, 0, 3, 0xaa, 0xbb, 0xcc];
        let mut a = Deframer::new();
        assert_eq!(a.feed(&rec), rec.len());
        a.next_record().unwrap().unwrap();
        assert!(a.release());
        let mut b = Deframer::new();
        assert!(b.space(usize::MAX).iter().all(|&x| x == 0));
        b.space(100).fill(0x77);
        b.commit(100);
        drop(b); // dropped holding unconsumed bytes
        let mut c = Deframer::new();
        assert!(c.space(usize::MAX).iter().all(|&x| x == 0));
    }

    #[test]
    fn space_and_commit() {
        let mut d = Deframer::new();
        assert!(d.space(0).is_empty());
        let s = d.space(3);
        assert_eq!(s.len(), 3);
        s.copy_from_slice(&[22, 3, 3]);
        d.commit(3);
        assert_eq!(d.buffered(), 3);
        let s = d.space(usize::MAX);
        assert_eq!(s.len(), CAPACITY - 3);
        s[..3].copy_from_slice(&[0, 1, 42]);
        d.commit(3);
        let r = d.next_record().unwrap().unwrap();
        assert_eq!(r.payload, &[42]);
        // Fully consumed: space starts at the front again.
        assert_eq!(d.space(usize::MAX).len(), CAPACITY);
        assert!(format!("{d:?}").contains("0 buffered"));
    }
}
