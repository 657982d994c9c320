//! File images: whole hot files kept in memory beside the open-file cache,
//! so that a connection whose records are sealed in userspace seals them
//! straight from memory. Without an image each 64 KiB chunk is first copied
//! from the page cache into a buffer (an io_uring read), which on 1 MiB
//! bodies was about a tenth of the worker's time; with kernel TLS the
//! kernel still sends from the file (sendfile), so images only serve
//! userspace records.
//!
//! - **When:** a cached file larger than the small bodies the cache keeps
//!   anyway, on its second use (files served once are never loaded), if it
//!   fits the worker's budget (`--file-images MIB`, a quarter of it at most
//!   per file).
//! - **Off the worker:** one loader thread reads the file and checks that
//!   its metadata did not change meanwhile; the worker picks the image up at
//!   its next request and serves from the file until then. A worker never
//!   waits on a disk for an image.
//! - **Shared:** an image is kept once per process, by the file's identity
//!   (device, inode, size, mtime and ctime to the nanosecond: what the
//!   open-file cache compares), so workers serving the same files share
//!   it. Each worker still counts it against its own budget, so the
//!   process holds at most workers × budget, and usually about one budget.
//! - **Change:** an image belongs to a cache entry; when the entry is
//!   revalidated and the file changed, the new entry starts without one.
//!   Within the cache's validity window a changed file is served as it was,
//!   image and validators together.

use std::collections::HashMap;
use std::fs::{File, Metadata};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use crossbeam_channel::{Receiver, Sender};

/// A file's contents as the open-file cache tells them apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileId {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl FileId {
    pub fn of(m: &Metadata) -> Self {
        Self {
            dev: m.dev(),
            ino: m.ino(),
            len: m.len(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
        }
    }
}

/// A loaded image, or None when the file changed while being read or could
/// not be read (it is then served from the file).
pub type Loaded = (FileId, Option<Arc<[u8]>>);

struct Job {
    file: File,
    id: FileId,
    reply: Sender<Loaded>,
}

/// The images alive in this process, by identity (weak: an image lives as
/// long as some cache entry or response holds it).
fn store() -> &'static Mutex<Store> {
    static STORE: OnceLock<Mutex<Store>> = OnceLock::new();
    STORE.get_or_init(|| Mutex::new(Store::default()))
}

#[derive(Default)]
struct Store {
    images: HashMap<FileId, Weak<[u8]>>,
    /// Dead entries are swept when the map reaches this size.
    sweep_at: usize,
}

impl Store {
    fn get(&self, id: &FileId) -> Option<Arc<[u8]>> {
        self.images.get(id).and_then(Weak::upgrade)
    }

    fn put(&mut self, id: FileId, image: &Arc<[u8]>) {
        if self.images.len() >= self.sweep_at {
            self.images.retain(|_, w| w.strong_count() > 0);
            self.sweep_at = (self.images.len() * 2).max(64);
        }
        self.images.insert(id, Arc::downgrade(image));
    }
}

/// An image of the file `id` that another worker already holds.
pub fn shared(id: &FileId) -> Option<Arc<[u8]>> {
    store().lock().ok()?.get(id)
}

/// Asks the loader thread for an image of `file` (whose metadata gave
/// `id`); the answer comes on `reply`. False if it could not be asked (no
/// descriptor to spare, or no loader thread).
pub fn request(file: &File, id: FileId, reply: &Sender<Loaded>) -> bool {
    static LOADER: OnceLock<Option<Sender<Job>>> = OnceLock::new();
    let loader = LOADER.get_or_init(|| {
        let (tx, rx) = crossbeam_channel::unbounded::<Job>();
        std::thread::Builder::new()
            .name("baton-images".into())
            .spawn(move || run_loader(rx))
            .ok()
            .map(|_| tx)
    });
    let (Some(loader), Ok(file)) = (loader, file.try_clone()) else {
        return false;
    };
    loader
        .send(Job {
            file,
            id,
            reply: reply.clone(),
        })
        .is_ok()
}

fn run_loader(jobs: Receiver<Job>) {
    for job in jobs {
        let image = load(&job.file, &job.id);
        // The worker may be gone (its thread ended): nothing to do then.
        let _ = job.reply.send((job.id, image));
    }
}

/// Reads the whole file if it still is `id` before and after the read.
fn load(file: &File, id: &FileId) -> Option<Arc<[u8]>> {
    if let Some(image) = shared(id) {
        return Some(image);
    }
    let len = usize::try_from(id.len).ok()?;
    let mut bytes = vec![0u8; len];
    file.read_exact_at(&mut bytes, 0).ok()?;
    let after = file.metadata().ok()?;
    if FileId::of(&after) != *id {
        return None;
    }
    let image: Arc<[u8]> = bytes.into();
    let mut store = store().lock().ok()?;
    // Another worker's request for the same file may have been loaded first.
    if let Some(first) = store.get(id) {
        return Some(first);
    }
    store.put(*id, &image);
    Some(image)
}

/// One worker's side: its budget's use and its answers to collect.
#[derive(Debug)]
pub struct WorkerImages {
    /// Bytes of images held by this worker's cache entries.
    pub held: u64,
    /// Requests sent and not yet answered.
    pub pending: usize,
    pub tx: Sender<Loaded>,
    pub rx: Receiver<Loaded>,
}

impl Default for WorkerImages {
    fn default() -> Self {
        let (tx, rx) = crossbeam_channel::unbounded();
        Self {
            held: 0,
            pending: 0,
            tx,
            rx,
        }
    }
}
