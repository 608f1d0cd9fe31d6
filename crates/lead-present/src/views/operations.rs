//! What the operator and the company's admins watch: the submission log and the deliveries.

use lead_store::{CompanyId, Delivery, DeliveryId, Submission, SubmissionId};
use serde::Serialize;

use super::time;

/// A request to the lead endpoint, as the submission log kept it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SubmissionView {
    #[schema(value_type = i64)]
    id: SubmissionId,
    at: String,
    key_prefix: Option<String>,
    origin: Option<String>,
    client_ip: Option<String>,
    status: i32,
    code: Option<String>,
    size: i64,
    /// For failures: the body as sent (at most 8 KiB, keys redacted).
    body: Option<String>,
    /// Why it was answered as it was, where the status does not say it (a form's
    /// `redirect` that was not followed).
    note: Option<String>,
}

impl From<Submission> for SubmissionView {
    fn from(s: Submission) -> Self {
        SubmissionView {
            id: s.id,
            at: time(s.at),
            key_prefix: s.key_prefix,
            origin: s.origin,
            client_ip: s.client_ip,
            status: s.status,
            code: s.code,
            size: s.size,
            body: s.body,
            note: s.note,
        }
    }
}

/// A delivery of the outbox (a webhook request, an e-mail, a push message).
#[derive(Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    #[schema(value_type = i64)]
    id: DeliveryId,
    #[schema(value_type = i64)]
    company_id: CompanyId,
    /// `webhook`, `email` or `push`.
    #[schema(value_type = String)]
    channel: &'static str,
    /// The endpoint (scheme, host and port: the rest of its URL may be a credential), the
    /// e-mail address, or the employee's address and the device's push service.
    target: String,
    /// `order.created`, `ticket.created`, `order.accepted`, `order.rejected`,
    /// `ticket.closed`, `ticket.reopened`, `ticket.pending`, `order.owner_changed`,
    /// `ticket.owner_changed`, `message.reply`, `confirmation` or `push.test`.
    #[schema(value_type = String)]
    event: &'static str,
    attempts: u32,
    /// `pending`, `delivered` or `failed`.
    #[schema(value_type = String)]
    status: &'static str,
    /// The endpoint's last HTTP status.
    last_status: Option<i32>,
    last_error: Option<String>,
    /// When it is tried next (pending ones).
    next_attempt_at: Option<String>,
    created_at: String,
}

impl From<Delivery> for DeliveryView {
    /// As a company's team sees it: a webhook's URL as scheme, host and port only.
    fn from(d: Delivery) -> Self {
        let webhook = d.channel == lead_store::Channel::Webhook;
        let mut view = DeliveryView::whole(d);
        if webhook {
            view.target = lead_store::shown_url(&view.target);
        }
        view
    }
}

impl DeliveryView {
    /// As the operator sees it: the whole target.
    pub fn whole(d: Delivery) -> Self {
        DeliveryView {
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
