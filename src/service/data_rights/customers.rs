//! `eraseCustomer`: a customer's key and email hash, in every conversion of the brand, become
//! one-way tokens ([`crate::domain::erasure`]). Every order of the customer gets the same token,
//! so the stored new-customer flags, LTV cohorts and repeat purchases count as before.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection,
    DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter, TransactionTrait,
};
use tracing::instrument;

use crate::auth::{Actor, Permission};
use crate::db::entity::{conversion, fraud_flag};
use crate::domain::erasure::{self, CustomerIdentifier, EraseKey};
use crate::error::AppError;
use crate::global_id::NodeKind;
use crate::service::audit::{self, Changes, Target};
use crate::service::ingest::{lock_brand, save_change_seq};

/// Erases the customer named by exactly one of `customer_key` and `email` from the caller's
/// brand (ADMIN) at `now`; returns how many conversions changed (0 when there is nothing left
/// to erase, so erasing twice is harmless). Each changed conversion gets a new change-feed
/// position, so an integrator mirroring the feed receives the token too.
#[instrument(skip_all)]
pub async fn erase_customer(
    db: &DatabaseConnection,
    actor: &Actor,
    customer_key: Option<&str>,
    email: Option<&str>,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    let brand_id = actor.require(Permission::ManageDataRights)?;
    let identifier =
        erasure::customer_identifier(customer_key, email).map_err(AppError::invalid)?;
    let (mut keys, mut hashes) = (BTreeSet::new(), BTreeSet::new());
    match identifier {
        CustomerIdentifier::Key(key) if !erasure::is_token(&key) => keys.insert(key),
        CustomerIdentifier::EmailHash(hash) => hashes.insert(hash),
        CustomerIdentifier::Key(_) => {
            audit::record(db, brand_entry(brand_id), erased_count(0)).await?;
            return Ok(0);
        }
    };
    let txn = db.begin().await?;
    // Serializes with ingestion (a batch could otherwise add an order of the old key meanwhile)
    // and hands out change-feed positions.
    let brand = lock_brand(&txn, brand_id).await?;
    let rows = customer_orders(&txn, brand_id, keys, hashes).await?;
    let key = EraseKey::random();
    let mut seq = brand.last_change_seq;
    let mut changed = 0;
    let mut hash_tokens = Vec::new();
    for row in rows.into_values() {
        let new_key = row.customer_key.as_deref().map(|k| key.customer_key(k));
        let new_hash = row
            .customer_email_hash
            .as_deref()
            .map(|h| key.email_hash(h));
        if new_key == row.customer_key && new_hash == row.customer_email_hash {
            continue;
        }
        seq += 1;
        if let (Some(old), Some(new)) = (&row.customer_email_hash, &new_hash)
            && old != new
        {
            hash_tokens.push((row.id, old.clone(), new.clone()));
        }
        let mut active = row.into_active_model();
        active.customer_key = Set(new_key);
        active.customer_email_hash = Set(new_hash);
        active.change_seq = Set(seq);
        active.updated_at = Set(now);
        active.update(&txn).await?;
        changed += 1;
    }
    if changed > 0 {
        save_change_seq(&txn, brand_id, seq).await?;
    }
    erase_from_fraud_evidence(&txn, &hash_tokens).await?;
    audit::record(&txn, brand_entry(brand_id), erased_count(changed)).await?;
    txn.commit().await?;
    Ok(changed)
}

/// A customer is no object of the API, and an erasure may change many conversions: one entry,
/// the brand's, with the count. It names neither the key nor the address (which the erasure
/// removes), nor any conversion.
fn brand_entry(brand_id: i64) -> Target {
    Target::new(NodeKind::Brand, brand_id)
}

fn erased_count(changed: u64) -> Changes {
    Changes::new().set("conversions_changed", serde_json::Value::Null, changed)
}

/// Fraud flags name a customer's email hash in their evidence (SELF_REFERRAL,
/// DUPLICATE_CUSTOMER): it becomes the same token as on the conversion.
async fn erase_from_fraud_evidence(
    txn: &DatabaseTransaction,
    hash_tokens: &[(i64, String, String)],
) -> Result<(), AppError> {
    for chunk in hash_tokens.chunks(500) {
        let flags = fraud_flag::Entity::find()
            .filter(fraud_flag::Column::ConversionId.is_in(chunk.iter().map(|(id, _, _)| *id)))
            .all(txn)
            .await?;
        for flag in flags {
            let mut evidence = flag.evidence.clone();
            for (_, old, new) in chunk.iter().filter(|(id, _, _)| *id == flag.conversion_id) {
                evidence = evidence.replace(old.as_str(), new);
            }
            if evidence != flag.evidence {
                let mut active = flag.into_active_model();
                active.evidence = Set(evidence);
                active.update(txn).await?;
            }
        }
    }
    Ok(())
}

/// The brand's conversions of the customer: by key or email hash, then by the other identifiers
/// those orders carry, until no new one turns up. Every order of a key that gets a token is
/// among them, so no customer is split in two (which would change LTV). Tokens are never
/// followed.
async fn customer_orders(
    txn: &DatabaseTransaction,
    brand_id: i64,
    mut keys: BTreeSet<String>,
    mut hashes: BTreeSet<String>,
) -> Result<BTreeMap<i64, conversion::Model>, AppError> {
    let mut rows = BTreeMap::new();
    let (mut seen_keys, mut seen_hashes) = (BTreeSet::new(), BTreeSet::new());
    // Ends: every round follows identifiers not seen before, and the brand has finitely many.
    while !keys.is_empty() || !hashes.is_empty() {
        let found = conversion::Entity::find()
            .filter(conversion::Column::BrandId.eq(brand_id))
            .filter(
                Condition::any()
                    .add(conversion::Column::CustomerKey.is_in(keys.iter().cloned()))
                    .add(conversion::Column::CustomerEmailHash.is_in(hashes.iter().cloned())),
            )
            .all(txn)
            .await?;
        seen_keys.append(&mut keys);
        seen_hashes.append(&mut hashes);
        for row in found {
            if let Some(k) = &row.customer_key
                && !erasure::is_token(k)
                && !seen_keys.contains(k)
            {
                keys.insert(k.clone());
            }
            if let Some(h) = &row.customer_email_hash
                && !erasure::is_token(h)
                && !seen_hashes.contains(h)
            {
                hashes.insert(h.clone());
            }
            rows.insert(row.id, row);
        }
    }
    Ok(rows)
}
