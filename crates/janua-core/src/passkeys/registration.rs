//! Registering a passkey for the signed-in user (API.md §8 `/register/options`,
//! `/register/verify`). Options ask for a discoverable credential when the authenticator can
//! make one (`residentKey: preferred`), so the passkey also works without an email.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use webauthn_rs::prelude::{PasskeyRegistration, RegisterPublicKeyCredential};

use crate::audit::RequestContext;
use crate::auth::account::current_user;
use crate::auth::principal::UserPrincipal;
use crate::context::Core;
use crate::error::{AuthFailure, Error, FieldError, Result};
use crate::ids::{PasskeyId, UserId};
use crate::mfa::totp::entry;
use crate::passkeys::store::PasskeyRecord;
use crate::passkeys::{ceremony, credential_id_text, MAX_PASSKEYS_PER_USER};

/// Longest passkey name.
pub const MAX_NAME_LEN: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Attachment {
    #[serde(rename = "platform")]
    Platform,
    #[serde(rename = "cross-platform")]
    CrossPlatform,
}

impl Attachment {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "platform" => Some(Attachment::Platform),
            "cross-platform" => Some(Attachment::CrossPlatform),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Attachment::Platform => "platform",
            Attachment::CrossPlatform => "cross-platform",
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Pending {
    registration: PasskeyRegistration,
    attachment: Option<Attachment>,
}

fn key(user: UserId) -> String {
    format!("passkey_registration:{user}")
}

/// The `publicKey` options for `navigator.credentials.create()`.
pub async fn options(
    core: &Core,
    principal: &UserPrincipal,
    attachment: Option<Attachment>,
) -> Result<Value> {
    let user = current_user(core, principal).await?;
    let existing = core.store.list_passkeys(user.id).await?;
    if existing.len() >= MAX_PASSKEYS_PER_USER {
        return Err(Error::Validation(vec![FieldError::new(
            "credential",
            "at most 20 passkeys per account",
        )]));
    }
    let exclude = existing
        .iter()
        .filter_map(|p| {
            serde_json::from_value::<webauthn_rs::prelude::Passkey>(p.passkey.clone()).ok()
        })
        .map(|p| p.cred_id().clone())
        .collect();
    let display = display_name(&user);
    let (challenge, registration) = core
        .passkeys
        .relying_party()?
        .start_passkey_registration(user.id.as_uuid(), &user.email, &display, Some(exclude))
        .map_err(Error::internal)?;
    let mut options = serde_json::to_value(&challenge.public_key).map_err(Error::internal)?;
    options["timeout"] = json!(60000);
    options["authenticatorSelection"]["residentKey"] = json!("preferred");
    options["authenticatorSelection"]["requireResidentKey"] = json!(false);
    if let Some(attachment) = attachment {
        options["authenticatorSelection"]["authenticatorAttachment"] = json!(attachment.as_str());
    }
    let pending = Pending {
        registration,
        attachment,
    };
    ceremony::put(core, &key(user.id), pending, core.passkeys.registration_ttl).await?;
    Ok(options)
}

/// Checks the attestation against the pending ceremony and stores the passkey.
pub async fn verify(
    core: &Core,
    principal: &UserPrincipal,
    credential: Value,
    name: Option<String>,
    context: &RequestContext,
) -> Result<PasskeyId> {
    let user = current_user(core, principal).await?;
    let pending: Pending = ceremony::take(core, &key(user.id))
        .await?
        .ok_or(Error::auth(AuthFailure::ChallengeExpired))?;
    let failed = || Error::auth(AuthFailure::PasskeyVerificationFailed);
    let credential: RegisterPublicKeyCredential =
        serde_json::from_value(credential).map_err(|_| failed())?;
    let passkey = core
        .passkeys
        .relying_party()?
        .finish_passkey_registration(&credential, &pending.registration)
        .map_err(|e| {
            tracing::info!(error = %e, "passkey registration refused");
            failed()
        })?;
    let credential_id = credential_id_text(passkey.cred_id());
    if core
        .store
        .find_passkey_by_credential_id(&credential_id)
        .await?
        .is_some()
    {
        return Err(Error::auth(AuthFailure::PasskeyAlreadyRegistered));
    }
    let now = core.clock.now();
    let id = PasskeyId::new();
    let name = name.unwrap_or_else(|| "Passkey".to_owned());
    let record = PasskeyRecord {
        id,
        user_id: user.id,
        credential_id,
        passkey: serde_json::to_value(&passkey).map_err(Error::internal)?,
        sign_count: 0,
        name: name.clone(),
        authenticator_attachment: pending.attachment.map(|a| a.as_str().to_owned()),
        backup_eligible: false,
        backup_state: false,
        created_at: now,
        last_used_at: None,
    };
    let audit = entry("passkey.registered", &user, context, now)
        .target("passkey", id)
        .emits(
            "passkey.registered",
            json!({"user_id": user.id.to_string(), "passkey_id": id.to_string(), "name": name}),
        );
    match core.store.add_passkey(&record, &[audit]).await {
        Err(Error::Conflict { .. }) => Err(Error::auth(AuthFailure::PasskeyAlreadyRegistered)),
        other => other.map(|_| id),
    }
}

fn display_name(user: &crate::auth::users::User) -> String {
    match (&user.display_name, &user.first_name, &user.last_name) {
        (Some(d), _, _) if !d.is_empty() => d.clone(),
        (_, Some(f), Some(l)) => format!("{f} {l}"),
        (_, Some(f), None) => f.clone(),
        _ => user.email.clone(),
    }
}
