//! The SQL of system settings (`SettingsStore`, the `system_settings` table), written once:
//! reading one, saving one with its audit entries, listing them in key order, deleting one.
//! Both backends run the same statements (sqlx binds `$N` placeholders on SQLite too); how a
//! time or a JSON document is encoded and decoded comes from each backend's `row_codec` module.
//!
//! Nothing stays per backend but the pools and the audit writer: PostgreSQL reads on the
//! primary (an admin expects to see a setting the moment it was saved), SQLite on its reader
//! pool.

/// Implements `SettingsStore` for `$store`.
///
/// - `$row`: the backend's row type; `$codec`: the module with `enc_*` and decoders;
/// - `$read` / `$write`: the pool methods for reads and writes; `$audit`: the audit writer.
macro_rules! impl_settings_store {
    (
        $store:ident,
        $row:ty,
        $codec:ident,
        $read:ident,
        $write:ident,
        $audit:path
    ) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use janua_core::audit::AuditEntry;
        use janua_core::error::{Error, Result};
        use janua_core::settings::{Setting, SettingKey, SettingsStore};
        use serde_json::Value;
        use sqlx::Row;

        use crate::errors::from_sqlx;
        use crate::json::ensure_storable;

        /// A row of `key`, `value`, `updated_at`.
        fn setting_from_row(row: &$row) -> Result<Setting> {
            let key: String = row.try_get("key").map_err(from_sqlx)?;
            Ok(Setting {
                key: SettingKey::parse(&key).map_err(|_| {
                    Error::internal(format!("stored setting key {key:?} is invalid"))
                })?,
                value: $codec::json(row, "value")?,
                updated_at: $codec::time(row, "updated_at")?,
            })
        }

        #[async_trait]
        impl SettingsStore for $store {
            async fn get_setting(&self, key: &SettingKey) -> Result<Option<Setting>> {
                let row = sqlx::query(
                    "SELECT key, value, updated_at FROM system_settings WHERE key = $1",
                )
                .bind(key.as_str())
                .fetch_optional(self.$read())
                .await
                .map_err(from_sqlx)?;
                row.as_ref().map(setting_from_row).transpose()
            }

            async fn put_setting(
                &self,
                key: &SettingKey,
                value: &Value,
                at: DateTime<Utc>,
                audit: &[AuditEntry],
            ) -> Result<Setting> {
                ensure_storable("value", value)?;
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                let row = sqlx::query(
                    "INSERT INTO system_settings (key, value, updated_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value, \
                     updated_at = excluded.updated_at \
                     RETURNING key, value, updated_at",
                )
                .bind(key.as_str())
                .bind($codec::enc_json(value)?)
                .bind($codec::enc_time(at))
                .fetch_one(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                $audit(&mut tx, audit).await?;
                tx.commit().await.map_err(from_sqlx)?;
                setting_from_row(&row)
            }

            async fn list_settings(&self) -> Result<Vec<Setting>> {
                let rows =
                    sqlx::query("SELECT key, value, updated_at FROM system_settings ORDER BY key")
                        .fetch_all(self.$read())
                        .await
                        .map_err(from_sqlx)?;
                rows.iter().map(setting_from_row).collect()
            }

            async fn delete_setting(&self, key: &SettingKey) -> Result<bool> {
                let done = sqlx::query("DELETE FROM system_settings WHERE key = $1")
                    .bind(key.as_str())
                    .execute(self.$write())
                    .await
                    .map_err(from_sqlx)?;
                Ok(done.rows_affected() > 0)
            }
        }
    };
}

pub(crate) use impl_settings_store;
