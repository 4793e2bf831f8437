//! Roles: the four system roles of an organization (plus the platform's `super_admin`), their
//! levels and permissions (API.md §12), and custom roles defined per organization.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::ids::{OrgId, RoleId};
use crate::rbac::permissions::{Grants, Permission};

/// The base role of a membership. Ordered by level: viewer < member < admin < owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OrgRole {
    Viewer,
    Member,
    Admin,
    Owner,
}

impl OrgRole {
    pub const ALL: [OrgRole; 4] = [
        OrgRole::Owner,
        OrgRole::Admin,
        OrgRole::Member,
        OrgRole::Viewer,
    ];

    /// Accepts `guest` as an alias of `viewer`.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "owner" => Some(OrgRole::Owner),
            "admin" => Some(OrgRole::Admin),
            "member" => Some(OrgRole::Member),
            "viewer" | "guest" => Some(OrgRole::Viewer),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            OrgRole::Owner => "owner",
            OrgRole::Admin => "admin",
            OrgRole::Member => "member",
            OrgRole::Viewer => "viewer",
        }
    }

    pub fn level(&self) -> u8 {
        match self {
            OrgRole::Viewer => 0,
            OrgRole::Member => 1,
            OrgRole::Admin => 2,
            OrgRole::Owner => 3,
        }
    }

    pub fn permission_names(&self) -> &'static [&'static str] {
        match self {
            OrgRole::Owner => &["*"],
            OrgRole::Admin => &[
                "org:read",
                "org:update",
                "users:*",
                "settings:*",
                "integrations:*",
                "webhooks:*",
                "api_keys:*",
                "roles:*",
                "audit:read",
            ],
            OrgRole::Member => &[
                "org:read",
                "users:read",
                "users:update:self",
                "settings:read",
            ],
            OrgRole::Viewer => &["org:read", "users:read:self"],
        }
    }

    pub fn grants(&self) -> Grants {
        Grants::from_names(self.permission_names().iter().copied())
    }
}

/// The platform administrators' role: everything, everywhere.
pub const SUPER_ADMIN: &str = "super_admin";
pub const SUPER_ADMIN_LEVEL: u8 = 4;

/// A custom role of one organization.
#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    pub id: RoleId,
    pub organization_id: OrgId,
    pub name: String,
    pub description: Option<String>,
    pub permissions: Vec<Permission>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Changes to a custom role; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct RoleUpdate {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub permissions: Option<Vec<Permission>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_order_by_level_and_guest_means_viewer() {
        assert!(OrgRole::Owner > OrgRole::Admin && OrgRole::Member > OrgRole::Viewer);
        assert_eq!(OrgRole::parse("guest"), Some(OrgRole::Viewer));
        assert_eq!(OrgRole::parse("root"), None);
    }

    #[test]
    fn every_system_permission_name_is_in_the_catalogue() {
        for role in OrgRole::ALL {
            assert_eq!(
                role.grants().0.len(),
                role.permission_names().len(),
                "{role:?}"
            );
        }
    }
}
