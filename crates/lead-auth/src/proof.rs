//! Proof of work for a public form, in the terms of the ALTCHA widget (its protocol "PoW v2",
//! as altcha-lib and altcha-lib-rs implement it), so that no third party and no cookie is
//! needed to tell a person's browser from a bot that posts thousands of forms.
//!
//! The server hands out a [`Challenge`]: a random nonce and salt, a cost, a key prefix and an
//! expiry, signed with the installation's key (HMAC-SHA256 over the parameters as canonical
//! JSON, keys sorted). The visitor's browser tries counters `0, 1, 2, …` until
//! `PBKDF2-HMAC-SHA256(password = nonce ‖ counter as 4 bytes big-endian, salt, cost)` starts
//! with the prefix — about 4,096 tries of [`COST`] iterations — and the form sends the
//! challenge and the solution back, base64-encoded JSON, in its `altcha` field. [`verify`]
//! checks the signature, the expiry and the solution with one derivation; the challenge's
//! signature is the [`Solved::id`] the store remembers so that a solution counts once.

use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::KeyError;

/// The key derivation the widget runs (WebCrypto's PBKDF2 with SHA-256).
pub const ALGORITHM: &str = "PBKDF2/SHA-256";

/// PBKDF2 iterations per try. With the prefix of three hex digits a solution takes about 4,096
/// tries: some 4 million iterations — about a second for the widget in a browser, well under a
/// second for native code on one core (docs/performance.md) — while this server checks
/// a solution with one derivation of 1,000 iterations (a tenth of a millisecond). Fewer
/// iterations and more tries, not the other way round: the work is the same, the check cheap.
pub const COST: u32 = 1_000;

/// What the derived key must start with (hex): 12 bits, 1 in 4,096 tries.
pub const KEY_PREFIX: &str = "000";

/// How long a challenge may be solved and sent: a visitor who ticks the box and then writes
/// for a while is still in time.
pub const VALID_SECS: u64 = 20 * 60;

/// The longest `altcha` field read: a widget's payload is about 600 characters.
pub const MAX_PAYLOAD_CHARS: usize = 4096;

/// The most counters [`solve`] tries: 256 times what a challenge of this server needs on
/// average.
pub const MAX_TRIES: u32 = 1 << 20;

/// The derived key's length in bytes.
const KEY_LENGTH: usize = 32;

/// A challenge as the widget fetches it (`GET /api/v1/challenge`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    /// What the widget works with.
    pub parameters: Parameters,
    /// HMAC-SHA256 of the parameters' canonical JSON, hex.
    pub signature: String,
}

/// A challenge's parameters. The fields are in alphabetical order of their JSON names: so
/// serialised, they are the canonical JSON that is signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parameters {
    /// Always [`ALGORITHM`].
    pub algorithm: String,
    /// PBKDF2 iterations per try.
    pub cost: u32,
    /// Until when (Unix seconds) a solution is accepted.
    #[serde(rename = "expiresAt")]
    pub expires_at: u64,
    /// The derived key's length in bytes.
    #[serde(rename = "keyLength")]
    pub key_length: usize,
    /// What the derived key must start with (hex).
    #[serde(rename = "keyPrefix")]
    pub key_prefix: String,
    /// 16 random bytes, hex: the start of each try's password.
    pub nonce: String,
    /// 16 random bytes, hex.
    pub salt: String,
}

/// A challenge solved in time, as [`verify`] found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Solved {
    /// What identifies the challenge (its signature): accepted once.
    pub id: String,
    /// Until when (Unix seconds) the challenge could be used; remembered till then.
    pub expires_at: i64,
}

/// Why an `altcha` field is no proof. Each reads as the reason in the submission log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The form sent no `altcha` field (or an empty one).
    #[error("no proof of work was sent (the form's altcha field is missing)")]
    Missing,
    /// Not base64 of the widget's JSON, or too long, or a challenge of another kind.
    #[error("the altcha field is not a proof of work of this server's kind")]
    Malformed,
    /// The challenge was not made by this server (or was changed).
    #[error("the proof of work's challenge was not made by this server")]
    Forged,
    /// The challenge expired before the lead came.
    #[error("the proof of work's challenge had expired")]
    Expired,
    /// The counter does not solve the challenge.
    #[error("the proof of work does not solve its challenge")]
    Wrong,
}

/// A new challenge signed with `key`, valid for [`VALID_SECS`] from `now` (Unix seconds).
pub fn challenge(key: &str, now: u64) -> Result<Challenge, KeyError> {
    if key.is_empty() {
        return Err(KeyError::NoSigningKey);
    }
    let parameters = Parameters {
        algorithm: ALGORITHM.to_owned(),
        cost: COST,
        expires_at: now + VALID_SECS,
        key_length: KEY_LENGTH,
        key_prefix: KEY_PREFIX.to_owned(),
        nonce: hex(&random_bytes()?),
        salt: hex(&random_bytes()?),
    };
    let signature = sign(key, &parameters);
    Ok(Challenge { parameters, signature })
}

/// Checks the widget's `payload` (the form's `altcha` field) against `key` at `now` (Unix
/// seconds): made by this server, unchanged, not expired, solved. With an empty `key` nothing
/// is (anyone could have signed it).
pub fn verify(key: &str, payload: Option<&str>, now: u64) -> Result<Solved, ProofError> {
    let payload = payload.map(str::trim).filter(|payload| !payload.is_empty());
    let payload = payload.ok_or(ProofError::Missing)?;
    if payload.len() > MAX_PAYLOAD_CHARS {
        return Err(ProofError::Malformed);
    }
    let json = base64::engine::general_purpose::STANDARD
        .decode(payload)
        .map_err(|_| ProofError::Malformed)?;
    let sent: Payload = serde_json::from_slice(&json).map_err(|_| ProofError::Malformed)?;
    if key.is_empty() {
        return Err(ProofError::Forged);
    }
    let expected = sign(key, &sent.challenge.parameters);
    if !bool::from(expected.as_bytes().ct_eq(sent.challenge.signature.as_bytes())) {
        return Err(ProofError::Forged);
    }
    // Signed, so this server's own: a kind it no longer makes is still refused.
    let parameters = &sent.challenge.parameters;
    if parameters.algorithm != ALGORITHM || parameters.key_length != KEY_LENGTH || parameters.cost == 0 {
        return Err(ProofError::Malformed);
    }
    if now > parameters.expires_at {
        return Err(ProofError::Expired);
    }
    let (Some(nonce), Some(salt)) = (unhex(&parameters.nonce), unhex(&parameters.salt)) else {
        return Err(ProofError::Malformed);
    };
    let mut password = nonce;
    password.extend_from_slice(&sent.solution.counter.to_be_bytes());
    let derived = hex(&pbkdf2_sha256(&password, &salt, parameters.cost));
    let solves = bool::from(derived.as_bytes().ct_eq(sent.solution.derived_key.as_bytes()))
        && derived.starts_with(&parameters.key_prefix);
    if !solves {
        return Err(ProofError::Wrong);
    }
    Ok(Solved {
        id: sent.challenge.signature,
        expires_at: i64::try_from(parameters.expires_at).unwrap_or(i64::MAX),
    })
}

/// What the widget does, for a client without a browser (and for tests): tries counters from
/// 0 until one solves `challenge`, and gives the `altcha` field to send — base64 of the
/// challenge and the solution. `None` if none of the first [`MAX_TRIES`] does (a challenge of
/// another kind).
pub fn solve(challenge: &Challenge) -> Option<String> {
    let parameters = &challenge.parameters;
    let (nonce, salt) = (unhex(&parameters.nonce)?, unhex(&parameters.salt)?);
    let (counter, derived_key) = (0..MAX_TRIES).find_map(|counter| {
        let mut password = nonce.clone();
        password.extend_from_slice(&counter.to_be_bytes());
        let key = hex(&pbkdf2_sha256(&password, &salt, parameters.cost));
        key.starts_with(&parameters.key_prefix).then_some((counter, key))
    })?;
    let payload = serde_json::json!({
        "challenge": challenge,
        "solution": { "counter": counter, "derivedKey": derived_key },
    });
    Some(base64::engine::general_purpose::STANDARD.encode(payload.to_string()))
}

/// What the widget sends: the challenge as it got it, and its solution.
#[derive(Deserialize)]
struct Payload {
    challenge: Challenge,
    solution: Solution,
}

/// The counter that solves a challenge, and the key it derives.
#[derive(Deserialize)]
struct Solution {
    counter: u32,
    #[serde(rename = "derivedKey")]
    derived_key: String,
}

/// The signature of `parameters` with `key`: HMAC-SHA256 of their canonical JSON, hex.
fn sign(key: &str, parameters: &Parameters) -> String {
    let canonical = serde_json::to_string(parameters).expect("the parameters serialise");
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(canonical.as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// PBKDF2-HMAC-SHA256 (RFC 8018) of one 32-byte block: all a derived key of
/// [`KEY_LENGTH`] needs.
fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let prf = Hmac::<Sha256>::new_from_slice(password).expect("HMAC takes a key of any length");
    let mut mac = prf.clone();
    mac.update(salt);
    mac.update(&1u32.to_be_bytes());
    let mut u: [u8; 32] = mac.finalize().into_bytes().into();
    let mut out = u;
    for _ in 1..iterations {
        let mut mac = prf.clone();
        mac.update(&u);
        u = mac.finalize().into_bytes().into();
        out.iter_mut().zip(u).for_each(|(o, b)| *o ^= b);
    }
    out
}

/// 16 random bytes from the operating system.
fn random_bytes() -> Result<[u8; 16], KeyError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| KeyError::Random(e.to_string()))?;
    Ok(bytes)
}

/// Lower-case hex.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of lower- or upper-case hex; `None` for anything else.
fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| text.get(i..i + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "lsk_test-key";

    /// The counter and key [`solve`] found.
    fn solve_parts(challenge: &Challenge) -> (u32, String) {
        let json = base64::engine::general_purpose::STANDARD
            .decode(solve(challenge).unwrap())
            .unwrap();
        let sent: serde_json::Value = serde_json::from_slice(&json).unwrap();
        let solution = &sent["solution"];
        (
            solution["counter"].as_u64().unwrap() as u32,
            solution["derivedKey"].as_str().unwrap().to_owned(),
        )
    }

    fn payload_of(challenge: &Challenge, counter: u32, derived_key: &str) -> String {
        let json = serde_json::json!({
            "challenge": challenge,
            "solution": { "counter": counter, "derivedKey": derived_key, "time": 12.5 },
        });
        base64::engine::general_purpose::STANDARD.encode(json.to_string())
    }

    #[test]
    fn pbkdf2_matches_the_rfc_7914_vector() {
        // RFC 7914, section 11: PBKDF2-HMAC-SHA-256 (P="passwd", S="salt", c=1), first 32 bytes.
        assert_eq!(
            hex(&pbkdf2_sha256(b"passwd", b"salt", 1)),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
        );
        // ...and with many iterations (P="Password", S="NaCl", c=80000).
        assert_eq!(
            hex(&pbkdf2_sha256(b"Password", b"NaCl", 80_000)),
            "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
        );
    }

    #[test]
    fn a_solved_challenge_is_accepted_with_its_signature_as_id() {
        let challenge = challenge(KEY, 1_000).unwrap();
        assert_eq!(challenge.parameters.expires_at, 1_000 + VALID_SECS);
        let (counter, key) = solve_parts(&challenge);
        let solved = verify(KEY, Some(&payload_of(&challenge, counter, &key)), 1_001).unwrap();
        assert_eq!(verify(KEY, solve(&challenge).as_deref(), 1_001), Ok(solved.clone()));
        assert_eq!(solved.id, challenge.signature);
        assert_eq!(solved.expires_at, 1_000 + VALID_SECS as i64);
        // At the last second still, not after.
        let last = 1_000 + VALID_SECS;
        assert!(verify(KEY, Some(&payload_of(&challenge, counter, &key)), last).is_ok());
        assert_eq!(
            verify(KEY, Some(&payload_of(&challenge, counter, &key)), last + 1),
            Err(ProofError::Expired)
        );
    }

    #[test]
    fn the_signed_json_is_canonical() {
        let challenge = challenge(KEY, 0).unwrap();
        let json = serde_json::to_string(&challenge.parameters).unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        assert!(json.starts_with(
            r#"{"algorithm":"PBKDF2/SHA-256","cost":1000,"expiresAt":1200,"keyLength":32,"keyPrefix":"000","nonce":""#
        ));
    }

    #[test]
    fn what_is_not_a_proof_says_why() {
        let challenge = challenge(KEY, 1_000).unwrap();
        let (counter, key) = solve_parts(&challenge);
        assert_eq!(verify(KEY, None, 1_000), Err(ProofError::Missing));
        assert_eq!(verify(KEY, Some("  "), 1_000), Err(ProofError::Missing));
        assert_eq!(verify(KEY, Some("not base64!"), 1_000), Err(ProofError::Malformed));
        // The widget's test mode sends no challenge.
        let test_mode =
            base64::engine::general_purpose::STANDARD.encode(r#"{"challenge":null,"solution":null,"test":true}"#);
        assert_eq!(verify(KEY, Some(&test_mode), 1_000), Err(ProofError::Malformed));
        assert_eq!(
            verify(KEY, Some(&"A".repeat(MAX_PAYLOAD_CHARS + 4)), 1_000),
            Err(ProofError::Malformed)
        );
        // Another server's key, or a changed parameter (a cheaper cost), is no challenge of ours.
        let good = payload_of(&challenge, counter, &key);
        assert_eq!(verify("lsk_other", Some(&good), 1_000), Err(ProofError::Forged));
        let mut cheaper = challenge.clone();
        cheaper.parameters.cost = 1;
        assert_eq!(
            verify(KEY, Some(&payload_of(&cheaper, counter, &key)), 1_000),
            Err(ProofError::Forged)
        );
        // A wrong counter, or the right counter with another key.
        assert_eq!(
            verify(KEY, Some(&payload_of(&challenge, counter + 1, &key)), 1_000),
            Err(ProofError::Wrong)
        );
        let zeros = "00".repeat(32);
        assert_eq!(
            verify(KEY, Some(&payload_of(&challenge, counter, &zeros)), 1_000),
            Err(ProofError::Wrong)
        );
    }

    #[test]
    fn a_solution_made_by_altchas_own_library_is_accepted() {
        // Made, solved and serialised by altcha-lib-rs 0.2 (crates.io `altcha`), ALTCHA's Rust
        // library: PBKDF2/SHA-256, cost 1000, prefix "000", HMAC key "altcha-lib-rs interop".
        const PAYLOAD: &str = "eyJjaGFsbGVuZ2UiOnsicGFyYW1ldGVycyI6eyJhbGdvcml0aG0iOiJQQktERjIvU0hBLTI1NiIsImNvc3QiOjEwMDAsImV4cGlyZXNBdCI6NDEwMjQ0NDgwMCwia2V5TGVuZ3RoIjozMiwia2V5UHJlZml4IjoiMDAwIiwibm9uY2UiOiI4NmQzOTYzN2NlZGMwNmE2YjRlZjgwNDc2ZDg4NDZlMyIsInNhbHQiOiJkNDU1N2I5YzY3ODJhYzExNDljZjYzZDExOTZlYzY0ZSJ9LCJzaWduYXR1cmUiOiI1YWVjNjU1NWUwNWMxNmRlYzFmODM5Nzc1YzZkOGY1ZjE0MWJiYmQ5NjkwMWE3Yzc4YTQwOWEwOGY4MWYxMzkxIn0sInNvbHV0aW9uIjp7ImNvdW50ZXIiOjE3NTQsImRlcml2ZWRLZXkiOiIwMDBjYTgyMGQwMDM3YjczYWI5ZTMwYWQ3M2U1YjY2NmU5MjQyYTZlYjQ3YzljZjNlN2I2Y2VlMzE2NTNjYTM0IiwidGltZSI6MTkyLjF9fQ==";
        let solved = verify("altcha-lib-rs interop", Some(PAYLOAD), 1_800_000_000).unwrap();
        assert_eq!(
            solved.id,
            "5aec6555e05c16dec1f839775c6d8f5f141bbbd96901a7c78a409a08f81f1391"
        );
        assert_eq!(solved.expires_at, 4_102_444_800);
        assert_eq!(
            verify("another key", Some(PAYLOAD), 1_800_000_000),
            Err(ProofError::Forged)
        );
    }

    #[test]
    fn without_a_key_nothing_is_signed_or_accepted_and_only_this_servers_kind_counts() {
        assert!(matches!(challenge("", 0), Err(KeyError::NoSigningKey)));
        // Signed with an empty key, as a careless server would: refused all the same.
        let mut unsigned = challenge(KEY, 1_000).unwrap();
        unsigned.signature = sign("", &unsigned.parameters);
        let payload = solve(&unsigned).unwrap();
        assert_eq!(verify("", Some(&payload), 1_000), Err(ProofError::Forged));
        // Another algorithm or key length, though signed with the right key: not ours.
        for change in [
            |p: &mut Parameters| p.algorithm = "SHA-256".into(),
            |p: &mut Parameters| p.key_length = 16,
        ] {
            let mut other = challenge(KEY, 1_000).unwrap();
            change(&mut other.parameters);
            other.signature = sign(KEY, &other.parameters);
            let (counter, key) = solve_parts(&other);
            assert_eq!(
                verify(KEY, Some(&payload_of(&other, counter, &key)), 1_000),
                Err(ProofError::Malformed)
            );
        }
    }

    #[test]
    fn a_derived_key_without_the_prefix_is_no_solution() {
        // A counter whose key does not start with the prefix, sent with that very key.
        let challenge = challenge(KEY, 1_000).unwrap();
        let nonce = unhex(&challenge.parameters.nonce).unwrap();
        let salt = unhex(&challenge.parameters.salt).unwrap();
        let (counter, key) = (0u32..)
            .map(|counter| {
                let mut password = nonce.clone();
                password.extend_from_slice(&counter.to_be_bytes());
                (counter, hex(&pbkdf2_sha256(&password, &salt, COST)))
            })
            .find(|(_, key)| !key.starts_with(KEY_PREFIX))
            .unwrap();
        assert_eq!(
            verify(KEY, Some(&payload_of(&challenge, counter, &key)), 1_000),
            Err(ProofError::Wrong)
        );
    }
}
