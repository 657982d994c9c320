//! The CRL lookup callback (s2n's `s2n_config_set_crl_lookup_cb`): for each
//! certificate of the peer's chain the application is handed a [`CrlLookup`]
//! and answers, at once or later from any thread, with the CRL that covers
//! that certificate (its issuer's), or says it has none. The handshake
//! returns [`Blocked::OnApplicationInput`](crate::Blocked::OnApplicationInput)
//! until every lookup is answered, then validates the chain with those CRLs
//! (and the config's) through rustls-webpki.

use crate::error::Error;
use crate::oneshot::{Answer, Slot};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateRevocationListDer;
use std::sync::Arc;
use webpki::{CertRevocationList, OwnedCertRevocationList};

/// The CRLs given for one certificate; `None`: ignored (no CRL known).
type Given = Option<Vec<Arc<CertRevocationList<'static>>>>;

/// The application's CRL lookup callback; see [`CrlLookup`].
pub type CrlLookupCallback = dyn Fn(CrlLookup) + Send + Sync;

/// One certificate of the peer's chain whose CRL the application is asked
/// for. Answer with [`set_crl_der`](Self::set_crl_der) /
/// [`set_crl_pem`](Self::set_crl_pem) or [`ignore`](Self::ignore), now or
/// from another thread; dropping it unanswered ignores it. An ignored
/// certificate that path validation needs fails the handshake unless
/// [`allow_unknown_revocation_status`](crate::ConfigBuilder::allow_unknown_revocation_status)
/// is set (as s2n's `S2N_ERR_CRL_LOOKUP_FAILED`).
pub struct CrlLookup {
    index: usize,
    cert: Vec<u8>,
    answer: Answer<Given>,
}

impl CrlLookup {
    /// The certificate's position in the peer's chain (0: the leaf).
    pub fn index(&self) -> usize {
        self.index
    }

    /// The certificate, DER.
    pub fn cert_der(&self) -> &[u8] {
        &self.cert
    }

    /// The certificate's issuer Name, DER: the CRL to give is the one whose
    /// issuer is this name (`None` if the certificate does not parse).
    pub fn issuer_der(&self) -> Option<Vec<u8>> {
        use x509_cert::der::{Decode, Encode};
        let cert = x509_cert::Certificate::from_der(&self.cert).ok()?;
        cert.tbs_certificate.issuer.to_der().ok()
    }

    /// Answers with one DER CRL. A CRL that does not parse is an error and
    /// leaves the lookup unanswered (answer again, or drop it to ignore).
    pub fn set_crl_der(&mut self, der: &[u8]) -> Result<(), Error> {
        let crl = OwnedCertRevocationList::from_der(der)
            .map_err(|e| Error::usage(format!("invalid CRL: {e:?}")))?;
        self.answer.give(Some(vec![Arc::new(crl.into())]));
        Ok(())
    }

    /// Answers with every CRL of a PEM buffer (at least one).
    pub fn set_crl_pem(&mut self, pem: &[u8]) -> Result<(), Error> {
        let mut crls = Vec::new();
        for der in CertificateRevocationListDer::pem_slice_iter(pem) {
            let der = der.map_err(|e| Error::usage(format!("malformed CRL PEM: {e}")))?;
            let crl = OwnedCertRevocationList::from_der(&der)
                .map_err(|e| Error::usage(format!("invalid CRL: {e:?}")))?;
            crls.push(Arc::new(crl.into()));
        }
        if crls.is_empty() {
            return Err(Error::usage("no X509 CRL found in PEM"));
        }
        self.answer.give(Some(crls));
        Ok(())
    }

    /// No CRL is known for this certificate.
    pub fn ignore(mut self) {
        self.answer.give(None);
    }
}

impl core::fmt::Debug for CrlLookup {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CrlLookup")
            .field("index", &self.index)
            .field("answered", &self.answer.is_answered())
            .finish()
    }
}

/// The handshake's side: the lookups of one peer chain.
pub(crate) struct PendingCrls {
    slots: Vec<Slot<Given>>,
    /// The engine held back handshake messages while these were unanswered.
    pub(crate) held: bool,
}

impl PendingCrls {
    /// Hands `callback` one lookup per certificate of `chain`.
    pub(crate) fn start(callback: &CrlLookupCallback, chain: &[Vec<u8>]) -> Self {
        let slots = chain
            .iter()
            .enumerate()
            .map(|(index, cert)| {
                let (slot, answer) = crate::oneshot::pair(None, None);
                callback(CrlLookup {
                    index,
                    cert: cert.clone(),
                    answer,
                });
                slot
            })
            .collect();
        Self { slots, held: false }
    }

    pub(crate) fn all_answered(&self) -> bool {
        self.slots.iter().all(Slot::is_answered)
    }

    /// Every CRL given so far.
    pub(crate) fn crls(&self) -> Vec<Arc<CertRevocationList<'static>>> {
        self.slots
            .iter()
            .filter_map(|s| s.poll().flatten())
            .flatten()
            .collect()
    }
}

impl core::fmt::Debug for PendingCrls {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PendingCrls")
            .field("lookups", &self.slots.len())
            .field("answered", &self.all_answered())
            .finish()
    }
}
