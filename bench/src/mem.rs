//! Heap bytes in use, as glibc's allocator counts them.
//!
//! A Rust global allocator sees only Rust's allocations, not s2n-tls's or
//! OpenSSL's (C code calling `malloc` directly), so the four libraries are all
//! measured with the C allocator's own count instead: `mallinfo2()`'s in-use
//! bytes (ordinary chunks plus mmapped ones, chunk headers included). Rust's
//! `System` allocator is that same `malloc`, so Baton and rustls are counted
//! the same way. The count covers every thread; the bench measures while
//! nothing else runs.

/// Bytes currently allocated from the C heap by this process (glibc's
/// `mallinfo2`, through `baton_ktls::heap`: the FFI call stays in ktls/).
pub fn heap_in_use() -> usize {
    baton_ktls::heap::heap_in_use()
}

/// The heap count covers every thread, and the test harness runs tests in
/// parallel: every test in this crate holds this lock, so a test that counts
/// bytes never sees another test's allocations (CI once failed on exactly
/// that, with the SVG test allocating beside the self-check).
#[cfg(test)]
pub(crate) fn exclusive() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Checks that [`heap_in_use`] sees a live allocation come and go (used by
/// the crate's tests, under [`exclusive`]). The lock keeps other tests out,
/// not the test harness's own threads, which may allocate or free a few KiB
/// between two samples (CI once saw 98,144 bytes for a 100,000-byte vector):
/// so the block is large and a MiB of such traffic is allowed for.
#[cfg(test)]
pub(crate) fn self_check() {
    const BLOCK: usize = 16 << 20;
    const SLACK: usize = 1 << 20;
    let before = heap_in_use();
    let v = std::hint::black_box(vec![1u8; BLOCK]);
    let during = heap_in_use();
    drop(v);
    let after = heap_in_use();
    assert!(during + SLACK >= before + BLOCK, "{before} {during}");
    assert!(after + BLOCK <= during + SLACK, "{before} {during} {after}");
}
