//! How SQLite stores what PostgreSQL has types for: times as fixed-width RFC 3339 TEXT
//! (`2026-01-02T03:04:05.123456Z`, so text order is time order and precision matches
//! PostgreSQL's microseconds) and JSON as TEXT. UUIDs are hyphenated TEXT (`Uuid::to_string`).

use chrono::{DateTime, Utc};
use janua_core::error::{Error, Result};
use serde_json::Value;

const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

/// The stored form of an instant, truncated to microseconds like PostgreSQL's `timestamptz`.
pub(crate) fn encode_time(at: DateTime<Utc>) -> String {
    at.format(TIME_FORMAT).to_string()
}

pub(crate) fn decode_time(stored: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(stored)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|e| Error::internal(format!("stored time {stored:?} is not RFC 3339: {e}")))
}

pub(crate) fn encode_json(value: &Value) -> Result<String> {
    serde_json::to_string(value).map_err(Error::internal)
}

pub(crate) fn decode_json(stored: &str) -> Result<Value> {
    serde_json::from_str(stored)
        .map_err(|e| Error::internal(format!("stored JSON is invalid: {e}")))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn times_are_stored_fixed_width_in_utc_with_microseconds() {
        let at = Utc.timestamp_opt(1_767_323_045, 123_456_789).unwrap();
        assert_eq!(encode_time(at), "2026-01-02T03:04:05.123456Z");
        let whole = Utc.timestamp_opt(1_767_323_045, 0).unwrap();
        assert_eq!(encode_time(whole), "2026-01-02T03:04:05.000000Z");
    }

    #[test]
    fn stored_times_decode_to_the_same_instant_truncated_to_microseconds() {
        let at = Utc.timestamp_opt(1_767_323_045, 123_456_789).unwrap();
        let back = decode_time(&encode_time(at)).unwrap();
        assert_eq!(back, Utc.timestamp_opt(1_767_323_045, 123_456_000).unwrap());
    }

    #[test]
    fn text_order_of_stored_times_is_time_order() {
        let earlier = encode_time(Utc.timestamp_opt(1_767_323_045, 0).unwrap());
        let later = encode_time(Utc.timestamp_opt(1_767_323_045, 1_000).unwrap());
        assert!(earlier < later);
    }

    #[test]
    fn a_corrupt_stored_time_is_an_internal_error() {
        assert!(matches!(decode_time("yesterday"), Err(Error::Internal(_))));
    }
}
