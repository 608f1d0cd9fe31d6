//! What keys and tokens share: random secrets from the OS CSPRNG, their display prefixes, and
//! the SHA-256 under which they are stored.

use sha2::{Digest, Sha256};

use crate::KeyError;

pub(crate) const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// 43 characters of a 62-letter alphabet carry 43 × log2(62) ≈ 256 bits.
const RANDOM_CHARS: usize = 43;
/// Random characters shown in a generated secret's display prefix (≈ 48 of its 256 bits).
const SHOWN_RANDOM_CHARS: usize = 8;

/// A random secret: `prefix` and 43 letters or digits from the OS CSPRNG (256 bits).
pub(crate) fn random_secret(prefix: &str) -> Result<String, KeyError> {
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
pub(crate) fn generated_display_prefix(secret: &str, prefix: &str) -> Option<String> {
    let random = secret.strip_prefix(prefix)?;
    (random.len() == RANDOM_CHARS && random.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then(|| format!("{prefix}{}", &random[..SHOWN_RANDOM_CHARS]))
}

/// A salted SHA-256 of `text`, to record that something was there without keeping it (an
/// erased person's e-mail address in the audit log): `sha256:SALT:HEX`, with 16 random
/// characters of salt. Whoever knows the text can check it with [`salted_hash_matches`];
/// nobody can read it back, nor tell two entries of the same text apart by their hashes.
pub fn salted_hash(text: &str) -> Result<String, KeyError> {
    let salt = &random_secret("")?[..16];
    Ok(format!("sha256:{salt}:{}", sha256_hex(&format!("{salt}:{text}"))))
}

/// Whether `stored`, made by [`salted_hash`], is the hash of `text`.
pub fn salted_hash_matches(text: &str, stored: &str) -> bool {
    match stored.strip_prefix("sha256:").and_then(|rest| rest.split_once(':')) {
        Some((salt, hex)) => sha256_hex(&format!("{salt}:{text}")) == hex,
        None => false,
    }
}

/// The lowercase hex SHA-256 of `text`.
pub(crate) fn sha256_hex(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte & 15)]));
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salted_hashes_differ_each_time_and_match_only_their_text() {
        let (one, two) = (
            salted_hash("max@beispiel.de").unwrap(),
            salted_hash("max@beispiel.de").unwrap(),
        );
        assert_ne!(one, two, "a salt of its own each time");
        assert!(salted_hash_matches("max@beispiel.de", &one) && salted_hash_matches("max@beispiel.de", &two));
        assert!(!salted_hash_matches("erika@beispiel.de", &one));
        assert!(!one.contains("beispiel"));
        assert!(!salted_hash_matches("max@beispiel.de", "sha256:nothing"));
    }

    #[test]
    fn hash_is_sha256_hex() {
        // SHA-256("abc") from FIPS 180-2.
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
