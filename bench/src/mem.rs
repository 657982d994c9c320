//! Heap bytes in use, as glibc's allocator counts them.
//!
//! A Rust global allocator sees only Rust's allocations, not s2n-tls's or
//! OpenSSL's (C code calling `malloc` directly), so the four libraries are all
//! measured with the C allocator's own count instead: `mallinfo2()`'s in-use
//! bytes (ordinary chunks plus mmapped ones, chunk headers included). Rust's
//! `System` allocator is that same `malloc`, so Baton and rustls are counted
//! the same way. The bench is single-threaded, so everything is in the main arena.

/// Bytes currently allocated from the C heap by this process.
#[allow(unsafe_code)]
pub fn heap_in_use() -> usize {
    // SAFETY: mallinfo2 takes no arguments, only reads the allocator's
    // statistics under its own lock, and returns a plain struct by value.
    let m = unsafe { libc::mallinfo2() };
    m.uordblks + m.hblkhd
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_a_live_allocation() {
        let before = super::heap_in_use();
        let v = std::hint::black_box(vec![1u8; 100_000]);
        let during = super::heap_in_use();
        drop(v);
        let after = super::heap_in_use();
        assert!(during >= before + 100_000, "{before} {during}");
        assert!(after + 100_000 <= during);
    }
}
