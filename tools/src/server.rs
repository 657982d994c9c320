//! `baton server`: accept TLS connections, one thread each, and either echo or
//! discard what the peer sends.

use crate::args::{flag, repeated, value, Opt};
use crate::{
    apply_client_auth, apply_common, apply_psk, build, client_identity, enable_ktls,
    handshake_line, ktls_mode, parse_or_help, send_all, Failure, CLIENT_AUTH_HELP,
    CLIENT_AUTH_OPTS, PSK_HELP, PSK_OPTS,
};
use baton::{CertChainAndKey, Config, Connection, Mode};
use baton_ktls::KtlsMode;
use std::net::{TcpListener, TcpStream};
use std::os::fd::OwnedFd;
use std::thread;
use std::time::Duration;

const HELP_HEAD: &str = "\
usage: baton server --listen ADDR --cert CHAIN.pem --key KEY.pem [options]
       baton server --listen ADDR --psk-identity ID --psk-secret HEX [options]

  --listen ADDR     address to listen on, e.g. 127.0.0.1:8443 or [::]:443
  --cert FILE       certificate chain, PEM, leaf first (optional with a PSK:
                    without one, only clients offering the PSK connect)
  --key FILE        private key of the leaf, PEM; --cert/--key may be
                    repeated in pairs: the client's SNI and signature
                    algorithms choose (the first pair for other names)
  --policy NAME     security policy (default: the library's default)
  --alpn LIST       ALPN protocols in preference order, comma-separated
  --echo            send received application data back
  --ktls MODE       kernel TLS after the handshake: auto (default: where the
                    kernel can), off, or require (close connections it can't take)
";

const HELP_TAIL: &str = "
Prints `handshake: peer=... version=... suite=... group=... alpn=... sni=...` to
stderr for every handshake (with ` psk=ID` when the client used the PSK, and
` client=NAME` with --client-auth: the verified client certificate's common
name, or none), then `ktls: peer=... send=kernel|userspace (why) recv=...`. Without
--echo, data is read and discarded. At the peer's close_notify the server
sends its own and closes the connection.
";

const OPTS: &[Opt] = &[
    value("--listen"),
    repeated("--cert"),
    repeated("--key"),
    value("--policy"),
    value("--alpn"),
    flag("--echo"),
    value("--ktls"),
    PSK_OPTS[0],
    PSK_OPTS[1],
    PSK_OPTS[2],
    CLIENT_AUTH_OPTS[0],
    CLIENT_AUTH_OPTS[1],
    crate::status::SERVER_OPT,
];

pub fn main(argv: &[String]) -> Result<(), Failure> {
    let help = format!(
        "{HELP_HEAD}{}{CLIENT_AUTH_HELP}{PSK_HELP}{HELP_TAIL}",
        crate::status::SERVER_HELP
    );
    let Some(p) = parse_or_help(argv, OPTS, &help)? else {
        return Ok(());
    };
    if let Some(extra) = p.positional.first() {
        return Err(Failure::Usage(format!("unexpected argument {extra:?}")));
    }
    let listen = p.required("--listen").map_err(Failure::Usage)?;
    let echo = p.flag("--echo");
    let ktls = ktls_mode(&p)?;

    let mut b = Config::builder_minimal();
    apply_common(&mut b, &p)?;
    let psk = apply_psk(&mut b, &p)?;
    let client_auth = apply_client_auth(&mut b, &p)?;
    // A PSK authenticates the server by itself: the certificate is optional
    // then (both or neither), required otherwise.
    if p.value("--ocsp").is_some() && p.values("--cert").is_empty() {
        return Err(Failure::Usage("--ocsp needs --cert".into()));
    }
    let (certs, keys) = (p.values("--cert"), p.values("--key"));
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
            crate::status::apply_server(&chain, &p)?;
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
