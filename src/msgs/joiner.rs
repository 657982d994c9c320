//! Reassembly of handshake messages from the payloads of handshake records.
//!
//! A message may span several records and a record may carry several
//! messages (RFC 8446 §5.1). The joiner buffers record payloads and hands out
//! complete messages; declared lengths are checked against
//! `MAX_HANDSHAKE_MESSAGE` as soon as a header is visible, so a peer cannot
//! make us buffer up to 16 MiB by announcing a huge message.

use super::codec::Reader;
use super::enums::{AlertDescription, HandshakeType};
use crate::error::Error;

/// The largest handshake message body we accept. Certificate chains are the
/// largest messages in practice; 128 KiB is ample.
pub(crate) const MAX_HANDSHAKE_MESSAGE: usize = 128 * 1024;

/// Type (1 byte) and length (3 bytes).
const HEADER_LEN: usize = 4;

/// One complete handshake message, undecoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawHandshake {
    pub typ: HandshakeType,
    /// The header and the body: what goes into the transcript.
    pub encoded: Vec<u8>,
}

impl RawHandshake {
    /// The body, without the 4-byte header.
    pub(crate) fn body(&self) -> &[u8] {
        self.encoded.get(HEADER_LEN..).unwrap_or(&[])
    }
}

/// Buffers handshake record payloads and splits them into messages.
#[derive(Debug, Default)]
pub(crate) struct HandshakeJoiner {
    buf: Vec<u8>,
}

/// The type and body length of the message at the start of `b`, if its
/// header is complete.
fn peek_header(b: &[u8]) -> Option<(HandshakeType, usize)> {
    let mut r = Reader::new(b);
    let typ = r.u8().ok()?;
    let len = r.u24().ok()?;
    Some((HandshakeType(typ), len as usize))
}

fn too_large() -> Error {
    Error::protocol(
        AlertDescription::ILLEGAL_PARAMETER,
        "handshake message too large",
    )
}

impl HandshakeJoiner {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Appends the payload of one handshake record.
    ///
    /// An empty payload is `unexpected_message` (RFC 8446 §5.1); a header
    /// announcing more than `MAX_HANDSHAKE_MESSAGE` is `illegal_parameter`.
    /// After an error the joiner holds nothing and should not be used again.
    pub(crate) fn push(&mut self, fragment: &[u8]) -> Result<(), Error> {
        if fragment.is_empty() {
            return Err(Error::protocol(
                AlertDescription::UNEXPECTED_MESSAGE,
                "empty handshake record",
            ));
        }
        self.buf.extend_from_slice(fragment);
        // Check every header now visible, complete messages and the trailing
        // partial one alike, so an oversized message is refused on its first
        // record rather than after buffering it.
        let mut rest = self.buf.as_slice();
        while let Some((_, len)) = peek_header(rest) {
            if len > MAX_HANDSHAKE_MESSAGE {
                self.buf = Vec::new();
                return Err(too_large());
            }
            match rest.get(HEADER_LEN + len..) {
                Some(r) => rest = r,
                None => break,
            }
        }
        Ok(())
    }

    /// The next complete message, or `None` if more records are needed.
    pub(crate) fn pop(&mut self) -> Result<Option<RawHandshake>, Error> {
        let Some((typ, len)) = peek_header(&self.buf) else {
            return Ok(None);
        };
        if len > MAX_HANDSHAKE_MESSAGE {
            // Unreachable after `push`'s check; kept so `pop` stands alone.
            self.buf = Vec::new();
            return Err(too_large());
        }
        let total = HEADER_LEN + len;
        if self.buf.len() < total {
            return Ok(None);
        }
        let encoded = if self.buf.len() == total {
            std::mem::take(&mut self.buf)
        } else {
            self.buf.drain(..total).collect()
        };
        Ok(Some(RawHandshake { typ, encoded }))
    }

    /// True if no bytes are buffered: the last record ended on a message
    /// boundary and every message was popped. Key changes require this
    /// (RFC 8446 §5.1).
    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msgs::test_vectors::*;

    fn alert<T: core::fmt::Debug>(r: Result<T, Error>) -> AlertDescription {
        r.expect_err("expected an error")
            .sent_alert()
            .expect("protocol errors carry an alert")
    }

    fn flight() -> Vec<Vec<u8>> {
        [
            RFC8448_ENCRYPTED_EXTENSIONS,
            RFC8448_CERTIFICATE,
            RFC8448_CERTIFICATE_VERIFY,
            RFC8448_SERVER_FINISHED,
        ]
        .iter()
        .map(|v| hex(v))
        .collect()
    }

    fn drain(j: &mut HandshakeJoiner) -> Vec<RawHandshake> {
        let mut out = Vec::new();
        while let Some(m) = j.pop().unwrap() {
            out.push(m);
        }
        out
    }

    #[test]
    fn one_message_one_push() {
        let sh = hex(RFC8448_SERVER_HELLO);
        let mut j = HandshakeJoiner::new();
        assert!(j.is_empty());
        assert_eq!(j.pop().unwrap(), None);
        j.push(&sh).unwrap();
        assert!(!j.is_empty());
        let m = j.pop().unwrap().unwrap();
        assert_eq!(m.typ, HandshakeType::SERVER_HELLO);
        assert_eq!(m.encoded, sh);
        assert_eq!(m.body(), &sh[4..]);
        assert!(j.is_empty());
        assert_eq!(j.pop().unwrap(), None);
    }

    #[test]
    fn several_messages_in_one_push() {
        let msgs = flight();
        let mut j = HandshakeJoiner::new();
        j.push(&msgs.concat()).unwrap();
        let got = drain(&mut j);
        assert_eq!(
            got.iter().map(|m| m.encoded.clone()).collect::<Vec<_>>(),
            msgs
        );
        assert_eq!(got[1].typ, HandshakeType::CERTIFICATE);
        assert!(j.is_empty());
    }

    #[test]
    fn fragments_across_pushes() {
        let msgs = flight();
        let all = msgs.concat();
        for size in [1, 2, 3, 4, 5, 7, 100, 1000] {
            let mut j = HandshakeJoiner::new();
            let mut got = Vec::new();
            let mut pushed = 0;
            for chunk in all.chunks(size) {
                j.push(chunk).unwrap();
                pushed += chunk.len();
                got.extend(drain(&mut j).into_iter().map(|m| m.encoded));
                // Empty exactly when the chunk ended on a message boundary.
                let popped: usize = got.iter().map(Vec::len).sum();
                assert_eq!(j.is_empty(), popped == pushed);
            }
            assert_eq!(got, msgs, "chunk size {size}");
            assert!(j.is_empty());
        }
    }

    #[test]
    fn partial_message_keeps_joiner_non_empty() {
        let fin = hex(RFC8448_SERVER_FINISHED);
        let mut j = HandshakeJoiner::new();
        j.push(&fin[..3]).unwrap();
        assert_eq!(j.pop().unwrap(), None);
        assert!(!j.is_empty());
        j.push(&fin[3..10]).unwrap();
        assert_eq!(j.pop().unwrap(), None);
        assert!(!j.is_empty());
        j.push(&fin[10..]).unwrap();
        assert_eq!(j.pop().unwrap().unwrap().encoded, fin);
        assert!(j.is_empty());
    }

    #[test]
    fn empty_body_message() {
        let mut j = HandshakeJoiner::new();
        j.push(&[5, 0, 0, 0, 20, 0, 0, 1]).unwrap();
        let m = j.pop().unwrap().unwrap();
        assert_eq!(m.typ, HandshakeType::END_OF_EARLY_DATA);
        assert_eq!(m.body(), &[] as &[u8]);
        assert_eq!(j.pop().unwrap(), None);
        j.push(&[7]).unwrap();
        assert_eq!(j.pop().unwrap().unwrap().encoded, [20, 0, 0, 1, 7]);
    }

    #[test]
    fn empty_record_is_unexpected() {
        let mut j = HandshakeJoiner::new();
        assert_eq!(alert(j.push(&[])), AlertDescription::UNEXPECTED_MESSAGE);
    }

    #[test]
    fn oversized_declared_length() {
        // 2^24 - 1 announced in one record: refused at once, nothing reserved.
        let mut j = HandshakeJoiner::new();
        assert_eq!(
            alert(j.push(&[1, 0xff, 0xff, 0xff, 0, 0])),
            AlertDescription::ILLEGAL_PARAMETER
        );
        assert!(j.buf.capacity() < 1024);
        assert!(j.is_empty());

        // Header split across records.
        let mut j = HandshakeJoiner::new();
        j.push(&[11, 0xff]).unwrap();
        assert_eq!(
            alert(j.push(&[0xff, 0xff])),
            AlertDescription::ILLEGAL_PARAMETER
        );

        // Behind a complete message in the same record.
        let mut j = HandshakeJoiner::new();
        assert_eq!(
            alert(j.push(&[20, 0, 0, 1, 9, 11, 0x02, 0x00, 0x01])),
            AlertDescription::ILLEGAL_PARAMETER
        );

        // The limit itself is accepted (and waits for its body).
        let mut j = HandshakeJoiner::new();
        let max = (MAX_HANDSHAKE_MESSAGE as u32).to_be_bytes();
        j.push(&[11, max[1], max[2], max[3]]).unwrap();
        assert_eq!(j.pop().unwrap(), None);
        let body = vec![0u8; MAX_HANDSHAKE_MESSAGE];
        for chunk in body.chunks(16384) {
            j.push(chunk).unwrap();
        }
        assert_eq!(
            j.pop().unwrap().unwrap().body().len(),
            MAX_HANDSHAKE_MESSAGE
        );
        let over = (MAX_HANDSHAKE_MESSAGE as u32 + 1).to_be_bytes();
        assert_eq!(
            alert(j.push(&[11, over[1], over[2], over[3]])),
            AlertDescription::ILLEGAL_PARAMETER
        );
    }

    #[test]
    fn raw_body_never_panics() {
        let r = RawHandshake {
            typ: HandshakeType(1),
            encoded: vec![1, 0],
        };
        assert_eq!(r.body(), &[] as &[u8]);
    }
}
