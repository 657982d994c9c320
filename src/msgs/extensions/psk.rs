//! The body of a ClientHello's `pre_shared_key` extension (RFC 8446 §4.2.11):
//! the identities offered and one binder for each.

use crate::error::Error;
use crate::msgs::codec::{
    encode_prefixed, put_bytes16, put_bytes8, put_u32, EncodeError, LenPrefix, Reader,
};
use crate::msgs::enums::AlertDescription;

/// `psk_ke` (RFC 8446 §4.2.9): resumption without a fresh (EC)DHE exchange
/// (not forward secret).
pub(crate) const PSK_KE: u8 = 0;
/// `psk_dhe_ke`: resumption with a fresh (EC)DHE exchange.
pub(crate) const PSK_DHE_KE: u8 = 1;

/// The shortest binder: a SHA-256 HMAC (RFC 8446 §4.2.11: `PskBinderEntry<32..255>`).
pub(crate) const MIN_BINDER: usize = 32;

/// One offered identity: a ticket (or external PSK identity) and its obfuscated age.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PskIdentity {
    pub identity: Vec<u8>,
    pub obfuscated_age: u32,
}

/// `OfferedPsks`: identities and binders, in the same order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PskOffer {
    pub identities: Vec<PskIdentity>,
    pub binders: Vec<Vec<u8>>,
}

fn decode_error(msg: &'static str) -> Error {
    Error::protocol(AlertDescription::DECODE_ERROR, msg)
}

impl PskOffer {
    pub(crate) fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::new();
        encode_prefixed(&mut out, LenPrefix::U16, |o| {
            for id in &self.identities {
                put_bytes16(o, &id.identity)?;
                put_u32(o, id.obfuscated_age);
            }
            Ok(())
        })?;
        encode_prefixed(&mut out, LenPrefix::U16, |o| {
            self.binders.iter().try_for_each(|b| put_bytes8(o, b))
        })?;
        Ok(out)
    }

    /// Reads the extension body. Malformed syntax, an empty list, an empty
    /// identity or a binder shorter than 32 bytes is `decode_error`; as many
    /// binders as identities is required (`illegal_parameter`, §4.2.11).
    pub(crate) fn parse(body: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body);
        let malformed = |_| decode_error("malformed pre_shared_key extension");
        let mut ids = r.sub16().map_err(malformed)?;
        let mut identities = Vec::new();
        while ids.any_left() {
            let identity = ids.bytes16().map_err(malformed)?;
            let obfuscated_age = ids.u32().map_err(malformed)?;
            if identity.is_empty() {
                return Err(decode_error("empty PSK identity"));
            }
            identities.push(PskIdentity {
                identity: identity.to_vec(),
                obfuscated_age,
            });
        }
        let mut list = r.sub16().map_err(malformed)?;
        let mut binders = Vec::new();
        while list.any_left() {
            let b = list.bytes8().map_err(malformed)?;
            if b.len() < MIN_BINDER {
                return Err(decode_error("PSK binder shorter than 32 bytes"));
            }
            binders.push(b.to_vec());
        }
        r.expect_empty("trailing bytes").map_err(malformed)?;
        if identities.is_empty() || binders.is_empty() {
            return Err(decode_error("pre_shared_key with an empty list"));
        }
        if identities.len() != binders.len() {
            return Err(Error::protocol(
                AlertDescription::ILLEGAL_PARAMETER,
                "pre_shared_key has not one binder per identity",
            ));
        }
        Ok(Self {
            identities,
            binders,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer() -> PskOffer {
        PskOffer {
            identities: vec![
                PskIdentity {
                    identity: vec![1; 40],
                    obfuscated_age: 0xdead_beef,
                },
                PskIdentity {
                    identity: vec![2],
                    obfuscated_age: 7,
                },
            ],
            binders: vec![vec![3; 32], vec![4; 48]],
        }
    }

    #[test]
    fn round_trips() {
        let o = offer();
        assert_eq!(PskOffer::parse(&o.encode().unwrap()).unwrap(), o);
    }

    #[test]
    fn every_truncation_is_a_decode_error() {
        let bytes = offer().encode().unwrap();
        for n in 0..bytes.len() {
            let e = PskOffer::parse(&bytes[..n]).unwrap_err();
            assert_eq!(e.sent_alert(), Some(AlertDescription::DECODE_ERROR), "{n}");
        }
        let mut long = bytes.clone();
        long.push(0);
        assert!(PskOffer::parse(&long).is_err());
    }

    #[test]
    fn malformed_offers_get_the_rfc_alert() {
        let alert = |o: PskOffer| {
            PskOffer::parse(&o.encode().unwrap())
                .unwrap_err()
                .sent_alert()
        };
        let mut o = offer();
        o.binders.pop();
        assert_eq!(alert(o), Some(AlertDescription::ILLEGAL_PARAMETER));
        let mut o = offer();
        o.binders[0] = vec![0; 31];
        assert_eq!(alert(o), Some(AlertDescription::DECODE_ERROR));
        let mut o = offer();
        o.identities[1].identity.clear();
        assert_eq!(alert(o), Some(AlertDescription::DECODE_ERROR));
        let o = PskOffer {
            identities: vec![],
            binders: vec![],
        };
        assert_eq!(alert(o), Some(AlertDescription::DECODE_ERROR));
    }
}
