//! Rollups kept at ingestion equal rollups rebuilt from the events, whatever the arrival order:
//! orders that arrive after later ones (and make them not new), refunds before their order,
//! partial and full refunds, bots and repeat visitors.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, TimeZone, Utc};
use partnergraph::db::entity::{daily_rollup, daily_sketch, enrollment};
use partnergraph::domain::calendar::{Grain, period_start};
use partnergraph::domain::uniques::VisitorSketch;
use partnergraph::service::rollups_rebuild;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::{Value, json};

use crate::helpers::world::{self, World, db_id};
use crate::helpers::{TestApp, data};
use crate::on_both_backends;

/// A day's sketch, as the count it gives (the bytes may differ with arrival order).
type SketchCount = (i64, chrono::NaiveDate, i64, i64);

/// A row of a coarser level: (brand, period start, enrollment or creator; 0 for a brand
/// level), its sums, and its visitor count.
type LevelRow = ((i64, chrono::NaiveDate, i64), [i64; 6], Option<i64>);

/// The levels besides the enrollments' days: table, its sketches' table (`None`: in its rows),
/// date column, grain, owner column (`None`: the whole brand).
type LevelOf = (
    &'static str,
    Option<&'static str>,
    &'static str,
    Grain,
    Option<&'static str>,
);

const LEVELS: [LevelOf; 8] = [
    (
        "weekly_rollups",
        Some("weekly_sketches"),
        "week",
        Grain::Week,
        Some("enrollment_id"),
    ),
    (
        "monthly_rollups",
        Some("monthly_sketches"),
        "month",
        Grain::Month,
        Some("enrollment_id"),
    ),
    (
        "creator_daily_rollups",
        Some("creator_daily_sketches"),
        "day",
        Grain::Day,
        Some("creator_id"),
    ),
    (
        "creator_weekly_rollups",
        Some("creator_weekly_sketches"),
        "week",
        Grain::Week,
        Some("creator_id"),
    ),
    (
        "creator_monthly_rollups",
        Some("creator_monthly_sketches"),
        "month",
        Grain::Month,
        Some("creator_id"),
    ),
    ("brand_daily_rollups", None, "day", Grain::Day, None),
    ("brand_weekly_rollups", None, "week", Grain::Week, None),
    ("brand_monthly_rollups", None, "month", Grain::Month, None),
];

/// What the rollups hold: enrollment-day sums, their visitor counts, and every coarser level.
#[derive(Debug, PartialEq)]
struct Snapshot {
    days: Vec<daily_rollup::Model>,
    day_sketches: Vec<SketchCount>,
    levels: BTreeMap<&'static str, Vec<LevelRow>>,
}

fn count_of(sketch: Option<&[u8]>) -> Option<i64> {
    sketch.map(|bytes| VisitorSketch::from_bytes(bytes).unwrap().count())
}

async fn snapshot(app: &TestApp) -> Snapshot {
    let days = daily_rollup::Entity::find()
        .order_by_asc(daily_rollup::Column::BrandId)
        .order_by_asc(daily_rollup::Column::Day)
        .order_by_asc(daily_rollup::Column::EnrollmentId)
        .all(&app.db)
        .await
        .unwrap();
    let day_sketches = daily_sketch::Entity::find()
        .order_by_asc(daily_sketch::Column::BrandId)
        .order_by_asc(daily_sketch::Column::Day)
        .order_by_asc(daily_sketch::Column::EnrollmentId)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|row| {
            let count = VisitorSketch::from_bytes(&row.sketch).unwrap().count();
            (row.brand_id, row.day, row.enrollment_id, count)
        })
        .collect();
    let mut levels = BTreeMap::new();
    for (table, sketches, date, _, owner) in LEVELS {
        levels.insert(table, level_rows(app, table, sketches, date, owner).await);
    }
    Snapshot {
        days,
        day_sketches,
        levels,
    }
}

async fn level_rows(
    app: &TestApp,
    table: &str,
    sketches: Option<&str>,
    date: &str,
    owner: Option<&str>,
) -> Vec<LevelRow> {
    use sea_orm::{ConnectionTrait, Statement};
    let owner_id = match owner {
        Some(owner) => format!("r.{owner}"),
        None => "CAST(0 AS BIGINT)".to_owned(),
    };
    let (sketch, join) = match (sketches, owner) {
        (Some(sketches), Some(owner)) => (
            "s.sketch",
            format!(
                "LEFT JOIN {sketches} s ON s.brand_id = r.brand_id AND s.{date} = r.{date} \
                 AND s.{owner} = r.{owner}"
            ),
        ),
        _ => ("r.sketch", String::new()),
    };
    let sql = format!(
        "SELECT r.brand_id, r.{date} AS start, {owner_id} AS enrollment_id, r.clicks, r.sales, \
         r.leads, r.new_customers, r.revenue_minor, r.commissions_minor, {sketch} AS sketch \
         FROM {table} r {join} ORDER BY 1, 2, 3"
    );
    let rows = app
        .db
        .query_all_raw(Statement::from_string(app.db.get_database_backend(), sql))
        .await
        .unwrap();
    rows.iter()
        .map(|row| {
            let get = |column: &str| row.try_get::<i64>("", column).unwrap();
            let key = (
                get("brand_id"),
                row.try_get::<chrono::NaiveDate>("", "start").unwrap(),
                get("enrollment_id"),
            );
            let sums = COUNTERS.map(get);
            let sketch: Option<Vec<u8>> = row.try_get("", "sketch").unwrap();
            (key, sums, count_of(sketch.as_deref()))
        })
        .collect()
}

const COUNTERS: [&str; 6] = [
    "clicks",
    "sales",
    "leads",
    "new_customers",
    "revenue_minor",
    "commissions_minor",
];

/// The day level's counters summed by `key` (the brand's period, or the enrollment's).
fn sums_by<K: Ord>(
    rows: &[daily_rollup::Model],
    key: impl Fn(&daily_rollup::Model) -> K,
) -> BTreeMap<K, [i64; 6]> {
    let mut sums: BTreeMap<K, [i64; 6]> = BTreeMap::new();
    for r in rows {
        let sum = sums.entry(key(r)).or_default();
        let add = [
            r.clicks,
            r.sales,
            r.leads,
            r.new_customers,
            r.revenue_minor,
            r.commissions_minor,
        ];
        for (s, a) in sum.iter_mut().zip(add) {
            *s += a;
        }
    }
    sums
}

async fn setup(app: &TestApp) -> World {
    let w = world::world(app).await;
    world::tracking_link(app, &w.admin, &w.enrollment_a, "cora-roll").await;
    world::discount_code(app, &w.admin, &w.enrollment_a, "CORA").await;
    // A second enrollment of the same creator, and another creator's: the creator levels sum
    // enrollments.
    let (campaign, offer) = world::campaign_with_offer(app, &w.admin, "Rollup two").await;
    let second = world::enroll(app, &w.admin, &campaign, &w.creator_a, &offer).await;
    world::tracking_link(app, &w.admin, &second, "cora-two").await;
    let spare = world::enroll(app, &w.admin, &campaign, &w.spare_creator_a, &offer).await;
    world::tracking_link(app, &w.admin, &spare, "spare-roll").await;
    w
}

/// The tracking links clicks go through (`setup`).
const LINKS: [&str; 3] = ["cora-roll", "cora-two", "spare-roll"];

/// One random arrival sequence of clicks, orders and refunds over ten days.
fn sequence(seed: u64) -> Vec<(&'static str, Value)> {
    let mut rng = StdRng::seed_from_u64(seed);
    let start = Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap();
    let at =
        |rng: &mut StdRng| (start + Duration::minutes(rng.random_range(0..14_400))).to_rfc3339();
    let mut items = Vec::new();
    for i in 0..40 {
        let bot = rng.random_bool(0.15);
        items.push((
            "click",
            json!({ "linkCode": LINKS[rng.random_range(0..LINKS.len())], "clickId": format!("s{seed}k{i}"),
            "occurredAt": at(&mut rng), "visitorKey": format!("v{}", rng.random_range(0..12)),
            "userAgent": if bot { "Googlebot/2.1" } else { "Mozilla/5.0" } }),
        ));
    }
    for i in 0..30 {
        let code = rng.random_bool(0.7).then_some("CORA");
        let kind = if rng.random_bool(0.85) {
            "SALE"
        } else {
            "LEAD"
        };
        let amount = format!(
            "{}.{:02}",
            rng.random_range(5..200),
            rng.random_range(0..100)
        );
        items.push((
            "order",
            json!({ "externalId": format!("s{seed}o{i}"), "kind": kind, "amount": amount,
            "discountCode": code, "customerKey": format!("c{}", rng.random_range(0..8)),
            "occurredAt": at(&mut rng) }),
        ));
        if kind == "SALE" && rng.random_bool(0.4) {
            let full = rng.random_bool(0.5);
            let refund = if full {
                amount.clone()
            } else {
                "3.00".to_owned()
            };
            items.push((
                "refund",
                json!({ "externalId": format!("s{seed}o{i}"), "refundId": format!("s{seed}r{i}"),
                "amount": refund, "occurredAt": at(&mut rng) }),
            ));
        }
    }
    items.shuffle(&mut rng);
    items
}

async fn ingest(app: &TestApp, w: &World, items: Vec<(&'static str, Value)>) {
    // Small batches in arrival order, so that late orders and early refunds really happen.
    for chunk in items.chunks(3) {
        for (kind, body) in chunk {
            let response = match *kind {
                "click" => {
                    app.contract(
                        Some(&w.key),
                        "ingest",
                        "RecordClicks",
                        json!({ "clicks": [body] }),
                    )
                    .await
                }
                "order" => {
                    app.contract(
                        Some(&w.key),
                        "ingest",
                        "RecordConversions",
                        json!({ "conversions": [body] }),
                    )
                    .await
                }
                _ => {
                    app.contract(
                        Some(&w.key),
                        "ingest",
                        "RecordRefund",
                        json!({ "input": body }),
                    )
                    .await
                }
            };
            data(&response);
        }
    }
}

async fn rollups_kept_at_ingestion_equal_a_rebuild(app: TestApp) {
    let w = setup(&app).await;
    for seed in 0..3 {
        ingest(&app, &w, sequence(seed)).await;
        // Each seed adds its own events on top of the previous ones.
        let kept = snapshot(&app).await;
        assert!(!kept.days.is_empty() && !kept.day_sketches.is_empty());
        for (table, rows) in &kept.levels {
            assert!(!rows.is_empty(), "{table}");
            let visitors = rows.iter().filter_map(|(_, _, count)| *count).sum::<i64>();
            assert!(visitors > 0, "{table}: no visitors in its sketches");
        }
        let done = rollups_rebuild::rebuild(&app.db, db_id(&w.brand_a))
            .await
            .unwrap();
        assert!(done.clicks > 0 && done.conversions > 0 && done.commission_lines > 0);
        // What the command runs after rebuilding (VACUUM ANALYZE; PRAGMA optimize) changes
        // no row.
        rollups_rebuild::tidy(&app.db).await.unwrap();
        let rebuilt = snapshot(&app).await;
        assert_eq!(kept.days, rebuilt.days, "daily rollups, seed {seed}");
        assert_eq!(
            kept.day_sketches, rebuilt.day_sketches,
            "daily sketches, seed {seed}"
        );
        for (table, rows) in &kept.levels {
            assert_eq!(rows, &rebuilt.levels[table], "{table}, seed {seed}");
        }
        // Tiny batches: a day's visitors span several writes, whose sketches are read back.
        let tiny = rollups_rebuild::Batches {
            page: 7,
            click_keys: 1,
        };
        rollups_rebuild::rebuild_in(&app.db, db_id(&w.brand_a), tiny)
            .await
            .unwrap();
        assert_eq!(rebuilt, snapshot(&app).await, "tiny batches, seed {seed}");
        // Every other level holds the sums of the enrollments' days, by its owner.
        let creators: BTreeMap<i64, i64> = enrollment::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.id, e.creator_id))
            .collect();
        for (table, _, _, grain, owner) in LEVELS {
            let from_days = sums_by(&kept.days, |r| {
                let owner_id = match owner {
                    Some("enrollment_id") => r.enrollment_id,
                    Some(_) => creators.get(&r.enrollment_id).copied().unwrap_or(0),
                    None => 0,
                };
                (r.brand_id, period_start(r.day, grain), owner_id)
            });
            let stored: BTreeMap<_, _> = kept.levels[table]
                .iter()
                .map(|(key, sums, _)| (*key, *sums))
                .collect();
            assert_eq!(from_days, stored, "{table} sums, seed {seed}");
        }
    }
}

on_both_backends!(rollups_kept_at_ingestion_equal_a_rebuild);

/// The pool's PostgreSQL connections have JIT compilation off (it cost a report's aggregate
/// 100 ms of compiling); SQLite has no such setting.
#[tokio::test]
async fn postgresql_connections_do_not_jit_compile() {
    crate::helpers::run(crate::helpers::Backend::Postgres, jit_is_off).await;
}

async fn jit_is_off(app: TestApp) {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    for _ in 0..3 {
        let row = app
            .db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT current_setting('jit') AS jit",
            ))
            .await
            .unwrap()
            .unwrap();
        let jit: String = row.try_get("", "jit").unwrap();
        assert_eq!(jit, "off");
    }
}

/// The migration to sketches converts the exact visitor rows it finds: a report over those days
/// then counts the same visitors (exactly, at this size).
async fn visitor_rows_become_sketches_in_the_migration(app: TestApp) {
    use migration::{Migrator, MigratorTrait};
    use sea_orm::ActiveValue::Set;
    use sea_orm::ConnectionTrait;
    use sea_orm::sea_query::{Alias, Query};

    let w = world::world(&app).await;
    // Down to just before the sketches (later migrations first).
    let steps = Migrator::migrations()
        .iter()
        .rev()
        .position(|m| m.name() == "m20261204_000001_create_visitor_sketches")
        .expect("the sketches migration")
        + 1;
    Migrator::down(&app.db, Some(steps as u32)).await.unwrap();
    let today = Utc::now().date_naive();
    let (day_one, day_two) = (today - Duration::days(20), today - Duration::days(19));
    let mut insert = Query::insert();
    insert.into_table(Alias::new("daily_visitors")).columns([
        Alias::new("brand_id"),
        Alias::new("day"),
        Alias::new("enrollment_id"),
        Alias::new("visitor_key"),
    ]);
    // Day one: v0..v149 of enrollment A; day two: v100..v199 of no enrollment.
    for i in 0..150 {
        let row = [
            db_id(&w.brand_a).into(),
            day_one.into(),
            db_id(&w.enrollment_a).into(),
            format!("v{i}").into(),
        ];
        insert.values_panic(row);
    }
    for i in 100..200 {
        insert.values_panic([
            db_id(&w.brand_a).into(),
            day_two.into(),
            0_i64.into(),
            format!("v{i}").into(),
        ]);
    }
    app.db.execute(&insert).await.unwrap();
    // Their days' sums, as ingestion kept them (one click per visitor).
    for (day, enrollment_id, clicks) in [(day_one, db_id(&w.enrollment_a), 150), (day_two, 0, 100)]
    {
        let row = daily_rollup::ActiveModel {
            brand_id: Set(db_id(&w.brand_a)),
            day: Set(day),
            enrollment_id: Set(enrollment_id),
            clicks: Set(clicks),
            sales: Set(0),
            leads: Set(0),
            new_customers: Set(0),
            revenue_minor: Set(0),
            commissions_minor: Set(0),
        };
        daily_rollup::Entity::insert(row)
            .exec(&app.db)
            .await
            .unwrap();
    }
    Migrator::up(&app.db, None).await.unwrap();

    let midnight =
        |day: chrono::NaiveDate| day.and_hms_opt(0, 0, 0).unwrap().and_utc().to_rfc3339();
    let response = app
        .graphql_as(
            Some(&w.admin),
            "query ($filter: PerformanceFilter!) {
               performance(filter: $filter, groupBy: [DAY]) {
                 totals { uniqueClicks } rows { key { period } metrics { uniqueClicks } } } }",
            json!({ "filter": { "from": midnight(day_one), "to": midnight(today - Duration::days(18)) } }),
        )
        .await;
    let report = &data(&response)["performance"];
    assert_eq!(report["totals"]["uniqueClicks"], 200, "{report}");
    let by_day: Vec<i64> = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["metrics"]["uniqueClicks"].as_i64().unwrap())
        .collect();
    assert_eq!(by_day, [150, 100], "{report}");

    // Whole months around those days, by creator: read from the month level the migration
    // made (the same visitors, split by who they came for).
    let month_start = day_one.with_day(1).unwrap();
    let after = (day_two.with_day(1).unwrap() + Duration::days(32))
        .with_day(1)
        .unwrap();
    let response = app
        .graphql_as(
            Some(&w.admin),
            "query ($filter: PerformanceFilter!) {
               performance(filter: $filter, groupBy: [CREATOR]) {
                 totals { uniqueClicks } rows { key { creator { displayName } } metrics { uniqueClicks } } } }",
            json!({ "filter": { "from": midnight(month_start), "to": midnight(after) } }),
        )
        .await;
    let report = &data(&response)["performance"];
    assert_eq!(report["totals"]["uniqueClicks"], 200, "{report}");
    let by_creator: Vec<i64> = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["metrics"]["uniqueClicks"].as_i64().unwrap())
        .collect();
    assert_eq!(by_creator, [150, 100], "{report}");
}

on_both_backends!(visitor_rows_become_sketches_in_the_migration);

/// The migration that adds the week levels (and the brand's week and month levels) fills them
/// from the days already stored: the same sums and visitor counts as kept at ingestion.
async fn week_levels_are_filled_by_their_migration(app: TestApp) {
    levels_are_filled_by(&app, "m20261206_000001_create_week_levels").await;
}

on_both_backends!(week_levels_are_filled_by_their_migration);

/// The migration that adds the creator levels fills them from the enrollment levels already
/// stored: the same sums and visitor counts as kept at ingestion.
async fn creator_levels_are_filled_by_their_migration(app: TestApp) {
    levels_are_filled_by(&app, "m20261211_000001_create_creator_levels").await;
}

on_both_backends!(creator_levels_are_filled_by_their_migration);

/// Events ingested, then the migrations from `name` on undone and run again: every level holds
/// what ingestion kept.
async fn levels_are_filled_by(app: &TestApp, name: &str) {
    use migration::{Migrator, MigratorTrait};

    let w = setup(app).await;
    ingest(app, &w, sequence(1)).await;
    let kept = snapshot(app).await;
    let steps = crate::helpers::migrations_from(name);
    Migrator::down(&app.db, Some(steps)).await.unwrap();
    Migrator::up(&app.db, None).await.unwrap();
    let migrated = snapshot(app).await;
    for (table, rows) in &kept.levels {
        assert!(!rows.is_empty(), "{table}");
        assert_eq!(rows, &migrated.levels[table], "{table}");
    }
}
