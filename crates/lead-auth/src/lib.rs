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

mod password;

pub use password::{
    check_new_password, generate_password, hash_password, verify_password, PasswordError, MAX_PASSWORD_CHARS,
    MIN_PASSWORD_CHARS,
};

use std::borrow::Cow;
use std::fmt;

use sha2::{Digest, Sha256};

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

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// 43 characters of a 62-letter alphabet carry 43 × log2(62) ≈ 256 bits.
const RANDOM_CHARS: usize = 43;
/// Random characters shown in a generated key's display prefix (≈ 48 of its 256 bits).
const SHOWN_RANDOM_CHARS: usize = 8;

/// Why a key cannot be issued or imported.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The operating system's random source failed.
    #[error("the system's random number generator failed: {0}")]
    Random(String),
    /// An imported key is shorter than [`ApiKey::IMPORT_MIN_CHARS`].
    #[error("an imported key must have at least {} characters", ApiKey::IMPORT_MIN_CHARS)]
    TooShort,
    /// An imported key is longer than [`ApiKey::IMPORT_MAX_CHARS`].
    #[error("an imported key must have at most {} characters", ApiKey::IMPORT_MAX_CHARS)]
    TooLong,
    /// An imported key holds whitespace, control or non-ASCII characters.
    #[error("an imported key may only hold visible ASCII characters (no spaces)")]
    InvalidCharacter,
}

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

/// A random secret: `prefix` and 43 letters or digits from the OS CSPRNG (256 bits).
fn random_secret(prefix: &str) -> Result<String, KeyError> {
    let mut secret = String::with_capacity(prefix.len() + RANDOM_CHARS);
    secret.push_str(prefix);
    let mut chars = 0;
    while chars < RANDOM_CHARS {
        let mut bytes = [0u8; 64];
        getrandom::fill(&mut bytes).map_err(|e| KeyError::Random(e.to_string()))?;
        // 248 = 4 × 62: rejecting the top bytes keeps every letter equally likely.
        for byte in bytes.into_iter().filter(|&b| b < 248).take(RANDOM_CHARS - chars) {
            secret.push(char::from(ALPHABET[usize::from(byte % 62)]));
            chars += 1;
        }
    }
    Ok(secret)
}

/// The display prefix of a generated secret: its prefix and the first 8 random characters.
fn generated_display_prefix(secret: &str, prefix: &str) -> Option<String> {
    let random = secret.strip_prefix(prefix)?;
    (random.len() == RANDOM_CHARS && random.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then(|| format!("{prefix}{}", &random[..SHOWN_RANDOM_CHARS]))
}

/// A full API key. Secret: its `Debug` shows only the display prefix.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// The shortest key accepted by [`ApiKey::import`].
    pub const IMPORT_MIN_CHARS: usize = 8;
    /// The longest key accepted by [`ApiKey::import`].
    pub const IMPORT_MAX_CHARS: usize = 512;

    /// A new random key: `lgw_` and 43 letters or digits from the OS CSPRNG (256 bits).
    pub fn generate() -> Result<ApiKey, KeyError> {
        random_secret(GENERATED_PREFIX).map(ApiKey)
    }

    /// An existing key string from another system, kept exactly as given.
    pub fn import(text: &str) -> Result<ApiKey, KeyError> {
        if !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(KeyError::InvalidCharacter);
        }
        match text.len() {
            n if n < Self::IMPORT_MIN_CHARS => Err(KeyError::TooShort),
            n if n > Self::IMPORT_MAX_CHARS => Err(KeyError::TooLong),
            _ => Ok(ApiKey(text.to_owned())),
        }
    }

    /// Whatever a request presented, unchecked; it only ever gets hashed and looked up.
    pub fn presented(text: &str) -> ApiKey {
        ApiKey(text.to_owned())
    }

    /// The SHA-256 under which the key is stored and looked up.
    pub fn hash(&self) -> KeyHash {
        KeyHash::of(&self.0)
    }

    /// The short non-secret prefix shown in listings: `lgw_` and 8 characters for generated
    /// keys; `imp_` and the first 4 characters for imported ones (or, for imported keys under
    /// 16 characters, 4 hex digits of the hash, so little of a short secret is revealed).
    pub fn display_prefix(&self) -> String {
        if let Some(prefix) = generated_display_prefix(&self.0, GENERATED_PREFIX) {
            return prefix;
        }
        if self.0.chars().count() >= 16 {
            format!("{IMPORTED_PREFIX}{}", self.0.chars().take(4).collect::<String>())
        } else {
            format!("{IMPORTED_PREFIX}{}", &self.hash().as_str()[..4])
        }
    }

    /// The full key, for the one moment it is shown to the operator.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({}…)", self.display_prefix())
    }
}

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
    pub fn hash(&self) -> KeyHash {
        KeyHash::of(&self.0)
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

/// Whether a stored employee token may be used right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    /// Active token of an active employee of an active company.
    Active,
    /// The token was revoked.
    Revoked,
    /// The employee is deactivated.
    EmployeeInactive,
    /// The employee's company is deactivated.
    CompanyInactive,
}

/// Decides from a presented token and its lookup: the employee, 401 or 403.
pub fn authorize_employee<T>(token: Option<&EmployeeToken>, found: Option<(T, TokenState)>) -> Result<T, AuthError> {
    match (token, found) {
        (Some(_), Some((employee, TokenState::Active))) => Ok(employee),
        (Some(_), Some((_, TokenState::CompanyInactive))) => Err(AuthError::Forbidden),
        _ => Err(AuthError::Unauthorized),
    }
}

/// The lowercase hex SHA-256 of a full key: what the database holds instead of the key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyHash(String);

impl KeyHash {
    /// The hash of a key's text.
    pub fn of(key: &str) -> KeyHash {
        let digest = Sha256::digest(key.as_bytes());
        let mut hex = String::with_capacity(64);
        for byte in digest {
            hex.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
            hex.push(char::from(b"0123456789abcdef"[usize::from(byte & 15)]));
        }
        KeyHash(hex)
    }

    /// The 64 hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a request presented as its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// No key, or only empty ones.
    Missing,
    /// A key to look up.
    Presented(ApiKey),
}

/// Reads the key from the `X-API-KEY` header value, else from the `key` query parameter.
/// The header wins when both are there; a blank header counts as absent.
pub fn credentials(header: Option<&[u8]>, query: &str) -> Credentials {
    if let Some(value) = header {
        let text = String::from_utf8_lossy(value);
        if !text.trim().is_empty() {
            return Credentials::Presented(ApiKey::presented(&text));
        }
    }
    form_urlencoded::parse(query.as_bytes())
        .find(|(name, value)| name == QUERY_PARAMETER && !value.trim().is_empty())
        .map_or(Credentials::Missing, |(_, value)| {
            Credentials::Presented(ApiKey::presented(&value))
        })
}

/// Whether a stored key may be used right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Active key of an active company.
    Active,
    /// The key was revoked.
    Revoked,
    /// The key's company is deactivated.
    CompanyInactive,
}

/// Decides from what presenting and looking up found: the tenant, or 401 / 403. Unknown,
/// revoked and deactivated-company keys are the same answer on purpose.
pub fn authorize<T>(credentials: &Credentials, found: Option<(T, KeyState)>) -> Result<T, AuthError> {
    match (credentials, found) {
        (Credentials::Missing, _) => Err(AuthError::MissingKey),
        (Credentials::Presented(_), Some((tenant, KeyState::Active))) => Ok(tenant),
        (Credentials::Presented(_), _) => Err(AuthError::InvalidKey),
    }
}

/// Query parameters whose value is treated as a secret in logs, whatever it looks like: the
/// API key's own `key`, and the names clients commonly (and wrongly) use for tokens.
const SECRET_PARAMETERS: [&str; 8] = [
    QUERY_PARAMETER,
    "token",
    "access_token",
    "api_key",
    "apikey",
    "x-api-key",
    "authorization",
    "password",
];

/// Whether `text` holds something shaped like one of our keys or tokens.
fn holds_secret(text: &str) -> bool {
    text.contains(GENERATED_PREFIX) || text.contains(TOKEN_PREFIX)
}

/// The query string for access logs: the value of every secret parameter (`key`, `token`,
/// `access_token`, …) becomes `REDACTED`, and so does any parameter holding something shaped
/// like a key or token. Names are compared after percent-decoding and case-insensitively, so
/// no spelling slips through.
pub fn redact_query(query: &str) -> Cow<'_, str> {
    let redacted = |part: &str| -> Option<String> {
        let (name, value) = form_urlencoded::parse(part.as_bytes()).next()?;
        let name = name.to_ascii_lowercase();
        if SECRET_PARAMETERS.contains(&name.as_str()) {
            Some(format!("{name}=REDACTED"))
        } else if holds_secret(&name) || holds_secret(&value) {
            Some("REDACTED".into())
        } else {
            None
        }
    };
    if !query.split('&').any(|part| redacted(part).is_some()) {
        return Cow::Borrowed(query);
    }
    let parts: Vec<String> = query
        .split('&')
        .map(|part| redacted(part).unwrap_or_else(|| part.to_owned()))
        .collect();
    Cow::Owned(parts.join("&"))
}

/// `text` (a request body kept for the submission log) with every key or token in it replaced
/// by `REDACTED`: the `presented` key wherever it appears, and anything shaped like one of
/// our keys or tokens (`lgw_…`, `lgt_…`).
pub fn redact_secrets(text: &str, presented: Option<&str>) -> String {
    let mut text = match presented.map(str::trim).filter(|key| key.len() >= 4) {
        Some(key) => text.replace(key, "REDACTED"),
        None => text.to_owned(),
    };
    for prefix in [GENERATED_PREFIX, TOKEN_PREFIX] {
        text = redact_runs(&text, prefix);
    }
    text
}

/// `text` with every `prefix` and the letters and digits after it replaced by `REDACTED`, in
/// one pass (replacing in place moved the rest of the text for every match: a body full of
/// prefixes cost quadratic time).
fn redact_runs(text: &str, prefix: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(prefix) {
        out.push_str(&rest[..at]);
        out.push_str("REDACTED");
        let after = &rest[at + prefix.len()..];
        let end = after.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(after.len());
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// The CSRF token of a dashboard session: derived from the session's secret (SHA-256), so it
/// needs no storage, and only a page that was given it — never another site — can send it.
pub fn csrf_token(session_secret: &str) -> String {
    let digest = Sha256::digest(format!("lead-gateway csrf:{session_secret}").as_bytes());
    digest.iter().take(16).map(|byte| format!("{byte:02x}")).collect()
}

/// The request path for access logs, with any segment shaped like a key or token (someone
/// pasted one into the address) replaced by `REDACTED`.
pub fn redact_path(path: &str) -> Cow<'_, str> {
    let decoded = |segment: &str| {
        form_urlencoded::parse(format!("x={segment}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    let secret = |segment: &str| holds_secret(segment) || decoded(segment).is_some_and(|s| holds_secret(&s));
    if !path.split('/').any(secret) {
        return Cow::Borrowed(path);
    }
    let segments: Vec<&str> = path
        .split('/')
        .map(|segment| if secret(segment) { "REDACTED" } else { segment })
        .collect();
    Cow::Owned(segments.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_prefixed_alphanumeric_and_distinct() {
        let a = ApiKey::generate().unwrap();
        let b = ApiKey::generate().unwrap();
        assert_ne!(a, b);
        for key in [&a, &b] {
            let random = key.expose().strip_prefix("lgw_").expect("prefix");
            assert_eq!(random.len(), 43);
            assert!(random.bytes().all(|c| c.is_ascii_alphanumeric()));
        }
    }

    #[test]
    fn generated_keys_use_the_whole_alphabet() {
        // 200 keys × 43 characters: every one of the 62 letters shows up (a biased or
        // truncated alphabet would not).
        let mut seen = [false; 128];
        for _ in 0..200 {
            for c in ApiKey::generate().unwrap().expose()[4..].bytes() {
                seen[usize::from(c)] = true;
            }
        }
        assert!(ALPHABET.iter().all(|&c| seen[usize::from(c)]));
    }

    #[test]
    fn hash_is_sha256_hex() {
        // SHA-256("abc") from FIPS 180-2.
        assert_eq!(
            KeyHash::of("abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn display_prefixes() {
        let key = ApiKey::generate().unwrap();
        let prefix = key.display_prefix();
        assert_eq!(prefix.len(), 12);
        assert!(key.expose().starts_with(&prefix));
        assert_eq!(
            ApiKey::import("LEGACY-0123456789abcdef").unwrap().display_prefix(),
            "imp_LEGA"
        );
        let short = ApiKey::import("12345678").unwrap();
        let prefix = short.display_prefix();
        assert!(prefix.starts_with("imp_") && prefix.len() == 8);
        assert_eq!(&prefix[4..], &short.hash().as_str()[..4]);
    }

    #[test]
    fn any_presented_text_has_a_display_prefix() {
        // Whatever a request sends must never panic when shown (byte slicing would).
        for text in ["äöüäöüäöüäöüäöüäöüä", "€", "", "a", "lgw_ä"] {
            let key = ApiKey::presented(text);
            assert!(key.display_prefix().starts_with("imp_"));
            let _ = format!("{key:?}");
        }
    }

    #[test]
    fn debug_never_shows_the_key() {
        let key = ApiKey::generate().unwrap();
        let debug = format!("{key:?}");
        assert!(!debug.contains(key.expose()), "{debug}");
        let imported = ApiKey::import("LEGACY-0123456789abcdef").unwrap();
        assert!(!format!("{imported:?}").contains("0123456789abcdef"));
    }

    #[test]
    fn import_keeps_the_string_and_checks_it() {
        assert_eq!(ApiKey::import("a1b2c3d4e5f6").unwrap().expose(), "a1b2c3d4e5f6");
        assert!(matches!(ApiKey::import("short"), Err(KeyError::TooShort)));
        assert!(matches!(ApiKey::import(&"x".repeat(513)), Err(KeyError::TooLong)));
        for bad in ["with space1", "tab\there123", "umläut12345", "new\nline1234", ""] {
            assert!(ApiKey::import(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn header_wins_over_query() {
        assert_eq!(
            credentials(Some(b"from-header"), "key=from-query"),
            Credentials::Presented(ApiKey::presented("from-header"))
        );
        assert_eq!(
            credentials(None, "a=1&key=from%2Dquery"),
            Credentials::Presented(ApiKey::presented("from-query"))
        );
    }

    #[test]
    fn empty_keys_are_missing() {
        assert_eq!(credentials(None, ""), Credentials::Missing);
        assert_eq!(credentials(Some(b""), "key="), Credentials::Missing);
        assert_eq!(credentials(Some(b"  "), ""), Credentials::Missing);
        assert_eq!(credentials(None, "keys=abc&KEY=abc"), Credentials::Missing);
        assert_eq!(credentials(None, "key=%20%20"), Credentials::Missing);
        // A blank header does not hide a key in the query.
        assert_eq!(
            credentials(Some(b""), "key=q"),
            Credentials::Presented(ApiKey::presented("q"))
        );
    }

    #[test]
    fn authorize_decides_401_and_403() {
        let present = Credentials::Presented(ApiKey::presented("k"));
        assert_eq!(authorize::<u8>(&Credentials::Missing, None), Err(AuthError::MissingKey));
        assert_eq!(authorize::<u8>(&present, None), Err(AuthError::InvalidKey));
        assert_eq!(
            authorize(&present, Some((7, KeyState::Revoked))),
            Err(AuthError::InvalidKey)
        );
        assert_eq!(
            authorize(&present, Some((7, KeyState::CompanyInactive))),
            Err(AuthError::InvalidKey)
        );
        assert_eq!(authorize(&present, Some((7, KeyState::Active))), Ok(7));
        assert_eq!(AuthError::MissingKey.code(), "missing_api_key");
        assert_eq!(AuthError::InvalidKey.code(), "invalid_api_key");
    }

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
        assert_eq!(authorize_employee(t, Some((1, TokenState::Active))), Ok(1));
        assert_eq!(AuthError::Unauthorized.code(), "unauthorized");
        assert_eq!(AuthError::Forbidden.code(), "forbidden");
    }

    #[test]
    fn redaction_hides_every_spelling_of_key() {
        assert_eq!(redact_query("key=secret"), "key=REDACTED");
        assert_eq!(redact_query("a=1&key=secret&b=2"), "a=1&key=REDACTED&b=2");
        assert_eq!(
            redact_query("%6Bey=secret&KEY=s2&k%65y=s3"),
            "key=REDACTED&key=REDACTED&key=REDACTED"
        );
        assert_eq!(redact_query("key"), "key=REDACTED");
        assert_eq!(redact_query("a=1&monkey=ok"), "a=1&monkey=ok");
        assert!(matches!(redact_query("a=1"), Cow::Borrowed(_)));
    }

    #[test]
    fn secrets_in_bodies_are_redacted() {
        assert_eq!(
            redact_secrets(
                "type=order&key=lgw_Abc123&x=lgt_Z9 and legacy-key-1",
                Some("legacy-key-1")
            ),
            "type=order&key=REDACTED&x=REDACTED and REDACTED"
        );
        assert_eq!(redact_secrets("nothing here", None), "nothing here");
        assert_eq!(redact_secrets("lgw_", None), "REDACTED");
        assert_eq!(redact_secrets("xlgw_ab-lgt_", None), "xREDACTED-REDACTED");
    }

    #[test]
    fn a_body_full_of_prefixes_is_redacted_in_one_pass() {
        // 64 KiB of `lgw_,` (13,107 matches): each match used to move the rest of the text.
        let body = "lgw_,".repeat(13_107);
        assert_eq!(redact_secrets(&body, None), "REDACTED,".repeat(13_107));
        let body = "lgw_a lgt_b ".repeat(5 * 1024);
        assert_eq!(redact_secrets(&body, None), "REDACTED REDACTED ".repeat(5 * 1024));
    }

    #[test]
    fn redaction_hides_tokens_and_anything_shaped_like_a_secret() {
        assert_eq!(
            redact_query("token=t&Access_Token=u&password=p&limit=5"),
            "token=REDACTED&access_token=REDACTED&password=REDACTED&limit=5"
        );
        assert_eq!(
            redact_query("q=lgt_abc&lgw_abc&x=%6Cgw_abc"),
            "REDACTED&REDACTED&REDACTED"
        );
        assert_eq!(redact_path("/api/v1/lgw_abc/x"), "/api/v1/REDACTED/x");
        assert_eq!(redact_path("/api/v1/%6Cgt_abc"), "/api/v1/REDACTED");
        assert!(matches!(redact_path("/api/v1/lead.php"), Cow::Borrowed(_)));
    }
}
