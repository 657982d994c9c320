//! The open-file cache, as nginx's `open_file_cache`: per worker thread
//! (no locks), bounded (a clock replaces the least recently used entry),
//! it keeps for each hot path its descriptor, its metadata (size, mtime,
//! inode: the validators are made from them) and, for small files, the
//! whole body, so that a hot 1 KiB file costs no `openat2`, `statx`, file
//! read or `close` per request. A path that is not there (a missing file,
//! or the `FILE.br`/`FILE.gz` variants looked up beside every file) is
//! kept as missing too.
//!
//! How a change is noticed: an entry is trusted for `valid` (default 1 s,
//! like `open_file_cache_valid`); the first use after that opens the path
//! again beneath the root (`openat2`, so a rename-into-place, a symlink
//! changed on the way or a deletion is seen, which an `fstat` of the held
//! descriptor would miss) and compares device, inode, size and the
//! nanosecond mtime and ctime. Equal: the entry is trusted for another
//! window. Different: the entry is replaced by the new file. Gone: it
//! becomes missing (404). Within the window a changed file is still served
//! as it was, as nginx does.
//!
//! Larger hot files may also be kept whole in memory (`images.rs`), for
//! connections that seal their records in userspace.

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::HashMap;
use std::fs::{File, Metadata};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::images::{self, FileId, WorkerImages};

use super::cache::Prepared;
use super::root::{Opened, Root};

/// Bodies up to this size are kept in memory: they go out in the response
/// head's buffer, sealed with it into one record, with no file read.
pub const SMALL_BODY: u64 = 16 * 1024;

/// The cache's settings for a site (`baton serve --open-file-cache*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheConfig {
    /// Most entries per worker; 0 turns the cache off.
    pub capacity: usize,
    /// How long an entry is served without checking the file again.
    pub valid: Duration,
    /// Bytes of whole-file images a worker may hold (files up to a quarter
    /// of it each); 0 keeps none.
    pub images: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            capacity: 1024,
            valid: Duration::from_secs(1),
            images: 64 << 20,
        }
    }
}

/// The part of a file a response sends after its head.
#[derive(Debug)]
pub struct FilePart {
    pub file: File,
    pub offset: u64,
    pub len: u64,
    /// The whole file in memory, when the cache holds its image.
    pub image: Option<Arc<[u8]>>,
}

/// A regular file the cache holds.
#[derive(Debug)]
pub struct Entry {
    pub file: File,
    pub meta: Metadata,
    /// The whole file, if it is at most [`SMALL_BODY`].
    pub body: Option<Vec<u8>>,
    /// The whole file, for a larger one once it proved hot (`images.rs`).
    pub image: OnceCell<Arc<[u8]>>,
    /// Times served from the cache, counted until an image is asked for.
    uses: Cell<u32>,
    /// An image was asked for (once per entry).
    asked: Cell<bool>,
    /// Content-Type and charset by the path's extension (a table lookup
    /// that showed in profiles, done once per entry).
    pub content_type: (&'static str, &'static str),
    /// The validators' head lines, made by the first response that serves
    /// the file, keyed by the variant suffix it was served with ("" for the
    /// file itself): a `.br` file is served as its original's variant.
    pub prepared: RefCell<Option<(&'static str, Rc<Prepared>)>>,
}

/// A file to serve: opened for this request, or from the cache.
#[derive(Debug)]
pub enum Src {
    Open(Opened),
    Cached(Rc<Entry>),
}

impl Src {
    pub fn meta(&self) -> &Metadata {
        match self {
            Src::Open(o) => &o.meta,
            Src::Cached(e) => &e.meta,
        }
    }

    /// The validators and their head lines when served with `suffix`:
    /// kept on a cached file, formatted afresh for one opened for this
    /// request only.
    pub fn prepared(&self, suffix: &'static str) -> Rc<Prepared> {
        match self {
            Src::Open(o) => Rc::new(Prepared::of(&o.meta, suffix)),
            Src::Cached(e) => {
                let mut slot = e.prepared.borrow_mut();
                match &*slot {
                    Some((s, p)) if *s == suffix => Rc::clone(p),
                    _ => {
                        let p = Rc::new(Prepared::of(&e.meta, suffix));
                        *slot = Some((suffix, Rc::clone(&p)));
                        p
                    }
                }
            }
        }
    }

    /// Sends `count` bytes from `start`: appended to `bytes` when the body
    /// is small and in memory, else the file part for the event loop to send
    /// (with the file's image when the cache has one).
    pub fn body(self, start: u64, count: u64, bytes: &mut Vec<u8>) -> Option<FilePart> {
        let part = |file, image| FilePart {
            file,
            offset: start,
            len: count,
            image,
        };
        match self {
            Src::Open(o) => Some(part(o.file, None)),
            Src::Cached(e) => match &e.body {
                Some(b) => {
                    // start + count <= len == b.len(): checked by the range parser.
                    let (s, n) = (start as usize, count as usize);
                    bytes.extend_from_slice(b.get(s..s + n).unwrap_or_default());
                    None
                }
                // A duplicate of the held descriptor (one fcntl): the send
                // owns and closes it; reads are positioned, so sharing the
                // file offset does not matter.
                None => e
                    .file
                    .try_clone()
                    .ok()
                    .map(|f| part(f, e.image.get().cloned())),
            },
        }
    }
}

#[derive(Debug)]
enum State {
    File(Rc<Entry>),
    Missing,
}

#[derive(Debug)]
struct Slot {
    key: Key,
    state: State,
    checked: Instant,
    /// Set on use, cleared as the clock hand passes.
    referenced: bool,
}

/// The root directory (device, inode) and the path beneath it.
type Key = ((u64, u64), PathBuf);

/// One worker's cache.
#[derive(Debug, Default)]
pub struct FileCache {
    slots: Vec<Slot>,
    index: HashMap<Key, usize>,
    hand: usize,
    images: WorkerImages,
}

thread_local! {
    static CACHE: RefCell<FileCache> = RefCell::new(FileCache::default());
}

/// Opens `rel` beneath `root` through this thread's cache: a regular file
/// (cached), a directory (opened, never cached), or an HTTP status (404 is
/// cached as missing; other refusals are not).
pub fn open(root: &Root, rel: &Path, config: CacheConfig) -> Result<Src, u16> {
    if config.capacity == 0 {
        return root.open_beneath(rel).map(Src::Open);
    }
    CACHE.with_borrow_mut(|c| c.open(root, rel, config, Instant::now()))
}

/// True if `a` and `b` describe the same, unchanged file (device, inode,
/// size, mtime and ctime to the nanosecond).
fn same(a: &Metadata, b: &Metadata) -> bool {
    FileId::of(a) == FileId::of(b)
}

/// Reads a small file whole; None if it changed while being read (it is
/// then served from its descriptor, not cached in memory).
fn read_small(o: &Opened) -> Option<Vec<u8>> {
    let len = o.meta.len();
    if len > SMALL_BODY {
        return None;
    }
    let mut body = vec![0; len as usize];
    o.file.read_exact_at(&mut body, 0).ok()?;
    let after = o.file.metadata().ok()?;
    same(&o.meta, &after).then_some(body)
}

impl FileCache {
    /// Number of entries held.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// [`open`] on this cache at time `now`.
    pub fn open(
        &mut self,
        root: &Root,
        rel: &Path,
        config: CacheConfig,
        now: Instant,
    ) -> Result<Src, u16> {
        if self.images.pending > 0 {
            self.collect_images(config);
        }
        let key: Key = (root.id(), rel.to_path_buf());
        if let Some(&i) = self.index.get(&key) {
            let slot = &mut self.slots[i];
            slot.referenced = true;
            if now.saturating_duration_since(slot.checked) < config.valid {
                return match &slot.state {
                    State::File(e) => {
                        let e = Rc::clone(e);
                        self.consider_image(&e, config);
                        Ok(Src::Cached(e))
                    }
                    State::Missing => Err(404),
                };
            }
            // Revalidate: the path, resolved again.
            let fresh = root.open_beneath(rel);
            match (&slot.state, &fresh) {
                (State::File(e), Ok(o)) if o.meta.is_file() && same(&e.meta, &o.meta) => {
                    slot.checked = now;
                    let e = Rc::clone(e);
                    self.consider_image(&e, config);
                    return Ok(Src::Cached(e));
                }
                (State::Missing, Err(404)) => {
                    slot.checked = now;
                    return Err(404);
                }
                _ => {}
            }
            let Some(state) = Self::state_of(rel, &fresh) else {
                self.remove(i);
                return fresh.map(Src::Open);
            };
            let slot = &mut self.slots[i];
            let old = std::mem::replace(&mut slot.state, state);
            self.forget(&old);
            let slot = &mut self.slots[i];
            slot.checked = now;
            return Self::answer(&slot.state, fresh);
        }
        let fresh = root.open_beneath(rel);
        let Some(state) = Self::state_of(rel, &fresh) else {
            return fresh.map(Src::Open);
        };
        let i = self.insert(key, state, now, config.capacity);
        Self::answer(&self.slots[i].state, fresh)
    }

    /// What to keep for an open's result: regular files and 404s only.
    fn state_of(rel: &Path, fresh: &Result<Opened, u16>) -> Option<State> {
        match fresh {
            Ok(o) if o.meta.is_file() => {
                let file = o.file.try_clone().ok()?;
                let entry = Entry {
                    file,
                    meta: o.meta.clone(),
                    body: read_small(o),
                    image: OnceCell::new(),
                    // This open is its first use.
                    uses: Cell::new(1),
                    asked: Cell::new(false),
                    content_type: super::response::content_type(rel),
                    prepared: RefCell::new(None),
                };
                Some(State::File(Rc::new(entry)))
            }
            Err(404) => Some(State::Missing),
            _ => None,
        }
    }

    fn answer(state: &State, fresh: Result<Opened, u16>) -> Result<Src, u16> {
        match state {
            State::File(e) => Ok(Src::Cached(Rc::clone(e))),
            State::Missing => fresh.map(Src::Open),
        }
    }

    /// Adds an entry, replacing one the clock hand finds unused when full.
    fn insert(&mut self, key: Key, state: State, now: Instant, capacity: usize) -> usize {
        let slot = Slot {
            key: key.clone(),
            state,
            checked: now,
            referenced: false,
        };
        if self.slots.len() < capacity {
            self.slots.push(slot);
            self.index.insert(key, self.slots.len() - 1);
            return self.slots.len() - 1;
        }
        let i = loop {
            self.hand %= self.slots.len();
            let s = &mut self.slots[self.hand];
            if !s.referenced {
                break self.hand;
            }
            s.referenced = false;
            self.hand += 1;
        };
        self.hand += 1;
        self.index.remove(&self.slots[i].key);
        let old = std::mem::replace(&mut self.slots[i], slot);
        self.forget(&old.state);
        self.index.insert(key, i);
        i
    }

    /// Drops slot `i` (its file is gone or no longer cacheable).
    fn remove(&mut self, i: usize) {
        let old = self.slots.swap_remove(i);
        self.forget(&old.state);
        self.index.remove(&old.key);
        if let Some(moved) = self.slots.get(i) {
            self.index.insert(moved.key.clone(), i);
        }
    }

    /// Bytes of images this worker's entries hold.
    #[cfg(test)]
    pub fn image_bytes(&self) -> u64 {
        self.images.held
    }

    /// Images asked of the loader and not collected yet.
    #[cfg(test)]
    pub fn images_pending(&self) -> usize {
        self.images.pending
    }

    /// A dropped or replaced entry gives its image's bytes back to the budget.
    fn forget(&mut self, state: &State) {
        if let State::File(e) = state {
            if let Some(image) = e.image.get() {
                self.images.held -= (image.len() as u64).min(self.images.held);
            }
        }
    }

    /// On each use of a cached file: at the second, a file too big for the
    /// small bodies and small enough for the budget gets an image, another
    /// worker's at once or one loaded off this thread.
    fn consider_image(&mut self, e: &Entry, config: CacheConfig) {
        if e.asked.get() || config.images == 0 {
            return;
        }
        let len = e.meta.len();
        if len <= SMALL_BODY || len > config.images / 4 {
            return;
        }
        let uses = e.uses.get().saturating_add(1);
        e.uses.set(uses);
        if uses < 2 || self.images.held + len > config.images {
            return;
        }
        e.asked.set(true);
        let id = FileId::of(&e.meta);
        if let Some(image) = images::shared(&id) {
            self.adopt(e, image);
        } else if images::request(&e.file, id, &self.images.tx) {
            self.images.pending += 1;
        }
    }

    /// Takes the loader's answers: each image goes to the entry of that
    /// file, if it is still cached, has none and fits the budget.
    fn collect_images(&mut self, config: CacheConfig) {
        while let Ok((id, image)) = self.images.rx.try_recv() {
            self.images.pending = self.images.pending.saturating_sub(1);
            let Some(image) = image else { continue };
            if self.images.held + image.len() as u64 > config.images {
                continue;
            }
            let entry = self.slots.iter().find_map(|s| match &s.state {
                State::File(e) if e.image.get().is_none() && FileId::of(&e.meta) == id => {
                    Some(Rc::clone(e))
                }
                _ => None,
            });
            if let Some(e) = entry {
                self.adopt(&e, image);
            }
        }
    }

    fn adopt(&mut self, e: &Entry, image: Arc<[u8]>) {
        if image.len() as u64 == e.meta.len() && e.image.set(image).is_ok() {
            self.images.held += e.meta.len();
        }
    }
}
