//! The organization claims of a REST session's access token (API.md §3): with an organization
//! selected (`organization_id` on sign-in, refresh or magic-link verify), `org_id`, `org_role`
//! and that organization's roles; without, the roles of every membership. Platform admins also
//! get `admin`. OAuth user tokens carry the same claims for the authorization's
//! `organization` parameter ([`OrgClaims`]).

use crate::auth::access_token::AccessClaims;
use crate::auth::tokens::{access_claims, roles};
use crate::auth::users::User;
use crate::context::Core;
use crate::error::{AuthFailure, Error, Result};
use crate::ids::{OrgId, SessionId};
use crate::rbac::check::member_grants;

/// Selects `org` for the session (403 `NOT_A_MEMBER` unless the user belongs to it), and
/// returns a freshly signed access token carrying its organization claims.
async fn access_token_for_organization(
    core: &Core,
    user: &User,
    session: SessionId,
    org: OrgId,
) -> Result<String> {
    let (role, _) = member_grants(core, org, user.id).await?;
    if role.is_none() {
        return Err(Error::auth(AuthFailure::NotAMember));
    }
    core.store
        .set_session_organization(session, Some(org))
        .await?;
    let claims = org_claims(core, user, session, Some(org)).await?;
    core.signer.sign_access(&claims)
}

async fn org_claims(
    core: &Core,
    user: &User,
    session: SessionId,
    selected: Option<OrgId>,
) -> Result<AccessClaims> {
    // The session's `amr` goes into the token, so the organization's require-MFA policy can be
    // checked from the token alone.
    let amr = core
        .store
        .get_session(session)
        .await?
        .map(|s| s.amr)
        .unwrap_or_default();
    let mut claims = access_claims(core, user, session, &amr, core.clock.now());
    let org = OrgClaims::of(core, user, selected).await?;
    claims.org_id = org.org_id;
    claims.org_role = org.org_role;
    claims.roles = org.roles;
    Ok(claims)
}

/// The organization claims of a user's token: `org_id` and `org_role` when `selected` is an
/// organization the user belongs to, and the `roles` (that organization's roles, else every
/// membership's; plus the platform roles).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrgClaims {
    pub org_id: Option<String>,
    pub org_role: Option<String>,
    pub roles: Vec<String>,
}

impl OrgClaims {
    pub async fn of(core: &Core, user: &User, selected: Option<OrgId>) -> Result<Self> {
        let mut claims = OrgClaims::default();
        let mut names: Vec<String> = Vec::new();
        match selected {
            Some(org) => {
                let (role, _) = member_grants(core, org, user.id).await?;
                if let Some(role) = role {
                    claims.org_id = Some(org.to_string());
                    claims.org_role = Some(role.as_str().to_owned());
                    names.push(role.as_str().to_owned());
                    for custom in core.store.user_roles(org, user.id).await? {
                        names.push(custom.name);
                    }
                }
            }
            None => {
                for member in core.store.list_memberships(user.id).await? {
                    names.push(member.role.as_str().to_owned());
                }
            }
        }
        names.extend(roles(user));
        names.sort();
        names.dedup();
        claims.roles = names;
        Ok(claims)
    }
}

/// The `organizations` claim of an ID token with the `organization` scope:
/// `[{id, slug, role}]` for every active membership.
pub async fn memberships_claim(core: &Core, user: &User) -> Result<serde_json::Value> {
    let list = core
        .store
        .list_member_orgs(user.id)
        .await?
        .into_iter()
        .map(|(org, role)| {
            serde_json::json!({
                "id": org.id.to_string(),
                "slug": org.slug,
                "role": role.as_str(),
            })
        })
        .collect();
    Ok(serde_json::Value::Array(list))
}

/// After a sign-in or refresh that asked for an organization (`organization_id`): selects it
/// for the session and re-issues the access token with its claims. Without one there is
/// nothing to do: the token pair already carries the claims of the session's selection. When
/// the requested organization is refused (not a member), the session just opened or refreshed
/// is revoked, so no token of it without the claims the client asked for stays usable.
pub async fn apply(
    core: &Core,
    user: &User,
    session: SessionId,
    requested: Option<OrgId>,
    tokens: &mut crate::auth::tokens::TokenPair,
) -> Result<()> {
    let Some(org) = requested else {
        return Ok(());
    };
    match access_token_for_organization(core, user, session, org).await {
        Ok(access_token) => {
            tokens.access_token = access_token;
            Ok(())
        }
        Err(error) => {
            let now = core.clock.now();
            let entry = crate::auth::audit_events::session_revoked(
                user.id,
                session,
                "organization_refused",
                crate::audit::Actor::system(),
                &crate::audit::RequestContext::default(),
                now,
            );
            if core
                .store
                .revoke_session(session, "organization_refused", now, &[entry])
                .await?
            {
                crate::auth::revocation::publish_revoked_sessions(core, &[session]).await;
            }
            Err(error)
        }
    }
}
