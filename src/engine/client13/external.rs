//! The client's external PSKs (RFC 8446 §4.2.11, RFC 9257): which ones a
//! ClientHello offers, their binders, and the ServerHello's choice among them.
//!
//! A hello that offers external PSKs offers no ticket beside them: one kind
//! of PSK per hello keeps the selected index unambiguous and the offer
//! simple; an application that sets both gets the external PSKs.

use super::offer::{attach_binders, BinderInput, Chosen};
use crate::crypto::hash::{HashAlg, Transcript};
use crate::engine::Common;
use crate::error::{AlertDescription, Error, Result};
use crate::msgs::enums::CipherSuite;
use crate::msgs::extensions::{ClientExtensions, PskIdentity};
use crate::msgs::handshake::ClientHello;
use crate::suites::tls13_suite;
use crate::tls13::key_schedule::EarlySecret;

/// The most external PSKs one ClientHello offers (as many as a server looks
/// at: [`crate::psk::OfferedPsks::MAX_IDENTITIES_SHOWN`]).
pub(crate) const MAX_OFFERED: usize = crate::psk::OfferedPsks::MAX_IDENTITIES_SHOWN;

/// An external PSK as offered: its identity, hash and early secret (made for
/// the binder; the handshake goes on from it if the server selects it). The
/// PSK's secret itself is not kept.
pub(crate) struct ExternalOffer {
    pub identity: Vec<u8>,
    pub hash: HashAlg,
    pub early: EarlySecret,
    /// The 0-RTT the PSK allows (`ExternalPsk::set_early_data`).
    pub early_data: Option<crate::psk::PskEarlyData>,
}

/// The external PSKs this hello offers: the config's (in the order added),
/// then the connection's, leaving out any whose hash no TLS 1.3 suite of
/// `suites` has (the server could not use it), at most [`MAX_OFFERED`].
pub(super) fn offerable(c: &Common, suites: &[CipherSuite]) -> Vec<ExternalOffer> {
    let hash_offered = |h: HashAlg| {
        suites
            .iter()
            .any(|cs| tls13_suite(*cs).is_some_and(|s| s.hash == h))
    };
    c.config
        .inner
        .psk
        .psks
        .iter()
        .chain(&c.resumption.psks)
        .filter(|p| hash_offered(p.hash().alg()))
        .take(MAX_OFFERED)
        .map(|p| ExternalOffer {
            identity: p.identity().to_vec(),
            hash: p.hash().alg(),
            early: EarlySecret::new(p.hash().alg(), Some(p.secret().as_bytes())),
            early_data: p.early().cloned(),
        })
        .collect()
}

/// Adds `pre_shared_key` for `offers` as the hello's last extension: one
/// identity each with obfuscated_ticket_age 0 (RFC 8446 §4.2.11: external
/// identities have no age) and an "ext binder" binder each over what
/// `transcript` holds and the partial hello.
pub(super) fn attach(
    hello: &mut ClientHello,
    exts: &mut ClientExtensions,
    transcript: &Transcript,
    offers: &[ExternalOffer],
) -> Result<()> {
    let entries: Vec<BinderInput<'_>> = offers
        .iter()
        .map(|o| BinderInput {
            identity: PskIdentity {
                identity: o.identity.clone(),
                obfuscated_age: 0,
            },
            hash: o.hash,
            early: &o.early,
            external: true,
        })
        .collect();
    attach_binders(hello, exts, transcript, &entries)
}

/// The external PSK a ServerHello selected by `index` among `offers`
/// (illegal_parameter if we offered no such identity, or if the suite's hash
/// is not the PSK's: RFC 8446 §4.2.11).
pub(super) fn check_answer(
    index: u16,
    mut offers: Vec<ExternalOffer>,
    hash: HashAlg,
) -> Result<(Chosen, EarlySecret)> {
    let i = usize::from(index);
    if i >= offers.len() {
        return Err(Error::protocol(
            AlertDescription::ILLEGAL_PARAMETER,
            "server selected a PSK identity we did not offer",
        ));
    }
    let chosen = offers.swap_remove(i);
    if chosen.hash != hash {
        return Err(Error::protocol(
            AlertDescription::ILLEGAL_PARAMETER,
            "server selected a PSK with a cipher suite of another hash",
        ));
    }
    Ok((Chosen::External(chosen.identity), chosen.early))
}
