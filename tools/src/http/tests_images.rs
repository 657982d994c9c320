//! File images beside the open-file cache: loaded at a file's second use,
//! off the thread, within the budget, dropped when the file changes or the
//! entry goes, and shared between workers.

use super::files::{FileCache, Src};
use super::tests::TempTree;
use super::*;
use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const MIB: u64 = 1 << 20;

fn config(valid: Duration, images: u64) -> CacheConfig {
    CacheConfig {
        capacity: 4,
        valid,
        images,
    }
}

fn image(src: &Src) -> Option<Arc<[u8]>> {
    match src {
        Src::Cached(e) => e.image.get().cloned(),
        Src::Open(_) => None,
    }
}

/// Opens `name` until its entry has an image (the loader thread answers
/// within a bounded wait), returning it.
fn open_until_image(c: &mut FileCache, root: &Root, name: &str, cfg: CacheConfig) -> Arc<[u8]> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let src = c.open(root, Path::new(name), cfg, Instant::now()).unwrap();
        if let Some(i) = image(&src) {
            return i;
        }
        assert!(Instant::now() < deadline, "no image of {name} after 10 s");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn content(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31) ^ seed)
        .collect()
}

#[test]
fn a_hot_file_gets_an_image_at_its_second_use() {
    let t = TempTree::new("img-hot");
    let body = content(100_000, 1);
    fs::write(t.0.join("big.bin"), &body).unwrap();
    let root = Root::open(&t.0).unwrap();
    let cfg = config(Duration::from_secs(60), MIB);
    let mut c = FileCache::default();
    let first = c
        .open(&root, Path::new("big.bin"), cfg, Instant::now())
        .unwrap();
    assert!(image(&first).is_none());
    assert_eq!(c.images_pending(), 0);
    // The second use asks the loader (and is still served from the file).
    let second = c
        .open(&root, Path::new("big.bin"), cfg, Instant::now())
        .unwrap();
    assert!(image(&second).is_none());
    assert_eq!(c.images_pending(), 1);
    let got = open_until_image(&mut c, &root, "big.bin", cfg);
    assert_eq!(c.images_pending(), 0);
    assert_eq!(&got[..], &body[..]);
    assert_eq!(c.image_bytes(), body.len() as u64);
    // A response part carries the image with the file.
    let src = c
        .open(&root, Path::new("big.bin"), cfg, Instant::now())
        .unwrap();
    let part = src.body(10, 500, &mut Vec::new()).unwrap();
    assert_eq!((part.offset, part.len), (10, 500));
    assert!(Arc::ptr_eq(&part.image.unwrap(), &got));
}

#[test]
fn small_files_and_files_over_a_quarter_of_the_budget_get_none() {
    let t = TempTree::new("img-none");
    fs::write(t.0.join("small.bin"), content(16 * 1024, 2)).unwrap();
    fs::write(t.0.join("big.bin"), content(300_000, 3)).unwrap();
    let root = Root::open(&t.0).unwrap();
    // 300,000 bytes is more than a quarter of 1 MiB.
    let cfg = config(Duration::from_secs(60), MIB);
    let mut c = FileCache::default();
    for _ in 0..3 {
        for name in ["small.bin", "big.bin"] {
            c.open(&root, Path::new(name), cfg, Instant::now()).unwrap();
        }
    }
    // Nothing was asked of the loader, so nothing can arrive later either.
    std::thread::sleep(Duration::from_millis(50));
    for name in ["small.bin", "big.bin"] {
        let src = c.open(&root, Path::new(name), cfg, Instant::now()).unwrap();
        assert!(image(&src).is_none(), "{name}");
    }
    assert_eq!(c.image_bytes(), 0);
    // Images off: none either.
    let off = config(Duration::from_secs(60), 0);
    let mut c = FileCache::default();
    for _ in 0..3 {
        let src = c
            .open(&root, Path::new("big.bin"), off, Instant::now())
            .unwrap();
        assert!(image(&src).is_none());
    }
}

#[test]
fn the_budget_bounds_what_a_worker_holds() {
    let t = TempTree::new("img-budget");
    let names = ["a.bin", "b.bin", "c.bin", "d.bin", "e.bin"];
    for (i, name) in names.iter().enumerate() {
        fs::write(t.0.join(name), content(240_000, 10 + i as u8)).unwrap();
    }
    let root = Root::open(&t.0).unwrap();
    // Room for four 240,000-byte images (each under a quarter), not five.
    let cfg = CacheConfig {
        capacity: 8,
        ..config(Duration::from_secs(60), 1_000_000)
    };
    let mut c = FileCache::default();
    for name in &names[..4] {
        open_until_image(&mut c, &root, name, cfg);
    }
    for _ in 0..5 {
        let src = c
            .open(&root, Path::new("e.bin"), cfg, Instant::now())
            .unwrap();
        assert!(image(&src).is_none());
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(c.image_bytes(), 960_000);
}

#[test]
fn a_changed_or_evicted_file_gives_its_image_back() {
    let t = TempTree::new("img-change");
    let old = content(50_000, 4);
    fs::write(t.0.join("f.bin"), &old).unwrap();
    let root = Root::open(&t.0).unwrap();
    // Every use revalidates.
    let cfg = config(Duration::ZERO, MIB);
    let mut c = FileCache::default();
    assert_eq!(&open_until_image(&mut c, &root, "f.bin", cfg)[..], &old[..]);
    // A new file in place (another size, so surely another identity).
    let new = content(60_000, 5);
    let tmp = t.0.join("f.tmp");
    fs::write(&tmp, &new).unwrap();
    fs::rename(&tmp, t.0.join("f.bin")).unwrap();
    let src = c
        .open(&root, Path::new("f.bin"), cfg, Instant::now())
        .unwrap();
    assert!(image(&src).is_none());
    assert_eq!(c.image_bytes(), 0);
    assert_eq!(&open_until_image(&mut c, &root, "f.bin", cfg)[..], &new[..]);
    assert_eq!(c.image_bytes(), new.len() as u64);
    // Evicted by other files (capacity 4; the clock passes it once, clearing
    // its use, and takes it the next time): its bytes go back.
    for i in 0..8 {
        let name = format!("o{i}.txt");
        fs::write(t.0.join(&name), b"x").unwrap();
        c.open(&root, Path::new(&name), cfg, Instant::now())
            .unwrap();
    }
    assert_eq!(c.len(), 4);
    assert_eq!(c.image_bytes(), 0);
}

#[test]
fn workers_share_one_image_of_a_file() {
    let t = TempTree::new("img-share");
    fs::write(t.0.join("s.bin"), content(80_000, 6)).unwrap();
    let root = Root::open(&t.0).unwrap();
    let cfg = config(Duration::from_secs(60), MIB);
    let (mut w1, mut w2) = (FileCache::default(), FileCache::default());
    let a = open_until_image(&mut w1, &root, "s.bin", cfg);
    // The second worker finds it in the process's store at its second use.
    let b = open_until_image(&mut w2, &root, "s.bin", cfg);
    assert!(Arc::ptr_eq(&a, &b));
    assert_eq!(w2.image_bytes(), 80_000);
}

/// Whole responses with images: every byte the runtime would seal from the
/// image equals the file's (the driver in `tests.rs` compares them).
#[test]
fn responses_carry_images_equal_to_the_files() {
    let t = TempTree::new("img-responses");
    // Text, as the driver returns the responses as a string.
    let body: Vec<u8> = (0..70_000).map(|i| b'a' + (i % 26) as u8).collect();
    fs::write(t.0.join("r.bin"), &body).unwrap();
    let site = || {
        let mut site = Site::new(Root::open(&t.0).unwrap());
        site.open_files = config(Duration::from_secs(60), MIB);
        site
    };
    let input = "GET /r.bin HTTP/1.1\r\nHost: x\r\n\r\n\
                 GET /r.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=100-69999\r\n\r\n";
    // Repeated until responses carry the image (this thread's cache).
    let deadline = Instant::now() + Duration::from_secs(10);
    let seen = || super::tests::IMAGES_SEEN.get();
    while seen() < 2 {
        assert!(Instant::now() < deadline, "no response carried an image");
        let (out, _) = super::tests::exchange_site(site(), "", input);
        assert!(out.contains("206 Partial Content"), "{out}");
        std::thread::sleep(Duration::from_millis(5));
    }
}
