//! Who may read which audit entries (API.md §15 "Visible: own, org's with `audit:read`, all to
//! admins"), turned into the [`Scope`] the store applies.

use uuid::Uuid;

use super::query::Scope;
use crate::auth::principal::{Principal, UserPrincipal};
use crate::context::Core;
use crate::error::{Error, Result};
use crate::ids::OrgId;
use crate::rbac::check::holds;

/// Whether `reader` holds `audit:read` in `organization` (the RBAC enforcement point,
/// `rbac::check`); platform administrators always do.
pub async fn can_read_organization(
    core: &Core,
    reader: &UserPrincipal,
    organization: Uuid,
) -> Result<bool> {
    if reader.is_admin {
        return Ok(true);
    }
    holds(
        core,
        &Principal::User(reader.clone()),
        OrgId::from_uuid(organization),
        "audit:read",
    )
    .await
}

/// The scope of a list, stats or export request. `organization`: the reader asked for one
/// organization's entries (403 unless allowed there). Otherwise administrators see everything
/// and anyone else their own entries.
pub async fn scope_for(
    core: &Core,
    reader: &UserPrincipal,
    organization: Option<Uuid>,
) -> Result<Scope> {
    match organization {
        Some(org) => {
            if can_read_organization(core, reader, org).await? {
                Ok(Scope::Organization(org))
            } else {
                Err(Error::Forbidden)
            }
        }
        None if reader.is_admin => Ok(Scope::All),
        None => Ok(Scope::User(reader.user_id)),
    }
}

/// The scope of an export: administrators, or `audit:read` in the requested organization
/// (API.md §15 "POST /export (admin, org:audit:read)"); a user's own export is not offered.
pub async fn export_scope(
    core: &Core,
    reader: &UserPrincipal,
    organization: Option<Uuid>,
) -> Result<Scope> {
    match organization {
        None if reader.is_admin => Ok(Scope::All),
        None => Err(Error::Forbidden),
        Some(_) => scope_for(core, reader, organization).await,
    }
}
