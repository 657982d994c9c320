//! Baton: a TLS 1.3 / 1.2 library for Linux on aws-lc-rs, built so that record
//! crypto can move into kernel TLS after a userspace handshake.
//!
//! The crate is a sans-IO protocol engine ([`Session`]) plus a simple driver
//! ([`Connection`], over an fd, any `Read + Write`, or callbacks) and, after
//! the hand-off to kernel TLS, a [`KernelSession`]. See `docs/usage.md`.
//!
//! The fuzz harnesses (`tests/fuzz/`, with a test private key) are built only
//! with the `fuzzing` feature, which a release build never turns on.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// The proof that a default build has no `baton::fuzzing` (a doctest that must
// not compile); left out under the feature, where the module exists.
#![cfg_attr(
    not(feature = "fuzzing"),
    doc = "\n```compile_fail\nbaton::fuzzing::records(&[]);\n```"
)]

pub mod early;
pub mod error;
// Test-only harnesses (they embed a test private key): built for unit tests
// and for tests/fuzz, which turns on the `fuzzing` feature; never shipped.
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
pub(crate) mod msgs;

pub use error::{AlertDescription, Blocked, Error, ErrorKind, Result};
pub use msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};

pub mod cert;
pub mod client_hello;
pub(crate) mod crypto;
pub(crate) mod record;
pub(crate) mod secrets;
pub(crate) mod sizing;
pub(crate) mod suites;
pub(crate) mod tls12;
pub(crate) mod tls13;

pub use cert::{CertChainAndKey, CertVerdict, ClientAuth, PeerCert};
pub use client_hello::ClientHello;
pub use crypto::sign::KeyType;
pub mod config;
pub mod connection;
pub(crate) mod engine;
pub mod hello_callback;
pub mod keylog;
pub mod offload;
mod oneshot;
pub mod pkey;
pub mod policy;
pub mod psk;
pub mod resumption;
#[cfg(feature = "tokio")]
pub mod tokio;

pub use config::{Config, ConfigBuilder, OcspValidation, RenegotiationRefusal};
pub use connection::{Connection, KernelSession, KernelWrite, Session};
pub use engine::Mode;
pub use hello_callback::{ClientHelloAction, ClientHelloAnswer, PendingClientHello};
pub use keylog::{KeyLog, KeyLogFile};
pub use pkey::{PkeyValidation, PrivateKeyOp};
pub use policy::SecurityPolicy;
pub use psk::{ExternalPsk, PskHash};

/// Frees the receive buffers this thread keeps for its next connections.
///
/// A connection's 21 KiB receive buffer goes back to a small per-thread pool
/// (at most 16 buffers) when the connection ends or releases it while idle,
/// zeroed where it held records, so the next connection on the thread skips
/// a zeroed allocation. Worker threads that keep making connections want
/// that; call this on a thread that is done with TLS, or to measure a
/// connection's own memory.
pub fn trim_buffer_pool() {
    record::deframer::trim_pool();
}
pub use resumption::{SavedSession, TicketKeys};
