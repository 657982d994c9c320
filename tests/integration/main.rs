//! Baton's integration tests: one test binary (`cargo test --test integration`),
//! one module per area.
//!
//! - `util`: helpers shared by every module (ports, child processes, payloads).
//! - `pair`: in-memory client/server pairs (no sockets).
//! - `policies`: every named security policy on the pair, as server and as client.
//! - `cert_selection`: which of several chains a server sends (signature_algorithms_cert).
//! - `client_hello`: `ClientHello::parse` and JA4 on FoxIO's captures, an
//!   `openssl s_client` hello and every truncation.
//! - `openssl`: interop with `openssl s_server` / `s_client` on 127.0.0.1.
//! - `raw_hellos`: hand-written ClientHellos (hundreds of unknown extensions,
//!   GREASE, one-byte records) against a Baton server.
//! - `resume12`: TLS 1.2 resumption (tickets, session ids) against OpenSSL, GnuTLS,
//!   rustls and s2n-tls.
//! - `resume13`: TLS 1.3 resumption against OpenSSL, GnuTLS, curl, rustls and s2n-tls.
//! - `early_server`: 0-RTT on a Baton server against `openssl s_client -early_data`.
//! - `early_replay`: a recorded 0-RTT flight replayed to two servers sharing
//!   Redis anti-replay is accepted once; Redis down refuses 0-RTT (feature `redis`).
//! - `early_client`: 0-RTT from the Baton client against `openssl s_server
//!   -early_data`, a Baton server and rustls (both ways).
//! - `psk_server`: external PSKs on a Baton server against `openssl s_client -psk`.
//! - `psk_client`: the Baton client with TLS 1.3 external PSKs against
//!   `openssl s_server -psk` / `-psk_session`.
//! - `psk_gnutls`: external PSKs against `gnutls-cli --pskkey` and
//!   `gnutls-serv --pskpasswd`, both ways, psk_ke included.
//! - `client_auth`: mutual TLS in both versions against OpenSSL (s_client
//!   and s_server), gnutls-cli, curl and rustls, with rcgen-made client
//!   certificates (good, expired, wrong usage, wrong CA).
//! - `hello_callback`: the server's ClientHello callback (reject, config
//!   swap by SNI, an answer given later) against Baton, rustls and `s_client`.
//! - `sni_resolver`: certificates chosen by SNI (exact, wildcard, default,
//!   ECDSA and RSA for one name) against `openssl s_client -servername`.
//! - `tenants`: rcgen-made certificates for named tenants, a small server.
//! - `pkey`: asynchronous private-key operations (signed on another thread)
//!   against `openssl s_client` and rustls.
//! - `status`: OCSP stapling (both ways, with validation), CRLs and SCT lists
//!   against `openssl s_server` / `s_client`, on a PKI made at test time.
//! - `crl_lookup`: the CRL lookup callback answered later, from another
//!   thread, against `openssl s_server` (both versions).
//! - `event_loop`: driving a connection without a transport, as io_uring/epoll loops do.
//! - `pq`: the post-quantum hybrids between two Baton ends, with wire checks and tampering.
//! - `go_peer`: the post-quantum hybrids against Go's crypto/tls (needs `BATON_GO`).
//! - `redis_store`: ticket keys and the session cache in a real `redis-server`
//!   (feature `redis`; `cargo test --workspace` has it through `baton-tools`).
//! - `redis_replay`: anti-replay for 0-RTT shared by two stores through a real
//!   `redis-server`, stopped and restarted under them (feature `redis`).

mod cert_selection;
mod client_auth;
mod client_hello;
mod crl_lookup;
mod early_client;
#[cfg(feature = "redis")]
mod early_replay;
mod early_server;
mod event_loop;
mod gnutls;
mod go_peer;
mod hello_callback;
mod keylog;
mod openssl;
mod pair;
mod pkey;
mod policies;
mod pq;
mod psk_client;
mod psk_gnutls;
mod psk_server;
mod raw_hellos;
#[cfg(feature = "redis")]
mod redis_replay;
#[cfg(feature = "redis")]
mod redis_server;
#[cfg(feature = "redis")]
mod redis_store;
mod resume12;
mod resume13;
mod rustls_peer;
mod s2n_peer;
mod sni_resolver;
mod status;
mod status_pki;
mod tenants;
mod tls12;
mod util;
