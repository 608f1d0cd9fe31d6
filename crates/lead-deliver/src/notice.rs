//! What the e-mails made here say (the team's replies are `reply.rs`): the notice of a new
//! lead, of one given to an employee and of a customer's answer, to the employee; the
//! confirmation to the sender. Text and HTML from one list of lines; every one marked
//! `Auto-Submitted: auto-generated`.

use std::fmt::Write as _;

use lead_store::{DueDelivery, Event, LeadRecord, MailTo};
use lettre::message::{Mailbox, MultiPart};
use lettre::Message;

use crate::webhook::link;

/// The e-mail of `delivery`: to an employee, the notice of a new lead (replies go to the
/// sender) or of one given to them; to the sender, the confirmation.
pub(crate) fn message(
    from: &Mailbox,
    delivery: &DueDelivery,
    public_url: &str,
    zone: &lead_domain::TimeZone,
) -> Result<Message, String> {
    let lead = delivery.lead.as_ref().ok_or("the record it is about is gone")?;
    let (email, title) = match lead {
        LeadRecord::Order(order) => (&order.email, &order.title),
        LeadRecord::Ticket(ticket) => (&ticket.email, &ticket.title),
    };
    let sender: Option<Mailbox> = email.parse().ok();
    let builder = Message::builder().from(from.clone());
    let (builder, subject, lines) = match (&delivery.mail_to, delivery.event) {
        (Some(MailTo::Employee { name, email: to, .. }), Event::OrderCreated | Event::TicketCreated) => {
            let to = Mailbox::new(Some(name.clone()), to.parse().map_err(|e| format!("{to:?}: {e}"))?);
            let mut builder = builder.to(to);
            if let Some(sender) = sender {
                builder = builder.reply_to(sender);
            }
            let subject = match lead {
                LeadRecord::Order(order) => format!("Neue Bestellung über {}", order.total),
                LeadRecord::Ticket(ticket) => format!("Neues Ticket: „{}“", ticket.title),
            };
            (builder, subject, notice(lead, public_url, zone))
        }
        (Some(MailTo::Employee { name, email: to, .. }), Event::OrderOwnerChanged | Event::TicketOwnerChanged) => {
            let to = Mailbox::new(Some(name.clone()), to.parse().map_err(|e| format!("{to:?}: {e}"))?);
            let said = lead_present::german::assigned(lead);
            let mut lines = notice(lead, public_url, zone);
            lines.insert(0, Line::Text(said.body));
            (builder.to(to), format!("Ihnen zugewiesen: „{title}“"), lines)
        }
        (Some(MailTo::Employee { name, email: to, .. }), Event::Answered) => {
            let to = Mailbox::new(Some(name.clone()), to.parse().map_err(|e| format!("{to:?}: {e}"))?);
            let said = lead_present::german::event(Event::Answered, lead);
            let mut lines = notice(lead, public_url, zone);
            lines.insert(0, Line::Text(format!("{}.", said.title)));
            (builder.to(to), format!("Neue Antwort zu „{title}“"), lines)
        }
        (Some(MailTo::Sender(_)), Event::Confirmation) => {
            let to = sender.ok_or_else(|| format!("the sender's address {email:?} cannot be written to"))?;
            let company = delivery.company_name.as_deref().unwrap_or("uns");
            (
                builder.to(to),
                format!("Eingangsbestätigung: „{title}“"),
                confirmation(lead, company),
            )
        }
        (None, _) => return Err("the employee no longer gets e-mail (deactivated, or turned it off)".into()),
        (Some(to), event) => return Err(format!("no e-mail for {event} to {to:?}")),
    };
    let text = lines_as_text(&lines);
    let html = lines_as_html(&subject, &lines);
    builder
        .header(AutoSubmitted)
        .subject(subject)
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|error| error.to_string())
}

/// `Auto-Submitted: auto-generated` (RFC 3834): every e-mail made here (not the team's
/// replies) is a machine's, and says so — an auto-responder does not answer it, and should it
/// come into a company's mailbox (an employee's address forwarding there), it is filed as
/// automatic, telling no one: no notice begets a notice.
#[derive(Debug, Clone, Copy)]
struct AutoSubmitted;

impl lettre::message::header::Header for AutoSubmitted {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(said: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        match said.trim().eq_ignore_ascii_case("auto-generated") {
            true => Ok(AutoSubmitted),
            false => Err(format!("not auto-generated: {said:?}").into()),
        }
    }

    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

/// One line of an e-mail: a heading, a field, a block of text, a link, or a sentence.
enum Line {
    Heading(String),
    Field(String, String),
    Block(String, String),
    Link(String, String),
    Text(String),
}

/// The notice to an employee: every field, custom ones too, and the link to the dashboard.
/// What the team's e-mail about `lead` says; times in the team's `zone`.
fn notice(lead: &LeadRecord, public_url: &str, zone: &lead_domain::TimeZone) -> Vec<Line> {
    let mut lines = Vec::new();
    let (payload, message) = match lead {
        LeadRecord::Order(order) => {
            lines.push(Line::Heading(lead_domain::order_notification(order.total).to_string()));
            lines.push(Line::Field("Betreff".into(), order.title.clone()));
            lines.push(Line::Field("E-Mail".into(), order.email.clone()));
            lines.push(Line::Field("Betrag".into(), order.total.to_string()));
            lines.push(Line::Field("Eingegangen".into(), order.created_at.to_german_in(zone)));
            (&order.payload, order.message.clone())
        }
        LeadRecord::Ticket(ticket) => {
            lines.push(Line::Heading(
                lead_domain::ticket_notification(&ticket.title, &ticket.email).to_string(),
            ));
            lines.push(Line::Field("Betreff".into(), ticket.title.clone()));
            lines.push(Line::Field("E-Mail".into(), ticket.email.clone()));
            lines.push(Line::Field("Eingegangen".into(), ticket.created_at.to_german_in(zone)));
            (&ticket.payload, Some(ticket.message.clone()))
        }
    };
    for (name, value) in lead_domain::extra_fields(payload) {
        let value = match value {
            serde_json::Value::String(text) => text,
            other => other.to_string(),
        };
        lines.push(Line::Field(name, value));
    }
    if let Some(message) = message {
        lines.push(Line::Block("Nachricht".into(), message));
    }
    // Behind the dashboard's login: an e-mail is forwarded more easily than a webhook's body.
    let base = public_url.trim_end_matches('/');
    for file in lead.attachments() {
        lines.push(Line::Link(
            format!(
                "Anhang „{}“ ({})",
                file.filename,
                lead_present::german::file_size(file.size as u64)
            ),
            format!("{base}/app/anhaenge/{}", file.id),
        ));
    }
    lines.push(Line::Link("Im CRM öffnen".into(), link(public_url, lead)));
    lines.push(Line::Text(
        "Eine Antwort auf diese E-Mail geht an den Absender der Anfrage.".into(),
    ));
    lines
}

/// The confirmation to the sender: what arrived, with a copy of the message.
fn confirmation(lead: &LeadRecord, company: &str) -> Vec<Line> {
    let mut lines = vec![
        Line::Text("Guten Tag,".into()),
        Line::Text(format!(
            "vielen Dank! Ihre Nachricht ist bei {company} eingegangen und wird bearbeitet."
        )),
    ];
    match lead {
        LeadRecord::Order(order) => {
            lines.push(Line::Field("Betreff".into(), order.title.clone()));
            lines.push(Line::Field("Betrag".into(), order.total.to_string()));
            if let Some(message) = &order.message {
                lines.push(Line::Block("Ihre Nachricht".into(), message.clone()));
            }
        }
        LeadRecord::Ticket(ticket) => {
            lines.push(Line::Field("Betreff".into(), ticket.title.clone()));
            lines.push(Line::Block("Ihre Nachricht".into(), ticket.message.clone()));
        }
    }
    lines.push(Line::Text("Diese E-Mail wurde automatisch versandt.".into()));
    lines
}

fn lines_as_text(lines: &[Line]) -> String {
    let mut text = String::new();
    for line in lines {
        let _ = match line {
            Line::Heading(heading) => writeln!(text, "{heading}\n"),
            Line::Field(name, value) => writeln!(text, "{name}: {value}"),
            Line::Block(name, block) => writeln!(text, "\n{name}:\n{block}\n"),
            Line::Link(name, url) => writeln!(text, "\n{name}: {url}"),
            Line::Text(sentence) => writeln!(text, "\n{sentence}"),
        };
    }
    text
}

fn lines_as_html(title: &str, lines: &[Line]) -> String {
    let mut html = format!(
        "<!doctype html><html lang=\"de\"><head><meta charset=\"utf-8\"><title>{}</title></head><body>",
        escape(title)
    );
    let mut fields = String::new();
    let flush = |html: &mut String, fields: &mut String| {
        if !fields.is_empty() {
            let _ = write!(html, "<table>{fields}</table>");
            fields.clear();
        }
    };
    for line in lines {
        if let Line::Field(name, value) = line {
            let _ = write!(
                fields,
                "<tr><th align=\"left\">{}</th><td>{}</td></tr>",
                escape(name),
                escape(value)
            );
            continue;
        }
        flush(&mut html, &mut fields);
        let _ = match line {
            Line::Heading(heading) => write!(html, "<h1>{}</h1>", escape(heading)),
            Line::Block(name, block) => write!(
                html,
                "<h2>{}</h2><p style=\"white-space: pre-wrap\">{}</p>",
                escape(name),
                escape(block)
            ),
            Line::Link(name, url) => write!(html, "<p><a href=\"{}\">{}</a></p>", escape(url), escape(name)),
            Line::Text(sentence) => write!(html, "<p>{}</p>", escape(sentence)),
            Line::Field(..) => Ok(()),
        };
    }
    flush(&mut html, &mut fields);
    html.push_str("</body></html>");
    html
}

/// Text as HTML: `<`, `>`, `&` and quotes escaped.
pub(crate) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '&' => escaped.push_str("&amp;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        let html = lines_as_html(
            "<b>",
            &[
                Line::Field("x".into(), "<script>alert('1')</script>".into()),
                Line::Link("Öffnen".into(), "https://crm.example.de/app?a=1&b=\"2\"".into()),
            ],
        );
        assert!(!html.contains("<script>") && !html.contains("<b>"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(&#39;1&#39;)&lt;/script&gt;"),
            "{html}"
        );
        assert!(
            html.contains("href=\"https://crm.example.de/app?a=1&amp;b=&quot;2&quot;\""),
            "{html}"
        );
    }
}
