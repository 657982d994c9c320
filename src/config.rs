//! `Config`: immutable, shared settings for many connections (s2n's `s2n_config`).

use crate::cert::{CertChainAndKey, TrustStore};
use crate::error::{Error, Result};
use crate::policy::SecurityPolicy;
use crate::resumption::{settings, ClientSessionStore, SavedSession, SessionCache, TicketKeys};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

mod client_auth;
pub(crate) use client_auth::ClientAuthSettings;
mod status;
pub use status::OcspValidation;
pub(crate) use status::StatusSettings;

/// Decides whether a certificate name is acceptable for this connection.
/// Called with each DNS name of the peer's leaf certificate; return `true` to accept.
pub type VerifyHostFn = dyn Fn(&str) -> bool + Send + Sync;

/// Immutable configuration, cheap to clone and share across threads and connections.
#[derive(Clone, Debug)]
pub struct Config {
    pub(crate) inner: Arc<ConfigInner>,
}

pub(crate) struct ConfigInner {
    pub(crate) policy: &'static SecurityPolicy,
    pub(crate) certs: Vec<Arc<CertChainAndKey>>,
    pub(crate) trust: TrustStore,
    pub(crate) alpn: Vec<Vec<u8>>,
    pub(crate) verify_host: Option<Arc<VerifyHostFn>>,
    pub(crate) verify_peer: bool,
    pub(crate) now: fn() -> u64,
    /// `None`: the policy decides ([`SecurityPolicy::requires_extended_master_secret`]).
    pub(crate) require_ems: Option<bool>,
    pub(crate) renegotiation: RenegotiationRefusal,
    pub(crate) resumption: crate::resumption::settings::Settings,
    pub(crate) psk: crate::psk::PskSettings,
    pub(crate) early: crate::early::EarlySettings,
    pub(crate) key_log: Option<Arc<dyn crate::keylog::KeyLog>>,
    pub(crate) client_auth: ClientAuthSettings,
    pub(crate) client_hello_callback: Option<Arc<crate::hello_callback::ClientHelloCallback>>,
    pub(crate) cert_resolver: Option<Arc<crate::cert::CertResolver>>,
    pub(crate) pkey: crate::pkey::PkeySettings,
    /// OCSP and SCT requests, OCSP validation (`status`).
    pub(crate) status: StatusSettings,
    /// The CRL lookup callback (`config::status`).
    pub(crate) crl_lookup: Option<Arc<crate::cert::CrlLookupCallback>>,
}

/// How a TLS 1.2 renegotiation request is refused (Baton never renegotiates;
/// RFC 5746 makes the refusal safe, and RFC 8446 removed renegotiation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum RenegotiationRefusal {
    /// Answer with a `no_renegotiation` warning alert and keep the connection
    /// (RFC 5246 §7.2.2). The default, as in s2n-tls.
    #[default]
    Warning,
    /// Fail the connection with a fatal `no_renegotiation` alert.
    Fatal,
}

impl ConfigInner {
    /// Whether a server has any certificate to offer (its own or a resolver's).
    pub(crate) fn has_certs(&self) -> bool {
        !self.certs.is_empty()
            || self
                .cert_resolver
                .as_ref()
                .is_some_and(|r| !r.current().is_empty())
    }

    /// Whether TLS 1.2 needs the extended master secret: as configured, else
    /// as the policy says.
    pub(crate) fn ems_required(&self) -> bool {
        self.require_ems
            .unwrap_or_else(|| self.policy.requires_extended_master_secret())
    }
}

impl core::fmt::Debug for ConfigInner {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Config")
            .field("policy", &self.policy.name)
            .field("certs", &self.certs)
            .field("trust", &self.trust)
            .field(
                "alpn",
                &self
                    .alpn
                    .iter()
                    .map(|p| String::from_utf8_lossy(p).into_owned())
                    .collect::<Vec<_>>(),
            )
            .field("verify_host_callback", &self.verify_host.is_some())
            .field("verify_peer", &self.verify_peer)
            .field("require_ems", &self.ems_required())
            .field("renegotiation", &self.renegotiation)
            .field("resumption", &self.resumption)
            .field("key_log", &self.key_log.is_some())
            .field("client_auth", &self.client_auth)
            .field(
                "client_hello_callback",
                &self.client_hello_callback.is_some(),
            )
            .field("cert_resolver", &self.cert_resolver)
            .field("pkey", &self.pkey)
            .field("status", &self.status)
            .field("crls", &self.trust.crls.len())
            .field("crl_lookup_callback", &self.crl_lookup.is_some())
            .finish()
    }
}

fn system_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Builds a [`Config`].
#[derive(Debug)]
pub struct ConfigBuilder {
    inner: ConfigInner,
    trust_error: Option<Error>,
}

impl Config {
    /// A builder with Baton's default security policy ([`crate::policy::default_policy`]:
    /// s2n's `default_tls13`, TLS 1.3 on) and the system trust store.
    pub fn builder() -> ConfigBuilder {
        let mut b = Self::builder_minimal();
        if let Err(e) = b.inner.trust.add_system_defaults() {
            // Kept for `build`: fatal only for a configuration that needs it.
            b.trust_error = Some(e);
        }
        b
    }

    /// A builder without the system trust store (s2n's `config_new_minimal`):
    /// cheaper to build, for servers and for clients with their own trust anchors.
    pub fn builder_minimal() -> ConfigBuilder {
        ConfigBuilder {
            inner: ConfigInner {
                policy: crate::policy::default_policy(),
                certs: Vec::new(),
                trust: TrustStore::new(),
                alpn: Vec::new(),
                verify_host: None,
                verify_peer: true,
                now: system_now,
                require_ems: None,
                renegotiation: RenegotiationRefusal::Warning,
                resumption: Default::default(),
                psk: Default::default(),
                early: Default::default(),
                key_log: None,
                client_auth: Default::default(),
                client_hello_callback: None,
                cert_resolver: None,
                pkey: Default::default(),
                status: StatusSettings::default(),
                crl_lookup: None,
            },
            trust_error: None,
        }
    }

    /// The security policy in effect.
    pub fn security_policy(&self) -> &'static SecurityPolicy {
        self.inner.policy
    }

    /// Number of trust anchors loaded.
    pub fn trust_anchor_count(&self) -> usize {
        self.inner.trust.len()
    }

    /// The certificate resolver, if one was set
    /// ([`ConfigBuilder::set_cert_resolver`]).
    pub fn cert_resolver(&self) -> Option<&Arc<crate::cert::CertResolver>> {
        self.inner.cert_resolver.as_ref()
    }

    /// True if signatures go to a private-key callback
    /// ([`ConfigBuilder::set_private_key_callback`]): an event loop then
    /// leaves them to it rather than offloading them itself.
    pub fn has_private_key_callback(&self) -> bool {
        self.inner.pkey.callback.is_some()
    }

    /// The ticket keys every connection of this config uses. Add and remove
    /// keys here while connections run: no rebuild needed.
    pub fn ticket_keys(&self) -> &Arc<TicketKeys> {
        &self.inner.resumption.ticket_keys
    }
}

impl ConfigBuilder {
    /// Selects a named security policy (see `docs/security-policies.md`).
    /// An unknown name is a Usage error that lists the valid names. So is a
    /// policy under which Baton cannot negotiate anything yet (`"20140601"`,
    /// `"20141001"`, `"20150202"` and `"20150214"` list only CBC, DHE, RSA key
    /// exchange, 3DES or RC4 suites); [`crate::policy::lookup`] still returns
    /// their tables for inspection.
    pub fn security_policy(&mut self, name: &str) -> Result<&mut Self> {
        let policy = crate::policy::lookup(name)?;
        policy.check_usable()?;
        self.inner.policy = policy;
        Ok(self)
    }

    /// Uses a policy that is not one of the named ones (tests, benchmarks, experiments).
    /// Prefer named policies in production: they are reviewed and never change.
    /// A Usage error if a list is empty, `min_version > max_version`, or Baton
    /// implements no version, group or signature scheme of the policy.
    pub fn custom_security_policy(&mut self, policy: &'static SecurityPolicy) -> Result<&mut Self> {
        if policy.cipher_suites.is_empty()
            || policy.groups.is_empty()
            || policy.signature_schemes.is_empty()
        {
            return Err(Error::usage(
                "a security policy needs cipher suites, groups and signature schemes",
            ));
        }
        if policy.min_version > policy.max_version {
            return Err(Error::usage(
                "security policy min_version is above max_version",
            ));
        }
        policy.check_usable()?;
        self.inner.policy = policy;
        Ok(self)
    }

    /// Adds a certificate chain and key for the server side. With several, the
    /// server picks, per handshake, the first (chains valid for the client's SNI
    /// first) whose key can sign a scheme both sides allow, preferring a chain
    /// signed only with algorithms the client accepts in certificates (its
    /// `signature_algorithms_cert`, else `signature_algorithms`) and the policy's
    /// `certificate_signature_schemes` allow; if no chain is, it sends the first
    /// usable one anyway (RFC 8446 §4.4.2.2).
    pub fn add_cert_chain_and_key(&mut self, ck: CertChainAndKey) -> &mut Self {
        self.inner.certs.push(Arc::new(ck));
        self
    }

    /// Server: chooses certificates by the client's SNI from `resolver`'s
    /// current [`SniCertStore`](crate::cert::SniCertStore) (exact name,
    /// then wildcard, then its defaults or, without those, the certificates
    /// added here), then among those as
    /// [`add_cert_chain_and_key`](Self::add_cert_chain_and_key) says. Keep
    /// the `Arc` to [`replace`](crate::cert::CertResolver::replace) the
    /// store while the config serves: new handshakes see the new one.
    pub fn set_cert_resolver(&mut self, resolver: Arc<crate::cert::CertResolver>) -> &mut Self {
        self.inner.cert_resolver = Some(resolver);
        self
    }

    /// Adds a shared certificate chain and key.
    pub fn add_shared_cert_chain_and_key(&mut self, ck: Arc<CertChainAndKey>) -> &mut Self {
        self.inner.certs.push(ck);
        self
    }

    /// Adds the certificates in a PEM buffer to the trust store.
    pub fn add_pem_to_trust_store(&mut self, pem: &[u8]) -> Result<&mut Self> {
        self.inner.trust.add_pem(pem)?;
        Ok(self)
    }

    /// Adds a PEM file and/or a directory of PEM files to the trust store
    /// (s2n's `set_verification_ca_location`).
    pub fn set_verification_ca_location(
        &mut self,
        file: Option<&Path>,
        dir: Option<&Path>,
    ) -> Result<&mut Self> {
        if file.is_none() && dir.is_none() {
            return Err(Error::usage(
                "set_verification_ca_location needs a file or a directory",
            ));
        }
        for p in [file, dir].into_iter().flatten() {
            self.inner.trust.add_location(p)?;
        }
        Ok(self)
    }

    /// Removes every trust anchor, including the system defaults.
    pub fn wipe_trust_store(&mut self) -> &mut Self {
        self.inner.trust.wipe();
        self.trust_error = None;
        self
    }

    /// ALPN protocols in preference order (client: offered; server: preferred).
    /// Each name must be 1..=255 bytes.
    pub fn set_alpn_preferences<P: AsRef<[u8]>>(&mut self, protocols: &[P]) -> Result<&mut Self> {
        self.inner.alpn = crate::connection::validate_alpn(protocols)?;
        Ok(self)
    }

    /// Replaces the default host name check (leaf must match the server name set on the
    /// connection) with a callback given each DNS name in the leaf certificate.
    pub fn set_verify_host_callback(
        &mut self,
        f: impl Fn(&str) -> bool + Send + Sync + 'static,
    ) -> &mut Self {
        self.inner.verify_host = Some(Arc::new(f));
        self
    }

    /// Turns off chain and host name validation. For tests and `--insecure` only.
    /// The leaf's key still signs the handshake, so in TLS 1.2 it must still
    /// be on a curve the client offered. On a server that asks for client
    /// certificates it turns off the client chain's validation too (the
    /// verify callback, if any, then decides alone).
    pub fn disable_x509_verification(&mut self) -> &mut Self {
        self.inner.verify_peer = false;
        self
    }

    /// Replaces the wall clock used for certificate validity (Unix seconds). For tests.
    pub fn set_wall_clock(&mut self, now: fn() -> u64) -> &mut Self {
        self.inner.now = now;
        self
    }

    /// Whether a TLS 1.2 handshake without the extended master secret
    /// (RFC 7627) is refused (with a `handshake_failure` alert, on either side).
    /// By default the security policy decides: the FIPS policies
    /// ([`SecurityPolicy::is_fips`]) require EMS, the others accept a full
    /// handshake without it (RFC 7627 leaves this to each side; OpenSSL never
    /// requires it, rustls only in FIPS mode), so older clients and servers
    /// can connect. Without EMS the master secret is not bound to the
    /// handshake (the triple-handshake attack; weaker exporters), so require
    /// it where every peer is known to support it.
    pub fn require_extended_master_secret(&mut self, required: bool) -> &mut Self {
        self.inner.require_ems = Some(required);
        self
    }

    /// How a TLS 1.2 peer's renegotiation request (HelloRequest to a client,
    /// a new ClientHello to a server) is refused.
    pub fn set_renegotiation_refusal(&mut self, how: RenegotiationRefusal) -> &mut Self {
        self.inner.renegotiation = how;
        self
    }

    /// Session resumption with tickets (s2n's `session_tickets_onoff`; off by
    /// default). A server issues TLS 1.3 NewSessionTickets after each
    /// handshake and TLS 1.2 tickets (RFC 5077) to clients that ask, sealed
    /// with [`Config::ticket_keys`] (generated and rotated in memory unless
    /// [`set_ticket_keys`](Self::set_ticket_keys) gives others). A client asks
    /// for TLS 1.2 tickets, keeps the tickets it gets, and hands each to the
    /// [`set_session_callback`](Self::set_session_callback).
    pub fn session_tickets(&mut self, on: bool) -> &mut Self {
        self.inner.resumption.tickets = on;
        self
    }

    /// The ticket keys to use, for instance one set shared with a Redis
    /// key source (see `docs/usage.md`, "Sessions").
    pub fn set_ticket_keys(&mut self, keys: Arc<TicketKeys>) -> &mut Self {
        self.inner.resumption.ticket_keys = keys;
        self
    }

    /// A resumption context (at most 64 bytes; OpenSSL's session id
    /// context): bound into every ticket and session cache value this
    /// server seals, so a session resumes only on a config with the same
    /// context. Configs that share ticket keys (one Redis key source for
    /// several sites) but must not share sessions, or a site whose client
    /// authentication changed, set different ones; such a ticket gets a
    /// full handshake (`ResumptionRefusal::Malformed`), never an error.
    pub fn set_resumption_context(&mut self, context: &[u8]) -> Result<&mut Self> {
        if context.len() > 64 {
            return Err(Error::usage("the resumption context is at most 64 bytes"));
        }
        self.inner.resumption.context = context.to_vec();
        Ok(self)
    }

    /// How many TLS 1.3 tickets a server sends after each handshake (default 1;
    /// s2n's `initial_ticket_count`). More can be asked for per connection.
    pub fn set_initial_ticket_count(&mut self, n: u8) -> &mut Self {
        self.inner.resumption.ticket_count = n;
        self
    }

    /// How long a ticket or cache entry is good for (default 15 h, as s2n;
    /// at most 7 days, RFC 8446 §4.6.1).
    pub fn set_session_lifetime(&mut self, lifetime: Duration) -> Result<&mut Self> {
        if lifetime.is_zero() || lifetime > settings::MAX_TICKET_LIFETIME {
            return Err(Error::usage("session lifetime must be 1 s to 7 days"));
        }
        self.inner.resumption.session_lifetime = lifetime;
        Ok(self)
    }

    /// How long after the full handshake that authenticated the peer a TLS 1.3
    /// session may still be resumed, ticket after ticket (default one week,
    /// as s2n's keying-material lifetime).
    pub fn set_keying_material_lifetime(&mut self, lifetime: Duration) -> &mut Self {
        self.inner.resumption.keying_material_lifetime = lifetime;
        self
    }

    /// Also use `psk_ke` (no fresh key exchange, so no forward secrecy) for
    /// TLS 1.3 resumption and external PSKs: a server accepts it when the
    /// client offers only that mode, a client offers it after `psk_dhe_ke`.
    /// Off by default: only `psk_dhe_ke`.
    pub fn allow_psk_ke(&mut self, on: bool) -> &mut Self {
        self.inner.resumption.allow_psk_ke = on;
        self
    }

    /// Adds an external PSK (TLS 1.3; see [`crate::psk`]). A client offers
    /// the PSKs of its config (in the order added) and then of its
    /// connection, at most 8, those of a hash its TLS 1.3 suites have, and
    /// then no ticket in the same hello; a
    /// server resumes a handshake with the first offered identity it holds,
    /// or as its [`set_psk_selection_callback`](Self::set_psk_selection_callback)
    /// says. A server with PSKs needs no certificate for the handshakes that
    /// use one.
    pub fn add_psk(&mut self, psk: crate::psk::ExternalPsk) -> &mut Self {
        self.inner.psk.psks.push(psk);
        self
    }

    /// Server: accepts TLS 1.3 early data (0-RTT), up to `max` bytes per
    /// connection (at most [`MAX_EARLY_DATA_SIZE`](crate::early::MAX_EARLY_DATA_SIZE);
    /// 0, the default, turns it off). Tickets then allow `max` bytes, and
    /// 0-RTT is accepted only when the anti-replay store
    /// ([`set_anti_replay`](Self::set_anti_replay); by default one in
    /// memory, recording ClientHellos for the ticket age window) says it is
    /// the first use, the callback (if any) agrees, and the session's suite
    /// and ALPN protocol are the handshake's. Early data is replayable by
    /// nature: read it with `recv_early_data` and act on it only where a
    /// replay does no harm (see `docs/usage.md`). While a store or the
    /// callback answers later, the handshake holds the records it has and
    /// `feed_tls` refuses more than one record buffer's worth: an event loop
    /// stops reading while the handshake is blocked on application input
    /// (the io_uring runtime does), and TCP holds the rest of the early data.
    pub fn set_max_early_data_size(&mut self, max: u32) -> Result<&mut Self> {
        if max > crate::early::MAX_EARLY_DATA_SIZE {
            return Err(Error::usage(format!(
                "max_early_data_size above {}",
                crate::early::MAX_EARLY_DATA_SIZE
            )));
        }
        self.inner.early.max_size = max;
        Ok(self)
    }

    /// Server: the store that keeps 0-RTT from being replayed, shared by
    /// every server that accepts the same tickets (see [`crate::early`]).
    pub fn set_anti_replay(
        &mut self,
        store: Arc<dyn crate::early::AntiReplayStore>,
        mode: crate::early::AntiReplayMode,
    ) -> &mut Self {
        self.inner.early.anti_replay = Some((store, mode));
        self
    }

    /// Server: asks the application about each 0-RTT offer that passed the
    /// other checks; it may answer later (see [`crate::early::EarlyDataDecision`]).
    pub fn set_early_data_callback(
        &mut self,
        f: impl Fn(&crate::early::OfferedEarlyData<'_>) -> crate::early::EarlyDataDecision
            + Send
            + Sync
            + 'static,
    ) -> &mut Self {
        self.inner.early.callback = Some(Arc::new(f));
        self
    }

    /// Server: chooses among the identities a client offers (as s2n's PSK
    /// selection callback); without it, the first offered identity the
    /// server holds is used.
    pub fn set_psk_selection_callback(
        &mut self,
        f: impl Fn(&crate::psk::OfferedPsks<'_>) -> Option<usize> + Send + Sync + 'static,
    ) -> &mut Self {
        self.inner.psk.select = Some(Arc::new(f));
        self
    }

    /// Server: how far a TLS 1.3 client's ticket age may differ from the
    /// server's own count before the ticket is refused (default 10 s, RFC
    /// 8446 §8.3).
    pub fn set_ticket_age_window(&mut self, window: Duration) -> &mut Self {
        self.inner.resumption.age_window = window;
        self
    }

    /// Server: a session cache for TLS 1.2 session ids (s2n's cache
    /// callbacks). Entries are sealed with the ticket keys first.
    pub fn set_session_cache(&mut self, cache: Arc<dyn SessionCache>) -> &mut Self {
        self.inner.resumption.session_cache = Some(cache);
        self
    }

    /// Client: called with each session it can resume later (a TLS 1.2
    /// session at the end of the handshake, each TLS 1.3 ticket as it comes).
    pub fn set_session_callback(
        &mut self,
        f: impl Fn(&SavedSession) + Send + Sync + 'static,
    ) -> &mut Self {
        self.inner.resumption.on_new_session = Some(Arc::new(f));
        self
    }

    /// Client: the store of sessions by server name that connections of this
    /// config offer and fill when tickets are on (by default an in-memory
    /// store for 256 names; `None` turns it off, leaving
    /// [`Session::set_saved_session`](crate::Session::set_saved_session) and
    /// the session callback to the application). Share one store between
    /// configs to resume across them.
    pub fn set_client_session_store(
        &mut self,
        store: Option<Arc<ClientSessionStore>>,
    ) -> &mut Self {
        self.inner.resumption.client_store = store;
        self
    }

    /// Logs every secret of every handshake in the NSS key log format, for
    /// decrypting captures with Wireshark (off by default).
    /// [`KeyLogFile::from_env`](crate::KeyLogFile::from_env) gives the file
    /// `SSLKEYLOGFILE` names; a closure `|label, client_random, secret|`
    /// works too.
    ///
    /// **Warning:** the log holds the secrets of every connection: whoever
    /// reads it can decrypt them. For debugging only.
    pub fn set_key_log(&mut self, log: Arc<dyn crate::keylog::KeyLog>) -> &mut Self {
        self.inner.key_log = Some(log);
        self
    }

    /// Server: calls `f` with each handshake's first ClientHello, before
    /// the server chooses anything (see [`crate::hello_callback`]); its
    /// [`ClientHelloAction`](crate::hello_callback::ClientHelloAction) goes
    /// on, refuses with an alert, answers later, or swaps the config.
    ///
    /// A swapped config governs everything the rest of the handshake
    /// decides and the connection keeps after it: version and security
    /// policy, certificates (and resolver), trust store, ALPN preferences
    /// (unless the connection set its own), tickets and ticket keys, session
    /// cache, PSKs, early data, EMS and renegotiation settings, the clock.
    /// What stays is the connection's own: its mode (server), what was set
    /// on it (ALPN override, PSKs), and the key log of the config it was
    /// made with (a tenant's config neither turns logging on nor off). The
    /// callback runs once: the swapped config's own callback is not called.
    pub fn set_client_hello_callback(
        &mut self,
        f: impl Fn(&crate::ClientHello) -> crate::hello_callback::ClientHelloAction
            + Send
            + Sync
            + 'static,
    ) -> &mut Self {
        self.inner.client_hello_callback = Some(Arc::new(f));
        self
    }

    /// Hands every signature with a certificate's private key (a server's,
    /// or a client's under mutual TLS) to `callback` instead of signing in
    /// the handshake (see [`crate::pkey`]): for keys in
    /// an HSM or a key server, or to sign on other threads. The handshake
    /// returns `Blocked::OnApplicationInput` until the operation completes.
    pub fn set_private_key_callback(
        &mut self,
        callback: Arc<crate::pkey::PrivateKeyCallback>,
    ) -> &mut Self {
        self.inner.pkey.callback = Some(callback);
        self
    }

    /// Whether signatures from the private-key callback are verified before
    /// they are sent (default [`PkeyValidation::Fast`](crate::pkey::PkeyValidation::Fast): not).
    pub fn set_private_key_validation(&mut self, mode: crate::pkey::PkeyValidation) -> &mut Self {
        self.inner.pkey.validation = mode;
        self
    }

    /// Finishes the configuration.
    ///
    /// Fails with the error from loading the system trust store
    /// ([`Config::builder`]) when that store was all this configuration could
    /// verify a peer with: verification on, no trust anchors at all, and no
    /// certificate of its own (so it can only be a client, and would fail every
    /// handshake). A server, or a client given its own anchors, builds.
    pub fn build(mut self) -> Result<Config> {
        let window = self.inner.resumption.age_window;
        self.inner.early.finish(window);
        if let Some(e) = self.trust_error {
            let inner = &self.inner;
            if inner.verify_peer && inner.trust.len() == 0 && !inner.has_certs() {
                return Err(e);
            }
        }
        Ok(Config {
            inner: Arc::new(self.inner),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::CertChainAndKey;

    /// A builder as `Config::builder` leaves it where no system store exists.
    fn without_system_store() -> ConfigBuilder {
        let mut b = Config::builder_minimal();
        b.trust_error = Some(Error::usage("no system trust store found"));
        b
    }

    #[test]
    fn extended_master_secret_required_by_fips_policies_unless_overridden() {
        let required = |policy: &str, explicit: Option<bool>| {
            let mut b = Config::builder_minimal();
            b.security_policy(policy).unwrap();
            if let Some(r) = explicit {
                b.require_extended_master_secret(r);
            }
            b.inner.ems_required()
        };
        for fips in ["default_fips", "20230317", "20240331", "20240416"] {
            assert!(required(fips, None), "{fips}");
            assert!(!required(fips, Some(false)), "{fips}");
        }
        for other in ["default", "default_tls13", "20240417", "rfc9151"] {
            assert!(!required(other, None), "{other}");
            assert!(required(other, Some(true)), "{other}");
        }
        assert!(!Config::builder_minimal().inner.ems_required());
    }

    #[test]
    fn debug_shows_only_whether_a_key_log_is_set() {
        let mut b = Config::builder_minimal();
        assert!(format!("{:?}", b.inner).contains("key_log: false"));
        b.set_key_log(Arc::new(|_: &str, _: &[u8], _: &[u8]| {}));
        let text = format!("{:?}", b.build().unwrap());
        assert!(text.contains("key_log: true"), "{text}");
    }

    #[test]
    fn build_reports_the_trust_store_error_when_nothing_else_can_verify() {
        let err = without_system_store().build().unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Usage);
        assert!(err.to_string().contains("no system trust store"), "{err}");
    }

    #[test]
    fn build_succeeds_when_the_trust_store_is_not_needed() {
        let ca = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/ca-ecdsa.pem"
        ))
        .unwrap();
        let mut own_anchors = without_system_store();
        own_anchors.add_pem_to_trust_store(&ca).unwrap();
        own_anchors.build().unwrap();

        let mut no_verify = without_system_store();
        no_verify.disable_x509_verification();
        no_verify.build().unwrap();

        let mut wiped = without_system_store();
        wiped.wipe_trust_store();
        wiped.build().unwrap();

        let mut server = without_system_store();
        server.add_cert_chain_and_key(
            CertChainAndKey::from_pem(
                include_bytes!("../tests/data/server-p256-chain.pem"),
                include_bytes!("../tests/data/server-p256.key"),
            )
            .unwrap(),
        );
        server.build().unwrap();
    }
}
