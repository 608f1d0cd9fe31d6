//! API keys: made, imported, presented (header or query), stored as a hash, and judged.

use std::fmt;

use crate::secret::{generated_display_prefix, random_secret, sha256_hex};
use crate::{AuthError, GENERATED_PREFIX, IMPORTED_PREFIX, QUERY_PARAMETER};

/// Why a key cannot be issued or imported.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The operating system's random source failed.
    #[error("the system's random number generator failed: {0}")]
    Random(String),
    /// Something was to be signed without a signing key (an empty one: anyone could sign).
    #[error("no signing key is set")]
    NoSigningKey,
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

/// The lowercase hex SHA-256 of a full key: what the database holds instead of the key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyHash(String);

impl KeyHash {
    /// The hash of a key's text.
    pub fn of(key: &str) -> KeyHash {
        KeyHash(sha256_hex(key))
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

impl KeyState {
    /// The one rule for whether a stored key may act: the key active and its company active.
    pub fn of(key_active: bool, company_active: bool) -> KeyState {
        match (key_active, company_active) {
            (true, true) => KeyState::Active,
            (false, _) => KeyState::Revoked,
            (true, false) => KeyState::CompanyInactive,
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::ALPHABET;
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
        assert_eq!(KeyState::of(true, true), KeyState::Active);
        assert_eq!(KeyState::of(false, true), KeyState::Revoked);
        assert_eq!(KeyState::of(false, false), KeyState::Revoked);
        assert_eq!(KeyState::of(true, false), KeyState::CompanyInactive);
        assert_eq!(AuthError::MissingKey.code(), "missing_api_key");
        assert_eq!(AuthError::InvalidKey.code(), "invalid_api_key");
    }
}
