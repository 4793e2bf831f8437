//! The `organization` authorization parameter (API.md §3, §9): tokens for an organization the
//! user belongs to carry `org_id`, `org_role` and that organization's roles; with the
//! `organization` scope the ID token also lists the user's organizations. A user outside the
//! organization gets `access_denied`, and no code.

use openidconnect::{OAuth2TokenResponse, TokenResponse};
use serde_json::{json, Value};

use crate::helpers::oauth::{
    auth_request, code_from, location, query_param, rp_http, spawn_provider, RpClient,
};
use crate::helpers::orgs::slug;
use crate::helpers::pages::Browser;

const SCOPES: [&str; 3] = ["openid", "organization", "offline_access"];

fn payload(jwt: &str) -> Value {
    use base64::Engine;
    let part = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn with_organization(rp: &RpClient, org: &str) -> crate::helpers::oauth::AuthRequest {
    let mut request = auth_request(rp, &SCOPES);
    request.url = format!("{}&organization={org}", request.url);
    request
}

#[tokio::test]
async fn a_member_gets_the_organizations_claims_in_every_token() {
    let app = spawn_provider().await;
    let admin = app.new_admin().await;
    let client = app
        .register_client(
            &admin,
            json!({"allowed_scopes": ["openid", "profile", "email", "offline_access", "organization"]}),
        )
        .await;
    let owner = app.new_user().await;
    let slug = slug("oidc");
    let org = app.create_org(&owner.access_token, &slug).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let member = app.new_user().await;
    app.add_member(&owner.access_token, &org, &member.id, "member")
        .await;

    let rp = app.rp_client(&client).await;
    let http = rp_http();
    let request = with_organization(&rp, &org);
    let browser = Browser::new(&app);
    let redirect = browser.authorize_through(&app, &request.url, &member).await;
    let tokens = rp
        .exchange_code(code_from(&app, &redirect, &request.state))
        .unwrap()
        .set_pkce_verifier(request.verifier)
        .request_async(&http)
        .await
        .unwrap();

    let access = payload(tokens.access_token().secret());
    assert_eq!(access["org_id"], org.as_str(), "{access}");
    assert_eq!(access["org_role"], "member");
    assert!(access["roles"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r == "member"));
    let id = payload(&tokens.id_token().expect("an ID token").to_string());
    assert_eq!(id["org_id"], org.as_str(), "{id}");
    assert_eq!(id["org_role"], "member");
    assert_eq!(
        id["organizations"],
        json!([{"id": org, "slug": slug, "role": "member"}])
    );

    // A role change shows at the next refresh; the grant stays for the same organization.
    let (status, body) = app
        .call(
            "PATCH",
            &format!("/api/v1/organizations/{org}/members/{}", member.id),
            &crate::helpers::orgs::As::User(owner.access_token.clone()),
            Some(&json!({"role": "admin"})),
        )
        .await;
    assert!(status == 200 || status == 204, "{status} {body}");
    let refreshed = rp
        .exchange_refresh_token(tokens.refresh_token().unwrap())
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    let access = payload(refreshed.access_token().secret());
    assert_eq!(access["org_id"], org.as_str());
    assert_eq!(access["org_role"], "admin", "{access}");
}

#[tokio::test]
async fn an_outsider_is_denied_and_a_malformed_organization_is_refused() {
    let app = spawn_provider().await;
    let admin = app.new_admin().await;
    let client = app
        .register_client(
            &admin,
            json!({"allowed_scopes": ["openid", "offline_access", "organization"]}),
        )
        .await;
    let owner = app.new_user().await;
    let org = app.create_org(&owner.access_token, &slug("oidc")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let outsider = app.new_user().await;
    let rp = app.rp_client(&client).await;

    let request = with_organization(&rp, &org);
    let browser = Browser::new(&app);
    let redirect = browser
        .authorize_through(&app, &request.url, &outsider)
        .await;
    assert_eq!(
        query_param(&redirect, "error").as_deref(),
        Some("access_denied")
    );
    assert!(query_param(&redirect, "code").is_none());

    let request = with_organization(&rp, "not-an-id");
    let path = crate::helpers::oauth::path_of(&app, &request.url);
    let answer = browser.get(&path).await;
    assert_eq!(answer.status(), 302);
    assert_eq!(
        query_param(&location(&answer), "error").as_deref(),
        Some("invalid_request")
    );
}
