//! Assembles a running server from a [`Config`]: storage, cache, clock, mailer, state, router,
//! listener and jobs, then serves until told to stop, draining as API.md §2 describes.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use janua_core::clock::{Clock, SystemClock};
use janua_core::crypto::seal::Sealer;
use janua_core::mail::Mailer;
use janua_core::ports::Store;
use janua_core::tokens::access_signer::AccessTokenSigner;
use janua_core::tokens::keys::ring::{ImportedKeys, KeyRing, KeyRingSettings};
use janua_core::tokens::keys::SigningAlgorithm;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::cache::{self, CacheTarget};
use crate::config::Config;
use crate::core_builder::{build_core, Ports};
use crate::http;
use crate::http::extract::TrustedProxies;
use crate::http::rate_limit::RateLimiter;
use crate::jobs::Jobs;
use crate::mail::render::MailRenderer;
use crate::pages::Pages;
use crate::server;
use crate::state::{AppState, Lifecycle, Shared};

pub struct App {
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    state: AppState,
    address: SocketAddr,
    background_jobs: bool,
    /// `janua worker`: serve only the operations routes (health, readiness, metrics).
    worker_only: bool,
}

/// What [`App::build_with`] takes besides the configuration: the parts tests replace.
pub struct AppOptions {
    pub clock: Arc<dyn Clock>,
    /// `None`: the mailer the configuration asks for (SMTP, log or disabled).
    pub mailer: Option<Arc<dyn Mailer>>,
    /// False: `run_until_stopped` starts no jobs, so a test drives each job's `run_once` alone.
    pub background_jobs: bool,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            mailer: None,
            background_jobs: true,
        }
    }
}

/// The storage settings of `config`, in the store crate's terms.
pub fn database_config(config: &Config) -> janua_store::DatabaseConfig {
    let db = &config.database;
    janua_store::DatabaseConfig {
        url: db.url.clone(),
        replica_urls: db.replica_urls.clone(),
        pool_size: db.pool_size,
        max_overflow: db.max_overflow,
        ssl_mode: db.ssl_mode.clone(),
        apply_migrations: db.apply_migrations,
        acquire_timeout: Duration::from_secs(5),
    }
}

pub fn cache_target(config: &Config) -> CacheTarget {
    CacheTarget::from_settings(
        config.cache.redis_url.as_ref().map(|s| s.expose()),
        &config.cache.cluster_nodes,
    )
}

/// The sealer for signing keys at rest: `JWT_SECRET_KEY`, else `SECRET_KEY`.
pub fn key_sealer(config: &Config) -> anyhow::Result<Sealer> {
    Ok(Sealer::from_secret(
        config.key_encryption_secret().expose().as_bytes(),
    )?)
}

/// The longest lifetime of a JWT: how long a retired key must stay published.
pub fn max_token_lifetime(config: &Config) -> chrono::Duration {
    let longest = config
        .tokens
        .access_token_ttl
        .max(config.tokens.id_token_ttl);
    chrono::Duration::from_std(longest).unwrap_or(chrono::Duration::days(1))
}

/// The operator's keys, when `JWT_PRIVATE_KEY` is set; errors name the variable at fault.
pub fn imported_keys(config: &Config) -> anyhow::Result<Option<ImportedKeys>> {
    let tokens = &config.tokens;
    let Some(private_key) = &tokens.private_key else {
        return Ok(None);
    };
    let alg = SigningAlgorithm::parse(tokens.algorithm.as_str())?;
    let keys = ImportedKeys::from_pem(
        alg,
        private_key.expose(),
        tokens.kid.as_deref(),
        tokens.public_key.as_deref(),
        &tokens.previous_public_keys,
    )
    .map_err(|e| match e {
        janua_core::Error::Validation(fields) => anyhow::anyhow!(
            "JWT_PRIVATE_KEY / JWT_PUBLIC_KEY / JWT_PREVIOUS_PUBLIC_KEYS: {}",
            fields
                .iter()
                .map(|f| format!("{} {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => anyhow::Error::new(other),
    })?;
    Ok(Some(keys))
}

/// Loads the key ring: the env keys, or the stored keys (generating missing ones).
pub async fn build_key_ring(
    config: &Config,
    store: &dyn Store,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<KeyRing> {
    let settings = KeyRingSettings {
        max_token_lifetime: max_token_lifetime(config),
        imported: imported_keys(config)?,
        replace_undecryptable: config.security.secret_key_generated
            && config.tokens.jwt_secret_key.is_none(),
    };
    Ok(KeyRing::start(store, key_sealer(config)?, clock, settings).await?)
}

impl App {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        Self::build_with(config, AppOptions::default()).await
    }

    /// As [`App::build`], with the clock injected (tests hold time still).
    pub async fn build_with_clock(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let options = AppOptions {
            clock,
            ..AppOptions::default()
        };
        Self::build_with(config, options).await
    }

    /// As [`App::build`], with the clock, the mailer and background jobs chosen by the caller.
    pub async fn build_with(config: Config, options: AppOptions) -> anyhow::Result<Self> {
        let AppOptions {
            clock,
            mailer,
            background_jobs,
        } = options;
        for warning in config.warnings() {
            tracing::warn!("{warning}");
        }
        let metrics = crate::telemetry::metrics::install();
        let store = janua_store::connect(&database_config(&config))
            .await
            .context("opening the database (check DATABASE_URL; `janua doctor` explains)")?;
        let keys = build_key_ring(&config, store.as_ref(), clock.clone())
            .await
            .context("loading the signing keys (`janua doctor` checks them)")?;
        let cache = cache::connect_with_prefix(&cache_target(&config), &config.cache.key_prefix)
            .await
            .context("configuring the cache")?;
        let mail_renderer = MailRenderer::new(
            config.mail.templates_dir.as_deref(),
            &config.server.app_name,
            &config.urls.base_url,
        )
        .context("loading the mail templates (check EMAIL_TEMPLATES_DIR)")?;
        if !mail_renderer.overridden().is_empty() {
            tracing::info!(templates = ?mail_renderer.overridden(), "mail templates overridden");
        }
        let mailer = match mailer {
            Some(mailer) => mailer,
            None => crate::mail::from_config(&config).context("configuring mail (SMTP_*)")?,
        };
        let tls = match (&config.server.tls_cert_file, &config.server.tls_key_file) {
            (Some(cert), Some(key)) => Some(server::tls_acceptor(cert, key)?),
            _ => None,
        };
        let bind = format!("{}:{}", config.server.host, config.server.port);
        let listener = TcpListener::bind(&bind)
            .await
            .with_context(|| format!("binding {bind}"))?;
        let address = listener.local_addr()?;
        let keys = Arc::new(keys);
        let signer = access_signer(&config, keys.clone())?;
        let core = build_core(
            &config,
            Ports {
                store: store.clone(),
                cache: cache.clone(),
                cache_is_shared: config.cache.uses_redis(),
                clock: clock.clone(),
                signer: Arc::new(signer),
                keys: keys.clone(),
            },
        )?;
        crate::bootstrap::run(&config, &core).await?;
        let pages = Pages::from_config(&config).context("loading the page templates")?;
        let discovery = crate::http::oidc::discovery::metadata(&config.tokens.issuer);
        let webhooks = crate::webhooks::WebhookRuntime::from_config(&config)
            .context("configuring webhook delivery")?;
        let state = AppState::new(Shared {
            core: Arc::new(core),
            pages: Arc::new(pages),
            webhooks: Arc::new(webhooks),
            proxies: Arc::new(TrustedProxies(config.server.trusted_proxies.clone())),
            rate_limiter: RateLimiter::new(cache.clone(), config.rate_limits.enabled),
            started_at: clock.now(),
            maintenance: Default::default(),
            config: Arc::new(config),
            store,
            cache,
            clock,
            mailer,
            mail_renderer: Arc::new(mail_renderer),
            discovery,
            keys,
            lifecycle: Lifecycle::default(),
            metrics,
        });
        Ok(Self {
            listener,
            tls,
            state,
            address,
            background_jobs,
            worker_only: false,
        })
    }

    /// Turns this app into a background worker (`janua worker`): the jobs run (mail, webhooks,
    /// retention, key rotation) and the listener serves only `/health`, `/ready` and
    /// `/metrics`, for probes and scraping.
    pub fn worker_only(mut self) -> Self {
        self.worker_only = true;
        self.background_jobs = true;
        self
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then: `/ready` turns 503 at once while requests are
    /// still served for `SHUTDOWN_DRAIN_SECONDS` (load balancers take the instance out of
    /// rotation); the listener closes; in-flight requests get `SHUTDOWN_TIMEOUT_SECONDS` to
    /// finish; jobs stop; pools close.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let App {
            listener,
            tls,
            state,
            address,
            background_jobs,
            worker_only,
        } = self;
        let server_config = state.config.server.clone();
        let jobs = if background_jobs {
            Jobs::spawn_all(&state)
        } else {
            Jobs::none()
        };
        tracing::info!(
            %address,
            tls = tls.is_some(),
            database = state.store.backend().as_str(),
            cache = state.cache.backend(),
            mailer = state.mailer.name(),
            jobs = ?jobs.names(),
            "janua is serving"
        );
        let lifecycle = state.lifecycle.clone();
        let drain = server_config.shutdown_drain;
        let stop_accepting = async move {
            shutdown.await;
            lifecycle.start_draining();
            tracing::info!(
                drain_s = drain.as_secs_f64(),
                "draining: /ready now answers 503"
            );
            tokio::time::sleep(drain).await;
        };
        let store = state.store.clone();
        let routes = if worker_only {
            http::operations_app(state)
        } else {
            http::app(state)
        };
        server::serve(
            listener,
            tls,
            routes,
            stop_accepting,
            server_config.shutdown_timeout,
        )
        .await;
        jobs.stop(Duration::from_secs(5)).await;
        store.close().await;
        tracing::info!("janua stopped");
        Ok(())
    }
}

/// The domain core for one-off CLI commands: the database and key ring, an in-process cache and
/// the system clock; no listener, no jobs.
pub async fn core_for_cli(config: &Config) -> anyhow::Result<janua_core::context::Core> {
    let store = janua_store::connect(&database_config(config))
        .await
        .context("opening the database (check DATABASE_URL; `janua doctor` explains)")?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let keys = Arc::new(build_key_ring(config, store.as_ref(), clock.clone()).await?);
    let signer = access_signer(config, keys.clone())?;
    build_core(
        config,
        Ports {
            store,
            cache: cache::connect(&CacheTarget::InProcess).await?,
            cache_is_shared: false,
            clock,
            signer: Arc::new(signer),
            keys,
        },
    )
}

/// Access tokens signed with `JWT_ALGORITHM` and checked against `ISSUER` and `JWT_AUDIENCE`.
fn access_signer(config: &Config, keys: Arc<KeyRing>) -> anyhow::Result<AccessTokenSigner> {
    let algorithm = SigningAlgorithm::parse(config.tokens.algorithm.as_str())
        .context("JWT_ALGORITHM names no supported algorithm")?;
    Ok(AccessTokenSigner::new(
        keys,
        algorithm,
        config.tokens.issuer.clone(),
        config.tokens.audience.clone(),
    ))
}
