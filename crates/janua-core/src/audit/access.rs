//! Who may read which audit entries (API.md §15 "Visible: own, org's with `audit:read`, all to
//! admins"), turned into the [`Scope`] the store applies.

use uuid::Uuid;

use super::query::Scope;
use crate::auth::principal::UserPrincipal;
use crate::context::Core;
use crate::error::{Error, Result};

/// ORG-ADMIN PLUG-IN POINT (organizations/RBAC, issue 5): whether `reader` holds `audit:read`
/// in `organization`. Until organizations and roles exist, only platform administrators read
/// an organization's entries; replace the body with the RBAC check when it lands.
pub async fn can_read_organization(
    _core: &Core,
    reader: &UserPrincipal,
    _organization: Uuid,
) -> Result<bool> {
    Ok(reader.is_admin)
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
        Some(org) if reader.is_admin => Ok(Scope::Organization(org)),
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
