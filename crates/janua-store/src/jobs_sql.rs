//! The SQL of the durable job queue (`JobStore`, the `jobs` table) that both backends share:
//! enqueueing (with its dedupe key), completing, retrying and failing a job, reading one, and
//! the decoder of a job row. Both backends run the same statements (sqlx binds `$N`
//! placeholders on SQLite too); how a UUID, a time, a JSON document or a count is encoded and
//! decoded comes from each backend's `row_codec` module.
//!
//! Not shared: claiming due jobs and counting them. PostgreSQL claims with `FOR UPDATE SKIP
//! LOCKED` and matches the kinds with `= ANY` on a bound array, and counts with `FILTER`;
//! SQLite claims through its single writer, matches the kinds with `json_each` and counts with
//! `SUM` of comparisons. Each backend's `jobs.rs` implements both as inherent methods, named to
//! the macro, and may use `job_from_row`, which the expansion puts in its module.

/// Implements `JobStore` for `$store`, and `insert_job_in_tx` on `$conn`.
///
/// - `$conn`: the backend's connection type; `$row`: its row type; `$codec`: the module with
///   `enc_*` and decoders;
/// - `$read` / `$write`: the pool methods for the read and the writes;
/// - `$claim` / `$counts`: the store's inherent methods that implement `claim_due_jobs` and
///   `job_counts` (same arguments and result).
macro_rules! impl_job_store {
    (
        $store:ident,
        $conn:ty,
        $row:ty,
        $codec:ident,
        $read:ident,
        $write:ident,
        $claim:ident,
        $counts:ident
    ) => {
        use std::time::Duration;

        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use janua_core::error::{Error, Result};
        use janua_core::ids::JobId;
        use janua_core::jobs::store::JobStore;
        use janua_core::jobs::{truncate_error, Job, JobCounts, JobStatus, NewJob};
        use sqlx::Row;

        use crate::errors::from_sqlx;
        use crate::json::ensure_storable;

        const JOB_COLUMNS: &str = "id, kind, payload, status, dedupe_key, run_at, attempts, \
            max_attempts, locked_until, last_error, created_at, updated_at, finished_at";

        fn parse_status(stored: &str) -> Result<JobStatus> {
            JobStatus::parse(stored)
                .ok_or_else(|| Error::internal(format!("stored job status {stored:?} is unknown")))
        }

        fn opt_text(row: &$row, col: &str) -> Result<Option<String>> {
            row.try_get::<Option<String>, _>(col).map_err(from_sqlx)
        }

        /// A row of `JOB_COLUMNS`.
        fn job_from_row(row: &$row) -> Result<Job> {
            let status: String = row.try_get("status").map_err(from_sqlx)?;
            Ok(Job {
                id: JobId::from_uuid($codec::id(row, "id")?),
                kind: row.try_get::<String, _>("kind").map_err(from_sqlx)?,
                payload: $codec::json(row, "payload")?,
                status: parse_status(&status)?,
                dedupe_key: opt_text(row, "dedupe_key")?,
                run_at: $codec::time(row, "run_at")?,
                attempts: u32::try_from($codec::int(row, "attempts")?).unwrap_or(0),
                max_attempts: u32::try_from($codec::int(row, "max_attempts")?).unwrap_or(0),
                locked_until: $codec::opt_time(row, "locked_until")?,
                last_error: opt_text(row, "last_error")?,
                created_at: $codec::time(row, "created_at")?,
                updated_at: $codec::time(row, "updated_at")?,
                finished_at: $codec::opt_time(row, "finished_at")?,
            })
        }

        /// Inserts `job` on `conn`, typically inside the caller's transaction, so the job
        /// commits or rolls back with the change that asked for it. A taken `dedupe_key`
        /// returns the holder's id.
        pub(crate) async fn insert_job_in_tx(
            conn: &mut $conn,
            job: &NewJob,
            now: DateTime<Utc>,
        ) -> Result<JobId> {
            ensure_storable("payload", &job.payload)?;
            let id = JobId::new();
            let inserted = sqlx::query(
                "INSERT INTO jobs (id, kind, payload, status, dedupe_key, run_at, attempts, \
                 max_attempts, created_at, updated_at) \
                 VALUES ($1, $2, $3, 'pending', $4, $5, 0, $6, $7, $7) \
                 ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
            )
            .bind($codec::enc_id(id.as_uuid()))
            .bind(&job.kind)
            .bind($codec::enc_json(&job.payload)?)
            .bind(job.dedupe_key.as_deref())
            .bind($codec::enc_time(job.run_at))
            .bind($codec::enc_u32(job.max_attempts))
            .bind($codec::enc_time(now))
            .fetch_optional(&mut *conn)
            .await
            .map_err(from_sqlx)?;
            if inserted.is_some() {
                return Ok(id);
            }
            let existing = sqlx::query("SELECT id FROM jobs WHERE dedupe_key = $1")
                .bind(job.dedupe_key.as_deref())
                .fetch_one(&mut *conn)
                .await
                .map_err(from_sqlx)?;
            Ok(JobId::from_uuid($codec::id(&existing, "id")?))
        }

        #[async_trait]
        impl JobStore for $store {
            async fn enqueue_job(&self, job: &NewJob, now: DateTime<Utc>) -> Result<JobId> {
                let mut conn = self.$write().acquire().await.map_err(from_sqlx)?;
                insert_job_in_tx(&mut conn, job, now).await
            }

            async fn claim_due_jobs(
                &self,
                kinds: &[&str],
                now: DateTime<Utc>,
                limit: u32,
                lease: Duration,
            ) -> Result<Vec<Job>> {
                $store::$claim(self, kinds, now, limit, lease).await
            }

            async fn complete_job(&self, id: JobId, now: DateTime<Utc>) -> Result<()> {
                let done = sqlx::query(
                    "UPDATE jobs SET status = 'succeeded', locked_until = NULL, \
                     finished_at = $2, updated_at = $2 WHERE id = $1 AND status = 'running'",
                )
                .bind($codec::enc_id(id.as_uuid()))
                .bind($codec::enc_time(now))
                .execute(self.$write())
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
                let row = sqlx::query(
                    "UPDATE jobs SET \
                     status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'pending' END, \
                     finished_at = CASE WHEN attempts >= max_attempts THEN $4 ELSE NULL END, \
                     run_at = CASE WHEN attempts >= max_attempts THEN run_at ELSE $3 END, \
                     locked_until = NULL, last_error = $2, updated_at = $4 \
                     WHERE id = $1 AND status IN ('pending', 'running') RETURNING status",
                )
                .bind($codec::enc_id(id.as_uuid()))
                .bind(truncate_error(error))
                .bind($codec::enc_time(run_at))
                .bind($codec::enc_time(now))
                .fetch_optional(self.$write())
                .await
                .map_err(from_sqlx)?;
                let row = row.ok_or(Error::NotFound)?;
                let status: String = row.try_get("status").map_err(from_sqlx)?;
                parse_status(&status)
            }

            async fn fail_job(&self, id: JobId, error: &str, now: DateTime<Utc>) -> Result<()> {
                let done = sqlx::query(
                    "UPDATE jobs SET status = 'failed', locked_until = NULL, last_error = $2, \
                     finished_at = $3, updated_at = $3 \
                     WHERE id = $1 AND status IN ('pending', 'running')",
                )
                .bind($codec::enc_id(id.as_uuid()))
                .bind(truncate_error(error))
                .bind($codec::enc_time(now))
                .execute(self.$write())
                .await
                .map_err(from_sqlx)?;
                if done.rows_affected() == 0 {
                    return Err(Error::NotFound);
                }
                Ok(())
            }

            async fn get_job(&self, id: JobId) -> Result<Option<Job>> {
                let row = sqlx::query(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"))
                    .bind($codec::enc_id(id.as_uuid()))
                    .fetch_optional(self.$read())
                    .await
                    .map_err(from_sqlx)?;
                row.as_ref().map(job_from_row).transpose()
            }

            async fn job_counts(&self, now: DateTime<Utc>) -> Result<JobCounts> {
                $store::$counts(self, now).await
            }
        }
    };
}

pub(crate) use impl_job_store;
