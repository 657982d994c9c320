//! What a server staples to its certificate: an OCSP response (RFC 6066 §8,
//! RFC 8446 §4.4.2.1) and a SignedCertificateTimestampList (RFC 6962 §3.3).
//! Both can be replaced on a live, shared chain (an OCSP response lasts days,
//! a server runs for months): handshakes read a snapshot, so one in progress
//! keeps what it started with.

use crate::error::Error;
use std::sync::{Arc, RwLock};

use super::CertChainAndKey;

/// A value a background thread may swap while handshakes read it.
#[derive(Default)]
pub(super) struct Swappable(RwLock<Option<Arc<[u8]>>>);

impl Swappable {
    fn get(&self) -> Option<Arc<[u8]>> {
        // A panic while holding the lock leaves a whole value behind (the
        // write is a single assignment), so a poisoned lock is still usable.
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set(&self, v: Option<Arc<[u8]>>) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = v;
    }
}

/// The largest staple: it must fit a u24 (CertificateStatus) and, with the
/// rest of the Certificate message, a handshake message.
const MAX_OCSP_RESPONSE: usize = 1 << 20;

impl CertChainAndKey {
    /// Sets the DER OCSP response stapled for this chain (s2n's
    /// `s2n_cert_chain_and_key_set_ocsp_data`); an empty slice removes it.
    ///
    /// Takes `&self`: a chain shared through
    /// [`ConfigBuilder::add_shared_cert_chain_and_key`](crate::ConfigBuilder::add_shared_cert_chain_and_key)
    /// gets a fresh response from any thread while the config serves
    /// (no restart). Sent only to clients that ask (`status_request`), in full
    /// handshakes. Fails if `der` is not an OCSPResponse.
    pub fn set_ocsp_response(&self, der: &[u8]) -> Result<(), Error> {
        if der.is_empty() {
            self.ocsp.set(None);
            return Ok(());
        }
        if der.len() > MAX_OCSP_RESPONSE {
            return Err(Error::usage("OCSP response larger than 1 MiB"));
        }
        super::ocsp::check_response_der(der)?;
        self.ocsp.set(Some(der.into()));
        Ok(())
    }

    /// The OCSP response stapled now, if any.
    pub fn ocsp_response(&self) -> Option<Arc<[u8]>> {
        self.ocsp.get()
    }

    /// Sets the serialized SignedCertificateTimestampList (RFC 6962 §3.3: the
    /// u16-length-prefixed list of u16-length-prefixed SCTs) sent to clients
    /// that offer `signed_certificate_timestamp` (s2n's
    /// `s2n_cert_chain_and_key_set_sct_list`); an empty slice removes it.
    /// Replaceable while serving, like the OCSP response.
    pub fn set_sct_list(&self, list: &[u8]) -> Result<(), Error> {
        if list.is_empty() {
            self.sct.set(None);
            return Ok(());
        }
        crate::msgs::handshake::check_sct_list(list)
            .map_err(|e| Error::usage(format!("malformed SCT list: {}", e.0)))?;
        self.sct.set(Some(list.into()));
        Ok(())
    }

    /// The SCT list sent now, if any.
    pub fn sct_list(&self) -> Option<Arc<[u8]>> {
        self.sct.get()
    }
}
