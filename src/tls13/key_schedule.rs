//! The TLS 1.3 key schedule (RFC 8446 §7.1) as typestates:
//!
//! ```text
//!              0
//!              |
//!    PSK ->  HKDF-Extract = Early Secret
//!              |
//!        Derive-Secret(., "derived", "")
//!              |
//!  (EC)DHE -> HKDF-Extract = Handshake Secret  -> c/s hs traffic (CH..SH)
//!              |
//!        Derive-Secret(., "derived", "")
//!              |
//!   0 -> HKDF-Extract = Master Secret -> c/s ap traffic, exporter (CH..server Finished),
//!                                        resumption (CH..client Finished)
//! ```

use crate::crypto::aead::AeadAlg;
use crate::crypto::hash::{HashAlg, HashOutput, PrkKey};
use crate::secrets::Secret;
use std::sync::OnceLock;

/// Early Secret stage.
///
/// Each stage keeps its secret's HMAC key ready (`PrkKey`): every secret
/// derived from one stage reuses it instead of setting up HMAC again.
pub(crate) struct EarlySecret {
    alg: HashAlg,
    secret: Secret,
    /// `None` for the all-zero PSK of a full handshake, whose early and
    /// derived secrets are constants, computed once per hash.
    prk: Option<PrkKey>,
}

/// Handshake Secret stage, with both handshake traffic secrets.
pub(crate) struct HandshakeSecret {
    alg: HashAlg,
    #[cfg_attr(not(test), allow(dead_code))] // checked against RFC 8448 in tests
    secret: Secret,
    prk: PrkKey,
    client: Secret,
    server: Secret,
}

/// Master Secret stage, with both application traffic secrets.
pub(crate) struct MasterSecret {
    #[cfg_attr(not(test), allow(dead_code))] // checked against RFC 8448 in tests
    secret: Secret,
    prk: PrkKey,
    client: Secret,
    server: Secret,
    exporter: Secret,
}

/// Hash("") for each hash: the context of every Derive-Secret(., "derived", "").
fn empty_hash(alg: HashAlg) -> &'static [u8] {
    static HASHES: OnceLock<[HashOutput; 2]> = OnceLock::new();
    let h = HASHES.get_or_init(|| [HashAlg::Sha256.hash(b""), HashAlg::Sha384.hash(b"")]);
    match alg {
        HashAlg::Sha256 => h[0].as_bytes(),
        HashAlg::Sha384 => h[1].as_bytes(),
    }
}

/// Derive-Secret(secret, "derived", "") — the salt for the next extract.
fn derived(prk: &PrkKey, alg: HashAlg) -> Secret {
    prk.expand_label_secret(b"derived", empty_hash(alg))
}

/// The early secret of a full handshake (PSK of HashLen zeros) and the
/// salt it derives: the same for every handshake of one hash.
fn zero_psk(alg: HashAlg) -> &'static (Secret, Secret) {
    static ZERO: OnceLock<[(Secret, Secret); 2]> = OnceLock::new();
    let z = ZERO.get_or_init(|| {
        [HashAlg::Sha256, HashAlg::Sha384].map(|alg| {
            let secret = alg.hkdf_extract(&[], &[0u8; 64][..alg.output_len()]);
            let salt = derived(&alg.prk_key(secret.as_bytes()), alg);
            (secret, salt)
        })
    });
    match alg {
        HashAlg::Sha256 => &z[0],
        HashAlg::Sha384 => &z[1],
    }
}

impl EarlySecret {
    /// `psk` = None means a zero-filled PSK (full handshake).
    pub(crate) fn new(alg: HashAlg, psk: Option<&[u8]>) -> Self {
        // Salt 0: RFC 8446 §7.1 — a zero-length salt, which HMAC treats as HashLen zeros.
        match psk {
            Some(psk) => {
                let secret = alg.hkdf_extract(&[], psk);
                let prk = Some(alg.prk_key(secret.as_bytes()));
                Self { alg, secret, prk }
            }
            None => Self {
                alg,
                secret: zero_psk(alg).0.clone(),
                prk: None,
            },
        }
    }

    /// The early secret's HMAC key (made here for the zero PSK, which
    /// derives nothing but its cached salt in a full handshake).
    fn with_prk<T>(&self, f: impl FnOnce(&PrkKey) -> T) -> T {
        match &self.prk {
            Some(p) => f(p),
            None => f(&self.alg.prk_key(self.secret.as_bytes())),
        }
    }

    #[cfg(test)]
    pub(crate) fn alg(&self) -> HashAlg {
        self.alg
    }

    /// binder_key = Derive-Secret(early, "ext binder" | "res binder", "").
    pub(crate) fn binder_key(&self, external: bool) -> Secret {
        let label: &[u8] = if external {
            b"ext binder"
        } else {
            b"res binder"
        };
        self.with_prk(|p| p.expand_label_secret(label, empty_hash(self.alg)))
    }

    /// client_early_traffic_secret with Hash(ClientHello).
    pub(crate) fn client_early_traffic(&self, client_hello_hash: &[u8]) -> Secret {
        self.with_prk(|p| p.expand_label_secret(b"c e traffic", client_hello_hash))
    }

    /// Enters the handshake stage with the (EC)DHE shared secret and Hash(ClientHello..ServerHello).
    pub(crate) fn into_handshake(self, shared: &[u8], hello_hash: &[u8]) -> HandshakeSecret {
        let alg = self.alg;
        let secret = match &self.prk {
            Some(prk) => alg.hkdf_extract(derived(prk, alg).as_bytes(), shared),
            None => alg.hkdf_extract(zero_psk(alg).1.as_bytes(), shared),
        };
        let prk = alg.prk_key(secret.as_bytes());
        let client = prk.expand_label_secret(b"c hs traffic", hello_hash);
        let server = prk.expand_label_secret(b"s hs traffic", hello_hash);
        HandshakeSecret {
            alg,
            secret,
            prk,
            client,
            server,
        }
    }

    #[cfg(test)]
    pub(crate) fn secret(&self) -> &Secret {
        &self.secret
    }
}

impl HandshakeSecret {
    pub(crate) fn client_traffic(&self) -> &Secret {
        &self.client
    }
    pub(crate) fn server_traffic(&self) -> &Secret {
        &self.server
    }
    /// Enters the master stage with Hash(ClientHello..server Finished).
    pub(crate) fn into_master(self, server_finished_hash: &[u8]) -> MasterSecret {
        let alg = self.alg;
        let salt = derived(&self.prk, alg);
        let zeros = [0u8; 64];
        let secret = alg.hkdf_extract(salt.as_bytes(), &zeros[..alg.output_len()]);
        let prk = alg.prk_key(secret.as_bytes());
        let client = prk.expand_label_secret(b"c ap traffic", server_finished_hash);
        let server = prk.expand_label_secret(b"s ap traffic", server_finished_hash);
        let exporter = prk.expand_label_secret(b"exp master", server_finished_hash);
        MasterSecret {
            secret,
            prk,
            client,
            server,
            exporter,
        }
    }

    #[cfg(test)]
    pub(crate) fn secret(&self) -> &Secret {
        &self.secret
    }
}

impl MasterSecret {
    pub(crate) fn client_traffic(&self) -> &Secret {
        &self.client
    }
    pub(crate) fn server_traffic(&self) -> &Secret {
        &self.server
    }
    pub(crate) fn exporter_secret(&self) -> &Secret {
        &self.exporter
    }
    /// resumption_master_secret with Hash(ClientHello..client Finished).
    pub(crate) fn resumption_secret(&self, client_finished_hash: &[u8]) -> Secret {
        self.prk
            .expand_label_secret(b"res master", client_finished_hash)
    }

    #[cfg(test)]
    pub(crate) fn secret(&self) -> &Secret {
        &self.secret
    }
}

/// verify_data = HMAC(finished_key, transcript_hash), finished_key = HKDF-Expand-Label(base, "finished", "", Hash.length).
pub(crate) fn finished_verify_data(
    alg: HashAlg,
    base_secret: &Secret,
    transcript_hash: &[u8],
) -> HashOutput {
    let finished_key = alg.expand_label_secret(base_secret.as_bytes(), b"finished", b"");
    alg.hmac(finished_key.as_bytes(), transcript_hash)
}

/// application_traffic_secret_N+1 = HKDF-Expand-Label(secret_N, "traffic upd", "", Hash.length).
pub(crate) fn next_traffic_secret(alg: HashAlg, secret: &Secret) -> Secret {
    alg.expand_label_secret(secret.as_bytes(), b"traffic upd", b"")
}

/// Record key and IV for a traffic secret: (HKDF-Expand-Label(s, "key", "", key_len), ... "iv", 12).
pub(crate) fn traffic_key_iv(alg: HashAlg, aead: AeadAlg, secret: &Secret) -> (Secret, [u8; 12]) {
    let prk = alg.prk_key(secret.as_bytes());
    let mut key = [0u8; 32];
    let key = &mut key[..aead.key_len()];
    prk.expand_label(b"key", b"", key);
    let out = Secret::new(key);
    zeroize::Zeroize::zeroize(key);
    let mut iv = [0u8; AeadAlg::NONCE_LEN];
    prk.expand_label(b"iv", b"", &mut iv);
    (out, iv)
}

/// The PSK for a ticket: HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length)
/// (RFC 8446 §4.6.1). The nonce comes from the peer, so its length (≤ 255) is checked.
pub(crate) fn resumption_psk(
    alg: HashAlg,
    resumption_secret: &Secret,
    ticket_nonce: &[u8],
) -> Result<Secret, crate::error::Error> {
    let mut buf = [0u8; 64];
    let out = &mut buf[..alg.output_len()];
    alg.try_hkdf_expand_label(
        resumption_secret.as_bytes(),
        b"resumption",
        ticket_nonce,
        out,
    )?;
    let psk = Secret::new(out);
    zeroize::Zeroize::zeroize(&mut buf);
    Ok(psk)
}

/// TLS-Exporter(label, context, length) (RFC 8446 §7.5) from the (early) exporter master secret.
/// `label` ≤ 249 bytes and `out.len()` ≤ 255 * Hash.length, else a Usage error.
pub(crate) fn export(
    alg: HashAlg,
    exporter_secret: &Secret,
    label: &[u8],
    context: &[u8],
    out: &mut [u8],
) -> Result<(), crate::error::Error> {
    if label.len() > crate::crypto::hash::MAX_LABEL_LEN {
        return Err(crate::error::Error::usage("exporter label too long"));
    }
    let mut buf = [0u8; 64];
    let derived = &mut buf[..alg.output_len()];
    alg.try_hkdf_expand_label(
        exporter_secret.as_bytes(),
        label,
        alg.hash(b"").as_bytes(),
        derived,
    )?;
    let r = alg.try_hkdf_expand_label(derived, b"exporter", alg.hash(context).as_bytes(), out);
    zeroize::Zeroize::zeroize(&mut buf);
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::hash::Transcript;
    use crate::crypto::kx::KeyExchange;
    use crate::msgs::enums::{ContentType, NamedGroup};
    use crate::record::deframer::Deframer;
    use crate::record::protect::{Decrypter, Encrypter};
    use crate::secrets::ct_eq;
    use crate::tls13::rfc8448::{self as t, unhex};

    const SHA256: HashAlg = HashAlg::Sha256;
    const AEAD: AeadAlg = AeadAlg::Aes128Gcm;

    fn check(got: &[u8], want_hex: &str, what: &str) {
        assert_eq!(hex(got), hex(&unhex(want_hex)), "{what}");
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    /// Splits concatenated handshake messages (type, u24 length, body).
    fn split_messages(mut b: &[u8]) -> Vec<&[u8]> {
        let mut out = Vec::new();
        while !b.is_empty() {
            let len = (usize::from(b[1]) << 16) | (usize::from(b[2]) << 8) | usize::from(b[3]);
            let (m, rest) = b.split_at(4 + len);
            out.push(m);
            b = rest;
        }
        out
    }

    fn keys(secret: &Secret, key_hex: &str, iv_hex: &str, what: &str) -> (Secret, [u8; 12]) {
        let (key, iv) = traffic_key_iv(SHA256, AEAD, secret);
        check(key.as_bytes(), key_hex, what);
        check(&iv, iv_hex, what);
        (key, iv)
    }

    /// Opens one whole record (header included) from hex; returns (type, plaintext).
    fn open_record(d: &mut Decrypter, rec_hex: &str) -> (ContentType, Vec<u8>) {
        let mut df = Deframer::new();
        let rec = unhex(rec_hex);
        assert_eq!(df.feed(&rec), rec.len());
        let r = df.next_record().unwrap().unwrap();
        assert_eq!(r.header.typ, ContentType::APPLICATION_DATA);
        let (typ, n) = d.open(&r.header_bytes, r.payload).unwrap();
        (typ, r.payload[n].to_vec())
    }

    fn seal_record(e: &mut Encrypter, typ: ContentType, pt: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        e.seal(typ, pt, 0, &mut out).unwrap();
        out
    }

    /// RFC 8448 §3, end to end: key exchange, transcript, every secret, key and IV,
    /// both Finished values, and every protected record of the trace opened and
    /// re-sealed byte for byte.
    #[test]
    fn rfc8448_simple_1rtt() {
        // (EC)DHE from the RFC's private keys.
        let client_kx =
            KeyExchange::from_private_key_for_test(NamedGroup::X25519, &unhex(t::CLIENT_PRIV))
                .unwrap();
        let shared = client_kx.complete(&unhex(t::SERVER_PUB)).unwrap();
        check(shared.as_bytes(), t::ECDHE, "x25519 shared secret");

        // ClientHello is sent before the hash is known; ServerHello fixes it.
        let ch = unhex(t::CLIENT_HELLO);
        assert_eq!(ch.len(), 196);
        let mut df = Deframer::new();
        df.feed(&unhex(t::SERVER_HELLO_RECORD));
        df.feed(&unhex(t::SERVER_FLIGHT_RECORD));
        let sh = {
            let r = df.next_record().unwrap().unwrap();
            assert_eq!(r.header.typ, ContentType::HANDSHAKE);
            r.payload.to_vec()
        };
        assert_eq!(sh.len(), 90);
        let mut transcript = Transcript::new();
        transcript.add(&ch);
        transcript.start_hash(SHA256);
        transcript.add(&sh);
        let hello_hash = transcript.current_hash();
        check(hello_hash.as_bytes(), t::HELLO_HASH, "Hash(CH..SH)");

        // Early and handshake secrets.
        let early = EarlySecret::new(SHA256, None);
        check(early.secret().as_bytes(), t::EARLY_SECRET, "early secret");
        let hs = early.into_handshake(shared.as_bytes(), hello_hash.as_bytes());
        check(
            hs.secret().as_bytes(),
            t::HANDSHAKE_SECRET,
            "handshake secret",
        );
        check(
            hs.client_traffic().as_bytes(),
            t::CLIENT_HS_TRAFFIC,
            "c hs traffic",
        );
        check(
            hs.server_traffic().as_bytes(),
            t::SERVER_HS_TRAFFIC,
            "s hs traffic",
        );
        let (s_hs_key, s_hs_iv) = keys(
            hs.server_traffic(),
            t::SERVER_HS_KEY,
            t::SERVER_HS_IV,
            "server hs key",
        );
        let (c_hs_key, c_hs_iv) = keys(
            hs.client_traffic(),
            t::CLIENT_HS_KEY,
            t::CLIENT_HS_IV,
            "client hs key",
        );

        // The server's encrypted flight: decrypt in place from the deframer.
        let mut s_hs_open = Decrypter::new_tls13(AEAD, &s_hs_key, &s_hs_iv).unwrap();
        let flight = {
            let r = df.next_record().unwrap().unwrap();
            assert_eq!(r.header_bytes, [0x17, 0x03, 0x03, 0x02, 0xa2]);
            let (typ, n) = s_hs_open.open(&r.header_bytes, r.payload).unwrap();
            assert_eq!(typ, ContentType::HANDSHAKE);
            r.payload[n].to_vec()
        };
        assert_eq!(s_hs_open.seq(), 1);
        assert!(df.next_record().unwrap().is_none());
        let msgs = split_messages(&flight);
        assert_eq!(
            msgs.iter().map(|m| (m[0], m.len())).collect::<Vec<_>>(),
            vec![(8, 40), (11, 445), (15, 136), (20, 36)]
        );
        assert_eq!(msgs[0], &unhex(t::ENCRYPTED_EXTENSIONS)[..]);
        // Re-sealing the same plaintext reproduces the RFC record exactly.
        let mut s_hs_seal = Encrypter::new_tls13(AEAD, &s_hs_key, &s_hs_iv).unwrap();
        assert_eq!(
            seal_record(&mut s_hs_seal, ContentType::HANDSHAKE, &flight),
            unhex(t::SERVER_FLIGHT_RECORD)
        );

        // Server Finished over CH..CertificateVerify.
        for m in &msgs[..3] {
            transcript.add(m);
        }
        let sf = finished_verify_data(
            SHA256,
            hs.server_traffic(),
            transcript.current_hash().as_bytes(),
        );
        check(sf.as_bytes(), t::SERVER_FINISHED, "server Finished");
        assert!(ct_eq(sf.as_bytes(), &msgs[3][4..]));
        transcript.add(msgs[3]);
        let sf_hash = transcript.current_hash();
        check(
            sf_hash.as_bytes(),
            t::SERVER_FINISHED_HASH,
            "Hash(CH..server Finished)",
        );

        // Client Finished over CH..server Finished, sealed under the client hs key.
        let cf = finished_verify_data(SHA256, hs.client_traffic(), sf_hash.as_bytes());
        check(cf.as_bytes(), t::CLIENT_FINISHED, "client Finished");
        let mut cf_msg = vec![0x14, 0, 0, 0x20];
        cf_msg.extend_from_slice(cf.as_bytes());
        let mut c_hs_seal = Encrypter::new_tls13(AEAD, &c_hs_key, &c_hs_iv).unwrap();
        assert_eq!(
            seal_record(&mut c_hs_seal, ContentType::HANDSHAKE, &cf_msg),
            unhex(t::CLIENT_FINISHED_RECORD)
        );
        let mut c_hs_open = Decrypter::new_tls13(AEAD, &c_hs_key, &c_hs_iv).unwrap();
        assert_eq!(
            open_record(&mut c_hs_open, t::CLIENT_FINISHED_RECORD),
            (ContentType::HANDSHAKE, cf_msg.clone())
        );

        // Master secret and application traffic.
        let master = hs.into_master(sf_hash.as_bytes());
        check(
            master.secret().as_bytes(),
            t::MASTER_SECRET,
            "master secret",
        );
        check(
            master.client_traffic().as_bytes(),
            t::CLIENT_AP_TRAFFIC,
            "c ap traffic",
        );
        check(
            master.server_traffic().as_bytes(),
            t::SERVER_AP_TRAFFIC,
            "s ap traffic",
        );
        check(
            master.exporter_secret().as_bytes(),
            t::EXPORTER_MASTER,
            "exp master",
        );
        let (s_ap_key, s_ap_iv) = keys(
            master.server_traffic(),
            t::SERVER_AP_KEY,
            t::SERVER_AP_IV,
            "server ap key",
        );
        let (c_ap_key, c_ap_iv) = keys(
            master.client_traffic(),
            t::CLIENT_AP_KEY,
            t::CLIENT_AP_IV,
            "client ap key",
        );

        // Resumption master secret over CH..client Finished.
        transcript.add(&cf_msg);
        let cf_hash = transcript.current_hash();
        check(
            cf_hash.as_bytes(),
            t::CLIENT_FINISHED_HASH,
            "Hash(CH..client Finished)",
        );
        let rms = master.resumption_secret(cf_hash.as_bytes());
        check(
            rms.as_bytes(),
            t::RESUMPTION_MASTER,
            "resumption master secret",
        );

        // Server application records: NewSessionTicket (seq 0), data (1), close_notify (2).
        let payload: Vec<u8> = (0u8..50).collect();
        let mut s_ap_open = Decrypter::new_tls13(AEAD, &s_ap_key, &s_ap_iv).unwrap();
        let mut s_ap_seal = Encrypter::new_tls13(AEAD, &s_ap_key, &s_ap_iv).unwrap();
        let (typ, nst) = open_record(&mut s_ap_open, t::NEW_SESSION_TICKET_RECORD);
        assert_eq!(typ, ContentType::HANDSHAKE);
        assert_eq!((nst[0], nst.len()), (4, 205));
        let expect = [
            (
                t::NEW_SESSION_TICKET_RECORD,
                ContentType::HANDSHAKE,
                nst.clone(),
            ),
            (
                t::SERVER_APP_RECORD,
                ContentType::APPLICATION_DATA,
                payload.clone(),
            ),
            (t::SERVER_ALERT_RECORD, ContentType::ALERT, vec![1, 0]),
        ];
        for (i, (rec, typ, pt)) in expect.iter().enumerate() {
            if i > 0 {
                assert_eq!(open_record(&mut s_ap_open, rec), (*typ, pt.clone()));
            }
            assert_eq!(seal_record(&mut s_ap_seal, *typ, pt), unhex(rec));
        }
        assert_eq!((s_ap_open.seq(), s_ap_seal.seq()), (3, 3));

        // Client application records: data (seq 0), close_notify (1).
        let mut c_ap_open = Decrypter::new_tls13(AEAD, &c_ap_key, &c_ap_iv).unwrap();
        let mut c_ap_seal = Encrypter::new_tls13(AEAD, &c_ap_key, &c_ap_iv).unwrap();
        for (rec, typ, pt) in [
            (
                t::CLIENT_APP_RECORD,
                ContentType::APPLICATION_DATA,
                payload.clone(),
            ),
            (t::CLIENT_ALERT_RECORD, ContentType::ALERT, vec![1, 0]),
        ] {
            assert_eq!(open_record(&mut c_ap_open, rec), (typ, pt.clone()));
            assert_eq!(seal_record(&mut c_ap_seal, typ, &pt), unhex(rec));
        }
        let tk = c_ap_seal.traffic_keys();
        check(tk.key.as_bytes(), t::CLIENT_AP_KEY, "kTLS key");
        check(tk.iv.as_bytes(), t::CLIENT_AP_IV, "kTLS iv");
        assert_eq!(tk.seq, 2);

        // §4: the ticket's PSK (its nonce is in the NewSessionTicket we decrypted),
        // the early secret it gives, and the resumption binder.
        let nonce_len = usize::from(nst[12]);
        let nonce = &nst[13..13 + nonce_len];
        assert_eq!(nonce, &[0, 0]);
        let psk = resumption_psk(SHA256, &rms, nonce).unwrap();
        check(psk.as_bytes(), t::RESUMPTION_PSK, "resumption PSK");
        let early = EarlySecret::new(SHA256, Some(psk.as_bytes()));
        check(
            early.secret().as_bytes(),
            t::PSK_EARLY_SECRET,
            "PSK early secret",
        );
        let binder_key = early.binder_key(false);
        check(binder_key.as_bytes(), t::BINDER_KEY, "res binder key");
        let binder = finished_verify_data(SHA256, &binder_key, &unhex(t::BINDER_HASH));
        check(binder.as_bytes(), t::BINDER, "PSK binder");
    }

    #[test]
    fn sha384_schedule_shapes() {
        let alg = HashAlg::Sha384;
        let early = EarlySecret::new(alg, None);
        assert_eq!(early.alg(), alg);
        assert_eq!(early.secret().len(), 48);
        let h = alg.hash(b"hello");
        let hs = early.into_handshake(&[7u8; 48], h.as_bytes());
        assert_eq!(hs.client_traffic().len(), 48);
        assert_ne!(
            hs.client_traffic().as_bytes(),
            hs.server_traffic().as_bytes()
        );
        let ms = hs.into_master(h.as_bytes());
        assert_eq!(ms.exporter_secret().len(), 48);
        assert_eq!(ms.resumption_secret(h.as_bytes()).len(), 48);
        let (key, iv) = traffic_key_iv(alg, AeadAlg::Aes256Gcm, ms.client_traffic());
        assert_eq!(key.len(), 32);
        assert_ne!(iv, [0u8; 12]);
        let vd = finished_verify_data(alg, ms.client_traffic(), h.as_bytes());
        assert_eq!(vd.as_bytes().len(), 48);
        // A PSK of the hash length and None differ.
        let a = EarlySecret::new(alg, Some(&[1u8; 48]));
        assert_ne!(
            a.secret().as_bytes(),
            EarlySecret::new(alg, None).secret().as_bytes()
        );
    }

    #[test]
    fn key_update_chain() {
        let s0 = Secret::new(&unhex(t::CLIENT_AP_TRAFFIC));
        let s1 = next_traffic_secret(SHA256, &s0);
        let s2 = next_traffic_secret(SHA256, &s1);
        assert_eq!(s1.len(), 32);
        assert_ne!(s0.as_bytes(), s1.as_bytes());
        assert_ne!(s1.as_bytes(), s2.as_bytes());
        assert_eq!(next_traffic_secret(SHA256, &s0).as_bytes(), s1.as_bytes());
        // HKDF-Expand-Label(s0, "traffic upd", "", 32) by hand.
        let mut manual = [0u8; 32];
        SHA256.hkdf_expand_label(s0.as_bytes(), b"traffic upd", b"", &mut manual);
        assert_eq!(s1.as_bytes(), manual);
    }

    #[test]
    fn exporter() {
        let secret = Secret::new(&unhex(t::EXPORTER_MASTER));
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        export(SHA256, &secret, b"EXPERIMENTAL label", b"ctx", &mut a).unwrap();
        export(SHA256, &secret, b"EXPERIMENTAL label", b"ctx", &mut b).unwrap();
        assert_eq!(a, b);
        export(SHA256, &secret, b"EXPERIMENTAL other", b"ctx", &mut b).unwrap();
        assert_ne!(a, b);
        export(SHA256, &secret, b"EXPERIMENTAL label", b"", &mut b).unwrap();
        assert_ne!(a, b);
        // Output up to 255 * Hash.length works; one byte more is refused.
        let mut long = vec![0u8; 255 * 32];
        export(SHA256, &secret, b"x", b"", &mut long).unwrap();
        let mut too_long = vec![0u8; 255 * 32 + 1];
        assert!(export(SHA256, &secret, b"x", b"", &mut too_long).is_err());
        assert!(export(SHA256, &secret, &[b'a'; 250], b"", &mut a).is_err());
        assert!(export(SHA256, &secret, &[b'a'; 249], b"", &mut a).is_ok());
        // Ticket nonces longer than 255 bytes cannot be encoded.
        assert!(resumption_psk(SHA256, &secret, &[0u8; 256]).is_err());
    }
}
