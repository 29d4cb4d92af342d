//! Partitioned clicks on PostgreSQL (issue #24): `clicks` becomes a table partitioned by month
//! of `occurred_at` (native declarative partitioning), with the key table `click_keys` that keeps
//! click ids unique per brand, and `dropped_click_partitions`, the record of what retention
//! dropped. SQLite keeps one `clicks` table: this migration does nothing there.
//!
//! Design decisions:
//! - Monthly ranges in UTC, `[first day 00:00Z, next first day 00:00Z)`, named
//!   `clicks_pYYYY_MM`, and a DEFAULT partition `clicks_default`, so no click is ever refused
//!   for its time; the server creates the months ahead and moves what landed in the default
//!   into its month (`service::partitions`). Here: every month that holds clicks, the twelve
//!   before the current one (history loaded right after migrating lands in its month) and the
//!   two after it.
//! - A unique index on a partitioned table must contain the partition key, so
//!   `(brand_id, click_id)` can no longer be unique on `clicks`: `click_keys (brand_id,
//!   click_id)`, unpartitioned, is the unique one. Statement triggers on `clicks` keep it: an
//!   INSERT adds its rows' keys in one set statement (a duplicate fails the INSERT with the
//!   same unique violation as before, so ingestion and the redirect writer behave as they
//!   did), a DELETE (brand, link or enrollment deleted) removes them, an UPDATE moves them.
//!   Every writer (server, demo, bulk loads into `clicks`) is covered without code of its own.
//!   `clicks (brand_id, click_id)` stays as a plain index for the look-ups by click id.
//! - The primary key becomes `(id, occurred_at)`; `id` keeps its values and takes them from the
//!   sequence `clicks_id_seq` (PostgreSQL before 17 has no identity column on a partitioned
//!   table). Nothing references `clicks`, so no foreign key is lost; the ones from `clicks` to
//!   brands, links and enrollments are declared on the partitioned table.
//! - Existing rows are moved: the partitioned table is created beside the old one, filled,
//!   the old one dropped and the new one renamed; indexes and keys get their old names.
//!   `down` moves the rows back into one table with the old unique index; it refuses once the
//!   retention has dropped a month (the record of it would go, and a rebuild of the rollups
//!   would then count those months as clickless).

use chrono::{Datelike, NaiveDate};
use sea_orm_migration::SchemaManagerConnection;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The indexes both shapes have: name and columns.
const INDEXES: [(&str, &str); 5] = [
    ("idx_clicks_brand_id_occurred_at", "brand_id, occurred_at"),
    ("idx_clicks_link_id_occurred_at", "link_id, occurred_at"),
    (
        "idx_clicks_brand_id_visitor_key_occurred_at",
        "brand_id, visitor_key, occurred_at",
    ),
    (
        "idx_clicks_link_id_visitor_key_occurred_at",
        "link_id, visitor_key, occurred_at",
    ),
    ("idx_clicks_brand_id_id", "brand_id, id"),
];

const FOREIGN_KEYS: &str = "
    ALTER TABLE clicks ADD CONSTRAINT fk_clicks_brand_id FOREIGN KEY (brand_id)
        REFERENCES brands (id) ON DELETE CASCADE;
    ALTER TABLE clicks ADD CONSTRAINT fk_clicks_link_id FOREIGN KEY (link_id)
        REFERENCES tracking_links (id) ON DELETE CASCADE;
    ALTER TABLE clicks ADD CONSTRAINT fk_clicks_enrollment_id FOREIGN KEY (enrollment_id)
        REFERENCES enrollments (id) ON DELETE SET NULL;";

const KEYS: &str = "
    CREATE TABLE click_keys (
        brand_id BIGINT NOT NULL,
        click_id VARCHAR NOT NULL,
        CONSTRAINT uq_click_keys_brand_id_click_id PRIMARY KEY (brand_id, click_id),
        CONSTRAINT fk_click_keys_brand_id FOREIGN KEY (brand_id)
            REFERENCES brands (id) ON DELETE CASCADE
    );
    INSERT INTO click_keys (brand_id, click_id) SELECT brand_id, click_id FROM clicks;
    CREATE FUNCTION click_keys_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO click_keys (brand_id, click_id) SELECT brand_id, click_id FROM new_rows;
        RETURN NULL;
    END $$;
    CREATE FUNCTION click_keys_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM click_keys k USING old_rows o
            WHERE k.brand_id = o.brand_id AND k.click_id = o.click_id;
        RETURN NULL;
    END $$;
    CREATE FUNCTION click_keys_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM old_rows o FULL JOIN new_rows n ON n.id = o.id
                   WHERE (o.brand_id, o.click_id) IS DISTINCT FROM (n.brand_id, n.click_id)) THEN
            DELETE FROM click_keys k USING old_rows o
                WHERE k.brand_id = o.brand_id AND k.click_id = o.click_id;
            INSERT INTO click_keys (brand_id, click_id) SELECT brand_id, click_id FROM new_rows;
        END IF;
        RETURN NULL;
    END $$;
    CREATE TABLE dropped_click_partitions (
        month DATE PRIMARY KEY,
        dropped_at TIMESTAMPTZ NOT NULL,
        clicks BIGINT NOT NULL
    );";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE TABLE clicks_partitioned (LIKE clicks INCLUDING DEFAULTS)
                 PARTITION BY RANGE (occurred_at)",
        )
        .await?;
        for month in months_to_create(db).await? {
            db.execute_unprepared(&format!(
                "CREATE TABLE {} PARTITION OF clicks_partitioned FOR VALUES FROM ('{}') TO ('{}')",
                partition_name(month),
                bound(month),
                bound(next_month(month))
            ))
            .await?;
        }
        db.execute_unprepared(
            "CREATE TABLE clicks_default PARTITION OF clicks_partitioned DEFAULT;
             INSERT INTO clicks_partitioned SELECT * FROM clicks;",
        )
        .await?;
        db.execute_unprepared(KEYS).await?;
        let last_id = max_id(db).await?;
        db.execute_unprepared(&format!(
            "DROP TABLE clicks;
             ALTER TABLE clicks_partitioned RENAME TO clicks;
             CREATE SEQUENCE clicks_id_seq OWNED BY clicks.id;
             SELECT setval('clicks_id_seq', {}, {});
             ALTER TABLE clicks ALTER COLUMN id SET DEFAULT nextval('clicks_id_seq');
             ALTER TABLE clicks ADD CONSTRAINT clicks_pkey PRIMARY KEY (id, occurred_at);
             CREATE INDEX idx_clicks_brand_id_click_id ON clicks (brand_id, click_id);",
            Ord::max(last_id, 1),
            last_id > 0
        ))
        .await?;
        // The triggers were created on the old table, dropped with it: again on the new one.
        db.execute_unprepared(
            "CREATE TRIGGER click_keys_insert AFTER INSERT ON clicks
                 REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
                 EXECUTE FUNCTION click_keys_insert();
             CREATE TRIGGER click_keys_delete AFTER DELETE ON clicks
                 REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
                 EXECUTE FUNCTION click_keys_delete();
             CREATE TRIGGER click_keys_update AFTER UPDATE ON clicks
                 REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
                 EXECUTE FUNCTION click_keys_update();",
        )
        .await?;
        db.execute_unprepared(FOREIGN_KEYS).await?;
        create_indexes(db).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        let dropped = db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT COUNT(*) AS months FROM dropped_click_partitions",
            ))
            .await?
            .map(|row| row.try_get::<i64>("", "months"))
            .transpose()?
            .unwrap_or(0);
        if dropped > 0 {
            // Without the record, `rollups rebuild` would recompute those months as clickless.
            return Err(DbErr::Migration(format!(
                "the raw click retention dropped {dropped} month(s) of clicks: the rollups are \
                 all that is left of them, and rolling back would forget it"
            )));
        }
        db.execute_unprepared(
            "CREATE TABLE clicks_unpartitioned (LIKE clicks INCLUDING DEFAULTS);
             ALTER TABLE clicks_unpartitioned ALTER COLUMN id DROP DEFAULT;
             INSERT INTO clicks_unpartitioned SELECT * FROM clicks;",
        )
        .await?;
        let last_id = max_id(db).await?;
        db.execute_unprepared(&format!(
            "DROP TABLE clicks;
             DROP TABLE click_keys;
             DROP TABLE dropped_click_partitions;
             DROP FUNCTION click_keys_insert();
             DROP FUNCTION click_keys_delete();
             DROP FUNCTION click_keys_update();
             ALTER TABLE clicks_unpartitioned RENAME TO clicks;
             ALTER TABLE clicks ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY
                 (START WITH {next});
             ALTER TABLE clicks ADD CONSTRAINT clicks_pkey PRIMARY KEY (id);
             CREATE UNIQUE INDEX uq_clicks_brand_id_click_id ON clicks (brand_id, click_id);",
            next = last_id + 1
        ))
        .await?;
        db.execute_unprepared(FOREIGN_KEYS).await?;
        create_indexes(db).await
    }
}

async fn create_indexes(db: &SchemaManagerConnection<'_>) -> Result<(), DbErr> {
    for (name, columns) in INDEXES {
        db.execute_unprepared(&format!("CREATE INDEX {name} ON clicks ({columns})"))
            .await?;
    }
    Ok(())
}

async fn max_id(db: &SchemaManagerConnection<'_>) -> Result<i64, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT COALESCE(MAX(id), 0) AS last FROM clicks",
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("no answer to MAX(id)".into()))?;
    row.try_get("", "last")
}

/// Every month that holds clicks, and from twelve months before the current one to two after.
async fn months_to_create(db: &SchemaManagerConnection<'_>) -> Result<Vec<NaiveDate>, DbErr> {
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT to_char(month, 'YYYY-MM-DD') AS month FROM (
                 SELECT DISTINCT date_trunc('month', occurred_at AT TIME ZONE 'UTC') AS month
                     FROM clicks
                 UNION
                 SELECT date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => n)
                     FROM generate_series(-12, 2) AS n
             ) AS months",
        ))
        .await?;
    let mut months = rows
        .iter()
        .map(|row| {
            let text: String = row.try_get("", "month")?;
            NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|e| DbErr::Custom(e.to_string()))
        })
        .collect::<Result<Vec<_>, DbErr>>()?;
    months.sort();
    months.dedup();
    Ok(months)
}

/// `clicks_pYYYY_MM`: the same name `service::partitions` gives a month.
fn partition_name(month: NaiveDate) -> String {
    format!("clicks_p{:04}_{:02}", month.year(), month.month())
}

fn bound(month: NaiveDate) -> String {
    format!("{} 00:00:00+00", month.format("%Y-%m-%d"))
}

fn next_month(month: NaiveDate) -> NaiveDate {
    month
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(month)
}
