//! Who protects each direction's records, as one state per direction, so that
//! impossible combinations (a kernel direction that also holds a userspace
//! key, application keys without a key, ...) cannot be written down.

use crate::error::{AlertDescription, Error, Result};
use crate::record::protect::{Decrypter, Encrypter, TrafficKeys};
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
    /// TLS 1.3: the client's 0-RTT key (client_early_traffic_secret), until
    /// its EndOfEarlyData (a server reading, a client writing). Never
    /// application keys: only the early-data calls use it, and it never
    /// goes to the kernel.
    EarlyData,
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

    /// Client: drops the 0-RTT key after a HelloRetryRequest, whose answer
    /// (the second ClientHello) goes out in clear (RFC 8446 §4.1.2).
    /// Touches no other key.
    pub(crate) fn drop_early_key(&mut self) {
        if matches!(
            self,
            SendState::Userspace {
                keys: KeyPhase::EarlyData,
                ..
            }
        ) {
            *self = SendState::Plaintext;
        }
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

/// Who opens the records we receive.
///
/// Transitions: `Plaintext` → `Userspace(Handshake)` → `Userspace(Application)`,
/// with each KeyUpdate replacing the userspace key in place. TLS 1.2 first
/// parks the peer's next key in `Plaintext { next }`, installs it as
/// `Userspace(Handshake)` at the peer's ChangeCipherSpec and marks it
/// `Application` once the peer's Finished checked out. Then, only from
/// `Userspace(Application)`, → `Kernel` (a committed offload grant) or
/// → `Abandoned` (a grant dropped after its keys went out). `Kernel` and
/// `Abandoned` are final.
pub(crate) enum RecvState {
    /// No key yet: records arrive in clear.
    Plaintext {
        /// TLS 1.2: the peer's next key, switched to at its ChangeCipherSpec.
        next: Option<Decrypter>,
    },
    /// Baton opens records with `dec`.
    Userspace { dec: Decrypter, keys: KeyPhase },
    /// The kernel opens records; a KeyUpdate's next key waits in
    /// `next_keys` for the connection to hand to the kernel back end.
    Kernel { next_keys: Option<TrafficKeys> },
    /// The keys left for a kernel back end that never took the direction:
    /// nothing of this direction is read again (the connection failed).
    Abandoned,
}

impl RecvState {
    /// The kernel opens this direction's records.
    pub(crate) fn is_kernel(&self) -> bool {
        matches!(self, RecvState::Kernel { .. })
    }

    /// The direction left Baton's record layer (to the kernel, or abandoned).
    pub(crate) fn left_userspace(&self) -> bool {
        matches!(self, RecvState::Kernel { .. } | RecvState::Abandoned)
    }

    /// Application data may arrive under the current key.
    pub(crate) fn app_keys(&self) -> bool {
        matches!(
            self,
            RecvState::Userspace {
                keys: KeyPhase::Application,
                ..
            } | RecvState::Kernel { .. }
        )
    }

    /// The userspace key, if Baton opens this direction's records.
    /// True while reading under the client's 0-RTT key.
    pub(crate) fn early_keys(&self) -> bool {
        matches!(
            self,
            RecvState::Userspace {
                keys: KeyPhase::EarlyData,
                ..
            }
        )
    }

    pub(crate) fn decrypter(&self) -> Option<&Decrypter> {
        match self {
            RecvState::Userspace { dec, .. } => Some(dec),
            _ => None,
        }
    }

    pub(crate) fn decrypter_mut(&mut self) -> Option<&mut Decrypter> {
        match self {
            RecvState::Userspace { dec, .. } => Some(dec),
            _ => None,
        }
    }

    /// Installs a userspace key, or on a kernel direction queues its keys
    /// for the kernel back end (`kernel_keys`, only asked for then).
    /// Refused for an abandoned direction.
    pub(crate) fn install(
        &mut self,
        keys: KeyPhase,
        dec: impl FnOnce() -> Result<Decrypter>,
        kernel_keys: impl FnOnce() -> TrafficKeys,
    ) -> Result<()> {
        match self {
            RecvState::Kernel { next_keys } => {
                *next_keys = Some(kernel_keys());
                Ok(())
            }
            RecvState::Abandoned => Err(Error::internal(
                "a receive key for a direction that was abandoned",
            )),
            _ => {
                *self = RecvState::Userspace { dec: dec()?, keys };
                Ok(())
            }
        }
    }

    /// TLS 1.2: parks the peer's next key until its ChangeCipherSpec.
    /// Only before the first key: TLS 1.2 never changes keys again.
    pub(crate) fn set_next(&mut self, dec: Decrypter) -> Result<()> {
        match self {
            RecvState::Plaintext { next: next @ None } => {
                *next = Some(dec);
                Ok(())
            }
            _ => Err(Error::internal(
                "a TLS 1.2 pending read key after the first one",
            )),
        }
    }

    /// TLS 1.2: the peer's ChangeCipherSpec arrived; its records are protected
    /// from now on. Without a parked key (a CCS before the key exchange, or a
    /// second one) it is `unexpected_message`.
    pub(crate) fn activate_next(&mut self) -> Result<()> {
        match self {
            RecvState::Plaintext { next } => match next.take() {
                Some(dec) => {
                    *self = RecvState::Userspace {
                        dec,
                        keys: KeyPhase::Handshake,
                    };
                    Ok(())
                }
                None => Err(ccs_before_key_exchange()),
            },
            _ => Err(ccs_before_key_exchange()),
        }
    }

    /// TLS 1.2: the peer's Finished checked out, so application data may
    /// follow under the key its ChangeCipherSpec switched to.
    pub(crate) fn confirm_application_keys(&mut self) -> Result<()> {
        match self {
            RecvState::Userspace { keys, .. } => {
                *keys = KeyPhase::Application;
                Ok(())
            }
            _ => Err(Error::internal("the peer's Finished without a read key")),
        }
    }

    /// The kernel back end's next receive key after a KeyUpdate, once.
    pub(crate) fn take_next_kernel_keys(&mut self) -> Option<TrafficKeys> {
        match self {
            RecvState::Kernel { next_keys } => next_keys.take(),
            _ => None,
        }
    }

    /// Hands the direction to the kernel: allowed once, from application keys only.
    pub(crate) fn move_to_kernel(&mut self) -> Result<()> {
        match self {
            RecvState::Userspace {
                keys: KeyPhase::Application,
                ..
            } => {
                *self = RecvState::Kernel { next_keys: None };
                Ok(())
            }
            RecvState::Kernel { .. } => {
                Err(Error::usage("the recv direction is already in the kernel"))
            }
            _ => Err(Error::usage(
                "the recv direction has no application key to hand to the kernel",
            )),
        }
    }

    /// The keys went to a back end that never committed: the direction is
    /// nobody's. Refused for a direction the kernel already owns.
    pub(crate) fn abandon(&mut self) -> Result<()> {
        if self.is_kernel() {
            return Err(Error::usage("the recv direction is already in the kernel"));
        }
        *self = RecvState::Abandoned;
        Ok(())
    }
}

fn ccs_before_key_exchange() -> Error {
    Error::protocol(
        AlertDescription::UNEXPECTED_MESSAGE,
        "ChangeCipherSpec before the key exchange",
    )
}

/// The peer's half of the connection: who opens, and whether its
/// close_notify arrived (after which nothing more is read, RFC 8446 §6.1).
pub(crate) struct RecvDirection {
    pub(crate) state: RecvState,
    pub(crate) close_notify_received: bool,
}

impl RecvDirection {
    pub(crate) fn new() -> Self {
        Self {
            state: RecvState::Plaintext { next: None },
            close_notify_received: false,
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

    fn dec() -> Result<Decrypter> {
        Decrypter::new_tls13(AeadAlg::Aes128Gcm, &Secret::new(&[7; 16]), &[9; 12])
    }

    fn kernel_keys() -> TrafficKeys {
        dec().unwrap().traffic_keys()
    }

    fn app_recv() -> RecvState {
        let mut r = RecvState::Plaintext { next: None };
        r.install(KeyPhase::Handshake, dec, kernel_keys).unwrap();
        assert!(!r.app_keys());
        r.install(KeyPhase::Application, dec, kernel_keys).unwrap();
        assert!(r.app_keys());
        r
    }

    #[test]
    fn recv_moves_to_the_kernel_once_and_only_from_application_keys() {
        let mut r = RecvState::Plaintext { next: None };
        assert!(r.move_to_kernel().is_err());
        r.install(KeyPhase::Handshake, dec, kernel_keys).unwrap();
        assert!(
            r.move_to_kernel().is_err(),
            "handshake keys stay in userspace"
        );
        assert!(r.decrypter().is_some(), "a refused move touches nothing");
        let mut r = app_recv();
        r.move_to_kernel().unwrap();
        assert!(r.is_kernel() && r.app_keys() && r.decrypter().is_none());
        assert!(r.move_to_kernel().is_err(), "twice");
        assert!(r.abandon().is_err(), "the kernel owns it");
    }

    #[test]
    fn a_kernel_recv_direction_queues_keys_for_the_kernel_and_takes_no_tls12_key() {
        let mut r = app_recv();
        r.move_to_kernel().unwrap();
        assert!(r.take_next_kernel_keys().is_none());
        // A KeyUpdate's next key goes to the kernel, never into a Decrypter.
        r.install(
            KeyPhase::Application,
            || panic!("no userspace key"),
            kernel_keys,
        )
        .unwrap();
        assert!(r.decrypter().is_none());
        assert!(r.take_next_kernel_keys().is_some());
        assert!(r.take_next_kernel_keys().is_none(), "handed out once");
        assert!(r.set_next(dec().unwrap()).is_err());
        assert!(r.activate_next().is_err());
        assert!(r.confirm_application_keys().is_err());
        assert!(r.is_kernel());
        // An abandoned direction takes no key of any kind.
        let mut r = app_recv();
        r.abandon().unwrap();
        assert!(r.left_userspace() && !r.is_kernel() && !r.app_keys());
        assert!(r.install(KeyPhase::Application, dec, kernel_keys).is_err());
        assert!(r.move_to_kernel().is_err());
    }

    #[test]
    fn tls12_next_read_key_is_parked_once_and_activated_once() {
        let mut r = RecvState::Plaintext { next: None };
        let e = r.activate_next().unwrap_err();
        assert_eq!(e.sent_alert(), Some(AlertDescription::UNEXPECTED_MESSAGE));
        r.set_next(dec().unwrap()).unwrap();
        assert!(r.set_next(dec().unwrap()).is_err(), "one pending key");
        assert!(!r.app_keys() && r.decrypter().is_none());
        r.activate_next().unwrap();
        assert!(r.decrypter().is_some() && !r.app_keys());
        let e = r.activate_next().unwrap_err();
        assert_eq!(e.sent_alert(), Some(AlertDescription::UNEXPECTED_MESSAGE));
        assert!(r.set_next(dec().unwrap()).is_err(), "not beside a key");
        r.confirm_application_keys().unwrap();
        assert!(r.app_keys());
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
