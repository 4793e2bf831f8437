//! Configuration problems: each names the variable at fault and says what is wrong. They are
//! collected while reading, so an operator sees every mistake in one run.

use std::fmt;

/// One invalid or refused setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The variable at fault, as the operator spells it (`PORT`, `JWT_ISSUER`, `SMTP_PASSWORD_FILE`).
    pub variable: String,
    /// What is wrong; quotes the value only when it is not a secret.
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.variable, self.message)
    }
}

/// Every problem found in one reading of the configuration; `Display` prints one per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigProblem>);

impl ConfigErrors {
    /// The variables at fault, in the order found (tests and `janua config check`).
    pub fn variables(&self) -> Vec<&str> {
        self.0.iter().map(|p| p.variable.as_str()).collect()
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}
