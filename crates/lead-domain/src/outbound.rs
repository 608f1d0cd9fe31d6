//! Where the server may send requests of its own — webhooks, Web Push messages: only to the
//! public internet. What can be checked without the network lives here (scheme, credentials,
//! an address written in the URL, which addresses are public); resolving names and
//! connecting only to public addresses is the sender's part (`lead-deliver`'s guard).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why a target URL is refused.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum TargetError {
    /// Not a URL.
    #[error("not a URL: {0}")]
    NotUrl(String),
    /// Not `https://` (or `http://` where private targets are allowed).
    #[error("the URL must start with https:// (http:// only with [outbox] allow_private_targets)")]
    Scheme,
    /// User and password in the URL would be sent to whoever answers.
    #[error("the URL must not contain a user or password")]
    Credentials,
    /// It names an address that is not public.
    #[error("{0} is not a public address (loopback, private, link-local and the like are refused)")]
    NotPublic(IpAddr),
}

/// Checks `url` as a target without the network: `https://` (or, with `allow_private`,
/// `http://`), no credentials, and no address written in it that is not public (unless
/// `allow_private`). Names are the sender's to resolve and check.
pub fn check_target_url(url: &str, allow_private: bool) -> Result<url::Url, TargetError> {
    let parsed = url::Url::parse(url).map_err(|error| TargetError::NotUrl(format!("{url:?}: {error}")))?;
    match parsed.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => return Err(TargetError::Scheme),
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(TargetError::Credentials);
    }
    let literal = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        Some(url::Host::Domain(_)) => None,
        None => return Err(TargetError::NotUrl(format!("{url:?} names no host"))),
    };
    if let Some(ip) = literal.filter(|ip| !allow_private && !is_public(*ip)) {
        return Err(TargetError::NotPublic(ip));
    }
    Ok(parsed)
}

/// Whether `ip` is an address of the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        // shared address space (carrier-grade NAT), 100.64.0.0/10
        || (a == 100 && (64..128).contains(&b))
        // IETF protocol assignments, 192.0.0.0/24
        || (a == 192 && b == 0 && c == 0)
        // benchmarking, 198.18.0.0/15
        || (a == 198 && (b == 18 || b == 19))
        // 6to4 relay anycast, 192.88.99.0/24
        || (a == 192 && b == 88 && c == 99)
        // reserved, 240.0.0.0/4
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // unique local, fc00::/7
        || (first & 0xfe00) == 0xfc00
        // link-local, fe80::/10
        || (first & 0xffc0) == 0xfe80
        // documentation, 2001:db8::/32
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)
        // IPv4-compatible and other addresses in ::/96
        || ip.segments()[..6].iter().all(|&s| s == 0)
        // NAT64 prefixes 64:ff9b::/96 and 64:ff9b:1::/48 hide IPv4 addresses
        || (first == 0x0064 && ip.segments()[1] == 0xff9b)
        // 6to4 (2002::/16) and Teredo (2001::/32) tunnel to IPv4 addresses
        || first == 0x2002
        || (first == 0x2001 && ip.segments()[1] == 0)
        // site-local (deprecated), fec0::/10
        || (first & 0xffc0) == 0xfec0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "fc00::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::7f00:1",
            "64:ff9b:1::a00:1",
            "2002:7f00:1::1",
            "2001:0:4136:e378::1",
            "fec0::1",
            "192.88.99.1",
            "2001:db8::1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn urls_are_checked_before_any_lookup() {
        assert_eq!(
            check_target_url("http://example.com/hook", false),
            Err(TargetError::Scheme)
        );
        assert_eq!(
            check_target_url("ftp://example.com/hook", true),
            Err(TargetError::Scheme)
        );
        assert_eq!(
            check_target_url("https://user:pw@example.com/", false),
            Err(TargetError::Credentials)
        );
        assert_eq!(
            check_target_url("https://127.0.0.1/hook", false),
            Err(TargetError::NotPublic("127.0.0.1".parse().unwrap()))
        );
        assert_eq!(
            check_target_url("https://[::1]:8443/hook", false),
            Err(TargetError::NotPublic("::1".parse().unwrap()))
        );
        assert!(matches!(
            check_target_url("not a url", false),
            Err(TargetError::NotUrl(_))
        ));
        assert!(check_target_url("https://hooks.example.com/x", false).is_ok());
        assert!(check_target_url("http://127.0.0.1:9000/x", true).is_ok());
    }
}
