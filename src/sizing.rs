//! How big the records we send are: s2n's prefer-throughput / prefer-low-latency
//! and dynamic record sizing. The connection asks before each record (userspace)
//! or each write to the kernel (kTLS, where every write ends a record).

use crate::record::MAX_PLAINTEXT;
use std::time::{Duration, Instant};

/// Wire size of a "small" record: one record per segment of a standard
/// 1500-byte Ethernet frame, leaving room for IPv6 (40) + TCP (20) headers and
/// up to 40 bytes of TCP options.
pub(crate) const SMALL_RECORD_WIRE: usize = 1400;

/// Record sizing state of one connection.
#[derive(Clone, Debug, Default)]
pub(crate) struct RecordSizing {
    low_latency: bool,
    /// (resize threshold in bytes, idle timeout).
    dynamic: Option<(usize, Duration)>,
    /// Application bytes sent since the connection (re)entered the small phase.
    sent_in_phase: usize,
    last_send: Option<Instant>,
}

impl RecordSizing {
    pub(crate) fn prefer_low_latency(&mut self) {
        self.low_latency = true;
    }

    pub(crate) fn prefer_throughput(&mut self) {
        self.low_latency = false;
    }

    pub(crate) fn set_dynamic(&mut self, resize_threshold: usize, timeout: Duration) {
        self.dynamic = (resize_threshold > 0).then_some((resize_threshold, timeout));
        self.sent_in_phase = 0;
    }

    /// The most plaintext the next record may carry, given the per-record
    /// overhead of the current key. `now` restarts the small phase after an
    /// idle period.
    pub(crate) fn limit(&mut self, now: Instant, overhead: usize) -> usize {
        let small = SMALL_RECORD_WIRE.saturating_sub(overhead).max(1);
        if self.low_latency {
            return small;
        }
        let Some((threshold, timeout)) = self.dynamic else {
            return MAX_PLAINTEXT;
        };
        if self
            .last_send
            .is_some_and(|t| now.saturating_duration_since(t) >= timeout)
        {
            self.sent_in_phase = 0;
        }
        if self.sent_in_phase < threshold {
            // Don't overshoot the threshold by more than a record.
            small
        } else {
            MAX_PLAINTEXT
        }
    }

    /// `n` application bytes went out at `now`.
    pub(crate) fn sent(&mut self, now: Instant, n: usize) {
        self.sent_in_phase = self.sent_in_phase.saturating_add(n);
        self.last_send = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throughput_by_default_small_when_low_latency() {
        let now = Instant::now();
        let mut s = RecordSizing::default();
        assert_eq!(s.limit(now, 22), MAX_PLAINTEXT);
        s.prefer_low_latency();
        assert_eq!(s.limit(now, 22), 1400 - 22);
        assert_eq!(s.limit(now, 29), 1400 - 29);
        s.prefer_throughput();
        assert_eq!(s.limit(now, 22), MAX_PLAINTEXT);
    }

    #[test]
    fn dynamic_small_until_threshold_then_full_then_small_after_idle() {
        let t0 = Instant::now();
        let mut s = RecordSizing::default();
        s.set_dynamic(4000, Duration::from_secs(1));
        let mut t = t0;
        let mut small_records = 0;
        while s.limit(t, 22) < MAX_PLAINTEXT {
            small_records += 1;
            s.sent(t, 1378);
            t += Duration::from_millis(1);
        }
        assert_eq!(small_records, 3, "4000 bytes in 1378-byte records");
        s.sent(t, MAX_PLAINTEXT);
        assert_eq!(s.limit(t + Duration::from_millis(999), 22), MAX_PLAINTEXT);
        // An idle second: small records again.
        assert_eq!(s.limit(t + Duration::from_secs(1), 22), 1378);
        // Threshold 0 turns it off.
        s.set_dynamic(0, Duration::from_secs(1));
        assert_eq!(s.limit(t, 22), MAX_PLAINTEXT);
    }
}
