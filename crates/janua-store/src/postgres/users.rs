//! Users on PostgreSQL: the `users` table (accounts, profiles, status, soft delete, the admin
//! list). The statements shared with SQLite come from `crate::users_sql` (native UUID,
//! TIMESTAMPTZ and JSONB); this file keeps the statement that revokes a deleted user's sessions
//! (it locks them in id order first). Reads use the primary, except the lag-tolerant admin list
//! (`read_tolerant`: a replica, falling back to the primary).

use chrono::{DateTime, Utc};
use janua_core::audit::AuditEntry;
use janua_core::auth::store::UserQuery;
use janua_core::auth::users::{NewUser, ProfileUpdate, User, UserStatus};
use janua_core::error::{Error, Result};
use janua_core::ids::UserId;

use super::{row_codec, PgStore};
use crate::deleting_needs_soft_delete;
use crate::errors::from_sqlx;
use crate::json::ensure_storable;
use crate::paging::{contains_pattern, limit_offset};

/// Revokes a deleted user's live sessions (`$1` user, `$2` time, `$3` reason). Soft delete locks
/// the user, then the sessions in id order, then their tokens: the order every session-changing
/// transaction follows (see `sessions.rs`).
const REVOKE_DELETED_USER_SESSIONS: &str = "UPDATE sessions SET revoked_at = $2, \
     revoked_reason = $3 WHERE revoked_at IS NULL AND id IN (SELECT id FROM sessions \
     WHERE user_id = $1 AND revoked_at IS NULL ORDER BY id FOR UPDATE)";

crate::users_sql::impl_user_statements!(
    PgStore,
    sqlx::postgres::PgRow,
    row_codec,
    primary,
    primary,
    crate::audit_rows::insert_pg,
    read_tolerant,
    REVOKE_DELETED_USER_SESSIONS
);
