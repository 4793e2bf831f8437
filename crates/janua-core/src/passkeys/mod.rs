//! Passkeys (API.md §8): WebAuthn L2 credentials through `webauthn-rs` (see
//! docs/decisions/0005-webauthn-library.md), used for passwordless sign-in that also counts as
//! MFA (`amr` = `hwk`, `user`, `mfa`).
//!
//! - [`settings`]: the relying party (`WEBAUTHN_RP_ID`, `_RP_NAME`, `_ORIGINS`).
//! - [`store`]: `PasskeyStore`, the `passkeys` table.
//! - [`ceremony`]: ceremony state in the shared cache, single use, judged by core's clock.
//! - [`registration`]: registration options and verification.
//! - [`authentication`]: authentication options (discoverable, or by email) and verification.
//! - [`manage`]: list, rename, delete.

pub mod authentication;
pub mod ceremony;
pub mod manage;
pub mod registration;
pub mod settings;
pub mod store;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// API.md §19: at most 20 passkeys per user.
pub const MAX_PASSKEYS_PER_USER: usize = 20;

/// How a credential id is stored and compared: unpadded base64url.
pub fn credential_id_text(raw: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(raw)
}
