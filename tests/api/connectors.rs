//! Store connectors (DOMAIN rule 10): an ADMIN connects a Shopify, Stripe or WooCommerce store,
//! the platform's signed webhooks arrive at `POST /connect/{kind}/{id}` and become conversions
//! and refunds under the ingestion rules, visible in GraphQL with their attribution.
//!
//! Deliveries are built from the fixtures in `tests/fixtures/{shopify,stripe,woocommerce}/`
//! (shaped like the platforms' documented payloads) and signed here, independently of the
//! server's code: base64 HMAC-SHA256 of the raw body keyed with the connector's secret
//! (Shopify, WooCommerce), Stripe's scheme for Stripe.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{Duration, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::world::{self, World, discount_code, record_clicks, text, tracking_link};
use crate::helpers::{HttpAnswer, TestApp, data, error_codes};
use crate::on_both_backends;

const ORDER: &str = include_str!("../fixtures/shopify/orders-create.json");
const CHECKOUT: &str = include_str!("../fixtures/stripe/checkout-session-completed.json");
const CHARGE_REFUNDED: &str = include_str!("../fixtures/stripe/charge-refunded.json");
const REFUND: &str = include_str!("../fixtures/shopify/refunds-create.json");
const WOO_ORDER: &str = include_str!("../fixtures/woocommerce/order.json");

const CREATE: &str = "mutation ($input: CreateConnectorInput!) {
  createConnector(input: $input) { secret connector { id kind name endpointUrl secretPrefix enabled } } }";
const LIST: &str = "{ connectors(first: 10) { totalCount nodes { id kind name secretPrefix enabled
  deliveredCount errorCount lastDeliveryAt lastError } } }";
const CONVERSIONS: &str = "{ conversions(first: 50) { totalCount nodes { id externalId status
  amount { amount currencyCode } refundedAmount { amount currencyCode } clickId discountCode
  region attribution { method enrollment { id } } } } }";

fn sign(secret: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Creates a Shopify connector as `token`; returns (id, secret, endpoint path).
async fn connect(
    app: &TestApp,
    token: &str,
    signing_secret: Option<&str>,
) -> (String, String, String) {
    let response = app
        .graphql_as(
            Some(token),
            CREATE,
            json!({ "input": { "kind": "SHOPIFY", "name": "Glow store", "signingSecret": signing_secret } }),
        )
        .await;
    let created = &data(&response)["createConnector"];
    let id = text(&created["connector"]["id"]);
    let url = text(&created["connector"]["endpointUrl"]);
    let path = url.trim_start_matches("http://pg.test").to_owned();
    assert_eq!(path, format!("/connect/shopify/{id}"));
    (id, text(&created["secret"]), path)
}

async fn deliver(
    app: &TestApp,
    path: &str,
    topic: &str,
    body: &str,
    signature: Option<&str>,
) -> HttpAnswer {
    let mut request = Request::post(path)
        .header("content-type", "application/json")
        .header("x-shopify-topic", topic)
        .header("x-shopify-shop-domain", "glow.myshopify.com");
    if let Some(signature) = signature {
        request = request.header("x-shopify-hmac-sha256", signature);
    }
    app.request(request.body(Body::from(body.to_owned())).unwrap())
        .await
}

async fn signed(app: &TestApp, path: &str, secret: &str, topic: &str, body: &str) -> Value {
    let answer = deliver(app, path, topic, body, Some(&sign(secret, body))).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    answer.json()
}

/// The fixture order, placed `ago` before now, naming `click` in its landing URL.
fn order(id: u64, click: &str, ago: Duration) -> String {
    let mut order: Value = serde_json::from_str(ORDER).unwrap();
    let at = (Utc::now() - ago).to_rfc3339_opts(SecondsFormat::Secs, true);
    order["id"] = json!(id);
    order["processed_at"] = json!(at);
    order["created_at"] = json!(at);
    order["landing_site"] = json!(format!("/products/vitamin-c-serum?pg_click={click}"));
    order.to_string()
}

fn refund(id: u64, order_id: u64) -> String {
    let mut refund: Value = serde_json::from_str(REFUND).unwrap();
    let at = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    refund["id"] = json!(id);
    refund["order_id"] = json!(order_id);
    refund["processed_at"] = json!(at);
    refund["created_at"] = json!(at);
    refund.to_string()
}

async fn conversions(app: &TestApp, token: &str) -> Vec<Value> {
    let response = app.graphql_as(Some(token), CONVERSIONS, json!({})).await;
    data(&response)["conversions"]["nodes"]
        .as_array()
        .unwrap()
        .clone()
}

async fn connectors(app: &TestApp, token: &str) -> Vec<Value> {
    let response = app.graphql_as(Some(token), LIST, json!({})).await;
    data(&response)["connectors"]["nodes"]
        .as_array()
        .unwrap()
        .clone()
}

/// A click on a link of `enrollment_a`, two hours ago, with id `click`.
async fn click(app: &TestApp, w: &World, click: &str) {
    tracking_link(app, &w.admin, &w.enrollment_a, "CORA-SHOP").await;
    record_clicks(
        app,
        &w.key,
        json!([{ "linkCode": "CORA-SHOP", "clickId": click,
            "occurredAt": (Utc::now() - Duration::hours(2)).to_rfc3339() }]),
    )
    .await;
}

async fn signed_orders_become_attributed_conversions(app: TestApp) {
    let w = world::world(&app).await;
    click(&app, &w, "clk-shop-1").await;
    let (_, secret, path) = connect(&app, &w.admin, None).await;

    let body = order(5001, "clk-shop-1", Duration::hours(1));
    let answer = signed(&app, &path, &secret, "orders/create", &body).await;
    assert_eq!(answer["status"], "ACCEPTED", "{answer}");
    let stored = conversions(&app, &w.admin).await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    let sale = &stored[0];
    assert_eq!(sale["id"], answer["conversionId"]);
    assert_eq!(sale["externalId"], "5001");
    assert_eq!(
        sale["amount"],
        json!({ "amount": "89.10", "currencyCode": "USD" })
    );
    assert_eq!(sale["clickId"], "clk-shop-1");
    assert_eq!(sale["discountCode"], "TENOFF");
    assert_eq!(sale["region"], "US");
    assert_eq!(sale["attribution"]["method"], "CLICK");
    assert_eq!(
        sale["attribution"]["enrollment"]["id"],
        w.enrollment_a.as_str()
    );

    // Shopify retries, and sends orders/updated: stored once.
    let again = signed(&app, &path, &secret, "orders/create", &body).await;
    assert_eq!(again["status"], "DUPLICATE");
    assert_eq!(again["conversionId"], answer["conversionId"]);
    let updated = signed(&app, &path, &secret, "orders/updated", &body).await;
    assert_eq!(updated["status"], "DUPLICATE");
    assert_eq!(conversions(&app, &w.admin).await.len(), 1);

    // A refund of one item: the refunded merchandise.
    let refund_body = refund(7001, 5001);
    let refunded = signed(&app, &path, &secret, "refunds/create", &refund_body).await;
    assert_eq!(refunded["status"], "ACCEPTED", "{refunded}");
    let refund_again = signed(&app, &path, &secret, "refunds/create", &refund_body).await;
    assert_eq!(refund_again["status"], "DUPLICATE");
    let stored = conversions(&app, &w.admin).await;
    assert_eq!(
        stored[0]["refundedAmount"],
        json!({ "amount": "29.70", "currencyCode": "USD" })
    );

    // A topic that is not ingested: acknowledged.
    let ignored = signed(&app, &path, &secret, "customers/create", r#"{"id": 1}"#).await;
    assert_eq!(ignored["status"], "IGNORED");

    let listed = connectors(&app, &w.admin).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["deliveredCount"], 6);
    assert_eq!(listed[0]["errorCount"], 0);
    assert!(listed[0]["lastDeliveryAt"].is_string());
}

async fn a_discount_code_attributes_an_order_without_a_click(app: TestApp) {
    let w = world::world(&app).await;
    discount_code(&app, &w.admin, &w.enrollment_a, "CORA10").await;
    let (_, secret, path) = connect(&app, &w.admin, Some("shpss_0123456789abcdef0123")).await;
    assert_eq!(secret, "shpss_0123456789abcdef0123");
    let mut body: Value = serde_json::from_str(&order(5002, "", Duration::hours(1))).unwrap();
    body["landing_site"] = Value::Null;
    body["discount_codes"] = json!([{ "code": "cora10", "amount": "9.90", "type": "percentage" }]);
    body["customer"] = Value::Null;
    let answer = signed(&app, &path, &secret, "orders/create", &body.to_string()).await;
    assert_eq!(answer["status"], "ACCEPTED", "{answer}");
    let stored = conversions(&app, &w.admin).await;
    assert_eq!(stored[0]["attribution"]["method"], "CODE");
    assert_eq!(
        stored[0]["attribution"]["enrollment"]["id"],
        w.enrollment_a.as_str()
    );
}

async fn a_refund_before_its_order_is_held_until_the_order_arrives(app: TestApp) {
    let w = world::world(&app).await;
    let (_, secret, path) = connect(&app, &w.admin, None).await;
    let early = signed(&app, &path, &secret, "refunds/create", &refund(7002, 5003)).await;
    assert_eq!(early["status"], "ACCEPTED", "{early}");
    assert_eq!(early["conversionId"], Value::Null);
    assert!(conversions(&app, &w.admin).await.is_empty());
    let body = order(5003, "none", Duration::hours(1));
    signed(&app, &path, &secret, "orders/create", &body).await;
    let stored = conversions(&app, &w.admin).await;
    assert_eq!(
        stored[0]["refundedAmount"],
        json!({ "amount": "29.70", "currencyCode": "USD" })
    );
}

async fn unsigned_forged_and_malformed_deliveries_store_nothing(app: TestApp) {
    let w = world::world(&app).await;
    let (id, secret, path) = connect(&app, &w.admin, None).await;
    let body = order(5004, "none", Duration::hours(1));

    let missing = deliver(&app, &path, "orders/create", &body, None).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_codes(&missing.json()), ["UNAUTHENTICATED"]);
    let forged = deliver(
        &app,
        &path,
        "orders/create",
        &body,
        Some(&sign("guess", &body)),
    )
    .await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    // Signed for another body.
    let other = order(5005, "none", Duration::hours(1));
    let swapped = deliver(
        &app,
        &path,
        "orders/create",
        &body,
        Some(&sign(&secret, &other)),
    )
    .await;
    assert_eq!(swapped.status, StatusCode::UNAUTHORIZED);

    let malformed = deliver(
        &app,
        &path,
        "orders/create",
        "{not json",
        Some(&sign(&secret, "{not json")),
    )
    .await;
    assert_eq!(
        malformed.status,
        StatusCode::BAD_REQUEST,
        "{}",
        malformed.text
    );
    let no_amount = r#"{"id": 5006, "created_at": "2026-11-30T10:20:00Z", "currency": "USD"}"#;
    let incomplete = deliver(
        &app,
        &path,
        "orders/create",
        no_amount,
        Some(&sign(&secret, no_amount)),
    )
    .await;
    assert_eq!(incomplete.status, StatusCode::BAD_REQUEST);
    assert!(conversions(&app, &w.admin).await.is_empty());

    // Unknown connectors, kinds and ids: 404.
    for path in [
        path.replace("/shopify/", "/stripe/"),
        path.replace("/shopify/", "/magento/"),
        "/connect/shopify/not-an-id".to_owned(),
        format!("/connect/shopify/{}", w.brand_a),
    ] {
        let answer = deliver(
            &app,
            &path,
            "orders/create",
            &body,
            Some(&sign(&secret, &body)),
        )
        .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
    }

    // Signed but malformed counts as an error; unsigned requests change nothing.
    let listed = connectors(&app, &w.admin).await;
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["deliveredCount"], 0);
    assert_eq!(listed[0]["errorCount"], 2);
    assert!(
        listed[0]["lastError"]
            .as_str()
            .unwrap()
            .contains("subtotal_price")
    );
}

async fn rotation_and_disabling_take_effect_at_once(app: TestApp) {
    let w = world::world(&app).await;
    let (id, old, path) = connect(&app, &w.admin, None).await;
    let rotated = app
        .graphql_as(
            Some(&w.admin),
            "mutation ($id: ID!) { rotateConnectorSecret(id: $id) { secret connector { secretPrefix } } }",
            json!({ "id": id }),
        )
        .await;
    let new = text(&data(&rotated)["rotateConnectorSecret"]["secret"]);
    assert_ne!(new, old);
    let body = order(5007, "none", Duration::hours(1));
    let stale = deliver(
        &app,
        &path,
        "orders/create",
        &body,
        Some(&sign(&old, &body)),
    )
    .await;
    assert_eq!(stale.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        signed(&app, &path, &new, "orders/create", &body).await["status"],
        "ACCEPTED"
    );

    let disabled = app
        .graphql_as(
            Some(&w.admin),
            "mutation ($id: ID!) { disableConnector(id: $id) { id enabled } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data(&disabled)["disableConnector"]["enabled"], false);
    let body = order(5008, "none", Duration::hours(1));
    let after = deliver(
        &app,
        &path,
        "orders/create",
        &body,
        Some(&sign(&new, &body)),
    )
    .await;
    assert_eq!(after.status, StatusCode::NOT_FOUND);
    assert_eq!(conversions(&app, &w.admin).await.len(), 1);
}

async fn a_connector_writes_only_into_its_own_brand(app: TestApp) {
    let w = world::world(&app).await;
    let (id_a, secret_a, path_a) = connect(&app, &w.admin, None).await;
    let (_, secret_b, path_b) = connect(&app, &w.admin_b, None).await;
    // A's secret does not open B's door, and B's delivery lands in B only.
    let body = order(5009, "none", Duration::hours(1));
    let crossed = deliver(
        &app,
        &path_b,
        "orders/create",
        &body,
        Some(&sign(&secret_a, &body)),
    )
    .await;
    assert_eq!(crossed.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        signed(&app, &path_b, &secret_b, "orders/create", &body).await["status"],
        "ACCEPTED"
    );
    assert!(conversions(&app, &w.admin).await.is_empty());
    assert_eq!(conversions(&app, &w.admin_b).await.len(), 1);
    // The same order id in A is A's own conversion.
    assert_eq!(
        signed(&app, &path_a, &secret_a, "orders/create", &body).await["status"],
        "ACCEPTED"
    );
    assert_eq!(conversions(&app, &w.admin).await.len(), 1);

    // B's ADMIN neither sees nor manages A's connector.
    assert_eq!(connectors(&app, &w.admin_b).await.len(), 1);
    for query in [
        "mutation ($id: ID!) { disableConnector(id: $id) { id } }",
        "mutation ($id: ID!) { rotateConnectorSecret(id: $id) { secret } }",
        "query ($id: ID!) { node(id: $id) { id } }",
    ] {
        let response = app
            .graphql_as(Some(&w.admin_b), query, json!({ "id": id_a }))
            .await;
        assert_eq!(error_codes(&response), ["NOT_FOUND"], "{query}");
    }
}

async fn only_admins_connect_and_secrets_are_shown_once(app: TestApp) {
    let w = world::world(&app).await;
    let input = json!({ "input": { "kind": "SHOPIFY", "name": "Store" } });
    for token in [&w.manager, &w.analyst, &w.creator, &w.key] {
        let response = app.graphql_as(Some(token), CREATE, input.clone()).await;
        assert_eq!(error_codes(&response), ["FORBIDDEN"]);
    }
    let (id, secret, _) = connect(&app, &w.admin, None).await;
    assert!(secret.starts_with("pgcs_"), "{secret}");
    for token in [&w.manager, &w.analyst] {
        let listed = connectors(&app, token).await;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0]["secretPrefix"], &secret[..8]);
        let rotate = app
            .graphql_as(
                Some(token),
                "mutation ($id: ID!) { rotateConnectorSecret(id: $id) { secret } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(error_codes(&rotate), ["FORBIDDEN"]);
    }
    for token in [&w.creator, &w.key] {
        let response = app.graphql_as(Some(token), LIST, json!({})).await;
        assert_eq!(error_codes(&response), ["FORBIDDEN"]);
    }
    // The secret is nowhere in what reads return, nor stored in the clear.
    let node = app
        .graphql_as(
            Some(&w.admin),
            "query ($id: ID!) { node(id: $id) { ... on Connector { id name secretPrefix } } }",
            json!({ "id": id }),
        )
        .await;
    assert!(!node.to_string().contains(&secret));
    assert!(
        !connectors(&app, &w.admin).await[0]
            .to_string()
            .contains(&secret)
    );
    let stored = partnergraph::db::entity::connector::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert!(stored[0].secret.starts_with("pgs1:"), "sealed");
    assert!(!stored[0].secret.contains(&secret[5..]));

    // Bad input is BAD_USER_INPUT with the field.
    for (input, field) in [
        (json!({ "kind": "SHOPIFY", "name": "" }), "name"),
        (
            json!({ "kind": "SHOPIFY", "name": "S", "signingSecret": "short" }),
            "signingSecret",
        ),
    ] {
        let response = app
            .graphql_as(Some(&w.admin), CREATE, json!({ "input": input }))
            .await;
        assert_eq!(error_codes(&response), ["BAD_USER_INPUT"], "{response}");
        assert_eq!(response["errors"][0]["extensions"]["field"], field);
    }
}

/// Stripe's scheme, written from its documentation: `t=<time>,v1=<hex HMAC-SHA256 of
/// "<t>.<body>" keyed with the whsec_ secret as text>`.
fn stripe_sign(secret: &str, t: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

async fn stripe_deliver(app: &TestApp, path: &str, body: &str, signature: &str) -> HttpAnswer {
    let request = Request::post(path)
        .header("content-type", "application/json; charset=utf-8")
        .header("stripe-signature", signature)
        .body(Body::from(body.to_owned()))
        .unwrap();
    app.request(request).await
}

async fn stripe_checkouts_and_refunds_become_conversions(app: TestApp) {
    let w = world::world(&app).await;
    click(&app, &w, "clk-stripe-1").await;
    let secret = "whsec_stripe0test0secret0for0connectors";
    let response = app
        .graphql_as(
            Some(&w.admin),
            CREATE,
            json!({ "input": { "kind": "STRIPE", "name": "Billing", "signingSecret": secret } }),
        )
        .await;
    let connector = &data(&response)["createConnector"]["connector"];
    assert_eq!(connector["kind"], "STRIPE");
    let path = text(&connector["endpointUrl"])
        .trim_start_matches("http://pg.test")
        .to_owned();
    assert!(path.starts_with("/connect/stripe/"), "{path}");

    let mut checkout: Value = serde_json::from_str(CHECKOUT).unwrap();
    checkout["created"] = json!((Utc::now() - Duration::hours(1)).timestamp());
    checkout["data"]["object"]["client_reference_id"] = json!("clk-stripe-1");
    let checkout = checkout.to_string();
    let now = Utc::now().timestamp();
    let signature = stripe_sign(secret, now, &checkout);
    let answer = stripe_deliver(&app, &path, &checkout, &signature).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.json()["status"], "ACCEPTED", "{}", answer.text);
    let again = stripe_deliver(&app, &path, &checkout, &signature).await;
    assert_eq!(again.json()["status"], "DUPLICATE");
    let stored = conversions(&app, &w.admin).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["externalId"], "pi_3MtwBwLkdIwHu7ix28a3tqPa");
    assert_eq!(
        stored[0]["amount"],
        json!({ "amount": "44.00", "currencyCode": "USD" })
    );
    assert_eq!(stored[0]["attribution"]["method"], "CLICK");
    assert_eq!(
        stored[0]["attribution"]["enrollment"]["id"],
        w.enrollment_a.as_str()
    );

    // Older than five minutes, or signed for the future: refused (a margin of 30 s past the
    // tolerance, so that a slow test run's own seconds do not bring it back within).
    for t in [now - 330, now + 330] {
        let stale =
            stripe_deliver(&app, &path, &checkout, &stripe_sign(secret, t, &checkout)).await;
        assert_eq!(stale.status, StatusCode::UNAUTHORIZED, "{t}");
    }
    let forged = stripe_deliver(
        &app,
        &path,
        &checkout,
        &stripe_sign("whsec_guess", now, &checkout),
    )
    .await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);

    // 5.00 were refunded before (not ingested here), now 15.00: a refund of 10.00, once.
    let refunded = CHARGE_REFUNDED.to_owned();
    let signature = stripe_sign(secret, now, &refunded);
    let answer = stripe_deliver(&app, &path, &refunded, &signature).await;
    assert_eq!(answer.json()["status"], "ACCEPTED", "{}", answer.text);
    assert_eq!(
        stripe_deliver(&app, &path, &refunded, &signature)
            .await
            .json()["status"],
        "DUPLICATE"
    );
    let stored = conversions(&app, &w.admin).await;
    assert_eq!(
        stored[0]["refundedAmount"],
        json!({ "amount": "10.00", "currencyCode": "USD" })
    );

    let other = r#"{"type": "customer.created", "created": 1, "data": {"object": {}}}"#;
    let ignored = stripe_deliver(&app, &path, other, &stripe_sign(secret, now, other)).await;
    assert_eq!(ignored.json()["status"], "IGNORED");
    let bad = r#"{"type": "invoice.paid"}"#;
    let malformed = stripe_deliver(&app, &path, bad, &stripe_sign(secret, now, bad)).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
}

/// A WooCommerce delivery, signed per WooCommerce (`X-WC-Webhook-Signature`: base64
/// HMAC-SHA256 of the raw body, the same scheme as Shopify's).
async fn woo_deliver(
    app: &TestApp,
    path: &str,
    topic: &str,
    body: &str,
    secret: &str,
) -> HttpAnswer {
    let request = Request::post(path)
        .header("content-type", "application/json")
        .header("x-wc-webhook-topic", topic)
        .header("x-wc-webhook-resource", "order")
        .header("x-wc-webhook-signature", sign(secret, body));
    app.request(request.body(Body::from(body.to_owned())).unwrap())
        .await
}

/// The fixture order `id` with `status`, paid an hour ago, and these refunds.
fn woo_order(id: u64, status: &str, refunds: Value) -> String {
    let mut order: Value = serde_json::from_str(WOO_ORDER).unwrap();
    let at = (Utc::now() - Duration::hours(1))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    order["id"] = json!(id);
    order["status"] = json!(status);
    for field in ["date_created_gmt", "date_paid_gmt", "date_modified_gmt"] {
        order[field] = json!(at);
    }
    order["refunds"] = refunds;
    order.to_string()
}

/// WooCommerce: the server generates the secret the store owner pastes into WooCommerce; a
/// paid order becomes a sale attributed by the click in its meta, an unpaid one is ignored until
/// an update marks it paid, and the refunds an update carries are stored once each.
async fn woocommerce_orders_and_their_refunds_become_conversions(app: TestApp) {
    let w = world::world(&app).await;
    click(&app, &w, "clk_woo_1").await;
    let response = app
        .graphql_as(
            Some(&w.admin),
            CREATE,
            json!({ "input": { "kind": "WOOCOMMERCE", "name": "Woo store" } }),
        )
        .await;
    let created = &data(&response)["createConnector"];
    let secret = text(&created["secret"]);
    assert!(secret.starts_with("pgcs_"), "generated: {secret}");
    let id = text(&created["connector"]["id"]);
    let path = format!("/connect/woocommerce/{id}");

    let pending = woo_order(4750, "pending", json!([]));
    let answer = woo_deliver(&app, &path, "order.created", &pending, &secret).await;
    assert_eq!(answer.json()["status"], "IGNORED", "{}", answer.text);
    assert!(conversions(&app, &w.admin).await.is_empty());

    let paid = woo_order(4750, "processing", json!([]));
    let answer = woo_deliver(&app, &path, "order.updated", &paid, &secret).await;
    assert_eq!(answer.json()["status"], "ACCEPTED", "{}", answer.text);
    let stored = conversions(&app, &w.admin).await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0]["externalId"], "4750");
    assert_eq!(
        stored[0]["amount"],
        json!({ "amount": "63.50", "currencyCode": "USD" })
    );
    assert_eq!(stored[0]["clickId"], "clk_woo_1");
    assert_eq!(
        stored[0]["discountCode"], "CORA10",
        "codes are kept in upper case"
    );
    assert_eq!(stored[0]["region"], "US");
    assert_eq!(stored[0]["attribution"]["method"], "CLICK");
    let again = woo_deliver(&app, &path, "order.updated", &paid, &secret).await;
    assert_eq!(again.json()["status"], "DUPLICATE");

    // An update carrying a partial refund: the refund, once, however often it is repeated.
    let refunded = woo_order(
        4750,
        "processing",
        json!([{ "id": 901, "reason": "damaged", "total": "-13.50" }]),
    );
    let answer = woo_deliver(&app, &path, "order.updated", &refunded, &secret).await;
    assert_eq!(answer.json()["status"], "ACCEPTED", "{}", answer.text);
    let again = woo_deliver(&app, &path, "order.updated", &refunded, &secret).await;
    assert_eq!(again.json()["status"], "DUPLICATE");
    let stored = conversions(&app, &w.admin).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0]["refundedAmount"],
        json!({ "amount": "13.50", "currencyCode": "USD" })
    );

    // Forged: 401, nothing stored; another topic: acknowledged.
    let other = woo_order(4751, "processing", json!([]));
    let forged = woo_deliver(&app, &path, "order.created", &other, "pgcs_guess").await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    assert_eq!(conversions(&app, &w.admin).await.len(), 1);
    let product = woo_deliver(&app, &path, "product.updated", r#"{"id": 93}"#, &secret).await;
    assert_eq!(product.json()["status"], "IGNORED");
}

on_both_backends!(
    woocommerce_orders_and_their_refunds_become_conversions,
    stripe_checkouts_and_refunds_become_conversions,
    signed_orders_become_attributed_conversions,
    a_discount_code_attributes_an_order_without_a_click,
    a_refund_before_its_order_is_held_until_the_order_arrives,
    unsigned_forged_and_malformed_deliveries_store_nothing,
    rotation_and_disabling_take_effect_at_once,
    a_connector_writes_only_into_its_own_brand,
    only_admins_connect_and_secrets_are_shown_once,
);
