//! s2n-tls (the reference system) through the `s2n-tls` crate, on the crate's
//! own in-memory pair I/O (`testing::TestPair`: a byte queue each way).
//!
//! s2n selects suites and groups by named security policy only, so `setup`
//! probes a list of s2n's policies and keeps the first under which a real
//! handshake negotiates exactly the case's version, suite, X25519 and server key
//! type; a case no policy negotiates is reported as not measured.

use crate::{Case, KeyType, Library, Resume, Side, SideTimes, SERVER_NAME};
use s2n_tls::config::Config;
use s2n_tls::connection::{Builder as _, Connection};
use s2n_tls::enums::{Mode, SignatureAlgorithm, Version};
use s2n_tls::security::Policy;
use s2n_tls::testing::TestPair;
use std::any::Any;
use std::task::Poll;

/// s2n's policies with ML-KEM hybrids, for the X25519MLKEM768 case. Their
/// clients also send an ECC share (secp256r1) beside the hybrid one, as s2n
/// always does: s2n has no policy whose only curve is X25519.
const PQ_POLICIES: &[&str] = &["default_pq", "20250721", "20241001"];

/// s2n's policies tried, in order.
const POLICIES: &[&str] = &[
    "default_tls13",
    "20190801",
    "20240503",
    "test_all_tls13",
    "CloudFront-TLS-1-2-2021-ChaCha20-Boosted",
    "20240501",
    "test_all_tls12",
    "test_all_ecdsa",
    "20170210",
    "20190214",
    "20210825",
    "20241008",
    "20170718",
    "20190122",
    "default",
    "test_all",
];

/// s2n-tls configured for one case.
pub struct S2n {
    client: Config,
    server: Config,
    /// The s2n policy that negotiates the case.
    pub policy: &'static str,
}

impl std::fmt::Debug for S2n {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "S2n({})", self.policy)
    }
}

/// A connected s2n pair (its I/O queues live in the pair).
pub struct S2nPair(TestPair);

impl std::fmt::Debug for S2nPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("S2nPair")
    }
}

/// Client and server configurations under `policy`; with `tickets`, the
/// server has a ticket key and the client asks for tickets.
fn configs(
    policy: &str,
    case: Case,
    tickets: bool,
) -> Result<(Config, Config), s2n_tls::error::Error> {
    let (chain, key, ca) = case.key.files();
    let read = |p: &str| std::fs::read(p).expect("test data");
    let pol = Policy::from_version(policy)?;
    let mut s = s2n_tls::config::Builder::new();
    s.set_security_policy(&pol)?;
    s.load_pem(&read(&chain), &read(&key))?;
    let mut c = s2n_tls::config::Builder::new();
    c.set_security_policy(&pol)?;
    c.with_system_certs(false)?;
    c.trust_pem(&read(&ca))?;
    if tickets {
        // Introduced a minute ago, so it encrypts at once.
        let intro = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
        s.add_session_ticket_key(b"bench", &[0x5a; 32], intro)?;
        c.enable_session_tickets(true)?;
    }
    Ok((c.build()?, s.build()?))
}

impl S2n {
    fn try_handshake(&self, t: &mut SideTimes) -> Result<S2nPair, String> {
        self.connect(None, t)
    }

    /// A handshake, the client offering `session` (s2n's `set_session`) if any.
    fn connect(&self, session: Option<&[u8]>, t: &mut SideTimes) -> Result<S2nPair, String> {
        let client = t
            .on_client(|| {
                let mut c = self.client.build_connection(Mode::Client)?;
                c.set_server_name(SERVER_NAME)?;
                if let Some(s) = session {
                    c.set_session_ticket(s)?;
                }
                c.prefer_throughput()?;
                Ok::<_, s2n_tls::error::Error>(c)
            })
            .map_err(|e| e.to_string())?;
        let server = t
            .on_server(|| {
                let mut s = self.server.build_connection(Mode::Server)?;
                s.prefer_throughput()?;
                Ok::<_, s2n_tls::error::Error>(s)
            })
            .map_err(|e| e.to_string())?;
        let mut pair = TestPair::from_connections(client, server);
        let (mut c_done, mut s_done) = (false, false);
        for _ in 0..20 {
            if !c_done {
                c_done = t.on_client(|| step(pair.client.poll_negotiate()))?;
            }
            if !s_done {
                s_done = t.on_server(|| step(pair.server.poll_negotiate()))?;
            }
            if c_done && s_done {
                return Ok(S2nPair(pair));
            }
        }
        Err("s2n handshake did not finish".into())
    }
}

/// s2n-tls with session tickets: a ticket key on the server, tickets asked
/// for by the client, which keeps the session each connection leaves
/// (`s2n_connection_get_session`, after reading the TLS 1.3 ticket) and
/// offers it to the next (`s2n_connection_set_session`).
pub struct S2nResume {
    lib: S2n,
    session: Vec<u8>,
}

impl std::fmt::Debug for S2nResume {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "S2nResume({})", self.lib.policy)
    }
}

impl S2nResume {
    /// One handshake offering the kept session (if any); keeps the one it leaves.
    fn run(&mut self, t: &mut SideTimes) -> Result<S2nPair, String> {
        let offer = (!self.session.is_empty()).then_some(&self.session[..]);
        let mut pair = self.lib.connect(offer, t)?;
        // A TLS 1.3 ticket comes after the handshake: the client reads it.
        if !pair.0.io.server_tx_stream.borrow().is_empty() {
            let n = t.on_client(|| recv_into(&mut pair.0.client, &mut [0u8; 64]));
            assert_eq!(n, 0, "s2n: unexpected application data");
        }
        let session = t.on_client(|| {
            let c = &pair.0.client;
            let mut v = vec![0u8; c.session_ticket_length()?];
            let n = c.session_ticket(&mut v)?;
            v.truncate(n);
            Ok::<_, s2n_tls::error::Error>(v)
        });
        self.session = session.map_err(|e| format!("s2n session: {e}"))?;
        if self.session.is_empty() {
            return Err("s2n: the connection left no session to resume".into());
        }
        Ok(pair)
    }
}

impl Resume for S2nResume {
    const NAME: &'static str = "s2n-tls";

    fn setup_resumption(case: Case) -> Result<Self, String> {
        let policies: Vec<&'static str> = match S2n::setup(case, false) {
            Ok(s) => vec![s.policy],
            // No s2n policy does a TLS 1.2 ECDHE-ECDSA handshake with X25519;
            // the abbreviated handshake has no key exchange, so the first
            // (full) one may use another group.
            Err(_) if case.suite.is_tls12() => POLICIES.to_vec(),
            Err(e) => return Err(e),
        };
        for policy in policies {
            let Ok((client, server)) = configs(policy, case, true) else {
                continue;
            };
            let mut r = Self {
                lib: S2n {
                    client,
                    server,
                    policy,
                },
                session: Vec::new(),
            };
            let Ok(full) = r.run(&mut SideTimes::default()) else {
                continue;
            };
            if version_suite(&full.0.client, case).is_err() {
                continue;
            }
            if full.0.client.resumed() || full.0.server.resumed() {
                return Err("s2n: the first handshake resumed".into());
            }
            return Ok(r);
        }
        Err("no s2n policy tried negotiates this version and suite with tickets".into())
    }

    fn resumed_handshake(&mut self, case: Case, t: &mut SideTimes) -> Result<(), String> {
        let pair = self.run(t)?;
        for (who, c) in [("client", &pair.0.client), ("server", &pair.0.server)] {
            if !c.resumed() {
                return Err(format!("s2n {who} did not resume"));
            }
            version_suite(c, case).map_err(|e| format!("s2n {who} resumed with {e}"))?;
        }
        Ok(())
    }
}

/// Checks the connection's version and suite are the case's.
fn version_suite(c: &Connection, case: Case) -> Result<(), String> {
    let version = if case.suite.is_tls12() {
        Version::TLS12
    } else {
        Version::TLS13
    };
    let v = c.actual_protocol_version().map_err(|e| e.to_string())?;
    let suite = c.cipher_suite().map_err(|e| e.to_string())?;
    if v != version
        || (suite != case.suite.iana_name(case.key) && suite != case.suite.openssl_name(case.key))
    {
        return Err(format!("{v:?} {suite}"));
    }
    Ok(())
}

fn step(p: Poll<Result<&mut Connection, s2n_tls::error::Error>>) -> Result<bool, String> {
    match p {
        Poll::Ready(Ok(_)) => Ok(true),
        Poll::Ready(Err(e)) => Err(format!("s2n handshake: {e}")),
        Poll::Pending => Ok(false),
    }
}

impl Library for S2n {
    const NAME: &'static str = "s2n-tls";
    type Pair = S2nPair;

    fn setup(case: Case, _release_mode: bool) -> Result<Self, String> {
        use crate::Pair as _;
        let policies = match case.group {
            crate::Group::X25519 => POLICIES,
            crate::Group::X25519MlKem768 => PQ_POLICIES,
        };
        for &policy in policies {
            let Ok((client, server)) = configs(policy, case, false) else {
                continue;
            };
            let s2n = S2n {
                client,
                server,
                policy,
            };
            match s2n.try_handshake(&mut SideTimes::default()) {
                Ok(pair) => match pair.check(case) {
                    Ok(()) => return Ok(s2n),
                    Err(e) if std::env::var_os("BENCH_DEBUG").is_some() => {
                        eprintln!("s2n {policy}: {e}")
                    }
                    Err(_) => {}
                },
                Err(e) if std::env::var_os("BENCH_DEBUG").is_some() => {
                    eprintln!("s2n {policy}: {e}")
                }
                Err(_) => {}
            }
        }
        Err(format!(
            "none of the {} s2n security policies tried (s2n_lib::POLICIES) negotiates exactly \
             this suite with {} between two s2n ends",
            policies.len(),
            case.group.label()
        ))
    }

    fn handshake(&self, t: &mut SideTimes) -> S2nPair {
        self.try_handshake(t).unwrap_or_else(|e| panic!("{e}"))
    }
}

fn recv_into(conn: &mut Connection, buf: &mut [u8]) -> usize {
    match conn.poll_recv(buf) {
        Poll::Ready(Ok(0)) => panic!("s2n: unexpected close"),
        Poll::Ready(Ok(n)) => n,
        Poll::Ready(Err(e)) => panic!("s2n recv: {e}"),
        Poll::Pending => 0,
    }
}

fn send_all(conn: &mut Connection, data: &[u8]) {
    match conn.poll_send(data) {
        Poll::Ready(Ok(n)) => assert_eq!(n, data.len(), "s2n: short send"),
        Poll::Ready(Err(e)) => panic!("s2n send: {e}"),
        Poll::Pending => panic!("s2n send blocked on an unbounded transport"),
    }
    match conn.poll_flush() {
        Poll::Ready(Ok(_)) => {}
        other => panic!("s2n flush: {:?}", other.map(|r| r.map(|_| ()))),
    }
}

impl crate::Pair for S2nPair {
    fn check(&self, case: Case) -> Result<(), String> {
        let version = if case.suite.is_tls12() {
            Version::TLS12
        } else {
            Version::TLS13
        };
        for (who, c) in [("client", &self.0.client), ("server", &self.0.server)] {
            let v = c.actual_protocol_version().map_err(|e| e.to_string())?;
            let suite = c.cipher_suite().map_err(|e| e.to_string())?;
            let group = c.selected_key_exchange_group().unwrap_or("none");
            let suite_ok = suite == case.suite.iana_name(case.key)
                || suite == case.suite.openssl_name(case.key);
            if v != version || !suite_ok || !group.eq_ignore_ascii_case(case.group.label()) {
                return Err(format!("s2n {who} negotiated {v:?} {suite} {group}"));
            }
        }
        let sig = self
            .0
            .client
            .selected_signature_algorithm()
            .map_err(|e| e.to_string())?;
        let ok = match case.key {
            KeyType::EcdsaP256 => sig == SignatureAlgorithm::ECDSA,
            KeyType::Rsa2048 => sig == SignatureAlgorithm::RSA_PSS_RSAE,
        };
        if !ok {
            return Err(format!("s2n server signed with {sig:?}"));
        }
        Ok(())
    }

    fn send(&mut self, data: &[u8]) {
        send_all(&mut self.0.client, data);
    }

    fn recv(&mut self, buf: &mut [u8]) -> usize {
        recv_into(&mut self.0.server, buf)
    }

    fn echo_back(&mut self, data: &[u8]) {
        send_all(&mut self.0.server, data);
        let mut buf = vec![0u8; data.len()];
        let mut got = 0;
        while got < data.len() {
            let n = recv_into(&mut self.0.client, &mut buf[got..]);
            assert!(n > 0, "s2n: echo did not arrive");
            got += n;
        }
        assert_eq!(buf, data);
        for q in [&self.0.io.client_tx_stream, &self.0.io.server_tx_stream] {
            q.borrow_mut().shrink_to_fit();
        }
    }

    fn release_buffers(&mut self, side: Side) -> Result<bool, String> {
        let conn = match side {
            Side::Client => &mut self.0.client,
            Side::Server => &mut self.0.server,
        };
        conn.release_buffers().map_err(|e| e.to_string())?;
        Ok(true)
    }

    fn into_parts(self) -> (Box<dyn Any>, Box<dyn Any>, Box<dyn Any>) {
        let TestPair { client, server, io } = self.0;
        // The connections point at `io`'s queues; the caller keeps `io` alive
        // until both connections are dropped (it drops the parts in order).
        (Box::new(client), Box::new(server), Box::new(io))
    }
}
