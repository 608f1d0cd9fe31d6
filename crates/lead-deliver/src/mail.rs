//! E-mail through an SMTP server (lettre, rustls, pooled connections): the notices of the
//! outbox (what they say is `notice.rs`) and the team's replies, each from its sender.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use lead_store::DueDelivery;
use lettre::message::Mailbox;
use lettre::transport::smtp::Error as SmtpError;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::notice::message;

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

#[cfg(test)]
mod tests {
    use super::*;

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
