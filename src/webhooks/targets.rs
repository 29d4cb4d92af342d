//! Where deliveries may go. By default only to public addresses: an endpoint URL is chosen by a
//! brand's ADMIN, and without this guard the server would POST to whatever the URL names from
//! inside its own network (cloud metadata at 169.254.169.254, a database on 10.0.0.5, services on
//! loopback). Names are resolved by [`PublicOnly`], which drops every non-public address, so a
//! name that resolves to a private address (DNS rebinding included) gets no connection; IP
//! literals, which the HTTP client does not resolve, are checked by [`literal_refusal`].
//! `PARTNERGRAPH_WEBHOOK_ALLOW_PRIVATE_TARGETS=true` lifts the guard (receivers on the same host
//! or network, tests).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why a delivery to a non-public address is refused (kept as the attempt's `lastError`).
pub const NOT_PUBLIC: &str = "the endpoint's address is not public";

/// Whether `ip` is reachable on the public internet: not loopback, private, shared (CGNAT),
/// link-local, unique-local, multicast, broadcast, unspecified, documentation or reserved; an
/// IPv4-mapped or -compatible IPv6 address is judged by its IPv4 address.
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
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        // 100.64.0.0/10, shared address space (carrier-grade NAT).
        || (a == 100 && (64..128).contains(&b))
        // 192.0.0.0/24, IETF protocol assignments.
        || (a == 192 && b == 0 && c == 0)
        // 198.18.0.0/15, benchmarking.
        || (a == 198 && (b == 18 || b == 19))
        // 240.0.0.0/4, reserved.
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    let compatible_v4 = ip.segments()[..6].iter().all(|s| *s == 0);
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // ::a.b.c.d (deprecated IPv4-compatible form).
        || (compatible_v4 && !is_public_v4(Ipv4Addr::from_bits(ip.to_bits() as u32)))
        // fc00::/7 unique local, fe80::/10 link-local.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        // 2001:db8::/32 documentation.
        || (first == 0x2001 && ip.segments()[1] == 0x0db8))
}

/// The refusal of a URL whose host is a non-public IP literal (`http://127.0.0.1/…`,
/// `http://[::1]/…`); `None` for names and public literals.
pub fn literal_refusal(url: &str) -> Option<&'static str> {
    let host = reqwest::Url::parse(url).ok()?.host()?.to_owned();
    let ip = match host {
        url::Host::Ipv4(v4) => IpAddr::V4(v4),
        url::Host::Ipv6(v6) => IpAddr::V6(v6),
        url::Host::Domain(_) => return None,
    };
    (!is_public(ip)).then_some(NOT_PUBLIC)
}

/// The system resolver, keeping public addresses only; a name with none left fails to resolve.
#[derive(Debug, Default)]
pub struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|addr| is_public(addr.ip()))
                .collect();
            if resolved.is_empty() {
                return Err(NOT_PUBLIC.into());
            }
            let addrs: Addrs = Box::new(resolved.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(text: &str) -> bool {
        is_public(text.parse().expect("an address"))
    }

    #[test]
    fn internal_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "127.8.9.10",
            "10.0.0.5",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.0.8",
            "192.0.2.1",
            "198.18.0.1",
            "240.0.0.1",
            "::",
            "::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::10.0.0.1",
        ] {
            assert!(!public(ip), "{ip} counted as public");
        }
    }

    #[test]
    fn internet_addresses_are_public() {
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "192.169.0.1",
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
            "::ffff:8.8.8.8",
        ] {
            assert!(public(ip), "{ip} counted as internal");
        }
    }

    #[test]
    fn ip_literal_hosts_are_checked_and_names_left_to_the_resolver() {
        assert_eq!(
            literal_refusal("http://127.0.0.1:8080/hook"),
            Some(NOT_PUBLIC)
        );
        assert_eq!(literal_refusal("http://[::1]/hook"), Some(NOT_PUBLIC));
        assert_eq!(
            literal_refusal("http://169.254.169.254/latest"),
            Some(NOT_PUBLIC)
        );
        // The URL parser reads these shorthands as 127.0.0.1.
        assert_eq!(literal_refusal("http://2130706433/"), Some(NOT_PUBLIC));
        assert_eq!(literal_refusal("http://0x7f.1/"), Some(NOT_PUBLIC));
        assert_eq!(literal_refusal("http://8.8.8.8/hook"), None);
        assert_eq!(literal_refusal("https://hooks.example.com/x"), None);
    }

    #[tokio::test]
    async fn names_resolving_to_loopback_resolve_to_nothing() {
        let name: Name = "localhost".parse().expect("a name");
        let result = PublicOnly.resolve(name).await;
        let Err(err) = result else {
            panic!("localhost resolved to a public address");
        };
        assert_eq!(err.to_string(), NOT_PUBLIC);
    }
}
