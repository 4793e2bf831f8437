//! The durable job queue on SQLite: the `jobs` table. Enqueueing, completing, retrying,
//! failing and reading a job are shared with PostgreSQL (`crate::jobs_sql`, UUIDs, times and
//! JSON as TEXT); claiming and counting stay here. Every write goes through the single writer
//! connection, so a claim (one `UPDATE … RETURNING`) is atomic and never races another claim in
//! this process. Kinds are bound as one JSON array and expanded with `json_each`.

use super::codec::{decode_time, encode_time};
use super::{row_codec, SqliteStore};

crate::jobs_sql::impl_job_store!(
    SqliteStore,
    sqlx::SqliteConnection,
    sqlx::sqlite::SqliteRow,
    row_codec,
    reader,
    writer,
    claim_jobs,
    count_jobs
);

impl SqliteStore {
    /// `JobStore::claim_due_jobs`: first dead-letters running jobs whose lease ran out on their
    /// last attempt, then claims due ones, oldest first, all on the single writer.
    async fn claim_jobs(
        &self,
        kinds: &[&str],
        now: DateTime<Utc>,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<Job>> {
        let kinds = serde_json::to_string(kinds).map_err(Error::internal)?;
        let now_text = encode_time(now);
        let lease_until =
            encode_time(now + chrono::Duration::from_std(lease).map_err(Error::internal)?);
        let mut tx = self.writer().begin().await.map_err(from_sqlx)?;
        sqlx::query(
            "UPDATE jobs SET status = 'failed', locked_until = NULL, finished_at = ?2, \
             updated_at = ?2, last_error = 'the lease of the last attempt expired: the worker \
             stopped or took longer than its lease' \
             WHERE status = 'running' AND locked_until <= ?2 AND attempts >= max_attempts \
             AND (json_array_length(?1) = 0 OR kind IN (SELECT value FROM json_each(?1)))",
        )
        .bind(&kinds)
        .bind(&now_text)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        let rows = sqlx::query(&format!(
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_until = ?3, \
             updated_at = ?2 WHERE id IN (SELECT id FROM jobs \
             WHERE ((status = 'pending' AND run_at <= ?2) \
                    OR (status = 'running' AND locked_until <= ?2)) \
             AND (json_array_length(?1) = 0 OR kind IN (SELECT value FROM json_each(?1))) \
             ORDER BY run_at, id LIMIT ?4) RETURNING {JOB_COLUMNS}"
        ))
        .bind(&kinds)
        .bind(&now_text)
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

    /// `JobStore::job_counts`, with sums of comparisons (0 or 1 in SQLite).
    async fn count_jobs(&self, now: DateTime<Utc>) -> Result<JobCounts> {
        let (pending, running, failed, oldest_due): (i64, i64, i64, Option<String>) =
            sqlx::query_as(
                "SELECT \
                 COALESCE(SUM(status = 'pending'), 0), \
                 COALESCE(SUM(status = 'running'), 0), \
                 COALESCE(SUM(status = 'failed'), 0), \
                 MIN(CASE WHEN status = 'pending' AND run_at <= ?1 THEN run_at END) \
                 FROM jobs",
            )
            .bind(encode_time(now))
            .fetch_one(self.reader())
            .await
            .map_err(from_sqlx)?;
        let oldest_due_age = oldest_due
            .map(|at| decode_time(&at))
            .transpose()?
            .map(|at| (now - at).to_std().unwrap_or_default());
        Ok(JobCounts {
            pending: count(pending),
            running: count(running),
            failed: count(failed),
            oldest_due_age,
        })
    }
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
