//! Partitioned clicks on PostgreSQL (issue #24): monthly partitions and a default one, created
//! ahead at start-up and by the upkeep, exactly-once click ids through `click_keys`, a 90-day
//! range of clicks read from its months' partitions only (EXPLAIN), the conversion of an
//! existing table both ways; the raw click retention, after which reports keep their numbers
//! from the rollups, is in `retention.rs`. SQLite keeps one table and every click.

use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use migration::{Migrator, MigratorTrait};
use partnergraph::clock::ManualClock;
use partnergraph::service::partitions::{self, Maintained, month_of, partition_name};
use partnergraph::service::performance;
use partnergraph::tracking::NewClick;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, QueryTrait, Statement};
use serde_json::{Value, json};

use crate::helpers::server::ServerProcess;
use crate::helpers::world::{self, World, db_id};
use crate::helpers::{Backend, TestApp, TestDb, data, integers};

mod retention;

const REPORT: &str = "query ($filter: PerformanceFilter!) {
  performance(filter: $filter, groupBy: [MONTH]) {
    totals { clicks uniqueClicks sales revenue { amount } }
    rows { key { period } metrics { clicks uniqueClicks sales } } } }";

fn utc(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
}

fn month(y: i32, m: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, 1).unwrap()
}

/// The partitions of `clicks` (monthly ones and the default), by name.
async fn attached(db: &DatabaseConnection) -> Vec<String> {
    strings(
        db,
        "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
         WHERE i.inhparent = 'clicks'::regclass ORDER BY 1",
    )
    .await
}

async fn strings(db: &DatabaseConnection, sql: &str) -> Vec<String> {
    db.query_all_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .expect("query")
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).expect("text"))
        .collect()
}

async fn exists(db: &DatabaseConnection, table: &str) -> bool {
    integers(db, &format!("SELECT COUNT(to_regclass('{table}'))")).await == [1]
}

/// An app whose clock reads `at`, with the world and the link `cora-part`.
async fn app_at(backend: Backend, at: DateTime<Utc>) -> Option<(TestApp, Arc<ManualClock>, World)> {
    let clock = Arc::new(ManualClock::new(at));
    let app = TestApp::spawn_with_clock(backend, clock.clone()).await?;
    let w = world::world(&app).await;
    world::tracking_link(&app, &w.admin, &w.enrollment_a, "cora-part").await;
    Some((app, clock, w))
}

/// Clicks on `cora-part`: `per_month` on the 3rd, 10th, ... of each month of 2030 in `months`,
/// a bot among them and visitors that come back; ids `c<month>-<n>`.
fn clicks(months: std::ops::RangeInclusive<u32>, per_month: usize) -> Value {
    let mut items = Vec::new();
    for m in months {
        for n in 0..per_month {
            let at =
                utc(2030, m, 3) + Duration::days(7 * (n as i64 % 4)) + Duration::hours(n as i64);
            items.push(json!({
                "linkCode": "cora-part", "clickId": format!("c{m}-{n}"),
                "occurredAt": at.to_rfc3339(), "visitorKey": format!("v{}", n % 3),
                "userAgent": if n == 1 { "Googlebot/2.1" } else { "Mozilla/5.0" } }));
        }
    }
    Value::Array(items)
}

async fn report(app: &TestApp, w: &World, from: DateTime<Utc>, to: DateTime<Utc>) -> Value {
    let response = app
        .graphql_as(
            Some(&w.admin),
            REPORT,
            json!({ "filter": { "from": from.to_rfc3339(), "to": to.to_rfc3339() } }),
        )
        .await;
    data(&response)["performance"].clone()
}

#[tokio::test]
async fn clicks_are_partitioned_by_month_around_the_current_one_with_a_default() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    let names = attached(&app.db).await;
    let current = month_of(Utc::now());
    for ahead in 0..=2 {
        let month = current
            .checked_add_months(chrono::Months::new(ahead))
            .unwrap();
        assert!(names.contains(&partition_name(month)), "{month}: {names:?}");
    }
    assert!(names.contains(&"clicks_default".to_owned()), "{names:?}");
    assert_eq!(
        integers(
            &app.db,
            "SELECT CAST(COUNT(*) AS BIGINT) FROM pg_partitioned_table \
             WHERE partrelid = 'clicks'::regclass"
        )
        .await,
        [1]
    );
}

#[tokio::test]
async fn the_upkeep_creates_months_ahead_and_moves_strays_out_of_the_default() {
    let Some((app, _clock, w)) = app_at(Backend::Postgres, utc(2030, 5, 10)).await else {
        return;
    };
    world::record_clicks(&app, &w.key, clicks(1..=4, 5)).await;
    // No partition for 2030 yet: every click waits in the default partition.
    assert_eq!(
        integers(&app.db, "SELECT COUNT(*) FROM clicks_default").await,
        [20]
    );

    let done = partitions::maintain(&app.db, utc(2030, 5, 10), None)
        .await
        .unwrap();
    let expected: Vec<String> = (1..=7).map(|m| partition_name(month(2030, m))).collect();
    assert_eq!(
        done.created, expected,
        "January to April moved, May to July ahead"
    );
    assert_eq!(done.moved, 20);
    assert_eq!(
        integers(&app.db, "SELECT COUNT(*) FROM clicks_default").await,
        [0]
    );
    for m in 1..=4 {
        let sql = format!("SELECT COUNT(*) FROM {}", partition_name(month(2030, m)));
        assert_eq!(integers(&app.db, &sql).await, [5], "{m}");
    }
    // A second run has nothing to do; a click far in the future is stored (default).
    assert_eq!(
        partitions::maintain(&app.db, utc(2030, 5, 10), None)
            .await
            .unwrap(),
        Maintained::default()
    );
    let far = json!([{ "linkCode": "cora-part", "clickId": "far", "visitorKey": "v9",
        "occurredAt": utc(2030, 5, 10).to_rfc3339() }]);
    world::record_clicks(&app, &w.key, far).await;
    app.db
        .execute_unprepared("UPDATE clicks SET occurred_at = '2040-01-01Z' WHERE click_id = 'far'")
        .await
        .unwrap();
    assert_eq!(
        integers(&app.db, "SELECT COUNT(*) FROM clicks_default").await,
        [1]
    );
    let done = partitions::maintain(&app.db, utc(2030, 5, 10), None)
        .await
        .unwrap();
    assert_eq!(done.created, [partition_name(month(2040, 1))]);
    assert_eq!(integers(&app.db, "SELECT COUNT(*) FROM clicks").await, [21]);
}

/// A click id is stored once per brand whatever the month it names: through the API, straight
/// into the table and from the redirect writer; a deleted click frees its id.
async fn click_ids_stay_unique_per_brand_across_months(app: TestApp) {
    let w = world::world(&app).await;
    world::tracking_link(&app, &w.admin, &w.enrollment_a, "cora-part").await;
    let click = |at: DateTime<Utc>| {
        json!([{ "linkCode": "cora-part", "clickId": "same", "visitorKey": "v1",
                 "occurredAt": at.to_rfc3339() }])
    };
    let january = Utc::now() - Duration::days(300);
    world::record_clicks(&app, &w.key, click(january)).await;
    let again = app
        .contract(
            Some(&w.key),
            "ingest",
            "RecordClicks",
            json!({ "clicks": click(Utc::now()) }),
        )
        .await;
    assert_eq!(data(&again)["recordClicks"]["duplicates"], 1, "{again}");
    // Straight into the table, another month: refused by the database.
    let duplicate = app
        .db
        .execute_unprepared(&format!(
            "INSERT INTO clicks (brand_id, link_id, enrollment_id, click_id, occurred_at, \
             visitor_key, is_bot, source, created_at) SELECT brand_id, link_id, enrollment_id, \
             click_id, CURRENT_TIMESTAMP, visitor_key, is_bot, source, created_at \
             FROM clicks WHERE brand_id = {}",
            db_id(&w.brand_a)
        ))
        .await;
    assert!(
        matches!(
            duplicate.as_ref().map_err(|e| e.sql_err()),
            Err(Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
        ),
        "{duplicate:?}"
    );
    assert_eq!(integers(&app.db, "SELECT COUNT(*) FROM clicks").await, [1]);
    // The redirect writer (no brand lock) with an id the API stored, in another month: the
    // database refuses its row, the writer's other row is stored.
    let link = integers(&app.db, "SELECT id, enrollment_id FROM tracking_links").await;
    let redirect = |click_id: &str| NewClick {
        brand_id: db_id(&w.brand_a),
        link_id: link[0],
        enrollment_id: Some(link[1]),
        click_id: click_id.to_owned(),
        occurred_at: Utc::now(),
        visitor_key: "0".repeat(64),
        user_agent_class: "desktop",
        referrer_host: None,
        country: None,
        is_bot: false,
        paid_click_param: None,
    };
    assert!(app.tracking.clicks.enqueue(redirect("same")));
    assert!(app.tracking.clicks.enqueue(redirect("other")));
    app.tracking.clicks.flush().await;
    let stats = app.tracking.clicks.stats();
    assert_eq!((stats.written, stats.failed), (1, 1), "{stats:?}");
    assert_eq!(integers(&app.db, "SELECT COUNT(*) FROM clicks").await, [2]);

    app.db
        .execute_unprepared("DELETE FROM clicks WHERE click_id = 'same'")
        .await
        .unwrap();
    world::record_clicks(&app, &w.key, click(Utc::now())).await;
    assert_eq!(integers(&app.db, "SELECT COUNT(*) FROM clicks").await, [2]);
}

crate::on_both_backends!(click_ids_stay_unique_per_brand_across_months);

#[tokio::test]
async fn a_90_day_range_of_clicks_reads_only_the_partitions_of_its_months() {
    let Some((app, _clock, w)) = app_at(Backend::Postgres, utc(2030, 8, 10)).await else {
        return;
    };
    world::record_clicks(&app, &w.key, clicks(1..=7, 3)).await;
    partitions::maintain(&app.db, utc(2030, 8, 10), None)
        .await
        .unwrap();
    app.db.execute_unprepared("ANALYZE clicks").await.unwrap();
    // 90 days from 10 February: February to May, not January, June, July or the default.
    let (from, to) = (utc(2030, 2, 10), utc(2030, 2, 10) + Duration::days(90));
    let statement = performance::raw_clicks(db_id(&w.brand_a), from, to).build(DbBackend::Postgres);
    let explain = Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!("EXPLAIN {}", statement.sql),
        statement.values.clone().map(|v| v.0).unwrap_or_default(),
    );
    let plan: Vec<String> = app
        .db
        .query_all_raw(explain)
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
        .collect();
    let plan = plan.join("\n");
    let mut read: Vec<&str> = plan
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        // Partitions, not their indexes (`clicks_p2030_02_brand_id_occurred_at_idx`).
        .filter(|word| {
            (word.starts_with("clicks_p") && word.len() == "clicks_p2030_02".len())
                || *word == "clicks_default"
        })
        .collect();
    read.sort();
    read.dedup();
    let expected: Vec<String> = (2..=5).map(|m| partition_name(month(2030, m))).collect();
    assert_eq!(read, expected, "{plan}");
    // And the statement reads what the report counts.
    let rows = app.db.query_all_raw(statement).await.unwrap();
    // Human clicks on the 3rd, 10th and 17th of each month (the 10th's a bot): from the 17th
    // of February to the 3rd of May.
    assert_eq!(rows.len(), 6);
}

#[tokio::test]
async fn existing_clicks_move_into_partitions_and_back() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    let w = world::world(&app).await;
    world::tracking_link(&app, &w.admin, &w.enrollment_a, "cora-part").await;
    let recent = Utc::now() - Duration::days(40);
    let old = Utc::now() - Duration::days(1_000);
    let items: Vec<Value> = [recent, old, Utc::now()]
        .iter()
        .enumerate()
        .map(|(n, at)| {
            json!({ "linkCode": "cora-part", "clickId": format!("m{n}"),
            "visitorKey": "v", "occurredAt": at.to_rfc3339() })
        })
        .collect();
    world::record_clicks(&app, &w.key, Value::Array(items)).await;
    let before = integers(
        &app.db,
        "SELECT COUNT(*), MAX(id), CAST(SUM(id) AS BIGINT) FROM clicks",
    )
    .await;

    // The partitioning, and the migrations after it, undone.
    let steps = crate::helpers::migrations_from("m20261210_000004_partition_clicks");
    Migrator::down(&app.db, Some(steps)).await.unwrap();
    assert!(!exists(&app.db, "click_keys").await);
    assert_eq!(
        integers(
            &app.db,
            "SELECT COUNT(*), MAX(id), CAST(SUM(id) AS BIGINT) FROM clicks"
        )
        .await,
        before
    );
    assert!(exists(&app.db, "uq_clicks_brand_id_click_id").await);
    // The upkeep leaves an unpartitioned table alone.
    assert_eq!(
        partitions::maintain(&app.db, Utc::now(), Some(400))
            .await
            .unwrap(),
        Maintained::default()
    );

    Migrator::up(&app.db, None).await.unwrap();
    assert_eq!(
        integers(
            &app.db,
            "SELECT COUNT(*), MAX(id), CAST(SUM(id) AS BIGINT) FROM clicks"
        )
        .await,
        before
    );
    assert_eq!(
        integers(&app.db, "SELECT COUNT(*) FROM click_keys").await,
        [3]
    );
    assert_eq!(
        integers(&app.db, "SELECT COUNT(*) FROM clicks_default").await,
        [0]
    );
    let old_month = partition_name(month_of(old));
    assert_eq!(
        integers(&app.db, &format!("SELECT COUNT(*) FROM {old_month}")).await,
        [1],
        "a month that holds clicks gets its partition"
    );
    // New clicks take ids after the moved ones.
    let next = json!([{ "linkCode": "cora-part", "clickId": "next", "visitorKey": "v",
        "occurredAt": Utc::now().to_rfc3339() }]);
    world::record_clicks(&app, &w.key, next).await;
    let last = integers(&app.db, "SELECT id FROM clicks WHERE click_id = 'next'").await;
    assert!(last[0] > before[1], "{last:?} after {before:?}");
}

#[tokio::test]
async fn the_server_creates_the_months_ahead_at_start_up() {
    let Some(test_db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let db = test_db.connect().await;
    Migrator::up(&db, None).await.unwrap();
    let last = partition_name(
        month_of(Utc::now())
            .checked_add_months(chrono::Months::new(2))
            .unwrap(),
    );
    db.execute_unprepared(&format!("DROP TABLE {last}"))
        .await
        .unwrap();
    assert!(!exists(&db, &last).await);
    let dir = tempfile::tempdir().expect("temp dir");
    let _server = ServerProcess::start(&test_db.url, dir.path());
    // Made before the server answers its first request.
    let deadline = Instant::now() + StdDuration::from_secs(5);
    while !exists(&db, &last).await {
        assert!(Instant::now() < deadline, "{last} was not created");
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    assert!(attached(&db).await.contains(&last));
}
