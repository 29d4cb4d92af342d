//! Raw click retention (`PARTNERGRAPH_RAW_CLICK_RETENTION_DAYS`): whole old months dropped on
//! PostgreSQL once the rollups hold them, reports unchanged; SQLite keeps every click.

use migration::{Migrator, MigratorTrait};
use partnergraph::clock::Clock;
use partnergraph::service::partitions::{self, Maintained, partition_name};
use partnergraph::service::rollups_rebuild;
use sea_orm::ConnectionTrait;
use serde_json::json;

use super::{app_at, attached, clicks, exists, month, report, utc};
use crate::helpers::world::{self, db_id};
use crate::helpers::{Backend, integers};

/// Clicks over January to April 2030 and a sale; a year later the retention drops January to
/// March (every day of them past 366 days), keeps April, and the same report gives the same
/// numbers from the rollups. SQLite keeps every click.
async fn retention_drops_whole_old_months_and_reports_keep_their_numbers(backend: Backend) {
    let Some((app, clock, w)) = app_at(backend, utc(2030, 5, 10)).await else {
        return;
    };
    world::record_clicks(&app, &w.key, clicks(1..=4, 6)).await;
    world::record_conversions(
        &app,
        &w.key,
        json!([{ "externalId": "o-1", "kind": "SALE", "amount": "40.00", "clickId": "c2-0",
                 "occurredAt": utc(2030, 2, 4).to_rfc3339() }]),
    )
    .await;
    partitions::maintain(&app.db, clock.now(), None)
        .await
        .unwrap();
    let (from, to) = (utc(2030, 1, 1), utc(2030, 5, 1));
    let before = report(&app, &w, from, to).await;
    assert_eq!(before["totals"]["clicks"], 20, "{before}");
    assert_eq!(before["totals"]["sales"], 1, "{before}");
    assert_eq!(before["rows"].as_array().map(Vec::len), Some(4), "{before}");

    clock.set(utc(2031, 4, 20));
    let done = partitions::maintain(&app.db, clock.now(), Some(366))
        .await
        .unwrap();
    let after = report(&app, &w, from, to).await;
    assert_eq!(after, before);
    if backend == Backend::Sqlite {
        assert_eq!(done, Maintained::default());
        assert_eq!(integers(&app.db, "SELECT COUNT(*) FROM clicks").await, [24]);
        return;
    }
    // (The empty months the migration made around the real date go too.)
    let gone: Vec<String> = (1..=3).map(|m| partition_name(month(2030, m))).collect();
    let dropped_2030: Vec<&String> = done
        .dropped
        .iter()
        .filter(|name| name.starts_with("clicks_p2030"))
        .collect();
    assert_eq!(dropped_2030, gone.iter().collect::<Vec<_>>());
    for name in &gone {
        assert!(!exists(&app.db, name).await, "{name}");
        assert!(!attached(&app.db).await.contains(name), "{name}");
    }
    assert!(
        attached(&app.db)
            .await
            .contains(&partition_name(month(2030, 4)))
    );
    assert_eq!(integers(&app.db, "SELECT COUNT(*) FROM clicks").await, [6]);
    assert_eq!(
        integers(&app.db, "SELECT COUNT(*) FROM click_keys").await,
        [6]
    );
    assert_eq!(
        integers(
            &app.db,
            "SELECT COUNT(*), CAST(SUM(clicks) AS BIGINT) FROM dropped_click_partitions \
             WHERE month >= '2030-01-01'"
        )
        .await,
        [3, 18]
    );
    // The rollups are all that is left of those clicks: a rebuild would lose them.
    let refused = rollups_rebuild::rebuild(&app.db, db_id(&w.brand_a)).await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.to_string().contains("2030-03")),
        "{refused:?}"
    );

    // Nor can the partitioning be rolled back, which would forget what was dropped (the
    // migrations after it can, and are run again).
    let later = crate::helpers::migrations_from("m20261210_000004_partition_clicks") - 1;
    Migrator::down(&app.db, Some(later)).await.unwrap();
    let down = Migrator::down(&app.db, Some(1)).await;
    assert!(
        down.as_ref()
            .is_err_and(|e| e.to_string().contains("retention")),
        "{down:?}"
    );
    Migrator::up(&app.db, None).await.unwrap();
    assert!(exists(&app.db, "click_keys").await);

    // A late click of a dropped month: stored (default partition) and counted, then its month
    // is made again and dropped again.
    let late = json!([{ "linkCode": "cora-part", "clickId": "late", "visitorKey": "v7",
        "userAgent": "Mozilla/5.0", "occurredAt": utc(2030, 2, 20).to_rfc3339() }]);
    world::record_clicks(&app, &w.key, late).await;
    let with_late = report(&app, &w, from, to).await;
    assert_eq!(with_late["totals"]["clicks"], 21, "{with_late}");
    let done = partitions::maintain(&app.db, clock.now(), Some(366))
        .await
        .unwrap();
    assert_eq!(done.created, [partition_name(month(2030, 2))]);
    assert_eq!(done.dropped, [partition_name(month(2030, 2))]);
    assert_eq!(report(&app, &w, from, to).await, with_late);
    assert_eq!(
        integers(
            &app.db,
            "SELECT CAST(clicks AS BIGINT) FROM dropped_click_partitions WHERE month = '2030-02-01'"
        )
        .await,
        [7]
    );

    // April past the retention too, but the rollups lack a day of it: kept.
    app.db
        .execute_unprepared("DELETE FROM brand_daily_rollups WHERE day = '2030-04-03'")
        .await
        .unwrap();
    clock.set(utc(2031, 6, 1));
    let done = partitions::maintain(&app.db, clock.now(), Some(366))
        .await
        .unwrap();
    assert_eq!(done.dropped, Vec::<String>::new());
    assert_eq!(done.kept, [partition_name(month(2030, 4))]);
    assert!(exists(&app.db, &partition_name(month(2030, 4))).await);
}

mod retention_drops_whole_old_months_and_reports_keep_their_numbers {
    #[tokio::test]
    async fn sqlite() {
        super::retention_drops_whole_old_months_and_reports_keep_their_numbers(
            super::Backend::Sqlite,
        )
        .await;
    }

    #[tokio::test]
    async fn postgres() {
        super::retention_drops_whole_old_months_and_reports_keep_their_numbers(
            super::Backend::Postgres,
        )
        .await;
    }
}
