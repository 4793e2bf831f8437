//! The audit entries (and webhook events) of the accounts capability, built in one place so
//! every path that changes an account names its action, target and event data alike
//! (API.md §14 events, §15 actions). The use cases hand these to the store method that makes
//! the change, which writes them in the same transaction.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::audit::{Actor, AuditEntry, RequestContext};
use crate::auth::sessions::ClientContext;
use crate::auth::users::User;
use crate::ids::{SessionId, UserId};

/// The user acting on their own account.
pub fn self_actor(user: &User) -> Actor {
    Actor::user(user.id, Some(&user.email))
}

/// The webhook `data` of an event about a user: ids and the address, never secrets.
pub fn user_data(user: &User) -> Value {
    json!({"user_id": user.id.to_string(), "email": user.email})
}

/// An entry about `user` by `actor`. When `event` is true the action is also a webhook event
/// of the same name (API.md §14) carrying [`user_data`].
pub fn about_user(
    action: &str,
    actor: Actor,
    user: &User,
    context: &RequestContext,
    at: DateTime<Utc>,
    event: bool,
) -> AuditEntry {
    let entry = AuditEntry::new(action, actor, context, at)
        .target("user", user.id)
        .concerning_user(user.id.as_uuid());
    if event {
        entry.emits(action, user_data(user))
    } else {
        entry
    }
}

/// An entry about a user known only by id (the session paths hold no `User`).
pub fn about_user_id(
    action: &str,
    user_id: UserId,
    context: &RequestContext,
    at: DateTime<Utc>,
) -> AuditEntry {
    AuditEntry::new(action, Actor::user(user_id, None), context, at)
        .target("user", user_id)
        .concerning_user(user_id.as_uuid())
}

/// `session.revoked` for one session (with the event), by its owner unless `actor` says
/// otherwise.
pub fn session_revoked(
    user_id: UserId,
    session: SessionId,
    reason: &str,
    actor: Actor,
    context: &RequestContext,
    at: DateTime<Utc>,
) -> AuditEntry {
    let data = json!({"user_id": user_id.to_string(), "session_id": session.to_string(), "reason": reason});
    AuditEntry::new("session.revoked", actor, context, at)
        .target("session", session)
        .concerning_user(user_id.as_uuid())
        .details(json!({"reason": reason}))
        .emits("session.revoked", data)
}

/// The request facts of a client context (sign-in paths carry one rather than an extractor).
pub fn context_of(client: &ClientContext) -> RequestContext {
    RequestContext::new(
        client.ip_address.clone(),
        client.user_agent.as_deref(),
        client.request_id.clone(),
    )
}
