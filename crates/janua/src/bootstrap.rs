//! Start-up provisioning: with `ADMIN_EMAIL` and `ADMIN_PASSWORD` set and no administrator yet,
//! create exactly one verified administrator (idempotent across restarts and instances).

use janua_core::auth::admin_users::bootstrap_admin;
use janua_core::auth::email::Email;
use janua_core::context::Core;

use crate::config::Config;

pub async fn run(config: &Config, core: &Core) -> anyhow::Result<()> {
    let bootstrap = &config.bootstrap;
    let (Some(email), Some(password)) = (&bootstrap.admin_email, &bootstrap.admin_password) else {
        return Ok(());
    };
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("ADMIN_EMAIL: {}", e.message))?;
    match bootstrap_admin(core, &email, password.expose()).await {
        Ok(Some(user)) => tracing::info!(user_id = %user.id, "created the bootstrap administrator"),
        Ok(None) => tracing::debug!("an administrator exists; bootstrap skipped"),
        // Another instance starting at the same moment created it first.
        Err(janua_core::Error::Auth(janua_core::error::AuthFailure::EmailTaken)) => {}
        Err(e) => return Err(anyhow::anyhow!("creating the bootstrap administrator: {e}")),
    }
    Ok(())
}
