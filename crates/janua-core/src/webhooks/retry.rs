//! When a failed delivery is tried again (API.md §14): after 1 m, 5 m, 30 m, 2 h, 5 h, 8 h and
//! 8 h by default (8 attempts, about a day), each delay stretched or shrunk by up to 20 % so
//! that deliveries failing together (a receiver outage) do not all return in the same second.
//! The delays are configurable (`WEBHOOK_RETRY_DELAYS`), mainly so tests need not wait.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;

/// ± this fraction of each delay.
pub const JITTER: f64 = 0.2;

/// The default delays before attempts 2‥8.
pub const DEFAULT_DELAYS: [Duration; 7] = [
    Duration::from_secs(60),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(8 * 3600),
    Duration::from_secs(8 * 3600),
];

#[derive(Debug, Clone, PartialEq)]
pub struct RetrySchedule {
    pub delays: Vec<Duration>,
}

impl Default for RetrySchedule {
    fn default() -> Self {
        RetrySchedule {
            delays: DEFAULT_DELAYS.to_vec(),
        }
    }
}

impl RetrySchedule {
    /// Attempts in all: the first plus one per delay.
    pub fn max_attempts(&self) -> u32 {
        u32::try_from(self.delays.len())
            .unwrap_or(u32::MAX)
            .saturating_add(1)
    }

    /// The wait after `attempts_made` failed attempts with `jitter_unit` in `[-1, 1]`; `None`
    /// when the schedule is spent (dead-letter).
    pub fn delay_after(&self, attempts_made: u32, jitter_unit: f64) -> Option<Duration> {
        let index = usize::try_from(attempts_made.checked_sub(1)?).ok()?;
        let base = *self.delays.get(index)?;
        Some(base.mul_f64((1.0 + JITTER * jitter_unit.clamp(-1.0, 1.0)).max(0.0)))
    }

    pub fn next_attempt_at(
        &self,
        attempts_made: u32,
        now: DateTime<Utc>,
        rng: &mut impl Rng,
    ) -> Option<DateTime<Utc>> {
        let delay = self.delay_after(attempts_made, rng.gen_range(-1.0..=1.0))?;
        now.checked_add_signed(chrono::Duration::from_std(delay).ok()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_schedule_is_eight_attempts_over_about_a_day() {
        let schedule = RetrySchedule::default();
        assert_eq!(schedule.max_attempts(), 8);
        let minutes: Vec<u64> = (1..=7)
            .map(|n| schedule.delay_after(n, 0.0).unwrap().as_secs() / 60)
            .collect();
        assert_eq!(minutes, vec![1, 5, 30, 120, 300, 480, 480]);
        assert_eq!(schedule.delay_after(8, 0.0), None);
        assert_eq!(schedule.delay_after(0, 0.0), None);
    }

    #[test]
    fn jitter_stays_within_twenty_percent() {
        let schedule = RetrySchedule::default();
        assert_eq!(schedule.delay_after(1, 1.0), Some(Duration::from_secs(72)));
        assert_eq!(schedule.delay_after(1, -1.0), Some(Duration::from_secs(48)));
        assert_eq!(schedule.delay_after(1, 7.0), Some(Duration::from_secs(72)));
    }
}
