//! Rate limits: on the lead endpoint per client IP (before the key is even looked up) and per
//! API key, and on the team's writes per employee token; answered `429 rate_limited` with
//! `Retry-After`.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::HttpRequest;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use lead_store::{KeyId, TokenId};

use crate::ApiError;

/// Settings of the rate limits.
#[derive(Debug, Clone, Default)]
pub struct RateLimitConfig {
    /// Requests per second per client IP; 0 turns the limit off.
    pub per_ip: u32,
    /// Requests per second per API key; 0 turns the limit off.
    pub per_key: u32,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<IpAddr>,
    /// Writes per second per employee token — a team-API token or a dashboard session; 0
    /// turns the limit off.
    pub per_token_writes: u32,
}

/// The addresses one client is counted by: an IPv4 address, or an IPv6 /64 — one household's
/// or one server's prefix, from which a client can pick any of 2^64 addresses.
pub(crate) fn client_group(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        },
        v4 => v4,
    }
}

/// How a client is named where it is counted (login attempts): its address, or its /64.
pub(crate) fn client_label(ip: IpAddr) -> String {
    match client_group(ip) {
        IpAddr::V6(prefix) => format!("{prefix}/64"),
        v4 => v4.to_string(),
    }
}

/// The limiters, shared by all workers.
pub(crate) struct RateLimits {
    per_ip: Option<DefaultKeyedRateLimiter<IpAddr>>,
    per_key: Option<DefaultKeyedRateLimiter<KeyId>>,
    per_token_writes: Option<DefaultKeyedRateLimiter<TokenId>>,
    trusted_proxies: Vec<IpAddr>,
    checks: AtomicU64,
}

/// Forget the state of idle clients and keys every so many checks, so memory stays bounded.
const PRUNE_EVERY: u64 = 10_000;

/// A rate of `per_second`, with bursts of twice that.
fn limiter<K: Clone + std::hash::Hash + Eq>(per_second: u32) -> Option<DefaultKeyedRateLimiter<K>> {
    let rate = NonZeroU32::new(per_second)?;
    let burst = NonZeroU32::new(per_second.saturating_mul(2)).unwrap_or(rate);
    Some(DefaultKeyedRateLimiter::keyed(
        Quota::per_second(rate).allow_burst(burst),
    ))
}

impl RateLimits {
    pub(crate) fn new(config: &RateLimitConfig) -> RateLimits {
        RateLimits {
            per_ip: limiter(config.per_ip),
            per_key: limiter(config.per_key),
            per_token_writes: limiter(config.per_token_writes),
            trusted_proxies: config.trusted_proxies.clone(),
            checks: AtomicU64::new(0),
        }
    }

    /// The client's address: the peer, or — when the peer is a trusted proxy — the nearest
    /// address in `X-Forwarded-For` that is not one of the trusted proxies.
    /// Whether a trusted reverse proxy says the client came over HTTPS (`X-Forwarded-Proto`;
    /// from anyone else the header means nothing).
    pub(crate) fn forwarded_https(&self, req: &HttpRequest) -> bool {
        req.peer_addr()
            .is_some_and(|peer| self.trusted_proxies.contains(&peer.ip()))
            && req
                .headers()
                .get("X-Forwarded-Proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
    }

    pub(crate) fn client_ip(&self, req: &HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr()?.ip();
        if !self.trusted_proxies.contains(&peer) {
            return Some(peer);
        }
        // Right to left, from the trusted proxy: each trusted hop vouches for the one before
        // it; the first untrusted one is the client. An entry that is not an address (say a
        // proxy's `ip:port`) ends the walk: what stands left of it is the client's own word.
        let forwarded: Vec<&str> = req
            .headers()
            .get_all("X-Forwarded-For")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect();
        for hop in forwarded.into_iter().rev() {
            match hop.trim().parse::<IpAddr>() {
                Ok(hop) if self.trusted_proxies.contains(&hop) => continue,
                Ok(client) => return Some(client),
                Err(_) => return Some(peer),
            }
        }
        Some(peer)
    }

    /// The per-IP limit (checked before anything else).
    pub(crate) fn check_client(&self, req: &HttpRequest) -> Result<(), ApiError> {
        match (&self.per_ip, self.client_ip(req)) {
            (Some(limiter), Some(ip)) => self.check(limiter, &client_group(ip)),
            _ => Ok(()),
        }
    }

    /// The per-key limit (checked once the key is known to be valid).
    pub(crate) fn check_key(&self, key_id: KeyId) -> Result<(), ApiError> {
        match &self.per_key {
            Some(limiter) => self.check(limiter, &key_id),
            None => Ok(()),
        }
    }

    /// The per-token limit of writes (checked once the token is known to be valid): what one
    /// employee's script or session may change per second.
    pub(crate) fn check_writes(&self, token_id: TokenId) -> Result<(), ApiError> {
        match &self.per_token_writes {
            Some(limiter) => self.check(limiter, &token_id).map_err(|error| match error {
                ApiError::RateLimited(seconds) => ApiError::WritesLimited(seconds),
                other => other,
            }),
            None => Ok(()),
        }
    }

    fn check<K: Clone + std::hash::Hash + Eq>(
        &self,
        limiter: &DefaultKeyedRateLimiter<K>,
        key: &K,
    ) -> Result<(), ApiError> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            limiter.retain_recent();
        }
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            // Whole seconds, rounded up: Retry-After cannot say less than one.
            ApiError::RateLimited((wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_counted_by_their_64_prefix() {
        let group = |text: &str| client_group(text.parse().unwrap()).to_string();
        assert_eq!(group("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::");
        assert_eq!(group("2001:db8:1:2:ffff:ffff:ffff:ffff"), "2001:db8:1:2::");
        assert_ne!(group("2001:db8:1:3::1"), group("2001:db8:1:2::1"));
        assert_eq!(group("203.0.113.9"), "203.0.113.9");
        assert_eq!(group("::ffff:203.0.113.9"), "203.0.113.9");
        assert_eq!(client_label("2001:db8:1:2::7".parse().unwrap()), "2001:db8:1:2::/64");
    }
}
