//! The SQL of organizations, members, invitations, custom roles, API keys and the admin data
//! (`OrgStore`, `RbacStore`, `ApiKeyStore`, `AdminStore`), written once. Both backends run the
//! same statements (sqlx binds `$N` placeholders on SQLite too); what differs is how a UUID, a
//! time or a JSON document is encoded and decoded, which each backend's `orgs.rs` supplies as a
//! `row_codec` module, and the row lock that serializes membership changes per organization
//! (`FOR UPDATE` on PostgreSQL; SQLite has a single writer already).
//!
//! Every mutating method writes its audit entries in its own transaction.

/// Implements the four traits for `$store`.
///
/// - `$row`: the backend's row type; `$codec`: the module with `enc_*` and decoders;
/// - `$read` / `$write`: the pool methods for reads and writes; `$audit`: the audit writer;
/// - `$lock`: the suffix that locks a selected row until commit.
macro_rules! impl_org_stores {
    ($store:ident, $row:ty, $codec:ident, $read:ident, $write:ident, $audit:path, $lock:expr) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use janua_core::admin::store::AdminStore;
        use janua_core::admin::{CorsOrigin, PlatformStats};
        use janua_core::api_keys::store::ApiKeyStore;
        use janua_core::api_keys::{ApiKey, ApiKeyUpdate, NewApiKey};
        use janua_core::audit::AuditEntry;
        use janua_core::error::{AuthFailure, Error, Result};
        use janua_core::ids::{
            ApiKeyId, CorsOriginId, InvitationId, OrgId, RoleId, SessionId, UserId,
        };
        use janua_core::orgs::store::OrgStore;
        use janua_core::orgs::{
            Invitation, InvitationStatus, Member, NewInvitation, NewMember, NewOrg, Org,
            OrgUpdate, Page,
        };
        use janua_core::ids::PolicyId;
        use janua_core::rbac::permissions::Permission;
        use janua_core::rbac::policies::{Effect, Policy, TargetType};
        use janua_core::rbac::roles::{OrgRole, Role, RoleUpdate};
        use janua_core::rbac::store::RbacStore;
        use serde_json::Value;
        use sqlx::Row;

        use crate::errors::from_sqlx;

        const ORG_COLUMNS: &str = "o.id, o.name, o.slug, o.description, o.logo_url, \
            o.billing_email, o.plan, o.subscription_status, o.settings, o.parent_id, o.owner_id, \
            o.require_mfa, o.created_at, o.updated_at, \
            (SELECT COUNT(*) FROM organization_members c WHERE c.organization_id = o.id) AS member_count";
        /// A user's active memberships joined with their organizations; `m.role` is the
        /// member's role.
        const MEMBER_ORGS_FROM: &str = "FROM organizations o \
            JOIN organization_members m ON m.organization_id = o.id \
            WHERE m.user_id = $1 AND m.status = 'active'";
        const MEMBER_COLUMNS: &str =
            "id, organization_id, user_id, role, status, metadata, joined_at, updated_at";
        const INVITATION_COLUMNS: &str = "id, organization_id, email, role, status, invited_by, \
            message, email_sent, expires_at, created_at";
        const ROLE_COLUMNS: &str =
            "id, organization_id, name, description, permissions, created_at, updated_at";
        const KEY_COLUMNS: &str = "id, organization_id, user_id, name, key_prefix, scopes, \
            rate_limit_per_min, is_active, last_used_at, expires_at, revoked_at, created_at, \
            updated_at, key_hash";

        const POLICY_COLUMNS: &str = "id, organization_id, name, description, effect, priority, \
            enabled, target_type, target_id, resource_type, resource_pattern, actions, conditions, \
            rules, expires_at, created_by, created_at, updated_at";

        fn policy_from_row(row: &$row) -> Result<Policy> {
            let effect = text(row, "effect")?;
            let target = text(row, "target_type")?;
            let priority: i32 = row.try_get("priority").map_err(from_sqlx)?;
            Ok(Policy {
                id: PolicyId::from_uuid($codec::id(row, "id")?),
                organization_id: $codec::opt_id(row, "organization_id")?.map(OrgId::from_uuid),
                name: text(row, "name")?,
                description: opt_text(row, "description")?,
                effect: Effect::parse(&effect)
                    .ok_or_else(|| Error::internal(format!("stored effect {effect:?}")))?,
                priority,
                enabled: flag(row, "enabled")?,
                target_type: TargetType::parse(&target)
                    .ok_or_else(|| Error::internal(format!("stored target {target:?}")))?,
                target_id: $codec::opt_id(row, "target_id")?,
                resource_type: opt_text(row, "resource_type")?,
                resource_pattern: opt_text(row, "resource_pattern")?,
                actions: serde_json::from_value($codec::json(row, "actions")?).unwrap_or_default(),
                conditions: $codec::json(row, "conditions")?,
                rules: $codec::json(row, "rules")?,
                expires_at: $codec::opt_time(row, "expires_at")?,
                created_by: $codec::opt_id(row, "created_by")?.map(UserId::from_uuid),
                created_at: $codec::time(row, "created_at")?,
                updated_at: $codec::time(row, "updated_at")?,
            })
        }

        fn text(row: &$row, col: &str) -> Result<String> {
            row.try_get::<String, _>(col).map_err(from_sqlx)
        }

        fn opt_text(row: &$row, col: &str) -> Result<Option<String>> {
            row.try_get::<Option<String>, _>(col).map_err(from_sqlx)
        }

        fn flag(row: &$row, col: &str) -> Result<bool> {
            row.try_get::<bool, _>(col).map_err(from_sqlx)
        }

        fn count(row: &$row, col: &str) -> Result<i64> {
            row.try_get::<i64, _>(col).map_err(from_sqlx)
        }

        fn org_role(raw: &str) -> Result<OrgRole> {
            OrgRole::parse(raw).ok_or_else(|| Error::internal(format!("stored role {raw:?}")))
        }

        fn permissions(value: Value) -> Vec<Permission> {
            serde_json::from_value::<Vec<String>>(value)
                .unwrap_or_default()
                .iter()
                .filter_map(|p| Permission::parse(p))
                .collect()
        }

        fn permission_json(list: &[Permission]) -> Value {
            Value::Array(
                list.iter()
                    .map(|p| Value::String(p.as_str().to_owned()))
                    .collect(),
            )
        }

        fn org_from_row(row: &$row) -> Result<Org> {
            Ok(Org {
                id: OrgId::from_uuid($codec::id(row, "id")?),
                name: text(row, "name")?,
                slug: text(row, "slug")?,
                description: opt_text(row, "description")?,
                logo_url: opt_text(row, "logo_url")?,
                billing_email: opt_text(row, "billing_email")?,
                plan: text(row, "plan")?,
                subscription_status: opt_text(row, "subscription_status")?,
                settings: $codec::json(row, "settings")?,
                parent_id: $codec::opt_id(row, "parent_id")?.map(OrgId::from_uuid),
                owner_id: $codec::opt_id(row, "owner_id")?.map(UserId::from_uuid),
                require_mfa: flag(row, "require_mfa")?,
                member_count: count(row, "member_count")?,
                created_at: $codec::time(row, "created_at")?,
                updated_at: $codec::time(row, "updated_at")?,
            })
        }

        fn member_from_row(row: &$row) -> Result<Member> {
            Ok(Member {
                id: $codec::id(row, "id")?,
                organization_id: OrgId::from_uuid($codec::id(row, "organization_id")?),
                user_id: UserId::from_uuid($codec::id(row, "user_id")?),
                role: org_role(&text(row, "role")?)?,
                status: text(row, "status")?,
                metadata: $codec::json(row, "metadata")?,
                joined_at: $codec::time(row, "joined_at")?,
                updated_at: $codec::time(row, "updated_at")?,
            })
        }

        fn invitation_from_row(row: &$row) -> Result<Invitation> {
            let status = text(row, "status")?;
            Ok(Invitation {
                id: InvitationId::from_uuid($codec::id(row, "id")?),
                organization_id: OrgId::from_uuid($codec::id(row, "organization_id")?),
                email: text(row, "email")?,
                role: org_role(&text(row, "role")?)?,
                status: InvitationStatus::parse(&status)
                    .ok_or_else(|| Error::internal(format!("stored status {status:?}")))?,
                invited_by: $codec::opt_id(row, "invited_by")?.map(UserId::from_uuid),
                message: opt_text(row, "message")?,
                email_sent: flag(row, "email_sent")?,
                expires_at: $codec::time(row, "expires_at")?,
                created_at: $codec::time(row, "created_at")?,
            })
        }

        fn role_from_row(row: &$row) -> Result<Role> {
            Ok(Role {
                id: RoleId::from_uuid($codec::id(row, "id")?),
                organization_id: OrgId::from_uuid($codec::id(row, "organization_id")?),
                name: text(row, "name")?,
                description: opt_text(row, "description")?,
                permissions: permissions($codec::json(row, "permissions")?),
                created_at: $codec::time(row, "created_at")?,
                updated_at: $codec::time(row, "updated_at")?,
            })
        }

        fn key_from_row(row: &$row) -> Result<ApiKey> {
            let limit: i32 = row.try_get("rate_limit_per_min").map_err(from_sqlx)?;
            Ok(ApiKey {
                id: ApiKeyId::from_uuid($codec::id(row, "id")?),
                organization_id: OrgId::from_uuid($codec::id(row, "organization_id")?),
                user_id: $codec::opt_id(row, "user_id")?.map(UserId::from_uuid),
                name: text(row, "name")?,
                key_prefix: text(row, "key_prefix")?,
                scopes: permissions($codec::json(row, "scopes")?),
                rate_limit_per_min: u32::try_from(limit).unwrap_or(1),
                is_active: flag(row, "is_active")?,
                last_used_at: $codec::opt_time(row, "last_used_at")?,
                expires_at: $codec::opt_time(row, "expires_at")?,
                revoked_at: $codec::opt_time(row, "revoked_at")?,
                created_at: $codec::time(row, "created_at")?,
                updated_at: $codec::time(row, "updated_at")?,
            })
        }

        fn total(n: i64) -> u64 {
            u64::try_from(n).unwrap_or(0)
        }

        #[async_trait]
        impl OrgStore for $store {
            async fn create_org(&self, org: &NewOrg, audit: &[AuditEntry]) -> Result<Org> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                sqlx::query(
                    "INSERT INTO organizations (id, name, slug, description, billing_email, \
                     parent_id, owner_id, settings, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
                )
                .bind($codec::enc_id(org.id.as_uuid()))
                .bind(&org.name)
                .bind(&org.slug)
                .bind(&org.description)
                .bind(&org.billing_email)
                .bind(org.parent_id.map(|p| $codec::enc_id(p.as_uuid())))
                .bind($codec::enc_id(org.owner_id.as_uuid()))
                .bind($codec::enc_json(&Value::Object(Default::default()))?)
                .bind($codec::enc_time(org.created_at))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                sqlx::query(
                    "INSERT INTO organization_members (id, organization_id, user_id, role, \
                     metadata, joined_at, updated_at) VALUES ($1, $2, $3, 'owner', $4, $5, $5)",
                )
                .bind($codec::enc_id(uuid::Uuid::now_v7()))
                .bind($codec::enc_id(org.id.as_uuid()))
                .bind($codec::enc_id(org.owner_id.as_uuid()))
                .bind($codec::enc_json(&Value::Object(Default::default()))?)
                .bind($codec::enc_time(org.created_at))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                $audit(&mut tx, audit).await?;
                tx.commit().await.map_err(from_sqlx)?;
                self.get_org(org.id).await?.ok_or(Error::NotFound)
            }

            async fn get_org(&self, id: OrgId) -> Result<Option<Org>> {
                let row = sqlx::query(&format!("SELECT {ORG_COLUMNS} FROM organizations o WHERE o.id = $1"))
                    .bind($codec::enc_id(id.as_uuid()))
                    .fetch_optional(self.$read())
                    .await
                    .map_err(from_sqlx)?;
                row.as_ref().map(org_from_row).transpose()
            }

            async fn get_org_by_slug(&self, slug: &str) -> Result<Option<Org>> {
                let row = sqlx::query(&format!(
                    "SELECT {ORG_COLUMNS} FROM organizations o WHERE o.slug = $1"
                ))
                    .bind(slug)
                    .fetch_optional(self.$read())
                    .await
                    .map_err(from_sqlx)?;
                row.as_ref().map(org_from_row).transpose()
            }

            async fn list_user_orgs(
                &self,
                user: UserId,
                page: Page,
            ) -> Result<(Vec<(Org, OrgRole)>, u64)> {
                let rows = sqlx::query(&format!(
                    "SELECT {ORG_COLUMNS}, m.role AS member_role {MEMBER_ORGS_FROM} \
                     ORDER BY m.joined_at, o.id LIMIT $2 OFFSET $3"
                ))
                .bind($codec::enc_id(user.as_uuid()))
                .bind(page.limit())
                .bind(page.offset())
                .fetch_all(self.$read())
                .await
                .map_err(from_sqlx)?;
                let out = rows
                    .iter()
                    .map(|row| Ok((org_from_row(row)?, org_role(&text(row, "member_role")?)?)))
                    .collect::<Result<Vec<_>>>()?;
                let n = sqlx::query(&format!("SELECT COUNT(*) AS n {MEMBER_ORGS_FROM}"))
                    .bind($codec::enc_id(user.as_uuid()))
                    .fetch_one(self.$read())
                    .await
                    .map_err(from_sqlx)?;
                Ok((out, total(count(&n, "n")?)))
            }

            async fn list_member_orgs(&self, user: UserId) -> Result<Vec<(Org, OrgRole)>> {
                let rows = sqlx::query(&format!(
                    "SELECT {ORG_COLUMNS}, m.role AS member_role {MEMBER_ORGS_FROM} \
                     ORDER BY m.joined_at, o.id"
                ))
                .bind($codec::enc_id(user.as_uuid()))
                .fetch_all(self.$read())
                .await
                .map_err(from_sqlx)?;
                rows.iter()
                    .map(|row| Ok((org_from_row(row)?, org_role(&text(row, "member_role")?)?)))
                    .collect()
            }

            async fn list_all_orgs(
                &self,
                search: Option<&str>,
                page: Page,
            ) -> Result<(Vec<Org>, u64)> {
                let pattern = search.map(|s| {
                    format!(
                        "%{}%",
                        s.to_lowercase().replace('%', "").replace('_', "")
                    )
                });
                let filter = "($1 IS NULL OR LOWER(o.name) LIKE $1 OR o.slug LIKE $1)";
                let rows = sqlx::query(&format!(
                    "SELECT {ORG_COLUMNS} FROM organizations o WHERE {filter} \
                     ORDER BY o.created_at, o.id LIMIT $2 OFFSET $3"
                ))
                .bind(pattern.clone())
                .bind(page.limit())
                .bind(page.offset())
                .fetch_all(self.$read())
                .await
                .map_err(from_sqlx)?;
                let orgs = rows.iter().map(org_from_row).collect::<Result<Vec<_>>>()?;
                let n = sqlx::query(&format!(
                    "SELECT COUNT(*) AS n FROM organizations o WHERE {filter}"
                ))
                .bind(pattern)
                .fetch_one(self.$read())
                .await
                .map_err(from_sqlx)?;
                Ok((orgs, total(count(&n, "n")?)))
            }

            async fn update_org(
                &self,
                id: OrgId,
                update: &OrgUpdate,
                at: DateTime<Utc>,
                audit: &[AuditEntry],
            ) -> Result<Org> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                let done = sqlx::query(
                    "UPDATE organizations SET \
                     name = COALESCE($2, name), \
                     description = CASE WHEN $3 THEN $4 ELSE description END, \
                     logo_url = CASE WHEN $5 THEN $6 ELSE logo_url END, \
                     billing_email = CASE WHEN $7 THEN $8 ELSE billing_email END, \
                     settings = COALESCE($9, settings), \
                     require_mfa = COALESCE($10, require_mfa), \
                     updated_at = $11 WHERE id = $1",
                )
                .bind($codec::enc_id(id.as_uuid()))
                .bind(&update.name)
                .bind(update.description.is_some())
                .bind(update.description.clone().flatten())
                .bind(update.logo_url.is_some())
                .bind(update.logo_url.clone().flatten())
                .bind(update.billing_email.is_some())
                .bind(update.billing_email.clone().flatten())
                .bind(update.settings.as_ref().map($codec::enc_json).transpose()?)
                .bind(update.require_mfa)
                .bind($codec::enc_time(at))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                if done.rows_affected() == 0 {
                    return Err(Error::NotFound);
                }
                $audit(&mut tx, audit).await?;
                tx.commit().await.map_err(from_sqlx)?;
                self.get_org(id).await?.ok_or(Error::NotFound)
            }

            async fn delete_org(&self, id: OrgId, audit: &[AuditEntry]) -> Result<bool> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                let done = sqlx::query("DELETE FROM organizations WHERE id = $1")
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

            async fn transfer_ownership(
                &self,
                id: OrgId,
                from: UserId,
                to: UserId,
                at: DateTime<Utc>,
                audit: &[AuditEntry],
            ) -> Result<()> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                lock(&mut tx, id).await?;
                sqlx::query(
                    "UPDATE organization_members SET role = 'owner', updated_at = $3 \
                     WHERE organization_id = $1 AND user_id = $2",
                )
                .bind($codec::enc_id(id.as_uuid()))
                .bind($codec::enc_id(to.as_uuid()))
                .bind($codec::enc_time(at))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                if from != to {
                    sqlx::query(
                        "UPDATE organization_members SET role = 'admin', updated_at = $3 \
                         WHERE organization_id = $1 AND user_id = $2",
                    )
                    .bind($codec::enc_id(id.as_uuid()))
                    .bind($codec::enc_id(from.as_uuid()))
                    .bind($codec::enc_time(at))
                    .execute(&mut *tx)
                    .await
                    .map_err(from_sqlx)?;
                }
                sqlx::query("UPDATE organizations SET owner_id = $2, updated_at = $3 WHERE id = $1")
                    .bind($codec::enc_id(id.as_uuid()))
                    .bind($codec::enc_id(to.as_uuid()))
                    .bind($codec::enc_time(at))
                    .execute(&mut *tx)
                    .await
                    .map_err(from_sqlx)?;
                $audit(&mut tx, audit).await?;
                tx.commit().await.map_err(from_sqlx)
            }

            async fn get_member(&self, org: OrgId, user: UserId) -> Result<Option<Member>> {
                let row = sqlx::query(&format!(
                    "SELECT {MEMBER_COLUMNS} FROM organization_members \
                     WHERE organization_id = $1 AND user_id = $2"
                ))
                .bind($codec::enc_id(org.as_uuid()))
                .bind($codec::enc_id(user.as_uuid()))
                .fetch_optional(self.$read())
                .await
                .map_err(from_sqlx)?;
                row.as_ref().map(member_from_row).transpose()
            }

            async fn list_members(&self, org: OrgId) -> Result<Vec<Member>> {
                let rows = sqlx::query(&format!(
                    "SELECT {MEMBER_COLUMNS} FROM organization_members \
                     WHERE organization_id = $1 ORDER BY joined_at, id"
                ))
                .bind($codec::enc_id(org.as_uuid()))
                .fetch_all(self.$read())
                .await
                .map_err(from_sqlx)?;
                rows.iter().map(member_from_row).collect()
            }

            async fn list_memberships(&self, user: UserId) -> Result<Vec<Member>> {
                let rows = sqlx::query(&format!(
                    "SELECT {MEMBER_COLUMNS} FROM organization_members \
                     WHERE user_id = $1 AND status = 'active' ORDER BY joined_at, id"
                ))
                .bind($codec::enc_id(user.as_uuid()))
                .fetch_all(self.$read())
                .await
                .map_err(from_sqlx)?;
                rows.iter().map(member_from_row).collect()
            }

            async fn add_member(&self, member: &NewMember, audit: &[AuditEntry]) -> Result<Member> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                insert_member(&mut tx, member).await?;
                $audit(&mut tx, audit).await?;
                tx.commit().await.map_err(from_sqlx)?;
                self.get_member(member.organization_id, member.user_id)
                    .await?
                    .ok_or(Error::NotFound)
            }

            async fn set_member_role(
                &self,
                org: OrgId,
                user: UserId,
                role: OrgRole,
                at: DateTime<Utc>,
                audit: &[AuditEntry],
            ) -> Result<Option<Member>> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                lock(&mut tx, org).await?;
                if role != OrgRole::Owner {
                    refuse_last_owner(&mut tx, org, user).await?;
                }
                let done = sqlx::query(
                    "UPDATE organization_members SET role = $3, updated_at = $4 \
                     WHERE organization_id = $1 AND user_id = $2",
                )
                .bind($codec::enc_id(org.as_uuid()))
                .bind($codec::enc_id(user.as_uuid()))
                .bind(role.as_str())
                .bind($codec::enc_time(at))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                if done.rows_affected() == 0 {
                    return Ok(None);
                }
                $audit(&mut tx, audit).await?;
                tx.commit().await.map_err(from_sqlx)?;
                self.get_member(org, user).await
            }

            async fn remove_member(
                &self,
                org: OrgId,
                user: UserId,
                audit: &[AuditEntry],
            ) -> Result<bool> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                lock(&mut tx, org).await?;
                refuse_last_owner(&mut tx, org, user).await?;
                let done = sqlx::query(
                    "DELETE FROM organization_members WHERE organization_id = $1 AND user_id = $2",
                )
                .bind($codec::enc_id(org.as_uuid()))
                .bind($codec::enc_id(user.as_uuid()))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                if done.rows_affected() == 0 {
                    return Ok(false);
                }
                sqlx::query("DELETE FROM user_roles WHERE organization_id = $1 AND user_id = $2")
                    .bind($codec::enc_id(org.as_uuid()))
                    .bind($codec::enc_id(user.as_uuid()))
                    .execute(&mut *tx)
                    .await
                    .map_err(from_sqlx)?;
                $audit(&mut tx, audit).await?;
                tx.commit().await.map_err(from_sqlx)?;
                Ok(true)
            }

            async fn create_invitation(
                &self,
                invitation: &NewInvitation,
                audit: &[AuditEntry],
            ) -> Result<Invitation> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                // An expired pending invitation must not block a new one for the same email.
                sqlx::query(
                    "UPDATE invitations SET status = 'expired', updated_at = $3 \
                     WHERE organization_id = $1 AND email_normalized = $2 \
                     AND status = 'pending' AND expires_at <= $3",
                )
                .bind($codec::enc_id(invitation.organization_id.as_uuid()))
                .bind(&invitation.email_normalized)
                .bind($codec::enc_time(invitation.created_at))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                sqlx::query(
                    "INSERT INTO invitations (id, organization_id, email, email_normalized, role, \
                     token_hash, message, invited_by, expires_at, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
                )
                .bind($codec::enc_id(invitation.id.as_uuid()))
                .bind($codec::enc_id(invitation.organization_id.as_uuid()))
                .bind(&invitation.email)
                .bind(&invitation.email_normalized)
                .bind(invitation.role.as_str())
                .bind(&invitation.token_hash)
                .bind(&invitation.message)
                .bind(invitation.invited_by.map(|u| $codec::enc_id(u.as_uuid())))
                .bind($codec::enc_time(invitation.expires_at))
                .bind($codec::enc_time(invitation.created_at))
                .execute(&mut *tx)
                .await
                .map_err(|e| match from_sqlx(e) {
                    Error::Conflict { .. } => Error::Conflict {
                        what: "invitation".to_owned(),
                    },
                    other => other,
                })?;
                $audit(&mut tx, audit).await?;
                tx.commit().await.map_err(from_sqlx)?;
                self.get_invitation(invitation.id)
                    .await?
                    .ok_or(Error::NotFound)
            }

            async fn get_invitation(&self, id: InvitationId) -> Result<Option<Invitation>> {
                let row = sqlx::query(&format!(
                    "SELECT {INVITATION_COLUMNS} FROM invitations WHERE id = $1"
                ))
                .bind($codec::enc_id(id.as_uuid()))
                .fetch_optional(self.$read())
                .await
                .map_err(from_sqlx)?;
                row.as_ref().map(invitation_from_row).transpose()
            }

            async fn find_invitation_by_token(&self, token_hash: &str) -> Result<Option<Invitation>> {
                let row = sqlx::query(&format!(
                    "SELECT {INVITATION_COLUMNS} FROM invitations WHERE token_hash = $1"
                ))
                .bind(token_hash)
                .fetch_optional(self.$read())
                .await
                .map_err(from_sqlx)?;
                row.as_ref().map(invitation_from_row).transpose()
            }

            async fn list_invitations(&self, org: OrgId) -> Result<Vec<Invitation>> {
                let rows = sqlx::query(&format!(
                    "SELECT {INVITATION_COLUMNS} FROM invitations WHERE organization_id = $1 \
                     ORDER BY created_at DESC, id"
                ))
                .bind($codec::enc_id(org.as_uuid()))
                .fetch_all(self.$read())
                .await
                .map_err(from_sqlx)?;
                rows.iter().map(invitation_from_row).collect()
            }

            async fn update_invitation(
                &self,
                id: InvitationId,
                role: Option<OrgRole>,
                message: Option<Option<String>>,
                expires_at: Option<DateTime<Utc>>,
                at: DateTime<Utc>,
            ) -> Result<Option<Invitation>> {
                let done = sqlx::query(
                    "UPDATE invitations SET role = COALESCE($2, role), \
                     message = CASE WHEN $3 THEN $4 ELSE message END, \
                     expires_at = COALESCE($5, expires_at), updated_at = $6 \
                     WHERE id = $1 AND status = 'pending'",
                )
                .bind($codec::enc_id(id.as_uuid()))
                .bind(role.map(|r| r.as_str()))
                .bind(message.is_some())
                .bind(message.flatten())
                .bind(expires_at.map($codec::enc_time))
                .bind($codec::enc_time(at))
                .execute(self.$write())
                .await
                .map_err(from_sqlx)?;
                if done.rows_affected() == 0 {
                    return Ok(None);
                }
                self.get_invitation(id).await
            }

            async fn set_invitation_status(
                &self,
                id: InvitationId,
                status: InvitationStatus,
                at: DateTime<Utc>,
                audit: &[AuditEntry],
            ) -> Result<bool> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                let done = sqlx::query(
                    "UPDATE invitations SET status = $2, updated_at = $3 \
                     WHERE id = $1 AND status = 'pending'",
                )
                .bind($codec::enc_id(id.as_uuid()))
                .bind(status.as_str())
                .bind($codec::enc_time(at))
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

            async fn renew_invitation(
                &self,
                id: InvitationId,
                token_hash: &str,
                expires_at: DateTime<Utc>,
                at: DateTime<Utc>,
            ) -> Result<bool> {
                let done = sqlx::query(
                    "UPDATE invitations SET token_hash = $2, expires_at = $3, updated_at = $4 \
                     WHERE id = $1 AND status = 'pending'",
                )
                .bind($codec::enc_id(id.as_uuid()))
                .bind(token_hash)
                .bind($codec::enc_time(expires_at))
                .bind($codec::enc_time(at))
                .execute(self.$write())
                .await
                .map_err(from_sqlx)?;
                Ok(done.rows_affected() > 0)
            }

            async fn mark_invitation_sent(&self, id: InvitationId) -> Result<()> {
                sqlx::query("UPDATE invitations SET email_sent = TRUE WHERE id = $1")
                    .bind($codec::enc_id(id.as_uuid()))
                    .execute(self.$write())
                    .await
                    .map_err(from_sqlx)?;
                Ok(())
            }

            async fn accept_invitation(
                &self,
                id: InvitationId,
                member: &NewMember,
                at: DateTime<Utc>,
                audit: &[AuditEntry],
            ) -> Result<bool> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                let done = sqlx::query(
                    "UPDATE invitations SET status = 'accepted', accepted_by = $2, \
                     accepted_at = $3, updated_at = $3 \
                     WHERE id = $1 AND status = 'pending' AND expires_at > $3",
                )
                .bind($codec::enc_id(id.as_uuid()))
                .bind($codec::enc_id(member.user_id.as_uuid()))
                .bind($codec::enc_time(at))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                if done.rows_affected() == 0 {
                    return Ok(false);
                }
                insert_member(&mut tx, member).await?;
                $audit(&mut tx, audit).await?;
                tx.commit().await.map_err(from_sqlx)?;
                Ok(true)
            }

            async fn set_session_organization(
                &self,
                session: SessionId,
                org: Option<OrgId>,
            ) -> Result<()> {
                sqlx::query("UPDATE sessions SET organization_id = $2 WHERE id = $1")
                    .bind($codec::enc_id(session.as_uuid()))
                    .bind(org.map(|o| $codec::enc_id(o.as_uuid())))
                    .execute(self.$write())
                    .await
                    .map_err(from_sqlx)?;
                Ok(())
            }

            async fn session_organization(&self, session: SessionId) -> Result<Option<OrgId>> {
                let row = sqlx::query("SELECT organization_id FROM sessions WHERE id = $1")
                    .bind($codec::enc_id(session.as_uuid()))
                    .fetch_optional(self.$read())
                    .await
                    .map_err(from_sqlx)?;
                match row {
                    Some(row) => Ok($codec::opt_id(&row, "organization_id")?.map(OrgId::from_uuid)),
                    None => Ok(None),
                }
            }
        }

        async fn lock(
            tx: &mut sqlx::Transaction<'_, <$row as sqlx::Row>::Database>,
            org: OrgId,
        ) -> Result<()> {
            sqlx::query(&format!("SELECT id FROM organizations WHERE id = $1{}", $lock))
                .bind($codec::enc_id(org.as_uuid()))
                .fetch_optional(&mut **tx)
                .await
                .map_err(from_sqlx)?
                .ok_or(Error::NotFound)?;
            Ok(())
        }

        /// Refuses to take away the owner role of the organization's last owner.
        async fn refuse_last_owner(
            tx: &mut sqlx::Transaction<'_, <$row as sqlx::Row>::Database>,
            org: OrgId,
            user: UserId,
        ) -> Result<()> {
            let row = sqlx::query(
                "SELECT \
                 (SELECT COUNT(*) FROM organization_members WHERE organization_id = $1 AND role = 'owner') AS owners, \
                 (SELECT COUNT(*) FROM organization_members WHERE organization_id = $1 AND user_id = $2 AND role = 'owner') AS is_owner",
            )
            .bind($codec::enc_id(org.as_uuid()))
            .bind($codec::enc_id(user.as_uuid()))
            .fetch_one(&mut **tx)
            .await
            .map_err(from_sqlx)?;
            if count(&row, "is_owner")? > 0 && count(&row, "owners")? <= 1 {
                return Err(Error::auth(AuthFailure::SoleAdmin));
            }
            Ok(())
        }

        async fn insert_member(
            tx: &mut sqlx::Transaction<'_, <$row as sqlx::Row>::Database>,
            member: &NewMember,
        ) -> Result<()> {
            sqlx::query(
                "INSERT INTO organization_members (id, organization_id, user_id, role, metadata, \
                 invited_by, joined_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
            )
            .bind($codec::enc_id(member.id))
            .bind($codec::enc_id(member.organization_id.as_uuid()))
            .bind($codec::enc_id(member.user_id.as_uuid()))
            .bind(member.role.as_str())
            .bind($codec::enc_json(&Value::Object(Default::default()))?)
            .bind(member.invited_by.map(|u| $codec::enc_id(u.as_uuid())))
            .bind($codec::enc_time(member.joined_at))
            .execute(&mut **tx)
            .await
            .map_err(|e| match from_sqlx(e) {
                Error::Conflict { .. } => Error::Conflict {
                    what: "member".to_owned(),
                },
                other => other,
            })?;
            Ok(())
        }

        #[async_trait]
        impl RbacStore for $store {
            async fn create_role(&self, role: &Role, audit: &[AuditEntry]) -> Result<Role> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                sqlx::query(
                    "INSERT INTO roles (id, organization_id, name, description, permissions, \
                     is_system, level, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, FALSE, 0, $6, $6)",
                )
                .bind($codec::enc_id(role.id.as_uuid()))
                .bind($codec::enc_id(role.organization_id.as_uuid()))
                .bind(&role.name)
                .bind(&role.description)
                .bind($codec::enc_json(&permission_json(&role.permissions))?)
                .bind($codec::enc_time(role.created_at))
                .execute(&mut *tx)
                .await
                .map_err(|e| match from_sqlx(e) {
                    Error::Conflict { .. } => Error::Conflict {
                        what: "role".to_owned(),
                    },
                    other => other,
                })?;
                $audit(&mut tx, audit).await?;
                tx.commit().await.map_err(from_sqlx)?;
                self.get_role(role.id).await?.ok_or(Error::NotFound)
            }

            async fn get_role(&self, id: RoleId) -> Result<Option<Role>> {
                let row = sqlx::query(&format!(
                    "SELECT {ROLE_COLUMNS} FROM roles WHERE id = $1 AND organization_id IS NOT NULL"
                ))
                .bind($codec::enc_id(id.as_uuid()))
                .fetch_optional(self.$read())
                .await
                .map_err(from_sqlx)?;
                row.as_ref().map(role_from_row).transpose()
            }

            async fn find_role_by_name(&self, org: OrgId, name: &str) -> Result<Option<Role>> {
                let row = sqlx::query(&format!(
                    "SELECT {ROLE_COLUMNS} FROM roles WHERE organization_id = $1 AND name = $2"
                ))
                .bind($codec::enc_id(org.as_uuid()))
                .bind(name)
                .fetch_optional(self.$read())
                .await
                .map_err(from_sqlx)?;
                row.as_ref().map(role_from_row).transpose()
            }

            async fn list_roles(&self, org: OrgId) -> Result<Vec<Role>> {
                let rows = sqlx::query(&format!(
                    "SELECT {ROLE_COLUMNS} FROM roles WHERE organization_id = $1 ORDER BY name"
                ))
                .bind($codec::enc_id(org.as_uuid()))
                .fetch_all(self.$read())
                .await
                .map_err(from_sqlx)?;
                rows.iter().map(role_from_row).collect()
            }

            async fn update_role(
                &self,
                id: RoleId,
                update: &RoleUpdate,
                at: DateTime<Utc>,
                audit: &[AuditEntry],
            ) -> Result<Option<Role>> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                let done = sqlx::query(
                    "UPDATE roles SET name = COALESCE($2, name), \
                     description = CASE WHEN $3 THEN $4 ELSE description END, \
                     permissions = COALESCE($5, permissions), updated_at = $6 \
                     WHERE id = $1 AND organization_id IS NOT NULL",
                )
                .bind($codec::enc_id(id.as_uuid()))
                .bind(&update.name)
                .bind(update.description.is_some())
                .bind(update.description.clone().flatten())
                .bind(
                    update
                        .permissions
                        .as_ref()
                        .map(|p| $codec::enc_json(&permission_json(p)))
                        .transpose()?,
                )
                .bind($codec::enc_time(at))
                .execute(&mut *tx)
                .await
                .map_err(|e| match from_sqlx(e) {
                    Error::Conflict { .. } => Error::Conflict {
                        what: "role".to_owned(),
                    },
                    other => other,
                })?;
                if done.rows_affected() == 0 {
                    return Ok(None);
                }
                $audit(&mut tx, audit).await?;
                tx.commit().await.map_err(from_sqlx)?;
                self.get_role(id).await
            }

            async fn delete_role(&self, id: RoleId, audit: &[AuditEntry]) -> Result<bool> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                let done = sqlx::query(
                    "DELETE FROM roles WHERE id = $1 AND organization_id IS NOT NULL",
                )
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

            async fn assign_role(
                &self,
                org: OrgId,
                user: UserId,
                role: RoleId,
                granted_by: Option<UserId>,
                at: DateTime<Utc>,
                audit: &[AuditEntry],
            ) -> Result<()> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                sqlx::query(
                    "INSERT INTO user_roles (id, organization_id, user_id, role_id, granted_by, \
                     created_at) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (organization_id, user_id, role_id) DO NOTHING",
                )
                .bind($codec::enc_id(uuid::Uuid::now_v7()))
                .bind($codec::enc_id(org.as_uuid()))
                .bind($codec::enc_id(user.as_uuid()))
                .bind($codec::enc_id(role.as_uuid()))
                .bind(granted_by.map(|u| $codec::enc_id(u.as_uuid())))
                .bind($codec::enc_time(at))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                $audit(&mut tx, audit).await?;
                tx.commit().await.map_err(from_sqlx)
            }

            async fn create_policy(&self, p: &Policy, audit: &[AuditEntry]) -> Result<Policy> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                sqlx::query(
                    "INSERT INTO policies (id, organization_id, name, description, effect, \
                     priority, enabled, target_type, target_id, resource_type, resource_pattern, \
                     actions, conditions, rules, expires_at, created_by, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
                     $16, $17, $17)",
                )
                .bind($codec::enc_id(p.id.as_uuid()))
                .bind(p.organization_id.map(|o| $codec::enc_id(o.as_uuid())))
                .bind(&p.name)
                .bind(&p.description)
                .bind(p.effect.as_str())
                .bind(p.priority)
                .bind(p.enabled)
                .bind(p.target_type.as_str())
                .bind(p.target_id.map($codec::enc_id))
                .bind(&p.resource_type)
                .bind(&p.resource_pattern)
                .bind($codec::enc_json(&serde_json::json!(p.actions))?)
                .bind($codec::enc_json(&p.conditions)?)
                .bind($codec::enc_json(&p.rules)?)
                .bind(p.expires_at.map($codec::enc_time))
                .bind(p.created_by.map(|u| $codec::enc_id(u.as_uuid())))
                .bind($codec::enc_time(p.created_at))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                $audit(&mut tx, audit).await?;
                tx.commit().await.map_err(from_sqlx)?;
                self.get_policy(p.id).await?.ok_or(Error::NotFound)
            }

            async fn get_policy(&self, id: PolicyId) -> Result<Option<Policy>> {
                let row = sqlx::query(&format!("SELECT {POLICY_COLUMNS} FROM policies WHERE id = $1"))
                    .bind($codec::enc_id(id.as_uuid()))
                    .fetch_optional(self.$read())
                    .await
                    .map_err(from_sqlx)?;
                row.as_ref().map(policy_from_row).transpose()
            }

            async fn list_policies(
                &self,
                org: Option<OrgId>,
                page: Page,
            ) -> Result<(Vec<Policy>, u64)> {
                let filter = "($1 IS NULL OR organization_id = $1)";
                let rows = sqlx::query(&format!(
                    "SELECT {POLICY_COLUMNS} FROM policies WHERE {filter} \
                     ORDER BY priority DESC, created_at, id LIMIT $2 OFFSET $3"
                ))
                .bind(org.map(|o| $codec::enc_id(o.as_uuid())))
                .bind(page.limit())
                .bind(page.offset())
                .fetch_all(self.$read())
                .await
                .map_err(from_sqlx)?;
                let list = rows.iter().map(policy_from_row).collect::<Result<Vec<_>>>()?;
                let n = sqlx::query(&format!("SELECT COUNT(*) AS n FROM policies WHERE {filter}"))
                    .bind(org.map(|o| $codec::enc_id(o.as_uuid())))
                    .fetch_one(self.$read())
                    .await
                    .map_err(from_sqlx)?;
                Ok((list, total(count(&n, "n")?)))
            }

            async fn update_policy(&self, p: &Policy, audit: &[AuditEntry]) -> Result<Option<Policy>> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                let done = sqlx::query(
                    "UPDATE policies SET name = $2, description = $3, effect = $4, priority = $5, \
                     enabled = $6, target_type = $7, target_id = $8, resource_type = $9, \
                     resource_pattern = $10, actions = $11, conditions = $12, rules = $13, \
                     expires_at = $14, updated_at = $15 WHERE id = $1",
                )
                .bind($codec::enc_id(p.id.as_uuid()))
                .bind(&p.name)
                .bind(&p.description)
                .bind(p.effect.as_str())
                .bind(p.priority)
                .bind(p.enabled)
                .bind(p.target_type.as_str())
                .bind(p.target_id.map($codec::enc_id))
                .bind(&p.resource_type)
                .bind(&p.resource_pattern)
                .bind($codec::enc_json(&serde_json::json!(p.actions))?)
                .bind($codec::enc_json(&p.conditions)?)
                .bind($codec::enc_json(&p.rules)?)
                .bind(p.expires_at.map($codec::enc_time))
                .bind($codec::enc_time(p.updated_at))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                if done.rows_affected() == 0 {
                    return Ok(None);
                }
                $audit(&mut tx, audit).await?;
                tx.commit().await.map_err(from_sqlx)?;
                self.get_policy(p.id).await
            }

            async fn delete_policy(&self, id: PolicyId, audit: &[AuditEntry]) -> Result<bool> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                let done = sqlx::query("DELETE FROM policies WHERE id = $1")
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

            async fn applicable_policies(&self, org: OrgId) -> Result<Vec<Policy>> {
                let rows = sqlx::query(&format!(
                    "SELECT {POLICY_COLUMNS} FROM policies WHERE enabled = TRUE \
                     AND (organization_id = $1 OR organization_id IS NULL)"
                ))
                .bind($codec::enc_id(org.as_uuid()))
                .fetch_all(self.$read())
                .await
                .map_err(from_sqlx)?;
                rows.iter().map(policy_from_row).collect()
            }

            async fn user_roles(&self, org: OrgId, user: UserId) -> Result<Vec<Role>> {
                let rows = sqlx::query(
                    "SELECT r.id, r.organization_id, r.name, r.description, r.permissions, \
                     r.created_at, r.updated_at FROM roles r \
                     JOIN user_roles ur ON ur.role_id = r.id \
                     WHERE ur.organization_id = $1 AND ur.user_id = $2 ORDER BY r.name",
                )
                .bind($codec::enc_id(org.as_uuid()))
                .bind($codec::enc_id(user.as_uuid()))
                .fetch_all(self.$read())
                .await
                .map_err(from_sqlx)?;
                rows.iter().map(role_from_row).collect()
            }
        }

        #[async_trait]
        impl ApiKeyStore for $store {
            async fn create_api_key(&self, key: &NewApiKey, audit: &[AuditEntry]) -> Result<ApiKey> {
                let k = &key.key;
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                sqlx::query(
                    "INSERT INTO api_keys (id, organization_id, user_id, name, key_hash, \
                     key_prefix, scopes, rate_limit_per_min, is_active, expires_at, created_at, \
                     updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, TRUE, $9, $10, $10)",
                )
                .bind($codec::enc_id(k.id.as_uuid()))
                .bind($codec::enc_id(k.organization_id.as_uuid()))
                .bind(k.user_id.map(|u| $codec::enc_id(u.as_uuid())))
                .bind(&k.name)
                .bind(&key.key_hash)
                .bind(&k.key_prefix)
                .bind($codec::enc_json(&permission_json(&k.scopes))?)
                .bind(i32::try_from(k.rate_limit_per_min).unwrap_or(i32::MAX))
                .bind(k.expires_at.map($codec::enc_time))
                .bind($codec::enc_time(k.created_at))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                $audit(&mut tx, audit).await?;
                tx.commit().await.map_err(from_sqlx)?;
                self.get_api_key(k.id).await?.ok_or(Error::NotFound)
            }

            async fn get_api_key(&self, id: ApiKeyId) -> Result<Option<ApiKey>> {
                let row = sqlx::query(&format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = $1"))
                    .bind($codec::enc_id(id.as_uuid()))
                    .fetch_optional(self.$read())
                    .await
                    .map_err(from_sqlx)?;
                row.as_ref().map(key_from_row).transpose()
            }

            async fn find_api_key_by_hash(&self, key_hash: &str) -> Result<Option<(ApiKey, String)>> {
                let row = sqlx::query(&format!(
                    "SELECT {KEY_COLUMNS} FROM api_keys WHERE key_hash = $1"
                ))
                .bind(key_hash)
                .fetch_optional(self.$read())
                .await
                .map_err(from_sqlx)?;
                match row {
                    Some(row) => Ok(Some((key_from_row(&row)?, text(&row, "key_hash")?))),
                    None => Ok(None),
                }
            }

            async fn list_api_keys(
                &self,
                org: OrgId,
                include_inactive: bool,
                page: Page,
            ) -> Result<(Vec<ApiKey>, u64)> {
                let filter = "organization_id = $1 AND ($2 OR (is_active = TRUE AND revoked_at IS NULL))";
                let rows = sqlx::query(&format!(
                    "SELECT {KEY_COLUMNS} FROM api_keys WHERE {filter} \
                     ORDER BY created_at DESC, id LIMIT $3 OFFSET $4"
                ))
                .bind($codec::enc_id(org.as_uuid()))
                .bind(include_inactive)
                .bind(page.limit())
                .bind(page.offset())
                .fetch_all(self.$read())
                .await
                .map_err(from_sqlx)?;
                let keys = rows.iter().map(key_from_row).collect::<Result<Vec<_>>>()?;
                let n = sqlx::query(&format!("SELECT COUNT(*) AS n FROM api_keys WHERE {filter}"))
                    .bind($codec::enc_id(org.as_uuid()))
                    .bind(include_inactive)
                    .fetch_one(self.$read())
                    .await
                    .map_err(from_sqlx)?;
                Ok((keys, total(count(&n, "n")?)))
            }

            async fn count_api_keys(&self, org: OrgId) -> Result<u64> {
                let n = sqlx::query(
                    "SELECT COUNT(*) AS n FROM api_keys WHERE organization_id = $1 AND revoked_at IS NULL",
                )
                .bind($codec::enc_id(org.as_uuid()))
                .fetch_one(self.$read())
                .await
                .map_err(from_sqlx)?;
                Ok(total(count(&n, "n")?))
            }

            async fn update_api_key(
                &self,
                id: ApiKeyId,
                update: &ApiKeyUpdate,
                at: DateTime<Utc>,
                audit: &[AuditEntry],
            ) -> Result<Option<ApiKey>> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                let done = sqlx::query(
                    "UPDATE api_keys SET name = COALESCE($2, name), \
                     scopes = COALESCE($3, scopes), \
                     rate_limit_per_min = COALESCE($4, rate_limit_per_min), \
                     is_active = COALESCE($5, is_active), \
                     expires_at = CASE WHEN $6 THEN $7 ELSE expires_at END, updated_at = $8 \
                     WHERE id = $1",
                )
                .bind($codec::enc_id(id.as_uuid()))
                .bind(&update.name)
                .bind(
                    update
                        .scopes
                        .as_ref()
                        .map(|s| $codec::enc_json(&permission_json(s)))
                        .transpose()?,
                )
                .bind(
                    update
                        .rate_limit_per_min
                        .map(|r| i32::try_from(r).unwrap_or(i32::MAX)),
                )
                .bind(update.is_active)
                .bind(update.expires_at.is_some())
                .bind(update.expires_at.flatten().map($codec::enc_time))
                .bind($codec::enc_time(at))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                if done.rows_affected() == 0 {
                    return Ok(None);
                }
                $audit(&mut tx, audit).await?;
                tx.commit().await.map_err(from_sqlx)?;
                self.get_api_key(id).await
            }

            async fn rotate_api_key(
                &self,
                id: ApiKeyId,
                key_hash: &str,
                key_prefix: &str,
                at: DateTime<Utc>,
                audit: &[AuditEntry],
            ) -> Result<bool> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                let done = sqlx::query(
                    "UPDATE api_keys SET key_hash = $2, key_prefix = $3, updated_at = $4 \
                     WHERE id = $1 AND revoked_at IS NULL",
                )
                .bind($codec::enc_id(id.as_uuid()))
                .bind(key_hash)
                .bind(key_prefix)
                .bind($codec::enc_time(at))
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

            async fn revoke_api_key(
                &self,
                id: ApiKeyId,
                at: DateTime<Utc>,
                audit: &[AuditEntry],
            ) -> Result<bool> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                let done = sqlx::query(
                    "UPDATE api_keys SET revoked_at = $2, is_active = FALSE, updated_at = $2 \
                     WHERE id = $1 AND revoked_at IS NULL",
                )
                .bind($codec::enc_id(id.as_uuid()))
                .bind($codec::enc_time(at))
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

            async fn touch_api_key(&self, id: ApiKeyId, at: DateTime<Utc>) -> Result<()> {
                sqlx::query("UPDATE api_keys SET last_used_at = $2 WHERE id = $1")
                    .bind($codec::enc_id(id.as_uuid()))
                    .bind($codec::enc_time(at))
                    .execute(self.$write())
                    .await
                    .map_err(from_sqlx)?;
                Ok(())
            }
        }

        #[async_trait]
        impl AdminStore for $store {
            async fn platform_stats(&self, now: DateTime<Utc>) -> Result<PlatformStats> {
                let row = sqlx::query(
                    "SELECT \
                     (SELECT COUNT(*) FROM users WHERE status <> 'deleted') AS total_users, \
                     (SELECT COUNT(*) FROM users WHERE status = 'active') AS active_users, \
                     (SELECT COUNT(*) FROM mfa_totp t JOIN users u ON u.id = t.user_id \
                      WHERE t.verified_at IS NOT NULL AND u.status <> 'deleted') AS mfa_enabled_users, \
                     (SELECT COUNT(*) FROM organizations) AS total_organizations, \
                     (SELECT COUNT(*) FROM sessions WHERE revoked_at IS NULL AND expires_at > $1 \
                      AND absolute_expires_at > $1) AS active_sessions, \
                     (SELECT COUNT(*) FROM passkeys) AS total_passkeys",
                )
                .bind($codec::enc_time(now))
                .fetch_one(self.$read())
                .await
                .map_err(from_sqlx)?;
                Ok(PlatformStats {
                    total_users: total(count(&row, "total_users")?),
                    active_users: total(count(&row, "active_users")?),
                    mfa_enabled_users: total(count(&row, "mfa_enabled_users")?),
                    total_organizations: total(count(&row, "total_organizations")?),
                    active_sessions: total(count(&row, "active_sessions")?),
                    total_passkeys: total(count(&row, "total_passkeys")?),
                })
            }

            async fn set_email_verified(
                &self,
                user: UserId,
                verified: bool,
                at: DateTime<Utc>,
                audit: &[AuditEntry],
            ) -> Result<()> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                let done = sqlx::query(
                    "UPDATE users SET email_verified = $2, \
                     email_verified_at = CASE WHEN $2 THEN COALESCE(email_verified_at, $3) ELSE NULL END, \
                     updated_at = $3 WHERE id = $1",
                )
                .bind($codec::enc_id(user.as_uuid()))
                .bind(verified)
                .bind($codec::enc_time(at))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                if done.rows_affected() == 0 {
                    return Err(Error::NotFound);
                }
                $audit(&mut tx, audit).await?;
                tx.commit().await.map_err(from_sqlx)?;
                Ok(())
            }

            async fn list_cors_origins(&self) -> Result<Vec<CorsOrigin>> {
                let rows = sqlx::query(
                    "SELECT id, origin, created_by, created_at FROM cors_origins ORDER BY origin",
                )
                .fetch_all(self.$read())
                .await
                .map_err(from_sqlx)?;
                rows.iter()
                    .map(|row| {
                        Ok(CorsOrigin {
                            id: CorsOriginId::from_uuid($codec::id(row, "id")?),
                            origin: text(row, "origin")?,
                            created_by: $codec::opt_id(row, "created_by")?.map(UserId::from_uuid),
                            created_at: $codec::time(row, "created_at")?,
                        })
                    })
                    .collect()
            }

            async fn add_cors_origin(
                &self,
                origin: &CorsOrigin,
                audit: &[AuditEntry],
            ) -> Result<CorsOrigin> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                sqlx::query(
                    "INSERT INTO cors_origins (id, origin, created_by, created_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind($codec::enc_id(origin.id.as_uuid()))
                .bind(&origin.origin)
                .bind(origin.created_by.map(|u| $codec::enc_id(u.as_uuid())))
                .bind($codec::enc_time(origin.created_at))
                .execute(&mut *tx)
                .await
                .map_err(|e| match from_sqlx(e) {
                    Error::Conflict { .. } => Error::Conflict {
                        what: "origin".to_owned(),
                    },
                    other => other,
                })?;
                $audit(&mut tx, audit).await?;
                tx.commit().await.map_err(from_sqlx)?;
                Ok(origin.clone())
            }

            async fn delete_cors_origin(
                &self,
                id: CorsOriginId,
                audit: &[AuditEntry],
            ) -> Result<bool> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                let done = sqlx::query("DELETE FROM cors_origins WHERE id = $1")
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
        }
    };
}

pub(crate) use impl_org_stores;
