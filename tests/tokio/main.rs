//! `baton::tokio` (feature `tokio`): Baton's async client and server against
//! each other, against tokio-rustls, and the waker path of a handshake that
//! waits for an asynchronous callback. Every wait is bounded by a timeout.

#[path = "../integration/util.rs"]
mod util;

mod callbacks;
mod pair;
mod rustls_peer;

use std::future::Future;
use std::time::Duration;

/// Bounds a future: a stuck handshake fails the test instead of hanging it.
pub async fn bounded<F: Future>(what: &str, f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(60), f)
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within 60 s"))
}
