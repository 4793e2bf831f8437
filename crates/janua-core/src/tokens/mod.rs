//! Tokens: the key ring that signs and verifies every JWT (API.md §3), and later the access,
//! refresh and ID tokens built on it.
//!
//! - [`access_signer`]: access tokens signed and verified through the key ring.
//! - [`keys`]: signing algorithms, key material, the in-memory [`KeyRing`](keys::KeyRing), and
//!   the rotation rules.
//! - [`store`]: what the key ring needs from storage ([`SigningKeyStore`](store::SigningKeyStore)).

pub mod access_signer;
pub mod keys;
pub mod store;
