//! When a failed job runs again: a fixed schedule of growing delays with ± jitter, so that many
//! jobs failing together (a relay outage) do not all come back in the same second.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;

/// A backoff schedule: the delay before the 2nd attempt, the 3rd, …; past its end, give up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    pub delays: &'static [Duration],
    /// Each delay is stretched or shrunk by up to this fraction (0.2 = ± 20 %).
    pub jitter: f64,
}

const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;

/// Mail: 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, then dead-letter: eight attempts over
/// about eight hours, which outlasts a relay's maintenance window without mailing a link that
/// has long expired.
pub const MAIL: RetryPolicy = RetryPolicy {
    delays: &[
        Duration::from_secs(30),
        Duration::from_secs(2 * MINUTE),
        Duration::from_secs(10 * MINUTE),
        Duration::from_secs(30 * MINUTE),
        Duration::from_secs(HOUR),
        Duration::from_secs(2 * HOUR),
        Duration::from_secs(4 * HOUR),
    ],
    jitter: 0.2,
};

impl RetryPolicy {
    /// Attempts in all: the first one plus one per delay.
    pub fn max_attempts(&self) -> u32 {
        u32::try_from(self.delays.len())
            .unwrap_or(u32::MAX)
            .saturating_add(1)
    }

    /// The wait after `attempts_made` failed attempts (1 after the first failure), with
    /// `jitter_unit` in `[-1, 1]` choosing where in the jitter band it lands; `None` when the
    /// schedule is exhausted. Pure, so tests can pin the jitter.
    pub fn delay_after(&self, attempts_made: u32, jitter_unit: f64) -> Option<Duration> {
        let index = usize::try_from(attempts_made.checked_sub(1)?).ok()?;
        let base = *self.delays.get(index)?;
        let factor = 1.0 + self.jitter * jitter_unit.clamp(-1.0, 1.0);
        Some(base.mul_f64(factor.max(0.0)))
    }

    /// When to run again after `attempts_made` failed attempts, with random jitter; `None`
    /// means give up (dead-letter).
    pub fn next_run_at(
        &self,
        attempts_made: u32,
        now: DateTime<Utc>,
        rng: &mut impl Rng,
    ) -> Option<DateTime<Utc>> {
        let delay = self.delay_after(attempts_made, rng.gen_range(-1.0..=1.0))?;
        let delay = chrono::Duration::from_std(delay).ok()?;
        now.checked_add_signed(delay)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn mail_waits_30s_2m_10m_30m_1h_2h_4h_then_gives_up() {
        let minutes: Vec<u64> = (1..=7)
            .map(|n| MAIL.delay_after(n, 0.0).unwrap().as_secs())
            .collect();
        assert_eq!(minutes, [30, 120, 600, 1800, 3600, 7200, 14400]);
        assert_eq!(MAIL.delay_after(8, 0.0), None);
        assert_eq!(MAIL.max_attempts(), 8);
    }

    #[test]
    fn no_delay_is_defined_before_a_first_failure() {
        assert_eq!(MAIL.delay_after(0, 0.0), None);
    }

    #[test]
    fn jitter_stays_within_its_band() {
        assert_eq!(MAIL.delay_after(1, 1.0).unwrap(), Duration::from_secs(36));
        assert_eq!(MAIL.delay_after(1, -1.0).unwrap(), Duration::from_secs(24));
        assert_eq!(
            MAIL.delay_after(1, 7.0).unwrap(),
            Duration::from_secs(36),
            "out-of-range units are clamped"
        );
    }

    #[test]
    fn random_retries_land_within_the_band_and_not_all_at_once() {
        let now = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let mut rng = StdRng::seed_from_u64(7);
        let waits: Vec<i64> = (0..50)
            .map(|_| (MAIL.next_run_at(3, now, &mut rng).unwrap() - now).num_seconds())
            .collect();
        assert!(waits.iter().all(|w| (480..=720).contains(w)), "{waits:?}");
        let distinct: std::collections::BTreeSet<_> = waits.iter().collect();
        assert!(distinct.len() > 10, "jitter spreads retries: {waits:?}");
    }

    #[test]
    fn an_exhausted_schedule_means_dead_letter() {
        let now = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(MAIL.next_run_at(8, now, &mut rng), None);
    }
}
