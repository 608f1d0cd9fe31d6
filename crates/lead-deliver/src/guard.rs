//! The SSRF guard: a webhook or a push message may only reach the public internet. A target must be `https://`
//! and resolve to public addresses only — checked when the endpoint is added, and again at
//! every attempt on the very addresses the request then connects to (a name that resolved
//! to a public address yesterday and to 127.0.0.1 today, "DNS rebinding", is refused).
//! Loopback, private, link-local (cloud metadata at 169.254.169.254), unique-local, shared,
//! multicast and reserved addresses are refused — unless the operator allows private targets
//! (`[outbox] allow_private_targets`, which also allows `http://`), as for a receiver on the
//! same machine or in tests.

use std::net::{IpAddr, SocketAddr};

use lead_domain::{check_target_url, is_public, TargetError};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why a target is refused.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum GuardError {
    /// The URL itself is refused (scheme, credentials, an address written in it).
    #[error(transparent)]
    Url(#[from] TargetError),
    /// Its name resolves to an address that is not public.
    #[error("{0} is not a public address (loopback, private, link-local and the like are refused)")]
    NotPublic(IpAddr),
    /// Its name does not resolve.
    #[error("{0} does not resolve: {1}")]
    Unresolved(String, String),
}

/// Checks `url` as a target: scheme, no credentials, and (resolving its name now) public
/// addresses only, unless `allow_private`.
pub async fn check_target(url: &str, allow_private: bool) -> Result<url::Url, GuardError> {
    let parsed = check_target_url(url, allow_private)?;
    if !allow_private {
        if let Some(url::Host::Domain(name)) = parsed.host() {
            let port = parsed.port_or_known_default().unwrap_or(443);
            public_addresses(name, port).await?;
        }
    }
    Ok(parsed)
}

/// The address to connect to a company's own mail server at (`host` and `port` of its SMTP or
/// IMAP URL), resolved now: public addresses only, unless `allow_private` — a company's admin
/// must not reach into the server's network through it. The caller connects to this address
/// (not to the name again, which could resolve elsewhere by then).
pub async fn mail_server_address(host: &str, port: u16, allow_private: bool) -> Result<SocketAddr, GuardError> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return match allow_private || is_public(ip) {
            true => Ok(SocketAddr::new(ip, port)),
            false => Err(GuardError::NotPublic(ip)),
        };
    }
    let found = match allow_private {
        true => tokio::net::lookup_host((host, port))
            .await
            .map_err(|error| GuardError::Unresolved(host.to_owned(), error.to_string()))?
            .collect(),
        false => public_addresses(host, port).await?,
    };
    found
        .into_iter()
        .next()
        .ok_or_else(|| GuardError::Unresolved(host.to_owned(), "no address".into()))
}

/// The addresses `name` resolves to, if every one is public.
async fn public_addresses(name: &str, port: u16) -> Result<Vec<SocketAddr>, GuardError> {
    let found: Vec<SocketAddr> = tokio::net::lookup_host((name, port))
        .await
        .map_err(|error| GuardError::Unresolved(name.to_owned(), error.to_string()))?
        .collect();
    if found.is_empty() {
        return Err(GuardError::Unresolved(name.to_owned(), "no address".into()));
    }
    // One private address among public ones is refused too: the connection could pick it.
    if let Some(private) = found.iter().find(|addr| !is_public(addr.ip())) {
        return Err(GuardError::NotPublic(private.ip()));
    }
    Ok(found)
}

/// The resolver of the webhook client: the connection goes only to addresses checked here.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            // The port is the connector's; 0 here is replaced by it.
            let found = public_addresses(name.as_str(), 0).await.map_err(|_| Unreachable)?;
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

/// Why a request did not go out, as the team reads it (a delivery's error, a test's answer):
/// not where the name leads — a company's admin must not learn what names resolve to inside
/// the network.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("{}", UNREACHABLE)]
struct Unreachable;

/// What [`Unreachable`] says.
pub(crate) const UNREACHABLE: &str =
    "the target is not publicly reachable (its name does not resolve, or resolves to an address that is not public)";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_name_that_resolves_to_loopback_is_refused() {
        // `localhost` resolves without the network.
        assert!(matches!(
            check_target("https://localhost/hook", false).await,
            Err(GuardError::NotPublic(_))
        ));
        assert!(check_target("http://localhost:9/hook", true).await.is_ok());
    }
}
