//! The SQL of sessions, written once: opening a session with its first refresh token, reading
//! and listing sessions, revoking one, sliding its expiry, reading a refresh token, and the
//! access-token deny list. Both backends run the same statements (sqlx binds `$N` placeholders
//! on SQLite too); how a UUID, a time or a JSON document is encoded comes from each backend's
//! `row_codec` module.
//!
//! Not shared, and kept in each backend's `sessions.rs`: the session row type and its decoder
//! (`oauth_flows` reads sessions too), revoking a user's sessions and rotating a refresh token
//! (PostgreSQL locks the session rows first, in id order; SQLite relies on its single writer),
//! revoking the refresh tokens of several sessions (`= ANY` on PostgreSQL, `json_each` on
//! SQLite) and trimming a user's sessions to the limit.
//!
//! Every mutating method writes its audit entries in its own transaction.

/// Implements the shared session methods as inherent methods of `$store` (`auth_dispatch`
/// hands the `AuthStore` trait's calls to them).
///
/// - `$row`: the backend's row type; `$codec`: the module with `enc_*` and decoders;
/// - `$read` / `$write`: the pool methods for reads and writes; `$audit`: the audit writer;
/// - `$session_row` / `$session_of`: the backend's session row (selected with its
///   `SESSION_COLUMNS`) and its conversion into a `Session`;
/// - `$revoke_tokens(tx, &[Uuid], at)`: revokes the live refresh tokens of those sessions;
/// - `$trim(tx, user, limit, now)`: revokes the user's sessions beyond the limit, returning
///   their ids.
macro_rules! impl_session_statements {
    (
        $store:ident,
        $row:ty,
        $codec:ident,
        $read:ident,
        $write:ident,
        $audit:path,
        $session_row:ty,
        $session_of:path,
        $revoke_tokens:path,
        $trim:path
    ) => {
        const REFRESH_TOKEN_COLUMNS: &str =
            "id, session_id, family_id, user_id, created_at, expires_at, used_at, revoked_at";

        fn refresh_token_from_row(row: &$row) -> Result<RefreshTokenRecord> {
            Ok(RefreshTokenRecord {
                id: $codec::id(row, "id")?,
                session_id: SessionId::from_uuid($codec::id(row, "session_id")?),
                family_id: $codec::id(row, "family_id")?,
                user_id: UserId::from_uuid($codec::id(row, "user_id")?),
                created_at: $codec::time(row, "created_at")?,
                expires_at: $codec::time(row, "expires_at")?,
                used_at: $codec::opt_time(row, "used_at")?,
                revoked_at: $codec::opt_time(row, "revoked_at")?,
            })
        }

        impl $store {
            pub(super) async fn open_session_within_limit(
                &self,
                session: &NewSession,
                audit: &[AuditEntry],
                limit: Option<&SessionLimit>,
            ) -> Result<(Session, Vec<SessionId>)> {
                let family_id = uuid::Uuid::now_v7();
                let amr = $codec::enc_json(&serde_json::json!(session.amr))?;
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                // The user row first: it waits for a concurrent soft delete, which then either
                // sees this session (and revokes it) or has deleted the account (and no session
                // opens).
                let signed_in = sqlx::query(
                    "UPDATE users SET last_sign_in_at = $2 WHERE id = $1 AND deleted_at IS NULL",
                )
                .bind($codec::enc_id(session.user_id.as_uuid()))
                .bind($codec::enc_time(session.created_at))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                if signed_in.rows_affected() == 0 {
                    return Err(Error::NotFound);
                }
                let sql = format!(
                    "INSERT INTO sessions (id, user_id, kind, refresh_family_id, ip_address, \
                     user_agent, device_name, device_type, browser, os, amr, auth_time, \
                     created_at, last_activity_at, expires_at, absolute_expires_at, secret_hash) \
                     VALUES ($1, $2, 'user', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, \
                     $13, $14, $15) RETURNING {SESSION_COLUMNS}"
                );
                let row: $session_row = sqlx::query_as(&sql)
                    .bind($codec::enc_id(session.id.as_uuid()))
                    .bind($codec::enc_id(session.user_id.as_uuid()))
                    .bind($codec::enc_id(family_id))
                    .bind(session.ip_address.as_deref())
                    .bind(session.user_agent.as_deref())
                    .bind(session.device.device_name.as_deref())
                    .bind(session.device.device_type.as_str())
                    .bind(session.device.browser.as_deref())
                    .bind(session.device.os.as_deref())
                    .bind(amr)
                    .bind($codec::enc_time(session.auth_time))
                    .bind($codec::enc_time(session.created_at))
                    .bind($codec::enc_time(session.expires_at))
                    .bind($codec::enc_time(session.absolute_expires_at))
                    .bind(session.cookie_secret_hash.as_deref())
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(from_sqlx)?;
                sqlx::query(
                    "INSERT INTO refresh_tokens (id, token_hash, session_id, family_id, \
                     parent_id, user_id, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, NULL, $5, $6, $7)",
                )
                .bind($codec::enc_id(uuid::Uuid::now_v7()))
                .bind(&session.refresh_token_hash)
                .bind($codec::enc_id(session.id.as_uuid()))
                .bind($codec::enc_id(family_id))
                .bind($codec::enc_id(session.user_id.as_uuid()))
                .bind($codec::enc_time(session.created_at))
                .bind($codec::enc_time(session.refresh_expires_at))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                $audit(&mut tx, audit).await?;
                let trimmed = match limit {
                    Some(limit) => {
                        $trim(&mut tx, session.user_id, limit, session.created_at).await?
                    }
                    None => Vec::new(),
                };
                tx.commit().await.map_err(from_sqlx)?;
                Ok(($session_of(row)?, trimmed))
            }

            pub(super) async fn get_session(&self, id: SessionId) -> Result<Option<Session>> {
                let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1");
                let row: Option<$session_row> = sqlx::query_as(&sql)
                    .bind($codec::enc_id(id.as_uuid()))
                    .fetch_optional(self.$read())
                    .await
                    .map_err(from_sqlx)?;
                row.map($session_of).transpose()
            }

            pub(super) async fn find_session_by_secret_hash(
                &self,
                secret_hash: &str,
            ) -> Result<Option<Session>> {
                let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE secret_hash = $1");
                let row: Option<$session_row> = sqlx::query_as(&sql)
                    .bind(secret_hash)
                    .fetch_optional(self.$read())
                    .await
                    .map_err(from_sqlx)?;
                row.map($session_of).transpose()
            }

            /// Browser sessions only (`kind = 'user'`): OAuth grant sessions are not devices.
            pub(super) async fn list_live_sessions(
                &self,
                user_id: UserId,
                now: DateTime<Utc>,
            ) -> Result<Vec<Session>> {
                let sql = format!(
                    "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = $1 AND kind = 'user' \
                     AND revoked_at IS NULL AND expires_at > $2 AND absolute_expires_at > $2 \
                     ORDER BY created_at DESC, id DESC"
                );
                let rows: Vec<$session_row> = sqlx::query_as(&sql)
                    .bind($codec::enc_id(user_id.as_uuid()))
                    .bind($codec::enc_time(now))
                    .fetch_all(self.$read())
                    .await
                    .map_err(from_sqlx)?;
                rows.into_iter().map($session_of).collect()
            }

            pub(super) async fn revoke_session(
                &self,
                id: SessionId,
                reason: &str,
                at: DateTime<Utc>,
                audit: &[AuditEntry],
            ) -> Result<bool> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                let done = sqlx::query(
                    "UPDATE sessions SET revoked_at = $2, revoked_reason = $3 \
                     WHERE id = $1 AND revoked_at IS NULL",
                )
                .bind($codec::enc_id(id.as_uuid()))
                .bind($codec::enc_time(at))
                .bind(reason)
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                $revoke_tokens(&mut tx, &[id.as_uuid()], at).await?;
                if done.rows_affected() > 0 {
                    $audit(&mut tx, audit).await?;
                }
                tx.commit().await.map_err(from_sqlx)?;
                Ok(done.rows_affected() > 0)
            }

            pub(super) async fn touch_session(
                &self,
                id: SessionId,
                expires_at: DateTime<Utc>,
                at: DateTime<Utc>,
            ) -> Result<()> {
                let done = sqlx::query(
                    "UPDATE sessions SET expires_at = $2, last_activity_at = $3 WHERE id = $1",
                )
                .bind($codec::enc_id(id.as_uuid()))
                .bind($codec::enc_time(expires_at))
                .bind($codec::enc_time(at))
                .execute(self.$write())
                .await
                .map_err(from_sqlx)?;
                if done.rows_affected() == 0 {
                    return Err(Error::NotFound);
                }
                Ok(())
            }

            pub(super) async fn find_refresh_token(
                &self,
                token_hash: &str,
            ) -> Result<Option<RefreshTokenRecord>> {
                let sql = format!(
                    "SELECT {REFRESH_TOKEN_COLUMNS} FROM refresh_tokens WHERE token_hash = $1"
                );
                let row = sqlx::query(&sql)
                    .bind(token_hash)
                    .fetch_optional(self.$read())
                    .await
                    .map_err(from_sqlx)?;
                row.as_ref().map(refresh_token_from_row).transpose()
            }

            pub(super) async fn deny_access_token(
                &self,
                jti: uuid::Uuid,
                expires_at: DateTime<Utc>,
                at: DateTime<Utc>,
            ) -> Result<()> {
                sqlx::query(
                    "INSERT INTO revoked_access_tokens (jti, expires_at, revoked_at) \
                     VALUES ($1, $2, $3) ON CONFLICT (jti) DO NOTHING",
                )
                .bind($codec::enc_id(jti))
                .bind($codec::enc_time(expires_at))
                .bind($codec::enc_time(at))
                .execute(self.$write())
                .await
                .map_err(from_sqlx)?;
                Ok(())
            }

            pub(super) async fn is_access_token_denied(&self, jti: uuid::Uuid) -> Result<bool> {
                let (denied,): (bool,) = sqlx::query_as(
                    "SELECT EXISTS (SELECT 1 FROM revoked_access_tokens WHERE jti = $1)",
                )
                .bind($codec::enc_id(jti))
                .fetch_one(self.$read())
                .await
                .map_err(from_sqlx)?;
                Ok(denied)
            }
        }
    };
}

pub(crate) use impl_session_statements;
