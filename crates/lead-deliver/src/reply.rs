//! A reply of the team as an e-mail: from the company's address to the lead's sender, with the
//! conversation's `Message-ID`, `In-Reply-To` and `References` (so that the customer's mail
//! program threads it, and their answer finds its way back), text and HTML, and the
//! customer's last message quoted below.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lead_store::OutgoingReply;
use lettre::message::{Mailbox, MultiPart};
use lettre::Message;

use crate::mail::{escape, MailError, Mailer, SmtpConfig};

/// The e-mail of `reply`; times in the team's `zone`.
pub(crate) fn reply_message(reply: &OutgoingReply, zone: &lead_domain::TimeZone) -> Result<Message, String> {
    let sender =
        lead_domain::Sender::parse(&reply.from).map_err(|_| format!("the sender {:?} is no address", reply.from))?;
    let from = Mailbox::new(
        sender.name.clone(),
        sender
            .address
            .as_str()
            .parse()
            .map_err(|error| format!("the sender {:?}: {error}", reply.from))?,
    );
    let to: Mailbox = reply
        .to
        .parse()
        .map_err(|error| format!("the lead's sender {:?} cannot be written to: {error}", reply.to))?;
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(reply.subject.clone())
        .message_id(Some(format!("<{}>", reply.message_id)));
    if let Some(parent) = &reply.in_reply_to {
        builder = builder.in_reply_to(format!("<{parent}>"));
    }
    if !reply.references.is_empty() {
        let references: Vec<String> = reply.references.iter().map(|id| format!("<{id}>")).collect();
        builder = builder.references(references.join(" "));
    }
    let (text, html) = bodies(reply, zone);
    builder
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|error| error.to_string())
}

/// The reply's text and HTML: what the employee wrote, then the message it answers, quoted.
fn bodies(reply: &OutgoingReply, zone: &lead_domain::TimeZone) -> (String, String) {
    let mut text = reply.text.clone();
    let mut html = format!(
        "<!doctype html><html lang=\"de\"><head><meta charset=\"utf-8\"><title>{}</title></head><body>\
         <div style=\"white-space: pre-wrap\">{}</div>",
        escape(&reply.subject),
        escape(&reply.text)
    );
    if let Some(quoted) = &reply.quoted {
        let said = format!("Am {} schrieb {}:", quoted.at.to_german_in(zone), quoted.from);
        text.push_str(&format!("\n\n{said}\n{}\n", lead_domain::quote(&quoted.text)));
        html.push_str(&format!(
            "<p>{}</p><blockquote style=\"margin: 0 0 0 .8ex; border-left: 1px solid #ccc; padding-left: 1ex; \
             white-space: pre-wrap\">{}</blockquote>",
            escape(&said),
            escape(&quoted.text)
        ));
    }
    html.push_str("</body></html>");
    (text, html)
}

/// The mailers of the companies' own SMTP servers, by URL, made when first needed (on the
/// worker's runtime, where their connection pools live).
#[derive(Debug, Clone, Default)]
pub(crate) struct CompanyMailers {
    by_url: Arc<Mutex<HashMap<String, Mailer>>>,
}

impl CompanyMailers {
    /// The mailer for `url`; replies carry their own sender, so the one given here is only
    /// lettre's placeholder.
    pub(crate) fn get(&self, url: &str, timeout: Duration) -> Result<Mailer, MailError> {
        let mut by_url = self.by_url.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(mailer) = by_url.get(url) {
            return Ok(mailer.clone());
        }
        let mailer = Mailer::new(
            &SmtpConfig {
                url: url.to_owned(),
                from: "noreply@localhost".into(),
            },
            timeout,
        )?;
        // A company that changed its password leaves its old mailer behind: at most a few.
        if by_url.len() >= 64 {
            by_url.clear();
        }
        by_url.insert(url.to_owned(), mailer.clone());
        Ok(mailer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lead_domain::Timestamp;

    fn reply() -> OutgoingReply {
        OutgoingReply {
            from: "\"Bäckerei Schmidt\" <service@baeckerei-schmidt.de>".into(),
            to: "kunde@example.de".into(),
            subject: "Re: Lieferung am Samstag? [#T42]".into(),
            message_id: "0190abc@baeckerei-schmidt.de".into(),
            in_reply_to: Some("first@example.de".into()),
            references: vec!["first@example.de".into(), "second@example.de".into()],
            text: "Guten Tag,\n\nja, <gern>.".into(),
            written_at: Timestamp::from_millis(0),
            quoted: Some(lead_store::Quoted {
                from: "kunde@example.de".into(),
                at: Timestamp::from_millis(1_780_000_000_000),
                text: "Geht Samstag?\nDanke".into(),
            }),
            smtp_url: None,
        }
    }

    #[test]
    fn a_reply_threads_and_quotes() {
        let message = reply_message(&reply(), &lead_domain::TimeZone::UTC).unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(raw.contains("Message-ID: <0190abc@baeckerei-schmidt.de>"), "{raw}");
        assert!(raw.contains("In-Reply-To: <first@example.de>"), "{raw}");
        assert!(
            raw.contains("References: <first@example.de> <second@example.de>"),
            "{raw}"
        );
        assert!(raw.contains("To: kunde@example.de"), "{raw}");
        let (text, html) = bodies(&reply(), &lead_domain::TimeZone::UTC);
        assert!(text.starts_with("Guten Tag,\n\nja, <gern>.\n\nAm "), "{text}");
        assert!(
            text.contains("schrieb kunde@example.de:\n> Geht Samstag?\n> Danke"),
            "{text}"
        );
        assert!(
            html.contains("ja, &lt;gern&gt;.") && html.contains("<blockquote"),
            "{html}"
        );
    }

    #[test]
    fn a_reply_to_an_address_that_cannot_be_written_to_fails() {
        let mut bad = reply();
        bad.to = "not an address".into();
        assert!(reply_message(&bad, &lead_domain::TimeZone::UTC).is_err());
    }
}
