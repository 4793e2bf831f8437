//! Backup codes: ten `XXXX-XXXX` codes over a 32-letter alphabet (40 bits each), single use,
//! dash-, space- and case-insensitive.
//!
//! Stored as HMAC-SHA256 under a key derived from the server secret (plus the user id), not as
//! plain SHA-256: 40 bits are too few to resist offline guessing of an unkeyed digest, while a
//! keyed digest needs the server secret as well, which also unseals the TOTP seed, so the codes
//! are no weaker than the factor they back up. Argon2 would cost ten slow hashes per attempt.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::audit::RequestContext;
use crate::auth::account::reauthenticate;
use crate::auth::principal::UserPrincipal;
use crate::context::Core;
use crate::crypto::hmac_sha256;
use crate::error::{AuthFailure, Error, Result};
use crate::ids::UserId;
use crate::mfa::totp::{active_factor, entry};

pub const COUNT: usize = 10;
/// Crockford's base-32 letters: no I, L, O or U to misread.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CODE_LEN: usize = 8;

/// Ten fresh codes, formatted `XXXX-XXXX`.
pub fn generate() -> Vec<String> {
    (0..COUNT).map(|_| random_code(CODE_LEN, 4)).collect()
}

/// `len` random letters of the alphabet, a dash after every `group`.
pub(crate) fn random_code(len: usize, group: usize) -> String {
    let mut bytes = vec![0u8; len];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    let mut code = String::with_capacity(len + len / group);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % group == 0 {
            code.push('-');
        }
        // 256 is a multiple of 32: no modulo bias.
        code.push(char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]));
    }
    code
}

/// Upper-cased without dashes and spaces, when it has the shape of a code of `len` letters.
pub(crate) fn normalize_len(input: &str, len: usize) -> Option<String> {
    let code: String = input
        .chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == len && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

pub fn normalize(input: &str) -> Option<String> {
    normalize_len(input, CODE_LEN)
}

/// The stored form of a normalised code.
pub fn digest(core: &Core, user: UserId, normalized: &str) -> String {
    hex::encode(hmac_sha256(
        core.mfa.code_key.as_slice(),
        format!("{user}:{normalized}").as_bytes(),
    ))
}

/// Replaces every backup code after re-authentication; the old ones stop working.
pub async fn regenerate(
    core: &Core,
    principal: &UserPrincipal,
    password: Option<&str>,
    context: &RequestContext,
) -> Result<(Vec<String>, DateTime<Utc>)> {
    let user = reauthenticate(core, principal, password).await?;
    if active_factor(core, user.id).await?.is_none() {
        return Err(Error::auth(AuthFailure::MfaNotEnabled));
    }
    let codes = generate();
    let hashes: Vec<String> = codes
        .iter()
        .filter_map(|c| normalize(c))
        .map(|c| digest(core, user.id, &c))
        .collect();
    let now = core.clock.now();
    let audit =
        entry("mfa.backup_codes_regenerated", &user, context, now).details(json!({"count": COUNT}));
    core.store
        .replace_backup_codes(user.id, &hashes, now, &[audit])
        .await?;
    Ok((codes, now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_have_the_documented_shape() {
        let codes = generate();
        assert_eq!(codes.len(), COUNT);
        for code in &codes {
            assert_eq!(code.len(), 9);
            assert_eq!(&code[4..5], "-");
            assert!(normalize(code).is_some());
        }
    }

    #[test]
    fn normalisation_ignores_dashes_spaces_and_case() {
        assert_eq!(normalize("abcd-ef12").as_deref(), Some("ABCDEF12"));
        assert_eq!(normalize(" ABCD EF12 ").as_deref(), Some("ABCDEF12"));
        assert_eq!(normalize("ABCDEF12").as_deref(), Some("ABCDEF12"));
    }

    #[test]
    fn normalisation_refuses_other_shapes() {
        assert_eq!(normalize("ABCD-EF1"), None);
        assert_eq!(normalize("ABCD-EF12-3"), None);
        assert_eq!(normalize("ABCD-EFIL"), None);
        assert_eq!(normalize("123456"), None);
    }
}
