//! Tenant isolation, route by route. [`ROUTES`] lists every org-scoped route with the
//! permission it needs; the first test fails when it differs from the routes the server
//! registers through its org-scoped registry, so a new route cannot ship without a row here.
//!
//! For every row, against a fresh target organization T:
//! - anonymous → 401 `UNAUTHORIZED`;
//! - a member of another organization A, and an API key of A → 403 `NOT_A_MEMBER` on routes
//!   that name T, 404 `NOT_FOUND` on routes that name one of T's resources;
//! - a viewer of T, and an API key of T scoped `org:read` only → 403 `INSUFFICIENT_PERMISSIONS`
//!   (unless the route needs nothing a viewer lacks);
//! - T's owner → the success status.

use serde_json::{json, Value};

use crate::helpers::orgs::{slug, As};
use crate::helpers::{assert_error_shape, spawn_app_with, TestApp};

/// How a caller from another organization is refused.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Foreign {
    /// The route names the organization: 403 `NOT_A_MEMBER`.
    NotAMember,
    /// The route names a resource of the organization: 404.
    NotFound,
}

struct Row {
    method: &'static str,
    /// The registered template.
    path: &'static str,
    /// Appended to the path (query string templates).
    query: &'static str,
    permission: &'static str,
    /// Whether a viewer (and an `org:read` key) is refused.
    viewer_refused: bool,
    foreign: Foreign,
    body: fn(&Fixture) -> Option<Value>,
    success: u16,
}

/// One table row; positional so the table reads as a table.
#[allow(clippy::too_many_arguments)]
const fn row(
    method: &'static str,
    path: &'static str,
    query: &'static str,
    permission: &'static str,
    viewer_refused: bool,
    foreign: Foreign,
    body: fn(&Fixture) -> Option<Value>,
    success: u16,
) -> Row {
    Row {
        method,
        path,
        query,
        permission,
        viewer_refused,
        foreign,
        body,
        success,
    }
}

fn none(_: &Fixture) -> Option<Value> {
    None
}

fn policy_body(f: &Fixture) -> Option<Value> {
    Some(json!({
        "name": "no removals", "effect": "deny", "target_type": "organization",
        "target_id": f.org, "resource_type": "users", "actions": ["remove"]
    }))
}

use Foreign::{NotAMember as M, NotFound as F};

const O: &str = "/api/v1/organizations";

#[rustfmt::skip]
static ROUTES: &[Row] = &[
    row("GET", "/api/v1/organizations/slug/{slug}", "", "org:read", false, F, none, 200),
    row("GET", "/api/v1/organizations/{org_id}", "", "org:read", false, M, none, 200),
    row("PATCH", "/api/v1/organizations/{org_id}", "", "org:update", true, M, |_| Some(json!({"name": "Renamed"})), 200),
    row("DELETE", "/api/v1/organizations/{org_id}", "", "org:delete", true, M, none, 200),
    row("GET", "/api/v1/organizations/{org_id}/settings", "", "settings:read", true, M, none, 200),
    row("PUT", "/api/v1/organizations/{org_id}/settings", "", "settings:update", true, M, |_| Some(json!({"theme": "dark"})), 200),
    row("POST", "/api/v1/organizations/{org_id}/transfer-ownership", "", "org:delete", true, M, |f| Some(json!({"new_owner_id": f.target_user})), 200),
    row("GET", "/api/v1/organizations/{org_id}/members", "", "users:read", true, M, none, 200),
    row("POST", "/api/v1/organizations/{org_id}/members/add", "", "users:invite", true, M, |f| Some(json!({"user_id": f.spare_user, "role": "member"})), 201),
    row("DELETE", "/api/v1/organizations/{org_id}/members/{user_id}", "", "users:remove", true, M, none, 200),
    row("PATCH", "/api/v1/organizations/{org_id}/members/{user_id}", "", "users:update", true, M, |_| Some(json!({"role": "admin"})), 200),
    row("PATCH", "/api/v1/organizations/{org_id}/members/{user_id}/role", "", "users:update", true, M, |_| Some(json!({"new_role": "admin"})), 200),
    row("POST", "/api/v1/organizations/{org_id}/members/invitations", "", "users:invite", true, M, |_| Some(json!({"email": "new@example.com"})), 201),
    row("POST", "/api/v1/organizations/{org_id}/invite", "", "users:invite", true, M, |_| Some(json!({"email": "new@example.com"})), 201),
    row("GET", "/api/v1/organizations/{org_id}/invitations", "", "users:read", true, M, none, 200),
    row("GET", "/api/v1/organizations/{org_id}/roles", "", "roles:read", true, M, none, 200),
    row("GET", "/api/v1/invitations", "?organization_id={org_id}", "users:read", true, M, none, 200),
    row("POST", "/api/v1/invitations", "", "users:invite", true, M, |f| Some(json!({"organization_id": f.org, "email": "new@example.com", "role": "member"})), 201),
    row("POST", "/api/v1/invitations/bulk", "", "users:invite", true, M, |f| Some(json!({"organization_id": f.org, "emails": ["a@example.com", "b@example.com"]})), 200),
    row("GET", "/api/v1/invitations/{id}", "", "users:invite", true, F, none, 200),
    row("PATCH", "/api/v1/invitations/{id}", "", "users:invite", true, F, |_| Some(json!({"message": "hello"})), 200),
    row("DELETE", "/api/v1/invitations/{id}", "", "users:invite", true, F, none, 204),
    row("POST", "/api/v1/invitations/{id}/resend", "", "users:invite", true, F, none, 200),
    row("GET", "/api/v1/roles", "?organization_id={org_id}", "roles:read", true, M, none, 200),
    row("POST", "/api/v1/roles", "?organization_id={org_id}", "roles:write", true, M, |_| Some(json!({"name": "auditor", "permissions": ["audit:read"]})), 201),
    row("GET", "/api/v1/roles/{id}", "", "roles:read", true, F, none, 200),
    row("PATCH", "/api/v1/roles/{id}", "", "roles:write", true, F, |_| Some(json!({"description": "changed"})), 200),
    row("DELETE", "/api/v1/roles/{id}", "", "roles:write", true, F, none, 204),
    row("POST", "/api/v1/roles/assign", "?organization_id={org_id}", "roles:write", true, M, |f| Some(json!({"user_id": f.target_user, "role_name": "support"})), 200),
    row("GET", "/api/v1/api-keys", "?organization_id={org_id}", "api_keys:read", true, M, none, 200),
    row("POST", "/api/v1/api-keys", "?organization_id={org_id}", "api_keys:write", true, M, |_| Some(json!({"name": "ci", "scopes": ["org:read"]})), 201),
    row("GET", "/api/v1/api-keys/{id}", "", "api_keys:read", true, F, none, 200),
    row("PATCH", "/api/v1/api-keys/{id}", "", "api_keys:write", true, F, |_| Some(json!({"name": "renamed"})), 200),
    row("DELETE", "/api/v1/api-keys/{id}", "", "api_keys:write", true, F, none, 204),
    row("POST", "/api/v1/api-keys/{id}/rotate", "", "api_keys:write", true, F, none, 200),
    row("GET", "/api/v1/policies", "?organization_id={org_id}", "roles:read", true, M, none, 200),
    row("POST", "/api/v1/policies", "?organization_id={org_id}", "roles:write", true, M, policy_body, 201),
    row("GET", "/api/v1/policies/{id}", "", "roles:read", true, F, none, 200),
    row("PATCH", "/api/v1/policies/{id}", "", "roles:write", true, F, |_| Some(json!({"priority": 7})), 200),
    row("DELETE", "/api/v1/policies/{id}", "", "roles:write", true, F, none, 204),
    row("GET", "/api/v1/rbac/policies", "?organization_id={org_id}", "roles:read", true, M, none, 200),
    row("POST", "/api/v1/rbac/policies", "?organization_id={org_id}", "roles:write", true, M, policy_body, 201),
    row("GET", "/api/v1/rbac/policies/{id}", "", "roles:read", true, F, none, 200),
    row("PATCH", "/api/v1/rbac/policies/{id}", "", "roles:write", true, F, |_| Some(json!({"priority": 7})), 200),
    row("DELETE", "/api/v1/rbac/policies/{id}", "", "roles:write", true, F, none, 204),
];

/// The callers and the target organization's resources, fresh for each row.
struct Fixture {
    org: String,
    slug: String,
    owner: String,
    viewer: String,
    /// A plain member, the subject of member routes.
    target_user: String,
    /// A user who is not a member yet.
    spare_user: String,
    invitation: String,
    role: String,
    api_key: String,
    narrow_key: String,
    policy: String,
}

/// The callers from organization A, shared by every row.
struct Outsiders {
    member: String,
    key: String,
}

async fn outsiders(app: &TestApp) -> Outsiders {
    let member = app.new_user().await;
    let org = app.create_org(&member.access_token, &slug("a")).await;
    let org = org["id"].as_str().unwrap();
    let (_, key) = app.create_api_key(&member.access_token, org, &["*"]).await;
    Outsiders {
        member: member.access_token,
        key,
    }
}

async fn fixture(app: &TestApp) -> Fixture {
    let owner = app.new_user().await;
    let viewer = app.new_user().await;
    let target = app.new_user().await;
    let spare = app.new_user().await;
    let slug = slug("t");
    let org = app.create_org(&owner.access_token, &slug).await;
    let org = org["id"].as_str().unwrap().to_owned();
    let token = As::User(owner.access_token.clone());
    app.add_member(&owner.access_token, &org, &viewer.id, "viewer")
        .await;
    app.add_member(&owner.access_token, &org, &target.id, "member")
        .await;
    let (status, invitation) = app
        .call(
            "POST",
            "/api/v1/invitations",
            &token,
            Some(&json!({"organization_id": org, "email": "invitee@example.com"})),
        )
        .await;
    assert_eq!(status, 201, "{invitation}");
    let (status, role) = app
        .call(
            "POST",
            &format!("/api/v1/roles?organization_id={org}"),
            &token,
            Some(&json!({"name": "support", "permissions": ["users:read"]})),
        )
        .await;
    assert_eq!(status, 201, "{role}");
    let (api_key, _) = app
        .create_api_key(&owner.access_token, &org, &["api_keys:read"])
        .await;
    let (_, narrow_key) = app
        .create_api_key(&owner.access_token, &org, &["org:read"])
        .await;
    let (status, policy) = app
        .call(
            "POST",
            &format!("/api/v1/policies?organization_id={org}"),
            &token,
            Some(
                &json!({"name": "audit only", "effect": "allow", "target_type": "organization",
                         "target_id": org, "resource_type": "audit", "actions": ["read"]}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{policy}");
    Fixture {
        org,
        slug,
        owner: owner.access_token,
        viewer: viewer.access_token,
        target_user: target.id,
        spare_user: spare.id,
        invitation: invitation["id"].as_str().unwrap().to_owned(),
        role: role["id"].as_str().unwrap().to_owned(),
        api_key,
        narrow_key,
        policy: policy["id"].as_str().unwrap().to_owned(),
    }
}

fn concrete(row: &Row, f: &Fixture) -> String {
    let id = if row.path.contains("/policies") {
        &f.policy
    } else if row.path.starts_with("/api/v1/invitations") {
        &f.invitation
    } else if row.path.starts_with("/api/v1/roles") {
        &f.role
    } else {
        &f.api_key
    };
    format!("{}{}", row.path, row.query)
        .replace("{org_id}", &f.org)
        .replace("{slug}", &f.slug)
        .replace("{user_id}", &f.target_user)
        .replace("{id}", id)
}

async fn expect(
    app: &TestApp,
    row: &Row,
    path: &str,
    who: &As,
    body: &Option<Value>,
    status: u16,
    code: &str,
) {
    let (got, response) = app.call(row.method, path, who, body.as_ref()).await;
    let label = format!("{} {} as {:?}", row.method, row.path, short(who));
    assert_eq!(got, status, "{label}: {response}");
    assert_eq!(assert_error_shape(&response), code, "{label}");
}

fn short(who: &As) -> &'static str {
    match who {
        As::Anonymous => "anonymous",
        As::User(_) => "user",
        As::Key(_) => "X-API-Key",
        As::BearerKey(_) => "Bearer key",
    }
}

#[tokio::test]
async fn the_matrix_lists_exactly_the_registered_org_scoped_routes() {
    let mut table: Vec<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    table.sort();
    let mut registered: Vec<(String, String)> = janua::http::api::org_scoped_routes()
        .into_iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    registered.sort();
    assert_eq!(table, registered, "isolation matrix and router disagree");
    for r in ROUTES {
        assert!(
            janua_core::rbac::permissions::Permission::parse(r.permission).is_some(),
            "{}",
            r.permission
        );
    }
}

#[tokio::test]
async fn every_org_scoped_route_refuses_outsiders_and_lacking_members_and_serves_the_owner() {
    let app = spawn_app_with(&[("RATE_LIMIT_GLOBAL", "100000/minute")]).await;
    let outsiders = outsiders(&app).await;
    for row in ROUTES {
        let f = fixture(&app).await;
        let path = concrete(row, &f);
        let body = (row.body)(&f);
        expect(&app, row, &path, &As::Anonymous, &body, 401, "UNAUTHORIZED").await;
        let (status, code) = match row.foreign {
            Foreign::NotAMember => (403, "NOT_A_MEMBER"),
            Foreign::NotFound => (404, "NOT_FOUND"),
        };
        expect(
            &app,
            row,
            &path,
            &As::User(outsiders.member.clone()),
            &body,
            status,
            code,
        )
        .await;
        expect(
            &app,
            row,
            &path,
            &As::Key(outsiders.key.clone()),
            &body,
            status,
            code,
        )
        .await;
        expect(
            &app,
            row,
            &path,
            &As::BearerKey(outsiders.key.clone()),
            &body,
            status,
            code,
        )
        .await;
        if row.viewer_refused {
            expect(
                &app,
                row,
                &path,
                &As::User(f.viewer.clone()),
                &body,
                403,
                "INSUFFICIENT_PERMISSIONS",
            )
            .await;
            expect(
                &app,
                row,
                &path,
                &As::Key(f.narrow_key.clone()),
                &body,
                403,
                "INSUFFICIENT_PERMISSIONS",
            )
            .await;
        }
        let (got, response) = app
            .call(row.method, &path, &As::User(f.owner.clone()), body.as_ref())
            .await;
        assert_eq!(
            got, row.success,
            "{} {} as owner: {response}",
            row.method, row.path
        );
    }
}

#[tokio::test]
async fn an_api_key_with_the_scope_is_served_on_its_own_organization_only() {
    let app = spawn_app_with(&[("RATE_LIMIT_GLOBAL", "100000/minute")]).await;
    let f = fixture(&app).await;
    let (_, key) = app
        .create_api_key(&f.owner, &f.org, &["users:read", "org:read"])
        .await;
    let (status, members) = app
        .call(
            "GET",
            &format!("{O}/{}/members", f.org),
            &As::Key(key.clone()),
            None,
        )
        .await;
    assert_eq!(status, 200, "{members}");
    assert_eq!(members.as_array().unwrap().len(), 3);
    let other = fixture(&app).await;
    let (status, body) = app
        .call(
            "GET",
            &format!("{O}/{}/members", other.org),
            &As::Key(key),
            None,
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(assert_error_shape(&body), "NOT_A_MEMBER");
}
