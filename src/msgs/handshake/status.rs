//! Certificate status: the CertificateStatus body (RFC 6066 §8), which is both
//! the TLS 1.2 handshake message and the TLS 1.3 `status_request` extension of
//! the leaf's CertificateEntry (RFC 8446 §4.4.2.1), and the
//! SignedCertificateTimestampList of `signed_certificate_timestamp`
//! (RFC 6962 §3.3). Only the framing is checked here; the OCSP response's DER
//! is left to `cert::ocsp`, the SCTs to the application.

use crate::msgs::codec::{put_bytes24, put_u8, Codec, DecodeError, EncodeError, Reader};

/// `CertificateStatusType.ocsp` (RFC 6066 §8).
const STATUS_TYPE_OCSP: u8 = 1;

/// CertificateStatus with an OCSP response (the only status type defined).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CertificateStatus {
    /// The DER OCSPResponse; non-empty (`opaque OCSPResponse<1..2^24-1>`).
    pub ocsp_response: Vec<u8>,
}

impl Codec for CertificateStatus {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let start = out.len();
        put_u8(out, STATUS_TYPE_OCSP);
        put_bytes24(out, &self.ocsp_response).inspect_err(|_| out.truncate(start))
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        if r.u8()? != STATUS_TYPE_OCSP {
            return Err(DecodeError("status type is not ocsp"));
        }
        let resp = r.bytes24()?;
        if resp.is_empty() {
            return Err(DecodeError("empty OCSP response"));
        }
        Ok(Self {
            ocsp_response: resp.to_vec(),
        })
    }
}

/// Checks that `list` is a well-framed SignedCertificateTimestampList:
/// `SerializedSCT sct_list<1..2^16-1>`, each `opaque SerializedSCT<1..2^16-1>`,
/// nothing after it. The SCTs themselves are opaque to Baton.
pub(crate) fn check_sct_list(list: &[u8]) -> Result<(), DecodeError> {
    let mut r = Reader::new(list);
    let mut scts = r.sub16()?;
    r.expect_empty("trailing bytes after the SCT list")?;
    if !scts.any_left() {
        return Err(DecodeError("empty SCT list"));
    }
    while scts.any_left() {
        if scts.bytes16()?.is_empty() {
            return Err(DecodeError("empty SCT"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_status_round_trips() {
        let cs = CertificateStatus {
            ocsp_response: vec![0x30, 0x03, 0x0a, 0x01, 0x00],
        };
        let mut b = Vec::new();
        cs.encode(&mut b).unwrap();
        assert_eq!(b, [1, 0, 0, 5, 0x30, 0x03, 0x0a, 0x01, 0x00]);
        assert_eq!(CertificateStatus::read_bytes(&b).unwrap(), cs);
    }

    #[test]
    fn malformed_certificate_status_is_refused() {
        for bad in [
            &[][..],                   // nothing
            &[1],                      // no length
            &[1, 0, 0],                // short length
            &[1, 0, 0, 0],             // empty response
            &[2, 0, 0, 1, 0],          // not ocsp (ocsp_multi is TLS 1.2 only, never asked)
            &[1, 0, 0, 2, 0],          // length past the end
            &[1, 0, 0, 1, 0x30, 0],    // trailing byte
            &[1, 0xff, 0xff, 0xff, 0], // huge length, no allocation
        ] {
            assert!(CertificateStatus::read_bytes(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sct_list_framing() {
        check_sct_list(&[0, 4, 0, 2, 0xaa, 0xbb]).unwrap();
        check_sct_list(&[0, 7, 0, 1, 1, 0, 2, 2, 3]).unwrap();
        for bad in [
            &[][..],
            &[0, 0],             // empty list
            &[0, 2, 0, 0],       // empty SCT
            &[0, 3, 0, 2, 1],    // SCT past the end of the list
            &[0, 3, 0, 1, 1, 9], // trailing byte after the list
            &[0, 5, 0, 1, 1],    // list past the end
        ] {
            assert!(check_sct_list(bad).is_err(), "{bad:?}");
        }
    }
}
