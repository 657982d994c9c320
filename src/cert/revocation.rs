//! Certificate revocation lists (RFC 5280 §5) checked by rustls-webpki during
//! path validation: the lists, how deep the check goes and what a certificate
//! no list covers means. Kept on the trust store, so every chain it validates
//! (a server's, and a client's under mutual TLS) gets the same check.

use crate::error::Error;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateRevocationListDer;
use std::sync::Arc;
use webpki::{
    CertRevocationList, ExpirationPolicy, OwnedCertRevocationList, RevocationCheckDepth,
    RevocationOptions, RevocationOptionsBuilder, UnknownStatusPolicy,
};

/// Which certificates of a chain are checked against the CRLs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum RevocationDepth {
    /// The leaf and every intermediate (the default, as in rustls).
    #[default]
    Chain,
    /// The leaf only.
    EndEntity,
}

/// The CRLs of a trust store and how they apply.
#[derive(Clone, Debug, Default)]
pub(crate) struct Crls {
    lists: Arc<Vec<Arc<CertRevocationList<'static>>>>,
    pub(crate) depth: RevocationDepth,
    /// A certificate whose issuer has no CRL here passes (otherwise it fails
    /// with `certificate_unknown`, the alert rustls sends for it).
    pub(crate) allow_unknown: bool,
    /// A CRL past its nextUpdate still counts (otherwise it fails).
    pub(crate) allow_expired: bool,
}

impl Crls {
    /// Adds one DER CRL; webpki checks its structure now and its signature
    /// when it is used (against the issuer in the path).
    pub(crate) fn add_der(&mut self, der: &[u8]) -> Result<(), Error> {
        let crl = OwnedCertRevocationList::from_der(der)
            .map_err(|e| Error::usage(format!("invalid CRL: {e:?}")))?;
        Arc::make_mut(&mut self.lists).push(Arc::new(crl.into()));
        Ok(())
    }

    /// Adds every X509 CRL in a PEM buffer; an error if there is none.
    pub(crate) fn add_pem(&mut self, pem: &[u8]) -> Result<usize, Error> {
        let mut n = 0;
        for der in CertificateRevocationListDer::pem_slice_iter(pem) {
            let der = der.map_err(|e| Error::usage(format!("malformed CRL PEM: {e}")))?;
            self.add_der(&der)?;
            n += 1;
        }
        if n == 0 {
            return Err(Error::usage("no X509 CRL found in PEM"));
        }
        Ok(n)
    }

    /// These lists and `extra` (CRLs a lookup callback gave for one chain).
    pub(crate) fn with_extra(&self, extra: Vec<Arc<CertRevocationList<'static>>>) -> Self {
        let mut out = self.clone();
        Arc::make_mut(&mut out.lists).extend(extra);
        out
    }

    pub(crate) fn len(&self) -> usize {
        self.lists.len()
    }

    /// The lists as webpki wants them (references), for [`options`](Self::options).
    pub(crate) fn refs(&self) -> Vec<&CertRevocationList<'static>> {
        self.lists.iter().map(|c| &**c).collect()
    }

    /// webpki's revocation options over `refs`; `None` when there is no CRL
    /// (no revocation checking at all).
    pub(crate) fn options<'a>(
        &self,
        refs: &'a [&'a CertRevocationList<'a>],
    ) -> Option<RevocationOptions<'a>> {
        let builder = RevocationOptionsBuilder::new(refs).ok()?;
        Some(
            builder
                .with_depth(match self.depth {
                    RevocationDepth::Chain => RevocationCheckDepth::Chain,
                    RevocationDepth::EndEntity => RevocationCheckDepth::EndEntity,
                })
                .with_status_policy(if self.allow_unknown {
                    UnknownStatusPolicy::Allow
                } else {
                    UnknownStatusPolicy::Deny
                })
                .with_expiration_policy(if self.allow_expired {
                    ExpirationPolicy::Ignore
                } else {
                    ExpirationPolicy::Enforce
                })
                .build(),
        )
    }
}
