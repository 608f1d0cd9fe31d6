//! An order and a ticket, as the team API shows them and webhooks send them (one shape, so a
//! receiver and an API client read the same).

use lead_store::{Attachment, AttachmentId, Consent, CustomerId, OrderId, OrderRecord, TicketId, TicketRecord};
use serde::Serialize;
use serde_json::value::RawValue;

use super::{payload, time, EmployeeView};

/// A file a lead came with.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AttachmentView {
    #[schema(value_type = i64)]
    id: AttachmentId,
    /// The file's name as sent, without any path.
    filename: String,
    /// Its type, read from its bytes.
    content_type: String,
    /// Bytes.
    size: i64,
    /// `clean`, `pending` (not scanned yet: not served until it is), `infected` (never served)
    /// or `off` (no virus scanner configured).
    #[schema(value_type = String)]
    scan: &'static str,
    /// Webhooks only: where to download it without a token, for a limited time.
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

impl From<Attachment> for AttachmentView {
    fn from(attachment: Attachment) -> Self {
        AttachmentView {
            id: attachment.id,
            filename: attachment.filename,
            content_type: attachment.content_type,
            size: attachment.size,
            scan: attachment.scan.as_str(),
            url: None,
        }
    }
}

/// A lead's consent on record (DSGVO Art. 7(1)).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ConsentView {
    /// Whether the visitor gave it (the form's `consent`).
    given: bool,
    /// The sentence they saw: the form's `consent_text`, else the key's.
    text: Option<String>,
    /// When (the lead's arrival).
    at: String,
    /// The page it was given on (`Referer`, else `Origin`).
    page: Option<String>,
    /// The visitor's address, shortened to /24 (IPv4) or /48 (IPv6) unless the operator keeps
    /// it whole.
    client: Option<String>,
}

impl From<Consent> for ConsentView {
    fn from(consent: Consent) -> Self {
        ConsentView {
            given: consent.given,
            text: consent.text,
            at: time(consent.at),
            page: consent.page,
            client: consent.client,
        }
    }
}

/// Gives each of `attachments` its download link, `link(id)`.
fn linked(attachments: &mut [AttachmentView], link: &dyn Fn(AttachmentId) -> String) {
    for attachment in attachments {
        attachment.url = Some(link(attachment.id));
    }
}

/// A web order; `payload` only where one order is shown.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OrderView {
    #[schema(value_type = i64)]
    id: OrderId,
    /// `new`, `accepted` or `rejected`.
    #[schema(value_type = String)]
    status: &'static str,
    email: String,
    title: String,
    message: Option<String>,
    total_cents: u64,
    #[schema(value_type = Option<i64>)]
    customer_id: Option<CustomerId>,
    created_at: String,
    decided_by: Option<EmployeeView>,
    decided_at: Option<String>,
    /// The employee who owns it, or `null`.
    owner: Option<EmployeeView>,
    /// The files it came with.
    attachments: Vec<AttachmentView>,
    /// Its consent on record, or `null` (the form sent none, and its key has no consent text).
    consent: Option<ConsentView>,
    /// What the website sent beyond the known fields.
    #[schema(value_type = Object)]
    extra: serde_json::Map<String, serde_json::Value>,
    /// The original request body (only where one record is shown).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    payload: Option<Box<RawValue>>,
}

impl OrderView {
    /// The view of `order`, with its original payload if `with_payload`.
    pub fn new(order: OrderRecord, with_payload: bool) -> OrderView {
        OrderView {
            payload: with_payload.then(|| payload(&order.payload)),
            extra: lead_domain::extra_fields(&order.payload),
            id: order.id,
            status: order.status.as_str(),
            email: order.email,
            title: order.title,
            message: order.message,
            total_cents: order.total.cents(),
            customer_id: order.customer_id,
            created_at: time(order.created_at),
            decided_by: order.decided_by.map(EmployeeView::from),
            decided_at: order.decided_at.map(time),
            owner: order.owner.map(EmployeeView::from),
            attachments: order.attachments.into_iter().map(AttachmentView::from).collect(),
            consent: order.consent.map(ConsentView::from),
        }
    }

    /// Gives each of its files a download link, `link(id)` (a webhook's signed URL).
    pub fn link_attachments(&mut self, link: &dyn Fn(AttachmentId) -> String) {
        linked(&mut self.attachments, link);
    }
}

/// A ticket; `payload` only where one ticket is shown.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TicketView {
    #[schema(value_type = i64)]
    id: TicketId,
    /// `open`, `pending` (answered, waiting for the customer) or `closed`.
    #[schema(value_type = String)]
    status: &'static str,
    email: String,
    title: String,
    message: String,
    #[schema(value_type = Option<i64>)]
    customer_id: Option<CustomerId>,
    created_at: String,
    status_changed_by: Option<EmployeeView>,
    status_changed_at: Option<String>,
    /// The employee who owns it, or `null`.
    owner: Option<EmployeeView>,
    /// The files it came with.
    attachments: Vec<AttachmentView>,
    /// Its consent on record, or `null` (the form sent none, and its key has no consent text).
    consent: Option<ConsentView>,
    /// What the website sent beyond the known fields.
    #[schema(value_type = Object)]
    extra: serde_json::Map<String, serde_json::Value>,
    /// The original request body (only where one record is shown).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    payload: Option<Box<RawValue>>,
}

impl TicketView {
    /// The view of `ticket`, with its original payload if `with_payload`.
    pub fn new(ticket: TicketRecord, with_payload: bool) -> TicketView {
        TicketView {
            payload: with_payload.then(|| payload(&ticket.payload)),
            extra: lead_domain::extra_fields(&ticket.payload),
            id: ticket.id,
            status: ticket.status.as_str(),
            email: ticket.email,
            title: ticket.title,
            message: ticket.message,
            customer_id: ticket.customer_id,
            created_at: time(ticket.created_at),
            status_changed_by: ticket.status_changed_by.map(EmployeeView::from),
            status_changed_at: ticket.status_changed_at.map(time),
            owner: ticket.owner.map(EmployeeView::from),
            attachments: ticket.attachments.into_iter().map(AttachmentView::from).collect(),
            consent: ticket.consent.map(ConsentView::from),
        }
    }

    /// Gives each of its files a download link, `link(id)` (a webhook's signed URL).
    pub fn link_attachments(&mut self, link: &dyn Fn(AttachmentId) -> String) {
        linked(&mut self.attachments, link);
    }
}
