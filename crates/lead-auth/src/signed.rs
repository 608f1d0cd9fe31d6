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
