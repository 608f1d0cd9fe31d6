//! The login form's CSRF token: a random nonce signed with the installation's key
//! (HMAC-SHA256), so that only this server makes one. A cookie and a field of an attacker's own
//! choosing never pass, and every instance checks what another one made (the key is shared
//! through the database).

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::secret::random_secret;
use crate::KeyError;

/// A new signing key (256 random bits), to be kept by the store.
pub fn generate_signing_key() -> Result<String, KeyError> {
    random_secret("lsk_")
}

/// A new token signed with `key`: `NONCE.SIGNATURE`.
pub fn signed_token(key: &str) -> Result<String, KeyError> {
    // 22 letters or digits: about 131 random bits.
    let nonce = random_secret("")?[..22].to_owned();
    let signature = sign(key, &nonce);
    Ok(format!("{nonce}.{signature}"))
}

/// Whether `token` was made by [`signed_token`] with `key` (compared in constant time).
pub fn token_is_signed(key: &str, token: &str) -> bool {
    token
        .split_once('.')
        .is_some_and(|(nonce, signature)| bool::from(sign(key, nonce).as_bytes().ct_eq(signature.as_bytes())))
}

fn sign(key: &str, nonce: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(b"lead-gateway login csrf:");
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
        let token = signed_token(&key).unwrap();
        assert!(token_is_signed(&key, &token));
        assert_ne!(signed_token(&key).unwrap(), token, "a nonce each time");
        let other = generate_signing_key().unwrap();
        assert!(!token_is_signed(&other, &token), "another installation's key");
        for forged in ["x", "x.x", "", ".", &format!("{}0", token), &token.replacen('.', "", 1)] {
            assert!(!token_is_signed(&key, forged), "{forged:?}");
        }
    }
}
