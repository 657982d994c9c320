//! The tampering peer: two honest engines run a handshake flight by flight;
//! one flight is rewritten before the victim reads it.
//!
//! Plaintext flights (hellos, TLS 1.2's first flights) are edited as
//! handshake messages. Encrypted TLS 1.3 flights are opened with the key the
//! victim just derived, edited, and sealed again with that key, so only the
//! violation differs from what an honest peer sends. After the victim fails,
//! its output goes back to the tampering engine, which must read the alert.

use crate::cert::CertChainAndKey;
use crate::config::Config;
use crate::engine::{Engine, Mode};
use crate::error::Result;
use crate::msgs::codec::{Codec, Reader};
use crate::msgs::enums::{ContentType, ExtensionType, HandshakeType, NamedGroup};
use crate::msgs::extensions::Extension;
use crate::msgs::handshake::{ClientHello, ServerHello};
use crate::policy::SecurityPolicy;
use crate::record::protect::{Decrypter, Encrypter, TrafficKeys};
use crate::{CipherSuite, ProtocolVersion, SignatureScheme};

/// Which honest handshake the row tampers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Setup {
    /// TLS 1.3 only on both sides, X25519 shared at once.
    Tls13,
    /// TLS 1.3; the server wants P-384, so it sends a HelloRetryRequest.
    /// Flights: CH1, HRR, CH2, server flight, client Finished.
    Hrr,
    /// TLS 1.2 only, ECDHE-ECDSA AES-128-GCM.
    Tls12,
    /// TLS 1.2 only, ECDHE-ECDSA ChaCha20-Poly1305 (RFC 7905).
    Tls12ChaCha,
    /// A client offering TLS 1.2 and 1.3 against a TLS 1.2-only server.
    Downgrade,
    /// A TLS 1.2-only client against a server that also has TLS 1.3.
    FallbackToTls12,
    /// TLS 1.3; the client offers ALPN "h2" and "http/1.1", the server picks "h2".
    Alpn,
    /// TLS 1.3; the client offers only "http/1.1", the server wants "h2".
    AlpnMismatch,
}

fn leak(p: SecurityPolicy) -> &'static SecurityPolicy {
    Box::leak(Box::new(p))
}

fn policy13(groups: &'static [NamedGroup]) -> &'static SecurityPolicy {
    let base = crate::policy::default_policy();
    leak(SecurityPolicy {
        name: "rfc-tls13",
        min_version: ProtocolVersion::TLSV1_3,
        max_version: ProtocolVersion::TLSV1_3,
        cipher_suites: &[
            CipherSuite::TLS13_AES_128_GCM_SHA256,
            CipherSuite::TLS13_AES_256_GCM_SHA384,
            CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
        ],
        signature_schemes: base.signature_schemes,
        certificate_signature_schemes: None,
        groups,
        chacha20_boosted: false,
    })
}

fn policy12(suite: &'static [CipherSuite], max: ProtocolVersion) -> &'static SecurityPolicy {
    leak(SecurityPolicy {
        name: "rfc-tls12",
        min_version: ProtocolVersion::TLSV1_2,
        max_version: max,
        cipher_suites: suite,
        signature_schemes: &[SignatureScheme::ECDSA_SECP256R1_SHA256],
        certificate_signature_schemes: None,
        // P-256 also names the certificate's curve (RFC 8422 §5.1).
        groups: &[NamedGroup::X25519, NamedGroup::SECP256R1],
        chacha20_boosted: false,
    })
}

fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// An honest client (SNI "localhost") and server for `setup`.
pub(super) fn pair(setup: Setup) -> (Engine, Engine) {
    const ALL: &[NamedGroup] = &[
        NamedGroup::X25519,
        NamedGroup::SECP256R1,
        NamedGroup::SECP384R1,
    ];
    const GCM: &[CipherSuite] = &[CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256];
    const CHACHA: &[CipherSuite] = &[CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256];
    const BOTH: &[CipherSuite] = &[
        CipherSuite::TLS13_AES_128_GCM_SHA256,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    ];
    let (cp, sp) = match setup {
        Setup::Tls13 => (policy13(ALL), policy13(ALL)),
        Setup::Hrr => (policy13(ALL), policy13(&[NamedGroup::SECP384R1])),
        Setup::Tls12 => {
            let p = policy12(GCM, ProtocolVersion::TLSV1_2);
            (p, p)
        }
        Setup::Tls12ChaCha => {
            let p = policy12(CHACHA, ProtocolVersion::TLSV1_2);
            (p, p)
        }
        Setup::Downgrade => (
            policy12(BOTH, ProtocolVersion::TLSV1_3),
            policy12(GCM, ProtocolVersion::TLSV1_2),
        ),
        Setup::FallbackToTls12 => (
            policy12(GCM, ProtocolVersion::TLSV1_2),
            policy12(BOTH, ProtocolVersion::TLSV1_3),
        ),
        Setup::Alpn | Setup::AlpnMismatch => (policy13(ALL), policy13(ALL)),
    };
    let (client_alpn, server_alpn): (&[&str], &[&str]) = match setup {
        Setup::Alpn => (&["h2", "http/1.1"], &["h2"]),
        Setup::AlpnMismatch => (&["http/1.1"], &["h2"]),
        _ => (&[], &[]),
    };
    let mut sb = Config::builder_minimal();
    sb.add_cert_chain_and_key(
        CertChainAndKey::from_pem_files(data("server-p256-chain.pem"), data("server-p256.key"))
            .unwrap(),
    );
    sb.custom_security_policy(sp).unwrap();
    if !server_alpn.is_empty() {
        sb.set_alpn_preferences(server_alpn).unwrap();
    }
    let mut cb = Config::builder_minimal();
    cb.add_pem_to_trust_store(&std::fs::read(data("ca-ecdsa.pem")).unwrap())
        .unwrap();
    cb.custom_security_policy(cp).unwrap();
    if !client_alpn.is_empty() {
        cb.set_alpn_preferences(client_alpn).unwrap();
    }
    let mut client = Engine::new(cb.build().unwrap(), Mode::Client);
    client.set_server_name("localhost".into());
    (client, Engine::new(sb.build().unwrap(), Mode::Server))
}

/// One handshake message: type and body (no 4-byte header).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Msg {
    pub typ: HandshakeType,
    pub body: Vec<u8>,
}

impl Msg {
    pub(super) fn new(typ: HandshakeType, body: &[u8]) -> Self {
        Self {
            typ,
            body: body.to_vec(),
        }
    }
}

/// The messages in `bytes` (an honest engine's output: well formed).
pub(super) fn split(mut bytes: &[u8]) -> Vec<Msg> {
    let mut v = Vec::new();
    while !bytes.is_empty() {
        let len = u32::from_be_bytes([0, bytes[1], bytes[2], bytes[3]]) as usize;
        v.push(Msg::new(HandshakeType(bytes[0]), &bytes[4..4 + len]));
        bytes = &bytes[4 + len..];
    }
    v
}

pub(super) fn join(msgs: &[Msg]) -> Vec<u8> {
    let mut v = Vec::new();
    for m in msgs {
        v.push(m.typ.0);
        v.extend_from_slice(&(m.body.len() as u32).to_be_bytes()[1..]);
        v.extend_from_slice(&m.body);
    }
    v
}

/// One plaintext record (TLS 1.2 record version), payload unchecked.
pub(super) fn record(typ: ContentType, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![typ.0, 3, 3];
    v.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    v.extend_from_slice(payload);
    v
}

/// The records in `bytes`: (type, payload).
pub(super) fn records(mut bytes: &[u8]) -> Vec<(ContentType, Vec<u8>)> {
    let mut v = Vec::new();
    while !bytes.is_empty() {
        let len = usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
        v.push((ContentType(bytes[0]), bytes[5..5 + len].to_vec()));
        bytes = &bytes[5 + len..];
    }
    v
}

pub(super) fn take_output(e: &mut Engine) -> Vec<u8> {
    let out = e.pending_output().to_vec();
    e.consume_output(out.len());
    out
}

pub(super) fn feed(e: &mut Engine, bytes: &[u8]) -> Result<()> {
    let mut off = 0;
    while off < bytes.len() {
        let space = e.read_space(usize::MAX);
        let n = space.len().min(bytes.len() - off);
        space[..n].copy_from_slice(&bytes[off..off + n]);
        e.commit_read(n);
        off += n;
        e.process()?;
    }
    Ok(())
}

/// The one message of type `typ` in `msgs`.
pub(super) fn msg_mut(msgs: &mut [Msg], typ: HandshakeType) -> &mut Msg {
    msgs.iter_mut()
        .find(|m| m.typ == typ)
        .expect("no such message")
}

/// Decodes the ClientHello in `msgs`, lets `f` change it, encodes it back.
pub(super) fn edit_ch(msgs: &mut [Msg], f: impl FnOnce(&mut ClientHello)) {
    let m = msg_mut(msgs, HandshakeType::CLIENT_HELLO);
    let mut ch = ClientHello::read(&mut Reader::new(&m.body)).unwrap();
    f(&mut ch);
    m.body = ch.get_encoding().unwrap();
}

/// The same for the ServerHello (or HelloRetryRequest).
pub(super) fn edit_sh(msgs: &mut [Msg], f: impl FnOnce(&mut ServerHello)) {
    let m = msg_mut(msgs, HandshakeType::SERVER_HELLO);
    let mut sh = ServerHello::read(&mut Reader::new(&m.body)).unwrap();
    f(&mut sh);
    m.body = sh.get_encoding().unwrap();
}

/// Replaces (or appends) the body of extension `typ`.
pub(super) fn set_ext(exts: &mut Vec<Extension>, typ: ExtensionType, data: &[u8]) {
    match exts.iter_mut().find(|e| e.typ == typ) {
        Some(e) => e.data = data.to_vec(),
        None => exts.push(Extension {
            typ,
            data: data.to_vec(),
        }),
    }
}

pub(super) fn remove_ext(exts: &mut Vec<Extension>, typ: ExtensionType) {
    let before = exts.len();
    exts.retain(|e| e.typ != typ);
    assert_ne!(before, exts.len(), "{typ:?} was not there");
}

pub(super) fn ext(exts: &[Extension], typ: ExtensionType) -> Vec<u8> {
    exts.iter()
        .find(|e| e.typ == typ)
        .map(|e| e.data.clone())
        .expect("no such extension")
}

/// What a row does to one flight.
#[derive(Clone, Copy)]
pub(super) enum Edit {
    /// Rewrites the handshake messages of the flight's plaintext records
    /// (sent again as one record, where the first of them was).
    Plain(fn(&mut Vec<Msg>)),
    /// The plaintext records go through unchanged; the messages of the
    /// protected ones are rewritten and sealed again in one record.
    Sealed(fn(&mut Vec<Msg>)),
    /// Like `Sealed`, but the row builds the protected records itself from
    /// the plaintext handshake bytes and a sealer.
    SealedRaw(fn(&mut Sealer, &[u8]) -> Vec<u8>),
    /// The flight's records as bytes, rewritten as they are.
    Raw(fn(&mut Vec<u8>)),
}

/// Seals records under the key the victim reads the flight with.
pub(super) struct Sealer {
    keys: TrafficKeys,
    seq: u64,
}

impl Sealer {
    fn new(keys: TrafficKeys) -> Self {
        let seq = keys.seq;
        Self { keys, seq }
    }

    fn decrypter(&self) -> Decrypter {
        let k = &self.keys;
        let mut d = if k.version == ProtocolVersion::TLSV1_3 {
            Decrypter::new_tls13(k.aead, &k.key, k.iv.as_bytes().try_into().unwrap())
        } else {
            Decrypter::new_tls12(k.aead, &k.key, k.iv.as_bytes())
        }
        .unwrap();
        d.set_seq_for_test(self.seq);
        d
    }

    /// A record of type `typ` holding `data`, sealed as our record layer does.
    pub(super) fn seal(&mut self, typ: ContentType, data: &[u8]) -> Vec<u8> {
        let k = &self.keys;
        let mut e = if k.version == ProtocolVersion::TLSV1_3 {
            Encrypter::new_tls13(k.aead, &k.key, k.iv.as_bytes().try_into().unwrap())
        } else {
            Encrypter::new_tls12(k.aead, &k.key, k.iv.as_bytes())
        }
        .unwrap();
        e.set_seq_for_test(self.seq);
        let mut out = Vec::new();
        e.seal(typ, data, 0, &mut out).unwrap();
        self.seq += 1;
        out
    }

    /// A TLS 1.3 record whose TLSInnerPlaintext is `inner` verbatim (content,
    /// type byte and padding), which our record layer refuses to build.
    pub(super) fn seal_inner(&mut self, inner: &[u8]) -> Vec<u8> {
        use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey};
        let k = &self.keys;
        let alg = match k.aead {
            crate::crypto::aead::AeadAlg::Aes128Gcm => &aws_lc_rs::aead::AES_128_GCM,
            crate::crypto::aead::AeadAlg::Aes256Gcm => &aws_lc_rs::aead::AES_256_GCM,
            crate::crypto::aead::AeadAlg::ChaCha20Poly1305 => &aws_lc_rs::aead::CHACHA20_POLY1305,
        };
        let key = LessSafeKey::new(UnboundKey::new(alg, k.key.as_bytes()).unwrap());
        let mut nonce: [u8; 12] = k.iv.as_bytes().try_into().unwrap();
        for (n, s) in nonce[4..].iter_mut().zip(self.seq.to_be_bytes()) {
            *n ^= s;
        }
        self.seq += 1;
        let len = (inner.len() + 16) as u16;
        let header = [
            ContentType::APPLICATION_DATA.0,
            3,
            3,
            (len >> 8) as u8,
            len as u8,
        ];
        let mut body = inner.to_vec();
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(header),
            &mut body,
        )
        .unwrap();
        [&header[..], &body].concat()
    }
}

/// How a tampered exchange ended.
pub(super) struct Outcome {
    /// The victim's result for the tampered flight (and what followed).
    pub victim: Result<()>,
    /// The tampering engine's result on reading the victim's answer.
    pub peer: Result<()>,
}

/// Runs `setup`'s handshake; flight `flight` (0 = the first ClientHello)
/// goes through `edit`.
pub(super) fn tamper(setup: Setup, flight: usize, edit: Edit) -> Outcome {
    let (mut client, mut server) = pair(setup);
    client.start().unwrap();
    for n in 0..=flight {
        let (from, to) = if n % 2 == 0 {
            (&mut client, &mut server)
        } else {
            (&mut server, &mut client)
        };
        let out = take_output(from);
        assert!(!out.is_empty(), "{setup:?} has no flight {n}");
        if n < flight {
            feed(to, &out).unwrap_or_else(|e| panic!("honest flight {n} failed: {e:?}"));
            continue;
        }
        let victim = deliver(to, &out, edit);
        let answer = take_output(to);
        let peer = feed(from, &answer);
        return Outcome { victim, peer };
    }
    unreachable!()
}

fn deliver(to: &mut Engine, out: &[u8], edit: Edit) -> Result<()> {
    let recs = records(out);
    let protected = |t: ContentType, done_plain: bool| {
        t == ContentType::APPLICATION_DATA || (done_plain && t != ContentType::CHANGE_CIPHER_SPEC)
    };
    match edit {
        Edit::Raw(f) => {
            let mut bytes = out.to_vec();
            f(&mut bytes);
            feed(to, &bytes)
        }
        Edit::Plain(f) => {
            // TLS 1.2: what follows a change_cipher_spec is protected.
            let plain = recs
                .iter()
                .position(|(t, _)| *t == ContentType::CHANGE_CIPHER_SPEC && to.is_tls12())
                .unwrap_or(recs.len());
            let hs: Vec<u8> = recs[..plain]
                .iter()
                .filter(|(t, _)| *t == ContentType::HANDSHAKE)
                .flat_map(|(_, p)| p.clone())
                .collect();
            let mut msgs = split(&hs);
            f(&mut msgs);
            let mut bytes = record(ContentType::HANDSHAKE, &join(&msgs));
            for (i, (t, p)) in recs.iter().enumerate() {
                if i >= plain || *t != ContentType::HANDSHAKE {
                    bytes.extend_from_slice(&record(*t, p));
                }
            }
            feed(to, &bytes)
        }
        Edit::Sealed(_) | Edit::SealedRaw(_) => {
            // Plaintext first (a ServerHello; TLS 1.2: up to its CCS), then the victim's
            // read key is the one the rest was sealed under.
            let mut after_ccs = false;
            let mut sealed = Vec::new();
            for (t, p) in &recs {
                if protected(*t, after_ccs && to.is_tls12()) {
                    sealed.push((*t, p.clone()));
                } else {
                    after_ccs |= *t == ContentType::CHANGE_CIPHER_SPEC;
                    feed(to, &record(*t, p))?;
                }
            }
            let keys = to.c.recv.state.decrypter().unwrap().traffic_keys();
            let mut sealer = Sealer::new(keys);
            let mut dec = sealer.decrypter();
            let mut hs = Vec::new();
            for (t, p) in &sealed {
                let mut p = p.clone();
                let header = record(*t, &p)[..5].try_into().unwrap();
                let (typ, range) = dec.open(&header, &mut p).unwrap();
                assert_eq!(
                    typ,
                    ContentType::HANDSHAKE,
                    "only handshake records are edited"
                );
                hs.extend_from_slice(&p[range]);
            }
            let bytes = match edit {
                Edit::Sealed(f) => {
                    let mut msgs = split(&hs);
                    f(&mut msgs);
                    sealer.seal(ContentType::HANDSHAKE, &join(&msgs))
                }
                Edit::SealedRaw(f) => f(&mut sealer, &hs),
                _ => unreachable!(),
            };
            feed(to, &bytes)
        }
    }
}

/// A connected pair for `setup`.
pub(super) fn connected(setup: Setup) -> (Engine, Engine) {
    let (mut client, mut server) = pair(setup);
    client.start().unwrap();
    for _ in 0..4 {
        let out = take_output(&mut client);
        feed(&mut server, &out).unwrap();
        let out = take_output(&mut server);
        feed(&mut client, &out).unwrap();
    }
    assert!(client.is_handshake_complete() && server.is_handshake_complete());
    (client, server)
}

/// After the handshake, `from` seals `records` ((type, plaintext)) with its own
/// traffic key and the other side reads them.
pub(super) fn after_handshake(setup: Setup, from: Mode, recs: &[(ContentType, &[u8])]) -> Outcome {
    let (mut client, mut server) = connected(setup);
    let (from, to) = match from {
        Mode::Client => (&mut client, &mut server),
        Mode::Server => (&mut server, &mut client),
    };
    let mut bytes = Vec::new();
    for (t, p) in recs {
        let enc = from.c.send.state.encrypter_mut().unwrap();
        enc.seal(*t, p, 0, &mut bytes).unwrap();
    }
    let victim = feed(to, &bytes);
    let answer = take_output(to);
    Outcome {
        victim,
        peer: feed(from, &answer),
    }
}

impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |r: &Result<()>| match r {
            Ok(()) => "Ok".to_string(),
            Err(e) => format!("{:?}: {}", e.kind(), e.message()),
        };
        write!(
            f,
            "victim {}, peer {}",
            show(&self.victim),
            show(&self.peer)
        )
    }
}
