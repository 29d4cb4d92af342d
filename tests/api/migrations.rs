//! Migrations go up, all the way down and up again on both backends.

use migration::{Migrator, MigratorTrait, SchemaManager};

use crate::helpers::{Backend, TestDb};

/// Tables the data model needs (DOMAIN.md); one per entity.
const TABLES: &[&str] = &[
    "brands",
    "users",
    "invites",
    "api_keys",
    "refresh_tokens",
    "exchange_rates",
    "creators",
    "channels",
    "campaigns",
    "offers",
    "offer_tiers",
    "enrollments",
    "deliverables",
    "costs",
    "experiments",
    "experiment_regions",
    "tracking_links",
    "discount_codes",
    "clicks",
    "conversions",
    "refunds",
    "payouts",
    "commissions",
    "webhook_endpoints",
    "webhook_deliveries",
    "mail_outbox",
    "password_resets",
    "connectors",
    "exports",
    "imports",
    "import_rejections",
    "fraud_rules",
    "fraud_flags",
    "audit_log",
];

/// Tables created by migrations after m20261205_000003_add_erasure_marks.
const CREATED_AFTER_ERASURE_MARKS: &[&str] = &[
    "connectors",
    "exports",
    "imports",
    "import_rejections",
    "fraud_rules",
    "fraud_flags",
    "audit_log",
];

async fn tables_present(manager: &SchemaManager<'_>) -> Vec<&'static str> {
    let mut present = Vec::new();
    for table in TABLES {
        if manager.has_table(*table).await.expect("has_table") {
            present.push(*table);
        }
    }
    present
}

async fn up_down_up(backend: Backend) {
    let Some(test_db) = TestDb::create(backend).await else {
        return;
    };
    let db = test_db.connect().await;
    let manager = SchemaManager::new(&db);

    Migrator::up(&db, None).await.expect("up");
    assert_eq!(tables_present(&manager).await, TABLES);
    assert!(
        Migrator::get_pending_migrations(&db)
            .await
            .expect("pending")
            .is_empty()
    );

    Migrator::reset(&db).await.expect("down to zero");
    assert!(tables_present(&manager).await.is_empty());
    let applied = Migrator::get_applied_migrations(&db)
        .await
        .expect("applied");
    assert!(applied.is_empty());

    Migrator::up(&db, None).await.expect("up again");
    assert_eq!(tables_present(&manager).await, TABLES);

    // Idempotent: nothing left to apply.
    Migrator::up(&db, None).await.expect("up is a no-op");
    db.close().await.expect("close");
}

/// The data-rights marks (m20261205_000003) come and go with their migration.
async fn erasure_marks_step_down_and_up(backend: Backend) {
    let Some(test_db) = TestDb::create(backend).await else {
        return;
    };
    let db = test_db.connect().await;
    let manager = SchemaManager::new(&db);
    let marks = async |manager: &SchemaManager<'_>| {
        let mut present = Vec::new();
        for table in ["creators", "users"] {
            present.push(
                manager
                    .has_column(table, "erased_at")
                    .await
                    .expect("has_column"),
            );
        }
        present
    };
    Migrator::up(&db, None).await.expect("up");
    assert_eq!(marks(&manager).await, [true, true]);
    Migrator::down(
        &db,
        Some(crate::helpers::migrations_from(
            "m20261205_000003_add_erasure_marks",
        )),
    )
    .await
    .expect("down to before it");
    assert_eq!(marks(&manager).await, [false, false]);
    // Tables of migrations after it go with them; of the others, only the columns go.
    let earlier: Vec<&str> = TABLES
        .iter()
        .copied()
        .filter(|t| !CREATED_AFTER_ERASURE_MARKS.contains(t))
        .collect();
    assert_eq!(
        tables_present(&manager).await,
        earlier,
        "only the columns go"
    );
    Migrator::up(&db, None).await.expect("up again");
    assert_eq!(marks(&manager).await, [true, true]);
    db.close().await.expect("close");
}

#[tokio::test]
async fn erasure_marks_round_trip_on_sqlite() {
    erasure_marks_step_down_and_up(Backend::Sqlite).await;
}

#[tokio::test]
async fn erasure_marks_round_trip_on_postgres() {
    erasure_marks_step_down_and_up(Backend::Postgres).await;
}

#[tokio::test]
async fn migrations_round_trip_on_sqlite() {
    up_down_up(Backend::Sqlite).await;
}

#[tokio::test]
async fn migrations_round_trip_on_postgres() {
    up_down_up(Backend::Postgres).await;
}
