//! The SQL of the OAuth flows, written once: parked authorization requests, authorization codes
//! (redeemed exactly once by `UPDATE … RETURNING`), grant sessions (`sessions` rows of kind
//! `oauth_grant` with their refresh family), consents (upserted with `ON CONFLICT … DO UPDATE`)
//! and device codes. Both backends run the same statements (sqlx binds `$N` placeholders on
//! SQLite too); what differs is how a UUID, a time, a string list or a small integer is encoded
//! and decoded (each backend's `row_codec`), how a `sessions` row becomes a `Session` (each
//! backend's `sessions.rs`), and which pools serve which reads.
//!
//! The macro defines the inherent methods that `crate::oauth_dispatch` hands the `OAuthStore`
//! flow methods to. The changes that carry audit entries write them in their own transaction.

/// Implements the OAuth flow methods for `$store`.
///
/// - `$row`: the backend's row type; `$codec`: the module with `enc_*` and decoders;
/// - `$read`: the pool of `get_grant` and `get_consent`; `$fresh`: the pool of every write and
///   of the reads that must see the latest write (requests, codes, child grants, device codes);
/// - `$audit`: the audit writer;
/// - `$session_columns` / `$session_from_row`: the `sessions` columns of a `Session` and how the
///   backend decodes them.
macro_rules! impl_oauth_flow_sql {
    (
        $store:ident,
        $row:ty,
        $codec:ident,
        $read:ident,
        $fresh:ident,
        $audit:path,
        $session_columns:path,
        $session_from_row:path
    ) => {
        use chrono::{DateTime, Utc};
        use janua_core::audit::AuditEntry;
        use janua_core::error::{Error, Result};
        use janua_core::ids::{OAuthClientId, OrgId, SessionId, UserId};
        use janua_core::oidc::store::{
            AuthorizationCode, AuthorizationRequest, CodeRedemption, Consent, DeviceCode,
            DeviceCodeStatus, Grant, NewGrantSession,
        };
        use sqlx::Row;

        use crate::errors::from_sqlx;

        const REQUEST_COLUMNS: &str = "id, oauth_client_id, redirect_uri, scopes, state, nonce, \
             code_challenge, code_challenge_method, prompt, max_age, login_hint, organization_id, \
             session_id, created_at, expires_at, consumed_at";

        const CODE_COLUMNS: &str = "id, code_hash, oauth_client_id, user_id, session_id, \
             grant_session_id, redirect_uri, scopes, nonce, code_challenge, organization_id, \
             auth_time, amr, created_at, expires_at, used_at";

        const DEVICE_COLUMNS: &str = "id, device_code_hash, user_code, oauth_client_id, scopes, \
             status, user_id, interval_seconds, last_polled_at, created_at, expires_at";

        const GRANT_COLUMNS: &str = "oauth_client_id, scopes, parent_session_id, organization_id";

        fn text(row: &$row, col: &str) -> Result<String> {
            row.try_get::<String, _>(col).map_err(from_sqlx)
        }

        fn opt_text(row: &$row, col: &str) -> Result<Option<String>> {
            row.try_get::<Option<String>, _>(col).map_err(from_sqlx)
        }

        fn request_from_row(row: &$row) -> Result<AuthorizationRequest> {
            Ok(AuthorizationRequest {
                id: $codec::id(row, "id")?,
                client: OAuthClientId::from_uuid($codec::id(row, "oauth_client_id")?),
                redirect_uri: text(row, "redirect_uri")?,
                scopes: $codec::list(row, "scopes")?,
                state: opt_text(row, "state")?,
                nonce: opt_text(row, "nonce")?,
                code_challenge: opt_text(row, "code_challenge")?,
                code_challenge_method: opt_text(row, "code_challenge_method")?,
                prompt: opt_text(row, "prompt")?,
                max_age: row.try_get::<Option<i64>, _>("max_age").map_err(from_sqlx)?,
                login_hint: opt_text(row, "login_hint")?,
                organization_id: $codec::opt_id(row, "organization_id")?.map(OrgId::from_uuid),
                session_id: $codec::opt_id(row, "session_id")?.map(SessionId::from_uuid),
                created_at: $codec::time(row, "created_at")?,
                expires_at: $codec::time(row, "expires_at")?,
                consumed_at: $codec::opt_time(row, "consumed_at")?,
            })
        }

        fn code_from_row(row: &$row) -> Result<AuthorizationCode> {
            Ok(AuthorizationCode {
                id: $codec::id(row, "id")?,
                code_hash: text(row, "code_hash")?,
                client: OAuthClientId::from_uuid($codec::id(row, "oauth_client_id")?),
                user_id: UserId::from_uuid($codec::id(row, "user_id")?),
                session_id: SessionId::from_uuid($codec::id(row, "session_id")?),
                grant_session_id: $codec::opt_id(row, "grant_session_id")?
                    .map(SessionId::from_uuid),
                redirect_uri: text(row, "redirect_uri")?,
                scopes: $codec::list(row, "scopes")?,
                nonce: opt_text(row, "nonce")?,
                code_challenge: opt_text(row, "code_challenge")?,
                organization_id: $codec::opt_id(row, "organization_id")?.map(OrgId::from_uuid),
                auth_time: $codec::time(row, "auth_time")?,
                amr: $codec::list(row, "amr")?,
                created_at: $codec::time(row, "created_at")?,
                expires_at: $codec::time(row, "expires_at")?,
                used_at: $codec::opt_time(row, "used_at")?,
            })
        }

        fn grant_from_row(row: &$row) -> Result<Grant> {
            let session = $session_from_row(row)?;
            let client = $codec::opt_id(row, "oauth_client_id")?
                .ok_or_else(|| Error::internal("grant session without client"))?;
            Ok(Grant {
                session,
                client: OAuthClientId::from_uuid(client),
                scopes: $codec::list(row, "scopes")?,
                parent_session_id: $codec::opt_id(row, "parent_session_id")?
                    .map(SessionId::from_uuid),
                organization_id: $codec::opt_id(row, "organization_id")?.map(OrgId::from_uuid),
            })
        }

        fn device_from_row(row: &$row) -> Result<DeviceCode> {
            let status = text(row, "status")?;
            Ok(DeviceCode {
                id: $codec::id(row, "id")?,
                device_code_hash: text(row, "device_code_hash")?,
                user_code: text(row, "user_code")?,
                client: OAuthClientId::from_uuid($codec::id(row, "oauth_client_id")?),
                scopes: $codec::list(row, "scopes")?,
                status: DeviceCodeStatus::parse(&status)
                    .ok_or_else(|| Error::internal("stored device code status is unknown"))?,
                user_id: $codec::opt_id(row, "user_id")?.map(UserId::from_uuid),
                interval_seconds: $codec::int(row, "interval_seconds")?,
                last_polled_at: $codec::opt_time(row, "last_polled_at")?,
                created_at: $codec::time(row, "created_at")?,
                expires_at: $codec::time(row, "expires_at")?,
            })
        }

        impl $store {
            pub(super) async fn create_authorization_request(
                &self,
                r: &AuthorizationRequest,
            ) -> Result<()> {
                sqlx::query(&format!(
                    "INSERT INTO authorization_requests ({REQUEST_COLUMNS}) VALUES ($1, $2, $3, \
                     $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
                ))
                .bind($codec::enc_id(r.id))
                .bind($codec::enc_id(r.client.as_uuid()))
                .bind(&r.redirect_uri)
                .bind($codec::enc_list(&r.scopes)?)
                .bind(r.state.as_deref())
                .bind(r.nonce.as_deref())
                .bind(r.code_challenge.as_deref())
                .bind(r.code_challenge_method.as_deref())
                .bind(r.prompt.as_deref())
                .bind(r.max_age)
                .bind(r.login_hint.as_deref())
                .bind(r.organization_id.map(|o| $codec::enc_id(o.as_uuid())))
                .bind(r.session_id.map(|s| $codec::enc_id(s.as_uuid())))
                .bind($codec::enc_time(r.created_at))
                .bind($codec::enc_time(r.expires_at))
                .bind(r.consumed_at.map($codec::enc_time))
                .execute(self.$fresh())
                .await
                .map_err(from_sqlx)?;
                Ok(())
            }

            pub(super) async fn get_authorization_request(
                &self,
                id: uuid::Uuid,
            ) -> Result<Option<AuthorizationRequest>> {
                let row = sqlx::query(&format!(
                    "SELECT {REQUEST_COLUMNS} FROM authorization_requests WHERE id = $1"
                ))
                .bind($codec::enc_id(id))
                .fetch_optional(self.$fresh())
                .await
                .map_err(from_sqlx)?;
                row.as_ref().map(request_from_row).transpose()
            }

            pub(super) async fn consume_authorization_request(
                &self,
                id: uuid::Uuid,
                at: DateTime<Utc>,
            ) -> Result<bool> {
                let done = sqlx::query(
                    "UPDATE authorization_requests SET consumed_at = $2 \
                     WHERE id = $1 AND consumed_at IS NULL",
                )
                .bind($codec::enc_id(id))
                .bind($codec::enc_time(at))
                .execute(self.$fresh())
                .await
                .map_err(from_sqlx)?;
                Ok(done.rows_affected() > 0)
            }

            pub(super) async fn create_authorization_code(
                &self,
                c: &AuthorizationCode,
            ) -> Result<()> {
                sqlx::query(&format!(
                    "INSERT INTO authorization_codes ({CODE_COLUMNS}) VALUES ($1, $2, $3, $4, \
                     $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
                ))
                .bind($codec::enc_id(c.id))
                .bind(&c.code_hash)
                .bind($codec::enc_id(c.client.as_uuid()))
                .bind($codec::enc_id(c.user_id.as_uuid()))
                .bind($codec::enc_id(c.session_id.as_uuid()))
                .bind(c.grant_session_id.map(|s| $codec::enc_id(s.as_uuid())))
                .bind(&c.redirect_uri)
                .bind($codec::enc_list(&c.scopes)?)
                .bind(c.nonce.as_deref())
                .bind(c.code_challenge.as_deref())
                .bind(c.organization_id.map(|o| $codec::enc_id(o.as_uuid())))
                .bind($codec::enc_time(c.auth_time))
                .bind($codec::enc_list(&c.amr)?)
                .bind($codec::enc_time(c.created_at))
                .bind($codec::enc_time(c.expires_at))
                .bind(c.used_at.map($codec::enc_time))
                .execute(self.$fresh())
                .await
                .map_err(from_sqlx)?;
                Ok(())
            }

            pub(super) async fn redeem_authorization_code(
                &self,
                code_hash: &str,
                at: DateTime<Utc>,
            ) -> Result<CodeRedemption> {
                let claimed = sqlx::query(&format!(
                    "UPDATE authorization_codes SET used_at = $2 \
                     WHERE code_hash = $1 AND used_at IS NULL RETURNING {CODE_COLUMNS}"
                ))
                .bind(code_hash)
                .bind($codec::enc_time(at))
                .fetch_optional(self.$fresh())
                .await
                .map_err(from_sqlx)?;
                if let Some(row) = claimed {
                    return Ok(CodeRedemption::Redeemed(code_from_row(&row)?));
                }
                let used = sqlx::query(&format!(
                    "SELECT {CODE_COLUMNS} FROM authorization_codes WHERE code_hash = $1"
                ))
                .bind(code_hash)
                .fetch_optional(self.$fresh())
                .await
                .map_err(from_sqlx)?;
                Ok(match used {
                    Some(row) => CodeRedemption::Replayed(code_from_row(&row)?),
                    None => CodeRedemption::Unknown,
                })
            }

            pub(super) async fn open_grant_session(
                &self,
                g: &NewGrantSession,
                audit: &[AuditEntry],
            ) -> Result<()> {
                let family_id = uuid::Uuid::now_v7();
                let created_at = g.created_at;
                let mut tx = self.$fresh().begin().await.map_err(from_sqlx)?;
                sqlx::query(
                    "INSERT INTO sessions (id, user_id, kind, refresh_family_id, \
                     parent_session_id, oauth_client_id, scopes, organization_id, amr, auth_time, \
                     created_at, last_activity_at, expires_at, absolute_expires_at) \
                     VALUES ($1, $2, 'oauth_grant', $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, \
                     $12)",
                )
                .bind($codec::enc_id(g.id.as_uuid()))
                .bind($codec::enc_id(g.user_id.as_uuid()))
                .bind($codec::enc_id(family_id))
                .bind(g.parent_session_id.map(|s| $codec::enc_id(s.as_uuid())))
                .bind($codec::enc_id(g.client.as_uuid()))
                .bind($codec::enc_list(&g.scopes)?)
                .bind(g.organization_id.map(|o| $codec::enc_id(o.as_uuid())))
                .bind($codec::enc_list(&g.amr)?)
                .bind($codec::enc_time(g.auth_time))
                .bind($codec::enc_time(created_at))
                .bind($codec::enc_time(g.expires_at))
                .bind($codec::enc_time(g.absolute_expires_at))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                if let Some(hash) = &g.refresh_token_hash {
                    sqlx::query(
                        "INSERT INTO refresh_tokens (id, token_hash, session_id, family_id, \
                         parent_id, user_id, oauth_client_id, scopes, created_at, expires_at) \
                         VALUES ($1, $2, $3, $4, NULL, $5, $6, $7, $8, $9)",
                    )
                    .bind($codec::enc_id(uuid::Uuid::now_v7()))
                    .bind(hash)
                    .bind($codec::enc_id(g.id.as_uuid()))
                    .bind($codec::enc_id(family_id))
                    .bind($codec::enc_id(g.user_id.as_uuid()))
                    .bind($codec::enc_id(g.client.as_uuid()))
                    .bind($codec::enc_list(&g.scopes)?)
                    .bind($codec::enc_time(created_at))
                    .bind($codec::enc_time(g.expires_at))
                    .execute(&mut *tx)
                    .await
                    .map_err(from_sqlx)?;
                }
                if let Some(code) = g.code_id {
                    sqlx::query(
                        "UPDATE authorization_codes SET grant_session_id = $2 WHERE id = $1",
                    )
                    .bind($codec::enc_id(code))
                    .bind($codec::enc_id(g.id.as_uuid()))
                    .execute(&mut *tx)
                    .await
                    .map_err(from_sqlx)?;
                }
                $audit(&mut tx, audit).await?;
                tx.commit().await.map_err(from_sqlx)
            }

            pub(super) async fn get_grant(&self, session: SessionId) -> Result<Option<Grant>> {
                let row = sqlx::query(&format!(
                    "SELECT {}, {GRANT_COLUMNS} FROM sessions \
                     WHERE id = $1 AND kind = 'oauth_grant'",
                    $session_columns
                ))
                .bind($codec::enc_id(session.as_uuid()))
                .fetch_optional(self.$read())
                .await
                .map_err(from_sqlx)?;
                row.as_ref().map(grant_from_row).transpose()
            }

            pub(super) async fn list_child_grants(
                &self,
                parent: SessionId,
                now: DateTime<Utc>,
            ) -> Result<Vec<Grant>> {
                let rows = sqlx::query(&format!(
                    "SELECT {}, {GRANT_COLUMNS} FROM sessions \
                     WHERE parent_session_id = $1 AND kind = 'oauth_grant' \
                     AND revoked_at IS NULL AND expires_at > $2",
                    $session_columns
                ))
                .bind($codec::enc_id(parent.as_uuid()))
                .bind($codec::enc_time(now))
                .fetch_all(self.$fresh())
                .await
                .map_err(from_sqlx)?;
                rows.iter().map(grant_from_row).collect()
            }

            pub(super) async fn get_consent(
                &self,
                user: UserId,
                client: OAuthClientId,
            ) -> Result<Option<Consent>> {
                let row = sqlx::query(
                    "SELECT scopes, granted_at, revoked_at FROM oauth_consents \
                     WHERE user_id = $1 AND oauth_client_id = $2",
                )
                .bind($codec::enc_id(user.as_uuid()))
                .bind($codec::enc_id(client.as_uuid()))
                .fetch_optional(self.$read())
                .await
                .map_err(from_sqlx)?;
                row.map(|row| {
                    Ok(Consent {
                        user_id: user,
                        client,
                        scopes: $codec::list(&row, "scopes")?,
                        granted_at: $codec::time(&row, "granted_at")?,
                        revoked_at: $codec::opt_time(&row, "revoked_at")?,
                    })
                })
                .transpose()
            }

            pub(super) async fn save_consent(
                &self,
                c: &Consent,
                audit: &[AuditEntry],
            ) -> Result<()> {
                let mut tx = self.$fresh().begin().await.map_err(from_sqlx)?;
                sqlx::query(
                    "INSERT INTO oauth_consents (id, user_id, oauth_client_id, scopes, \
                     granted_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) \
                     ON CONFLICT (user_id, oauth_client_id) DO UPDATE SET \
                     scopes = excluded.scopes, granted_at = excluded.granted_at, \
                     updated_at = excluded.updated_at, revoked_at = NULL",
                )
                .bind($codec::enc_id(uuid::Uuid::now_v7()))
                .bind($codec::enc_id(c.user_id.as_uuid()))
                .bind($codec::enc_id(c.client.as_uuid()))
                .bind($codec::enc_list(&c.scopes)?)
                .bind($codec::enc_time(c.granted_at))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                $audit(&mut tx, audit).await?;
                tx.commit().await.map_err(from_sqlx)
            }

            pub(super) async fn create_device_code(&self, d: &DeviceCode) -> Result<()> {
                sqlx::query(&format!(
                    "INSERT INTO device_codes ({DEVICE_COLUMNS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                ))
                .bind($codec::enc_id(d.id))
                .bind(&d.device_code_hash)
                .bind(&d.user_code)
                .bind($codec::enc_id(d.client.as_uuid()))
                .bind($codec::enc_list(&d.scopes)?)
                .bind(d.status.as_str())
                .bind(d.user_id.map(|u| $codec::enc_id(u.as_uuid())))
                .bind($codec::enc_int(d.interval_seconds, 5))
                .bind(d.last_polled_at.map($codec::enc_time))
                .bind($codec::enc_time(d.created_at))
                .bind($codec::enc_time(d.expires_at))
                .execute(self.$fresh())
                .await
                .map_err(from_sqlx)?;
                Ok(())
            }

            async fn find_device_code(
                &self,
                column: &str,
                value: &str,
            ) -> Result<Option<DeviceCode>> {
                let row = sqlx::query(&format!(
                    "SELECT {DEVICE_COLUMNS} FROM device_codes WHERE {column} = $1"
                ))
                .bind(value)
                .fetch_optional(self.$fresh())
                .await
                .map_err(from_sqlx)?;
                row.as_ref().map(device_from_row).transpose()
            }

            pub(super) async fn find_device_code_by_hash(
                &self,
                hash: &str,
            ) -> Result<Option<DeviceCode>> {
                self.find_device_code("device_code_hash", hash).await
            }

            pub(super) async fn find_device_code_by_user_code(
                &self,
                user_code: &str,
            ) -> Result<Option<DeviceCode>> {
                self.find_device_code("user_code", user_code).await
            }

            pub(super) async fn decide_device_code(
                &self,
                id: uuid::Uuid,
                user: UserId,
                status: DeviceCodeStatus,
                at: DateTime<Utc>,
            ) -> Result<bool> {
                let done = sqlx::query(
                    "UPDATE device_codes SET status = $2, user_id = $3, decided_at = $4 \
                     WHERE id = $1 AND status = 'pending'",
                )
                .bind($codec::enc_id(id))
                .bind(status.as_str())
                .bind($codec::enc_id(user.as_uuid()))
                .bind($codec::enc_time(at))
                .execute(self.$fresh())
                .await
                .map_err(from_sqlx)?;
                Ok(done.rows_affected() > 0)
            }

            pub(super) async fn poll_device_code(
                &self,
                id: uuid::Uuid,
                at: DateTime<Utc>,
                consume: bool,
            ) -> Result<bool> {
                let sql = if consume {
                    "UPDATE device_codes SET last_polled_at = $2, status = 'consumed', \
                     consumed_at = $2 WHERE id = $1 AND status = 'approved'"
                } else {
                    "UPDATE device_codes SET last_polled_at = $2 WHERE id = $1"
                };
                let done = sqlx::query(sql)
                    .bind($codec::enc_id(id))
                    .bind($codec::enc_time(at))
                    .execute(self.$fresh())
                    .await
                    .map_err(from_sqlx)?;
                Ok(done.rows_affected() > 0)
            }
        }
    };
}

pub(crate) use impl_oauth_flow_sql;
