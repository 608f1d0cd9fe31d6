//! One webhook request: what is sent (a Standard Webhooks event, or a Slack-style text), how
//! it is signed, and what the answer means.

use std::time::{Duration, Instant};

use lead_domain::Timestamp;
use lead_present::Presented;
use lead_store::{DueDelivery, LeadRecord, OrderRecord, TicketRecord, WebhookFormat, WebhookTarget};
use serde::Serialize;

use crate::guard::PublicOnly;
use crate::sign::signature;

/// The HTTP client webhooks and push messages are sent with: no redirects followed (a redirect could point
/// anywhere), no proxy from the environment, a timeout per request, and — unless private
/// targets are allowed — a resolver that connects to public addresses only.
#[derive(Debug, Clone)]
pub struct WebhookClient {
    client: reqwest::Client,
    allow_private: bool,
}

/// The HTTP client for webhooks cannot be made (no TLS backend could be set up).
#[derive(Debug, thiserror::Error)]
#[error("the HTTP client for webhooks cannot be made: {0}")]
pub struct ClientError(#[source] reqwest::Error);

impl WebhookClient {
    /// A client whose requests give up after `timeout`.
    pub fn new(timeout: Duration, allow_private: bool) -> Result<WebhookClient, ClientError> {
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("lead-gateway-webhooks/", env!("CARGO_PKG_VERSION")))
            .pool_idle_timeout(Duration::from_secs(30));
        if !allow_private {
            builder = builder.dns_resolver(std::sync::Arc::new(PublicOnly));
        }
        let client = builder.build().map_err(ClientError)?;
        Ok(WebhookClient { client, allow_private })
    }

    /// Whether targets on loopback and private networks (and `http://`) are allowed.
    pub(crate) fn allows_private(&self) -> bool {
        self.allow_private
    }

    /// Sends `body` to `target`, signed (standard format) under the message id `id`.
    pub async fn send(&self, target: &WebhookTarget, id: &str, body: &str) -> Answer {
        let started = Instant::now();
        if let Err(error) = lead_domain::check_target_url(&target.url, self.allow_private) {
            return Answer::failed(error.to_string(), started);
        }
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::CONTENT_TYPE,
            reqwest::header::HeaderValue::from_static("application/json"),
        );
        if target.format == WebhookFormat::Standard {
            // A fresh timestamp per attempt, so a receiver's replay window holds for retries.
            let timestamp = Timestamp::now().millis().div_euclid(1000);
            let signed = match signature(&target.secrets, id, timestamp, body) {
                Ok(signed) => signed,
                Err(error) => return Answer::failed(error.to_string(), started),
            };
            for (name, value) in [
                ("webhook-id", id.to_owned()),
                ("webhook-timestamp", timestamp.to_string()),
                ("webhook-signature", signed),
            ] {
                match reqwest::header::HeaderValue::try_from(value) {
                    Ok(value) => _ = headers.insert(name, value),
                    Err(error) => return Answer::failed(error.to_string(), started),
                }
            }
        }
        self.post(&target.url, headers, body.as_bytes().to_vec()).await
    }

    /// POSTs `body` with `headers` to `url` (already checked by the caller): the answer's
    /// status and `Retry-After`, or what went wrong.
    pub(crate) async fn post(&self, url: &str, headers: reqwest::header::HeaderMap, body: Vec<u8>) -> Answer {
        let started = Instant::now();
        match self.client.post(url).headers(headers).body(body).send().await {
            Ok(response) => {
                let status = response.status();
                let retry_after = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|value| value.to_str().ok())
                    .and_then(|value| value.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                let error = (!status.is_success()).then(|| format!("the endpoint answered {status}"));
                Answer {
                    status: Some(status.as_u16()),
                    retry_after,
                    error,
                    duration: started.elapsed(),
                }
            }
            Err(error) => Answer::failed(describe(error), started),
        }
    }
}

/// What came of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status, if an answer came.
    pub status: Option<u16>,
    /// The `Retry-After` it asked for (in seconds).
    pub retry_after: Option<Duration>,
    /// What went wrong (a status other than 2xx, a refused target, no connection, a timeout).
    pub error: Option<String>,
    /// How long it took.
    pub duration: Duration,
}

impl Answer {
    /// No answer: `error` happened first.
    pub(crate) fn failed(error: String, started: Instant) -> Answer {
        Answer {
            status: None,
            retry_after: None,
            error: Some(error),
            duration: started.elapsed(),
        }
    }

    /// Whether the endpoint took it (any 2xx).
    pub fn delivered(&self) -> bool {
        self.status.is_some_and(|status| (200..300).contains(&status))
    }

    /// Whether the endpoint says it is gone for good (410).
    pub fn gone(&self) -> bool {
        self.status == Some(410)
    }
}

/// The error chain of a failed request, in one line (reqwest's own display says only
/// "error sending request").
fn describe(error: reqwest::Error) -> String {
    // Without the URL: it may hold a credential, and the team sees the error.
    let error = error.without_url();
    let mut text = if error.is_timeout() {
        "timed out".to_owned()
    } else {
        error.to_string()
    };
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The id a receiver deduplicates by: the same for every attempt of a delivery, and never
/// another delivery's (see [`DueDelivery::message_id`]).
pub(crate) fn message_id(delivery: &DueDelivery) -> &str {
    &delivery.message_id
}

/// A Standard Webhooks event.
#[derive(Serialize)]
struct Envelope<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'a str,
    timestamp: String,
    data: T,
}

/// A Slack-style message.
#[derive(Serialize)]
struct SlackText {
    text: String,
}

/// What a delivery's first attempt sends (every retry sends the same): the event with the
/// record as the team API shows it, or a German text with a link to the dashboard.
pub(crate) fn body(delivery: &DueDelivery, format: WebhookFormat, public_url: &str, link_key: &str) -> Option<String> {
    let lead = delivery.lead.as_ref()?;
    let text = match format {
        WebhookFormat::Standard => {
            let timestamp = delivery.created_at.to_string();
            let kind = delivery.event.as_str();
            // Each file with a link that works without a token, for a while (made now: every
            // retry sends this first attempt's body).
            let now = Timestamp::now().millis() / 1000;
            let link = |id: lead_store::AttachmentId| lead_auth::download_link(public_url, link_key, id.get(), now);
            match lead {
                LeadRecord::Order(order) => {
                    let mut data = order.clone().view(true);
                    data.link_attachments(&link);
                    serde_json::to_string(&Envelope { kind, timestamp, data })
                }
                LeadRecord::Ticket(ticket) => {
                    let mut data = ticket.clone().view(true);
                    data.link_attachments(&link);
                    serde_json::to_string(&Envelope { kind, timestamp, data })
                }
            }
        }
        WebhookFormat::Slack => serde_json::to_string(&SlackText {
            text: format!(
                "{} {}",
                lead_present::german::event(delivery.event, lead).whole(),
                link(public_url, lead)
            ),
        }),
    };
    Some(text.expect("views serialise"))
}

/// The dashboard's page of the record.
pub(crate) fn link(public_url: &str, lead: &LeadRecord) -> String {
    let base = public_url.trim_end_matches('/');
    match lead {
        LeadRecord::Order(order) => format!("{base}{}", lead_present::link::<OrderRecord>(order.id)),
        LeadRecord::Ticket(ticket) => format!("{base}{}", lead_present::link::<TicketRecord>(ticket.id)),
    }
}

/// Sends a `ping` event to an endpoint now, outside the outbox (`webhook test`): whether and
/// how it answered.
pub async fn ping(client: &WebhookClient, target: &WebhookTarget) -> Answer {
    let now = Timestamp::now();
    let body = match target.format {
        WebhookFormat::Standard => serde_json::to_string(&Envelope {
            kind: "ping",
            timestamp: now.to_string(),
            data: serde_json::json!({ "webhook_id": target.id }),
        }),
        WebhookFormat::Slack => serde_json::to_string(&SlackText {
            text: "Test: Webhook des CRM funktioniert.".into(),
        }),
    }
    .expect("a ping serialises");
    client
        .send(target, &format!("msg_ping_{}_{}", target.id, now.millis()), &body)
        .await
}
