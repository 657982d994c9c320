//! rustls 0.23 with its aws-lc-rs provider, restricted to the case's suite,
//! X25519 and version; session tickets and resumption off except in the
//! resumed-handshake cases ([`RustlsResume`]).

use crate::transport::{duplex, End};
use crate::{Case, KeyType, Library, Resume, Side, SideTimes, SERVER_NAME};
use rustls::crypto::{aws_lc_rs as provider, CryptoProvider};
use rustls::{ClientConnection, ConnectionCommon, ServerConnection};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::any::Any;
use std::io::{self, Read, Write};
use std::sync::Arc;

/// rustls configured for one case.
#[derive(Debug)]
pub struct Rustls {
    client: Arc<rustls::ClientConfig>,
    server: Arc<rustls::ServerConfig>,
}

/// A connected rustls pair.
#[derive(Debug)]
pub struct RustlsPair {
    client: ClientConnection,
    server: ServerConnection,
    c_io: End,
    s_io: End,
}

fn restricted(case: Case) -> Arc<CryptoProvider> {
    let mut p = provider::default_provider();
    let want = case.suite.iana(case.key);
    p.cipher_suites.retain(|s| u16::from(s.suite()) == want);
    p.kx_groups = provider::ALL_KX_GROUPS
        .iter()
        .copied()
        .filter(|k| u16::from(k.name()) == case.group.iana())
        .collect();
    assert_eq!(p.cipher_suites.len(), 1);
    assert_eq!(p.kx_groups.len(), 1);
    Arc::new(p)
}

impl Library for Rustls {
    const NAME: &'static str = "rustls";
    type Pair = RustlsPair;

    fn setup(case: Case, _release_mode: bool) -> Result<Self, String> {
        let (mut c, mut s) = configs(case)?;
        // No resumption state outside the resumed cases, so neither side pays for it.
        s.send_tls13_tickets = 0;
        s.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
        c.resumption = rustls::client::Resumption::disabled();
        Ok(Self {
            client: Arc::new(c),
            server: Arc::new(s),
        })
    }

    fn handshake(&self, t: &mut SideTimes) -> RustlsPair {
        let (mut c_io, mut s_io) = duplex();
        let mut client = t.on_client(|| {
            ClientConnection::new(
                self.client.clone(),
                ServerName::try_from(SERVER_NAME).unwrap(),
            )
            .unwrap()
        });
        let mut server = t.on_server(|| ServerConnection::new(self.server.clone()).unwrap());
        for _ in 0..20 {
            t.on_client(|| turn(&mut client, &mut c_io));
            t.on_server(|| turn(&mut server, &mut s_io));
            if !client.is_handshaking()
                && !server.is_handshaking()
                && c_io.rx().is_empty()
                && s_io.rx().is_empty()
            {
                return RustlsPair {
                    client,
                    server,
                    c_io,
                    s_io,
                };
            }
        }
        panic!("rustls handshake did not finish");
    }
}

/// Client and server configurations for `case`, with rustls' defaults for
/// resumption (client: an in-memory session store; server: a session-id
/// cache, no ticketer).
fn configs(case: Case) -> Result<(rustls::ClientConfig, rustls::ServerConfig), String> {
    let (chain, key, _) = case.key.files();
    let versions: &[&rustls::SupportedProtocolVersion] = if case.suite.is_tls12() {
        &[&rustls::version::TLS12]
    } else {
        &[&rustls::version::TLS13]
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&chain)
        .map_err(|e| e.to_string())?
        .map(|c| c.unwrap())
        .collect();
    let key = PrivateKeyDer::from_pem_file(&key).map_err(|e| e.to_string())?;
    let s = rustls::ServerConfig::builder_with_provider(restricted(case))
        .with_protocol_versions(versions)
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| e.to_string())?;
    let c = rustls::ClientConfig::builder_with_provider(restricted(case))
        .with_protocol_versions(versions)
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots_of(case)?)
        .with_no_client_auth();
    Ok((c, s))
}

/// The case's CA as a rustls root store.
fn roots_of(case: Case) -> Result<rustls::RootCertStore, String> {
    let (_, _, ca) = case.key.files();
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(&ca).map_err(|e| e.to_string())? {
        roots.add(c.unwrap()).map_err(|e| e.to_string())?;
    }
    Ok(roots)
}

/// rustls with resumption on: the server seals tickets with its ticketer
/// (one TLS 1.3 ticket per connection, as Baton and s2n-tls send by
/// default), the client keeps them in its in-memory session store, which
/// hands each TLS 1.3 ticket out once, so every connection resumes with the
/// ticket the previous one received.
#[derive(Debug)]
pub struct RustlsResume(Rustls);

impl RustlsResume {
    /// The client configuration (its session store holds the next ticket).
    pub fn client_config(&self) -> &Arc<rustls::ClientConfig> {
        &self.0.client
    }

    /// A configured, store-filling rustls client for `case`, with its own store.
    /// TLS 1.2: P-256 is also offered, after X25519, since it names the
    /// ECDSA certificate's curve (RFC 8422 §5.1), which OpenSSL's server requires.
    pub fn client_for(case: Case) -> Result<Arc<rustls::ClientConfig>, String> {
        let (mut c, _) = configs(case)?;
        if case.suite.is_tls12() {
            let mut p = (*restricted(case)).clone();
            p.kx_groups.push(provider::kx_group::SECP256R1);
            c = rustls::ClientConfig::builder_with_provider(Arc::new(p))
                .with_protocol_versions(&[&rustls::version::TLS12])
                .map_err(|e| e.to_string())?
                .with_root_certificates(roots_of(case)?)
                .with_no_client_auth();
        }
        c.resumption = rustls::client::Resumption::in_memory_sessions(256);
        Ok(Arc::new(c))
    }
}

/// True when the rustls connection resumed.
pub fn resumed<S>(conn: &ConnectionCommon<S>) -> bool {
    conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed)
}

impl Resume for RustlsResume {
    const NAME: &'static str = "rustls";

    fn setup_resumption(case: Case) -> Result<Self, String> {
        let (mut c, mut s) = configs(case)?;
        s.ticketer = provider::Ticketer::new().map_err(|e| e.to_string())?;
        s.send_tls13_tickets = 1;
        c.resumption = rustls::client::Resumption::in_memory_sessions(256);
        let r = Self(Rustls {
            client: Arc::new(c),
            server: Arc::new(s),
        });
        let full = r.0.handshake(&mut SideTimes::default());
        crate::Pair::check(&full, case)?;
        if resumed(&full.client) {
            return Err("rustls: the first handshake resumed".into());
        }
        Ok(r)
    }

    fn resumed_handshake(&mut self, case: Case, t: &mut SideTimes) -> Result<(), String> {
        let pair = self.0.handshake(t);
        for (who, r) in [
            ("client", resumed(&pair.client)),
            ("server", resumed(&pair.server)),
        ] {
            if !r {
                return Err(format!("rustls {who} did not resume"));
            }
        }
        check_version_suite(&pair, case)
    }
}

fn check_version_suite(pair: &RustlsPair, case: Case) -> Result<(), String> {
    let version = if case.suite.is_tls12() {
        rustls::ProtocolVersion::TLSv1_2
    } else {
        rustls::ProtocolVersion::TLSv1_3
    };
    for (who, v, s) in [
        (
            "client",
            pair.client.protocol_version(),
            pair.client.negotiated_cipher_suite(),
        ),
        (
            "server",
            pair.server.protocol_version(),
            pair.server.negotiated_cipher_suite(),
        ),
    ] {
        if v != Some(version) || s.map(|s| u16::from(s.suite())) != Some(case.suite.iana(case.key))
        {
            return Err(format!("rustls {who} resumed with {v:?} {s:?}"));
        }
    }
    Ok(())
}

/// One turn of a side: read and process what arrived, write what it has.
pub(crate) fn turn<S>(conn: &mut ConnectionCommon<S>, io: &mut End) {
    loop {
        match conn.read_tls(io) {
            Ok(0) => panic!("rustls: transport closed"),
            Ok(_) => {
                conn.process_new_packets()
                    .unwrap_or_else(|e| panic!("rustls: {e}"));
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("rustls read_tls: {e}"),
        }
    }
    while conn.wants_write() {
        conn.write_tls(io).unwrap();
    }
}

fn recv_into<S>(conn: &mut ConnectionCommon<S>, io: &mut End, buf: &mut [u8]) -> usize {
    loop {
        match conn.reader().read(buf) {
            Ok(0) => panic!("rustls: unexpected close"),
            Ok(n) => return n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("rustls read: {e}"),
        }
        match conn.read_tls(io) {
            Ok(0) => panic!("rustls: transport closed"),
            Ok(_) => {
                conn.process_new_packets()
                    .unwrap_or_else(|e| panic!("rustls: {e}"));
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return 0,
            Err(e) => panic!("rustls read_tls: {e}"),
        }
    }
}

impl crate::Pair for RustlsPair {
    fn check(&self, case: Case) -> Result<(), String> {
        let version = if case.suite.is_tls12() {
            rustls::ProtocolVersion::TLSv1_2
        } else {
            rustls::ProtocolVersion::TLSv1_3
        };
        for (who, v, s, g) in [
            (
                "client",
                self.client.protocol_version(),
                self.client.negotiated_cipher_suite(),
                self.client.negotiated_key_exchange_group(),
            ),
            (
                "server",
                self.server.protocol_version(),
                self.server.negotiated_cipher_suite(),
                self.server.negotiated_key_exchange_group(),
            ),
        ] {
            let ok = v == Some(version)
                && s.map(|s| u16::from(s.suite())) == Some(case.suite.iana(case.key))
                && g.map(|g| u16::from(g.name())) == Some(case.group.iana());
            if !ok {
                return Err(format!("rustls {who} negotiated {v:?} {s:?}"));
            }
        }
        // The server's key type: the leaf certificate rustls received.
        let leaf = &self
            .client
            .peer_certificates()
            .ok_or("no peer certificate")?[0];
        let is_ec = leaf
            .as_ref()
            .windows(7)
            .any(|w| w == [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]);
        if is_ec != (case.key == KeyType::EcdsaP256) {
            return Err("rustls: unexpected server key type".into());
        }
        Ok(())
    }

    fn send(&mut self, data: &[u8]) {
        self.client.writer().write_all(data).expect("rustls write");
        while self.client.wants_write() {
            self.client.write_tls(&mut self.c_io).unwrap();
        }
    }

    fn recv(&mut self, buf: &mut [u8]) -> usize {
        recv_into(&mut self.server, &mut self.s_io, buf)
    }

    fn echo_back(&mut self, data: &[u8]) {
        self.server.writer().write_all(data).expect("rustls write");
        while self.server.wants_write() {
            self.server.write_tls(&mut self.s_io).unwrap();
        }
        let mut buf = vec![0u8; data.len()];
        let mut got = 0;
        while got < data.len() {
            let n = recv_into(&mut self.client, &mut self.c_io, &mut buf[got..]);
            assert!(n > 0, "rustls: echo did not arrive");
            got += n;
        }
        assert_eq!(buf, data);
    }

    fn release_buffers(&mut self, _side: Side) -> Result<bool, String> {
        // rustls 0.23 has no call for this; its buffers are whatever it keeps.
        Ok(false)
    }

    fn into_parts(self) -> (Box<dyn Any>, Box<dyn Any>, Box<dyn Any>) {
        (
            Box::new(self.client),
            Box::new(self.server),
            Box::new((self.c_io, self.s_io)),
        )
    }
}
