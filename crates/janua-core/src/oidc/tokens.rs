//! The tokens the provider issues (API.md §3): OAuth access tokens for users and for clients,
//! ID tokens (with `nonce`, `auth_time`, `at_hash`, `sid`, `amr`), the claims each scope
//! releases, and the token endpoint's response. Every JWT is signed by the key ring with the
//! client's `signing_alg` (when the ring holds a key for it) or `JWT_ALGORITHM`.

use base64::Engine;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256, Sha512};

use crate::auth::access_token::{AccessClaims, Audience, ACCESS_TOKEN_TYPE};
use crate::auth::users::User;
use crate::context::Core;
use crate::error::Result;
use crate::ids::SessionId;
use crate::oidc::clients::OAuthClient;
use crate::oidc::scopes;
use crate::orgs::claims::OrgClaims;
use crate::tokens::keys::SigningAlgorithm;

/// The token endpoint's success response (RFC 6749 §5.1). Absent members are omitted, never
/// `null`: standard clients reject a `null` refresh or ID token.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    pub scope: String,
}

/// The algorithm that signs this client's tokens.
pub fn signing_alg(core: &Core, client: &OAuthClient) -> SigningAlgorithm {
    match client.spec.signing_alg {
        Some(alg) if alg == core.oauth.default_alg => alg,
        Some(alg) if core.keys.active(alg).is_some() => alg,
        _ => core.oauth.default_alg,
    }
}

fn audience(core: &Core, client: &OAuthClient) -> Audience {
    match &client.spec.audience {
        Some(aud) if aud != &core.auth.audience => {
            Audience(vec![aud.clone(), core.auth.audience.clone()])
        }
        _ => Audience(vec![core.auth.audience.clone()]),
    }
}

/// What a user's OAuth access token says about its grant.
pub struct GrantClaims<'a> {
    /// The grant session (`sid`).
    pub sid: SessionId,
    pub scope: &'a str,
    pub amr: &'a [String],
    pub org: &'a OrgClaims,
}

/// An access token for a user's grant session.
pub fn user_access_token(
    core: &Core,
    user: &User,
    client: &OAuthClient,
    grant: &GrantClaims<'_>,
    now: DateTime<Utc>,
) -> Result<String> {
    let org = grant.org;
    let iat = now.timestamp();
    let claims = AccessClaims {
        iss: core.auth.issuer.clone(),
        sub: user.id.to_string(),
        aud: audience(core, client),
        iat,
        nbf: iat,
        exp: iat + core.auth.access_token_ttl.num_seconds(),
        jti: uuid::Uuid::new_v4().to_string(),
        token_type: ACCESS_TOKEN_TYPE.to_owned(),
        sid: Some(grant.sid.to_string()),
        email: Some(user.email.clone()),
        scope: Some(grant.scope.to_owned()),
        client_id: Some(client.client_id.clone()),
        org_id: org.org_id.clone(),
        org_role: org.org_role.clone(),
        roles: org.roles.clone(),
        amr: grant.amr.to_vec(),
    };
    core.keys.sign(signing_alg(core, client), &claims)
}

/// An access token for the client itself (client credentials).
pub fn client_access_token(
    core: &Core,
    client: &OAuthClient,
    scope: &str,
    now: DateTime<Utc>,
) -> Result<String> {
    let iat = now.timestamp();
    let mut roles = vec!["service_account".to_owned()];
    if scope.split(' ').any(|s| s == scopes::ADMIN) {
        roles.push("admin".to_owned());
    }
    let aud = match &client.spec.audience {
        Some(aud) => Audience(vec![aud.clone()]),
        None => Audience(vec![core.auth.audience.clone()]),
    };
    let claims = AccessClaims {
        iss: core.auth.issuer.clone(),
        sub: client.client_id.clone(),
        aud,
        iat,
        nbf: iat,
        exp: iat + core.auth.access_token_ttl.num_seconds(),
        jti: uuid::Uuid::new_v4().to_string(),
        token_type: ACCESS_TOKEN_TYPE.to_owned(),
        sid: None,
        email: None,
        scope: Some(scope.to_owned()),
        client_id: Some(client.client_id.clone()),
        org_id: client.spec.organization_id.map(|o| o.to_string()),
        org_role: None,
        roles,
        amr: Vec::new(),
    };
    core.keys.sign(signing_alg(core, client), &claims)
}

/// OIDC `at_hash`: the left half of the hash of the access token's ASCII, base64url. The hash
/// is the one of the JWS algorithm: SHA-256 for RS256 and ES256, SHA-512 for EdDSA (Ed25519).
pub fn at_hash(access_token: &str, alg: SigningAlgorithm) -> String {
    let digest: Vec<u8> = match alg {
        SigningAlgorithm::EdDsa => Sha512::digest(access_token.as_bytes()).to_vec(),
        SigningAlgorithm::Rs256 | SigningAlgorithm::Es256 => {
            Sha256::digest(access_token.as_bytes()).to_vec()
        }
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

/// The claims `scopes` release about `user` (`all`: every claim, for REST tokens).
pub fn user_claims(user: &User, granted: &[String], all: bool) -> Map<String, Value> {
    let has = |scope: &str| all || granted.iter().any(|s| s == scope);
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(user.id.to_string()));
    if has(scopes::EMAIL) {
        claims.insert("email".into(), json!(user.email));
        claims.insert("email_verified".into(), json!(user.email_verified));
    }
    if has(scopes::PROFILE) {
        let full_name = match (&user.first_name, &user.last_name) {
            (Some(f), Some(l)) => Some(format!("{f} {l}")),
            (Some(f), None) => Some(f.clone()),
            (None, Some(l)) => Some(l.clone()),
            (None, None) => None,
        };
        let name = user.display_name.clone().or(full_name);
        let mut put = |key: &str, value: Option<&String>| {
            if let Some(v) = value {
                claims.insert(key.into(), json!(v));
            }
        };
        put("name", name.as_ref());
        put("given_name", user.first_name.as_ref());
        put("family_name", user.last_name.as_ref());
        put("preferred_username", user.username.as_ref());
        put("picture", user.profile_image_url.as_ref());
        claims.insert("updated_at".into(), json!(user.updated_at.timestamp()));
    }
    claims
}

/// What an ID token says besides the user's claims.
pub struct IdTokenFacts<'a> {
    pub nonce: Option<&'a str>,
    pub auth_time: DateTime<Utc>,
    pub amr: &'a [String],
    pub sid: SessionId,
    pub access_token: &'a str,
    /// With the `organization` scope: the selected organization's claims and the
    /// `organizations` list.
    pub organization: Option<(&'a OrgClaims, Value)>,
}

pub fn id_token(
    core: &Core,
    user: &User,
    client: &OAuthClient,
    granted: &[String],
    facts: &IdTokenFacts<'_>,
    now: DateTime<Utc>,
) -> Result<String> {
    let alg = signing_alg(core, client);
    let mut claims = user_claims(user, granted, false);
    let iat = now.timestamp();
    claims.insert("iss".into(), json!(core.auth.issuer));
    claims.insert("aud".into(), json!(client.client_id));
    claims.insert("azp".into(), json!(client.client_id));
    claims.insert("iat".into(), json!(iat));
    claims.insert(
        "exp".into(),
        json!(iat + core.oauth.id_token_ttl.num_seconds()),
    );
    claims.insert("auth_time".into(), json!(facts.auth_time.timestamp()));
    if let Some(nonce) = facts.nonce {
        claims.insert("nonce".into(), json!(nonce));
    }
    claims.insert("at_hash".into(), json!(at_hash(facts.access_token, alg)));
    claims.insert("sid".into(), json!(facts.sid.to_string()));
    claims.insert("amr".into(), json!(facts.amr));
    if let Some((org, organizations)) = &facts.organization {
        if let (Some(id), Some(role)) = (&org.org_id, &org.org_role) {
            claims.insert("org_id".into(), json!(id));
            claims.insert("org_role".into(), json!(role));
        }
        claims.insert("organizations".into(), organizations.clone());
    }
    core.keys.sign(alg, &Value::Object(claims))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_is_the_left_half_of_the_algorithms_digest() {
        // OIDC Core A.3: access token "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y" → at_hash
        // "77QmUPtjPfzWtF2AnpK9RQ" (RS256).
        assert_eq!(
            at_hash(
                "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y",
                SigningAlgorithm::Rs256
            ),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
        assert_eq!(at_hash("x", SigningAlgorithm::EdDsa).len(), 43);
    }
}
