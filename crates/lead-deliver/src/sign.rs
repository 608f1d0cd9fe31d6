//! Standard Webhooks signatures (<https://www.standardwebhooks.com/>): the secret is
//! `whsec_` + base64 of random bytes; a request carries `webhook-id`, `webhook-timestamp`
//! (Unix seconds) and `webhook-signature: v1,<base64 of HMAC-SHA256 over
//! "id.timestamp.body">`, several signatures separated by spaces.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefix of a secret.
const PREFIX: &str = "whsec_";

/// Random bytes in a new secret (the specification asks for 24 to 64).
const SECRET_BYTES: usize = 32;

/// A secret that cannot sign.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    /// Not `whsec_` followed by base64.
    #[error("a webhook secret is whsec_ followed by base64")]
    Malformed,
    /// The system's random source failed.
    #[error("no random bytes for a secret: {0}")]
    Random(String),
}

/// A new random secret.
pub fn generate_secret() -> Result<String, SecretError> {
    let mut bytes = [0u8; SECRET_BYTES];
    getrandom::fill(&mut bytes).map_err(|error| SecretError::Random(error.to_string()))?;
    Ok(format!("{PREFIX}{}", STANDARD.encode(bytes)))
}

/// The `webhook-signature` value: one `v1,<signature>` per secret, space-separated (during a
/// rotation a receiver accepts either).
pub fn signature(secrets: &[String], id: &str, timestamp: i64, body: &str) -> Result<String, SecretError> {
    let signatures = secrets
        .iter()
        .map(|secret| {
            let key = STANDARD
                .decode(secret.strip_prefix(PREFIX).ok_or(SecretError::Malformed)?)
                .map_err(|_| SecretError::Malformed)?;
            let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| SecretError::Malformed)?;
            mac.update(format!("{id}.{timestamp}.").as_bytes());
            mac.update(body.as_bytes());
            Ok(format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes())))
        })
        .collect::<Result<Vec<String>, SecretError>>()?;
    Ok(signatures.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the specification's reference implementations
    /// (standard-webhooks/libraries, `javascript/src/index.test.ts`).
    #[test]
    fn signs_like_the_reference_implementation() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned();
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let timestamp = 1614265330;
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            signature(&[secret], id, timestamp, body).unwrap(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn is_verified_by_an_independent_implementation() {
        let secret = generate_secret().unwrap();
        assert!(secret.starts_with("whsec_"));
        assert_eq!(STANDARD.decode(&secret[6..]).unwrap().len(), 32);
        let body = r#"{"type":"order.created"}"#;
        let now = i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
        )
        .unwrap();
        let header = signature(std::slice::from_ref(&secret), "msg_1", now, body).unwrap();
        let mut headers = http::HeaderMap::new();
        headers.insert("webhook-id", "msg_1".parse().unwrap());
        headers.insert("webhook-timestamp", now.to_string().parse().unwrap());
        headers.insert("webhook-signature", header.parse().unwrap());
        standardwebhooks::Webhook::new(&secret)
            .unwrap()
            .verify(body.as_bytes(), &headers)
            .unwrap();
    }

    #[test]
    fn a_rotation_sends_both_signatures() {
        let old = generate_secret().unwrap();
        let new = generate_secret().unwrap();
        let both = signature(&[new.clone(), old.clone()], "msg_1", 1, "{}").unwrap();
        let parts: Vec<&str> = both.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], signature(&[new], "msg_1", 1, "{}").unwrap());
        assert_eq!(parts[1], signature(&[old], "msg_1", 1, "{}").unwrap());
    }

    #[test]
    fn a_malformed_secret_is_an_error() {
        assert_eq!(
            signature(&["abc".into()], "msg_1", 1, "{}"),
            Err(SecretError::Malformed)
        );
        assert_eq!(
            signature(&["whsec_***".into()], "msg_1", 1, "{}"),
            Err(SecretError::Malformed)
        );
    }
}
