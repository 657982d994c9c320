//! Heap bytes in use, as glibc's allocator counts them (`mallinfo2`): for
//! the memory figures of `baton-bench` (`bench/src/mem.rs`, which explains the
//! measure) and the idle-connection test. Not part of the offload or the
//! runtime: it is here only because it is an FFI call, and `bench/` and
//! `tools/` forbid unsafe code (nix has no safe `mallinfo2`).

/// Bytes currently allocated from the C heap by this process (all threads).
pub fn heap_in_use() -> usize {
    // SAFETY: mallinfo2 takes no arguments, only reads the allocator's
    // statistics (under the allocator's own locks) and returns a plain struct
    // by value; it has no preconditions.
    let m = unsafe { libc::mallinfo2() };
    m.uordblks + m.hblkhd
}

#[cfg(test)]
mod tests {
    #[test]
    fn sees_a_large_allocation_come_and_go() {
        // Other tests allocate concurrently, so only a large, distinct change is checked.
        let before = super::heap_in_use();
        let v = std::hint::black_box(vec![1u8; 64 << 20]);
        let during = super::heap_in_use();
        drop(v);
        let after = super::heap_in_use();
        assert!(during >= before + (48 << 20), "{before} {during}");
        assert!(after + (48 << 20) <= during, "{during} {after}");
    }
}
