//! The SQL of users, written once: creating an account, reading it by id, normalised email or
//! normalised username, the credential, flag, profile and status updates, soft delete (which
//! frees the email and username, drops the avatar and ends every session), the admin list and
//! the admin count. Both backends run the same statements (sqlx binds `$N` placeholders on
//! SQLite too); how a UUID, a time or a JSON document is encoded comes from each backend's
//! `row_codec` module.
//!
//! Not shared, and kept in each backend's `users.rs`: the statement that revokes a deleted
//! user's sessions (PostgreSQL locks them in id order first, `FOR UPDATE`; SQLite relies on its
//! single writer), and how the admin list reaches a reader (PostgreSQL's lag-tolerant read on a
//! replica with fallback to the primary; SQLite's reader pool).
//!
//! Every mutating method writes its audit entries in its own transaction.

/// Implements the user methods as inherent methods of `$store` (`auth_dispatch` hands the
/// `AuthStore` trait's calls to them).
///
/// - `$row`: the backend's row type; `$codec`: the module with `enc_*` and decoders;
/// - `$read` / `$write`: the pool methods for reads and writes; `$audit`: the audit writer;
/// - `$list_read`: the method that runs the admin list's queries, `(|pool| future)`, and maps
///   sqlx errors;
/// - `$revoke_sessions`: the statement revoking a user's live sessions (`$1` the user, `$2` the
///   time, `$3` the reason).
macro_rules! impl_user_statements {
    (
        $store:ident,
        $row:ty,
        $codec:ident,
        $read:ident,
        $write:ident,
        $audit:path,
        $list_read:ident,
        $revoke_sessions:expr
    ) => {
        /// The columns a [`User`] is read from.
        const USER_COLUMNS: &str = "id, email, email_verified, username, password_hash, \
             status, is_admin, first_name, last_name, display_name, profile_image_url, bio, \
             phone_number, phone_verified, timezone, locale, user_metadata, created_at, \
             updated_at, last_sign_in_at";

        /// Reason recorded on the sessions of a deleted account.
        const DELETED_REASON: &str = "user_deleted";

        /// The admin list's filter: `$1` a status or NULL, `$2` an escaped `LIKE` pattern or NULL.
        const USER_LIST_FILTER: &str = "($1 IS NULL OR status = $1) AND ($2 IS NULL \
             OR lower(email) LIKE $2 ESCAPE '\\' OR lower(username) LIKE $2 ESCAPE '\\' \
             OR lower(first_name) LIKE $2 ESCAPE '\\' OR lower(last_name) LIKE $2 ESCAPE '\\')";

        type UserDb = <$row as sqlx::Row>::Database;
        type UserQueryArgs<'q> =
            sqlx::query::Query<'q, UserDb, <UserDb as sqlx::Database>::Arguments<'q>>;

        fn user_from_row(row: &$row) -> Result<User> {
            use sqlx::Row;
            let text = |col: &str| row.try_get::<String, _>(col).map_err(from_sqlx);
            let opt_text = |col: &str| row.try_get::<Option<String>, _>(col).map_err(from_sqlx);
            let flag = |col: &str| row.try_get::<bool, _>(col).map_err(from_sqlx);
            let status = text("status")?;
            Ok(User {
                id: UserId::from_uuid($codec::id(row, "id")?),
                email: text("email")?,
                email_verified: flag("email_verified")?,
                username: opt_text("username")?,
                password_hash: opt_text("password_hash")?,
                status: UserStatus::parse(&status).ok_or_else(|| {
                    Error::internal(format!("stored user status {status:?} is unknown"))
                })?,
                is_admin: flag("is_admin")?,
                first_name: opt_text("first_name")?,
                last_name: opt_text("last_name")?,
                display_name: opt_text("display_name")?,
                profile_image_url: opt_text("profile_image_url")?,
                bio: opt_text("bio")?,
                phone_number: opt_text("phone_number")?,
                phone_verified: flag("phone_verified")?,
                timezone: opt_text("timezone")?,
                locale: opt_text("locale")?,
                user_metadata: $codec::json(row, "user_metadata")?,
                created_at: $codec::time(row, "created_at")?,
                updated_at: $codec::time(row, "updated_at")?,
                last_sign_in_at: $codec::opt_time(row, "last_sign_in_at")?,
            })
        }

        impl $store {
            /// The audit entries go in first, so a conflict on the user row rolls them back too.
            pub(super) async fn create_user(
                &self,
                user: &NewUser,
                audit: &[AuditEntry],
            ) -> Result<User> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                $audit(&mut tx, audit).await?;
                let sql = format!(
                    "INSERT INTO users (id, email, email_normalized, email_verified, \
                     email_verified_at, username, username_normalized, password_hash, \
                     password_changed_at, is_admin, first_name, last_name, locale, created_at, \
                     updated_at) \
                     VALUES ($1, $2, $3, $4, CASE WHEN $4 THEN $12 END, $5, $6, $7, \
                     CASE WHEN $7 IS NOT NULL THEN $12 END, $8, $9, $10, $11, $12, $12) \
                     RETURNING {USER_COLUMNS}"
                );
                let row = sqlx::query(&sql)
                    .bind($codec::enc_id(user.id.as_uuid()))
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
                    .bind($codec::enc_time(user.created_at))
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(from_sqlx)?;
                tx.commit().await.map_err(from_sqlx)?;
                user_from_row(&row)
            }

            pub(super) async fn get_user(&self, id: UserId) -> Result<Option<User>> {
                let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
                let row = sqlx::query(&sql)
                    .bind($codec::enc_id(id.as_uuid()))
                    .fetch_optional(self.$read())
                    .await
                    .map_err(from_sqlx)?;
                row.as_ref().map(user_from_row).transpose()
            }

            pub(super) async fn find_user_by_email(
                &self,
                email_normalized: &str,
            ) -> Result<Option<User>> {
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
                let row = sqlx::query(&sql)
                    .bind(value)
                    .fetch_optional(self.$read())
                    .await
                    .map_err(from_sqlx)?;
                row.as_ref().map(user_from_row).transpose()
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
                    |q| q.bind(hash).bind($codec::enc_time(at)),
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
                    "email_verified = $3, email_verified_at = COALESCE(email_verified_at, $2), \
                     updated_at = $2",
                    |q| q.bind($codec::enc_time(at)).bind(true),
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
                    q.bind(url).bind($codec::enc_time(at))
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
                    q.bind(is_admin).bind($codec::enc_time(at))
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
                bind: impl for<'q> FnOnce(UserQueryArgs<'q>) -> UserQueryArgs<'q>,
            ) -> Result<()> {
                let sql = format!("UPDATE users SET {set} WHERE id = $1");
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                let done = bind(sqlx::query(&sql).bind($codec::enc_id(id.as_uuid())))
                    .execute(&mut *tx)
                    .await
                    .map_err(from_sqlx)?;
                if done.rows_affected() == 0 {
                    return Err(Error::NotFound);
                }
                $audit(&mut tx, audit).await?;
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
                let metadata = update
                    .user_metadata
                    .as_ref()
                    .map($codec::enc_json)
                    .transpose()?;
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
                let mut query = sqlx::query(&sql).bind($codec::enc_id(id.as_uuid()));
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
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                let row = query
                    .bind(metadata)
                    .bind($codec::enc_time(at))
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(from_sqlx)?;
                let user = user_from_row(&row.ok_or(Error::NotFound)?)?;
                $audit(&mut tx, audit).await?;
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
                            .bind($codec::enc_time(at))
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
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                // Already-deleted accounts keep their rewritten email (no second prefix).
                let done = sqlx::query(
                    "UPDATE users SET status = 'deleted', deleted_at = $2, updated_at = $2, \
                     email = $3 || email, email_normalized = $3 || email_normalized, \
                     username = NULL, username_normalized = NULL, password_hash = NULL, \
                     profile_image_url = NULL \
                     WHERE id = $1 AND deleted_at IS NULL",
                )
                .bind($codec::enc_id(id.as_uuid()))
                .bind($codec::enc_time(at))
                .bind(format!("deleted_{id}_"))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                if done.rows_affected() == 0 {
                    let (exists,): (bool,) =
                        sqlx::query_as("SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)")
                            .bind($codec::enc_id(id.as_uuid()))
                            .fetch_one(&mut *tx)
                            .await
                            .map_err(from_sqlx)?;
                    if !exists {
                        return Err(Error::NotFound);
                    }
                }
                sqlx::query("DELETE FROM user_avatars WHERE user_id = $1")
                    .bind($codec::enc_id(id.as_uuid()))
                    .execute(&mut *tx)
                    .await
                    .map_err(from_sqlx)?;
                sqlx::query($revoke_sessions)
                    .bind($codec::enc_id(id.as_uuid()))
                    .bind($codec::enc_time(at))
                    .bind(DELETED_REASON)
                    .execute(&mut *tx)
                    .await
                    .map_err(from_sqlx)?;
                sqlx::query(
                    "UPDATE refresh_tokens SET revoked_at = $2 \
                     WHERE user_id = $1 AND revoked_at IS NULL",
                )
                .bind($codec::enc_id(id.as_uuid()))
                .bind($codec::enc_time(at))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                $audit(&mut tx, audit).await?;
                tx.commit().await.map_err(from_sqlx)
            }

            pub(super) async fn list_users(&self, query: &UserQuery) -> Result<(Vec<User>, u64)> {
                let (limit, offset) = limit_offset(query.page, query.per_page);
                let status = query.status.map(|s| s.as_str());
                let pattern = contains_pattern(query.search.as_deref());
                let sql = format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE {USER_LIST_FILTER} \
                     ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4"
                );
                let count = format!("SELECT COUNT(*) FROM users WHERE {USER_LIST_FILTER}");
                let (sql, count, pattern) = (&sql, &count, pattern.as_deref());
                let (rows, total) = self
                    .$list_read(|pool| async move {
                        let rows = sqlx::query(sql)
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
                let users = rows.iter().map(user_from_row).collect::<Result<_>>()?;
                Ok((users, u64::try_from(total).unwrap_or(0)))
            }

            pub(super) async fn count_admins(&self) -> Result<u64> {
                let (count,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM users WHERE is_admin = $1 AND status <> 'deleted'",
                )
                .bind(true)
                .fetch_one(self.$read())
                .await
                .map_err(from_sqlx)?;
                Ok(u64::try_from(count).unwrap_or(0))
            }
        }
    };
}

pub(crate) use impl_user_statements;
