//! The client's IP address: the socket peer, unless the peer is a configured trusted proxy, in
//! which case the right-most address of `X-Forwarded-For` that is not itself a trusted proxy.
//! Without trusted proxies the header is ignored, so a client cannot pick its own address.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use axum::extract::ConnectInfo;
use axum::http::HeaderMap;
use axum::http::request::Parts;

const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// One address or a CIDR block (`10.0.0.0/8`, `fd00::/8`, `192.0.2.7`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_match(u32::from(net).into(), u32::from(ip).into(), self.prefix, 32)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_match(u128::from(net), u128::from(ip), self.prefix, 128)
            }
            _ => false,
        }
    }
}

fn prefix_match(net: u128, ip: u128, prefix: u8, bits: u8) -> bool {
    if prefix == 0 {
        return true;
    }
    let shift = u32::from(bits - prefix);
    (net >> shift) == (ip >> shift)
}

/// IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`, from dual-stack sockets) compare as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct InvalidNet(String);

impl fmt::Display for InvalidNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not an IP address or CIDR block", self.0)
    }
}

impl FromStr for IpNet {
    type Err = InvalidNet;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidNet(s.to_owned());
        let (addr, prefix) = match s.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (s, None),
        };
        let addr = canonical(addr.trim().parse::<IpAddr>().map_err(|_| invalid())?);
        let bits = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= bits)
                .ok_or_else(invalid)?,
            None => bits,
        };
        Ok(Self { addr, prefix })
    }
}

/// The proxies whose `X-Forwarded-For` is believed (`PARTNERGRAPH_TRUSTED_PROXIES`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn none() -> Self {
        Self::default()
    }

    /// A comma-separated list of addresses and CIDR blocks; empty means none.
    pub fn parse(list: &str) -> Result<Self, InvalidNet> {
        list.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::parse)
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(ip))
    }

    /// The client behind `peer`. Walks `X-Forwarded-For` from the right (the entry appended by
    /// the nearest proxy) past trusted proxies; the first other address is the client. An entry
    /// that does not parse ends the walk at the last trusted hop: whatever lies left of it was
    /// written by the client.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        let forwarded = headers
            .get_all(X_FORWARDED_FOR)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect::<Vec<_>>();
        for entry in forwarded.iter().rev().flat_map(|v| v.rsplit(',')) {
            let Some(ip) = parse_forwarded(entry) else {
                break;
            };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

/// An `X-Forwarded-For` entry: an address, possibly with a port (`192.0.2.1:4711`,
/// `[2001:db8::1]:4711`).
fn parse_forwarded(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    entry
        .parse::<SocketAddr>()
        .ok()
        .map(|addr| canonical(addr.ip()))
}

/// The client of a request: see [`TrustedProxies::client_ip`]. `None` only when the server was
/// not started with connection info (in-process tests that do not set it).
pub fn of(parts: &Parts, proxies: &TrustedProxies) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| proxies.client_ip(addr.ip(), &parts.headers))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(X_FORWARDED_FOR, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn parses_addresses_and_blocks() {
        let proxies = TrustedProxies::parse(" 10.0.0.0/8, 192.0.2.7 ,fd00::/8,").unwrap();
        assert!(proxies.trusts(ip("10.1.2.3")));
        assert!(proxies.trusts(ip("192.0.2.7")));
        assert!(!proxies.trusts(ip("192.0.2.8")));
        assert!(proxies.trusts(ip("fd12::1")));
        assert!(!proxies.trusts(ip("fe80::1")));
        assert!(proxies.trusts(ip("::ffff:10.9.9.9")), "mapped IPv4 matches");
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        assert!(
            TrustedProxies::parse("0.0.0.0/0")
                .unwrap()
                .trusts(ip("8.8.8.8"))
        );
    }

    #[test]
    fn refuses_what_is_not_an_address() {
        for bad in [
            "10.0.0.0/33",
            "fd00::/129",
            "proxy.internal",
            "10.0.0/8",
            "10.0.0.1/x",
        ] {
            assert!(TrustedProxies::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let proxies = TrustedProxies::none();
        let spoofed = forwarded(&["203.0.113.9"]);
        assert_eq!(
            proxies.client_ip(ip("198.51.100.1"), &spoofed),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn an_untrusted_peer_cannot_forward() {
        let proxies = TrustedProxies::parse("10.0.0.1").unwrap();
        let spoofed = forwarded(&["203.0.113.9"]);
        assert_eq!(
            proxies.client_ip(ip("198.51.100.1"), &spoofed),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn takes_the_right_most_untrusted_address() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        // The client wrote "1.1.1.1" itself; the first proxy appended its real address.
        let headers = forwarded(&["1.1.1.1, 203.0.113.9, 10.0.0.2"]);
        assert_eq!(
            proxies.client_ip(ip("10.0.0.1"), &headers),
            ip("203.0.113.9")
        );
        // The same across several header lines, and with ports.
        let headers = forwarded(&["1.1.1.1", "203.0.113.9:5555", "10.0.0.2"]);
        assert_eq!(
            proxies.client_ip(ip("10.0.0.1"), &headers),
            ip("203.0.113.9")
        );
        let headers = forwarded(&["[2001:db8::7]:443"]);
        assert_eq!(
            proxies.client_ip(ip("10.0.0.1"), &headers),
            ip("2001:db8::7")
        );
    }

    #[test]
    fn falls_back_to_the_last_trusted_hop() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        assert_eq!(
            proxies.client_ip(ip("10.0.0.1"), &HeaderMap::new()),
            ip("10.0.0.1")
        );
        let garbage = forwarded(&["not-an-ip, 10.0.0.2"]);
        assert_eq!(proxies.client_ip(ip("10.0.0.1"), &garbage), ip("10.0.0.2"));
        let all_trusted = forwarded(&["10.0.0.3, 10.0.0.2"]);
        assert_eq!(
            proxies.client_ip(ip("10.0.0.1"), &all_trusted),
            ip("10.0.0.3")
        );
    }
}
