//! An HTTPS server: hyper 1 (HTTP/1.1 and h2, chosen by ALPN) over
//! `baton::tokio`. `GET /...` answers a short text naming the path, the
//! protocol and the TLS version; `POST` echoes the request body.
//!
//! `cargo run -p baton-tools --example hyper_server -- 127.0.0.1:8443 cert.pem key.pem`
//! (port 0 picks a free one); prints `listening on ADDR` once ready.
//!
//! From tokio-rustls this is the same program with `baton::tokio::TlsAcceptor`
//! in place of `tokio_rustls::TlsAcceptor`, and ALPN set on the `Config`.

use baton::tokio::TlsAcceptor;
use baton::{CertChainAndKey, Config};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use std::convert::Infallible;

async fn handle(
    req: Request<Incoming>,
    tls: &'static str,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let version = req.version();
    if req.method() == Method::POST {
        let body = match req.into_body().collect().await {
            Ok(b) => b.to_bytes(),
            Err(_) => Bytes::from_static(b"bad body"),
        };
        return Ok(Response::new(Full::new(body)));
    }
    let text = format!(
        "hello from baton: path {} over {:?} and {}\n",
        req.uri().path(),
        version,
        tls
    );
    Ok(Response::new(Full::new(Bytes::from(text))))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, cert, key] = args.as_slice() else {
        return Err("usage: hyper_server ADDR CERT.pem KEY.pem".into());
    };
    let mut b = Config::builder();
    b.add_cert_chain_and_key(CertChainAndKey::from_pem_files(cert, key)?);
    b.set_alpn_preferences(&["h2", "http/1.1"])?;
    let acceptor = TlsAcceptor::new(b.build()?);
    let listener = tokio::net::TcpListener::bind(addr.as_str()).await?;
    println!("listening on {}", listener.local_addr()?);
    loop {
        let (tcp, peer) = listener.accept().await?;
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let tls = match acceptor.accept(tcp).await {
                Ok(tls) => tls,
                Err(e) => return eprintln!("{peer}: handshake: {e}"),
            };
            let version = match tls.get_ref().1.actual_protocol_version() {
                Some(baton::ProtocolVersion::TLSV1_3) => "TLS 1.3",
                _ => "TLS 1.2",
            };
            let service = hyper::service::service_fn(move |req| handle(req, version));
            if let Err(e) = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(tls), service)
                .await
            {
                eprintln!("{peer}: {e}");
            }
        });
    }
}
