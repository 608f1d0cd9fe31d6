//! Rows of the outbox: webhook endpoints and deliveries.

use lead_store::{CompanyId, Delivery, DeliveryId, Webhook, WebhookId};
use serde::Serialize;

use super::{optional, time, Row};

/// `webhook list`
#[derive(Serialize)]
pub struct WebhookRow {
    id: WebhookId,
    company_id: CompanyId,
    url: String,
    events: Vec<&'static str>,
    format: &'static str,
    active: bool,
    disabled_reason: Option<String>,
    last_success_at: Option<String>,
}

impl From<Webhook> for WebhookRow {
    fn from(w: Webhook) -> Self {
        WebhookRow {
            id: w.id,
            company_id: w.company_id,
            url: w.url,
            events: w.events.iter().map(|event| event.as_str()).collect(),
            format: w.format.as_str(),
            active: w.active,
            disabled_reason: w.disabled_reason,
            last_success_at: w.last_success_at.map(time),
        }
    }
}

impl Row for WebhookRow {
    const HEADERS: &'static [&'static str] = &[
        "ID",
        "COMPANY",
        "URL",
        "EVENTS",
        "FORMAT",
        "ACTIVE",
        "DISABLED BECAUSE",
        "LAST SUCCESS",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.company_id.to_string(),
            self.url.clone(),
            self.events.join(","),
            self.format.to_owned(),
            self.active.to_string(),
            optional(self.disabled_reason.clone()),
            optional(self.last_success_at.clone()),
        ]
    }
}

/// `outbox list`
#[derive(Serialize)]
pub struct DeliveryRow {
    id: DeliveryId,
    company_id: CompanyId,
    channel: &'static str,
    target: String,
    event: &'static str,
    attempts: u32,
    status: &'static str,
    last_status: Option<i32>,
    last_error: Option<String>,
    next_attempt_at: Option<String>,
    created_at: String,
}

impl From<Delivery> for DeliveryRow {
    fn from(d: Delivery) -> Self {
        DeliveryRow {
            id: d.id,
            company_id: d.company_id,
            channel: d.channel.as_str(),
            target: d.target,
            event: d.event.as_str(),
            attempts: d.attempts,
            status: d.status.as_str(),
            last_status: d.last_status,
            last_error: d.last_error,
            next_attempt_at: d.next_attempt_at.map(time),
            created_at: time(d.created_at),
        }
    }
}

impl Row for DeliveryRow {
    const HEADERS: &'static [&'static str] = &[
        "ID", "COMPANY", "CHANNEL", "TARGET", "EVENT", "ATTEMPTS", "STATUS", "LAST", "ERROR", "NEXT", "CREATED",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.company_id.to_string(),
            self.channel.to_owned(),
            self.target.clone(),
            self.event.to_owned(),
            self.attempts.to_string(),
            self.status.to_owned(),
            optional(self.last_status),
            optional(self.last_error.clone()),
            optional(self.next_attempt_at.clone()),
            self.created_at.clone(),
        ]
    }
}
