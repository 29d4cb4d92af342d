//! Row 5: `recordClicks` and `recordConversions` in batches of 500 through the server (with an
//! INGEST API key, as integrators send them), next to raw prepared INSERTs of the same rows in
//! one transaction with sqlx. Prints one JSON line per kind.
//!
//! The raw baseline writes exactly the rows the API stored (read back after the API phase), with
//! new ids (`...-raw`), into the same tables (same indexes), one prepared single-row INSERT per
//! row in one transaction; those rows are deleted afterwards, since no rollup counts them.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::Utc;
use clap::Parser;
use partnergraph::db::entity::{click, conversion};
use partnergraph_bench::http::{Client, Error};
use partnergraph_bench::ingest::{BATCH, Traffic, click_id, order_id, send};
use partnergraph_bench::manifest::Manifest;
use partnergraph_bench::raw_performance::numbered;
use sea_orm::sqlx;
use sea_orm::{ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter};
use serde_json::json;

#[derive(Parser, Debug)]
struct Args {
    #[arg(long)]
    manifest: PathBuf,
    /// `http://127.0.0.1:PORT`
    #[arg(long)]
    server: String,
    /// Batches of 500 of each kind.
    #[arg(long, default_value_t = 20)]
    batches: usize,
}

const CLICK_COLUMNS: &str = "brand_id, link_id, enrollment_id, click_id, occurred_at, \
     visitor_key, user_agent_class, referrer_host, country, is_bot, source, external_id, \
     created_at";
const CONVERSION_COLUMNS: &str = "brand_id, external_id, kind, occurred_at, amount_minor, \
     currency_code, brand_amount_minor, exchange_rate, customer_key, customer_email_hash, \
     new_customer, new_customer_derived, click_id, discount_code, region, attribution_method, \
     enrollment_id, campaign_id, creator_id, offer_id, self_referral, status, refunded_minor, \
     refunded_brand_minor, change_seq, created_at, updated_at";

fn insert_sql(backend: DbBackend, table: &str, columns: &str) -> String {
    let n = columns.split(',').count();
    let sql = format!(
        "INSERT INTO {table} ({columns}) VALUES ({})",
        vec!["?"; n].join(", ")
    );
    match backend {
        DbBackend::Postgres => numbered(&sql),
        _ => sql,
    }
}

/// One transaction of prepared single-row INSERTs on whichever pool the connection has.
macro_rules! insert_each {
    ($db:expr, $sql:expr, $rows:expr, $bind:ident) => {{
        match $db.get_database_backend() {
            DbBackend::Postgres => {
                let mut txn = $db.get_postgres_connection_pool().begin().await?;
                for row in $rows {
                    $bind!(sqlx::query(sqlx::AssertSqlSafe($sql.clone())), row)
                        .execute(&mut *txn)
                        .await?;
                }
                txn.commit().await?;
            }
            _ => {
                let mut txn = $db.get_sqlite_connection_pool().begin().await?;
                for row in $rows {
                    $bind!(sqlx::query(sqlx::AssertSqlSafe($sql.clone())), row)
                        .execute(&mut *txn)
                        .await?;
                }
                txn.commit().await?;
            }
        }
    }};
}

macro_rules! bind_click {
    ($q:expr, $c:expr) => {{
        let (q, c): (_, &click::Model) = ($q, $c);
        q.bind(c.brand_id)
            .bind(c.link_id)
            .bind(c.enrollment_id)
            .bind(format!("{}-raw", c.click_id))
            .bind(c.occurred_at)
            .bind(c.visitor_key.clone())
            .bind(c.user_agent_class.clone())
            .bind(c.referrer_host.clone())
            .bind(c.country.clone())
            .bind(c.is_bot)
            .bind(c.source.clone())
            .bind(c.external_id.clone())
            .bind(c.created_at)
    }};
}

macro_rules! bind_conversion {
    ($q:expr, $c:expr) => {{
        let (q, c): (_, &conversion::Model) = ($q, $c);
        q.bind(c.brand_id)
            .bind(format!("{}-raw", c.external_id))
            .bind(c.kind.clone())
            .bind(c.occurred_at)
            .bind(c.amount_minor)
            .bind(c.currency_code.clone())
            .bind(c.brand_amount_minor)
            .bind(c.exchange_rate.clone())
            .bind(c.customer_key.clone())
            .bind(c.customer_email_hash.clone())
            .bind(c.new_customer)
            .bind(c.new_customer_derived)
            .bind(c.click_id.clone())
            .bind(c.discount_code.clone())
            .bind(c.region.clone())
            .bind(c.attribution_method.clone())
            .bind(c.enrollment_id)
            .bind(c.campaign_id)
            .bind(c.creator_id)
            .bind(c.offer_id)
            .bind(c.self_referral)
            .bind(c.status.clone())
            .bind(c.refunded_minor)
            .bind(c.refunded_brand_minor)
            .bind(c.change_seq)
            .bind(c.created_at)
            .bind(c.updated_at)
    }};
}

fn print_row(row: &str, rows: usize, api: Duration, raw: Duration) {
    let api_rate = rows as f64 / api.as_secs_f64();
    let raw_rate = rows as f64 / raw.as_secs_f64();
    println!(
        "{}",
        json!({
            "row": row,
            "rows": rows,
            "api_rows_per_s": api_rate,
            "raw_rows_per_s": raw_rate,
            "ratio": api_rate / raw_rate,
        })
    );
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let manifest = Manifest::read(&args.manifest).map_err(|e| e.to_string())?;
    if manifest.link_codes.is_empty() {
        return Err("the manifest has no link codes".into());
    }
    let mut client = Client::new(&args.server)?;
    let key = manifest.api_key.as_str();
    let nonce = format!("ib{}", Utc::now().timestamp_millis());
    let now = Utc::now();
    let total = args.batches * BATCH;

    // Clicks through the API (fresh click ids on the manifest's links), then conversions
    // naming them (click attribution), every fifth with a discount code as well.
    let click_ids: Vec<String> = (0..total).map(|n| click_id(&nonce, n)).collect();
    let order_ids: Vec<String> = (0..total).map(|n| order_id(&nonce, n)).collect();
    let (api_clicks, api_conversions) = send(
        &mut client,
        key,
        &Traffic::of(&manifest),
        &nonce,
        0..total,
        now,
    )
    .await?;

    // The same rows, raw.
    let db: DatabaseConnection = manifest.connect(2).await?;
    let backend = db.get_database_backend();
    let brand = manifest.brand_db_id;
    let mut clicks = Vec::with_capacity(total);
    for ids in click_ids.chunks(BATCH) {
        clicks.extend(
            click::Entity::find()
                .filter(click::Column::BrandId.eq(brand))
                .filter(click::Column::ClickId.is_in(ids.iter().cloned()))
                .all(&db)
                .await?,
        );
    }
    let mut conversions = Vec::with_capacity(total);
    for ids in order_ids.chunks(BATCH) {
        conversions.extend(
            conversion::Entity::find()
                .filter(conversion::Column::BrandId.eq(brand))
                .filter(conversion::Column::ExternalId.is_in(ids.iter().cloned()))
                .all(&db)
                .await?,
        );
    }
    if clicks.len() != total || conversions.len() != total {
        return Err(format!(
            "stored {} clicks and {} conversions of {total} each",
            clicks.len(),
            conversions.len()
        )
        .into());
    }
    let click_sql = insert_sql(backend, "clicks", CLICK_COLUMNS);
    let started = Instant::now();
    insert_each!(db, click_sql, clicks.iter(), bind_click);
    let raw_clicks = started.elapsed();
    let conversion_sql = insert_sql(backend, "conversions", CONVERSION_COLUMNS);
    let started = Instant::now();
    insert_each!(db, conversion_sql, conversions.iter(), bind_conversion);
    let raw_conversions = started.elapsed();

    // The raw rows are no events any rollup knows: remove them.
    click::Entity::delete_many()
        .filter(click::Column::BrandId.eq(brand))
        .filter(click::Column::ClickId.like(format!("{nonce}c%-raw")))
        .exec(&db)
        .await?;
    conversion::Entity::delete_many()
        .filter(conversion::Column::BrandId.eq(brand))
        .filter(conversion::Column::ExternalId.like(format!("{nonce}-o%-raw")))
        .exec(&db)
        .await?;
    db.close().await?;

    print_row(
        "ingest_conversions",
        total,
        api_conversions,
        raw_conversions,
    );
    print_row("ingest_clicks", total, api_clicks, raw_clicks);
    Ok(())
}
