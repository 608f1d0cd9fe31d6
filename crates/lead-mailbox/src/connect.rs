//! Reaching a company's mailbox: the server's name resolved to a public address (unless
//! private targets are allowed) and connected to there, TLS from the first byte or after
//! STARTTLS (rustls, the web's roots), the login, the folder selected. What went wrong is said
//! in German, for the admins' page.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use async_imap::{Client, Session};
use lead_domain::{ImapUrl, MailSecurity};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// The connection under IMAP: TCP, or TLS over it.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug> Io for T {}

/// A logged-in session with the folder selected.
pub(crate) type Opened = Session<Box<dyn Io>>;

/// Why a mailbox could not be read, in the words its admins read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// The name does not resolve, or not to a public address.
    #[error(
        "Der Mailserver „{0}“ ist nicht erreichbar (der Name ist unbekannt oder führt zu keiner öffentlichen Adresse)."
    )]
    Unreachable(String),
    /// No TCP connection.
    #[error("Keine Verbindung zum Mailserver {0}: {1}")]
    Connect(String, String),
    /// TLS failed (a certificate that is not the server's, no TLS offered).
    #[error("Die verschlüsselte Verbindung zum Mailserver {0} kam nicht zustande: {1}")]
    Tls(String, String),
    /// The server refused the login.
    #[error("Der Mailserver hat die Anmeldung abgelehnt: Benutzername oder Passwort stimmen nicht.")]
    Login,
    /// No such folder.
    #[error("Den Ordner „{0}“ gibt es in diesem Postfach nicht.")]
    Folder(String),
    /// The server broke off or said something unexpected.
    #[error("Der Mailserver antwortete unerwartet: {0}")]
    Protocol(String),
    /// No answer in time.
    #[error("Der Mailserver antwortete nicht innerhalb von {0} Sekunden.")]
    Timeout(u64),
}

/// Opens `url`'s folder: connected, protected as the URL says, logged in, selected. The
/// folder's `UIDVALIDITY` with it.
pub(crate) async fn open(url: &ImapUrl, allow_private: bool) -> Result<(Opened, Option<u32>), CheckError> {
    let address = address(&url.host, url.port, allow_private).await?;
    let where_ = format!("{}:{}", url.host, url.port);
    let tcp = TcpStream::connect(address)
        .await
        .map_err(|error| CheckError::Connect(where_.clone(), error.to_string()))?;
    let protocol = |error: async_imap::error::Error| broken(error, &where_);
    let client: Client<Box<dyn Io>> = match url.security {
        MailSecurity::Tls => {
            let tls = tls(&url.host, tcp)
                .await
                .map_err(|error| CheckError::Tls(where_.clone(), error))?;
            greeted(Client::new(Box::new(tls) as Box<dyn Io>), &where_).await?
        }
        MailSecurity::StartTls => {
            let mut plain = greeted(Client::new(tcp), &where_).await?;
            plain
                .run_command_and_check_ok("STARTTLS", None)
                .await
                .map_err(|error| CheckError::Tls(where_.clone(), error.to_string()))?;
            let tls = tls(&url.host, plain.into_inner())
                .await
                .map_err(|error| CheckError::Tls(where_.clone(), error))?;
            // No greeting after STARTTLS.
            Client::new(Box::new(tls) as Box<dyn Io>)
        }
        MailSecurity::Plain => greeted(Client::new(Box::new(tcp) as Box<dyn Io>), &where_).await?,
    };
    let mut session = client
        .login(&url.user, &url.password)
        .await
        .map_err(|(error, _)| match error {
            async_imap::error::Error::No(_) | async_imap::error::Error::Bad(_) => CheckError::Login,
            other => protocol(other),
        })?;
    let folder = session.select(&url.folder).await.map_err(|error| match error {
        async_imap::error::Error::No(_) | async_imap::error::Error::Bad(_) => CheckError::Folder(url.folder.clone()),
        other => protocol(other),
    })?;
    Ok((session, folder.uid_validity))
}

/// Reads the server's greeting.
async fn greeted<T: Io>(mut client: Client<T>, where_: &str) -> Result<Client<T>, CheckError> {
    match client.read_response().await {
        Ok(Some(_)) => Ok(client),
        Ok(None) => Err(CheckError::Connect(
            where_.to_owned(),
            "closed before it greeted".into(),
        )),
        Err(error) => Err(CheckError::Connect(where_.to_owned(), error.to_string())),
    }
}

/// An IMAP error as said: a connection that broke, or something the server should not say.
fn broken(error: async_imap::error::Error, where_: &str) -> CheckError {
    match error {
        async_imap::error::Error::Io(error) => CheckError::Connect(where_.to_owned(), error.to_string()),
        async_imap::error::Error::ConnectionLost => {
            CheckError::Connect(where_.to_owned(), "the connection broke off".into())
        }
        other => CheckError::Protocol(other.to_string()),
    }
}

/// TLS over `tcp` to `host`, its certificate checked against the web's roots.
async fn tls<T: AsyncRead + AsyncWrite + Unpin>(
    host: &str,
    tcp: T,
) -> Result<tokio_rustls::client::TlsStream<T>, String> {
    let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|error| error.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(host.to_owned()).map_err(|error| error.to_string())?;
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|error| error.to_string())
}

/// The address to connect to `host` at, resolved now: public only unless `allow_private` — a
/// company's admin must not reach into the server's network through its mailbox.
async fn address(host: &str, port: u16, allow_private: bool) -> Result<SocketAddr, CheckError> {
    let unreachable = || CheckError::Unreachable(host.to_owned());
    let found: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| unreachable())?
            .collect(),
    };
    // One private address among public ones is refused too: the connection could pick it.
    if found.is_empty() || (!allow_private && found.iter().any(|found| !lead_domain::is_public(found.ip()))) {
        return Err(unreachable());
    }
    Ok(found[0])
}

/// How long a check may take at most.
pub(crate) fn deadline(timeout: Duration) -> CheckError {
    CheckError::Timeout(timeout.as_secs())
}
