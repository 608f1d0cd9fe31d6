//! Employee tokens of the team API (and the dashboard's sessions, which are tokens that
//! expire): made, read from `Authorization: Bearer`, stored as a hash, and judged.

use std::fmt;

use crate::secret::{generated_display_prefix, random_secret, sha256_hex};
use crate::{AuthError, KeyError, TOKEN_PREFIX};

/// A team-API bearer token of one employee. Secret: its `Debug` shows only the display prefix.
#[derive(Clone, PartialEq, Eq)]
pub struct EmployeeToken(String);

impl EmployeeToken {
    /// A new random token: `lgt_` and 43 letters or digits from the OS CSPRNG (256 bits).
    pub fn generate() -> Result<EmployeeToken, KeyError> {
        random_secret(TOKEN_PREFIX).map(EmployeeToken)
    }

    /// The token of an `Authorization: Bearer …` header value; `None` when there is none.
    pub fn from_authorization(header: Option<&[u8]>) -> Option<EmployeeToken> {
        let text = std::str::from_utf8(header?).ok()?.trim();
        let (scheme, token) = text.split_once(' ')?;
        let token = token.trim();
        (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| EmployeeToken(token.to_owned()))
    }

    /// Whatever was presented, unchecked; it only ever gets hashed and looked up.
    pub fn presented(text: &str) -> EmployeeToken {
        EmployeeToken(text.to_owned())
    }

    /// The SHA-256 under which the token is stored and looked up.
    pub fn hash(&self) -> TokenHash {
        TokenHash(sha256_hex(&self.0))
    }

    /// `lgt_` and the first 8 random characters (for a token not made here: `lgt_?`).
    pub fn display_prefix(&self) -> String {
        generated_display_prefix(&self.0, TOKEN_PREFIX).unwrap_or_else(|| format!("{TOKEN_PREFIX}?"))
    }

    /// The full token, for the one moment it is shown.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for EmployeeToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmployeeToken({}…)", self.display_prefix())
    }
}

/// The lowercase hex SHA-256 of a full token: what the database holds instead of the token.
/// A type of its own, so that a token's hash is never looked up among the keys' (or back).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenHash(String);

impl TokenHash {
    /// The 64 hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether a stored employee token may be used right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    /// Active token of an active employee of an active company.
    Active,
    /// The token was revoked.
    Revoked,
    /// The token (a dashboard session) has expired.
    Expired,
    /// The employee is deactivated.
    EmployeeInactive,
    /// The employee's company is deactivated.
    CompanyInactive,
}

impl TokenState {
    /// The one rule for whether a stored token may act: the token active and not expired
    /// (`expires_at`, Unix milliseconds, against `now`; `None` never expires), its employee
    /// active, its company active — in this order of precedence.
    pub fn of(
        token_active: bool,
        expires_at: Option<i64>,
        now: i64,
        employee_active: bool,
        company_active: bool,
    ) -> TokenState {
        if !token_active {
            TokenState::Revoked
        } else if expires_at.is_some_and(|at| at <= now) {
            TokenState::Expired
        } else if !employee_active {
            TokenState::EmployeeInactive
        } else if !company_active {
            TokenState::CompanyInactive
        } else {
            TokenState::Active
        }
    }
}

/// What an employee token is for. Each is accepted only where it belongs: a dashboard session
/// is never a bearer token of the team API, and a team-API token never a session cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A team-API token (`lead-server employee token`): for scripts, until revoked.
    Api,
    /// A dashboard login: in the session cookie, until it expires or the employee logs out.
    Session,
}

/// Decides from a presented token and its lookup: the employee, 401 or 403.
pub fn authorize_employee<T>(token: Option<&EmployeeToken>, found: Option<(T, TokenState)>) -> Result<T, AuthError> {
    match (token, found) {
        (Some(_), Some((employee, TokenState::Active))) => Ok(employee),
        (Some(_), Some((_, TokenState::CompanyInactive))) => Err(AuthError::Forbidden),
        _ => Err(AuthError::Unauthorized),
    }
}

/// The CSRF token of a dashboard session: derived from the session's secret (SHA-256), so it
/// needs no storage, and only a page that was given it — never another site — can send it.
pub fn csrf_token(session_secret: &str) -> String {
    let mut hex = sha256_hex(&format!("lead-gateway csrf:{session_secret}"));
    hex.truncate(32);
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_distinct_from_keys_and_read_from_bearer_headers() {
        let token = EmployeeToken::generate().unwrap();
        assert!(token.expose().starts_with("lgt_") && token.expose().len() == 47);
        assert_eq!(token.display_prefix(), &token.expose()[..12]);
        assert!(!format!("{token:?}").contains(token.expose()));
        let header = format!("Bearer {}", token.expose());
        assert_eq!(
            EmployeeToken::from_authorization(Some(header.as_bytes())),
            Some(token.clone())
        );
        assert_eq!(
            EmployeeToken::from_authorization(Some(b"bearer  abc "))
                .unwrap()
                .expose(),
            "abc"
        );
        for bad in [&b"Basic abc"[..], b"Bearer", b"Bearer   ", b"", b"abc"] {
            assert_eq!(EmployeeToken::from_authorization(Some(bad)), None, "{bad:?}");
        }
        assert_eq!(EmployeeToken::from_authorization(None), None);
    }

    #[test]
    fn authorize_employee_decides_401_and_403() {
        let token = EmployeeToken::generate().unwrap();
        let t = Some(&token);
        assert_eq!(authorize_employee::<u8>(None, None), Err(AuthError::Unauthorized));
        assert_eq!(authorize_employee::<u8>(t, None), Err(AuthError::Unauthorized));
        assert_eq!(
            authorize_employee(t, Some((1, TokenState::Revoked))),
            Err(AuthError::Unauthorized)
        );
        assert_eq!(
            authorize_employee(t, Some((1, TokenState::EmployeeInactive))),
            Err(AuthError::Unauthorized)
        );
        assert_eq!(
            authorize_employee(t, Some((1, TokenState::CompanyInactive))),
            Err(AuthError::Forbidden)
        );
        assert_eq!(
            authorize_employee(t, Some((1, TokenState::Expired))),
            Err(AuthError::Unauthorized)
        );
        assert_eq!(authorize_employee(t, Some((1, TokenState::Active))), Ok(1));
        assert_eq!(AuthError::Unauthorized.code(), "unauthorized");
        assert_eq!(AuthError::Forbidden.code(), "forbidden");
    }

    #[test]
    fn one_rule_decides_whether_a_token_may_act() {
        let state = |token, expires, employee, company| TokenState::of(token, expires, 1_000, employee, company);
        assert_eq!(state(true, None, true, true), TokenState::Active);
        assert_eq!(state(true, Some(1_001), true, true), TokenState::Active);
        assert_eq!(state(true, Some(1_000), true, true), TokenState::Expired);
        assert_eq!(state(false, Some(1_000), false, false), TokenState::Revoked);
        assert_eq!(state(true, None, false, false), TokenState::EmployeeInactive);
        assert_eq!(state(true, None, true, false), TokenState::CompanyInactive);
        assert_ne!(
            EmployeeToken::presented("x").hash().as_str(),
            "",
            "a token has a hash of its own type"
        );
    }
}
