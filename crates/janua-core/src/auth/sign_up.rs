//! Sign-up (`POST /auth/signup`): a new account with a password, signed in at once.

use crate::audit::{Actor, AuditEntry, RequestContext};
use crate::auth::audit_events::context_of;
use crate::auth::email::Email;
use crate::auth::session_open::{open_session, OpenedSession};
use crate::auth::sessions::ClientContext;
use crate::auth::username::Username;
use crate::auth::users::{AuthMethod, NewUser, User};
use crate::context::Core;
use crate::error::{AuthFailure, Error, Result};
use crate::ids::UserId;
use crate::settings::SettingKey;

pub struct SignUp {
    pub email: Email,
    pub password: String,
    pub username: Option<Username>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub locale: Option<String>,
}

pub struct SignedUp {
    pub user: User,
    pub opened: OpenedSession,
}

/// Whether sign-ups are open: the runtime setting `auth.allow_signups` wins over
/// `ENABLE_SIGNUPS`.
pub async fn signups_allowed(core: &Core) -> Result<bool> {
    let key = SettingKey::parse("auth.allow_signups")?;
    Ok(match core.store.get_setting(&key).await? {
        Some(setting) => setting.value.as_bool().unwrap_or(core.auth.signups_enabled),
        None => core.auth.signups_enabled,
    })
}

pub async fn sign_up(core: &Core, request: SignUp, client: &ClientContext) -> Result<SignedUp> {
    if !signups_allowed(core).await? {
        return Err(Error::auth(AuthFailure::SignupsDisabled));
    }
    let unmet = core
        .auth
        .password_policy
        .check("password", &request.password);
    if !unmet.is_empty() {
        return Err(Error::auth(AuthFailure::WeakPassword(unmet)));
    }
    if core
        .store
        .find_user_by_email(&request.email.normalized())
        .await?
        .is_some()
    {
        return Err(Error::auth(AuthFailure::EmailTaken));
    }
    let password_hash = core.passwords.hash(&request.password).await?;
    let new = NewUser {
        id: UserId::new(),
        email: request.email,
        username: request.username,
        password_hash: Some(password_hash),
        first_name: request.first_name,
        last_name: request.last_name,
        locale: request.locale,
        email_verified: false,
        is_admin: false,
        created_at: core.clock.now(),
    };
    let audit = [created_entry(&new, &context_of(client))];
    let user = core.store.create_user(&new, &audit).await.map_err(taken)?;
    if core.auth.email_configured {
        crate::auth::email_verification::send_verification(core, &user).await?;
    }
    let opened = open_session(core, &user, AuthMethod::Password, client).await?;
    metrics::counter!("janua_auth_attempts_total", "method" => "signup", "result" => "success")
        .increment(1);
    Ok(SignedUp { user, opened })
}

/// `user.created` (and its event) for an account about to be inserted, by its own holder.
pub fn created_entry(new: &NewUser, context: &RequestContext) -> AuditEntry {
    created_by(new, Actor::user(new.id, Some(new.email.as_str())), context)
}

/// `user.created` (and its event) for an account about to be inserted by `actor`.
pub fn created_by(new: &NewUser, actor: Actor, context: &RequestContext) -> AuditEntry {
    let data = serde_json::json!({"user_id": new.id.to_string(), "email": new.email.as_str()});
    AuditEntry::new("user.created", actor, context, new.created_at)
        .target("user", new.id)
        .concerning_user(new.id.as_uuid())
        .details(
            serde_json::json!({"email_verified": new.email_verified, "is_admin": new.is_admin}),
        )
        .emits("user.created", data)
}

/// Unique violations on users become the API's `EMAIL_TAKEN` / `USERNAME_TAKEN`.
pub fn taken(error: Error) -> Error {
    match error {
        Error::Conflict { what } if what.contains("username") => {
            Error::auth(AuthFailure::UsernameTaken)
        }
        Error::Conflict { what } if what.contains("email") => Error::auth(AuthFailure::EmailTaken),
        other => other,
    }
}
