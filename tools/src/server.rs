//! `baton server`: accept TLS connections, one thread each, and either echo or
//! discard what the peer sends.

use crate::args::{ClientAuthArgs, PolicyAlpn, PskArgs};
use crate::{
    apply_client_auth, apply_common, apply_psk, build, client_identity, enable_ktls,
    handshake_line, ktls_mode, send_all, Failure,
};
use baton::{CertChainAndKey, Config, Connection, Mode};
use baton_ktls::KtlsMode;
use std::net::{TcpListener, TcpStream};
use std::os::fd::OwnedFd;
use std::thread;
use std::time::Duration;

const HELP_TAIL: &str = "\
Prints `handshake: peer=... version=... suite=... group=... alpn=... sni=...` to
stderr for every handshake (with ` psk=ID` when the client used the PSK, and
` client=NAME` with --client-auth: the verified client certificate's common
name, or none), then `ktls: peer=... send=kernel|userspace (why) recv=...`. Without
--echo, data is read and discarded. At the peer's close_notify the server
sends its own and closes the connection.";

/// `baton server`'s options.
#[derive(clap::Args, Debug)]
#[command(
    override_usage = "baton server --listen ADDR --cert CHAIN.pem --key KEY.pem [OPTIONS]\n       \
                      baton server --listen ADDR --psk-identity ID --psk-secret HEX [OPTIONS]",
    after_help = HELP_TAIL
)]
pub struct Args {
    /// address to listen on, e.g. 127.0.0.1:8443 or [::]:443
    #[arg(long, value_name = "ADDR")]
    listen: String,
    /// certificate chain, PEM, leaf first (optional with a PSK: without one,
    /// only clients offering the PSK connect)
    #[arg(long, value_name = "FILE")]
    cert: Vec<String>,
    /// private key of the leaf, PEM; --cert/--key may be repeated in pairs:
    /// the client's SNI and signature algorithms choose (the first pair for
    /// other names)
    #[arg(long, value_name = "FILE")]
    key: Vec<String>,
    #[command(flatten)]
    common: PolicyAlpn,
    /// send received application data back
    #[arg(long)]
    echo: bool,
    /// kernel TLS after the handshake: auto (default: where the kernel can),
    /// off, or require (close connections it can't take)
    #[arg(long, value_name = "MODE")]
    ktls: Option<String>,
    /// DER OCSP response for the certificate, stapled for clients that ask
    /// (status_request), TLS 1.2 and 1.3
    #[arg(long, value_name = "FILE")]
    ocsp: Option<String>,
    #[command(flatten)]
    client_auth: ClientAuthArgs,
    #[command(flatten)]
    psk: PskArgs,
}

/// `baton server`.
pub fn main(p: Args) -> Result<(), Failure> {
    let listen = p.listen.as_str();
    let echo = p.echo;
    let ktls = ktls_mode(p.ktls.as_deref())?;

    let mut b = Config::builder_minimal();
    apply_common(&mut b, &p.common)?;
    let psk = apply_psk(&mut b, &p.psk)?;
    let client_auth = apply_client_auth(&mut b, &p.client_auth)?;
    // A PSK authenticates the server by itself: the certificate is optional
    // then (both or neither), required otherwise.
    if p.ocsp.is_some() && p.cert.is_empty() {
        return Err(Failure::Usage("--ocsp needs --cert".into()));
    }
    let (certs, keys) = (&p.cert, &p.key);
    match (certs.len(), keys.len()) {
        (0, 0) if psk => {}
        (c, k) if c > k => return Err(Failure::Usage("missing required option --key".into())),
        (c, k) if c < k || c == 0 => {
            return Err(Failure::Usage("missing required option --cert".into()))
        }
        _ => {}
    }
    // A handful of pairs: the server already prefers the chain valid for
    // the client's SNI (see ConfigBuilder::add_cert_chain_and_key).
    for (i, (cert, key)) in certs.iter().zip(keys).enumerate() {
        let chain = CertChainAndKey::from_pem_files(cert, key)
            .map_err(|e| format!("loading {cert} and {key}: {e}"))?;
        // --ocsp is the first certificate's staple.
        if i == 0 {
            crate::status::apply_server(&chain, p.ocsp.as_deref())?;
        }
        b.add_cert_chain_and_key(chain);
    }
    let config = build(b)?;

    let listener = TcpListener::bind(listen).map_err(|e| format!("listening on {listen}: {e}"))?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("listening on {listen}: {e}"))?;
    eprintln!("listening on {local}");

    for stream in listener.incoming() {
        match stream {
            Ok(stream) => spawn_connection(stream, &config, echo, ktls, client_auth),
            Err(e) => {
                // EMFILE and friends: report, back off a little, keep serving.
                eprintln!("error: accept: {e}");
                thread::sleep(Duration::from_millis(50));
            }
        }
    }
    Ok(())
}

fn spawn_connection(
    stream: TcpStream,
    config: &Config,
    echo: bool,
    ktls: KtlsMode,
    client_auth: bool,
) {
    let peer = stream
        .peer_addr()
        .map_or_else(|_| "?".to_string(), |a| a.to_string());
    let config = config.clone();
    let name = format!("conn {peer}");
    let spawned = thread::Builder::new().name(name).spawn(move || {
        if let Err(e) = handle(stream, &config, &peer, echo, ktls, client_auth) {
            eprintln!("error: peer={peer}: {e}");
        }
    });
    if let Err(e) = spawned {
        eprintln!("error: cannot start a thread for the connection: {e}");
    }
}

/// Runs one connection to the end; any error is for this connection only.
fn handle(
    stream: TcpStream,
    config: &Config,
    peer: &str,
    echo: bool,
    ktls: KtlsMode,
    client_auth: bool,
) -> Result<(), String> {
    // Small echoes should not wait for Nagle.
    let _ = stream.set_nodelay(true);
    // The connection owns the socket from here (the kernel may take over its
    // records after the handshake); it is closed when `conn` is dropped.
    let mut conn = Connection::new(Mode::Server, config);
    conn.set_fd(OwnedFd::from(stream))
        .map_err(|e| format!("attaching the socket: {e}"))?;
    // The kernel must start receiving exactly at a record boundary.
    conn.set_exact_record_reads(ktls != KtlsMode::Off);
    conn.negotiate()
        .map_err(|e| format!("handshake failed: {e}"))?;
    let mut line = handshake_line(&conn, peer);
    if client_auth {
        line.push_str(&client_identity(&conn));
    }
    eprintln!("{line}");
    let (mut conn, line) = enable_ktls(conn, ktls, peer)?;
    eprintln!("{line}");

    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = conn.recv(&mut buf).map_err(|e| format!("receiving: {e}"))?;
        if n == 0 {
            break; // the peer's close_notify
        }
        if echo {
            send_all(&mut conn, &buf[..n]).map_err(|e| format!("sending: {e}"))?;
        }
    }
    conn.shutdown().map_err(|e| format!("closing: {e}"))
}
