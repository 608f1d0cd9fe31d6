//! Where a lead's consent was given, as the request tells it: the page, and the visitor's
//! address — shortened, so that the record proves the consent without keeping the person's
//! exact address (`[privacy] truncate_ips`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use actix_web::http::header;
use actix_web::HttpRequest;

/// The most of a page's address kept.
const MAX_PAGE_CHARS: usize = 500;

/// The page the form was sent from: `Referer` (the page itself), else `Origin` (only its site).
pub(super) fn page(req: &HttpRequest) -> Option<String> {
    [header::REFERER, header::ORIGIN]
        .into_iter()
        .find_map(|name| {
            req.headers()
                .get(name)?
                .to_str()
                .ok()
                .map(str::trim)
                .filter(|v| !v.is_empty())
        })
        .map(|page| page.chars().filter(|c| !c.is_control()).take(MAX_PAGE_CHARS).collect())
}

/// The visitor's address (behind the trusted proxies), shortened to its /24 (IPv4) or /48
/// (IPv6) network when `truncate`.
pub(super) fn client(req: &HttpRequest, truncate: bool) -> Option<String> {
    let ip = crate::request::client_ip(req)?;
    Some(match truncate {
        true => shortened(ip).to_string(),
        false => ip.to_string(),
    })
}

/// `ip`'s network: the last byte of an IPv4 address zero, all but the first 48 bits of an IPv6
/// one (an IPv4 address written as IPv6 is shortened as IPv4).
fn shortened(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            IpAddr::V4(Ipv4Addr::new(a, b, c, 0))
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => shortened(IpAddr::V4(v4)),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_shortened_to_their_network() {
        let short = |ip: &str| shortened(ip.parse().unwrap()).to_string();
        assert_eq!(short("203.0.113.57"), "203.0.113.0");
        assert_eq!(short("2001:db8:85a3:8d3:1319:8a2e:370:7348"), "2001:db8:85a3::");
        assert_eq!(short("::ffff:198.51.100.7"), "198.51.100.0");
    }
}
