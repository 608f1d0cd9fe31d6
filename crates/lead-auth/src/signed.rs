//! Tokens only this server makes: a random nonce signed with the installation's key
//! (HMAC-SHA256) for one purpose — the login form's CSRF token (a cookie and a field of an
//! attacker's own choosing never pass) and a browser's device cookie for one login (OWASP's
//! "device cookies": a browser that has logged in before is not held by the throttle strangers
//! set off). Every instance checks what another one made (the key is shared through the
//! database), and a token made for one purpose is worth nothing for another.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::secret::random_secret;
use crate::KeyError;

/// A new signing key (256 random bits), to be kept by the store.
pub fn generate_signing_key() -> Result<String, KeyError> {
    random_secret("lsk_")
}

/// What a signed token is for; part of what is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signed<'a> {
    /// The login form's CSRF token.
    LoginCsrf,
    /// A browser's device cookie for this login (the email, lower-cased).
    Device(&'a str),
    /// A download link of a lead's file (its id) that works until a time (Unix seconds).
    Download {
        /// The file's id.
        file: i64,
        /// Until when.
        expires: i64,
    },
}

/// The signature of a download link of file `file` that works until `expires` (Unix seconds):
/// what a webhook's link carries instead of a token.
pub fn link_signature(key: &str, file: i64, expires: i64) -> String {
    sign(key, Signed::Download { file, expires }, "")
}

/// How long a download link works: a webhook's retries span days, and every retry sends the
/// body (and the link) of the first attempt.
pub const LINK_VALID_SECS: i64 = 7 * 24 * 60 * 60;

/// The download link of file `file` under `public_url` that a webhook carries, made at `now`
/// (Unix seconds): it works without a token for [`LINK_VALID_SECS`].
pub fn download_link(public_url: &str, key: &str, file: i64, now: i64) -> String {
    let expires = now + LINK_VALID_SECS;
    let signature = link_signature(key, file, expires);
    format!(
        "{}/api/v1/attachments/{file}?expires={expires}&signature={signature}",
        public_url.trim_end_matches('/')
    )
}

/// Whether `signature` is [`link_signature`]'s for `file` and `expires` (compared in constant
/// time) and the link still works at `now` (Unix seconds).
pub fn link_valid(key: &str, file: i64, expires: i64, signature: &str, now: i64) -> bool {
    let expected = link_signature(key, file, expires);
    bool::from(expected.as_bytes().ct_eq(signature.as_bytes())) && now < expires
}

/// A new token signed with `key` for `purpose`: `NONCE.SIGNATURE`.
pub fn signed_token(key: &str, purpose: Signed<'_>) -> Result<String, KeyError> {
    // 22 letters or digits: about 131 random bits.
    let nonce = random_secret("")?[..22].to_owned();
    let signature = sign(key, purpose, &nonce);
    Ok(format!("{nonce}.{signature}"))
}

/// The nonce of `token` if it was made by [`signed_token`] with `key` for `purpose`
/// (compared in constant time).
pub fn signed_nonce<'t>(key: &str, purpose: Signed<'_>, token: &'t str) -> Option<&'t str> {
    token
        .split_once('.')
        .filter(|(nonce, signature)| bool::from(sign(key, purpose, nonce).as_bytes().ct_eq(signature.as_bytes())))
        .map(|(nonce, _)| nonce)
}

fn sign(key: &str, purpose: Signed<'_>, nonce: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes a key of any length");
    match purpose {
        Signed::LoginCsrf => mac.update(b"lead-gateway login csrf:"),
        Signed::Device(login) => {
            mac.update(b"lead-gateway device cookie:");
            // The length first, so that no login and nonce run into each other.
            mac.update(&(login.len() as u64).to_be_bytes());
            mac.update(login.as_bytes());
        }
        Signed::Download { file, expires } => {
            mac.update(b"lead-gateway download:");
            mac.update(&file.to_be_bytes());
            mac.update(&expires.to_be_bytes());
        }
    }
    mac.update(nonce.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_token_signed_with_the_key_passes() {
        let key = generate_signing_key().unwrap();
        let token = signed_token(&key, Signed::LoginCsrf).unwrap();
        assert_eq!(signed_nonce(&key, Signed::LoginCsrf, &token), token.split('.').next());
        assert_ne!(
            signed_token(&key, Signed::LoginCsrf).unwrap(),
            token,
            "a nonce each time"
        );
        let other = generate_signing_key().unwrap();
        assert!(
            signed_nonce(&other, Signed::LoginCsrf, &token).is_none(),
            "another installation's key"
        );
        for forged in ["x", "x.x", "", ".", &format!("{}0", token), &token.replacen('.', "", 1)] {
            assert!(signed_nonce(&key, Signed::LoginCsrf, forged).is_none(), "{forged:?}");
        }
    }

    #[test]
    fn a_download_link_works_for_its_file_until_it_expires() {
        let key = generate_signing_key().unwrap();
        let signature = link_signature(&key, 7, 1000);
        assert!(link_valid(&key, 7, 1000, &signature, 999));
        assert!(!link_valid(&key, 7, 1000, &signature, 1000), "expired");
        assert!(!link_valid(&key, 8, 1000, &signature, 0), "another file");
        assert!(!link_valid(&key, 7, 2000, &signature, 0), "a later expiry");
        assert!(!link_valid(&generate_signing_key().unwrap(), 7, 1000, &signature, 0));
        assert!(!link_valid(&key, 7, 1000, "", 0));
    }

    #[test]
    fn a_device_cookie_is_worth_something_for_its_own_login_only() {
        let key = generate_signing_key().unwrap();
        let device = signed_token(&key, Signed::Device("max@acme.example")).unwrap();
        assert!(signed_nonce(&key, Signed::Device("max@acme.example"), &device).is_some());
        assert!(signed_nonce(&key, Signed::Device("eva@acme.example"), &device).is_none());
        assert!(
            signed_nonce(&key, Signed::LoginCsrf, &device).is_none(),
            "not a CSRF token"
        );
        let csrf = signed_token(&key, Signed::LoginCsrf).unwrap();
        assert!(
            signed_nonce(&key, Signed::Device(""), &csrf).is_none(),
            "nor the other way round"
        );
    }
}
