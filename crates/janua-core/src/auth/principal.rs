//! Who is calling: resolving a bearer access token into a verified user principal, with the
//! revocation checks of API.md §0 ("`jti` not revoked, session `sid` live").

use crate::auth::access_token::{AccessClaims, ACCESS_TOKEN_TYPE};
use crate::auth::revocation::{is_session_revoked, is_token_revoked};
use crate::context::Core;
use crate::error::{Error, Result};
use crate::ids::{SessionId, UserId};

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
