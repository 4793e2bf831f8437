//! Users on PostgreSQL: the `users` table (accounts, profiles, status, soft delete, the admin
//! list). Reads use the primary, except the lag-tolerant admin list.

use chrono::{DateTime, Utc};
use janua_core::audit::AuditEntry;
use janua_core::auth::store::UserQuery;
use janua_core::auth::users::{NewUser, ProfileUpdate, User, UserStatus};
use janua_core::error::{Error, Result};
use janua_core::ids::UserId;
use serde_json::Value;
use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use sqlx::types::Json;
use sqlx::{Postgres, Transaction};

use super::PgStore;
use crate::audit_rows;
use crate::deleting_needs_soft_delete;
use crate::errors::from_sqlx;
use crate::json::ensure_storable;
use crate::paging::{contains_pattern, limit_offset};

/// The columns a [`User`] is read from, in [`UserRow`] order.
const USER_COLUMNS: &str = "id, email, email_verified, username, password_hash, \
     status, is_admin, first_name, last_name, display_name, profile_image_url, bio, \
     phone_number, phone_verified, timezone, locale, user_metadata, created_at, updated_at, \
     last_sign_in_at";

/// Reason recorded on the sessions of a deleted account.
const DELETED_REASON: &str = "user_deleted";

#[derive(sqlx::FromRow)]
struct UserRow {
    id: uuid::Uuid,
    email: String,
    email_verified: bool,
    username: Option<String>,
    password_hash: Option<String>,
    status: String,
    is_admin: bool,
    first_name: Option<String>,
    last_name: Option<String>,
    display_name: Option<String>,
    profile_image_url: Option<String>,
    bio: Option<String>,
    phone_number: Option<String>,
    phone_verified: bool,
    timezone: Option<String>,
    locale: Option<String>,
    user_metadata: Json<Value>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    last_sign_in_at: Option<DateTime<Utc>>,
}

impl TryFrom<UserRow> for User {
    type Error = Error;

    fn try_from(row: UserRow) -> Result<Self> {
        Ok(User {
            id: UserId::from_uuid(row.id),
            email: row.email,
            email_verified: row.email_verified,
            username: row.username,
            password_hash: row.password_hash,
            status: UserStatus::parse(&row.status).ok_or_else(|| {
                Error::internal(format!("stored user status {:?} is unknown", row.status))
            })?,
            is_admin: row.is_admin,
            first_name: row.first_name,
            last_name: row.last_name,
            display_name: row.display_name,
            profile_image_url: row.profile_image_url,
            bio: row.bio,
            phone_number: row.phone_number,
            phone_verified: row.phone_verified,
            timezone: row.timezone,
            locale: row.locale,
            user_metadata: row.user_metadata.0,
            created_at: row.created_at,
            updated_at: row.updated_at,
            last_sign_in_at: row.last_sign_in_at,
        })
    }
}

impl PgStore {
    /// The audit entries go in first, so a conflict on the user row rolls them back too.
    pub(super) async fn create_user(&self, user: &NewUser, audit: &[AuditEntry]) -> Result<User> {
        let mut tx = self.primary().begin().await.map_err(from_sqlx)?;
        audit_rows::insert_pg(&mut tx, audit).await?;
        let sql = format!(
            "INSERT INTO users (id, email, email_normalized, email_verified, email_verified_at, \
             username, username_normalized, password_hash, password_changed_at, is_admin, \
             first_name, last_name, locale, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, CASE WHEN $4 THEN $12 END, $5, $6, $7, \
             CASE WHEN $7::text IS NOT NULL THEN $12 END, $8, $9, $10, $11, $12, $12) \
             RETURNING {USER_COLUMNS}"
        );
        let row: UserRow = sqlx::query_as(&sql)
            .bind(user.id.as_uuid())
            .bind(user.email.as_str())
            .bind(user.email.normalized())
            .bind(user.email_verified)
            .bind(user.username.as_ref().map(|u| u.as_str()))
            .bind(user.username.as_ref().map(|u| u.normalized()))
            .bind(user.password_hash.as_deref())
            .bind(user.is_admin)
            .bind(user.first_name.as_deref())
            .bind(user.last_name.as_deref())
            .bind(user.locale.as_deref())
            .bind(user.created_at)
            .fetch_one(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        tx.commit().await.map_err(from_sqlx)?;
        row.try_into()
    }

    pub(super) async fn get_user(&self, id: UserId) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row: Option<UserRow> = sqlx::query_as(&sql)
            .bind(id.as_uuid())
            .fetch_optional(self.primary())
            .await
            .map_err(from_sqlx)?;
        row.map(User::try_from).transpose()
    }

    pub(super) async fn find_user_by_email(&self, email_normalized: &str) -> Result<Option<User>> {
        self.find_user_where("email_normalized", email_normalized)
            .await
    }

    pub(super) async fn find_user_by_username(
        &self,
        username_normalized: &str,
    ) -> Result<Option<User>> {
        self.find_user_where("username_normalized", username_normalized)
            .await
    }

    /// Reads the user whose `column` (a fixed column name, never input) equals `value`.
    async fn find_user_where(&self, column: &str, value: &str) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE {column} = $1");
        let row: Option<UserRow> = sqlx::query_as(&sql)
            .bind(value)
            .fetch_optional(self.primary())
            .await
            .map_err(from_sqlx)?;
        row.map(User::try_from).transpose()
    }

    pub(super) async fn set_password_hash(
        &self,
        id: UserId,
        hash: &str,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<()> {
        let hash = hash.to_owned();
        self.update_user(
            id,
            audit,
            "password_hash = $2, password_changed_at = $3, updated_at = $3",
            |q| q.bind(hash).bind(at),
        )
        .await
    }

    /// Keeps the first verification time when the email was verified already.
    pub(super) async fn mark_email_verified(
        &self,
        id: UserId,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<()> {
        self.update_user(
            id,
            audit,
            "email_verified = TRUE, email_verified_at = COALESCE(email_verified_at, $2), \
             updated_at = $2",
            |q| q.bind(at),
        )
        .await
    }

    pub(super) async fn set_profile_image(
        &self,
        id: UserId,
        url: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let url = url.map(str::to_owned);
        self.update_user(id, &[], "profile_image_url = $2, updated_at = $3", |q| {
            q.bind(url).bind(at)
        })
        .await
    }

    pub(super) async fn set_admin(
        &self,
        id: UserId,
        is_admin: bool,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<()> {
        self.update_user(id, audit, "is_admin = $2, updated_at = $3", |q| {
            q.bind(is_admin).bind(at)
        })
        .await
    }

    /// Runs an `UPDATE users … WHERE id = $1` whose other parameters `bind` adds;
    /// [`Error::NotFound`] when no such user exists.
    async fn update_user(
        &self,
        id: UserId,
        audit: &[AuditEntry],
        set: &str,
        bind: impl for<'q> FnOnce(Query<'q, Postgres, PgArguments>) -> Query<'q, Postgres, PgArguments>,
    ) -> Result<()> {
        let sql = format!("UPDATE users SET {set} WHERE id = $1");
        let mut tx = self.primary().begin().await.map_err(from_sqlx)?;
        let done = bind(sqlx::query(&sql).bind(id.as_uuid()))
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound);
        }
        audit_rows::insert_pg(&mut tx, audit).await?;
        tx.commit().await.map_err(from_sqlx)
    }

    pub(super) async fn update_profile(
        &self,
        id: UserId,
        update: &ProfileUpdate,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<User> {
        if let Some(metadata) = &update.user_metadata {
            ensure_storable("user_metadata", metadata)?;
        }
        let sql = format!(
            "UPDATE users SET \
             first_name = CASE WHEN $2 THEN $3 ELSE first_name END, \
             last_name = CASE WHEN $4 THEN $5 ELSE last_name END, \
             display_name = CASE WHEN $6 THEN $7 ELSE display_name END, \
             bio = CASE WHEN $8 THEN $9 ELSE bio END, \
             phone_number = CASE WHEN $10 THEN $11 ELSE phone_number END, \
             timezone = CASE WHEN $12 THEN $13 ELSE timezone END, \
             locale = CASE WHEN $14 THEN $15 ELSE locale END, \
             user_metadata = COALESCE($16, user_metadata), \
             updated_at = $17 \
             WHERE id = $1 RETURNING {USER_COLUMNS}"
        );
        let mut query = sqlx::query_as::<_, UserRow>(&sql).bind(id.as_uuid());
        for field in [
            &update.first_name,
            &update.last_name,
            &update.display_name,
            &update.bio,
            &update.phone_number,
            &update.timezone,
            &update.locale,
        ] {
            query = query.bind(field.is_some()).bind(field.clone().flatten());
        }
        let mut tx = self.primary().begin().await.map_err(from_sqlx)?;
        let row = query
            .bind(update.user_metadata.as_ref().map(Json))
            .bind(at)
            .fetch_optional(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        let user = row.ok_or(Error::NotFound)?.try_into()?;
        audit_rows::insert_pg(&mut tx, audit).await?;
        tx.commit().await.map_err(from_sqlx)?;
        Ok(user)
    }

    pub(super) async fn set_user_status(
        &self,
        id: UserId,
        status: UserStatus,
        reason: Option<&str>,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<()> {
        if status == UserStatus::Deleted {
            return Err(deleting_needs_soft_delete());
        }
        // A suspension records when and why; any other status clears both.
        let suspended = status == UserStatus::Suspended;
        let reason = reason.map(str::to_owned);
        self.update_user(
            id,
            audit,
            "status = $2, suspended_at = CASE WHEN $3 THEN $4 END, \
             suspended_reason = CASE WHEN $3 THEN $5 END, updated_at = $4",
            |q| {
                q.bind(status.as_str())
                    .bind(suspended)
                    .bind(at)
                    .bind(reason)
            },
        )
        .await
    }

    pub(super) async fn soft_delete_user(
        &self,
        id: UserId,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<()> {
        // Locks the user, then the sessions in id order, then their tokens: the order every
        // session-changing transaction follows (see `sessions.rs`).
        let mut tx = self.primary().begin().await.map_err(from_sqlx)?;
        // Already-deleted accounts keep their rewritten email (no second prefix).
        let done = sqlx::query(
            "UPDATE users SET status = 'deleted', deleted_at = $2, updated_at = $2, \
             email = $3 || email, email_normalized = $3 || email_normalized, \
             username = NULL, username_normalized = NULL, password_hash = NULL, \
             profile_image_url = NULL \
             WHERE id = $1 AND deleted_at IS NULL",
        )
        .bind(id.as_uuid())
        .bind(at)
        .bind(format!("deleted_{id}_"))
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        if done.rows_affected() == 0 && !user_exists(&mut tx, id).await? {
            return Err(Error::NotFound);
        }
        sqlx::query("DELETE FROM user_avatars WHERE user_id = $1")
            .bind(id.as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        sqlx::query(
            "UPDATE sessions SET revoked_at = $2, revoked_reason = $3 \
             WHERE revoked_at IS NULL AND id IN (SELECT id FROM sessions \
             WHERE user_id = $1 AND revoked_at IS NULL ORDER BY id FOR UPDATE)",
        )
        .bind(id.as_uuid())
        .bind(at)
        .bind(DELETED_REASON)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
        )
        .bind(id.as_uuid())
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        audit_rows::insert_pg(&mut tx, audit).await?;
        tx.commit().await.map_err(from_sqlx)
    }

    pub(super) async fn list_users(&self, query: &UserQuery) -> Result<(Vec<User>, u64)> {
        let (limit, offset) = limit_offset(query.page, query.per_page);
        let status = query.status.map(|s| s.as_str());
        let pattern = contains_pattern(query.search.as_deref());
        let filter = "($1::text IS NULL OR status = $1) AND ($2::text IS NULL \
             OR lower(email) LIKE $2 ESCAPE '\\' OR lower(username) LIKE $2 ESCAPE '\\' \
             OR lower(first_name) LIKE $2 ESCAPE '\\' OR lower(last_name) LIKE $2 ESCAPE '\\')";
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE {filter} \
             ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4"
        );
        let count = format!("SELECT COUNT(*) FROM users WHERE {filter}");
        let (sql, count, pattern) = (&sql, &count, pattern.as_deref());
        let (rows, total) = self
            .read_tolerant(|pool| async move {
                let rows: Vec<UserRow> = sqlx::query_as(sql)
                    .bind(status)
                    .bind(pattern)
                    .bind(limit)
                    .bind(offset)
                    .fetch_all(pool)
                    .await?;
                let (total,): (i64,) = sqlx::query_as(count)
                    .bind(status)
                    .bind(pattern)
                    .fetch_one(pool)
                    .await?;
                Ok((rows, total))
            })
            .await?;
        let users = rows
            .into_iter()
            .map(User::try_from)
            .collect::<Result<_>>()?;
        Ok((users, u64::try_from(total).unwrap_or(0)))
    }

    pub(super) async fn count_admins(&self) -> Result<u64> {
        let (count,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM users WHERE is_admin AND status <> 'deleted'")
                .fetch_one(self.primary())
                .await
                .map_err(from_sqlx)?;
        Ok(u64::try_from(count).unwrap_or(0))
    }
}

async fn user_exists(tx: &mut Transaction<'_, Postgres>, id: UserId) -> Result<bool> {
    let (exists,): (bool,) = sqlx::query_as("SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)")
        .bind(id.as_uuid())
        .fetch_one(&mut **tx)
        .await
        .map_err(from_sqlx)?;
    Ok(exists)
}
