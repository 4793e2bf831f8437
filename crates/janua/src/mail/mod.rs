//! Mail adapters: implementations of the core [`Mailer`] port, and rendering. Mail is never sent
//! from a request: use cases enqueue `mail.send` jobs and `jobs::mail_delivery` renders and sends
//! them.
//!
//! - [`render`]: minijinja templates (built in, overridable with `EMAIL_TEMPLATES_DIR`).
//! - [`smtp`]: lettre over rustls, when `SMTP_HOST` is set.
//! - [`log`]: without `SMTP_HOST`, logs mail outside production and refuses in production.
//! - [`capture`]: an in-memory outbox for tests.
//!
//! [`from_config`] picks one.

pub mod capture;
pub mod log;
pub mod render;
pub mod smtp;

use std::sync::Arc;

use async_trait::async_trait;
use janua_core::mail::{Mailer, RenderedMail};

use crate::config::Config;

/// The mailer the configuration asks for: nothing with `EMAIL_ENABLED=false`, SMTP with
/// `SMTP_HOST`, else the log mailer.
pub fn from_config(config: &Config) -> janua_core::Result<Arc<dyn Mailer>> {
    if !config.mail.email_enabled {
        return Ok(Arc::new(DisabledMailer));
    }
    match smtp::SmtpMailer::from_config(&config.mail)? {
        Some(smtp) => Ok(Arc::new(smtp)),
        None => Ok(Arc::new(log::LogMailer::new(
            config.server.environment.is_production(),
        ))),
    }
}

/// `EMAIL_ENABLED=false`: the operator wants no mail, so mail jobs complete without sending.
pub struct DisabledMailer;

#[async_trait]
impl Mailer for DisabledMailer {
    fn name(&self) -> &'static str {
        "disabled"
    }

    async fn send(&self, _mail: &RenderedMail) -> janua_core::Result<()> {
        tracing::debug!("mail dropped: EMAIL_ENABLED=false");
        Ok(())
    }
}
