//! Client authentication on a session: the server's per-connection
//! setting and what each side learns.

use super::*;
use crate::cert::ClientAuth;

impl Session {
    /// Server: this connection's client authentication instead of the
    /// config's ([`ConfigBuilder::set_client_auth`](crate::ConfigBuilder::set_client_auth);
    /// s2n's connection-level `set_client_auth_type`). Call before the
    /// ClientHello arrives.
    pub fn set_client_auth(&mut self, mode: ClientAuth) -> Result<()> {
        self.engine.set_client_auth(mode)
    }

    /// Server: true when the client's certificate chain validated and its
    /// key signed the handshake, in this handshake or in the full one the
    /// resumed session comes from; its chain is then
    /// [`peer_cert_chain`](Self::peer_cert_chain). With
    /// [`disable_x509_verification`](crate::ConfigBuilder::disable_x509_verification)
    /// only the signature (and the verify callback, if any) stands behind it.
    /// Always false on a client.
    pub fn client_cert_verified(&self) -> bool {
        self.engine.info().client_cert_verified
    }

    /// Client: the certificate sent to the server in this handshake, if the
    /// server asked for one and one of ours fit.
    pub fn client_cert(&self) -> Option<&CertChainAndKey> {
        self.engine.info().client_cert.as_deref()
    }
}
