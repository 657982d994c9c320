//! Receive-side limits: records that cost us work (or make us queue output)
//! without moving the connection forward. A peer may send a few of each; a
//! flood of them is an attack (rustls and BoringSSL bound the same things), so
//! past a limit the connection fails with `unexpected_message`.

use crate::error::{AlertDescription, Error, Result};
use crate::record::MAX_PLAINTEXT;

/// KeyUpdates received in a row without application data between them
/// (BoringSSL's `kMaxKeyUpdates`). Each costs a key derivation, and with kernel
/// TLS a rekey system call.
pub(crate) const MAX_KEY_UPDATES: u32 = 32;
/// Warning alerts in a row: TLS 1.3 `user_canceled`, TLS 1.2 warnings such as
/// `no_renegotiation` — and, on our side, the renegotiation requests we refuse
/// with one (BoringSSL's `kMaxWarningAlerts`).
pub(crate) const MAX_WARNING_ALERTS: u32 = 4;
/// Empty records in a row (BoringSSL's `kMaxEmptyRecords`).
pub(crate) const MAX_EMPTY_RECORDS: u32 = 32;
/// ChangeCipherSpec records: exactly one is legal in a handshake (TLS 1.3
/// middlebox compatibility, or the TLS 1.2 key switch), none after it.
pub(crate) const MAX_CCS: u32 = 1;

/// Rejected 0-RTT that a server skips (RFC 8446 §4.2.10), counted as whole
/// records (header included, so even empty ones use it up). The RFC bounds it
/// by the `max_early_data_size` the server advertised; Baton never advertised
/// one, so the 0-RTT it sees was sent with another server's ticket for the same
/// name. OpenSSL and BoringSSL advertise 16 KiB of plaintext by default; two
/// full ciphertext records leave room for that cut into several hundred
/// records, and trial-decrypting 33 KB costs less than the handshake itself.
pub(crate) const MAX_SKIPPED_EARLY_DATA: usize = 2 * (5 + MAX_PLAINTEXT + 256);

/// The one set of tamper counters, fed by both receive paths (records opened
/// here and records the kernel opened after kTLS receive offload).
#[derive(Debug, Default)]
pub(crate) struct TamperCounters {
    key_updates: u32,
    warning_alerts: u32,
    empty_records: u32,
    ccs: u32,
}

fn bump(n: &mut u32, max: u32, what: &'static str) -> Result<()> {
    *n += 1;
    if *n > max {
        return Err(Error::protocol(AlertDescription::UNEXPECTED_MESSAGE, what));
    }
    Ok(())
}

impl TamperCounters {
    /// Non-empty application data: the peer is doing real work, so every
    /// count starts again (as BoringSSL does when the application reads).
    pub(crate) fn application_data(&mut self) {
        *self = Self {
            // Only legal during the handshake, where no application data
            // arrives; kept so "one per handshake" holds whatever the order.
            ccs: self.ccs,
            ..Self::default()
        };
    }

    /// A non-empty handshake or application data record ends a run of empty
    /// ones. An alert does not: a warning is no progress either, and if it
    /// reset the run, alternating the two would get around both limits.
    pub(crate) fn non_empty_record(&mut self) {
        self.empty_records = 0;
    }

    pub(crate) fn empty_record(&mut self) -> Result<()> {
        bump(
            &mut self.empty_records,
            MAX_EMPTY_RECORDS,
            "too many empty records",
        )
    }

    pub(crate) fn key_update(&mut self) -> Result<()> {
        bump(
            &mut self.key_updates,
            MAX_KEY_UPDATES,
            "too many KeyUpdates without application data",
        )
    }

    pub(crate) fn warning_alert(&mut self) -> Result<()> {
        bump(
            &mut self.warning_alerts,
            MAX_WARNING_ALERTS,
            "too many warning alerts",
        )
    }

    /// A TLS 1.2 renegotiation request that we refuse with a warning: it
    /// counts with the warning alerts (each makes us send one), and too many
    /// end the connection with the refusal made fatal.
    pub(crate) fn renegotiation_request(&mut self) -> Result<()> {
        self.warning_alerts += 1;
        if self.warning_alerts > MAX_WARNING_ALERTS {
            return Err(Error::protocol(
                AlertDescription::NO_RENEGOTIATION,
                "too many renegotiation requests",
            ));
        }
        Ok(())
    }

    pub(crate) fn change_cipher_spec(&mut self) -> Result<()> {
        bump(
            &mut self.ccs,
            MAX_CCS,
            "unexpected change_cipher_spec record",
        )
    }
}

/// A TLS 1.3 server skipping 0-RTT it did not accept (RFC 8446 §4.2.10).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SkipEarlyData {
    /// After a HelloRetryRequest: every record with outer type
    /// application_data until the second ClientHello (which must not offer
    /// early data again); `left` bytes of them at most.
    UntilClientHello { left: usize },
    /// After the ServerHello: records that fail to open under the client's
    /// handshake key are dropped until one opens; `left` bytes of them at most.
    TrialDecryption { left: usize },
}

impl SkipEarlyData {
    /// Takes a record of `len` bytes (header included) from the budget;
    /// false when it does not fit, and the record must be treated as usual.
    pub(crate) fn take(&mut self, len: usize) -> bool {
        let (Self::UntilClientHello { left } | Self::TrialDecryption { left }) = self;
        match left.checked_sub(len) {
            Some(rest) => {
                *left = rest;
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests;
