//! What the handshake negotiated, and the keying material exporter.

use super::*;

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
