//! A lead as the website sends it: JSON in, a typed [`Lead`] out, or a [`LeadError`] naming
//! the field at fault (`error.rs`); the body's members are read in `members.rs`.

use std::fmt;
use std::str::FromStr;

use crate::error::{Field, Invalid, JsonProblem, LeadError};
use crate::members::{nesting_depth, Fields, TopLevel, MAX_NESTING};
use crate::{Email, EmailError, Message, Money, Title};

/// What a lead is: a web order or a ticket (the `type` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LeadType {
    /// `"order"`: a web order for the inbox.
    Order,
    /// `"ticket"`: a contact or support request.
    Ticket,
}

impl LeadType {
    /// The wire name: `"order"` or `"ticket"`.
    pub fn as_str(self) -> &'static str {
        match self {
            LeadType::Order => "order",
            LeadType::Ticket => "ticket",
        }
    }
}

impl fmt::Display for LeadType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LeadType {
    type Err = LeadError;

    /// `order` or `ticket`, trimmed and in any case (`" Order "` is an order).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("order") {
            Ok(LeadType::Order)
        } else if text.eq_ignore_ascii_case("ticket") {
            Ok(LeadType::Ticket)
        } else {
            Err(LeadError::InvalidType)
        }
    }
}

/// A web order: lands in the company's inbox with status `new`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebOrder {
    /// The buyer's email address.
    pub email: Email,
    /// The subject, or `Web-Bestellung`.
    pub title: Title,
    /// An optional note.
    pub message: Option<Message>,
    /// The gross amount (0 when none was sent).
    pub total: Money,
}

/// A contact or support request: becomes an `open` ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// The sender's email address, used to find the customer's file.
    pub email: Email,
    /// The subject, or `Anfrage Webseite`.
    pub title: Title,
    /// The request itself (required for tickets).
    pub message: Message,
}

/// A validated lead, ready to be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lead {
    /// `"type": "order"`.
    Order(WebOrder),
    /// `"type": "ticket"`.
    Ticket(Ticket),
}

impl Lead {
    /// Parses and validates a request body. Whatever else the object holds is ignored here
    /// (the caller keeps the raw body). Checks run in the order type, email, message,
    /// subject, total; the first failure is returned.
    pub fn parse(body: &[u8]) -> Result<Lead, LeadError> {
        read(body).map(|(lead, _)| lead)
    }

    /// The lead as a canonical JSON payload: `type`, `email`, `subject` (the title),
    /// `message` when there is one and, for orders, `total` with two decimals. Parsing it
    /// again gives back an equal lead, so a lead can be forwarded or replayed as is.
    pub fn to_json(&self) -> String {
        let mut object = serde_json::Map::new();
        object.insert("type".into(), self.lead_type().as_str().into());
        object.insert("email".into(), self.email().as_str().into());
        object.insert("subject".into(), self.title().as_str().into());
        if let Some(message) = self.message() {
            object.insert("message".into(), message.as_str().into());
        }
        let mut json = serde_json::Value::Object(object).to_string();
        if let Lead::Order(order) = self {
            // A number's exact decimal text; a float could not carry every amount exactly.
            json.pop();
            json.push_str(&format!(",\"total\":{}}}", order.total.to_decimal()));
        }
        json
    }

    /// Order or ticket.
    pub fn lead_type(&self) -> LeadType {
        match self {
            Lead::Order(_) => LeadType::Order,
            Lead::Ticket(_) => LeadType::Ticket,
        }
    }

    /// The sender's email address.
    pub fn email(&self) -> &Email {
        match self {
            Lead::Order(order) => &order.email,
            Lead::Ticket(ticket) => &ticket.email,
        }
    }

    /// The title (subject or fallback).
    pub fn title(&self) -> &Title {
        match self {
            Lead::Order(order) => &order.title,
            Lead::Ticket(ticket) => &ticket.title,
        }
    }

    /// The message, if any (always present for tickets).
    pub fn message(&self) -> Option<&Message> {
        match self {
            Lead::Order(order) => order.message.as_ref(),
            Lead::Ticket(ticket) => Some(&ticket.message),
        }
    }

    /// The German in-app notification every active employee receives for this lead.
    pub fn notification_text(&self) -> String {
        match self {
            Lead::Order(order) => order_notification(order.total).to_string(),
            Lead::Ticket(ticket) => ticket_notification(ticket.title.as_str(), ticket.email.as_str()).to_string(),
        }
    }
}

/// The lead in `body`, and the body's members (for what else is read from them).
pub(crate) fn read(body: &[u8]) -> Result<(Lead, Fields<'_>), LeadError> {
    if nesting_depth(body) > MAX_NESTING {
        return Err(LeadError::InvalidJson(JsonProblem::TooDeep));
    }
    let object = match serde_json::from_slice::<TopLevel<'_>>(body) {
        Ok(TopLevel::Object(fields)) => Fields::new(fields)?,
        Ok(TopLevel::NotAnObject) => return Err(LeadError::InvalidJson(JsonProblem::NotAnObject)),
        Err(_) => return Err(LeadError::InvalidJson(JsonProblem::Syntax)),
    };

    let kind = match object.text(Field::Type) {
        Ok(None) => return Err(LeadError::MissingType),
        Ok(Some(text)) => text.parse::<LeadType>()?,
        Err(_) => return Err(LeadError::InvalidType),
    };
    let email = match object.text(Field::Email)? {
        None => return Err(LeadError::MissingField(Field::Email)),
        Some(text) => Email::parse(&text).map_err(|e| match e {
            EmailError::Empty => LeadError::MissingField(Field::Email),
            EmailError::TooLong => LeadError::invalid(Field::Email, Invalid::TooLong(Email::MAX_CHARS)),
            EmailError::Malformed => LeadError::invalid(Field::Email, Invalid::Email),
        })?,
    };
    let message = match object.text(Field::Message)? {
        None => None,
        Some(text) => Message::parse(&text).map_err(|e| LeadError::text(Field::Message, e))?,
    };
    // A ticket is its message: missing, it is reported before the subject (the documented order).
    if kind == LeadType::Ticket && message.is_none() {
        return Err(LeadError::MissingField(Field::Message));
    }
    let subject = object.text(Field::Subject)?;
    let title = Title::from_subject(subject.as_deref(), kind).map_err(|e| LeadError::text(Field::Subject, e))?;

    let lead = match kind {
        LeadType::Order => Lead::Order(WebOrder {
            email,
            title,
            message,
            total: object.total()?,
        }),
        LeadType::Ticket => Lead::Ticket(Ticket {
            email,
            title,
            message: message.ok_or(LeadError::MissingField(Field::Message))?,
        }),
    };
    Ok((lead, object))
}

/// What a payload carries beyond the known fields (`type`, `email`, `message`, `subject`,
/// `total`, `attachments`, `consent`, `consent_text`): a form's phone number, a shop's cart, a campaign tag — so that nothing a website
/// sends is invisible. As for the known fields, `null` and blank text count as absent: a form's
/// empty field (the spam honeypot of every real lead, say) is not shown. Empty when the
/// payload is not a JSON object.
pub fn extra_fields(payload: &str) -> serde_json::Map<String, serde_json::Value> {
    const KNOWN: [Field; 6] = [
        Field::Type,
        Field::Email,
        Field::Message,
        Field::Subject,
        Field::Total,
        Field::Attachments,
    ];
    match serde_json::from_str::<TopLevel<'_>>(payload) {
        Ok(TopLevel::Object(members)) => members
            .into_iter()
            .filter(|(name, value)| {
                !KNOWN.iter().any(|known| known.as_str() == name)
                    && !["consent", "consent_text"].contains(&name.as_str())
                    && is_filled(value.get())
            })
            .filter_map(|(name, value)| Some((name, serde_json::from_str(value.get()).ok()?)))
            .collect(),
        _ => serde_json::Map::new(),
    }
}

/// Whether a member's raw JSON `value` fills it: anything but `null` and blank text.
pub(crate) fn is_filled(value: &str) -> bool {
    match value {
        "null" => false,
        text if text.starts_with('"') => serde_json::from_str::<String>(text).is_ok_and(|text| !text.trim().is_empty()),
        _ => true,
    }
}

/// A published notification text in its two parts: the headline (`Neue Bestellung!`) and
/// the sentence after it. Shown whole (`Display`: the two, a space between) in the app and on
/// a webhook; a push message makes the headline its title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationText {
    /// `Neue Bestellung!` or `Neues Ticket!`.
    pub headline: &'static str,
    /// What arrived.
    pub sentence: String,
}

impl fmt::Display for NotificationText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.headline, self.sentence)
    }
}

/// The published notification of a web order of `total`:
/// `Neue Bestellung! Eine Web-Bestellung über 1.234,50 € ist eingegangen.`
pub fn order_notification(total: Money) -> NotificationText {
    NotificationText {
        headline: "Neue Bestellung!",
        sentence: format!("Eine Web-Bestellung über {total} ist eingegangen."),
    }
}

/// The server's own note on a lead whose file it did not take (a type no lead may carry):
/// `Anhang „setup.exe“ nicht angenommen: Dateityp`.
pub fn refused_attachment_note(filename: &str) -> String {
    format!("Anhang „{filename}“ nicht angenommen: Dateityp")
}

/// The server's own note on a lead whose e-mail brought files it did not take, and `why`
/// (`Dateityp`, `über der Grenze für Anhänge`): the first ten named, the rest counted. The
/// e-mail as it came, with the files, is kept with the lead.
///
/// ```
/// use lead_domain::files_not_taken_note;
///
/// assert_eq!(files_not_taken_note(&["setup.exe"], "Dateityp"), "Anhang „setup.exe“ nicht angenommen: Dateityp");
/// assert_eq!(
///     files_not_taken_note(&["a.exe", "b.exe"], "Dateityp"),
///     "Anhänge „a.exe“, „b.exe“ nicht angenommen: Dateityp"
/// );
/// let many = vec!["x.bin"; 12];
/// assert!(files_not_taken_note(&many, "Dateityp").ends_with("„x.bin“ und 2 weitere nicht angenommen: Dateityp"));
/// ```
pub fn files_not_taken_note(names: &[&str], why: &str) -> String {
    const NAMED: usize = 10;
    if let [name] = names {
        return format!("Anhang „{name}“ nicht angenommen: {why}");
    }
    let mut listed = names
        .iter()
        .take(NAMED)
        .map(|name| format!("„{name}“"))
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > NAMED {
        listed.push_str(&format!(" und {} weitere", names.len() - NAMED));
    }
    format!("Anhänge {listed} nicht angenommen: {why}")
}

/// The published notification of a ticket: `Neues Ticket! „<title>“ von <email> ist eingegangen.`
pub fn ticket_notification(title: &str, email: &str) -> NotificationText {
    NotificationText {
        headline: "Neues Ticket!",
        sentence: format!("„{title}“ von {email} ist eingegangen."),
    }
}

/// The notification of a customer's answer: `Neue Antwort von kunde@example.de zu „Tisch“`.
pub fn answer_notification(from: &str, title: &str) -> String {
    format!("Neue Antwort von {from} zu „{title}“")
}

/// What an e-mail larger than the server takes keeps, in front of its text: how large it was.
pub fn cut_mail_note(size: u64) -> String {
    format!(
        "[Diese E-Mail war {:.1} MB groß, mehr als der Server annimmt: hier steht nur ihr Anfang, ihre Anhänge fehlen. Das Original liegt weiter im Postfach.]",
        size as f64 / 1_000_000.0
    )
}

/// The notification of an employee given a lead by a colleague: `Eva Roth hat Ihnen die
/// Bestellung „Tisch“ zugewiesen.` (`das Ticket „…“` for a ticket).
pub fn assigned_notification(by: &str, lead_type: LeadType, title: &str) -> String {
    let what = match lead_type {
        LeadType::Order => "die Bestellung",
        LeadType::Ticket => "das Ticket",
    };
    format!("{by} hat Ihnen {what} „{title}“ zugewiesen.")
}

/// Why a webhook endpoint was disabled without the operator: in English for the operator's
/// list and log, in German in the notification every employee of its company gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookDisabled {
    /// It answered `410 Gone`.
    Gone,
    /// Every delivery to it failed for this long.
    Failing(std::time::Duration),
}

impl WebhookDisabled {
    /// For the operator (`webhook list`, the log): `every delivery failed for 3 days`.
    pub fn reason(self) -> String {
        match self {
            WebhookDisabled::Gone => "the endpoint answered 410 Gone".into(),
            WebhookDisabled::Failing(span) => {
                format!(
                    "every delivery failed for {}",
                    span_in_words(span, ["day", "days"], ["hour", "hours"])
                )
            }
        }
    }

    /// The team's notification of the endpoint at `url` (as the team may see it):
    /// `Webhook deaktiviert: <url> – <why>. …`
    pub fn notification(self, url: &str) -> String {
        let why = match self {
            WebhookDisabled::Gone => "der Empfänger antwortete 410 Gone (gibt es nicht mehr)".into(),
            WebhookDisabled::Failing(span) => format!(
                "seit {} schlug jede Zustellung fehl",
                span_in_words(span, ["Tag", "Tagen"], ["Stunde", "Stunden"])
            ),
        };
        format!(
            "Webhook deaktiviert: {url} – {why}. Der Betreiber schaltet ihn mit „lead-server webhook enable“ wieder ein."
        )
    }
}

/// A span in whole days, or (shorter than a day) whole hours — at least one —, each word as
/// `[one, more]`.
fn span_in_words(span: std::time::Duration, days: [&str; 2], hours: [&str; 2]) -> String {
    let secs = span.as_secs();
    let (count, words) = if secs >= 24 * 3600 {
        (secs / (24 * 3600), days)
    } else {
        (secs.div_ceil(3600).max(1), hours)
    };
    format!("{count} {}", words[usize::from(count != 1)])
}
