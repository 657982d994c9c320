//! What the handshake negotiated, and the keying material exporter.

use super::*;
use crate::resumption::{ResumptionRefusal, SavedSession};

impl Session {
    /// Keying material exporter (RFC 8446 §7.5, RFC 5705): `out.len()` bytes derived from
    /// the handshake for `label` and `context`. Available once the handshake completed.
    /// A TLS 1.2 handshake without the extended master secret
    /// ([`extended_master_secret`](Self::extended_master_secret) `Some(false)`)
    /// still exports, but RFC 7627 §5.4 advises against using that material to
    /// authenticate: another connection can share the master secret.
    pub fn export_keying_material(
        &self,
        label: &[u8],
        context: &[u8],
        out: &mut [u8],
    ) -> Result<()> {
        if !self.engine.is_handshake_complete() {
            return Err(Error::usage(
                "keying material is exported after the handshake",
            ));
        }
        use crate::engine::Exporter;
        match self.engine.exporter() {
            Some(Exporter::Tls13(alg, secret)) => {
                crate::tls13::key_schedule::export(*alg, secret, label, context, out)
            }
            // TLS 1.2: the context is always present (RFC 5705 §4), as in TLS 1.3,
            // where an empty context and no context are the same.
            Some(Exporter::Tls12 {
                hash,
                master,
                client_random,
                server_random,
            }) => {
                let v = crate::tls12::prf::export(
                    *hash,
                    master,
                    label,
                    Some(context),
                    client_random,
                    server_random,
                    out.len(),
                )?;
                out.copy_from_slice(&v);
                Ok(())
            }
            None => Err(Error::usage("no exporter secret on this connection")),
        }
    }

    /// Client: the session to resume in this handshake (from
    /// [`saved_session`](Self::saved_session) of an earlier connection, or
    /// [`SavedSession::from_bytes`]). Call before the handshake starts. If the
    /// server does not resume it, the handshake goes on in full. A TLS 1.3
    /// ticket is offered once (RFC 8446 §C.4): do not set the same one again.
    /// A session made for another server name is not offered.
    pub fn set_saved_session(&mut self, session: SavedSession) -> Result<()> {
        self.engine.set_resumption_offer(session)
    }

    /// Client: the newest session the server gave on this connection, to
    /// resume a later one (a TLS 1.2 session once the handshake completes; a
    /// TLS 1.3 ticket once its NewSessionTicket was read, which is after the
    /// handshake: read application data, or call `recv`, first). The same
    /// sessions reach the config's session callback as they come.
    pub fn saved_session(&self) -> Option<SavedSession> {
        self.engine.received_session().cloned()
    }

    /// Adds an external PSK for this connection only, after the config's
    /// (see [`crate::psk`]). Call before the handshake starts.
    pub fn add_psk(&mut self, psk: crate::psk::ExternalPsk) -> Result<()> {
        self.engine.add_psk(psk)
    }

    /// TLS 1.3: the identity of the external PSK the handshake used (`None`
    /// for a certificate handshake or a resumed session).
    pub fn negotiated_psk_identity(&self) -> Option<&[u8]> {
        self.engine.info().psk_identity.as_deref()
    }

    /// True when the handshake resumed a session (no certificates were sent).
    pub fn is_resumed(&self) -> bool {
        self.engine.info().resumed
    }

    /// Server: why the session the client offered was not resumed (`None`
    /// when none was offered, or it was resumed).
    pub fn resumption_refusal(&self) -> Option<ResumptionRefusal> {
        self.engine.info().refusal
    }

    /// For a resumed handshake, the age of the ticket or cache entry it used.
    pub fn resumed_session_age(&self) -> Option<std::time::Duration> {
        self.engine
            .info()
            .resumed_age
            .map(std::time::Duration::from_secs)
    }

    /// TLS 1.2: the id a session cache knows this connection's session by
    /// (s2n's `s2n_connection_get_session_id`). On a server, the id it
    /// assigned in its ServerHello to store the session in its
    /// [`SessionCache`](crate::resumption::SessionCache) (set from the ServerHello on, and
    /// back to `None` if the session could not be stored after all), or on an
    /// abbreviated handshake the id of the cache entry it resumed. On a
    /// client, the non-empty id the server's ServerHello gave (a later
    /// connection can offer it to resume), or on an abbreviated handshake the
    /// id of the session resumed.
    ///
    /// `None` (never an empty slice) when the session has no such id: a
    /// server that issues a ticket assigns none (the ticket is the session),
    /// a session resumed from a ticket keeps the ticket's lack of one (the
    /// id the client sends beside a ticket and the server echoes is only a
    /// marker, RFC 5077 §3.4), and a server without a session cache or a
    /// ticket key that may seal leaves it empty (RFC 5246 §7.4.1.3). Always
    /// `None` in TLS 1.3, whose legacy_session_id is a compatibility value
    /// and whose sessions are tickets (as BoringSSL, which caches no TLS 1.3
    /// session by id), and before the ServerHello.
    pub fn session_id(&self) -> Option<&[u8]> {
        self.engine.info().session_id.as_deref()
    }

    /// Server, TLS 1.3, on a resumed connection: the client's age of the
    /// ticket it resumed minus this server's, in whole seconds (BoringSSL's
    /// `SSL_get_ticket_age_skew`): positive when the client's clock ran ahead
    /// of ours since the ticket was issued. The client's age, in
    /// milliseconds, is truncated to seconds first, as the server counts in
    /// seconds. The ticket was accepted, so the skew lies within the config's
    /// ticket age window (plus a second of rounding): a large value means a
    /// client with a drifting clock, or one whose ticket was replayed late.
    /// `None` on a client, in TLS 1.2 (its tickets have no age) and when the
    /// handshake did not resume.
    pub fn resumed_ticket_age_skew(&self) -> Option<i64> {
        let info = self.engine.info();
        info.ticket_age_skew.filter(|_| info.resumed)
    }

    /// Server, TLS 1.3: sends `n` more session tickets than the config's
    /// count, after the handshake or at the next chance (s2n's
    /// `add_new_tickets_to_send`).
    pub fn add_tickets_to_send(&mut self, n: u8) -> Result<()> {
        self.engine.add_tickets_to_send(n)
    }

    /// Client or server.
    pub fn mode(&self) -> Mode {
        self.engine.mode()
    }

    /// The negotiated protocol version.
    pub fn actual_protocol_version(&self) -> Option<ProtocolVersion> {
        self.engine.info().version
    }

    /// The highest version the client offered.
    pub fn client_protocol_version(&self) -> Option<ProtocolVersion> {
        self.engine.info().client_version
    }

    /// The highest version the server supports (as far as this side knows).
    pub fn server_protocol_version(&self) -> Option<ProtocolVersion> {
        self.engine.info().server_version
    }

    /// The negotiated cipher suite.
    pub fn cipher_suite(&self) -> Option<CipherSuite> {
        self.engine.info().suite
    }

    /// The key exchange group.
    pub fn kx_group(&self) -> Option<NamedGroup> {
        self.engine.info().group
    }

    /// The negotiated ALPN protocol.
    pub fn alpn(&self) -> Option<&[u8]> {
        self.engine.info().alpn.as_deref()
    }

    /// Client: the name set with `set_server_name`; server: the SNI the client sent.
    pub fn server_name(&self) -> Option<&str> {
        self.engine.info().server_name.as_deref()
    }

    /// The peer's certificate chain (leaf first, DER), as received.
    pub fn peer_cert_chain(&self) -> &[Vec<u8>] {
        &self.engine.info().peer_chain
    }

    /// Server: the certificate chosen for this handshake.
    pub fn selected_cert(&self) -> Option<&CertChainAndKey> {
        self.engine.info().selected_cert.as_deref()
    }

    /// The signature scheme this side signed with.
    pub fn signature_scheme(&self) -> Option<SignatureScheme> {
        self.engine.info().signature_scheme
    }

    /// The signature scheme the peer signed with.
    pub fn peer_signature_scheme(&self) -> Option<SignatureScheme> {
        self.engine.info().peer_signature_scheme
    }

    /// TLS 1.2: `Some(true)` if the handshake used the extended master secret
    /// (RFC 7627), `Some(false)` if it used the standard one (RFC 5246 §8.1;
    /// accepted only where [`crate::ConfigBuilder::require_extended_master_secret`]
    /// or the policy allow it). `None` before TLS 1.2 is negotiated and in
    /// TLS 1.3, whose key schedule always binds the whole handshake.
    pub fn extended_master_secret(&self) -> Option<bool> {
        self.engine.info().ems
    }

    /// True if the handshake used a HelloRetryRequest.
    pub fn used_hello_retry(&self) -> bool {
        self.engine.info().hello_retry
    }

    /// The error that failed the connection, if any.
    pub fn last_error(&self) -> Option<&Error> {
        self.engine.error()
    }

    /// The kind of failure, if the connection failed.
    pub fn error_kind(&self) -> Option<ErrorKind> {
        self.engine.error().map(|e| e.kind())
    }
}
