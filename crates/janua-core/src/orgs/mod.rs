//! Organizations (tenants), their members and invitations (API.md §11).
//!
//! - [`orgs`]: create (the caller becomes owner), list, read, update, delete, transfer.
//! - [`members`]: add, change role, remove (never the last owner), leave.
//! - [`invitations`]: invite by mail, bulk, accept (signed in or signing up), revoke, resend.
//! - [`claims`]: the organization claims of a session's access token (API.md §3).
//! - [`store`]: the [`OrgStore`](store::OrgStore) trait.

pub mod claims;
pub mod invitations;
pub mod members;
#[allow(clippy::module_inception)]
pub mod orgs;
pub mod store;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::ids::{InvitationId, OrgId, UserId};
use crate::rbac::roles::OrgRole;

/// An organization row, with its live member count.
#[derive(Debug, Clone, PartialEq)]
pub struct Org {
    pub id: OrgId,
    pub name: String,
    pub slug: String,
    pub description: Option<String>,
    pub logo_url: Option<String>,
    pub billing_email: Option<String>,
    pub plan: String,
    pub subscription_status: Option<String>,
    pub settings: Value,
    pub parent_id: Option<OrgId>,
    pub owner_id: Option<UserId>,
    pub require_mfa: bool,
    pub member_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewOrg {
    pub id: OrgId,
    pub name: String,
    pub slug: String,
    pub description: Option<String>,
    pub billing_email: Option<String>,
    pub parent_id: Option<OrgId>,
    pub owner_id: UserId,
    pub created_at: DateTime<Utc>,
}

/// Changes to an organization; `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct OrgUpdate {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub logo_url: Option<Option<String>>,
    pub billing_email: Option<Option<String>>,
    /// The whole settings document after merging.
    pub settings: Option<Value>,
    pub require_mfa: Option<bool>,
}

/// A membership.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub id: uuid::Uuid,
    pub organization_id: OrgId,
    pub user_id: UserId,
    pub role: OrgRole,
    pub status: String,
    pub metadata: Value,
    pub joined_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewMember {
    pub id: uuid::Uuid,
    pub organization_id: OrgId,
    pub user_id: UserId,
    pub role: OrgRole,
    pub invited_by: Option<UserId>,
    pub joined_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationStatus {
    Pending,
    Accepted,
    Expired,
    Revoked,
}

impl InvitationStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            InvitationStatus::Pending => "pending",
            InvitationStatus::Accepted => "accepted",
            InvitationStatus::Expired => "expired",
            InvitationStatus::Revoked => "revoked",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(Self::Pending),
            "accepted" => Some(Self::Accepted),
            "expired" => Some(Self::Expired),
            "revoked" => Some(Self::Revoked),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Invitation {
    pub id: InvitationId,
    pub organization_id: OrgId,
    pub email: String,
    pub role: OrgRole,
    /// As stored; a pending invitation past `expires_at` reads as expired (see [`Self::status_at`]).
    pub status: InvitationStatus,
    pub invited_by: Option<UserId>,
    pub message: Option<String>,
    pub email_sent: bool,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

impl Invitation {
    pub fn status_at(&self, now: DateTime<Utc>) -> InvitationStatus {
        if self.status == InvitationStatus::Pending && self.expires_at <= now {
            InvitationStatus::Expired
        } else {
            self.status
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub id: InvitationId,
    pub organization_id: OrgId,
    pub email: String,
    pub email_normalized: String,
    pub role: OrgRole,
    pub token_hash: String,
    pub message: Option<String>,
    pub invited_by: Option<UserId>,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// A page of a list.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub page: u32,
    pub per_page: u32,
}

impl Page {
    pub fn offset(&self) -> i64 {
        i64::from(self.page.saturating_sub(1)) * i64::from(self.per_page)
    }

    pub fn limit(&self) -> i64 {
        i64::from(self.per_page)
    }
}
