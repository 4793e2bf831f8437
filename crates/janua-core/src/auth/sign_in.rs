//! Password sign-in (`POST /auth/signin`, the hosted login form). Unknown accounts, inactive
//! accounts and wrong passwords fail identically, after the same amount of hashing work.
//! Failures count per normalised identifier, existing or not; the threshold-th failure locks it.

use crate::audit::{Actor, AuditEntry, RequestContext};
use crate::auth::audit_events::context_of;
use crate::auth::email::{lockout_key, Email};
use crate::auth::passwords::Verification;
use crate::auth::session_open::{open_session, OpenedSession};
use crate::auth::sessions::ClientContext;
use crate::auth::users::{AuthMethod, User};
use crate::context::Core;
use crate::error::{AuthFailure, Error, Result};

/// Who is signing in: an email address or a username.
pub enum Identifier {
    Email(String),
    Username(String),
}

pub struct SignIn {
    pub identifier: Identifier,
    pub password: String,
}

pub struct SignedIn {
    pub user: User,
    pub opened: OpenedSession,
}

pub async fn sign_in(core: &Core, request: SignIn, client: &ClientContext) -> Result<SignedIn> {
    let user = check_credentials(core, &request, &context_of(client)).await?;
    let opened = open_session(core, &user, AuthMethod::Password, client).await?;
    Ok(SignedIn { user, opened })
}

/// Checks the credentials (with lockout) and returns the user; opens nothing. Failures are
/// audited without request facts; [`check_credentials`] records them.
pub async fn verify_password_credentials(core: &Core, request: &SignIn) -> Result<User> {
    check_credentials(core, request, &RequestContext::default()).await
}

/// As [`verify_password_credentials`], auditing each failure (`user.sign_in_failed`, and
/// `user.locked` when this failure locks the identifier) with the request's facts.
pub async fn check_credentials(
    core: &Core,
    request: &SignIn,
    context: &RequestContext,
) -> Result<User> {
    let now = core.clock.now();
    let raw = match &request.identifier {
        Identifier::Email(e) | Identifier::Username(e) => e.as_str(),
    };
    let key = lockout_key(raw);
    let lockout = &core.auth.lockout;
    let existing_lock = if lockout.enabled {
        core.store.get_lockout(&key).await?
    } else {
        None
    };
    if let Some(until) = existing_lock
        .as_ref()
        .and_then(|l| l.locked_until)
        .filter(|until| *until > now)
    {
        record_attempt("locked");
        let user_id = find_user(core, &request.identifier)
            .await
            .ok()
            .flatten()
            .map(|u| u.id);
        audit_failure(core, raw, user_id, "locked", context, false).await;
        return Err(locked(until, now));
    }
    let user = find_user(core, &request.identifier).await?;
    let verified = match user
        .as_ref()
        .and_then(|u| u.password_hash.as_deref().map(|h| (u, h)))
    {
        Some((u, hash)) if u.status.can_authenticate() => {
            core.passwords.verify(hash, &request.password).await?
        }
        _ => core.passwords.verify_dummy(&request.password).await?,
    };
    let user_id = user.as_ref().map(|u| u.id);
    let (user, needs_rehash) = match (user, verified) {
        (Some(user), Verification::Valid { needs_rehash }) => (user, needs_rehash),
        _ => {
            record_attempt("failure");
            if lockout.enabled {
                let after = core
                    .store
                    .record_failed_sign_in(&key, lockout.threshold, lockout.duration, now)
                    .await?;
                if let Some(until) = after.locked_until.filter(|until| *until > now) {
                    tracing::warn!("sign-in locked after repeated failures");
                    audit_failure(core, raw, user_id, "invalid_credentials", context, true).await;
                    return Err(locked(until, now));
                }
            }
            audit_failure(core, raw, user_id, "invalid_credentials", context, false).await;
            return Err(Error::auth(AuthFailure::InvalidCredentials));
        }
    };
    if existing_lock.is_some() {
        core.store.clear_lockout(&key).await?;
    }
    if needs_rehash {
        let hash = core.passwords.hash(&request.password).await?;
        core.store
            .set_password_hash(user.id, &hash, now, &[])
            .await?;
    }
    record_attempt("success");
    Ok(user)
}

async fn find_user(core: &Core, identifier: &Identifier) -> Result<Option<User>> {
    match identifier {
        Identifier::Email(raw) => match Email::parse(raw) {
            Ok(email) => core.store.find_user_by_email(&email.normalized()).await,
            Err(_) => Ok(None),
        },
        Identifier::Username(raw) => core.store.find_user_by_username(&raw.to_lowercase()).await,
    }
}

/// Records a failed sign-in (and, when it locked the identifier, `user.locked` with its event).
/// The identifier is kept as typed, cut to 254 characters; the password never is. A failure to
/// record is logged, not returned: the caller's answer must stay the same either way.
async fn audit_failure(
    core: &Core,
    identifier: &str,
    user_id: Option<crate::ids::UserId>,
    reason: &str,
    context: &RequestContext,
    locked_now: bool,
) {
    let now = core.clock.now();
    let shown: String = identifier.chars().take(254).collect();
    let mut failed = AuditEntry::new(
        "user.sign_in_failed",
        Actor::anonymous(Some(&shown)),
        context,
        now,
    )
    .failed()
    .details(serde_json::json!({"reason": reason, "identifier": shown}));
    let mut entries = Vec::with_capacity(2);
    if let Some(id) = user_id {
        failed = failed.target("user", id).concerning_user(id.as_uuid());
    }
    entries.push(failed);
    if let (true, Some(id)) = (locked_now, user_id) {
        entries.push(
            AuditEntry::new("user.locked", Actor::system(), context, now)
                .target("user", id)
                .concerning_user(id.as_uuid())
                .details(serde_json::json!({"identifier": shown}))
                .emits(
                    "user.locked",
                    serde_json::json!({"user_id": id.to_string()}),
                ),
        );
    }
    if let Err(error) = core.store.record_audit(&entries).await {
        tracing::error!(%error, "cannot record a failed sign-in in the audit log");
    }
}

fn locked(until: chrono::DateTime<chrono::Utc>, now: chrono::DateTime<chrono::Utc>) -> Error {
    let retry_after_secs = u64::try_from((until - now).num_seconds())
        .unwrap_or(0)
        .max(1);
    Error::auth(AuthFailure::AccountLocked { retry_after_secs })
}

fn record_attempt(result: &'static str) {
    metrics::counter!("janua_auth_attempts_total", "method" => "password", "result" => result)
        .increment(1);
}
