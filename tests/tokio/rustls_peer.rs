//! Baton's tokio client against a tokio-rustls server, and a tokio-rustls
//! client against Baton's tokio server, over 127.0.0.1.

use crate::bounded;
use crate::util::{client_config, data, payload, server_config};
use baton::tokio::{TlsAcceptor, TlsConnector};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

#[tokio::test]
async fn baton_client_rustls_server() {
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(data("server-p256-chain.pem"))
            .unwrap()
            .map(|c| c.unwrap())
            .collect();
    let key = PrivateKeyDer::from_pem_file(data("server-p256.key")).unwrap();
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    cfg.alpn_protocols = vec![b"h2".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut tls = acceptor.accept(tcp).await.unwrap();
        let mut buf = vec![0u8; 1 << 20];
        tls.read_exact(&mut buf).await.unwrap();
        tls.write_all(&buf).await.unwrap();
        tls.shutdown().await.unwrap();
    });
    bounded("baton client vs rustls", async {
        let tcp = TcpStream::connect(addr).await.unwrap();
        let mut tls = TlsConnector::new(client_config())
            .connect_with("localhost", tcp, |s| {
                s.set_alpn_preferences(&["h2"]).unwrap()
            })
            .await
            .unwrap();
        assert_eq!(tls.get_ref().1.alpn(), Some(&b"h2"[..]));
        let data = payload(1 << 20, 7);
        tls.write_all(&data).await.unwrap();
        let mut back = Vec::new();
        tls.read_to_end(&mut back).await.unwrap();
        assert!(back == data, "echo differs");
        server.await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn rustls_client_baton_server() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = TlsAcceptor::new(server_config("server-p256-chain.pem", "server-p256.key"));
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut tls = acceptor.accept(tcp).await.unwrap();
        let mut buf = vec![0u8; 1 << 20];
        tls.read_exact(&mut buf).await.unwrap();
        tls.write_all(&buf).await.unwrap();
        tls.shutdown().await.unwrap();
    });
    bounded("rustls client vs baton", async {
        let mut roots = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_file_iter(data("ca-ecdsa.pem")).unwrap() {
            roots.add(c.unwrap()).unwrap();
        }
        let cfg = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(cfg));
        let tcp = TcpStream::connect(addr).await.unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        let mut tls = connector.connect(name, tcp).await.unwrap();
        let data = payload(1 << 20, 8);
        tls.write_all(&data).await.unwrap();
        let mut back = Vec::new();
        tls.read_to_end(&mut back).await.unwrap();
        assert!(back == data, "echo differs");
        server.await.unwrap();
    })
    .await;
}
