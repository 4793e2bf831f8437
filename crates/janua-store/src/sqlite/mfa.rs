//! MFA on SQLite (`MfaStore`): the TOTP factor (`mfa_totp`) and backup codes
//! (`mfa_backup_codes`). The statements are shared with PostgreSQL and come from
//! `crate::mfa_sql` (UUIDs and times as TEXT); nothing is SQLite-only. Reads and writes both use
//! the writer connection.

use super::{row_codec, SqliteStore};

crate::mfa_sql::impl_mfa_store!(
    SqliteStore,
    sqlx::sqlite::SqliteRow,
    row_codec,
    writer,
    writer,
    crate::audit_rows::insert_sqlite
);
