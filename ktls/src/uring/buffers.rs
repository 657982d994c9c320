//! Memory the kernel writes through the ring: the provided receive buffers
//! (multishot `RECV`) and the registered file-read pool (`READ_FIXED`).

use super::*;

/// A registered file buffer: the head room, then one chunk.
pub(super) const FILE_BUF: usize = HEAD_ROOM + FILE_CHUNK;

/// The provided buffers' group id in the worker's ring.
pub(super) const BUF_GROUP: u16 = 0;

/// Receive buffer per connection: a whole record's plaintext or ciphertext.
pub(super) const RECV_BUF: usize = 16 * 1024 + 512;

/// An anonymous private mapping that the kernel may read or write through
/// io_uring: only ever reached through raw pointers (never a reference over
/// the whole area), so the kernel writing one part of it while Rust reads
/// another is no aliasing violation. Unmapped on drop: its owner drops it only
/// after the ring that uses it is gone (or leaks it).
pub(super) struct Mmap {
    pub(super) ptr: std::ptr::NonNull<u8>,
    pub(super) len: usize,
}

impl Mmap {
    pub(super) fn new(len: usize) -> io::Result<Mmap> {
        // SAFETY: a fresh anonymous mapping (no address hint, no fd); the
        // result is checked before use.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr = std::ptr::NonNull::new(p.cast()).ok_or_else(io::Error::last_os_error)?;
        Ok(Mmap { ptr, len })
    }

    /// The address of byte `off` (at most `len`: one past the end).
    pub(super) fn at(&self, off: usize) -> *mut u8 {
        assert!(off <= self.len);
        // In bounds (checked), so the same address `add` would give.
        self.ptr.as_ptr().wrapping_add(off)
    }
}

impl Drop for Mmap {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, unmapped once; whoever held it
        // for the kernel is gone (see the type's doc).
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

/// The worker's provided buffers for multishot receives: `count` buffers
/// of `RECV_BUF` bytes, and the ring (shared with the kernel) through which
/// they are handed to it. A buffer the kernel filled is out of the ring until
/// [`give_back`](BufRing::give_back); only then may Rust read it.
pub(super) struct BufRing {
    /// `count` entries, page-aligned, the tail in the first one.
    pub(super) entries: Mmap,
    /// Number of entries and buffers (a power of two).
    pub(super) count: u16,
    /// The buffers, back to back: written by the kernel while in the ring.
    pub(super) bufs: Mmap,
    pub(super) tail: u16,
}

impl BufRing {
    pub(super) fn new(ring: &IoUring, count: u16) -> io::Result<BufRing> {
        let count = count.clamp(1, 1 << 15).next_power_of_two();
        let entries = Mmap::new(count as usize * std::mem::size_of::<types::BufRingEntry>())?;
        let bufs = Mmap::new(count as usize * RECV_BUF)?;
        let addr = entries.at(0) as u64;
        let mut br = BufRing {
            entries,
            count,
            bufs,
            tail: 0,
        };
        // SAFETY: the mapping holds `count` entries and lives until `br` is
        // dropped, which the worker does only after its ring is gone.
        unsafe {
            ring.submitter()
                .register_buf_ring_with_flags(addr, count, BUF_GROUP, 0)?;
        }
        for bid in 0..count {
            br.give_back(bid);
        }
        Ok(br)
    }

    /// The first `n` bytes of buffer `bid`, which a completion has just
    /// handed out of the ring: the kernel does not write it until it is
    /// given back (`&mut self`, so not while this borrow lives).
    pub(super) fn slice(&self, bid: u16, n: usize) -> &[u8] {
        let start = (bid % self.count) as usize * RECV_BUF;
        let p = self.bufs.at(start);
        // SAFETY: `start + RECV_BUF` is inside the mapping (bid < count), and
        // the buffer is out of the ring (see above): nothing writes it while
        // the shared borrow lives.
        unsafe { std::slice::from_raw_parts(p, n.min(RECV_BUF)) }
    }

    /// Hands buffer `bid` (back) to the kernel.
    pub(super) fn give_back(&mut self, bid: u16) {
        let bid = bid % self.count;
        let slot = (self.tail & (self.count - 1)) as usize;
        let addr = self.bufs.at(bid as usize * RECV_BUF) as u64;
        let entries: *mut types::BufRingEntry = self.entries.at(0).cast();
        // SAFETY: `slot` < count, inside the mapping (page-aligned, so
        // aligned for the entry); the kernel reads an entry only once the
        // tail below has moved past it, so this is the only access now.
        let e = unsafe { &mut *entries.add(slot) };
        e.set_addr(addr);
        e.set_len(RECV_BUF as u32);
        e.set_bid(bid);
        self.tail = self.tail.wrapping_add(1);
        // SAFETY: the tail is the u16 that overlays the first entry's `resv`
        // (aligned, inside the mapping); the kernel reads it with acquire
        // semantics, so a release store publishes the entry written above.
        unsafe {
            let tail = types::BufRingEntry::tail(entries) as *const std::sync::atomic::AtomicU16;
            (*tail).store(self.tail, std::sync::atomic::Ordering::Release);
        }
    }
}

/// The worker's registered buffers for file reads (`READ_FIXED`): `count`
/// buffers of [`FILE_BUF`] bytes in one anonymous mapping, registered with
/// the ring (which pins their pages), and the indices of those free. A
/// buffer is lent to one read (its user data) from the read's submission
/// until its completion, stale or not.
pub(super) struct FilePool {
    pub(super) map: Mmap,
    pub(super) lending: Lending,
}

/// Which of `count` buffers are free, and which read each other one is lent
/// to: a buffer goes back exactly once, at its read's completion.
#[derive(Debug)]
pub(super) struct Lending {
    free: Vec<u16>,
    /// Per buffer: the user data of the read it is lent to.
    lent: Vec<Option<u64>>,
}

impl Lending {
    pub(super) fn new(count: u16) -> Lending {
        Lending {
            free: (0..count).rev().collect(),
            lent: vec![None; count as usize],
        }
    }

    /// A free buffer's index, lent to the read with user data `ud`.
    pub(super) fn take(&mut self, ud: u64) -> Option<u16> {
        let bid = self.free.pop()?;
        self.lent[bid as usize] = Some(ud);
        Some(bid)
    }

    /// Buffer `bid` back (its read has completed); a second call, or one for
    /// a buffer not lent, changes nothing.
    pub(super) fn give(&mut self, bid: u16) {
        if let Some(l) = self.lent.get_mut(bid as usize) {
            if l.take().is_some() {
                self.free.push(bid);
            }
        }
    }

    /// The buffer lent to the read `ud`, back (that read completed after its
    /// connection was gone).
    pub(super) fn give_back_lent_to(&mut self, ud: u64) {
        if let Some(bid) = self.lent.iter().position(|l| *l == Some(ud)) {
            self.give(bid as u16);
        }
    }
}

impl FilePool {
    pub(super) fn new(ring: &IoUring, count: u16) -> io::Result<FilePool> {
        // An mmap of its own, so that the pages the kernel pins are never
        // handed out again by the allocator while the ring holds them.
        let map = Mmap::new(count as usize * FILE_BUF)?;
        let iovecs: Vec<libc::iovec> = (0..count as usize)
            .map(|i| libc::iovec {
                iov_base: map.at(i * FILE_BUF).cast(),
                iov_len: FILE_BUF,
            })
            .collect();
        // SAFETY: the iovecs cover the mapping, which lives until the pool is
        // dropped; the worker drops it only after its ring is gone (or leaks
        // it while reads may be in flight). On error `map` unmaps it.
        unsafe { ring.submitter().register_buffers(&iovecs)? };
        Ok(FilePool {
            map,
            lending: Lending::new(count),
        })
    }

    /// Buffers in the pool.
    pub(super) fn len(&self) -> usize {
        self.lending.lent.len()
    }

    /// A free buffer's index, lent to the read with user data `ud`.
    pub(super) fn take(&mut self, ud: u64) -> Option<u16> {
        self.lending.take(ud)
    }

    /// Buffer `bid` back in the pool (its read has completed).
    pub(super) fn give(&mut self, bid: u16) {
        self.lending.give(bid)
    }

    /// The buffer lent to the read `ud`, back in the pool (that read
    /// completed after its connection was gone).
    pub(super) fn give_back_lent_to(&mut self, ud: u64) {
        self.lending.give_back_lent_to(ud)
    }

    /// Buffer `bid`, while no read into it is in flight (or to hand its
    /// address to one).
    pub(super) fn buf_mut(&mut self, bid: u16) -> &mut [u8] {
        let start = bid as usize * FILE_BUF;
        assert!(start + FILE_BUF <= self.map.len);
        let p = self.map.at(start);
        // SAFETY: inside the mapping (checked above), which lives as
        // long as `self`; no read is in flight into it (see above), and the
        // &mut self borrow makes this the only reference.
        unsafe { std::slice::from_raw_parts_mut(p, FILE_BUF) }
    }
}

#[cfg(test)]
mod tests {
    use super::Lending;

    #[test]
    fn a_pool_buffer_comes_back_once_at_its_reads_completion() {
        let mut l = Lending::new(2);
        let a = l.take(100).unwrap();
        let b = l.take(200).unwrap();
        assert_ne!(a, b);
        // Dry: the next read goes plain.
        assert_eq!(l.take(300), None);
        // A's read completes normally; a repeated give is harmless.
        l.give(a);
        l.give(a);
        assert_eq!(l.take(400), Some(a));
        assert_eq!(l.take(500), None);
        // B's read completes stale: found by its user data.
        l.give_back_lent_to(200);
        l.give_back_lent_to(200);
        assert_eq!(l.take(600), Some(b));
        // Unknown user data and indices change nothing.
        l.give_back_lent_to(999);
        l.give(7);
        assert_eq!(l.take(700), None);
    }
}
