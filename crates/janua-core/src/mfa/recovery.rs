//! Recovery by email (API.md §7): a user who lost the authenticator asks for a one-time code by
//! mail and enters it at the challenge like a backup code. Every email gets the same answer.
//!
//! The code is 20 letters of the backup-code alphabet (100 bits) in groups of five, stored as
//! a SHA-256 digest in `one_time_tokens` (kind `mfa_recovery`, one hour).

use crate::auth::email::Email;
use crate::auth::store::{NewOneTimeToken, OneTimeTokenKind};
use crate::context::Core;
use crate::crypto::secret_digest;
use crate::error::Result;
use crate::mail::{enqueue_mail, Mail, OutgoingMail};
use crate::mfa::backup_codes::{normalize_len, random_code};
use crate::mfa::totp::active_factor;

const RECOVERY_CODE_LEN: usize = 20;

/// `GET /mfa/recovery-options`: the same answer for every address, so it reveals nothing.
pub fn methods() -> Vec<&'static str> {
    vec!["backup_code", "email"]
}

pub(crate) fn normalize_recovery_code(input: &str) -> Option<String> {
    normalize_len(input, RECOVERY_CODE_LEN)
}

/// What is hashed: the kind prefix keeps these digests apart from other one-time tokens.
pub(crate) fn recovery_digest_input(normalized: &str) -> String {
    format!("mfa_recovery:{normalized}")
}

/// Mails a recovery code when the address belongs to an active user with MFA on; otherwise
/// does nothing, visibly the same.
pub async fn initiate(core: &Core, email: &Email) -> Result<()> {
    let Some(user) = core.store.find_user_by_email(&email.normalized()).await? else {
        return Ok(());
    };
    if !user.status.can_authenticate() || active_factor(core, user.id).await?.is_none() {
        return Ok(());
    }
    let code = random_code(RECOVERY_CODE_LEN, 5);
    let Some(normalized) = normalize_recovery_code(&code) else {
        return Ok(());
    };
    let now = core.clock.now();
    core.store
        .create_one_time_token(&NewOneTimeToken {
            id: uuid::Uuid::now_v7(),
            kind: OneTimeTokenKind::MfaRecovery,
            token_hash: secret_digest(&recovery_digest_input(&normalized)),
            user_id: Some(user.id),
            email_normalized: Some(email.normalized()),
            payload: serde_json::json!({}),
            created_at: now,
            expires_at: now + chrono::Duration::hours(1),
        })
        .await?;
    enqueue_mail(
        core.store.as_ref(),
        &OutgoingMail::new(user.email.clone(), Mail::MfaRecoveryCode { code }),
        now,
    )
    .await
    .map(|_| ())
}
