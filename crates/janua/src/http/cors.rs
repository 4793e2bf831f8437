//! CORS: `CORS_ORIGINS` from the configuration plus the admin-managed origins (API.md §0,
//! §16). Stored origins are read through the shared cache (key `cors:origins`, 60 s), so an
//! admin change reaches every instance within a minute, and at once after
//! `POST /admin/settings/cors/invalidate-cache`.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderName, HeaderValue, Method};
use janua_core::context::Core;
use tower_http::cors::{AllowOrigin, CorsLayer};

const CACHE_KEY: &str = "cors:origins";
const CACHE_TTL: Duration = Duration::from_secs(60);

pub fn layer(configured: &[String], core: Arc<Core>) -> CorsLayer {
    let configured: Arc<Vec<String>> = Arc::new(
        configured
            .iter()
            .map(|o| o.trim_end_matches('/').to_ascii_lowercase())
            .collect(),
    );
    CorsLayer::new()
        .allow_origin(AllowOrigin::async_predicate(
            move |origin: HeaderValue, _| {
                let configured = configured.clone();
                let core = core.clone();
                async move {
                    let Ok(origin) = origin.to_str() else {
                        return false;
                    };
                    let origin = origin.to_ascii_lowercase();
                    configured.contains(&origin) || stored_origins(&core).await.contains(&origin)
                }
            },
        ))
        .allow_credentials(true)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            HeaderName::from_static("x-api-key"),
            HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([HeaderName::from_static("x-request-id"), header::RETRY_AFTER])
        .max_age(Duration::from_secs(600))
}

/// The stored origins, from the cache or (on a miss) the database. Failures deny: a CORS
/// answer is never worth an error page.
pub async fn stored_origins(core: &Core) -> Vec<String> {
    if let Ok(Some(bytes)) = core.cache.get(CACHE_KEY).await {
        if let Ok(list) = serde_json::from_slice::<Vec<String>>(&bytes) {
            return list;
        }
    }
    match core.store.list_cors_origins().await {
        Ok(rows) => {
            let list: Vec<String> = rows.into_iter().map(|r| r.origin).collect();
            if let Ok(bytes) = serde_json::to_vec(&list) {
                let _ = core.cache.set(CACHE_KEY, &bytes, CACHE_TTL).await;
            }
            list
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not read stored CORS origins");
            Vec::new()
        }
    }
}

/// Whether the cache currently holds the list (for `cache-status`).
pub async fn is_cached(core: &Core) -> bool {
    matches!(core.cache.get(CACHE_KEY).await, Ok(Some(_)))
}

pub async fn invalidate(core: &Core) {
    if let Err(e) = core.cache.delete(CACHE_KEY).await {
        tracing::warn!(error = %e, "could not invalidate the CORS origin cache");
    }
}
