//! Baton over the in-memory transport (`Connection::set_io`), like any
//! `Read + Write` user.

use crate::transport::{duplex, Pipe};
use crate::{Case, KeyType, Library, Resume, Side, SideTimes, SERVER_NAME};
use baton::{
    CertChainAndKey, CipherSuite, Config, ConfigBuilder, Connection, NamedGroup, ProtocolVersion,
    SavedSession, SecurityPolicy, Session, SignatureScheme,
};
use std::any::Any;

/// Baton configured for one case.
#[derive(Debug)]
pub struct Baton {
    client: Config,
    server: Config,
}

/// A connected Baton pair.
#[derive(Debug)]
pub struct BatonPair {
    client: Connection,
    server: Connection,
    /// The client's inbound queue (server→client), for draining in `echo_back`.
    pipes: (Pipe, Pipe),
}

/// A policy allowing exactly the case's version, suite and group.
fn policy(case: Case) -> &'static SecurityPolicy {
    let (version, groups, schemes): (_, &'static [NamedGroup], &'static [SignatureScheme]) =
        if case.suite.is_tls12() {
            // TLS 1.2: P-256 also names the ECDSA certificate's curve (RFC 8422
            // §5.1); X25519 comes first, so it is the ECDHE group.
            (
                ProtocolVersion::TLSV1_2,
                &[NamedGroup::X25519, NamedGroup::SECP256R1],
                baton::policy::default_policy().signature_schemes,
            )
        } else {
            (
                ProtocolVersion::TLSV1_3,
                match case.group {
                    crate::Group::X25519 => &[NamedGroup::X25519],
                    crate::Group::X25519MlKem768 => &[NamedGroup::X25519MLKEM768],
                },
                baton::policy::default_policy().signature_schemes,
            )
        };
    let suite = CipherSuite(case.suite.iana(case.key));
    Box::leak(Box::new(SecurityPolicy {
        name: "bench",
        min_version: version,
        max_version: version,
        cipher_suites: Box::leak(vec![suite].into_boxed_slice()),
        signature_schemes: schemes,
        certificate_signature_schemes: None,
        groups,
        chacha20_boosted: false,
    }))
}

impl Library for Baton {
    const NAME: &'static str = "Baton";
    type Pair = BatonPair;

    fn setup(case: Case, _release_mode: bool) -> Result<Self, String> {
        let (c, s) = builders(case)?;
        Ok(Self {
            client: c.build().map_err(|e| e.to_string())?,
            server: s.build().map_err(|e| e.to_string())?,
        })
    }

    fn handshake(&self, t: &mut SideTimes) -> BatonPair {
        connect(&self.client, &self.server, None, t)
    }
}

/// Client and server builders for `case` (resumption off, as built).
fn builders(case: Case) -> Result<(ConfigBuilder, ConfigBuilder), String> {
    let (chain, key, ca) = case.key.files();
    let p = policy(case);
    let mut s = Config::builder_minimal();
    s.add_cert_chain_and_key(
        CertChainAndKey::from_pem_files(&chain, &key).map_err(|e| e.to_string())?,
    );
    s.custom_security_policy(p).map_err(|e| e.to_string())?;
    let mut c = Config::builder_minimal();
    c.add_pem_to_trust_store(&std::fs::read(&ca).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    c.custom_security_policy(p).map_err(|e| e.to_string())?;
    Ok((c, s))
}

/// Creates both connections (the client offering `session`, if any) and
/// runs the handshake to completion, each side's time in `t`.
fn connect(
    client: &Config,
    server: &Config,
    session: Option<SavedSession>,
    t: &mut SideTimes,
) -> BatonPair {
    let (a, b) = duplex();
    let pipes = (a.rx().clone(), b.rx().clone());
    let mut client = t.on_client(|| {
        let mut c = Connection::new_client(client);
        c.set_server_name(SERVER_NAME).unwrap();
        if let Some(s) = session {
            c.session_mut()
                .set_saved_session(s)
                .expect("Baton: offering the session");
        }
        c.set_io(a);
        c
    });
    let mut server = t.on_server(|| {
        let mut s = Connection::new_server(server);
        s.set_io(b);
        s
    });
    let (mut c_done, mut s_done) = (false, false);
    for _ in 0..20 {
        if !c_done {
            c_done = t.on_client(|| step(client.negotiate(), "client"));
        }
        if !s_done {
            s_done = t.on_server(|| step(server.negotiate(), "server"));
        }
        if c_done && s_done {
            return BatonPair {
                client,
                server,
                pipes,
            };
        }
    }
    panic!("Baton handshake did not finish");
}

/// Baton with tickets on both ends; the client keeps the session each
/// connection leaves and offers it explicitly (`set_saved_session`, the
/// config's own session store off), as s2n's `set_session` does.
#[derive(Debug)]
pub struct BatonResume {
    lib: Baton,
    session: Option<SavedSession>,
}

impl BatonResume {
    /// One handshake offering the kept session; keeps the one it leaves.
    fn run(&mut self, t: &mut SideTimes) -> Result<BatonPair, String> {
        let mut pair = connect(&self.lib.client, &self.lib.server, self.session.take(), t);
        // A TLS 1.3 ticket comes after the handshake: the client reads it, as
        // it would before its first application read returns.
        if !pair.pipes.0.is_empty() {
            t.on_client(|| recv_into(&mut pair.client, &mut [0u8; 64]));
        }
        self.session = pair.client.saved_session();
        if self.session.is_none() {
            return Err("Baton: the connection left no session to resume".into());
        }
        Ok(pair)
    }
}

impl BatonResume {
    /// Replaces the server with one under new ticket keys, so the client's
    /// next offer cannot be resumed (for the check that a full handshake
    /// never passes as a resumed one).
    pub fn new_server_keys(&mut self, case: Case) -> Result<(), String> {
        let (_, mut s) = builders(case)?;
        s.session_tickets(true);
        self.lib.server = s.build().map_err(|e| e.to_string())?;
        Ok(())
    }
}

impl Resume for BatonResume {
    const NAME: &'static str = "Baton";

    fn setup_resumption(case: Case) -> Result<Self, String> {
        let (mut c, mut s) = builders(case)?;
        s.session_tickets(true);
        c.session_tickets(true).set_client_session_store(None);
        let mut r = Self {
            lib: Baton {
                client: c.build().map_err(|e| e.to_string())?,
                server: s.build().map_err(|e| e.to_string())?,
            },
            session: None,
        };
        let full = r.run(&mut SideTimes::default())?;
        crate::Pair::check(&full, case)?;
        if full.client.is_resumed() || full.server.is_resumed() {
            return Err("Baton: the first handshake resumed".into());
        }
        Ok(r)
    }

    fn resumed_handshake(&mut self, case: Case, t: &mut SideTimes) -> Result<(), String> {
        let pair = self.run(t)?;
        for (who, c) in [("client", &pair.client), ("server", &pair.server)] {
            if !c.is_resumed() {
                return Err(format!(
                    "Baton {who} did not resume ({:?})",
                    pair.server.resumption_refusal()
                ));
            }
            if c.actual_protocol_version() != Some(version(case))
                || c.cipher_suite() != Some(CipherSuite(case.suite.iana(case.key)))
            {
                return Err(format!(
                    "Baton {who} resumed with {:?} {:?}",
                    c.actual_protocol_version(),
                    c.cipher_suite()
                ));
            }
        }
        Ok(())
    }
}

fn version(case: Case) -> ProtocolVersion {
    if case.suite.is_tls12() {
        ProtocolVersion::TLSV1_2
    } else {
        ProtocolVersion::TLSV1_3
    }
}

fn step(r: baton::Result<()>, who: &str) -> bool {
    match r {
        Ok(()) => true,
        Err(e) if e.is_blocked() => false,
        Err(e) => panic!("Baton {who} handshake: {e}"),
    }
}

fn recv_into(conn: &mut Connection, buf: &mut [u8]) -> usize {
    match conn.recv(buf) {
        Ok(0) => panic!("Baton: unexpected close"),
        Ok(n) => n,
        Err(e) if e.is_blocked() => 0,
        Err(e) => panic!("Baton recv: {e}"),
    }
}

impl crate::Pair for BatonPair {
    fn check(&self, case: Case) -> Result<(), String> {
        let version = version(case);
        for (who, c) in [("client", &self.client), ("server", &self.server)] {
            if c.actual_protocol_version() != Some(version)
                || c.cipher_suite() != Some(CipherSuite(case.suite.iana(case.key)))
                || c.kx_group() != Some(NamedGroup(case.group.iana()))
            {
                return Err(format!(
                    "Baton {who} negotiated {:?} {:?} {:?}",
                    c.actual_protocol_version(),
                    c.cipher_suite(),
                    c.kx_group()
                ));
            }
        }
        let scheme = self.client.peer_signature_scheme();
        let ok = match case.key {
            KeyType::EcdsaP256 => scheme == Some(SignatureScheme::ECDSA_SECP256R1_SHA256),
            KeyType::Rsa2048 => scheme == Some(SignatureScheme::RSA_PSS_RSAE_SHA256),
        };
        if !ok {
            return Err(format!("Baton server signed with {scheme:?}"));
        }
        Ok(())
    }

    fn send(&mut self, data: &[u8]) {
        let n = self.client.send(data).expect("Baton send");
        assert_eq!(
            n,
            data.len(),
            "Baton: short send into an unbounded transport"
        );
    }

    fn recv(&mut self, buf: &mut [u8]) -> usize {
        recv_into(&mut self.server, buf)
    }

    fn echo_back(&mut self, data: &[u8]) {
        assert_eq!(self.server.send(data).expect("Baton send"), data.len());
        let mut buf = vec![0u8; data.len()];
        let mut got = 0;
        while got < data.len() {
            let n = recv_into(&mut self.client, &mut buf[got..]);
            assert!(n > 0, "Baton: echo did not arrive");
            got += n;
        }
        assert_eq!(buf, data);
        debug_assert!(self.pipes.0.is_empty() && self.pipes.1.is_empty());
    }

    fn release_buffers(&mut self, side: Side) -> Result<bool, String> {
        let conn = match side {
            Side::Client => &mut self.client,
            Side::Server => &mut self.server,
        };
        conn.release_buffers().map_err(|e| e.to_string())?;
        Ok(true)
    }

    fn into_parts(self) -> (Box<dyn Any>, Box<dyn Any>, Box<dyn Any>) {
        (
            Box::new(self.client),
            Box::new(self.server),
            Box::new(self.pipes),
        )
    }
}

/// Baton's event-loop API with no transport at all, as an io_uring loop uses
/// it: `seal_plaintext` + `take_pending_tls` (records handed over by swapping
/// buffers, never copied) on the client, `feed_tls` + `take_plaintext` on the
/// server. Shows the record layer's own cost next to the AEAD ceiling.
pub fn event_loop_bulk(
    case: Case,
    write: usize,
    budget: std::time::Duration,
) -> Result<crate::measure::Bulk, String> {
    use std::time::{Duration, Instant};
    let lib = Baton::setup(case, false)?;
    let mut client = Session::new_client(&lib.client);
    client
        .set_server_name(SERVER_NAME)
        .map_err(|e| e.to_string())?;
    let mut server = Session::new_server(&lib.server);
    let pump = |from: &mut Session, to: &mut Session| -> Result<(), String> {
        let out = from.pending_tls().to_vec();
        from.consume_tls(out.len());
        to.feed_tls(&out).map_err(|e| e.to_string())
    };
    let mut rounds = 0;
    while !(client.poll_handshake().map_err(|e| e.to_string())?
        && server.poll_handshake().map_err(|e| e.to_string())?)
    {
        pump(&mut client, &mut server)?;
        pump(&mut server, &mut client)?;
        rounds += 1;
        if rounds > 10 {
            return Err("event-loop handshake did not finish".into());
        }
    }
    pump(&mut server, &mut client)?;
    if client.cipher_suite() != Some(CipherSuite(case.suite.iana(case.key)))
        || server.kx_group() != Some(NamedGroup::X25519)
    {
        return Err("event loop: wrong suite or group".into());
    }
    let data = crate::pattern(crate::measure::ROUND_BYTES);
    let writes = data.len() / write;
    let mut wire: Vec<Vec<u8>> = Vec::with_capacity(writes);
    let mut spare: Vec<Vec<u8>> = Vec::with_capacity(writes);
    let mut scratch = vec![0u8; 16 * 1024];
    let (mut send, mut recv, mut bytes) = (Duration::ZERO, Duration::ZERO, 0usize);
    let mut checked = false;
    let start = Instant::now();
    while start.elapsed() < budget || !checked || bytes == 0 {
        let t = Instant::now();
        for i in 0..writes {
            let n = client
                .seal_plaintext(&data[i * write..(i + 1) * write])
                .map_err(|e| e.to_string())?;
            assert_eq!(n, write);
            let mut v = spare.pop().unwrap_or_default();
            v.clear();
            client.take_pending_tls(&mut v);
            wire.push(v);
        }
        let st = t.elapsed();
        let t = Instant::now();
        let mut got = Vec::new();
        for v in wire.drain(..) {
            server.feed_tls(&v).map_err(|e| e.to_string())?;
            loop {
                let n = server.take_plaintext(&mut scratch);
                if n == 0 {
                    break;
                }
                if !checked {
                    got.extend_from_slice(&scratch[..n]);
                }
            }
            spare.push(v);
        }
        let rt = t.elapsed();
        if checked {
            send += st;
            recv += rt;
            bytes += writes * write;
        } else {
            if got[..] != data[..writes * write] {
                return Err("event loop: received bytes differ".into());
            }
            checked = true;
        }
    }
    Ok(crate::measure::Bulk {
        send: bytes as f64 / send.as_secs_f64(),
        recv: bytes as f64 / recv.as_secs_f64(),
    })
}
