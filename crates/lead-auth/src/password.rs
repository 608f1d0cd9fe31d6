//! Employee passwords for the team's dashboard: argon2id hashes in the PHC string format,
//! salted from the operating system's CSPRNG.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::KeyError;

/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// The longest password accepted, in characters (hashing cost stays bounded).
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// Why a new password is not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Fewer than [`MIN_PASSWORD_CHARS`] characters.
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    /// More than [`MAX_PASSWORD_CHARS`] characters.
    #[error("the password must have at most {MAX_PASSWORD_CHARS} characters")]
    TooLong,
}

/// Checks a new password's length.
pub fn check_new_password(password: &str) -> Result<(), PasswordError> {
    match password.chars().count() {
        n if n < MIN_PASSWORD_CHARS => Err(PasswordError::TooShort),
        n if n > MAX_PASSWORD_CHARS => Err(PasswordError::TooLong),
        _ => Ok(()),
    }
}

/// The argon2id hash of `password` (PHC string: algorithm, parameters, salt and hash).
pub fn hash_password(password: &str) -> Result<String, KeyError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| KeyError::Random(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| KeyError::Random(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| KeyError::Random(e.to_string()))
}

/// Whether `password` matches `hash` (constant time in the hash comparison; a malformed
/// hash never matches).
pub fn verify_password(password: &str, hash: &str) -> bool {
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return false;
    }
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A new random password of 16 letters and digits (about 95 bits), for the first-start Demo
/// employee.
pub fn generate_password() -> Result<String, KeyError> {
    crate::secret::random_secret("").map(|secret| secret.chars().take(16).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let hash = hash_password("richtig-geheim").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("richtig-geheim", &hash));
        assert!(!verify_password("falsch-geheim", &hash));
        assert!(!verify_password("richtig-geheim", "not a hash"));
        assert_ne!(hash, hash_password("richtig-geheim").unwrap(), "salted");
    }

    #[test]
    fn new_passwords_are_long_enough() {
        assert_eq!(check_new_password("kurz"), Err(PasswordError::TooShort));
        assert!(check_new_password("lang-genug-1").is_ok());
        let generated = generate_password().unwrap();
        assert_eq!(generated.len(), 16);
        assert!(check_new_password(&generated).is_ok());
    }
}
