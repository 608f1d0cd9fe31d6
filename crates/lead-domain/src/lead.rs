//! A lead as the website sends it: JSON in, a typed [`Lead`] out, or a [`LeadError`] naming
//! the field at fault.

use std::fmt;
use std::str::FromStr;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::{Email, EmailError, Message, Money, MoneyError, TextError, Title};

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
            Lead::Order(order) => order_notification(order.total),
            Lead::Ticket(ticket) => ticket_notification(ticket.title.as_str(), ticket.email.as_str()),
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
/// `total`): a form's phone number, a shop's cart, a campaign tag — so that nothing a website
/// sends is invisible. As for the known fields, `null` and blank text count as absent: a form's
/// empty field (the spam honeypot of every real lead, say) is not shown. Empty when the
/// payload is not a JSON object.
pub fn extra_fields(payload: &str) -> serde_json::Map<String, serde_json::Value> {
    const KNOWN: [Field; 5] = [Field::Type, Field::Email, Field::Message, Field::Subject, Field::Total];
    match serde_json::from_str::<TopLevel<'_>>(payload) {
        Ok(TopLevel::Object(members)) => members
            .into_iter()
            .filter(|(name, value)| !KNOWN.iter().any(|known| known.as_str() == name) && is_filled(value.get()))
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

/// The published notification text of a web order of `total`:
/// `Neue Bestellung! Eine Web-Bestellung über 1.234,50 € ist eingegangen.`
pub fn order_notification(total: Money) -> String {
    format!("Neue Bestellung! Eine Web-Bestellung über {total} ist eingegangen.")
}

/// The published notification text of a ticket: `Neues Ticket! „<title>“ von <email> ist eingegangen.`
pub fn ticket_notification(title: &str, email: &str) -> String {
    format!("Neues Ticket! „{title}“ von {email} ist eingegangen.")
}

/// A known field of the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// `type`
    Type,
    /// `email`
    Email,
    /// `message`
    Message,
    /// `subject`
    Subject,
    /// `total`
    Total,
}

impl Field {
    /// The field's name in the JSON payload.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Type => "type",
            Field::Email => "email",
            Field::Message => "message",
            Field::Subject => "subject",
            Field::Total => "total",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a body is not a JSON object we can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonProblem {
    /// Not JSON (syntax error, invalid UTF-8, nesting too deep, empty body).
    Syntax,
    /// Valid JSON, but an array, string, number, boolean or `null`.
    NotAnObject,
    /// The object names the same key twice; which one was meant is ambiguous.
    DuplicateKey(String),
    /// Arrays and objects nested deeper than [`MAX_NESTING`] levels.
    TooDeep,
}

/// How deeply arrays and objects may nest in a payload. Far beyond any real form, and low
/// enough that the stored payload can always be read back as a JSON value.
pub const MAX_NESTING: usize = 64;

/// The deepest nesting of `[` and `{` outside strings. Only meaningful for valid JSON; for
/// anything else the parser reports the syntax error.
pub(crate) fn nesting_depth(body: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &byte in body {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
        } else {
            match byte {
                b'"' => in_string = true,
                b'[' | b'{' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
    }
    deepest
}

/// Why a known field's value is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    /// The JSON type is wrong (a number for `subject`, an array for `email`, …).
    WrongType,
    /// Longer than this many characters after trimming.
    TooLong(usize),
    /// Not the syntax of an email address.
    Email,
    /// Not an acceptable amount: why, and the value as sent (a string's text, or the JSON
    /// text of anything else) so that the message can name it.
    Money {
        /// What is wrong with it.
        reason: MoneyError,
        /// The value that could not be read.
        value: String,
    },
    /// Holds a NUL character (`\u0000`).
    Nul,
}

/// Why a payload was rejected; every variant maps to one stable error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeadError {
    /// The body is not a JSON object.
    #[error("the body is not a JSON object ({0:?})")]
    InvalidJson(JsonProblem),
    /// `type` is missing, null or blank.
    #[error("the field `type` is missing")]
    MissingType,
    /// `type` is neither `"order"` nor `"ticket"`.
    #[error("the field `type` must be \"order\" or \"ticket\"")]
    InvalidType,
    /// A required field is missing, null or blank.
    #[error("the field `{0}` is missing")]
    MissingField(Field),
    /// A field holds an unacceptable value.
    #[error("the field `{field}` is invalid ({reason:?})")]
    InvalidField {
        /// The field at fault.
        field: Field,
        /// What is wrong with it.
        reason: Invalid,
    },
}

impl LeadError {
    /// The stable machine-readable code of the published contract.
    pub fn code(&self) -> &'static str {
        match self {
            LeadError::InvalidJson(_) => "invalid_json",
            LeadError::MissingType => "missing_type",
            LeadError::InvalidType => "invalid_type",
            LeadError::MissingField(_) => "missing_field",
            LeadError::InvalidField { .. } => "invalid_field",
        }
    }

    /// The field at fault, where exactly one is.
    pub fn field(&self) -> Option<Field> {
        match self {
            LeadError::InvalidJson(_) => None,
            LeadError::MissingType | LeadError::InvalidType => Some(Field::Type),
            LeadError::MissingField(field) | LeadError::InvalidField { field, .. } => Some(*field),
        }
    }

    fn invalid(field: Field, reason: Invalid) -> LeadError {
        LeadError::InvalidField { field, reason }
    }

    fn text(field: Field, error: TextError) -> LeadError {
        match error {
            TextError::TooLong { max } => LeadError::invalid(field, Invalid::TooLong(max)),
            TextError::Nul => LeadError::invalid(field, Invalid::Nul),
        }
    }
}

/// The top level of a body: an object's members, each value kept as raw JSON text.
enum TopLevel<'a> {
    Object(Vec<(String, &'a RawValue)>),
    NotAnObject,
}

impl<'de> Deserialize<'de> for TopLevel<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TopLevelVisitor)
    }
}

struct TopLevelVisitor;

impl<'de> Visitor<'de> for TopLevelVisitor {
    type Value = TopLevel<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            members.push((key, map.next_value::<&'de RawValue>()?));
        }
        Ok(TopLevel::Object(members))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(TopLevel::NotAnObject)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(TopLevel::NotAnObject)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(TopLevel::NotAnObject)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(TopLevel::NotAnObject)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(TopLevel::NotAnObject)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(TopLevel::NotAnObject)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(TopLevel::NotAnObject)
    }
}

/// The members of the payload object, looked up by field.
pub(crate) struct Fields<'a> {
    pub(crate) members: Vec<(String, &'a RawValue)>,
}

impl<'a> Fields<'a> {
    fn new(members: Vec<(String, &'a RawValue)>) -> Result<Self, LeadError> {
        // A set, not pairwise comparisons: a body of thousands of members costs linear time.
        let mut names = std::collections::HashSet::with_capacity(members.len());
        if let Some((name, _)) = members.iter().find(|(name, _)| !names.insert(name.as_str())) {
            return Err(LeadError::InvalidJson(JsonProblem::DuplicateKey(name.clone())));
        }
        Ok(Fields { members })
    }

    fn raw(&self, field: Field) -> Option<&'a str> {
        let name = field.as_str();
        self.members
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.get())
    }

    /// A text field: `None` when absent, `null` or blank; an error for any other JSON type.
    fn text(&self, field: Field) -> Result<Option<String>, LeadError> {
        match self.raw(field) {
            None | Some("null") => Ok(None),
            Some(raw) if raw.starts_with('"') => {
                let text: String =
                    serde_json::from_str(raw).map_err(|_| LeadError::invalid(field, Invalid::WrongType))?;
                Ok((!text.trim().is_empty()).then_some(text))
            }
            Some(_) => Err(LeadError::invalid(field, Invalid::WrongType)),
        }
    }

    /// `total`: absent, `null` or a blank string is zero; a JSON number is rounded to cents
    /// on its decimal text; a string is read as people write amounts (`"1.234,50 €"`).
    fn total(&self) -> Result<Money, LeadError> {
        let invalid = |reason, value: &str| {
            LeadError::invalid(
                Field::Total,
                Invalid::Money {
                    reason,
                    value: value.to_owned(),
                },
            )
        };
        match self.raw(Field::Total) {
            None | Some("null") => Ok(Money::ZERO),
            Some(raw) if raw.starts_with(|c: char| c == '-' || c.is_ascii_digit()) => {
                Money::from_json_number(raw).map_err(|reason| invalid(reason, raw))
            }
            Some(raw) if raw.starts_with('"') => {
                let text: String = serde_json::from_str(raw).map_err(|_| invalid(MoneyError::NotAnAmount, raw))?;
                if text.trim().is_empty() {
                    return Ok(Money::ZERO);
                }
                Money::from_text(&text).map_err(|reason| invalid(reason, &text))
            }
            Some(raw) => Err(invalid(MoneyError::NotAnAmount, raw)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Lead, LeadError> {
        Lead::parse(json.as_bytes())
    }

    fn err(json: &str) -> (&'static str, Option<&'static str>) {
        let error = parse(json).expect_err(json);
        (error.code(), error.field().map(Field::as_str))
    }

    #[test]
    fn the_published_example_is_a_ticket() {
        let lead = parse(
            r#"{"type":"ticket","email":"max.mustermann@beispiel.de","subject":"Interesse an Beratung",
                "message":"Hallo, ich hätte gerne ein Angebot für Ihre Dienstleistungen.","total":0.00}"#,
        )
        .unwrap();
        let Lead::Ticket(ticket) = &lead else {
            panic!("not a ticket: {lead:?}")
        };
        assert_eq!(ticket.email.as_str(), "max.mustermann@beispiel.de");
        assert_eq!(ticket.title.as_str(), "Interesse an Beratung");
        assert_eq!(
            ticket.message.as_str(),
            "Hallo, ich hätte gerne ein Angebot für Ihre Dienstleistungen."
        );
        assert_eq!(
            lead.notification_text(),
            "Neues Ticket! „Interesse an Beratung“ von max.mustermann@beispiel.de ist eingegangen."
        );
    }

    #[test]
    fn an_order_carries_exact_cents_and_its_notification() {
        let lead = parse(r#"{"type":"order","email":"a@b.de","total":1234.50}"#).unwrap();
        let Lead::Order(order) = &lead else {
            panic!("not an order")
        };
        assert_eq!(order.total.cents(), 123_450);
        assert_eq!(order.title.as_str(), "Web-Bestellung");
        assert_eq!(order.message, None);
        assert_eq!(
            lead.notification_text(),
            "Neue Bestellung! Eine Web-Bestellung über 1.234,50 € ist eingegangen."
        );
    }

    #[test]
    fn order_total_edges() {
        let total = |t: &str| match parse(&format!(r#"{{"type":"order","email":"a@b.de","total":{t}}}"#)) {
            Ok(Lead::Order(order)) => Ok(order.total.cents()),
            Ok(other) => panic!("not an order: {other:?}"),
            Err(e) => Err((e.code(), e.field())),
        };
        assert_eq!(total("19.99"), Ok(1999));
        assert_eq!(total("0.1"), Ok(10));
        assert_eq!(total("1e2"), Ok(10_000));
        assert_eq!(total("1.230"), Ok(123));
        assert_eq!(total("null"), Ok(0));
        assert_eq!(total("-0"), Ok(0));
        // Formatting noise is rounded, never refused.
        assert_eq!(total("30.279999999999998"), Ok(3028));
        assert_eq!(total("0.30000000000000004"), Ok(30));
        assert_eq!(total("1.005"), Ok(101));
        assert_eq!(total("1.234"), Ok(123));
        assert_eq!(total("99999999.991"), Ok(9_999_999_999));
        // Strings are amounts as people write them.
        assert_eq!(total("\"49.90\""), Ok(4990));
        assert_eq!(total("\"1.234,50 €\""), Ok(123_450));
        assert_eq!(total("\"1.234\""), Ok(123_400));
        assert_eq!(total("\"\""), Ok(0));
        assert_eq!(total("\"  \""), Ok(0));
        assert_eq!(
            total("\"\\u0034\\u0039,90\""),
            Ok(4990),
            "escapes are read as the text they spell"
        );
        let invalid = Err(("invalid_field", Some(Field::Total)));
        for bad in [
            "-1",
            "-0.01",
            "100000000",
            "99999999.995",
            "1e400",
            "true",
            "[1]",
            "{}",
            "\"ca. 50\"",
            "\"1.23.4\"",
            "\"12 Euro 50\"",
            "\"-5\"",
        ] {
            assert_eq!(total(bad), invalid, "{bad}");
        }
        assert_eq!(total("99999999.99"), Ok(9_999_999_999));
        let absent = parse(r#"{"type":"order","email":"a@b.de"}"#).unwrap();
        assert!(matches!(absent, Lead::Order(WebOrder { total: Money::ZERO, .. })));
    }

    #[test]
    fn a_bad_total_names_the_value_that_could_not_be_read() {
        let reason = |json: &str| match parse(json) {
            Err(LeadError::InvalidField {
                reason: Invalid::Money { reason, value },
                ..
            }) => (reason, value),
            other => panic!("{json}: {other:?}"),
        };
        assert_eq!(
            reason(r#"{"type":"order","email":"a@b.de","total":"ca. 50"}"#),
            (MoneyError::NotAnAmount, "ca. 50".to_owned())
        );
        assert_eq!(
            reason(r#"{"type":"order","email":"a@b.de","total":-5}"#),
            (MoneyError::Negative, "-5".to_owned())
        );
        assert_eq!(
            reason(r#"{"type":"order","email":"a@b.de","total":[1]}"#),
            (MoneyError::NotAnAmount, "[1]".to_owned())
        );
    }

    #[test]
    fn a_ticket_ignores_total_whatever_it_holds() {
        for total in ["0.00", "\"abc\"", "-5", "1.234", "[]"] {
            let json = format!(r#"{{"type":"ticket","email":"a@b.de","message":"Hi","total":{total}}}"#);
            assert!(matches!(parse(&json), Ok(Lead::Ticket(_))), "{json}");
        }
    }

    #[test]
    fn type_rules() {
        assert_eq!(err(r#"{"email":"a@b.de"}"#), ("missing_type", Some("type")));
        assert_eq!(err(r#"{"type":null,"email":"a@b.de"}"#), ("missing_type", Some("type")));
        assert_eq!(err(r#"{"type":"  ","email":"a@b.de"}"#), ("missing_type", Some("type")));
        for bad in [
            r#""invoice""#,
            "5",
            "true",
            r#"["order"]"#,
            r#""or der""#,
            r#""orders""#,
        ] {
            assert_eq!(
                err(&format!(r#"{{"type":{bad},"email":"a@b.de"}}"#)),
                ("invalid_type", Some("type")),
                "{bad}"
            );
        }
        // Trimmed and in any case; the lead carries the canonical type.
        for (sent, kind) in [
            ("Order", LeadType::Order),
            (" ORDER ", LeadType::Order),
            ("order\\n", LeadType::Order),
            (" TICKET ", LeadType::Ticket),
            ("Ticket", LeadType::Ticket),
        ] {
            let lead = parse(&format!(r#"{{"type":"{sent}","email":"a@b.de","message":"m"}}"#)).unwrap();
            assert_eq!(lead.lead_type(), kind, "{sent:?}");
        }
    }

    #[test]
    fn type_is_checked_before_the_other_fields() {
        assert_eq!(err(r#"{"type":"x","email":5}"#), ("invalid_type", Some("type")));
        assert_eq!(err(r#"{}"#), ("missing_type", Some("type")));
    }

    #[test]
    fn email_rules() {
        for kind in ["order", "ticket"] {
            let with = |email: &str| format!(r#"{{"type":"{kind}","message":"m"{email}}}"#);
            assert_eq!(err(&with("")), ("missing_field", Some("email")));
            assert_eq!(err(&with(r#","email":null"#)), ("missing_field", Some("email")));
            assert_eq!(err(&with(r#","email":"   ""#)), ("missing_field", Some("email")));
            assert_eq!(err(&with(r#","email":"kein-at""#)), ("invalid_field", Some("email")));
            assert_eq!(err(&with(r#","email":["a@b.de"]"#)), ("invalid_field", Some("email")));
            assert_eq!(err(&with(r#","email":42"#)), ("invalid_field", Some("email")));
            let long = format!(r#","email":"{}@b.de""#, "a".repeat(250));
            assert_eq!(err(&with(&long)), ("invalid_field", Some("email")));
        }
        let lead = parse(r#"{"type":"order","email":"  Max@Beispiel.DE "}"#).unwrap();
        assert_eq!(lead.email().as_str(), "Max@Beispiel.DE");
    }

    #[test]
    fn message_rules() {
        assert_eq!(
            err(r#"{"type":"ticket","email":"a@b.de"}"#),
            ("missing_field", Some("message"))
        );
        assert_eq!(
            err(r#"{"type":"ticket","email":"a@b.de","message":" \n "}"#),
            ("missing_field", Some("message"))
        );
        assert_eq!(
            err(r#"{"type":"ticket","email":"a@b.de","message":null}"#),
            ("missing_field", Some("message"))
        );
        assert_eq!(
            err(r#"{"type":"ticket","email":"a@b.de","message":7}"#),
            ("invalid_field", Some("message"))
        );
        let long = format!(
            r#"{{"type":"order","email":"a@b.de","message":"{}"}}"#,
            "x".repeat(20_001)
        );
        assert_eq!(err(&long), ("invalid_field", Some("message")));
        let lead = parse(r#"{"type":"order","email":"a@b.de","message":"  Bitte liefern  "}"#).unwrap();
        assert_eq!(lead.message().unwrap().as_str(), "Bitte liefern");
        let lead = parse(r#"{"type":"order","email":"a@b.de","message":"  "}"#).unwrap();
        assert_eq!(lead.message(), None);
    }

    #[test]
    fn subject_rules() {
        let ticket = |subject: &str| format!(r#"{{"type":"ticket","email":"a@b.de","message":"m"{subject}}}"#);
        assert_eq!(parse(&ticket("")).unwrap().title().as_str(), "Anfrage Webseite");
        assert_eq!(
            parse(&ticket(r#","subject":"   ""#)).unwrap().title().as_str(),
            "Anfrage Webseite"
        );
        assert_eq!(
            parse(&ticket(r#","subject":null"#)).unwrap().title().as_str(),
            "Anfrage Webseite"
        );
        assert_eq!(
            parse(&ticket(r#","subject":" Rückruf ""#)).unwrap().title().as_str(),
            "Rückruf"
        );
        assert_eq!(err(&ticket(r#","subject":5"#)), ("invalid_field", Some("subject")));
        let long = format!(r#","subject":"{}""#, "s".repeat(201));
        assert_eq!(err(&ticket(&long)), ("invalid_field", Some("subject")));
        let order = parse(r#"{"type":"order","email":"a@b.de","subject":""}"#).unwrap();
        assert_eq!(order.title().as_str(), "Web-Bestellung");
    }

    #[test]
    fn bodies_that_are_not_objects_are_invalid_json() {
        for body in [
            "",
            "   ",
            "{",
            "nope",
            "[]",
            "[1,2]",
            "\"order\"",
            "null",
            "42",
            "true",
            "{\"type\":}",
        ] {
            assert_eq!(err(body), ("invalid_json", None), "{body:?}");
        }
        assert_eq!(
            Lead::parse(b"{\"type\":\"order\",\"email\":\"a@b.de\",\"message\":\"\xff\"}").map_err(|e| e.code()),
            Err("invalid_json")
        );
    }

    #[test]
    fn nul_characters_in_known_texts_are_invalid_but_elsewhere_kept() {
        for (json, field) in [
            (r#"{"type":"ticket","email":"a@b.de","message":"x\u0000y"}"#, "message"),
            (r#"{"type":"order","email":"a@b.de","subject":"\u0000"}"#, "subject"),
            (r#"{"type":"order","email":"a\u0000@b.de"}"#, "email"),
        ] {
            assert_eq!(err(json), ("invalid_field", Some(field)), "{json}");
        }
        // An unknown field is kept as sent, escape and all: the raw payload stays JSON text.
        assert!(parse(r#"{"type":"order","email":"a@b.de","note":"\u0000"}"#).is_ok());
    }

    #[test]
    fn extra_fields_are_whatever_is_not_a_known_field() {
        let extra = extra_fields(r#"{"type":"order","email":"a@b.de","total":1,"phone":"0301","cart":[1,2]}"#);
        assert_eq!(
            serde_json::Value::Object(extra).to_string(),
            r#"{"cart":[1,2],"phone":"0301"}"#
        );
        assert!(extra_fields("[1]").is_empty());
        // Absent is absent: a form's empty fields (a real lead's honeypot) are not extra.
        let extra = extra_fields(r#"{"type":"ticket","_gotcha":null,"fax":"  ","phone":"0301","zero":0,"no":false}"#);
        assert_eq!(
            serde_json::Value::Object(extra).to_string(),
            r#"{"no":false,"phone":"0301","zero":0}"#
        );
    }

    #[test]
    fn duplicate_keys_are_rejected_not_guessed() {
        assert_eq!(
            parse(r#"{"type":"order","type":"ticket","email":"a@b.de","message":"m"}"#),
            Err(LeadError::InvalidJson(JsonProblem::DuplicateKey("type".into())))
        );
        // Escaped spellings of the same key count as the same key.
        assert_eq!(
            err(r#"{"type":"order","t\u0079pe":"order","email":"a@b.de"}"#),
            ("invalid_json", None)
        );
        assert_eq!(
            err(r#"{"type":"order","email":"a@b.de","x":1,"x":2}"#),
            ("invalid_json", None)
        );
    }

    #[test]
    fn unknown_fields_and_nested_values_are_accepted() {
        let lead = parse(r#"{"type":"order","email":"a@b.de","cart":[{"sku":"A1","qty":2}],"utm":{"source":"x"}}"#);
        assert!(lead.is_ok());
    }

    #[test]
    fn nesting_up_to_the_limit_is_fine() {
        let inner = MAX_NESTING - 1; // the payload object itself is the first level
        let body = format!(
            r#"{{"type":"order","email":"a@b.de","x":{}{},"s":"[[[[{{{{"}}"#,
            "[".repeat(inner),
            "]".repeat(inner)
        );
        assert!(parse(&body).is_ok());
        let body = format!(
            r#"{{"type":"order","email":"a@b.de","x":{}{}}}"#,
            "[".repeat(inner + 1),
            "]".repeat(inner + 1)
        );
        assert_eq!(parse(&body), Err(LeadError::InvalidJson(JsonProblem::TooDeep)));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let depth = 100_000;
        let body = format!(
            r#"{{"type":"order","email":"a@b.de","x":{}{}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        assert_eq!(err(&body), ("invalid_json", None));
    }
}
