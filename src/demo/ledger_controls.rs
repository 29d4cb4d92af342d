//! The ledger's controls (issue #23, DOMAIN rule 4), set after the traffic and the payout run so
//! that the figures above are as they were recorded: a clawback on a paid conversion, which the
//! creator's next payout nets, and a 60-day lock period from then on.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::{Demo, LoadError, StepContext};
use crate::db::entity::commission;
use crate::domain::money::{Currency, Money};
use crate::service::{brand, ledger};

/// The reason on the demo's clawback (shown to the creator with the line).
pub const CLAWBACK_REASON: &str = "Order charged back by the card issuer after payout (demo)";
/// The demo brand's lock period.
pub const LOCK_PERIOD_DAYS: i32 = 60;

pub(super) async fn load(demo: &Demo<'_>) -> Result<(), LoadError> {
    let paid = commission::Entity::find()
        .filter(commission::Column::BrandId.eq(demo.brand_id))
        .filter(commission::Column::PayoutId.is_not_null())
        .filter(commission::Column::ConversionId.is_not_null())
        .filter(commission::Column::AmountMinor.gt(0))
        .order_by_asc(commission::Column::Id)
        .one(demo.db)
        .await?
        .ok_or_else(|| LoadError::Step {
            step: "clawback".into(),
            detail: "no paid conversion line".into(),
        })?;
    let currency = Currency::parse(&paid.currency_code).map_err(|e| LoadError::Step {
        step: "clawback".into(),
        detail: e.to_string(),
    })?;
    let conversion_id = paid.conversion_id.unwrap_or_default();
    let net: i64 = commission::Entity::find()
        .filter(commission::Column::ConversionId.eq(conversion_id))
        .all(demo.db)
        .await?
        .iter()
        .map(|line| line.amount_minor)
        .sum();
    // Half the paid line (rounded down), at most what the conversion's lines net to.
    let amount = Money::new((paid.amount_minor / 2).min(net).max(1), currency);
    demo.audited(
        "createClawback",
        ledger::claw_back(
            demo.db,
            &demo.admin,
            conversion_id,
            amount,
            CLAWBACK_REASON,
            demo.now,
        ),
    )
    .await
    .step(|| "clawback".into())?;
    demo.audited(
        "updateBrandSettings",
        brand::update_settings(
            demo.db,
            &demo.admin,
            brand::SettingsChange {
                lock_period_days: Some(Some(LOCK_PERIOD_DAYS)),
                ..Default::default()
            },
            demo.now,
        ),
    )
    .await
    .step(|| "lock period".into())?;
    Ok(())
}
