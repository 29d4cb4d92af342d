//! The generator at a tiny scale on SQLite and PostgreSQL: exact counts in every table, the same
//! data from the same seed, and the real `Performance` service (rollups) equal to a brute-force
//! SQL aggregate over the raw events, which shows the bulk path stores what ingestion would.

#[path = "../../tests/api/helpers/postgres.rs"]
#[allow(dead_code)]
mod postgres;

use std::time::Duration;

use chrono::{DateTime, DurationRound, Utc};
use partnergraph::auth::{Actor, Principal, Role};
use partnergraph::config::{DatabaseConfig, Secret};
use partnergraph::service::performance::{self, Dimension, Filter, RowPage};
use partnergraph_bench::datagen::{self, Counts, Loaded, Options};
use partnergraph_bench::raw_performance::{self, ByCreator, Numbers};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

const SCALE: f64 = 0.0005;
const SEED: u64 = 20_261_202;

async fn connect(url: &str) -> DatabaseConnection {
    let db = partnergraph::db::connect(&DatabaseConfig {
        url: Secret::new(url),
        max_connections: 4,
        acquire_timeout: Duration::from_secs(30),
        sqlite_busy_timeout: Duration::from_secs(30),
    })
    .await
    .expect("connect");
    <migration::Migrator as migration::MigratorTrait>::up(&db, None)
        .await
        .expect("migrate");
    db
}

fn options() -> Options {
    Options {
        scale: SCALE,
        seed: SEED,
        // Same for every load of the run: the data is a function of (seed, scale, now).
        now: Utc::now()
            .duration_trunc(chrono::Duration::days(1))
            .expect("truncate"),
    }
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("count")
        .expect("a row")
        .try_get_by_index::<i64>(0)
        .expect("an integer")
}

/// Every table holds exactly what the load says it wrote.
async fn check_counts(db: &DatabaseConnection, loaded: &Loaded) {
    let c = loaded.counts;
    assert_eq!(
        c,
        Counts {
            creators: datagen::MIN_CREATORS,
            campaigns: datagen::MIN_CAMPAIGNS,
            links: datagen::MIN_LINKS,
            clicks: 5_000,
            conversions: 250,
            refunds: 13,
        }
    );
    let b = loaded.brand_id;
    for (table, expected) in [
        ("creators", c.creators),
        ("campaigns", c.campaigns),
        ("offers", c.campaigns),
        ("enrollments", c.links / 2),
        ("tracking_links", c.links),
        ("clicks", c.clicks),
        ("conversions", c.conversions),
        ("refunds", c.refunds),
        ("commissions", loaded.commission_lines),
    ] {
        let sql = format!("SELECT CAST(COUNT(*) AS BIGINT) FROM {table} WHERE brand_id = {b}");
        assert_eq!(count(db, &sql).await, expected as i64, "{table}");
    }
    let net = format!(
        "SELECT CAST(SUM(brand_amount_minor - refunded_brand_minor) AS BIGINT) FROM conversions \
         WHERE brand_id = {b} AND kind = 'SALE'"
    );
    assert_eq!(count(db, &net).await, loaded.net_revenue_minor);
    // Every offer model is there, and the rules were exercised.
    for (what, sql) in [
        (
            "models",
            format!(
                "SELECT CAST(COUNT(DISTINCT model) AS BIGINT) FROM offers WHERE brand_id = {b}"
            ),
        ),
        (
            "attribution methods",
            format!(
                "SELECT CAST(COUNT(DISTINCT attribution_method) AS BIGINT) FROM conversions WHERE brand_id = {b}"
            ),
        ),
        (
            "line kinds",
            format!(
                "SELECT CAST(COUNT(DISTINCT kind) AS BIGINT) FROM commissions WHERE brand_id = {b}"
            ),
        ),
    ] {
        assert!(count(db, &sql).await >= 3, "{what}");
    }
    assert!(
        count(
            db,
            &format!("SELECT CAST(COUNT(*) AS BIGINT) FROM daily_rollups WHERE brand_id = {b}")
        )
        .await
            > 0,
        "rollups rebuilt"
    );
}

/// The real report (rollups for whole days, events for the ragged edges) per creator.
async fn service_by_creator(
    db: &DatabaseConnection,
    loaded: &Loaded,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> ByCreator {
    let actor = Actor {
        principal: Principal::User(loaded.admin_user_id),
        role: Role::Admin,
        brand_id: Some(loaded.brand_id),
        creator_ids: vec![],
        scopes: vec![],
        session_id: None,
    };
    let filter = Filter {
        from,
        to,
        ..Default::default()
    };
    let mut out = ByCreator::new();
    let mut page = RowPage::new(Some(2), None, None).expect("page");
    let mut rows = Vec::new();
    loop {
        let report = performance::report(db, None, &actor, &filter, &[Dimension::Creator], &page)
            .await
            .expect("report");
        let last = report.rows.last().map(|row| page.cursor(row));
        rows.extend(report.rows);
        match (report.has_next_page, last) {
            (true, Some(cursor)) => {
                page = RowPage::new(Some(2), Some(&cursor), None).expect("page")
            }
            _ => break,
        }
    }
    for row in rows {
        let m = row.metrics;
        let n = Numbers {
            clicks: m.counters.clicks,
            unique_clicks: m.unique_clicks,
            sales: m.counters.sales,
            leads: m.counters.leads,
            new_customers: m.counters.new_customers,
            revenue_minor: m.counters.revenue_minor,
            commissions_minor: m.counters.commissions_minor,
        };
        if !n.is_zero() {
            let creator = row.key.creator_id.expect("creator rows name a creator");
            out.insert(creator, n);
        }
    }
    out
}

async fn check_performance(db: &DatabaseConnection, loaded: &Loaded) {
    let ragged = (
        loaded.performance_from + chrono::Duration::minutes(437),
        loaded.performance_to + chrono::Duration::hours(7),
    );
    for (from, to) in [(loaded.performance_from, loaded.performance_to), ragged] {
        let raw = raw_performance::by_creator(db, loaded.brand_id, from, to)
            .await
            .expect("raw aggregate");
        assert!(raw.len() >= 5, "creators with events in {from}..{to}");
        assert!(raw.values().map(|n| n.commissions_minor).sum::<i64>() > 0);
        assert_eq!(
            service_by_creator(db, loaded, from, to).await,
            raw,
            "{from}..{to}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generator_stores_what_ingestion_would_on_both_backends() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = |name: &str| format!("sqlite://{}/{name}.db?mode=rwc", dir.path().display());
    let a = connect(&url("a")).await;
    let first = datagen::load(&a, options()).await.expect("load a");
    check_counts(&a, &first).await;
    check_performance(&a, &first).await;

    // Same seed: the same data (counts, lines and money) in another database.
    let b = connect(&url("b")).await;
    let second = datagen::load(&b, options()).await.expect("load b");
    assert_eq!(second.counts, first.counts);
    assert_eq!(second.commission_lines, first.commission_lines);
    assert_eq!(second.net_revenue_minor, first.net_revenue_minor);
    assert_eq!(second.link_codes, first.link_codes);

    let Some(pg_url) = postgres::create_database().await else {
        return;
    };
    let pg = connect(&pg_url).await;
    let third = datagen::load(&pg, options()).await.expect("load postgres");
    check_counts(&pg, &third).await;
    assert_eq!(third.commission_lines, first.commission_lines);
    assert_eq!(third.net_revenue_minor, first.net_revenue_minor);
    check_performance(&pg, &third).await;
}
