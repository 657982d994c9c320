//! File bodies: io_uring `SPLICE` (file -> pipe -> kTLS socket), synchronous
//! `sendfile` through kTLS, or chunks read by io_uring (`READ_FIXED` into
//! the pool, or plain `READ`) and sealed in userspace.

use super::*;

/// The per-connection pipe file bodies are spliced through (F_SETPIPE_SZ; the
/// kernel may allow less: /proc/sys/fs/pipe-max-size, 1 MiB by default).
pub(super) const PIPE_SIZE: usize = 1 << 20;

/// File body chunk read and sealed per turn without kernel TLS send.
pub(super) const FILE_CHUNK: usize = 64 * 1024;

/// Bytes of a body sealed per turn from an image in memory: twice a read
/// chunk, since no read buffer is held for it; half the sends per MiB cut
/// the worker's CPU per GB by about 5 % (9 paired rounds on 1 MiB bodies),
/// for 128 KiB more of ciphertext buffered per sending connection.
pub(super) const IMAGE_TURN: usize = 128 * 1024;

/// Room in front of each registered file buffer's chunk for the response
/// head sealed with it (a longer head makes that read a plain one).
pub(super) const HEAD_ROOM: usize = 4096;

/// Most file bytes one kernel sendfile turn pushes before others get a go.
pub(super) const SENDFILE_TURN: usize = 4 << 20;

/// A pipe for splicing file bodies, as large as the kernel allows up to
/// [`PIPE_SIZE`]: (read end, write end, size). Non-blocking, so that a
/// SPLICE never waits on the pipe itself (it is only filled when empty).
pub(super) fn new_pipe() -> io::Result<(OwnedFd, OwnedFd, usize)> {
    use nix::fcntl::{fcntl, FcntlArg, OFlag};
    let (r, w) = nix::unistd::pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK)?;
    for size in [PIPE_SIZE, PIPE_SIZE / 4] {
        // Failure (above /proc/sys/fs/pipe-max-size) is fine: the next, or the default.
        if fcntl(&w, FcntlArg::F_SETPIPE_SZ(size as libc::c_int)).is_ok() {
            break;
        }
    }
    let size = fcntl(&w, FcntlArg::F_GETPIPE_SZ)?;
    if size <= 0 {
        return Err(io::Error::other("F_GETPIPE_SZ returned no size"));
    }
    Ok((r, w, size as usize))
}

/// `pread(2)`: the file's page cache, at `offset`, without moving a cursor.
pub(super) fn read_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

impl<S: Service> Worker<S> {
    /// Moves the file body on: kernel sendfile where the kernel seals (until
    /// EAGAIN, then a poll for writability), else one chunk read (by io_uring)
    /// to be sealed when it completes.
    /// Returns true if it queued output or finished the body.
    pub(super) fn pump_body(&mut self, idx: usize) -> bool {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return false;
        };
        let Some(body) = c.body.as_mut() else {
            return false;
        };
        if c.kernel_send && self.splice && c.pipe.is_none() {
            match new_pipe() {
                Ok(p) => c.pipe = Some(p),
                Err(e) => {
                    // No pipe (fd limit): this connection uses sendfile.
                    self.stats.error(&format!("pipe: {e}"));
                }
            }
        }
        if c.kernel_send && c.pipe.is_some() {
            return self.splice_body(idx);
        }
        if c.kernel_send {
            let mut pushed = 0;
            while body.left > 0 && pushed < SENDFILE_TURN {
                let mut want = body.left.min((SENDFILE_TURN - pushed) as u64) as usize;
                if c.open_record > 0 {
                    // A head sent with MSG_MORE opened the record: in the small
                    // phase, the first piece only fills it up.
                    if let Ok(b) = c.tls.kernel().and_then(|k| k.kernel_write_budget()) {
                        if b.small {
                            want = want.min(b.max.saturating_sub(c.open_record).max(1));
                        }
                    }
                }
                let file = std::os::fd::AsFd::as_fd(&body.file);
                match c
                    .tls
                    .kernel()
                    .and_then(|k| k.sendfile(file, body.offset, want))
                {
                    Ok(0) => {
                        // The file shrank under us: the response can't be completed.
                        self.stats.error("file shorter than announced");
                        c.abort();
                        return true;
                    }
                    Ok(n) => {
                        body.offset += n as u64;
                        body.left -= n as u64;
                        pushed += n;
                        self.stats.file_bytes_sendfile += n as u64;
                        // sendfile's last piece goes without MORE: the record is closed.
                        c.open_record = 0;
                    }
                    Err(e) if e.is_blocked() => {
                        let sqe = poll_writable(c);
                        self.push(sqe);
                        return true;
                    }
                    Err(e) => {
                        self.stats.error(&format!("sendfile: {:?}", e.kind()));
                        c.abort();
                        return true;
                    }
                }
            }
            if body.left > 0 {
                // Fairness: the rest on a later turn, after a writability poll.
                let sqe = poll_writable(c);
                self.push(sqe);
                return true;
            }
        } else if body.image.is_some() {
            return self.seal_image(idx);
        } else {
            return self.read_chunk(idx);
        }
        self.body_done(idx);
        true
    }

    /// Userspace send: reads the body's next chunk (up to 64 KiB) behind the
    /// held response head, into a registered pool buffer (`READ_FIXED`) or,
    /// without one free, into the connection's own buffer (`READ`); without
    /// `IORING_OP_READ` synchronously. Sealed in [`on_read`](Self::on_read).
    /// Returns true (it queued a read or finished the body).
    pub(super) fn read_chunk(&mut self, idx: usize) -> bool {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return false;
        };
        let Some(body) = c.body.as_ref() else {
            return false;
        };
        let head = c.hold_len;
        if body.left == 0 {
            // An empty body: the head goes alone.
            let held = std::mem::take(&mut c.hold_len);
            let hold = std::mem::take(&mut c.hold);
            let sent = queue_plaintext(c, &hold[..held]);
            c.hold = hold;
            if let Err(e) = sent {
                self.stats.error(&format!("send: {:?}", e.kind()));
                c.abort();
                return true;
            }
            self.body_done(idx);
            return true;
        }
        let Ok(offset) = i64::try_from(body.offset) else {
            self.stats.error("file offset out of range");
            c.abort();
            return true;
        };
        let fd = types::Fd(body.file.as_raw_fd());
        let ud = c.ud(Op::Read);
        // A pool buffer holds the head and the chunk after it, so that they
        // are sealed together from one slice (the head is copied, the chunk
        // is not).
        let pooled = match self.files.as_mut() {
            Some(pool) if self.read_op && head <= HEAD_ROOM => pool.take(ud),
            _ => None,
        };
        if let (Some(bid), Some(pool)) = (pooled, self.files.as_mut()) {
            let want = body.left.min(FILE_CHUNK as u64) as usize;
            let buf = pool.buf_mut(bid);
            buf[..head].copy_from_slice(&c.hold[..head]);
            c.hold_len = 0;
            let ptr = buf[head..].as_mut_ptr();
            c.body_op = BodyOp::Read(FileRead {
                buf: ReadBuf::Fixed(bid),
                head,
                want,
            });
            self.stats.file_reads_fixed += 1;
            let sqe = opcode::ReadFixed::new(fd, ptr, want as u32, bid)
                .offset(offset as u64)
                .build();
            self.push(sqe.user_data(ud));
            return true;
        }
        let want = body.left.min(FILE_CHUNK as u64) as usize;
        let mut chunk = std::mem::take(&mut c.hold);
        c.hold_len = 0;
        if chunk.len() < head + want {
            // Initialised once and kept between chunks (no memset per read).
            chunk.resize(head + want, 0);
        }
        if !self.read_op {
            self.stats.file_reads_sync += 1;
            let res = match read_at(&body.file, &mut chunk[head..head + want], body.offset) {
                Ok(n) => n.min(want) as i32,
                Err(e) => -e.raw_os_error().unwrap_or(libc::EIO),
            };
            let read = FileRead {
                buf: ReadBuf::Plain(chunk),
                head,
                want,
            };
            self.on_read(idx, res, read);
            return true;
        }
        // The read owns the chunk buffer until it completes; moving the Vec
        // does not move its heap memory.
        let ptr = chunk[head..].as_mut_ptr();
        c.body_op = BodyOp::Read(FileRead {
            buf: ReadBuf::Plain(chunk),
            head,
            want,
        });
        self.stats.file_reads_plain += 1;
        let sqe = opcode::Read::new(fd, ptr, want as u32)
            .offset(offset as u64)
            .build();
        self.push(sqe.user_data(ud));
        true
    }

    /// Userspace send from the file's image in memory: the held response
    /// head with the first bytes after it (copied into the head's buffer,
    /// a record's worth at most, so they share a record), then up to
    /// [`IMAGE_TURN`] sealed straight from the image, the rest on later
    /// turns once the send queue has drained, as chunks read from the file.
    /// Returns true (it queued output or finished the body).
    fn seal_image(&mut self, idx: usize) -> bool {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return false;
        };
        let Some((image, start, n)) = c.body.as_ref().and_then(|b| {
            let image = std::sync::Arc::clone(b.image.as_ref()?);
            let start = usize::try_from(b.offset).ok()?;
            let n = usize::try_from(b.left.min(IMAGE_TURN as u64)).ok()?;
            Some((image, start, n))
        }) else {
            return false;
        };
        // In bounds: send_file_image kept the image only if offset + len fit.
        let Some(chunk) = image.get(start..start + n) else {
            self.stats.error("file image shorter than the body");
            c.abort();
            return true;
        };
        let head = std::mem::take(&mut c.hold_len);
        let sealed = match c.tls.session_mut() {
            Ok(s) if head > 0 => {
                let first = n.min(MAX_RECORD.saturating_sub(head));
                let mut hold = std::mem::take(&mut c.hold);
                hold.truncate(head);
                hold.extend_from_slice(&chunk[..first]);
                let r = s.seal_all(&hold).and_then(|()| s.seal_all(&chunk[first..]));
                c.hold = hold;
                r
            }
            Ok(s) => s.seal_all(chunk),
            Err(e) => Err(e),
        };
        // One take for both, so the records move to `wnext` without a copy.
        take_pending(c);
        if let Err(e) = sealed {
            self.stats.error(&format!("send: {:?}", e.kind()));
            c.abort();
            return true;
        }
        self.stats.file_bytes_from_image += n as u64;
        let done = match c.body.as_mut() {
            Some(body) => {
                body.offset += n as u64;
                body.left -= (n as u64).min(body.left);
                body.left == 0
            }
            None => true,
        };
        if done {
            self.body_done(idx);
        }
        true
    }

    /// A file chunk read completed: the head and the bytes read are sealed
    /// and queued, the buffer goes back (to the pool, or to `hold`), and the
    /// next chunk is read once the send queue has drained (`advance`). A short
    /// read goes on from where it stopped; 0 bytes means the file shrank.
    pub(super) fn on_read(&mut self, idx: usize, res: i32, read: FileRead) {
        let FileRead { buf, head, want } = read;
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            if let (ReadBuf::Fixed(bid), Some(pool)) = (buf, self.files.as_mut()) {
                pool.give(bid);
            }
            return;
        };
        let n = if res > 0 { (res as usize).min(want) } else { 0 };
        let failed = c.aborting() || res <= 0 || c.body.is_none();
        if failed {
            if !c.aborting() {
                match -res {
                    // Read again (the head is put back in front).
                    libc::EINTR | libc::EAGAIN => {}
                    0 => {
                        self.stats.error("file shorter than announced");
                        c.abort();
                    }
                    libc::ECANCELED => c.abort(),
                    e => {
                        self.stats.error(&format!(
                            "reading a file: {}",
                            io::Error::from_raw_os_error(e)
                        ));
                        c.abort();
                    }
                }
            }
        } else if let Some(body) = c.body.as_mut() {
            body.offset += n as u64;
            body.left -= (n as u64).min(body.left);
            self.stats.file_bytes_sealed += n as u64;
        }
        let sealed = match &buf {
            ReadBuf::Fixed(bid) => {
                let Some(pool) = self.files.as_mut() else {
                    return;
                };
                let r = if failed {
                    unseal_head(c, &pool.buf_mut(*bid)[..head]);
                    Ok(())
                } else {
                    queue_plaintext(c, &pool.buf_mut(*bid)[..head + n])
                };
                // Its read has completed: the buffer is free again.
                pool.give(*bid);
                r
            }
            ReadBuf::Plain(chunk) => {
                if failed {
                    unseal_head(c, &chunk[..head]);
                    Ok(())
                } else {
                    queue_plaintext(c, &chunk[..head + n])
                }
            }
        };
        if let ReadBuf::Plain(chunk) = buf {
            // The chunk's buffer serves the next chunk (unless a head was
            // held meanwhile: then that buffer stays).
            if c.hold_len == 0 {
                c.hold = chunk;
            }
        }
        if let Err(e) = sealed {
            self.stats.error(&format!("send: {:?}", e.kind()));
            c.abort();
            return;
        }
        if !failed && c.body.as_ref().is_some_and(|b| b.left == 0) {
            self.body_done(idx);
        }
    }

    /// The body is out (or handed to the send queue): the handler goes on.
    pub(super) fn body_done(&mut self, idx: usize) {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return;
        };
        c.body = None;
        let Some(h) = c.handler.as_mut() else {
            return;
        };
        let mut out = Output::default();
        let flow = h.on_drained(&mut out);
        self.queue_output(idx, out, flow);
    }

    /// The next step of a file body through kernel TLS by io_uring SPLICE: an
    /// empty pipe is filled from the file (as much as the key's usage limit
    /// and record sizing allow), a full one is spliced to the socket
    /// (`SPLICE_F_MORE` except on the body's last piece and on small records,
    /// so the kernel fills whole records), a short splice goes again with the
    /// rest. Returns true if it queued something or finished the body.
    pub(super) fn splice_body(&mut self, idx: usize) -> bool {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return false;
        };
        let (Some(body), Some((pipe_r, pipe_w, pipe_size))) = (c.body.as_ref(), c.pipe.as_ref())
        else {
            return false;
        };
        let ud = c.ud(Op::Splice);
        if c.pipe_fill > 0 {
            let last = body.left == 0;
            let flags = if last || c.piece_small {
                0
            } else {
                libc::SPLICE_F_MORE
            };
            let sqe = opcode::Splice::new(
                types::Fd(pipe_r.as_raw_fd()),
                -1,
                types::Fd(c.fd.as_raw_fd()),
                -1,
                c.pipe_fill.min(u32::MAX as usize) as u32,
            )
            .flags(flags)
            .build();
            c.body_op = BodyOp::Splice;
            self.push(sqe.user_data(ud));
            return true;
        }
        if body.left == 0 {
            self.body_done(idx);
            return true;
        }
        // The same checks KernelSession::send makes before each write.
        let budget = match c.tls.kernel().and_then(|k| k.kernel_write_budget()) {
            Ok(b) => b,
            Err(e) if e.is_blocked() => {
                // A KeyUpdate record could not go out yet: wait for room.
                let sqe = poll_writable(c);
                self.push(sqe);
                return true;
            }
            Err(e) => {
                // At the key's usage limit without rekey the connection closed
                // cleanly (close_notify is out): the response can't be completed.
                self.stats.error(&format!("splice: {:?}", e.kind()));
                c.abort();
                return true;
            }
        };
        let mut want = budget.max;
        if budget.small {
            // The head sent with MSG_MORE shares the record: keep it small.
            want = want.saturating_sub(c.open_record).max(1);
        }
        let want = (body.left.min(want as u64) as usize).min(*pipe_size);
        c.piece_small = budget.small;
        let Ok(off) = i64::try_from(body.offset) else {
            self.stats.error("file offset out of range");
            c.abort();
            return true;
        };
        let sqe = opcode::Splice::new(
            types::Fd(body.file.as_raw_fd()),
            off,
            types::Fd(pipe_w.as_raw_fd()),
            -1,
            want as u32,
        )
        .build();
        c.body_op = BodyOp::Splice;
        self.push(sqe.user_data(ud));
        true
    }

    pub(super) fn on_splice(&mut self, idx: usize, res: i32) {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return;
        };
        if c.aborting() {
            return;
        }
        let into_pipe = c.pipe_fill == 0;
        if res < 0 {
            match -res {
                libc::EINTR | libc::ECANCELED => {}
                libc::EAGAIN if !into_pipe => {
                    // The socket is full: go on when it has room.
                    let sqe = poll_writable(c);
                    self.push(sqe);
                }
                libc::EAGAIN => {}
                libc::EPIPE | libc::ECONNRESET => c.abort(),
                e => {
                    self.stats
                        .error(&format!("splice: {}", io::Error::from_raw_os_error(e)));
                    c.abort();
                }
            }
            return;
        }
        let n = res as usize;
        if n == 0 {
            // File -> pipe: the file shrank under us; pipe -> socket: the peer is gone.
            if into_pipe {
                self.stats.error("file shorter than announced");
            }
            c.abort();
            return;
        }
        if into_pipe {
            if let Some(body) = c.body.as_mut() {
                body.offset += n as u64;
                body.left -= (n as u64).min(body.left);
            }
            c.pipe_fill = n;
            return;
        }
        c.pipe_fill -= n.min(c.pipe_fill);
        if let Ok(k) = c.tls.kernel() {
            k.kernel_wrote(n);
        }
        self.stats.file_bytes_spliced += n as u64;
        let last = c.body.as_ref().is_none_or(|b| b.left == 0) && c.pipe_fill == 0;
        c.open_record = if c.piece_small || last {
            0
        } else {
            (c.open_record + n) % MAX_RECORD
        };
    }
}
