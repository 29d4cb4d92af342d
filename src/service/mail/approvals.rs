//! "Commission approved" mail: a line is APPROVED when its hold ends, by time alone (no write),
//! so the mail worker announces due lines itself, once each: it marks
//! `commissions.mail_notified_at` in the transaction that writes the outbox rows. One message
//! per creator record, currency and poll sums the lines approved since the last one; it goes
//! to the creator's account, unless the account opted out
//! (`users.commission_approved_emails`). Records without an account get none (they could not
//! opt out).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};

use super::{Links, display_money, enqueue};
use crate::db::entity::{brand, commission, creator, user};
use crate::domain::commission::{Kind, Status};
use crate::domain::mail::{MailKind, commission_approved};
use crate::error::AppError;

/// Not in the entity: only this module reads or writes it.
const NOTIFIED_AT: &str = "mail_notified_at";

/// Announces up to `limit` lines whose hold ended by `now`. Returns how many were marked.
pub async fn announce_due(
    db: &DatabaseConnection,
    links: &Links,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<usize, AppError> {
    // Read outside the transaction, which then starts with its write (the claim): on SQLite a
    // transaction that reads first and writes later cannot wait for another writer's lock.
    let due = commission::Entity::find()
        .filter(Expr::col(Alias::new(NOTIFIED_AT)).is_null())
        .filter(commission::Column::HoldUntil.lte(now))
        // Oldest due first, in the order of the index on (notified_at, hold_until): the scan
        // stops after `limit` rows. (By id, PostgreSQL sorted the whole backlog for each batch:
        // 50-100 ms a batch with 500,000 lines due at scale 1.0.)
        .order_by_asc(commission::Column::HoldUntil)
        .order_by_asc(commission::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    if due.is_empty() {
        return Ok(0);
    }
    let ids: Vec<i64> = due.iter().map(|line| line.id).collect();
    let txn = db.begin().await?;
    let mark = Query::update()
        .table(commission::Entity)
        .value(Alias::new(NOTIFIED_AT), now)
        .and_where(Expr::col(commission::Column::Id).is_in(ids.clone()))
        .and_where(Expr::col(Alias::new(NOTIFIED_AT)).is_null())
        .to_owned();
    let claimed = txn.execute(&mark).await?;
    if claimed.rows_affected() != ids.len() as u64 {
        // Another process announced some of them first: leave the batch to it.
        txn.rollback().await?;
        return Ok(0);
    }
    // (creator record, currency) -> (lines, total minor), over approved, positive lines.
    let mut groups: BTreeMap<(i64, String), (usize, i64)> = BTreeMap::new();
    for line in due.iter().filter(|l| {
        l.status != Status::Reversed.as_str()
            && l.kind != Kind::Reversal.as_str()
            && l.amount_minor > 0
    }) {
        let entry = groups
            .entry((line.creator_id, line.currency_code.clone()))
            .or_default();
        entry.0 += 1;
        entry.1 += line.amount_minor;
    }
    if !groups.is_empty() {
        let creator_ids: Vec<i64> = groups.keys().map(|(id, _)| *id).collect();
        let creators: HashMap<i64, creator::Model> = creator::Entity::find()
            .filter(creator::Column::Id.is_in(creator_ids))
            .filter(creator::Column::UserId.is_not_null())
            .all(&txn)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        let user_ids: Vec<i64> = creators.values().filter_map(|c| c.user_id).collect();
        let accounts: HashMap<i64, user::Model> = user::Entity::find()
            .filter(user::Column::Id.is_in(user_ids))
            .filter(user::Column::CommissionApprovedEmails.eq(true))
            .all(&txn)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        let brand_ids: Vec<i64> = creators.values().map(|c| c.brand_id).collect();
        let brands: HashMap<i64, String> = brand::Entity::find()
            .filter(brand::Column::Id.is_in(brand_ids))
            .all(&txn)
            .await?
            .into_iter()
            .map(|b| (b.id, b.name))
            .collect();
        let hint = format!(
            "You can turn these messages off in your notification settings: {}",
            links.notification_settings()
        );
        for ((creator_id, currency), (count, total)) in groups {
            let Some(record) = creators.get(&creator_id) else {
                continue;
            };
            let Some(account) = record.user_id.and_then(|id| accounts.get(&id)) else {
                continue;
            };
            let brand_name = brands
                .get(&record.brand_id)
                .map_or("A brand", String::as_str);
            let message =
                commission_approved(brand_name, count, &display_money(total, &currency)?, &hint);
            enqueue(
                &txn,
                Some(record.brand_id),
                MailKind::CommissionApproved,
                &account.email,
                message,
                now,
            )
            .await?;
        }
    }
    txn.commit().await?;
    Ok(ids.len())
}
