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

/// The largest staple: in TLS 1.3 it travels in an extension of the leaf's
/// CertificateEntry (`opaque extension_data<0..2^16-1>`), after the
/// CertificateStatus header (type, u24 length). Larger would fail every
/// TLS 1.3 handshake; real responses are a few KiB.
const MAX_OCSP_RESPONSE: usize = 0xffff - 4;

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
            return Err(Error::usage(format!(
                "OCSP response larger than {MAX_OCSP_RESPONSE} bytes"
            )));
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
        if list.len() > 0xffff {
            // It is a whole extension body in both versions.
            return Err(Error::usage("SCT list larger than 65535 bytes"));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn chain() -> CertChainAndKey {
        CertChainAndKey::from_pem(
            include_bytes!("../../tests/data/server-rsa.pem"),
            include_bytes!("../../tests/data/server-rsa.key"),
        )
        .unwrap()
    }

    #[test]
    fn staples_are_checked_replaced_and_cleared() {
        let ck = chain();
        let seed = include_bytes!("../../tests/fuzz/seeds/ocsp_response/rsa-good");
        ck.set_ocsp_response(&seed[1..]).unwrap();
        assert_eq!(ck.ocsp_response().as_deref(), Some(&seed[1..]));
        // Not an OCSPResponse, or too big for a TLS 1.3 extension: refused,
        // and the staple in place stays.
        assert!(ck.set_ocsp_response(b"\x30\x03\x0a\x01").is_err());
        // (65532 bytes: more than an extension holds, checked before the DER.)
        let e = ck.set_ocsp_response(&[0x30; 65532]).unwrap_err();
        assert!(e.to_string().contains("larger than 65531"), "{e}");
        assert_eq!(ck.ocsp_response().as_deref(), Some(&seed[1..]));
        ck.set_ocsp_response(&[]).unwrap();
        assert_eq!(ck.ocsp_response(), None);

        ck.set_sct_list(&[0, 3, 0, 1, 7]).unwrap();
        assert_eq!(ck.sct_list().as_deref(), Some(&[0, 3, 0, 1, 7][..]));
        let mut big = vec![0xff, 0xff, 0xff, 0xfd];
        big.resize(0xffff + 2, 1);
        assert!(ck.set_sct_list(&big).is_err());
        assert!(ck.set_sct_list(&[0, 1, 0]).is_err());
        ck.set_sct_list(&[]).unwrap();
        assert_eq!(ck.sct_list(), None);
        let dbg = format!("{ck:?}");
        assert!(dbg.contains("ocsp_response: None"), "{dbg}");
    }
}
