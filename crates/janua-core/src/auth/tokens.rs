//! Issuing the token pair of a session (API.md §3): a signed access JWT and an opaque 256-bit
//! refresh token, of which only the SHA-256 digest is stored.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::auth::access_token::{AccessClaims, Audience, ACCESS_TOKEN_TYPE};
use crate::auth::users::User;
use crate::context::Core;
use crate::crypto::{random_token, secret_digest};
use crate::error::Result;
use crate::ids::SessionId;
use crate::orgs::claims::OrgClaims;

/// `TokenResponse` of API.md §4.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
}

/// A new refresh secret and the digest to store.
pub struct RefreshSecret {
    pub token: String,
    pub digest: String,
}

pub fn new_refresh_secret() -> RefreshSecret {
    let token = random_token(32);
    let digest = secret_digest(&token);
    RefreshSecret { token, digest }
}

/// The roles claim of a REST session token: `admin` for platform admins (organization roles
/// join once organizations are selected).
pub fn roles(user: &User) -> Vec<String> {
    if user.is_admin {
        vec!["admin".to_owned()]
    } else {
        Vec::new()
    }
}

pub fn access_claims(
    core: &Core,
    user: &User,
    session: SessionId,
    amr: &[String],
    now: DateTime<Utc>,
) -> AccessClaims {
    let iat = now.timestamp();
    AccessClaims {
        iss: core.auth.issuer.clone(),
        sub: user.id.to_string(),
        aud: Audience(vec![core.auth.audience.clone()]),
        iat,
        nbf: iat,
        exp: iat + core.auth.access_token_ttl.num_seconds(),
        jti: uuid::Uuid::new_v4().to_string(),
        token_type: ACCESS_TOKEN_TYPE.to_owned(),
        sid: Some(session.to_string()),
        email: Some(user.email.clone()),
        scope: None,
        client_id: None,
        org_id: None,
        org_role: None,
        roles: roles(user),
        amr: amr.to_vec(),
    }
}

/// The token pair of a session: the access token carries `org` (the organization claims of the
/// session's selected organization, or every membership's roles: [`OrgClaims::of`]), signed
/// once, and the refresh secret handed to the client.
pub fn token_pair(
    core: &Core,
    user: &User,
    session: SessionId,
    amr: &[String],
    org: OrgClaims,
    refresh_token: String,
    now: DateTime<Utc>,
) -> Result<TokenPair> {
    let mut claims = access_claims(core, user, session, amr, now);
    claims.org_id = org.org_id;
    claims.org_role = org.org_role;
    claims.roles = org.roles;
    let access_token = core.signer.sign_access(&claims)?;
    metrics::counter!("janua_tokens_issued_total", "grant_type" => "session").increment(1);
    Ok(TokenPair {
        access_token,
        refresh_token,
        token_type: "bearer",
        expires_in: core.auth.access_token_ttl.num_seconds(),
    })
}
