//! Sign-in lockouts on PostgreSQL: the `login_lockouts` table, one row per normalised email.

use chrono::{DateTime, Utc};
use janua_core::auth::store::Lockout;
use janua_core::error::{Error, Result};

use super::PgStore;
use crate::errors::from_sqlx;

/// `email_normalized`, `failed_attempts`, `locked_until`.
type LockoutRow = (String, i32, Option<DateTime<Utc>>);

impl PgStore {
    pub(super) async fn get_lockout(&self, email_normalized: &str) -> Result<Option<Lockout>> {
        let row: Option<LockoutRow> = sqlx::query_as(
            "SELECT email_normalized, failed_attempts, locked_until FROM login_lockouts \
             WHERE email_normalized = $1",
        )
        .bind(email_normalized)
        .fetch_optional(self.primary())
        .await
        .map_err(from_sqlx)?;
        row.map(lockout_from_row).transpose()
    }

    /// One upsert, so concurrent failures are all counted (they queue on the row lock). In the
    /// update, every column reads the row as it was: `previous` is the count before this
    /// failure, restarted at 0 when the previous lock has run out.
    pub(super) async fn record_failed_sign_in(
        &self,
        email_normalized: &str,
        threshold: u32,
        lock_for: chrono::Duration,
        at: DateTime<Utc>,
    ) -> Result<Lockout> {
        let locked_until = at
            .checked_add_signed(lock_for)
            .ok_or_else(|| Error::internal("lockout duration overflows the calendar"))?;
        let expired = "(l.locked_until IS NOT NULL AND l.locked_until <= $2)";
        let previous = format!("(CASE WHEN {expired} THEN 0 ELSE l.failed_attempts END)");
        let sql = format!(
            "INSERT INTO login_lockouts AS l (email_normalized, failed_attempts, \
             first_failed_at, last_failed_at, locked_until, updated_at) \
             VALUES ($1, 1, $2, $2, CASE WHEN 1 >= $3 THEN $4 END, $2) \
             ON CONFLICT (email_normalized) DO UPDATE SET \
             failed_attempts = {previous} + 1, \
             first_failed_at = CASE WHEN {expired} OR l.first_failed_at IS NULL THEN $2 \
                               ELSE l.first_failed_at END, \
             last_failed_at = $2, \
             locked_until = CASE WHEN {previous} + 1 >= $3 THEN $4 \
                            WHEN {expired} THEN NULL ELSE l.locked_until END, \
             updated_at = $2 \
             RETURNING email_normalized, failed_attempts, locked_until"
        );
        let row: LockoutRow = sqlx::query_as(&sql)
            .bind(email_normalized)
            .bind(at)
            .bind(i64::from(threshold))
            .bind(locked_until)
            .fetch_one(self.primary())
            .await
            .map_err(from_sqlx)?;
        lockout_from_row(row)
    }

    pub(super) async fn clear_lockout(&self, email_normalized: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_lockouts WHERE email_normalized = $1")
            .bind(email_normalized)
            .execute(self.primary())
            .await
            .map_err(from_sqlx)?;
        Ok(())
    }
}

fn lockout_from_row(
    (email_normalized, failed_attempts, locked_until): LockoutRow,
) -> Result<Lockout> {
    Ok(Lockout {
        email_normalized,
        failed_attempts: u32::try_from(failed_attempts)
            .map_err(|_| Error::internal("stored failed_attempts is negative"))?,
        locked_until,
    })
}
