//! One Web Push message (RFC 8030): what a device is shown, encrypted for it (`aes128gcm`,
//! RFC 8291, by `web-push-native`), signed with the server's VAPID key (RFC 8292: an ES256
//! JWT whose audience is the push service's origin), and what the push service's answer means.
//! The push service sees only the encrypted payload, the TTL and the urgency.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64URL;
use base64::Engine as _;
use lead_domain::Timestamp;
use lead_store::{DueDelivery, Event, LeadRecord, OrderRecord, PushTarget, TicketRecord, VapidKeys};
use p256::ecdsa::signature::Signer as _;
use p256::elliptic_curve::sec1::ToEncodedPoint as _;
use serde::Serialize;

use crate::webhook::{Answer, WebhookClient};

/// How long a push service keeps a message for a device that is offline (`TTL`).
pub const TIME_TO_LIVE: Duration = Duration::from_secs(24 * 3600);

/// How long a VAPID token is valid: well within the 24 hours RFC 8292 allows, so that a
/// clock a little ahead is not refused.
const TOKEN_VALID: Duration = Duration::from_secs(12 * 3600);

/// The longest text a message carries: far below the 4 KiB a push service must take.
const MAX_BODY_CHARS: usize = 500;

/// The server's identity towards push services: its VAPID signing key and contact.
#[derive(Clone)]
pub struct Vapid {
    key: p256::ecdsa::SigningKey,
    public_key: String,
    subject: String,
}

impl std::fmt::Debug for Vapid {
    /// Without the private key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vapid")
            .field("public_key", &self.public_key)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// Why the stored VAPID keys or the configured subject cannot sign push messages.
#[derive(Debug, thiserror::Error)]
pub enum VapidError {
    /// The stored private key is not base64url.
    #[error("the stored VAPID private key is not base64url: {0}")]
    NotBase64url(#[source] base64::DecodeError),
    /// The stored private key is not a P-256 scalar.
    #[error("the stored VAPID private key is not a P-256 key")]
    NotP256,
    /// The stored public key is not the private key's.
    #[error("the stored VAPID public key does not belong to its private key")]
    NotAPair,
    /// `[push] subject` is no contact a push service accepts.
    #[error("[push] subject must be a mailto: or https: URL, got {0:?}")]
    Subject(String),
}

impl Vapid {
    /// A new key pair (P-256), for [`Outbox::vapid_keys_or_make`](lead_store::Outbox::vapid_keys_or_make).
    pub fn generate() -> VapidKeys {
        loop {
            let mut scalar = [0u8; 32];
            getrandom::fill(&mut scalar).expect("the operating system's random numbers");
            // Zero or beyond the group order (about 2^-32 of all draws): draw again.
            if let Ok(secret) = p256::SecretKey::from_slice(&scalar) {
                return VapidKeys {
                    private_key: BASE64URL.encode(secret.to_bytes()),
                    public_key: BASE64URL.encode(secret.public_key().to_encoded_point(false).as_bytes()),
                };
            }
        }
    }

    /// The identity of `keys` with the contact `subject` (`mailto:…` or `https://…`).
    pub fn new(keys: &VapidKeys, subject: &str) -> Result<Vapid, VapidError> {
        let scalar = BASE64URL.decode(&keys.private_key).map_err(VapidError::NotBase64url)?;
        let key = p256::ecdsa::SigningKey::from_slice(&scalar).map_err(|_| VapidError::NotP256)?;
        let public_key = BASE64URL.encode(key.verifying_key().to_encoded_point(false).as_bytes());
        if public_key != keys.public_key {
            return Err(VapidError::NotAPair);
        }
        if !(subject.starts_with("mailto:") || subject.starts_with("https://")) {
            return Err(VapidError::Subject(subject.to_owned()));
        }
        Ok(Vapid {
            key,
            public_key,
            subject: subject.to_owned(),
        })
    }

    /// The public key browsers subscribe with (`applicationServerKey`), base64url.
    pub fn public_key(&self) -> &str {
        &self.public_key
    }

    /// The `Authorization` header for a request to `endpoint`: `vapid t=<JWT>, k=<key>`.
    pub fn authorization(&self, endpoint: &url::Url, now: Timestamp) -> String {
        #[derive(Serialize)]
        struct Claims<'a> {
            aud: &'a str,
            exp: i64,
            sub: &'a str,
        }
        let origin = endpoint.origin().ascii_serialization();
        let claims = Claims {
            aud: &origin,
            exp: now.millis().div_euclid(1000) + TOKEN_VALID.as_secs() as i64,
            sub: &self.subject,
        };
        let claims = serde_json::to_vec(&claims).expect("claims serialise");
        let signed = format!(
            "{}.{}",
            BASE64URL.encode(br#"{"typ":"JWT","alg":"ES256"}"#),
            BASE64URL.encode(claims)
        );
        let signature: p256::ecdsa::Signature = self.key.sign(signed.as_bytes());
        format!(
            "vapid t={signed}.{}, k={}",
            BASE64URL.encode(signature.to_bytes()),
            self.public_key
        )
    }
}

/// What a device shows: the service worker turns it into a notification.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Message {
    /// The notification's title.
    pub title: String,
    /// Its text.
    pub body: String,
    /// The dashboard page a click opens (a path).
    pub url: String,
    /// Messages with the same tag replace each other on the device.
    pub tag: String,
}

/// What a delivery's first attempt sends (every retry sends the same): the published
/// notification's two sentences, and the record's page.
pub(crate) fn message(delivery: &DueDelivery) -> Option<Message> {
    if delivery.event == Event::PushTest {
        return Some(Message {
            title: "Test".into(),
            body: "Push-Benachrichtigungen funktionieren auf diesem Gerät.".into(),
            url: "/app/settings".into(),
            tag: "test".into(),
        });
    }
    let lead = delivery.lead.as_ref()?;
    // A device is told of a new lead, or of one given to its employee.
    let lead_present::german::Said { title, body } = match delivery.event {
        Event::OrderOwnerChanged | Event::TicketOwnerChanged => lead_present::german::assigned(lead),
        event => lead_present::german::event(event, lead),
    };
    let body = if body.chars().count() > MAX_BODY_CHARS {
        body.chars().take(MAX_BODY_CHARS - 1).chain(['…']).collect()
    } else {
        body
    };
    let (url, tag) = match lead {
        LeadRecord::Order(order) => (
            lead_present::link::<OrderRecord>(order.id),
            format!("order-{}", order.id),
        ),
        LeadRecord::Ticket(ticket) => (
            lead_present::link::<TicketRecord>(ticket.id),
            format!("ticket-{}", ticket.id),
        ),
    };
    Some(Message { title, body, url, tag })
}

/// Encrypts `payload` for `target` and sends it, signed by `vapid`: the push service's
/// answer, or why it was not sent at all — a refused URL, a key that is no key — which no
/// retry would change.
pub(crate) async fn send(
    client: &WebhookClient,
    vapid: &Vapid,
    target: &PushTarget,
    payload: &str,
) -> Result<Answer, String> {
    let endpoint =
        lead_domain::check_target_url(&target.endpoint, client.allows_private()).map_err(|error| error.to_string())?;
    let request = encrypted(target, payload)?;
    let mut headers = request.headers().clone();
    let authorization = vapid.authorization(&endpoint, Timestamp::now());
    let authorization = reqwest::header::HeaderValue::try_from(authorization).map_err(|error| error.to_string())?;
    headers.insert(reqwest::header::AUTHORIZATION, authorization);
    headers.insert("urgency", reqwest::header::HeaderValue::from_static("high"));
    Ok(client.post(endpoint.as_str(), headers, request.into_body()).await)
}

/// The encrypted request `web-push-native` builds: body, `TTL`, `Content-Encoding: aes128gcm`.
fn encrypted(target: &PushTarget, payload: &str) -> Result<http::Request<Vec<u8>>, String> {
    let key = BASE64URL
        .decode(&target.p256dh)
        .ok()
        .and_then(|key| web_push_native::p256::PublicKey::from_sec1_bytes(&key).ok())
        .ok_or("the device's key (p256dh) is not a P-256 public key")?;
    let auth = BASE64URL
        .decode(&target.auth)
        .ok()
        .filter(|auth| auth.len() == 16)
        .ok_or("the device's secret (auth) is not 16 bytes")?;
    let endpoint = target
        .endpoint
        .parse()
        .map_err(|error| format!("the push URL is not a URI: {error}"))?;
    web_push_native::WebPushBuilder::new(endpoint, key, web_push_native::Auth::clone_from_slice(&auth))
        .with_valid_duration(TIME_TO_LIVE)
        .build(payload.as_bytes().to_vec())
        .map_err(|error| format!("the message could not be encrypted: {error}"))
}

/// Whether a push service's answer means the device is gone for good: `404` or `410`.
pub(crate) fn gone(answer: &Answer) -> bool {
    matches!(answer.status, Some(404 | 410))
}

/// Whether it is worth trying again: no answer, `429`, or a server error (other refusals —
/// a bad request, a key the push service does not accept, a message too large — will not
/// change).
pub(crate) fn retryable(answer: &Answer) -> bool {
    match answer.status {
        None => true,
        Some(status) => status == 429 || status >= 500,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_make_an_identity() {
        let keys = Vapid::generate();
        let vapid = Vapid::new(&keys, "mailto:ops@example.com").unwrap();
        assert_eq!(vapid.public_key(), keys.public_key);
        assert_eq!(BASE64URL.decode(&keys.public_key).unwrap().len(), 65);
        assert!(Vapid::new(&keys, "ops@example.com").is_err());
        let other = Vapid::generate();
        let mixed = VapidKeys {
            private_key: keys.private_key.clone(),
            public_key: other.public_key,
        };
        assert!(Vapid::new(&mixed, "mailto:ops@example.com").is_err());
    }

    #[test]
    fn the_token_names_the_push_services_origin_and_verifies() {
        use p256::ecdsa::signature::Verifier as _;
        let vapid = Vapid::new(&Vapid::generate(), "mailto:ops@example.com").unwrap();
        let endpoint = url::Url::parse("https://push.example.net:8443/send/abc?x=1").unwrap();
        let now = Timestamp::from_millis(1_700_000_000_000);
        let header = vapid.authorization(&endpoint, now);
        let (token, key) = header
            .strip_prefix("vapid t=")
            .and_then(|rest| rest.split_once(", k="))
            .unwrap();
        assert_eq!(key, vapid.public_key());
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims: serde_json::Value = serde_json::from_slice(&BASE64URL.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["aud"], "https://push.example.net:8443");
        assert_eq!(claims["sub"], "mailto:ops@example.com");
        assert_eq!(claims["exp"], 1_700_000_000 + 12 * 3600);
        let verifying = p256::ecdsa::VerifyingKey::from_sec1_bytes(&BASE64URL.decode(key).unwrap()).unwrap();
        let signature = p256::ecdsa::Signature::from_slice(&BASE64URL.decode(parts[2]).unwrap()).unwrap();
        verifying
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
            .unwrap();
    }

    /// RFC 8291, appendix A: the receiver's keys and the message of the example decrypt to
    /// its plaintext with the decryption the tests use to read what the server sent.
    #[test]
    fn the_rfc_8291_example_decrypts() {
        let receiver = BASE64URL.decode("q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94").unwrap();
        let receiver = web_push_native::p256::SecretKey::from_slice(&receiver).unwrap();
        let auth = BASE64URL.decode("BTBZMqHH6r4Tts7J_aSIgg").unwrap();
        let message = BASE64URL
            .decode(
                "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN",
            )
            .unwrap();
        let plaintext = web_push_native::decrypt(message, &receiver, web_push_native::Auth::from_slice(&auth)).unwrap();
        assert_eq!(plaintext, b"When I grow up, I want to be a watermelon");
    }

    #[test]
    fn a_message_round_trips_through_its_encryption() {
        let receiver = web_push_native::p256::SecretKey::from_slice(&[7u8; 32]).unwrap();
        let auth = [9u8; 16];
        let target = PushTarget {
            id: lead_store::PushSubscriptionId::new(1),
            endpoint: "https://push.example.net/send/abc".into(),
            p256dh: BASE64URL.encode(receiver.public_key().to_encoded_point(false).as_bytes()),
            auth: BASE64URL.encode(auth),
        };
        let request = encrypted(&target, r#"{"title":"Neue Bestellung!"}"#).unwrap();
        assert_eq!(request.headers()["content-encoding"], "aes128gcm");
        assert_eq!(request.headers()["ttl"], "86400");
        let plaintext =
            web_push_native::decrypt(request.into_body(), &receiver, web_push_native::Auth::from_slice(&auth)).unwrap();
        assert_eq!(plaintext, br#"{"title":"Neue Bestellung!"}"#);
    }
}
