//! The device authorization grant (RFC 8628): a device asks for a `device_code` and a short
//! `user_code`; the user enters the code on the hosted verification page, signed in, and
//! approves or denies; the device polls the token endpoint meanwhile (see
//! [`grants::device_code`](crate::oidc::grants::device_code)).

use rand::Rng;

use crate::audit::{Actor, AuditEntry, RequestContext};
use crate::auth::users::User;
use crate::context::Core;
use crate::crypto::{random_token, secret_digest};
use crate::error::{AuthFailure, Error, Result};
use crate::oidc::client_auth::{authenticate_client, ClientCredentials};
use crate::oidc::clients::{OAuthClient, GRANT_DEVICE_CODE};
use crate::oidc::error::OAuthError;
use crate::oidc::scopes::Scopes;
use crate::oidc::store::{DeviceCode, DeviceCodeStatus};

/// Consonants only (RFC 8628 §6.1): no vowels, so no words; no easily confused letters.
const USER_CODE_ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";

/// The device authorization response (RFC 8628 §3.2).
#[derive(Debug, Clone, serde::Serialize)]
pub struct DeviceAuthorization {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: i64,
    pub interval: i64,
}

fn new_user_code() -> String {
    let mut rng = rand::thread_rng();
    let mut code = String::with_capacity(9);
    for i in 0..8 {
        if i == 4 {
            code.push('-');
        }
        let c = USER_CODE_ALPHABET[rng.gen_range(0..USER_CODE_ALPHABET.len())];
        code.push(char::from(c));
    }
    code
}

/// The stored form of what a user typed: upper case, dashes and spaces removed, re-grouped.
pub fn normalize_user_code(typed: &str) -> Option<String> {
    let letters: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (letters.len() == 8 && letters.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)))
        .then(|| format!("{}-{}", &letters[..4], &letters[4..]))
}

/// `POST /oauth/device_authorization`.
pub async fn start_device_authorization(
    core: &Core,
    credentials: &ClientCredentials,
    scope: Option<&str>,
) -> Result<DeviceAuthorization> {
    let entry = authenticate_client(core, credentials, true).await?;
    let client = &entry.client;
    if !client.spec.allows_grant(GRANT_DEVICE_CODE) {
        return Err(
            OAuthError::unauthorized_client("this client may not use the device grant").into(),
        );
    }
    let scopes = match scope.filter(|s| !s.trim().is_empty()) {
        None => Scopes::from_list(&client.spec.allowed_scopes),
        Some(raw) => Scopes::parse(raw)?,
    };
    if !scopes.is_subset_of(&client.spec.allowed_scopes) {
        return Err(
            OAuthError::invalid_scope("a requested scope is not allowed for this client").into(),
        );
    }
    let now = core.clock.now();
    let device_code = random_token(32);
    let user_code = new_user_code();
    let record = DeviceCode {
        id: uuid::Uuid::now_v7(),
        device_code_hash: secret_digest(&device_code),
        user_code: user_code.clone(),
        client: client.id,
        scopes: scopes.into_vec(),
        status: DeviceCodeStatus::Pending,
        user_id: None,
        interval_seconds: core.oauth.device_poll_interval.num_seconds(),
        last_polled_at: None,
        created_at: now,
        expires_at: now + core.oauth.device_code_ttl,
    };
    core.store.create_device_code(&record).await?;
    let uri = &core.oauth.device_verification_uri;
    Ok(DeviceAuthorization {
        device_code,
        verification_uri_complete: format!("{uri}?user_code={user_code}"),
        user_code,
        verification_uri: uri.clone(),
        expires_in: core.oauth.device_code_ttl.num_seconds(),
        interval: record.interval_seconds,
    })
}

/// A pending, unexpired device request for a typed user code, with its client.
pub async fn pending_device_request(core: &Core, typed: &str) -> Result<(DeviceCode, OAuthClient)> {
    let invalid = || Error::auth(AuthFailure::InvalidToken);
    let code = normalize_user_code(typed).ok_or_else(invalid)?;
    let record = core
        .store
        .find_device_code_by_user_code(&code)
        .await?
        .filter(|d| d.status == DeviceCodeStatus::Pending && d.expires_at > core.clock.now())
        .ok_or_else(invalid)?;
    let client = core
        .store
        .get_client(record.client)
        .await?
        .filter(|c| c.spec.is_active)
        .ok_or_else(invalid)?;
    Ok((record, client))
}

/// The signed-in user's answer on the verification page.
pub async fn decide_device_request(
    core: &Core,
    typed: &str,
    user: &User,
    approve: bool,
    context: &RequestContext,
) -> Result<OAuthClient> {
    let (record, client) = pending_device_request(core, typed).await?;
    let now = core.clock.now();
    let status = if approve {
        DeviceCodeStatus::Approved
    } else {
        DeviceCodeStatus::Denied
    };
    if !core
        .store
        .decide_device_code(record.id, user.id, status, now)
        .await?
    {
        return Err(Error::auth(AuthFailure::InvalidToken));
    }
    let action = if approve {
        "oauth_device.approved"
    } else {
        "oauth_device.denied"
    };
    let entry = AuditEntry::new(
        action,
        Actor::user(user.id, Some(&user.email)),
        context,
        now,
    )
    .target("oauth_client", client.id)
    .details(serde_json::json!({"client_id": client.client_id, "scopes": record.scopes}))
    .concerning_user(user.id.as_uuid());
    core.store.record_audit(&[entry]).await?;
    Ok(client)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_are_grouped_consonants_and_typed_codes_normalise() {
        let code = new_user_code();
        assert_eq!(code.len(), 9);
        assert_eq!(
            normalize_user_code(&code.to_lowercase().replace('-', " ")),
            Some(code)
        );
        assert_eq!(normalize_user_code("AEIO-UAEI"), None);
        assert_eq!(normalize_user_code("BCD"), None);
    }
}
