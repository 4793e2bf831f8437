//! The SQL of avatars (the `user_avatars` table, kept in step with `users.profile_image_url`),
//! written once: uploading a picture, reading it, removing it. Both backends run the same
//! statements (sqlx binds `$N` placeholders on SQLite too; the picture is a BLOB on SQLite and
//! BYTEA on PostgreSQL, bound as bytes on both); how a UUID and a time are encoded and decoded
//! comes from each backend's `row_codec` module.
//!
//! Nothing stays per backend but the pools and the audit writer. Upload and removal change the
//! user row and the picture in one transaction, with their audit entries.

/// Implements `put_avatar`, `get_avatar` and `delete_avatar` as inherent methods of `$store`
/// (`auth_dispatch` hands the `AuthStore` trait's calls to them).
///
/// - `$row`: the backend's row type; `$codec`: the module with `enc_*` and decoders;
/// - `$read` / `$write`: the pool methods for the read and the writes; `$audit`: the audit
///   writer.
macro_rules! impl_avatar_statements {
    (
        $store:ident,
        $row:ty,
        $codec:ident,
        $read:ident,
        $write:ident,
        $audit:path
    ) => {
        use chrono::{DateTime, Utc};
        use janua_core::audit::AuditEntry;
        use janua_core::auth::avatars::Avatar;
        use janua_core::error::{Error, Result};
        use janua_core::ids::UserId;
        use sqlx::Row;

        use crate::errors::from_sqlx;

        fn avatar_from_row(row: &$row) -> Result<Avatar> {
            Ok(Avatar {
                content_type: row.try_get::<String, _>("content_type").map_err(from_sqlx)?,
                data: row.try_get::<Vec<u8>, _>("data").map_err(from_sqlx)?,
                updated_at: $codec::time(row, "updated_at")?,
            })
        }

        impl $store {
            pub(super) async fn put_avatar(
                &self,
                id: UserId,
                content_type: &str,
                data: &[u8],
                url: &str,
                at: DateTime<Utc>,
                audit: &[AuditEntry],
            ) -> Result<()> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                let done = sqlx::query(
                    "UPDATE users SET profile_image_url = $2, updated_at = $3 WHERE id = $1",
                )
                .bind($codec::enc_id(id.as_uuid()))
                .bind(url)
                .bind($codec::enc_time(at))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                if done.rows_affected() == 0 {
                    return Err(Error::NotFound);
                }
                sqlx::query(
                    "INSERT INTO user_avatars (user_id, content_type, data, updated_at) \
                     VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (user_id) DO UPDATE SET content_type = excluded.content_type, \
                     data = excluded.data, updated_at = excluded.updated_at",
                )
                .bind($codec::enc_id(id.as_uuid()))
                .bind(content_type)
                .bind(data)
                .bind($codec::enc_time(at))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                $audit(&mut tx, audit).await?;
                tx.commit().await.map_err(from_sqlx)
            }

            pub(super) async fn get_avatar(&self, id: UserId) -> Result<Option<Avatar>> {
                let row = sqlx::query(
                    "SELECT content_type, data, updated_at FROM user_avatars WHERE user_id = $1",
                )
                .bind($codec::enc_id(id.as_uuid()))
                .fetch_optional(self.$read())
                .await
                .map_err(from_sqlx)?;
                row.as_ref().map(avatar_from_row).transpose()
            }

            pub(super) async fn delete_avatar(
                &self,
                id: UserId,
                at: DateTime<Utc>,
                audit: &[AuditEntry],
            ) -> Result<()> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                let done = sqlx::query(
                    "UPDATE users SET profile_image_url = NULL, updated_at = $2 WHERE id = $1",
                )
                .bind($codec::enc_id(id.as_uuid()))
                .bind($codec::enc_time(at))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                if done.rows_affected() == 0 {
                    return Err(Error::NotFound);
                }
                sqlx::query("DELETE FROM user_avatars WHERE user_id = $1")
                    .bind($codec::enc_id(id.as_uuid()))
                    .execute(&mut *tx)
                    .await
                    .map_err(from_sqlx)?;
                $audit(&mut tx, audit).await?;
                tx.commit().await.map_err(from_sqlx)
            }
        }
    };
}

pub(crate) use impl_avatar_statements;
