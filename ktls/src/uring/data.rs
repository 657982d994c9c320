//! A connection's bytes: receives (handshake, then records or kernel
//! plaintext), the hand-off to kernel TLS, the handler, sends, and
//! `advance`, which arms what the connection needs next.

use super::*;

/// A connection with more than this queued to send is not read further until
/// it is out (back-pressure against peers that send without reading).
pub(super) const RECV_PAUSE: usize = 1 << 20;

/// Most plaintext one TLS record carries.
pub(super) const MAX_RECORD: usize = 16 * 1024;

impl<S: Service> Worker<S> {
    /// A receive completed: `res` bytes in `rbuf`, or in provided buffer
    /// `bid`; `multi`: it was the multishot one.
    pub(super) fn on_recv(&mut self, idx: usize, res: i32, bid: Option<u16>, multi: bool) {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return;
        };
        if c.aborting() {
            return;
        }
        if res == -libc::ENOBUFS {
            // Every provided buffer is taken: this connection's next receive
            // goes into its own buffer, then multishot again.
            self.stats.recv_no_buffers += 1;
            if let RecvState::Idle { single_next } = &mut c.recv {
                *single_next = true;
            }
            return;
        }
        if res == -libc::EINVAL && multi {
            // No multishot receive on this kernel (before 6.0): single-shot from
            // now on. The ring stays: receives still in flight may carry buffers.
            self.stats.multishot_recv = false;
            self.recv_multi_on = false;
            return;
        }
        if res == 0 {
            // The peer closed the transport (without close_notify, or after it).
            c.abort();
            return;
        }
        if res < 0 {
            match -res {
                libc::EINTR | libc::EAGAIN | libc::ECANCELED => {}
                // kTLS: the next record is not application data (an alert, a
                // KeyUpdate, a ticket): read it the ordinary way.
                libc::EIO if c.kernel_recv => self.control_record(idx),
                e => {
                    self.stats
                        .error(&format!("recv: {}", io::Error::from_raw_os_error(e)));
                    c.abort();
                }
            }
            return;
        }
        let n = res as usize;
        if c.kernel_recv {
            // Application data the kernel opened: it ends the runs of
            // KeyUpdates and warning alerts that the engine bounds.
            if let Ok(k) = c.tls.kernel() {
                k.kernel_read(n);
            }
        }
        if let Some(bid) = bid {
            self.stats.recv_provided += 1;
            // Taken out of the worker while the handler reads it: the heap
            // memory stays where it is, and this buffer is not in the ring.
            let Some(ring) = self.bufs.take() else {
                return;
            };
            self.recv_data(idx, ring.slice(bid, n));
            self.bufs = Some(ring);
            return;
        }
        if c.phase == Phase::Handshake {
            let fed = {
                let Conn { tls, rbuf, .. } = &mut **c;
                tls.session_mut()
                    .and_then(|s| s.feed_tls(&rbuf[..n]).and_then(|()| s.poll_handshake()))
            };
            self.handshake_step(idx, fed);
            return;
        }
        // The buffer is lent (no receive into it is in flight), not copied.
        let buf = std::mem::take(&mut c.rbuf);
        self.recv_data(idx, &buf[..n]);
        if let Some(Some(c)) = self.conns.get_mut(idx) {
            c.rbuf = buf;
        }
    }

    /// What a step of the handshake (bytes fed, or a poll) came to.
    pub(super) fn handshake_step(&mut self, idx: usize, fed: Result<bool, Error>) {
        // Taken whatever the step came to, so it is never left to the next.
        let signing = self.signer.as_mut().is_some_and(Signer::take_issued);
        if signing {
            self.stats.signatures_offloaded += 1;
        }
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return;
        };
        match fed {
            Ok(done) => {
                // Bytes from the peer may move a parked handshake on too.
                c.parked = false;
                c.park_counted = false;
                take_pending(c);
                if done {
                    self.handshake_done(idx);
                } else {
                    self.early_response(idx);
                }
            }
            Err(e) if e.blocked_on() == Some(Blocked::OnApplicationInput) => {
                take_pending(c);
                if signing {
                    // Its signature went to the signing threads: their
                    // eventfd resumes it (`on_signed`).
                    c.signing = true;
                    c.parked = true;
                    return;
                }
                if c.signing {
                    return;
                }
                // A callback answers later (the session cache's lookup, from
                // its worker thread): polled again at each wake-up; the
                // handshake timeout still bounds the wait.
                if !c.parked {
                    c.parked = true;
                    // Once per wait, not per re-poll at the wake-ups.
                    if !c.park_counted {
                        c.park_counted = true;
                        self.stats.handshakes_parked += 1;
                    }
                    self.parked.push((idx, c.gen));
                }
                self.arm_wake();
            }
            Err(e) => {
                // The alert is in pending_tls: send it, then close.
                self.stats.handshake_failures += 1;
                self.stats.error(&format!("handshake: {:?}", e.kind()));
                take_pending(c);
                c.close();
            }
        }
    }

    /// Bytes received after the handshake: plaintext (kernel receive) to the
    /// handler, or records to open first.
    pub(super) fn recv_data(&mut self, idx: usize, data: &[u8]) {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return;
        };
        c.deadline = Instant::now() + self.cfg.idle_timeout;
        if c.kernel_recv {
            self.handle_input(idx, data);
            return;
        }
        let r = c.tls.session_mut().and_then(|s| {
            s.feed_tls(data)?;
            let mut plain = vec![0u8; s.peek()];
            let k = s.take_plaintext(&mut plain);
            plain.truncate(k);
            Ok((plain, s.peer_closed()))
        });
        let (plain, peer_closed) = match r {
            Ok(r) => r,
            Err(e) => {
                self.stats.error(&format!("records: {:?}", e.kind()));
                take_pending(c);
                c.close();
                return;
            }
        };
        // KeyUpdate answers the engine queued.
        take_pending(c);
        if !plain.is_empty() {
            self.handle_input(idx, &plain);
        }
        if peer_closed {
            if let Some(Some(c)) = self.conns.get_mut(idx) {
                c.close();
            }
        }
    }

    /// kTLS receive hit a control record: `KernelSession::recv` reads it with
    /// recvmsg and its record type, and returns any application data after it.
    pub(super) fn control_record(&mut self, idx: usize) {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return;
        };
        let mut buf = vec![0u8; RECV_BUF];
        let mut plain = Vec::new();
        let Ok(tls) = c.tls.kernel() else {
            c.abort();
            return;
        };
        loop {
            match tls.recv(&mut buf) {
                Ok(0) => {
                    c.close();
                    break;
                }
                Ok(n) => plain.extend_from_slice(&buf[..n]),
                Err(e) if e.is_blocked() => break,
                Err(e) => {
                    self.stats.error(&format!("kernel records: {:?}", e.kind()));
                    c.abort();
                    break;
                }
            }
        }
        // A KeyUpdate answer goes out through the kernel right away.
        if let Ok(tls) = c.tls.kernel() {
            let _ = tls.flush();
        }
        if !plain.is_empty() {
            self.handle_input(idx, &plain);
        }
    }

    pub(super) fn handshake_done(&mut self, idx: usize) {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return;
        };
        self.stats.handshakes += 1;
        // Accepted 0-RTT not answered yet (0.5-RTT), kept for the handler
        // (the session is consumed by the hand-off); bounded by the config's
        // max_early_data_size.
        if let Tls::Handshake(s) = &mut c.tls {
            let mut buf = [0u8; 4096];
            loop {
                let n = s.recv_early_data(&mut buf);
                if n == 0 {
                    break;
                }
                c.early.extend_from_slice(&buf[..n]);
            }
            if s.early_data_status() == baton::early::EarlyDataStatus::Accepted {
                self.stats.early_data += 1;
            }
        }
        c.deadline = Instant::now() + self.cfg.idle_timeout;
        // The hand-off waits until the last flight is out (`advance`).
        c.phase = Phase::HandOff;
    }

    /// After the handshake, with its last flight sent: the kernel takes what it
    /// can and the service gets the connection.
    pub(super) fn enter_data(&mut self, idx: usize) {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return;
        };
        c.phase = Phase::Data;
        c.wbuf.clear();
        c.woff = 0;
        // The hand-off consumes the handshake's session: from here on only
        // the kernel session exists, each direction kernel or userspace.
        let Tls::Handshake(session) = std::mem::replace(&mut c.tls, Tls::Moving) else {
            self.stats.error("ktls: the hand-off ran twice");
            c.abort();
            return;
        };
        let mut conn = Connection::from_session(session);
        let moved = match conn.set_fd(Arc::clone(&c.fd)) {
            Ok(()) => crate::enable(conn, self.cfg.ktls, &self.cfg.ktls_options),
            Err(error) => Err(crate::EnableError {
                error,
                conn: crate::Handback::Connection(Box::new(conn)),
            }),
        };
        let mut ks = match moved {
            Ok(ks) => ks,
            Err(e) => {
                self.stats.error(&format!("ktls: {:?}", e.error.kind()));
                c.tls = match e.conn {
                    crate::Handback::Kernel(ks) => Tls::Data(*ks),
                    crate::Handback::Connection(conn) => Tls::Handshake(conn.into_session()),
                };
                c.abort();
                return;
            }
        };
        let status = ks.ktls_status();
        c.kernel_send = status.send.is_kernel();
        c.kernel_recv = status.recv.is_kernel();
        if let (true, Some(records)) = (c.kernel_send, self.cfg.kernel_send_key_limit_for_test) {
            ks.set_kernel_send_key_limit_for_test(records);
        }
        let session = ks.session();
        if let (Some(version), Some(suite)) =
            (session.actual_protocol_version(), session.cipher_suite())
        {
            let kind = HandshakeKind {
                version,
                suite,
                resumed: session.is_resumed(),
            };
            *self.stats.handshake_kinds.entry(kind).or_default() += 1;
        }
        if c.handler.is_none() {
            let ktls = (c.kernel_send, c.kernel_recv);
            c.handler = Some(self.service.connect_ktls(c.peer, session, ktls));
        }
        c.tls = Tls::Data(ks);
        let early = std::mem::take(&mut c.early);
        let deferred = c.deferred.take();
        if c.kernel_send {
            self.stats.kernel_send += 1;
        } else {
            self.stats.userspace_send += 1;
        }
        if c.kernel_recv {
            self.stats.kernel_recv += 1;
        } else {
            self.stats.userspace_recv += 1;
        }
        if let Some((out, flow)) = deferred {
            self.queue_output(idx, out, flow);
        }
        if !early.is_empty() {
            self.stats.bytes_in += early.len() as u64;
            let Some(Some(c)) = self.conns.get_mut(idx) else {
                return;
            };
            let Some(h) = c.handler.as_mut() else {
                return;
            };
            let mut out = Output::default();
            let flow = h.on_early_data(&early, &mut out);
            self.queue_output(idx, out, flow);
        }
    }

    pub(super) fn handle_input(&mut self, idx: usize, data: &[u8]) {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return;
        };
        self.stats.bytes_in += data.len() as u64;
        let Some(h) = c.handler.as_mut() else {
            return;
        };
        let mut out = Output::default();
        let flow = h.on_data(data, &mut out);
        self.queue_output(idx, out, flow);
    }

    pub(super) fn queue_output(&mut self, idx: usize, out: Output, flow: Flow) {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return;
        };
        if out.file.is_some() && c.body.is_some() {
            // One body at a time (the handler hears on_drained): replacing it
            // would close the file a READ or SPLICE in flight reads.
            self.stats
                .error("a file body queued before the last one was out");
            c.abort();
            return;
        }
        self.stats.bytes_out += out.bytes.len() as u64;
        if let Some(body) = &out.file {
            self.stats.bytes_out += body.left;
        }
        if out.file.is_some() && !c.kernel_send {
            // Sealed together with the body's first chunk: fewer, fuller records.
            let end = c.hold_len + out.bytes.len();
            if c.hold.len() < end {
                c.hold.resize(end, 0);
            }
            c.hold[c.hold_len..end].copy_from_slice(&out.bytes);
            c.hold_len = end;
        } else if c.kernel_send && c.wnext.is_empty() {
            // Plaintext for the kernel: the handler's buffer becomes the send queue.
            c.wnext = out.bytes;
        } else if let Err(e) = queue_plaintext(c, &out.bytes) {
            self.stats.error(&format!("send: {:?}", e.kind()));
            c.abort();
            return;
        }
        if out.file.is_some() {
            c.body = out.file;
        }
        if flow == Flow::Close {
            c.close();
        }
    }

    /// A send completed (`more`: it had MSG_MORE); its buffer is back in `wbuf`.
    pub(super) fn on_send(&mut self, idx: usize, res: i32, more: bool) {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return;
        };
        if res < 0 {
            match -res {
                libc::EINTR | libc::EAGAIN => {}
                libc::ECANCELED => {}
                e => {
                    if e != libc::EPIPE && e != libc::ECONNRESET {
                        self.stats
                            .error(&format!("send: {}", io::Error::from_raw_os_error(e)));
                    }
                    c.abort();
                }
            }
            return;
        }
        let n = res as usize;
        c.woff += n;
        if c.kernel_send {
            if let Ok(k) = c.tls.kernel() {
                k.kernel_wrote(n);
            }
            c.open_record = if more {
                (c.open_record + n) % MAX_RECORD
            } else {
                0
            };
        }
        if c.woff >= c.wbuf.len() {
            c.woff = 0;
            // Sealed records, sent: back to the session as it is, so the
            // next records reuse its bytes without zeroing them first.
            // (With kernel send it held plaintext: cleared and kept here.)
            match c.tls.session_mut() {
                Ok(s) if !c.kernel_send => s.recycle_tls_buffer(std::mem::take(&mut c.wbuf)),
                _ => c.wbuf.clear(),
            }
            std::mem::swap(&mut c.wbuf, &mut c.wnext);
        }
    }

    /// Arms what the connection needs next, or closes it when it is done.
    pub(super) fn advance(&mut self, idx: usize) {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return;
        };
        let fd = types::Fd(c.fd.as_raw_fd());
        if c.aborting() {
            let mut cancels = Vec::new();
            if !matches!(c.recv, RecvState::Idle { .. }) {
                cancels.push(c.ud(Op::Recv));
            }
            if matches!(c.send, SendState::InFlight { .. }) {
                cancels.push(c.ud(Op::Send));
            }
            if c.poll_inflight {
                cancels.push(c.ud(Op::Poll));
            }
            match c.body_op {
                BodyOp::Splice => cancels.push(c.ud(Op::Splice)),
                BodyOp::Read(_) => cancels.push(c.ud(Op::Read)),
                BodyOp::Idle => {}
            }
            if cancels.is_empty() {
                self.release(idx);
            }
            for target in cancels {
                let sqe = opcode::AsyncCancel::new(target).build();
                self.push(sqe.user_data(UserData::worker(Op::Cancel)));
            }
            return;
        }
        let sending = matches!(c.send, SendState::InFlight { .. });
        let idle_out = !sending && c.woff >= c.wbuf.len() && c.wnext.is_empty();
        if c.phase == Phase::HandOff && idle_out {
            self.enter_data(idx);
            return self.advance(idx);
        }
        if idle_out
            && !c.poll_inflight
            && matches!(c.body_op, BodyOp::Idle)
            && c.body.is_some()
            && c.handler.is_some()
            && self.pump_body(idx)
        {
            return self.advance(idx);
        }
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return;
        };
        let mut sqes = Vec::new();
        let sending = matches!(c.send, SendState::InFlight { .. });
        if !sending && c.wbuf.is_empty() && !c.wnext.is_empty() {
            std::mem::swap(&mut c.wbuf, &mut c.wnext);
            c.woff = 0;
        }
        if !sending && c.woff < c.wbuf.len() {
            let mut len = c.wbuf.len() - c.woff;
            let mut more = 0;
            if c.kernel_send {
                // Plaintext for the kernel's records: the checks and record
                // sizing KernelSession::send would apply (each write without
                // MSG_MORE ends a record, so small records are short writes).
                let budget = match c.tls.kernel().and_then(|k| k.kernel_write_budget()) {
                    Ok(b) => b,
                    Err(e) if e.is_blocked() => {
                        // A KeyUpdate record waits for room in the socket.
                        if !c.poll_inflight {
                            sqes.push(poll_writable(c));
                        }
                        for sqe in sqes {
                            self.push(sqe);
                        }
                        return;
                    }
                    Err(e) => {
                        self.stats.error(&format!("send: {:?}", e.kind()));
                        c.abort();
                        return self.advance(idx);
                    }
                };
                let room = if budget.small {
                    budget.max.saturating_sub(c.open_record).max(1)
                } else {
                    budget.max
                };
                len = len.min(room);
                // A response head followed by a file body shares its first
                // record with it (MSG_MORE keeps the kTLS record open), unless
                // the head already fills a small record.
                let last = c.woff + len == c.wbuf.len() && c.wnext.is_empty();
                if last && c.body.is_some() && !(budget.small && len == room) {
                    more = libc::MSG_MORE;
                }
            }
            // The send owns the buffer until it completes (`send_done`).
            let buf = std::mem::take(&mut c.wbuf);
            let pending = &buf[c.woff..c.woff + len];
            sqes.push(
                opcode::Send::new(fd, pending.as_ptr(), len.min(u32::MAX as usize) as u32)
                    .flags(libc::MSG_NOSIGNAL | more)
                    .build()
                    .user_data(c.ud(Op::Send)),
            );
            c.send = SendState::InFlight {
                buf,
                more: more != 0,
            };
        }
        let output_done = !matches!(c.send, SendState::InFlight { .. })
            && c.wnext.is_empty()
            && c.body.is_none()
            && !c.poll_inflight
            && matches!(c.body_op, BodyOp::Idle);
        if output_done && c.life == Life::Open && c.phase != Phase::Handshake {
            release_idle(c, self.recv_multi_on);
        }
        if c.life == Life::Closing {
            if output_done {
                if c.phase != Phase::Handshake {
                    // close_notify (once), through the kernel or as a sealed record.
                    let pending = c
                        .tls
                        .session_mut()
                        .is_ok_and(|s| !s.pending_tls().is_empty());
                    if c.kernel_send {
                        if let Ok(k) = c.tls.kernel() {
                            let _ = k.shutdown_send();
                        }
                    } else if pending || queue_close(c) {
                        take_pending(c);
                        return self.advance(idx);
                    }
                }
                c.abort();
                return self.advance(idx);
            }
        } else if let RecvState::Multi { cancelling } = c.recv {
            // Back-pressure: a peer whose replies pile up is not read further
            // (a multishot receive is stopped; it is re-armed when they are out).
            if !cancelling && backlog(c) > RECV_PAUSE {
                c.recv = RecvState::Multi { cancelling: true };
                sqes.push(
                    opcode::AsyncCancel::new(c.ud(Op::Recv))
                        .build()
                        .user_data(UserData::worker(Op::Cancel)),
                );
            }
        } else if let RecvState::Idle { single_next } = c.recv {
            // A parked handshake reads nothing more: its buffered records
            // wait for the answer (0-RTT data can be larger than the record
            // buffer), and TCP holds back the rest.
            let handshaking = c.phase == Phase::Handshake && !c.parked;
            if handshaking || (c.phase == Phase::Data && backlog(c) <= RECV_PAUSE) {
                // Multishot only after the handshake: during it receives are
                // record-exact (nothing past the last handshake record leaves the
                // socket, so the kernel can take over reading at a record boundary).
                let multi = c.phase == Phase::Data && self.recv_multi_on && !single_next;
                let sqe = if multi {
                    c.recv = RecvState::Multi { cancelling: false };
                    opcode::RecvMulti::new(fd, BUF_GROUP).build()
                } else {
                    // The receive owns the buffer until it completes (`recv_done`).
                    let mut buf = std::mem::take(&mut c.rbuf);
                    if buf.is_empty() {
                        // Released while idle (multishot receives don't use it).
                        buf = vec![0u8; RECV_BUF].into_boxed_slice();
                    }
                    let len = match c.phase {
                        Phase::Handshake => c
                            .tls
                            .session_mut()
                            .map_or(1, |s| s.tls_bytes_needed())
                            .clamp(1, buf.len()),
                        _ => buf.len(),
                    };
                    let sqe = opcode::Recv::new(fd, buf.as_mut_ptr(), len as u32).build();
                    c.recv = RecvState::Single { buf };
                    sqe
                };
                sqes.push(sqe.user_data(c.ud(Op::Recv)));
            }
        }
        for sqe in sqes {
            self.push(sqe);
        }
    }
}
