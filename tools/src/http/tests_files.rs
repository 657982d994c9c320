//! The open-file cache: hits, revalidation after a change, deletion, the
//! bound, and responses served from it.

use super::files::{FileCache, Src, SMALL_BODY};
use super::tests::{exchange_site, TempTree};
use super::*;
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

const VALID: CacheConfig = CacheConfig {
    capacity: 4,
    valid: Duration::from_secs(1),
    images: 0,
};

fn body(src: Src) -> Vec<u8> {
    let len = src.meta().len();
    let mut out = Vec::new();
    if let Some(part) = src.body(0, len, &mut out) {
        let mut b = vec![0; part.len as usize];
        std::os::unix::fs::FileExt::read_exact_at(&part.file, &mut b, part.offset).unwrap();
        out = b;
    }
    out
}

#[test]
fn hit_is_served_from_memory_without_the_file() {
    let t = TempTree::new("fc-hit");
    let root = Root::open(&t.0).unwrap();
    let mut c = FileCache::default();
    let now = Instant::now();
    let first = c.open(&root, Path::new("a.txt"), VALID, now).unwrap();
    assert!(matches!(first, Src::Cached(_)));
    assert_eq!(body(first), b"hello\n");
    // Removed from disk, yet within the window: still the cached file.
    fs::remove_file(t.0.join("a.txt")).unwrap();
    let hit = c.open(
        &root,
        Path::new("a.txt"),
        VALID,
        now + Duration::from_millis(500),
    );
    assert_eq!(body(hit.unwrap()), b"hello\n");
    assert_eq!(c.len(), 1);
}

#[test]
fn changed_file_is_seen_after_the_window() {
    let t = TempTree::new("fc-change");
    let root = Root::open(&t.0).unwrap();
    let mut c = FileCache::default();
    let now = Instant::now();
    let old = c.open(&root, Path::new("a.txt"), VALID, now).unwrap();
    let old_ino = std::os::unix::fs::MetadataExt::ino(old.meta());
    // Replaced by rename, as deploy tools do: a new inode at the same path.
    fs::write(t.0.join("new.tmp"), b"second version\n").unwrap();
    fs::rename(t.0.join("new.tmp"), t.0.join("a.txt")).unwrap();
    let later = now + Duration::from_millis(1001);
    let new = c.open(&root, Path::new("a.txt"), VALID, later).unwrap();
    assert_ne!(std::os::unix::fs::MetadataExt::ino(new.meta()), old_ino);
    assert_eq!(body(new), b"second version\n");
    // Rewritten in place with the same length: seen by mtime/ctime.
    std::thread::sleep(Duration::from_millis(20));
    fs::write(t.0.join("a.txt"), b"third  version\n").unwrap();
    let later = later + Duration::from_millis(1001);
    let new = c.open(&root, Path::new("a.txt"), VALID, later).unwrap();
    assert_eq!(body(new), b"third  version\n");
    assert_eq!(c.len(), 1);
}

#[test]
fn deleted_file_becomes_404_and_missing_is_cached() {
    let t = TempTree::new("fc-delete");
    let root = Root::open(&t.0).unwrap();
    let mut c = FileCache::default();
    let now = Instant::now();
    assert!(c.open(&root, Path::new("a.txt"), VALID, now).is_ok());
    fs::remove_file(t.0.join("a.txt")).unwrap();
    let later = now + Duration::from_secs(2);
    assert_eq!(
        c.open(&root, Path::new("a.txt"), VALID, later).err(),
        Some(404)
    );
    // Missing is kept for the window (the .br/.gz lookups beside every file).
    fs::write(t.0.join("a.txt"), b"back\n").unwrap();
    assert_eq!(
        c.open(&root, Path::new("a.txt"), VALID, later).err(),
        Some(404)
    );
    let again = c.open(
        &root,
        Path::new("a.txt"),
        VALID,
        later + Duration::from_secs(2),
    );
    assert_eq!(body(again.unwrap()), b"back\n");
}

#[test]
fn bounded_and_directories_not_cached() {
    let t = TempTree::new("fc-bound");
    for i in 0..10 {
        fs::write(t.0.join(format!("f{i}")), format!("{i}")).unwrap();
    }
    let root = Root::open(&t.0).unwrap();
    let mut c = FileCache::default();
    let now = Instant::now();
    for i in 0..10 {
        let name = format!("f{i}");
        assert_eq!(
            body(c.open(&root, Path::new(&name), VALID, now).unwrap()),
            &name.as_bytes()[1..]
        );
        // A hot entry: used again each round, so the clock keeps it.
        c.open(&root, Path::new("f0"), VALID, now).unwrap();
        assert!(c.len() <= VALID.capacity);
    }
    assert_eq!(
        body(c.open(&root, Path::new("f0"), VALID, now).unwrap()),
        b"0"
    );
    assert!(matches!(
        c.open(&root, Path::new("sub"), VALID, now),
        Ok(Src::Open(_))
    ));
    assert!(c.len() <= VALID.capacity);
}

#[test]
fn large_files_are_sent_from_the_held_descriptor() {
    let t = TempTree::new("fc-large");
    let big = vec![7u8; SMALL_BODY as usize + 1];
    fs::write(t.0.join("big"), &big).unwrap();
    let root = Root::open(&t.0).unwrap();
    let mut c = FileCache::default();
    let src = c
        .open(&root, Path::new("big"), VALID, Instant::now())
        .unwrap();
    let mut head = Vec::new();
    let part = src.body(1, 10, &mut head);
    assert!(head.is_empty());
    assert_eq!(part.map(|p| (p.offset, p.len)), Some((1, 10)));
}

#[test]
fn responses_from_the_cache_match_uncached_ones() {
    let t = TempTree::new("fc-resp");
    fs::write(t.0.join("a.txt.gz"), b"gz").unwrap();
    let req = "GET /a.txt HTTP/1.1\r\nAccept-Encoding: gzip\r\nRange: bytes=0-0\r\n\r\n\
               GET /a.txt HTTP/1.1\r\nRange: bytes=1-3\r\n\r\nHEAD /a.txt HTTP/1.1\r\n\r\n\
               GET /nope HTTP/1.1\r\nConnection: close\r\n\r\n";
    let mut off = Site::new(Root::open(&t.0).unwrap());
    off.open_files.capacity = 0;
    let (plain, _) = exchange_site(off, "", req);
    // Twice: the second pass is served from the entries the first made.
    for _ in 0..2 {
        let (cached, _) = exchange_site(Site::new(Root::open(&t.0).unwrap()), "", req);
        let strip = |s: &str| {
            s.split("\r\n")
                .filter(|l| !l.starts_with("Date: "))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(strip(&cached), strip(&plain));
    }
    assert!(
        plain.contains("\r\n\r\ng") && plain.contains("\r\n\r\nell"),
        "{plain}"
    );
}

#[test]
fn validators_are_prepared_once_per_file_and_suffix_and_renewed_on_change() {
    use std::rc::Rc;
    let t = TempTree::new("fc-prepared");
    let root = Root::open(&t.0).unwrap();
    let mut c = FileCache::default();
    let now = Instant::now();
    let first = c.open(&root, Path::new("a.txt"), VALID, now).unwrap();
    let p = first.prepared("");
    assert!(p
        .lines
        .starts_with(&format!("ETag: {}\r\n", p.validators.etag)));
    assert!(p.lines.contains("\r\nLast-Modified: ") && p.lines.ends_with(" GMT\r\n"));
    // A hit hands out the same prepared lines, not a new format.
    let hit = c.open(&root, Path::new("a.txt"), VALID, now).unwrap();
    assert!(Rc::ptr_eq(&p, &hit.prepared("")));
    // Served as a variant, the ETag carries the suffix.
    let br = hit.prepared("-br");
    assert!(
        br.validators.etag.ends_with("-br\""),
        "{}",
        br.validators.etag
    );
    assert_ne!(br.validators.etag, p.validators.etag);
    // Rewritten in place: after the window a new entry with new validators.
    fs::write(t.0.join("new.tmp"), b"second version\n").unwrap();
    fs::rename(t.0.join("new.tmp"), t.0.join("a.txt")).unwrap();
    let later = now + Duration::from_millis(1001);
    let new = c.open(&root, Path::new("a.txt"), VALID, later).unwrap();
    assert_ne!(new.prepared("").validators.etag, p.validators.etag);
}
