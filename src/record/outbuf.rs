//! The outgoing record buffer.
//!
//! Records are sealed straight into it from the caller's plaintext
//! (`Encrypter::seal_into`), which needs a `&mut [u8]` of initialised bytes.
//! A `Vec` would have to zero each record's bytes first (in safe Rust), which
//! costs as much as the copy the out-of-place seal saves; so the buffer
//! remembers how far it was ever initialised and only zeroes past that.

/// Pending output bytes: `buf[pos..len]` waits to be written;
/// `buf[len..]` is initialised scratch, reused by the next record.
#[derive(Default)]
pub(crate) struct OutBuf {
    buf: Vec<u8>,
    len: usize,
    pos: usize,
    /// A buffer the caller gave back after sending from it
    /// ([`recycle`](Self::recycle)), its bytes still initialised: the next
    /// [`take`](Self::take) that hands `buf` away continues in it instead of
    /// in an empty allocation that every record would zero again.
    spare: Vec<u8>,
}

impl OutBuf {
    /// The bytes not yet written out.
    pub(crate) fn pending(&self) -> &[u8] {
        &self.buf[self.pos..self.len]
    }

    /// Bytes held (written or not): where the next record starts.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// `n` more bytes at the end, for the caller to fill in (contents unspecified).
    /// Zeroes only bytes never used before.
    pub(crate) fn grow(&mut self, n: usize) -> &mut [u8] {
        let start = self.len;
        let end = start + n;
        if self.buf.len() < end {
            self.buf.resize(end, 0);
        }
        self.len = end;
        &mut self.buf[start..end]
    }

    /// Appends `data`.
    pub(crate) fn extend_from_slice(&mut self, data: &[u8]) {
        self.grow(data.len()).copy_from_slice(data);
    }

    /// Drops the bytes from `len` on (a record that failed to seal).
    pub(crate) fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
        self.pos = self.pos.min(self.len);
    }

    /// Marks `n` pending bytes written; all written empties the buffer.
    pub(crate) fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.len);
        if self.pos == self.len {
            self.pos = 0;
            self.len = 0;
        }
    }

    /// Drops already-written bytes once they are half the buffer, so it does not creep.
    pub(crate) fn compact(&mut self) {
        if self.pos > 0 && self.pos >= self.len / 2 {
            self.buf.copy_within(self.pos..self.len, 0);
            self.len -= self.pos;
            self.pos = 0;
        }
    }

    /// Moves the pending bytes to the end of `dst`; when `dst` is empty and
    /// nothing was written yet the two buffers are swapped instead of copied
    /// (then the next records zero their bytes once more: `dst`'s old
    /// allocation comes back with no initialised bytes).
    pub(crate) fn take(&mut self, dst: &mut Vec<u8>) {
        if dst.is_empty() && self.pos == 0 {
            self.buf.truncate(self.len);
            std::mem::swap(dst, &mut self.buf);
            self.buf.clear();
            if !self.spare.is_empty() {
                self.buf = std::mem::take(&mut self.spare);
            }
        } else {
            dst.extend_from_slice(self.pending());
        }
        self.len = 0;
        self.pos = 0;
    }

    /// Takes back a buffer that [`take`](Self::take) handed out and whose
    /// bytes were sent: kept as it is (its length is what is initialised, its
    /// contents sent ciphertext) for the next records. One is kept, the
    /// larger.
    pub(crate) fn recycle(&mut self, buf: Vec<u8>) {
        if buf.len() > self.spare.len() {
            self.spare = buf;
        }
    }

    /// Frees the allocations.
    pub(crate) fn release(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recycled_buffer_is_sealed_into_again_as_it_is() {
        let mut b = OutBuf::default();
        b.extend_from_slice(&[1; 100]);
        let mut sent = Vec::new();
        b.take(&mut sent);
        let first = sent.as_ptr();
        // Records queued meanwhile, then the sent buffer comes back.
        b.extend_from_slice(&[2; 50]);
        b.recycle(sent);
        let mut next = Vec::new();
        b.take(&mut next);
        assert_eq!(next, [2; 50]);
        // The records after that go into the recycled allocation, whose 100
        // bytes count as initialised (contents unspecified until written).
        b.grow(80).fill(3);
        assert_eq!(b.pending().as_ptr(), first);
        assert_eq!(b.pending(), [3; 80]);
        // A smaller one does not replace the larger spare; release drops both.
        b.recycle(vec![0; 10]);
        b.release();
        assert_eq!(b.pending(), b"");
    }

    #[test]
    fn reuses_initialised_bytes_and_keeps_order() {
        let mut b = OutBuf::default();
        b.extend_from_slice(b"hello");
        b.grow(3).copy_from_slice(b"abc");
        assert_eq!(b.pending(), b"helloabc");
        b.consume(5);
        assert_eq!(b.pending(), b"abc");
        b.compact();
        assert_eq!((b.pending(), b.len()), (&b"abc"[..], 3));
        b.truncate(2);
        assert_eq!(b.pending(), b"ab");
        b.consume(100);
        assert_eq!((b.pending(), b.len()), (&b""[..], 0));
        // Old bytes are reused, not zeroed: the caller overwrites them.
        assert_eq!(b.grow(4).len(), 4);
        b.truncate(0);
        b.extend_from_slice(b"xy");
        let mut dst = Vec::new();
        b.take(&mut dst);
        assert_eq!(dst, b"xy");
        assert_eq!(b.pending(), b"");
        let mut dst = b"12".to_vec();
        b.extend_from_slice(b"34");
        b.consume(1);
        b.take(&mut dst);
        assert_eq!(dst, b"124");
        b.release();
        assert_eq!(b.len(), 0);
    }
}
