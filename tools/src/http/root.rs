//! The served directory: request targets mapped to relative paths, and files
//! opened beneath the root with `openat2(RESOLVE_BENEATH)`, so no request
//! leaves it.

use std::ffi::OsStr;
use std::fs::{self, File};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::parse::percent_decode;
use super::target_path;

/// The served directory. Files are opened relative to a descriptor of it with
/// `openat2(RESOLVE_BENEATH)`, so the kernel refuses, atomically, any path that
/// leaves it (`..`, absolute or escaping symlinks, magic links): no
/// check-then-open race, and one syscall instead of `realpath`'s one
/// `readlink` per path component. Without `openat2` (kernels before 5.6, or a
/// seccomp filter that refuses it) [`Root::open`] fails: every other way to
/// check a path races with a symlink swapped under it, so there is no fallback.
#[derive(Debug)]
pub struct Root {
    path: PathBuf,
    dir: File,
    /// The directory's (device, inode): the open-file cache's key for it.
    id: (u64, u64),
}

/// An opened file or directory under [`Root`].
#[derive(Debug)]
pub struct Opened {
    /// Path relative to the root (no `..`, no leading `/`).
    pub rel: PathBuf,
    pub file: File,
    pub meta: fs::Metadata,
}

impl Root {
    /// Opens `path` (a directory, canonicalized) as the served root, and
    /// checks once that this kernel resolves paths beneath it (`openat2`).
    pub fn open(path: &Path) -> io::Result<Self> {
        Self::open_probed(path, |dir| openat_beneath(dir, Path::new(".")).map(drop))
    }

    /// [`open`](Self::open), with the `openat2` check given (tests stand in a
    /// kernel without it).
    pub(super) fn open_probed(
        path: &Path,
        probe: impl FnOnce(&File) -> nix::Result<()>,
    ) -> io::Result<Self> {
        let path = fs::canonicalize(path)?;
        let dir = File::open(&path)?;
        let meta = dir.metadata()?;
        if !meta.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} is not a directory", path.display()),
            ));
        }
        probe(&dir).map_err(|e| {
            io::Error::new(
                io::ErrorKind::Unsupported,
                format!(
                    "openat2(RESOLVE_BENEATH) does not work here ({e}); it needs Linux 5.6 \
                     or later and no seccomp filter refusing it. Refusing to serve: \
                     without it a symlink swapped during a request could lead outside {}",
                    path.display()
                ),
            )
        })?;
        let id = (meta.dev(), meta.ino());
        Ok(Self { path, dir, id })
    }

    /// The root's canonical path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The directory's (device, inode), which tells roots apart.
    pub fn id(&self) -> (u64, u64) {
        self.id
    }

    /// Opens `rel` (from [`resolve`]) for reading, refusing anything outside
    /// the root (403), missing (404), and anything but regular files and
    /// directories (403: a FIFO or device would block or never end).
    pub fn open_beneath(&self, rel: &Path) -> Result<Opened, u16> {
        open_under(&self.dir, rel)
    }
}

/// `openat2(dir, rel, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)`, read-only.
/// O_NONBLOCK so that opening a FIFO cannot block the worker; it does nothing
/// for regular files.
fn openat_beneath(dir: &File, rel: &Path) -> nix::Result<File> {
    use nix::fcntl::{OFlag, OpenHow, ResolveFlag};
    let flags = OFlag::O_RDONLY | OFlag::O_CLOEXEC | OFlag::O_NOCTTY | OFlag::O_NONBLOCK;
    let how = OpenHow::new()
        .flags(flags)
        .resolve(ResolveFlag::RESOLVE_BENEATH | ResolveFlag::RESOLVE_NO_MAGICLINKS);
    let target = if rel.as_os_str().is_empty() {
        Path::new(".")
    } else {
        rel
    };
    nix::fcntl::openat2(dir, target, how).map(File::from)
}

/// Opens `rel` beneath the directory `dir` (the root, or a directory already
/// opened under it): a regular file or a directory, else an HTTP status.
pub(super) fn open_under(dir: &File, rel: &Path) -> Result<Opened, u16> {
    let file = openat_beneath(dir, rel).map_err(errno_status)?;
    let meta = file.metadata().map_err(io_status)?;
    if !meta.is_file() && !meta.is_dir() {
        return Err(403);
    }
    Ok(Opened {
        rel: rel.to_path_buf(),
        file,
        meta,
    })
}

fn io_status(e: io::Error) -> u16 {
    match e.raw_os_error() {
        Some(code) => errno_status(nix::errno::Errno::from_raw(code)),
        None => 404,
    }
}

/// EXDEV: the path would leave the root; ELOOP: a magic link or a symlink
/// loop; EACCES/EPERM: not readable.
fn errno_status(e: nix::errno::Errno) -> u16 {
    use nix::errno::Errno;
    match e {
        Errno::EXDEV | Errno::ELOOP | Errno::EACCES | Errno::EPERM => 403,
        _ => 404,
    }
}

/// Maps a request target to a path relative to the root: percent-decoded,
/// `.` and empty segments dropped. Refuses (403) any `..` segment after
/// decoding; [`Root::open_beneath`] refuses symlinks that lead out.
pub fn resolve(target: &str) -> Result<PathBuf, u16> {
    let path = target_path(target);
    if !path.starts_with('/') {
        return Err(400);
    }
    let decoded = percent_decode(path).ok_or(400u16)?;
    if decoded.contains(&0) {
        return Err(400);
    }
    let mut p = PathBuf::new();
    for seg in decoded.split(|&b| b == b'/') {
        match seg {
            b"" | b"." => {}
            b".." => return Err(403),
            s => p.push(OsStr::from_bytes(s)),
        }
    }
    Ok(p)
}
