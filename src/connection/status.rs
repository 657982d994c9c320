//! What the peer said about its certificate's status.

use super::Session;

impl Session {
    /// Client: the DER OCSP response the server stapled (asked for with
    /// [`ConfigBuilder::request_ocsp_status`](crate::ConfigBuilder::request_ocsp_status)),
    /// exactly as received; checked only if
    /// [`set_ocsp_validation`](crate::ConfigBuilder::set_ocsp_validation) says so.
    pub fn ocsp_response(&self) -> Option<&[u8]> {
        self.engine.info().ocsp_response.as_deref()
    }

    /// Client: the server's SignedCertificateTimestampList (RFC 6962 §3.3,
    /// asked for with [`ConfigBuilder::request_sct_list`](crate::ConfigBuilder::request_sct_list)),
    /// as received; Baton checks only its framing.
    pub fn sct_list(&self) -> Option<&[u8]> {
        self.engine.info().sct_list.as_deref()
    }
}
