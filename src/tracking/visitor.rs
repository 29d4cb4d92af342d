//! The visitor key: a keyed hash of client IP and user agent, so that unique clicks can be
//! counted without storing (or logging) the IP. Keyed (HMAC-SHA256), not a plain hash: the IPv4
//! space is small enough to reverse an unkeyed hash by enumeration.

use std::net::IpAddr;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::Secret;

type HmacSha256 = Hmac<Sha256>;

/// Label of the key derived from the JWT secret when no visitor secret is configured: a
/// distinct purpose, so the two keys are independent.
const DERIVATION_LABEL: &[u8] = b"partnergraph/visitor-key/v1";

/// Computes visitor keys with one secret, keyed once at start-up.
#[derive(Clone)]
pub struct VisitorKeys {
    keyed: HmacSha256,
}

impl VisitorKeys {
    /// Start-up only: keys the HMAC (which accepts keys of any length).
    pub fn new(secret: &Secret) -> Self {
        Self {
            keyed: keyed(secret.expose().as_bytes()),
        }
    }

    /// Lower-case hex HMAC-SHA256 of the IP (empty when unknown) and the user agent.
    pub fn key(&self, ip: Option<IpAddr>, user_agent: &str) -> String {
        let mut mac = self.keyed.clone();
        if let Some(ip) = ip {
            mac.update(ip.to_string().as_bytes());
        }
        // A separator no IP text contains, so that (ip, ua) pairs cannot collide by shifting.
        mac.update(b"\n");
        mac.update(user_agent.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

impl std::fmt::Debug for VisitorKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VisitorKeys([redacted])")
    }
}

/// The default visitor secret: HMAC of a fixed label under the JWT secret (start-up only).
pub fn derive_secret(jwt_secret: &Secret) -> Secret {
    let mut mac = keyed(jwt_secret.expose().as_bytes());
    mac.update(DERIVATION_LABEL);
    Secret::new(hex::encode(mac.finalize().into_bytes()))
}

fn keyed(key: &[u8]) -> HmacSha256 {
    // HMAC hashes long keys and pads short ones: no key length is invalid.
    HmacSha256::new_from_slice(key).expect("HMAC-SHA256 accepts keys of any length")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secret: &str) -> VisitorKeys {
        VisitorKeys::new(&Secret::new(secret))
    }

    #[test]
    fn keys_are_stable_hex_and_never_contain_the_ip() {
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let a = keys("secret-one").key(Some(ip), "Mozilla/5.0");
        assert_eq!(a, keys("secret-one").key(Some(ip), "Mozilla/5.0"));
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert!(!a.contains("203.0.113.7"));
    }

    #[test]
    fn keys_depend_on_secret_ip_and_user_agent() {
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let other: IpAddr = "2001:db8::1".parse().unwrap();
        let base = keys("s").key(Some(ip), "ua");
        assert_ne!(base, keys("t").key(Some(ip), "ua"));
        assert_ne!(base, keys("s").key(Some(other), "ua"));
        assert_ne!(base, keys("s").key(Some(ip), "ua2"));
        assert_ne!(base, keys("s").key(None, "ua"));
    }

    #[test]
    fn matches_the_hmac_sha256_reference() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let mut mac = keyed(b"Jefe");
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn the_derived_secret_is_stable_and_differs_from_the_jwt_secret() {
        let jwt = Secret::new("j".repeat(40));
        let derived = derive_secret(&jwt);
        assert_eq!(derived, derive_secret(&jwt));
        assert_ne!(derived, jwt);
        assert_eq!(derived.expose().len(), 64);
    }
}
