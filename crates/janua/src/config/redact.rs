//! Serialization helpers for `Config::redacted`: durations as whole seconds, addresses as text,
//! and URLs with their passwords replaced by `***`. Secrets serialize as `"***"` by themselves.

use std::fmt::Display;
use std::time::Duration;

use serde::Serializer;

use crate::config::env::mask_credentials;

pub(super) fn seconds<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(value.as_secs())
}

pub(super) fn display_list<T: Display, S: Serializer>(
    values: &[T],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(values.iter().map(ToString::to_string))
}

pub(super) fn masked_url<S: Serializer>(value: &str, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&mask_credentials(value))
}

pub(super) fn masked_optional_url<S: Serializer>(
    value: &Option<String>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(url) => serializer.serialize_some(&mask_credentials(url)),
        None => serializer.serialize_none(),
    }
}

pub(super) fn masked_urls<S: Serializer>(
    values: &[String],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(values.iter().map(|url| mask_credentials(url)))
}
