//! The ingestion traffic of rows 5 and 11: batches of clicks on the manifest's links and of
//! conversions that name those clicks (every fifth with a discount code), as an integrator
//! sends them, and the check that a batch was accepted whole.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::graphql::{INGEST, call};
use crate::http::{Client, Error};
use crate::manifest::Manifest;

pub const BATCH: usize = 500;

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Click `n` of a run (`nonce` keeps runs apart): its id.
pub fn click_id(nonce: &str, n: usize) -> String {
    format!("{nonce}c{n}")
}

/// `recordClicks` items for clicks `range` of a run.
fn click_batch(
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
fn conversion_batch(
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

/// Sends clicks `range` of a run (`recordClicks`, as `key`) and then, when `conversions`, the
/// orders naming them (`recordConversions`); returns the time spent on each kind.
pub async fn send(
    client: &mut Client,
    key: &str,
    manifest: &Manifest,
    nonce: &str,
    range: std::ops::Range<usize>,
    now: DateTime<Utc>,
) -> Result<(Duration, Duration), Error> {
    let mut times = (Duration::ZERO, Duration::ZERO);
    let starts: Vec<usize> = range.clone().step_by(BATCH).collect();
    for &start in &starts {
        let batch = start..(start + BATCH).min(range.end);
        let items = click_batch(manifest, nonce, batch.clone(), now);
        times.0 += timed(client, key, "RecordClicks", "clicks", items, batch.len()).await?;
    }
    for &start in &starts {
        let batch = start..(start + BATCH).min(range.end);
        let items = conversion_batch(manifest, nonce, batch.clone(), now);
        times.1 += timed(
            client,
            key,
            "RecordConversions",
            "conversions",
            items,
            batch.len(),
        )
        .await?;
    }
    Ok(times)
}

/// One contract ingestion call, timed; an error unless every item was accepted.
async fn timed(
    client: &mut Client,
    key: &str,
    operation: &str,
    argument: &str,
    items: Vec<Value>,
    expected: usize,
) -> Result<Duration, Error> {
    let started = Instant::now();
    let data = call(
        client,
        Some(key),
        INGEST,
        operation,
        json!({ argument: items }),
    )
    .await?;
    let elapsed = started.elapsed();
    let mut field = operation.to_owned();
    field[..1].make_ascii_lowercase();
    accepted_all(&data, &field, expected)?;
    Ok(elapsed)
}

/// An error unless the batch's every item was accepted.
fn accepted_all(data: &Value, field: &str, expected: usize) -> Result<(), Error> {
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
