//! Access policies (API.md §12): enabled, unexpired policies that match the subject (a user, a
//! custom role they hold, the organization, or everyone), the resource type, the resource id
//! (a glob), the action and the conditions decide before RBAC: the highest priority wins, and a
//! deny wins a tie. No matching policy: RBAC decides.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::ids::{OrgId, PolicyId, RoleId, UserId};

pub const MAX_PRIORITY: i32 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

impl Effect {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "allow" => Some(Effect::Allow),
            "deny" => Some(Effect::Deny),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Effect::Allow => "allow",
            Effect::Deny => "deny",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetType {
    User,
    Role,
    Organization,
    Global,
}

impl TargetType {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "user" => Some(TargetType::User),
            "role" => Some(TargetType::Role),
            "organization" => Some(TargetType::Organization),
            "global" => Some(TargetType::Global),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            TargetType::User => "user",
            TargetType::Role => "role",
            TargetType::Organization => "organization",
            TargetType::Global => "global",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub id: PolicyId,
    pub organization_id: Option<OrgId>,
    pub name: String,
    pub description: Option<String>,
    pub effect: Effect,
    pub priority: i32,
    pub enabled: bool,
    pub target_type: TargetType,
    pub target_id: Option<uuid::Uuid>,
    pub resource_type: Option<String>,
    pub resource_pattern: Option<String>,
    pub actions: Vec<String>,
    pub conditions: Value,
    pub rules: Value,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Who is asking.
#[derive(Debug, Clone, Default)]
pub struct Subject {
    pub user_id: Option<UserId>,
    pub role_ids: Vec<RoleId>,
    pub organization_id: Option<OrgId>,
}

/// What is asked.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub resource_type: &'a str,
    pub resource_id: Option<&'a str>,
    pub action: &'a str,
    pub context: &'a Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// `None`: no policy matched, RBAC decides.
    pub allowed: Option<bool>,
    pub matched: Vec<PolicyId>,
    pub denied_by: Option<PolicyId>,
}

impl Policy {
    fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.enabled && self.expires_at.is_none_or(|e| e > now)
    }

    fn targets(&self, subject: &Subject) -> bool {
        let target = self.target_id;
        match self.target_type {
            TargetType::Global => true,
            TargetType::User => subject.user_id.map(|u| u.as_uuid()) == target && target.is_some(),
            TargetType::Organization => {
                subject.organization_id.map(|o| o.as_uuid()) == target && target.is_some()
            }
            TargetType::Role => {
                target.is_some_and(|t| subject.role_ids.iter().any(|r| r.as_uuid() == t))
            }
        }
    }

    fn matches(&self, request: &Request<'_>) -> bool {
        let type_ok = self
            .resource_type
            .as_deref()
            .is_none_or(|t| t == "*" || t == request.resource_type);
        let pattern_ok = match (&self.resource_pattern, request.resource_id) {
            (None, _) => true,
            (Some(p), Some(id)) => glob(p, id),
            (Some(p), None) => p == "*",
        };
        let action_ok =
            self.actions.is_empty() || self.actions.iter().any(|a| a == "*" || a == request.action);
        type_ok && pattern_ok && action_ok && conditions_hold(&self.conditions, request.context)
    }
}

/// Every key of `conditions` must equal the same key of `context`.
fn conditions_hold(conditions: &Value, context: &Value) -> bool {
    match conditions {
        Value::Object(map) => map.iter().all(|(k, v)| context.get(k) == Some(v)),
        Value::Null => true,
        _ => false,
    }
}

/// `*` matches any run of characters, `?` one character; everything else itself.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// The decision of `policies` for `subject` asking `request` at `now`.
pub fn evaluate(
    policies: &[Policy],
    subject: &Subject,
    request: &Request<'_>,
    now: DateTime<Utc>,
) -> Decision {
    let matched: Vec<&Policy> = policies
        .iter()
        .filter(|p| p.is_live(now) && p.targets(subject) && p.matches(request))
        .collect();
    let Some(top) = matched.iter().map(|p| p.priority).max() else {
        return Decision {
            allowed: None,
            matched: Vec::new(),
            denied_by: None,
        };
    };
    let deny = matched
        .iter()
        .find(|p| p.priority == top && p.effect == Effect::Deny)
        .map(|p| p.id);
    Decision {
        allowed: Some(deny.is_none()),
        matched: matched.iter().map(|p| p.id).collect(),
        denied_by: deny,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(effect: Effect, priority: i32, target: TargetType) -> Policy {
        let at = DateTime::<Utc>::UNIX_EPOCH;
        Policy {
            id: PolicyId::new(),
            organization_id: None,
            name: "p".into(),
            description: None,
            effect,
            priority,
            enabled: true,
            target_type: target,
            target_id: None,
            resource_type: Some("users".into()),
            resource_pattern: None,
            actions: vec!["remove".into()],
            conditions: json!({}),
            rules: json!({}),
            expires_at: None,
            created_by: None,
            created_at: at,
            updated_at: at,
        }
    }

    fn ask(action: &str) -> (Subject, Value, String) {
        (Subject::default(), json!({}), action.to_owned())
    }

    #[test]
    fn globs_match_stars_and_question_marks() {
        assert!(glob("doc-*", "doc-42"));
        assert!(glob("a?c", "abc"));
        assert!(glob("*", ""));
        assert!(!glob("doc-*", "img-1"));
        assert!(glob("*-end", "the-end"));
        assert!(!glob("a?c", "ac"));
    }

    #[test]
    fn the_highest_priority_decides_and_deny_wins_a_tie() {
        let (subject, context, action) = ask("remove");
        let request = Request {
            resource_type: "users",
            resource_id: None,
            action: &action,
            context: &context,
        };
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let allow = policy(Effect::Allow, 10, TargetType::Global);
        let deny_low = policy(Effect::Deny, 5, TargetType::Global);
        assert_eq!(
            evaluate(&[allow.clone(), deny_low.clone()], &subject, &request, now).allowed,
            Some(true)
        );
        let deny_tie = policy(Effect::Deny, 10, TargetType::Global);
        let d = evaluate(&[allow, deny_tie.clone()], &subject, &request, now);
        assert_eq!((d.allowed, d.denied_by), (Some(false), Some(deny_tie.id)));
        assert_eq!(evaluate(&[], &subject, &request, now).allowed, None);
    }

    #[test]
    fn disabled_expired_untargeted_and_other_actions_do_not_match() {
        let (subject, context, action) = ask("read");
        let request = Request {
            resource_type: "users",
            resource_id: None,
            action: &action,
            context: &context,
        };
        let now = DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(1);
        let other_action = policy(Effect::Deny, 1, TargetType::Global);
        let mut disabled = policy(Effect::Deny, 1, TargetType::Global);
        disabled.actions = vec![];
        disabled.enabled = false;
        let mut expired = disabled.clone();
        expired.enabled = true;
        expired.expires_at = Some(DateTime::<Utc>::UNIX_EPOCH);
        let mut for_someone = expired.clone();
        for_someone.expires_at = None;
        for_someone.target_type = TargetType::User;
        for_someone.target_id = Some(uuid::Uuid::now_v7());
        let d = evaluate(
            &[other_action, disabled, expired, for_someone],
            &subject,
            &request,
            now,
        );
        assert_eq!(d.allowed, None);
    }

    #[test]
    fn conditions_must_all_equal_the_context() {
        let mut p = policy(Effect::Deny, 1, TargetType::Global);
        p.conditions = json!({"ip": "10.0.0.1"});
        let action = "remove".to_owned();
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let hit = json!({"ip": "10.0.0.1", "other": 1});
        let miss = json!({"ip": "10.0.0.2"});
        let req = |c| Request {
            resource_type: "users",
            resource_id: None,
            action: &action,
            context: c,
        };
        assert_eq!(
            evaluate(&[p.clone()], &Subject::default(), &req(&hit), now).allowed,
            Some(false)
        );
        assert_eq!(
            evaluate(&[p], &Subject::default(), &req(&miss), now).allowed,
            None
        );
    }
}
