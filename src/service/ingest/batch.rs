//! What every ingestion path shares about a batch: each item is answered on its own
//! ([`ItemResult`]: ACCEPTED, DUPLICATE, or REJECTED with its error while the others are stored),
//! external ids are checked one way, and a batch over the limit is refused whole.

use chrono::Duration;
use sea_orm::ConnectionTrait;

use crate::error::AppError;
use crate::global_id::NodeKind;
use crate::service::audit::{self, Changes, Target};

/// How far in the future an event's `occurredAt` may be (clock skew between systems).
pub(crate) const FUTURE_TOLERANCE: Duration = Duration::hours(24);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemStatus {
    Accepted,
    Duplicate,
    Rejected,
}

/// How many items of a call were accepted, duplicates, or rejected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub accepted: usize,
    pub duplicates: usize,
    pub rejected: usize,
}

impl Counts {
    pub fn of<T>(results: &[ItemResult<T>]) -> Self {
        let mut counts = Self::default();
        for result in results {
            counts.add(result.status);
        }
        counts
    }

    pub fn add(&mut self, status: ItemStatus) {
        match status {
            ItemStatus::Accepted => self.accepted += 1,
            ItemStatus::Duplicate => self.duplicates += 1,
            ItemStatus::Rejected => self.rejected += 1,
        }
    }

    /// The counts as an entry's changes (`accepted`, `duplicates`, `rejected`).
    pub fn changes(self) -> Changes {
        Changes::new()
            .set("accepted", serde_json::Value::Null, self.accepted)
            .set("duplicates", serde_json::Value::Null, self.duplicates)
            .set("rejected", serde_json::Value::Null, self.rejected)
    }
}

/// The audit entry of an ingestion call by an API key (DOMAIN rule 9): one per call, about the
/// brand, with its counts (one `INSERT`, nothing per event), on `db`, the call's transaction.
/// Connectors and postbacks share the ingestion services outside any mutation: nothing then.
pub(crate) async fn audit_call<C: ConnectionTrait>(
    db: &C,
    brand_id: i64,
    changes: Changes,
) -> Result<(), AppError> {
    audit::record(db, Target::new(NodeKind::Brand, brand_id), changes).await
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
