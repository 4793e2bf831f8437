//! Managing OAuth clients (API.md §10): create, read, list, update, delete and the internal
//! idempotent registration. Who may see a client: platform admins, its creator, and holders of
//! `integrations:read` in the client's organization; who may change it: admins, its creator,
//! and holders of `integrations:write` there (checked by the RBAC enforcement point,
//! `rbac::check`). Creating a client inside an organization needs `integrations:write` in it;
//! moving a client between organizations, pinning a `client_id`, first-party clients and the
//! `admin` scope are for platform admins only.

use crate::admin::require_platform_admin;
use crate::audit::{Actor, AuditEntry, RequestContext};
use crate::auth::principal::Principal;
use crate::context::Core;
use crate::error::{Error, FieldError, Result};
use crate::ids::{OAuthClientId, OrgId, UserId};
use crate::oidc::clients::{
    generate_client_id, generate_secret, valid_pinned_client_id, ClientSpec, OAuthClient,
};
use crate::oidc::scopes;
use crate::oidc::store::{ClientLookup, ClientQuery};
use crate::rbac::check::holds;

/// The user managing clients.
#[derive(Debug, Clone)]
pub struct Manager {
    pub user_id: UserId,
    pub email: Option<String>,
    pub is_admin: bool,
    /// The same caller as org-scoped routes see them, for the organization's permissions.
    pub principal: Principal,
}

const READ: &str = "integrations:read";
const WRITE: &str = "integrations:write";

impl Manager {
    fn actor(&self) -> Actor {
        Actor::user(self.user_id, self.email.as_deref())
    }
}

/// What `POST /oauth/clients` and `POST /register` ask for.
#[derive(Debug, Clone)]
pub struct CreateClient {
    pub spec: ClientSpec,
    /// A pinned `client_id` (admins and the internal registration only).
    pub client_id: Option<String>,
    pub allow_duplicate: bool,
}

/// A new client and, for confidential clients, its secret (shown once).
#[derive(Debug, Clone)]
pub struct CreatedClient {
    pub client: OAuthClient,
    pub secret: Option<String>,
}

/// Whether `manager` may use `permission` (`integrations:read` / `:write`) on `client`.
pub async fn may(
    core: &Core,
    manager: &Manager,
    client: &OAuthClient,
    permission: &str,
) -> Result<bool> {
    if manager.is_admin || client.created_by == Some(manager.user_id) {
        return Ok(true);
    }
    match client.spec.organization_id {
        Some(org) => holds(core, &manager.principal, org, permission).await,
        None => Ok(false),
    }
}

fn audit(
    action: &str,
    actor: Actor,
    client: &OAuthClient,
    context: &RequestContext,
    at: chrono::DateTime<chrono::Utc>,
) -> AuditEntry {
    let mut entry = AuditEntry::new(action, actor, context, at)
        .target("oauth_client", client.id)
        .details(serde_json::json!({"client_id": client.client_id, "name": client.spec.name}));
    if let Some(org) = client.spec.organization_id {
        entry = entry.organization(org.as_uuid());
    }
    entry
}

pub async fn create_client(
    core: &Core,
    manager: &Manager,
    input: CreateClient,
    context: &RequestContext,
) -> Result<CreatedClient> {
    if !manager.is_admin {
        if input.client_id.is_some() {
            return Err(Error::Forbidden);
        }
        if let Some(org) = input.spec.organization_id {
            if !holds(core, &manager.principal, org, WRITE).await? {
                return Err(Error::Forbidden);
            }
        }
    }
    input.spec.validate(manager.is_admin)?;
    if !input.allow_duplicate
        && core
            .store
            .find_client_by(ClientLookup::Name(input.spec.name.trim()))
            .await?
            .is_some()
    {
        return Err(Error::Conflict {
            what: "name".into(),
        });
    }
    insert_client(core, Some(manager), input, context).await
}

async fn insert_client(
    core: &Core,
    manager: Option<&Manager>,
    mut input: CreateClient,
    context: &RequestContext,
) -> Result<CreatedClient> {
    let client_id = match input.client_id.take() {
        Some(pinned) if valid_pinned_client_id(&pinned) => pinned,
        Some(_) => {
            return Err(Error::Validation(vec![FieldError::new(
                "client_id",
                "must match ^jnc_[A-Za-z0-9_-]{8,56}$",
            )]))
        }
        None => generate_client_id(),
    };
    let now = core.clock.now();
    input.spec.name = input.spec.name.trim().to_owned();
    let client = OAuthClient {
        id: OAuthClientId::new(),
        client_id,
        spec: input.spec,
        created_by: manager.map(|m| m.user_id),
        last_used_at: None,
        created_at: now,
        updated_at: now,
    };
    let secret = client
        .spec
        .is_confidential
        .then(|| generate_secret(client.id, now));
    let actor = manager.map(Manager::actor).unwrap_or_else(Actor::system);
    let entries = [audit("oauth_client.created", actor, &client, context, now)];
    core.store
        .create_client(&client, secret.as_ref().map(|s| &s.row), &entries)
        .await?;
    Ok(CreatedClient {
        client,
        secret: secret.map(|s| s.secret),
    })
}

/// The outcome of the internal registration.
pub struct Registered {
    pub created: CreatedClient,
    /// False when an existing client was returned (no secret then).
    pub is_new: bool,
}

/// `POST /oauth/clients/register` (internal): returns the existing client found by
/// `client_key`, then `audience`, then `name`; otherwise creates it. Refused (`Unavailable`)
/// while no administrator exists, since nobody could manage the client.
pub async fn register_client(
    core: &Core,
    input: CreateClient,
    context: &RequestContext,
) -> Result<Registered> {
    input.spec.validate(true)?;
    let spec = &input.spec;
    let lookups = [
        spec.client_key.as_deref().map(ClientLookup::ClientKey),
        spec.audience.as_deref().map(ClientLookup::Audience),
        Some(ClientLookup::Name(spec.name.trim())),
    ];
    for lookup in lookups.into_iter().flatten() {
        if let Some(client) = core.store.find_client_by(lookup).await? {
            return Ok(Registered {
                created: CreatedClient {
                    client,
                    secret: None,
                },
                is_new: false,
            });
        }
    }
    if core.store.count_admins().await? == 0 {
        return Err(Error::Unavailable("no administrator exists yet".into()));
    }
    let created = insert_client(core, None, input, context).await?;
    Ok(Registered {
        created,
        is_new: true,
    })
}

/// A client the manager may change.
pub async fn get_managed_client(
    core: &Core,
    manager: &Manager,
    id: OAuthClientId,
) -> Result<OAuthClient> {
    client_for(core, manager, id, WRITE).await
}

/// A client the manager may see.
pub async fn get_visible_client(
    core: &Core,
    manager: &Manager,
    id: OAuthClientId,
) -> Result<OAuthClient> {
    client_for(core, manager, id, READ).await
}

async fn client_for(
    core: &Core,
    manager: &Manager,
    id: OAuthClientId,
    permission: &str,
) -> Result<OAuthClient> {
    let client = core.store.get_client(id).await?.ok_or(Error::NotFound)?;
    if !may(core, manager, &client, permission).await? {
        return Err(Error::Forbidden);
    }
    Ok(client)
}

/// The manager's own clients, or with `organization_id` all of that organization's clients
/// for whoever may read them there (else only their own in it).
pub async fn list_clients(
    core: &Core,
    manager: &Manager,
    organization_id: Option<OrgId>,
    page: u32,
    per_page: u32,
) -> Result<(Vec<OAuthClient>, u64)> {
    // An organization's clients are listed whole for whoever may read them there.
    let whole_organization = match organization_id {
        Some(org) => manager.is_admin || holds(core, &manager.principal, org, READ).await?,
        None => false,
    };
    let query = ClientQuery {
        created_by: (!whole_organization).then_some(manager.user_id),
        organization_id,
        page,
        per_page,
    };
    core.store.list_clients(&query).await
}

/// Every client (`GET /admin/oauth/clients`-style listing, platform administrators only).
pub async fn list_all_clients(
    core: &Core,
    principal: &Principal,
    organization_id: Option<OrgId>,
    page: u32,
    per_page: u32,
) -> Result<(Vec<OAuthClient>, u64)> {
    require_platform_admin(principal)?;
    let query = ClientQuery {
        created_by: None,
        organization_id,
        page,
        per_page,
    };
    core.store.list_clients(&query).await
}

/// Applies `change` to the client's fields and stores the result. Only admins may make a
/// client first-party or add the `admin` scope.
pub async fn update_client(
    core: &Core,
    manager: &Manager,
    id: OAuthClientId,
    change: impl FnOnce(&mut ClientSpec),
    context: &RequestContext,
) -> Result<OAuthClient> {
    let mut client = get_managed_client(core, manager, id).await?;
    let before = client.spec.clone();
    change(&mut client.spec);
    client.spec.name = client.spec.name.trim().to_owned();
    client.spec.validate(true)?;
    let has_admin = |s: &ClientSpec| s.allowed_scopes.iter().any(|x| x == scopes::ADMIN);
    let escalates = (client.spec.is_first_party && !before.is_first_party)
        || (has_admin(&client.spec) && !has_admin(&before))
        || client.spec.organization_id != before.organization_id;
    if escalates && !manager.is_admin {
        return Err(Error::Forbidden);
    }
    client.updated_at = core.clock.now();
    let entries = [audit(
        "oauth_client.updated",
        manager.actor(),
        &client,
        context,
        client.updated_at,
    )];
    core.store.update_client(&client, &entries).await?;
    core.oauth_clients.invalidate(&client.client_id);
    Ok(client)
}

pub async fn delete_client(
    core: &Core,
    manager: &Manager,
    id: OAuthClientId,
    context: &RequestContext,
) -> Result<()> {
    let client = get_managed_client(core, manager, id).await?;
    let entries = [audit(
        "oauth_client.deleted",
        manager.actor(),
        &client,
        context,
        core.clock.now(),
    )];
    if !core.store.delete_client(id, &entries).await? {
        return Err(Error::NotFound);
    }
    core.oauth_clients.invalidate(&client.client_id);
    Ok(())
}
