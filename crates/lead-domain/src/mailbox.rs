//! A company's mailbox as its admins write it down: the IMAP URL it is read at, the address
//! replies leave from, and the SMTP URL they leave by. Checked here, without I/O, so that the
//! command line, the dashboard and the workers agree on what is valid.

use std::fmt;

use crate::Email;

/// How the connection to the IMAP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailSecurity {
    /// TLS from the first byte (`imaps://`, port 993).
    Tls,
    /// STARTTLS before the login (`imap://…?tls=required`, port 143).
    StartTls,
    /// None (`imap://`): only for a server on this machine or in tests.
    Plain,
}

/// Where a mailbox is read: `imaps://user:password@host[:port]/FOLDER`.
#[derive(Clone, PartialEq, Eq)]
pub struct ImapUrl {
    /// How the connection is protected.
    pub security: MailSecurity,
    /// The server's name or address.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// The login.
    pub user: String,
    /// The password.
    pub password: String,
    /// The folder read (`INBOX` unless the URL names one).
    pub folder: String,
}

impl fmt::Debug for ImapUrl {
    /// Without the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown())
    }
}

/// Why a mailbox setting cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailboxError {
    /// The IMAP URL is not one.
    #[error("the IMAP URL {0}: write imaps://user:password@host[:port]/FOLDER or imap://user:password@host[:port]/FOLDER?tls=required")]
    Imap(String),
    /// The sender is not an address.
    #[error("the sender {0:?} is not an e-mail address (write \"Name <address@example.de>\" or address@example.de)")]
    From(String),
    /// The SMTP URL is not one.
    #[error("the SMTP URL {0}: write smtps://user:password@host:465, smtp://user:password@host:587?tls=required or smtp://host:25")]
    Smtp(String),
}

impl MailboxError {
    /// The same in German, for the dashboard.
    pub fn german(&self) -> &'static str {
        match self {
            MailboxError::Imap(_) => {
                "Die IMAP-Adresse ist ungültig. Schreiben Sie imaps://benutzer:passwort@server/INBOX."
            }
            MailboxError::From(_) => {
                "Die Absenderadresse ist ungültig. Schreiben Sie „Name <adresse@beispiel.de>“ oder adresse@beispiel.de."
            }
            MailboxError::Smtp(_) => {
                "Die SMTP-Adresse ist ungültig. Schreiben Sie smtps://benutzer:passwort@server:465 oder smtp://benutzer:passwort@server:587?tls=required."
            }
        }
    }
}

impl ImapUrl {
    /// Parses an IMAP URL. The login and the password are required (percent-encoded where
    /// they hold `@`, `:` or `/`); the folder is the path, `INBOX` when there is none.
    pub fn parse(text: &str) -> Result<ImapUrl, MailboxError> {
        let bad = |why: &str| MailboxError::Imap(why.to_owned());
        let url = url::Url::parse(text.trim()).map_err(|error| bad(&format!("cannot be read ({error})")))?;
        let mut tls_required = false;
        for (name, value) in url.query_pairs() {
            match (&*name, &*value) {
                ("tls", "required") => tls_required = true,
                _ => return Err(bad(&format!("has an unknown parameter {name}={value}"))),
            }
        }
        let (security, default_port) = match (url.scheme(), tls_required) {
            ("imaps", _) => (MailSecurity::Tls, 993),
            ("imap", true) => (MailSecurity::StartTls, 143),
            ("imap", false) => (MailSecurity::Plain, 143),
            (scheme, _) => return Err(bad(&format!("has the scheme {scheme:?}, not imaps or imap"))),
        };
        let host = url
            .host_str()
            .filter(|host| !host.is_empty())
            .ok_or_else(|| bad("names no server"))?;
        let decode = |part: &str| {
            percent_decode(part).ok_or_else(|| bad("has a login or password that is not UTF-8 once decoded"))
        };
        let user = decode(url.username())?;
        let password = decode(url.password().unwrap_or(""))?;
        if user.is_empty() || password.is_empty() {
            return Err(bad("needs the login and the password (imaps://user:password@host)"));
        }
        let folder = decode(url.path().trim_start_matches('/'))?;
        if folder.contains(['\r', '\n', '"', '\\']) {
            return Err(bad("names a folder with a quote, backslash or line break"));
        }
        Ok(ImapUrl {
            security,
            host: host.trim_start_matches('[').trim_end_matches(']').to_owned(),
            port: url.port().unwrap_or(default_port),
            user,
            password,
            folder: if folder.is_empty() { "INBOX".into() } else { folder },
        })
    }

    /// The server's address, as connected to and said in errors: `mail.example.de:993`.
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// The URL without the password, for lists and logs: `imaps://service@mail.example.de:993/INBOX`.
    pub fn shown(&self) -> String {
        let scheme = match self.security {
            MailSecurity::Tls => "imaps",
            MailSecurity::StartTls | MailSecurity::Plain => "imap",
        };
        let tls = if self.security == MailSecurity::StartTls {
            "?tls=required"
        } else {
            ""
        };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!("{scheme}://{}@{host}:{}/{}{tls}", self.user, self.port, self.folder)
    }
}

/// The address replies leave from: `Bäckerei Schmidt <service@baeckerei-schmidt.de>` or a
/// bare address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    /// The name shown (none for a bare address).
    pub name: Option<String>,
    /// The address.
    pub address: Email,
}

impl Sender {
    /// Parses `Name <address>` (the name may be quoted) or a bare address.
    pub fn parse(text: &str) -> Result<Sender, MailboxError> {
        let bad = || MailboxError::From(text.to_owned());
        let text = text.trim();
        if text.contains(['\r', '\n']) {
            return Err(bad());
        }
        let (name, address) = match text.strip_suffix('>').and_then(|rest| rest.rsplit_once('<')) {
            Some((name, address)) => {
                let name = name.trim();
                let name = name
                    .strip_prefix('"')
                    .and_then(|n| n.strip_suffix('"'))
                    .unwrap_or(name)
                    .trim();
                (Some(name).filter(|n| !n.is_empty()).map(str::to_owned), address)
            }
            None => (None, text),
        };
        let address = Email::parse(address).map_err(|_| bad())?;
        if address.as_str().contains(['<', '>', ' ']) {
            return Err(bad());
        }
        Ok(Sender { name, address })
    }

    /// The domain of the address (the right-hand side of Message-IDs made for it).
    pub fn domain(&self) -> &str {
        self.address
            .as_str()
            .rsplit_once('@')
            .map_or("localhost", |(_, domain)| domain)
    }
}

impl fmt::Display for Sender {
    /// `"Bäckerei Schmidt" <service@baeckerei-schmidt.de>`, or the bare address.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "\"{}\" <{}>", name.replace(['"', '\\'], ""), self.address),
            None => write!(f, "{}", self.address),
        }
    }
}

/// Where a company's replies leave: an SMTP URL in lettre's format — `smtps://` (TLS, port
/// 465), `smtp://…?tls=required` (STARTTLS, port 587) or a plain `smtp://` (port 25), which
/// must not carry a password to another machine.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl {
    /// How the connection is protected.
    pub security: MailSecurity,
    /// The server's name or address.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// The login and password, if it asks for them.
    pub credentials: Option<(String, String)>,
}

impl fmt::Debug for SmtpUrl {
    /// Without the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpUrl")
            .field("security", &self.security)
            .field("host", &self.host)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl SmtpUrl {
    /// Parses an SMTP URL (percent-encoded login and password, as lettre reads them).
    pub fn parse(text: &str) -> Result<SmtpUrl, MailboxError> {
        let bad = |why: String| MailboxError::Smtp(why);
        let url = url::Url::parse(text.trim()).map_err(|error| bad(format!("cannot be read ({error})")))?;
        let tls_required = url
            .query_pairs()
            .any(|(name, value)| name == "tls" && value == "required");
        let (security, default_port) = match (url.scheme(), tls_required) {
            ("smtps", _) => (MailSecurity::Tls, 465),
            ("smtp", true) => (MailSecurity::StartTls, 587),
            ("smtp", false) => (MailSecurity::Plain, 25),
            (scheme, _) => return Err(bad(format!("has the scheme {scheme:?}, not smtps or smtp"))),
        };
        let host = url
            .host_str()
            .filter(|host| !host.is_empty())
            .ok_or_else(|| bad("names no server".into()))?;
        let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
        let decode =
            |part: &str| percent_decode(part).ok_or_else(|| bad("has a login or password that is not UTF-8".into()));
        let credentials = match (url.username(), url.password()) {
            ("", None) => None,
            (user, password) => Some((decode(user)?, decode(password.unwrap_or(""))?)),
        };
        let local = matches!(host.as_str(), "localhost" | "127.0.0.1" | "::1");
        if credentials.is_some() && security == MailSecurity::Plain && !local {
            return Err(bad(
                "would send the user and password unencrypted: use smtps:// or add ?tls=required".into(),
            ));
        }
        Ok(SmtpUrl {
            security,
            host,
            port: url.port().unwrap_or(default_port),
            credentials,
        })
    }
}

/// `%40` → `@`; `None` when the bytes are not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |at: usize| bytes.get(at).and_then(|b| (*b as char).to_digit(16));
        match (bytes[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(high), Some(low)) => {
                decoded.push((high * 16 + low) as u8);
                i += 3;
            }
            (byte, ..) => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(decoded).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imap_urls() {
        let url = ImapUrl::parse("imaps://service%40example.de:p%2Fss@mail.example.de/Kunden").unwrap();
        assert_eq!(url.security, MailSecurity::Tls);
        assert_eq!((url.host.as_str(), url.port), ("mail.example.de", 993));
        assert_eq!(
            (url.user.as_str(), url.password.as_str()),
            ("service@example.de", "p/ss")
        );
        assert_eq!(url.folder, "Kunden");
        assert_eq!(url.shown(), "imaps://service@example.de@mail.example.de:993/Kunden");
        assert!(!format!("{url:?}").contains("p/ss"));

        let url = ImapUrl::parse("imap://u:p@127.0.0.1:1143?tls=required").unwrap();
        assert_eq!(
            (url.security, url.port, url.folder.as_str()),
            (MailSecurity::StartTls, 1143, "INBOX")
        );
        assert_eq!(
            ImapUrl::parse("imap://u:p@[::1]:1143/").unwrap().security,
            MailSecurity::Plain
        );
        assert_eq!(
            ImapUrl::parse("imap://u:p@[::1]:1143/").unwrap().shown(),
            "imap://u@[::1]:1143/INBOX"
        );

        for bad in [
            "",
            "mail.example.de",
            "https://u:p@mail.example.de/",
            "imaps://mail.example.de/",
            "imaps://u@mail.example.de/",
            "imaps://u:p@mail.example.de/?tls=maybe",
            "imaps://u:p@mail.example.de/a%22b",
        ] {
            assert!(matches!(ImapUrl::parse(bad), Err(MailboxError::Imap(_))), "{bad}");
        }
    }

    #[test]
    fn senders() {
        let sender = Sender::parse("Bäckerei Schmidt <service@baeckerei-schmidt.de>").unwrap();
        assert_eq!(sender.name.as_deref(), Some("Bäckerei Schmidt"));
        assert_eq!(sender.address.as_str(), "service@baeckerei-schmidt.de");
        assert_eq!(sender.domain(), "baeckerei-schmidt.de");
        assert_eq!(
            sender.to_string(),
            "\"Bäckerei Schmidt\" <service@baeckerei-schmidt.de>"
        );
        let quoted = Sender::parse("\"Schmidt, Bäckerei\" <a@b.de>").unwrap();
        assert_eq!(quoted.name.as_deref(), Some("Schmidt, Bäckerei"));
        let bare = Sender::parse(" a@b.de ").unwrap();
        assert_eq!((bare.name.clone(), bare.to_string()), (None, "a@b.de".to_owned()));
        for bad in [
            "",
            "Schmidt",
            "Schmidt <>",
            "<a@b.de",
            "a@b.de\r\nBcc: x@y.de",
            "A <a@b.de> x",
        ] {
            assert!(Sender::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn smtp_urls() {
        let url = SmtpUrl::parse("smtps://service%40example.de:p%2Fss@mail.example.de").unwrap();
        assert_eq!((url.security, url.port), (MailSecurity::Tls, 465));
        assert_eq!(url.credentials, Some(("service@example.de".into(), "p/ss".into())));
        assert!(!format!("{url:?}").contains("p/ss"));
        let url = SmtpUrl::parse("smtp://u:p@mail.example.de:2587?tls=required").unwrap();
        assert_eq!((url.security, url.port), (MailSecurity::StartTls, 2587));
        assert_eq!(
            SmtpUrl::parse("smtp://u:p@127.0.0.1:2525").unwrap().security,
            MailSecurity::Plain
        );
        let relay = SmtpUrl::parse("smtp://mail.example.de").unwrap();
        assert_eq!((relay.port, relay.credentials), (25, None));
        for bad in ["", "http://x", "smtp://u:p@mail.example.de:587", "smtp:///x"] {
            assert!(SmtpUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
