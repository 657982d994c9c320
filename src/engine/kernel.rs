//! The engine's side of kernel TLS: records the kernel opened, and the
//! hand-off of a direction's keys (see `crate::offload` for the grant that
//! drives it).

use super::direction::SendState;
use super::{Engine, KernelOp};
use crate::error::{AlertDescription, Error, Result};
use crate::msgs::enums::ContentType;
use crate::offload::Direction;
use crate::record::protect::TrafficKeys;

impl Engine {
    /// A record the kernel decrypted (kTLS receive): `typ` and its plaintext.
    /// Application data is queued for `read_app` like userspace-opened data.
    pub(crate) fn process_kernel_record(&mut self, typ: u8, data: &[u8]) -> Result<()> {
        self.check_failed()?;
        let r = self.kernel_record(ContentType(typ), data);
        r.map_err(|e| self.fail(e))
    }

    /// The kernel receive path: the kernel opened the record, so only its
    /// pieces are joined here before [`dispatch`](Self::dispatch).
    fn kernel_record(&mut self, typ: ContentType, data: &[u8]) -> Result<()> {
        if self.c.recv.close_notify_received {
            return Ok(());
        }
        // The kernel may hand back a control record in pieces when the read
        // buffer was small: alerts are joined here, handshake bytes by the joiner.
        if typ == ContentType::ALERT && !data.is_empty() {
            if !self.joiner.is_empty() {
                // Checked before joining too, so a piece of such an alert is not kept.
                return Err(Error::protocol(
                    AlertDescription::UNEXPECTED_MESSAGE,
                    "alert inside a handshake message",
                ));
            }
            self.alert_partial.extend_from_slice(data);
            if self.alert_partial.len() < 2 {
                return Ok(());
            }
            let alert = std::mem::take(&mut self.alert_partial);
            return self.dispatch(typ, &alert, &mut [], &mut 0);
        }
        self.dispatch(typ, data, &mut [], &mut 0)
    }

    /// Whether `dir` can move to the kernel now: the handshake is done, nothing
    /// failed, and no bytes of that direction sit in Baton's buffers (the kernel
    /// must start exactly at a record boundary). Returns that direction's keys.
    pub(crate) fn offload_keys(&self, dir: Direction) -> Result<TrafficKeys> {
        self.check_failed()?;
        if !self.phase.is_handshake_complete() {
            return Err(Error::usage(
                "kernel TLS can be enabled only after the handshake completed",
            ));
        }
        match dir {
            Direction::Send => {
                if self.c.send.state.is_kernel() {
                    return Err(Error::usage("the send direction is already in the kernel"));
                }
                if self.c.send.close_notify_sent {
                    return Err(Error::usage("close_notify already sent"));
                }
                if !self.c.pending_output().is_empty() {
                    return Err(Error::usage(
                        "records are still queued for sending: flush before enabling kernel TLS send",
                    ));
                }
                let enc = self
                    .c
                    .send
                    .state
                    .encrypter()
                    .ok_or_else(|| Error::internal("handshake complete without a write key"))?;
                Ok(enc.traffic_keys())
            }
            Direction::Recv => {
                if self.c.recv.state.is_kernel() {
                    return Err(Error::usage("the recv direction is already in the kernel"));
                }
                if self.c.recv.close_notify_received {
                    return Err(Error::usage("the peer already sent close_notify"));
                }
                if self.deframer.buffered() > 0 || !self.joiner.is_empty() {
                    return Err(Error::usage(
                        "bytes past the last record boundary were already read: use \
                         Connection::set_exact_record_reads(true) before the handshake",
                    ));
                }
                let dec = self
                    .c
                    .recv
                    .state
                    .decrypter()
                    .ok_or_else(|| Error::internal("handshake complete without a read key"))?;
                Ok(dec.traffic_keys())
            }
        }
    }

    /// The kernel accepted `dir`'s key: from now on that direction's records
    /// never pass through Baton's record layer. Refused (touching nothing) for
    /// a direction already in the kernel or without application keys.
    pub(crate) fn move_to_kernel(&mut self, dir: Direction) -> Result<()> {
        match dir {
            Direction::Send => self.c.send.state.move_to_kernel(),
            Direction::Recv => self.c.recv.state.move_to_kernel(),
        }
    }

    /// `dir`'s keys went to a kernel back end that never committed: the keys
    /// may sit in a kernel nobody drives. The direction leaves Baton's record
    /// layer and the connection fails with `why`, so nothing of that direction
    /// moves again, in clear or under a key the kernel may also use.
    pub(crate) fn abandon(&mut self, dir: Direction, why: &'static str) {
        let r = match dir {
            Direction::Send => self.c.send.state.abandon(),
            Direction::Recv => self.c.recv.state.abandon(),
        };
        let e = match r {
            Ok(()) => Error::internal(why),
            Err(e) => e,
        };
        self.fail(e);
    }

    /// The kernel seals `dir`'s records.
    pub(crate) fn is_kernel(&self, dir: Direction) -> bool {
        match dir {
            Direction::Send => self.c.send.state.is_kernel(),
            Direction::Recv => self.c.recv.state.is_kernel(),
        }
    }

    /// `dir` left Baton's record layer: in the kernel, or abandoned mid-hand-off.
    pub(crate) fn left_userspace(&self, dir: Direction) -> bool {
        match dir {
            Direction::Send => self.c.send.state.left_userspace(),
            Direction::Recv => self.c.recv.state.left_userspace(),
        }
    }

    /// The send direction was abandoned mid-hand-off (the connection failed).
    pub(crate) fn send_abandoned(&self) -> bool {
        matches!(self.c.send.state, SendState::Abandoned)
    }

    /// Baton seals our records in userspace under some key (handshake or
    /// application), so a close_notify can go out protected.
    pub(crate) fn seals_in_userspace(&self) -> bool {
        self.c.send.state.encrypter().is_some()
    }

    /// Per-record overhead of the userspace send key (0 in clear or in the kernel).
    pub(crate) fn send_overhead(&self) -> usize {
        self.c.send.state.encrypter().map_or(0, |e| e.overhead())
    }

    /// The userspace send key's next sequence number, its rekey point and its
    /// per-record overhead; `None` when Baton does not seal this direction.
    pub(crate) fn send_key_usage(&self) -> Option<(u64, u64, usize)> {
        self.c
            .send
            .state
            .encrypter()
            .map(|e| (e.seq(), e.rekey_at(), e.overhead()))
    }

    /// The oldest record or key change waiting for the kernel back end.
    pub(crate) fn next_kernel_op(&mut self) -> Option<&mut KernelOp> {
        self.c.send.state.kernel_ops_mut()?.front_mut()
    }

    /// The oldest kernel op went to the kernel back end.
    pub(crate) fn kernel_op_done(&mut self) {
        if let Some(ops) = self.c.send.state.kernel_ops_mut() {
            ops.pop_front();
        }
    }

    /// The kernel back end failed: what is queued for it can never go out.
    pub(crate) fn drop_kernel_ops(&mut self) {
        if let Some(ops) = self.c.send.state.kernel_ops_mut() {
            ops.clear();
        }
    }

    /// Application data that the kernel opened went straight to the caller
    /// (never through [`process_kernel_record`](Self::process_kernel_record)):
    /// it counts as progress all the same.
    pub(crate) fn kernel_app_data_received(&mut self) {
        self.limits.application_data();
    }

    /// The kernel back end's next receive key, after the peer's KeyUpdate.
    pub(crate) fn take_next_kernel_recv_keys(&mut self) -> Option<TrafficKeys> {
        self.c.recv.state.take_next_kernel_keys()
    }
}
