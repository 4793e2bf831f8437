//! `urn:ietf:params:oauth:grant-type:device_code` (RFC 8628 §3.4–3.5): the device polls with its
//! `device_code` until the user approved (tokens), denied (`access_denied`) or the code expired
//! (`expired_token`); polling faster than `interval` answers `slow_down`.

use crate::context::Core;
use crate::crypto::secret_digest;
use crate::error::Result;
use crate::oidc::clients::OAuthClient;
use crate::oidc::error::{OAuthError, OAuthErrorCode};
use crate::oidc::grants::grant_session::{open_grant, GrantFacts};
use crate::oidc::grants::{required, TokenParams};
use crate::oidc::store::DeviceCodeStatus;
use crate::oidc::tokens::TokenResponse;

fn error(code: OAuthErrorCode, description: &str) -> crate::Error {
    OAuthError::new(code, description).into()
}

pub async fn poll(
    core: &Core,
    client: &OAuthClient,
    params: &TokenParams,
) -> Result<TokenResponse> {
    let device_code = required(&params.device_code, "device_code")?;
    let now = core.clock.now();
    let record = core
        .store
        .find_device_code_by_hash(&secret_digest(device_code))
        .await?
        .filter(|d| d.client == client.id)
        .ok_or_else(|| OAuthError::invalid_grant("the device code is invalid"))?;
    if record.expires_at <= now {
        return Err(error(
            OAuthErrorCode::ExpiredToken,
            "the device code has expired",
        ));
    }
    match record.status {
        DeviceCodeStatus::Denied => {
            return Err(error(
                OAuthErrorCode::AccessDenied,
                "the user denied the request",
            ))
        }
        DeviceCodeStatus::Consumed => {
            return Err(OAuthError::invalid_grant("the device code was already used").into())
        }
        DeviceCodeStatus::Pending => {
            let too_soon = record
                .last_polled_at
                .is_some_and(|last| (now - last).num_seconds() < record.interval_seconds);
            core.store.poll_device_code(record.id, now, false).await?;
            return Err(if too_soon {
                error(OAuthErrorCode::SlowDown, "poll less often")
            } else {
                error(
                    OAuthErrorCode::AuthorizationPending,
                    "the user has not answered yet",
                )
            });
        }
        DeviceCodeStatus::Approved => {}
    }
    if !core.store.poll_device_code(record.id, now, true).await? {
        return Err(OAuthError::invalid_grant("the device code was already used").into());
    }
    let user_id = record
        .user_id
        .ok_or_else(|| crate::Error::internal("approved device code without user"))?;
    let user = core
        .store
        .get_user(user_id)
        .await?
        .filter(|u| u.status.can_authenticate())
        .ok_or_else(|| OAuthError::invalid_grant("the user can no longer sign in"))?;
    let facts = GrantFacts {
        user: &user,
        client,
        scopes: &record.scopes,
        parent_session_id: None,
        nonce: None,
        auth_time: now,
        amr: &[],
        code_id: None,
        organization_id: None,
    };
    open_grant(core, &facts).await
}
