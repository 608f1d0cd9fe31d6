//! API keys of the lead gateway: how they are made, stored, presented and judged.
//!
//! A key is generated from the operating system's CSPRNG (256 bits, recognisable prefix
//! `lgw_`), or imported unchanged from the hosted service. Only its SHA-256 ([`KeyHash`]) and a
//! short non-secret display prefix are ever stored. [`credentials`] reads what a request
//! presents (the `X-API-KEY` header wins over the `key` query parameter) and [`authorize`]
//! turns a lookup result into the caller's tenant or into 401 / 403.
//!
//! Employees of the team API authenticate with an [`EmployeeToken`] (`lgt_…`, a bearer token
//! made and stored the same way); [`authorize_employee`] judges it. Keys and tokens live in
//! separate tables, so neither is ever accepted in place of the other.
//!
//! This crate is pure: no web framework, no database, nothing that logs.

mod key;
mod password;
pub mod proof;
mod redact;
mod secret;
mod signed;
mod token;

pub use key::{authorize, credentials, ApiKey, Credentials, KeyError, KeyHash, KeyState};
pub use password::{
    check_new_password, generate_password, hash_password, verify_password, PasswordError, PasswordWorkspace,
    MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, MIN_PASSWORD_SCORE,
};
pub use redact::{redact_path, redact_query, redact_secrets};
pub use secret::{salted_hash, salted_hash_matches};
pub use signed::{
    download_link, generate_signing_key, link_signature, link_valid, signed_nonce, signed_token, Signed,
    LINK_VALID_SECS,
};
pub use token::{authorize_employee, csrf_token, EmployeeToken, TokenHash, TokenKind, TokenState};

/// The recognisable start of every generated key.
pub const GENERATED_PREFIX: &str = "lgw_";
/// The recognisable start of every employee token.
pub const TOKEN_PREFIX: &str = "lgt_";
/// The start of the display prefix of an imported key.
pub const IMPORTED_PREFIX: &str = "imp_";
/// The name of the HTTP header that carries a key.
pub const HEADER: &str = "X-API-KEY";
/// The name of the query parameter that carries a key (fallback).
pub const QUERY_PARAMETER: &str = "key";

/// Why a request is not let in; the HTTP layer answers 401 or 403.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No key, or an empty one (401 `missing_api_key`).
    #[error("no API key was presented")]
    MissingKey,
    /// Unknown, revoked, or of a deactivated company — deliberately not said which (403 `invalid_api_key`).
    #[error("the API key is not valid")]
    InvalidKey,
    /// No bearer token, or one that is unknown, revoked or of a deactivated employee (401 `unauthorized`).
    #[error("no valid employee token was presented")]
    Unauthorized,
    /// A valid token of an employee whose company is deactivated (403 `forbidden`).
    #[error("the company is deactivated")]
    Forbidden,
}

impl AuthError {
    /// The stable machine-readable code.
    pub fn code(self) -> &'static str {
        match self {
            AuthError::MissingKey => "missing_api_key",
            AuthError::InvalidKey => "invalid_api_key",
            AuthError::Unauthorized => "unauthorized",
            AuthError::Forbidden => "forbidden",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(AuthError::MissingKey.code(), "missing_api_key");
        assert_eq!(AuthError::InvalidKey.code(), "invalid_api_key");
        assert_eq!(AuthError::Unauthorized.code(), "unauthorized");
        assert_eq!(AuthError::Forbidden.code(), "forbidden");
    }
}
