//! The hosted device verification page (RFC 8628 §3.3): `GET /api/v1/oauth/device` asks for
//! the code shown on the device (or takes it from `verification_uri_complete`), shows which
//! application asks for what, and `POST /api/v1/oauth/device` records Allow or Deny. Signing in
//! first goes through the hosted sign-in page with a `next` back here.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use janua_core::oidc::device::{decide_device_request, pending_device_request};
use janua_core::oidc::urls::with_params;
use serde::{Deserialize, Serialize};

use crate::http::audit::AuditContext;
use crate::http::oidc::authorize::browser;
use crate::pages::consent::{describe_scopes, ScopeView};
use crate::pages::response::{short_text, CheckedForm, CsrfProtected, PageError, PageQuery};
use crate::state::AppState;

const DEVICE_PATH: &str = "/api/v1/oauth/device";

#[derive(Debug, Default, Deserialize)]
pub struct DeviceQuery {
    user_code: Option<String>,
}

#[derive(Serialize)]
struct DeviceView<'a> {
    title: &'static str,
    csrf_token: &'a str,
    user_code: Option<&'a str>,
    client_name: Option<&'a str>,
    scopes: Vec<ScopeView>,
    error: Option<&'a str>,
}

fn to_login(user_code: Option<&str>) -> Response {
    let next = with_params(DEVICE_PATH, &[("user_code", user_code)]);
    let login = with_params("/api/v1/auth/login", &[("next", Some(&next))]);
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(location) = HeaderValue::from_str(&login) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

pub async fn get_device(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageQuery(query): PageQuery<DeviceQuery>,
) -> Response {
    let user_code = short_text(query.user_code, 16);
    match browser(&state, &headers).await {
        Ok(Some(_)) => {}
        Ok(None) => return to_login(user_code.as_deref()),
        Err(e) => return state.pages.error(e),
    }
    let csrf = state.pages.issue_csrf(&headers, state.clock.now());
    let mut view = DeviceView {
        title: "Connect a device",
        csrf_token: &csrf.token,
        user_code: None,
        client_name: None,
        scopes: Vec::new(),
        error: None,
    };
    let mut status = StatusCode::OK;
    let found;
    if let Some(code) = user_code.as_deref() {
        match pending_device_request(&state.core, code).await {
            Ok(pending) => {
                found = pending;
                view.user_code = Some(&found.0.user_code);
                view.client_name = Some(&found.1.spec.name);
                view.scopes = describe_scopes(&found.0.scopes);
            }
            Err(janua_core::Error::Auth(_)) => {
                status = StatusCode::BAD_REQUEST;
                view.error = Some("This code is unknown, used or expired. Check your device.");
            }
            Err(e) => return state.pages.error(e.into()),
        }
    }
    csrf.attach(state.pages.page(status, "device.html", &view))
}

#[derive(Debug, Deserialize)]
pub struct DeviceForm {
    user_code: Option<String>,
    action: Option<String>,
    csrf_token: Option<String>,
}

impl CsrfProtected for DeviceForm {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_deref()
    }
}

pub async fn post_device(
    State(state): State<AppState>,
    headers: HeaderMap,
    AuditContext(context): AuditContext,
    CheckedForm(form): CheckedForm<DeviceForm>,
) -> Response {
    let user = match browser(&state, &headers).await {
        Ok(Some(b)) => b.user,
        Ok(None) => return to_login(form.user_code.as_deref()),
        Err(e) => return state.pages.error(e),
    };
    let approve = match form.action.as_deref() {
        Some("allow") => true,
        Some("deny") => false,
        _ => {
            return state
                .pages
                .error(PageError::bad_request("Choose allow or deny."))
        }
    };
    let code = form.user_code.unwrap_or_default();
    match decide_device_request(&state.core, &code, &user, approve, &context).await {
        Ok(client) if approve => state.pages.message(
            StatusCode::OK,
            "Device connected",
            &format!("{} can now continue on your device.", client.spec.name),
            None,
            None,
        ),
        Ok(_) => state.pages.message(
            StatusCode::OK,
            "Request denied",
            "The device was not connected.",
            None,
            None,
        ),
        Err(e) => state.pages.error(e.into()),
    }
}
