//! The durable job queue on PostgreSQL: the `jobs` table, always on the primary. Enqueueing,
//! completing, retrying, failing and reading a job are shared with SQLite (`crate::jobs_sql`,
//! native UUID, TIMESTAMPTZ and JSONB); claiming and counting stay here. A claim selects due
//! rows `FOR UPDATE SKIP LOCKED` and marks them running in the same statement, so several
//! instances can poll at once and each job goes to exactly one of them.

use super::{row_codec, PgStore};

crate::jobs_sql::impl_job_store!(
    PgStore,
    sqlx::PgConnection,
    sqlx::postgres::PgRow,
    row_codec,
    primary,
    primary,
    claim_jobs,
    count_jobs
);

impl PgStore {
    /// `JobStore::claim_due_jobs`: first dead-letters running jobs whose lease ran out on their
    /// last attempt, then claims due ones, oldest first; both skip rows another claim holds.
    async fn claim_jobs(
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
        let rows = sqlx::query(&format!(
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
        let mut jobs = rows.iter().map(job_from_row).collect::<Result<Vec<_>>>()?;
        jobs.sort_by_key(|job| (job.run_at, job.id));
        Ok(jobs)
    }

    /// `JobStore::job_counts`, with `FILTER` clauses.
    async fn count_jobs(&self, now: DateTime<Utc>) -> Result<JobCounts> {
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
