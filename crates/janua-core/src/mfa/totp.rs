//! TOTP (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps, ±1 step) through `totp-rs`, and the
//! enrollment flows of API.md §7: enable (seed, otpauth URI, QR code, backup codes), verify to
//! activate, disable, status, validate. A step's code is accepted once: the store records the
//! last used step atomically, so a replay is refused on every instance.

use chrono::{DateTime, Utc};
use serde_json::json;
use totp_rs::{Algorithm, Builder, Totp};
use zeroize::Zeroizing;

use crate::audit::{Actor, AuditEntry, RequestContext};
use crate::auth::account::{current_user, reauthenticate};
use crate::auth::principal::UserPrincipal;
use crate::auth::users::User;
use crate::context::Core;
use crate::error::{AuthFailure, Error, Result};
use crate::ids::UserId;
use crate::mfa::backup_codes;
use crate::mfa::factors::{self, Factor};
use crate::mfa::store::TotpFactor;

/// Seed length: 160 bits, as RFC 4226 §4 recommends.
const SEED_BYTES: usize = 20;
const STEP_SECONDS: u64 = 30;

/// What `POST /mfa/enable` answers; shown once, never stored in clear.
pub struct Enrollment {
    pub secret: String,
    pub provisioning_uri: String,
    /// `data:image/png;base64,…`
    pub qr_code: String,
    pub backup_codes: Vec<String>,
}

pub struct MfaStatus {
    /// Enrollment started (`/mfa/enable`).
    pub enabled: bool,
    /// Enrollment confirmed with a code (`/mfa/verify`): MFA is on.
    pub verified: bool,
    pub backup_codes_remaining: u64,
    pub last_used_at: Option<DateTime<Utc>>,
}

fn totp(core: &Core, seed: &[u8], email: &str) -> Totp {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(STEP_SECONDS)
        .with_secret(seed.to_vec())
        .with_account_name(email)
        .with_issuer(Some(core.mfa.issuer.as_str()))
        .build_noncompliant()
}

fn seal_context(user: UserId) -> Vec<u8> {
    format!("mfa_totp:{user}").into_bytes()
}

fn open_seed(core: &Core, factor: &TotpFactor) -> Result<Zeroizing<Vec<u8>>> {
    core.mfa
        .seed_sealer
        .open(&factor.secret_sealed, &seal_context(factor.user_id))
}

/// The step whose code `code` is, among the current step and its neighbours, if any.
pub fn matching_step(
    core: &Core,
    factor: &TotpFactor,
    email: &str,
    code: &str,
) -> Result<Option<i64>> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let seed = open_seed(core, factor)?;
    let now = u64::try_from(core.clock.now().timestamp()).unwrap_or(0);
    Ok(totp(core, &seed, email)
        .check(code, now)
        .and_then(|step| i64::try_from(step).ok()))
}

/// The user's factor when MFA is on (verified).
pub async fn active_factor(core: &Core, user: UserId) -> Result<Option<TotpFactor>> {
    Ok(core
        .store
        .get_totp(user)
        .await?
        .filter(|f| f.verified_at.is_some()))
}

pub async fn enable(
    core: &Core,
    principal: &UserPrincipal,
    password: Option<&str>,
) -> Result<Enrollment> {
    let user = reauthenticate(core, principal, password).await?;
    if active_factor(core, user.id).await?.is_some() {
        return Err(Error::auth(AuthFailure::MfaAlreadyEnabled));
    }
    let mut seed = Zeroizing::new(vec![0u8; SEED_BYTES]);
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
    let sealed = core.mfa.seed_sealer.seal(&seed, &seal_context(user.id))?;
    let codes = backup_codes::generate();
    let hashes: Vec<String> = codes
        .iter()
        .filter_map(|c| backup_codes::normalize(c))
        .map(|c| backup_codes::digest(core, user.id, &c))
        .collect();
    if !core
        .store
        .begin_totp_enrollment(user.id, &sealed, &hashes, core.clock.now())
        .await?
    {
        return Err(Error::auth(AuthFailure::MfaAlreadyEnabled));
    }
    let totp = totp(core, &seed, &user.email);
    let provisioning_uri = totp.to_url().map_err(Error::internal)?;
    let qr = totp.to_qr_base64().map_err(Error::internal)?;
    Ok(Enrollment {
        secret: totp_rs::Secret::from(seed.to_vec()).to_base32(),
        provisioning_uri,
        qr_code: format!("data:image/png;base64,{qr}"),
        backup_codes: codes,
    })
}

/// Confirms enrollment with a first code; MFA is on from here (`mfa.enabled`).
pub async fn verify(
    core: &Core,
    principal: &UserPrincipal,
    code: &str,
    context: &RequestContext,
) -> Result<()> {
    let user = current_user(core, principal).await?;
    let factor = match core.store.get_totp(user.id).await? {
        None => return Err(Error::auth(AuthFailure::MfaSetupNotInitiated)),
        Some(f) if f.verified_at.is_some() => {
            return Err(Error::auth(AuthFailure::MfaAlreadyEnabled))
        }
        Some(f) => f,
    };
    let now = core.clock.now();
    let enabled = entry("mfa.enabled", &user, context, now).emits(
        "mfa.enabled",
        json!({"user_id": user.id.to_string(), "method": "totp"}),
    );
    let activated = match matching_step(core, &factor, &user.email, code)? {
        Some(step) => {
            core.store
                .activate_totp(user.id, step, now, &[enabled])
                .await?
        }
        None => false,
    };
    factors::record_attempt("totp", activated);
    if !activated {
        factors::record_failure(core, &user, "totp", context).await;
        return Err(Error::auth(AuthFailure::InvalidMfaCode));
    }
    Ok(())
}

/// Turns MFA off after re-authentication; a code, when given, must be valid too.
pub async fn disable(
    core: &Core,
    principal: &UserPrincipal,
    password: Option<&str>,
    code: Option<&str>,
    context: &RequestContext,
) -> Result<()> {
    let user = reauthenticate(core, principal, password).await?;
    if active_factor(core, user.id).await?.is_none() {
        return Err(Error::auth(AuthFailure::MfaNotEnabled));
    }
    if let Some(code) = code.filter(|c| !c.trim().is_empty()) {
        if factors::consume(core, &user, code, context)
            .await?
            .is_none()
        {
            return Err(Error::auth(AuthFailure::InvalidMfaCode));
        }
    }
    let disabled = entry("mfa.disabled", &user, context, core.clock.now()).emits(
        "mfa.disabled",
        json!({"user_id": user.id.to_string(), "method": "totp"}),
    );
    if !core.store.remove_mfa(user.id, &[disabled]).await? {
        return Err(Error::auth(AuthFailure::MfaNotEnabled));
    }
    Ok(())
}

pub async fn status(core: &Core, principal: &UserPrincipal) -> Result<MfaStatus> {
    let user = current_user(core, principal).await?;
    let factor = core.store.get_totp(user.id).await?;
    let verified = factor.as_ref().is_some_and(|f| f.verified_at.is_some());
    let backup_codes_remaining = if verified {
        core.store.count_unused_backup_codes(user.id).await?
    } else {
        0
    };
    Ok(MfaStatus {
        enabled: factor.is_some(),
        verified,
        backup_codes_remaining,
        last_used_at: factor.and_then(|f| f.last_used_at),
    })
}

/// `POST /mfa/validate-code`: checks a TOTP code of the signed-in user and uses its step (a
/// validated code cannot be replayed elsewhere). Backup codes are not spent here.
pub async fn validate(
    core: &Core,
    principal: &UserPrincipal,
    code: &str,
    context: &RequestContext,
) -> Result<bool> {
    let user = current_user(core, principal).await?;
    let Some(factor) = active_factor(core, user.id).await? else {
        return Err(Error::auth(AuthFailure::MfaNotEnabled));
    };
    let valid = matches!(
        factors::use_totp(core, &user, &factor, code, context).await?,
        Some(Factor::Totp)
    );
    if !valid {
        factors::record_failure(core, &user, "totp", context).await;
    }
    Ok(valid)
}

pub(crate) fn entry(
    action: &str,
    user: &User,
    context: &RequestContext,
    at: DateTime<Utc>,
) -> AuditEntry {
    AuditEntry::new(action, Actor::user(user.id, Some(&user.email)), context, at)
        .target("user", user.id)
        .concerning_user(user.id.as_uuid())
}
