//! Outbound webhooks, the pure parts: event types and their wire names, the signature scheme,
//! the retry schedule and which endpoint URLs are accepted.
//!
//! Signature: `PartnerGraph-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`
//! (the scheme Stripe made familiar: the timestamp is signed with the body, so a receiver can
//! refuse replays older than a few minutes).

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::stored_enum;

stored_enum! {
    /// What happened. Stored and exposed in GraphQL as the UPPER_SNAKE name; sent on the wire
    /// (payload `type`, `PartnerGraph-Event` header) as [`EventType::wire_name`].
    pub enum EventType {
        ConversionAttributed => "CONVERSION_ATTRIBUTED",
        ConversionRefunded => "CONVERSION_REFUNDED",
        CommissionApproved => "COMMISSION_APPROVED",
        PayoutPaid => "PAYOUT_PAID",
    }
}

impl EventType {
    /// `conversion.attributed`, `conversion.refunded`, `commission.approved`, `payout.paid`.
    pub fn wire_name(self) -> &'static str {
        match self {
            Self::ConversionAttributed => "conversion.attributed",
            Self::ConversionRefunded => "conversion.refunded",
            Self::CommissionApproved => "commission.approved",
            Self::PayoutPaid => "payout.paid",
        }
    }
}

stored_enum! {
    /// A delivery waits (PENDING), arrived (DELIVERED: a 2xx answer) or was given up (FAILED).
    pub enum DeliveryStatus {
        Pending => "PENDING",
        Delivered => "DELIVERED",
        Failed => "FAILED",
    }
}

/// The prefix of endpoint signing secrets (`whsec_` + 256 random bits).
pub const SECRET_PREFIX: &str = "whsec_";

/// Lower-case hex HMAC-SHA256 of `message` under `key`.
pub fn hmac_sha256_hex(key: &[u8], message: &[u8]) -> String {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// The `PartnerGraph-Signature` header value for `body` sent at `timestamp` (unix seconds).
pub fn signature_header(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut signed = Vec::with_capacity(body.len() + 12);
    signed.extend_from_slice(timestamp.to_string().as_bytes());
    signed.push(b'.');
    signed.extend_from_slice(body);
    format!(
        "t={timestamp},v1={}",
        hmac_sha256_hex(secret.as_bytes(), &signed)
    )
}

/// Whether `header` signs `body` with `secret` at a time within `tolerance_secs` of `now`
/// (what a receiver does; used by the tests and documented in docs/integrators.md).
pub fn verify_signature(
    secret: &str,
    header: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> bool {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", sig)) => signatures.push(sig),
            _ => {}
        }
    }
    let Some(timestamp) = timestamp else {
        return false;
    };
    if (now - timestamp).abs() > tolerance_secs {
        return false;
    }
    let expected = signature_header(secret, timestamp, body);
    let Some((_, expected)) = expected.split_once(",v1=") else {
        return false;
    };
    signatures
        .iter()
        .any(|sig| constant_time_eq(sig.as_bytes(), expected.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The retry schedule: `base * 2^(attempt - 1)` after the `attempt`-th failed attempt (1-based),
/// at most `cap`.
pub fn backoff(base: Duration, cap: Duration, attempt: u32) -> Duration {
    let exponent = attempt.saturating_sub(1).min(30);
    base.saturating_mul(1u32 << exponent).min(cap)
}

/// `delay` spread by up to +-20% with `unit` in `[0, 1)` (a random draw), so endpoints that
/// failed together do not retry in lockstep.
pub fn with_jitter(delay: Duration, unit: f64) -> Duration {
    let unit = unit.clamp(0.0, 1.0);
    delay.mul_f64(0.8 + 0.4 * unit)
}

/// Longest endpoint URL accepted.
pub const MAX_URL_LEN: usize = 2_048;

/// An endpoint URL: absolute `http` or `https` with a host, no credentials in it, no fragment.
pub fn validate_url(raw: &str) -> Result<url::Url, String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > MAX_URL_LEN {
        return Err(format!("must be 1 to {MAX_URL_LEN} characters"));
    }
    let url = url::Url::parse(raw).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("must be an http or https URL".into());
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("must name a host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not contain a user name or password".into());
    }
    if url.fragment().is_some() {
        return Err("must not contain a fragment".into());
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_test_case_2() {
        assert_eq!(
            hmac_sha256_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn the_header_signs_timestamp_dot_body() {
        let header = signature_header("whsec_test", 1_700_000_000, br#"{"a":1}"#);
        let expected = hmac_sha256_hex(b"whsec_test", br#"1700000000.{"a":1}"#);
        assert_eq!(header, format!("t=1700000000,v1={expected}"));
    }

    #[test]
    fn receivers_verify_and_refuse_tampering_and_old_timestamps() {
        let body = br#"{"id":"evt_1"}"#;
        let header = signature_header("whsec_a", 1_000, body);
        assert!(verify_signature("whsec_a", &header, body, 1_100, 300));
        assert!(!verify_signature("whsec_b", &header, body, 1_100, 300));
        assert!(!verify_signature("whsec_a", &header, b"{}", 1_100, 300));
        assert!(!verify_signature("whsec_a", &header, body, 2_000, 300));
        assert!(!verify_signature("whsec_a", "v1=abc", body, 1_000, 300));
    }

    #[test]
    fn backoff_doubles_from_the_base_up_to_the_cap() {
        let base = Duration::from_secs(30);
        let cap = Duration::from_secs(3_600);
        let schedule: Vec<u64> = (1..=9).map(|a| backoff(base, cap, a).as_secs()).collect();
        assert_eq!(schedule, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(backoff(base, cap, 0), base);
        assert_eq!(backoff(base, cap, u32::MAX), cap);
    }

    #[test]
    fn jitter_stays_within_twenty_percent() {
        let delay = Duration::from_secs(100);
        assert_eq!(with_jitter(delay, 0.0), Duration::from_secs(80));
        assert_eq!(with_jitter(delay, 0.5), Duration::from_secs(100));
        assert!(with_jitter(delay, 0.999) <= Duration::from_secs(120));
        assert_eq!(with_jitter(delay, 7.0), Duration::from_secs(120));
    }

    #[test]
    fn event_types_have_wire_names() {
        let names: Vec<&str> = EventType::ALL.iter().map(|t| t.wire_name()).collect();
        assert_eq!(
            names,
            [
                "conversion.attributed",
                "conversion.refunded",
                "commission.approved",
                "payout.paid"
            ]
        );
        assert_eq!(EventType::parse("PAYOUT_PAID"), Some(EventType::PayoutPaid));
    }

    #[test]
    fn only_plain_http_and_https_urls_are_endpoints() {
        assert!(validate_url("https://hooks.example.com/pg").is_ok());
        assert!(validate_url("http://127.0.0.1:9000/hook?x=1").is_ok());
        for bad in [
            "",
            "hooks.example.com",
            "ftp://example.com/x",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "https://user:pw@example.com/",
            "https://example.com/#frag",
        ] {
            assert!(validate_url(bad).is_err(), "{bad}");
        }
        assert!(validate_url(&format!("https://e.com/{}", "a".repeat(3_000))).is_err());
    }
}
