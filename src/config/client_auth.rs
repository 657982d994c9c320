//! The builder's client authentication settings (both sides).

use super::ConfigBuilder;
use crate::cert::{CertChainAndKey, CertVerdict, ClientAuth, PeerCert};
use std::sync::Arc;

/// What a config says about client certificates.
#[derive(Clone, Default)]
pub(crate) struct ClientAuthSettings {
    /// Server: whether to ask for a client certificate.
    pub mode: ClientAuth,
    /// Server: name the trust store's anchors in the CertificateRequest.
    pub send_ca_names: bool,
    /// Client: the chains it may answer a CertificateRequest with.
    pub certs: Vec<Arc<CertChainAndKey>>,
    /// Both sides: runs after the peer's chain validated.
    pub verify: Option<Arc<crate::cert::CertVerifyFn>>,
}

impl core::fmt::Debug for ClientAuthSettings {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientAuth")
            .field("mode", &self.mode)
            .field("send_ca_names", &self.send_ca_names)
            .field("client_certs", &self.certs.len())
            .field("verify_callback", &self.verify.is_some())
            .finish()
    }
}

impl ConfigBuilder {
    /// Server: whether to ask clients for a certificate (s2n's
    /// `set_client_auth_type`; default [`ClientAuth::None`]). A client's chain
    /// is validated against this config's trust store for the clientAuth
    /// extended key usage, so build a server's config with
    /// [`Config::builder_minimal`](crate::Config::builder_minimal) (or
    /// [`wipe_trust_store`](Self::wipe_trust_store)) and add only the CAs
    /// that issue client certificates. A connection may override this with
    /// [`Session::set_client_auth`](crate::Session::set_client_auth).
    pub fn set_client_auth(&mut self, mode: ClientAuth) -> &mut Self {
        self.inner.client_auth.mode = mode;
        self
    }

    /// Server: list the trust store's anchors (their subject names) in the
    /// CertificateRequest, so that a client with several certificates can
    /// pick one those CAs issued (off by default: the list can be long, and
    /// it tells every client which CAs the server trusts). Left out when the
    /// names would not fit one extension (64 KiB).
    pub fn send_ca_names(&mut self, on: bool) -> &mut Self {
        self.inner.client_auth.send_ca_names = on;
        self
    }

    /// Client: a certificate chain and key to answer a server's
    /// CertificateRequest with. With several, the client sends the first
    /// whose key signs a scheme the server offers and whose chain a CA the
    /// server named issued (when it named any), else the first whose key
    /// can sign; with none that can, an empty Certificate.
    pub fn add_client_cert_chain_and_key(&mut self, ck: CertChainAndKey) -> &mut Self {
        self.inner.client_auth.certs.push(Arc::new(ck));
        self
    }

    /// Both sides: a callback that sees the peer's chain once it validated
    /// (a server: the client's, when it sent one; a client: the server's,
    /// after the host name check) and accepts or refuses it, for SPIFFE IDs
    /// ([`PeerCert::uri_names`]), pinning ([`PeerCert::leaf_sha256`]) and
    /// the like. With [`disable_x509_verification`](Self::disable_x509_verification)
    /// it runs instead of the validation (pinning a self-signed peer), and
    /// the peer's key still signs the handshake. Not called when a session
    /// resumes: the original handshake's verdict stands.
    pub fn set_cert_verify_callback(
        &mut self,
        f: impl Fn(&PeerCert<'_>) -> CertVerdict + Send + Sync + 'static,
    ) -> &mut Self {
        self.inner.client_auth.verify = Some(Arc::new(f));
        self
    }
}
