//! TLS 1.3 server handshake (RFC 8446 §2), full handshake with optional
//! HelloRetryRequest. No client authentication yet.

use super::client13::cert_verify_content;
use super::common::Traffic13;
use super::limits::{SkipEarlyData, MAX_SKIPPED_EARLY_DATA};
use super::{require_boundary, server12, unexpected, verify_finished, Common, Hs, KeyPhase};
use crate::cert::{check_host_name, CertChainAndKey};
use crate::crypto::hash::Transcript;
use crate::crypto::kx::{self, SUPPORTED_GROUPS};
use crate::crypto::rand;
use crate::error::{AlertDescription, Error, Result};
use crate::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};
use crate::msgs::extensions::{
    ClientExtensions, KeyShareEntry, ServerExtContext, ServerExtensions,
};
use crate::msgs::handshake::{
    Certificate13, CertificateEntry, CertificateVerify, ClientHello, HandshakeMessage,
    HandshakePayload, ServerHello, HRR_RANDOM,
};
use crate::msgs::joiner::RawHandshake;
use crate::secrets::Secret;
use crate::suites::{is_chacha20, tls13_suite, Tls13Suite};
use crate::tls13::key_schedule::{finished_verify_data, EarlySecret, MasterSecret};
use std::sync::Arc;

const SERVER_CV_CONTEXT: &[u8] = super::client13::SERVER_CV_CONTEXT;

pub(crate) enum State {
    ExpectClientHello(Box<ExpectClientHello>),
    ExpectFinished(Box<ExpectFinished>),
    Done,
}

/// Before the first ClientHello, or after a HelloRetryRequest.
#[derive(Default)]
pub(crate) struct ExpectClientHello {
    hrr: Option<HrrSent>,
}

pub(crate) struct HrrSent {
    transcript: Transcript,
    suite: CipherSuite,
    group: NamedGroup,
    session_id: Vec<u8>,
}

pub(crate) struct ExpectFinished {
    transcript: Transcript,
    suite: &'static Tls13Suite,
    client_hs: Secret,
    master: MasterSecret,
}

fn hs_failure(msg: &'static str) -> Error {
    Error::protocol(AlertDescription::HANDSHAKE_FAILURE, msg)
}

fn illegal(msg: &'static str) -> Error {
    Error::protocol(AlertDescription::ILLEGAL_PARAMETER, msg)
}

fn missing(msg: &'static str) -> Error {
    Error::protocol(AlertDescription::MISSING_EXTENSION, msg)
}

impl State {
    /// True until the first ClientHello arrived: no change_cipher_spec is
    /// acceptable yet (RFC 8446 §5).
    pub(crate) fn before_first_hello(&self) -> bool {
        matches!(self, State::ExpectClientHello(s) if s.hrr.is_none())
    }

    pub(crate) fn handle(self, c: &mut Common, msg: RawHandshake, boundary: bool) -> Result<Hs> {
        let parsed = HandshakeMessage::read_tls13(msg.typ, msg.body())?;
        match (self, parsed.payload) {
            (State::ExpectClientHello(s), HandshakePayload::ClientHello(ch)) => {
                require_boundary(boundary, "ClientHello")?;
                s.handle_client_hello(c, ch, &msg)
            }
            (State::ExpectFinished(s), HandshakePayload::Finished(vd)) => {
                s.handle_finished(c, &vd, &msg, boundary).map(Hs::Server13)
            }
            (state, _) => Err(unexpected(
                msg.typ,
                match state {
                    State::ExpectClientHello(_) => "expecting ClientHello",
                    State::ExpectFinished(_) => "expecting client Finished",
                    State::Done => "connected",
                },
            )),
        }
    }
}

/// The suites both sides allow, in the server's order — except that a boosted
/// policy moves ChaCha20 first when the client lists a ChaCha20 suite first
/// among those `usable` ones (s2n's "ChaCha20 boosting").
pub(crate) fn suite_preference(
    c: &Common,
    offered: &[CipherSuite],
    usable: impl Fn(CipherSuite) -> bool,
) -> Vec<CipherSuite> {
    let policy = c.config.inner.policy;
    let mut ours: Vec<CipherSuite> = policy
        .cipher_suites
        .iter()
        .copied()
        .filter(|cs| usable(*cs) && offered.contains(cs))
        .collect();
    let client_first = offered.iter().copied().find(|cs| ours.contains(cs));
    if policy.chacha20_boosted && client_first.is_some_and(is_chacha20) {
        // Stable: the ChaCha20 suites keep their relative order, ahead of the rest.
        ours.sort_by_key(|cs| !is_chacha20(*cs));
    }
    ours
}

fn choose_suite(c: &Common, offered: &[CipherSuite]) -> Option<&'static Tls13Suite> {
    suite_preference(c, offered, |cs| tls13_suite(cs).is_some())
        .first()
        .and_then(|cs| tls13_suite(*cs))
}

/// How well a certificate fits a ClientHello; smaller is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct CertFit {
    /// False if the leaf is valid for the client's SNI (or there is none to match).
    sni_mismatch: bool,
    /// False if every signature in the chain uses an algorithm the client accepts
    /// in certificates and the policy allows there.
    chain_not_accepted: bool,
}

impl CertFit {
    /// Nothing fits better than this.
    pub(crate) fn is_best(self) -> bool {
        !self.sni_mismatch && !self.chain_not_accepted
    }
}

/// A server certificate for this handshake and the scheme its key signs with.
pub(crate) struct ChosenCert {
    pub cert: Arc<CertChainAndKey>,
    pub scheme: SignatureScheme,
    pub fit: CertFit,
}

/// The certificate whose key can sign a scheme both sides allow, best fit first
/// (config order among equals): valid for the client's SNI, then signed only
/// with what the client accepts in certificates (RFC 8446 §4.2.3: its
/// `signature_algorithms_cert`, else `signature_algorithms`; RFC 5246 §7.4.2)
/// and the policy's `certificate_signature_schemes` allow. If no chain is, the
/// best remaining one is still sent (RFC 8446 §4.4.2.2: the client may accept
/// it anyway, e.g. when it trusts an intermediate directly).
pub(crate) fn choose_cert(
    c: &Common,
    client_schemes: &[SignatureScheme],
    client_cert_schemes: Option<&[SignatureScheme]>,
    tls13: bool,
    key_ok: impl Fn(crate::crypto::sign::KeyType) -> bool,
) -> Option<ChosenCert> {
    let policy = c.config.inner.policy;
    let allowed: Vec<SignatureScheme> = client_schemes
        .iter()
        .copied()
        .filter(|s| policy.signature_schemes.contains(s))
        .collect();
    let chain_ok: Vec<SignatureScheme> = client_cert_schemes
        .unwrap_or(client_schemes)
        .iter()
        .copied()
        .filter(|s| {
            policy
                .certificate_signature_schemes
                .is_none_or(|ours| ours.contains(s))
        })
        .collect();
    let sni = c.info.server_name.as_deref();
    let sni_mismatch = |ck: &CertChainAndKey| {
        sni.is_some_and(|n| {
            ck.chain()
                .first()
                .is_none_or(|l| check_host_name(l, n).is_err())
        })
    };
    c.config
        .inner
        .certs
        .iter()
        .filter(|ck| key_ok(ck.signing_key().key_type()))
        .filter_map(|ck| {
            let scheme = ck.signing_key().choose_scheme(&allowed, tls13)?;
            let fit = CertFit {
                sni_mismatch: sni_mismatch(ck),
                chain_not_accepted: !ck.chain_signed_with(&chain_ok),
            };
            Some(ChosenCert {
                cert: ck.clone(),
                scheme,
                fit,
            })
        })
        // The first of the best: min_by_key keeps the earliest of equal keys.
        .min_by_key(|chosen| chosen.fit)
}

impl ExpectClientHello {
    fn handle_client_hello(
        self,
        c: &mut Common,
        ch: ClientHello,
        msg: &RawHandshake,
    ) -> Result<Hs> {
        let exts = ClientExtensions::parse(&ch.extensions)?;
        let policy = c.config.inner.policy;
        let versions = exts.supported_versions.as_deref().unwrap_or_default();
        c.info.client_version = Some(
            versions
                .iter()
                .copied()
                .max()
                .unwrap_or(ch.legacy_version.min(ProtocolVersion::TLSV1_2)),
        );
        c.info.server_version = Some(
            policy
                .active_versions()
                .last()
                .copied()
                .unwrap_or(policy.max_version),
        );
        let we13 = policy.negotiates(ProtocolVersion::TLSV1_3);
        let we12 = policy.negotiates(ProtocolVersion::TLSV1_2);
        let they13 = versions.contains(&ProtocolVersion::TLSV1_3);
        // Without supported_versions, legacy_version is the client's maximum (RFC 5246 E.1).
        let they12 = match &exts.supported_versions {
            Some(v) => v.contains(&ProtocolVersion::TLSV1_2),
            None => ch.legacy_version >= ProtocolVersion::TLSV1_2,
        };
        if !(they13 && we13) {
            if self.hrr.is_some() {
                return Err(illegal("second ClientHello dropped TLS 1.3"));
            }
            if they12 && we12 {
                return server12::handle_client_hello(c, ch, exts, msg).map(Hs::Server12);
            }
            return Err(Error::protocol(
                AlertDescription::PROTOCOL_VERSION,
                format!(
                    "no protocol version in common: client offers up to {:?}, policy {} allows {:?} to {:?}",
                    c.info.client_version.unwrap_or(ch.legacy_version),
                    policy.name,
                    policy.min_version,
                    policy.max_version
                ),
            ));
        }
        if ch.compression_methods != [0] {
            return Err(illegal(
                "TLS 1.3 ClientHello must offer only null compression",
            ));
        }
        if exts.pre_shared_key.is_some() && exts.psk_modes.is_none() {
            return Err(missing("pre_shared_key without psk_key_exchange_modes"));
        }
        if let Some(hrr) = &self.hrr {
            // Only the changes RFC 8446 §4.1.2 lists: a cookie only if the
            // HelloRetryRequest sent one, and ours never does.
            if exts.cookie.is_some() {
                return Err(illegal(
                    "second ClientHello carries a cookie we did not send",
                ));
            }
            if ch.session_id != hrr.session_id || !ch.cipher_suites.contains(&hrr.suite) {
                return Err(illegal(
                    "second ClientHello changed more than HelloRetryRequest asked",
                ));
            }
            // The 0-RTT sent with the first ClientHello ends here (RFC 8446 §4.2.10).
            c.skip_early_data = None;
            if exts.early_data {
                return Err(illegal("second ClientHello offers early_data"));
            }
        }
        c.info.server_name = exts.server_name.clone();

        let suite = match &self.hrr {
            Some(h) => tls13_suite(h.suite).ok_or_else(|| Error::internal("HRR suite vanished"))?,
            None => choose_suite(c, &ch.cipher_suites)
                .ok_or_else(|| hs_failure("no cipher suite in common"))?,
        };
        let client_schemes = exts
            .signature_algorithms
            .as_deref()
            .ok_or_else(|| missing("ClientHello without signature_algorithms"))?;
        if c.config.inner.certs.is_empty() {
            return Err(hs_failure("server has no certificate configured"));
        }
        let ChosenCert { cert, scheme, .. } = choose_cert(
            c,
            client_schemes,
            exts.signature_algorithms_cert.as_deref(),
            true,
            |_| true,
        )
        .ok_or_else(|| hs_failure("no certificate matches the client's signature algorithms"))?;
        let client_groups = exts
            .supported_groups
            .as_deref()
            .ok_or_else(|| missing("ClientHello without supported_groups"))?;
        let shares = exts
            .key_shares
            .as_deref()
            .ok_or_else(|| missing("ClientHello without key_share"))?;
        for s in shares {
            if !client_groups.contains(&s.group) {
                return Err(illegal("key share for a group not in supported_groups"));
            }
        }
        let acceptable = |g: &NamedGroup| SUPPORTED_GROUPS.contains(g) && client_groups.contains(g);
        let share = match &self.hrr {
            Some(h) => {
                if shares.len() != 1 || shares[0].group != h.group {
                    return Err(illegal(
                        "second ClientHello must share exactly the requested group",
                    ));
                }
                shares[0].clone()
            }
            None => {
                // Take any acceptable share (best by our order) before costing a round trip.
                let best = policy
                    .groups
                    .iter()
                    .filter(|g| acceptable(g))
                    .find_map(|g| shares.iter().find(|s| s.group == *g));
                match best {
                    Some(s) => s.clone(),
                    None => {
                        let g = policy
                            .groups
                            .iter()
                            .copied()
                            .find(|g| acceptable(g))
                            .ok_or_else(|| hs_failure("no key exchange group in common"))?;
                        return self
                            .send_hrr(c, &ch, msg, suite, g, exts.early_data)
                            .map(Hs::Server13);
                    }
                }
            }
        };

        let alpn = choose_alpn(c, exts.alpn.as_deref())?;
        let (mut transcript, ccs_sent) = match self.hrr {
            Some(h) => (h.transcript, true),
            None => {
                let mut t = Transcript::new();
                t.start_hash(suite.hash);
                (t, false)
            }
        };
        transcript.add(&msg.encoded);

        // For a hybrid this encapsulates to the client's ML-KEM key: the
        // server never holds a KEM key pair.
        let kx::Response {
            share: our_payload,
            secret: shared,
        } = kx::respond(share.group, &share.payload)?;
        let our_share = KeyShareEntry {
            group: share.group,
            payload: our_payload,
        };
        let sh_exts = ServerExtensions {
            supported_version: Some(ProtocolVersion::TLSV1_3),
            key_share: Some(our_share),
            ..Default::default()
        };
        let sh = ServerHello {
            legacy_version: ProtocolVersion::TLSV1_2,
            random: rand::random32()?,
            session_id: ch.session_id.clone(),
            cipher_suite: suite.suite,
            compression_method: 0,
            extensions: sh_exts.to_extensions(ServerExtContext::ServerHello13)?,
        };
        c.queue_handshake(
            &HandshakeMessage::new(HandshakePayload::ServerHello(sh)),
            &mut transcript,
        )?;
        let hs = EarlySecret::new(suite.hash, None)
            .into_handshake(shared.as_bytes(), transcript.current_hash().as_bytes());
        if !ccs_sent && !ch.session_id.is_empty() {
            c.send_ccs()?;
        }
        c.set_encrypter(suite, hs.server_traffic(), KeyPhase::Handshake)?;
        c.set_decrypter(suite, hs.client_traffic(), KeyPhase::Handshake)?;
        if exts.early_data {
            // Baton accepts no 0-RTT: skip it to reach the client's second flight.
            c.skip_early_data = Some(SkipEarlyData::TrialDecryption {
                left: MAX_SKIPPED_EARLY_DATA,
            });
        }

        let ee = ServerExtensions {
            alpn: alpn.clone(),
            server_name_ack: exts.server_name.is_some(),
            ..Default::default()
        };
        c.queue_handshake(
            &HandshakeMessage::new(HandshakePayload::EncryptedExtensions(
                ee.to_extensions(ServerExtContext::EncryptedExtensions)?,
            )),
            &mut transcript,
        )?;
        let entries = cert
            .chain()
            .iter()
            .map(|der| CertificateEntry {
                cert: der.clone(),
                extensions: Vec::new(),
            })
            .collect();
        c.queue_handshake(
            &HandshakeMessage::new(HandshakePayload::Certificate13(Certificate13 {
                context: Vec::new(),
                entries,
            })),
            &mut transcript,
        )?;
        let content = cert_verify_content(SERVER_CV_CONTEXT, transcript.current_hash().as_bytes());
        let signature = cert.signing_key().sign(scheme, &content)?;
        c.queue_handshake(
            &HandshakeMessage::new(HandshakePayload::CertificateVerify(CertificateVerify {
                scheme,
                signature,
            })),
            &mut transcript,
        )?;
        let vd = finished_verify_data(
            suite.hash,
            hs.server_traffic(),
            transcript.current_hash().as_bytes(),
        );
        c.queue_handshake(
            &HandshakeMessage::new(HandshakePayload::Finished(vd.as_bytes().to_vec())),
            &mut transcript,
        )?;
        let client_hs = hs.client_traffic().clone();
        let master = hs.into_master(transcript.current_hash().as_bytes());
        c.install_app_write(suite, master.server_traffic())?;
        c.exporter = Some(super::common::Exporter::Tls13(
            suite.hash,
            master.exporter_secret().clone(),
        ));

        c.info.version = Some(ProtocolVersion::TLSV1_3);
        c.info.suite = Some(suite.suite);
        c.info.group = Some(share.group);
        c.info.alpn = alpn;
        c.info.selected_cert = Some(cert);
        c.info.signature_scheme = Some(scheme);
        Ok(Hs::Server13(State::ExpectFinished(Box::new(
            ExpectFinished {
                transcript,
                suite,
                client_hs,
                master,
            },
        ))))
    }

    fn send_hrr(
        &self,
        c: &mut Common,
        ch: &ClientHello,
        msg: &RawHandshake,
        suite: &'static Tls13Suite,
        group: NamedGroup,
        early_data: bool,
    ) -> Result<State> {
        if self.hrr.is_some() {
            return Err(illegal(
                "second ClientHello still lacks an acceptable key share",
            ));
        }
        let mut transcript = Transcript::new();
        transcript.start_hash(suite.hash);
        transcript.add(&msg.encoded);
        transcript.rollup_for_hrr();
        // No cookie: this server keeps the state a cookie would carry, and a
        // client has nothing to prove (RFC 8446 §4.2.2: the server MAY send one).
        let exts = ServerExtensions {
            supported_version: Some(ProtocolVersion::TLSV1_3),
            hrr_selected_group: Some(group),
            ..Default::default()
        };
        let hrr = ServerHello {
            legacy_version: ProtocolVersion::TLSV1_2,
            random: HRR_RANDOM,
            session_id: ch.session_id.clone(),
            cipher_suite: suite.suite,
            compression_method: 0,
            extensions: exts.to_extensions(ServerExtContext::HelloRetryRequest)?,
        };
        c.queue_handshake(
            &HandshakeMessage::new(HandshakePayload::ServerHello(hrr)),
            &mut transcript,
        )?;
        c.flush_handshake()?;
        // Compatibility mode CCS right after our first handshake message; sent even for an
        // empty session id so the second flight's CCS rule stays simple.
        c.send_ccs()?;
        c.info.hello_retry = true;
        if early_data {
            // Its 0-RTT follows the first ClientHello; none may follow the second.
            c.skip_early_data = Some(SkipEarlyData::UntilClientHello {
                left: MAX_SKIPPED_EARLY_DATA,
            });
        }
        Ok(State::ExpectClientHello(Box::new(ExpectClientHello {
            hrr: Some(HrrSent {
                transcript,
                suite: suite.suite,
                group,
                session_id: ch.session_id.clone(),
            }),
        })))
    }
}

/// Server-preference ALPN; no overlap is `no_application_protocol` (RFC 7301 §3.2).
pub(crate) fn choose_alpn(c: &Common, offered: Option<&[Vec<u8>]>) -> Result<Option<Vec<u8>>> {
    let ours = c.alpn_prefs();
    match offered {
        Some(theirs) if !ours.is_empty() => ours
            .iter()
            .find(|p| theirs.contains(p))
            .cloned()
            .map(Some)
            .ok_or_else(|| {
                Error::protocol(
                    AlertDescription::NO_APPLICATION_PROTOCOL,
                    "no ALPN protocol in common",
                )
            }),
        _ => Ok(None),
    }
}

impl ExpectFinished {
    fn handle_finished(
        mut self: Box<Self>,
        c: &mut Common,
        vd: &[u8],
        msg: &RawHandshake,
        boundary: bool,
    ) -> Result<State> {
        require_boundary(boundary, "Finished")?;
        verify_finished(
            self.suite.hash,
            &self.client_hs,
            &self.transcript,
            vd,
            "client",
        )?;
        self.transcript.add(&msg.encoded);
        c.install_app_read(self.suite, self.master.client_traffic())?;
        c.traffic = Some(Traffic13 {
            suite: self.suite,
            ours: self.master.server_traffic().clone(),
            theirs: self.master.client_traffic().clone(),
        });
        Ok(State::Done)
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::{Engine, Mode};
    use crate::error::{AlertDescription, Result};
    use crate::msgs::enums::ContentType;

    const CCS: [u8; 6] = [ContentType::CHANGE_CIPHER_SPEC.0, 3, 3, 0, 1, 1];

    fn server() -> Engine {
        let mut b = crate::Config::builder_minimal();
        b.add_cert_chain_and_key(
            crate::CertChainAndKey::from_pem(
                include_bytes!("../../tests/data/server-p256-chain.pem"),
                include_bytes!("../../tests/data/server-p256.key"),
            )
            .unwrap(),
        );
        Engine::new(b.build().unwrap(), Mode::Server)
    }

    fn feed(e: &mut Engine, bytes: &[u8]) -> Result<()> {
        e.read_space(usize::MAX)[..bytes.len()].copy_from_slice(bytes);
        e.commit_read(bytes.len());
        e.process()
    }

    #[test]
    fn change_cipher_spec_before_the_client_hello_is_unexpected() {
        let mut s = server();
        let err = feed(&mut s, &CCS).unwrap_err();
        assert_eq!(err.sent_alert(), Some(AlertDescription::UNEXPECTED_MESSAGE));
        assert_eq!(
            s.pending_output(),
            [ContentType::ALERT.0, 3, 3, 0, 2, 2, 10]
        );
    }

    #[test]
    fn change_cipher_spec_after_the_client_hello_is_ignored_once() {
        let cfg = crate::Config::builder_minimal().build().unwrap();
        let mut client = Engine::new(cfg, Mode::Client);
        client.c.info.server_name = Some("localhost".into());
        client.start().unwrap();
        let hello = client.pending_output().to_vec();
        let mut s = server();
        feed(&mut s, &hello).unwrap();
        feed(&mut s, &CCS).unwrap();
        let err = feed(&mut s, &CCS).unwrap_err();
        assert_eq!(err.sent_alert(), Some(AlertDescription::UNEXPECTED_MESSAGE));
    }

    /// A client that shares only X25519, for a server that wants P-384.
    fn hello_retry() -> (Engine, Engine) {
        let mut client = Engine::new(
            crate::Config::builder_minimal().build().unwrap(),
            Mode::Client,
        );
        client.c.info.server_name = Some("localhost".into());
        client.start().unwrap();
        let base = crate::policy::default_policy();
        let policy = Box::leak(Box::new(crate::policy::SecurityPolicy {
            name: "p384-only",
            min_version: base.min_version,
            max_version: base.max_version,
            cipher_suites: base.cipher_suites,
            signature_schemes: base.signature_schemes,
            certificate_signature_schemes: base.certificate_signature_schemes,
            groups: &[crate::NamedGroup::SECP384R1],
            chacha20_boosted: false,
        }));
        let mut b = crate::Config::builder_minimal();
        b.add_cert_chain_and_key(
            crate::CertChainAndKey::from_pem(
                include_bytes!("../../tests/data/server-p256-chain.pem"),
                include_bytes!("../../tests/data/server-p256.key"),
            )
            .unwrap(),
        );
        b.custom_security_policy(policy).unwrap();
        let mut server = Engine::new(b.build().unwrap(), Mode::Server);
        let hello = client.pending_output().to_vec();
        client.consume_output(hello.len());
        feed(&mut server, &hello).unwrap();
        (client, server)
    }

    /// The server keeps its state, so it needs no cookie (RFC 8446 §4.2.2:
    /// the server MAY send one) and sends none: 36 bytes fewer, and no
    /// echo for the client to get wrong.
    #[test]
    fn hello_retry_request_carries_no_cookie() {
        use crate::msgs::enums::ExtensionType;
        use crate::msgs::handshake::{HandshakeMessage, HandshakePayload};
        let (_, server) = hello_retry();
        let out = server.pending_output();
        let len = usize::from(u16::from_be_bytes([out[3], out[4]]));
        let msg = HandshakeMessage::read_tls13(
            crate::msgs::enums::HandshakeType::SERVER_HELLO,
            &out[9..5 + len],
        )
        .unwrap();
        let HandshakePayload::ServerHello(hrr) = msg.payload else {
            panic!("not a HelloRetryRequest");
        };
        assert!(hrr.is_hrr());
        let types: Vec<_> = hrr.extensions.iter().map(|e| e.typ).collect();
        assert_eq!(types.len(), 2, "{types:?}");
        assert!(!types.contains(&ExtensionType::COOKIE), "{types:?}");
    }

    #[test]
    fn plaintext_records_over_two_to_the_fourteen_are_record_overflow() {
        // The start of a 20000-byte ClientHello in one 2^14 + 1 byte record:
        // legal as ciphertext, too long as the plaintext it is here.
        let mut body = vec![1, 0, 0x4e, 0x20];
        body.resize(crate::record::MAX_PLAINTEXT + 1, 0);
        let len = (body.len() as u16).to_be_bytes();
        let rec = [&[ContentType::HANDSHAKE.0, 3, 1, len[0], len[1]], &body[..]].concat();
        let mut s = server();
        let err = feed(&mut s, &rec).unwrap_err();
        assert_eq!(err.sent_alert(), Some(AlertDescription::RECORD_OVERFLOW));
        // And a plaintext alert of that size.
        let mut s = server();
        let mut rec = rec;
        rec[0] = ContentType::ALERT.0;
        let err = feed(&mut s, &rec).unwrap_err();
        assert_eq!(err.sent_alert(), Some(AlertDescription::RECORD_OVERFLOW));
    }
}
