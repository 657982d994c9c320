//! Who protects each direction's records, as one state per direction, so that
//! impossible combinations (a kernel direction that also holds a userspace
//! key, application keys without a key, ...) cannot be written down.

use crate::error::{Error, Result};
use crate::record::protect::{Encrypter, TrafficKeys};
use std::collections::VecDeque;

/// Which secrets a userspace key was derived from. Application data is legal
/// only under application keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyPhase {
    /// Handshake traffic keys (TLS 1.3), or a TLS 1.2 read key whose
    /// Finished was not verified yet.
    Handshake,
    /// Application traffic keys.
    Application,
}

/// Output for a direction that the kernel protects: records go out as plaintext
/// with their content type, in order with the key changes between them.
pub(crate) enum KernelOp {
    /// A record of `typ` (alert or handshake); `sent` bytes already written.
    Record { typ: u8, data: Vec<u8>, sent: usize },
    /// Install the next write key (after the KeyUpdate record before it is out).
    RekeySend(TrafficKeys),
}

/// Who seals the records we send.
///
/// Transitions: `Plaintext` → `Userspace(Handshake)` → `Userspace(Application)`
/// (TLS 1.2 goes straight to `Userspace(Application)` at its ChangeCipherSpec),
/// with each KeyUpdate replacing the userspace key in place; then, only from
/// `Userspace(Application)`, → `Kernel` (a committed offload grant) or
/// → `Abandoned` (a grant dropped after its keys went out). `Kernel` and
/// `Abandoned` are final.
pub(crate) enum SendState {
    /// No key yet: records go out in clear (ClientHello, ServerHello, alerts).
    Plaintext,
    /// Baton seals records with `enc`.
    Userspace {
        enc: Encrypter,
        keys: KeyPhase,
        /// Our last KeyUpdate (queued or sent) carried no application data
        /// yet: a peer's `update_requested` is already answered (RFC 8446
        /// §4.6.3 lets one update answer every request received while silent).
        key_update_unused: bool,
    },
    /// The kernel seals records; control records and key changes queue in
    /// `ops` for the connection to hand to the kernel back end.
    Kernel { ops: VecDeque<KernelOp> },
    /// The keys left for a kernel back end that never took the direction:
    /// nothing of this direction is written again (the connection failed).
    Abandoned,
}

impl SendState {
    /// The kernel seals this direction's records.
    pub(crate) fn is_kernel(&self) -> bool {
        matches!(self, SendState::Kernel { .. })
    }

    /// The direction left Baton's record layer (to the kernel, or abandoned).
    pub(crate) fn left_userspace(&self) -> bool {
        matches!(self, SendState::Kernel { .. } | SendState::Abandoned)
    }

    /// Application data may be written under the current key.
    pub(crate) fn app_keys(&self) -> bool {
        matches!(
            self,
            SendState::Userspace {
                keys: KeyPhase::Application,
                ..
            } | SendState::Kernel { .. }
        )
    }

    /// The userspace key, if Baton seals this direction.
    pub(crate) fn encrypter(&self) -> Option<&Encrypter> {
        match self {
            SendState::Userspace { enc, .. } => Some(enc),
            _ => None,
        }
    }

    #[cfg(test)]
    pub(crate) fn encrypter_mut(&mut self) -> Option<&mut Encrypter> {
        match self {
            SendState::Userspace { enc, .. } => Some(enc),
            _ => None,
        }
    }

    /// Records and key changes waiting for the kernel back end.
    pub(crate) fn kernel_ops(&self) -> Option<&VecDeque<KernelOp>> {
        match self {
            SendState::Kernel { ops } => Some(ops),
            _ => None,
        }
    }

    pub(crate) fn kernel_ops_mut(&mut self) -> Option<&mut VecDeque<KernelOp>> {
        match self {
            SendState::Kernel { ops } => Some(ops),
            _ => None,
        }
    }

    /// Installs a userspace key (a new one after a KeyUpdate keeps `keys`
    /// at least at `Application`). Refused once the direction left userspace.
    pub(crate) fn install(&mut self, enc: Encrypter, keys: KeyPhase) -> Result<()> {
        if self.left_userspace() {
            return Err(Error::internal(
                "a userspace send key for a direction that left userspace",
            ));
        }
        *self = SendState::Userspace {
            enc,
            keys,
            key_update_unused: false,
        };
        Ok(())
    }

    /// Hands the direction to the kernel: allowed once, from application keys only.
    pub(crate) fn move_to_kernel(&mut self) -> Result<()> {
        match self {
            SendState::Userspace {
                keys: KeyPhase::Application,
                ..
            } => {
                *self = SendState::Kernel {
                    ops: VecDeque::new(),
                };
                Ok(())
            }
            SendState::Kernel { .. } => {
                Err(Error::usage("the send direction is already in the kernel"))
            }
            _ => Err(Error::usage(
                "the send direction has no application key to hand to the kernel",
            )),
        }
    }

    /// The keys went to a back end that never committed: the direction is
    /// nobody's. Refused for a direction the kernel already owns.
    pub(crate) fn abandon(&mut self) -> Result<()> {
        if self.is_kernel() {
            return Err(Error::usage("the send direction is already in the kernel"));
        }
        *self = SendState::Abandoned;
        Ok(())
    }
}

/// Our half of the connection: who seals, and whether close_notify went out.
/// The two are independent: a fatal alert can still follow close_notify
/// under the same key, in userspace or in the kernel.
pub(crate) struct SendDirection {
    pub(crate) state: SendState,
    /// close_notify was queued: no more application data.
    pub(crate) close_notify_sent: bool,
}

impl SendDirection {
    pub(crate) fn new() -> Self {
        Self {
            state: SendState::Plaintext,
            close_notify_sent: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::aead::AeadAlg;
    use crate::secrets::Secret;

    fn enc() -> Encrypter {
        Encrypter::new_tls13(AeadAlg::Aes128Gcm, &Secret::new(&[7; 16]), &[9; 12]).unwrap()
    }

    fn app_send() -> SendState {
        let mut s = SendState::Plaintext;
        s.install(enc(), KeyPhase::Handshake).unwrap();
        assert!(!s.app_keys());
        s.install(enc(), KeyPhase::Application).unwrap();
        assert!(s.app_keys());
        s
    }

    #[test]
    fn send_moves_to_the_kernel_once_and_only_from_application_keys() {
        let mut s = SendState::Plaintext;
        assert!(s.move_to_kernel().is_err());
        s.install(enc(), KeyPhase::Handshake).unwrap();
        assert!(
            s.move_to_kernel().is_err(),
            "handshake keys stay in userspace"
        );
        assert!(s.encrypter().is_some(), "a refused move touches nothing");
        let mut s = app_send();
        s.move_to_kernel().unwrap();
        assert!(s.is_kernel() && s.app_keys() && s.encrypter().is_none());
        assert!(s.move_to_kernel().is_err(), "twice");
        assert!(s.abandon().is_err(), "the kernel owns it");
        assert!(s.is_kernel());
    }

    #[test]
    fn a_send_direction_out_of_userspace_takes_no_userspace_key() {
        let mut s = app_send();
        s.move_to_kernel().unwrap();
        assert!(s.install(enc(), KeyPhase::Application).is_err());
        assert!(s.is_kernel());
        let mut s = app_send();
        s.abandon().unwrap();
        assert!(s.left_userspace() && !s.is_kernel() && !s.app_keys());
        assert!(s.install(enc(), KeyPhase::Application).is_err());
        assert!(s.move_to_kernel().is_err());
        assert!(s.encrypter().is_none() && s.kernel_ops().is_none());
    }
}
