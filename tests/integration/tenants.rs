//! Certificates for named tenants, made at test time with rcgen and signed
//! by the test CAs (so every test client trusts them), and a small server
//! that serves a handful of connections on 127.0.0.1. Shared with
//! `tools/tests/` through `#[path]`, so some helpers are unused in one of
//! the two binaries.
#![allow(dead_code)]

use crate::util::{data, scratch_dir, IO_TIMEOUT, TIMEOUT};
use baton::{CertChainAndKey, Connection, Error};
use std::net::{Ipv4Addr, TcpListener};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Instant;

/// A leaf certificate for some names, its files and its DER.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub chain: PathBuf,
    pub key: PathBuf,
    pub der: Vec<u8>,
}

impl Tenant {
    pub fn chain_and_key(&self) -> CertChainAndKey {
        CertChainAndKey::from_pem_files(&self.chain, &self.key).unwrap()
    }
}

/// A leaf for `names` with the key in `tests/data/KEY` (reused: only the
/// certificates differ), signed by `tests/data/CA.pem` / `CA.key`, written
/// to a fresh scratch directory.
pub fn tenant(names: &[&str], key: &str, ca: &str) -> Tenant {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = scratch_dir().join(format!("tenant-{}", N.fetch_add(1, Ordering::Relaxed)));
    std::fs::create_dir_all(&dir).unwrap();
    let read = |f: &str| std::fs::read_to_string(data(f)).unwrap();
    let ca_key = rcgen::KeyPair::from_pem(&read(&format!("{ca}.key"))).unwrap();
    // The CA's subject as gen.sh wrote it (one UTF8String CN): the leaf's
    // issuer must be the same bytes for a client to chain it.
    let cn = match ca {
        "ca-ecdsa" => "Baton Test Root CA (ECDSA)",
        "ca-rsa" => "Baton Test Root CA (RSA)",
        other => panic!("no subject known for {other}"),
    };
    let mut ca_params = rcgen::CertificateParams::default();
    ca_params.distinguished_name = rcgen::DistinguishedName::new();
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, cn);
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key_pem = read(key);
    let leaf_key = rcgen::KeyPair::from_pem(&key_pem).unwrap();
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let params = rcgen::CertificateParams::new(names).unwrap();
    let cert = params.signed_by(&leaf_key, &issuer).unwrap();
    let t = Tenant {
        chain: dir.join("cert.pem"),
        key: dir.join("key.pem"),
        der: cert.der().to_vec(),
    };
    std::fs::write(&t.chain, cert.pem()).unwrap();
    std::fs::write(&t.key, key_pem).unwrap();
    t
}

/// The first certificate `openssl s_client` printed, as DER.
pub fn first_pem_cert(stdout: &[u8]) -> Option<Vec<u8>> {
    use rustls_pki_types::pem::PemObject;
    let text = String::from_utf8_lossy(stdout);
    let start = text.find("-----BEGIN CERTIFICATE-----")?;
    let end = text[start..].find("-----END CERTIFICATE-----")? + start + 25;
    rustls_pki_types::CertificateDer::from_pem_slice(text[start..end].as_bytes())
        .ok()
        .map(|c| c.to_vec())
}

/// A Baton server on 127.0.0.1 for `n` connections, one after another:
/// each handshakes and then reads until the peer closes. The results are
/// each handshake's.
pub fn serve_n(config: baton::Config, n: usize) -> (u16, JoinHandle<Vec<Result<(), Error>>>) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let h = thread::spawn(move || {
        listener.set_nonblocking(true).unwrap();
        let deadline = Instant::now() + TIMEOUT;
        let mut results = Vec::new();
        while results.len() < n && Instant::now() < deadline {
            let stream = match listener.accept() {
                Ok((s, _)) => s,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    thread::sleep(std::time::Duration::from_millis(5));
                    continue;
                }
                Err(e) => panic!("accept: {e}"),
            };
            stream.set_nonblocking(false).unwrap();
            stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
            let mut conn = Connection::new_server(&config);
            conn.set_io(stream);
            let r = conn.negotiate();
            if r.is_ok() {
                let mut buf = [0u8; 1024];
                while matches!(conn.recv(&mut buf), Ok(k) if k > 0) {}
            }
            results.push(r);
        }
        results
    });
    (port, h)
}
