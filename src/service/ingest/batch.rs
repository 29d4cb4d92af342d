//! What every ingestion path shares about a batch: each item is answered on its own
//! ([`ItemResult`]: ACCEPTED, DUPLICATE, or REJECTED with its error while the others are stored),
//! external ids are checked one way, and a batch over the limit is refused whole.

use chrono::Duration;

use crate::error::AppError;

/// How far in the future an event's `occurredAt` may be (clock skew between systems).
pub(crate) const FUTURE_TOLERANCE: Duration = Duration::hours(24);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemStatus {
    Accepted,
    Duplicate,
    Rejected,
}

pub struct ItemResult<T> {
    pub external_id: String,
    pub status: ItemStatus,
    pub error: Option<AppError>,
    pub value: Option<T>,
}

pub(crate) fn rejected<T>(external_id: String, err: AppError) -> ItemResult<T> {
    ItemResult {
        external_id,
        status: ItemStatus::Rejected,
        error: Some(err),
        value: None,
    }
}

/// An external id: trimmed, 1 to 200 characters.
pub(crate) fn external_id(field: &'static str, raw: &str) -> Result<String, AppError> {
    crate::domain::text::required(field, raw, 200).map_err(AppError::invalid)
}

/// A batch larger than the limit is refused as a whole.
pub(crate) fn check_batch_size(field: &str, len: usize) -> Result<(), AppError> {
    let max = crate::domain::conversion::MAX_BATCH;
    if len > max {
        return Err(AppError::bad_input(
            field,
            format!("at most {max} items per batch (got {len}): split it"),
        ));
    }
    Ok(())
}
