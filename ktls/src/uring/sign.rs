//! Signatures off the workers: a handshake's CertificateVerify or
//! ServerKeyExchange signature (an RSA-2048 one costs a millisecond or more)
//! runs on a small pool of signing threads shared by all workers, so the
//! worker goes on with its other connections meanwhile.
//!
//! Each connection gets a private-key callback (`Session::set_private_key_callback`)
//! that hands the operation, tagged with the connection's slot and
//! generation, to the pool; the handshake parks. The signing thread
//! completes the operation, queues the tag on its worker's list and writes
//! the worker's eventfd, on which the ring always has a `READ` posted: the
//! completion of that read wakes the worker, which resumes exactly the
//! handshakes on the list. No timer and no spinning.
//!
//! Why an eventfd rather than `IORING_OP_MSG_RING`: a signing thread has no
//! ring of its own to submit a MSG_RING from (one per thread, or a shared
//! one behind a lock, only to post a wake-up), MSG_RING needs 5.18 where the
//! rest of the runtime runs on older kernels, and an eventfd write coalesces
//! a burst of completions into one wake-up.

use super::*;
use baton::pkey::PrivateKeyOp;
use std::fs::File;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// One signature for the pool: the operation and whom to tell.
pub(super) struct Job {
    op: PrivateKeyOp,
    /// The connection's slot and generation.
    tag: (u32, u32),
    done: Arc<Done>,
}

/// A worker's side the signing threads write to.
pub(super) struct Done {
    /// Handshakes whose signature is in, for the worker to resume.
    ready: Mutex<Vec<(u32, u32)>>,
    efd: File,
}

/// Starts `threads` signing threads; they end once every sender is gone.
pub(super) fn start_pool(threads: usize) -> io::Result<Sender<Job>> {
    let (tx, rx) = crossbeam_channel::unbounded::<Job>();
    for i in 0..threads {
        let rx = rx.clone();
        std::thread::Builder::new()
            .name(format!("baton-sign-{i}"))
            .spawn(move || {
                for job in rx {
                    job.op.sign();
                    job.done.signal(job.tag);
                }
            })?;
    }
    Ok(tx)
}

impl Done {
    fn signal(&self, tag: (u32, u32)) {
        self.ready
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(tag);
        // Cannot block: the counter would have to reach 2^64 - 1 first.
        let _ = (&self.efd).write(&1u64.to_ne_bytes());
    }
}

/// A worker's end of the pool.
pub(super) struct Signer {
    pool: Sender<Job>,
    done: Arc<Done>,
    /// Where the posted eventfd `READ` writes its 8 bytes: never freed (see
    /// [`Signer::new`]), never read by Rust.
    buf: *mut u8,
    /// Operations this worker's connections handed out, and how many of
    /// them the worker has seen (see [`Signer::take_issued`]).
    issued: Arc<AtomicU64>,
    seen: u64,
}

impl Signer {
    pub(super) fn new(pool: Sender<Job>) -> io::Result<Self> {
        // SAFETY: eventfd(2) takes no pointers; a non-negative result is a
        // new descriptor nothing else owns.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is the new, unowned eventfd just made.
        let efd = File::from(unsafe { OwnedFd::from_raw_fd(fd) });
        Ok(Self {
            pool,
            done: Arc::new(Done {
                ready: Mutex::new(Vec::new()),
                efd,
            }),
            // Leaked on purpose (8 bytes per worker): a read still posted when
            // the ring goes away may complete into it at any time.
            buf: Box::into_raw(Box::new([0u8; 8])).cast::<u8>(),
            issued: Arc::new(AtomicU64::new(0)),
            seen: 0,
        })
    }

    /// The `READ` on the eventfd that wakes the worker (posted again at each
    /// completion).
    pub(super) fn read_sqe(&self) -> squeue::Entry {
        opcode::Read::new(types::Fd(self.done.efd.as_raw_fd()), self.buf, 8)
            .build()
            .user_data(UserData::worker(Op::Signed))
    }

    /// The private-key callback for the connection in `slot`, generation `gen`.
    pub(super) fn callback(&self, slot: u32, gen: u32) -> Arc<baton::pkey::PrivateKeyCallback> {
        let pool = self.pool.clone();
        let done = Arc::clone(&self.done);
        let issued = Arc::clone(&self.issued);
        Arc::new(move |op: PrivateKeyOp| {
            issued.fetch_add(1, Ordering::Relaxed);
            // A pool that is gone drops the job, and with it the operation:
            // the handshake fails rather than waits.
            let _ = pool.send(Job {
                op,
                tag: (slot, gen),
                done: Arc::clone(&done),
            });
        })
    }

    /// True if a connection handed out an operation since the last call:
    /// the worker runs one connection's step at a time, so it was the
    /// connection whose step just blocked.
    pub(super) fn take_issued(&mut self) -> bool {
        let now = self.issued.load(Ordering::Relaxed);
        let new = now != self.seen;
        self.seen = now;
        new
    }

    /// The handshakes whose signature is in.
    pub(super) fn take_ready(&self) -> Vec<(u32, u32)> {
        std::mem::take(&mut *self.done.ready.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl<S: Service> Worker<S> {
    /// Posts the eventfd read (once per completion).
    pub(super) fn arm_signed(&mut self) {
        if let Some(s) = &self.signer {
            let sqe = s.read_sqe();
            self.push(sqe);
        }
    }

    /// Signing threads finished some signatures: their handshakes go on.
    pub(super) fn on_signed(&mut self, res: i32) {
        if res >= 0 || res == -libc::EAGAIN || res == -libc::EINTR {
            self.arm_signed();
        } else {
            // Not posted again (it would fail the same way, in a loop): the
            // tick picks up finished signatures instead.
            self.stats.error(&format!(
                "sign eventfd: {}",
                io::Error::from_raw_os_error(-res)
            ));
        }
        self.resume_signed();
    }

    /// Resumes the handshakes whose signature is in (also at each tick, so
    /// that a lost wake-up costs at most a tick).
    pub(super) fn resume_signed(&mut self) {
        let ready = self
            .signer
            .as_ref()
            .map(Signer::take_ready)
            .unwrap_or_default();
        for (slot, gen) in ready {
            let idx = slot as usize;
            let Some(Some(c)) = self.conns.get_mut(idx) else {
                continue;
            };
            // The slot was reused, or the connection is closing.
            if c.gen != gen || !c.signing || c.phase != Phase::Handshake || c.aborting() {
                continue;
            }
            c.signing = false;
            c.parked = false;
            let fed = c.tls.session_mut().and_then(|s| s.poll_handshake());
            self.handshake_step(idx, fed);
            self.advance(idx);
        }
    }
}
