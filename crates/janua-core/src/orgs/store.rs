//! What organizations, members and invitations need from storage. Mutating methods write
//! their audit entries in the same transaction as the change.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::audit::AuditEntry;
use crate::error::Result;
use crate::ids::{InvitationId, OrgId, SessionId, UserId};
use crate::orgs::{
    Invitation, InvitationStatus, Member, NewInvitation, NewMember, NewOrg, Org, OrgUpdate, Page,
};
use crate::rbac::roles::OrgRole;

#[async_trait]
pub trait OrgStore: Send + Sync {
    /// Inserts the organization and its creator as `owner` in one transaction
    /// (`Conflict { what: "slug" }` when the slug is taken).
    async fn create_org(&self, org: &NewOrg, audit: &[AuditEntry]) -> Result<Org>;
    async fn get_org(&self, id: OrgId) -> Result<Option<Org>>;
    async fn get_org_by_slug(&self, slug: &str) -> Result<Option<Org>>;
    /// The user's organizations with their role, oldest membership first.
    async fn list_user_orgs(&self, user: UserId, page: Page) -> Result<(Vec<(Org, OrgRole)>, u64)>;
    /// All of them, in one query: for the ID token's `organizations` claim.
    async fn list_member_orgs(&self, user: UserId) -> Result<Vec<(Org, OrgRole)>>;
    /// Every organization (administration), optionally filtered by name or slug.
    async fn list_all_orgs(&self, search: Option<&str>, page: Page) -> Result<(Vec<Org>, u64)>;
    async fn update_org(
        &self,
        id: OrgId,
        update: &OrgUpdate,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<Org>;
    /// Deletes the organization and everything it owns (cascade). False when it did not exist.
    async fn delete_org(&self, id: OrgId, audit: &[AuditEntry]) -> Result<bool>;
    /// Makes `to` (already a member) the owner; `from` becomes `admin`.
    async fn transfer_ownership(
        &self,
        id: OrgId,
        from: UserId,
        to: UserId,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<()>;

    async fn get_member(&self, org: OrgId, user: UserId) -> Result<Option<Member>>;
    async fn list_members(&self, org: OrgId) -> Result<Vec<Member>>;
    /// Every membership of a user: for the `roles` claim.
    async fn list_memberships(&self, user: UserId) -> Result<Vec<Member>>;
    /// `Conflict { what: "member" }` when the user already belongs to the organization.
    async fn add_member(&self, member: &NewMember, audit: &[AuditEntry]) -> Result<Member>;
    /// Changes a member's role; refuses (`SoleAdmin`) to demote the last owner. `None` when not
    /// a member.
    async fn set_member_role(
        &self,
        org: OrgId,
        user: UserId,
        role: OrgRole,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<Option<Member>>;
    /// Removes a member and their custom role grants; refuses (`SoleAdmin`) to remove the last
    /// owner. False when not a member.
    async fn remove_member(&self, org: OrgId, user: UserId, audit: &[AuditEntry]) -> Result<bool>;

    /// `Conflict { what: "invitation" }` when a pending invitation for the email exists.
    async fn create_invitation(
        &self,
        invitation: &NewInvitation,
        audit: &[AuditEntry],
    ) -> Result<Invitation>;
    async fn get_invitation(&self, id: InvitationId) -> Result<Option<Invitation>>;
    async fn find_invitation_by_token(&self, token_hash: &str) -> Result<Option<Invitation>>;
    async fn list_invitations(&self, org: OrgId) -> Result<Vec<Invitation>>;
    async fn update_invitation(
        &self,
        id: InvitationId,
        role: Option<OrgRole>,
        message: Option<Option<String>>,
        expires_at: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    ) -> Result<Option<Invitation>>;
    /// Sets the status of a pending invitation; false when it was not pending.
    async fn set_invitation_status(
        &self,
        id: InvitationId,
        status: InvitationStatus,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<bool>;
    /// A new token and expiry for a pending invitation (resend).
    async fn renew_invitation(
        &self,
        id: InvitationId,
        token_hash: &str,
        expires_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<bool>;
    async fn mark_invitation_sent(&self, id: InvitationId) -> Result<()>;
    /// Marks a pending, unexpired invitation accepted and adds the member, in one transaction.
    /// False when the invitation was no longer pending (used twice, revoked).
    async fn accept_invitation(
        &self,
        id: InvitationId,
        member: &NewMember,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<bool>;

    /// Selects an organization for a session (sign-in, refresh with `organization_id`).
    async fn set_session_organization(&self, session: SessionId, org: Option<OrgId>) -> Result<()>;
    async fn session_organization(&self, session: SessionId) -> Result<Option<OrgId>>;
}
