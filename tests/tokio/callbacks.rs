//! A handshake parked on an asynchronous callback is woken by the answer:
//! the accept future stays `Pending`, is not polled in a loop meanwhile, and
//! completes once another thread answers.

use crate::bounded;
use crate::util::{client_config, data};
use baton::tokio::{handshake_waker, TlsAcceptor, TlsConnector};
use baton::{CertChainAndKey, ClientHelloAction, Config, PendingClientHello};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A waker that counts its wakes and tells the test.
struct CountWake {
    wakes: AtomicUsize,
    notify: tokio::sync::Notify,
}

impl Wake for CountWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
        self.notify.notify_one();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_hello_later_wakes_the_accept() {
    let (answer_tx, mut answer_rx) = tokio::sync::mpsc::unbounded_channel();
    let mut b = Config::builder_minimal();
    b.add_cert_chain_and_key(
        CertChainAndKey::from_pem_files(data("server-p256-chain.pem"), data("server-p256.key"))
            .unwrap(),
    );
    b.set_client_hello_callback(move |ch| {
        assert_eq!(ch.server_name(), Some("localhost"));
        let (pending, answer) = PendingClientHello::with_waker(handshake_waker());
        answer_tx.send(answer).unwrap();
        ClientHelloAction::Later(pending)
    });
    let acceptor = TlsAcceptor::new(b.build().unwrap());
    let (c_io, s_io) = tokio::io::duplex(64 * 1024);
    let client = tokio::spawn(async move {
        let mut tls = TlsConnector::new(client_config())
            .connect("localhost", c_io)
            .await
            .unwrap();
        tls.write_all(b"ping").await.unwrap();
        tls.shutdown().await.unwrap();
    });

    bounded("parked handshake", async move {
        let mut accept = Box::pin(acceptor.accept(s_io));
        // Until the callback ran, the accept stays pending.
        let answer = tokio::select! {
            _ = &mut accept => panic!("handshake completed before the callback was answered"),
            a = answer_rx.recv() => a.unwrap(),
        };
        // Parked: polled with a counting waker it stays pending, and nothing
        // wakes it while other tasks run (a handshake that spun, waking
        // itself to re-check, would count here).
        let counter = Arc::new(CountWake {
            wakes: AtomicUsize::new(0),
            notify: tokio::sync::Notify::new(),
        });
        let waker = Waker::from(Arc::clone(&counter));
        for _ in 0..3 {
            let mut cx = Context::from_waker(&waker);
            assert!(accept.as_mut().poll(&mut cx).is_pending(), "unanswered");
        }
        for _ in 0..50 {
            tokio::task::yield_now().await;
        }
        assert_eq!(counter.wakes.load(Ordering::SeqCst), 0, "woken unanswered");
        // Answered from another thread: the answer itself wakes the task.
        std::thread::spawn(move || answer.proceed());
        counter.notify.notified().await;
        assert_eq!(counter.wakes.load(Ordering::SeqCst), 1);
        let mut tls = accept.await.expect("handshake after the answer");
        let mut got = Vec::new();
        tls.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"ping");
        client.await.unwrap();
    })
    .await;
}

/// A private-key operation completed on another thread wakes the handshake
/// through the same waker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_key_op_on_another_thread() {
    let mut b = Config::builder_minimal();
    b.add_cert_chain_and_key(
        CertChainAndKey::from_pem_files(data("server-p256-chain.pem"), data("server-p256.key"))
            .unwrap(),
    );
    b.set_private_key_callback(Arc::new(|op: baton::PrivateKeyOp| {
        let wake = handshake_waker();
        std::thread::spawn(move || {
            op.sign();
            wake();
        });
    }));
    let acceptor = TlsAcceptor::new(b.build().unwrap());
    let (c_io, s_io) = tokio::io::duplex(64 * 1024);
    let server = tokio::spawn(async move {
        let mut tls = acceptor.accept(s_io).await.unwrap();
        tls.write_all(b"signed elsewhere").await.unwrap();
        tls.shutdown().await.unwrap();
    });
    bounded("offloaded signature", async {
        let mut tls = TlsConnector::new(client_config())
            .connect("localhost", c_io)
            .await
            .unwrap();
        let mut got = Vec::new();
        tls.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"signed elsewhere");
        server.await.unwrap();
    })
    .await;
}
