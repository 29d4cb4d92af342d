//! Two server processes on one PostgreSQL database: a link created, changed, paused or archived
//! through one is redirected to correctly by the other within a second, though the other had it
//! in its redirect cache (whose TTL is 60 s); a brand setting changed through one drops the
//! other's cached reports; and after the listeners' connections are killed, no stale link is
//! served once they listen again; a discount code deactivated through one stops matching on the
//! other at once (codes are not cached). On one instance (both backends) a setting drops the
//! brand's cached reports at once.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};

use crate::helpers::server::{self, ServerProcess};
use crate::helpers::{Backend, TestApp, TestDb, data, world};
use crate::on_both_backends;

/// The staleness the issue allows across instances.
const FRESH_WITHIN: Duration = Duration::from_secs(1);

/// `HEAD /r/{code}` (not a visit): the status and the `Location` without the click id.
fn redirect(addr: SocketAddr, code: &str) -> (u16, Option<String>) {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let request = format!("HEAD /r/{code} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).expect("send");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("read");
    let status = raw
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let location = raw.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("location").then(|| {
            let value = value.trim();
            // The click id differs per redirect: keep what the link decides.
            value.split("pg_click=").next().unwrap_or(value).to_owned()
        })
    });
    (status, location)
}

/// Polls `code` on `addr` until the answer satisfies `fresh`, for at most `within`; the time it
/// took, or the last (stale) answer.
fn served_within(
    addr: SocketAddr,
    code: &str,
    within: Duration,
    fresh: impl Fn(&(u16, Option<String>)) -> bool,
) -> Result<Duration, (u16, Option<String>)> {
    let started = Instant::now();
    loop {
        let answer = redirect(addr, code);
        if fresh(&answer) {
            return Ok(started.elapsed());
        }
        if started.elapsed() > within {
            return Err(answer);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn ok(addr: SocketAddr, token: &str, query: &str, variables: Value) -> Value {
    let (status, body) = server::graphql(addr, Some(token), query, variables).expect("graphql");
    assert!(
        status == 200 && body.get("errors").is_none(),
        "{status} {body}"
    );
    body["data"].clone()
}

fn enrollment_of(addr: SocketAddr, admin: &str) -> String {
    let data = ok(
        addr,
        admin,
        "{ campaigns(first: 1) { nodes { enrollments(first: 1) { nodes { id } } } } }",
        json!({}),
    );
    data["campaigns"]["nodes"][0]["enrollments"]["nodes"][0]["id"]
        .as_str()
        .expect("an enrollment")
        .to_owned()
}

fn create_link(addr: SocketAddr, admin: &str, enrollment: &str, code: &str, to: &str) -> String {
    let data = ok(
        addr,
        admin,
        "mutation ($input: CreateTrackingLinkInput!) { createTrackingLink(input: $input) { id } }",
        json!({ "input": { "enrollmentId": enrollment, "code": code, "destinationUrl": to } }),
    );
    data["createTrackingLink"]["id"]
        .as_str()
        .expect("link id")
        .to_owned()
}

fn update_link(addr: SocketAddr, admin: &str, input: Value) {
    ok(
        addr,
        admin,
        "mutation ($input: UpdateTrackingLinkInput!) { updateTrackingLink(input: $input) { id } }",
        json!({ "input": input }),
    );
}

fn redirects_to(destination: &str) -> impl Fn(&(u16, Option<String>)) -> bool + '_ {
    move |(status, location)| {
        *status == 302
            && location
                .as_deref()
                .is_some_and(|l| l.starts_with(destination))
    }
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("query")
        .expect("a row")
        .try_get_by_index::<i64>(0)
        .expect("a count")
}

#[tokio::test]
async fn a_link_changed_through_one_instance_is_served_fresh_by_the_other_within_a_second() {
    let Some(test_db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let a = ServerProcess::start(&test_db.url, dir.path());
    let b = ServerProcess::start(&test_db.url, dir.path());
    let tenant = server::set_up_tenant(a.addr, "admin@coherence.test");
    let admin = tenant.admin.as_str();
    let enrollment = enrollment_of(a.addr, admin);

    // B remembers the code as unknown, then A creates it.
    assert_eq!(redirect(b.addr, "coh-new").0, 404);
    let link = create_link(a.addr, admin, &enrollment, "coh-new", "https://one.test/");
    let took = served_within(
        b.addr,
        "coh-new",
        FRESH_WITHIN,
        redirects_to("https://one.test/"),
    )
    .unwrap_or_else(|stale| panic!("a new link still unknown on B: {stale:?}"));
    eprintln!("created: fresh on B after {took:?}");

    // B has the link cached: a new destination through A.
    assert!(redirects_to("https://one.test/")(&redirect(
        b.addr, "coh-new"
    )));
    update_link(
        a.addr,
        admin,
        json!({ "id": link, "destinationUrl": "https://two.test/" }),
    );
    let took = served_within(
        b.addr,
        "coh-new",
        FRESH_WITHIN,
        redirects_to("https://two.test/"),
    )
    .unwrap_or_else(|stale| panic!("B served the old destination: {stale:?}"));
    eprintln!("changed: fresh on B after {took:?}");

    // Paused through A: B answers "paused" (410), then resumed: B redirects again.
    update_link(a.addr, admin, json!({ "id": link, "state": "PAUSED" }));
    served_within(b.addr, "coh-new", FRESH_WITHIN, |(status, _)| {
        *status == 410
    })
    .unwrap_or_else(|stale| panic!("B still redirects a paused link: {stale:?}"));
    update_link(a.addr, admin, json!({ "id": link, "state": "ACTIVE" }));
    served_within(
        b.addr,
        "coh-new",
        FRESH_WITHIN,
        redirects_to("https://two.test/"),
    )
    .unwrap_or_else(|stale| panic!("B still pauses a resumed link: {stale:?}"));

    // Archived through A: B answers 404.
    ok(
        a.addr,
        admin,
        "mutation ($id: ID!) { archiveTrackingLink(id: $id) { id } }",
        json!({ "id": link }),
    );
    served_within(b.addr, "coh-new", FRESH_WITHIN, |(status, _)| {
        *status == 404
    })
    .unwrap_or_else(|stale| panic!("B still redirects an archived link: {stale:?}"));

    // The other way round: a change through B reaches A's cache.
    create_link(
        b.addr,
        admin,
        &enrollment,
        "coh-back",
        "https://three.test/",
    );
    assert!(redirects_to("https://three.test/")(&redirect(
        a.addr, "coh-back"
    )));
    let data = ok(
        b.addr,
        admin,
        "{ trackingLinks(first: 10) { nodes { id code } } }",
        json!({}),
    );
    let back = data["trackingLinks"]["nodes"]
        .as_array()
        .expect("links")
        .iter()
        .find(|n| n["code"] == "coh-back")
        .and_then(|n| n["id"].as_str())
        .expect("coh-back listed")
        .to_owned();
    update_link(
        b.addr,
        admin,
        json!({ "id": back, "destinationUrl": "https://four.test/" }),
    );
    served_within(
        a.addr,
        "coh-back",
        FRESH_WITHIN,
        redirects_to("https://four.test/"),
    )
    .unwrap_or_else(|stale| panic!("A served the old destination: {stale:?}"));
}

#[tokio::test]
async fn after_the_listeners_connections_are_killed_no_stale_link_is_served_once_they_listen_again()
{
    let Some(test_db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let db = test_db.connect().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let a = ServerProcess::start(&test_db.url, dir.path());
    let b = ServerProcess::start(&test_db.url, dir.path());
    let tenant = server::set_up_tenant(a.addr, "admin@listener.test");
    let admin = tenant.admin.as_str();
    let enrollment = enrollment_of(a.addr, admin);
    let link = create_link(
        a.addr,
        admin,
        &enrollment,
        "coh-fault",
        "https://before.test/",
    );
    assert!(redirects_to("https://before.test/")(&redirect(
        b.addr,
        "coh-fault"
    )));

    // Each process's listener is found by its application_name.
    let listeners = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                     AND application_name = 'partnergraph-listener'";
    assert_eq!(count(&db, listeners).await, 2, "one listener per process");
    let before = "SELECT coalesce(sum(pid), 0)::bigint FROM pg_stat_activity \
                  WHERE datname = current_database() AND application_name = 'partnergraph-listener'";
    let pids_before = count(&db, before).await;
    let killed = count(
        &db,
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND application_name = 'partnergraph-listener') t",
    )
    .await;
    assert_eq!(killed, 2);
    // The change is made while nobody listens: its notification reaches no one.
    let gone = Instant::now();
    while count(&db, listeners).await > 0 && gone.elapsed() < Duration::from_secs(1) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    update_link(
        a.addr,
        admin,
        json!({ "id": link, "destinationUrl": "https://after.test/" }),
    );

    // Both processes listen again, on new connections, within a few seconds...
    let listening = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                     AND application_name = 'partnergraph-listener' AND query ILIKE 'LISTEN%'";
    let deadline = Instant::now() + Duration::from_secs(10);
    while !(count(&db, listening).await == 2 && count(&db, before).await != pids_before) {
        assert!(Instant::now() < deadline, "the listeners did not come back");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // ...having dropped their caches: B serves the new destination though the change was never
    // notified to it and its cached entry had 60 s to live.
    served_within(
        b.addr,
        "coh-fault",
        FRESH_WITHIN,
        redirects_to("https://after.test/"),
    )
    .unwrap_or_else(|stale| panic!("B served a stale link after reconnecting: {stale:?}"));
    // And notifications flow again.
    update_link(
        a.addr,
        admin,
        json!({ "id": link, "destinationUrl": "https://again.test/" }),
    );
    served_within(
        b.addr,
        "coh-fault",
        FRESH_WITHIN,
        redirects_to("https://again.test/"),
    )
    .unwrap_or_else(|stale| panic!("B served the old destination: {stale:?}"));
}

const PAGE_TWO_ROI: &str = "query ($filter: PerformanceFilter!, $after: String) {
  performance(filter: $filter, groupBy: [DAY], first: 1, after: $after) {
    totals { roi } pageInfo { endCursor hasNextPage } } }";

#[tokio::test]
async fn a_brand_setting_changed_through_one_instance_drops_the_other_instances_cached_reports() {
    let Some(test_db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let a = ServerProcess::start(&test_db.url, dir.path());
    let b = ServerProcess::start(&test_db.url, dir.path());
    let tenant = server::set_up_tenant(a.addr, "admin@reports.test");
    let admin = tenant.admin.as_str();
    let now = chrono::Utc::now();
    // Sales on two days: a report by DAY of two pages of one row.
    for (prefix, days) in [("d1", 3), ("d2", 2)] {
        let at = now - chrono::Duration::days(days);
        let outcome = server::record(a.addr, &tenant.key, &server::batch(prefix, 2, at))
            .expect("batch acknowledged");
        assert_eq!(outcome.accepted, 2);
    }
    let filter = json!({ "from": (now - chrono::Duration::days(10)).to_rfc3339(),
                         "to": (now + chrono::Duration::hours(1)).to_rfc3339() });
    // B computes the report for its first page and keeps it for the next.
    let first = ok(b.addr, admin, PAGE_TWO_ROI, json!({ "filter": filter }));
    let first = &first["performance"];
    assert_eq!(first["pageInfo"]["hasNextPage"], true, "{first}");
    let after = first["pageInfo"]["endCursor"].clone();
    let roi_before = first["totals"]["roi"].as_f64().expect("a roi");
    let page_two = || {
        let data = ok(
            b.addr,
            admin,
            PAGE_TWO_ROI,
            json!({ "filter": filter, "after": after }),
        );
        data["performance"]["totals"]["roi"]
            .as_f64()
            .expect("a roi")
    };
    assert_eq!(
        page_two(),
        roi_before,
        "the next page is cut from B's cache"
    );

    // A new margin through A: B's next page is computed anew, with it.
    let margin = if roi_before > 0.0 { "0.05" } else { "0.95" };
    ok(
        a.addr,
        admin,
        "mutation ($input: UpdateBrandSettingsInput!) { updateBrandSettings(input: $input) { id } }",
        json!({ "input": { "grossMargin": margin } }),
    );
    let started = Instant::now();
    loop {
        let roi = page_two();
        if roi != roi_before {
            break;
        }
        assert!(
            started.elapsed() < FRESH_WITHIN,
            "B still serves the report computed with the old margin"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sales by code on two days, then a report by DAY read page by page around a new margin.
async fn a_brand_setting_drops_the_brands_cached_reports_in_process(app: TestApp) {
    let w = world::world(&app).await;
    world::discount_code(&app, &w.admin, &w.enrollment_a, "MARGIN").await;
    let now = chrono::Utc::now();
    let sale = |id: &str, days: i64| {
        json!({ "externalId": id, "kind": "SALE", "amount": "100.00", "discountCode": "MARGIN",
                "occurredAt": (now - chrono::Duration::days(days)).to_rfc3339() })
    };
    world::record_conversions(&app, &w.key, json!([sale("m-1", 3), sale("m-2", 2)])).await;
    let filter = json!({ "from": (now - chrono::Duration::days(10)).to_rfc3339(),
                         "to": (now + chrono::Duration::hours(1)).to_rfc3339() });
    let roi = |response: &Value| {
        data(response)["performance"]["totals"]["roi"]
            .as_f64()
            .expect("a roi")
    };
    let first = app
        .graphql_as(Some(&w.admin), PAGE_TWO_ROI, json!({ "filter": filter }))
        .await;
    let page = &data(&first)["performance"]["pageInfo"];
    assert_eq!(page["hasNextPage"], true, "{first}");
    let after = page["endCursor"].clone();
    let roi_before = roi(&first);
    let margin = if roi_before > 0.0 { "0.05" } else { "0.95" };
    let changed = app
        .graphql_as(
            Some(&w.admin),
            "mutation ($input: UpdateBrandSettingsInput!) { updateBrandSettings(input: $input) { id } }",
            json!({ "input": { "grossMargin": margin } }),
        )
        .await;
    data(&changed);
    let second = app
        .graphql_as(
            Some(&w.admin),
            PAGE_TWO_ROI,
            json!({ "filter": filter, "after": after }),
        )
        .await;
    assert_ne!(
        roi(&second),
        roi_before,
        "the next page was cut from a report computed with the old margin"
    );
}

on_both_backends!(a_brand_setting_drops_the_brands_cached_reports_in_process);

/// Discount codes are not cached (ingestion reads them each time): one deactivated through A
/// stops matching on B at once.
#[tokio::test]
async fn a_code_deactivated_through_one_instance_stops_matching_on_the_other_at_once() {
    let Some(test_db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let a = ServerProcess::start(&test_db.url, dir.path());
    let b = ServerProcess::start(&test_db.url, dir.path());
    let tenant = server::set_up_tenant(a.addr, "admin@codes.test");
    let admin = tenant.admin.as_str();
    let at = chrono::Utc::now() - chrono::Duration::minutes(5);
    let method = |external_id: &str| {
        let data = ok(
            b.addr,
            admin,
            "{ conversions(first: 10) { nodes { externalId attribution { method } } } }",
            json!({}),
        );
        data["conversions"]["nodes"]
            .as_array()
            .expect("conversions")
            .iter()
            .find(|n| n["externalId"] == external_id)
            .map(|n| n["attribution"]["method"].clone())
            .unwrap_or_else(|| panic!("{external_id} not listed: {data}"))
    };
    let sent = server::record(b.addr, &tenant.key, &server::batch("pre", 1, at)).expect("batch");
    assert_eq!(sent.accepted, 1);
    assert_eq!(method("pre-000"), "CODE");

    let codes = ok(
        a.addr,
        admin,
        "{ discountCodes(first: 1) { nodes { id } } }",
        json!({}),
    );
    ok(
        a.addr,
        admin,
        "mutation ($id: ID!) { deactivateDiscountCode(id: $id) { id } }",
        json!({ "id": codes["discountCodes"]["nodes"][0]["id"] }),
    );
    let sent = server::record(b.addr, &tenant.key, &server::batch("post", 1, at)).expect("batch");
    assert_eq!(sent.accepted, 1);
    assert_eq!(method("post-000"), "NONE", "B matched a deactivated code");
}

/// A rollup rebuild (`partnergraph rollups rebuild`, run by an operator in another process)
/// drops every instance's cached report pages of the brand. Here the rollups are emptied behind
/// the server's back (the data fix), a report's first page is computed from them and cached,
/// the rebuild restores them, and within a second the next page is computed anew from them.
/// PostgreSQL only: on SQLite the rebuild's process cannot reach a serving one (a cached page
/// lives its 5 minutes; docs/operations.md).
#[tokio::test]
async fn a_rollup_rebuild_drops_every_instances_cached_reports() {
    crate::helpers::run(Backend::Postgres, |app| async move {
        let w = world::world(&app).await;
        world::discount_code(&app, &w.admin, &w.enrollment_a, "REBUILT").await;
        let now = chrono::Utc::now();
        let sale = |id: &str, days: i64| {
            json!({ "externalId": id, "kind": "SALE", "amount": "100.00",
                    "discountCode": "REBUILT",
                    "occurredAt": (now - chrono::Duration::days(days)).to_rfc3339() })
        };
        world::record_conversions(&app, &w.key, json!([sale("r-1", 3), sale("r-2", 2)])).await;
        let brand_id = world::db_id(&w.brand_a);
        for table in [
            "daily_rollups",
            "weekly_rollups",
            "monthly_rollups",
            "brand_daily_rollups",
            "brand_weekly_rollups",
            "brand_monthly_rollups",
        ] {
            app.db
                .execute_unprepared(&format!("DELETE FROM {table} WHERE brand_id = {brand_id}"))
                .await
                .expect("empty the rollups");
        }
        let query = "query ($filter: PerformanceFilter!, $after: String) {
          performance(filter: $filter, groupBy: [DAY], first: 1, after: $after) {
            totals { sales } pageInfo { endCursor hasNextPage } } }";
        let filter = json!({ "from": (now - chrono::Duration::days(10)).to_rfc3339(),
                             "to": (now + chrono::Duration::hours(1)).to_rfc3339() });
        let first = app
            .graphql_as(Some(&w.admin), query, json!({ "filter": filter }))
            .await;
        assert_eq!(data(&first)["performance"]["totals"]["sales"], 0, "{first}");
        let after = data(&first)["performance"]["pageInfo"]["endCursor"].clone();

        partnergraph::service::rollups_rebuild::rebuild(&app.db, brand_id)
            .await
            .expect("rebuild");
        let started = Instant::now();
        loop {
            let next = app
                .graphql_as(
                    Some(&w.admin),
                    query,
                    json!({ "filter": filter, "after": after }),
                )
                .await;
            if data(&next)["performance"]["totals"]["sales"] == 2 {
                break;
            }
            assert!(
                started.elapsed() < FRESH_WITHIN,
                "still the report cut from the emptied rollups: {next}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
}
