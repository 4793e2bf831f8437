//! Rate limits (§0): one `RateLimit` per protected action, written `count/window` —
//! `1000/minute`, `1000/min`, `3/hour`, `5/h`, `600/m`, `100/15min` — or a bare count that keeps
//! the limit's default window.

use std::fmt;
use std::time::Duration;

use serde::{Serialize, Serializer};

use crate::config::env::{quote, Reader};

/// At most `max` events per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub max: u32,
    pub window: Duration,
}

impl RateLimit {
    pub const fn per_minute(max: u32) -> Self {
        Self {
            max,
            window: Duration::from_secs(60),
        }
    }

    pub const fn per_hour(max: u32) -> Self {
        Self {
            max,
            window: Duration::from_secs(3600),
        }
    }

    /// Parses `count/window` or a bare count (then `default_window` applies).
    pub fn parse(raw: &str, default_window: Duration) -> Result<Self, &'static str> {
        let raw = raw.trim();
        let (count, window) = match raw.split_once('/') {
            Some((count, window)) => (count.trim(), parse_window(window.trim())?),
            None => (raw, default_window),
        };
        let max = count
            .parse::<u32>()
            .map_err(|_| "the count must be a whole number")?;
        if max == 0 {
            return Err(
                "the count must be at least 1 (use RATE_LIMIT_ENABLED=false to turn limits off)",
            );
        }
        Ok(Self { max, window })
    }
}

/// `5/60s`, `3/3600s`: unambiguous in `redacted()` output.
impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}s", self.max, self.window.as_secs())
    }
}

impl Serialize for RateLimit {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// `minute`, `15min`, `h`, `2days`, …
fn parse_window(raw: &str) -> Result<Duration, &'static str> {
    const BAD: &str =
        "the window must be second, minute, hour or day (s, m/min, h, d), optionally with a count";
    let digits = raw.chars().take_while(char::is_ascii_digit).count();
    let (count, unit) = raw.split_at(digits);
    let count: u64 = if count.is_empty() {
        1
    } else {
        count.parse().map_err(|_| BAD)?
    };
    let unit_seconds = match unit.trim().to_ascii_lowercase().as_str() {
        "s" | "sec" | "secs" | "second" | "seconds" => 1,
        "m" | "min" | "mins" | "minute" | "minutes" => 60,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86_400,
        _ => return Err(BAD),
    };
    match count.checked_mul(unit_seconds) {
        Some(secs) if secs > 0 => Ok(Duration::from_secs(secs)),
        _ => Err(BAD),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RateLimitConfig {
    pub enabled: bool,
    /// Every request, per IP.
    pub global: RateLimit,
    /// Per IP.
    pub signup: RateLimit,
    /// Per IP and email (also login forms, MFA challenge, passkey verify).
    pub signin: RateLimit,
    /// Per IP and email (also MFA recovery).
    pub password_forgot: RateLimit,
    pub password_reset: RateLimit,
    pub email_resend: RateLimit,
    /// Per IP and email.
    pub magic_link: RateLimit,
    /// Token endpoint, per client.
    pub token: RateLimit,
}

pub(super) fn read(r: &mut Reader) -> RateLimitConfig {
    RateLimitConfig {
        enabled: r.bool(&["RATE_LIMIT_ENABLED"], true),
        global: read_limit(r, "RATE_LIMIT_GLOBAL", RateLimit::per_minute(1000)),
        signup: read_limit(r, "RATE_LIMIT_SIGNUP", RateLimit::per_minute(3)),
        signin: read_limit(r, "RATE_LIMIT_SIGNIN", RateLimit::per_minute(5)),
        password_forgot: read_limit(r, "RATE_LIMIT_PASSWORD_FORGOT", RateLimit::per_hour(3)),
        password_reset: read_limit(r, "RATE_LIMIT_PASSWORD_RESET", RateLimit::per_hour(10)),
        email_resend: read_limit(r, "RATE_LIMIT_EMAIL_RESEND", RateLimit::per_hour(5)),
        magic_link: read_limit(r, "RATE_LIMIT_MAGIC_LINK", RateLimit::per_hour(5)),
        token: read_limit(r, "RATE_LIMIT_TOKEN", RateLimit::per_minute(600)),
    }
}

fn read_limit(r: &mut Reader, name: &'static str, default: RateLimit) -> RateLimit {
    let Some(raw) = r.string(&[name]) else {
        return default;
    };
    match RateLimit::parse(&raw, default.window) {
        Ok(limit) => limit,
        Err(why) => {
            r.problem(
                name,
                format!(
                    "must look like 5/minute or 3/h: {why} (got {})",
                    quote(&raw)
                ),
            );
            default
        }
    }
}
