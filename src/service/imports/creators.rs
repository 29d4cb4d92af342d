//! A chunk of a creators import: one transaction, each row in its own savepoint so that a row
//! the database refuses leaves the others stored. A row whose email is already a creator of the
//! brand (or an earlier row's) is a DUPLICATE and writes nothing: importing a file again adds
//! nobody twice. Rows without an email are always created.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, TransactionTrait,
};

use super::Outcome;
use crate::db::entity::creator;
use crate::error::AppError;
use crate::service::creators::{self, CreatorInput};

pub(super) async fn import(
    db: &DatabaseConnection,
    brand_id: i64,
    rows: Vec<(u64, CreatorInput)>,
    now: DateTime<Utc>,
) -> Result<Vec<(u64, Outcome)>, AppError> {
    let emails: Vec<String> = rows
        .iter()
        .filter_map(|(_, input)| {
            creators::normalized_email(input.email.clone())
                .ok()
                .flatten()
        })
        .collect();
    let txn = db.begin().await?;
    let mut known: HashSet<String> = creator::Entity::find()
        .select_only()
        .column(creator::Column::Email)
        .filter(creator::Column::BrandId.eq(brand_id))
        .filter(creator::Column::Email.is_in(emails))
        .into_tuple::<Option<String>>()
        .all(&txn)
        .await?
        .into_iter()
        .flatten()
        .collect();
    let mut outcomes = Vec::with_capacity(rows.len());
    for (line, input) in rows {
        let email = match creators::normalized_email(input.email.clone()) {
            Ok(email) => email,
            Err(err) => {
                outcomes.push((line, Outcome::Rejected(err)));
                continue;
            }
        };
        if let Some(email) = &email
            && known.contains(email)
        {
            outcomes.push((line, Outcome::Duplicate));
            continue;
        }
        let savepoint = txn.begin().await?;
        match creators::insert(&savepoint, brand_id, input, now).await {
            Ok(_) => {
                savepoint.commit().await?;
                known.extend(email);
                outcomes.push((line, Outcome::Imported));
            }
            Err(err @ (AppError::BadUserInput { .. } | AppError::Conflict(_))) => {
                savepoint.rollback().await?;
                outcomes.push((line, Outcome::Rejected(err)));
            }
            Err(err) => return Err(err),
        }
    }
    txn.commit().await?;
    Ok(outcomes)
}
