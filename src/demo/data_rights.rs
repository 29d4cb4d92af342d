//! The data-rights step: one ENDED creator erased (the roster, reports and payouts show what is
//! left of it) and one customer erased (its orders carry a token instead of its key), so that
//! `--demo` shows both.

use super::{Demo, LoadError, StepContext};
use crate::service::data_rights;

/// The creator erased: an ENDED partnership without a login.
pub const ERASED_CREATOR: &str = "tom";
/// The customer erased: the first shopper, who has bought at least once.
pub const ERASED_CUSTOMER_KEY: &str = "cus_00001";

pub(super) async fn load(demo: &Demo<'_>) -> Result<(), LoadError> {
    let creator_id = demo
        .creators
        .get(ERASED_CREATOR)
        .copied()
        .ok_or_else(|| LoadError::Step {
            step: "erase a creator".into(),
            detail: format!("no creator {ERASED_CREATOR:?} in the roster"),
        })?;
    data_rights::erase_creator(demo.db, &demo.admin, creator_id, demo.now)
        .await
        .step(|| format!("erase creator {ERASED_CREATOR}"))?;
    data_rights::erase_customer(
        demo.db,
        &demo.admin,
        Some(ERASED_CUSTOMER_KEY),
        None,
        demo.now,
    )
    .await
    .step(|| format!("erase customer {ERASED_CUSTOMER_KEY}"))?;
    Ok(())
}
