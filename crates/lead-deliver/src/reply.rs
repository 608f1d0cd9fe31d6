//! A reply of the team as an e-mail: from the company's address to the lead's sender, with the
//! conversation's `Message-ID`, `In-Reply-To` and `References` (so that the customer's mail
//! program threads it, and their answer finds its way back), text and HTML, and the
//! customer's last message quoted below.

use std::time::Duration;

use lead_domain::{MailSecurity, SmtpUrl};
use lead_store::OutgoingReply;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, Message, Tokio1Executor};

use crate::mail::{MailAnswer, Mailer};
use crate::notice::escape;
use crate::DeliverConfig;

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

/// A mailer for a company's own SMTP server at `url`: connected to the address its name
/// resolves to now — public only, unless private targets are allowed — with the name kept for
/// TLS. Refused: the answer to record (a name that does not resolve now is tried again later).
pub(crate) async fn company_mailer(url: &str, config: &DeliverConfig) -> Result<Mailer, MailAnswer> {
    let refused = |error: String, permanent: bool| MailAnswer {
        code: None,
        error: Some(error),
        permanent,
        duration: Duration::ZERO,
    };
    let url = SmtpUrl::parse(url).map_err(|error| refused(format!("the company's SMTP URL: {error}"), true))?;
    let address = crate::guard::mail_server_address(&url.host, url.port, config.allow_private)
        .await
        .map_err(|error| {
            // Said as for webhooks: never where the name leads.
            let permanent = !matches!(error, crate::GuardError::Unresolved(..));
            refused(
                format!("the company's SMTP server: {}", crate::guard::UNREACHABLE),
                permanent,
            )
        })?;
    let tls = |url: &SmtpUrl| TlsParameters::new(url.host.clone());
    let security = match url.security {
        MailSecurity::Tls => Tls::Wrapper(tls(&url).map_err(|error| refused(error.to_string(), true))?),
        MailSecurity::StartTls => Tls::Required(tls(&url).map_err(|error| refused(error.to_string(), true))?),
        MailSecurity::Plain => Tls::None,
    };
    let mut transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(address.ip().to_string())
        .port(address.port())
        .tls(security)
        .timeout(Some(config.timeout));
    if let Some((user, password)) = url.credentials {
        transport = transport.credentials(Credentials::new(user, password));
    }
    Ok(Mailer::with_transport(transport.build()))
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
