//! Outbound webhooks: a receiver on 127.0.0.1 gets signed deliveries; a failing receiver is
//! retried with backoff until its endpoint is disabled; a delivery left pending at shutdown is
//! sent after a restart; who may manage and read endpoints; tenant isolation; input checks.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::world::{self, World, discount_code, text};
use crate::helpers::{TestApp, TestDb, data, error_codes, test_config};
use crate::on_both_backends;

/// What the receiver got: (headers, body) per request.
type Received = Arc<Mutex<Vec<(HeaderMap, String)>>>;

pub(crate) struct Receiver {
    pub(crate) url: String,
    received: Received,
    /// The status it answers with.
    status: Arc<Mutex<StatusCode>>,
}

impl Receiver {
    pub(crate) async fn start(status: StatusCode) -> Self {
        let received: Received = Arc::default();
        let status = Arc::new(Mutex::new(status));
        let (r, s) = (received.clone(), status.clone());
        let router = axum::Router::new().route(
            "/hooks",
            post(move |headers: HeaderMap, body: String| {
                let (r, s) = (r.clone(), s.clone());
                async move {
                    r.lock().unwrap().push((headers, body));
                    *s.lock().unwrap()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self {
            url: format!("http://{addr}/hooks"),
            received,
            status,
        }
    }

    fn count(&self) -> usize {
        self.received.lock().unwrap().len()
    }

    pub(crate) fn get(&self, i: usize) -> (HeaderMap, String) {
        self.received.lock().unwrap()[i].clone()
    }

    fn answer(&self, status: StatusCode) {
        *self.status.lock().unwrap() = status;
    }

    /// Waits (at most 15 s) until `n` requests have arrived.
    pub(crate) async fn wait_for(&self, n: usize) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        while self.count() < n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "expected {n} deliveries, got {}",
                self.count()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The app restarted with a worker that polls every 20 ms.
async fn fast(app: TestApp) -> TestApp {
    app.restart(|c| c.webhooks.poll_interval = Duration::from_millis(20))
        .await
}

const CREATE: &str = "mutation ($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) {
    secret
    webhookEndpoint { id url eventTypes enabled secretPrefix consecutiveFailures }
  } }";

const UPDATE: &str = "mutation ($input: UpdateWebhookEndpointInput!) {
  updateWebhookEndpoint(input: $input) {
    id enabled disabledAt disabledReason consecutiveFailures } }";

const ENDPOINTS: &str = "{ webhookEndpoints(first: 10) { totalCount nodes {
  id url enabled disabledReason consecutiveFailures eventTypes } } }";

const DELIVERIES: &str = "query ($endpointId: ID) {
  webhookDeliveries(endpointId: $endpointId, first: 50) { totalCount nodes {
    id endpointId eventId eventType status attempts nextAttemptAt lastStatusCode lastError
    payload deliveredAt } } }";

const RECORD: &str = "mutation ($c: [ConversionInput!]!) { recordConversions(conversions: $c) {
  results { status conversion { id attribution { method } } } } }";

/// Registers an endpoint as ADMIN; returns (id, secret).
pub(crate) async fn create_endpoint(
    app: &TestApp,
    admin: &str,
    url: &str,
    types: &[&str],
) -> (String, String) {
    let response = app
        .graphql_as(
            Some(admin),
            CREATE,
            json!({ "input": { "url": url, "eventTypes": types, "description": "test" } }),
        )
        .await;
    let payload = &data(&response)["createWebhookEndpoint"];
    (
        text(&payload["webhookEndpoint"]["id"]),
        text(&payload["secret"]),
    )
}

/// Records one SALE of `amount` USD with the world's key; with `code` it is attributed.
async fn record_sale(app: &TestApp, w: &World, external_id: &str, code: Option<&str>) -> Value {
    let response = app
        .graphql_as(
            Some(&w.key),
            RECORD,
            json!({ "c": [{ "externalId": external_id, "kind": "SALE",
                "occurredAt": chrono::Utc::now().to_rfc3339(), "amount": "50.00",
                "currencyCode": "USD", "discountCode": code }] }),
        )
        .await;
    data(&response)["recordConversions"]["results"][0].clone()
}

async fn deliveries(app: &TestApp, token: &str, endpoint: Option<&str>) -> Vec<Value> {
    let response = app
        .graphql_as(Some(token), DELIVERIES, json!({ "endpointId": endpoint }))
        .await;
    data(&response)["webhookDeliveries"]["nodes"]
        .as_array()
        .unwrap()
        .clone()
}

/// The documented Standard Webhooks check, written independently of the server's code:
/// HMAC-SHA256 keyed with the base64 after `whsec_`, over `"<webhook-id>.<webhook-timestamp>.<body>"`,
/// base64, compared with each `v1,` entry of `webhook-signature`.
fn signature_verifies(secret: &str, headers: &HeaderMap, body: &str) -> bool {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let (id, t) = (header("webhook-id"), header("webhook-timestamp"));
    let Ok(key) = STANDARD.decode(secret.trim_start_matches("whsec_")) else {
        return false;
    };
    let Ok(age) = t.parse::<i64>().map(|t| chrono::Utc::now().timestamp() - t) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{t}.{body}").as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    !id.is_empty()
        && age.abs() < 300
        && header("webhook-signature")
            .split(' ')
            .any(|s| s == expected)
}

async fn signed_deliveries_reach_a_receiver(app: TestApp) {
    let app = fast(app).await;
    let w = world::world(&app).await;
    discount_code(&app, &w.admin, &w.enrollment_a, "CORA10").await;
    let receiver = Receiver::start(StatusCode::OK).await;
    let (endpoint, secret) = create_endpoint(
        &app,
        &w.admin,
        &receiver.url,
        &["CONVERSION_ATTRIBUTED", "CONVERSION_REFUNDED"],
    )
    .await;
    assert!(secret.starts_with("whsec_"), "{secret}");

    // Unattributed: no event. Attributed: one.
    record_sale(&app, &w, "order-none", None).await;
    let sale = record_sale(&app, &w, "order-1", Some("CORA10")).await;
    assert_eq!(sale["conversion"]["attribution"]["method"], "CODE");
    let conversion_id = text(&sale["conversion"]["id"]);
    receiver.wait_for(1).await;

    let (headers, body) = receiver.get(0);
    let header = |name: &str| headers.get(name).unwrap().to_str().unwrap().to_owned();
    assert!(signature_verifies(&secret, &headers, &body));
    assert!(!signature_verifies("whsec_d3Jvbmc=", &headers, &body));
    assert!(!signature_verifies(
        &secret,
        &headers,
        &body.replace("order-1", "order-2")
    ));
    assert!(partnergraph::domain::webhook::verify_standard(
        &secret,
        &header("webhook-id"),
        &header("webhook-timestamp"),
        &header("webhook-signature"),
        body.as_bytes(),
        chrono::Utc::now().timestamp(),
        300,
    ));
    // The deprecated header, still sent for one release.
    assert!(partnergraph::domain::webhook::verify_legacy_signature(
        &secret,
        &header("partnergraph-signature"),
        body.as_bytes(),
        chrono::Utc::now().timestamp(),
        300,
    ));
    assert_eq!(header("partnergraph-event"), "conversion.attributed");
    assert_eq!(header("content-type"), "application/json");
    let payload: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(payload["type"], "conversion.attributed");
    assert_eq!(payload["brandId"], w.brand_a.as_str());
    assert!(payload["id"].as_str().unwrap().starts_with("evt_"));
    let conversion = &payload["data"]["conversion"];
    assert_eq!(conversion["id"], conversion_id.as_str());
    assert_eq!(conversion["externalId"], "order-1");
    assert_eq!(
        conversion["amount"],
        json!({ "amount": "50.00", "currencyCode": "USD" })
    );
    assert_eq!(conversion["attribution"]["method"], "CODE");
    assert_eq!(
        conversion["attribution"]["enrollmentId"],
        w.enrollment_a.as_str()
    );
    assert_eq!(conversion["attribution"]["creatorId"], w.creator_a.as_str());

    // The log shows it delivered, under the id sent in the header.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let log = deliveries(&app, &w.admin, Some(&endpoint)).await;
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["id"], header("partnergraph-delivery").as_str());
    assert_eq!(log[0]["id"], header("webhook-id").as_str());
    assert_eq!(log[0]["status"], "DELIVERED");
    assert_eq!(log[0]["eventType"], "CONVERSION_ATTRIBUTED");
    assert_eq!(log[0]["attempts"], 1);
    assert_eq!(log[0]["lastStatusCode"], 200);
    assert_eq!(log[0]["nextAttemptAt"], Value::Null);
    assert_eq!(log[0]["payload"], body.as_str());
    assert_eq!(log[0]["eventId"], payload["id"]);

    // A refund of the attributed order.
    let refund = app
        .contract(
            Some(&w.key),
            "ingest",
            "RecordRefund",
            json!({ "input": { "externalId": "order-1", "refundId": "refund-1",
                "amount": "20.00", "occurredAt": chrono::Utc::now().to_rfc3339() } }),
        )
        .await;
    data(&refund);
    receiver.wait_for(2).await;
    let (headers, body) = receiver.get(1);
    assert!(signature_verifies(&secret, &headers, &body));
    let payload: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(payload["type"], "conversion.refunded");
    assert_eq!(payload["data"]["refund"]["refundId"], "refund-1");
    assert_eq!(
        payload["data"]["conversion"]["refundedAmount"],
        json!({ "amount": "20.00", "currencyCode": "USD" })
    );
    assert_eq!(
        payload["data"]["conversion"]["status"],
        "PARTIALLY_REFUNDED"
    );

    // A refund that arrives before its order is announced when the order arrives.
    let held = app
        .contract(
            Some(&w.key),
            "ingest",
            "RecordRefund",
            json!({ "input": { "externalId": "order-2", "refundId": "refund-2",
                "amount": "50.00", "occurredAt": chrono::Utc::now().to_rfc3339() } }),
        )
        .await;
    data(&held);
    record_sale(&app, &w, "order-2", Some("CORA10")).await;
    receiver.wait_for(4).await;
    let mut types: Vec<String> = (2..4)
        .map(|i| {
            let payload: Value = serde_json::from_str(&receiver.get(i).1).unwrap();
            assert_eq!(payload["data"]["conversion"]["externalId"], "order-2");
            assert_eq!(payload["data"]["conversion"]["status"], "REFUNDED");
            text(&payload["type"])
        })
        .collect();
    types.sort();
    assert_eq!(types, ["conversion.attributed", "conversion.refunded"]);
}

async fn failing_receivers_are_retried_then_disabled(app: TestApp) {
    let app = fast(app).await;
    let w = world::world(&app).await;
    discount_code(&app, &w.admin, &w.enrollment_a, "CORA10").await;
    let receiver = Receiver::start(StatusCode::INTERNAL_SERVER_ERROR).await;
    let (endpoint, _) =
        create_endpoint(&app, &w.admin, &receiver.url, &["CONVERSION_ATTRIBUTED"]).await;
    record_sale(&app, &w, "order-1", Some("CORA10")).await;

    // disable_after_failures is 3 in the test config.
    receiver.wait_for(3).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        receiver.count(),
        3,
        "no attempt after the endpoint is disabled"
    );
    let (_, first) = receiver.get(0);
    let (_, third) = receiver.get(2);
    assert_eq!(first, third, "every retry sends the same body");

    let listed = app.graphql_as(Some(&w.admin), ENDPOINTS, json!({})).await;
    let node = &data(&listed)["webhookEndpoints"]["nodes"][0];
    assert_eq!(node["enabled"], false);
    assert_eq!(node["consecutiveFailures"], 3);
    assert_eq!(
        node["disabledReason"],
        "disabled after 3 consecutive failed deliveries; last: HTTP 500"
    );
    let log = deliveries(&app, &w.admin, Some(&endpoint)).await;
    assert_eq!(log[0]["status"], "PENDING");
    assert_eq!(log[0]["attempts"], 3);
    assert_eq!(log[0]["lastStatusCode"], 500);
    assert_eq!(log[0]["lastError"], "HTTP 500");

    // Events while disabled are not queued for it; enabling it again resumes the pending one.
    record_sale(&app, &w, "order-2", Some("CORA10")).await;
    receiver.answer(StatusCode::NO_CONTENT);
    let enabled = app
        .graphql_as(
            Some(&w.admin),
            UPDATE,
            json!({ "input": { "id": endpoint, "enabled": true } }),
        )
        .await;
    let enabled = &data(&enabled)["updateWebhookEndpoint"];
    assert_eq!(enabled["enabled"], true);
    assert_eq!(enabled["consecutiveFailures"], 0);
    assert_eq!(enabled["disabledReason"], Value::Null);
    receiver.wait_for(4).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.count(), 4);
    let log = deliveries(&app, &w.admin, Some(&endpoint)).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["status"], "DELIVERED");
    assert_eq!(log[0]["attempts"], 4);
    assert_eq!(log[0]["lastStatusCode"], 204);
}

async fn deliveries_fail_after_the_last_attempt_and_can_be_retried(app: TestApp) {
    let app = app
        .restart(|c| {
            c.webhooks.poll_interval = Duration::from_millis(20);
            c.webhooks.max_attempts = 2;
            c.webhooks.disable_after_failures = 100;
        })
        .await;
    let w = world::world(&app).await;
    discount_code(&app, &w.admin, &w.enrollment_a, "CORA10").await;
    let receiver = Receiver::start(StatusCode::BAD_GATEWAY).await;
    let (endpoint, _) =
        create_endpoint(&app, &w.admin, &receiver.url, &["CONVERSION_ATTRIBUTED"]).await;
    record_sale(&app, &w, "order-1", Some("CORA10")).await;
    receiver.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.count(), 2);
    let log = deliveries(&app, &w.admin, Some(&endpoint)).await;
    assert_eq!(log[0]["status"], "FAILED");
    assert_eq!(log[0]["attempts"], 2);
    assert_eq!(log[0]["lastError"], "HTTP 502");

    receiver.answer(StatusCode::OK);
    let retried = app
        .graphql_as(
            Some(&w.admin),
            "mutation ($id: ID!) { retryWebhookDelivery(id: $id) { status } }",
            json!({ "id": log[0]["id"] }),
        )
        .await;
    assert_eq!(data(&retried)["retryWebhookDelivery"]["status"], "PENDING");
    receiver.wait_for(3).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let log = deliveries(&app, &w.admin, Some(&endpoint)).await;
    assert_eq!(log[0]["status"], "DELIVERED");
}

/// With the default guard, neither a loopback IP literal nor a name resolving to loopback is
/// contacted: the delivery fails with the reason, and the receiver hears nothing.
async fn internal_addresses_are_not_contacted_by_default(app: TestApp) {
    let app = app
        .restart(|c| {
            c.webhooks.poll_interval = Duration::from_millis(20);
            c.webhooks.max_attempts = 1;
            c.webhooks.allow_private_targets = false;
        })
        .await;
    let w = world::world(&app).await;
    discount_code(&app, &w.admin, &w.enrollment_a, "CORA10").await;
    let receiver = Receiver::start(StatusCode::OK).await;
    let by_name = receiver.url.replace("127.0.0.1", "localhost");
    for url in [&receiver.url, &by_name] {
        create_endpoint(&app, &w.admin, url, &["CONVERSION_ATTRIBUTED"]).await;
    }
    record_sale(&app, &w, "order-1", Some("CORA10")).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let log = loop {
        let log = deliveries(&app, &w.admin, None).await;
        if log.len() == 2 && log.iter().all(|d| d["status"] == "FAILED") {
            break log;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still pending: {log:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    for delivery in &log {
        assert_eq!(
            delivery["lastError"], "the endpoint's address is not public",
            "{delivery}"
        );
    }
    assert_eq!(receiver.count(), 0);
}

async fn a_delivery_pending_at_shutdown_is_sent_after_restart(app: TestApp) {
    // The first app's worker never polls: the server stops before it sends anything.
    let w = world::world(&app).await;
    discount_code(&app, &w.admin, &w.enrollment_a, "CORA10").await;
    let receiver = Receiver::start(StatusCode::OK).await;
    let (_, secret) =
        create_endpoint(&app, &w.admin, &receiver.url, &["CONVERSION_ATTRIBUTED"]).await;
    record_sale(&app, &w, "order-1", Some("CORA10")).await;
    let log = deliveries(&app, &w.admin, None).await;
    assert_eq!(log[0]["status"], "PENDING");
    assert_eq!(log[0]["attempts"], 0);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(receiver.count(), 0);

    let app = fast(app).await;
    receiver.wait_for(1).await;
    let (headers, body) = receiver.get(0);
    assert!(signature_verifies(&secret, &headers, &body));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let log = deliveries(&app, &w.admin, None).await;
    assert_eq!(log[0]["status"], "DELIVERED");
    assert_eq!(receiver.count(), 1);
}

async fn two_workers_on_one_database_send_each_delivery_once(app: TestApp) {
    let w = world::world(&app).await;
    discount_code(&app, &w.admin, &w.enrollment_a, "CORA10").await;
    let receiver = Receiver::start(StatusCode::OK).await;
    create_endpoint(&app, &w.admin, &receiver.url, &["CONVERSION_ATTRIBUTED"]).await;
    let batch: Vec<Value> = (0..20)
        .map(|i| {
            json!({ "externalId": format!("order-{i}"), "kind": "SALE",
                "occurredAt": chrono::Utc::now().to_rfc3339(), "amount": "10.00",
                "discountCode": "CORA10" })
        })
        .collect();
    data(
        &app.graphql_as(Some(&w.key), RECORD, json!({ "c": batch }))
            .await,
    );
    // Two more workers (as in two server processes) polling the same outbox as fast as they can.
    let mut config = test_config(TestDb::placeholder_config()).webhooks;
    config.poll_interval = Duration::from_millis(2);
    config.batch_size = 5;
    // The app's key: the endpoint's secret is sealed with it.
    let key = test_config(TestDb::placeholder_config()).auth.secret_key;
    let first = partnergraph::webhooks::Webhooks::start(
        &config,
        app.db.clone(),
        std::sync::Arc::new(partnergraph::clock::SystemClock),
        key.clone(),
    );
    let second = partnergraph::webhooks::Webhooks::start(
        &config,
        app.db.clone(),
        std::sync::Arc::new(partnergraph::clock::SystemClock),
        key,
    );
    receiver.wait_for(20).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    first.shutdown().await;
    second.shutdown().await;
    let mut ids: Vec<String> = (0..receiver.count())
        .map(|i| {
            text(&json!(
                receiver.get(i).0["partnergraph-delivery"].to_str().unwrap()
            ))
        })
        .collect();
    assert_eq!(ids.len(), 20, "each delivery sent once");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 20);
}

async fn payouts_and_approvals_are_announced(app: TestApp) {
    let app = fast(app).await;
    let w = world::world(&app).await;
    discount_code(&app, &w.admin, &w.enrollment_a, "CORA10").await;
    let settings = app
        .graphql_as(
            Some(&w.admin),
            "mutation { updateBrandSettings(input: { holdPeriodDays: 0 }) { holdPeriodDays } }",
            json!({}),
        )
        .await;
    data(&settings);
    let receiver = Receiver::start(StatusCode::OK).await;
    create_endpoint(
        &app,
        &w.admin,
        &receiver.url,
        &["COMMISSION_APPROVED", "PAYOUT_PAID"],
    )
    .await;
    record_sale(&app, &w, "order-1", Some("CORA10")).await;
    receiver.wait_for(1).await;
    let (_, body) = receiver.get(0);
    let payload: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(payload["type"], "commission.approved");
    let line = &payload["data"]["commission"];
    assert_eq!(line["status"], "APPROVED");
    assert_eq!(line["kind"], "CPA");
    assert_eq!(
        line["amount"],
        json!({ "amount": "20.00", "currencyCode": "USD" })
    );
    assert_eq!(line["creatorId"], w.creator_a.as_str());

    let created = app
        .graphql_as(
            Some(&w.admin),
            "mutation ($input: CreatePayoutsInput!) { createPayouts(input: $input) { payouts { id } } }",
            json!({ "input": { "periodEnd": chrono::Utc::now().to_rfc3339() } }),
        )
        .await;
    let payout = text(&data(&created)["createPayouts"]["payouts"][0]["id"]);
    let paid = app
        .graphql_as(
            Some(&w.admin),
            "mutation ($input: MarkPayoutPaidInput!) { markPayoutPaid(input: $input) { id } }",
            json!({ "input": { "payoutId": payout, "reference": "wire-1" } }),
        )
        .await;
    data(&paid);
    receiver.wait_for(2).await;
    let (_, body) = receiver.get(1);
    let payload: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(payload["type"], "payout.paid");
    assert_eq!(payload["data"]["payout"]["id"], payout.as_str());
    assert_eq!(payload["data"]["payout"]["reference"], "wire-1");
    assert_eq!(
        payload["data"]["payout"]["amount"],
        json!({ "amount": "20.00", "currencyCode": "USD" })
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(receiver.count(), 2, "each approval is announced once");
}

async fn only_admins_manage_endpoints_and_staff_read_them(app: TestApp) {
    let w = world::world(&app).await;
    let (endpoint, _) = create_endpoint(
        &app,
        &w.admin,
        "https://hooks.example.com/pg",
        &["PAYOUT_PAID"],
    )
    .await;
    let input =
        json!({ "input": { "url": "https://x.example.com/", "eventTypes": ["PAYOUT_PAID"] } });
    for token in [&w.manager, &w.analyst, &w.creator, &w.key] {
        let refused = app.graphql_as(Some(token), CREATE, input.clone()).await;
        assert_eq!(error_codes(&refused), ["FORBIDDEN"], "{refused}");
        let refused = app
            .graphql_as(
                Some(token),
                UPDATE,
                json!({ "input": { "id": endpoint, "enabled": false } }),
            )
            .await;
        assert_eq!(error_codes(&refused), ["FORBIDDEN"], "{refused}");
        let refused = app
            .graphql_as(
                Some(token),
                "mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) }",
                json!({ "id": endpoint }),
            )
            .await;
        assert_eq!(error_codes(&refused), ["FORBIDDEN"], "{refused}");
    }
    for token in [&w.analyst, &w.creator, &w.key] {
        let refused = app.graphql_as(Some(token), ENDPOINTS, json!({})).await;
        assert_eq!(error_codes(&refused), ["FORBIDDEN"], "{refused}");
        let refused = app
            .graphql_as(Some(token), DELIVERIES, json!({ "endpointId": null }))
            .await;
        assert_eq!(error_codes(&refused), ["FORBIDDEN"], "{refused}");
    }
    let anonymous = app.graphql_as(None, ENDPOINTS, json!({})).await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
    for token in [&w.admin, &w.manager] {
        let listed = app.graphql_as(Some(token), ENDPOINTS, json!({})).await;
        assert_eq!(data(&listed)["webhookEndpoints"]["totalCount"], 1);
    }
    // The secret is never readable after creation.
    let introspected = app
        .graphql_as(
            Some(&w.admin),
            "{ __type(name: \"WebhookEndpoint\") { fields { name } } }",
            json!({}),
        )
        .await;
    let fields = data(&introspected)["__type"]["fields"].to_string();
    assert!(fields.contains("secretPrefix") && !fields.contains("\"secret\""));

    let deleted = app
        .graphql_as(
            Some(&w.admin),
            "mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) }",
            json!({ "id": endpoint }),
        )
        .await;
    assert_eq!(data(&deleted)["deleteWebhookEndpoint"], endpoint.as_str());
    let listed = app.graphql_as(Some(&w.admin), ENDPOINTS, json!({})).await;
    assert_eq!(data(&listed)["webhookEndpoints"]["totalCount"], 0);
}

async fn brands_never_see_each_others_endpoints(app: TestApp) {
    let w = world::world(&app).await;
    discount_code(&app, &w.admin, &w.enrollment_a, "CORA10").await;
    let (endpoint, _) = create_endpoint(
        &app,
        &w.admin,
        "http://127.0.0.1:9/unreachable",
        &["CONVERSION_ATTRIBUTED"],
    )
    .await;
    record_sale(&app, &w, "order-1", Some("CORA10")).await;
    let delivery = text(&deliveries(&app, &w.admin, None).await[0]["id"]);

    let listed = app.graphql_as(Some(&w.admin_b), ENDPOINTS, json!({})).await;
    assert_eq!(data(&listed)["webhookEndpoints"]["totalCount"], 0);
    let log = app
        .graphql_as(
            Some(&w.admin_b),
            DELIVERIES,
            json!({ "endpointId": endpoint }),
        )
        .await;
    assert_eq!(data(&log)["webhookDeliveries"]["totalCount"], 0);
    let attempts = [
        (
            UPDATE,
            json!({ "input": { "id": endpoint, "url": "http://evil.example.com/" } }),
        ),
        (
            "mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) }",
            json!({ "id": endpoint }),
        ),
        (
            "mutation ($id: ID!) { retryWebhookDelivery(id: $id) { id } }",
            json!({ "id": delivery }),
        ),
        (
            "query ($id: ID!) { node(id: $id) { id } }",
            json!({ "id": endpoint }),
        ),
        (
            "query ($id: ID!) { node(id: $id) { id } }",
            json!({ "id": delivery }),
        ),
    ];
    for (query, variables) in attempts {
        let refused = app.graphql_as(Some(&w.admin_b), query, variables).await;
        assert_eq!(error_codes(&refused), ["NOT_FOUND"], "{refused}");
    }
    // Still there and unchanged for A.
    let listed = app.graphql_as(Some(&w.admin), ENDPOINTS, json!({})).await;
    assert_eq!(
        data(&listed)["webhookEndpoints"]["nodes"][0]["url"],
        "http://127.0.0.1:9/unreachable"
    );
    let node = app
        .graphql_as(
            Some(&w.admin),
            "query ($id: ID!) { node(id: $id) { ... on WebhookEndpoint { url } } }",
            json!({ "id": endpoint }),
        )
        .await;
    assert_eq!(data(&node)["node"]["url"], "http://127.0.0.1:9/unreachable");
}

async fn endpoint_input_is_validated(app: TestApp) {
    let w = world::world(&app).await;
    for url in [
        "",
        "not a url",
        "ftp://files.example.com/x",
        "javascript:alert(1)",
        "https://user:pass@example.com/",
        "https://exa\u{0}mple.com/",
    ] {
        let refused = app
            .graphql_as(
                Some(&w.admin),
                CREATE,
                json!({ "input": { "url": url, "eventTypes": ["PAYOUT_PAID"] } }),
            )
            .await;
        assert_eq!(
            error_codes(&refused),
            ["BAD_USER_INPUT"],
            "{url}: {refused}"
        );
        assert_eq!(
            refused["errors"][0]["extensions"]["field"], "url",
            "{refused}"
        );
    }
    let refused = app
        .graphql_as(
            Some(&w.admin),
            CREATE,
            json!({ "input": { "url": "https://hooks.example.com/", "eventTypes": [] } }),
        )
        .await;
    assert_eq!(error_codes(&refused), ["BAD_USER_INPUT"]);
    assert_eq!(refused["errors"][0]["extensions"]["field"], "eventTypes");
    let (endpoint, _) = create_endpoint(
        &app,
        &w.admin,
        "https://hooks.example.com/",
        &["PAYOUT_PAID", "PAYOUT_PAID"],
    )
    .await;
    let refused = app
        .graphql_as(
            Some(&w.admin),
            UPDATE,
            json!({ "input": { "id": endpoint, "url": "gopher://x" } }),
        )
        .await;
    assert_eq!(error_codes(&refused), ["BAD_USER_INPUT"]);
    let listed = app.graphql_as(Some(&w.admin), ENDPOINTS, json!({})).await;
    assert_eq!(
        data(&listed)["webhookEndpoints"]["nodes"][0]["eventTypes"],
        json!(["PAYOUT_PAID"])
    );
}

/// Secrets are stored sealed; an endpoint registered before (a plain `whsec_` + URL-safe base64
/// secret) keeps signing, with the key its secret's text decodes to, so a receiver that converts
/// the text to standard base64 verifies it.
async fn plain_secrets_of_older_endpoints_still_sign(app: TestApp) {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel};
    let app = fast(app).await;
    let w = world::world(&app).await;
    discount_code(&app, &w.admin, &w.enrollment_a, "CORA10").await;
    let receiver = Receiver::start(StatusCode::OK).await;
    let (endpoint, secret) =
        create_endpoint(&app, &w.admin, &receiver.url, &["CONVERSION_ATTRIBUTED"]).await;
    let row =
        partnergraph::db::entity::webhook_endpoint::Entity::find_by_id(world::db_id(&endpoint))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
    assert!(row.secret.starts_with("pgs1:"), "stored sealed");
    assert!(!row.secret.contains(secret.trim_start_matches("whsec_")));

    // As an older release stored it: plain, URL-safe without padding.
    let key: Vec<u8> = (0u8..32)
        .map(|i| i.wrapping_mul(41).wrapping_add(200))
        .collect();
    let old = format!("whsec_{}", URL_SAFE_NO_PAD.encode(&key));
    let mut active = row.into_active_model();
    active.secret = Set(old);
    active.update(&app.db).await.unwrap();
    record_sale(&app, &w, "order-old", Some("CORA10")).await;
    receiver.wait_for(1).await;
    let (headers, body) = receiver.get(0);
    let converted = format!("whsec_{}", STANDARD.encode(&key));
    assert!(signature_verifies(&converted, &headers, &body));
}

on_both_backends!(
    signed_deliveries_reach_a_receiver,
    plain_secrets_of_older_endpoints_still_sign,
    failing_receivers_are_retried_then_disabled,
    deliveries_fail_after_the_last_attempt_and_can_be_retried,
    internal_addresses_are_not_contacted_by_default,
    a_delivery_pending_at_shutdown_is_sent_after_restart,
    two_workers_on_one_database_send_each_delivery_once,
    payouts_and_approvals_are_announced,
    only_admins_manage_endpoints_and_staff_read_them,
    brands_never_see_each_others_endpoints,
    endpoint_input_is_validated,
);
