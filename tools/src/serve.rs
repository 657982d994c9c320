//! `baton serve`: HTTPS/1.1 static files, one thread per connection.

use crate::args::{value, Opt};
use crate::{build, http, parse_or_help, Failure};
use baton::{CertChainAndKey, Config, Connection, Mode};
use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

const HELP: &str = "\
usage: baton serve [DIR] [options]

  DIR               directory to serve (default: the current directory)
  --listen ADDR     address to listen on (default: 127.0.0.1:8443)
  --cert FILE       certificate chain, PEM (default: a fresh self-signed one)
  --key FILE        private key, PEM (with --cert)

Without --cert/--key, generates an ECDSA P-256 certificate for localhost and
127.0.0.1 at start and prints its SHA-256 fingerprint, to compare with what the
browser or `curl -k -v` shows. Serves GET and HEAD, with keep-alive, single
byte ranges (206, 416), directory listings and index.html. Paths that leave DIR (`..`, symlinks) are refused.
";

const OPTS: &[Opt] = &[value("--listen"), value("--cert"), value("--key")];

/// Idle time allowed between requests, and for a stuck peer.
const IO_TIMEOUT: Duration = Duration::from_secs(60);

pub fn main(argv: &[String]) -> Result<(), Failure> {
    let Some(p) = parse_or_help(argv, OPTS, HELP)? else {
        return Ok(());
    };
    let dir = match p.positional.as_slice() {
        [] => ".",
        [d] => d.as_str(),
        [_, extra, ..] => return Err(Failure::Usage(format!("unexpected argument {extra:?}"))),
    };
    let root = std::fs::canonicalize(dir).map_err(|e| format!("{dir}: {e}"))?;
    if !root.is_dir() {
        return Err(Failure::Run(format!("{dir} is not a directory")));
    }
    let listen = p.value("--listen").unwrap_or("127.0.0.1:8443");

    let (chain, fingerprint) = match (p.value("--cert"), p.value("--key")) {
        (Some(cert), Some(key)) => {
            let chain = CertChainAndKey::from_pem_files(cert, key)
                .map_err(|e| format!("loading {cert} and {key}: {e}"))?;
            (chain, None)
        }
        (None, None) => {
            let (chain, der) = self_signed()?;
            (chain, Some(fingerprint(&der)))
        }
        _ => return Err(Failure::Usage("--cert and --key go together".into())),
    };
    let mut b = Config::builder_minimal();
    b.add_cert_chain_and_key(chain);
    b.set_alpn_preferences(&["http/1.1"])
        .map_err(|e| format!("setting ALPN: {e}"))?;
    let config = build(b)?;

    let listener = TcpListener::bind(listen).map_err(|e| format!("listening on {listen}: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("listening on {listen}: {e}"))?;
    println!("serving {} at https://{addr}/", root.display());
    if let Some(fp) = fingerprint {
        println!("certificate SHA-256 fingerprint: {fp}");
    }
    let _ = io::stdout().flush();

    let root = Arc::new(root);
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => spawn_connection(stream, &config, &root),
            Err(e) => {
                eprintln!("error: accept: {e}");
                thread::sleep(Duration::from_millis(50));
            }
        }
    }
    Ok(())
}

/// A fresh ECDSA P-256 certificate for localhost and 127.0.0.1, valid from
/// yesterday for 30 days. Returns it loaded, and its DER.
fn self_signed() -> Result<(CertChainAndKey, Vec<u8>), String> {
    let fail = |e: rcgen::Error| format!("generating a self-signed certificate: {e}");
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(fail)?;
    let mut params =
        rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .map_err(fail)?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "baton serve (self-signed)");
    let now = std::time::SystemTime::now();
    let day = Duration::from_secs(24 * 3600);
    params.not_before = (now - day).into();
    params.not_after = (now + 30 * day).into();
    let cert = params.self_signed(&key).map_err(fail)?;
    let chain = CertChainAndKey::from_pem(cert.pem().as_bytes(), key.serialize_pem().as_bytes())
        .map_err(|e| format!("loading the generated certificate: {e}"))?;
    Ok((chain, cert.der().to_vec()))
}

/// `AA:BB:...`, the form browsers and `openssl x509 -fingerprint -sha256` show.
fn fingerprint(der: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der);
    let mut out = String::with_capacity(95);
    for (i, b) in digest.as_ref().iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        let _ = write!(out, "{b:02X}");
    }
    out
}

fn spawn_connection(stream: TcpStream, config: &Config, root: &Arc<PathBuf>) {
    let peer = stream
        .peer_addr()
        .map_or_else(|_| "?".to_string(), |a| a.to_string());
    let (config, root) = (config.clone(), Arc::clone(root));
    let spawned = thread::Builder::new()
        .name(format!("https {peer}"))
        .spawn(move || {
            if let Err(e) = handle(stream, &config, &root, &peer) {
                eprintln!("error: peer={peer}: {e}");
            }
        });
    if let Err(e) = spawned {
        eprintln!("error: cannot start a thread for the connection: {e}");
    }
}

fn handle(stream: TcpStream, config: &Config, root: &Path, peer: &str) -> Result<(), String> {
    // A peer that goes quiet gets its thread back after IO_TIMEOUT.
    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_nodelay(true);
    let mut conn = Connection::new(Mode::Server, config);
    conn.set_io(stream);
    conn.negotiate()
        .map_err(|e| format!("handshake failed: {e}"))?;
    let mut log = |line: &str| eprintln!("{peer} {line}");
    match http::serve_connection(&mut TlsStream(&mut conn), root, &mut log) {
        Ok(()) => {}
        // Idle keep-alive connections end this way; not worth a line.
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) =>
        {
            return Ok(())
        }
        Err(e) => return Err(e.to_string()),
    }
    // Send close_notify without waiting for the peer's: after `Connection: close`
    // a client may just read to the end and go away.
    conn.shutdown_send().map_err(|e| format!("closing: {e}"))
}

/// `Read + Write` over a blocking `Connection`, for the HTTP code.
struct TlsStream<'a>(&'a mut Connection);

impl Read for TlsStream<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(self.0.recv(buf)?)
    }
}

impl Write for TlsStream<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(self.0.send(buf)?)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(self.0.flush()?)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fingerprint_format() {
        let fp = super::fingerprint(b"abc");
        // SHA-256("abc") = ba7816bf...
        assert!(fp.starts_with("BA:78:16:BF:"), "{fp}");
        assert_eq!(fp.len(), 32 * 3 - 1);
    }
}
