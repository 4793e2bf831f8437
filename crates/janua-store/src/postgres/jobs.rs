//! The durable job queue on PostgreSQL: the `jobs` table, always on the primary. A claim selects
//! due rows `FOR UPDATE SKIP LOCKED` and marks them running in the same statement, so several
//! instances can poll at once and each job goes to exactly one of them.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use janua_core::error::{Error, Result};
use janua_core::ids::JobId;
use janua_core::jobs::store::JobStore;
use janua_core::jobs::{truncate_error, Job, JobCounts, JobStatus, NewJob};
use serde_json::Value;
use sqlx::types::Json;
use sqlx::PgConnection;
use uuid::Uuid;

use super::PgStore;
use crate::errors::from_sqlx;
use crate::json::ensure_storable;

const JOB_COLUMNS: &str = "id, kind, payload, status, dedupe_key, run_at, attempts, \
                           max_attempts, locked_until, last_error, created_at, updated_at, finished_at";

type JobRow = (
    Uuid,
    String,
    Json<Value>,
    String,
    Option<String>,
    DateTime<Utc>,
    i32,
    i32,
    Option<DateTime<Utc>>,
    Option<String>,
    DateTime<Utc>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

/// Inserts `job` on `conn`, typically inside the caller's transaction, so the job commits or
/// rolls back with the change that asked for it. A taken `dedupe_key` returns the holder's id.
pub(crate) async fn insert_job_in_tx(
    conn: &mut PgConnection,
    job: &NewJob,
    now: DateTime<Utc>,
) -> Result<JobId> {
    ensure_storable("payload", &job.payload)?;
    let id = JobId::new();
    let inserted: Option<(Uuid,)> = sqlx::query_as(
        "INSERT INTO jobs (id, kind, payload, status, dedupe_key, run_at, attempts, max_attempts, \
         created_at, updated_at) VALUES ($1, $2, $3, 'pending', $4, $5, 0, $6, $7, $7) \
         ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
    )
    .bind(id.as_uuid())
    .bind(&job.kind)
    .bind(Json(&job.payload))
    .bind(job.dedupe_key.as_deref())
    .bind(job.run_at)
    .bind(i32::try_from(job.max_attempts).unwrap_or(i32::MAX))
    .bind(now)
    .fetch_optional(&mut *conn)
    .await
    .map_err(from_sqlx)?;
    if inserted.is_some() {
        return Ok(id);
    }
    let (existing,): (Uuid,) = sqlx::query_as("SELECT id FROM jobs WHERE dedupe_key = $1")
        .bind(job.dedupe_key.as_deref())
        .fetch_one(&mut *conn)
        .await
        .map_err(from_sqlx)?;
    Ok(JobId::from_uuid(existing))
}

#[async_trait]
impl JobStore for PgStore {
    async fn enqueue_job(&self, job: &NewJob, now: DateTime<Utc>) -> Result<JobId> {
        let mut conn = self.primary().acquire().await.map_err(from_sqlx)?;
        insert_job_in_tx(&mut conn, job, now).await
    }

    async fn claim_due_jobs(
        &self,
        kinds: &[&str],
        now: DateTime<Utc>,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<Job>> {
        let kinds: Vec<String> = kinds.iter().map(|k| (*k).to_owned()).collect();
        let lease_until = now + chrono::Duration::from_std(lease).map_err(Error::internal)?;
        let mut tx = self.primary().begin().await.map_err(from_sqlx)?;
        sqlx::query(
            "UPDATE jobs SET status = 'failed', locked_until = NULL, finished_at = $2, \
             updated_at = $2, last_error = 'the lease of the last attempt expired: the worker \
             stopped or took longer than its lease' \
             WHERE id IN (SELECT id FROM jobs WHERE status = 'running' AND locked_until <= $2 \
             AND attempts >= max_attempts AND (cardinality($1::text[]) = 0 OR kind = ANY($1)) \
             FOR UPDATE SKIP LOCKED)",
        )
        .bind(&kinds)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        let rows: Vec<JobRow> = sqlx::query_as(&format!(
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_until = $3, \
             updated_at = $2 WHERE id IN (SELECT id FROM jobs \
             WHERE ((status = 'pending' AND run_at <= $2) \
                    OR (status = 'running' AND locked_until <= $2)) \
             AND (cardinality($1::text[]) = 0 OR kind = ANY($1)) \
             ORDER BY run_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING {JOB_COLUMNS}"
        ))
        .bind(&kinds)
        .bind(now)
        .bind(lease_until)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        tx.commit().await.map_err(from_sqlx)?;
        let mut jobs = rows
            .into_iter()
            .map(job_from_row)
            .collect::<Result<Vec<_>>>()?;
        jobs.sort_by_key(|job| (job.run_at, job.id));
        Ok(jobs)
    }

    async fn complete_job(&self, id: JobId, now: DateTime<Utc>) -> Result<()> {
        let done = sqlx::query(
            "UPDATE jobs SET status = 'succeeded', locked_until = NULL, finished_at = $2, \
             updated_at = $2 WHERE id = $1 AND status = 'running'",
        )
        .bind(id.as_uuid())
        .bind(now)
        .execute(self.primary())
        .await
        .map_err(from_sqlx)?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound);
        }
        Ok(())
    }

    async fn retry_job(
        &self,
        id: JobId,
        error: &str,
        run_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<JobStatus> {
        let status: Option<(String,)> = sqlx::query_as(
            "UPDATE jobs SET \
             status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'pending' END, \
             finished_at = CASE WHEN attempts >= max_attempts THEN $4 ELSE NULL END, \
             run_at = CASE WHEN attempts >= max_attempts THEN run_at ELSE $3 END, \
             locked_until = NULL, last_error = $2, updated_at = $4 \
             WHERE id = $1 AND status IN ('pending', 'running') RETURNING status",
        )
        .bind(id.as_uuid())
        .bind(truncate_error(error))
        .bind(run_at)
        .bind(now)
        .fetch_optional(self.primary())
        .await
        .map_err(from_sqlx)?;
        let (status,) = status.ok_or(Error::NotFound)?;
        parse_status(&status)
    }

    async fn fail_job(&self, id: JobId, error: &str, now: DateTime<Utc>) -> Result<()> {
        let done = sqlx::query(
            "UPDATE jobs SET status = 'failed', locked_until = NULL, last_error = $2, \
             finished_at = $3, updated_at = $3 \
             WHERE id = $1 AND status IN ('pending', 'running')",
        )
        .bind(id.as_uuid())
        .bind(truncate_error(error))
        .bind(now)
        .execute(self.primary())
        .await
        .map_err(from_sqlx)?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound);
        }
        Ok(())
    }

    async fn get_job(&self, id: JobId) -> Result<Option<Job>> {
        let row: Option<JobRow> =
            sqlx::query_as(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"))
                .bind(id.as_uuid())
                .fetch_optional(self.primary())
                .await
                .map_err(from_sqlx)?;
        row.map(job_from_row).transpose()
    }

    async fn job_counts(&self, now: DateTime<Utc>) -> Result<JobCounts> {
        let (pending, running, failed, oldest_due): (i64, i64, i64, Option<DateTime<Utc>>) =
            sqlx::query_as(
                "SELECT \
                 COUNT(*) FILTER (WHERE status = 'pending'), \
                 COUNT(*) FILTER (WHERE status = 'running'), \
                 COUNT(*) FILTER (WHERE status = 'failed'), \
                 MIN(run_at) FILTER (WHERE status = 'pending' AND run_at <= $1) \
                 FROM jobs",
            )
            .bind(now)
            .fetch_one(self.primary())
            .await
            .map_err(from_sqlx)?;
        Ok(JobCounts {
            pending: count(pending),
            running: count(running),
            failed: count(failed),
            oldest_due_age: oldest_due.map(|at| (now - at).to_std().unwrap_or_default()),
        })
    }
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn parse_status(stored: &str) -> Result<JobStatus> {
    JobStatus::parse(stored)
        .ok_or_else(|| Error::internal(format!("stored job status {stored:?} is unknown")))
}

fn job_from_row(row: JobRow) -> Result<Job> {
    let (
        id,
        kind,
        Json(payload),
        status,
        dedupe_key,
        run_at,
        attempts,
        max_attempts,
        locked_until,
        last_error,
        created_at,
        updated_at,
        finished_at,
    ) = row;
    Ok(Job {
        id: JobId::from_uuid(id),
        kind,
        payload,
        status: parse_status(&status)?,
        dedupe_key,
        run_at,
        attempts: u32::try_from(attempts).unwrap_or(0),
        max_attempts: u32::try_from(max_attempts).unwrap_or(0),
        locked_until,
        last_error,
        created_at,
        updated_at,
        finished_at,
    })
}
