//! Who is calling: resolving a bearer access token into a verified user principal, with the
//! revocation checks of API.md §0 ("`jti` not revoked, session `sid` live"), and the
//! [`Principal`] that org-scoped routes accept: a user, or an API key acting in its
//! organization (resolved by [`crate::api_keys::verify`]).

use crate::audit::Actor;
use crate::auth::access_token::{AccessClaims, ACCESS_TOKEN_TYPE};
use crate::auth::revocation::{is_session_revoked, is_token_revoked};
use crate::context::Core;
use crate::error::{Error, Result};
use crate::ids::{ApiKeyId, OrgId, SessionId, UserId};
use crate::rbac::permissions::Permission;

/// Any authenticated caller of a `key` route (API.md §0). A client-credentials variant joins
/// when the OAuth provider lands; [`crate::admin::require_platform_admin`] and
/// [`crate::rbac::check::authorize`] are the only places that need to learn it.
// Built once per request and passed by reference, so the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Principal {
    User(UserPrincipal),
    ApiKey(ApiKeyPrincipal),
}

/// An API key, acting in its organization with its scopes as permissions.
#[derive(Debug, Clone)]
pub struct ApiKeyPrincipal {
    pub key_id: ApiKeyId,
    pub organization_id: OrgId,
    /// Who created the key: the key never holds more than its creator still does.
    pub created_by: Option<UserId>,
    pub scopes: Vec<Permission>,
    pub rate_limit_per_min: u32,
}

impl Principal {
    /// The audit actor for what this principal does.
    pub fn actor(&self) -> Actor {
        match self {
            Principal::User(u) => Actor::user(u.user_id, u.claims.email.as_deref()),
            Principal::ApiKey(k) => Actor::api_key(k.key_id),
        }
    }

    /// The user behind the call: the signed-in user, or the key's creator.
    pub fn user_id(&self) -> Option<UserId> {
        match self {
            Principal::User(u) => Some(u.user_id),
            Principal::ApiKey(k) => k.created_by,
        }
    }

    pub fn as_user(&self) -> Option<&UserPrincipal> {
        match self {
            Principal::User(u) => Some(u),
            Principal::ApiKey(_) => None,
        }
    }
}

/// A user authenticated by an access token.
#[derive(Debug, Clone)]
pub struct UserPrincipal {
    pub user_id: UserId,
    /// The session the token belongs to (REST and OAuth user tokens always have one).
    pub session_id: Option<SessionId>,
    pub is_admin: bool,
    pub claims: AccessClaims,
}

pub async fn authenticate(core: &Core, bearer: &str) -> Result<UserPrincipal> {
    let claims = core.signer.verify_access(bearer)?;
    if claims.token_type != ACCESS_TOKEN_TYPE || !claims.aud.contains(&core.auth.audience) {
        return Err(Error::Unauthorized);
    }
    let user_id: UserId = claims.sub.parse().map_err(|_| Error::Unauthorized)?;
    let session_id = match &claims.sid {
        Some(sid) => Some(sid.parse::<SessionId>().map_err(|_| Error::Unauthorized)?),
        None => None,
    };
    if is_token_revoked(core, &claims.jti).await? {
        return Err(Error::Unauthorized);
    }
    if let Some(sid) = session_id {
        if is_session_revoked(core, sid).await? {
            return Err(Error::Unauthorized);
        }
    }
    let is_admin = claims.roles.iter().any(|r| r == "admin");
    Ok(UserPrincipal {
        user_id,
        session_id,
        is_admin,
        claims,
    })
}
