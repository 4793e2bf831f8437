//! Custom roles of an organization: create, change, delete, and assign a role (system or
//! custom) to a member. A role never holds more than its author does, and nobody assigns a
//! system role above their own.

use serde_json::json;

use crate::audit::{AuditEntry, RequestContext};
use crate::auth::principal::Principal;
use crate::context::Core;
use crate::error::{AuthFailure, Error, FieldError, Result};
use crate::ids::{RoleId, UserId};
use crate::orgs::orgs::org_entry;
use crate::rbac::check::OrgAccess;
use crate::rbac::permissions::Permission;
use crate::rbac::roles::{OrgRole, Role, RoleUpdate};

pub const MAX_ROLE_NAME_LEN: usize = 100;

fn role_entry(
    core: &Core,
    principal: &Principal,
    action: &str,
    access: &OrgAccess,
    role: RoleId,
    ctx: &RequestContext,
) -> AuditEntry {
    org_entry(core, principal, action, access.org.id, ctx).target("role", role)
}

fn check_within(access: &OrgAccess, permissions: &[Permission]) -> Result<()> {
    if permissions.iter().all(|p| access.allows(p)) {
        Ok(())
    } else {
        Err(Error::auth(AuthFailure::InsufficientPermissions))
    }
}

fn check_name(name: &str) -> Result<()> {
    if OrgRole::parse(name).is_some() || name == crate::rbac::roles::SUPER_ADMIN {
        return Err(Error::Validation(vec![FieldError::new(
            "name",
            "is the name of a system role",
        )]));
    }
    Ok(())
}

pub async fn create(
    core: &Core,
    principal: &Principal,
    access: &OrgAccess,
    name: String,
    description: Option<String>,
    permissions: Vec<Permission>,
    ctx: &RequestContext,
) -> Result<Role> {
    check_name(&name)?;
    check_within(access, &permissions)?;
    let now = core.clock.now();
    let role = Role {
        id: RoleId::new(),
        organization_id: access.org.id,
        name,
        description,
        permissions,
        created_at: now,
        updated_at: now,
    };
    let audit = [
        role_entry(core, principal, "role.created", access, role.id, ctx)
            .details(json!({"name": role.name})),
    ];
    core.store.create_role(&role, &audit).await
}

/// A custom role of the caller's organization (404 otherwise).
pub async fn get_in(core: &Core, access: &OrgAccess, id: RoleId) -> Result<Role> {
    core.store
        .get_role(id)
        .await?
        .filter(|r| r.organization_id == access.org.id)
        .ok_or(Error::NotFound)
}

pub async fn update(
    core: &Core,
    principal: &Principal,
    access: &OrgAccess,
    id: RoleId,
    update: RoleUpdate,
    ctx: &RequestContext,
) -> Result<Role> {
    get_in(core, access, id).await?;
    if let Some(name) = &update.name {
        check_name(name)?;
    }
    if let Some(permissions) = &update.permissions {
        check_within(access, permissions)?;
    }
    let audit = [role_entry(core, principal, "role.updated", access, id, ctx)];
    core.store
        .update_role(id, &update, core.clock.now(), &audit)
        .await?
        .ok_or(Error::NotFound)
}

pub async fn delete(
    core: &Core,
    principal: &Principal,
    access: &OrgAccess,
    id: RoleId,
    ctx: &RequestContext,
) -> Result<()> {
    get_in(core, access, id).await?;
    let audit = [role_entry(core, principal, "role.deleted", access, id, ctx)];
    core.store.delete_role(id, &audit).await?;
    Ok(())
}

/// Assigns `role_name` to a member: a system role replaces the membership's base role, a
/// custom role is granted on top of it.
pub async fn assign(
    core: &Core,
    principal: &Principal,
    access: &OrgAccess,
    user: UserId,
    role_name: &str,
    ctx: &RequestContext,
) -> Result<()> {
    if let Some(system) = OrgRole::parse(role_name) {
        crate::orgs::members::change_role(core, principal, access, user, system, ctx).await?;
        return Ok(());
    }
    let org = access.org.id;
    let role = core
        .store
        .find_role_by_name(org, role_name)
        .await?
        .ok_or(Error::NotFound)?;
    check_within(access, &role.permissions)?;
    core.store
        .get_member(org, user)
        .await?
        .ok_or(Error::NotFound)?;
    let audit = [
        role_entry(core, principal, "role.assigned", access, role.id, ctx)
            .concerning_user(user.as_uuid())
            .details(json!({"user_id": user, "role_name": role.name})),
    ];
    core.store
        .assign_role(
            org,
            user,
            role.id,
            principal.user_id(),
            core.clock.now(),
            &audit,
        )
        .await
}
