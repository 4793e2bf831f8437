//! Access tokens through the key ring: implements the accounts' [`TokenSigner`] port with the
//! configured algorithm (`JWT_ALGORITHM`), issuer and audience.

use std::sync::Arc;

use crate::auth::access_token::{AccessClaims, TokenSigner};
use crate::error::Result;
use crate::tokens::keys::ring::{KeyRing, TokenExpectations};
use crate::tokens::keys::SigningAlgorithm;

pub struct AccessTokenSigner {
    keys: Arc<KeyRing>,
    algorithm: SigningAlgorithm,
    issuer: String,
    audience: String,
}

impl AccessTokenSigner {
    pub fn new(
        keys: Arc<KeyRing>,
        algorithm: SigningAlgorithm,
        issuer: String,
        audience: String,
    ) -> Self {
        Self {
            keys,
            algorithm,
            issuer,
            audience,
        }
    }
}

impl TokenSigner for AccessTokenSigner {
    fn sign_access(&self, claims: &AccessClaims) -> Result<String> {
        self.keys.sign(self.algorithm, claims)
    }

    fn verify_access(&self, token: &str) -> Result<AccessClaims> {
        let expect = TokenExpectations {
            issuer: &self.issuer,
            audience: &self.audience,
        };
        self.keys.verify(token, &expect)
    }
}
