//! An HTTPS client: hyper 1 (HTTP/1.1) over `baton::tokio`. Fetches one URL
//! and prints the status line, then the body.
//!
//! `cargo run -p baton-tools --example hyper_client -- https://localhost:8443/ ca.pem`
//! (the CA file is trusted in addition to none: pass the server's CA).

use baton::tokio::TlsConnector;
use baton::Config;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::Request;
use hyper_util::rt::TokioIo;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, ca] = args.as_slice() else {
        return Err("usage: hyper_client https://HOST:PORT/PATH CA.pem".into());
    };
    let uri: hyper::Uri = url.parse()?;
    let host = uri.host().ok_or("the URL has no host")?.to_string();
    let port = uri.port_u16().unwrap_or(443);
    let mut b = Config::builder_minimal();
    b.add_pem_to_trust_store(&std::fs::read(ca)?)?;
    let connector = TlsConnector::new(b.build()?);

    let tcp = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
    let tls = connector
        .connect_with(&host, tcp, |s| {
            // Only HTTP/1.1 is spoken here; a server without ALPN is fine too.
            let _ = s.set_alpn_preferences(&["http/1.1"]);
        })
        .await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await?;
    let conn = tokio::spawn(conn);

    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let req = Request::get(path)
        .header(hyper::header::HOST, host.as_str())
        .body(Empty::<Bytes>::new())?;
    let resp = sender.send_request(req).await?;
    println!("{:?} {}", resp.version(), resp.status());
    let body = resp.into_body().collect().await?.to_bytes();
    print!("{}", String::from_utf8_lossy(&body));
    drop(sender);
    let _ = conn.await;
    Ok(())
}
