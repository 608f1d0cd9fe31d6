//! The lead gateway's domain: what a website may send and what it means.
//!
//! `lead-domain` parses the body of a Web-to-CRM request into a typed [`Lead`] — a web
//! order or a ticket — with exact money in cents, trimmed and bounded texts, a checked email
//! address and the German notification texts. A rejected payload yields a [`LeadError`] that
//! carries the published error code and the field at fault.
//!
//! It performs no I/O and must never depend on a web framework or a database layer, so any
//! Rust service can embed it.
//!
//! ```
//! use lead_domain::{Lead, LeadError};
//!
//! let body = br#"{"type":"order","email":"kunde@beispiel.de","total":49.90,"coupon":"X1"}"#;
//! match Lead::parse(body)? {
//!     Lead::Order(order) => {
//!         assert_eq!(order.total.cents(), 4990);
//!         assert_eq!(order.title.as_str(), "Web-Bestellung");
//!     }
//!     Lead::Ticket(ticket) => unreachable!("a ticket from {}", ticket.email),
//! }
//!
//! let error = Lead::parse(br#"{"type":"ticket","email":"kunde@beispiel.de"}"#).unwrap_err();
//! assert_eq!(error.code(), "missing_field");
//! assert_eq!(error.field().map(|f| f.as_str()), Some("message"));
//! # Ok::<(), LeadError>(())
//! ```

mod attachment;
mod body;
mod canonical;
mod consent;
mod contact;
mod conversation;
mod email;
mod error;
mod files;
mod lead;
mod mailbox;
mod members;
mod money;
mod outbound;
mod record;
mod text;
mod words;

pub use attachment::{
    accepted_type, clean_filename, previewable, stored_name, AttachmentLimits, TooLarge, Upload, MAX_FILENAME_BYTES,
};
pub use body::LeadBody;
pub use canonical::canonical_json;
pub use consent::{SentConsent, MAX_CONSENT_TEXT_CHARS};
pub use contact::Contact;
pub use conversation::{find_tag, quote, reply_subject, tag};
pub use email::{Email, EmailError};
pub use error::{Field, Invalid, JsonProblem, LeadError};
pub use files::{may_name_files, take_files};
pub use lead::{
    answer_notification, assigned_notification, cut_mail_note, extra_fields, files_not_taken_note, order_notification,
    refused_attachment_note, ticket_notification, Lead, LeadType, NotificationText, Ticket, WebOrder, WebhookDisabled,
};
pub use mailbox::{ImapUrl, MailSecurity, MailboxError, Sender, SmtpUrl};
pub use members::{take_member, MAX_NESTING};
pub use money::{Money, MoneyError};
pub use outbound::{check_target_url, is_public, TargetError};
pub use record::{OrderStatus, TicketStatus, TimeZone, Timestamp};
pub use text::{Message, TextError, Title};
pub use words::{UnknownWord, Word};
