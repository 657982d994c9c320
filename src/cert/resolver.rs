//! Many server certificates, chosen by the client's SNI: thousands of names
//! (exact and wildcard) cost two hash lookups per handshake, and the whole
//! set can be replaced on a live config (a reload after a renewal) without
//! stopping or dropping a connection.
//!
//! The store only narrows the candidates for a name; the usual selection
//! (`choose_cert`: a key that signs a scheme the client accepts, a chain it
//! accepts) then picks among them, so an ECDSA and an RSA certificate for
//! one name both stay useful.

use super::{leaf_dns_names, CertChainAndKey};
use crate::error::Error;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

type Certs = Vec<Arc<CertChainAndKey>>;

/// Server certificates by name: exact DNS names and wildcards
/// (`*.example.com` matches one label, `a.example.com` but neither
/// `example.com` nor `a.b.example.com`, as RFC 6125 §6.4.3), compared
/// without regard to ASCII case, and default certificates for a client
/// whose name matches none (or that sends none).
///
/// Built once, then shared (immutable) through a [`CertResolver`].
#[derive(Default)]
pub struct SniCertStore {
    exact: HashMap<String, Certs>,
    /// `*.example.com` under `example.com`.
    wildcard: HashMap<String, Certs>,
    default: Certs,
    certs: usize,
}

/// A name as it is keyed: lowercase, no trailing dot.
fn normalize(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

/// Whether `name` (normalized) is a DNS name this store can key: LDH
/// labels of 1 to 63 bytes, and a wildcard only as a whole first label
/// above at least two more (no `*.com`).
fn valid_name(name: &str) -> bool {
    let rest = name.strip_prefix("*.").unwrap_or(name);
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    name.len() <= 253
        && rest.split('.').all(label_ok)
        && (rest.len() == name.len() || rest.contains('.'))
}

impl SniCertStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `ck` under each DNS name of its leaf certificate's subject
    /// alternative names (the only names a client checks, RFC 6125 §6.4.4).
    /// A Usage error if the leaf has no DNS name this store can key.
    pub fn add(&mut self, ck: Arc<CertChainAndKey>) -> Result<&mut Self, Error> {
        let leaf = ck
            .chain()
            .first()
            .ok_or_else(|| Error::usage("empty certificate chain"))?;
        let names = leaf_dns_names(leaf)?;
        let names: Vec<&str> = names
            .iter()
            .map(String::as_str)
            .filter(|n| valid_name(&normalize(n)))
            .collect();
        if names.is_empty() {
            return Err(Error::usage(
                "the certificate has no DNS name in its subject alternative names",
            ));
        }
        self.add_for_names(ck, &names)
    }

    /// Adds `ck` under the names given (exact names or `*.` wildcards),
    /// whatever its certificate says. A Usage error for a name that is not
    /// a DNS name.
    pub fn add_for_names<S: AsRef<str>>(
        &mut self,
        ck: Arc<CertChainAndKey>,
        names: &[S],
    ) -> Result<&mut Self, Error> {
        let names: Vec<String> = names.iter().map(|n| normalize(n.as_ref())).collect();
        if let Some(bad) = names.iter().find(|n| !valid_name(n)) {
            return Err(Error::usage(format!("not a DNS name: {bad:?}")));
        }
        for name in names {
            let (map, key) = match name.strip_prefix("*.") {
                Some(parent) => (&mut self.wildcard, parent.to_owned()),
                None => (&mut self.exact, name),
            };
            let list = map.entry(key).or_default();
            if !list.iter().any(|c| Arc::ptr_eq(c, &ck)) {
                list.push(Arc::clone(&ck));
            }
        }
        self.certs += 1;
        Ok(self)
    }

    /// Adds a certificate for clients whose name matches nothing here.
    /// Without one, the config's own certificates
    /// ([`add_cert_chain_and_key`](crate::ConfigBuilder::add_cert_chain_and_key))
    /// are the default.
    pub fn add_default(&mut self, ck: Arc<CertChainAndKey>) -> &mut Self {
        self.default.push(ck);
        self.certs += 1;
        self
    }

    /// The certificates to choose from for `server_name`, best first: those
    /// for the exact name, then the wildcard's, then the defaults (or
    /// `fallback` when there are none).
    pub fn candidates<'a>(
        &'a self,
        server_name: Option<&str>,
        fallback: &'a [Arc<CertChainAndKey>],
    ) -> impl Iterator<Item = &'a Arc<CertChainAndKey>> + 'a {
        let (exact, wildcard) = match server_name {
            Some(name) => {
                // The handshake hands names lowercased already: no copy then.
                let owned;
                let name = if name.ends_with('.') || name.bytes().any(|b| b.is_ascii_uppercase()) {
                    owned = normalize(name);
                    owned.as_str()
                } else {
                    name
                };
                let parent = name
                    .split_once('.')
                    .filter(|(first, _)| !first.is_empty() && *first != "*")
                    .map(|(_, parent)| parent);
                (
                    self.exact.get(name),
                    parent.and_then(|p| self.wildcard.get(p)),
                )
            }
            None => (None, None),
        };
        let default = if self.default.is_empty() {
            fallback
        } else {
            &self.default[..]
        };
        exact
            .into_iter()
            .flatten()
            .chain(wildcard.into_iter().flatten())
            .chain(default)
    }

    /// Number of names (exact and wildcard) keyed.
    pub fn name_count(&self) -> usize {
        self.exact.len() + self.wildcard.len()
    }

    /// Number of certificates added (each counted once, whatever its names).
    pub fn cert_count(&self) -> usize {
        self.certs
    }

    /// True if nothing was added.
    pub fn is_empty(&self) -> bool {
        self.certs == 0
    }
}

impl core::fmt::Debug for SniCertStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SniCertStore")
            .field("exact_names", &self.exact.len())
            .field("wildcard_names", &self.wildcard.len())
            .field("defaults", &self.default.len())
            .field("certs", &self.certs)
            .finish()
    }
}

/// The [`SniCertStore`] a live config uses, replaceable at any time: a
/// handshake takes the current store when it chooses its certificate and
/// keeps it to the end, so a [`replace`](Self::replace) never disturbs one
/// in flight; the next handshakes use the new store. Shared by every
/// connection and worker thread of the config
/// ([`ConfigBuilder::set_cert_resolver`](crate::ConfigBuilder::set_cert_resolver)).
pub struct CertResolver {
    current: RwLock<Arc<SniCertStore>>,
}

impl CertResolver {
    /// A resolver that starts with `store`.
    pub fn new(store: SniCertStore) -> Self {
        Self {
            current: RwLock::new(Arc::new(store)),
        }
    }

    /// The store new handshakes use.
    pub fn current(&self) -> Arc<SniCertStore> {
        // A poisoned lock only means a writer panicked: the pointer is whole.
        Arc::clone(&self.current.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Makes `store` the one new handshakes use; returns the previous one.
    pub fn replace(&self, store: SniCertStore) -> Arc<SniCertStore> {
        let new = Arc::new(store);
        let mut guard = self.current.write().unwrap_or_else(|e| e.into_inner());
        std::mem::replace(&mut *guard, new)
    }
}

impl core::fmt::Debug for CertResolver {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("CertResolver")
            .field(&self.current())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_validated_and_normalized() {
        for ok in [
            "example.com",
            "a.example.com.",
            "*.example.com",
            "A-B.Example.COM",
        ] {
            assert!(valid_name(&normalize(ok)), "{ok}");
        }
        for bad in [
            "",
            "*.com",
            "*",
            "a..b",
            "a.*.b",
            "-x y.com",
            "foo*.example.com",
            "é.fr",
        ] {
            assert!(!valid_name(&normalize(bad)), "{bad}");
        }
        assert!(!valid_name(&"a".repeat(64)));
    }

    fn ck(chain: &[u8], key: &[u8]) -> Arc<CertChainAndKey> {
        Arc::new(CertChainAndKey::from_pem(chain, key).unwrap())
    }

    fn p256() -> Arc<CertChainAndKey> {
        ck(
            include_bytes!("../../tests/data/server-p256-chain.pem"),
            include_bytes!("../../tests/data/server-p256.key"),
        )
    }

    fn rsa() -> Arc<CertChainAndKey> {
        ck(
            include_bytes!("../../tests/data/server-rsa.pem"),
            include_bytes!("../../tests/data/server-rsa.key"),
        )
    }

    /// Which of `certs` each candidate is, by position.
    fn picks(s: &SniCertStore, name: Option<&str>, certs: &[&Arc<CertChainAndKey>]) -> Vec<usize> {
        s.candidates(name, &[])
            .map(|c| certs.iter().position(|k| Arc::ptr_eq(k, c)).unwrap())
            .collect()
    }

    #[test]
    fn names_come_from_the_subject_alternative_names() {
        let (a, b) = (p256(), rsa());
        let mut s = SniCertStore::new();
        // SANs: localhost, server.test, *.wild.test (and an IP, not a name).
        s.add(Arc::clone(&a)).unwrap();
        s.add_for_names(Arc::clone(&b), &["Server.Test.", "*.other.test"])
            .unwrap();
        assert_eq!((s.name_count(), s.cert_count()), (4, 2));
        let all = [&a, &b];
        assert_eq!(picks(&s, Some("server.test"), &all), [0, 1]);
        assert_eq!(picks(&s, Some("SERVER.test."), &all), [0, 1]);
        assert_eq!(picks(&s, Some("x.wild.test"), &all), [0]);
        assert_eq!(picks(&s, Some("x.other.test"), &all), [1]);
        // One label only, and no match for the bare parent or a literal `*`.
        for none in [
            "wild.test",
            "a.b.wild.test",
            "*.wild.test",
            ".wild.test",
            "nothing",
        ] {
            assert!(picks(&s, Some(none), &all).is_empty(), "{none}");
        }
        assert!(picks(&s, None, &all).is_empty());
        assert!(s.add_for_names(Arc::clone(&b), &["bad name"]).is_err());
    }

    #[test]
    fn exact_then_wildcard_then_default_or_fallback() {
        let (a, b, d) = (p256(), rsa(), p256());
        let mut s = SniCertStore::new();
        s.add_for_names(Arc::clone(&a), &["*.example.com"]).unwrap();
        s.add_for_names(Arc::clone(&b), &["www.example.com"])
            .unwrap();
        let fallback = [Arc::clone(&d)];
        let firsts = |s: &SniCertStore, n| -> Vec<*const CertChainAndKey> {
            s.candidates(Some(n), &fallback).map(Arc::as_ptr).collect()
        };
        let p = Arc::as_ptr;
        assert_eq!(firsts(&s, "www.example.com"), [p(&b), p(&a), p(&d)]);
        assert_eq!(firsts(&s, "api.example.com"), [p(&a), p(&d)]);
        assert_eq!(firsts(&s, "example.org"), [p(&d)]);
        s.add_default(Arc::clone(&b));
        assert_eq!(firsts(&s, "example.org"), [p(&b)]);
    }

    #[test]
    fn replace_swaps_for_new_readers_only() {
        let r = CertResolver::new(SniCertStore::new());
        let before = r.current();
        let mut s = SniCertStore::new();
        s.add(p256()).unwrap();
        let old = r.replace(s);
        assert!(Arc::ptr_eq(&old, &before) && before.is_empty());
        assert_eq!(r.current().cert_count(), 1);
        assert!(format!("{r:?}").contains("certs: 1"));
    }
}
