//! Client authentication: a server's policy ([`ClientAuth`]), validation of a
//! client's chain for the clientAuth usage, the CA names a CertificateRequest
//! carries, and what the certificate verify callback sees ([`PeerCert`]).

use super::chain::der_next;
use super::verify::chain_error;
use super::TrustStore;
use crate::error::{AlertDescription, Error};
use crate::msgs::enums::SignatureScheme;

/// Whether a server asks for a client certificate (s2n's `S2N_CERT_AUTH_*`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ClientAuth {
    /// No CertificateRequest (the default).
    #[default]
    None,
    /// A CertificateRequest; a client that sends no certificate goes on
    /// unauthenticated, one that sends a certificate must pass validation.
    Optional,
    /// A CertificateRequest, and a client without a valid certificate fails
    /// the handshake (`certificate_required` in TLS 1.3, `handshake_failure`
    /// in TLS 1.2).
    Required,
}

/// The peer's certificate chain as the verify callback
/// ([`ConfigBuilder::set_cert_verify_callback`](crate::ConfigBuilder::set_cert_verify_callback))
/// sees it, after the chain was validated against the trust store.
#[derive(Debug)]
pub struct PeerCert<'a> {
    chain: &'a [Vec<u8>],
    from_client: bool,
    leaf_sha256: [u8; 32],
}

impl<'a> PeerCert<'a> {
    /// A view of `chain` (leaf first; `None` when empty), for instance of
    /// [`Session::peer_cert_chain`](crate::Session::peer_cert_chain) after
    /// the handshake; `from_client`: whether a client sent it.
    pub fn new(chain: &'a [Vec<u8>], from_client: bool) -> Option<Self> {
        let leaf = chain.first()?;
        let mut leaf_sha256 = [0u8; 32];
        leaf_sha256.copy_from_slice(crate::crypto::hash::HashAlg::Sha256.hash(leaf).as_bytes());
        Some(Self {
            chain,
            from_client,
            leaf_sha256,
        })
    }

    /// The chain as received, leaf first (DER).
    pub fn chain(&self) -> &'a [Vec<u8>] {
        self.chain
    }

    /// The leaf (end-entity) certificate, DER.
    pub fn leaf(&self) -> &'a [u8] {
        &self.chain[0]
    }

    /// SHA-256 of the leaf's DER, for pinning.
    pub fn leaf_sha256(&self) -> [u8; 32] {
        self.leaf_sha256
    }

    /// True when a server checks a client's certificate; false when a
    /// client checks a server's.
    pub fn is_client_cert(&self) -> bool {
        self.from_client
    }

    /// The leaf's subjectAltName URIs (SPIFFE IDs are `spiffe://...` URIs).
    pub fn uri_names(&self) -> Vec<String> {
        san_entries(self.leaf(), SAN_URI)
    }

    /// The leaf's subjectAltName DNS names.
    pub fn dns_names(&self) -> Vec<String> {
        san_entries(self.leaf(), SAN_DNS)
    }

    /// The leaf subject's common name (for logs: identities belong in the
    /// subjectAltName, RFC 6125).
    pub fn common_name(&self) -> Option<String> {
        subject_common_name(self.leaf())
    }
}

/// The first commonName (2.5.4.3) of a certificate's subject, if it is a
/// UTF-8 or printable string; `None` for anything else or a malformed DER.
pub fn subject_common_name(der: &[u8]) -> Option<String> {
    const CN: &[u8] = &[0x55, 0x04, 0x03];
    let (_, mut rdns) = tbs_names(der)?;
    while let Some((_, set, rest)) = der_next(rdns) {
        rdns = rest;
        let mut atvs = set;
        while let Some((_, atv, rest)) = der_next(atvs) {
            atvs = rest;
            let Some((0x06, oid, value)) = der_next(atv) else {
                continue;
            };
            if oid != CN {
                continue;
            }
            // UTF8String, PrintableString, IA5String.
            if let Some((0x0c | 0x13 | 0x16, v, _)) = der_next(value) {
                return core::str::from_utf8(v).ok().map(str::to_owned);
            }
        }
    }
    None
}

/// What the certificate verify callback decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertVerdict {
    /// The certificate is acceptable.
    Accept,
    /// Refuse the handshake with this alert
    /// ([`CertVerdict::refuse`] gives `bad_certificate`).
    Refuse(AlertDescription),
}

impl CertVerdict {
    /// A refusal with `bad_certificate`, the usual alert.
    pub fn refuse() -> Self {
        Self::Refuse(AlertDescription::BAD_CERTIFICATE)
    }
}

/// A certificate verify callback: runs once the peer's chain validated.
pub type CertVerifyFn = dyn Fn(&PeerCert<'_>) -> CertVerdict + Send + Sync;

/// Runs the config's verify callback, if any, on a validated chain.
pub(crate) fn run_verify_callback(
    cb: Option<&CertVerifyFn>,
    chain: &[Vec<u8>],
    from_client: bool,
) -> Result<(), Error> {
    let (Some(cb), Some(peer)) = (cb, PeerCert::new(chain, from_client)) else {
        return Ok(());
    };
    match cb(&peer) {
        CertVerdict::Accept => Ok(()),
        CertVerdict::Refuse(alert) => Err(Error::protocol(
            alert,
            "the certificate verify callback refused the peer's certificate",
        )),
    }
}

impl TrustStore {
    /// Validates a client's chain (leaf first) for TLS client authentication
    /// (extended key usage clientAuth) at `now_unix`. As for a server chain:
    /// unknown issuer → `unknown_ca`, expired → `certificate_expired`; a leaf
    /// without the clientAuth usage → `unsupported_certificate` (RFC 8446
    /// §6.2: a certificate of a kind the server does not take).
    pub(crate) fn verify_client_chain(
        &self,
        chain: &[Vec<u8>],
        now_unix: u64,
        cert_schemes: Option<&[SignatureScheme]>,
    ) -> Result<(), Error> {
        let usage = webpki::KeyUsage::client_auth();
        match self.verify_chain_for(chain, now_unix, cert_schemes, usage) {
            Err(e) if e.sent_alert() == Some(AlertDescription::BAD_CERTIFICATE) => {
                // Re-run to tell a usage failure apart (chain_error maps it
                // to bad_certificate for servers, as before).
                Err(self.client_usage_error(chain, now_unix).unwrap_or(e))
            }
            other => other,
        }
    }

    fn client_usage_error(&self, chain: &[Vec<u8>], now_unix: u64) -> Option<Error> {
        use rustls_pki_types::{CertificateDer, UnixTime};
        let (leaf, rest) = chain.split_first()?;
        let leaf = CertificateDer::from(leaf.as_slice());
        let ee = webpki::EndEntityCert::try_from(&leaf).ok()?;
        let inter: Vec<CertificateDer<'_>> = rest
            .iter()
            .map(|c| CertificateDer::from(c.as_slice()))
            .collect();
        let err = ee
            .verify_for_usage(
                super::verify::all_certificate_algorithms(),
                &self.anchors,
                &inter,
                UnixTime::since_unix_epoch(std::time::Duration::from_secs(now_unix)),
                webpki::KeyUsage::client_auth(),
                None,
                None,
            )
            .err()?;
        #[allow(deprecated)]
        let usage = matches!(
            err,
            webpki::Error::RequiredEkuNotFound | webpki::Error::RequiredEkuNotFoundContext(_)
        );
        Some(if usage {
            Error::protocol(
                AlertDescription::UNSUPPORTED_CERTIFICATE,
                "certificate is not valid for TLS client authentication (extended key usage)",
            )
        } else {
            chain_error(err)
        })
    }

    /// The anchors' subject names as DER `Name`s (with their SEQUENCE
    /// header), for a CertificateRequest's certificate_authorities.
    pub(crate) fn subject_names(&self) -> Vec<Vec<u8>> {
        self.anchors
            .iter()
            .filter_map(|a| wrap_sequence(a.subject.as_ref()))
            .collect()
    }
}

/// `contents` as a DER SEQUENCE; `None` if longer than a DistinguishedName may be.
fn wrap_sequence(contents: &[u8]) -> Option<Vec<u8>> {
    let n = contents.len();
    let mut out = Vec::with_capacity(n + 4);
    out.push(0x30);
    match n {
        0..=0x7f => out.push(n as u8),
        0x80..=0xff => out.extend_from_slice(&[0x81, n as u8]),
        // A TLS DistinguishedName is at most 2^16 - 1 bytes with its header.
        0x100..=0xfffb => out.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]),
        _ => return None,
    }
    out.extend_from_slice(contents);
    Some(out)
}

/// True if a certificate of `chain` names one of `names` (DER `Name`s from
/// a CertificateRequest) as its issuer or subject.
pub(crate) fn chain_matches_names(chain: &[Vec<u8>], names: &[Vec<u8>]) -> bool {
    let wanted: Vec<&[u8]> = names
        .iter()
        .filter_map(|n| {
            der_next(n)
                .filter(|(t, _, _)| *t == 0x30)
                .map(|(_, c, _)| c)
        })
        .collect();
    chain.iter().any(|der| {
        tbs_names(der)
            .is_some_and(|(issuer, subject)| wanted.iter().any(|w| *w == issuer || *w == subject))
    })
}

/// The issuer and subject `Name` contents of a certificate.
fn tbs_names(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let (_, cert, _) = der_next(der)?;
    let (_, tbs, _) = der_next(cert)?;
    let (tag, _, mut t) = der_next(tbs)?;
    if tag == 0xa0 {
        t = der_next(t)?.2; // serialNumber
    }
    let t = der_next(t)?.2; // signature
    let (_, issuer, t) = der_next(t)?;
    let t = der_next(t)?.2; // validity
    let (_, subject, _) = der_next(t)?;
    Some((issuer, subject))
}

const SAN_DNS: u8 = 0x82;
const SAN_URI: u8 = 0x86;

/// The subjectAltName entries of one GeneralName type (`[2]` dNSName, `[6]`
/// uniformResourceIdentifier) of a certificate webpki has parsed already.
fn san_entries(der: &[u8], wanted: u8) -> Vec<String> {
    const SAN_OID: &[u8] = &[0x55, 0x1d, 0x11];
    let mut out = Vec::new();
    let Some(mut exts) = extensions(der) else {
        return out;
    };
    while let Some((_, ext, rest)) = der_next(exts) {
        exts = rest;
        let Some((0x06, oid, mut body)) = der_next(ext) else {
            continue;
        };
        if oid != SAN_OID {
            continue;
        }
        if let Some((0x01, _, after)) = der_next(body) {
            body = after; // critical
        }
        let Some((0x04, value, _)) = der_next(body) else {
            continue;
        };
        let Some((0x30, mut names, _)) = der_next(value) else {
            continue;
        };
        while let Some((tag, name, rest)) = der_next(names) {
            names = rest;
            if tag == wanted {
                if let Ok(s) = core::str::from_utf8(name) {
                    out.push(s.to_owned());
                }
            }
        }
    }
    out
}

/// The contents of the tbsCertificate's `[3] extensions` SEQUENCE.
fn extensions(der: &[u8]) -> Option<&[u8]> {
    let (_, cert, _) = der_next(der)?;
    let (_, mut tbs, _) = der_next(cert)?;
    while let Some((tag, body, rest)) = der_next(tbs) {
        if tag == 0xa3 {
            return der_next(body).map(|(_, seq, _)| seq);
        }
        tbs = rest;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert_with_sans(sans: Vec<rcgen::SanType>) -> Vec<u8> {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.subject_alt_names = sans;
        let key = rcgen::KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn uri_and_dns_names_come_from_the_subject_alt_name() {
        let der = cert_with_sans(vec![
            rcgen::SanType::URI("spiffe://example.org/ns/a/sa/b".try_into().unwrap()),
            rcgen::SanType::DnsName("a.example".try_into().unwrap()),
        ]);
        let chain = vec![der];
        let peer = PeerCert::new(&chain, true).unwrap();
        assert_eq!(peer.uri_names(), ["spiffe://example.org/ns/a/sa/b"]);
        assert_eq!(peer.dns_names(), ["a.example"]);
        assert_eq!(
            peer.common_name().as_deref(),
            Some("rcgen self signed cert")
        );
        assert!(peer.is_client_cert());
        assert_eq!(
            peer.leaf_sha256().as_slice(),
            crate::crypto::hash::HashAlg::Sha256
                .hash(&chain[0])
                .as_bytes()
        );
    }

    #[test]
    fn malformed_certificates_have_no_names_and_no_panic() {
        for bad in [
            &b""[..],
            b"\x30",
            b"\x30\x03\x30\x01",
            b"\x30\x84\xff\xff\xff\xff",
        ] {
            assert!(san_entries(bad, SAN_URI).is_empty());
            assert!(tbs_names(bad).is_none());
            assert!(subject_common_name(bad).is_none());
            assert!(!chain_matches_names(
                &[bad.to_vec()],
                &[b"\x30\x00".to_vec()]
            ));
        }
    }

    #[test]
    fn names_are_wrapped_as_der_sequences() {
        assert_eq!(wrap_sequence(&[1, 2]).unwrap(), [0x30, 2, 1, 2]);
        assert_eq!(wrap_sequence(&[0; 0x80]).unwrap()[..3], [0x30, 0x81, 0x80]);
        assert_eq!(wrap_sequence(&[0; 0x100]).unwrap()[..4], [0x30, 0x82, 1, 0]);
        assert!(wrap_sequence(&vec![0; 0x10000]).is_none());
    }

    #[test]
    fn a_chain_matches_the_ca_names_of_its_issuer() {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.distinguished_name
            .push(rcgen::DnType::CommonName, "Test Client CA");
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca, ca_key);
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf = rcgen::CertificateParams::new(vec!["c".to_owned()])
            .unwrap()
            .signed_by(&leaf_key, &issuer)
            .unwrap();
        let mut store = TrustStore::new();
        store.add_pem(ca_cert.pem().as_bytes()).unwrap();
        let names = store.subject_names();
        assert_eq!(names.len(), 1);
        assert!(chain_matches_names(&[leaf.der().to_vec()], &names));
        let other = cert_with_sans(Vec::new());
        assert!(!chain_matches_names(&[other], &names));
    }
}
