//! The ingestion traffic of rows 5 and 11: batches of clicks on the manifest's links and of
//! conversions that name those clicks (every fifth with a discount code), as an integrator
//! sends them, and the check that a batch was accepted whole.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::http::Error;
use crate::manifest::Manifest;

pub const BATCH: usize = 500;

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Click `n` of a run (`nonce` keeps runs apart): its id.
pub fn click_id(nonce: &str, n: usize) -> String {
    format!("{nonce}c{n}")
}

/// `recordClicks` items for clicks `range` of a run.
pub fn click_batch(
    manifest: &Manifest,
    nonce: &str,
    range: std::ops::Range<usize>,
    now: DateTime<Utc>,
) -> Vec<Value> {
    range
        .map(|n| {
            json!({
                "linkCode": manifest.link_codes[n % manifest.link_codes.len()],
                "clickId": click_id(nonce, n),
                "occurredAt": rfc3339(now - chrono::Duration::seconds(600 - (n % 300) as i64)),
                "visitorKey": format!("{nonce}v{}", n % 3000),
                "userAgent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148",
                "referrer": "https://www.instagram.com/",
                "country": "US",
            })
        })
        .collect()
}

/// Order `n` of a run: its external id.
pub fn order_id(nonce: &str, n: usize) -> String {
    format!("{nonce}-o{n}")
}

/// `recordConversions` items for orders `range` of a run, each naming click `n`.
pub fn conversion_batch(
    manifest: &Manifest,
    nonce: &str,
    range: std::ops::Range<usize>,
    now: DateTime<Utc>,
) -> Vec<Value> {
    range
        .map(|n| {
            let code = (n.is_multiple_of(5) && !manifest.discount_codes.is_empty())
                .then(|| manifest.discount_codes[n % manifest.discount_codes.len()].clone());
            json!({
                "externalId": order_id(nonce, n),
                "kind": "SALE",
                "occurredAt": rfc3339(now - chrono::Duration::seconds(60)),
                "amount": format!("{}.{:02}", 20 + n % 180, n % 100),
                "customerKey": format!("{nonce}-cust{}", n % 4000),
                "clickId": click_id(nonce, n),
                "discountCode": code,
                "region": "US-CA",
            })
        })
        .collect()
}

/// An error unless the batch's every item was accepted.
pub fn accepted_all(data: &Value, field: &str, expected: usize) -> Result<(), Error> {
    let result = &data[field];
    let accepted = result["accepted"].as_u64().unwrap_or(0) as usize;
    if accepted != expected {
        let errors: Vec<&Value> = result["results"]
            .as_array()
            .map(|r| r.iter().filter(|i| !i["error"].is_null()).take(3).collect())
            .unwrap_or_default();
        return Err(format!(
            "{field}: {accepted} of {expected} accepted ({} duplicates, {} rejected; {errors:?})",
            result["duplicates"], result["rejected"]
        )
        .into());
    }
    Ok(())
}
