//! The SQL of OAuth clients and their secrets (`oauth_clients`, `oauth_client_secrets`), written
//! once. Both backends run the same statements (sqlx binds `$N` placeholders on SQLite too); what
//! differs is how a UUID, a time or a string list is encoded and decoded, which each backend's
//! `oauth_clients.rs` supplies as its `row_codec` module, and which pools serve reads and writes.
//!
//! The macro defines the inherent methods that `crate::oauth_dispatch` hands the `OAuthStore`
//! client methods to. Every change writes its audit entries in its own transaction.

/// Implements the client and secret methods for `$store`.
///
/// - `$row`: the backend's row type; `$codec`: the module with `enc_*` and decoders;
/// - `$read` / `$write`: the pool methods for reads and writes; `$audit`: the audit writer.
macro_rules! impl_oauth_client_sql {
    ($store:ident, $row:ty, $codec:ident, $read:ident, $write:ident, $audit:path) => {
        use chrono::{DateTime, Utc};
        use janua_core::audit::AuditEntry;
        use janua_core::error::{Error, Result};
        use janua_core::ids::{OAuthClientId, OrgId, UserId};
        use janua_core::oidc::clients::{ClientSecret, ClientSpec, OAuthClient};
        use janua_core::oidc::store::{ClientLookup, ClientQuery};
        use janua_core::tokens::keys::SigningAlgorithm;
        use sqlx::Row;

        use crate::errors::from_sqlx;
        use crate::paging::limit_offset;

        type Tx<'t> = sqlx::Transaction<'t, <$row as sqlx::Row>::Database>;

        const CLIENT_COLUMNS: &str = "id, client_id, name, description, redirect_uris, \
             allowed_scopes, grant_types, audience, client_key, logo_url, website_url, is_active, \
             is_confidential, is_first_party, signing_alg, organization_id, created_by, \
             last_used_at, created_at, updated_at";

        const SECRET_COLUMNS: &str = "id, oauth_client_id, secret_hash, prefix, is_primary, \
             created_at, expires_at, revoked_at, last_used_at";

        fn text(row: &$row, col: &str) -> Result<String> {
            row.try_get::<String, _>(col).map_err(from_sqlx)
        }

        fn opt_text(row: &$row, col: &str) -> Result<Option<String>> {
            row.try_get::<Option<String>, _>(col).map_err(from_sqlx)
        }

        fn flag(row: &$row, col: &str) -> Result<bool> {
            row.try_get::<bool, _>(col).map_err(from_sqlx)
        }

        fn client_from_row(row: &$row) -> Result<OAuthClient> {
            Ok(OAuthClient {
                id: OAuthClientId::from_uuid($codec::id(row, "id")?),
                client_id: text(row, "client_id")?,
                spec: ClientSpec {
                    name: text(row, "name")?,
                    description: opt_text(row, "description")?,
                    redirect_uris: $codec::list(row, "redirect_uris")?,
                    allowed_scopes: $codec::list(row, "allowed_scopes")?,
                    grant_types: $codec::list(row, "grant_types")?,
                    audience: opt_text(row, "audience")?,
                    client_key: opt_text(row, "client_key")?,
                    logo_url: opt_text(row, "logo_url")?,
                    website_url: opt_text(row, "website_url")?,
                    is_active: flag(row, "is_active")?,
                    is_confidential: flag(row, "is_confidential")?,
                    is_first_party: flag(row, "is_first_party")?,
                    signing_alg: opt_text(row, "signing_alg")?
                        .as_deref()
                        .map(SigningAlgorithm::parse)
                        .transpose()
                        .map_err(|_| Error::internal("stored signing_alg is unknown"))?,
                    organization_id: $codec::opt_id(row, "organization_id")?
                        .map(OrgId::from_uuid),
                },
                created_by: $codec::opt_id(row, "created_by")?.map(UserId::from_uuid),
                last_used_at: $codec::opt_time(row, "last_used_at")?,
                created_at: $codec::time(row, "created_at")?,
                updated_at: $codec::time(row, "updated_at")?,
            })
        }

        fn secret_from_row(row: &$row) -> Result<ClientSecret> {
            Ok(ClientSecret {
                id: $codec::id(row, "id")?,
                client: OAuthClientId::from_uuid($codec::id(row, "oauth_client_id")?),
                secret_hash: text(row, "secret_hash")?,
                prefix: text(row, "prefix")?,
                is_primary: flag(row, "is_primary")?,
                created_at: $codec::time(row, "created_at")?,
                expires_at: $codec::opt_time(row, "expires_at")?,
                revoked_at: $codec::opt_time(row, "revoked_at")?,
                last_used_at: $codec::opt_time(row, "last_used_at")?,
            })
        }

        async fn insert_secret(tx: &mut Tx<'_>, secret: &ClientSecret) -> Result<()> {
            sqlx::query(&format!(
                "INSERT INTO oauth_client_secrets ({SECRET_COLUMNS}) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            ))
            .bind($codec::enc_id(secret.id))
            .bind($codec::enc_id(secret.client.as_uuid()))
            .bind(&secret.secret_hash)
            .bind(&secret.prefix)
            .bind(secret.is_primary)
            .bind($codec::enc_time(secret.created_at))
            .bind(secret.expires_at.map($codec::enc_time))
            .bind(secret.revoked_at.map($codec::enc_time))
            .bind(secret.last_used_at.map($codec::enc_time))
            .execute(&mut **tx)
            .await
            .map_err(from_sqlx)?;
            Ok(())
        }

        impl $store {
            pub(super) async fn create_client(
                &self,
                client: &OAuthClient,
                secret: Option<&ClientSecret>,
                audit: &[AuditEntry],
            ) -> Result<()> {
                let s = &client.spec;
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                sqlx::query(&format!(
                    "INSERT INTO oauth_clients ({CLIENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, \
                     $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
                ))
                .bind($codec::enc_id(client.id.as_uuid()))
                .bind(&client.client_id)
                .bind(&s.name)
                .bind(s.description.as_deref())
                .bind($codec::enc_list(&s.redirect_uris)?)
                .bind($codec::enc_list(&s.allowed_scopes)?)
                .bind($codec::enc_list(&s.grant_types)?)
                .bind(s.audience.as_deref())
                .bind(s.client_key.as_deref())
                .bind(s.logo_url.as_deref())
                .bind(s.website_url.as_deref())
                .bind(s.is_active)
                .bind(s.is_confidential)
                .bind(s.is_first_party)
                .bind(s.signing_alg.map(|a| a.as_str()))
                .bind(s.organization_id.map(|o| $codec::enc_id(o.as_uuid())))
                .bind(client.created_by.map(|u| $codec::enc_id(u.as_uuid())))
                .bind(client.last_used_at.map($codec::enc_time))
                .bind($codec::enc_time(client.created_at))
                .bind($codec::enc_time(client.updated_at))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                if let Some(secret) = secret {
                    insert_secret(&mut tx, secret).await?;
                }
                $audit(&mut tx, audit).await?;
                tx.commit().await.map_err(from_sqlx)
            }

            pub(super) async fn get_client(
                &self,
                id: OAuthClientId,
            ) -> Result<Option<OAuthClient>> {
                let row = sqlx::query(&format!(
                    "SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE id = $1"
                ))
                .bind($codec::enc_id(id.as_uuid()))
                .fetch_optional(self.$read())
                .await
                .map_err(from_sqlx)?;
                row.as_ref().map(client_from_row).transpose()
            }

            pub(super) async fn find_client(
                &self,
                client_id: &str,
            ) -> Result<Option<OAuthClient>> {
                let row = sqlx::query(&format!(
                    "SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE client_id = $1"
                ))
                .bind(client_id)
                .fetch_optional(self.$read())
                .await
                .map_err(from_sqlx)?;
                row.as_ref().map(client_from_row).transpose()
            }

            pub(super) async fn find_client_by(
                &self,
                lookup: ClientLookup<'_>,
            ) -> Result<Option<OAuthClient>> {
                let (column, value) = match lookup {
                    ClientLookup::ClientKey(v) => ("client_key", v),
                    ClientLookup::Audience(v) => ("audience", v),
                    ClientLookup::Name(v) => ("name", v),
                };
                let row = sqlx::query(&format!(
                    "SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE {column} = $1 \
                     ORDER BY created_at, id LIMIT 1"
                ))
                .bind(value)
                .fetch_optional(self.$read())
                .await
                .map_err(from_sqlx)?;
                row.as_ref().map(client_from_row).transpose()
            }

            pub(super) async fn list_clients(
                &self,
                query: &ClientQuery,
            ) -> Result<(Vec<OAuthClient>, u64)> {
                let (limit, offset) = limit_offset(query.page, query.per_page);
                let filter =
                    "($1 IS NULL OR created_by = $1) AND ($2 IS NULL OR organization_id = $2)";
                let created_by = query.created_by.map(|u| $codec::enc_id(u.as_uuid()));
                let org = query.organization_id.map(|o| $codec::enc_id(o.as_uuid()));
                let rows = sqlx::query(&format!(
                    "SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE {filter} \
                     ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4"
                ))
                .bind(created_by.clone())
                .bind(org.clone())
                .bind(limit)
                .bind(offset)
                .fetch_all(self.$read())
                .await
                .map_err(from_sqlx)?;
                let (total,): (i64,) = sqlx::query_as(&format!(
                    "SELECT COUNT(*) FROM oauth_clients WHERE {filter}"
                ))
                .bind(created_by)
                .bind(org)
                .fetch_one(self.$read())
                .await
                .map_err(from_sqlx)?;
                let clients = rows
                    .iter()
                    .map(client_from_row)
                    .collect::<Result<_>>()?;
                Ok((clients, u64::try_from(total).unwrap_or(0)))
            }

            pub(super) async fn update_client(
                &self,
                client: &OAuthClient,
                audit: &[AuditEntry],
            ) -> Result<()> {
                let s = &client.spec;
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                let done = sqlx::query(
                    "UPDATE oauth_clients SET name = $2, description = $3, redirect_uris = $4, \
                     allowed_scopes = $5, grant_types = $6, audience = $7, client_key = $8, \
                     logo_url = $9, website_url = $10, is_active = $11, is_confidential = $12, \
                     is_first_party = $13, signing_alg = $14, organization_id = $15, \
                     updated_at = $16 WHERE id = $1",
                )
                .bind($codec::enc_id(client.id.as_uuid()))
                .bind(&s.name)
                .bind(s.description.as_deref())
                .bind($codec::enc_list(&s.redirect_uris)?)
                .bind($codec::enc_list(&s.allowed_scopes)?)
                .bind($codec::enc_list(&s.grant_types)?)
                .bind(s.audience.as_deref())
                .bind(s.client_key.as_deref())
                .bind(s.logo_url.as_deref())
                .bind(s.website_url.as_deref())
                .bind(s.is_active)
                .bind(s.is_confidential)
                .bind(s.is_first_party)
                .bind(s.signing_alg.map(|a| a.as_str()))
                .bind(s.organization_id.map(|o| $codec::enc_id(o.as_uuid())))
                .bind($codec::enc_time(client.updated_at))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                if done.rows_affected() == 0 {
                    return Err(Error::NotFound);
                }
                $audit(&mut tx, audit).await?;
                tx.commit().await.map_err(from_sqlx)
            }

            pub(super) async fn delete_client(
                &self,
                id: OAuthClientId,
                audit: &[AuditEntry],
            ) -> Result<bool> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                let done = sqlx::query("DELETE FROM oauth_clients WHERE id = $1")
                    .bind($codec::enc_id(id.as_uuid()))
                    .execute(&mut *tx)
                    .await
                    .map_err(from_sqlx)?;
                if done.rows_affected() == 0 {
                    return Ok(false);
                }
                $audit(&mut tx, audit).await?;
                tx.commit().await.map_err(from_sqlx)?;
                Ok(true)
            }

            pub(super) async fn list_client_secrets(
                &self,
                client: OAuthClientId,
            ) -> Result<Vec<ClientSecret>> {
                let rows = sqlx::query(&format!(
                    "SELECT {SECRET_COLUMNS} FROM oauth_client_secrets \
                     WHERE oauth_client_id = $1 ORDER BY created_at DESC, id DESC"
                ))
                .bind($codec::enc_id(client.as_uuid()))
                .fetch_all(self.$read())
                .await
                .map_err(from_sqlx)?;
                rows.iter().map(secret_from_row).collect()
            }

            pub(super) async fn rotate_client_secret(
                &self,
                new: &ClientSecret,
                old_expire_at: DateTime<Utc>,
                audit: &[AuditEntry],
            ) -> Result<()> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                sqlx::query(
                    "UPDATE oauth_client_secrets SET is_primary = FALSE, \
                     expires_at = CASE WHEN expires_at IS NULL OR expires_at > $2 THEN $2 \
                     ELSE expires_at END \
                     WHERE oauth_client_id = $1 AND revoked_at IS NULL",
                )
                .bind($codec::enc_id(new.client.as_uuid()))
                .bind($codec::enc_time(old_expire_at))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                insert_secret(&mut tx, new).await?;
                $audit(&mut tx, audit).await?;
                tx.commit().await.map_err(from_sqlx)
            }

            pub(super) async fn revoke_client_secrets(
                &self,
                client: OAuthClientId,
                secret_id: Option<uuid::Uuid>,
                at: DateTime<Utc>,
                audit: &[AuditEntry],
            ) -> Result<u64> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                let done = sqlx::query(
                    "UPDATE oauth_client_secrets SET revoked_at = $3 WHERE oauth_client_id = $1 \
                     AND is_primary = FALSE AND revoked_at IS NULL AND ($2 IS NULL OR id = $2)",
                )
                .bind($codec::enc_id(client.as_uuid()))
                .bind(secret_id.map($codec::enc_id))
                .bind($codec::enc_time(at))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                $audit(&mut tx, audit).await?;
                tx.commit().await.map_err(from_sqlx)?;
                Ok(done.rows_affected())
            }
        }
    };
}

pub(crate) use impl_oauth_client_sql;
