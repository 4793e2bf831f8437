//! The authorization endpoint's decisions (API.md §9 "Authorize", OIDC Core §3.1.2, RFC 9700):
//! (1) the client and its exact redirect URI, else an error page without redirect; (2) the rest
//! of the request, else an error redirected to the client; (3) sign-in when there is no
//! session, `prompt=login`, an exceeded `max_age` or an `id_token_hint` for someone else;
//! (4) consent unless first-party or already given; (5) a single-use code bound to the client,
//! redirect URI, PKCE challenge, nonce, user and session, returned with `state` and `iss`
//! (RFC 9207). A request that needs sign-in or consent is parked for 10 minutes and resumed by
//! its id.

use chrono::{DateTime, Utc};

use crate::auth::sessions::Session;
use crate::auth::users::User;
use crate::context::Core;
use crate::crypto::{random_token, secret_digest};
use crate::error::Result;
use crate::ids::OrgId;
use crate::oidc::client_cache::load_client;
use crate::oidc::clients::{OAuthClient, GRANT_AUTHORIZATION_CODE};
use crate::oidc::consent::consent_covers;
use crate::oidc::error::{OAuthError, OAuthErrorCode};
use crate::oidc::pkce;
use crate::oidc::scopes::Scopes;
use crate::oidc::store::{AuthorizationCode, AuthorizationRequest};
use crate::oidc::urls::with_params;
use crate::tokens::keys::TokenExpectations;

const MAX_STATE_LEN: usize = 2048;
const MAX_NONCE_LEN: usize = 512;
const MAX_HINT_LEN: usize = 254;
const MAX_ID_TOKEN_HINT_LEN: usize = 8192;

/// The parameters of `GET`/`POST /authorize` as sent (unknown ones are dropped at the edge).
#[derive(Debug, Clone, Default)]
pub struct AuthorizeParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<String>,
    pub login_hint: Option<String>,
    pub id_token_hint: Option<String>,
    pub request: Option<String>,
    pub request_uri: Option<String>,
    /// The organization the tokens are for (its id): the user must be a member.
    pub organization: Option<String>,
}

/// A failed authorization request.
#[derive(Debug)]
pub enum AuthorizeError {
    /// The client or redirect URI cannot be trusted: show an error page, never redirect.
    NoRedirect(OAuthError),
    /// Anything else: `Error::OAuth` values here are never produced (they become redirects).
    Internal(crate::Error),
}

impl From<crate::Error> for AuthorizeError {
    fn from(error: crate::Error) -> Self {
        AuthorizeError::Internal(error)
    }
}

/// The browser's signed-in user and session, if any.
pub struct Browser {
    pub user: User,
    pub session: Session,
}

/// What the browser is shown next.
#[derive(Debug)]
pub enum AuthorizeOutcome {
    /// 302 to the hosted sign-in page, which comes back with `auth_request_id`.
    Login {
        request_id: uuid::Uuid,
        client_id: String,
        client_name: String,
        login_hint: Option<String>,
    },
    /// 200 consent page for the parked request.
    Consent {
        request_id: uuid::Uuid,
        client: Box<OAuthClient>,
        scopes: Vec<String>,
    },
    /// 302 to the client: a code, or an error, with `state` and `iss`.
    Redirect(String),
    /// 403 `EMAIL_NOT_VERIFIED` page: the user must verify their email address first.
    EmailNotVerified,
}

fn no_redirect(description: &str) -> AuthorizeError {
    AuthorizeError::NoRedirect(OAuthError::invalid_request(description))
}

/// Step (1): the client must exist and be active, and `redirect_uri` must be registered exactly.
async fn trusted_client(
    core: &Core,
    client_id: Option<&str>,
    redirect_uri: Option<&str>,
) -> Result<(OAuthClient, String), AuthorizeError> {
    let client_id = client_id
        .filter(|c| !c.is_empty() && c.len() <= 256)
        .ok_or_else(|| no_redirect("client_id is required"))?;
    let client = load_client(core, client_id)
        .await?
        .filter(|c| c.client.spec.is_active)
        .ok_or_else(|| {
            AuthorizeError::NoRedirect(OAuthError::invalid_client("unknown or disabled client"))
        })?
        .client
        .clone();
    let redirect_uri = redirect_uri.ok_or_else(|| no_redirect("redirect_uri is required"))?;
    if !client.spec.has_redirect_uri(redirect_uri) {
        return Err(no_redirect(
            "redirect_uri is not registered for this client",
        ));
    }
    Ok((client, redirect_uri.to_owned()))
}

/// The redirect carrying an error (with `state` and `iss`).
pub fn error_redirect(
    core: &Core,
    redirect_uri: &str,
    state: Option<&str>,
    error: &OAuthError,
) -> String {
    with_params(
        redirect_uri,
        &[
            ("error", Some(error.code.as_str())),
            ("error_description", Some(&error.description)),
            ("state", state),
            ("iss", Some(&core.auth.issuer)),
        ],
    )
}

fn optional(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

/// Step (2): everything that is answered by redirecting an error to the client.
fn parse_request(
    core: &Core,
    client: &OAuthClient,
    redirect_uri: String,
    params: AuthorizeParams,
    now: DateTime<Utc>,
) -> Result<AuthorizationRequest, OAuthError> {
    if params.request.is_some() {
        return Err(OAuthError::new(
            OAuthErrorCode::RequestNotSupported,
            "request objects are not supported",
        ));
    }
    if params.request_uri.is_some() {
        return Err(OAuthError::new(
            OAuthErrorCode::RequestUriNotSupported,
            "request_uri is not supported",
        ));
    }
    match params.response_type.as_deref() {
        None | Some("") => return Err(OAuthError::invalid_request("response_type is required")),
        Some("code") => {}
        Some(_) => {
            return Err(OAuthError::new(
                OAuthErrorCode::UnsupportedResponseType,
                "only response_type=code is supported",
            ))
        }
    }
    if !client.spec.allows_grant(GRANT_AUTHORIZATION_CODE) {
        return Err(OAuthError::unauthorized_client(
            "this client may not use the authorization code grant",
        ));
    }
    let state = optional(params.state);
    if state.as_ref().is_some_and(|s| s.len() > MAX_STATE_LEN) {
        return Err(OAuthError::invalid_request("state is too long"));
    }
    let nonce = optional(params.nonce);
    if nonce.as_ref().is_some_and(|n| n.len() > MAX_NONCE_LEN) {
        return Err(OAuthError::invalid_request("nonce is too long"));
    }
    let scopes = Scopes::parse(params.scope.as_deref().unwrap_or(""))?;
    if scopes.is_empty() {
        return Err(OAuthError::invalid_scope("scope is required"));
    }
    if !scopes.is_subset_of(&client.spec.allowed_scopes) {
        return Err(OAuthError::invalid_scope(
            "a requested scope is not allowed for this client",
        ));
    }
    let challenge = optional(params.code_challenge);
    let method = optional(params.code_challenge_method);
    match (&challenge, method.as_deref()) {
        (None, None) if client.spec.is_confidential => {}
        (None, _) => {
            return Err(OAuthError::invalid_request(
                "code_challenge is required (PKCE S256) for public clients",
            ))
        }
        (Some(c), Some("S256")) if pkce::is_well_formed(c) => {}
        (Some(_), Some("S256")) => {
            return Err(OAuthError::invalid_request("code_challenge is malformed"))
        }
        (Some(_), _) => {
            return Err(OAuthError::invalid_request(
                "code_challenge_method must be S256",
            ))
        }
    }
    let prompt = optional(params.prompt);
    if let Some(p) = &prompt {
        let values: Vec<&str> = p.split(' ').filter(|v| !v.is_empty()).collect();
        if values.contains(&"none") && values.len() > 1 {
            return Err(OAuthError::invalid_request(
                "prompt=none cannot be combined",
            ));
        }
    }
    let max_age = match optional(params.max_age) {
        None => None,
        Some(raw) => Some(raw.parse::<i64>().ok().filter(|v| *v >= 0).ok_or_else(|| {
            OAuthError::invalid_request("max_age must be a non-negative integer")
        })?),
    };
    let login_hint = optional(params.login_hint).filter(|h| h.len() <= MAX_HINT_LEN);
    let organization_id =
        match optional(params.organization) {
            None => None,
            Some(raw) => Some(raw.parse::<OrgId>().map_err(|_| {
                OAuthError::invalid_request("organization must be an organization id")
            })?),
        };
    Ok(AuthorizationRequest {
        id: uuid::Uuid::now_v7(),
        client: client.id,
        redirect_uri,
        scopes: scopes.into_vec(),
        state,
        nonce,
        code_challenge: challenge,
        code_challenge_method: method,
        prompt,
        max_age,
        login_hint,
        organization_id,
        session_id: None,
        created_at: now,
        expires_at: now + core.oauth.request_ttl,
        consumed_at: None,
    })
}

fn has_prompt(request: &AuthorizationRequest, value: &str) -> bool {
    request
        .prompt
        .as_deref()
        .is_some_and(|p| p.split(' ').any(|v| v == value))
}

/// The `sub` of a valid ID token we issued to this client, or `None` when it is not one.
fn hinted_subject(core: &Core, client: &OAuthClient, hint: &str) -> Option<String> {
    if hint.len() > MAX_ID_TOKEN_HINT_LEN {
        return None;
    }
    let expect = TokenExpectations {
        issuer: &core.auth.issuer,
        audience: &client.client_id,
    };
    let claims: serde_json::Value = core.keys.verify_ignoring_expiry(hint, &expect).ok()?;
    claims.get("sub")?.as_str().map(str::to_owned)
}

/// `GET`/`POST /authorize` with the request's parameters.
pub async fn authorize(
    core: &Core,
    params: AuthorizeParams,
    browser: Option<Browser>,
) -> Result<AuthorizeOutcome, AuthorizeError> {
    let (client, redirect_uri) = trusted_client(
        core,
        params.client_id.as_deref(),
        params.redirect_uri.as_deref(),
    )
    .await?;
    let now = core.clock.now();
    let id_token_hint = optional(params.id_token_hint.clone());
    let state = optional(params.state.clone()).filter(|s| s.len() <= MAX_STATE_LEN);
    let request = match parse_request(core, &client, redirect_uri.clone(), params, now) {
        Ok(request) => request,
        Err(error) => {
            return Ok(AuthorizeOutcome::Redirect(error_redirect(
                core,
                &redirect_uri,
                state.as_deref(),
                &error,
            )))
        }
    };
    let hint_sub = match id_token_hint {
        None => None,
        Some(hint) => match hinted_subject(core, &client, &hint) {
            Some(sub) => Some(sub),
            None if has_prompt(&request, "none") => {
                let error =
                    OAuthError::new(OAuthErrorCode::LoginRequired, "id_token_hint is not valid");
                return Ok(AuthorizeOutcome::Redirect(error_redirect(
                    core,
                    &request.redirect_uri,
                    request.state.as_deref(),
                    &error,
                )));
            }
            None => None,
        },
    };
    decide(core, client, request, browser, false, hint_sub).await
}

/// `GET /authorize?auth_request_id=…`: the parked request, after sign-in.
pub async fn resume(
    core: &Core,
    request_id: &str,
    browser: Option<Browser>,
) -> Result<AuthorizeOutcome, AuthorizeError> {
    let request = live_request(core, request_id).await?;
    let client = core
        .store
        .get_client(request.client)
        .await?
        .filter(|c| c.spec.is_active)
        .ok_or_else(|| {
            AuthorizeError::NoRedirect(OAuthError::invalid_client("unknown or disabled client"))
        })?;
    decide(core, client, request, browser, true, None).await
}

/// A parked request that is neither consumed nor expired.
pub async fn live_request(
    core: &Core,
    request_id: &str,
) -> Result<AuthorizationRequest, AuthorizeError> {
    let expired = || no_redirect("the authorization request is unknown or expired; start again");
    let id = uuid::Uuid::try_parse(request_id).map_err(|_| expired())?;
    let request = core
        .store
        .get_authorization_request(id)
        .await?
        .ok_or_else(expired)?;
    if request.consumed_at.is_some() || request.expires_at <= core.clock.now() {
        return Err(expired());
    }
    Ok(request)
}

async fn decide(
    core: &Core,
    client: OAuthClient,
    request: AuthorizationRequest,
    browser: Option<Browser>,
    parked: bool,
    hint_sub: Option<String>,
) -> Result<AuthorizeOutcome, AuthorizeError> {
    let now = core.clock.now();
    let prompt_none = has_prompt(&request, "none");
    let redirect_error = |code: OAuthErrorCode, description: &str| {
        let error = OAuthError::new(code, description);
        Ok(AuthorizeOutcome::Redirect(error_redirect(
            core,
            &request.redirect_uri,
            request.state.as_deref(),
            &error,
        )))
    };
    // A sign-in completed after the request was made satisfies prompt=login and max_age.
    let needs_login = match &browser {
        None => true,
        Some(b) => {
            let fresh = parked && b.session.auth_time >= request.created_at;
            let too_old = request
                .max_age
                .is_some_and(|max| (now - b.session.auth_time).num_seconds() > max);
            let other_user = hint_sub
                .as_deref()
                .is_some_and(|sub| sub != b.user.id.to_string());
            !fresh && (has_prompt(&request, "login") || too_old || other_user)
        }
    };
    if needs_login {
        if prompt_none {
            return redirect_error(OAuthErrorCode::LoginRequired, "the user must sign in");
        }
        if !parked {
            core.store.create_authorization_request(&request).await?;
        }
        return Ok(AuthorizeOutcome::Login {
            request_id: request.id,
            client_id: client.client_id,
            client_name: client.spec.name,
            login_hint: request.login_hint,
        });
    }
    let Some(browser) = browser else {
        return Err(AuthorizeError::Internal(crate::Error::internal(
            "no browser after login check",
        )));
    };
    // Step (2), once the user is known: tokens for an organization need a membership of it.
    if let Some(org) = request.organization_id {
        let (role, _) = crate::rbac::check::member_grants(core, org, browser.user.id).await?;
        if role.is_none() {
            return redirect_error(
                OAuthErrorCode::AccessDenied,
                "the user is not a member of the organization",
            );
        }
    }
    // Step (4): past the grace period an unverified address is refused.
    if let Some(grace) = core.oauth.email_verification_grace {
        let user = &browser.user;
        if !user.email_verified && now - user.created_at > grace {
            if prompt_none {
                return redirect_error(
                    OAuthErrorCode::InteractionRequired,
                    "the user must verify their email address",
                );
            }
            return Ok(AuthorizeOutcome::EmailNotVerified);
        }
    }
    let asked_for_consent = has_prompt(&request, "consent");
    let consented = client.spec.is_first_party
        || consent_covers(core, browser.user.id, client.id, &request.scopes).await?;
    if asked_for_consent || !consented {
        if prompt_none {
            return redirect_error(OAuthErrorCode::ConsentRequired, "the user must consent");
        }
        if !parked {
            core.store.create_authorization_request(&request).await?;
        }
        return Ok(AuthorizeOutcome::Consent {
            request_id: request.id,
            scopes: request.scopes.clone(),
            client: Box::new(client),
        });
    }
    if parked
        && !core
            .store
            .consume_authorization_request(request.id, now)
            .await?
    {
        return Err(no_redirect("the authorization request was already used"));
    }
    let url = issue_code(core, &client, &request, &browser).await?;
    Ok(AuthorizeOutcome::Redirect(url))
}

/// Step (6): stores a code for the request and returns the redirect that delivers it.
pub async fn issue_code(
    core: &Core,
    client: &OAuthClient,
    request: &AuthorizationRequest,
    browser: &Browser,
) -> Result<String> {
    let now = core.clock.now();
    let code = random_token(32);
    let record = AuthorizationCode {
        id: uuid::Uuid::now_v7(),
        code_hash: secret_digest(&code),
        client: client.id,
        user_id: browser.user.id,
        session_id: browser.session.id,
        grant_session_id: None,
        redirect_uri: request.redirect_uri.clone(),
        scopes: request.scopes.clone(),
        nonce: request.nonce.clone(),
        code_challenge: request.code_challenge.clone(),
        organization_id: request.organization_id,
        auth_time: browser.session.auth_time,
        amr: browser.session.amr.clone(),
        created_at: now,
        expires_at: now + core.oauth.auth_code_ttl,
        used_at: None,
    };
    core.store.create_authorization_code(&record).await?;
    Ok(with_params(
        &request.redirect_uri,
        &[
            ("code", Some(&code)),
            ("state", request.state.as_deref()),
            ("iss", Some(&core.auth.issuer)),
        ],
    ))
}
