//! `baton_config`: a [`baton::ConfigBuilder`] that C mutates call by call,
//! built into an immutable [`baton::Config`] when a connection first takes it.
#![forbid(unsafe_code)]

use crate::error::Failure;
use baton::{CertChainAndKey, Config, ConfigBuilder};
use std::path::Path;

/// The object behind `struct baton_config *`.
#[derive(Debug)]
#[allow(non_camel_case_types)] // the C name
pub struct baton_config {
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
            state: State::Building(Box::new(b)),
            alpn: Vec::new(),
        }
    }

    fn builder(&mut self) -> Result<&mut ConfigBuilder, Failure> {
        match &mut self.state {
            State::Building(b) => Ok(b),
            _ => Err(Failure::usage(
                "the config is in use by a connection and can no longer change \
                 (set it up before baton_connection_set_config)",
            )),
        }
    }

    /// `baton_config_set_cipher_preferences`: a named security policy.
    pub fn set_policy(&mut self, name: &str) -> Result<(), Failure> {
        self.builder()?.security_policy(name)?;
        Ok(())
    }

    /// Adds a certificate chain and its private key, both PEM.
    pub fn add_cert_chain_and_key(&mut self, chain: &[u8], key: &[u8]) -> Result<(), Failure> {
        let b = self.builder()?;
        b.add_cert_chain_and_key(CertChainAndKey::from_pem(chain, key)?);
        Ok(())
    }

    /// Adds PEM trust anchors.
    pub fn add_pem_to_trust_store(&mut self, pem: &[u8]) -> Result<(), Failure> {
        self.builder()?.add_pem_to_trust_store(pem)?;
        Ok(())
    }

    /// Adds a CA file and/or a directory of them.
    pub fn set_verification_ca_location(
        &mut self,
        file: Option<&Path>,
        dir: Option<&Path>,
    ) -> Result<(), Failure> {
        self.builder()?.set_verification_ca_location(file, dir)?;
        Ok(())
    }

    /// Removes every trust anchor, the system's included.
    pub fn wipe_trust_store(&mut self) -> Result<(), Failure> {
        self.builder()?.wipe_trust_store();
        Ok(())
    }

    /// Trusts any certificate: for tests only.
    pub fn disable_x509_verification(&mut self) -> Result<(), Failure> {
        self.builder()?.disable_x509_verification();
        Ok(())
    }

    /// Appends one ALPN protocol (1 to 255 bytes) to the preference list.
    pub fn append_protocol(&mut self, protocol: &[u8]) -> Result<(), Failure> {
        self.builder()?;
        if protocol.is_empty() {
            return Err(Failure::invalid("an ALPN protocol name is 1 to 255 bytes"));
        }
        self.alpn.push(protocol.to_vec());
        Ok(())
    }

    /// The built config, building it on first use; later changes are refused.
    pub fn config(&mut self) -> Result<Config, Failure> {
        let state = std::mem::replace(
            &mut self.state,
            State::Failed(baton::Error::usage("config build interrupted")),
        );
        self.state = match state {
            State::Building(mut b) => {
                let built = match b.set_alpn_preferences(&self.alpn) {
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
        match &self.state {
            State::Built(c) => Ok(c.clone()),
            State::Failed(e) => Err(e.clone().into()),
            State::Building(_) => Err(Failure::usage("config not built")),
        }
    }
}
