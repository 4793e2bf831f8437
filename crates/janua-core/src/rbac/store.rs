//! What custom roles need from storage. Mutating methods write their audit entries in the
//! same transaction as the change.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::audit::AuditEntry;
use crate::error::Result;
use crate::ids::{OrgId, PolicyId, RoleId, UserId};
use crate::orgs::Page;
use crate::rbac::policies::Policy;
use crate::rbac::roles::{Role, RoleUpdate};

#[async_trait]
pub trait RbacStore: Send + Sync {
    /// `Conflict { what: "role" }` when the organization already has a role of that name.
    async fn create_role(&self, role: &Role, audit: &[AuditEntry]) -> Result<Role>;
    async fn get_role(&self, id: RoleId) -> Result<Option<Role>>;
    async fn find_role_by_name(&self, org: OrgId, name: &str) -> Result<Option<Role>>;
    async fn list_roles(&self, org: OrgId) -> Result<Vec<Role>>;
    async fn update_role(
        &self,
        id: RoleId,
        update: &RoleUpdate,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<Option<Role>>;
    async fn delete_role(&self, id: RoleId, audit: &[AuditEntry]) -> Result<bool>;
    /// Grants a custom role to a member; granting it twice is a no-op.
    async fn assign_role(
        &self,
        org: OrgId,
        user: UserId,
        role: RoleId,
        granted_by: Option<UserId>,
        at: DateTime<Utc>,
        audit: &[AuditEntry],
    ) -> Result<()>;
    /// The custom roles a user holds in an organization.
    async fn user_roles(&self, org: OrgId, user: UserId) -> Result<Vec<Role>>;

    async fn create_policy(&self, policy: &Policy, audit: &[AuditEntry]) -> Result<Policy>;
    async fn get_policy(&self, id: PolicyId) -> Result<Option<Policy>>;
    /// One organization's policies, or (`None`) every policy.
    async fn list_policies(&self, org: Option<OrgId>, page: Page) -> Result<(Vec<Policy>, u64)>;
    /// Replaces every mutable field of the stored policy with `policy`'s.
    async fn update_policy(&self, policy: &Policy, audit: &[AuditEntry]) -> Result<Option<Policy>>;
    async fn delete_policy(&self, id: PolicyId, audit: &[AuditEntry]) -> Result<bool>;
    /// Enabled policies of the organization and the global ones (no organization).
    async fn applicable_policies(&self, org: OrgId) -> Result<Vec<Policy>>;
}
