//! THE enforcement point of every org-scoped route: [`authorize`] takes the principal, the
//! organization and the permission, and answers with the caller's [`OrgAccess`] or the refusal
//! API.md §0 names (403 `NOT_A_MEMBER`, `INSUFFICIENT_PERMISSIONS`, `MFA_REQUIRED`).
//!
//! Order: the organization must exist (404), the caller must belong to it (a user's active
//! membership, an API key of that organization, or a platform admin), the organization's
//! require-MFA policy must be met by a user's session, then the permission must be granted:
//! matching access policies decide first (for an API key they can only take away), else RBAC.

use chrono::{DateTime, Utc};

use crate::auth::principal::{Principal, UserPrincipal};
use crate::context::Core;
use crate::error::{AuthFailure, Error, Result};
use crate::ids::{OrgId, UserId};
use crate::orgs::Org;
use crate::rbac::permissions::{Grants, Permission};
use crate::rbac::policies::{evaluate, Policy, Request, Subject};
use crate::rbac::roles::OrgRole;

/// What the caller may do in one organization.
#[derive(Debug, Clone)]
pub struct OrgAccess {
    pub org: Org,
    /// The caller's membership role (`None` for API keys and platform admins who are not members).
    pub role: Option<OrgRole>,
    pub grants: Grants,
    /// Grants of the key's creator, which bound an API key's scopes.
    creator_grants: Option<Grants>,
    pub is_platform_admin: bool,
    /// The organization's and the global enabled policies, and who they are evaluated for.
    policies: Vec<Policy>,
    subject: Subject,
    is_api_key: bool,
    at: DateTime<Utc>,
}

impl OrgAccess {
    pub fn allows(&self, permission: &Permission) -> bool {
        let rbac = self.grants.allows(permission)
            && self
                .creator_grants
                .as_ref()
                .is_none_or(|creator| creator.allows(permission));
        if self.is_platform_admin {
            return rbac;
        }
        match self.policy_decision(permission) {
            Some(allowed) if self.is_api_key => rbac && allowed,
            Some(allowed) => allowed,
            None => rbac,
        }
    }

    /// What the policies say about `res:action` (no resource id, no request context here).
    fn policy_decision(&self, permission: &Permission) -> Option<bool> {
        if self.policies.is_empty() {
            return None;
        }
        let (resource_type, action) = permission.as_str().split_once(':')?;
        let context = serde_json::json!({});
        let request = Request {
            resource_type,
            resource_id: None,
            action,
            context: &context,
        };
        evaluate(&self.policies, &self.subject, &request, self.at).allowed
    }

    pub fn require(&self, permission: &str) -> Result<()> {
        let permission = Permission::parse(permission)
            .ok_or_else(|| Error::internal(format!("unknown permission {permission}")))?;
        if self.allows(&permission) {
            Ok(())
        } else {
            Err(Error::auth(AuthFailure::InsufficientPermissions))
        }
    }

    /// The caller's role level, for "nobody grants above their own role".
    pub fn level(&self) -> u8 {
        if self.is_platform_admin {
            crate::rbac::roles::SUPER_ADMIN_LEVEL
        } else {
            self.role.map_or(0, |r| r.level())
        }
    }
}

/// The one check every org-scoped route makes.
pub async fn authorize(
    core: &Core,
    principal: &Principal,
    org_id: OrgId,
    permission: &str,
) -> Result<OrgAccess> {
    let access = access(core, principal, org_id).await?;
    access.require(permission)?;
    Ok(access)
}

/// For capabilities whose resources may belong to an organization (audit entries, webhook
/// endpoints, OAuth clients): whether `principal` holds `permission` in `org`, through the same
/// [`authorize`]. Not being a member, lacking the permission or an unknown organization is
/// `false`; an unmet require-MFA policy stays an error (403 `MFA_REQUIRED`), so the caller
/// learns what to do.
pub async fn holds(
    core: &Core,
    principal: &Principal,
    org_id: OrgId,
    permission: &str,
) -> Result<bool> {
    match authorize(core, principal, org_id, permission).await {
        Ok(_) => Ok(true),
        Err(Error::NotFound)
        | Err(Error::Auth(AuthFailure::NotAMember | AuthFailure::InsufficientPermissions)) => {
            Ok(false)
        }
        Err(other) => Err(other),
    }
}

/// Membership and policy checks without a permission: what a route needs before deciding
/// which permission applies (self-service removal, for example).
pub async fn access(core: &Core, principal: &Principal, org_id: OrgId) -> Result<OrgAccess> {
    let org = core.store.get_org(org_id).await?.ok_or(Error::NotFound)?;
    match principal {
        Principal::User(user) => user_access(core, user, org).await,
        Principal::ApiKey(key) => {
            if key.organization_id != org.id {
                return Err(Error::auth(AuthFailure::NotAMember));
            }
            let creator_grants = match key.created_by {
                Some(creator) => Some(member_grants(core, org.id, creator).await?.1),
                None => None,
            };
            let (policies, subject) = policies_for(core, org.id, key.created_by).await?;
            Ok(OrgAccess {
                org,
                role: None,
                grants: Grants(key.scopes.clone()),
                creator_grants,
                is_platform_admin: false,
                policies,
                subject,
                is_api_key: true,
                at: core.clock.now(),
            })
        }
        // Client-credentials tokens reach only the admin routes so far; acting in an
        // organization with the client's scopes (API.md §0 `key`) is not wired yet.
        Principal::OAuthClient(_) => Err(Error::auth(AuthFailure::NotAMember)),
    }
}

async fn user_access(core: &Core, user: &UserPrincipal, org: Org) -> Result<OrgAccess> {
    let (role, grants) = member_grants(core, org.id, user.user_id).await?;
    if role.is_none() && !user.is_admin {
        return Err(Error::auth(AuthFailure::NotAMember));
    }
    if org.require_mfa && !has_second_factor(core, user).await? {
        return Err(Error::auth(AuthFailure::MfaRequired));
    }
    let grants = if user.is_admin {
        Grants::from_names(["*"])
    } else {
        grants
    };
    let (policies, subject) = if user.is_admin {
        (Vec::new(), Subject::default())
    } else {
        policies_for(core, org.id, Some(user.user_id)).await?
    };
    Ok(OrgAccess {
        org,
        role,
        grants,
        creator_grants: None,
        is_platform_admin: user.is_admin,
        policies,
        subject,
        is_api_key: false,
        at: core.clock.now(),
    })
}

/// The policies that may apply in `org`, and the subject they are evaluated for (the user and
/// the custom roles they hold there).
pub async fn policies_for(
    core: &Core,
    org: OrgId,
    user: Option<UserId>,
) -> Result<(Vec<Policy>, Subject)> {
    let policies = core.store.applicable_policies(org).await?;
    let role_ids = match (user, policies.is_empty()) {
        (Some(user), false) => core
            .store
            .user_roles(org, user)
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect(),
        _ => Vec::new(),
    };
    let subject = Subject {
        user_id: user,
        role_ids,
        organization_id: Some(org),
    };
    Ok((policies, subject))
}

/// A user's role and effective permissions in an organization: base role ∪ custom roles.
/// No membership: no role and no grants.
pub async fn member_grants(
    core: &Core,
    org: OrgId,
    user: UserId,
) -> Result<(Option<OrgRole>, Grants)> {
    let Some(member) = core.store.get_member(org, user).await? else {
        return Ok((None, Grants::default()));
    };
    if member.status != "active" {
        return Ok((None, Grants::default()));
    }
    let mut grants = member.role.grants();
    for role in core.store.user_roles(org, user).await? {
        grants.extend(role.permissions);
    }
    Ok((Some(member.role), grants))
}

/// Whether the session behind the token presented a second factor: the token's `amr` when it
/// carries one, else the session's stored `amr`.
async fn has_second_factor(core: &Core, user: &UserPrincipal) -> Result<bool> {
    let proves = crate::mfa::satisfied_by;
    if !user.claims.amr.is_empty() {
        return Ok(proves(&user.claims.amr));
    }
    match user.session_id {
        Some(sid) => Ok(core
            .store
            .get_session(sid)
            .await?
            .is_some_and(|s| proves(&s.amr))),
        None => Ok(false),
    }
}
