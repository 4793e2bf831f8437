//! The SQL of passkeys (`PasskeyStore`), written once: the `passkeys` table. Both backends run
//! the same statements (sqlx binds `$N` placeholders on SQLite too); how a UUID, a time or the
//! stored credential (JSON) is encoded comes from each backend's `row_codec` module. Sign
//! counts are 64-bit on both backends (`BIGINT` on PostgreSQL), so they are bound and read as
//! `i64` directly.
//!
//! Nothing differs between the backends but the codec, the pools (PostgreSQL uses the primary
//! for everything; SQLite its writer, reads included) and the audit writer. A use is recorded
//! with a compare-and-set on `sign_count`; registration, a recorded use and removal write their
//! audit entries in their own transaction.

/// Implements `PasskeyStore` for `$store`.
///
/// - `$row`: the backend's row type; `$codec`: the module with `enc_*` and decoders;
/// - `$read` / `$write`: the pool methods for reads and writes; `$audit`: the audit writer.
macro_rules! impl_passkey_store {
    ($store:ident, $row:ty, $codec:ident, $read:ident, $write:ident, $audit:path) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use janua_core::audit::AuditEntry;
        use janua_core::error::Result;
        use janua_core::ids::{PasskeyId, UserId};
        use janua_core::passkeys::store::{PasskeyRecord, PasskeyStore};
        use serde_json::Value;
        use sqlx::Row;

        use crate::errors::from_sqlx;

        const COLUMNS: &str = "id, user_id, credential_id, passkey, sign_count, name, \
                               authenticator_attachment, backup_eligible, backup_state, \
                               created_at, last_used_at";

        fn record(row: &$row) -> Result<PasskeyRecord> {
            Ok(PasskeyRecord {
                id: PasskeyId::from_uuid($codec::id(row, "id")?),
                user_id: UserId::from_uuid($codec::id(row, "user_id")?),
                credential_id: row.try_get("credential_id").map_err(from_sqlx)?,
                passkey: $codec::json(row, "passkey")?,
                sign_count: row.try_get("sign_count").map_err(from_sqlx)?,
                name: row.try_get("name").map_err(from_sqlx)?,
                authenticator_attachment: row
                    .try_get("authenticator_attachment")
                    .map_err(from_sqlx)?,
                backup_eligible: row.try_get("backup_eligible").map_err(from_sqlx)?,
                backup_state: row.try_get("backup_state").map_err(from_sqlx)?,
                created_at: $codec::time(row, "created_at")?,
                last_used_at: $codec::opt_time(row, "last_used_at")?,
            })
        }

        #[async_trait]
        impl PasskeyStore for $store {
            async fn list_passkeys(&self, user: UserId) -> Result<Vec<PasskeyRecord>> {
                let rows = sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM passkeys WHERE user_id = $1 ORDER BY created_at, id"
                ))
                .bind($codec::enc_id(user.as_uuid()))
                .fetch_all(self.$read())
                .await
                .map_err(from_sqlx)?;
                rows.iter().map(record).collect()
            }

            async fn find_passkey_by_credential_id(
                &self,
                credential_id: &str,
            ) -> Result<Option<PasskeyRecord>> {
                let row = sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM passkeys WHERE credential_id = $1"
                ))
                .bind(credential_id)
                .fetch_optional(self.$read())
                .await
                .map_err(from_sqlx)?;
                row.as_ref().map(record).transpose()
            }

            async fn add_passkey(
                &self,
                passkey: &PasskeyRecord,
                audit: &[AuditEntry],
            ) -> Result<()> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                sqlx::query(&format!(
                    "INSERT INTO passkeys ({COLUMNS}, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $10)"
                ))
                .bind($codec::enc_id(passkey.id.as_uuid()))
                .bind($codec::enc_id(passkey.user_id.as_uuid()))
                .bind(&passkey.credential_id)
                .bind($codec::enc_json(&passkey.passkey)?)
                .bind(passkey.sign_count)
                .bind(&passkey.name)
                .bind(passkey.authenticator_attachment.as_deref())
                .bind(passkey.backup_eligible)
                .bind(passkey.backup_state)
                .bind($codec::enc_time(passkey.created_at))
                .bind(passkey.last_used_at.map($codec::enc_time))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                $audit(&mut tx, audit).await?;
                tx.commit().await.map_err(from_sqlx)
            }

            async fn record_passkey_use(
                &self,
                id: PasskeyId,
                expected_sign_count: i64,
                sign_count: i64,
                passkey: &Value,
                at: DateTime<Utc>,
                audit: &[AuditEntry],
            ) -> Result<bool> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                let done = sqlx::query(
                    "UPDATE passkeys SET passkey = $3, sign_count = $4, last_used_at = $5, \
                     updated_at = $5 WHERE id = $1 AND sign_count = $2",
                )
                .bind($codec::enc_id(id.as_uuid()))
                .bind(expected_sign_count)
                .bind($codec::enc_json(passkey)?)
                .bind(sign_count)
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

            async fn rename_passkey(
                &self,
                user: UserId,
                id: PasskeyId,
                name: &str,
                at: DateTime<Utc>,
            ) -> Result<Option<PasskeyRecord>> {
                let row = sqlx::query(&format!(
                    "UPDATE passkeys SET name = $3, updated_at = $4 \
                     WHERE id = $1 AND user_id = $2 RETURNING {COLUMNS}"
                ))
                .bind($codec::enc_id(id.as_uuid()))
                .bind($codec::enc_id(user.as_uuid()))
                .bind(name)
                .bind($codec::enc_time(at))
                .fetch_optional(self.$write())
                .await
                .map_err(from_sqlx)?;
                row.as_ref().map(record).transpose()
            }

            async fn delete_passkey(
                &self,
                user: UserId,
                id: PasskeyId,
                audit: &[AuditEntry],
            ) -> Result<bool> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                let done = sqlx::query("DELETE FROM passkeys WHERE id = $1 AND user_id = $2")
                    .bind($codec::enc_id(id.as_uuid()))
                    .bind($codec::enc_id(user.as_uuid()))
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
        }
    };
}

pub(crate) use impl_passkey_store;
