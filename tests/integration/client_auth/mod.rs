//! Mutual TLS against real peers, split by peer: `vs_openssl` (s_client with
//! a certificate against a Baton server, and the Baton client against
//! s_server -verify/-Verify), `vs_gnutls` (gnutls-cli and curl with a
//! certificate), `vs_rustls` (in process, both directions) and
//! `vs_openssl_async` (the CRL lookup and private-key callbacks answered
//! later, against s_client and s_server).
//!
//! The client certificates are made here with rcgen (a root, an
//! intermediate, and leaves under it: a good clientAuth one with a SPIFFE
//! URI, an expired one, a serverAuth-only one, and one under another root),
//! written once per test process to the scratch directory. The server's
//! chain is the committed P-256 one (trusted by `ca-ecdsa.pem`).

mod vs_gnutls;
mod vs_openssl;
mod vs_openssl_async;
mod vs_rustls;

use crate::util::*;
use baton::{CertChainAndKey, ClientAuth, Config};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    SanType,
};
use std::path::PathBuf;
use std::sync::OnceLock;

/// The SPIFFE ID of the good client certificate.
pub const SPIFFE_ID: &str = "spiffe://example.org/ns/test/sa/client";

/// One client identity on disk: leaf, its chain (leaf + intermediate), key.
#[derive(Debug, Clone)]
pub struct ClientId {
    pub leaf: PathBuf,
    pub chain: PathBuf,
    pub key: PathBuf,
    pub leaf_der: Vec<u8>,
}

impl ClientId {
    pub fn path(p: &std::path::Path) -> String {
        p.to_str().expect("a UTF-8 path").to_owned()
    }

    /// The chain and key for a Baton client config.
    pub fn cert_and_key(&self) -> CertChainAndKey {
        CertChainAndKey::from_pem_files(&self.chain, &self.key).unwrap()
    }
}

/// The client-side PKI of these tests.
#[derive(Debug)]
pub struct Pki {
    /// The root that issues client certificates (through `intermediate`).
    pub root: PathBuf,
    pub intermediate: PathBuf,
    pub good: ClientId,
    pub expired: ClientId,
    pub server_only: ClientId,
    /// A clientAuth leaf under a root no server here trusts.
    pub wrong_ca: ClientId,
    /// A clientAuth leaf that `crl` revokes.
    pub revoked: ClientId,
    /// The intermediate's CRL (PEM), revoking `revoked`.
    pub crl: PathBuf,
}

/// The serial number of the revoked client certificate.
const REVOKED_SERIAL: u64 = 0x5eed_0bad;

fn ca(name: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, name);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    p
}

fn leaf(name: &str, eku: ExtendedKeyUsagePurpose, expired: bool) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, name);
    p.subject_alt_names = vec![
        SanType::URI(SPIFFE_ID.try_into().unwrap()),
        SanType::DnsName("client.test".try_into().unwrap()),
    ];
    p.extended_key_usages = vec![eku];
    if expired {
        p.not_before = rcgen::date_time_ymd(2000, 1, 1);
        p.not_after = rcgen::date_time_ymd(2001, 1, 1);
    }
    p
}

fn write(name: &str, contents: &str) -> PathBuf {
    let p = scratch_dir().join(format!("client-auth-{name}"));
    std::fs::write(&p, contents).unwrap();
    p
}

/// Generated once per test process.
pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let root_key = KeyPair::generate().unwrap();
        let root = ca("Baton mTLS Test Root").self_signed(&root_key).unwrap();
        let root_issuer = Issuer::new(ca("Baton mTLS Test Root"), root_key);
        let inter_key = KeyPair::generate().unwrap();
        let inter = ca("Baton mTLS Test Intermediate")
            .signed_by(&inter_key, &root_issuer)
            .unwrap();
        let inter_issuer = Issuer::new(ca("Baton mTLS Test Intermediate"), inter_key);
        let other_key = KeyPair::generate().unwrap();
        let other_issuer = Issuer::new(ca("Baton mTLS Other Root"), other_key);

        let issue = |name: &str,
                     params: CertificateParams,
                     issuer: &Issuer<'_, KeyPair>,
                     with_inter: bool| {
            let key = KeyPair::generate().unwrap();
            let cert = params.signed_by(&key, issuer).unwrap();
            let mut chain = cert.pem();
            if with_inter {
                chain.push_str(&inter.pem());
            }
            ClientId {
                leaf: write(&format!("{name}.pem"), &cert.pem()),
                chain: write(&format!("{name}-chain.pem"), &chain),
                key: write(&format!("{name}.key"), &key.serialize_pem()),
                leaf_der: cert.der().to_vec(),
            }
        };
        use ExtendedKeyUsagePurpose::{ClientAuth as C, ServerAuth as S};
        let mut revoked = leaf("revoked client", C, false);
        revoked.serial_number = Some(REVOKED_SERIAL.into());
        let crl = rcgen::CertificateRevocationListParams {
            this_update: rcgen::date_time_ymd(2020, 1, 1),
            next_update: rcgen::date_time_ymd(2100, 1, 1),
            crl_number: 1u64.into(),
            issuing_distribution_point: None,
            revoked_certs: vec![rcgen::RevokedCertParams {
                serial_number: REVOKED_SERIAL.into(),
                revocation_time: rcgen::date_time_ymd(2021, 1, 1),
                reason_code: Some(rcgen::RevocationReason::KeyCompromise),
                invalidity_date: None,
            }],
            key_identifier_method: rcgen::KeyIdMethod::Sha256,
        }
        .signed_by(&inter_issuer)
        .unwrap();
        Pki {
            root: write("root.pem", &root.pem()),
            intermediate: write("intermediate.pem", &inter.pem()),
            good: issue("good", leaf("good client", C, false), &inter_issuer, true),
            expired: issue(
                "expired",
                leaf("expired client", C, true),
                &inter_issuer,
                true,
            ),
            server_only: issue(
                "server-only",
                leaf("server-only", S, false),
                &inter_issuer,
                true,
            ),
            wrong_ca: issue(
                "wrong-ca",
                leaf("wrong-ca client", C, false),
                &other_issuer,
                false,
            ),
            revoked: issue("revoked", revoked, &inter_issuer, true),
            crl: write("intermediate.crl.pem", &crl.pem().unwrap()),
        }
    })
}

/// A Baton server config: the P-256 chain, the client root as its only
/// anchor, `mode`, the default policy (TLS 1.2 and 1.3: the peers of these
/// tests pin the version).
pub fn mtls_server(mode: ClientAuth) -> Config {
    let mut b = Config::builder_minimal();
    b.add_cert_chain_and_key(
        CertChainAndKey::from_pem_files(data("server-p256-chain.pem"), data("server-p256.key"))
            .unwrap(),
    );
    b.add_pem_to_trust_store(&std::fs::read(&pki().root).unwrap())
        .unwrap();
    b.set_client_auth(mode).send_ca_names(true);
    b.build().unwrap()
}

/// A Baton client config trusting the test CAs, with `id` as its certificate
/// (default policy, as [`mtls_server`]).
pub fn mtls_client(id: Option<&ClientId>) -> Config {
    let mut b = Config::builder_minimal();
    for ca in ["ca-rsa.pem", "ca-ecdsa.pem"] {
        b.add_pem_to_trust_store(&std::fs::read(data(ca)).unwrap())
            .unwrap();
    }
    if let Some(id) = id {
        b.add_client_cert_chain_and_key(id.cert_and_key());
    }
    b.build().unwrap()
}

/// What a Baton server saw of its client.
#[derive(Debug)]
pub struct SeenClient {
    pub verified: bool,
    pub chain: Vec<Vec<u8>>,
    pub version: Option<baton::ProtocolVersion>,
}

/// A Baton server for one connection: handshake, echo one line, close.
pub fn echo_server(config: Config) -> BatonServer<SeenClient> {
    baton_server(config, |conn| {
        conn.negotiate()?;
        let seen = SeenClient {
            verified: conn.client_cert_verified(),
            chain: conn.peer_cert_chain().to_vec(),
            version: conn.actual_protocol_version(),
        };
        let line = recv_until(conn, |got| got.ends_with(b"\n"))?;
        send_all(conn, &line)?;
        let _ = conn.shutdown();
        Ok(seen)
    })
}
