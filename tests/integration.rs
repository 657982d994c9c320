//! Baton's integration tests: one test binary (`cargo test --test integration`),
//! one module per area under `tests/integration/`.
//!
//! - `util`: helpers shared by every module (ports, child processes, payloads).
//! - `openssl`: interop with `openssl s_server` / `s_client` on 127.0.0.1.
//!
//! A crate root looks for `mod x;` next to itself, hence the `#[path]`s: add
//! new areas the same way.

#[path = "integration/util.rs"]
mod util;

#[path = "integration/openssl/mod.rs"]
mod openssl;
