//! Reading the audit log (API.md §15): filters, keyset cursors over `(occurred_at, id)` newest
//! first, and the stats shape. Who may see which entries is decided in [`super::access`]; the
//! store only applies the resulting [`Scope`].

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{ActorType, Outcome};
use crate::ids::UserId;

/// Most entries one list page returns (`limit` ≤ 1000).
pub const MAX_LIMIT: u32 = 1000;
/// Entries per page when `limit` is not given.
pub const DEFAULT_LIMIT: u32 = 100;
/// Longest action filter accepted (`user.*`, `organization.member_added`, …).
pub const MAX_ACTION_LEN: usize = 100;

/// Which entries a reader may see at all; filters narrow further.
#[derive(Debug, Clone, PartialEq)]
pub enum Scope {
    /// Platform administrators: every entry.
    All,
    /// A user's own entries: those they performed or that target their account.
    User(UserId),
    /// One organization's entries (readers holding `audit:read` there).
    Organization(Uuid),
}

/// `action=user.login` matches exactly; `action=user.*` matches every `user.` action.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionFilter {
    Exact(String),
    Prefix(String),
}

impl ActionFilter {
    /// Actions are dotted lowercase words; anything else is refused (`None`).
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        if raw.is_empty() || raw.len() > MAX_ACTION_LEN {
            return None;
        }
        let (body, prefix) = match raw.strip_suffix('*') {
            Some(body) => (body, true),
            None => (raw, false),
        };
        let valid = body
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.');
        if !valid || (!prefix && body.is_empty()) {
            return None;
        }
        Some(if prefix {
            ActionFilter::Prefix(body.to_owned())
        } else {
            ActionFilter::Exact(body.to_owned())
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuditFilter {
    pub scope: Scope,
    pub actor_type: Option<ActorType>,
    pub actor_id: Option<String>,
    pub action: Option<ActionFilter>,
    pub organization_id: Option<Uuid>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub outcome: Option<Outcome>,
    /// Inclusive lower bound on `occurred_at`.
    pub start: Option<DateTime<Utc>>,
    /// Exclusive upper bound on `occurred_at`.
    pub end: Option<DateTime<Utc>>,
    pub ip_address: Option<String>,
}

impl AuditFilter {
    /// No filter at all within `scope`.
    pub fn within(scope: Scope) -> Self {
        AuditFilter {
            scope,
            actor_type: None,
            actor_id: None,
            action: None,
            organization_id: None,
            target_type: None,
            target_id: None,
            outcome: None,
            start: None,
            end: None,
            ip_address: None,
        }
    }
}

/// Where the next page starts: strictly older than this `(occurred_at, id)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AuditCursor {
    pub occurred_at: DateTime<Utc>,
    pub id: Uuid,
}

impl AuditCursor {
    /// Opaque to clients: base64url of `<unix micros>:<id>`.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!(
            "{}:{}",
            self.occurred_at.timestamp_micros(),
            self.id
        ))
    }

    pub fn decode(raw: &str) -> Option<Self> {
        if raw.len() > 200 {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (micros, id) = text.split_once(':')?;
        Some(AuditCursor {
            occurred_at: DateTime::from_timestamp_micros(micros.parse().ok()?)?,
            id: Uuid::try_parse(id).ok()?,
        })
    }
}

/// `GET /audit-logs/stats`: counts within a filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditStats {
    pub total: u64,
    /// Most frequent first.
    pub by_action: Vec<(String, u64)>,
    pub by_outcome: Vec<(String, u64)>,
    /// `YYYY-MM-DD` (UTC), oldest first.
    pub by_day: Vec<(String, u64)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_parse_exactly_or_as_prefixes() {
        assert_eq!(
            ActionFilter::parse("user.*"),
            Some(ActionFilter::Prefix("user.".into()))
        );
        assert_eq!(
            ActionFilter::parse("user.signed_in"),
            Some(ActionFilter::Exact("user.signed_in".into()))
        );
        assert_eq!(
            ActionFilter::parse("*"),
            Some(ActionFilter::Prefix(String::new()))
        );
        assert_eq!(ActionFilter::parse("User.Login"), None);
        assert_eq!(ActionFilter::parse("a%b"), None);
        assert_eq!(ActionFilter::parse(""), None);
        assert_eq!(ActionFilter::parse(&"a".repeat(101)), None);
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let cursor = AuditCursor {
            occurred_at: DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap(),
            id: Uuid::now_v7(),
        };
        assert_eq!(AuditCursor::decode(&cursor.encode()), Some(cursor));
        assert_eq!(AuditCursor::decode("not a cursor"), None);
        assert_eq!(
            AuditCursor::decode(&URL_SAFE_NO_PAD.encode("12:nope")),
            None
        );
    }
}
