//! Membership use cases: add, change role, remove or leave. Nobody grants a role above their
//! own, and the last owner can neither leave nor be demoted (the store enforces that under a
//! lock on the organization row, so two concurrent demotions cannot both pass).

use serde_json::json;

use crate::audit::{AuditEntry, RequestContext};
use crate::auth::principal::Principal;
use crate::auth::users::UserStatus;
use crate::context::Core;
use crate::error::{AuthFailure, Error, Result};
use crate::ids::{OrgId, UserId};
use crate::orgs::orgs::org_entry;
use crate::orgs::{Member, NewMember};
use crate::rbac::check::{access, OrgAccess};
use crate::rbac::roles::OrgRole;

fn member_entry(
    core: &Core,
    principal: &Principal,
    action: &str,
    org: OrgId,
    user: UserId,
    ctx: &RequestContext,
) -> AuditEntry {
    org_entry(core, principal, action, org, ctx)
        .target("user", user)
        .concerning_user(user.as_uuid())
}

fn check_grantable(access: &OrgAccess, role: OrgRole) -> Result<()> {
    if role.level() > access.level() {
        Err(Error::auth(AuthFailure::InsufficientPermissions))
    } else {
        Ok(())
    }
}

pub async fn add(
    core: &Core,
    principal: &Principal,
    access: &OrgAccess,
    user: UserId,
    role: OrgRole,
    ctx: &RequestContext,
) -> Result<Member> {
    check_grantable(access, role)?;
    let account = core.store.get_user(user).await?.ok_or(Error::NotFound)?;
    if account.status == UserStatus::Deleted {
        return Err(Error::NotFound);
    }
    let org = access.org.id;
    let member = NewMember {
        id: uuid::Uuid::now_v7(),
        organization_id: org,
        user_id: user,
        role,
        invited_by: principal.user_id(),
        joined_at: core.clock.now(),
    };
    let data = json!({"organization_id": org, "user_id": user, "role": role.as_str()});
    let audit = [
        member_entry(core, principal, "organization.member_added", org, user, ctx)
            .emits("organization.member_added", data),
    ];
    core.store.add_member(&member, &audit).await
}

pub async fn change_role(
    core: &Core,
    principal: &Principal,
    access: &OrgAccess,
    user: UserId,
    role: OrgRole,
    ctx: &RequestContext,
) -> Result<Member> {
    check_grantable(access, role)?;
    let org = access.org.id;
    let current = core
        .store
        .get_member(org, user)
        .await?
        .ok_or(Error::NotFound)?;
    check_grantable(access, current.role)?;
    let data = json!({"organization_id": org, "user_id": user, "role": role.as_str(), "previous_role": current.role.as_str()});
    let audit = [member_entry(
        core,
        principal,
        "organization.member_role_changed",
        org,
        user,
        ctx,
    )
    .details(data.clone())
    .emits("organization.member_role_changed", data)];
    core.store
        .set_member_role(org, user, role, core.clock.now(), &audit)
        .await?
        .ok_or(Error::NotFound)
}

/// Removes `user` from the organization: themselves (leaving needs only membership), or
/// another member (needs `users:remove` and a role at least theirs).
pub async fn remove(
    core: &Core,
    principal: &Principal,
    org: OrgId,
    user: UserId,
    ctx: &RequestContext,
) -> Result<()> {
    let access = access(core, principal, org).await?;
    let leaving = matches!(principal, Principal::User(u) if u.user_id == user);
    if !leaving {
        access.require("users:remove")?;
        let target = core
            .store
            .get_member(org, user)
            .await?
            .ok_or(Error::NotFound)?;
        check_grantable(&access, target.role)?;
    }
    let data = json!({"organization_id": org, "user_id": user});
    let audit = [member_entry(
        core,
        principal,
        "organization.member_removed",
        org,
        user,
        ctx,
    )
    .details(json!({"left": leaving}))
    .emits("organization.member_removed", data)];
    if core.store.remove_member(org, user, &audit).await? {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}
