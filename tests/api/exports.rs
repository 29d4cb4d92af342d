//! Exports (issue #22): `startExport` queues an export, the worker writes it (here in chunks of
//! 7 rows, so every file crosses several keyset pages), `Export.url` is a signed link that
//! serves the file; the file, read back with the `csv` crate (or line by line as JSONL), holds
//! exactly what the GraphQL API answers. Rights, tenancy, filters, the bound on queued
//! exports, expiry with the injectable clock and the `export.completed` webhook.

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::{Duration, Utc};
use partnergraph::clock::ManualClock;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::helpers::world::{self, World, discount_code, record_clicks, text, tracking_link};
use crate::helpers::{Backend, HttpAnswer, TestApp, data, error_codes};
use crate::on_both_backends;

const START: &str = "mutation ($kind: ExportKind!, $format: ExportFormat!, $filter: ExportFilter) {
  startExport(kind: $kind, format: $format, filter: $filter) {
    id kind format status rowCount url expiresAt createdAt completedAt error } }";
const EXPORT: &str = "query ($id: ID!) { export(id: $id) {
  id kind format status rowCount fileSize url expiresAt completedAt error } }";
const EXPORTS: &str = "{ exports(first: 20) { totalCount nodes { id status } } }";
const CONVERSIONS: &str = "{ conversions(first: 100) { nodes { id externalId kind status
  occurredAt amount { amount currencyCode } brandAmount { amount currencyCode } exchangeRate
  refundedAmount { amount } brandRefundedAmount { amount } newCustomer customerKey region clickId
  discountCode attribution { method selfReferral enrollment { id } campaign { id }
  creator { id } offer { id } } createdAt } } }";
const MY_COMMISSIONS: &str = "{ myCommissions(first: 100) { nodes { id kind status
  amount { amount currencyCode } occurredAt holdUntil reason createdAt } } }";
const CREATORS: &str = "{ creators(first: 100) { nodes { id displayName email country stage
  vettingStatus followers } } }";

/// Starts an export as `token`; the answer's `startExport` (or the whole answer on error).
async fn start(app: &TestApp, token: &str, kind: &str, format: &str, filter: Value) -> Value {
    app.graphql_as(
        Some(token),
        START,
        json!({ "kind": kind, "format": format, "filter": filter }),
    )
    .await
}

async fn export(app: &TestApp, token: &str, id: &str) -> Value {
    app.graphql_as(Some(token), EXPORT, json!({ "id": id }))
        .await
}

/// Starts an export, lets the worker write it and returns the COMPLETED export.
async fn completed(app: &TestApp, token: &str, kind: &str, format: &str, filter: Value) -> Value {
    let started = start(app, token, kind, format, filter).await;
    let queued = data(&started)["startExport"].clone();
    assert_eq!(queued["status"], "QUEUED", "{queued}");
    assert!(queued["url"].is_null());
    assert_eq!(app.exports.poll().await.expect("poll"), 1);
    let done = export(app, token, &text(&queued["id"])).await;
    let done = data(&done)["export"].clone();
    assert_eq!(done["status"], "COMPLETED", "{done}");
    assert!(
        done["url"].is_string() && done["expiresAt"].is_string(),
        "{done}"
    );
    done
}

/// GET of an export's absolute URL on this app.
async fn download(app: &TestApp, url: &str) -> HttpAnswer {
    let path = url.strip_prefix("http://pg.test").expect("absolute URL");
    app.get(path).await
}

/// The CSV's header and records.
fn parse_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    let records = reader
        .records()
        .map(|r| r.expect("record").iter().map(str::to_owned).collect())
        .collect();
    (header, records)
}

/// A JSON value as its CSV field.
fn field(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().unwrap_or_default())
            .collect::<Vec<_>>()
            .join(";"),
        other => other.to_string(),
    }
}

/// The world, with `spare_creator_a` enrolled too, a code for each creator, 10 conversions
/// (4 of Cora's, 3 of Sam's, 3 unattributed) and 9 clicks on Cora's link.
async fn traffic(app: &TestApp) -> (World, String) {
    let w = world::world(app).await;
    let spare = world::enroll_spare(app, &w).await;
    discount_code(app, &w.admin, &w.enrollment_a, "CORA10").await;
    discount_code(app, &w.admin, &spare, "SAM10").await;
    tracking_link(app, &w.admin, &w.enrollment_a, "CORA-LINK").await;
    let clicks: Vec<Value> = (0..9)
        .map(|i| {
            json!({ "linkCode": "CORA-LINK", "clickId": format!("clk-{i}"),
                "occurredAt": (Utc::now() - Duration::minutes(90 + i)).to_rfc3339() })
        })
        .collect();
    record_clicks(app, &w.key, json!(clicks)).await;
    let conversions: Vec<Value> = (0..10)
        .map(|i| {
            let code = match i % 3 {
                0 => Some("CORA10"),
                1 => Some("SAM10"),
                _ => None,
            };
            json!({ "externalId": format!("order-{i}"), "kind": "SALE",
                "occurredAt": (Utc::now() - Duration::minutes(60 - i)).to_rfc3339(),
                "amount": format!("{}.{:02}", 20 + i, i * 7), "currencyCode": "USD",
                "customerKey": format!("cust-{i}"), "discountCode": code,
                "region": if i % 2 == 0 { Some("US") } else { None } })
        })
        .collect();
    world::record_conversions(app, &w.key, json!(conversions)).await;
    (w, spare)
}

/// Each conversion as the API answers it, as the CSV's fields.
fn conversion_fields(node: &Value) -> Vec<String> {
    let a = &node["attribution"];
    [
        &node["id"],
        &node["externalId"],
        &node["kind"],
        &node["status"],
        &node["occurredAt"],
        &node["amount"]["amount"],
        &node["amount"]["currencyCode"],
        &node["brandAmount"]["amount"],
        &node["brandAmount"]["currencyCode"],
        &node["exchangeRate"],
        &node["refundedAmount"]["amount"],
        &node["brandRefundedAmount"]["amount"],
        &node["newCustomer"],
        &node["customerKey"],
        &node["region"],
        &node["clickId"],
        &node["discountCode"],
        &a["method"],
        &a["selfReferral"],
        &a["enrollment"]["id"],
        &a["campaign"]["id"],
        &a["creator"]["id"],
        &a["offer"]["id"],
        &node["createdAt"],
    ]
    .into_iter()
    .map(field)
    .collect()
}

async fn conversions_export_holds_what_the_api_answers(app: TestApp) {
    let (w, _) = traffic(&app).await;
    let done = completed(&app, &w.analyst, "CONVERSIONS", "CSV", json!(null)).await;
    assert_eq!(done["rowCount"], 10);
    let answer = download(&app, &text(&done["url"])).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(
        answer.headers["content-type"].to_str().unwrap(),
        "text/csv; charset=utf-8"
    );
    let disposition = answer.headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"partnergraph-conversions-"),
        "{disposition}"
    );
    assert_eq!(
        done["fileSize"].as_u64().unwrap() as usize,
        answer.text.len()
    );
    let (header, records) = parse_csv(&answer.text);
    assert_eq!(header[..3], ["id", "externalId", "kind"]);
    let api = app.graphql_as(Some(&w.admin), CONVERSIONS, json!({})).await;
    let nodes = data(&api)["conversions"]["nodes"]
        .as_array()
        .unwrap()
        .clone();
    let expected: Vec<Vec<String>> = nodes.iter().map(conversion_fields).collect();
    assert_eq!(expected.len(), 10);
    assert_eq!(records, expected);
    let attributed = records.iter().filter(|r| r[17] == "CODE").count();
    assert_eq!(attributed, 7, "{records:?}");

    // JSONL: one object per line, the same keys and values.
    let jsonl = completed(&app, &w.admin, "CONVERSIONS", "JSONL", json!(null)).await;
    let answer = download(&app, &text(&jsonl["url"])).await;
    assert_eq!(
        answer.headers["content-type"].to_str().unwrap(),
        "application/x-ndjson"
    );
    let lines: Vec<Value> = answer
        .text
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 10);
    for (line, record) in lines.iter().zip(&records) {
        let keys: Vec<&String> = line.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), header.len());
        let values: Vec<String> = header.iter().map(|h| field(&line[h])).collect();
        assert_eq!(&values, record);
        assert!(
            line["amount"].is_string(),
            "money is never a number: {line}"
        );
    }

    // A filter narrows the rows: Sam's campaign conversions only.
    let filtered = completed(
        &app,
        &w.admin,
        "CONVERSIONS",
        "CSV",
        json!({ "creatorId": w.spare_creator_a, "from": (Utc::now() - Duration::days(1)).to_rfc3339() }),
    )
    .await;
    assert_eq!(filtered["rowCount"], 3);
}

async fn commissions_clicks_and_creators_exports(app: TestApp) {
    let (w, _) = traffic(&app).await;
    // Staff: every line of the brand.
    let staff = completed(&app, &w.manager, "COMMISSIONS", "CSV", json!(null)).await;
    assert_eq!(staff["rowCount"], 7);
    // The creator: its own lines only, equal to myCommissions.
    let own = completed(&app, &w.creator, "COMMISSIONS", "CSV", json!(null)).await;
    assert_eq!(own["rowCount"], 4);
    let (header, records) = parse_csv(&download(&app, &text(&own["url"])).await.text);
    let mine = app
        .graphql_as(Some(&w.creator), MY_COMMISSIONS, json!({}))
        .await;
    let nodes = data(&mine)["myCommissions"]["nodes"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(records.len(), nodes.len());
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    for (record, node) in records.iter().zip(&nodes) {
        assert_eq!(record[column("id")], field(&node["id"]));
        assert_eq!(record[column("kind")], field(&node["kind"]));
        assert_eq!(record[column("status")], field(&node["status"]));
        assert_eq!(record[column("amount")], field(&node["amount"]["amount"]));
        assert_eq!(
            record[column("currencyCode")],
            field(&node["amount"]["currencyCode"])
        );
        assert_eq!(record[column("occurredAt")], field(&node["occurredAt"]));
        assert_eq!(record[column("holdUntil")], field(&node["holdUntil"]));
        assert_eq!(record[column("creatorId")], w.creator_a);
        assert_eq!(record[column("brandId")], w.brand_a);
    }
    // The creator sees its own export, staff do not (and vice versa).
    let as_staff = export(&app, &w.admin, &text(&own["id"])).await;
    assert_eq!(error_codes(&as_staff), ["NOT_FOUND"]);
    let as_creator = export(&app, &w.creator, &text(&staff["id"])).await;
    assert_eq!(error_codes(&as_creator), ["NOT_FOUND"]);
    let listed = app.graphql_as(Some(&w.creator), EXPORTS, json!({})).await;
    assert_eq!(data(&listed)["exports"]["totalCount"], 1);

    // Clicks: every click, with its link and owners.
    let clicks = completed(&app, &w.admin, "CLICKS", "JSONL", json!(null)).await;
    assert_eq!(clicks["rowCount"], 9);
    let answer = download(&app, &text(&clicks["url"])).await;
    let mut ids: Vec<String> = answer
        .text
        .lines()
        .map(|line| {
            let click: Value = serde_json::from_str(line).unwrap();
            assert_eq!(
                click["linkCode"], "cora-link",
                "codes are stored lower-cased"
            );
            assert_eq!(click["creatorId"], w.creator_a.as_str());
            assert_eq!(click["campaignId"], w.campaign_a.as_str());
            assert!(click["isBot"].is_boolean());
            text(&click["clickId"])
        })
        .collect();
    ids.sort();
    assert_eq!(ids, (0..9).map(|i| format!("clk-{i}")).collect::<Vec<_>>());
    let by_spare = completed(
        &app,
        &w.admin,
        "CLICKS",
        "CSV",
        json!({ "creatorId": w.spare_creator_a }),
    )
    .await;
    assert_eq!(by_spare["rowCount"], 0);

    // Creators: the roster, as `creators` answers it.
    let creators = completed(&app, &w.analyst, "CREATORS", "CSV", json!(null)).await;
    let (header, records) = parse_csv(&download(&app, &text(&creators["url"])).await.text);
    let api = app.graphql_as(Some(&w.admin), CREATORS, json!({})).await;
    let mut nodes = data(&api)["creators"]["nodes"].as_array().unwrap().clone();
    nodes.sort_by_key(|n| world::db_id(n["id"].as_str().unwrap()));
    assert_eq!(records.len(), nodes.len());
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    for (record, node) in records.iter().zip(&nodes) {
        for name in [
            "id",
            "displayName",
            "email",
            "country",
            "stage",
            "vettingStatus",
            "followers",
        ] {
            assert_eq!(record[column(name)], field(&node[name]), "{name}");
        }
    }

    // Performance: the report's rows.
    let from = (Utc::now() - Duration::days(2)).to_rfc3339();
    let to = (Utc::now() + Duration::days(1)).to_rfc3339();
    let perf = completed(
        &app,
        &w.admin,
        "PERFORMANCE",
        "CSV",
        json!({ "from": from, "to": to, "groupBy": ["CREATOR"] }),
    )
    .await;
    let report = app
        .graphql_as(
            Some(&w.admin),
            "query ($f: PerformanceFilter!) { performance(filter: $f, groupBy: [CREATOR]) {
              rowCount rows { key { creator { id } } metrics { clicks sales revenue { amount } } } } }",
            json!({ "f": { "from": from, "to": to } }),
        )
        .await;
    let report = &data(&report)["performance"];
    assert_eq!(perf["rowCount"], report["rowCount"]);
    let (header, records) = parse_csv(&download(&app, &text(&perf["url"])).await.text);
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    for (record, row) in records.iter().zip(report["rows"].as_array().unwrap()) {
        assert_eq!(
            record[column("creatorId")],
            field(&row["key"]["creator"]["id"])
        );
        assert_eq!(record[column("clicks")], field(&row["metrics"]["clicks"]));
        assert_eq!(record[column("sales")], field(&row["metrics"]["sales"]));
        assert_eq!(
            record[column("revenue")],
            field(&row["metrics"]["revenue"]["amount"])
        );
    }
}

async fn rights_filters_tenancy_and_the_bound(app: TestApp) {
    let w = world::world(&app).await;
    // A creator exports its commissions only; a key CONVERSIONS with READ_CHANGES only.
    for kind in ["CONVERSIONS", "CLICKS", "CREATORS", "PERFORMANCE"] {
        let refused = start(&app, &w.creator, kind, "CSV", json!(null)).await;
        assert_eq!(error_codes(&refused), ["FORBIDDEN"], "{kind}");
    }
    let refused = start(&app, &w.key, "COMMISSIONS", "CSV", json!(null)).await;
    assert_eq!(error_codes(&refused), ["FORBIDDEN"]);
    // Filters that do not apply, or bad ranges, name their field.
    for (kind, filter, field) in [
        (
            "CREATORS",
            json!({ "from": "2026-11-01T00:00:00Z" }),
            "from",
        ),
        ("CREATORS", json!({ "creatorId": w.creator_a }), "creatorId"),
        ("CONVERSIONS", json!({ "groupBy": ["DAY"] }), "groupBy"),
        (
            "PERFORMANCE",
            json!({ "to": "2026-11-01T00:00:00Z" }),
            "from",
        ),
        (
            "CLICKS",
            json!({ "from": "2026-11-02T00:00:00Z", "to": "2026-11-01T00:00:00Z" }),
            "to",
        ),
        (
            "PERFORMANCE",
            json!({ "from": "2020-01-01T00:00:00Z", "to": "2026-11-01T00:00:00Z" }),
            "to",
        ),
        (
            "PERFORMANCE",
            json!({ "from": "2026-10-01T00:00:00Z", "to": "2026-11-01T00:00:00Z",
                "groupBy": ["DAY", "MONTH"] }),
            "groupBy",
        ),
    ] {
        let refused = start(&app, &w.admin, kind, "CSV", filter).await;
        assert_eq!(error_codes(&refused), ["BAD_USER_INPUT"], "{kind} {field}");
        assert_eq!(
            refused["errors"][0]["extensions"]["field"], field,
            "{refused}"
        );
    }
    // Another brand's creator in a filter is NOT_FOUND.
    let foreign = start(
        &app,
        &w.admin,
        "CONVERSIONS",
        "CSV",
        json!({ "creatorId": w.creator_b }),
    )
    .await;
    assert_eq!(error_codes(&foreign), ["NOT_FOUND"]);

    // One brand's export is another brand's NOT_FOUND, by id, by node, in lists.
    let done = completed(&app, &w.admin, "CREATORS", "CSV", json!(null)).await;
    let id = text(&done["id"]);
    assert_eq!(
        error_codes(&export(&app, &w.admin_b, &id).await),
        ["NOT_FOUND"]
    );
    let node = app
        .graphql_as(
            Some(&w.admin_b),
            "query ($id: ID!) { node(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_codes(&node), ["NOT_FOUND"]);
    let node = app
        .graphql_as(
            Some(&w.analyst),
            "query ($id: ID!) { node(id: $id) { ... on Export { status } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data(&node)["node"]["status"], "COMPLETED");
    let listed = app.graphql_as(Some(&w.admin_b), EXPORTS, json!({})).await;
    assert_eq!(data(&listed)["exports"]["totalCount"], 0);

    // The link: a tampered or missing signature is 403, another export's signature too.
    let url = text(&done["url"]);
    assert_eq!(download(&app, &url).await.status, StatusCode::OK);
    let (base, signature) = url.split_once("signature=").unwrap();
    let mut tampered = signature.to_owned().into_bytes();
    tampered[0] = if tampered[0] == b'A' { b'B' } else { b'A' };
    let tampered = format!("{base}signature={}", String::from_utf8(tampered).unwrap());
    let answer = download(&app, &tampered).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(
        answer.json()["errors"][0]["extensions"]["code"],
        "FORBIDDEN"
    );
    assert_eq!(
        download(&app, base.trim_end_matches('&')).await.status,
        StatusCode::FORBIDDEN
    );
    let later = url.replace("expires=", "expires=1");
    assert_eq!(download(&app, &later).await.status, StatusCode::FORBIDDEN);

    // At most 5 queued or running exports per brand.
    for _ in 0..5 {
        data(&start(&app, &w.manager, "CREATORS", "CSV", json!(null)).await);
    }
    let sixth = start(&app, &w.admin, "CREATORS", "JSONL", json!(null)).await;
    assert_eq!(error_codes(&sixth), ["CONFLICT"]);
    let message = sixth["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("already queued or running"), "{message}");
    // Another brand is not held back.
    data(&start(&app, &w.admin_b, "CREATORS", "CSV", json!(null)).await);
}

async fn links_expire_and_files_are_deleted(backend: Backend) {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let Some(app) = TestApp::spawn_with_clock(backend, clock.clone()).await else {
        return;
    };
    let w = world::world(&app).await;
    let done = completed(&app, &w.admin, "CREATORS", "CSV", json!(null)).await;
    let url = text(&done["url"]);
    let id = world::db_id(&text(&done["id"]));
    let row = partnergraph::db::entity::export::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let file = std::env::temp_dir()
        .join("partnergraph-test-exports")
        .join(row.file_name.unwrap());
    assert!(file.exists());
    assert_eq!(download(&app, &url).await.status, StatusCode::OK);

    clock.advance(Duration::hours(24) + Duration::seconds(1));
    let answer = download(&app, &url).await;
    assert_eq!(answer.status, StatusCode::GONE, "{}", answer.text);
    // Past its time the export reads EXPIRED, without a url, even before the worker ran.
    let read = export(&app, &w.admin, &text(&done["id"])).await;
    assert_eq!(data(&read)["export"]["status"], "EXPIRED");
    assert!(data(&read)["export"]["url"].is_null());
    assert_eq!(app.exports.poll().await.unwrap(), 0);
    assert!(!file.exists(), "the worker deletes the file");
    let row = partnergraph::db::entity::export::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "EXPIRED");
}

mod links_expire_and_files_are_deleted {
    use crate::helpers::Backend;

    #[tokio::test]
    async fn sqlite() {
        super::links_expire_and_files_are_deleted(Backend::Sqlite).await;
    }

    #[tokio::test]
    async fn postgres() {
        super::links_expire_and_files_are_deleted(Backend::Postgres).await;
    }
}

async fn a_completed_export_is_announced_by_webhook(app: TestApp) {
    let app = app
        .restart(|c| c.webhooks.poll_interval = std::time::Duration::from_millis(20))
        .await;
    let w = world::world(&app).await;
    let receiver = crate::webhooks::Receiver::start(StatusCode::OK).await;
    crate::webhooks::create_endpoint(&app, &w.admin, &receiver.url, &["EXPORT_COMPLETED"]).await;
    let done = completed(&app, &w.admin, "CREATORS", "CSV", json!(null)).await;
    receiver.wait_for(1).await;
    let (headers, body) = receiver.get(0);
    assert_eq!(headers["partnergraph-event"], "export.completed");
    let payload: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(payload["type"], "export.completed");
    let announced = &payload["data"]["export"];
    assert_eq!(announced["id"], done["id"]);
    assert_eq!(announced["status"], "COMPLETED");
    assert_eq!(announced["rowCount"], done["rowCount"]);
    assert_eq!(announced["expiresAt"], done["expiresAt"]);
    assert!(announced.get("url").is_none(), "the link is not sent");
    // A creator's own export is not the brand's event.
    completed(&app, &w.creator, "COMMISSIONS", "CSV", json!(null)).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(receiver.get(0).1 == body);
}

/// Two workers (as two processes would) polling at once write an export once.
async fn two_workers_write_an_export_once(app: TestApp) {
    let w = world::world(&app).await;
    let started = start(&app, &w.admin, "CREATORS", "CSV", json!(null)).await;
    let id = text(&data(&started)["startExport"]["id"]);
    let other = partnergraph::exports::Worker::new(
        crate::helpers::test_config(crate::helpers::TestDb::placeholder_config()).exports,
        partnergraph::db::Db::primary_only(app.db.clone()),
        Arc::new(partnergraph::clock::SystemClock),
    );
    let (a, b) = tokio::join!(app.exports.poll(), other.poll());
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    let done = export(&app, &w.admin, &id).await;
    assert_eq!(data(&done)["export"]["status"], "COMPLETED");
    assert_eq!(
        app.exports.poll().await.unwrap(),
        0,
        "nothing left to write"
    );
}

on_both_backends!(
    two_workers_write_an_export_once,
    conversions_export_holds_what_the_api_answers,
    commissions_clicks_and_creators_exports,
    rights_filters_tenancy_and_the_bound,
    a_completed_export_is_announced_by_webhook,
);
