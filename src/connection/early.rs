//! Reading TLS 1.3 early data (0-RTT) on a server.
//!
//! Early data can be replayed by an attacker (RFC 8446 §8, E.5): the
//! anti-replay store keeps one ClientHello or ticket from carrying it twice,
//! but an application must still treat it as "may have been sent before"
//! (a GET, not a payment). It is read through its own call so that the
//! application always knows which bytes were early.

use super::{Connection, Session};
use crate::early::EarlyDataStatus;
use crate::error::{Error, Result};

impl Session {
    /// Server: copies accepted 0-RTT data received so far into `out`;
    /// returns how many bytes (0 when none is buffered). Early data is never
    /// returned by the normal receive calls.
    pub fn recv_early_data(&mut self, out: &mut [u8]) -> usize {
        self.engine.early_in_mut().read(out)
    }

    /// What 0-RTT came to on this connection.
    pub fn early_data_status(&self) -> EarlyDataStatus {
        self.engine.info().early_data
    }

    /// Server: true while more 0-RTT data may still arrive (before the
    /// ClientHello, while its 0-RTT decision waits, and until the client's
    /// EndOfEarlyData after an acceptance).
    pub fn early_data_pending(&self) -> bool {
        self.engine.early_data_pending()
    }
}

impl Connection {
    /// Server: reads 0-RTT data, driving the handshake as far as it needs:
    /// returns the bytes copied into `out`, or `Ok(0)` once no more early
    /// data can come (none was offered, it was refused, or the client's
    /// EndOfEarlyData arrived and everything was read). Call it before
    /// [`negotiate`](Self::negotiate) until it returns 0, then negotiate as
    /// usual. A `Blocked` error in non-blocking mode means: call again.
    pub fn recv_early_data(&mut self, out: &mut [u8]) -> Result<usize> {
        if out.is_empty() {
            return Err(Error::usage("recv_early_data into an empty buffer"));
        }
        if let Err(e) = self.session.engine.start() {
            return Err(self.fail_flush(e));
        }
        loop {
            if let Some(e) = self.session.engine.error() {
                let e = e.clone();
                let _ = self.flush();
                return Err(e);
            }
            self.flush()?;
            let n = self.session.recv_early_data(out);
            if n > 0 || !self.session.engine.early_data_pending() {
                return Ok(n);
            }
            if self.session.engine.awaits_application() {
                match self.session.engine.process() {
                    Err(e) if e.is_blocked() => return Err(e),
                    Err(e) => return Err(self.fail_flush(e)),
                    Ok(()) => continue,
                }
            }
            if !self.read_and_process()? {
                return Err(Error::closed(
                    "peer closed the connection during the handshake",
                ));
            }
        }
    }
}
