//! The data set, built through the API (contract operations where one exists).

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use super::traffic::{BROWSERS, clicks, conversions_plan, ingest, refund, refunds};
use super::{SEED, TIMEZONE, local, ranges, ts};
use crate::helpers::world::{
    PASSWORD, campaign_with_offer, create_key, db_id, enroll, register, text,
};
use crate::helpers::{TestApp, data};

/// What the cases refer to: the ADMIN's token and global IDs.
pub struct DataSet {
    pub brand_id: i64,
    pub admin: String,
    pub campaigns: Vec<String>,
    pub creators: Vec<String>,
}

/// Creators, their channels (platform, followers) in the order given, and their email.
/// Eve's two channels tie: the first listed (lowest id) is primary. Finn has no channel.
const CREATORS: &[(&str, &[(&str, i64)])] = &[
    ("Ava", &[("TIKTOK", 250_000), ("INSTAGRAM", 40_000)]),
    ("Ben", &[("INSTAGRAM", 80_000)]),
    ("Cleo", &[("TIKTOK", 120_000), ("YOUTUBE", 500_000)]),
    ("Dan", &[("TIKTOK", 9_000)]),
    ("Eve", &[("YOUTUBE", 30_000), ("INSTAGRAM", 30_000)]),
    ("Finn", &[]),
    ("Gia", &[("INSTAGRAM", 150_000), ("TIKTOK", 20_000)]),
    ("Hal", &[("TIKTOK", 60_000)]),
];
pub const AVA: usize = 0;
const CLEO: usize = 2;
pub const FINN: usize = 5;
pub const GIA: usize = 6;
const HAL: usize = 7;

/// Enrollments: (campaign, creator, offer, discount code, click weight).
pub const ENROLLMENTS: &[(usize, usize, usize, Option<&str>, u32)] = &[
    (0, AVA, 0, Some("AVA10"), 25),
    (0, 1, 1, Some("BEN15"), 14),
    (0, CLEO, 2, Some("CLEO"), 12),
    (0, 3, 1, Some("DAN5"), 9),
    (1, 4, 4, None, 8),
    (1, FINN, 5, None, 7),
    (1, AVA, 5, None, 6),
    (2, GIA, 6, Some("GIA20"), 9),
    (2, HAL, 7, Some("HAL10"), 8),
    (0, FINN, 3, None, 4),
    (2, CLEO, 6, Some("CLEO3"), 5),
];
/// Dan's enrollment moves from the revenue-share offer to the CPA offer half-way.
const SWITCHED: usize = 3;
pub async fn generate(app: &TestApp) -> DataSet {
    let mut rng = StdRng::seed_from_u64(SEED);
    let r = ranges();
    let brand = data(
        &app.contract(
            None,
            "auth",
            "RegisterBrand",
            json!({ "input": { "brandName": "Oracle Goods", "currencyCode": "USD",
                "timezone": TIMEZONE.name(), "email": "admin@oracle.test", "password": PASSWORD } }),
        )
        .await,
    )["registerBrand"]
        .clone();
    let admin = text(&brand["accessToken"]);
    let brand_id = db_id(&text(&brand["user"]["brand"]["id"]));
    let (key, _) = create_key(app, &admin, "store").await;
    let api = &Api { app, admin, key };
    api.admin(
        "auth/UpdateBrandSettings",
        json!({ "input": { "grossMargin": "0.6" } }),
    )
    .await;
    exchange_rates(api).await;

    let creators = creators(api).await;
    let (campaigns, offers) = campaigns_and_offers(api).await;
    let mut enrollments = Vec::new();
    for (i, &(campaign, creator, offer, code, _)) in ENROLLMENTS.iter().enumerate() {
        let id = enroll(
            app,
            &api.admin,
            &campaigns[campaign],
            &creators[creator],
            &offers[offer],
        )
        .await;
        api.admin("tracking/CreateTrackingLink", json!({ "input": {
            "enrollmentId": id, "destinationUrl": "https://shop.example.com/", "code": format!("oracle-e{i}") } }))
            .await;
        if let Some(code) = code {
            api.admin(
                "tracking/CreateDiscountCode",
                json!({ "input": {
                "enrollmentId": id, "code": code, "percentOff": "10" } }),
            )
            .await;
        }
        enrollments.push(id);
    }
    deliverables(api, &enrollments).await;

    let clicks = clicks(api, &mut rng).await;
    let mut orders = conversions_plan(&mut rng, &clicks);
    // Ingested in an order unrelated to time, in two halves: between them Dan's enrollment
    // switches offer and Gia's largest channel changes, so neither may be snapshotted.
    shuffle(&mut rng, &mut orders);
    let second_half = orders.split_off(orders.len() * 6 / 10);
    let mut refunded = HashSet::new();
    let mut order_rows = ingest(api, orders).await;
    api.admin_gql(
        "mutation ($input: UpdateEnrollmentInput!) { updateEnrollment(input: $input) { id } }",
        json!({ "input": { "id": enrollments[SWITCHED], "offerId": offers[0] } }),
    )
    .await;
    api.admin_gql(
        "mutation ($input: UpdateCreatorInput!) { updateCreator(input: $input) { id } }",
        json!({ "input": { "id": creators[GIA], "channels": [
            { "platform": "INSTAGRAM", "handle": "@gia", "followers": 150_000 },
            { "platform": "TIKTOK", "handle": "@gia.tt", "followers": 300_000 } ] } }),
    )
    .await;
    // Refunds of orders that have not arrived yet are held until they do.
    for (i, (order, _)) in second_half
        .iter()
        .filter(|(o, _)| o["kind"] == "SALE" && o["currencyCode"] != "JPY")
        .take(3)
        .enumerate()
    {
        let id = text(&order["externalId"]);
        let held = refund(
            api,
            &id,
            &format!("held-{i}"),
            "1.00",
            Utc::now() - Duration::days(1),
        )
        .await;
        assert!(held.is_null(), "a refund before its order is held: {held}");
        refunded.insert(id);
    }
    order_rows.extend(ingest(api, second_half).await);
    refunds(api, &mut rng, &order_rows, &mut refunded).await;
    costs(api, &campaigns, &creators).await;

    // Ledger lines dated when the test runs: a bonus, a negative adjustment, the flat fees
    // (at activation), and CPC days accrued by a payout run.
    for (enrollment, kind, amount) in [(0, "BONUS", "25.00"), (3, "ADJUSTMENT", "-7.50")] {
        api.admin_gql(
            "mutation ($input: AddCommissionInput!) { addCommission(input: $input) { id } }",
            json!({ "input": { "enrollmentId": enrollments[enrollment], "kind": kind,
                "amount": { "amount": amount, "currencyCode": "USD" }, "reason": "oracle" } }),
        )
        .await;
    }
    api.admin(
        "payouts/CreatePayouts",
        json!({ "input": { "periodEnd": ts(Utc::now()) } }),
    )
    .await;

    other_brand(app, &mut rng, r.main).await;
    DataSet {
        brand_id,
        admin: api.admin.clone(),
        campaigns,
        creators,
    }
}

/// A brand's two callers: its ADMIN and its integration key. Each call must succeed and
/// answers its `data`; `operation` is a contract operation as `"file/Name"`.
pub struct Api<'a> {
    app: &'a TestApp,
    admin: String,
    key: String,
}

impl Api<'_> {
    async fn contract(&self, token: &str, operation: &str, variables: Value) -> Value {
        let (file, name) = operation.split_once('/').expect("file/Name");
        let response = self.app.contract(Some(token), file, name, variables).await;
        data(&response).clone()
    }

    pub async fn admin(&self, operation: &str, variables: Value) -> Value {
        self.contract(&self.admin, operation, variables).await
    }

    pub async fn integrator(&self, operation: &str, variables: Value) -> Value {
        self.contract(&self.key, operation, variables).await
    }

    /// A mutation no contract operation covers, as the ADMIN.
    pub async fn admin_gql(&self, query: &str, variables: Value) -> Value {
        let response = self
            .app
            .graphql_as(Some(&self.admin), query, variables)
            .await;
        data(&response).clone()
    }
}

pub fn between(rng: &mut StdRng, from: DateTime<Utc>, to: DateTime<Utc>) -> DateTime<Utc> {
    from + Duration::seconds(rng.random_range(0..(to - from).num_seconds()))
}

pub fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn shuffle<T>(rng: &mut StdRng, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        items.swap(i, rng.random_range(0..=i));
    }
}

/// Batches of at most 500 items that fit the test server's 64 KiB request body.
pub fn batches(items: &[Value]) -> Vec<&[Value]> {
    let mut batches = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, item) in items.iter().enumerate() {
        let size = item.to_string().len() + 1;
        if i > start && (bytes + size > 56_000 || i - start == 500) {
            batches.push(&items[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < items.len() {
        batches.push(&items[start..]);
    }
    batches
}

/// Minor units (two decimals) as a Decimal string.
pub fn decimal(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", minor.abs() / 100, minor.abs() % 100)
}

/// EUR and GBP rates for every local date that may have a conversion or a cost (orders come
/// up to 6 days after their click); JPY has none, so JPY orders are rejected.
async fn exchange_rates(api: &Api<'_>) {
    let mut rng = StdRng::seed_from_u64(SEED ^ 0xE0);
    let rng = &mut rng;
    let date = |at: DateTime<Utc>| at.with_timezone(&TIMEZONE).date_naive();
    let spans = [
        (local(2025, 12, 20, 12, 0, 0), local(2026, 1, 20, 12, 0, 0)),
        (local(2026, 10, 1, 12, 0, 0), local(2026, 11, 30, 12, 0, 0)),
    ];
    let mut dates = Vec::new();
    for (from, to) in spans {
        let (mut day, to) = (date(from), date(to));
        while day <= to {
            dates.push(day);
            day = day.succ_opt().expect("a next day");
        }
    }
    for day in dates {
        for (currency, low) in [("EUR", 10_500), ("GBP", 12_400)] {
            let rate = rng.random_range(low..low + 1_500);
            api.admin(
                "auth/SetExchangeRate",
                json!({ "input": {
                "currencyCode": currency, "date": day.format("%Y-%m-%d").to_string(),
                "rate": format!("{}.{:04}", rate / 10_000, rate % 10_000) } }),
            )
            .await;
        }
    }
}

async fn creators(api: &Api<'_>) -> Vec<String> {
    let mut ids = Vec::new();
    for (name, channels) in CREATORS {
        let lower = name.to_lowercase();
        let channels: Vec<Value> = channels
            .iter()
            .enumerate()
            .map(|(i, (platform, followers))| {
                json!({ "platform": platform, "handle": format!("@{lower}{i}"), "followers": followers })
            })
            .collect();
        let created = api
            .admin(
                "roster/CreateCreator",
                json!({ "input": {
            "displayName": name, "email": format!("{lower}@creators.test"), "country": "US",
            "niches": ["beauty"], "channels": channels } }),
            )
            .await;
        ids.push(text(&created["createCreator"]["id"]));
    }
    ids
}

/// Three campaigns (the third a flight, so that its conversions outside it are NONE) and
/// offers of every model.
async fn campaigns_and_offers(api: &Api<'_>) -> (Vec<String>, Vec<String>) {
    let usd = |amount: &str| json!({ "amount": amount, "currencyCode": "USD" });
    let specs = [
        json!({ "name": "Always on", "objective": "SALES", "schedule": "ALWAYS_ON" }),
        json!({ "name": "Leads drive", "objective": "LEADS", "schedule": "ALWAYS_ON" }),
        json!({ "name": "Fall flight", "objective": "SALES", "schedule": "FLIGHT",
            "startsAt": super::ts(local(2026, 10, 15, 0, 0, 0)), "endsAt": super::ts(local(2026, 11, 12, 0, 0, 0)) }),
    ];
    let mut campaigns = Vec::new();
    for spec in specs {
        let created = api
            .admin("campaigns/CreateCampaign", json!({ "input": spec }))
            .await;
        let id = text(&created["createCampaign"]["id"]);
        api.admin(
            "campaigns/SetCampaignStatus",
            json!({ "id": id, "status": "ACTIVE" }),
        )
        .await;
        campaigns.push(id);
    }
    let offers = [
        (
            0,
            json!({ "name": "CPA 15", "model": "CPA", "cpaAmount": usd("15") }),
        ),
        (
            0,
            json!({ "name": "Share 12.5", "model": "REVENUE_SHARE", "revenueSharePercent": "12.5" }),
        ),
        (
            0,
            json!({ "name": "Hybrid", "model": "HYBRID", "flatFee": usd("200"), "revenueSharePercent": "8" }),
        ),
        (
            0,
            json!({ "name": "Fee", "model": "FLAT_FEE", "flatFee": usd("300") }),
        ),
        (
            1,
            json!({ "name": "CPL", "model": "CPL", "cplAmount": usd("2.50"), "monthlyCap": usd("40") }),
        ),
        (
            1,
            json!({ "name": "CPC", "model": "CPC", "cpcAmount": usd("0.35") }),
        ),
        (
            2,
            json!({ "name": "New only", "model": "CPA", "cpaAmount": usd("20"), "newCustomersOnly": true,
            "tiers": [ { "fromSale": 6, "cpaAmount": usd("24") } ] }),
        ),
        (
            2,
            json!({ "name": "Tiered share", "model": "REVENUE_SHARE", "revenueSharePercent": "10",
            "tiers": [ { "fromSale": 6, "revenueSharePercent": "15" } ] }),
        ),
    ];
    let mut ids = Vec::new();
    for (campaign, mut input) in offers {
        input["campaignId"] = json!(campaigns[campaign]);
        let created = api
            .admin("campaigns/CreateOffer", json!({ "input": input }))
            .await;
        ids.push(text(&created["createOffer"]["id"]));
    }
    (campaigns, ids)
}

/// Published deliverables (one at each bound of the midnight range, one in the DST fold,
/// one on a platform other than its creator's primary one) and two unpublished ones.
async fn deliverables(api: &Api<'_>, enrollments: &[String]) {
    let r = ranges();
    let fold = DateTime::parse_from_rfc3339("2026-11-01T05:30:00Z")
        .expect("instant")
        .with_timezone(&Utc);
    let published = [
        (
            0,
            "TIKTOK",
            "SHORT_VIDEO",
            local(2026, 10, 8, 18, 0, 0),
            120_000,
        ),
        (
            0,
            "INSTAGRAM",
            "STORY",
            local(2026, 10, 28, 21, 45, 0),
            35_000,
        ),
        (1, "INSTAGRAM", "POST", r.midnight.0, 45_000),
        (2, "YOUTUBE", "VIDEO", fold, 310_000),
        (7, "INSTAGRAM", "STORY", r.midnight.1, 22_000),
        (5, "BLOG", "POST", local(2025, 12, 30, 12, 0, 0), 8_000),
        (
            8,
            "TIKTOK",
            "SHORT_VIDEO",
            local(2026, 10, 27, 23, 59, 59),
            64_000,
        ),
    ];
    for (enrollment, platform, format, at, impressions) in published {
        let id = deliverable(api, &enrollments[enrollment], platform, format).await;
        for status in ["SUBMITTED", "APPROVED"] {
            update_deliverable(api, json!({ "id": id, "status": status })).await;
        }
        update_deliverable(api, json!({ "id": id, "status": "PUBLISHED",
            "postUrl": format!("https://example.com/{platform}/{id}"), "publishedAt": ts(at),
            "disclosureConfirmed": true, "impressions": impressions / 2, "views": impressions / 3 }))
            .await;
        // Impressions keep growing after publication: the latest figure counts.
        update_deliverable(api, json!({ "id": id, "impressions": impressions })).await;
    }
    let planned = deliverable(api, &enrollments[4], "YOUTUBE", "VIDEO").await;
    update_deliverable(api, json!({ "id": planned, "impressions": 999 })).await;
    let approved = deliverable(api, &enrollments[6], "TIKTOK", "LIVE").await;
    for status in ["SUBMITTED", "APPROVED"] {
        update_deliverable(api, json!({ "id": approved, "status": status })).await;
    }
}

async fn deliverable(api: &Api<'_>, enrollment: &str, platform: &str, format: &str) -> String {
    let created = api
        .admin(
            "campaigns/CreateDeliverable",
            json!({ "input": {
        "enrollmentId": enrollment, "platform": platform, "format": format } }),
        )
        .await;
    text(&created["createDeliverable"]["id"])
}

async fn update_deliverable(api: &Api<'_>, input: Value) {
    api.admin("campaigns/UpdateDeliverable", json!({ "input": input }))
        .await;
}

/// Campaign-level and creator-level costs, in USD, EUR (in the DST fold) and GBP (at a local
/// new year's eve, which is already January in UTC), one on a range bound, one for the
/// creator without a platform.
async fn costs(api: &Api<'_>, campaigns: &[String], creators: &[String]) {
    let r = ranges();
    let fold = DateTime::parse_from_rfc3339("2026-11-01T05:30:00Z")
        .expect("instant")
        .with_timezone(&Utc);
    let costs = [
        (
            0,
            None,
            "PAID_AMPLIFICATION",
            "1250.00",
            "USD",
            local(2026, 10, 10, 15, 0, 0),
        ),
        (
            0,
            Some(AVA),
            "GIFTING",
            "180.50",
            "USD",
            local(2026, 10, 21, 9, 12, 0),
        ),
        (1, Some(FINN), "PRODUCT_SEEDING", "95.00", "EUR", fold),
        (2, None, "AGENCY", "600.00", "USD", r.odd.0),
        (2, Some(GIA), "OTHER", "42.42", "USD", r.midnight.1),
        (
            0,
            Some(CLEO),
            "PRODUCT_SEEDING",
            "60.00",
            "GBP",
            local(2025, 12, 31, 23, 30, 0),
        ),
        (
            1,
            None,
            "OTHER",
            "75.00",
            "USD",
            local(2026, 11, 15, 20, 0, 0),
        ),
        (
            0,
            Some(FINN),
            "GIFTING",
            "20.00",
            "USD",
            local(2026, 11, 5, 7, 0, 0),
        ),
        (
            2,
            Some(HAL),
            "GIFTING",
            "33.33",
            "EUR",
            local(2026, 10, 30, 16, 20, 0),
        ),
    ];
    for (campaign, creator, kind, amount, currency, at) in costs {
        api.admin("campaigns/RecordCost", json!({ "input": {
            "campaignId": campaigns[campaign], "creatorId": creator.map(|c: usize| creators[c].clone()),
            "kind": kind, "amount": { "amount": amount, "currencyCode": currency },
            "incurredAt": ts(at), "note": "oracle" } }))
            .await;
    }
}

/// Another brand's clicks, conversions and costs in the same period: none may show.
async fn other_brand(app: &TestApp, rng: &mut StdRng, period: (DateTime<Utc>, DateTime<Utc>)) {
    let b = register(app, "Other Brand", "admin@other.test").await;
    let (key, _) = create_key(app, &b.access, "other store").await;
    let (campaign, offer) = campaign_with_offer(app, &b.access, "Other").await;
    let other = Api {
        app,
        admin: b.access,
        key,
    };
    let creator = other.admin("roster/CreateCreator", json!({ "input": {
        "displayName": "Olive", "channels": [ { "platform": "TIKTOK", "handle": "@olive", "followers": 1000 } ] } }))
        .await;
    let creator = text(&creator["createCreator"]["id"]);
    let enrollment = enroll(app, &other.admin, &campaign, &creator, &offer).await;
    other.admin("tracking/CreateTrackingLink", json!({ "input": {
        "enrollmentId": enrollment, "destinationUrl": "https://other.example.com/", "code": "other-brand" } }))
        .await;
    let times: Vec<DateTime<Utc>> = (0..40).map(|_| between(rng, period.0, period.1)).collect();
    let clicks: Vec<Value> = times
        .iter()
        .enumerate()
        .map(|(i, at)| {
            json!({ "linkCode": "other-brand", "clickId": format!("other-{i}"),
            "occurredAt": ts(*at), "visitorKey": format!("ov-{i}"), "userAgent": BROWSERS[0] })
        })
        .collect();
    other
        .integrator("ingest/RecordClicks", json!({ "clicks": clicks }))
        .await;
    let conversions: Vec<Value> = times
        .iter()
        .take(20)
        .enumerate()
        .map(|(i, at)| {
            json!({ "externalId": format!("other-{i}"), "kind": "SALE", "amount": "99.00",
            "occurredAt": ts(*at + Duration::hours(1)), "clickId": format!("other-{i}") })
        })
        .collect();
    other
        .integrator(
            "ingest/RecordConversions",
            json!({ "conversions": conversions }),
        )
        .await;
    other
        .admin(
            "campaigns/RecordCost",
            json!({ "input": { "campaignId": campaign,
        "kind": "OTHER", "amount": { "amount": "500", "currencyCode": "USD" },
        "incurredAt": ts(period.0 + Duration::days(3)) } }),
        )
        .await;
}
