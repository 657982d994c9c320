//! "0.5-RTT" answers to early data. A handshake that accepted the client's
//! 0-RTT has its own Finished out a round trip before the client's arrives;
//! the handler gets the early data then, and its answer is sealed at once
//! under the application key (RFC 8446 §4.4.4), so a returning client gets
//! its first response one round trip sooner than without 0-RTT.
//!
//! Kernel TLS takes the connection only after the client's Finished, so
//! these answers are sealed here: a file body up to [`HALF_RTT_FILE_MAX`] is
//! read into the record (the handler then hears `on_drained` and may answer
//! pipelined requests); a larger one, and whatever follows it, waits for the
//! hand-off and goes through the kernel as usual.

use super::*;

/// Largest file body read into a 0.5-RTT answer.
const HALF_RTT_FILE_MAX: u64 = 64 * 1024;
/// Most answers (early requests) sealed before the hand-off.
const HALF_RTT_ROUNDS: usize = 16;

impl<S: Service> Worker<S> {
    /// After a handshake step: answers the early data received so far, if
    /// the session may send before the client's Finished.
    pub(super) fn early_response(&mut self, idx: usize) {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return;
        };
        let Conn {
            tls,
            handler,
            wnext,
            deferred,
            peer,
            ..
        } = &mut **c;
        let Tls::Handshake(s) = tls else {
            return;
        };
        if deferred.is_some() || !s.may_send_early_response() {
            // Something waits for the kernel already: later answers go
            // after it, in order.
            return;
        }
        let mut early = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = s.recv_early_data(&mut buf);
            if n == 0 {
                break;
            }
            early.extend_from_slice(&buf[..n]);
        }
        if early.is_empty() {
            return;
        }
        self.stats.bytes_in += early.len() as u64;
        let h = handler.get_or_insert_with(|| self.service.connect(*peer, s));
        let mut out = Output::default();
        let mut flow = h.on_early_data(&early, &mut out);
        let mut rounds = 0;
        let mut sealed = 0u64;
        let result = loop {
            let small = out
                .file
                .as_ref()
                .is_some_and(|b| b.left <= HALF_RTT_FILE_MAX && rounds < HALF_RTT_ROUNDS);
            if small {
                if let Some(body) = out.file.take() {
                    if let Err(e) = read_body(&body, &mut out.bytes) {
                        break Err(format!("early answer: reading the file: {e}"));
                    }
                }
            }
            if let Err(e) = seal_all(s, &out.bytes, wnext) {
                break Err(format!("early answer: {:?}", e.kind()));
            }
            sealed += out.bytes.len() as u64;
            out.bytes.clear();
            if !small || flow == Flow::Close {
                break Ok(());
            }
            // The body is out: pipelined early requests go on.
            rounds += 1;
            flow = h.on_drained(&mut out);
        };
        self.stats.bytes_out += sealed;
        self.stats.half_rtt_answers += 1;
        match result {
            Ok(()) => {
                if out.file.is_some() || flow == Flow::Close {
                    // A large body, or the close, after the hand-off.
                    *deferred = Some((out, flow));
                }
            }
            Err(e) => {
                self.stats.error(&e);
                c.abort();
            }
        }
    }
}

/// Appends `body`'s bytes (`left` from `offset`) to `out`: from its image
/// when it has one, else read from the file.
fn read_body(body: &FileBody, out: &mut Vec<u8>) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    let start = out.len();
    let len = usize::try_from(body.left).map_err(|_| io::Error::other("body too large"))?;
    let from = usize::try_from(body.offset).map_err(|_| io::Error::other("offset too large"))?;
    // send_file_image kept the image only if offset + len fit in it.
    if let Some(part) = body.image.as_ref().and_then(|i| i.get(from..from + len)) {
        out.extend_from_slice(part);
        return Ok(());
    }
    out.resize(start + len, 0);
    body.file.read_exact_at(&mut out[start..], body.offset)
}

/// Seals all of `data` into records appended to `wnext`.
fn seal_all(s: &mut Session, data: &[u8], wnext: &mut Vec<u8>) -> Result<(), Error> {
    let sealed = s.seal_all(data);
    s.take_pending_tls(wnext);
    sealed
}
