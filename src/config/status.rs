//! The builder's certificate status and revocation settings: OCSP stapling and
//! SCTs asked of the server, OCSP validation, CRLs.

use super::ConfigBuilder;
use crate::cert::RevocationDepth;
use crate::error::Result;

/// What a client does with the server's stapled OCSP response.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum OcspValidation {
    /// Nothing: the response, if asked for and sent, is only exposed
    /// ([`Session::ocsp_response`](crate::Session::ocsp_response)).
    #[default]
    Off,
    /// A stapled response must be valid for the server's certificate (good,
    /// current, signed by the issuer or its delegated responder); the
    /// handshake goes on without one.
    IfStapled,
    /// As `IfStapled`, and a full handshake without a staple fails with
    /// `bad_certificate_status_response` ("must staple").
    Required,
}

/// The settings of this file, in the config.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct StatusSettings {
    /// Client: send `status_request` (OCSP).
    pub(crate) request_ocsp: bool,
    pub(crate) ocsp_validation: OcspValidation,
    /// Client: send `signed_certificate_timestamp`.
    pub(crate) request_sct: bool,
}

impl StatusSettings {
    /// Whether the client asks for an OCSP staple.
    pub(crate) fn wants_ocsp(&self) -> bool {
        self.request_ocsp || self.ocsp_validation != OcspValidation::Off
    }
}

impl ConfigBuilder {
    /// Client: ask the server to staple an OCSP response (`status_request`,
    /// s2n's `s2n_config_set_status_request_type(S2N_STATUS_REQUEST_OCSP)`).
    /// The response is exposed, not checked, unless
    /// [`set_ocsp_validation`](Self::set_ocsp_validation) says so.
    pub fn request_ocsp_status(&mut self, on: bool) -> &mut Self {
        self.inner.status.request_ocsp = on;
        self
    }

    /// Client: validate the stapled OCSP response (implies
    /// [`request_ocsp_status`](Self::request_ocsp_status) unless `Off`). A
    /// revoked certificate fails with `certificate_revoked`; an unknown,
    /// stale, unsigned or foreign response with `bad_certificate_status_response`.
    /// Skipped with [`disable_x509_verification`](Self::disable_x509_verification).
    pub fn set_ocsp_validation(&mut self, mode: OcspValidation) -> &mut Self {
        self.inner.status.ocsp_validation = mode;
        self
    }

    /// Client: ask for the server's signed certificate timestamps
    /// (`signed_certificate_timestamp`, RFC 6962 §3.3.1), exposed by
    /// [`Session::sct_list`](crate::Session::sct_list). Baton does not check them.
    pub fn request_sct_list(&mut self, on: bool) -> &mut Self {
        self.inner.status.request_sct = on;
        self
    }

    /// Adds the CRLs of a PEM buffer (`-----BEGIN X509 CRL-----`): every peer
    /// chain is then checked for revocation by rustls-webpki (a revoked
    /// certificate fails with `certificate_revoked`). The CRL's signature is
    /// checked against its issuer in the validated path.
    pub fn add_crl_pem(&mut self, pem: &[u8]) -> Result<&mut Self> {
        self.inner.trust.crls.add_pem(pem)?;
        Ok(self)
    }

    /// Adds one DER CRL; see [`add_crl_pem`](Self::add_crl_pem).
    pub fn add_crl_der(&mut self, der: &[u8]) -> Result<&mut Self> {
        self.inner.trust.crls.add_der(der)?;
        Ok(self)
    }

    /// Which certificates the CRLs are checked for: the whole chain (the
    /// default) or the leaf only.
    pub fn set_revocation_depth(&mut self, depth: RevocationDepth) -> &mut Self {
        self.inner.trust.crls.depth = depth;
        self
    }

    /// Whether a certificate that no configured CRL covers passes (default:
    /// no, it fails with `certificate_unknown`, as in rustls). Only matters
    /// once a CRL is added.
    pub fn allow_unknown_revocation_status(&mut self, allow: bool) -> &mut Self {
        self.inner.trust.crls.allow_unknown = allow;
        self
    }

    /// Sets the CRL lookup callback (s2n's `s2n_config_set_crl_lookup_cb`):
    /// called once per certificate of the peer's chain when it arrives, it
    /// answers through the [`CrlLookup`](crate::cert::CrlLookup) it is handed,
    /// at once or later from any thread; the handshake returns
    /// [`Blocked::OnApplicationInput`](crate::Blocked::OnApplicationInput)
    /// until all are answered (call it again then), and validates the chain
    /// with the CRLs given plus the config's.
    pub fn set_crl_lookup_callback(
        &mut self,
        f: impl Fn(crate::cert::CrlLookup) + Send + Sync + 'static,
    ) -> &mut Self {
        self.inner.crl_lookup = Some(std::sync::Arc::new(f));
        self
    }

    /// Whether a CRL past its nextUpdate still counts (default: no).
    pub fn allow_expired_crls(&mut self, allow: bool) -> &mut Self {
        self.inner.trust.crls.allow_expired = allow;
        self
    }
}
