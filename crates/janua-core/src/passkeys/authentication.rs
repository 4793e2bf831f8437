//! Signing in with a passkey (API.md §8 `/authenticate/options`, `/authenticate/verify`).
//! Without an email (or for an email without passkeys) the ceremony is discoverable: the
//! authenticator names the user through the credential's user handle. The ceremony state is
//! single use; the signature counter must grow (when the authenticator keeps one), which is
//! both clone detection and what stops a replayed assertion.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyAuthentication, PublicKeyCredential,
};

use crate::audit::{Actor, AuditEntry, RequestContext};
use crate::auth::email::Email;
use crate::auth::session_open::open_session;
use crate::auth::sessions::ClientContext;
use crate::auth::sign_in::SignedIn;
use crate::auth::users::{AuthMethod, User};
use crate::context::Core;
use crate::crypto::{random_token, secret_digest};
use crate::error::{AuthFailure, Error, Result};
use crate::ids::UserId;
use crate::mfa::totp::entry;
use crate::passkeys::store::PasskeyRecord;
use crate::passkeys::{ceremony, credential_id_text};

#[derive(Serialize, Deserialize)]
enum Pending {
    Discoverable(DiscoverableAuthentication),
    ForUser {
        user_id: UserId,
        state: PasskeyAuthentication,
    },
}

pub struct AuthenticationOptions {
    pub session_id: String,
    /// `{challenge, rpId, timeout, allowCredentials, userVerification}`.
    pub options: Value,
}

fn session_key(session_id: &str) -> String {
    format!("passkey_authentication:{}", secret_digest(session_id))
}

fn challenge_key(challenge: &str) -> String {
    format!("passkey_challenge:{}", secret_digest(challenge))
}

pub async fn options(core: &Core, email: Option<&Email>) -> Result<AuthenticationOptions> {
    let webauthn = core.passkeys.relying_party()?;
    let mut known = None;
    if let Some(email) = email {
        if let Some(user) = core.store.find_user_by_email(&email.normalized()).await? {
            let passkeys = passkeys_of(core, user.id).await?;
            if !passkeys.is_empty() && user.status.can_authenticate() {
                known = Some((user.id, passkeys));
            }
        }
    }
    let (challenge, pending) = match known {
        Some((user_id, passkeys)) => {
            let (rcr, state) = webauthn
                .start_passkey_authentication(&passkeys)
                .map_err(Error::internal)?;
            (rcr, Pending::ForUser { user_id, state })
        }
        None => {
            let (rcr, state) = webauthn
                .start_discoverable_authentication()
                .map_err(Error::internal)?;
            (rcr, Pending::Discoverable(state))
        }
    };
    let public_key = serde_json::to_value(&challenge.public_key).map_err(Error::internal)?;
    let challenge_text = public_key["challenge"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let session_id = random_token(32);
    let ttl = core.passkeys.authentication_ttl;
    ceremony::put(core, &session_key(&session_id), pending, ttl).await?;
    ceremony::put(
        core,
        &challenge_key(&challenge_text),
        session_id.clone(),
        ttl,
    )
    .await?;
    let options = json!({
        "challenge": public_key["challenge"],
        "rpId": public_key["rpId"],
        "timeout": 60000,
        "allowCredentials": public_key["allowCredentials"],
        "userVerification": public_key["userVerification"],
    });
    Ok(AuthenticationOptions {
        session_id,
        options,
    })
}

/// Verifies the assertion against the stored ceremony and opens a session (`amr`: `hwk`,
/// `user`, `mfa`). Every failure is the same 401 `INVALID_CREDENTIALS`.
pub async fn verify(
    core: &Core,
    session_id: Option<&str>,
    challenge: Option<&str>,
    credential: Value,
    client: &ClientContext,
    context: &RequestContext,
) -> Result<SignedIn> {
    match verified_user(core, session_id, challenge, credential, context).await {
        Ok(user) => {
            record_attempt("success");
            let opened = open_session(core, &user, AuthMethod::Passkey, client).await?;
            Ok(SignedIn { user, opened })
        }
        Err(Error::Auth(failure)) => {
            record_attempt("failure");
            let audit = AuditEntry::new(
                "passkey.authentication_failed",
                Actor::anonymous(None),
                context,
                core.clock.now(),
            )
            .failed();
            if let Err(error) = core.store.record_audit(&[audit]).await {
                tracing::warn!(%error, "could not audit a failed passkey sign-in");
            }
            Err(Error::Auth(failure))
        }
        Err(other) => Err(other),
    }
}

async fn verified_user(
    core: &Core,
    session_id: Option<&str>,
    challenge: Option<&str>,
    credential: Value,
    context: &RequestContext,
) -> Result<User> {
    let refused = || Error::auth(AuthFailure::InvalidCredentials);
    let session_id = match (session_id, challenge) {
        (Some(id), _) if !id.is_empty() && id.len() <= 128 => id.to_owned(),
        (_, Some(c)) if !c.is_empty() && c.len() <= 256 => {
            ceremony::take::<String>(core, &challenge_key(c))
                .await?
                .ok_or_else(refused)?
        }
        _ => return Err(refused()),
    };
    let pending: Pending = ceremony::take(core, &session_key(&session_id))
        .await?
        .ok_or_else(refused)?;
    let credential: PublicKeyCredential =
        serde_json::from_value(credential).map_err(|_| refused())?;
    let webauthn = core.passkeys.relying_party()?;
    let (record, result) = match pending {
        Pending::ForUser { user_id, state } => {
            let result = webauthn
                .finish_passkey_authentication(&credential, &state)
                .map_err(|e| library_refusal(&e))?;
            let record = find(core, result.cred_id()).await?;
            if record.user_id != user_id {
                return Err(refused());
            }
            (record, result)
        }
        Pending::Discoverable(state) => {
            let (user_uuid, raw_id) = webauthn
                .identify_discoverable_authentication(&credential)
                .map_err(|e| library_refusal(&e))?;
            let record = find(core, raw_id).await?;
            if record.user_id.as_uuid() != user_uuid {
                return Err(refused());
            }
            let passkey: Passkey =
                serde_json::from_value(record.passkey.clone()).map_err(Error::internal)?;
            let result = webauthn
                .finish_discoverable_authentication_v2(&credential, state, &passkey)
                .map_err(|e| library_refusal(&e))?;
            (record, result)
        }
    };
    let user = match core.store.get_user(record.user_id).await? {
        Some(user) if user.status.can_authenticate() => user,
        _ => return Err(refused()),
    };
    let mut passkey: Passkey =
        serde_json::from_value(record.passkey.clone()).map_err(Error::internal)?;
    passkey.update_credential(&result);
    let now = core.clock.now();
    let audit = entry("passkey.used", &user, context, now).target("passkey", record.id);
    let stored = serde_json::to_value(&passkey).map_err(Error::internal)?;
    if !core
        .store
        .record_passkey_use(
            record.id,
            record.sign_count,
            i64::from(result.counter()),
            &stored,
            now,
            &[audit],
        )
        .await?
    {
        return Err(refused());
    }
    Ok(user)
}

async fn find(core: &Core, raw_id: &[u8]) -> Result<PasskeyRecord> {
    core.store
        .find_passkey_by_credential_id(&credential_id_text(raw_id))
        .await?
        .ok_or(Error::auth(AuthFailure::InvalidCredentials))
}

async fn passkeys_of(core: &Core, user: UserId) -> Result<Vec<Passkey>> {
    Ok(core
        .store
        .list_passkeys(user)
        .await?
        .into_iter()
        .filter_map(|p| serde_json::from_value(p.passkey).ok())
        .collect())
}

fn library_refusal(error: &webauthn_rs::prelude::WebauthnError) -> Error {
    if matches!(
        error,
        webauthn_rs::prelude::WebauthnError::CredentialPossibleCompromise
    ) {
        tracing::warn!("passkey signature counter did not grow: possible cloned authenticator");
    } else {
        tracing::info!(%error, "passkey assertion refused");
    }
    Error::auth(AuthFailure::InvalidCredentials)
}

fn record_attempt(result: &'static str) {
    metrics::counter!("janua_auth_attempts_total", "method" => "passkey", "result" => result)
        .increment(1);
}
