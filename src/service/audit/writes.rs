//! One-call writes with their entry, for services whose change is a single row written on the
//! pool: each opens a transaction, writes, records the row's diff and commits. The `_in`
//! variants do the same in the caller's transaction (which may send notifications with it).

use sea_orm::sea_query::Value;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, Iterable, ModelTrait, PrimaryKeyToColumn, TransactionTrait,
};

use super::{Target, diff, record};
use crate::error::AppError;
use crate::global_id::NodeKind;

type ModelOf<A> = <<A as ActiveModelTrait>::Entity as EntityTrait>::Model;

/// Inserts `row` and records its creation (every field) as an entry about it as a `kind`.
pub async fn insert<A>(
    db: &DatabaseConnection,
    kind: NodeKind,
    row: A,
) -> Result<ModelOf<A>, AppError>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send,
    ModelOf<A>: IntoActiveModel<A>,
{
    let txn = db.begin().await?;
    let created = insert_in(&txn, kind, row).await?;
    txn.commit().await?;
    Ok(created)
}

/// [`insert`] in the caller's transaction.
pub async fn insert_in<C, A>(txn: &C, kind: NodeKind, row: A) -> Result<ModelOf<A>, AppError>
where
    C: ConnectionTrait,
    A: ActiveModelTrait + ActiveModelBehavior + Send,
    ModelOf<A>: IntoActiveModel<A>,
{
    let created = row.insert(txn).await?;
    record(
        txn,
        Target::new(kind, id_of(&created)?),
        diff(None, Some(&created)),
    )
    .await?;
    Ok(created)
}

/// Updates `row` (changed from `before`) and records what changed.
pub async fn update<A>(
    db: &DatabaseConnection,
    kind: NodeKind,
    before: &ModelOf<A>,
    row: A,
) -> Result<ModelOf<A>, AppError>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send,
    ModelOf<A>: IntoActiveModel<A>,
{
    let txn = db.begin().await?;
    let updated = update_in(&txn, kind, before, row).await?;
    txn.commit().await?;
    Ok(updated)
}

/// [`update`] in the caller's transaction.
pub async fn update_in<C, A>(
    txn: &C,
    kind: NodeKind,
    before: &ModelOf<A>,
    row: A,
) -> Result<ModelOf<A>, AppError>
where
    C: ConnectionTrait,
    A: ActiveModelTrait + ActiveModelBehavior + Send,
    ModelOf<A>: IntoActiveModel<A>,
{
    let updated = row.update(txn).await?;
    record(
        txn,
        Target::new(kind, id_of(&updated)?),
        diff(Some(before), Some(&updated)),
    )
    .await?;
    Ok(updated)
}

/// The id (single `BIGINT` primary key) of a stored row.
pub fn id_of<M: ModelTrait>(model: &M) -> Result<i64, AppError> {
    let key = <M::Entity as EntityTrait>::PrimaryKey::iter()
        .next()
        .ok_or_else(|| AppError::internal("entity without a primary key"))?;
    match model.get(key.into_column()) {
        Value::BigInt(Some(id)) => Ok(id),
        Value::Int(Some(id)) => Ok(i64::from(id)),
        _ => Err(AppError::internal("primary key is not an integer id")),
    }
}
