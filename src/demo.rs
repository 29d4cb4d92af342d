//! The `--demo` data set: one brand with a creator roster, a running campaign with an offer,
//! enrollments, a tracking link and a discount code. Loading is idempotent (skipped when the
//! demo brand exists). Later features extend it so that every capability has data to show.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, TransactionTrait,
};

use crate::auth::{Role, password, secrets};
use crate::db::entity::{
    api_key, brand, campaign, channel, creator, discount_code, enrollment, exchange_rate, offer,
    tracking_link, user,
};

pub const DEMO_BRAND: &str = "Glow Botanics (demo)";
/// Every demo login uses this password.
pub const DEMO_PASSWORD: &str = "demo-password-2026";
/// A well-known integrator key, for the demo only (scopes INGEST, READ_LINKS, READ_CHANGES).
pub const DEMO_API_KEY: &str = "pg_demo0integrator0key0for0local0testing0only0";
/// Staff logins: email and role.
pub const STAFF: [(&str, Role); 3] = [
    ("admin@glow.example", Role::Admin),
    ("manager@glow.example", Role::Manager),
    ("analyst@glow.example", Role::Analyst),
];
/// Creators of the roster that have an account (their creator email is the login).
const CREATOR_LOGINS: [&str; 2] = ["maya@example.com", "leo@example.com"];

/// Creators of the demo roster: name, email, country, platform, handle, followers.
const ROSTER: [(&str, &str, &str, &str, &str, i64); 4] = [
    (
        "Maya Chen",
        "maya@example.com",
        "US",
        "TIKTOK",
        "@mayaglows",
        182_000,
    ),
    (
        "Leo Park",
        "leo@example.com",
        "US",
        "INSTAGRAM",
        "@leo.skin",
        48_500,
    ),
    (
        "Ana Souza",
        "ana@example.com",
        "BR",
        "YOUTUBE",
        "AnaSkincare",
        640_000,
    ),
    (
        "Sam Reid",
        "sam@example.com",
        "GB",
        "INSTAGRAM",
        "@samreid",
        7_900,
    ),
];

pub async fn load(db: &DatabaseConnection) -> Result<(), DbErr> {
    let existing = brand::Entity::find()
        .filter(brand::Column::Name.eq(DEMO_BRAND))
        .one(db)
        .await?;
    if existing.is_some() {
        tracing::info!("demo data already loaded");
        return Ok(());
    }
    let password_hash = password::hash(DEMO_PASSWORD.to_owned())
        .await
        .map_err(|e| DbErr::Custom(e.to_string()))?;
    let txn = db.begin().await?;
    let now = Utc::now();
    let brand = brand::ActiveModel {
        name: Set(DEMO_BRAND.into()),
        currency_code: Set("USD".into()),
        timezone: Set("America/New_York".into()),
        attribution_window_days: Set(30),
        hold_period_days: Set(30),
        code_precedence: Set("CODE_WINS".into()),
        gross_margin: Set("0.65".into()),
        minimum_payout_minor: Set(5_000),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    exchange_rate::ActiveModel {
        brand_id: Set(brand.id),
        currency_code: Set("EUR".into()),
        rate_date: Set(now.date_naive()),
        rate: Set("1.0850".into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let campaign = campaign::ActiveModel {
        brand_id: Set(brand.id),
        name: Set("Spring Glow Serum launch".into()),
        objective: Set("SALES".into()),
        schedule: Set("ALWAYS_ON".into()),
        status: Set("ACTIVE".into()),
        currency_code: Set("USD".into()),
        budget_minor: Set(Some(2_500_000)),
        target_cpa_minor: Set(Some(2_500)),
        target_roas: Set(Some("3.5".into())),
        brief_summary: Set(Some("Show the serum in a morning routine".into())),
        brief_key_messages: Set(r#"["vitamin C","fragrance free"]"#.into()),
        brief_dos: Set(r#"["show texture on skin"]"#.into()),
        brief_donts: Set(r#"["medical claims"]"#.into()),
        disclosure_required: Set(true),
        usage_rights_days: Set(Some(90)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let offer = offer::ActiveModel {
        brand_id: Set(brand.id),
        campaign_id: Set(campaign.id),
        name: Set("15% revenue share".into()),
        model: Set("REVENUE_SHARE".into()),
        currency_code: Set("USD".into()),
        revenue_share_percent: Set(Some("15".into())),
        new_customers_only: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for (email, role) in STAFF {
        insert_user(&txn, email, &password_hash, role, Some(brand.id)).await?;
    }
    api_key::ActiveModel {
        brand_id: Set(brand.id),
        name: Set("Demo store sync".into()),
        prefix: Set(DEMO_API_KEY[..10].into()),
        secret_hash: Set(secrets::sha256_hex(DEMO_API_KEY)),
        scopes: Set(r#"["INGEST","READ_LINKS","READ_CHANGES"]"#.into()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for (name, email, country, platform, handle, followers) in ROSTER {
        let account = if CREATOR_LOGINS.contains(&email) {
            Some(insert_user(&txn, email, &password_hash, Role::Creator, None).await?)
        } else {
            None
        };
        let creator = creator::ActiveModel {
            user_id: Set(account.map(|a| a.id)),
            email_hash: Set(crate::domain::email::hash(email)),
            brand_id: Set(brand.id),
            display_name: Set(name.into()),
            email: Set(Some(email.into())),
            country: Set(Some(country.into())),
            niches: Set(r#"["skincare","beauty"]"#.into()),
            stage: Set("ACTIVE".into()),
            vetting_status: Set("APPROVED".into()),
            brand_safety_score: Set(Some(92)),
            followers: Set(followers),
            primary_platform: Set(Some(platform.into())),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        channel::ActiveModel {
            brand_id: Set(brand.id),
            creator_id: Set(creator.id),
            platform: Set(platform.into()),
            handle: Set(handle.into()),
            followers: Set(followers),
            audience_countries: Set(format!(r#"["{country}"]"#)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let enrollment = enrollment::ActiveModel {
            brand_id: Set(brand.id),
            campaign_id: Set(campaign.id),
            creator_id: Set(creator.id),
            offer_id: Set(offer.id),
            status: Set("ACTIVE".into()),
            activated_at: Set(Some(now)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let slug: String = name
            .split_whitespace()
            .next()
            .unwrap_or("creator")
            .to_lowercase();
        tracking_link::ActiveModel {
            brand_id: Set(brand.id),
            enrollment_id: Set(enrollment.id),
            code: Set(format!("glow-{slug}")),
            destination_url: Set("https://shop.example.com/serum".into()),
            utm_source: Set(Some(slug.clone())),
            utm_medium: Set(Some("creator".into())),
            utm_campaign: Set(Some("spring-glow".into())),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        discount_code::ActiveModel {
            brand_id: Set(brand.id),
            enrollment_id: Set(enrollment.id),
            code: Set(format!("{}15", slug.to_uppercase())),
            percent_off: Set(Some("15".into())),
            currency_code: Set("USD".into()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    tracing::info!(brand = DEMO_BRAND, "demo data loaded");
    Ok(())
}

async fn insert_user<C: sea_orm::ConnectionTrait>(
    db: &C,
    email: &str,
    password_hash: &str,
    role: Role,
    brand_id: Option<i64>,
) -> Result<user::Model, DbErr> {
    let now = Utc::now();
    user::ActiveModel {
        email: Set(email.into()),
        password_hash: Set(password_hash.into()),
        role: Set(role.as_str().into()),
        brand_id: Set(brand_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
}
