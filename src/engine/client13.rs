//! TLS 1.3 client handshake (RFC 8446 §2): each state owns exactly its data and a
//! transition consumes it, so a state cannot be reused.

use super::{client12, require_boundary, unexpected, verify_finished, Common, Hs, KeyPhase};
use crate::cert::{check_host_name, leaf_dns_names};
use crate::crypto::hash::Transcript;
use crate::crypto::kx::{is_hybrid, KeyExchange, SUPPORTED_GROUPS};
use crate::crypto::rand;
use crate::crypto::verify::{verify_signature, TLS12_VERIFY_SCHEMES, TLS13_VERIFY_SCHEMES};
use crate::error::{AlertDescription, Error, Result};
use crate::msgs::enums::{
    CipherSuite, ExtensionType, NamedGroup, ProtocolVersion, SignatureScheme,
};
use crate::msgs::extensions::{
    ClientExtensions, KeyShareEntry, ServerExtContext, ServerExtensions,
};
use crate::msgs::handshake::{
    Certificate13, ClientHello, HandshakeMessage, HandshakePayload, ServerHello,
};
use crate::msgs::joiner::RawHandshake;
use crate::secrets::Secret;
use crate::suites::{tls12_suite, tls13_suite, Tls13Suite};
use crate::tls13::key_schedule::{finished_verify_data, EarlySecret, HandshakeSecret};

pub(crate) enum State {
    Start,
    ExpectServerHello(Box<ExpectServerHello>),
    ExpectEncryptedExtensions(Box<Negotiated>),
    ExpectCertificateOrRequest(Box<Negotiated>),
    ExpectCertificate(Box<Negotiated>),
    ExpectCertificateVerify(Box<Negotiated>),
    ExpectFinished(Box<Negotiated>),
    Done,
}

pub(crate) struct ExpectServerHello {
    transcript: Transcript,
    hello: ClientHello,
    exts: ClientExtensions,
    shares: Vec<KeyExchange>,
    /// The suite a HelloRetryRequest chose; the ServerHello must repeat it.
    hrr_suite: Option<CipherSuite>,
}

pub(crate) struct Negotiated {
    transcript: Transcript,
    suite: &'static Tls13Suite,
    hs: HandshakeSecret,
    offered_alpn: Vec<Vec<u8>>,
    sent_sni: bool,
    /// The extension types our ClientHello carried.
    sent: Vec<ExtensionType>,
    /// Context of a CertificateRequest, if the server asked for a client certificate.
    cert_request: Option<Vec<u8>>,
}

/// The policy's suites that Baton implements for the versions we offer, in policy order.
fn policy_suites(c: &Common, tls13: bool, tls12: bool) -> Vec<CipherSuite> {
    c.config
        .inner
        .policy
        .cipher_suites
        .iter()
        .copied()
        .filter(|cs| (tls13 && tls13_suite(*cs).is_some()) || (tls12 && tls12_suite(*cs).is_some()))
        .collect()
}

/// The policy's groups that Baton implements, in policy order; the hybrids
/// only when TLS 1.3 is offered (they have no TLS 1.2 form).
fn policy_groups(c: &Common, offer13: bool) -> Vec<NamedGroup> {
    c.config
        .inner
        .policy
        .groups
        .iter()
        .copied()
        .filter(|g| SUPPORTED_GROUPS.contains(g) && (offer13 || !is_hybrid(*g)))
        .collect()
}

/// The groups the first ClientHello has key shares for: the policy's first
/// group and the first group of the other kind (a classical group after a
/// post-quantum hybrid, the first hybrid after a classical group), as
/// BoringSSL and the browsers do. A server with or without the hybrid then
/// answers in one round trip, for the price of one extra key pair; a server
/// with it can pick the hybrid even where the policy lists it second.
fn initial_share_groups(groups: &[NamedGroup]) -> Vec<NamedGroup> {
    let Some(&first) = groups.first() else {
        return Vec::new();
    };
    let other = groups
        .iter()
        .copied()
        .find(|g| is_hybrid(*g) != is_hybrid(first));
    [first].into_iter().chain(other).collect()
}

/// Schemes we accept in CertificateVerify: the policy's, minus those TLS 1.3 forbids there.
fn verify_schemes(c: &Common) -> Vec<SignatureScheme> {
    c.config
        .inner
        .policy
        .signature_schemes
        .iter()
        .copied()
        .filter(|s| TLS13_VERIFY_SCHEMES.contains(s))
        .collect()
}

fn is_ip_literal(name: &str) -> bool {
    name.parse::<std::net::IpAddr>().is_ok()
}

/// Builds and queues the ClientHello: TLS 1.3 and/or TLS 1.2, as the policy allows.
pub(crate) fn start(c: &mut Common) -> Result<State> {
    let policy = c.config.inner.policy;
    // Only versions the policy has an implemented suite for: a policy that
    // allows TLS 1.2 but lists only TLS 1.3 suites ("20200207") offers TLS 1.3 only.
    let offer13 = policy.negotiates(ProtocolVersion::TLSV1_3);
    let offer12 = policy.negotiates(ProtocolVersion::TLSV1_2);
    if !offer13 && !offer12 {
        return Err(Error::usage(format!(
            "security policy {} allows neither TLS 1.2 nor TLS 1.3",
            policy.name
        )));
    }
    let suites = policy_suites(c, offer13, offer12);
    let groups = policy_groups(c, offer13);
    if groups.is_empty() {
        return Err(Error::usage("security policy offers no supported group"));
    }
    if suites.is_empty() {
        return Err(Error::usage(format!(
            "security policy {} offers no cipher suite Baton implements",
            policy.name
        )));
    }
    // Only TLS 1.3 needs a share up front; a TLS 1.2-only hello has none.
    let shares = if offer13 {
        initial_share_groups(&groups)
            .into_iter()
            .map(KeyExchange::start)
            .collect::<Result<Vec<_>>>()?
    } else {
        Vec::new()
    };
    let sent_sni = c
        .info
        .server_name
        .as_deref()
        .is_some_and(|n| !is_ip_literal(n));
    let mut versions = Vec::new();
    if offer13 {
        versions.push(ProtocolVersion::TLSV1_3);
    }
    if offer12 {
        versions.push(ProtocolVersion::TLSV1_2);
    }
    // Schemes we can verify; rsa_pkcs1 stays in for certificate chains even in TLS 1.3.
    let schemes: Vec<SignatureScheme> = policy
        .signature_schemes
        .iter()
        .copied()
        .filter(|s| TLS12_VERIFY_SCHEMES.contains(s))
        .collect();
    // A policy that restricts certificate signatures says so (RFC 8446 §4.2.3),
    // so that a server with several chains can pick one we will accept; the
    // extension is left out when it would repeat signature_algorithms.
    let cert_schemes: Option<Vec<SignatureScheme>> = policy
        .certificate_signature_schemes
        .map(|l| {
            l.iter()
                .copied()
                .filter(|&s| crate::policy::certificate_scheme_implemented(s))
                .collect::<Vec<_>>()
        })
        .filter(|l| *l != schemes);
    let exts = ClientExtensions {
        signature_algorithms_cert: cert_schemes,
        server_name: if sent_sni {
            c.info.server_name.clone()
        } else {
            None
        },
        supported_versions: offer13.then_some(versions),
        supported_groups: Some(groups),
        signature_algorithms: Some(schemes),
        key_shares: offer13.then(|| {
            shares
                .iter()
                .map(|s| KeyShareEntry {
                    group: s.group(),
                    payload: s.public_key().to_vec(),
                })
                .collect()
        }),
        alpn: if c.alpn_prefs().is_empty() {
            None
        } else {
            Some(c.alpn_prefs().to_vec())
        },
        // TLS 1.2: EMS (RFC 7627), secure renegotiation signal (RFC 5746),
        // uncompressed points only (RFC 8422 §5.1.2).
        extended_master_secret: offer12,
        renegotiation_info: offer12.then(Vec::new),
        ec_point_formats: offer12.then(|| vec![0]),
        ..Default::default()
    };
    // A random session id puts TLS 1.3 in middlebox-compatibility mode; a
    // TLS 1.2-only hello asks for no resumption and sends none.
    let session_id = if offer13 {
        let mut id = vec![0u8; 32];
        rand::fill(&mut id)?;
        id
    } else {
        Vec::new()
    };
    let hello = ClientHello {
        legacy_version: ProtocolVersion::TLSV1_2,
        random: rand::random32()?,
        session_id,
        cipher_suites: suites,
        compression_methods: vec![0],
        extensions: exts.to_extensions()?,
    };
    let mut transcript = Transcript::new();
    // The first ClientHello goes out with record version 0x0301 for old middleboxes.
    c.plaintext_version = ProtocolVersion::TLSV1_0;
    c.queue_handshake(
        &HandshakeMessage::new(HandshakePayload::ClientHello(hello.clone())),
        &mut transcript,
    )?;
    c.flush_handshake()?;
    c.plaintext_version = ProtocolVersion::TLSV1_2;
    c.info.client_version = Some(if offer13 {
        ProtocolVersion::TLSV1_3
    } else {
        ProtocolVersion::TLSV1_2
    });
    Ok(State::ExpectServerHello(Box::new(ExpectServerHello {
        transcript,
        hello,
        exts,
        shares,
        hrr_suite: None,
    })))
}

impl State {
    /// Tests: the server's handshake key, once the ServerHello is in (to
    /// forge the server's encrypted flight).
    #[cfg(test)]
    pub(crate) fn server_handshake_keys(&self) -> Option<(&'static Tls13Suite, Secret)> {
        match self {
            State::ExpectEncryptedExtensions(n) => Some((n.suite, n.hs.server_traffic().clone())),
            _ => None,
        }
    }

    pub(crate) fn handle(self, c: &mut Common, msg: RawHandshake, boundary: bool) -> Result<Hs> {
        let parsed = HandshakeMessage::read_tls13(msg.typ, msg.body())?;
        match (self, parsed.payload) {
            (State::ExpectServerHello(s), HandshakePayload::ServerHello(sh)) => {
                if sh.is_hrr() {
                    // A ServerHello too (RFC 8446 §5.1): what follows it in its
                    // record would belong to a transcript not yet started.
                    require_boundary(boundary, "HelloRetryRequest")?;
                    s.handle_hrr(c, sh, &msg).map(Hs::Client13)
                } else {
                    s.handle_server_hello(c, sh, &msg, boundary)
                }
            }
            (state, payload) => state.handle13(c, payload, msg, boundary).map(Hs::Client13),
        }
    }

    fn handle13(
        self,
        c: &mut Common,
        payload: HandshakePayload,
        msg: RawHandshake,
        boundary: bool,
    ) -> Result<State> {
        match (self, payload) {
            (State::ExpectEncryptedExtensions(s), HandshakePayload::EncryptedExtensions(exts)) => {
                s.handle_ee(c, &exts, &msg)
            }
            (
                State::ExpectCertificateOrRequest(mut s),
                HandshakePayload::CertificateRequest13(cr),
            ) => {
                cr.check_in_handshake()?;
                s.cert_request = Some(cr.context);
                s.transcript.add(&msg.encoded);
                Ok(State::ExpectCertificate(s))
            }
            (
                State::ExpectCertificateOrRequest(s) | State::ExpectCertificate(s),
                HandshakePayload::Certificate13(cert),
            ) => s.handle_certificate(c, cert, &msg),
            (State::ExpectCertificateVerify(s), HandshakePayload::CertificateVerify(cv)) => {
                s.handle_certificate_verify(c, cv.scheme, &cv.signature, &msg)
            }
            (State::ExpectFinished(s), HandshakePayload::Finished(vd)) => {
                s.handle_finished(c, &vd, &msg, boundary)
            }
            (state, _) => Err(unexpected(msg.typ, state.name())),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            State::Start => "starting",
            State::ExpectServerHello(_) => "expecting ServerHello",
            State::ExpectEncryptedExtensions(_) => "expecting EncryptedExtensions",
            State::ExpectCertificateOrRequest(_) => "expecting Certificate or CertificateRequest",
            State::ExpectCertificate(_) => "expecting Certificate",
            State::ExpectCertificateVerify(_) => "expecting CertificateVerify",
            State::ExpectFinished(_) => "expecting Finished",
            State::Done => "connected",
        }
    }
}

/// The longest HelloRetryRequest cookie we echo. RFC 8446 allows up to
/// 2^16 - 1 bytes, but a cookie that long cannot fit beside our other
/// extensions in the second ClientHello, and servers need far less (a MAC and
/// a transcript hash). BoringSSL and rustls echo what fits; we refuse early.
pub(crate) const MAX_HRR_COOKIE: usize = 8192;

fn illegal(msg: &'static str) -> Error {
    Error::protocol(AlertDescription::ILLEGAL_PARAMETER, msg)
}

impl ExpectServerHello {
    fn check_common(&self, sh: &ServerHello) -> Result<&'static Tls13Suite> {
        if sh.session_id != self.hello.session_id {
            return Err(illegal("server did not echo our legacy_session_id"));
        }
        if sh.compression_method != 0 {
            return Err(illegal("server chose a compression method"));
        }
        if !self.hello.cipher_suites.contains(&sh.cipher_suite) {
            return Err(illegal("server chose a cipher suite we did not offer"));
        }
        if let Some(hrr) = self.hrr_suite {
            if hrr != sh.cipher_suite {
                return Err(illegal(
                    "ServerHello cipher suite differs from HelloRetryRequest's",
                ));
            }
        }
        tls13_suite(sh.cipher_suite).ok_or_else(|| illegal("server chose a non-TLS 1.3 suite"))
    }

    fn handle_hrr(
        mut self: Box<Self>,
        c: &mut Common,
        sh: ServerHello,
        msg: &RawHandshake,
    ) -> Result<State> {
        if self.hrr_suite.is_some() {
            return Err(Error::protocol(
                AlertDescription::UNEXPECTED_MESSAGE,
                "second HelloRetryRequest",
            ));
        }
        let suite = self.check_common(&sh)?;
        let exts = ServerExtensions::parse_answer(
            ServerExtContext::HelloRetryRequest,
            &sh.extensions,
            |t| self.hello.extensions.iter().any(|e| e.typ == t),
        )?;
        if exts.supported_version != Some(ProtocolVersion::TLSV1_3) {
            return Err(illegal(
                "HelloRetryRequest without supported_versions TLS 1.3",
            ));
        }
        if exts
            .cookie
            .as_ref()
            .is_some_and(|c| c.len() > MAX_HRR_COOKIE)
        {
            // The value is legal but out of the range we accept: illegal_parameter.
            return Err(illegal(
                "HelloRetryRequest cookie is longer than Baton echoes",
            ));
        }
        let offered_groups = self.exts.supported_groups.as_deref().unwrap_or_default();
        let group = match exts.hrr_selected_group {
            Some(g) => {
                if !offered_groups.contains(&g) || self.shares.iter().any(|s| s.group() == g) {
                    return Err(illegal(
                        "HelloRetryRequest selected a group we did not offer or already shared",
                    ));
                }
                Some(g)
            }
            None if exts.cookie.is_none() => {
                return Err(illegal(
                    "HelloRetryRequest would not change the ClientHello",
                ));
            }
            None => None,
        };
        self.transcript.start_hash(suite.hash);
        self.transcript.rollup_for_hrr();
        self.transcript.add(&msg.encoded);
        if let Some(g) = group {
            let share = KeyExchange::start(g)?;
            self.exts.key_shares = Some(vec![KeyShareEntry {
                group: g,
                payload: share.public_key().to_vec(),
            }]);
            self.shares = vec![share];
        }
        self.exts.cookie = exts.cookie;
        self.hello.extensions = self.exts.to_extensions()?;
        self.hrr_suite = Some(sh.cipher_suite);
        c.info.hello_retry = true;
        // Compatibility mode: our CCS goes before the second ClientHello.
        c.send_ccs()?;
        c.queue_handshake(
            &HandshakeMessage::new(HandshakePayload::ClientHello(self.hello.clone())),
            &mut self.transcript,
        )?;
        c.flush_handshake()?;
        Ok(State::ExpectServerHello(self))
    }

    fn handle_server_hello(
        mut self: Box<Self>,
        c: &mut Common,
        sh: ServerHello,
        msg: &RawHandshake,
        boundary: bool,
    ) -> Result<Hs> {
        let picks13 = sh
            .extensions
            .iter()
            .any(|e| e.typ == crate::msgs::enums::ExtensionType::SUPPORTED_VERSIONS);
        if !picks13 {
            // No supported_versions: the server wants TLS 1.2 or older.
            if self.hrr_suite.is_some() {
                return Err(Error::protocol(
                    AlertDescription::PROTOCOL_VERSION,
                    "server chose TLS 1.2 after a HelloRetryRequest",
                ));
            }
            if !c
                .config
                .inner
                .policy
                .allows_version(ProtocolVersion::TLSV1_2)
            {
                return Err(Error::protocol(
                    AlertDescription::PROTOCOL_VERSION,
                    "server does not support TLS 1.3 (the only version this policy allows)",
                ));
            }
            let s = *self;
            return client12::handle_server_hello(c, s.transcript, &s.hello, &s.exts, sh, msg)
                .map(Hs::Client12);
        }
        // RFC 8446 §4.2.1: a selected version before TLS 1.3 is
        // illegal_parameter; say so before judging the other extensions.
        let selected = sh
            .extensions
            .iter()
            .find(|e| e.typ == crate::msgs::enums::ExtensionType::SUPPORTED_VERSIONS);
        if let Some(&[hi, lo]) = selected.map(|e| e.data.as_slice()) {
            if u16::from_be_bytes([hi, lo]) < ProtocolVersion::TLSV1_3.0 {
                return Err(illegal(
                    "server selected a version before TLS 1.3 in supported_versions",
                ));
            }
        }
        let offered = self.exts.supported_versions.as_deref().unwrap_or_default();
        if !offered.contains(&ProtocolVersion::TLSV1_3) {
            // RFC 8446 §4.1.3: supported_versions naming a version we did not offer.
            return Err(illegal("server selected TLS 1.3, which we did not offer"));
        }
        require_boundary(boundary, "ServerHello")?;
        if sh.legacy_version != ProtocolVersion::TLSV1_2 {
            return Err(Error::protocol(
                AlertDescription::PROTOCOL_VERSION,
                "unexpected ServerHello legacy_version",
            ));
        }
        let exts =
            ServerExtensions::parse_answer(ServerExtContext::ServerHello13, &sh.extensions, |t| {
                self.hello.extensions.iter().any(|e| e.typ == t)
            })?;
        if exts.supported_version != Some(ProtocolVersion::TLSV1_3) {
            return Err(illegal("server selected a version we did not offer"));
        }
        let suite = self.check_common(&sh)?;
        if exts.pre_shared_key.is_some() {
            // We never offer a PSK yet: an answer to an extension we did not send.
            return Err(Error::protocol(
                AlertDescription::UNSUPPORTED_EXTENSION,
                "server selected a PSK but we offered none",
            ));
        }
        let share = exts.key_share.ok_or_else(|| {
            Error::protocol(
                AlertDescription::MISSING_EXTENSION,
                "ServerHello without key_share",
            )
        })?;
        let idx = self
            .shares
            .iter()
            .position(|s| s.group() == share.group)
            .ok_or_else(|| illegal("server key share is for a group we did not share"))?;
        let kx = self.shares.swap_remove(idx);
        let shared = kx.complete(&share.payload)?;
        if self.hrr_suite.is_none() {
            self.transcript.start_hash(suite.hash);
        }
        self.transcript.add(&msg.encoded);
        let hs = EarlySecret::new(suite.hash, None)
            .into_handshake(shared.as_bytes(), self.transcript.current_hash().as_bytes());
        c.set_decrypter(suite, hs.server_traffic(), KeyPhase::Handshake)?;
        // From here on everything we send, an alert about the server's
        // flight included, goes under our handshake key (RFC 8446 §5); the
        // compatibility CCS (unless sent with a second ClientHello) first.
        if !c.info.hello_retry {
            c.send_ccs()?;
        }
        c.set_encrypter(suite, hs.client_traffic(), KeyPhase::Handshake)?;
        c.info.version = Some(ProtocolVersion::TLSV1_3);
        c.info.server_version = Some(ProtocolVersion::TLSV1_3);
        c.info.suite = Some(suite.suite);
        c.info.group = Some(share.group);
        Ok(Hs::Client13(State::ExpectEncryptedExtensions(Box::new(
            Negotiated {
                transcript: self.transcript,
                suite,
                hs,
                offered_alpn: self.exts.alpn.unwrap_or_default(),
                sent: self.hello.extensions.iter().map(|e| e.typ).collect(),
                sent_sni: self.exts.server_name.is_some(),
                cert_request: None,
            },
        ))))
    }
}

impl Negotiated {
    fn handle_ee(
        mut self: Box<Self>,
        c: &mut Common,
        exts: &[crate::msgs::extensions::Extension],
        msg: &RawHandshake,
    ) -> Result<State> {
        let e = ServerExtensions::parse_answer(ServerExtContext::EncryptedExtensions, exts, |t| {
            self.sent.contains(&t)
        })?;
        // parse_answer already refused an ALPN answer to a hello without ALPN.
        if let Some(proto) = e.alpn {
            if !self.offered_alpn.contains(&proto) {
                return Err(illegal("server selected an ALPN protocol we did not offer"));
            }
            c.info.alpn = Some(proto);
        }
        if e.server_name_ack && !self.sent_sni {
            return Err(Error::protocol(
                AlertDescription::UNSUPPORTED_EXTENSION,
                "server_name acknowledged but not sent",
            ));
        }
        if e.early_data {
            return Err(Error::protocol(
                AlertDescription::UNSUPPORTED_EXTENSION,
                "early_data accepted but not offered",
            ));
        }
        self.transcript.add(&msg.encoded);
        Ok(State::ExpectCertificateOrRequest(self))
    }

    fn handle_certificate(
        mut self: Box<Self>,
        c: &mut Common,
        cert: Certificate13,
        msg: &RawHandshake,
    ) -> Result<State> {
        if !cert.context.is_empty() {
            return Err(illegal("server Certificate has a request context"));
        }
        if cert.entries.is_empty() {
            return Err(Error::protocol(
                AlertDescription::DECODE_ERROR,
                "server sent an empty certificate list",
            ));
        }
        cert.check_entry_extensions(|t| self.sent.contains(&t))?;
        c.info.peer_chain = cert.entries.into_iter().map(|e| e.cert).collect();
        self.transcript.add(&msg.encoded);
        Ok(State::ExpectCertificateVerify(self))
    }

    fn handle_certificate_verify(
        mut self: Box<Self>,
        c: &mut Common,
        scheme: SignatureScheme,
        sig: &[u8],
        msg: &RawHandshake,
    ) -> Result<State> {
        if !verify_schemes(c).contains(&scheme) {
            return Err(illegal(
                "CertificateVerify uses a signature scheme we did not offer",
            ));
        }
        verify_server_certificate(c)?;
        let content =
            cert_verify_content(SERVER_CV_CONTEXT, self.transcript.current_hash().as_bytes());
        let leaf = c
            .info
            .peer_chain
            .first()
            .ok_or_else(|| Error::internal("no peer certificate"))?;
        verify_signature(leaf, scheme, &content, sig, true)?;
        c.info.peer_signature_scheme = Some(scheme);
        self.transcript.add(&msg.encoded);
        Ok(State::ExpectFinished(self))
    }

    fn handle_finished(
        mut self: Box<Self>,
        c: &mut Common,
        vd: &[u8],
        msg: &RawHandshake,
        boundary: bool,
    ) -> Result<State> {
        require_boundary(boundary, "Finished")?;
        let hash = self.suite.hash;
        verify_finished(
            hash,
            self.hs.server_traffic(),
            &self.transcript,
            vd,
            "server",
        )?;
        self.transcript.add(&msg.encoded);
        let client_hs: Secret = self.hs.client_traffic().clone();
        let master = self
            .hs
            .into_master(self.transcript.current_hash().as_bytes());
        c.install_app_read(self.suite, master.server_traffic())?;
        if let Some(context) = self.cert_request.take() {
            // No client certificates yet: answer with an empty Certificate (RFC 8446 §4.4.2).
            let empty = Certificate13 {
                context,
                entries: Vec::new(),
            };
            c.queue_handshake(
                &HandshakeMessage::new(HandshakePayload::Certificate13(empty)),
                &mut self.transcript,
            )?;
        }
        let ours =
            finished_verify_data(hash, &client_hs, self.transcript.current_hash().as_bytes());
        c.queue_handshake(
            &HandshakeMessage::new(HandshakePayload::Finished(ours.as_bytes().to_vec())),
            &mut self.transcript,
        )?;
        c.install_app_write(self.suite, master.client_traffic())?;
        c.exporter = Some(super::common::Exporter::Tls13(
            hash,
            master.exporter_secret().clone(),
        ));
        c.traffic = Some(super::common::Traffic13 {
            suite: self.suite,
            ours: master.client_traffic().clone(),
            theirs: master.server_traffic().clone(),
        });
        Ok(State::Done)
    }
}

pub(crate) const SERVER_CV_CONTEXT: &[u8] = b"TLS 1.3, server CertificateVerify";

/// The signed content of CertificateVerify (RFC 8446 §4.4.3).
pub(crate) fn cert_verify_content(context: &[u8], transcript_hash: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(64 + context.len() + 1 + transcript_hash.len());
    v.extend_from_slice(&[0x20; 64]);
    v.extend_from_slice(context);
    v.push(0);
    v.extend_from_slice(transcript_hash);
    v
}

/// Validates the server's chain and name, unless verification is disabled.
pub(crate) fn verify_server_certificate(c: &Common) -> Result<()> {
    let cfg = &c.config.inner;
    // The leaf's keyUsage is not checked: webpki, Baton's only X.509 parser,
    // ignores an end entity's keyUsage by design (as rustls and Firefox do).
    if !cfg.verify_peer {
        return Ok(());
    }
    // rfc9151 and other policies with certificate signature preferences bound
    // the algorithms anywhere in the chain, not only in the handshake.
    cfg.trust.verify_server_chain_with(
        &c.info.peer_chain,
        (cfg.now)(),
        cfg.policy.certificate_signature_schemes,
    )?;
    let leaf = c
        .info
        .peer_chain
        .first()
        .ok_or_else(|| Error::internal("no peer certificate"))?;
    if let Some(cb) = &cfg.verify_host {
        let names = leaf_dns_names(leaf)?;
        if names.iter().any(|n| cb(n)) {
            return Ok(());
        }
        return Err(Error::protocol(
            AlertDescription::BAD_CERTIFICATE,
            "the verify-host callback accepted none of the certificate's names",
        ));
    }
    match c.info.server_name.as_deref() {
        Some(name) => check_host_name(leaf, name),
        None => Err(Error::protocol(
            AlertDescription::BAD_CERTIFICATE,
            "no server name to check the certificate against: set one on the connection or install a verify-host callback",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Engine, Mode};
    use crate::msgs::codec::Codec;
    use crate::msgs::enums::ContentType;
    use crate::msgs::handshake::HRR_RANDOM;
    use crate::record::MAX_PLAINTEXT;

    /// A started client and the ClientHello it sent.
    fn started_client() -> (Engine, ClientHello) {
        let cfg = crate::Config::builder_minimal().build().unwrap();
        let mut e = Engine::new(cfg, Mode::Client);
        e.c.info.server_name = Some("localhost".into());
        e.start().unwrap();
        let out = e.pending_output().to_vec();
        e.consume_output(out.len());
        let len = usize::from(u16::from_be_bytes([out[3], out[4]]));
        let ch = ClientHello::read_bytes(&out[5 + 4..5 + len]).unwrap();
        (e, ch)
    }

    /// A HelloRetryRequest for `ch` that asks only for `cookie` back.
    fn hrr(ch: &ClientHello, cookie: Vec<u8>) -> Vec<u8> {
        let suite = *ch
            .cipher_suites
            .iter()
            .find(|s| tls13_suite(**s).is_some())
            .unwrap();
        let exts = ServerExtensions {
            supported_version: Some(ProtocolVersion::TLSV1_3),
            cookie: Some(cookie),
            ..Default::default()
        };
        let sh = ServerHello {
            legacy_version: ProtocolVersion::TLSV1_2,
            random: HRR_RANDOM,
            session_id: ch.session_id.clone(),
            cipher_suite: suite,
            compression_method: 0,
            extensions: exts
                .to_extensions(ServerExtContext::HelloRetryRequest)
                .unwrap(),
        };
        HandshakeMessage::new(HandshakePayload::ServerHello(sh))
            .to_bytes()
            .unwrap()
    }

    /// Feeds a handshake message in plaintext records of at most 2^14 bytes.
    fn feed(e: &mut Engine, msg: &[u8]) -> Result<()> {
        for chunk in msg.chunks(MAX_PLAINTEXT) {
            let len = (chunk.len() as u16).to_be_bytes();
            let rec = [&[ContentType::HANDSHAKE.0, 3, 3, len[0], len[1]], chunk].concat();
            let space = e.read_space(usize::MAX);
            space[..rec.len()].copy_from_slice(&rec);
            e.commit_read(rec.len());
            e.process()?;
        }
        Ok(())
    }

    #[test]
    fn hrr_with_a_64k_cookie_is_refused_with_an_alert() {
        let (mut client, ch) = started_client();
        // Fits the HRR, but echoed it would overflow the second ClientHello's
        // u16 extension block (this used to fire an assert in the encoder).
        let err = feed(&mut client, &hrr(&ch, vec![0x5a; 65_500])).unwrap_err();
        assert_eq!(err.sent_alert(), Some(AlertDescription::ILLEGAL_PARAMETER));
        // The alert went out in plaintext (no keys yet), and no second ClientHello.
        assert_eq!(
            client.pending_output(),
            [ContentType::ALERT.0, 3, 3, 0, 2, 2, 47]
        );
        let again = client.process().unwrap_err();
        assert_eq!(
            again.sent_alert(),
            Some(AlertDescription::ILLEGAL_PARAMETER)
        );
    }

    #[test]
    fn hrr_cookie_up_to_the_limit_is_echoed() {
        let (mut client, ch) = started_client();
        let cookie = vec![0xc0; MAX_HRR_COOKIE];
        feed(&mut client, &hrr(&ch, cookie.clone())).unwrap();
        let out = client.pending_output().to_vec();
        // Compatibility CCS, then the second ClientHello carrying the cookie.
        assert_eq!(out[..6], [ContentType::CHANGE_CIPHER_SPEC.0, 3, 3, 0, 1, 1]);
        let hello = &out[6..];
        let len = usize::from(u16::from_be_bytes([hello[3], hello[4]]));
        let ch2 = ClientHello::read_bytes(&hello[5 + 4..5 + len]).unwrap();
        let exts = ClientExtensions::parse(&ch2.extensions).unwrap();
        assert_eq!(exts.cookie, Some(cookie));

        let (mut client, ch) = started_client();
        let err = feed(&mut client, &hrr(&ch, vec![0xc0; MAX_HRR_COOKIE + 1])).unwrap_err();
        assert_eq!(err.sent_alert(), Some(AlertDescription::ILLEGAL_PARAMETER));
    }

    #[test]
    fn a_client_hello_too_large_to_encode_is_an_internal_error_not_a_panic() {
        // Past the cookie check, the encoder is the last line of defence.
        let (_, ch) = started_client();
        let mut exts = ClientExtensions::parse(&ch.extensions).unwrap();
        exts.cookie = Some(vec![1; 65_500]);
        let hello = ClientHello {
            extensions: exts.to_extensions().unwrap(),
            ..ch
        };
        let msg = HandshakeMessage::new(HandshakePayload::ClientHello(hello));
        let mut buf = vec![7];
        assert!(msg.encode(&mut buf).is_err());
        assert_eq!(buf, [7], "nothing half-written");
        let cfg = crate::Config::builder_minimal().build().unwrap();
        let mut c = Common::new(cfg, Mode::Client);
        let err = c.queue_handshake(&msg, &mut Transcript::new()).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Internal);
        assert_eq!(err.sent_alert(), Some(AlertDescription::INTERNAL_ERROR));
    }
}
