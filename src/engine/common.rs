//! State shared by both handshake sides: record output, keys, negotiated info.

use super::direction::{KernelOp, KeyPhase, RecvDirection, SendDirection, SendState};
use super::Mode;
use crate::cert::CertChainAndKey;
use crate::config::Config;
use crate::crypto::hash::HashAlg;
use crate::error::{AlertDescription, Error, Result};
use crate::msgs::enums::{CipherSuite, ContentType, NamedGroup, ProtocolVersion, SignatureScheme};
use crate::msgs::handshake::{HandshakeMessage, HandshakePayload};
use crate::record::outbuf::OutBuf;
use crate::record::protect::{Decrypter, Encrypter, TrafficKeys};
use crate::record::MAX_PLAINTEXT;
use crate::secrets::Secret;
use crate::suites::Tls13Suite;
use crate::tls13::key_schedule::{next_traffic_secret, traffic_key_iv};
use std::sync::Arc;

/// What was negotiated; read through `Connection`'s getters.
#[derive(Debug, Default)]
pub(crate) struct Info {
    pub version: Option<ProtocolVersion>,
    pub client_version: Option<ProtocolVersion>,
    pub server_version: Option<ProtocolVersion>,
    pub suite: Option<CipherSuite>,
    pub group: Option<NamedGroup>,
    pub alpn: Option<Vec<u8>>,
    pub server_name: Option<String>,
    pub peer_chain: Vec<Vec<u8>>,
    pub selected_cert: Option<Arc<CertChainAndKey>>,
    pub signature_scheme: Option<SignatureScheme>,
    pub peer_signature_scheme: Option<SignatureScheme>,
    pub hello_retry: bool,
    /// TLS 1.2: whether the extended master secret (RFC 7627) was negotiated.
    pub ems: Option<bool>,
    /// The handshake resumed a session (no certificate was exchanged).
    pub resumed: bool,
    /// Server: why the session the client offered was not resumed.
    pub refusal: Option<crate::resumption::ResumptionRefusal>,
    /// Seconds since the resumed session's ticket or entry was issued.
    pub resumed_age: Option<u64>,
    /// TLS 1.2: the session's id where a session cache can resume it by that
    /// id (the one the server assigned, or the one resumed).
    pub session_id: Option<Vec<u8>>,
    /// Server, TLS 1.3: the client's ticket age minus ours, in seconds, for
    /// the ticket accepted (BoringSSL's `SSL_get_ticket_age_skew`).
    pub ticket_age_skew: Option<i64>,
    /// TLS 1.3: the identity of the external PSK the handshake used.
    pub psk_identity: Option<Vec<u8>>,
    /// TLS 1.3: what 0-RTT came to.
    pub early_data: crate::early::EarlyDataStatus,
    /// Server: the client's chain (`peer_chain`) validated and its key
    /// signed, in this handshake or the one the resumed session comes from.
    pub client_cert_verified: bool,
    /// Client: the certificate sent in answer to a CertificateRequest.
    pub client_cert: Option<Arc<CertChainAndKey>>,
    /// Client: the OCSP response the server stapled (`engine::status`).
    pub ocsp_response: Option<Vec<u8>>,
    /// Client: the server's SignedCertificateTimestampList.
    pub sct_list: Option<Vec<u8>>,
}

/// A server's accepted early data: received, not yet read by the
/// application, and how much more the client may send.
#[derive(Debug, Default)]
pub(crate) struct EarlyIn {
    buf: Vec<u8>,
    pos: usize,
    /// Bytes the client may still send (RFC 8446 §4.2.10: more is
    /// `unexpected_message`).
    pub left: u32,
}

impl EarlyIn {
    /// Takes one early data record's plaintext.
    pub(crate) fn push(&mut self, data: &[u8]) -> crate::error::Result<()> {
        let n = u32::try_from(data.len()).unwrap_or(u32::MAX);
        self.left = self.left.checked_sub(n).ok_or_else(|| {
            crate::error::Error::protocol(
                AlertDescription::UNEXPECTED_MESSAGE,
                "more early data than max_early_data_size",
            )
        })?;
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        }
        self.buf.extend_from_slice(data);
        Ok(())
    }

    /// Copies out what fits in `out`; returns how many bytes.
    pub(crate) fn read(&mut self, out: &mut [u8]) -> usize {
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        if self.pos == self.buf.len() {
            self.buf = Vec::new();
            self.pos = 0;
        }
        n
    }
}

/// What the keying-material exporter derives from.
pub(crate) enum Exporter {
    /// exporter_master_secret (RFC 8446 §7.5).
    Tls13(HashAlg, Secret),
    /// The master secret and both randoms (RFC 5705).
    Tls12 {
        hash: HashAlg,
        master: Secret,
        client_random: [u8; 32],
        server_random: [u8; 32],
    },
}

/// Application traffic secrets, kept for KeyUpdate.
pub(crate) struct Traffic13 {
    pub suite: &'static Tls13Suite,
    pub ours: Secret,
    pub theirs: Secret,
}

pub(crate) struct Common {
    pub config: Config,
    pub mode: Mode,
    /// Who seals our records.
    pub send: SendDirection,
    /// Who opens the peer's records.
    pub recv: RecvDirection,
    pub info: Info,
    /// Connection-level ALPN override (None = use the config's).
    pub alpn_override: Option<Vec<Vec<u8>>>,
    pub traffic: Option<Traffic13>,
    /// Exporter input, once the handshake reached it.
    pub exporter: Option<Exporter>,
    /// Record version of plaintext records (0x0301 for the very first ClientHello).
    pub plaintext_version: ProtocolVersion,
    /// A TLS 1.3 server skipping the client's rejected 0-RTT.
    pub skip_early_data: Option<super::limits::SkipEarlyData>,
    pub resumption: super::resume::Resumption,
    /// Server: the client's accepted 0-RTT data, until the application reads it.
    pub early_in: EarlyIn,
    /// The ClientHello's random, for the key log.
    pub client_random: [u8; 32],
    /// Server: this connection's client authentication, instead of the config's.
    pub client_auth: Option<crate::cert::ClientAuth>,
    /// The key log of the config the connection was made with: it stays
    /// when the ClientHello callback swaps the config (see `swap_config`).
    key_log: Option<Arc<dyn crate::keylog::KeyLog>>,
    /// This connection's private-key callback, over the config's.
    pub pkey_callback: Option<std::sync::Arc<crate::pkey::PrivateKeyCallback>>,
    /// The CRL lookups for the peer's chain (`engine::status`): the server's,
    /// or a server's client's.
    pub crl_lookups: Option<crate::cert::PendingCrls>,
    out: OutBuf,
    hs_buf: Vec<u8>,
}

impl Common {
    pub(crate) fn new(config: Config, mode: Mode) -> Self {
        Self {
            key_log: config.inner.key_log.clone(),
            config,
            mode,
            send: SendDirection::new(),
            recv: RecvDirection::new(),
            info: Info::default(),
            alpn_override: None,
            traffic: None,
            exporter: None,
            plaintext_version: ProtocolVersion::TLSV1_2,
            skip_early_data: None,
            resumption: Default::default(),
            early_in: EarlyIn::default(),
            client_random: [0; 32],
            client_auth: None,
            pkey_callback: None,
            crl_lookups: None,
            out: OutBuf::default(),
            hs_buf: Vec::new(),
        }
    }

    /// Hands `secret` to the config's key log, if one is set (nothing
    /// happens otherwise).
    pub(crate) fn log_key(&self, label: &str, secret: &[u8]) {
        if let Some(log) = &self.key_log {
            log.log(label, &self.client_random, secret);
        }
    }

    /// The rest of the handshake uses `config` (the ClientHello callback's
    /// answer). The key log stays the first config's: it is the listener's
    /// debugging switch, not a tenant's setting.
    pub(crate) fn swap_config(&mut self, config: Config) {
        self.config = config;
    }

    /// Signs `input` with `cert`'s key, in place or through the private-key
    /// callback (this connection's, else the config's).
    pub(crate) fn sign(
        &self,
        cert: &std::sync::Arc<crate::cert::CertChainAndKey>,
        scheme: crate::msgs::enums::SignatureScheme,
        input: Vec<u8>,
    ) -> Result<crate::pkey::Signing> {
        let settings = &self.config.inner.pkey;
        let callback = self.pkey_callback.as_ref().or(settings.callback.as_ref());
        crate::pkey::sign(callback, settings.validation, cert, scheme, input)
    }

    pub(crate) fn alpn_prefs(&self) -> &[Vec<u8>] {
        self.alpn_override
            .as_deref()
            .unwrap_or(&self.config.inner.alpn)
    }

    /// Encodes a handshake message into the pending flight and the transcript;
    /// a message too large for its length fields is an `internal_error`.
    pub(crate) fn queue_handshake(
        &mut self,
        msg: &HandshakeMessage,
        transcript: &mut crate::crypto::hash::Transcript,
    ) -> Result<()> {
        let start = self.hs_buf.len();
        msg.encode(&mut self.hs_buf)?;
        transcript.add(&self.hs_buf[start..]);
        Ok(())
    }

    /// Puts the pending handshake bytes into records under the current write key.
    /// Called before every write-key change and at the end of each flight, so a
    /// flight leaves in as few records as possible.
    pub(crate) fn flush_handshake(&mut self) -> Result<()> {
        let buf = std::mem::take(&mut self.hs_buf);
        for chunk in buf.chunks(MAX_PLAINTEXT) {
            self.write_record(ContentType::HANDSHAKE, chunk)?;
        }
        let mut buf = buf;
        buf.clear();
        self.hs_buf = buf;
        Ok(())
    }

    fn write_record(&mut self, typ: ContentType, payload: &[u8]) -> Result<()> {
        self.compact_output();
        match &mut self.send.state {
            SendState::Kernel { ops } => {
                if typ == ContentType::APPLICATION_DATA {
                    return Err(Error::internal(
                        "application data is written to the kernel directly",
                    ));
                }
                ops.push_back(KernelOp::Record {
                    typ: typ.0,
                    data: payload.to_vec(),
                    sent: 0,
                });
                Ok(())
            }
            SendState::Userspace {
                enc,
                key_update_unused,
                ..
            } => {
                if typ == ContentType::APPLICATION_DATA {
                    *key_update_unused = false;
                }
                // Sealed straight from `payload` into the output buffer.
                let len = enc.record_len(typ, payload.len(), 0)?;
                let start = self.out.len();
                let r = enc.seal_into(typ, payload, 0, self.out.grow(len));
                if r.is_err() {
                    self.out.truncate(start);
                }
                r
            }
            SendState::Plaintext => {
                let v = self.plaintext_version.0.to_be_bytes();
                let n = (payload.len() as u16).to_be_bytes();
                self.out.extend_from_slice(&[typ.0, v[0], v[1], n[0], n[1]]);
                self.out.extend_from_slice(payload);
                Ok(())
            }
            // Its key may sit in a kernel nobody drives: nothing more goes out.
            SendState::Abandoned => Err(Error::internal(
                "the send direction was abandoned mid-hand-off",
            )),
        }
    }

    /// The middlebox-compatibility ChangeCipherSpec (RFC 8446 appendix D.4).
    pub(crate) fn send_ccs(&mut self) -> Result<()> {
        self.flush_handshake()?;
        self.compact_output();
        self.out
            .extend_from_slice(&[ContentType::CHANGE_CIPHER_SPEC.0, 3, 3, 0, 1, 1]);
        Ok(())
    }

    /// Queues a warning-level alert (TLS 1.2 `no_renegotiation`).
    pub(crate) fn queue_warning(&mut self, desc: AlertDescription) {
        let _ = self.flush_handshake();
        let _ = self.write_record(ContentType::ALERT, &[1, desc.0]);
    }

    /// Queues an alert record; errors while sealing it are ignored (we are failing anyway).
    pub(crate) fn queue_alert(&mut self, desc: AlertDescription) {
        let level =
            if desc == AlertDescription::CLOSE_NOTIFY || desc == AlertDescription::USER_CANCELED {
                1
            } else {
                2
            };
        let _ = self.flush_handshake();
        let _ = self.write_record(ContentType::ALERT, &[level, desc.0]);
    }

    /// Switches the write side to `secret`'s key (`keys` says which secrets it
    /// came from), after flushing what the old key must carry. On a kernel
    /// direction the key change queues behind the records before it.
    pub(crate) fn set_encrypter(
        &mut self,
        suite: &Tls13Suite,
        secret: &Secret,
        keys: KeyPhase,
    ) -> Result<()> {
        self.flush_handshake()?;
        let (key, iv) = traffic_key_iv(suite.hash, suite.aead, secret);
        if let Some(ops) = self.send.state.kernel_ops_mut() {
            ops.push_back(KernelOp::RekeySend(tls13_keys(suite, key, &iv)));
            return Ok(());
        }
        let enc = Encrypter::new_tls13(suite.aead, &key, &iv)?;
        self.send.state.install(enc, keys)
    }

    /// Switches the read side to `secret`'s key (`keys` says which secrets it
    /// came from); on a kernel direction the key waits for the kernel back end.
    pub(crate) fn set_decrypter(
        &mut self,
        suite: &Tls13Suite,
        secret: &Secret,
        keys: KeyPhase,
    ) -> Result<()> {
        let (key, iv) = traffic_key_iv(suite.hash, suite.aead, secret);
        let dec = || Decrypter::new_tls13(suite.aead, &key, &iv);
        let kernel_keys = || tls13_keys(suite, key.clone(), &iv);
        self.recv.state.install(keys, dec, kernel_keys)
    }

    /// TLS 1.2: switches the write side to `enc` after flushing what the old key must carry.
    pub(crate) fn set_tls12_encrypter(&mut self, enc: Encrypter) -> Result<()> {
        self.flush_handshake()?;
        self.send.state.install(enc, KeyPhase::Application)
    }

    /// TLS 1.2: the peer's ChangeCipherSpec arrived; its records are protected from now on.
    /// Without a pending key (a CCS before the key exchange) it is `unexpected_message`.
    pub(crate) fn activate_pending_read(&mut self) -> Result<()> {
        self.recv.state.activate_next()
    }

    /// True once TLS 1.2 was negotiated (the CCS and alert rules differ).
    pub(crate) fn is_tls12(&self) -> bool {
        self.info.version == Some(ProtocolVersion::TLSV1_2)
    }

    /// Installs application traffic secrets in both directions' bookkeeping.
    pub(crate) fn install_app_write(
        &mut self,
        suite: &'static Tls13Suite,
        ours: &Secret,
    ) -> Result<()> {
        self.set_encrypter(suite, ours, KeyPhase::Application)
    }

    pub(crate) fn install_app_read(
        &mut self,
        suite: &'static Tls13Suite,
        theirs: &Secret,
    ) -> Result<()> {
        self.set_decrypter(suite, theirs, KeyPhase::Application)
    }

    /// Seals one application data record, rotating the write key first if the
    /// AEAD usage limit is near.
    pub(crate) fn seal_app(&mut self, data: &[u8]) -> Result<()> {
        if self.send.state.encrypter().is_some_and(|e| e.wants_rekey()) {
            if self.is_tls12() {
                // TLS 1.2 cannot rekey: end the connection cleanly instead of
                // going past the AEAD limit.
                self.queue_alert(AlertDescription::CLOSE_NOTIFY);
                return Err(Error::closed(
                    "TLS 1.2 key reached its AEAD usage limit; connection closed (reconnect to continue)",
                ));
            }
            self.send_key_update(false)?;
        }
        self.write_record(ContentType::APPLICATION_DATA, data)
    }

    /// Client: seals one 0-RTT application data record (≤ 2^14 bytes) under
    /// the early key (no rekeying: early data is bounded far below the AEAD
    /// limits, and KeyUpdate is not allowed before the handshake ends).
    pub(crate) fn seal_early(&mut self, data: &[u8]) -> Result<()> {
        self.write_record(ContentType::APPLICATION_DATA, data)
    }

    /// Sends KeyUpdate under the current key, then switches to the next write secret.
    pub(crate) fn send_key_update(&mut self, update_requested: bool) -> Result<()> {
        let msg = HandshakeMessage::new(HandshakePayload::KeyUpdate { update_requested });
        let start = self.hs_buf.len();
        msg.encode(&mut self.hs_buf)?;
        debug_assert!(start == 0);
        self.flush_handshake()?;
        let t = self
            .traffic
            .as_mut()
            .ok_or_else(|| Error::internal("key update without traffic secrets"))?;
        t.ours = next_traffic_secret(t.suite.hash, &t.ours);
        let (suite, ours) = (t.suite, t.ours.clone());
        self.set_encrypter(suite, &ours, KeyPhase::Application)?;
        if let SendState::Userspace {
            key_update_unused, ..
        } = &mut self.send.state
        {
            *key_update_unused = true;
        }
        Ok(())
    }

    /// The peer asked us to update our write key. One KeyUpdate answers every
    /// request received while we sent no application data under the new key,
    /// so a peer that floods requests and never reads cannot make us queue
    /// more than one: in userspace until our next application data record,
    /// with kernel TLS while the rekey is still queued (application data
    /// written to the kernel bypasses this bookkeeping, and every write first
    /// drains the queue).
    pub(crate) fn answer_key_update_request(&mut self) -> Result<()> {
        let answered = match &self.send.state {
            SendState::Kernel { ops } => ops.iter().any(|op| matches!(op, KernelOp::RekeySend(_))),
            SendState::Userspace {
                key_update_unused, ..
            } => *key_update_unused,
            SendState::Plaintext | SendState::Abandoned => false,
        };
        if answered {
            return Ok(());
        }
        self.send_key_update(false)
    }

    /// Handles a received KeyUpdate: switch to the peer's next secret.
    pub(crate) fn update_read_key(&mut self) -> Result<()> {
        let t = self
            .traffic
            .as_mut()
            .ok_or_else(|| Error::internal("key update without traffic secrets"))?;
        t.theirs = next_traffic_secret(t.suite.hash, &t.theirs);
        let (suite, theirs) = (t.suite, t.theirs.clone());
        self.set_decrypter(suite, &theirs, KeyPhase::Application)
    }

    pub(crate) fn pending_output(&self) -> &[u8] {
        self.out.pending()
    }

    /// Appends all pending output to `dst` and clears it; when `dst` is empty the
    /// two buffers are swapped instead of copied.
    pub(crate) fn take_output(&mut self, dst: &mut Vec<u8>) {
        self.out.take(dst)
    }

    /// Takes back a buffer `take_output` handed out, once sent.
    pub(crate) fn recycle_output(&mut self, buf: Vec<u8>) {
        self.out.recycle(buf)
    }

    /// Frees the output buffers if nothing is waiting in them; returns whether it did.
    pub(crate) fn release_output(&mut self) -> bool {
        if !self.pending_output().is_empty() || self.kernel_ops_queued() || !self.hs_buf.is_empty()
        {
            return false;
        }
        self.out.release();
        self.hs_buf = Vec::new();
        if let Some(ops) = self.send.state.kernel_ops_mut() {
            *ops = Default::default();
        }
        true
    }

    /// Records or key changes wait for the kernel back end.
    pub(crate) fn kernel_ops_queued(&self) -> bool {
        self.send
            .state
            .kernel_ops()
            .is_some_and(|ops| !ops.is_empty())
    }

    pub(crate) fn consume_output(&mut self, n: usize) {
        self.out.consume(n)
    }

    /// Drops already-written bytes so the buffer does not creep.
    fn compact_output(&mut self) {
        self.out.compact()
    }
}

/// A fresh TLS 1.3 traffic key (sequence 0) in the kernel's terms.
fn tls13_keys(suite: &Tls13Suite, key: Secret, iv: &[u8; 12]) -> TrafficKeys {
    TrafficKeys {
        version: ProtocolVersion::TLSV1_3,
        aead: suite.aead,
        key,
        iv: Secret::new(iv),
        seq: 0,
    }
}
