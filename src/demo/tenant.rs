//! The demo brand, its logins and API key (direct inserts, in one transaction: no service creates
//! a brand with chosen settings without signing in), and its EUR exchange rates (the service).

use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, TransactionTrait,
};

use super::{
    CREATOR_LOGINS, DEMO_API_KEY, DEMO_PASSWORD, Demo, EUR_RATE, FORMER_STAFF, LOADING_BRAND, STAFF,
};
use super::{LoadError, StepContext};
use crate::auth::{Role, password, secrets};
use crate::db::entity::{api_key, brand, creator, user};
use crate::domain::money::Currency;
use crate::service::exchange_rates;

pub(super) const TIMEZONE: &str = "America/New_York";

pub(super) struct Tenant {
    pub brand: brand::Model,
    pub admin_id: i64,
    /// The integrator key the demo's traffic is ingested with.
    pub api_key_id: i64,
    /// Creator accounts: email and user id (linked to their records once the roster exists).
    pub creator_logins: Vec<(&'static str, i64)>,
    /// The account the demo deactivates ([`super::FORMER_STAFF`]).
    pub former_staff_id: i64,
}

/// The brand (named [`LOADING_BRAND`] until the load finishes), staff and creator logins, and
/// the integrator key.
pub(super) async fn create(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<Tenant, LoadError> {
    let password_hash = password::hash(DEMO_PASSWORD.to_owned())
        .await
        .step(|| "hash the demo password".into())?;
    let txn = db.begin().await?;
    let brand = brand::ActiveModel {
        name: Set(LOADING_BRAND.into()),
        currency_code: Set("USD".into()),
        timezone: Set(TIMEZONE.into()),
        attribution_window_days: Set(30),
        hold_period_days: Set(30),
        attribution_model: Set("CLICK_ID".into()),
        code_precedence: Set("CODE_WINS".into()),
        gross_margin: Set("0.65".into()),
        minimum_payout_minor: Set(5_000),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut admin_id = None;
    for (email, role) in STAFF {
        let user = insert_user(&txn, email, &password_hash, role, Some(brand.id), now).await?;
        if role == Role::Admin && admin_id.is_none() {
            admin_id = Some(user.id);
        }
    }
    let (former_email, former_role) = FORMER_STAFF;
    let former_staff_id = insert_user(
        &txn,
        former_email,
        &password_hash,
        former_role,
        Some(brand.id),
        now,
    )
    .await?
    .id;
    let mut creator_logins = Vec::new();
    for email in CREATOR_LOGINS {
        let user = insert_user(&txn, email, &password_hash, Role::Creator, None, now).await?;
        creator_logins.push((email, user.id));
    }
    let key = api_key::ActiveModel {
        brand_id: Set(brand.id),
        name: Set("Demo store sync".into()),
        prefix: Set(DEMO_API_KEY[..10].into()),
        secret_hash: Set(secrets::sha256_hex(DEMO_API_KEY)),
        scopes: Set(r#"["INGEST","READ_LINKS","READ_CHANGES"]"#.into()),
        created_by_user_id: Set(admin_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    let admin_id = admin_id.ok_or_else(|| LoadError::Step {
        step: "staff".into(),
        detail: "STAFF has no ADMIN".into(),
    })?;
    Ok(Tenant {
        brand,
        admin_id,
        api_key_id: key.id,
        creator_logins,
        former_staff_id,
    })
}

/// The brand timezone (calendar days of rates and reports).
pub(super) fn timezone() -> Result<chrono_tz::Tz, LoadError> {
    TIMEZONE.parse().map_err(|_| LoadError::Step {
        step: "brand timezone".into(),
        detail: format!("{TIMEZONE} is not known"),
    })
}

/// The EUR rate of a day: [`EUR_RATE`] on the load day, within 0.0040 of it on others (a fixed
/// wobble by date, so that every load has the same rates for the same dates).
pub(super) fn eur_rate(day: NaiveDate, today: NaiveDate) -> Result<Decimal, LoadError> {
    let base = Decimal::from_str(EUR_RATE).map_err(|e| LoadError::Step {
        step: "EUR_RATE".into(),
        detail: e.to_string(),
    })?;
    if day == today {
        return Ok(base);
    }
    let wobble = i64::from(day.num_days_from_ce())
        .wrapping_mul(7_919)
        .rem_euclid(81)
        - 40;
    Ok(base + Decimal::new(wobble, 4))
}

/// Sets the EUR rate of `day` (brand timezone) as the demo ADMIN.
pub(super) async fn set_eur_rate(demo: &Demo<'_>, day: NaiveDate) -> Result<(), LoadError> {
    let today = demo.now.with_timezone(&timezone()?).date_naive();
    let eur = Currency::parse("EUR").map_err(|e| LoadError::Step {
        step: "EUR".into(),
        detail: e.to_string(),
    })?;
    exchange_rates::set(
        demo.db,
        &demo.admin,
        eur,
        day,
        eur_rate(day, today)?,
        Utc::now(),
    )
    .await
    .step(|| format!("EUR rate for {day}"))?;
    Ok(())
}

/// The EUR rate for the load day in the brand timezone (so a cost incurred now converts).
pub(super) async fn set_exchange_rate(demo: &Demo<'_>) -> Result<(), LoadError> {
    let today = demo.now.with_timezone(&timezone()?).date_naive();
    set_eur_rate(demo, today).await
}

/// Links each creator account to its creator record (what accepting an invite does).
pub(super) async fn link_creator_logins(
    demo: &Demo<'_>,
    logins: &[(&'static str, i64)],
) -> Result<(), LoadError> {
    for (email, user_id) in logins {
        let brand_id = demo.brand_id;
        let record = creator::Entity::find()
            .filter(creator::Column::BrandId.eq(brand_id))
            .filter(creator::Column::Email.eq(*email))
            .one(demo.db)
            .await?
            .ok_or_else(|| LoadError::Step {
                step: format!("link {email}"),
                detail: "no creator record with this email in the roster".into(),
            })?;
        let mut active: creator::ActiveModel = record.into();
        active.user_id = Set(Some(*user_id));
        active.updated_at = Set(Utc::now());
        active.update(demo.db).await?;
    }
    Ok(())
}

async fn insert_user<C: ConnectionTrait>(
    db: &C,
    email: &str,
    password_hash: &str,
    role: Role,
    brand_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<user::Model, sea_orm::DbErr> {
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
