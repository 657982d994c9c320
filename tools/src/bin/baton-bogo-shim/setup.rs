//! Turns the runner's flags into a Baton [`Config`]: a custom security policy
//! (versions, TLS 1.2 cipher suites from an OpenSSL-style cipher string,
//! groups, signature schemes), certificates, trust and ALPN.

use crate::flags::{alpn_list, Options};
use crate::Outcome;
use baton::early::{AntiReplayMode, AntiReplayStore, Claim};
use baton::resumption::MemorySessionCache;
use baton::{
    AlertDescription, CertVerdict, ClientAuth, ClientHelloAction, ProtocolVersion,
    RenegotiationRefusal, SavedSession, TicketKeys,
};
use baton::{CertChainAndKey, CipherSuite, Config, NamedGroup, SecurityPolicy, SignatureScheme};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

const TLS13_SUITES: &[CipherSuite] = &[
    CipherSuite::TLS13_AES_128_GCM_SHA256,
    CipherSuite::TLS13_AES_256_GCM_SHA384,
    CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
];

/// BoringSSL's default TLS 1.2 order, with the OpenSSL names the runner uses.
const TLS12_SUITES: &[(CipherSuite, &str)] = &[
    (
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        "ECDHE-ECDSA-AES128-GCM-SHA256",
    ),
    (
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        "ECDHE-RSA-AES128-GCM-SHA256",
    ),
    (
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        "ECDHE-ECDSA-AES256-GCM-SHA384",
    ),
    (
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        "ECDHE-RSA-AES256-GCM-SHA384",
    ),
    (
        CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        "ECDHE-ECDSA-CHACHA20-POLY1305",
    ),
    (
        CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        "ECDHE-RSA-CHACHA20-POLY1305",
    ),
];

/// Every group Baton might implement, in BoringSSL's default order; the
/// policy keeps those Baton implements (post-quantum and P-521 as they land).
const GROUPS: &[NamedGroup] = &[
    NamedGroup::X25519MLKEM768,
    NamedGroup::X25519,
    NamedGroup::SECP256R1,
    NamedGroup::SECP384R1,
];

/// Every group Baton implements: `-curves` naming another one (MLKEM1024,
/// SecP384r1MLKEM1024, ...) asks for a feature Baton does not have.
const IMPLEMENTED_GROUPS: &[NamedGroup] = &[
    NamedGroup::X25519MLKEM768,
    NamedGroup::SECP256R1MLKEM768,
    NamedGroup::X25519,
    NamedGroup::SECP256R1,
    NamedGroup::SECP384R1,
    NamedGroup::SECP521R1,
];

const SCHEMES: &[SignatureScheme] = &[
    SignatureScheme::ECDSA_SECP256R1_SHA256,
    SignatureScheme::RSA_PSS_RSAE_SHA256,
    SignatureScheme::RSA_PKCS1_SHA256,
    SignatureScheme::ECDSA_SECP384R1_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA384,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA512,
    SignatureScheme::RSA_PKCS1_SHA512,
    SignatureScheme::ECDSA_SECP521R1_SHA512,
    SignatureScheme::ED25519,
];

/// Does one cipher-string word (OpenSSL/BoringSSL syntax) name this suite?
fn word_matches(word: &str, suite: CipherSuite, openssl: &str) -> bool {
    let iana = suite.name().unwrap_or("");
    match word {
        "ALL" | "DEFAULT" | "HIGH" | "ECDHE" | "EECDH" | "kECDHE" | "AEAD" => true,
        "AES" => iana.contains("_AES_"),
        "AES128" => iana.contains("AES_128"),
        "AES256" => iana.contains("AES_256"),
        "AESGCM" => iana.contains("_GCM_"),
        "CHACHA20" => iana.contains("CHACHA20"),
        "ECDSA" | "aECDSA" => iana.contains("ECDSA"),
        "RSA" | "aRSA" => iana.contains("_RSA_"),
        "SHA256" => iana.ends_with("SHA256"),
        "SHA384" => iana.ends_with("SHA384"),
        "TLSv1.2" => true,
        _ => word == iana || word == openssl,
    }
}

/// The TLS 1.2 suites a `-cipher` string selects, in order. `None`: the
/// string names only suites Baton does not have (CBC, 3DES, plain RSA, PSK...).
fn tls12_suites(cipher: Option<&str>) -> Option<Vec<CipherSuite>> {
    let Some(s) = cipher else {
        return Some(TLS12_SUITES.iter().map(|(cs, _)| *cs).collect());
    };
    let mut out: Vec<CipherSuite> = Vec::new();
    let mut removed: Vec<CipherSuite> = Vec::new();
    for token in s.split([':', ',', ' ']).filter(|t| !t.is_empty()) {
        let (op, body) = match token.as_bytes()[0] {
            b'!' | b'-' | b'+' => (token.as_bytes()[0], &token[1..]),
            _ => (0, token),
        };
        // Equal-preference groups `[A|B]` become plain order here.
        let body = body.trim_start_matches('[').trim_end_matches(']');
        for alt in body.split('|') {
            // `A+B`: suites matching every part.
            let parts: Vec<&str> = alt.split('+').collect();
            for &(cs, name) in TLS12_SUITES {
                if !parts.iter().all(|p| word_matches(p, cs, name)) {
                    continue;
                }
                match op {
                    b'!' => {
                        removed.push(cs);
                        out.retain(|&c| c != cs);
                    }
                    b'-' => out.retain(|&c| c != cs),
                    b'+' => {
                        if out.contains(&cs) {
                            out.retain(|&c| c != cs);
                            out.push(cs);
                        }
                    }
                    _ => {
                        if !out.contains(&cs) && !removed.contains(&cs) {
                            out.push(cs);
                        }
                    }
                }
            }
        }
    }
    if out.is_empty() {
        return None;
    }
    Some(out)
}

fn leak<T>(v: Vec<T>) -> &'static [T] {
    Box::leak(v.into_boxed_slice())
}

/// The security policy the flags ask for.
fn policy(o: &Options) -> Result<&'static SecurityPolicy, Outcome> {
    let mut min = o.min_version.unwrap_or(0x0303).max(0x0303);
    let mut max = o.max_version.unwrap_or(0x0304);
    if o.no_tls13 {
        max = max.min(0x0303);
    }
    if o.no_tls12 {
        min = min.max(0x0304);
    }
    if max < 0x0303 {
        return Err(Outcome::Unimplemented(
            "only TLS 1.0/1.1/SSL 3.0 enabled: Baton has TLS 1.2 and 1.3 only".into(),
        ));
    }
    let max = max.min(0x0304);
    let mut suites = Vec::new();
    // With no version left (min > max) Baton refuses the policy for that.
    if max >= 0x0304 || min > max {
        suites.extend_from_slice(TLS13_SUITES);
    }
    if min <= 0x0303 {
        match tls12_suites(o.cipher.as_deref()) {
            Some(s) => suites.extend(s),
            None if max < 0x0304 => {
                return Err(Outcome::Unimplemented(format!(
                    "cipher string {:?} names no suite Baton has",
                    o.cipher.as_deref().unwrap_or("")
                )))
            }
            None => {}
        }
    }
    if let Some(g) = o
        .curves
        .iter()
        .find(|&&c| !IMPLEMENTED_GROUPS.contains(&NamedGroup(c)))
    {
        return Err(Outcome::Unimplemented(format!("group {g:#06x}")));
    }
    let groups: Vec<NamedGroup> = if o.curves.is_empty() {
        GROUPS.to_vec()
    } else {
        o.curves.iter().map(|&c| NamedGroup(c)).collect()
    };
    // Baton's policy has one signature list for every certificate.
    let prefs: Vec<&Vec<u16>> = o
        .credentials
        .iter()
        .chain([&o.default_cred])
        .map(|c| &c.signing_prefs)
        .filter(|p| !p.is_empty())
        .collect();
    if prefs.windows(2).any(|w| w[0] != w[1]) {
        return Err(Outcome::Unimplemented(
            "signing preferences per credential".into(),
        ));
    }
    let signing: Vec<u16> = o
        .credentials
        .iter()
        .chain([&o.default_cred])
        .flat_map(|c| c.signing_prefs.iter().copied())
        .collect();
    let verify = o.verify_prefs.iter().map(|&s| SignatureScheme(s));
    let sign = signing.iter().map(|&s| SignatureScheme(s));
    let client_auth = o.verify_peer || o.require_any_client_cert;
    let schemes: Vec<SignatureScheme> = if !o.server {
        // A client's signing preferences must not narrow its ClientHello's
        // signature_algorithms (what it verifies), as one list would.
        if o.verify_prefs.is_empty() {
            SCHEMES.to_vec()
        } else {
            verify.collect()
        }
    } else if client_auth && !o.verify_prefs.is_empty() {
        // A server that verifies clients and signs: the verify preferences
        // first (its CertificateRequest's order), then what it signs with.
        let signs: Vec<SignatureScheme> = if signing.is_empty() {
            SCHEMES.to_vec()
        } else {
            sign.collect()
        };
        let mut v: Vec<SignatureScheme> = verify.collect();
        v.extend(signs.into_iter().filter(|s| !o.verify_prefs.contains(&s.0)));
        v
    } else if !o.verify_prefs.is_empty() {
        verify.collect()
    } else if !signing.is_empty() {
        sign.collect()
    } else {
        SCHEMES.to_vec()
    };
    Ok(Box::leak(Box::new(SecurityPolicy {
        name: "bogo",
        min_version: ProtocolVersion(min),
        max_version: ProtocolVersion(max),
        cipher_suites: leak(suites),
        signature_schemes: leak(schemes),
        certificate_signature_schemes: None,
        groups: leak(groups),
        // BoringSSL's server takes ChaCha20 when the client lists it first.
        chacha20_boosted: true,
    })))
}

/// The shim's clock, in Unix seconds: frozen at the first reading and moved
/// only by `-resumption-delay` (as BoringSSL's shim fixes its clock), so that
/// ticket ages and lifetimes are exact whatever the machine's speed.
pub mod clock {
    use super::*;

    static START: OnceLock<u64> = OnceLock::new();
    static OFFSET: AtomicI64 = AtomicI64::new(0);

    /// The clock given to every `Config` (`set_wall_clock` takes a `fn`).
    pub fn now() -> u64 {
        let start = *START.get_or_init(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        });
        start.saturating_add_signed(OFFSET.load(Ordering::Relaxed))
    }

    /// Moves the clock by `secs` (may be negative).
    pub fn advance(secs: i64) {
        now();
        OFFSET.fetch_add(secs, Ordering::Relaxed);
    }
}

/// BoringSSL's `SSL_CTX_set_tlsext_ticket_keys` takes one key; Baton's
/// TicketKeys name theirs: this is the name the `-ticket-key` key gets.
const TICKET_KEY_NAME: &[u8] = b"bogo-ticket-key";

/// What every connection of one shim process shares, as BoringSSL's shim
/// carries its ticket keys and session cache from one `SSL_CTX` to the next:
/// the server's ticket keys and session-id cache, and the sessions a client
/// received on the connection running now.
pub struct Shared {
    keys: Arc<TicketKeys>,
    cache: Arc<MemorySessionCache>,
    received: Arc<Mutex<Vec<SavedSession>>>,
}

impl Shared {
    /// The server's ticket keys: generated, or only the `-ticket-key` one.
    pub fn new(o: &Options) -> Result<Self, Outcome> {
        let keys = match &o.ticket_key {
            Some(secret) => {
                let keys = TicketKeys::new();
                keys.add_key(TICKET_KEY_NAME, secret, clock::now())
                    .map_err(|e| Outcome::Failed(format!("-ticket-key: {e}")))?;
                keys
            }
            None => TicketKeys::generated(),
        };
        Ok(Self {
            keys: Arc::new(keys),
            cache: Arc::new(MemorySessionCache::new(64)),
            received: Arc::default(),
        })
    }

    /// The sessions the client received since the last call, oldest first.
    pub fn take_received(&self) -> Vec<SavedSession> {
        std::mem::take(&mut *self.received.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// BoringSSL's `max_early_data_size` when 0-RTT is on (what the runner
/// expects tickets to carry).
const MAX_EARLY_DATA: u32 = 16384;

/// TEST ONLY: an anti-replay "store" that calls every claim the first.
///
/// BoringSSL has no anti-replay of its own (it leaves it to the
/// application), and BoGo's 0-RTT tests resume one ticket, sometimes twice,
/// expecting 0-RTT each time. Baton accepts 0-RTT only after a store claims
/// it, so the shim gives it this one. It protects against nothing: never use
/// it outside the shim.
struct EveryClaimFresh;

impl AntiReplayStore for EveryClaimFresh {
    fn claim(&self, _key: &[u8], _ttl: std::time::Duration) -> Claim {
        Claim::Fresh
    }

    fn remembers_since(&self) -> Option<std::time::SystemTime> {
        None
    }
}

/// Staples a credential's OCSP response and SCT list to its chain.
fn staple(ck: &CertChainAndKey, c: &crate::flags::Credential) -> Result<(), Outcome> {
    if !c.ocsp_response.is_empty() {
        // BoringSSL staples any bytes; Baton only a DER OCSPResponse.
        ck.set_ocsp_response(&c.ocsp_response)
            .map_err(|e| Outcome::Failed(format!("-ocsp-response: {e}")))?;
    }
    if !c.sct_list.is_empty() {
        ck.set_sct_list(&c.sct_list)
            .map_err(|e| Outcome::Failed(format!("-signed-cert-timestamps: {e}")))?;
    }
    Ok(())
}

/// A connection's configuration, and the certificate chain of each
/// credential (for `-expect-selected-credential`; index -1 is the default).
pub struct Setup {
    pub config: Config,
    pub chains: Vec<(i64, Vec<Vec<u8>>)>,
}

/// The Baton configuration for one connection.
pub fn config(o: &Options, shared: &Shared) -> Result<Setup, Outcome> {
    let mut b = Config::builder_minimal();
    b.set_wall_clock(clock::now);
    // BoringSSL's defaults: tickets on both sides, a server session cache.
    b.session_tickets(!o.no_ticket);
    let policy = policy(o)?;
    if let Err(e) = b.custom_security_policy(policy) {
        if e.message().contains("Baton implements") || e.message().contains("Baton can") {
            return Err(Outcome::Unimplemented(format!("policy: {}", e.message())));
        }
        // BoringSSL: NO_SUPPORTED_VERSIONS_ENABLED and the like.
        return Err(Outcome::Failed(format!("configuration: {e}")));
    }
    // BoringSSL's default: a full TLS 1.2 handshake without EMS is allowed.
    b.require_extended_master_secret(false);
    // BoringSSL's default (`ssl_renegotiate_never`): a HelloRequest is fatal.
    b.set_renegotiation_refusal(RenegotiationRefusal::Fatal);
    // BoringSSL tries the -new-*-credential ones in order, the default last.
    let creds: Vec<(i64, &crate::flags::Credential)> = (0i64..)
        .zip(&o.credentials)
        .chain([(-1, &o.default_cred)])
        .filter(|(_, c)| !c.cert_file.is_empty() || !c.key_file.is_empty())
        .collect();
    let mut chains = Vec::new();
    if o.server {
        if o.verify_peer || o.require_any_client_cert {
            b.set_client_auth(if o.require_any_client_cert {
                ClientAuth::Required
            } else {
                ClientAuth::Optional
            });
            // bssl_shim's verify callback accepts any chain (the runner's
            // client certificates chain to no root the shim knows), unless
            // -verify-fail: the callback alone decides, the signature is
            // still checked.
            b.disable_x509_verification();
            if o.verify_fail {
                b.set_cert_verify_callback(|_| CertVerdict::refuse());
            }
        }
        for (i, c) in creds {
            match CertChainAndKey::from_pem_files(&c.cert_file, &c.key_file) {
                Ok(ck) => {
                    staple(&ck, c)?;
                    chains.push((i, ck.chain().to_vec()));
                    b.add_cert_chain_and_key(ck);
                }
                Err(e) => {
                    return Err(Outcome::Unimplemented(format!(
                        "certificate {} / key {}: {e}",
                        c.cert_file, c.key_file
                    )))
                }
            }
        }
        if o.async_mode {
            b.set_private_key_callback(crate::park::private_key_callback());
        }
        if o.use_early_callback || o.fail_early_callback {
            // BoringSSL's select_certificate_cb: ssl_select_cert_error is
            // a handshake_failure alert (CONNECTION_REJECTED).
            let (fail, async_mode) = (o.fail_early_callback, o.async_mode && o.use_early_callback);
            b.set_client_hello_callback(move |_| {
                if fail {
                    ClientHelloAction::Reject(AlertDescription::HANDSHAKE_FAILURE)
                } else {
                    crate::park::hello_continue(async_mode)
                }
            });
        }
        b.set_ticket_keys(shared.keys.clone());
        b.set_session_cache(shared.cache.clone());
        if o.enable_early_data {
            b.set_max_early_data_size(MAX_EARLY_DATA)
                .map_err(|e| Outcome::Failed(format!("-enable-early-data: {e}")))?;
            // With every claim fresh the mode matters only in that
            // ClientHello recording would refuse old tickets by their age,
            // which BoringSSL does not.
            b.set_anti_replay(Arc::new(EveryClaimFresh), AntiReplayMode::SingleUseTickets);
            // BoringSSL resumes whatever the ticket age and takes 0-RTT
            // within 60 s of skew (kMaxTicketAgeSkewSeconds); Baton refuses
            // a ticket outside its age window (10 s by default), so the
            // 0-RTT tests get BoringSSL's 60 s.
            b.set_ticket_age_window(std::time::Duration::from_secs(60));
        }
        if let Some(p) = &o.select_alpn {
            if !o.decline_alpn {
                b.set_alpn_preferences(&[p.as_bytes()])
                    .map_err(|e| Outcome::Failed(format!("-select-alpn: {e}")))?;
            }
        }
    } else {
        // Offered in this order when a server asks (BoringSSL's order too).
        for (i, c) in creds {
            match CertChainAndKey::from_pem_files(&c.cert_file, &c.key_file) {
                Ok(ck) => {
                    chains.push((i, ck.chain().to_vec()));
                    b.add_client_cert_chain_and_key(ck);
                }
                Err(e) => {
                    return Err(Outcome::Unimplemented(format!(
                        "client certificate {} / key {}: {e}",
                        c.cert_file, c.key_file
                    )))
                }
            }
        }
        // BoringSSL verifies only with -verify-peer: -verify-fail alone is a
        // soft failure that the handshake ignores (SSL_VERIFY_NONE).
        if o.verify_peer {
            if let Some(t) = &o.trust_cert {
                let pem =
                    std::fs::read(t).map_err(|e| Outcome::Failed(format!("reading {t}: {e}")))?;
                b.add_pem_to_trust_store(&pem)
                    .map_err(|e| Outcome::Failed(format!("trust {t}: {e}")))?;
            }
            // The runner's certificates carry no name for the test host; the
            // chain itself is what these tests check, and -verify-fail makes
            // the application's check refuse it.
            let accept = !o.verify_fail;
            b.set_verify_host_callback(move |_| accept);
        } else {
            // BoringSSL's default: a client does not verify the server's chain
            // (it still checks the handshake signature).
            b.disable_x509_verification();
        }
        if o.async_mode {
            // The client's CertificateVerify parks too once the handshake
            // signs it through the callback (until then this is unused).
            b.set_private_key_callback(crate::park::private_key_callback());
        }
        b.request_ocsp_status(o.enable_ocsp_stapling);
        b.request_sct_list(o.enable_sct);
        // bssl_shim offers sessions itself (SSL_set_session): no store.
        b.set_client_session_store(None);
        let received = shared.received.clone();
        b.set_session_callback(move |s| {
            received
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(s.clone())
        });
        if let Some(wire) = &o.advertise_alpn {
            b.set_alpn_preferences(&alpn_list(wire))
                .map_err(|e| Outcome::Failed(format!("-advertise-alpn: {e}")))?;
        }
    }
    let config = b
        .build()
        .map_err(|e| Outcome::Failed(format!("configuration: {e}")))?;
    Ok(Setup { config, chains })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cipher_strings() {
        let all = tls12_suites(Some("ALL")).unwrap();
        assert_eq!(all.len(), TLS12_SUITES.len());
        let no_aes = tls12_suites(Some("DEFAULT:!AES")).unwrap();
        assert!(no_aes.iter().all(|c| is_chacha(*c)));
        assert!(tls12_suites(Some("TLS_RSA_WITH_3DES_EDE_CBC_SHA")).is_none());
        let one = tls12_suites(Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")).unwrap();
        assert_eq!(one, [CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]);
    }

    fn is_chacha(c: CipherSuite) -> bool {
        c.name().unwrap_or("").contains("CHACHA")
    }
}
