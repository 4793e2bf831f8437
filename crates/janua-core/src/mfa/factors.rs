//! Checking and spending a second factor: a 6-digit TOTP code, a backup code, or a mailed
//! recovery code (`POST /mfa/initiate-recovery`), told apart by their shape. A success writes
//! `mfa.verified` with the change that spends the factor; failures are audited on their own.

use serde_json::json;

use crate::audit::RequestContext;
use crate::auth::store::OneTimeTokenKind;
use crate::auth::users::User;
use crate::context::Core;
use crate::crypto::secret_digest;
use crate::error::Result;
use crate::mfa::backup_codes;
use crate::mfa::recovery::{normalize_recovery_code, recovery_digest_input};
use crate::mfa::store::TotpFactor;
use crate::mfa::totp::{active_factor, entry, matching_step};

/// Which factor was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Factor {
    Totp,
    BackupCode,
    RecoveryCode,
}

impl Factor {
    pub fn as_str(&self) -> &'static str {
        match self {
            Factor::Totp => "totp",
            Factor::BackupCode => "backup_code",
            Factor::RecoveryCode => "recovery_code",
        }
    }
}

/// Checks `code` against the user's factors and spends it. `None`: wrong, used or replayed.
pub async fn consume(
    core: &Core,
    user: &User,
    code: &str,
    context: &RequestContext,
) -> Result<Option<Factor>> {
    let Some(factor) = active_factor(core, user.id).await? else {
        return Ok(None);
    };
    let trimmed = code.trim();
    let used = if trimmed.len() == 6 && trimmed.bytes().all(|b| b.is_ascii_digit()) {
        use_totp(core, user, &factor, trimmed, context).await?
    } else if let Some(normalized) = backup_codes::normalize(trimmed) {
        use_backup_code(core, user, &normalized, context).await?
    } else if let Some(normalized) = normalize_recovery_code(trimmed) {
        use_recovery_code(core, user, &normalized).await?
    } else {
        None
    };
    let method = used.map(|f| f.as_str()).unwrap_or("unknown");
    record_attempt(method, used.is_some());
    Ok(used)
}

pub(crate) async fn use_totp(
    core: &Core,
    user: &User,
    factor: &TotpFactor,
    code: &str,
    context: &RequestContext,
) -> Result<Option<Factor>> {
    let Some(step) = matching_step(core, factor, &user.email, code)? else {
        return Ok(None);
    };
    let now = core.clock.now();
    let audit = entry("mfa.verified", user, context, now).details(json!({"method": "totp"}));
    let fresh = core
        .store
        .use_totp_step(user.id, step, now, &[audit])
        .await?;
    Ok(fresh.then_some(Factor::Totp))
}

async fn use_backup_code(
    core: &Core,
    user: &User,
    normalized: &str,
    context: &RequestContext,
) -> Result<Option<Factor>> {
    let now = core.clock.now();
    let audit = entry("mfa.verified", user, context, now).details(json!({"method": "backup_code"}));
    let hash = backup_codes::digest(core, user.id, normalized);
    let used = core
        .store
        .use_backup_code(user.id, &hash, now, &[audit])
        .await?;
    Ok(used.then_some(Factor::BackupCode))
}

async fn use_recovery_code(core: &Core, user: &User, normalized: &str) -> Result<Option<Factor>> {
    let digest = secret_digest(&recovery_digest_input(normalized));
    let token = core
        .store
        .consume_one_time_token(OneTimeTokenKind::MfaRecovery, &digest, core.clock.now())
        .await?;
    Ok(token
        .filter(|t| t.user_id == Some(user.id))
        .map(|_| Factor::RecoveryCode))
}

/// Audits a failed second-factor attempt. Auditing must not turn a refusal into a 500, so a
/// storage failure here is logged and dropped.
pub async fn record_failure(core: &Core, user: &User, method: &str, context: &RequestContext) {
    let audit = entry("mfa.verification_failed", user, context, core.clock.now())
        .failed()
        .details(json!({"method": method}));
    if let Err(error) = core.store.record_audit(&[audit]).await {
        tracing::warn!(%error, "could not audit a failed MFA attempt");
    }
}

pub(crate) fn record_attempt(method: &'static str, success: bool) {
    let result = if success { "success" } else { "failure" };
    metrics::counter!("janua_mfa_verifications_total", "method" => method, "result" => result)
        .increment(1);
}
