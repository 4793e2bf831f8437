//! Passwords: the policy (API.md §4, §18), Argon2id hashing with the configured parameters, and
//! verification of imported bcrypt and Argon2 hashes, which are re-hashed at the next successful
//! sign-in. Hashing is CPU-bound by design, so the async wrappers run it on the hashing threads
//! ([`HashPool`]), in the caller's tracing span.

use std::sync::Arc;
use std::time::Instant;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{
    Output, ParamsString, PasswordHash, PasswordHasher, PasswordVerifier, Salt, SaltString,
};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use crate::auth::hash_pool::HashPool;
use crate::error::{Error, FieldError, Result};

/// Longest password accepted: long enough for passphrases, short enough that hashing cost is
/// bounded.
pub const MAX_PASSWORD_LEN: usize = 256;

/// Histogram of hashing and verification time (seconds).
pub const HASH_SECONDS_METRIC: &str = "janua_password_hash_seconds";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub min_length: usize,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub require_digit: bool,
    pub require_symbol: bool,
}

impl PasswordPolicy {
    /// Every unmet rule, one `details` entry each (400 `WEAK_PASSWORD`).
    pub fn check(&self, field: &str, password: &str) -> Vec<FieldError> {
        let mut unmet = Vec::new();
        let chars = password.chars().count();
        if chars < self.min_length {
            unmet.push(FieldError::new(
                field,
                format!("must be at least {} characters", self.min_length),
            ));
        }
        if chars > MAX_PASSWORD_LEN {
            unmet.push(FieldError::new(
                field,
                format!("must be at most {MAX_PASSWORD_LEN} characters"),
            ));
        }
        if self.require_uppercase && !password.chars().any(char::is_uppercase) {
            unmet.push(FieldError::new(field, "must contain an uppercase letter"));
        }
        if self.require_lowercase && !password.chars().any(char::is_lowercase) {
            unmet.push(FieldError::new(field, "must contain a lowercase letter"));
        }
        if self.require_digit && !password.chars().any(|c| c.is_ascii_digit()) {
            unmet.push(FieldError::new(field, "must contain a digit"));
        }
        if self.require_symbol
            && !password
                .chars()
                .any(|c| !c.is_alphanumeric() && !c.is_whitespace())
        {
            unmet.push(FieldError::new(field, "must contain a symbol"));
        }
        unmet
    }
}

/// Argon2id cost parameters (`PASSWORD_HASH_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    Invalid,
    /// Correct; `needs_rehash` when the stored hash is bcrypt or uses other parameters.
    Valid {
        needs_rehash: bool,
    },
}

/// Hashes and verifies with fixed parameters. Holds a hash of a random password so that
/// sign-in for an unknown account costs the same as for a known one.
#[derive(Clone)]
pub struct Passwords {
    params: HashParams,
    argon: Arc<Argon2<'static>>,
    dummy_hash: Arc<str>,
    /// One long-lived thread per core does every hash (see [`HashPool`]).
    pool: HashPool,
}

impl Passwords {
    pub fn new(params: HashParams) -> Result<Self> {
        let argon_params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|e| Error::internal(format!("invalid PASSWORD_HASH_* parameters: {e}")))?;
        let argon = Arc::new(Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            argon_params,
        ));
        let dummy = crate::crypto::random_token(24);
        let salt = SaltString::generate(&mut OsRng);
        let dummy_hash = argon
            .hash_password(dummy.as_bytes(), &salt)
            .map_err(|e| Error::internal(format!("hashing failed: {e}")))?
            .to_string();
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Ok(Self {
            params,
            argon,
            dummy_hash: dummy_hash.into(),
            pool: HashPool::start(cores)?,
        })
    }

    pub fn params(&self) -> HashParams {
        self.params
    }

    /// Argon2id PHC string of `password` (blocking; see [`Passwords::hash`]).
    pub fn hash_blocking(&self, password: &str) -> Result<String> {
        let started = Instant::now();
        let salt = SaltString::generate(&mut OsRng);
        let hash = self.hash_with_reused_memory(password, salt.as_salt())?;
        metrics::histogram!(HASH_SECONDS_METRIC).record(started.elapsed().as_secs_f64());
        Ok(hash)
    }

    /// Argon2id with this thread's reusable memory (see [`with_blocks`]), as a PHC string.
    fn hash_with_reused_memory(&self, password: &str, salt: Salt<'_>) -> Result<String> {
        let failed =
            |e: argon2::password_hash::Error| Error::internal(format!("hashing failed: {e}"));
        let mut salt_buf = [0u8; 64];
        let salt_bytes = salt.decode_b64(&mut salt_buf).map_err(failed)?;
        let output = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
            self.argon_into(password.as_bytes(), salt_bytes, out)
        })
        .map_err(failed)?;
        let params = ParamsString::try_from(self.argon.params()).map_err(failed)?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params,
            salt: Some(salt),
            hash: Some(output),
        };
        Ok(phc.to_string())
    }

    fn argon_into(
        &self,
        password: &[u8],
        salt: &[u8],
        out: &mut [u8],
    ) -> argon2::password_hash::Result<()> {
        let count = self.argon.params().block_count();
        with_blocks(count, |blocks| {
            self.argon
                .hash_password_into_with_memory(password, salt, out, blocks)
        })?;
        Ok(())
    }

    /// Verification of a hash made with exactly our parameters, on reused memory; `None` when
    /// the hash uses other settings (imported hashes take the general path).
    fn verify_own(&self, parsed: &PasswordHash<'_>, password: &str) -> Option<bool> {
        if parsed.algorithm != Algorithm::Argon2id.ident() || self.needs_rehash(parsed) {
            return None;
        }
        let expected = parsed.hash?;
        let mut salt_buf = [0u8; 64];
        let salt = parsed.salt?.decode_b64(&mut salt_buf).ok()?;
        let computed = Output::init_with(expected.len(), |out| {
            self.argon_into(password.as_bytes(), salt, out)
        })
        .ok()?;
        // `Output` compares in constant time.
        Some(computed == expected)
    }

    /// Checks `password` against a stored Argon2 or bcrypt hash (blocking).
    pub fn verify_blocking(&self, stored: &str, password: &str) -> Verification {
        let started = Instant::now();
        let outcome = if is_bcrypt(stored) {
            match bcrypt::verify(password, stored) {
                Ok(true) => Verification::Valid { needs_rehash: true },
                _ => Verification::Invalid,
            }
        } else {
            match PasswordHash::new(stored) {
                Ok(parsed) => match self.verify_own(&parsed, password) {
                    Some(true) => Verification::Valid {
                        needs_rehash: false,
                    },
                    Some(false) => Verification::Invalid,
                    // Other Argon2 variants or parameters verify with their own settings.
                    None if Argon2::default()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok() =>
                    {
                        Verification::Valid { needs_rehash: true }
                    }
                    None => Verification::Invalid,
                },
                Err(_) => Verification::Invalid,
            }
        };
        metrics::histogram!(HASH_SECONDS_METRIC).record(started.elapsed().as_secs_f64());
        outcome
    }

    fn needs_rehash(&self, parsed: &PasswordHash<'_>) -> bool {
        let same_params = Params::try_from(parsed).is_ok_and(|p| {
            p.m_cost() == self.params.memory_kib
                && p.t_cost() == self.params.iterations
                && p.p_cost() == self.params.parallelism
        });
        parsed.algorithm.as_str() != "argon2id" || !same_params
    }

    pub async fn hash(&self, password: &str) -> Result<String> {
        let this = self.clone();
        let password = password.to_owned();
        self.pool.run(move || this.hash_blocking(&password)).await?
    }

    pub async fn verify(&self, stored: &str, password: &str) -> Result<Verification> {
        let this = self.clone();
        let (stored, password) = (stored.to_owned(), password.to_owned());
        self.pool
            .run(move || this.verify_blocking(&stored, &password))
            .await
    }

    /// Spends the time of one verification and always fails: used when the account does not
    /// exist, so that timing does not reveal which emails are registered.
    pub async fn verify_dummy(&self, password: &str) -> Result<Verification> {
        let dummy = self.dummy_hash.clone();
        self.verify(&dummy, password)
            .await
            .map(|_| Verification::Invalid)
    }
}

fn is_bcrypt(stored: &str) -> bool {
    ["$2a$", "$2b$", "$2y$"]
        .iter()
        .any(|p| stored.starts_with(p))
}

thread_local! {
    /// Argon2's working memory (`PASSWORD_HASH_MEMORY_KIB`), kept per hashing thread and reused
    /// for every hash. Allocating it per hash makes glibc keep each 19 MiB block in the heap
    /// without reusing it (measured: +19 MiB of RSS per sign-up); reused, memory stays at
    /// hashing threads × the hash size.
    static BLOCKS: std::cell::RefCell<Vec<Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` with at least `count` blocks of this thread's reusable Argon2 memory. Argon2 writes
/// every block before it reads it, so leftovers from the previous hash never matter.
fn with_blocks<T>(count: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
    BLOCKS.with(|cell| {
        let mut blocks = cell.borrow_mut();
        if blocks.len() < count {
            blocks.resize(count, Block::default());
        }
        f(&mut blocks[..count])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> PasswordPolicy {
        PasswordPolicy {
            min_length: 12,
            require_uppercase: true,
            require_lowercase: true,
            require_digit: true,
            require_symbol: true,
        }
    }

    fn fast() -> Passwords {
        Passwords::new(HashParams {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap()
    }

    #[test]
    fn a_strong_password_meets_the_policy() {
        assert!(policy().check("password", "Correct-Horse-9").is_empty());
    }

    #[test]
    fn each_unmet_rule_is_reported_separately() {
        let unmet = policy().check("password", "short");
        let messages: Vec<&str> = unmet.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(unmet.len(), 4, "{messages:?}"); // length, uppercase, digit, symbol
        assert!(unmet.iter().all(|e| e.field == "password"));
    }

    #[test]
    fn overlong_passwords_are_refused() {
        let long = format!("Aa1!{}", "x".repeat(300));
        assert!(policy()
            .check("password", &long)
            .iter()
            .any(|e| e.message.contains("at most")));
    }

    #[test]
    fn argon2id_hashes_verify_and_wrong_passwords_do_not() {
        let p = fast();
        let hash = p.hash_blocking("Correct-Horse-9").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"));
        assert_eq!(
            p.verify_blocking(&hash, "Correct-Horse-9"),
            Verification::Valid {
                needs_rehash: false
            }
        );
        assert_eq!(p.verify_blocking(&hash, "wrong"), Verification::Invalid);
    }

    #[test]
    fn imported_bcrypt_hashes_verify_and_ask_for_a_rehash() {
        let bcrypt_hash = bcrypt::hash("Imported-Pass-1", 4).unwrap();
        let p = fast();
        assert_eq!(
            p.verify_blocking(&bcrypt_hash, "Imported-Pass-1"),
            Verification::Valid { needs_rehash: true }
        );
        assert_eq!(
            p.verify_blocking(&bcrypt_hash, "nope"),
            Verification::Invalid
        );
    }

    #[test]
    fn hashes_with_other_parameters_or_variants_verify_and_ask_for_a_rehash() {
        let other = Passwords::new(HashParams {
            memory_kib: 2048,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap();
        let hash = other.hash_blocking("Another-Pass-2").unwrap();
        assert_eq!(
            fast().verify_blocking(&hash, "Another-Pass-2"),
            Verification::Valid { needs_rehash: true }
        );
        let argon2i = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x13,
            Params::new(1024, 1, 1, None).unwrap(),
        )
        .hash_password(b"Variant-Pass-3", &SaltString::generate(&mut OsRng))
        .unwrap()
        .to_string();
        assert_eq!(
            fast().verify_blocking(&argon2i, "Variant-Pass-3"),
            Verification::Valid { needs_rehash: true }
        );
    }

    #[test]
    fn our_hashes_are_standard_phc_strings_and_standard_hashes_take_the_fast_path() {
        let p = fast();
        let ours = p.hash_blocking("Interop-Pass-42").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"Interop-Pass-42", &parsed)
                .is_ok(),
            "the argon2 crate verifies ours"
        );
        let standard = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(1024, 1, 1, None).unwrap(),
        )
        .hash_password(b"Interop-Pass-42", &SaltString::generate(&mut OsRng))
        .unwrap()
        .to_string();
        let parsed = PasswordHash::new(&standard).unwrap();
        assert_eq!(p.verify_own(&parsed, "Interop-Pass-42"), Some(true));
        assert_eq!(p.verify_own(&parsed, "Interop-Pass-43"), Some(false));
    }

    #[test]
    fn garbage_hashes_never_verify() {
        assert_eq!(
            fast().verify_blocking("not-a-hash", "x"),
            Verification::Invalid
        );
        assert_eq!(fast().verify_blocking("", ""), Verification::Invalid);
    }
}
