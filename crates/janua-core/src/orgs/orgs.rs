//! Organization use cases: create (the caller becomes owner in the same transaction), list the
//! caller's, update (profile, settings and the require-MFA policy), delete, transfer ownership.
//! Authorization happens before these run, at [`crate::rbac::check::authorize`].

use serde_json::{json, Value};

use crate::audit::{AuditEntry, RequestContext};
use crate::auth::principal::{Principal, UserPrincipal};
use crate::context::Core;
use crate::error::{AuthFailure, Error, FieldError, Result};
use crate::ids::{OrgId, UserId};
use crate::orgs::{NewOrg, Org, OrgUpdate, Page};
use crate::rbac::check::{authorize, OrgAccess};
use crate::rbac::roles::OrgRole;

/// Largest settings document (API.md §19).
pub const MAX_SETTINGS_BYTES: usize = 16 * 1024;
pub const MAX_NAME_LEN: usize = 200;
pub const MAX_SLUG_LEN: usize = 100;

/// An organization slug: `^[a-z0-9-]+$`, at most 100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let ok = !raw.is_empty()
            && raw.len() <= MAX_SLUG_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldError::new(
                "slug",
                "must be 1-100 characters of a-z, 0-9 and -",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub struct CreateOrg {
    pub name: String,
    pub slug: Slug,
    pub description: Option<String>,
    pub billing_email: Option<String>,
    /// Hierarchy: a child organization, created by someone who may update the parent.
    pub parent_id: Option<OrgId>,
}

pub(crate) fn org_entry(
    core: &Core,
    principal: &Principal,
    action: &str,
    org: OrgId,
    ctx: &RequestContext,
) -> AuditEntry {
    AuditEntry::new(action, principal.actor(), ctx, core.clock.now())
        .target("organization", org)
        .organization(org.as_uuid())
}

pub async fn create(
    core: &Core,
    user: &UserPrincipal,
    request: CreateOrg,
    ctx: &RequestContext,
) -> Result<Org> {
    let principal = Principal::User(user.clone());
    if let Some(parent) = request.parent_id {
        authorize(core, &principal, parent, "org:update").await?;
    }
    let now = core.clock.now();
    let new = NewOrg {
        id: OrgId::new(),
        name: request.name,
        slug: request.slug.0,
        description: request.description,
        billing_email: request.billing_email,
        parent_id: request.parent_id,
        owner_id: user.user_id,
        created_at: now,
    };
    let data = json!({"id": new.id, "name": new.name, "slug": new.slug, "owner_id": user.user_id});
    let audit = [
        org_entry(core, &principal, "organization.created", new.id, ctx)
            .concerning_user(user.user_id.as_uuid())
            .emits("organization.created", data),
    ];
    core.store
        .create_org(&new, &audit)
        .await
        .map_err(|e| match e {
            Error::Conflict { .. } => Error::auth(AuthFailure::SlugTaken),
            other => other,
        })
}

pub async fn list_mine(
    core: &Core,
    user: UserId,
    page: Page,
) -> Result<(Vec<(Org, OrgRole)>, u64)> {
    core.store.list_user_orgs(user, page).await
}

/// Reads an organization by slug for a member (404 for everyone else, so slugs do not leak).
pub async fn get_by_slug(core: &Core, principal: &Principal, slug: &str) -> Result<OrgAccess> {
    let org = core
        .store
        .get_org_by_slug(slug)
        .await?
        .ok_or(Error::NotFound)?;
    authorize(core, principal, org.id, "org:read")
        .await
        .map_err(hide_foreign)
}

/// For routes that address a resource rather than an organization: a caller from another
/// organization learns nothing, not even that the resource exists.
pub fn hide_foreign(error: Error) -> Error {
    match error {
        Error::Auth(AuthFailure::NotAMember) => Error::NotFound,
        other => other,
    }
}

pub async fn update(
    core: &Core,
    principal: &Principal,
    access: &OrgAccess,
    mut update: OrgUpdate,
    ctx: &RequestContext,
) -> Result<Org> {
    if let Some(settings) = &update.settings {
        update.require_mfa = require_mfa_setting(settings)?;
        check_settings_size(settings)?;
    }
    let org = access.org.id;
    let audit = [org_entry(core, principal, "organization.updated", org, ctx)
        .emits("organization.updated", json!({"id": org}))];
    core.store
        .update_org(org, &update, core.clock.now(), &audit)
        .await
}

/// `PUT /organizations/{id}/settings`: merges the given keys into the stored document.
pub async fn merge_settings(
    core: &Core,
    principal: &Principal,
    access: &OrgAccess,
    patch: serde_json::Map<String, Value>,
    ctx: &RequestContext,
) -> Result<Org> {
    let mut merged = match &access.org.settings {
        Value::Object(map) => map.clone(),
        _ => serde_json::Map::new(),
    };
    merged.extend(patch);
    let update = OrgUpdate {
        settings: Some(Value::Object(merged)),
        ..OrgUpdate::default()
    };
    self::update(core, principal, access, update, ctx).await
}

/// The require-MFA policy lives in the settings document as `require_mfa` (a boolean).
fn require_mfa_setting(settings: &Value) -> Result<Option<bool>> {
    match settings.get("require_mfa") {
        None => Ok(Some(false)),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(Error::Validation(vec![FieldError::new(
            "settings.require_mfa",
            "must be a boolean",
        )])),
    }
}

fn check_settings_size(settings: &Value) -> Result<()> {
    if !settings.is_object() {
        return Err(Error::Validation(vec![FieldError::new(
            "settings",
            "must be an object",
        )]));
    }
    if settings.to_string().len() > MAX_SETTINGS_BYTES {
        return Err(Error::Validation(vec![FieldError::new(
            "settings",
            "must be at most 16 KiB",
        )]));
    }
    Ok(())
}

pub async fn delete(
    core: &Core,
    principal: &Principal,
    org: OrgId,
    ctx: &RequestContext,
) -> Result<()> {
    let audit = [org_entry(core, principal, "organization.deleted", org, ctx)
        .emits("organization.deleted", json!({"id": org}))];
    if core.store.delete_org(org, &audit).await? {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}

/// Only the owner (or a platform admin) hands the organization to another member.
pub async fn transfer_ownership(
    core: &Core,
    principal: &Principal,
    access: &OrgAccess,
    new_owner: UserId,
    ctx: &RequestContext,
) -> Result<Org> {
    if access.role != Some(OrgRole::Owner) && !access.is_platform_admin {
        return Err(Error::auth(AuthFailure::InsufficientPermissions));
    }
    let org = access.org.id;
    let target = core
        .store
        .get_member(org, new_owner)
        .await?
        .ok_or_else(|| {
            Error::Validation(vec![FieldError::new(
                "new_owner_id",
                "must be a member of the organization",
            )])
        })?;
    let from = match (access.role, principal.user_id()) {
        (Some(OrgRole::Owner), Some(me)) => me,
        _ => access.org.owner_id.unwrap_or(target.user_id),
    };
    let audit = [org_entry(
        core,
        principal,
        "organization.ownership_transferred",
        org,
        ctx,
    )
    .details(json!({"from": from, "to": new_owner}))
    .emits(
        "organization.member_role_changed",
        json!({"organization_id": org, "user_id": new_owner, "role": "owner"}),
    )];
    core.store
        .transfer_ownership(org, from, new_owner, core.clock.now(), &audit)
        .await?;
    core.store.get_org(org).await?.ok_or(Error::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lowercase_letters_digits_and_dashes() {
        assert!(Slug::parse("acme-2").is_ok());
        for bad in ["", "Acme", "a b", "ä", "a_b", &"a".repeat(101)] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn require_mfa_must_be_a_boolean() {
        assert_eq!(
            require_mfa_setting(&json!({"require_mfa": true})).unwrap(),
            Some(true)
        );
        assert_eq!(require_mfa_setting(&json!({})).unwrap(), Some(false));
        assert!(require_mfa_setting(&json!({"require_mfa": "yes"})).is_err());
    }
}
