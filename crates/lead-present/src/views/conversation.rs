//! A lead's conversation as the team API shows it: the website's own message first, then each
//! e-mail out (a reply of the team) and in (the customer's answer), oldest first.

use lead_store::{LeadKind, Message, MessageId};
use serde::Serialize;

use super::{time, AttachmentView, EmployeeView};

/// A message of a lead's conversation.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MessageView {
    /// Its id; `null` for the website's message the lead arrived with.
    #[schema(value_type = Option<i64>)]
    id: Option<MessageId>,
    /// `in` (to the company) or `out` (a reply of the team).
    #[schema(value_type = String)]
    direction: &'static str,
    /// `website` (what the form sent) or `email`.
    #[schema(value_type = String)]
    source: &'static str,
    /// Who sent it.
    from: String,
    /// Who it went to (`null` for the website's message).
    to: Option<String>,
    subject: String,
    text: String,
    /// When it was sent or arrived.
    at: String,
    /// The employee who wrote it (`out`).
    author: Option<EmployeeView>,
    /// `pending`, `delivered` or `failed` (`out`).
    #[schema(value_type = Option<String>)]
    delivery: Option<&'static str>,
    /// Its `Message-ID`, without angle brackets (e-mails).
    message_id: Option<String>,
    /// An auto-reply or bulk mail (`in`): filed without notifying anyone.
    automatic: bool,
    /// The files it came with; each is downloaded at `GET /api/v1/attachments/{id}`.
    attachments: Vec<AttachmentView>,
}

impl MessageView {
    /// The message `lead` arrived with: what the website sent.
    pub fn original<K: LeadKind>(lead: &K) -> MessageView {
        MessageView {
            id: None,
            direction: "in",
            source: "website",
            from: lead.email().to_owned(),
            to: None,
            subject: lead.title().to_owned(),
            text: lead.message().unwrap_or_default().to_owned(),
            at: time(lead.created_at()),
            author: None,
            delivery: None,
            message_id: None,
            automatic: false,
            attachments: lead.attachments().iter().cloned().map(AttachmentView::from).collect(),
        }
    }
}

impl From<Message> for MessageView {
    fn from(message: Message) -> Self {
        MessageView {
            id: Some(message.id),
            direction: message.direction.as_str(),
            source: "email",
            from: message.from,
            to: Some(message.to),
            subject: message.subject,
            text: message.text,
            at: time(message.created_at),
            author: message.author.map(EmployeeView::from),
            delivery: message.delivery.map(|status| status.as_str()),
            message_id: Some(message.message_id),
            automatic: message.automatic,
            attachments: message.attachments.into_iter().map(AttachmentView::from).collect(),
        }
    }
}

/// The e-mail `lead` was made from (a ticket from the company's mailbox), if it was: the first
/// of its `messages`, in, at the lead's own time. Its conversation begins with that e-mail,
/// not with what a website sent — and it is shown once, not as both.
pub fn origin<'a, K: LeadKind>(lead: &K, messages: &'a [Message]) -> Option<&'a Message> {
    messages
        .first()
        .filter(|first| first.direction == lead_store::Direction::In && first.created_at == lead.created_at())
}
