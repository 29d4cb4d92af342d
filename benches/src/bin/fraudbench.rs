//! Row 11 (issue #23): ingestion with every fraud rule on, against every rule off, through the
//! same server, side by side. Rules are switched by the brand's ADMIN (`updateFraudRule`);
//! after an unmeasured warm-up, phases alternate (off, on, off, on) so that the tables' growth
//! weighs on both alike. Each phase records fresh clicks, then conversions naming them (row 5's
//! traffic). At the end every rule is off again, as the other rows expect. Prints one JSON line
//! per kind.

use std::path::PathBuf;
use std::time::Duration;

use chrono::Utc;
use clap::Parser;
use partnergraph::db::entity::{discount_code, enrollment, tracking_link};
use partnergraph_bench::graphql::{call, login};
use partnergraph_bench::http::{Client, Error};
use partnergraph_bench::ingest::{BATCH, Traffic, send};
use partnergraph_bench::manifest::Manifest;
use sea_orm::{ColumnTrait, EntityTrait, JoinType, QueryFilter, QuerySelect, RelationTrait};
use serde_json::json;

/// Every rule of DOMAIN rule 8.
const RULES: [&str; 8] = [
    "SELF_REFERRAL",
    "DISPOSABLE_EMAIL",
    "TOO_FAST",
    "CLICK_SPAM",
    "BANNED_REFERRER",
    "PAID_TRAFFIC",
    "CODE_LEAK",
    "DUPLICATE_CUSTOMER",
];

const UPDATE_RULE: &str = "mutation UpdateRule($input: UpdateFraudRuleInput!) {
  updateFraudRule(input: $input) { rule enabled } }";

#[derive(Parser, Debug)]
struct Args {
    #[arg(long)]
    manifest: PathBuf,
    /// `http://127.0.0.1:PORT`
    #[arg(long)]
    server: String,
    /// Batches of 500 of each kind per phase (four phases, after a warm-up of two).
    #[arg(long, default_value_t = 10)]
    batches: usize,
}

async fn set_rules(client: &mut Client, admin: &str, enabled: bool) -> Result<(), Error> {
    for rule in RULES {
        let mut input = json!({ "rule": rule, "enabled": enabled });
        if rule == "BANNED_REFERRER" && enabled {
            input["referrerPatterns"] = json!(["*.clickfarm.example"]);
        }
        call(
            client,
            Some(admin),
            UPDATE_RULE,
            "UpdateRule",
            json!({ "input": input }),
        )
        .await?;
    }
    Ok(())
}

#[derive(Default)]
struct Totals {
    clicks: Duration,
    conversions: Duration,
    rows: usize,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let manifest = Manifest::read(&args.manifest).map_err(|e| e.to_string())?;
    if manifest.link_codes.is_empty() {
        return Err("the manifest has no link codes".into());
    }
    let mut client = Client::new(&args.server)?;
    let admin = login(&mut client, &manifest.admin_email, &manifest.admin_password).await?;
    let key = manifest.api_key.as_str();
    let traffic = honest_traffic(&manifest).await?;
    let nonce = format!("fb{}", Utc::now().timestamp_millis());
    let now = Utc::now();
    // Warm-up, not measured: the server's caches (links, brand settings) and the database's
    // pages, so that the first measured phase is not the only cold one.
    set_rules(&mut client, &admin, false).await?;
    let warm_up = 2 * BATCH;
    send(&mut client, key, &traffic, &nonce, 0..warm_up, now).await?;
    let flagged_before = flagged_count(&mut client, &admin).await?;
    let (mut off, mut on) = (Totals::default(), Totals::default());
    let mut next = warm_up;
    for phase in 0..4 {
        let rules_on = phase % 2 == 1;
        set_rules(&mut client, &admin, rules_on).await?;
        let totals = if rules_on { &mut on } else { &mut off };
        let first = next;
        let (clicks, conversions) = send(
            &mut client,
            key,
            &traffic,
            &nonce,
            first..first + args.batches * BATCH,
            now,
        )
        .await?;
        totals.clicks += clicks;
        totals.conversions += conversions;
        totals.rows += args.batches * BATCH;
        next = first + args.batches * BATCH;
    }
    set_rules(&mut client, &admin, false).await?;
    // Flags the rules-on phases raised (honest traffic: none expected).
    let flagged = flagged_count(&mut client, &admin)
        .await?
        .saturating_sub(flagged_before);
    print_row(
        "fraud_rules_clicks",
        off.rows,
        off.clicks,
        on.clicks,
        flagged,
    );
    print_row(
        "fraud_rules_conversions",
        off.rows,
        off.conversions,
        on.conversions,
        flagged,
    );
    Ok(())
}

/// Row 5's traffic made honest, so that every rule runs and none has cause to flag: each click
/// from its own visitor (no click spam), each discount code's order on a click of the code's own
/// creator (no code leak), no paid-ad parameters, no customer emails.
async fn honest_traffic(manifest: &Manifest) -> Result<Traffic, Error> {
    let db = manifest.connect(1).await?;
    let mut codes = Vec::new();
    for code in &manifest.discount_codes {
        let link: Option<String> = discount_code::Entity::find()
            .select_only()
            .column(tracking_link::Column::Code)
            .join(
                JoinType::InnerJoin,
                discount_code::Relation::Enrollment.def(),
            )
            .join(
                JoinType::InnerJoin,
                enrollment::Relation::TrackingLink.def(),
            )
            .filter(discount_code::Column::BrandId.eq(manifest.brand_db_id))
            .filter(discount_code::Column::Code.eq(code.as_str()))
            .filter(tracking_link::Column::Code.is_in(manifest.link_codes.iter().cloned()))
            .into_tuple()
            .one(&db)
            .await?;
        if let Some(link) = link {
            codes.push((code.clone(), Some(link)));
        }
    }
    db.close().await?;
    if codes.is_empty() {
        return Err("no discount code of the manifest has a live link of its creator".into());
    }
    Ok(Traffic {
        links: manifest.link_codes.clone(),
        codes,
        visitors: None,
    })
}

/// Open flags of the brand (what the rules-on phases held for review, with any before).
async fn flagged_count(client: &mut Client, admin: &str) -> Result<u64, Error> {
    let data = call(
        client,
        Some(admin),
        "query Flags { fraudFlags(status: OPEN, first: 1) { totalCount } }",
        "Flags",
        json!({}),
    )
    .await?;
    Ok(data["fraudFlags"]["totalCount"].as_u64().unwrap_or(0))
}

fn print_row(row: &str, rows: usize, off: Duration, on: Duration, flagged: u64) {
    let off_rate = rows as f64 / off.as_secs_f64();
    let on_rate = rows as f64 / on.as_secs_f64();
    println!(
        "{}",
        json!({
            "row": row,
            "rows": rows,
            "off_rows_per_s": off_rate,
            "on_rows_per_s": on_rate,
            "ratio": on_rate / off_rate,
            "new_flags": flagged,
        })
    );
}
