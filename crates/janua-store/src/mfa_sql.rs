//! The SQL of MFA (`MfaStore`), written once: the TOTP factor (`mfa_totp`) and backup codes
//! (`mfa_backup_codes`). Both backends run the same statements (sqlx binds `$N` placeholders on
//! SQLite too); how a UUID or a time is encoded comes from each backend's `row_codec` module.
//! TOTP steps are 64-bit on both backends (`BIGINT` on PostgreSQL), so they are bound and read
//! as `i64` directly, not through the codec's 32-bit `enc_int`.
//!
//! Nothing differs between the backends but the codec, the pools (PostgreSQL uses the primary
//! for everything; SQLite reads on its writer, so a check right after a change sees it) and the
//! audit writer. Changes write their audit entries in their own transaction; the conditional
//! updates are what make a TOTP step and a backup code usable once.

/// Implements `MfaStore` for `$store`.
///
/// - `$row`: the backend's row type; `$codec`: the module with `enc_*` and decoders;
/// - `$read` / `$write`: the pool methods for reads and writes; `$audit`: the audit writer.
macro_rules! impl_mfa_store {
    ($store:ident, $row:ty, $codec:ident, $read:ident, $write:ident, $audit:path) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use janua_core::audit::AuditEntry;
        use janua_core::error::Result;
        use janua_core::ids::UserId;
        use janua_core::mfa::store::{MfaStore, TotpFactor};
        use sqlx::Row;

        use crate::errors::from_sqlx;

        type MfaConnection = <<$row as sqlx::Row>::Database as sqlx::Database>::Connection;

        #[async_trait]
        impl MfaStore for $store {
            async fn get_totp(&self, user: UserId) -> Result<Option<TotpFactor>> {
                let row = sqlx::query(
                    "SELECT secret_encrypted, verified_at, last_used_step, last_used_at, \
                     created_at FROM mfa_totp WHERE user_id = $1",
                )
                .bind($codec::enc_id(user.as_uuid()))
                .fetch_optional(self.$read())
                .await
                .map_err(from_sqlx)?;
                row.map(|row: $row| {
                    Ok(TotpFactor {
                        user_id: user,
                        secret_sealed: row.try_get("secret_encrypted").map_err(from_sqlx)?,
                        verified_at: $codec::opt_time(&row, "verified_at")?,
                        last_used_step: row.try_get("last_used_step").map_err(from_sqlx)?,
                        last_used_at: $codec::opt_time(&row, "last_used_at")?,
                        created_at: $codec::time(&row, "created_at")?,
                    })
                })
                .transpose()
            }

            async fn begin_totp_enrollment(
                &self,
                user: UserId,
                secret_sealed: &str,
                code_hashes: &[String],
                at: DateTime<Utc>,
            ) -> Result<bool> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                let done = sqlx::query(
                    "INSERT INTO mfa_totp (user_id, secret_encrypted, created_at, updated_at) \
                     VALUES ($1, $2, $3, $3) ON CONFLICT (user_id) DO UPDATE SET \
                     secret_encrypted = excluded.secret_encrypted, last_used_step = NULL, \
                     last_used_at = NULL, created_at = excluded.created_at, \
                     updated_at = excluded.updated_at \
                     WHERE mfa_totp.verified_at IS NULL",
                )
                .bind($codec::enc_id(user.as_uuid()))
                .bind(secret_sealed)
                .bind($codec::enc_time(at))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?
                .rows_affected()
                    == 1;
                if !done {
                    return Ok(false);
                }
                insert_codes(&mut tx, user, code_hashes, at).await?;
                tx.commit().await.map_err(from_sqlx)?;
                Ok(true)
            }

            async fn activate_totp(
                &self,
                user: UserId,
                step: i64,
                at: DateTime<Utc>,
                audit: &[AuditEntry],
            ) -> Result<bool> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                let done = sqlx::query(
                    "UPDATE mfa_totp SET verified_at = $3, last_used_step = $2, \
                     last_used_at = $3, updated_at = $3 WHERE user_id = $1 \
                     AND verified_at IS NULL AND (last_used_step IS NULL OR last_used_step < $2)",
                )
                .bind($codec::enc_id(user.as_uuid()))
                .bind(step)
                .bind($codec::enc_time(at))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?
                .rows_affected()
                    == 1;
                if done {
                    $audit(&mut tx, audit).await?;
                    tx.commit().await.map_err(from_sqlx)?;
                }
                Ok(done)
            }

            async fn use_totp_step(
                &self,
                user: UserId,
                step: i64,
                at: DateTime<Utc>,
                audit: &[AuditEntry],
            ) -> Result<bool> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                let done = sqlx::query(
                    "UPDATE mfa_totp SET last_used_step = $2, last_used_at = $3, updated_at = $3 \
                     WHERE user_id = $1 AND verified_at IS NOT NULL \
                     AND (last_used_step IS NULL OR last_used_step < $2)",
                )
                .bind($codec::enc_id(user.as_uuid()))
                .bind(step)
                .bind($codec::enc_time(at))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?
                .rows_affected()
                    == 1;
                if done {
                    $audit(&mut tx, audit).await?;
                    tx.commit().await.map_err(from_sqlx)?;
                }
                Ok(done)
            }

            async fn use_backup_code(
                &self,
                user: UserId,
                code_hash: &str,
                at: DateTime<Utc>,
                audit: &[AuditEntry],
            ) -> Result<bool> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                let done = sqlx::query(
                    "UPDATE mfa_backup_codes SET used_at = $3 \
                     WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
                )
                .bind($codec::enc_id(user.as_uuid()))
                .bind(code_hash)
                .bind($codec::enc_time(at))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?
                .rows_affected()
                    == 1;
                if done {
                    sqlx::query("UPDATE mfa_totp SET last_used_at = $2 WHERE user_id = $1")
                        .bind($codec::enc_id(user.as_uuid()))
                        .bind($codec::enc_time(at))
                        .execute(&mut *tx)
                        .await
                        .map_err(from_sqlx)?;
                    $audit(&mut tx, audit).await?;
                    tx.commit().await.map_err(from_sqlx)?;
                }
                Ok(done)
            }

            async fn replace_backup_codes(
                &self,
                user: UserId,
                code_hashes: &[String],
                at: DateTime<Utc>,
                audit: &[AuditEntry],
            ) -> Result<()> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                insert_codes(&mut tx, user, code_hashes, at).await?;
                $audit(&mut tx, audit).await?;
                tx.commit().await.map_err(from_sqlx)
            }

            async fn count_unused_backup_codes(&self, user: UserId) -> Result<u64> {
                let (count,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM mfa_backup_codes WHERE user_id = $1 AND used_at IS NULL",
                )
                .bind($codec::enc_id(user.as_uuid()))
                .fetch_one(self.$read())
                .await
                .map_err(from_sqlx)?;
                Ok(u64::try_from(count).unwrap_or(0))
            }

            async fn remove_mfa(&self, user: UserId, audit: &[AuditEntry]) -> Result<bool> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                let removed = sqlx::query("DELETE FROM mfa_totp WHERE user_id = $1")
                    .bind($codec::enc_id(user.as_uuid()))
                    .execute(&mut *tx)
                    .await
                    .map_err(from_sqlx)?
                    .rows_affected()
                    == 1;
                if !removed {
                    return Ok(false);
                }
                sqlx::query("DELETE FROM mfa_backup_codes WHERE user_id = $1")
                    .bind($codec::enc_id(user.as_uuid()))
                    .execute(&mut *tx)
                    .await
                    .map_err(from_sqlx)?;
                $audit(&mut tx, audit).await?;
                tx.commit().await.map_err(from_sqlx)?;
                Ok(true)
            }
        }

        /// Replaces the user's backup codes with `code_hashes`.
        async fn insert_codes(
            conn: &mut MfaConnection,
            user: UserId,
            code_hashes: &[String],
            at: DateTime<Utc>,
        ) -> Result<()> {
            sqlx::query("DELETE FROM mfa_backup_codes WHERE user_id = $1")
                .bind($codec::enc_id(user.as_uuid()))
                .execute(&mut *conn)
                .await
                .map_err(from_sqlx)?;
            for hash in code_hashes {
                sqlx::query(
                    "INSERT INTO mfa_backup_codes (id, user_id, code_hash, created_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind($codec::enc_id(uuid::Uuid::now_v7()))
                .bind($codec::enc_id(user.as_uuid()))
                .bind(hash)
                .bind($codec::enc_time(at))
                .execute(&mut *conn)
                .await
                .map_err(from_sqlx)?;
            }
            Ok(())
        }
    };
}

pub(crate) use impl_mfa_store;
