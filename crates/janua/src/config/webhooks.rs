//! Webhook delivery settings (API.md §14): how long an attempt may take, when failed ones are
//! tried again, and how often the worker polls. `WEBHOOK_ALLOW_PRIVATE_URLS` lives with the
//! other security settings.

use std::time::Duration;

use serde::Serialize;

use crate::config::env::{Reader, Unit};

#[derive(Debug, Clone, Serialize)]
pub struct WebhookConfig {
    /// An attempt that has no 2xx answer within this time failed.
    pub timeout: Duration,
    /// Delays before attempts 2, 3, …; attempts in all = delays + 1.
    pub retry_delays: Vec<Duration>,
    /// How often the delivery worker looks for new events and due retries.
    pub poll_interval: Duration,
}

/// API.md §14: 1 m, 5 m, 30 m, 2 h, 5 h, 8 h, 8 h.
const DEFAULT_DELAYS: &str = "60,300,1800,7200,18000,28800,28800";
/// More attempts than this is a misconfiguration, not a policy.
const MAX_DELAYS: usize = 20;

pub(super) fn read(r: &mut Reader) -> WebhookConfig {
    let timeout = r.duration(&["WEBHOOK_TIMEOUT_SECONDS"], Unit::Seconds, 10);
    if timeout.is_zero() || timeout > Duration::from_secs(60) {
        r.problem(
            "WEBHOOK_TIMEOUT_SECONDS",
            "must be between 1 and 60 seconds",
        );
    }
    let raw = r
        .string(&["WEBHOOK_RETRY_DELAYS"])
        .unwrap_or_else(|| DEFAULT_DELAYS.to_owned());
    let retry_delays = match parse_delays(&raw) {
        Some(delays) => delays,
        None => {
            r.problem(
                "WEBHOOK_RETRY_DELAYS",
                format!(
                    "must be up to {MAX_DELAYS} comma-separated whole numbers of seconds (got {raw:?})"
                ),
            );
            parse_delays(DEFAULT_DELAYS).unwrap_or_default()
        }
    };
    let poll_ms: u64 = r.number(
        &["WEBHOOK_POLL_INTERVAL_MS"],
        1000,
        "a whole number of milliseconds",
    );
    if !(10..=60_000).contains(&poll_ms) {
        r.problem("WEBHOOK_POLL_INTERVAL_MS", "must be between 10 and 60000");
    }
    WebhookConfig {
        timeout,
        retry_delays,
        poll_interval: Duration::from_millis(poll_ms.clamp(10, 60_000)),
    }
}

fn parse_delays(raw: &str) -> Option<Vec<Duration>> {
    let delays = raw
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<u64>().ok().map(Duration::from_secs))
        .collect::<Option<Vec<_>>>()?;
    (delays.len() <= MAX_DELAYS).then_some(delays)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_parse_as_seconds_and_garbage_is_refused() {
        assert_eq!(
            parse_delays("1, 2,3"),
            Some(vec![
                Duration::from_secs(1),
                Duration::from_secs(2),
                Duration::from_secs(3)
            ])
        );
        assert_eq!(parse_delays(""), Some(vec![]));
        assert_eq!(parse_delays("1,x"), None);
        assert_eq!(parse_delays("-1"), None);
        assert_eq!(parse_delays(&vec!["1"; 21].join(",")), None);
    }
}
