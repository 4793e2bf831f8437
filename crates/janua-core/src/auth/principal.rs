//! Who is calling: resolving a bearer access token into a verified user principal, with the
//! revocation checks of API.md §0 ("`jti` not revoked, session `sid` live"), or into an OAuth
//! client acting with its client-credentials token ([`authenticate_bearer`]); and the
//! [`Principal`] that routes accept: a user, an API key acting in its organization (resolved
//! by [`crate::api_keys::verify`]) or an OAuth client.

use crate::audit::Actor;
use crate::auth::access_token::{AccessClaims, ACCESS_TOKEN_TYPE};
use crate::auth::revocation::{is_session_revoked, is_token_revoked};
use crate::context::Core;
use crate::error::{Error, Result};
use crate::ids::{ApiKeyId, OAuthClientId, OrgId, SessionId, UserId};
use crate::oidc::client_cache::load_client;
use crate::oidc::scopes;
use crate::rbac::permissions::Permission;

/// Any authenticated caller (API.md §0). [`crate::admin::require_platform_admin`] and
/// [`crate::rbac::check::access`] are the places that decide what each kind may do.
// Built once per request and passed by reference, so the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Principal {
    User(UserPrincipal),
    ApiKey(ApiKeyPrincipal),
    /// A confidential client with its own client-credentials token (no user behind it).
    OAuthClient(ClientPrincipal),
}

/// An OAuth client calling with a client-credentials access token.
#[derive(Debug, Clone)]
pub struct ClientPrincipal {
    /// The row id of the client.
    pub id: OAuthClientId,
    /// The public identifier (`jnc_…`), also the token's `sub`.
    pub client_id: String,
    /// The client's organization, when it belongs to one.
    pub organization_id: Option<OrgId>,
    /// The scopes granted in the token that the client is still allowed today: removing a
    /// scope from a client takes it away from its live tokens too.
    pub scopes: Vec<String>,
}

impl ClientPrincipal {
    /// Whether the token carries the `admin` scope (a platform administrator, API.md §0).
    pub fn is_admin(&self) -> bool {
        self.scopes.iter().any(|s| s == scopes::ADMIN)
    }
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
            Principal::OAuthClient(c) => Actor::oauth_client(&c.client_id),
        }
    }

    /// The user behind the call: the signed-in user, or the key's creator.
    pub fn user_id(&self) -> Option<UserId> {
        match self {
            Principal::User(u) => Some(u.user_id),
            Principal::ApiKey(k) => k.created_by,
            Principal::OAuthClient(_) => None,
        }
    }

    pub fn as_user(&self) -> Option<&UserPrincipal> {
        match self {
            Principal::User(u) => Some(u),
            Principal::ApiKey(_) | Principal::OAuthClient(_) => None,
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

/// A user's access token (REST or OAuth). Client-credentials tokens are refused here: routes
/// that take only users (`/auth`, `/users/me`, `/sessions`, …) call this.
pub async fn authenticate(core: &Core, bearer: &str) -> Result<UserPrincipal> {
    let claims = verified_claims(core, bearer).await?;
    user_principal(core, claims).await
}

/// A user's access token or an OAuth client's client-credentials token: what `admin` routes
/// accept (API.md §0). Both are verified the same way (signature and `kid`, issuer, audience
/// ∋ `JWT_AUDIENCE`, `type` = `access`, expiry, `jti` deny list).
pub async fn authenticate_bearer(core: &Core, bearer: &str) -> Result<Principal> {
    let claims = verified_claims(core, bearer).await?;
    let is_client_token = claims.sid.is_none()
        && claims.client_id.as_deref() == Some(claims.sub.as_str())
        && claims.sub.parse::<UserId>().is_err();
    if is_client_token {
        client_principal(core, claims)
            .await
            .map(Principal::OAuthClient)
    } else {
        user_principal(core, claims).await.map(Principal::User)
    }
}

/// Signature, issuer, expiry (by the signer), then audience, type and the `jti` deny list.
async fn verified_claims(core: &Core, bearer: &str) -> Result<AccessClaims> {
    let claims = core.signer.verify_access(bearer)?;
    if claims.token_type != ACCESS_TOKEN_TYPE || !claims.aud.contains(&core.auth.audience) {
        return Err(Error::Unauthorized);
    }
    if is_token_revoked(core, &claims.jti).await? {
        return Err(Error::Unauthorized);
    }
    Ok(claims)
}

/// The client behind a client-credentials token, which must still exist and be active (read
/// through the client cache, as the token endpoint does).
async fn client_principal(core: &Core, claims: AccessClaims) -> Result<ClientPrincipal> {
    let entry = load_client(core, &claims.sub)
        .await?
        .ok_or(Error::Unauthorized)?;
    let client = &entry.client;
    if !client.spec.is_active || !client.spec.is_confidential {
        return Err(Error::Unauthorized);
    }
    let allowed = &client.spec.allowed_scopes;
    let scopes = claims
        .scope
        .as_deref()
        .unwrap_or_default()
        .split(' ')
        .filter(|s| !s.is_empty() && allowed.iter().any(|a| a == s))
        .map(str::to_owned)
        .collect();
    Ok(ClientPrincipal {
        id: client.id,
        client_id: client.client_id.clone(),
        organization_id: client.spec.organization_id,
        scopes,
    })
}

async fn user_principal(core: &Core, claims: AccessClaims) -> Result<UserPrincipal> {
    let user_id: UserId = claims.sub.parse().map_err(|_| Error::Unauthorized)?;
    let session_id = match &claims.sid {
        Some(sid) => Some(sid.parse::<SessionId>().map_err(|_| Error::Unauthorized)?),
        None => None,
    };
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
