//! Certificates: server chains with their keys, the trust store, and chain validation
//! through rustls-webpki (never hand-written path validation).

mod chain;
mod client_auth;
mod crl_lookup;
pub(crate) mod ocsp;
mod resolver;
mod revocation;
mod stapled;
#[cfg(test)]
mod tests;
mod trust;
mod verify;

pub(crate) use chain::der_next;
pub(crate) use chain::ec_key_curve;
pub use chain::CertChainAndKey;
pub(crate) use client_auth::{chain_matches_names, run_verify_callback};
pub use client_auth::{subject_common_name, CertVerdict, CertVerifyFn, ClientAuth, PeerCert};
pub(crate) use crl_lookup::PendingCrls;
pub use crl_lookup::{CrlLookup, CrlLookupCallback};
pub use resolver::{CertResolver, SniCertStore};
pub use revocation::RevocationDepth;
pub(crate) use trust::TrustStore;
pub(crate) use verify::{certificate_signature_algorithms, check_host_name, leaf_dns_names};

use crate::error::Error;
use std::path::Path;

/// Reads a whole file; failures are usage errors naming the path.
fn read_file(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| Error::usage(format!("cannot read {}: {e}", path.display())))
}
