//! The worker: its loop (one `io_uring_enter` per turn), accepts, ticks and
//! deadlines, shutdown, and the dispatch of completions to connections.

use super::*;

/// How often a worker wakes up by itself: control messages and deadlines.
pub(super) const TICK: Duration = Duration::from_millis(100);

/// How often handshakes waiting for the application are polled again, while
/// there are any: an answer from another thread (a session cache worker)
/// has no way into the ring, and a lookup's answer comes within its
/// timeout, so a short timer bounds the wait without a wake-up channel.
pub(super) const WAKE: Duration = Duration::from_millis(1);

pub(super) struct Worker<S: Service> {
    pub(super) ring: IoUring,
    pub(super) listener: Option<TcpListener>,
    pub(super) conns: Vec<Option<Box<Conn<S::Handler>>>>,
    /// Each slot's generation: bumped when its connection is released, so
    /// that completions of that connection arriving later are stale.
    pub(super) gens: Vec<u32>,
    pub(super) free: Vec<usize>,
    pub(super) live: usize,
    pub(super) tls: Config,
    pub(super) service: Arc<S>,
    pub(super) cfg: RuntimeConfig,
    pub(super) stats: WorkerStats,
    pub(super) ctl: Receiver<Ctl>,
    pub(super) tick: Box<types::Timespec>,
    /// [`WAKE`], for the timeout that re-polls parked handshakes.
    pub(super) wake: Box<types::Timespec>,
    /// The wake timeout is in flight.
    pub(super) wake_armed: bool,
    /// Handshakes waiting for the application: (slot, generation).
    pub(super) parked: Vec<(usize, u32)>,
    pub(super) multishot: bool,
    pub(super) accept_armed: bool,
    pub(super) draining: Option<Instant>,
    /// io_uring SPLICE for kernel file bodies (probed, and `cfg.splice`).
    pub(super) splice: bool,
    /// Provided buffers for multishot receives (None: single-shot receives).
    /// After `ring` so that it is freed after the ring that the kernel
    /// writes it through is gone.
    pub(super) bufs: Option<BufRing>,
    /// New receives after the handshake are multishot (`bufs` is there and
    /// the kernel did not refuse one).
    pub(super) recv_multi_on: bool,
    /// Registered buffers for file reads (None: plain `READ`s). After
    /// `ring`, so that it is unmapped after the ring that pins it is gone.
    pub(super) files: Option<FilePool>,
    /// The kernel has `IORING_OP_READ` (5.6+); else synchronous `pread`.
    pub(super) read_op: bool,
    /// Signatures go to the signing threads (`RuntimeConfig::sign_threads`).
    pub(super) signer: Option<Signer>,
    /// The completions of one turn, reaped at once and then handled (the
    /// handlers queue new operations, which go in with the next enter);
    /// kept between turns so a busy loop does not allocate for them.
    pub(super) cqes: Vec<cqueue::Entry>,
}

impl<S: Service> Worker<S> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        index: usize,
        core: Option<usize>,
        listener: TcpListener,
        cfg: RuntimeConfig,
        tls: Config,
        service: Arc<S>,
        ctl: Receiver<Ctl>,
        pool: Option<Sender<Job>>,
    ) -> io::Result<Self> {
        let ring = new_ring()?;
        let signer = pool.map(Signer::new).transpose()?;
        let splice = cfg.splice && probe_op(&ring, opcode::Splice::CODE);
        let read_op = probe_op(&ring, opcode::Read::CODE);
        let files = if cfg.file_buffers > 0 && read_op {
            FilePool::new(&ring, cfg.file_buffers).ok()
        } else {
            None
        };
        let iowq_tuned = splice && tune_iowq(&ring, core);
        let bufs = if cfg.multishot_recv {
            BufRing::new(&ring, cfg.recv_buffers).ok()
        } else {
            None
        };
        Ok(Self {
            ring,
            listener: Some(listener),
            conns: Vec::new(),
            gens: Vec::new(),
            free: Vec::new(),
            live: 0,
            tls,
            service,
            cfg,
            stats: WorkerStats {
                worker: index,
                multishot_accept: true,
                splice,
                iowq_tuned,
                multishot_recv: bufs.is_some(),
                file_buffers: files.as_ref().map_or(0, |f| f.len() as u64),
                ..Default::default()
            },
            ctl,
            tick: Box::new(types::Timespec::from(TICK)),
            wake: Box::new(types::Timespec::from(WAKE)),
            wake_armed: false,
            parked: Vec::new(),
            multishot: true,
            accept_armed: false,
            draining: None,
            splice,
            recv_multi_on: bufs.is_some(),
            bufs,
            files,
            read_op,
            signer,
            cqes: Vec::with_capacity(64),
        })
    }

    /// Queues `sqe` (see [`submit`]).
    pub(super) fn push(&mut self, sqe: squeue::Entry) {
        submit(&mut self.ring, &sqe);
    }

    pub(super) fn arm_accept(&mut self) {
        let Some(l) = &self.listener else { return };
        let fd = types::Fd(l.as_raw_fd());
        let flags = libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
        let sqe = if self.multishot {
            opcode::AcceptMulti::new(fd).flags(flags).build()
        } else {
            opcode::Accept::new(fd, std::ptr::null_mut(), std::ptr::null_mut())
                .flags(flags)
                .build()
        };
        self.push(sqe.user_data(UserData::worker(Op::Accept)));
        self.accept_armed = true;
    }

    pub(super) fn arm_tick(&mut self) {
        let ts: *const types::Timespec = &*self.tick;
        self.push(
            opcode::Timeout::new(ts)
                .build()
                .user_data(UserData::worker(Op::Tick)),
        );
    }

    /// Arms the short timeout that re-polls parked handshakes (once).
    pub(super) fn arm_wake(&mut self) {
        if self.wake_armed {
            return;
        }
        self.wake_armed = true;
        let ts: *const types::Timespec = &*self.wake;
        self.push(
            opcode::Timeout::new(ts)
                .build()
                .user_data(UserData::worker(Op::Wake)),
        );
    }

    /// Polls the parked handshakes again; those still waiting stay parked.
    pub(super) fn on_wake(&mut self) {
        self.wake_armed = false;
        for (idx, gen) in std::mem::take(&mut self.parked) {
            let Some(Some(c)) = self.conns.get_mut(idx) else {
                continue;
            };
            // The slot was reused, or the connection moved on or is closing.
            if c.gen != gen || !c.parked || c.phase != Phase::Handshake || c.aborting() {
                continue;
            }
            c.parked = false;
            let fed = c.tls.session_mut().and_then(|s| s.poll_handshake());
            self.handshake_step(idx, fed);
            self.advance(idx);
        }
        if !self.parked.is_empty() && self.draining.is_none() {
            self.arm_wake();
        }
    }

    pub(super) fn run(&mut self) {
        self.serve();
        self.drain();
    }

    /// After the loop: connections still busy (the grace period ran out) are cut
    /// (`shutdown(2)` makes their operations complete) and their completions
    /// reaped, so their buffers can be freed. If the kernel still holds some
    /// after a second, those connections are leaked rather than freed under it.
    pub(super) fn drain(&mut self) {
        let busy = |c: &Conn<S::Handler>| c.busy();
        self.stats.cut_at_shutdown += self.live as u64;
        for c in self.conns.iter_mut().flatten() {
            if busy(c) {
                cut(&c.fd);
                c.abort();
            }
        }
        let deadline = Instant::now() + Duration::from_secs(1);
        while self.conns.iter().flatten().any(|c| busy(c)) && Instant::now() < deadline {
            for idx in 0..self.conns.len() {
                self.advance(idx);
            }
            self.arm_tick();
            if self.ring.submit_and_wait(1).is_err() {
                break;
            }
            self.reap();
        }
        if self.conns.iter().flatten().any(|c| busy(c)) {
            std::mem::forget(std::mem::take(&mut self.conns));
            // A multishot receive or a file read the kernel still holds may
            // still write these.
            std::mem::forget(self.bufs.take());
            std::mem::forget(self.files.take());
        }
    }

    pub(super) fn serve(&mut self) {
        self.arm_accept();
        self.arm_tick();
        self.arm_signed();
        loop {
            // One io_uring_enter: everything queued this turn goes in, and we wait
            // for at least one completion (the tick guarantees one per TICK).
            if let Err(e) = self.ring.submit_and_wait(1) {
                if e.raw_os_error() != Some(libc::EINTR) && e.raw_os_error() != Some(libc::EBUSY) {
                    self.stats.error(&format!("io_uring_enter: {e}"));
                    return;
                }
            }
            self.reap();
            if self.finished() {
                return;
            }
        }
    }

    /// Handles every completion the ring holds, as one batch.
    fn reap(&mut self) {
        let mut cqes = std::mem::take(&mut self.cqes);
        cqes.extend(self.ring.completion());
        for cqe in cqes.drain(..) {
            self.complete(cqe);
        }
        self.cqes = cqes;
    }

    pub(super) fn finished(&self) -> bool {
        match self.draining {
            Some(deadline) => (self.live == 0 && !self.accept_armed) || Instant::now() >= deadline,
            None => false,
        }
    }

    pub(super) fn complete(&mut self, cqe: cqueue::Entry) {
        let res = cqe.result();
        // A provided buffer this completion carries goes back to the ring
        // once its bytes are consumed (below), or at once if stale.
        let bid = cqueue::buffer_select(cqe.flags());
        let gens = &self.gens;
        let conns = &self.conns;
        let current = |slot: u32| {
            let i = slot as usize;
            conns.get(i)?.as_ref()?;
            gens.get(i).copied()
        };
        let ud = cqe.user_data();
        let d = match route(ud, current) {
            Route::Worker(Op::Accept) => return self.on_accept(res, cqe.flags()),
            Route::Worker(Op::Tick) => return self.on_tick(),
            Route::Worker(Op::Wake) => return self.on_wake(),
            Route::Worker(Op::Signed) => return self.on_signed(res),
            Route::Worker(_) | Route::Unknown => return,
            Route::Stale(d) => {
                self.release_owned(d, ud, bid);
                return;
            }
            Route::Conn(d) => d,
        };
        let idx = d.slot as usize;
        let Some(Some(conn)) = self.conns.get_mut(idx) else {
            return;
        };
        // The operation is over (but a multishot receive while the kernel
        // says MORE): what it owned goes back to the connection.
        match d.op {
            Op::Recv => {
                let multi = matches!(conn.recv, RecvState::Multi { .. });
                if !(multi && cqueue::more(cqe.flags())) {
                    conn.recv_done();
                }
                self.on_recv(idx, res, bid, multi);
                if let (Some(bid), Some(ring)) = (bid, self.bufs.as_mut()) {
                    ring.give_back(bid);
                }
            }
            Op::Send => {
                let more = conn.send_done();
                self.on_send(idx, res, more);
            }
            Op::Poll => conn.poll_inflight = false,
            Op::Splice => {
                conn.body_op = BodyOp::Idle;
                self.on_splice(idx, res);
            }
            Op::Read => {
                if let BodyOp::Read(read) = std::mem::replace(&mut conn.body_op, BodyOp::Idle) {
                    self.on_read(idx, res, read);
                }
            }
            Op::Accept | Op::Tick | Op::Cancel | Op::Wake | Op::Signed => {}
        }
        self.advance(idx);
    }

    /// A stale completion: its connection is gone. What the operation owned
    /// goes back (a provided receive buffer, a pool buffer a read filled);
    /// nothing else is touched.
    pub(super) fn release_owned(&mut self, d: UserData, ud: u64, bid: Option<u16>) {
        match d.op {
            Op::Recv => {
                if let (Some(bid), Some(ring)) = (bid, self.bufs.as_mut()) {
                    ring.give_back(bid);
                }
            }
            Op::Read => {
                if let Some(pool) = self.files.as_mut() {
                    pool.give_back_lent_to(ud);
                }
            }
            _ => {}
        }
    }

    pub(super) fn on_accept(&mut self, res: i32, flags: u32) {
        if !self.multishot || !cqueue::more(flags) {
            self.accept_armed = false;
        }
        if res == -libc::EINVAL && self.multishot {
            // Multishot accept needs 5.19: fall back to one accept at a time.
            self.multishot = false;
            self.stats.multishot_accept = false;
        } else if res >= 0 {
            self.new_conn(accepted(res));
        } else if res != -libc::ECANCELED {
            self.stats
                .error(&format!("accept: {}", io::Error::from_raw_os_error(-res)));
        }
        if !self.accept_armed && self.draining.is_none() {
            self.arm_accept();
        }
        if self.draining.is_some() && !self.accept_armed {
            self.listener = None;
        }
    }

    pub(super) fn new_conn(&mut self, fd: OwnedFd) {
        self.stats.accepted += 1;
        if self.live >= self.cfg.max_connections_per_worker {
            self.stats.refused += 1;
            return; // dropping `fd` closes it
        }
        let peer = peer_addr(fd.as_fd()).unwrap_or(SocketAddr::from(([0, 0, 0, 0], 0)));
        set_nodelay(fd.as_fd());
        let mut session = Session::new_server(&self.tls);
        session.set_dynamic_record_threshold(16 * 1024, Duration::from_secs(1));
        let idx = match self.free.pop() {
            Some(i) => i,
            None => {
                self.conns.push(None);
                self.gens.push(0);
                self.conns.len() - 1
            }
        };
        let Ok(slot) = u32::try_from(idx) else {
            // Past 2^32 slots (the per-worker cap is far below): refused.
            self.free.push(idx);
            self.stats.refused += 1;
            return;
        };
        if let Some(signer) = &self.signer {
            session.set_private_key_callback(signer.callback(slot, self.gens[idx]));
        }
        let tls = Tls::Handshake(session);
        let conn = Box::new(Conn {
            slot,
            gen: self.gens[idx],
            fd: Arc::new(fd),
            peer,
            tls,
            handler: None,
            phase: Phase::Handshake,
            life: Life::Open,
            kernel_send: false,
            kernel_recv: false,
            recv: RecvState::Idle { single_next: false },
            rbuf: vec![0u8; RECV_BUF].into_boxed_slice(),
            send: SendState::Idle,
            wbuf: Vec::new(),
            woff: 0,
            wnext: Vec::new(),
            deadline: Instant::now() + self.cfg.handshake_timeout,
            body: None,
            body_op: BodyOp::Idle,
            hold: Vec::new(),
            hold_len: 0,
            poll_inflight: false,
            pipe: None,
            pipe_fill: 0,
            early: Vec::new(),
            deferred: None,
            piece_small: false,
            open_record: 0,
            parked: false,
            park_counted: false,
            signing: false,
        });
        self.conns[idx] = Some(conn);
        self.live += 1;
        self.advance(idx);
    }

    pub(super) fn on_tick(&mut self) {
        while let Ok(msg) = self.ctl.try_recv() {
            match msg {
                Ctl::Shutdown => self.begin_shutdown(),
                Ctl::Stats(tx) => {
                    let _ = tx.send(self.stats.clone());
                }
            }
        }
        self.resume_signed();
        self.service.on_tick();
        let now = Instant::now();
        for idx in 0..self.conns.len() {
            let Some(Some(c)) = self.conns.get_mut(idx) else {
                continue;
            };
            if now >= c.deadline && !c.aborting() {
                self.stats.timeouts += 1;
                if c.phase == Phase::Handshake {
                    self.stats.handshake_failures += 1;
                }
                c.abort();
                self.advance(idx);
            }
        }
        if !self.finished() {
            self.arm_tick();
        }
    }

    pub(super) fn begin_shutdown(&mut self) {
        if self.draining.is_some() {
            return;
        }
        self.draining = Some(Instant::now() + self.cfg.shutdown_grace);
        if self.accept_armed {
            self.push(
                opcode::AsyncCancel::new(UserData::worker(Op::Accept))
                    .build()
                    .user_data(UserData::worker(Op::Cancel)),
            );
        } else {
            self.listener = None;
        }
        // Idle connections close now (with close_notify); busy ones after their output.
        for idx in 0..self.conns.len() {
            if let Some(Some(c)) = self.conns.get_mut(idx) {
                if c.phase == Phase::Handshake {
                    c.abort();
                } else {
                    c.close();
                }
                self.advance(idx);
            }
        }
    }

    pub(super) fn release(&mut self, idx: usize) {
        if let Some(slot) = self.conns.get_mut(idx) {
            if slot.take().is_some() {
                // Completions still addressed to the connection just freed
                // (there should be none) are stale from now on.
                self.gens[idx] = next_gen(self.gens[idx]);
                self.free.push(idx);
                self.live -= 1;
            }
        }
    }
}
