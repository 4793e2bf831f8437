//! The durable job queue: work that must happen after a change, outside the request, and must
//! survive a crash or restart (mail today; more kinds later). Rows live in the `jobs` table; a
//! worker claims due jobs under a lease, then completes, retries or dead-letters them.
//!
//! - [`store`]: the [`JobStore`](store::JobStore) port.
//! - [`retry`]: when to try again after a failure (backoff with jitter).

pub mod retry;
pub mod store;

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::ids::JobId;

/// Attempts a job gets unless its kind says otherwise (the column default).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;

/// The longest `last_error` kept; longer messages are cut (SMTP servers can be chatty).
pub const MAX_ERROR_CHARS: usize = 2000;

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    /// What the job does, as `capability.action` (for example `mail.send`); workers claim by kind.
    pub kind: String,
    pub payload: Value,
    /// Not before this instant.
    pub run_at: DateTime<Utc>,
    /// Enqueuing a second job with the same key returns the first one's id instead. Keys are
    /// unique across the whole table, finished jobs included, until cleanup deletes the row.
    pub dedupe_key: Option<String>,
    /// Attempts (claims) before the job is dead-lettered as `failed`.
    pub max_attempts: u32,
}

impl NewJob {
    /// A job due at `run_at`, without dedupe key, with [`DEFAULT_MAX_ATTEMPTS`].
    pub fn new(kind: impl Into<String>, payload: Value, run_at: DateTime<Utc>) -> Self {
        Self {
            kind: kind.into(),
            payload,
            run_at,
            dedupe_key: None,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// Waiting for `run_at`.
    Pending,
    /// Claimed by a worker until `locked_until`; claimable again after that (the worker died).
    Running,
    Succeeded,
    /// Dead-lettered: out of attempts, or failed for good. Kept for operators to inspect.
    Failed,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(JobStatus::Pending),
            "running" => Some(JobStatus::Running),
            "succeeded" => Some(JobStatus::Succeeded),
            "failed" => Some(JobStatus::Failed),
            _ => None,
        }
    }
}

/// A stored job.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: JobId,
    pub kind: String,
    pub payload: Value,
    pub status: JobStatus,
    pub dedupe_key: Option<String>,
    pub run_at: DateTime<Utc>,
    /// Claims so far, the current one included.
    pub attempts: u32,
    pub max_attempts: u32,
    pub locked_until: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl Job {
    /// True when this claim is the last one the job gets.
    pub fn is_last_attempt(&self) -> bool {
        self.attempts >= self.max_attempts
    }
}

/// The queue at a glance, for metrics and `janua doctor`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    pub pending: u64,
    pub running: u64,
    pub failed: u64,
    /// How long the oldest due pending job has waited past its `run_at`: a growing value means
    /// no worker is keeping up (or none runs).
    pub oldest_due_age: Option<Duration>,
}

/// `error` cut to [`MAX_ERROR_CHARS`] characters, for `last_error`.
pub fn truncate_error(error: &str) -> String {
    match error.char_indices().nth(MAX_ERROR_CHARS) {
        Some((cut, _)) => format!("{}…", &error[..cut]),
        None => error.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_their_stored_names() {
        for status in [
            JobStatus::Pending,
            JobStatus::Running,
            JobStatus::Succeeded,
            JobStatus::Failed,
        ] {
            assert_eq!(JobStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(JobStatus::parse("done"), None);
    }

    #[test]
    fn long_errors_are_cut_on_a_character_boundary() {
        let long = "é".repeat(MAX_ERROR_CHARS + 5);
        let cut = truncate_error(&long);
        assert_eq!(cut.chars().count(), MAX_ERROR_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(truncate_error("short"), "short");
    }
}
