//! Audit entries: who did what to which resource, from where, and whether it succeeded
//! (API.md §15). An entry is written by the store in the SAME transaction as the change it
//! describes, so a committed change always has its entry and a rolled-back one never does. An
//! entry may carry a webhook event (API.md §14); the store then writes it to the outbox in that
//! transaction too, and the webhook dispatcher delivers it later.
//!
//! Mutating store methods of a capability take `audit: &[AuditEntry]`; events that change
//! nothing (a failed sign-in) go through [`AuditStore::record_audit`].

pub mod access;
pub mod query;
pub mod read;
pub mod store;

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

pub use store::AuditStore;

/// Longest user agent kept in an entry; longer ones are cut (on a character boundary).
pub const MAX_USER_AGENT_CHARS: usize = 512;

/// What kind of principal acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorType {
    User,
    ApiKey,
    OauthClient,
    System,
}

impl ActorType {
    pub fn as_str(&self) -> &'static str {
        match self {
            ActorType::User => "user",
            ActorType::ApiKey => "api_key",
            ActorType::OauthClient => "oauth_client",
            ActorType::System => "system",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "user" => Some(ActorType::User),
            "api_key" => Some(ActorType::ApiKey),
            "oauth_client" => Some(ActorType::OauthClient),
            "system" => Some(ActorType::System),
            _ => None,
        }
    }
}

/// The principal behind an action. `email` is kept for users so the log stays readable after
/// the account is deleted.
#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    pub kind: ActorType,
    pub id: Option<String>,
    pub email: Option<String>,
}

impl Actor {
    pub fn user(id: impl ToString, email: Option<&str>) -> Self {
        Actor {
            kind: ActorType::User,
            id: Some(id.to_string()),
            email: email.map(str::to_owned),
        }
    }

    /// Someone not (yet) identified, such as the caller of a failed sign-in.
    pub fn anonymous(email: Option<&str>) -> Self {
        Actor {
            kind: ActorType::User,
            id: None,
            email: email.map(str::to_owned),
        }
    }

    pub fn api_key(id: impl ToString) -> Self {
        Actor {
            kind: ActorType::ApiKey,
            id: Some(id.to_string()),
            email: None,
        }
    }

    pub fn oauth_client(client_id: impl ToString) -> Self {
        Actor {
            kind: ActorType::OauthClient,
            id: Some(client_id.to_string()),
            email: None,
        }
    }

    pub fn system() -> Self {
        Actor {
            kind: ActorType::System,
            id: None,
            email: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
}

impl Outcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "success" => Some(Outcome::Success),
            "failure" => Some(Outcome::Failure),
            _ => None,
        }
    }
}

/// Where a request came from: filled in by the HTTP layer, empty for background work.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestContext {
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

impl RequestContext {
    pub fn new(
        ip_address: Option<String>,
        user_agent: Option<&str>,
        request_id: Option<String>,
    ) -> Self {
        RequestContext {
            ip_address,
            user_agent: user_agent.map(|ua| ua.chars().take(MAX_USER_AGENT_CHARS).collect()),
            request_id,
        }
    }
}

/// The resource an action was applied to.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// `user`, `session`, `organization`, `api_key`, `oauth_client`, …
    pub kind: String,
    pub id: String,
}

/// A webhook event that rides along with an audit entry into the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEvent {
    /// As API.md §14 names them: `user.created`, `session.revoked`, …
    pub event_type: String,
    /// The event's `data` object.
    pub data: Value,
}

/// One audit log row (and optionally one outbox event).
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub actor: Actor,
    /// Dotted `<resource>.<verb>`, e.g. `user.login`, `mfa.enabled`, `organization.created`.
    pub action: String,
    pub target: Option<Target>,
    pub organization_id: Option<Uuid>,
    pub context: RequestContext,
    pub outcome: Outcome,
    /// Action-specific facts. Never secrets.
    pub details: Value,
    pub event: Option<WebhookEvent>,
    /// The user the event concerns, for the outbox (webhook filtering by user).
    pub user_id: Option<Uuid>,
}

impl AuditEntry {
    /// A successful action by `actor`, with no target, details or event yet.
    pub fn new(
        action: impl Into<String>,
        actor: Actor,
        context: &RequestContext,
        at: DateTime<Utc>,
    ) -> Self {
        AuditEntry {
            id: Uuid::now_v7(),
            occurred_at: at,
            actor,
            action: action.into(),
            target: None,
            organization_id: None,
            context: context.clone(),
            outcome: Outcome::Success,
            details: Value::Object(Default::default()),
            event: None,
            user_id: None,
        }
    }

    pub fn target(mut self, kind: impl Into<String>, id: impl ToString) -> Self {
        self.target = Some(Target {
            kind: kind.into(),
            id: id.to_string(),
        });
        self
    }

    pub fn organization(mut self, organization_id: Uuid) -> Self {
        self.organization_id = Some(organization_id);
        self
    }

    pub fn failed(mut self) -> Self {
        self.outcome = Outcome::Failure;
        self
    }

    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    pub fn concerning_user(mut self, user_id: Uuid) -> Self {
        self.user_id = Some(user_id);
        self
    }

    /// Also emits the webhook event `event_type` with `data`.
    pub fn emits(mut self, event_type: impl Into<String>, data: Value) -> Self {
        self.event = Some(WebhookEvent {
            event_type: event_type.into(),
            data,
        });
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_user_agents_are_cut_on_a_character_boundary() {
        let ua = "é".repeat(MAX_USER_AGENT_CHARS + 10);
        let ctx = RequestContext::new(None, Some(&ua), None);
        assert_eq!(
            ctx.user_agent.as_deref().map(|s| s.chars().count()),
            Some(MAX_USER_AGENT_CHARS)
        );
    }

    #[test]
    fn builder_sets_every_part() {
        let at = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let org = Uuid::now_v7();
        let entry = AuditEntry::new(
            "user.login",
            Actor::anonymous(Some("a@b.c")),
            &Default::default(),
            at,
        )
        .target("user", "u1")
        .organization(org)
        .failed()
        .details(serde_json::json!({"reason": "invalid_password"}))
        .emits("user.login_failed", serde_json::json!({}));
        assert_eq!(entry.outcome, Outcome::Failure);
        assert_eq!(entry.organization_id, Some(org));
        assert_eq!(entry.target.as_ref().map(|t| t.id.as_str()), Some("u1"));
        assert_eq!(entry.actor.kind.as_str(), "user");
        assert!(entry.event.is_some());
        assert_eq!(ActorType::parse("api_key"), Some(ActorType::ApiKey));
        assert_eq!(Outcome::parse("nope"), None);
    }
}
