//! The storage port of the job queue. Both backends implement it on the `jobs` table; their
//! contract tests (`janua-store/tests/contract/jobs.rs`) hold them to the same behaviour.
//!
//! Use cases that must enqueue a job together with their own change (sign-up and its
//! verification mail) do so in the backend's transaction through its crate-internal
//! `insert_job_in_tx`, so the job exists exactly when the change committed.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::Result;
use crate::ids::JobId;
use crate::jobs::{Job, JobCounts, JobStatus, NewJob};

#[async_trait]
pub trait JobStore: Send + Sync {
    /// Stores a pending job. When `dedupe_key` is already taken, nothing is stored and the id of
    /// the job holding the key is returned (no error).
    async fn enqueue_job(&self, job: &NewJob, now: DateTime<Utc>) -> Result<JobId>;

    /// Atomically claims up to `limit` due jobs of the given kinds (all kinds when empty), oldest
    /// `run_at` first: each becomes `running` with `locked_until = now + lease` and one more
    /// attempt. Due means pending with `run_at <= now`, or running with an expired lease (its
    /// worker died). A job whose lease expired on its last attempt is dead-lettered instead.
    /// Two concurrent callers, in this process or another, never claim the same job.
    async fn claim_due_jobs(
        &self,
        kinds: &[&str],
        now: DateTime<Utc>,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<Job>>;

    /// Marks a claimed job `succeeded`. [`Error::NotFound`](crate::Error::NotFound) when the
    /// job does not exist or is not running.
    async fn complete_job(&self, id: JobId, now: DateTime<Utc>) -> Result<()>;

    /// Records a failed attempt and schedules the next at `run_at`; a job out of attempts is
    /// dead-lettered instead. Returns the status the job ended in (`Pending` or `Failed`).
    async fn retry_job(
        &self,
        id: JobId,
        error: &str,
        run_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<JobStatus>;

    /// Dead-letters a job now, whatever attempts it has left (the failure is permanent).
    async fn fail_job(&self, id: JobId, error: &str, now: DateTime<Utc>) -> Result<()>;

    async fn get_job(&self, id: JobId) -> Result<Option<Job>>;

    /// Counts by status over every kind; the oldest due pending job's wait is measured at `now`.
    async fn job_counts(&self, now: DateTime<Utc>) -> Result<JobCounts>;
}
