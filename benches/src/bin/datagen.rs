//! `datagen`: migrates a database and loads a large, deterministic program into it (see
//! `partnergraph_bench::datagen`), then writes the manifest the other benchmark tools read.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{DateTime, DurationRound, SecondsFormat, Utc};
use clap::Parser;
use partnergraph::config::{DatabaseConfig, Secret};
use partnergraph::graphql::id::{NodeKind, encode};
use partnergraph_bench::datagen::{self, ADMIN_PASSWORD, Options};
use partnergraph_bench::manifest::Manifest;

#[derive(Parser, Debug)]
#[command(about = "Load a large deterministic PartnerGraph program for benchmarks")]
struct Args {
    /// `sqlite://path?mode=rwc` or `postgres://user@host/db`.
    #[arg(long)]
    database_url: String,
    /// 1.0: 10k creators, 2k campaigns, 50k links, 10M clicks, 500k conversions.
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where to write the manifest (JSON).
    #[arg(long)]
    manifest: PathBuf,
    /// End of the generated traffic (RFC 3339); default: now, to the minute.
    #[arg(long)]
    now: Option<DateTime<Utc>>,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let args = Args::parse();
    if !(args.scale > 0.0 && args.scale <= 10.0) {
        return Err("--scale must be in (0, 10]".into());
    }
    let now = match args.now {
        Some(now) => now,
        None => Utc::now().duration_trunc(chrono::Duration::minutes(1))?,
    };
    let started = Instant::now();
    let db = partnergraph::db::connect(&DatabaseConfig {
        url: Secret::new(args.database_url.clone()),
        max_connections: 4,
        acquire_timeout: Duration::from_secs(60),
        sqlite_busy_timeout: Duration::from_secs(60),
    })
    .await?;
    <migration::Migrator as migration::MigratorTrait>::up(&db, None).await?;
    let loaded = datagen::load(
        &db,
        Options {
            scale: args.scale,
            seed: args.seed,
            now,
        },
    )
    .await?;
    let seconds = started.elapsed().as_secs_f64();
    let manifest = Manifest {
        database_url: args.database_url,
        brand_id: encode(NodeKind::Brand, loaded.brand_id).0,
        brand_db_id: loaded.brand_id,
        admin_email: loaded.admin_email,
        admin_password: ADMIN_PASSWORD.to_owned(),
        api_key: loaded.api_key,
        link_codes: loaded.link_codes,
        discount_codes: loaded.discount_codes,
        campaign_ids: loaded
            .campaign_ids
            .iter()
            .map(|&id| encode(NodeKind::Campaign, id).0)
            .collect(),
        performance_from: rfc3339(loaded.performance_from),
        performance_to: rfc3339(loaded.performance_to),
        counts: loaded.counts,
        seed: args.seed,
        scale: args.scale,
        seconds,
    };
    std::fs::write(&args.manifest, serde_json::to_string_pretty(&manifest)?)?;
    db.close().await?;
    eprintln!(
        "datagen: {:?} in {seconds:.1} s; manifest {}",
        manifest.counts,
        args.manifest.display()
    );
    Ok(())
}
