//! The virus scanner: clamd's `INSTREAM` command over TCP or a Unix socket (see clamd's
//! manual, „INSTREAM“): the file goes in chunks, each behind its length as four bytes in
//! network order, a zero length ends it, and clamd answers `stream: OK` or
//! `stream: <signature> FOUND`.

use std::time::{Duration, Instant};

use lead_store::Scan;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Where clamd listens: `tcp://HOST:PORT`, or a Unix socket's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clamd {
    /// `HOST:PORT`.
    Tcp(String),
    /// A Unix socket's path.
    Socket(std::path::PathBuf),
}

/// What a scan came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing found.
    Clean,
    /// This signature found.
    Infected(String),
}

impl Verdict {
    /// The verdict as the store keeps it.
    pub fn scan(&self) -> Scan {
        match self {
            Verdict::Clean => Scan::Clean,
            Verdict::Infected(_) => Scan::Infected,
        }
    }
}

/// How much of a file goes in one chunk.
const CHUNK: usize = 64 * 1024;

/// How long clamd may take to accept a connection: longer, and it counts as down.
const CONNECT: Duration = Duration::from_secs(3);

/// Why clamd gave no verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanError {
    /// It does not answer at all (down, or not there): no use asking about other files now.
    Unreachable(String),
    /// It did not judge this file (too slow, too large for it, an answer it should not give).
    Failed(String),
}

impl std::fmt::Display for ScanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScanError::Unreachable(why) => write!(f, "clamd does not answer: {why}"),
            ScanError::Failed(why) => write!(f, "clamd did not judge the file: {why}"),
        }
    }
}

impl Clamd {
    /// `tcp://HOST:PORT` or a path (`/run/clamav/clamd.ctl`, `unix:///run/…`).
    pub fn parse(text: &str) -> Result<Clamd, String> {
        let text = text.trim();
        if let Some(address) = text.strip_prefix("tcp://") {
            let address = address.trim_end_matches('/');
            return match address.rsplit_once(':') {
                Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
                    Ok(Clamd::Tcp(address.to_owned()))
                }
                _ => Err(format!("clamd address {text:?}: expected tcp://HOST:PORT")),
            };
        }
        let path = text.strip_prefix("unix://").unwrap_or(text);
        match path.starts_with('/') {
            true => Ok(Clamd::Socket(path.into())),
            false => Err(format!(
                "clamd address {text:?}: expected tcp://HOST:PORT or a socket's absolute path"
            )),
        }
    }

    /// Scans `data`, giving up after `timeout`. An error says why clamd could not judge it:
    /// it is not there, or it did not judge this file (too slow, its size limit, …).
    pub async fn scan(&self, data: &[u8], timeout: Duration) -> Result<Verdict, ScanError> {
        let unreachable = |e: std::io::Error| ScanError::Unreachable(e.to_string());
        let late = |_| ScanError::Unreachable(format!("no connection within {} s", CONNECT.as_secs()));
        let started = Instant::now();
        let judged = match self {
            Clamd::Tcp(address) => {
                let stream = tokio::time::timeout(CONNECT, tokio::net::TcpStream::connect(address))
                    .await
                    .map_err(late)?
                    .map_err(unreachable)?;
                tokio::time::timeout(timeout, instream(stream, data)).await
            }
            #[cfg(unix)]
            Clamd::Socket(path) => {
                let stream = tokio::time::timeout(CONNECT, tokio::net::UnixStream::connect(path))
                    .await
                    .map_err(late)?
                    .map_err(unreachable)?;
                tokio::time::timeout(timeout, instream(stream, data)).await
            }
            #[cfg(not(unix))]
            Clamd::Socket(path) => {
                return Err(ScanError::Unreachable(format!(
                    "no Unix sockets here: {}",
                    path.display()
                )))
            }
        };
        let verdict = judged
            .map_err(|_| ScanError::Failed(format!("no verdict within {} s", timeout.as_secs())))?
            .map_err(ScanError::Failed);
        if verdict.is_ok() {
            metrics::histogram!("lead_attachment_scan_seconds").record(started.elapsed().as_secs_f64());
        }
        verdict
    }
}

/// One `INSTREAM` exchange on `stream`.
async fn instream<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, data: &[u8]) -> Result<Verdict, String> {
    let io = |e: std::io::Error| e.to_string();
    stream.write_all(b"zINSTREAM\0").await.map_err(io)?;
    for chunk in data.chunks(CHUNK) {
        stream
            .write_all(&(chunk.len() as u32).to_be_bytes())
            .await
            .map_err(io)?;
        stream.write_all(chunk).await.map_err(io)?;
    }
    stream.write_all(&0u32.to_be_bytes()).await.map_err(io)?;
    stream.flush().await.map_err(io)?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.map_err(io)?;
    read_answer(&answer)
}

/// clamd's answer to `zINSTREAM`: `stream: OK\0` or `stream: NAME FOUND\0`.
fn read_answer(answer: &[u8]) -> Result<Verdict, String> {
    let text = String::from_utf8_lossy(answer);
    let text = text.trim_end_matches(['\0', '\n']).trim();
    let said = text.strip_prefix("stream:").map(str::trim);
    match said {
        Some("OK") => Ok(Verdict::Clean),
        Some(found) if found.ends_with(" FOUND") => Ok(Verdict::Infected(found.trim_end_matches(" FOUND").to_owned())),
        _ => Err(format!(
            "clamd answered {:?}",
            text.chars().take(200).collect::<String>()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_answers() {
        assert_eq!(
            Clamd::parse("tcp://127.0.0.1:3310"),
            Ok(Clamd::Tcp("127.0.0.1:3310".into()))
        );
        assert_eq!(
            Clamd::parse("/run/clamav/clamd.ctl"),
            Ok(Clamd::Socket("/run/clamav/clamd.ctl".into()))
        );
        assert_eq!(
            Clamd::parse("unix:///run/c.ctl"),
            Ok(Clamd::Socket("/run/c.ctl".into()))
        );
        assert!(Clamd::parse("tcp://host").is_err());
        assert!(Clamd::parse("clamd.ctl").is_err());
        assert_eq!(read_answer(b"stream: OK\0"), Ok(Verdict::Clean));
        assert_eq!(
            read_answer(b"stream: Eicar-Test-Signature FOUND\0"),
            Ok(Verdict::Infected("Eicar-Test-Signature".into()))
        );
        assert!(read_answer(b"INSTREAM size limit exceeded. ERROR\0").is_err());
    }
}
