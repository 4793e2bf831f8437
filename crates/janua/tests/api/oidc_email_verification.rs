//! Authorize step (4) of API.md §9: with `REQUIRE_EMAIL_VERIFICATION` (the default), a user
//! whose address is still unverified `EMAIL_VERIFICATION_GRACE_PERIOD_HOURS` after sign-up is
//! shown a 403 `EMAIL_NOT_VERIFIED` page instead of a code (`prompt=none`:
//! `interaction_required`); verifying the address lets the same browser through.

use janua_core::clock::Clock;
use serde_json::json;

use crate::helpers::oauth::{location, query_param, spawn_provider_with};
use crate::oidc_conformance::fixture::Fixture;

async fn fixture_with(vars: &[(&str, &str)]) -> Fixture {
    let app = spawn_provider_with(vars).await;
    let admin = app.new_admin().await;
    let client = app.register_client(&admin, json!({})).await;
    let user = app.new_user().await;
    Fixture { app, client, user }
}

#[tokio::test]
async fn an_unverified_address_is_refused_after_the_grace_period_and_accepted_once_verified() {
    let fx = fixture_with(&[("EMAIL_VERIFICATION_GRACE_PERIOD_HOURS", "1")]).await;
    // Within the grace period the unverified user gets a code.
    let browser = fx.signed_in_browser().await;

    fx.app.clock.advance(chrono::Duration::minutes(61));
    let refused = browser.get(&fx.authorize_path("")).await;
    assert_eq!(refused.status(), 403);
    let page = refused.text().await.unwrap();
    assert!(page.contains("EMAIL_NOT_VERIFIED"), "{page}");
    assert!(!page.contains("code="), "no code may leak into the page");
    let silent = browser.get(&fx.authorize_path("prompt=none")).await;
    assert_eq!(silent.status(), 302);
    let to = location(&silent);
    assert_eq!(
        query_param(&to, "error").as_deref(),
        Some("interaction_required")
    );
    assert!(query_param(&to, "code").is_none());

    let id = fx.user.id.parse().unwrap();
    let now = fx.app.clock.now();
    fx.app
        .state
        .store
        .mark_email_verified(id, now, &[])
        .await
        .unwrap();
    let allowed = browser.get(&fx.authorize_path("")).await;
    assert_eq!(allowed.status(), 302);
    assert!(query_param(&location(&allowed), "code").is_some());
}

#[tokio::test]
async fn without_the_requirement_an_unverified_address_is_never_refused() {
    let fx = fixture_with(&[("REQUIRE_EMAIL_VERIFICATION", "false")]).await;
    let browser = fx.signed_in_browser().await;
    fx.app.clock.advance(chrono::Duration::days(3));
    let allowed = browser.get(&fx.authorize_path("")).await;
    assert_eq!(allowed.status(), 302);
    assert!(query_param(&location(&allowed), "code").is_some());
}
