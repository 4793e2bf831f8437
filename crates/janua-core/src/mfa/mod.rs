//! Second factors (API.md §7): TOTP (RFC 6238), backup codes, the sign-in challenge that asks
//! for one of them, and recovery by email.
//!
//! - [`settings`]: the keys (TOTP seed sealing, backup-code HMAC) and issuer name.
//! - [`store`]: `MfaStore`, what this capability needs from storage.
//! - [`totp`]: code checking (±1 step, each step once) and the enable / verify / disable flows.
//! - [`backup_codes`]: generation, normalisation, keyed hashing, regeneration.
//! - [`factors`]: checks and consumes a second factor (TOTP, backup or recovery code).
//! - [`challenge`]: the `mfa_token` between a password and a second factor.
//! - [`recovery`]: recovery options and the mailed one-time recovery code.

pub mod backup_codes;
pub mod challenge;
pub mod factors;
pub mod recovery;
pub mod settings;
pub mod store;
pub mod totp;

/// Whether a session's authentication methods (`amr`) include a second factor: a one-time
/// code (`otp`, also set for backup and recovery codes), a hardware-bound key (`hwk`, passkeys)
/// or an explicit `mfa`. An organization's require-MFA policy checks this
/// (`rbac::check`, 403 `MFA_REQUIRED`).
pub fn satisfied_by(amr: &[String]) -> bool {
    amr.iter()
        .any(|m| matches!(m.as_str(), "otp" | "hwk" | "mfa"))
}

#[cfg(test)]
mod tests {
    use super::satisfied_by;

    fn amr(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| (*v).to_owned()).collect()
    }

    #[test]
    fn a_password_alone_does_not_satisfy_mfa() {
        assert!(!satisfied_by(&amr(&["pwd"])));
        assert!(!satisfied_by(&amr(&["email"])));
        assert!(!satisfied_by(&[]));
    }

    #[test]
    fn a_code_or_a_passkey_satisfies_mfa() {
        assert!(satisfied_by(&amr(&["pwd", "otp", "mfa"])));
        assert!(satisfied_by(&amr(&["hwk", "user", "mfa"])));
        assert!(satisfied_by(&amr(&["hwk"])));
    }
}
