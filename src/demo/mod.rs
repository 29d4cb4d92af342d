//! The `--demo` data set: the brand "Glow Botanics (demo)" with a realistic workspace — a roster
//! of dozens of creators across platforms, tiers, pipeline stages and vetting outcomes; campaigns
//! with every objective, schedule and status; offers of every commission model; enrollments,
//! content deliverables, other costs, tracking links and discount codes; and 60 days of traffic
//! (clicks, orders from new and returning customers, leads, refunds) ending at the load time;
//! a (disabled) webhook endpoint for a local receiver; a Shopify connector with a published
//! secret; offboarding and editing at work (a paused
//! link, a deactivated discount code, a deactivated staff account, a revoked invite); mail: a
//! queued invite, the payout mail, and a creator (Leo) who opted out of the "commission
//! approved" mail; for data rights, one ENDED creator and one customer erased; and a completed
//! CSV export of the last 30 days' conversions (its file written by the export worker); fraud
//! rules on, with a few flagged orders in the review queue (one rejected).
//!
//! How it is written:
//! - The brand, its logins and the integrator API key (`tenant`) are inserted directly: there is
//!   no service that creates a brand with a chosen name and settings without signing in.
//! - Everything else goes through the services in [`crate::service`]: the workspace (links and
//!   codes included) as the demo ADMIN, the traffic (`traffic`, `orders`) through the ingestion
//!   services as the demo integrator key, so the demo obeys the same rules as the API (pipeline
//!   transitions, offer rates, vetting, currency conversion, attribution, held refunds).
//! - The workspace is a fixed plan (no randomness); the traffic comes from a fixed-seed PRNG, so
//!   every load has the same shape and counts, dated relative to the load time. The `*_COUNT`
//!   constants say how much of each kind a load creates.
//!
//! Idempotency: services commit their own transactions, so the load cannot be one transaction.
//! The brand is created first under [`LOADING_BRAND`] and renamed to [`DEMO_BRAND`] as the very
//! last step. A start that finds [`DEMO_BRAND`] skips the load; one that finds [`LOADING_BRAND`]
//! (an earlier load was interrupted) stops with a message asking to delete the half-loaded
//! database, which holds nothing but demo data.

mod calendar;
mod campaigns;
mod connectors;
mod content;
mod data_rights;
mod enrollments;
mod experiments;
mod exports;
mod fraud;
mod ledger_controls;
mod links;
mod mail;
mod offboarding;
mod offers;
mod orders;
mod payouts;
mod roster;
mod tenant;
mod traffic;
mod webhooks;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter,
};

use crate::auth::{Actor, Principal, Role, Scope};
use crate::db::entity::brand;
use crate::error::AppError;

pub const DEMO_BRAND: &str = "Glow Botanics (demo)";
/// The demo brand's name while it is being loaded (see the module documentation).
pub const LOADING_BRAND: &str = "Glow Botanics (demo, loading)";
/// Every demo login uses this password.
pub const DEMO_PASSWORD: &str = "demo-password-2026";
/// A well-known integrator key, for the demo only (scopes INGEST, READ_LINKS, READ_CHANGES).
pub const DEMO_API_KEY: &str = "pg_demo0integrator0key0for0local0testing0only0";
/// Staff logins: email and role. The first is the ADMIN the demo acts as.
pub const STAFF: [(&str, Role); 3] = [
    ("admin@glow.example", Role::Admin),
    ("manager@glow.example", Role::Manager),
    ("analyst@glow.example", Role::Analyst),
];
/// A former manager whose account the demo deactivates (signing in answers that it is
/// deactivated; `reactivateUser` brings it back).
pub const FORMER_STAFF: (&str, Role) = ("former.manager@glow.example", Role::Manager);
/// Creators of the roster that have an account (their creator email is the login).
pub const CREATOR_LOGINS: [&str; 2] = ["maya@example.com", "leo@example.com"];
/// The brand's one foreign currency and its rate to USD on the load day (brand timezone); the
/// days with EUR orders get rates close to it.
pub const EUR_RATE: &str = "1.0850";

/// How much of each kind one load creates.
pub const USER_COUNT: usize = STAFF.len() + 1 + CREATOR_LOGINS.len();
pub const CREATOR_COUNT: usize = roster::ROSTER.len();
pub const CAMPAIGN_COUNT: usize = campaigns::CAMPAIGNS.len();
pub const OFFER_COUNT: usize = offers::OFFERS.len();
pub const ENROLLMENT_COUNT: usize = enrollments::ENROLLMENTS.len();
pub const DELIVERABLE_COUNT: usize = content::DELIVERABLES.len();
pub const PUBLISHED_DELIVERABLE_COUNT: usize = content::published_count();
pub const COST_COUNT: usize = content::COSTS.len();
pub const TRACKING_LINK_COUNT: usize = links::LINKS.len();
pub const DISCOUNT_CODE_COUNT: usize = links::discount_code_count();
/// Traffic: the days it spans (ending at the load time), clicks (bots included), orders, leads,
/// refunds (one of them recorded before its order arrived).
pub const TRAFFIC_DAYS: i64 = calendar::DAYS;
pub const CLICK_COUNT: usize = traffic::click_count();
pub const BOT_CLICK_COUNT: usize = traffic::bot_count();
pub const SALE_COUNT: usize = orders::SALE_COUNT;
pub const EUR_SALE_COUNT: usize = orders::EUR_SALES;
pub const LEAD_COUNT: usize = orders::LEAD_COUNT;
pub const CONVERSION_COUNT: usize = SALE_COUNT + LEAD_COUNT;
pub const REFUND_COUNT: usize = orders::REFUND_COUNT;
/// Fraud rules (issue #23): the rules turned on after the traffic, and the scenarios' clicks
/// and orders (each order flagged; one rejected), on top of the counts above.
pub const FRAUD_RULES_ON: [crate::domain::fraud::Rule; 4] = fraud::RULES_ON;
pub const FRAUD_CLICK_COUNT: usize = fraud::CLICK_COUNT;
pub const FRAUD_SALE_COUNT: usize = fraud::SALE_COUNT;
pub const FRAUD_REJECTED_ORDER: &str = fraud::REJECTED_ORDER;
/// The email of the creator who once buys with her own code (a self-referral: attributed, no
/// commission).
pub const SELF_REFERRAL_EMAIL: &str = "maya@example.com";
/// The creator record and the customer erased by the load (issue #20, data rights).
pub const ERASED_CREATOR: &str = data_rights::ERASED_CREATOR;
pub const ERASED_CUSTOMER_KEY: &str = data_rights::ERASED_CUSTOMER_KEY;
/// The geo-holdout experiment on the serum launch.
pub const EXPERIMENT_NAME: &str = experiments::EXPERIMENT_NAME;
/// The creator login that opted out of the "commission approved" mail.
pub const MAIL_OPTED_OUT_LOGIN: &str = mail::OPTED_OUT_LOGIN;
/// Days of conversions in the demo's completed export.
pub const EXPORT_DAYS: i64 = exports::DAYS;
/// The staff member with a pending invite (its mail queued at load).
pub const INVITED_EMAIL: &str = mail::INVITED_EMAIL;

/// Why the demo could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(
        "an earlier --demo load was interrupted (brand {LOADING_BRAND:?} exists): the database \
         holds half-loaded demo data; delete it (the SQLite file, or drop the PostgreSQL \
         database) and start again"
    )]
    Interrupted,
    #[error("{0}")]
    Database(#[from] DbErr),
    #[error("{step}: {detail}")]
    Step { step: String, detail: String },
}

/// Names the step a service call failed in; internal errors keep their detail (this goes to the
/// operator's terminal, never to a client).
trait StepContext<T> {
    fn step(self, step: impl FnOnce() -> String) -> Result<T, LoadError>;
}

impl<T> StepContext<T> for Result<T, AppError> {
    fn step(self, step: impl FnOnce() -> String) -> Result<T, LoadError> {
        self.map_err(|err| LoadError::Step {
            step: step(),
            detail: match err {
                AppError::Internal(detail) => detail,
                other => other.to_string(),
            },
        })
    }
}

/// What the steps of a load share: the ADMIN acting, the load time, and the ids created so far.
struct Demo<'a> {
    db: &'a DatabaseConnection,
    brand_id: i64,
    admin: Actor,
    /// The integrator key (INGEST, READ_LINKS, READ_CHANGES) the traffic is ingested with.
    integrator: Actor,
    now: DateTime<Utc>,
    /// Creator records by slug (first name, lower case).
    creators: HashMap<String, i64>,
    campaigns: HashMap<&'static str, i64>,
    /// Offers by (campaign key, offer key).
    offers: HashMap<(&'static str, &'static str), i64>,
    /// Enrollments by (campaign key, creator slug).
    enrollments: HashMap<(&'static str, &'static str), i64>,
}

impl Demo<'_> {
    /// Runs `work` as the demo ADMIN's mutation `operation`: it leaves the audit entries the same
    /// mutation leaves through the API (request id `demo-load`), so the demo's `auditLog` shows
    /// who set the brand up.
    async fn audited<T>(&self, operation: &str, work: impl std::future::Future<Output = T>) -> T {
        let scope =
            crate::service::audit::Scope::new(Some(&self.admin), "demo-load", operation, self.now);
        crate::service::audit::within(scope, work).await
    }

    fn days(&self, days: i64) -> DateTime<Utc> {
        self.now + chrono::Duration::days(days)
    }

    fn enrollment(&self, campaign: &'static str, creator: &'static str) -> Result<i64, LoadError> {
        self.enrollments
            .get(&(campaign, creator))
            .copied()
            .ok_or_else(|| LoadError::Step {
                step: format!("plan {campaign}/{creator}"),
                detail: "no such enrollment in the plan".into(),
            })
    }
}

/// Loads the demo data set once (see the module documentation).
/// `links`: where the links in the demo's mail point (the configured app URL).
/// `sealing_key`: seals the demo connector's secret (the server's `PARTNERGRAPH_SECRET_KEY`).
/// `exports`: where the demo's completed export is written.
pub async fn load(
    db: &DatabaseConnection,
    links: &crate::service::mail::Links,
    sealing_key: &crate::auth::seal::SealingKey,
    exports: &crate::config::ExportConfig,
) -> Result<(), LoadError> {
    if find_brand(db, DEMO_BRAND).await?.is_some() {
        tracing::info!("demo data already loaded");
        return Ok(());
    }
    if find_brand(db, LOADING_BRAND).await?.is_some() {
        return Err(LoadError::Interrupted);
    }
    let now = Utc::now();
    let tenant = tenant::create(db, now).await?;
    let mut demo = Demo {
        db,
        brand_id: tenant.brand.id,
        admin: Actor {
            principal: Principal::User(tenant.admin_id),
            role: Role::Admin,
            brand_id: Some(tenant.brand.id),
            creator_ids: vec![],
            scopes: vec![],
            session_id: None,
        },
        integrator: Actor {
            principal: Principal::ApiKey(tenant.api_key_id),
            role: Role::Integrator,
            brand_id: Some(tenant.brand.id),
            creator_ids: vec![],
            scopes: vec![Scope::Ingest, Scope::ReadLinks, Scope::ReadChanges],
            session_id: None,
        },
        now,
        creators: HashMap::new(),
        campaigns: HashMap::new(),
        offers: HashMap::new(),
        enrollments: HashMap::new(),
    };
    tenant::set_exchange_rate(&demo).await?;
    roster::load(&mut demo).await?;
    tenant::link_creator_logins(&demo, &tenant.creator_logins).await?;
    campaigns::load(&mut demo).await?;
    offers::load(&mut demo).await?;
    enrollments::load(&mut demo).await?;
    content::load(&demo).await?;
    links::load(&demo).await?;
    traffic::load(&demo).await?;
    payouts::load(&demo).await?;
    ledger_controls::load(&demo).await?;
    fraud::load(&demo).await?;
    experiments::load(&demo).await?;
    webhooks::load(&demo, sealing_key).await?;
    connectors::load(&demo, sealing_key).await?;
    offboarding::load(&demo, links, tenant.former_staff_id).await?;
    mail::load(&demo, links).await?;
    data_rights::load(&demo).await?;
    exports::load(&demo, exports).await?;
    let mut finished = tenant.brand.into_active_model();
    finished.name = Set(DEMO_BRAND.into());
    finished.updated_at = Set(Utc::now());
    finished.update(db).await?;
    mail::rename_brand_in_queued_mail(db, demo.brand_id).await?;
    tracing::info!(
        brand = DEMO_BRAND,
        creators = CREATOR_COUNT,
        campaigns = CAMPAIGN_COUNT,
        enrollments = ENROLLMENT_COUNT,
        clicks = CLICK_COUNT,
        conversions = CONVERSION_COUNT,
        refunds = REFUND_COUNT,
        seconds = (Utc::now() - now).as_seconds_f64(),
        "demo data loaded"
    );
    Ok(())
}

async fn find_brand(db: &DatabaseConnection, name: &str) -> Result<Option<brand::Model>, DbErr> {
    brand::Entity::find()
        .filter(brand::Column::Name.eq(name))
        .one(db)
        .await
}

/// A creator's slug: the first name in lower case (unique across the roster; links use it).
fn slug(name: &str) -> String {
    name.split_whitespace()
        .next()
        .unwrap_or("creator")
        .to_lowercase()
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod traffic_tests;
