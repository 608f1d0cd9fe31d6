//! Reaching a company's mailbox: the server's name resolved to public addresses (unless
//! private targets are allowed) and connected to there, TLS from the first byte or after
//! STARTTLS (rustls, the web's roots), the login, the folder selected. What went wrong is said
//! in fixed German sentences for the admins' page — never what the system or the server said,
//! which goes to the log (a company's admin must not read other servers' banners through it).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use async_imap::error::Error as ImapError;
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
    /// Plain `imap://` without private targets allowed: the password would cross the network
    /// in the clear.
    #[error("Ohne Verschlüsselung ginge das Passwort im Klartext über das Netz: verwenden Sie imaps://.")]
    Plain,
    /// No TCP connection, or it broke off.
    #[error("Keine Verbindung zum Mailserver {0}.")]
    Connect(String),
    /// TLS failed (a certificate that is not the server's, no TLS offered).
    #[error("Die verschlüsselte Verbindung zum Mailserver {0} kam nicht zustande (Zertifikat ungültig oder keine Verschlüsselung angeboten).")]
    Tls(String),
    /// The server refused the login.
    #[error("Der Mailserver hat die Anmeldung abgelehnt: Benutzername oder Passwort stimmen nicht, oder der Anbieter verlangt ein App-Passwort.")]
    Login,
    /// No such folder.
    #[error("Den Ordner „{0}“ gibt es in diesem Postfach nicht.")]
    Folder(String),
    /// The server said something an IMAP server does not.
    #[error("Der Mailserver {0} antwortete nicht wie ein IMAP-Server.")]
    Protocol(String),
    /// No answer in time.
    #[error("Der Mailserver antwortete nicht innerhalb von {0} Sekunden.")]
    Timeout(u64),
}

/// The folder as selected: its `UIDVALIDITY`, and the UID the next e-mail will get.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Folder {
    pub(crate) uid_validity: Option<u32>,
    pub(crate) uid_next: Option<u32>,
}

/// Opens `url`'s folder: connected, protected as the URL says, logged in, selected.
pub(crate) async fn open(url: &ImapUrl, allow_private: bool) -> Result<(Opened, Folder), CheckError> {
    if url.security == MailSecurity::Plain && !allow_private {
        return Err(CheckError::Plain);
    }
    let at = url.address();
    let tcp = connect(&addresses(&url.host, url.port, allow_private).await?, &at).await?;
    let client: Client<Box<dyn Io>> = match url.security {
        MailSecurity::Tls => {
            let tls = tls(&url.host, tcp).await.map_err(|why| tls_failed(&at, &why))?;
            greeted(Client::new(Box::new(tls) as Box<dyn Io>), &at).await?
        }
        MailSecurity::StartTls => {
            let mut plain = greeted(Client::new(tcp), &at).await?;
            plain
                .run_command_and_check_ok("STARTTLS", None)
                .await
                .map_err(|error| tls_failed(&at, &error.to_string()))?;
            let tls = tls(&url.host, plain.into_inner())
                .await
                .map_err(|why| tls_failed(&at, &why))?;
            // No greeting after STARTTLS.
            Client::new(Box::new(tls) as Box<dyn Io>)
        }
        MailSecurity::Plain => greeted(Client::new(Box::new(tcp) as Box<dyn Io>), &at).await?,
    };
    let mut session = client
        .login(&url.user, &url.password)
        .await
        .map_err(|(error, _)| match error {
            ImapError::No(said) | ImapError::Bad(said) => {
                log::info!("mail server {at}: the login refused: {said}");
                CheckError::Login
            }
            other => broken(other, &at),
        })?;
    let folder = session.select(&url.folder).await.map_err(|error| match error {
        ImapError::No(_) | ImapError::Bad(_) => CheckError::Folder(url.folder.clone()),
        other => broken(other, &at),
    })?;
    Ok((
        session,
        Folder {
            uid_validity: folder.uid_validity,
            uid_next: folder.uid_next,
        },
    ))
}

/// Reads the server's greeting.
async fn greeted<T: Io>(mut client: Client<T>, at: &str) -> Result<Client<T>, CheckError> {
    match client.read_response().await {
        Ok(Some(_)) => Ok(client),
        Ok(None) => Err(lost(at, "closed before it greeted")),
        Err(error) => Err(lost(at, &error.to_string())),
    }
}

/// An IMAP error as said: a connection that broke, or something the server should not say.
pub(crate) fn broken(error: ImapError, at: &str) -> CheckError {
    match error {
        ImapError::Io(error) => lost(at, &error.to_string()),
        ImapError::ConnectionLost => lost(at, "the connection broke off"),
        other => {
            log::info!("mail server {at}: {other}");
            CheckError::Protocol(at.to_owned())
        }
    }
}

/// No connection to `at`; why goes to the log.
fn lost(at: &str, why: &str) -> CheckError {
    log::info!("mail server {at}: {why}");
    CheckError::Connect(at.to_owned())
}

/// TLS with `at` failed; why goes to the log.
fn tls_failed(at: &str, why: &str) -> CheckError {
    log::info!("mail server {at}: TLS: {why}");
    CheckError::Tls(at.to_owned())
}

/// A connection to the first of `addresses` that takes one (IPv6 unreachable, IPv4 works).
async fn connect(addresses: &[SocketAddr], at: &str) -> Result<TcpStream, CheckError> {
    let mut why = String::from("no address");
    for address in addresses {
        match TcpStream::connect(address).await {
            Ok(tcp) => return Ok(tcp),
            Err(error) => why = error.to_string(),
        }
    }
    Err(lost(at, &why))
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

/// The addresses to connect to `host` at, resolved now: public only unless `allow_private` —
/// a company's admin must not reach into the server's network through its mailbox.
async fn addresses(host: &str, port: u16, allow_private: bool) -> Result<Vec<SocketAddr>, CheckError> {
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
    Ok(found)
}

/// The error of a check that took longer than `timeout`.
pub(crate) fn deadline(timeout: Duration) -> CheckError {
    CheckError::Timeout(timeout.as_secs())
}
