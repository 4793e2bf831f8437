//! Page responses: HTML with the pages' security headers, the error page, and the extractors
//! whose rejections are pages too (a bad form or query is a 400/415 page, never a 5xx or JSON).
//! [`CheckedForm`] refuses a foreign `Origin` and verifies the CSRF token before the handler
//! runs, so no form handler can forget either.

use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::http::error::{AlreadyShaped, ApiError};
use crate::pages::csrf::{self, Binding};
use crate::pages::Pages;
use crate::state::AppState;

/// No scripts, styles from our origin only, forms only to us, never framed.
pub const PAGES_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// An HTML page with the pages' headers. `same-origin` referrers (instead of the API's
/// `no-referrer`) keep a real `Origin` on our own form posts.
pub fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(PAGES_CSP),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("same-origin"),
            ),
        ],
        axum::Extension(AlreadyShaped),
        body,
    )
        .into_response()
}

/// A failure shown as a page: the status and API code of API.md §1, in HTML.
#[derive(Debug, Clone)]
pub struct PageError {
    pub status: StatusCode,
    pub code: &'static str,
    pub title: &'static str,
    pub message: String,
    pub retry_after: Option<u64>,
}

impl PageError {
    pub fn new(status: StatusCode, code: &'static str, title: &'static str, message: &str) -> Self {
        Self {
            status,
            code,
            title,
            message: message.to_owned(),
            retry_after: None,
        }
    }

    pub fn csrf_failed() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "CSRF_FAILED",
            "This form has expired",
            "The form could not be verified. Go back, reload the page and try again.",
        )
    }

    fn from_form(rejection: &FormRejection) -> Self {
        match rejection.status() {
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UNSUPPORTED_MEDIA_TYPE",
                "Unsupported form",
                "Forms must be sent as application/x-www-form-urlencoded.",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                "Form too large",
                "The form is too large.",
            ),
            _ => Self::bad_request("The form could not be read."),
        }
    }

    pub fn bad_request(message: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "Bad request",
            message,
        )
    }
}

/// API errors (core errors, rate limits) as pages; 5xx causes are logged here, once, and
/// never shown.
impl From<ApiError> for PageError {
    fn from(error: ApiError) -> Self {
        if error.status.is_server_error() {
            tracing::error!(
                status = error.status.as_u16(),
                code = error.code,
                cause = error.internal.as_deref().unwrap_or("unknown"),
                "page request failed"
            );
        }
        let title = match error.status {
            StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
            s if s.is_server_error() => "Something went wrong",
            _ => "Request refused",
        };
        Self {
            status: error.status,
            code: error.code,
            title,
            message: error.message,
            retry_after: error.retry_after,
        }
    }
}

impl From<janua_core::Error> for PageError {
    fn from(error: janua_core::Error) -> Self {
        ApiError::from(error).into()
    }
}

#[derive(Serialize)]
struct MessageView<'a> {
    title: &'a str,
    message: &'a str,
    code: Option<&'a str>,
    link_href: Option<&'a str>,
    link_text: Option<&'a str>,
}

impl Pages {
    /// Renders `template` with `view`; a template failure becomes a bare 500 page.
    pub fn page<V: Serialize>(&self, status: StatusCode, template: &str, view: &V) -> Response {
        match self.renderer.render(template, view) {
            Ok(body) => html(status, body),
            Err(e) => {
                tracing::error!(template, error = %e, "page template failed");
                html(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "<!DOCTYPE html><title>Error</title><h1>Something went wrong</h1>".to_owned(),
                )
            }
        }
    }

    /// A short message page (success, or an error when `code` is set) with an optional link.
    pub fn message(
        &self,
        status: StatusCode,
        title: &str,
        message: &str,
        code: Option<&str>,
        link: Option<(&str, &str)>,
    ) -> Response {
        let view = MessageView {
            title,
            message,
            code,
            link_href: link.map(|(href, _)| href),
            link_text: link.map(|(_, text)| text),
        };
        self.page(status, "message.html", &view)
    }

    pub fn error(&self, error: PageError) -> Response {
        let mut response = self.message(
            error.status,
            error.title,
            &error.message,
            Some(error.code),
            None,
        );
        with_retry_after(&mut response, error.retry_after);
        response
    }

    /// A CSRF token for a form about to be shown, bound to the browser's `janua_csrf` cookie;
    /// plants a new cookie when there is none yet.
    pub fn issue_csrf(&self, headers: &HeaderMap, now: DateTime<Utc>) -> IssuedCsrf {
        match csrf::cookie_value(headers) {
            Some(value) => IssuedCsrf {
                token: self.csrf.issue(Binding::Cookie(value), now),
                set_cookie: None,
            },
            None => {
                let value = csrf::new_cookie_value();
                IssuedCsrf {
                    token: self.csrf.issue(Binding::Cookie(&value), now),
                    set_cookie: self.cookies.csrf(&value),
                }
            }
        }
    }
}

/// A CSRF token and, for a browser without one, the `janua_csrf` cookie it is bound to.
pub struct IssuedCsrf {
    pub token: String,
    pub set_cookie: Option<HeaderValue>,
}

impl IssuedCsrf {
    /// Adds the cookie (if new) to a rendered form.
    pub fn attach(&self, mut response: Response) -> Response {
        if let Some(cookie) = &self.set_cookie {
            response
                .headers_mut()
                .append(header::SET_COOKIE, cookie.clone());
        }
        response
    }
}

pub fn with_retry_after(response: &mut Response, seconds: Option<u64>) {
    if let Some(seconds) = seconds {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
}

/// A form that carries a `csrf_token` field.
pub trait CsrfProtected {
    fn csrf_token(&self) -> Option<&str>;
}

/// A form post from one of our pages: `Origin` checked, body parsed, CSRF token verified
/// against the `janua_csrf` cookie. Each failure is an HTML page (403 `CSRF_FAILED`, 400, 415).
pub struct CheckedForm<T>(pub T);

impl<T> FromRequest<AppState> for CheckedForm<T>
where
    T: DeserializeOwned + CsrfProtected + Send,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let pages = &state.pages;
        if !csrf::origin_allowed(req.headers(), &pages.own_origins) {
            tracing::warn!("form post from a foreign origin refused");
            return Err(pages.error(PageError::csrf_failed()));
        }
        let cookie = csrf::cookie_value(req.headers()).map(str::to_owned);
        let form = match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(form)) => form,
            Err(rejection) => return Err(pages.error(PageError::from_form(&rejection))),
        };
        let now = state.clock.now();
        let valid = match (cookie.as_deref(), form.csrf_token()) {
            (Some(cookie), Some(token)) => pages.csrf.verify(Binding::Cookie(cookie), token, now),
            _ => false,
        };
        if !valid {
            return Err(pages.error(PageError::csrf_failed()));
        }
        Ok(Self(form))
    }
}

/// `axum::extract::Query` whose rejection is a 400 page.
pub struct PageQuery<T>(pub T);

impl<T> FromRequestParts<AppState> for PageQuery<T>
where
    T: DeserializeOwned + Send,
{
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|axum::extract::Query(query)| Self(query))
            .map_err(|_| {
                state
                    .pages
                    .error(PageError::bad_request("The address could not be read."))
            })
    }
}

/// Trimmed text of at most `max` characters without control characters, else nothing: for
/// values that only pass through a page (hidden fields, names).
pub fn short_text(value: Option<String>, max: usize) -> Option<String> {
    let value = value?;
    let trimmed = value.trim();
    (!trimmed.is_empty()
        && trimmed.chars().count() <= max
        && !trimmed.chars().any(char::is_control))
    .then(|| trimmed.to_owned())
}
