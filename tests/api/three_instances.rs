//! A brand's first week through the contract operations, sent over HTTP to real server
//! processes: once to one instance, once to three instances on one PostgreSQL database in
//! rotation (request n to instance n % 3, so a read usually lands on another instance than the
//! write before it, and a report asked again after two writes lands on the instance that
//! answered it first). Each run has its own fresh database, so ids and cursors agree as they
//! are; the whole answers agree step by step once what legitimately differs ([`MASKED`]:
//! credentials, times the server stamps, the rate-limit remainder) is masked.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::server::ServerProcess;
use crate::helpers::{Backend, TestDb, contract, http_client};

/// Instances behind one load balancer share the short-link base, as a deployment sets it (the
/// default, `http://{bind}`, differs per process).
const SERVE_ARGS: [&str; 2] = ["--public-url", "https://go.three.test"];

/// Fields whose values legitimately differ between the runs. Masked, not dropped: a field
/// present in one run and missing or null in the other still differs.
const MASKED: [&str; 9] = [
    // Credentials, random: the tokens and the API key's secret and its visible start.
    "accessToken",
    "refreshToken",
    "secret",
    "prefix",
    // Times the server stamps with its own clock.
    "expiresAt",
    "createdAt",
    "updatedAt",
    "paidAt",
    // `extensions.cost.throttleStatus`: what is left of the caller's rate-limit bucket refills
    // with time, and with N instances each estimates it from its own part between trades
    // (`maximumAvailable`, the configured limit, is compared).
    "currentlyAvailable",
];

/// The scenario's week, in the past so that every hold is over by the payout period's end.
const FROM: &str = "2026-01-05T00:00:00Z";
const TO: &str = "2026-01-12T00:00:00Z";
const PERIOD_END: &str = "2026-02-28T00:00:00Z";
const PASSWORD: &str = "correct-horse-battery-staple";

/// One answer of the scenario: the operation and the whole response body.
struct Step {
    operation: &'static str,
    instance: usize,
    answer: Value,
}

/// Sends contract operations to the instances in rotation and keeps every answer.
struct Rotation {
    instances: Vec<SocketAddr>,
    steps: Vec<Step>,
}

impl Rotation {
    fn new(instances: Vec<SocketAddr>) -> Self {
        Self {
            instances,
            steps: Vec::new(),
        }
    }

    /// `operation` of `tests/contract/{file}.graphql` as the clients send it (the whole
    /// document and its name); its `data`, after checking it has no `errors`.
    fn send(
        &mut self,
        token: Option<&str>,
        file: &str,
        operation: &'static str,
        variables: Value,
    ) -> Value {
        let instance = self.steps.len() % self.instances.len();
        let body = json!({
            "query": contract::document(file),
            "operationName": operation,
            "variables": variables,
        })
        .to_string();
        let reply = http_client::send_with_timeout(
            self.instances[instance],
            "POST",
            "/graphql",
            Some(&body),
            token,
            Duration::from_secs(60),
        )
        .unwrap_or_else(|e| panic!("{operation} on instance {instance}: {e}"));
        let answer: Value = serde_json::from_str(&reply.body)
            .unwrap_or_else(|e| panic!("{operation} on instance {instance}: {e}: {}", reply.body));
        assert!(
            reply.status == 200 && answer.get("errors").is_none(),
            "{operation} on instance {instance}: {} {answer}",
            reply.status
        );
        let data = answer["data"].clone();
        self.steps.push(Step {
            operation,
            instance,
            answer,
        });
        data
    }
}

fn text(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("expected a string, got {value}"))
        .to_owned()
}

/// The brand's first week: sign-up, set-up, a week of clicks and orders, reports, a refund, the
/// first payout run and a payment. Ids come from the answers of this run.
fn first_week(api: &mut Rotation) {
    let registered = api.send(
        None,
        "auth",
        "RegisterBrand",
        json!({ "input": { "brandName": "Trio Goods", "currencyCode": "USD", "timezone": "UTC",
            "email": "owner@trio.test", "password": PASSWORD } }),
    );
    assert!(registered["registerBrand"]["user"]["brand"]["id"].is_string());
    let login = api.send(
        None,
        "auth",
        "Login",
        json!({ "email": "owner@trio.test", "password": PASSWORD }),
    );
    let admin = text(&login["login"]["accessToken"]);
    let admin = Some(admin.as_str());
    api.send(admin, "auth", "Viewer", json!({}));
    let key = api.send(
        admin,
        "auth",
        "CreateApiKey",
        json!({ "input": { "name": "store", "scopes": ["INGEST", "READ_CHANGES"] } }),
    );
    let key = text(&key["createApiKey"]["secret"]);
    let key = Some(key.as_str());
    api.send(
        admin,
        "auth",
        "UpdateBrandSettings",
        json!({ "input": { "holdPeriodDays": 14, "attributionWindowDays": 30,
            "codePrecedence": "CODE_WINS", "grossMargin": "0.6",
            "minimumPayout": { "amount": "10.00", "currencyCode": "USD" } } }),
    );

    let campaign = api.send(
        admin,
        "campaigns",
        "CreateCampaign",
        json!({ "input": { "name": "Launch", "objective": "SALES", "schedule": "ALWAYS_ON",
            "budget": { "amount": "5000.00", "currencyCode": "USD" },
            "targetCpa": { "amount": "25.00", "currencyCode": "USD" }, "targetRoas": "3",
            "brief": { "summary": "The launch", "keyMessages": ["new"] } } }),
    );
    let campaign = text(&campaign["createCampaign"]["id"]);
    api.send(
        admin,
        "campaigns",
        "SetCampaignStatus",
        json!({ "id": campaign, "status": "ACTIVE" }),
    );
    let share = api.send(
        admin,
        "campaigns",
        "CreateOffer",
        json!({ "input": { "campaignId": campaign, "name": "10% of sales",
            "model": "REVENUE_SHARE", "revenueSharePercent": "10" } }),
    );
    let share = text(&share["createOffer"]["id"]);
    let cpa = api.send(
        admin,
        "campaigns",
        "CreateOffer",
        json!({ "input": { "campaignId": campaign, "name": "CPA $15", "model": "CPA",
            "cpaAmount": { "amount": "15.00", "currencyCode": "USD" } } }),
    );
    let cpa = text(&cpa["createOffer"]["id"]);

    let cora = api.send(
        admin,
        "roster",
        "CreateCreator",
        json!({ "input": { "displayName": "Cora Creator", "email": "cora@creators.test",
            "country": "US", "niches": ["skincare"], "channels": [{ "platform": "INSTAGRAM",
            "handle": "cora", "followers": 52000, "engagementRate": "0.045" }] } }),
    );
    let cora = text(&cora["createCreator"]["id"]);
    let dan = api.send(
        admin,
        "roster",
        "CreateCreator",
        json!({ "input": { "displayName": "Dan Maker", "email": "dan@creators.test",
            "country": "DE", "channels": [{ "platform": "YOUTUBE", "handle": "danmakes",
            "followers": 8000, "avgViews": 3000 }] } }),
    );
    let dan = text(&dan["createCreator"]["id"]);
    api.send(admin, "roster", "Creators", json!({ "first": 10 }));

    let cora_enrollment = api.send(
        admin,
        "campaigns",
        "EnrollCreator",
        json!({ "input": { "campaignId": campaign, "creatorId": cora, "offerId": share,
            "active": true } }),
    );
    let cora_enrollment = text(&cora_enrollment["enrollCreator"]["id"]);
    let dan_enrollment = api.send(
        admin,
        "campaigns",
        "EnrollCreator",
        json!({ "input": { "campaignId": campaign, "creatorId": dan, "offerId": cpa,
            "active": true } }),
    );
    let dan_enrollment = text(&dan_enrollment["enrollCreator"]["id"]);
    api.send(
        admin,
        "tracking",
        "CreateTrackingLink",
        json!({ "input": { "enrollmentId": cora_enrollment, "code": "cora-launch",
            "destinationUrl": "https://shop.trio.test/launch", "utmSource": "instagram",
            "utmMedium": "creator", "utmCampaign": "launch" } }),
    );
    api.send(
        admin,
        "tracking",
        "CreateDiscountCode",
        json!({ "input": { "enrollmentId": dan_enrollment, "code": "DAN10",
            "percentOff": "10" } }),
    );
    api.send(admin, "campaigns", "Campaigns", json!({ "first": 10 }));

    let click = |id: &str, at: &str, visitor: &str, country: &str| {
        json!({ "linkCode": "cora-launch", "clickId": id, "occurredAt": at,
            "visitorKey": visitor, "userAgent": "Mozilla/5.0 (iPhone)",
            "referrer": "https://instagram.com/cora", "country": country })
    };
    api.send(
        key,
        "ingest",
        "RecordClicks",
        json!({ "clicks": [
            click("clk-1", "2026-01-05T13:50:00Z", "v-1", "US"),
            click("clk-2", "2026-01-06T08:00:00Z", "v-2", "US"),
            click("clk-3", "2026-01-07T17:45:00Z", "v-3", "CA"),
            click("clk-4", "2026-01-10T15:00:00Z", "v-4", "DE"),
        ] }),
    );
    let sale = |id: &str, at: &str, amount: &str, customer: &str| {
        json!({ "externalId": id, "kind": "SALE", "occurredAt": at, "amount": amount,
            "customerKey": customer })
    };
    let with = |mut item: Value, field: &str, value: &str| {
        item[field] = json!(value);
        item
    };
    api.send(
        key,
        "ingest",
        "RecordConversions",
        json!({ "conversions": [
            with(sale("o-1001", "2026-01-05T14:00:00Z", "120.00", "c-1"), "clickId", "clk-1"),
            with(sale("o-1002", "2026-01-06T09:30:00Z", "80.00", "c-2"), "discountCode", "DAN10"),
            with(sale("o-1003", "2026-01-07T18:00:00Z", "200.00", "c-3"), "clickId", "clk-3"),
            // No click, no code: the brand's own sale.
            sale("o-1004", "2026-01-08T11:00:00Z", "45.00", "c-4"),
            with(sale("o-1005", "2026-01-09T16:20:00Z", "60.00", "c-5"), "discountCode", "dan10"),
        ] }),
    );
    let changes = api.send(key, "ingest", "ConversionChanges", json!({ "first": 10 }));
    let cursor = changes["conversionChanges"]["pageInfo"]["endCursor"].clone();
    // The report, then two writes (on the two other instances), then the same report again on
    // the instance that answered it first: nothing it kept may hide the writes.
    let week = json!({ "from": FROM, "to": TO });
    let report = json!({ "filter": week, "groupBy": ["CREATOR", "DAY"] });
    api.send(admin, "performance", "Performance", report.clone());
    // A repeat, and an order with both a click and a code (the brand lets the code win).
    api.send(
        key,
        "ingest",
        "RecordConversions",
        json!({ "conversions": [
            with(sale("o-1003", "2026-01-07T18:00:00Z", "200.00", "c-3"), "clickId", "clk-3"),
            with(
                with(sale("o-1006", "2026-01-10T15:30:00Z", "150.00", "c-2"), "clickId", "clk-4"),
                "discountCode",
                "DAN10",
            ),
        ] }),
    );
    api.send(
        key,
        "ingest",
        "RecordRefund",
        json!({ "input": { "externalId": "o-1003", "refundId": "r-1", "amount": "50.00",
            "occurredAt": "2026-01-11T10:00:00Z" } }),
    );
    api.send(admin, "performance", "Performance", report);
    api.send(
        key,
        "ingest",
        "ConversionChanges",
        json!({ "after": cursor, "first": 10 }),
    );
    api.send(
        admin,
        "performance",
        "Performance",
        json!({ "filter": { "from": FROM, "to": TO, "campaignIds": [campaign] },
            "groupBy": ["CAMPAIGN", "OFFER"] }),
    );
    api.send(
        admin,
        "performance",
        "CampaignScorecard",
        json!({ "id": campaign, "from": FROM, "to": TO }),
    );
    api.send(admin, "roster", "CreatorDetail", json!({ "id": cora }));

    let payouts = api.send(
        admin,
        "payouts",
        "CreatePayouts",
        json!({ "input": { "periodEnd": PERIOD_END } }),
    );
    let first = text(&payouts["createPayouts"]["payouts"][0]["id"]);
    api.send(admin, "payouts", "Payouts", json!({ "first": 10 }));
    api.send(
        admin,
        "payouts",
        "MarkPayoutPaid",
        json!({ "input": { "payoutId": first, "reference": "SEPA-2026-001" } }),
    );
    api.send(
        admin,
        "payouts",
        "Payouts",
        json!({ "first": 10, "status": "PAID" }),
    );
    api.send(admin, "auth", "Viewer", json!({}));
}

/// `value` with every [`MASKED`] field that has a value replaced by a marker.
fn normalized(value: &Value) -> Value {
    match value {
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(name, field)| {
                    let field = if MASKED.contains(&name.as_str()) && !field.is_null() {
                        json!("<masked>")
                    } else {
                        normalized(field)
                    };
                    (name.clone(), field)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(normalized).collect()),
        other => other.clone(),
    }
}

/// The scenario on a fresh PostgreSQL database served by `count` instances; `None` without
/// PostgreSQL.
async fn run(count: usize) -> Option<Vec<Step>> {
    let test_db = TestDb::create(Backend::Postgres).await?;
    let dir = tempfile::tempdir().expect("temp dir");
    let servers: Vec<ServerProcess> = std::thread::scope(|s| {
        let starting: Vec<_> = (0..count)
            .map(|_| s.spawn(|| ServerProcess::start_with(&test_db.url, dir.path(), &SERVE_ARGS)))
            .collect();
        starting
            .into_iter()
            .map(|h| h.join().expect("server starts"))
            .collect()
    });
    let mut api = Rotation::new(servers.iter().map(|s| s.addr).collect());
    first_week(&mut api);
    drop(servers);
    Some(api.steps)
}

#[tokio::test]
async fn three_instances_in_rotation_answer_the_contract_scenario_as_one_does() {
    let started = Instant::now();
    let Some(one) = run(1).await else {
        return;
    };
    let Some(three) = run(3).await else {
        return;
    };
    assert_eq!(one.len(), three.len(), "the same scenario");
    for (n, (alone, rotated)) in one.iter().zip(&three).enumerate() {
        assert_eq!(alone.operation, rotated.operation);
        assert_eq!(
            normalized(&alone.answer),
            normalized(&rotated.answer),
            "step {n}, {}: one instance vs instance {} of three",
            alone.operation,
            rotated.instance
        );
    }
    // The rotation spread the work as the scenario means it to.
    let reports: Vec<usize> = three
        .iter()
        .filter(|s| s.operation == "Performance")
        .map(|s| s.instance)
        .collect();
    assert_eq!(
        reports[0], reports[1],
        "the report asked again on the instance that answered it first"
    );
    assert!(three.iter().any(|s| s.instance == 2));
    // The answers compared are not empty ones.
    let answer = |operation: &str, nth: usize| -> &Value {
        &one.iter()
            .filter(|s| s.operation == operation)
            .nth(nth)
            .unwrap_or_else(|| panic!("no {operation} #{nth}"))
            .answer["data"]
    };
    let first_batch = &answer("RecordConversions", 0)["recordConversions"];
    assert_eq!(first_batch["accepted"], 5);
    let second_batch = &answer("RecordConversions", 1)["recordConversions"];
    assert_eq!(
        (&second_batch["accepted"], &second_batch["duplicates"]),
        (&json!(1), &json!(1))
    );
    // The report asked again shows the writes in between. (The brand's own sale, with no click
    // and no code, is not the program's.)
    let sales = |nth| answer("Performance", nth)["performance"]["totals"]["sales"].clone();
    assert_eq!((sales(0), sales(1)), (json!(4), json!(5)));
    // Cora: 10% of $120 and of $200 less its $50 refund; Dan: three $15 CPAs.
    let amounts: Vec<&Value> = answer("CreatePayouts", 0)["createPayouts"]["payouts"]
        .as_array()
        .expect("payouts")
        .iter()
        .map(|p| &p["amount"]["amount"])
        .collect();
    assert_eq!(
        amounts,
        [&json!("27.00"), &json!("45.00")],
        "one payout per creator"
    );
    assert_eq!(
        answer("MarkPayoutPaid", 0)["markPayoutPaid"]["status"],
        "PAID"
    );
    eprintln!(
        "three instances: {} contract requests per run, both runs in {:?}",
        one.len(),
        started.elapsed()
    );
}
