//! The ring: its setup and probes, and what an operation's user data says
//! (operation, connection slot, the slot's generation) and where its
//! completion goes.

use super::*;

/// What an io_uring operation is: the low 4 bits of its user data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Op {
    Accept = 1,
    Tick = 2,
    Recv = 3,
    Send = 4,
    Cancel = 5,
    Poll = 6,
    /// SPLICE file -> pipe, then pipe -> socket (one of them in flight at a time).
    Splice = 7,
    /// READ / READ_FIXED of a file body chunk (userspace send).
    Read = 8,
    /// The short timeout that re-polls handshakes waiting for the application.
    Wake = 9,
    /// The READ on the eventfd the signing threads write (see `sign`).
    Signed = 10,
}

impl Op {
    const ALL: [Op; 10] = [
        Op::Accept,
        Op::Tick,
        Op::Recv,
        Op::Send,
        Op::Cancel,
        Op::Poll,
        Op::Splice,
        Op::Read,
        Op::Wake,
        Op::Signed,
    ];

    /// True if the operation belongs to a connection slot (else to the worker).
    pub(super) fn per_conn(self) -> bool {
        !matches!(
            self,
            Op::Accept | Op::Tick | Op::Cancel | Op::Wake | Op::Signed
        )
    }
}

/// An operation's user data: which operation, on which connection slot, in
/// which of that slot's lives. Slots are reused; the generation makes a
/// completion that outlived its connection (a stale one) recognisable, so it
/// can never act on the connection that took the slot next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct UserData {
    pub(super) op: Op,
    pub(super) slot: u32,
    pub(super) gen: u32,
}

pub(super) const OP_BITS: u32 = 4;

pub(super) const SLOT_BITS: u32 = 32;

/// Generations wrap at 2^28: a completion would have to outlive 2^28 reuses
/// of its slot to be mistaken for a current one.
pub(super) const GEN_BITS: u32 = 64 - OP_BITS - SLOT_BITS;

pub(super) const GEN_MASK: u32 = (1 << GEN_BITS) - 1;

impl UserData {
    /// A worker-level operation (accept, tick, cancel): no slot.
    pub(super) fn worker(op: Op) -> u64 {
        UserData {
            op,
            slot: 0,
            gen: 0,
        }
        .encode()
    }

    pub(super) fn encode(self) -> u64 {
        (self.op as u64)
            | ((self.slot as u64) << OP_BITS)
            | (((self.gen & GEN_MASK) as u64) << (OP_BITS + SLOT_BITS))
    }

    /// `None` for a value this worker never submitted.
    pub(super) fn decode(ud: u64) -> Option<UserData> {
        let code = ud & ((1 << OP_BITS) - 1);
        let op = *Op::ALL.iter().find(|op| **op as u64 == code)?;
        Some(UserData {
            op,
            slot: (ud >> OP_BITS) as u32,
            gen: (ud >> (OP_BITS + SLOT_BITS)) as u32,
        })
    }
}

/// The generation after `gen`: a slot's next life.
pub(super) fn next_gen(gen: u32) -> u32 {
    gen.wrapping_add(1) & GEN_MASK
}

/// Where a completion goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Route {
    /// The worker's own: accept, tick, cancel.
    Worker(Op),
    /// The connection now in the slot: it submitted the operation.
    Conn(UserData),
    /// The slot is empty or lives a later life: only what the operation
    /// owned (a provided or pool buffer) is released; nothing else happens.
    Stale(UserData),
    /// Not a value this worker submits.
    Unknown,
}

/// The stale-completion rule: a per-connection completion reaches the
/// connection only if the slot's current generation (`None`: the slot is
/// empty) is the one the operation was submitted under.
pub(super) fn route(ud: u64, current_gen: impl Fn(u32) -> Option<u32>) -> Route {
    let Some(d) = UserData::decode(ud) else {
        return Route::Unknown;
    };
    if !d.op.per_conn() {
        return Route::Worker(d.op);
    }
    match current_gen(d.slot) {
        Some(gen) if gen == d.gen => Route::Conn(d),
        _ => Route::Stale(d),
    }
}

/// io-wq workers per worker ring, bounded (file reads) and unbounded (sockets):
/// SPLICE runs there, and a handful per core is plenty.
pub(super) const IOWQ_MAX_WORKERS: [u32; 2] = [4, 4];

/// Queues `sqe`; if the submission queue is full, submits what is there
/// first. The one place entries reach the kernel.
///
/// Every entry the runtime builds points only at memory that stays where it
/// is, and that Rust neither frees nor touches, until the entry's completion
/// has been reaped:
/// - a connection's receive and send buffers and a plain file read's chunk
///   are moved into the operation's state (`RecvState::Single`,
///   `SendState::InFlight`, `BodyOp::Read`) at submission and handed back
///   at completion (moving a `Box` or `Vec` leaves its heap memory in place);
///   a connection, with those states, is freed only once `Conn::busy` is
///   false, and at shutdown the connections still busy are leaked rather
///   than freed;
/// - provided receive buffers and registered file buffers live in mappings
///   that outlive the ring (or are leaked), and Rust reads one only while
///   the kernel has handed it out (`BufRing::slice`) or no read is lent it
///   (`FilePool::buf_mut`);
/// - the signing eventfd's 8-byte read buffer is never freed (`sign::Signer`);
/// - the tick's timespec is boxed in the worker, which outlives its ring.
pub(super) fn submit(ring: &mut IoUring, sqe: &squeue::Entry) {
    loop {
        // SAFETY: see above: everything the entry points at stays valid and
        // untouched until its completion.
        if unsafe { ring.submission().push(sqe) }.is_ok() {
            return;
        }
        if ring.submit().is_err() {
            std::thread::yield_now();
        }
    }
}

/// The socket a successful `ACCEPT` completion (`res` >= 0) carries.
pub(super) fn accepted(res: i32) -> OwnedFd {
    debug_assert!(res >= 0);
    // SAFETY: a successful accept completion's result is a new descriptor
    // that nothing else owns: it is ours to close.
    unsafe { OwnedFd::from_raw_fd(res) }
}

/// True if the ring's kernel has the operation `code` (SPLICE: 5.7+, READ: 5.6+).
pub(super) fn probe_op(ring: &IoUring, code: u8) -> bool {
    let mut probe = io_uring::Probe::new();
    ring.submitter().register_probe(&mut probe).is_ok() && probe.is_supported(code)
}

/// SPLICE runs on the ring's io-wq threads: keep them on the worker's core
/// (thread-per-core holds for the async work too) and few. Both are optional
/// (5.14/5.15+): without them io-wq inherits the worker's affinity anyway.
/// True if both were registered (the affinity only when pinned).
pub(super) fn tune_iowq(ring: &IoUring, core: Option<usize>) -> bool {
    let mut ok = true;
    if let Some(core) = core.filter(|&c| c < libc::CPU_SETSIZE as usize) {
        // SAFETY: all-zero is a valid (empty) cpu_set_t, and `core` is below
        // CPU_SETSIZE, so CPU_SET writes inside it.
        let set = unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(core, &mut set);
            set
        };
        ok &= ring.submitter().register_iowq_aff(&set).is_ok();
    }
    let mut max = IOWQ_MAX_WORKERS;
    ok & ring.submitter().register_iowq_max_workers(&mut max).is_ok()
}

pub(super) fn new_ring() -> io::Result<IoUring> {
    // A thread-per-core worker is the ring's only user: completions run when it
    // asks for them (DEFER_TASKRUN, 6.1+). Older kernels get a plain ring.
    IoUring::builder()
        .setup_single_issuer()
        .setup_defer_taskrun()
        .setup_cqsize(4096)
        .build(1024)
        .or_else(|_| IoUring::builder().setup_cqsize(4096).build(1024))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_data_round_trips() {
        for op in Op::ALL {
            for slot in [0, 1, 12345, u32::MAX] {
                for gen in [0, 1, GEN_MASK - 1, GEN_MASK] {
                    let d = UserData { op, slot, gen };
                    assert_eq!(UserData::decode(d.encode()), Some(d));
                }
            }
        }
        // Op code 0 and codes past the last are never submitted.
        assert_eq!(UserData::decode(0), None);
        assert_eq!(UserData::decode(15 | (7 << OP_BITS)), None);
        // The generation wraps inside its bits, never into the slot's.
        assert_eq!(next_gen(GEN_MASK), 0);
        let d = UserData {
            op: Op::Send,
            slot: 9,
            gen: next_gen(GEN_MASK),
        };
        assert_eq!(UserData::decode(d.encode()).unwrap().slot, 9);
    }

    #[test]
    fn a_completion_from_a_slots_earlier_life_is_stale() {
        let recv = |slot, gen| {
            UserData {
                op: Op::Recv,
                slot,
                gen,
            }
            .encode()
        };
        // Slot 3 lives in generation 5; slot 4 is empty.
        let current = |slot: u32| (slot == 3).then_some(5);
        assert_eq!(
            route(recv(3, 5), current),
            Route::Conn(UserData {
                op: Op::Recv,
                slot: 3,
                gen: 5
            })
        );
        // Submitted by the slot's previous connection: never reaches this one.
        assert!(matches!(route(recv(3, 4), current), Route::Stale(d) if d.gen == 4));
        // Nor a later one's after a wrap, nor an empty slot's.
        assert!(matches!(route(recv(3, 6), current), Route::Stale(_)));
        assert!(matches!(route(recv(4, 0), current), Route::Stale(_)));
        // Out of range slots are stale too, not a panic.
        assert!(matches!(route(recv(u32::MAX, 5), current), Route::Stale(_)));
        // The worker's own operations have no slot.
        for op in [Op::Accept, Op::Tick, Op::Cancel, Op::Wake, Op::Signed] {
            assert_eq!(route(UserData::worker(op), current), Route::Worker(op));
        }
        assert_eq!(route(0, current), Route::Unknown);
    }
}
