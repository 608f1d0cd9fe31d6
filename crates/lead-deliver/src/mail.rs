//! E-mail through an SMTP server (lettre, rustls, pooled connections): the German notice of a
//! new lead to each employee who wants one, and the optional confirmation to the sender.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use lead_store::{DueDelivery, Event, LeadRecord, MailTo};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::Error as SmtpError;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::webhook::link;

/// Where e-mail goes out.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    /// lettre's URL: `smtps://user:pass@host:465` (TLS), `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS), `smtp://host:25` (plain, a local relay only).
    pub url: String,
    /// The sender: `CRM <crm@example.de>` or `crm@example.de`.
    pub from: String,
}

impl std::fmt::Debug for SmtpConfig {
    /// Without the URL, which may hold the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl SmtpConfig {
    /// Whether the URL and the sender can be used (without connecting). A password is never
    /// sent in the clear to another machine: `smtp://` with credentials needs `?tls=required`
    /// unless the server is this machine.
    pub fn check(&self) -> Result<(), MailError> {
        lead_domain::SmtpUrl::parse(&self.url).map_err(|error| MailError::Url(error.to_string()))?;
        self.parts().map(drop)
    }

    /// The sender and lettre's transport builder, as written.
    fn parts(&self) -> Result<(Mailbox, lettre::transport::smtp::AsyncSmtpTransportBuilder), MailError> {
        let from = self
            .from
            .trim()
            .parse::<Mailbox>()
            .map_err(|error| MailError::From(format!("{:?}: {error}", self.from)))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(self.url.trim())
            .map_err(|error| MailError::Url(error.to_string()))?;
        Ok((from, transport))
    }
}

/// An SMTP configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The URL is not lettre's format.
    #[error("[smtp] url: {0} (smtps://user:pass@host:465, smtp://user:pass@host:587?tls=required or smtp://host:25)")]
    Url(String),
    /// The sender is not an address.
    #[error("[smtp] from is not an e-mail address: {0}")]
    From(String),
}

/// Sends e-mail through one SMTP server.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password: never shown.
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// A mailer for `config`, each connection attempt given `timeout` (the worker gives each
    /// whole e-mail a deadline too). Call it inside a Tokio runtime: its pool runs there.
    pub fn new(config: &SmtpConfig, timeout: Duration) -> Result<Mailer, MailError> {
        config.check()?;
        let (from, transport) = config.parts()?;
        let transport = transport.timeout(Some(timeout)).build();
        Ok(Mailer { transport, from })
    }

    /// A mailer on `transport` for replies, which carry their own sender.
    pub(crate) fn with_transport(transport: AsyncSmtpTransport<Tokio1Executor>) -> Mailer {
        Mailer {
            transport,
            from: Mailbox::new(
                None,
                lettre::Address::new("noreply", "localhost").expect("a valid address"),
            ),
        }
    }

    /// Sends the e-mail `delivery` stands for.
    pub(crate) async fn send(
        &self,
        delivery: &DueDelivery,
        public_url: &str,
        zone: &lead_domain::TimeZone,
    ) -> MailAnswer {
        self.send_made(message(&self.from, delivery, public_url, zone)).await
    }

    /// Sends the reply `delivery` stands for, from the company's address.
    pub(crate) async fn send_reply(
        &self,
        reply: &lead_store::OutgoingReply,
        zone: &lead_domain::TimeZone,
    ) -> MailAnswer {
        self.send_made(crate::reply::reply_message(reply, zone)).await
    }

    /// Sends an e-mail, or fails for good when it could not be made.
    async fn send_made(&self, made: Result<Message, String>) -> MailAnswer {
        let started = Instant::now();
        let message = match made {
            Ok(message) => message,
            Err(error) => {
                return MailAnswer {
                    code: None,
                    error: Some(error),
                    permanent: true,
                    duration: started.elapsed(),
                }
            }
        };
        match self.transport.send(message).await {
            Ok(response) => MailAnswer {
                code: code_of(&response.code().to_string()),
                error: None,
                permanent: false,
                duration: started.elapsed(),
            },
            Err(error) => {
                // An address beyond ASCII (jürgen@beispiel.de) to a relay that does not offer
                // SMTPUTF8 (RFC 6531): lettre refuses before sending, and asking again will not
                // change the relay.
                let unicode = error.is_client() && error.to_string().contains("SMTPUTF8");
                MailAnswer {
                    code: error.status().and_then(|code| code_of(&code.to_string())),
                    permanent: error.is_permanent() || unicode,
                    error: Some(match unicode {
                        true => format!(
                            "the relay does not offer SMTPUTF8, which an address beyond ASCII needs (RFC 6531): {}",
                            describe(&error)
                        ),
                        false => describe(&error),
                    }),
                    duration: started.elapsed(),
                }
            }
        }
    }
}

/// What came of one e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MailAnswer {
    /// The server's reply code.
    pub(crate) code: Option<i32>,
    /// What went wrong, with the server's words.
    pub(crate) error: Option<String>,
    /// A 5xx (or an e-mail that cannot be made): trying again will not help.
    pub(crate) permanent: bool,
    /// How long it took.
    pub(crate) duration: Duration,
}

fn code_of(text: &str) -> Option<i32> {
    text.parse().ok()
}

/// The error and its causes in one line.
fn describe(error: &SmtpError) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let _ = write!(text, ": {cause}");
        source = cause.source();
    }
    text
}

/// The e-mail of `delivery`: to an employee, the notice of a new lead (replies go to the
/// sender) or of one given to them; to the sender, the confirmation.
fn message(
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
        .subject(subject)
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|error| error.to_string())
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

    #[tokio::test]
    async fn a_bad_configuration_is_refused() {
        let timeout = Duration::from_secs(1);
        let config = |url: &str, from: &str| SmtpConfig {
            url: url.into(),
            from: from.into(),
        };
        assert!(matches!(
            Mailer::new(&config("smtp://127.0.0.1:25", "nobody"), timeout),
            Err(MailError::From(_))
        ));
        assert!(matches!(
            Mailer::new(&config("http://x", "crm@example.de"), timeout),
            Err(MailError::Url(_))
        ));
        assert!(Mailer::new(
            &config("smtps://u:p@mail.example.de:465", "CRM <crm@example.de>"),
            timeout
        )
        .is_ok());
        assert!(Mailer::new(
            &config("smtp://u:p@mail.example.de:587?tls=required", "crm@example.de"),
            timeout
        )
        .is_ok());
        let plain = config("smtp://u:p@mail.example.de:587", "crm@example.de");
        assert!(
            matches!(plain.check(), Err(MailError::Url(_))),
            "a password in the clear"
        );
        assert!(config("smtp://u:p@127.0.0.1:25", "crm@example.de").check().is_ok());
        assert!(config("smtp://mail.example.de:25", "crm@example.de").check().is_ok());
        let debug = format!("{:?}", config("smtps://u:s3cret@mail.example.de", "crm@example.de"));
        assert!(!debug.contains("s3cret"), "{debug}");
    }
}
