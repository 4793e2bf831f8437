//! The permission catalogue of API.md §12 and how granted permissions (with `*` and `res:*`
//! wildcards) cover a required one.

use serde::Serialize;

/// Every permission Janua knows, with what it allows.
pub const CATALOGUE: &[(&str, &str)] = &[
    ("org:read", "See the organization"),
    ("org:update", "Change the organization's profile"),
    (
        "org:delete",
        "Delete the organization or transfer its ownership",
    ),
    ("users:read", "List members and invitations"),
    ("users:invite", "Invite and add members"),
    ("users:update", "Change members' roles"),
    ("users:remove", "Remove members"),
    ("users:read:self", "See one's own membership"),
    ("users:update:self", "Change one's own membership"),
    ("settings:read", "Read the organization's settings"),
    ("settings:update", "Change the organization's settings"),
    ("roles:read", "See custom roles"),
    (
        "roles:write",
        "Create, change, delete and assign custom roles",
    ),
    ("integrations:read", "See OAuth clients, SSO and SCIM"),
    ("integrations:write", "Manage OAuth clients, SSO and SCIM"),
    ("webhooks:read", "See webhook endpoints"),
    ("webhooks:write", "Manage webhook endpoints"),
    ("api_keys:read", "See API keys"),
    (
        "api_keys:write",
        "Create, change, rotate and revoke API keys",
    ),
    ("audit:read", "Read the audit log"),
];

/// Longest permission string accepted anywhere.
pub const MAX_PERMISSION_LEN: usize = 64;

/// A permission name, or a grant pattern (`*`, `users:*`). Parsed at the edge.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Permission(String);

impl Permission {
    /// A catalogue permission or a wildcard over a known resource.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        if raw == "*" || CATALOGUE.iter().any(|(name, _)| *name == raw) {
            return Some(Self(raw.to_owned()));
        }
        let resource = raw.strip_suffix(":*")?;
        CATALOGUE
            .iter()
            .any(|(name, _)| name.split(':').next() == Some(resource))
            .then(|| Self(raw.to_owned()))
    }

    /// A permission from the catalogue, for code that names one.
    pub(crate) fn known(name: &'static str) -> Self {
        Self(name.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether holding `self` grants `required`: equal, `*`, or `res:*` over `res:…`.
    pub fn covers(&self, required: &Permission) -> bool {
        let granted = self.0.as_str();
        granted == "*"
            || granted == required.0
            || granted
                .strip_suffix('*')
                .is_some_and(|prefix| prefix.ends_with(':') && required.0.starts_with(prefix))
    }
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A set of granted permissions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants(pub Vec<Permission>);

impl Grants {
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        Self(names.into_iter().filter_map(Permission::parse).collect())
    }

    pub fn allows(&self, required: &Permission) -> bool {
        self.0.iter().any(|granted| granted.covers(required))
    }

    /// Whether every permission of `other` is granted here (a grant pattern must be covered
    /// as a whole: `users:*` needs `users:*` or `*`).
    pub fn includes_all(&self, other: &[Permission]) -> bool {
        other.iter().all(|p| self.allows(p))
    }

    pub fn extend(&mut self, more: impl IntoIterator<Item = Permission>) {
        for p in more {
            if !self.0.contains(&p) {
                self.0.push(p);
            }
        }
    }

    /// The catalogue permissions these grants allow (wildcards expanded).
    pub fn expanded(&self) -> Vec<String> {
        CATALOGUE
            .iter()
            .map(|(name, _)| Permission::known(name))
            .filter(|p| self.allows(p))
            .map(|p| p.0)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Permission {
        Permission::parse(s).unwrap()
    }

    #[test]
    fn catalogue_names_and_wildcards_parse_and_unknown_names_do_not() {
        assert!(Permission::parse("users:read").is_some());
        assert!(Permission::parse("users:*").is_some());
        assert!(Permission::parse("*").is_some());
        assert!(Permission::parse("users:fly").is_none());
        assert!(Permission::parse("nope:*").is_none());
        assert!(Permission::parse("").is_none());
    }

    #[test]
    fn a_star_covers_everything_and_a_resource_wildcard_only_its_resource() {
        assert!(p("*").covers(&p("org:delete")));
        assert!(p("users:*").covers(&p("users:read:self")));
        assert!(!p("users:*").covers(&p("org:read")));
        assert!(!p("users:read").covers(&p("users:read:self")));
        assert!(p("users:*").covers(&p("users:*")));
        assert!(!p("users:read").covers(&p("users:*")));
    }
}
