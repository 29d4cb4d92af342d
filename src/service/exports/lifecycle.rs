//! An export's life in the database, for the export worker (`crate::exports`): claimed once
//! across processes, its lease renewed while it is written, completed (with its
//! `export.completed` webhook in the same transaction) or failed, and expired when its file's
//! time is up.
//!
//! Exactly once: a claim is a conditional UPDATE (QUEUED, or RUNNING with its lease ended) that
//! bumps `attempts`; every later write of the run names that attempt, so a run whose lease
//! another process took over can no longer complete (it deletes its own file instead).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};

use crate::db::entity::export;
use crate::domain::export::{Format, LINK_TTL_HOURS, Status};
use crate::error::AppError;
use crate::service::webhooks;

/// Runs of one export before it is FAILED (a process that dies mid-run leaves it to the next).
pub const MAX_ATTEMPTS: i32 = 3;

/// What a failed export says: short and safe (no SQL, no path).
pub const READ_FAILED: &str = "the export's rows could not be read; start it again";
pub const WRITE_FAILED: &str = "the export file could not be written; start it again";
pub const INTERRUPTED: &str = "the export was interrupted too many times; start it again";

fn claimable(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(export::Column::Status.eq(Status::Queued.as_str()))
        .add(
            Condition::all()
                .add(export::Column::Status.eq(Status::Running.as_str()))
                .add(export::Column::LeaseUntil.lt(now)),
        )
}

/// Exports waiting for a worker (or whose worker's lease ended), oldest first.
pub async fn waiting(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<export::Model>, AppError> {
    Ok(export::Entity::find()
        .filter(claimable(now))
        .order_by_asc(export::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// Claims `row` for this process: RUNNING under a lease until `now + lease`, with a new file
/// name. `None` when another process took it first. A row run [`MAX_ATTEMPTS`] times already is
/// FAILED instead.
pub async fn claim(
    db: &DatabaseConnection,
    row: &export::Model,
    now: DateTime<Utc>,
    lease: chrono::Duration,
) -> Result<Option<export::Model>, AppError> {
    if row.attempts >= MAX_ATTEMPTS {
        fail(db, row.id, row.attempts, INTERRUPTED, now).await?;
        return Ok(None);
    }
    let format = Format::parse(&row.format).ok_or_else(|| AppError::internal("stored format"))?;
    let file_name = format!(
        "export-{}-{}.{}",
        row.id,
        uuid::Uuid::new_v4().simple(),
        format.extension()
    );
    let claimed = export::Entity::update_many()
        .col_expr(
            export::Column::Status,
            Expr::value(Status::Running.as_str()),
        )
        .col_expr(
            export::Column::Attempts,
            Expr::col(export::Column::Attempts).add(1),
        )
        .col_expr(export::Column::LeaseUntil, Expr::value(now + lease))
        .col_expr(export::Column::StartedAt, Expr::value(now))
        .col_expr(export::Column::FileName, Expr::value(file_name))
        .filter(export::Column::Id.eq(row.id))
        .filter(export::Column::Attempts.eq(row.attempts))
        .filter(claimable(now))
        .exec(db)
        .await?;
    if claimed.rows_affected != 1 {
        return Ok(None);
    }
    Ok(export::Entity::find_by_id(row.id).one(db).await?)
}

fn held(id: i64, attempt: i32) -> Condition {
    Condition::all()
        .add(export::Column::Id.eq(id))
        .add(export::Column::Status.eq(Status::Running.as_str()))
        .add(export::Column::Attempts.eq(attempt))
}

/// Extends the run's lease; false when the run lost it (another process took the export over).
pub async fn renew(
    db: &DatabaseConnection,
    id: i64,
    attempt: i32,
    now: DateTime<Utc>,
    lease: chrono::Duration,
) -> Result<bool, AppError> {
    let renewed = export::Entity::update_many()
        .col_expr(export::Column::LeaseUntil, Expr::value(now + lease))
        .filter(held(id, attempt))
        .exec(db)
        .await?;
    Ok(renewed.rows_affected == 1)
}

/// COMPLETED with its counts, expiring [`LINK_TTL_HOURS`] after `now`; a brand export queues
/// its `export.completed` webhook in the same transaction. `None` when the run lost its lease.
pub async fn complete(
    db: &DatabaseConnection,
    id: i64,
    attempt: i32,
    row_count: i64,
    file_size: i64,
    now: DateTime<Utc>,
) -> Result<Option<export::Model>, AppError> {
    let txn = db.begin().await?;
    let done = export::Entity::update_many()
        .col_expr(
            export::Column::Status,
            Expr::value(Status::Completed.as_str()),
        )
        .col_expr(export::Column::RowCount, Expr::value(row_count))
        .col_expr(export::Column::FileSize, Expr::value(file_size))
        .col_expr(export::Column::CompletedAt, Expr::value(now))
        .col_expr(
            export::Column::ExpiresAt,
            Expr::value(now + chrono::Duration::hours(LINK_TTL_HOURS)),
        )
        .col_expr(
            export::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(held(id, attempt))
        .exec(&txn)
        .await?;
    if done.rows_affected != 1 {
        txn.rollback().await?;
        return Ok(None);
    }
    let row = export::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    if let Some(brand_id) = row.brand_id {
        webhooks::enqueue(&txn, brand_id, webhooks::Event::ExportCompleted(&row), now).await?;
    }
    txn.commit().await?;
    Ok(Some(row))
}

/// FAILED with a safe `message` (the run's own attempt only).
pub async fn fail(
    db: &DatabaseConnection,
    id: i64,
    attempt: i32,
    message: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    export::Entity::update_many()
        .col_expr(export::Column::Status, Expr::value(Status::Failed.as_str()))
        .col_expr(export::Column::Error, Expr::value(message))
        .col_expr(export::Column::CompletedAt, Expr::value(now))
        .col_expr(
            export::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(export::Column::Id.eq(id))
        .filter(export::Column::Attempts.eq(attempt))
        .filter(export::Column::Status.is_in([Status::Queued.as_str(), Status::Running.as_str()]))
        .exec(db)
        .await?;
    Ok(())
}

/// Completed exports whose time is up, oldest first.
pub async fn expired(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<export::Model>, AppError> {
    Ok(export::Entity::find()
        .filter(export::Column::Status.eq(Status::Completed.as_str()))
        .filter(export::Column::ExpiresAt.lte(now))
        .order_by_asc(export::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// EXPIRED; true for the one process that moved it there (and so deletes its file).
pub async fn mark_expired(db: &DatabaseConnection, id: i64) -> Result<bool, AppError> {
    let moved = export::Entity::update_many()
        .col_expr(
            export::Column::Status,
            Expr::value(Status::Expired.as_str()),
        )
        .filter(export::Column::Id.eq(id))
        .filter(export::Column::Status.eq(Status::Completed.as_str()))
        .exec(db)
        .await?;
    Ok(moved.rows_affected == 1)
}

/// The export a signed download link names (the link is the credential: it was checked before).
pub async fn for_download(db: &DatabaseConnection, id: i64) -> Result<export::Model, AppError> {
    export::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}
