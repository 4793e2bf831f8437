//! Users on SQLite: the `users` table (accounts, profiles, status, soft delete, the admin list).
//! The statements shared with PostgreSQL come from `crate::users_sql` (UUIDs, times and JSON as
//! TEXT); this file keeps the statement that revokes a deleted user's sessions (no row locks: the
//! single writer serializes transactions), the reader the admin list runs on, and
//! [`decode_uuid`], which other SQLite files use. Reads use the reader pool, writes the writer.

use std::future::Future;

use chrono::{DateTime, Utc};
use janua_core::audit::AuditEntry;
use janua_core::auth::store::UserQuery;
use janua_core::auth::users::{NewUser, ProfileUpdate, User, UserStatus};
use janua_core::error::{Error, Result};
use janua_core::ids::UserId;
use sqlx::SqlitePool;

use super::{row_codec, SqliteStore};
use crate::deleting_needs_soft_delete;
use crate::errors::from_sqlx;
use crate::json::ensure_storable;
use crate::paging::{contains_pattern, limit_offset};

/// Revokes a deleted user's live sessions (`$1` user, `$2` time, `$3` reason).
const REVOKE_DELETED_USER_SESSIONS: &str = "UPDATE sessions SET revoked_at = $2, \
     revoked_reason = $3 WHERE user_id = $1 AND revoked_at IS NULL";

crate::users_sql::impl_user_statements!(
    SqliteStore,
    sqlx::sqlite::SqliteRow,
    row_codec,
    reader,
    writer,
    crate::audit_rows::insert_sqlite,
    read_on_reader,
    REVOKE_DELETED_USER_SESSIONS
);

impl SqliteStore {
    /// Runs the admin list's queries on the reader pool (SQLite has no replicas to fall back
    /// from).
    async fn read_on_reader<'a, T, F, Fut>(&'a self, run: F) -> Result<T>
    where
        F: Fn(&'a SqlitePool) -> Fut,
        Fut: Future<Output = std::result::Result<T, sqlx::Error>>,
    {
        run(self.reader()).await.map_err(from_sqlx)
    }
}

pub(super) fn decode_uuid(stored: &str) -> Result<uuid::Uuid> {
    uuid::Uuid::try_parse(stored)
        .map_err(|e| Error::internal(format!("stored id {stored:?} is not a UUID: {e}")))
}
