//! `baton_config`: a [`baton::ConfigBuilder`] that C mutates call by call,
//! built into an immutable [`baton::Config`] when a connection first takes it.
//! A lock inside lets C share one config among threads, as s2n servers do.
#![forbid(unsafe_code)]

use crate::error::Failure;
use baton::{CertChainAndKey, Config, ConfigBuilder};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

/// The object behind `struct baton_config *`.
#[derive(Debug)]
#[allow(non_camel_case_types)] // the C name
pub struct baton_config {
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    state: State,
    /// ALPN protocols appended one by one; set on the builder when it builds.
    alpn: Vec<Vec<u8>>,
}

#[derive(Debug)]
enum State {
    Building(Box<ConfigBuilder>),
    Built(Config),
    Failed(baton::Error),
}

impl baton_config {
    /// A config with the default policy and the system trust store
    /// (`minimal`: without the trust store, s2n's `config_new_minimal`).
    pub fn new(minimal: bool) -> Self {
        let b = if minimal {
            Config::builder_minimal()
        } else {
            Config::builder()
        };
        Self {
            inner: Mutex::new(Inner {
                state: State::Building(Box::new(b)),
                alpn: Vec::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while locked left the state whole (each change is one call).
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the builder, unless a connection took the config already.
    fn change(
        &self,
        f: impl FnOnce(&mut ConfigBuilder) -> baton::Result<()>,
    ) -> Result<(), Failure> {
        match &mut self.lock().state {
            State::Building(b) => Ok(f(b)?),
            _ => Err(in_use()),
        }
    }

    /// `baton_config_set_cipher_preferences`: a named security policy.
    pub fn set_policy(&self, name: &str) -> Result<(), Failure> {
        self.change(|b| b.security_policy(name).map(drop))
    }

    /// Adds a certificate chain and its private key, both PEM.
    pub fn add_cert_chain_and_key(&self, chain: &[u8], key: &[u8]) -> Result<(), Failure> {
        let ck = CertChainAndKey::from_pem(chain, key)?;
        self.change(|b| {
            b.add_cert_chain_and_key(ck);
            Ok(())
        })
    }

    /// Adds PEM trust anchors.
    pub fn add_pem_to_trust_store(&self, pem: &[u8]) -> Result<(), Failure> {
        self.change(|b| b.add_pem_to_trust_store(pem).map(drop))
    }

    /// Adds a CA file and/or a directory of them.
    pub fn set_verification_ca_location(
        &self,
        file: Option<&Path>,
        dir: Option<&Path>,
    ) -> Result<(), Failure> {
        self.change(|b| b.set_verification_ca_location(file, dir).map(drop))
    }

    /// Removes every trust anchor, the system's included.
    pub fn wipe_trust_store(&self) -> Result<(), Failure> {
        self.change(|b| {
            b.wipe_trust_store();
            Ok(())
        })
    }

    /// Trusts any certificate: for tests only.
    pub fn disable_x509_verification(&self) -> Result<(), Failure> {
        self.change(|b| {
            b.disable_x509_verification();
            Ok(())
        })
    }

    /// Appends one ALPN protocol (1 to 255 bytes) to the preference list.
    pub fn append_protocol(&self, protocol: &[u8]) -> Result<(), Failure> {
        if protocol.is_empty() {
            return Err(Failure::invalid("an ALPN protocol name is 1 to 255 bytes"));
        }
        let mut inner = self.lock();
        match inner.state {
            State::Building(_) => {
                inner.alpn.push(protocol.to_vec());
                Ok(())
            }
            _ => Err(in_use()),
        }
    }

    /// The built config, building it on first use; later changes are refused.
    pub fn config(&self) -> Result<Config, Failure> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let state = std::mem::replace(
            &mut inner.state,
            State::Failed(baton::Error::usage("config build interrupted")),
        );
        inner.state = match state {
            State::Building(mut b) => {
                let built = match b.set_alpn_preferences(&inner.alpn) {
                    Ok(_) => b.build(),
                    Err(e) => Err(e),
                };
                match built {
                    Ok(c) => State::Built(c),
                    Err(e) => State::Failed(e),
                }
            }
            done => done,
        };
        match &inner.state {
            State::Built(c) => Ok(c.clone()),
            State::Failed(e) => Err(e.clone().into()),
            State::Building(_) => Err(Failure::usage("config not built")),
        }
    }
}

fn in_use() -> Failure {
    Failure::usage(
        "the config is in use by a connection and can no longer change \
         (set it up before baton_connection_set_config)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_share_one_config() {
        let cfg = baton_config::new(true);
        cfg.append_protocol(b"h2").unwrap();
        let built: Vec<Config> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4).map(|_| s.spawn(|| cfg.config().unwrap())).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(built.len(), 4);
        let e = cfg.append_protocol(b"http/1.1").unwrap_err();
        assert_eq!(e.code, crate::types::BATON_ERR_USAGE);
    }
}
