//! Managing policies and the evaluation endpoint. Writing an organization's policy needs
//! `roles:write` there (reading: `roles:read`); global policies (no organization) belong to
//! platform admins.

use serde_json::{json, Value};

use crate::admin::require_platform_admin;
use crate::audit::{AuditEntry, RequestContext};
use crate::auth::principal::Principal;
use crate::context::Core;
use crate::error::{Error, Result};
use crate::ids::{OrgId, PolicyId, UserId};
use crate::orgs::orgs::hide_foreign;
use crate::rbac::check::{authorize, member_grants, policies_for};
use crate::rbac::permissions::Permission;
use crate::rbac::policies::{evaluate, Policy, Request};

async fn authorize_scope(
    core: &Core,
    principal: &Principal,
    org: Option<OrgId>,
    write: bool,
) -> Result<()> {
    match org {
        Some(org) => {
            let permission = if write { "roles:write" } else { "roles:read" };
            authorize(core, principal, org, permission)
                .await
                .map(|_| ())
        }
        None => require_platform_admin(principal),
    }
}

fn entry(
    core: &Core,
    principal: &Principal,
    action: &str,
    p: &Policy,
    ctx: &RequestContext,
) -> AuditEntry {
    let mut e = AuditEntry::new(action, principal.actor(), ctx, core.clock.now())
        .target("policy", p.id)
        .details(json!({"name": p.name, "effect": p.effect.as_str()}));
    if let Some(org) = p.organization_id {
        e = e.organization(org.as_uuid());
    }
    e
}

pub async fn create(
    core: &Core,
    principal: &Principal,
    policy: Policy,
    ctx: &RequestContext,
) -> Result<Policy> {
    authorize_scope(core, principal, policy.organization_id, true).await?;
    let audit = [entry(core, principal, "policy.created", &policy, ctx)];
    core.store.create_policy(&policy, &audit).await
}

/// A policy the caller may see (`write`: change); others' are 404.
pub async fn get(core: &Core, principal: &Principal, id: PolicyId, write: bool) -> Result<Policy> {
    let policy = core.store.get_policy(id).await?.ok_or(Error::NotFound)?;
    authorize_scope(core, principal, policy.organization_id, write)
        .await
        .map_err(|e| match hide_foreign(e) {
            Error::Forbidden if policy.organization_id.is_none() => Error::NotFound,
            other => other,
        })?;
    Ok(policy)
}

pub async fn list(
    core: &Core,
    principal: &Principal,
    org: Option<OrgId>,
    page: crate::orgs::Page,
) -> Result<(Vec<Policy>, u64)> {
    authorize_scope(core, principal, org, false).await?;
    core.store.list_policies(org, page).await
}

pub async fn update(
    core: &Core,
    principal: &Principal,
    policy: Policy,
    ctx: &RequestContext,
) -> Result<Policy> {
    let audit = [entry(core, principal, "policy.updated", &policy, ctx)];
    core.store
        .update_policy(&policy, &audit)
        .await?
        .ok_or(Error::NotFound)
}

pub async fn delete(
    core: &Core,
    principal: &Principal,
    id: PolicyId,
    ctx: &RequestContext,
) -> Result<()> {
    let policy = get(core, principal, id, true).await?;
    let audit = [entry(core, principal, "policy.deleted", &policy, ctx)];
    core.store.delete_policy(id, &audit).await?;
    Ok(())
}

pub struct Evaluate {
    pub subject: Option<UserId>,
    pub organization_id: Option<OrgId>,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub action: String,
    pub context: Value,
}

pub struct Evaluated {
    pub allowed: bool,
    pub matched: Vec<PolicyId>,
    pub denied_by: Option<PolicyId>,
    pub reason: &'static str,
}

/// `POST /policies/evaluate`: policies first, then RBAC for `resource_type:action`. Asking
/// about someone else needs `roles:read` in the organization (or platform admin).
pub async fn evaluate_request(
    core: &Core,
    principal: &Principal,
    request: Evaluate,
) -> Result<Evaluated> {
    let me = principal.user_id();
    let subject = request.subject.or(me);
    if subject != me {
        authorize_scope(core, principal, request.organization_id, false).await?;
    }
    let (policies, subject_info) = match request.organization_id {
        Some(org) => {
            if subject == me {
                crate::rbac::check::access(core, principal, org).await?;
            }
            policies_for(core, org, subject).await?
        }
        None => {
            let (all, _) = core
                .store
                .list_policies(
                    None,
                    crate::orgs::Page {
                        page: 1,
                        per_page: 1000,
                    },
                )
                .await?;
            let globals = all
                .into_iter()
                .filter(|p| p.organization_id.is_none())
                .collect();
            (
                globals,
                crate::rbac::policies::Subject {
                    user_id: subject,
                    ..Default::default()
                },
            )
        }
    };
    let ask = Request {
        resource_type: &request.resource_type,
        resource_id: request.resource_id.as_deref(),
        action: &request.action,
        context: &request.context,
    };
    let decision = evaluate(&policies, &subject_info, &ask, core.clock.now());
    if let Some(allowed) = decision.allowed {
        return Ok(Evaluated {
            allowed,
            matched: decision.matched,
            denied_by: decision.denied_by,
            reason: if allowed {
                "allowed_by_policy"
            } else {
                "denied_by_policy"
            },
        });
    }
    let permission = Permission::parse(&format!("{}:{}", request.resource_type, request.action));
    let allowed = match (permission, request.organization_id, subject) {
        (Some(p), Some(org), Some(user)) => member_grants(core, org, user).await?.1.allows(&p),
        _ => false,
    };
    Ok(Evaluated {
        allowed,
        matched: Vec::new(),
        denied_by: None,
        reason: if allowed {
            "allowed_by_role"
        } else {
            "no_matching_policy_or_permission"
        },
    })
}
