//! The finance step: a payout run as of the load time, with the oldest payout marked paid, so
//! that the demo has commission lines in every status (PENDING, APPROVED, PAID, REVERSED) and a
//! paid payout.

use super::{Demo, LoadError};
use crate::service::payouts;

/// Bank reference on the demo's paid payout.
pub const PAID_REFERENCE: &str = "SEPA-DEMO-0001";

pub(super) async fn load(demo: &Demo<'_>) -> Result<(), LoadError> {
    let step = |detail: String| LoadError::Step {
        step: "payouts".into(),
        detail,
    };
    let created = payouts::create(demo.db, &demo.admin, demo.now, demo.now)
        .await
        .map_err(|e| step(e.to_string()))?;
    let first = created
        .first()
        .ok_or_else(|| step("no creator had an approved balance".into()))?;
    payouts::mark_paid(demo.db, &demo.admin, first.id, PAID_REFERENCE, demo.now)
        .await
        .map_err(|e| step(e.to_string()))?;
    Ok(())
}
