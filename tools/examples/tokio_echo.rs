//! An echo server over `baton::tokio`: every connection gets back what it
//! sends, until it closes.
//!
//! `cargo run -p baton-tools --example tokio_echo -- 127.0.0.1:8443 cert.pem key.pem`
//! (port 0 picks a free one); prints `listening on ADDR` once ready.

use baton::tokio::TlsAcceptor;
use baton::{CertChainAndKey, Config};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, cert, key] = args.as_slice() else {
        return Err("usage: tokio_echo ADDR CERT.pem KEY.pem".into());
    };
    let mut b = Config::builder();
    b.add_cert_chain_and_key(CertChainAndKey::from_pem_files(cert, key)?);
    let acceptor = TlsAcceptor::new(b.build()?);
    let listener = tokio::net::TcpListener::bind(addr.as_str()).await?;
    println!("listening on {}", listener.local_addr()?);
    loop {
        let (tcp, peer) = listener.accept().await?;
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let mut tls = match acceptor.accept(tcp).await {
                Ok(tls) => tls,
                Err(e) => return eprintln!("{peer}: handshake: {e}"),
            };
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                match tls.read(&mut buf).await {
                    Ok(0) => break,
                    Ok(n) => {
                        if let Err(e) = tls.write_all(&buf[..n]).await {
                            return eprintln!("{peer}: write: {e}");
                        }
                        let _ = tls.flush().await;
                    }
                    Err(e) => return eprintln!("{peer}: read: {e}"),
                }
            }
            let _ = tls.shutdown().await;
        });
    }
}
