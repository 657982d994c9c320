//! Checks every handshake state machine shares.

use crate::error::{AlertDescription, Error, Result};
use crate::msgs::enums::HandshakeType;

/// A message that precedes a key change must end its record (RFC 8446 §5.1):
/// bytes after it would be read under the wrong key.
pub(crate) fn require_boundary(boundary: bool, what: &'static str) -> Result<()> {
    if boundary {
        Ok(())
    } else {
        Err(Error::protocol(
            AlertDescription::UNEXPECTED_MESSAGE,
            format!("{what} must end its record"),
        ))
    }
}

/// Checks the peer's Finished against HMAC(finished_key(base), transcript hash), in constant time.
pub(crate) fn verify_finished(
    hash: crate::crypto::hash::HashAlg,
    base: &crate::secrets::Secret,
    transcript: &crate::crypto::hash::Transcript,
    verify_data: &[u8],
    who: &'static str,
) -> Result<()> {
    let expected = crate::tls13::key_schedule::finished_verify_data(
        hash,
        base,
        transcript.current_hash().as_bytes(),
    );
    if verify_data.len() != expected.as_bytes().len() {
        // A malformed message, not a failed check (RFC 8446 §6.2 decode_error).
        return Err(Error::protocol(
            AlertDescription::DECODE_ERROR,
            format!("{who} Finished has the wrong length"),
        ));
    }
    if crate::secrets::ct_eq(verify_data, expected.as_bytes()) {
        Ok(())
    } else {
        Err(Error::protocol(
            AlertDescription::DECRYPT_ERROR,
            format!("{who} Finished is wrong"),
        ))
    }
}

/// Rejects a handshake message type that is not expected in the current state.
pub(crate) fn unexpected(typ: HandshakeType, state: &str) -> Error {
    Error::protocol(
        AlertDescription::UNEXPECTED_MESSAGE,
        format!("unexpected {typ:?} while {state}"),
    )
}
