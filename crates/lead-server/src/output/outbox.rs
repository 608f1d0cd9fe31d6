//! Rows of the outbox: webhook endpoints and deliveries.

use lead_present::views::DeliveryView;
use lead_store::{CompanyId, Delivery, Webhook, WebhookId};
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

/// `outbox list`: a delivery as the team API shows it, but with the whole target (the
/// operator's to see).
#[derive(Serialize)]
pub struct DeliveryRow {
    #[serde(flatten)]
    view: DeliveryView,
    #[serde(skip)]
    cells: Vec<String>,
}

impl From<Delivery> for DeliveryRow {
    fn from(d: Delivery) -> Self {
        let cells = vec![
            d.id.to_string(),
            d.company_id.to_string(),
            d.channel.as_str().to_owned(),
            d.target.clone(),
            d.event.as_str().to_owned(),
            d.attempts.to_string(),
            d.status.as_str().to_owned(),
            optional(d.last_status),
            optional(d.last_error.clone()),
            optional(d.next_attempt_at.map(time)),
            time(d.created_at),
        ];
        DeliveryRow {
            view: DeliveryView::whole(d),
            cells,
        }
    }
}

impl Row for DeliveryRow {
    const HEADERS: &'static [&'static str] = &[
        "ID", "COMPANY", "CHANNEL", "TARGET", "EVENT", "ATTEMPTS", "STATUS", "LAST", "ERROR", "NEXT", "CREATED",
    ];
    fn cells(&self) -> Vec<String> {
        self.cells.clone()
    }
}
