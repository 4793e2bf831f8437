//! Opening a session after a successful authentication, whatever proved it (password, magic
//! link, second factor, passkey): the session row, its first refresh token, the token pair, and
//! the per-user session limit, enforced in the same transaction.

use crate::audit::{Actor, AuditEntry};
use crate::auth::audit_events::{about_user, context_of, self_actor};
use crate::auth::revocation::publish_revoked_sessions;
use crate::auth::sessions::{
    ClientContext, DeviceInfo, NewSession, Session, SessionLimit, MAX_USER_AGENT_LEN,
};
use crate::auth::tokens::{new_refresh_secret, token_pair, TokenPair};
use crate::auth::users::{AuthMethod, User};
use crate::context::Core;
use crate::crypto::{random_token, secret_digest};
use crate::error::Result;
use crate::ids::SessionId;
use crate::orgs::claims::OrgClaims;

pub struct OpenedSession {
    pub session: Session,
    pub tokens: TokenPair,
}

pub async fn open_session(
    core: &Core,
    user: &User,
    method: AuthMethod,
    client: &ClientContext,
) -> Result<OpenedSession> {
    open(core, user, method, client, None).await
}

/// A session that a browser holds through the `janua_session` cookie, besides its tokens.
pub struct OpenedBrowserSession {
    pub opened: OpenedSession,
    /// The cookie value: 256 random bits. Only its SHA-256 digest is stored.
    pub cookie_secret: String,
}

/// Like [`open_session`], for a browser: the session also gets a cookie secret.
pub async fn open_cookie_session(
    core: &Core,
    user: &User,
    method: AuthMethod,
    client: &ClientContext,
) -> Result<OpenedBrowserSession> {
    let cookie_secret = random_token(32);
    let digest = secret_digest(&cookie_secret);
    let opened = open(core, user, method, client, Some(digest)).await?;
    Ok(OpenedBrowserSession {
        opened,
        cookie_secret,
    })
}

async fn open(
    core: &Core,
    user: &User,
    method: AuthMethod,
    client: &ClientContext,
    cookie_secret_hash: Option<String>,
) -> Result<OpenedSession> {
    let now = core.clock.now();
    let refresh = new_refresh_secret();
    let user_agent = client
        .user_agent
        .as_deref()
        .map(|ua| truncate(ua, MAX_USER_AGENT_LEN));
    let new = NewSession {
        id: SessionId::new(),
        user_id: user.id,
        ip_address: client.ip_address.clone(),
        device: user_agent
            .as_deref()
            .map(DeviceInfo::from_user_agent)
            .unwrap_or_default(),
        user_agent,
        amr: method.amr().iter().map(|m| (*m).to_owned()).collect(),
        auth_time: now,
        created_at: now,
        expires_at: now + core.auth.session_ttl,
        absolute_expires_at: now + core.auth.session_absolute_ttl,
        refresh_token_hash: refresh.digest,
        refresh_expires_at: now + core.auth.session_ttl,
        cookie_secret_hash,
    };
    let context = context_of(client);
    let amr = new.amr.clone();
    let audit = [
        about_user("user.signed_in", self_actor(user), user, &context, now, true).details(
            serde_json::json!({"method": method_name(method), "amr": amr, "session_id": new.id.to_string()}),
        ),
        about_user("session.created", self_actor(user), user, &context, now, false)
            .target("session", new.id)
            .emits(
                "session.created",
                serde_json::json!({"user_id": user.id.to_string(), "session_id": new.id.to_string()}),
            ),
    ];
    let limit = session_limit(core, user, now, &context);
    let (session, trimmed) = core
        .store
        .open_session_within_limit(&new, &audit, limit.as_ref())
        .await?;
    publish_revoked_sessions(core, &trimmed).await;
    // A new session has no organization selected yet: the token carries every membership's
    // roles (an `organization_id` asked for at sign-in is applied by `orgs::claims::apply`).
    let org = OrgClaims::of(core, user, None).await?;
    let tokens = token_pair(
        core,
        user,
        session.id,
        &session.amr,
        org,
        refresh.token,
        now,
    )?;
    Ok(OpenedSession { session, tokens })
}

/// `MAX_SESSIONS_PER_IDENTITY` (0: no limit): beyond it the oldest live sessions are revoked,
/// in the transaction that opens the new one.
fn session_limit(
    core: &Core,
    user: &User,
    now: chrono::DateTime<chrono::Utc>,
    context: &crate::audit::RequestContext,
) -> Option<SessionLimit> {
    let max = core.auth.max_sessions_per_user;
    if max == 0 {
        return None;
    }
    let audit = vec![
        AuditEntry::new("session.revoked", Actor::system(), context, now)
            .target("user", user.id)
            .concerning_user(user.id.as_uuid())
            .details(serde_json::json!({"reason": "session_limit", "scope": "oldest", "kept": max}))
            .emits(
                "session.revoked",
                serde_json::json!({"user_id": user.id.to_string(), "reason": "session_limit"}),
            ),
    ];
    Some(SessionLimit {
        keep: max,
        reason: "session_limit",
        audit,
    })
}

/// How the user proved who they are, as audit details name it.
fn method_name(method: AuthMethod) -> &'static str {
    match method {
        AuthMethod::Password => "password",
        AuthMethod::MagicLink => "magic_link",
        AuthMethod::Otp => "mfa",
        AuthMethod::Passkey => "passkey",
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}
