//! The ingestion traffic of rows 5 and 11: batches of clicks on the brand's links and of
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

/// What a run's traffic looks like.
pub struct Traffic {
    /// Links the clicks land on, in turn.
    pub links: Vec<String>,
    /// Discount codes for every fifth order, in turn, each with the link its order's click is
    /// on (`None`: the click's link in turn, whoever's it is).
    pub codes: Vec<(String, Option<String>)>,
    /// Distinct visitors the clicks come from, in turn (`None`: each click its own visitor).
    pub visitors: Option<usize>,
}

impl Traffic {
    /// Row 5's traffic: the manifest's links, its codes on any click, 3,000 visitors.
    pub fn of(manifest: &Manifest) -> Self {
        Self {
            links: manifest.link_codes.clone(),
            codes: manifest
                .discount_codes
                .iter()
                .map(|code| (code.clone(), None))
                .collect(),
            visitors: Some(3000),
        }
    }

    /// The code (with its link, when it has one) of order `n`, if it has one.
    fn code(&self, n: usize) -> Option<&(String, Option<String>)> {
        (n.is_multiple_of(5) && !self.codes.is_empty()).then(|| &self.codes[n % self.codes.len()])
    }

    fn link(&self, n: usize) -> &str {
        match self.code(n) {
            Some((_, Some(link))) => link,
            _ => &self.links[n % self.links.len()],
        }
    }
}

/// `recordClicks` items for clicks `range` of a run.
fn click_batch(
    traffic: &Traffic,
    nonce: &str,
    range: std::ops::Range<usize>,
    now: DateTime<Utc>,
) -> Vec<Value> {
    range
        .map(|n| {
            let visitor = traffic.visitors.map_or(n, |visitors| n % visitors);
            json!({
                "linkCode": traffic.link(n),
                "clickId": click_id(nonce, n),
                "occurredAt": rfc3339(now - chrono::Duration::seconds(600 - (n % 300) as i64)),
                "visitorKey": format!("{nonce}v{visitor}"),
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
    traffic: &Traffic,
    nonce: &str,
    range: std::ops::Range<usize>,
    now: DateTime<Utc>,
) -> Vec<Value> {
    range
        .map(|n| {
            json!({
                "externalId": order_id(nonce, n),
                "kind": "SALE",
                "occurredAt": rfc3339(now - chrono::Duration::seconds(60)),
                "amount": format!("{}.{:02}", 20 + n % 180, n % 100),
                "customerKey": format!("{nonce}-cust{}", n % 4000),
                "clickId": click_id(nonce, n),
                "discountCode": traffic.code(n).map(|(code, _)| code),
                "region": "US-CA",
            })
        })
        .collect()
}

/// Sends clicks `range` of a run (`recordClicks`, as `key`) and then the orders naming them
/// (`recordConversions`); returns the time spent on each kind.
pub async fn send(
    client: &mut Client,
    key: &str,
    traffic: &Traffic,
    nonce: &str,
    range: std::ops::Range<usize>,
    now: DateTime<Utc>,
) -> Result<(Duration, Duration), Error> {
    let mut times = (Duration::ZERO, Duration::ZERO);
    let starts: Vec<usize> = range.clone().step_by(BATCH).collect();
    for &start in &starts {
        let batch = start..(start + BATCH).min(range.end);
        let items = click_batch(traffic, nonce, batch.clone(), now);
        times.0 += timed(client, key, "RecordClicks", "clicks", items, batch.len()).await?;
    }
    for &start in &starts {
        let batch = start..(start + BATCH).min(range.end);
        let items = conversion_batch(traffic, nonce, batch.clone(), now);
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
