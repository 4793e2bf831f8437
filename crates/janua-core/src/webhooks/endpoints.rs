//! Managing webhook endpoints (API.md §14): create (secret shown once), read, update,
//! regenerate the secret, delete. Administrators manage every endpoint; a user manages their
//! own; an organization's endpoints are listed by holders of `webhooks:read` and managed by
//! holders of `webhooks:write` there (checked by the RBAC enforcement point, `rbac::check`).

use std::collections::BTreeMap;

use uuid::Uuid;

use super::store::EndpointQuery;
use super::{Endpoint, EndpointOwner, MAX_ENDPOINTS_PER_OWNER};
use crate::audit::{Actor, AuditEntry, RequestContext};
use crate::auth::principal::UserPrincipal;
use crate::context::Core;
use crate::crypto::random_token;
use crate::crypto::seal::Sealer;
use crate::error::{Error, FieldError, Result};

/// Whether `user` holds `permission` (`webhooks:read` / `webhooks:write`) in `organization`;
/// platform administrators always do.
pub async fn can_in_organization(
    core: &Core,
    user: &UserPrincipal,
    organization: Uuid,
    permission: &str,
) -> Result<bool> {
    if user.is_admin {
        return Ok(true);
    }
    crate::rbac::check::holds(
        core,
        &crate::auth::principal::Principal::User(user.clone()),
        crate::ids::OrgId::from_uuid(organization),
        permission,
    )
    .await
}

/// What the caller asked for; the URL is already validated (scheme, host, SSRF rules).
#[derive(Debug, Clone)]
pub struct EndpointInput {
    pub url: String,
    pub events: Vec<String>,
    pub headers: BTreeMap<String, String>,
    pub description: Option<String>,
    pub organization_id: Option<Uuid>,
}

/// Changes to an endpoint; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct EndpointChanges {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub headers: Option<BTreeMap<String, String>>,
    pub description: Option<Option<String>>,
    pub is_active: Option<bool>,
}

/// An endpoint together with its secret in clear, returned once (create, regenerate).
pub struct WithSecret {
    pub endpoint: Endpoint,
    pub secret: String,
}

/// A fresh signing secret: `whsec_` + 256 random bits.
fn new_secret() -> String {
    format!("whsec_{}", random_token(32))
}

fn seal(sealer: &Sealer, id: Uuid, secret: &str) -> Result<String> {
    sealer.seal(secret.as_bytes(), id.as_bytes())
}

/// The secret of `endpoint`, for signing.
pub fn open_secret(sealer: &Sealer, endpoint_id: Uuid, sealed: &str) -> Result<String> {
    let opened = sealer.open(sealed, endpoint_id.as_bytes())?;
    String::from_utf8(opened.to_vec()).map_err(|_| Error::internal("webhook secret is not UTF-8"))
}

fn actor(user: &UserPrincipal) -> Actor {
    Actor::user(user.user_id, None)
}

fn entry(
    action: &str,
    user: &UserPrincipal,
    endpoint: &Endpoint,
    context: &RequestContext,
    details: serde_json::Value,
) -> AuditEntry {
    let mut e = AuditEntry::new(action, actor(user), context, endpoint.updated_at)
        .target("webhook", endpoint.id)
        .details(details);
    if let EndpointOwner::Organization(org) = endpoint.owner {
        e = e.organization(org);
    }
    e
}

/// May `user` manage an endpoint owned by `owner`?
pub async fn may_manage(core: &Core, user: &UserPrincipal, owner: EndpointOwner) -> Result<bool> {
    Ok(match owner {
        _ if user.is_admin => true,
        EndpointOwner::Platform => false,
        EndpointOwner::User(id) => id == user.user_id,
        EndpointOwner::Organization(org) => {
            can_in_organization(core, user, org, "webhooks:write").await?
        }
    })
}

pub async fn create(
    core: &Core,
    sealer: &Sealer,
    user: &UserPrincipal,
    input: EndpointInput,
    context: &RequestContext,
) -> Result<WithSecret> {
    let owner = match input.organization_id {
        Some(org) => EndpointOwner::Organization(org),
        None if user.is_admin => EndpointOwner::Platform,
        None => EndpointOwner::User(user.user_id),
    };
    if !may_manage(core, user, owner).await? {
        return Err(Error::Forbidden);
    }
    if core.store.count_webhook_endpoints(owner).await? >= MAX_ENDPOINTS_PER_OWNER {
        return Err(Error::Validation(vec![FieldError::new(
            "url",
            "at most 20 webhook endpoints per owner",
        )]));
    }
    let now = core.clock.now();
    let id = Uuid::now_v7();
    let secret = new_secret();
    let endpoint = Endpoint {
        id,
        owner,
        url: input.url,
        secret_sealed: seal(sealer, id, &secret)?,
        events: input.events,
        headers: input.headers,
        description: input.description,
        is_active: true,
        created_at: now,
        updated_at: now,
    };
    let audit = [entry(
        "webhook.created",
        user,
        &endpoint,
        context,
        serde_json::json!({"url": endpoint.url, "events": endpoint.events}),
    )];
    core.store
        .create_webhook_endpoint(&endpoint, &audit)
        .await?;
    Ok(WithSecret { endpoint, secret })
}

/// The endpoint, if the caller may manage it (others' endpoints are `NotFound`).
pub async fn get(core: &Core, user: &UserPrincipal, id: Uuid) -> Result<Endpoint> {
    let endpoint = core
        .store
        .get_webhook_endpoint(id)
        .await?
        .ok_or(Error::NotFound)?;
    if may_manage(core, user, endpoint.owner).await? {
        Ok(endpoint)
    } else {
        Err(Error::NotFound)
    }
}

/// Administrators list every endpoint (or one organization's); others their own (or an
/// organization's they may manage).
pub async fn list(
    core: &Core,
    user: &UserPrincipal,
    organization: Option<Uuid>,
    is_active: Option<bool>,
) -> Result<Vec<Endpoint>> {
    let owner = match organization {
        Some(org) => {
            if !can_in_organization(core, user, org, "webhooks:read").await? {
                return Err(Error::Forbidden);
            }
            Some(EndpointOwner::Organization(org))
        }
        None if user.is_admin => None,
        None => Some(EndpointOwner::User(user.user_id)),
    };
    core.store
        .list_webhook_endpoints(&EndpointQuery { owner, is_active })
        .await
}

pub async fn update(
    core: &Core,
    user: &UserPrincipal,
    id: Uuid,
    changes: EndpointChanges,
    context: &RequestContext,
) -> Result<Endpoint> {
    let mut endpoint = get(core, user, id).await?;
    let mut fields = Vec::new();
    if let Some(url) = changes.url {
        endpoint.url = url;
        fields.push("url");
    }
    if let Some(events) = changes.events {
        endpoint.events = events;
        fields.push("events");
    }
    if let Some(headers) = changes.headers {
        endpoint.headers = headers;
        fields.push("headers");
    }
    if let Some(description) = changes.description {
        endpoint.description = description;
        fields.push("description");
    }
    if let Some(active) = changes.is_active {
        endpoint.is_active = active;
        fields.push("is_active");
    }
    endpoint.updated_at = core.clock.now();
    let audit = [entry(
        "webhook.updated",
        user,
        &endpoint,
        context,
        serde_json::json!({"fields": fields}),
    )];
    core.store
        .update_webhook_endpoint(&endpoint, &audit)
        .await?;
    Ok(endpoint)
}

pub async fn regenerate_secret(
    core: &Core,
    sealer: &Sealer,
    user: &UserPrincipal,
    id: Uuid,
    context: &RequestContext,
) -> Result<WithSecret> {
    let mut endpoint = get(core, user, id).await?;
    let secret = new_secret();
    endpoint.secret_sealed = seal(sealer, id, &secret)?;
    endpoint.updated_at = core.clock.now();
    let audit = [entry(
        "webhook.secret_regenerated",
        user,
        &endpoint,
        context,
        serde_json::json!({}),
    )];
    core.store
        .update_webhook_endpoint(&endpoint, &audit)
        .await?;
    Ok(WithSecret { endpoint, secret })
}

pub async fn delete(
    core: &Core,
    user: &UserPrincipal,
    id: Uuid,
    context: &RequestContext,
) -> Result<()> {
    let mut endpoint = get(core, user, id).await?;
    endpoint.updated_at = core.clock.now();
    let audit = [entry(
        "webhook.deleted",
        user,
        &endpoint,
        context,
        serde_json::json!({"url": endpoint.url}),
    )];
    if core.store.delete_webhook_endpoint(id, &audit).await? {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}
