//! Row 9: Shopify `orders/create` deliveries through a Shopify connector
//! (`POST /connect/shopify/{id}`, signed, one order per request as Shopify sends them), next to
//! the same orders through `recordConversions` with the INGEST API key, one order per call. Both
//! sides run the same number of concurrent senders, each with its own kept-alive connection, and
//! alternate in rounds (API, connector, API, connector, ...) so a drift of the server (rollups
//! catching up, tables growing) weighs on both alike. Prints one JSON line.
//!
//! The orders are alike on both sides: a fresh order id, an amount, a demo discount code of the
//! manifest (code attribution, commissions), a customer id. What differs is only the path: the
//! connector verifies the HMAC, unseals its secret, parses Shopify's order and records it through
//! the same ingestion service.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::Utc;
use clap::Parser;
use partnergraph::domain::connector::base64_hmac;
use partnergraph_bench::graphql::{INGEST, call, login};
use partnergraph_bench::http::{Client, Error};
use partnergraph_bench::manifest::Manifest;
use serde_json::{Value, json};

#[derive(Parser, Debug)]
struct Args {
    #[arg(long)]
    manifest: PathBuf,
    /// `http://127.0.0.1:PORT`
    #[arg(long)]
    server: String,
    /// Orders per side.
    #[arg(long, default_value_t = 4000)]
    orders: usize,
    /// Concurrent senders per side.
    #[arg(long, default_value_t = 8)]
    senders: usize,
    /// Rounds each side's orders are split into (alternating sides).
    #[arg(long, default_value_t = 4)]
    rounds: usize,
}

/// The bench connector's signing secret (a fresh connector per run).
const SECRET: &str = "shpss_bench0connector0secret";

/// One order, as both sides describe it.
struct Order {
    id: u64,
    amount: String,
    code: String,
    customer: u64,
}

fn orders(manifest: &Manifest, first_id: u64, count: usize) -> Vec<Order> {
    (0..count)
        .map(|n| Order {
            id: first_id + n as u64,
            amount: format!("{}.{:02}", 20 + n % 180, n % 100),
            code: manifest.discount_codes[n % manifest.discount_codes.len()].clone(),
            customer: 7_000_000 + (n % 4000) as u64,
        })
        .collect()
}

fn shopify_body(order: &Order, at: &str) -> Vec<u8> {
    let body = json!({
        "id": order.id,
        "name": format!("#{}", order.id),
        "processed_at": at,
        "currency": "USD",
        "subtotal_price": order.amount,
        "total_price": order.amount,
        "email": format!("buyer{}@example.com", order.customer),
        "customer": { "id": order.customer, "email": format!("buyer{}@example.com", order.customer) },
        "discount_codes": [{ "code": order.code, "amount": "5.00", "type": "percentage" }],
        "landing_site": "/products/serum",
        "note_attributes": [],
    });
    serde_json::to_vec(&body).unwrap_or_default()
}

fn conversion_input(order: &Order, at: &str) -> Value {
    json!({ "conversions": [{
        "externalId": order.id.to_string(),
        "kind": "SALE",
        "occurredAt": at,
        "amount": order.amount,
        "currencyCode": "USD",
        "customerKey": order.customer.to_string(),
        "discountCode": order.code,
    }] })
}

#[derive(Clone, Copy)]
enum Side {
    Api,
    Connector,
}

/// Sends `orders` over `senders` connections; returns the wall time.
async fn send(
    server: &str,
    side: Side,
    orders: Vec<Order>,
    senders: usize,
    key: &str,
    endpoint: &str,
) -> Result<Duration, Error> {
    let at = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut shares: Vec<Vec<Order>> = (0..senders).map(|_| Vec::new()).collect();
    for (n, order) in orders.into_iter().enumerate() {
        shares[n % senders].push(order);
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for share in shares {
        let (server, key, endpoint, at) = (
            server.to_owned(),
            key.to_owned(),
            endpoint.to_owned(),
            at.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut client = Client::new(&server)?;
            for order in &share {
                match side {
                    Side::Api => {
                        let data = call(
                            &mut client,
                            Some(&key),
                            INGEST,
                            "RecordConversions",
                            conversion_input(order, &at),
                        )
                        .await?;
                        let accepted = data["recordConversions"]["accepted"].as_u64();
                        if accepted != Some(1) {
                            return Err(format!("recordConversions: {data}").into());
                        }
                    }
                    Side::Connector => {
                        let body = shopify_body(order, &at);
                        let signature = base64_hmac(SECRET.as_bytes(), &body);
                        let headers = [
                            ("X-Shopify-Topic", "orders/create"),
                            ("X-Shopify-Hmac-Sha256", signature.as_str()),
                        ];
                        let (status, answer) = client.post(&endpoint, &headers, &body).await?;
                        if status != 200 || answer["status"] != "ACCEPTED" {
                            return Err(format!("connector: HTTP {status} {answer}").into());
                        }
                    }
                }
            }
            Ok::<(), Error>(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(started.elapsed())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let manifest = Manifest::read(&args.manifest).map_err(|e| e.to_string())?;
    if manifest.discount_codes.is_empty() {
        return Err("the manifest has no discount codes".into());
    }
    let mut client = Client::new(&args.server)?;
    let token = login(&mut client, &manifest.admin_email, &manifest.admin_password).await?;
    let created = call(
        &mut client,
        Some(&token),
        "mutation CreateConnector($input: CreateConnectorInput!) { \
         createConnector(input: $input) { connector { endpointUrl } } }",
        "CreateConnector",
        json!({ "input": { "kind": "SHOPIFY", "name": format!("bench {}", Utc::now().timestamp_millis()), "signingSecret": SECRET } }),
    )
    .await?;
    let url = created["createConnector"]["connector"]["endpointUrl"]
        .as_str()
        .ok_or("createConnector: no endpointUrl")?;
    let endpoint = format!(
        "/connect/{}",
        url.split_once("/connect/")
            .ok_or("an endpoint URL without /connect/")?
            .1
    );

    // Order ids no other run used: a millisecond stamp times a million, plus the order's number.
    let base = Utc::now().timestamp_millis() as u64 * 1_000_000;
    let per_round = args.orders.div_ceil(args.rounds);
    let (mut api, mut connector) = (Duration::ZERO, Duration::ZERO);
    let mut next = base;
    for _ in 0..args.rounds {
        for side in [Side::Api, Side::Connector] {
            let batch = orders(&manifest, next, per_round);
            next += per_round as u64;
            let elapsed = send(
                &args.server,
                side,
                batch,
                args.senders,
                &manifest.api_key,
                &endpoint,
            )
            .await?;
            match side {
                Side::Api => api += elapsed,
                Side::Connector => connector += elapsed,
            }
        }
    }
    let total = per_round * args.rounds;
    let connector_rate = total as f64 / connector.as_secs_f64();
    let api_rate = total as f64 / api.as_secs_f64();
    println!(
        "{}",
        json!({
            "row": "connector_shopify",
            "orders": total,
            "senders": args.senders,
            "connector_orders_per_s": connector_rate,
            "api_orders_per_s": api_rate,
            "ratio": connector_rate / api_rate,
        })
    );
    Ok(())
}
