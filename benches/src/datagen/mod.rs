//! The data generator behind `datagen`: a large program for one brand, loaded in bulk in the
//! column layout of the SeaORM entities, from a seed. Clicks are generated in time order; the
//! orders are replayed in time order through the crate's own attribution and commission rules
//! (what ingestion of that traffic would have stored), and the daily rollups are rebuilt with
//! the crate's own `rollups_rebuild`.

pub mod bulk;
pub mod ledger;
pub mod plan;
pub mod traffic;
pub mod world;

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use rand::SeedableRng;
use rand::rngs::StdRng;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbBackend, Statement,
    TransactionTrait,
};
use serde::Serialize;

use partnergraph::auth::{Role, password, secrets};
use partnergraph::db::entity::{api_key, brand, user};
use plan::scaled;

pub const ADMIN_PASSWORD: &str = "bench-password-2026";
pub const TIMEZONE: &str = "America/New_York";

pub type Error = Box<dyn std::error::Error + Send + Sync>;

#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub scale: f64,
    pub seed: u64,
    /// The end of the generated traffic.
    pub now: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Counts {
    pub creators: u64,
    pub campaigns: u64,
    pub links: u64,
    pub clicks: u64,
    pub conversions: u64,
    pub refunds: u64,
}

/// What a load made, for the manifest and for tests.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub brand_id: i64,
    pub admin_user_id: i64,
    pub admin_email: String,
    pub api_key: String,
    /// Codes of links that redirect (not archived, enrollment and campaign ACTIVE).
    pub link_codes: Vec<String>,
    /// Discount codes of ACTIVE enrollments in ACTIVE campaigns.
    pub discount_codes: Vec<String>,
    pub campaign_ids: Vec<i64>,
    pub performance_from: DateTime<Utc>,
    pub performance_to: DateTime<Utc>,
    pub counts: Counts,
    pub commission_lines: u64,
    pub net_revenue_minor: i64,
}

/// Targets at scale 1.0.
pub const CREATORS: u64 = 10_000;
pub const CAMPAIGNS: u64 = 2_000;
pub const LINKS: u64 = 50_000;
pub const CLICKS: u64 = 10_000_000;
pub const CONVERSIONS: u64 = 500_000;
/// Floors, so that a tiny scale still has every offer model (campaign `i` gets model `i % 10`).
pub const MIN_CREATORS: u64 = 20;
pub const MIN_CAMPAIGNS: u64 = 10;
pub const MIN_LINKS: u64 = 40;
/// Of the conversions.
pub const REFUND_SHARE: f64 = 0.05;

async fn max_id(db: &DatabaseConnection, table: &str) -> Result<i64, Error> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS m FROM \"{table}\""),
        ))
        .await?
        .ok_or("no row")?;
    Ok(row.try_get::<i64>("", "m")?)
}

/// The local midnight starting `day` days after today (brand timezone) of `now`.
pub fn local_midnight(tz: chrono_tz::Tz, now: DateTime<Utc>, days: i64) -> DateTime<Utc> {
    let day = now.with_timezone(&tz).date_naive() + Duration::days(days);
    tz.from_local_datetime(&day.and_time(NaiveTime::MIN))
        .earliest()
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or(now)
}

/// Logs how long each phase of a load took (stderr).
struct Phase(std::time::Instant);

impl Phase {
    fn start() -> Self {
        Self(std::time::Instant::now())
    }

    fn done(&mut self, what: &str) {
        eprintln!("datagen: {what}: {:.1} s", self.0.elapsed().as_secs_f64());
        self.0 = std::time::Instant::now();
    }
}

/// Loads the program into a migrated database.
pub async fn load(db: &DatabaseConnection, options: Options) -> Result<Loaded, Error> {
    let Options { scale, seed, now } = options;
    let mut phase = Phase::start();
    let mut rng = StdRng::seed_from_u64(seed);
    let tz: chrono_tz::Tz = TIMEZONE.parse().map_err(|_| "timezone")?;

    // The tenant: brand, ADMIN login and an INGEST key (as the demo makes them).
    let admin_email = format!("admin.s{seed}@bench.example");
    let api_key = format!("pg_bench{:016x}{:016x}", plan::mix(seed), plan::mix(!seed));
    let hash = password::hash(ADMIN_PASSWORD.to_owned()).await?;
    let txn = db.begin().await?;
    let brand = brand::ActiveModel {
        name: Set(format!("Bench brand (seed {seed})")),
        currency_code: Set("USD".into()),
        timezone: Set(TIMEZONE.into()),
        attribution_window_days: Set(30),
        hold_period_days: Set(30),
        attribution_model: Set("CLICK_ID".into()),
        code_precedence: Set("CODE_WINS".into()),
        gross_margin: Set("0.6".into()),
        minimum_payout_minor: Set(5_000),
        created_at: Set(now - Duration::days(200)),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let admin = user::ActiveModel {
        email: Set(admin_email.clone()),
        password_hash: Set(hash),
        role: Set(Role::Admin.as_str().into()),
        brand_id: Set(Some(brand.id)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    api_key::ActiveModel {
        brand_id: Set(brand.id),
        name: Set("Bench ingestion".into()),
        prefix: Set(api_key[..10].into()),
        secret_hash: Set(secrets::sha256_hex(&api_key)),
        scopes: Set(r#"["INGEST","READ_LINKS","READ_CHANGES"]"#.into()),
        created_by_user_id: Set(Some(admin.id)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;

    let bases = world::Bases {
        creator: max_id(db, "creators").await? + 1,
        campaign: max_id(db, "campaigns").await? + 1,
        offer: max_id(db, "offers").await? + 1,
        enrollment: max_id(db, "enrollments").await? + 1,
        link: max_id(db, "tracking_links").await? + 1,
    };
    let first_conversion = max_id(db, "conversions").await? + 1;
    let world = world::generate(
        &mut rng,
        seed,
        now,
        bases,
        (
            scaled(CREATORS, scale).max(MIN_CREATORS),
            scaled(CAMPAIGNS, scale).max(MIN_CAMPAIGNS),
            scaled(LINKS, scale).max(MIN_LINKS),
        ),
    );
    world::insert(db, &mut rng, brand.id, now, &world).await?;
    phase.done("tenant, roster, campaigns, enrollments, links");
    let n_conversions = scaled(CONVERSIONS, scale);
    let generated = traffic::generate_and_insert(
        db,
        &mut rng,
        seed,
        now,
        brand.id,
        &world,
        scaled(CLICKS, scale),
        n_conversions,
    )
    .await?;
    let clicks = generated.clicks;
    phase.done("clicks");
    let totals = ledger::replay_and_insert(
        db,
        &mut rng,
        &ledger::Brand {
            id: brand.id,
            timezone: tz,
            window_days: 30,
            hold_days: 30,
        },
        now,
        &world,
        generated.orders,
        (n_conversions as f64 * REFUND_SHARE).round() as u64,
        first_conversion,
    )
    .await?;
    phase.done("conversions, refunds, commission lines");
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        match backend {
            DbBackend::Postgres => "UPDATE brands SET last_change_seq = $1 WHERE id = $2",
            _ => "UPDATE brands SET last_change_seq = ? WHERE id = ?",
        },
        [totals.last_change_seq.into(), brand.id.into()],
    ))
    .await?;
    if backend == DbBackend::Postgres {
        // Explicit ids leave the id sequences behind: move them past the rows.
        for table in [
            "creators",
            "campaigns",
            "offers",
            "enrollments",
            "tracking_links",
            "conversions",
        ] {
            db.execute_unprepared(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 (SELECT MAX(id) FROM \"{table}\"))"
            ))
            .await?;
        }
    }
    partnergraph::service::rollups_rebuild::rebuild(db, brand.id)
        .await
        .map_err(|e| format!("rollups rebuild: {e}"))?;
    phase.done("rollups rebuild");

    let live = |e: usize| {
        let enrollment = &world.enrollments[e];
        enrollment.status == partnergraph::domain::enrollment::EnrollmentStatus::Active
            && world.campaigns[enrollment.campaign].status
                == partnergraph::domain::campaign::CampaignStatus::Active
    };
    Ok(Loaded {
        brand_id: brand.id,
        admin_user_id: admin.id,
        admin_email,
        api_key,
        link_codes: world
            .links
            .iter()
            .filter(|l| !l.archived && live(l.enrollment))
            .take(1000)
            .map(|l| l.code.clone())
            .collect(),
        discount_codes: world
            .codes
            .iter()
            .filter(|c| live(c.enrollment))
            .take(1000)
            .map(|c| c.code.clone())
            .collect(),
        campaign_ids: world.campaigns.iter().take(20).map(|c| c.id).collect(),
        performance_from: local_midnight(tz, now, -90),
        performance_to: local_midnight(tz, now, 0),
        counts: Counts {
            creators: world.creators.len() as u64,
            campaigns: world.campaigns.len() as u64,
            links: world.links.len() as u64,
            clicks,
            conversions: totals.conversions,
            refunds: totals.refunds,
        },
        commission_lines: totals.commission_lines,
        net_revenue_minor: totals.net_revenue_minor,
    })
}
