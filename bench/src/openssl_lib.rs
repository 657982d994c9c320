//! OpenSSL (the system libssl) through the `openssl` crate: `SslStream` over
//! the in-memory transport, restricted to the case's version, suite and X25519;
//! tickets and the session cache off except in the resumed-handshake cases
//! ([`OpenSslResume`]).

use crate::rustls_lib::{self, RustlsResume};
use crate::transport::{duplex, End};
use crate::{Case, KeyType, Library, Resume, Side, SideTimes, SERVER_NAME};
use openssl::pkey::Id;
use openssl::ssl::{
    ErrorCode, HandshakeError, MidHandshakeSslStream, Ssl, SslContext, SslFiletype, SslMethod,
    SslMode, SslOptions, SslSessionCacheMode, SslStream, SslVerifyMode, SslVersion,
};
use std::any::Any;

/// OpenSSL configured for one case.
#[derive(Debug)]
pub struct OpenSsl {
    client: SslContext,
    server: SslContext,
}

/// A connected OpenSSL pair.
#[derive(Debug)]
pub struct OpenSslPair {
    client: SslStream<End>,
    server: SslStream<End>,
}

fn context(case: Case, release_mode: bool) -> Result<openssl::ssl::SslContextBuilder, String> {
    let mut b = context_resuming(case, release_mode)?;
    b.set_session_cache_mode(SslSessionCacheMode::OFF);
    b.set_options(SslOptions::NO_TICKET);
    b.set_num_tickets(0).map_err(|e| e.to_string())?;
    Ok(b)
}

/// The case's context with OpenSSL's defaults for resumption (tickets on,
/// the server's session cache on) but one TLS 1.3 ticket per connection, as
/// the other libraries send.
fn context_resuming(
    case: Case,
    release_mode: bool,
) -> Result<openssl::ssl::SslContextBuilder, String> {
    let e = |e: openssl::error::ErrorStack| e.to_string();
    let mut b = SslContext::builder(SslMethod::tls()).map_err(e)?;
    let v = if case.suite.is_tls12() {
        SslVersion::TLS1_2
    } else {
        SslVersion::TLS1_3
    };
    b.set_min_proto_version(Some(v)).map_err(e)?;
    b.set_max_proto_version(Some(v)).map_err(e)?;
    if case.suite.is_tls12() {
        b.set_cipher_list(case.suite.openssl_name(case.key))
            .map_err(e)?;
    } else {
        b.set_ciphersuites(case.suite.iana_name(case.key))
            .map_err(e)?;
    }
    // TLS 1.2: P-256 also names the ECDSA certificate's curve, which OpenSSL
    // requires the client to list; X25519 comes first, so it is the ECDHE group.
    let groups = if case.suite.is_tls12() {
        "X25519:P-256"
    } else {
        "X25519"
    };
    if case.group != crate::Group::X25519 {
        return Err(format!("{} is not in this OpenSSL", case.group.label()));
    }
    b.set_groups_list(groups).map_err(e)?;
    b.set_num_tickets(1).map_err(e)?;
    if release_mode {
        b.set_mode(SslMode::RELEASE_BUFFERS);
    }
    Ok(b)
}

impl Library for OpenSsl {
    const NAME: &'static str = "OpenSSL";
    type Pair = OpenSslPair;

    fn setup(case: Case, release_mode: bool) -> Result<Self, String> {
        let e = |e: openssl::error::ErrorStack| e.to_string();
        let (chain, key, ca) = case.key.files();
        let mut s = context(case, release_mode)?;
        s.set_certificate_chain_file(&chain).map_err(e)?;
        s.set_private_key_file(&key, SslFiletype::PEM).map_err(e)?;
        s.check_private_key().map_err(e)?;
        let mut c = context(case, release_mode)?;
        c.set_ca_file(&ca).map_err(e)?;
        c.set_verify(SslVerifyMode::PEER);
        Ok(Self {
            client: c.build(),
            server: s.build(),
        })
    }

    fn handshake(&self, t: &mut SideTimes) -> OpenSslPair {
        let (a, b) = duplex();
        let mut client = Some(t.on_client(|| {
            let mut ssl = Ssl::new(&self.client).unwrap();
            ssl.set_hostname(SERVER_NAME).unwrap();
            ssl.param_mut().set_host(SERVER_NAME).unwrap();
            Hs::start(ssl.connect(a))
        }));
        let mut server = Some(t.on_server(|| Hs::start(Ssl::new(&self.server).unwrap().accept(b))));
        for _ in 0..20 {
            client = match client.take() {
                Some(Hs::Mid(m)) => Some(t.on_client(|| Hs::start(m.handshake()))),
                done => done,
            };
            server = match server.take() {
                Some(Hs::Mid(m)) => Some(t.on_server(|| Hs::start(m.handshake()))),
                done => done,
            };
            if let (Some(Hs::Done(_)), Some(Hs::Done(_))) = (&client, &server) {
                let (Some(Hs::Done(client)), Some(Hs::Done(server))) = (client, server) else {
                    unreachable!()
                };
                return OpenSslPair { client, server };
            }
        }
        panic!("OpenSSL handshake did not finish");
    }
}

/// A handshake in progress or done (the `openssl` crate's typestate).
enum Hs {
    Mid(MidHandshakeSslStream<End>),
    Done(SslStream<End>),
}

impl Hs {
    fn start(r: Result<SslStream<End>, HandshakeError<End>>) -> Hs {
        match r {
            Ok(s) => Hs::Done(s),
            Err(HandshakeError::WouldBlock(m)) => Hs::Mid(m),
            Err(e) => panic!("OpenSSL handshake: {e}"),
        }
    }
}

/// OpenSSL's server with tickets on, resuming a rustls client (whose store
/// hands each TLS 1.3 ticket out once). The client side is not OpenSSL's:
/// reusing a session on an OpenSSL client takes `SslRef::set_session`,
/// which the `openssl` crate marks `unsafe`, and this crate forbids unsafe
/// code. Only the server's figure is OpenSSL's.
#[derive(Debug)]
pub struct OpenSslResume {
    client: std::sync::Arc<rustls::ClientConfig>,
    server: SslContext,
}

/// Why OpenSSL has no client-side resumed figure.
pub const NO_CLIENT_RESUMPTION: &str = "client: the openssl crate's SslRef::set_session is \
    unsafe and this crate forbids unsafe code (server measured against a rustls client)";

impl OpenSslResume {
    /// One handshake; the rustls client offers what its store holds.
    fn run(&self, t: &mut SideTimes) -> (rustls::ClientConnection, SslStream<End>) {
        let (mut c_io, b) = duplex();
        let mut client = t.on_client(|| {
            rustls::ClientConnection::new(
                self.client.clone(),
                rustls_pki_types::ServerName::try_from(SERVER_NAME).unwrap(),
            )
            .unwrap()
        });
        let mut server = Some(t.on_server(|| Hs::start(Ssl::new(&self.server).unwrap().accept(b))));
        for _ in 0..20 {
            t.on_client(|| rustls_lib::turn(&mut client, &mut c_io));
            server = match server.take() {
                Some(Hs::Mid(m)) => Some(t.on_server(|| Hs::start(m.handshake()))),
                done => done,
            };
            if let Some(Hs::Done(s)) = &server {
                // Done once the client has read everything, the ticket included.
                if !client.is_handshaking() && c_io.rx().is_empty() && s.get_ref().rx().is_empty() {
                    let Some(Hs::Done(s)) = server else {
                        unreachable!()
                    };
                    return (client, s);
                }
            }
        }
        panic!("OpenSSL server / rustls client handshake did not finish");
    }
}

impl Resume for OpenSslResume {
    const NAME: &'static str = "OpenSSL";

    fn setup_resumption(case: Case) -> Result<Self, String> {
        let e = |e: openssl::error::ErrorStack| e.to_string();
        let (chain, key, _) = case.key.files();
        let mut s = context_resuming(case, false)?;
        s.set_certificate_chain_file(&chain).map_err(e)?;
        s.set_private_key_file(&key, SslFiletype::PEM).map_err(e)?;
        s.set_session_id_context(b"baton-bench").map_err(e)?;
        let r = Self {
            client: RustlsResume::client_for(case)?,
            server: s.build(),
        };
        let (c, s) = r.run(&mut SideTimes::default());
        if s.ssl().session_reused() || rustls_lib::resumed(&c) {
            return Err("OpenSSL: the first handshake resumed".into());
        }
        Ok(r)
    }

    fn resumed_handshake(&mut self, case: Case, t: &mut SideTimes) -> Result<(), String> {
        let (c, s) = self.run(t);
        if !s.ssl().session_reused() || !rustls_lib::resumed(&c) {
            return Err("OpenSSL server / rustls client did not resume".into());
        }
        let version = if case.suite.is_tls12() {
            "TLSv1.2"
        } else {
            "TLSv1.3"
        };
        let suite = s.ssl().current_cipher().and_then(|c| c.standard_name());
        if s.ssl().version_str() != version || suite != Some(case.suite.iana_name(case.key)) {
            return Err(format!(
                "OpenSSL server resumed with {} {suite:?}",
                s.ssl().version_str()
            ));
        }
        Ok(())
    }
}

fn recv_into(s: &mut SslStream<End>, buf: &mut [u8]) -> usize {
    match s.ssl_read(buf) {
        Ok(0) => panic!("OpenSSL: unexpected close"),
        Ok(n) => n,
        Err(e) if e.code() == ErrorCode::WANT_READ => 0,
        Err(e) => panic!("OpenSSL read: {e}"),
    }
}

fn send_all(s: &mut SslStream<End>, data: &[u8]) {
    let n = s.ssl_write(data).expect("OpenSSL write");
    assert_eq!(n, data.len(), "OpenSSL: short write");
}

impl crate::Pair for OpenSslPair {
    fn check(&self, case: Case) -> Result<(), String> {
        let version = if case.suite.is_tls12() {
            "TLSv1.2"
        } else {
            "TLSv1.3"
        };
        for (who, s) in [("client", &self.client), ("server", &self.server)] {
            let ssl = s.ssl();
            let suite = ssl.current_cipher().and_then(|c| c.standard_name());
            if ssl.version_str() != version || suite != Some(case.suite.iana_name(case.key)) {
                return Err(format!(
                    "OpenSSL {who} negotiated {} {suite:?}",
                    ssl.version_str()
                ));
            }
        }
        // The crate exposes no getter for the group: X25519 is the only (TLS 1.3)
        // or first (TLS 1.2) group on both ends.
        let key = self
            .client
            .ssl()
            .peer_certificate()
            .ok_or("no peer certificate")?
            .public_key()
            .map_err(|e| e.to_string())?;
        let want = match case.key {
            KeyType::EcdsaP256 => Id::EC,
            KeyType::Rsa2048 => Id::RSA,
        };
        if key.id() != want {
            return Err(format!("OpenSSL: server key {:?}", key.id()));
        }
        Ok(())
    }

    fn send(&mut self, data: &[u8]) {
        send_all(&mut self.client, data);
    }

    fn recv(&mut self, buf: &mut [u8]) -> usize {
        recv_into(&mut self.server, buf)
    }

    fn echo_back(&mut self, data: &[u8]) {
        send_all(&mut self.server, data);
        let mut buf = vec![0u8; data.len()];
        let mut got = 0;
        while got < data.len() {
            let n = recv_into(&mut self.client, &mut buf[got..]);
            assert!(n > 0, "OpenSSL: echo did not arrive");
            got += n;
        }
        assert_eq!(buf, data);
    }

    fn release_buffers(&mut self, _side: Side) -> Result<bool, String> {
        // OpenSSL releases idle buffers by itself under SSL_MODE_RELEASE_BUFFERS,
        // which the memory measurement sets on a context of its own.
        Ok(false)
    }

    fn into_parts(self) -> (Box<dyn Any>, Box<dyn Any>, Box<dyn Any>) {
        (Box::new(self.client), Box::new(self.server), Box::new(()))
    }
}
