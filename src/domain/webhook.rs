//! Outbound webhooks, the pure parts: event types and their wire names, the signature schemes,
//! the retry schedule and which endpoint URLs are accepted.
//!
//! Signature (DOMAIN rule 11, Standard Webhooks 1.0): `webhook-id`, `webhook-timestamp` (unix
//! seconds) and `webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`,
//! where the key is the base64-decoded part of the `whsec_` secret after the prefix, so the
//! official `standardwebhooks` libraries verify our deliveries as they are.
//!
//! The older `PartnerGraph-Signature: t=<t>,v1=<hex HMAC-SHA256(secret text, "<t>.<body>")>` is
//! still sent for one release ([`legacy_signature_header`]) so receivers can move over.

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
        ExportCompleted => "EXPORT_COMPLETED",
        FraudFlagged => "FRAUD_FLAGGED",
    }
}

impl EventType {
    /// `conversion.attributed`, `conversion.refunded`, `commission.approved`, `payout.paid`,
    /// `export.completed`, `fraud.flagged`.
    pub fn wire_name(self) -> &'static str {
        match self {
            Self::ConversionAttributed => "conversion.attributed",
            Self::ConversionRefunded => "conversion.refunded",
            Self::CommissionApproved => "commission.approved",
            Self::PayoutPaid => "payout.paid",
            Self::ExportCompleted => "export.completed",
            Self::FraudFlagged => "fraud.flagged",
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

/// The prefix of endpoint signing secrets: `whsec_` + standard base64 of 32 random bytes.
/// Secrets made before Standard Webhooks used URL-safe base64 without padding for the same 32
/// bytes; [`signing_key`] reads both, so they sign with the same key.
pub const SECRET_PREFIX: &str = "whsec_";

/// The HMAC key of a `whsec_` secret: the base64 after the prefix, decoded (standard or
/// URL-safe alphabet, padded or not). `None` when it is not base64 or is empty.
pub fn signing_key(secret: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    use base64::alphabet;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    let lenient =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    [alphabet::STANDARD, alphabet::URL_SAFE]
        .iter()
        .find_map(|alphabet| GeneralPurpose::new(alphabet, lenient).decode(encoded).ok())
        .filter(|key| !key.is_empty())
}

/// `whsec_` + standard base64 (padded) of `key`: the form the official libraries accept.
pub fn secret_text(key: &[u8]) -> String {
    use base64::Engine;
    format!(
        "{SECRET_PREFIX}{}",
        base64::engine::general_purpose::STANDARD.encode(key)
    )
}

/// The `webhook-signature` value for message `id` sent at `timestamp` with `body`:
/// `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`.
pub fn standard_signature(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    use base64::Engine;
    let mut signed = Vec::with_capacity(id.len() + body.len() + 14);
    signed.extend_from_slice(id.as_bytes());
    signed.push(b'.');
    signed.extend_from_slice(timestamp.to_string().as_bytes());
    signed.push(b'.');
    signed.extend_from_slice(body);
    let digest = hmac_sha256(key, &signed);
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// What a Standard Webhooks receiver checks: `timestamp` within `tolerance_secs` of `now`, and
/// one of the space-separated `v1,...` signatures in `signatures` matching (constant time).
pub fn verify_standard(
    secret: &str,
    id: &str,
    timestamp: &str,
    signatures: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> bool {
    let (Some(key), Ok(timestamp)) = (signing_key(secret), timestamp.parse::<i64>()) else {
        return false;
    };
    if (now - timestamp).abs() > tolerance_secs {
        return false;
    }
    let expected = standard_signature(&key, id, timestamp, body);
    signatures
        .split(' ')
        .any(|sig| constant_time_eq(sig.as_bytes(), expected.as_bytes()))
}

/// HMAC-SHA256 of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Lower-case hex HMAC-SHA256 of `message` under `key`.
pub fn hmac_sha256_hex(key: &[u8], message: &[u8]) -> String {
    hex::encode(hmac_sha256(key, message))
}

/// The deprecated `PartnerGraph-Signature` header value for `body` sent at `timestamp` (unix
/// seconds), keyed with the secret's text. Sent beside the Standard Webhooks headers for one
/// release.
pub fn legacy_signature_header(secret: &str, timestamp: i64, body: &[u8]) -> String {
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
pub fn verify_legacy_signature(
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
    let expected = legacy_signature_header(secret, timestamp, body);
    let Some((_, expected)) = expected.split_once(",v1=") else {
        return false;
    };
    signatures
        .iter()
        .any(|sig| constant_time_eq(sig.as_bytes(), expected.as_bytes()))
}

/// Equality that takes the same time wherever the inputs differ (signatures).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
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
        let header = legacy_signature_header("whsec_test", 1_700_000_000, br#"{"a":1}"#);
        let expected = hmac_sha256_hex(b"whsec_test", br#"1700000000.{"a":1}"#);
        assert_eq!(header, format!("t=1700000000,v1={expected}"));
    }

    #[test]
    fn receivers_verify_and_refuse_tampering_and_old_timestamps() {
        let body = br#"{"id":"evt_1"}"#;
        let header = legacy_signature_header("whsec_a", 1_000, body);
        assert!(verify_legacy_signature(
            "whsec_a", &header, body, 1_100, 300
        ));
        assert!(!verify_legacy_signature(
            "whsec_b", &header, body, 1_100, 300
        ));
        assert!(!verify_legacy_signature(
            "whsec_a", &header, b"{}", 1_100, 300
        ));
        assert!(!verify_legacy_signature(
            "whsec_a", &header, body, 2_000, 300
        ));
        assert!(!verify_legacy_signature(
            "whsec_a", "v1=abc", body, 1_000, 300
        ));
    }

    /// The test vector of the Standard Webhooks reference libraries.
    const SPEC_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const SPEC_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SPEC_TIMESTAMP: i64 = 1_614_265_330;
    const SPEC_BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SPEC_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn standard_signature_matches_the_spec_test_vector() {
        let key = signing_key(SPEC_SECRET).unwrap();
        assert_eq!(
            standard_signature(&key, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY),
            SPEC_SIGNATURE
        );
    }

    #[test]
    fn standard_receivers_verify_and_refuse_tampering_and_old_timestamps() {
        let t = SPEC_TIMESTAMP.to_string();
        let verify = |secret: &str, id: &str, sigs: &str, body: &[u8], now: i64| {
            verify_standard(secret, id, &t, sigs, body, now, 300)
        };
        assert!(verify(
            SPEC_SECRET,
            SPEC_ID,
            SPEC_SIGNATURE,
            SPEC_BODY,
            SPEC_TIMESTAMP
        ));
        let several = format!("v1,bm90IHRoaXM= {SPEC_SIGNATURE}");
        assert!(verify(
            SPEC_SECRET,
            SPEC_ID,
            &several,
            SPEC_BODY,
            SPEC_TIMESTAMP + 299
        ));
        assert!(!verify(
            SPEC_SECRET,
            "msg_other",
            SPEC_SIGNATURE,
            SPEC_BODY,
            SPEC_TIMESTAMP
        ));
        assert!(!verify(
            SPEC_SECRET,
            SPEC_ID,
            SPEC_SIGNATURE,
            b"{}",
            SPEC_TIMESTAMP
        ));
        assert!(!verify(
            SPEC_SECRET,
            SPEC_ID,
            SPEC_SIGNATURE,
            SPEC_BODY,
            SPEC_TIMESTAMP + 301
        ));
        assert!(!verify(
            "whsec_AAAA",
            SPEC_ID,
            SPEC_SIGNATURE,
            SPEC_BODY,
            SPEC_TIMESTAMP
        ));
        assert!(!verify_standard(
            SPEC_SECRET,
            SPEC_ID,
            "soon",
            SPEC_SIGNATURE,
            SPEC_BODY,
            0,
            300
        ));
    }

    #[test]
    fn old_url_safe_secrets_and_their_standard_form_share_a_key() {
        let key: Vec<u8> = (0u8..32)
            .map(|i| i.wrapping_mul(37).wrapping_add(250))
            .collect();
        let old = {
            use base64::Engine;
            format!(
                "whsec_{}",
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&key)
            )
        };
        let new = secret_text(&key);
        assert_ne!(old, new);
        assert!(new.ends_with('='), "{new}");
        assert_eq!(signing_key(&old).unwrap(), key);
        assert_eq!(signing_key(&new).unwrap(), key);
        assert_eq!(signing_key("whsec_"), None);
        assert_eq!(signing_key("whsec_not base64!"), None);
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
                "payout.paid",
                "export.completed",
                "fraud.flagged"
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
