//! Tokens: the key ring that signs and verifies every JWT (API.md §3), and later the access,
//! refresh and ID tokens built on it.
//!
//! - [`keys`]: signing algorithms, key material, the in-memory [`KeyRing`](keys::KeyRing), and
//!   the rotation rules.
//! - [`store`]: what the key ring needs from storage ([`SigningKeyStore`](store::SigningKeyStore)).

pub mod keys;
pub mod store;
