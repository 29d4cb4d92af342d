//! Integrator ingestion: clicks, conversions and refunds in batches, idempotent on their external
//! ids, and the conversion change feed.
//!
//! Every ingestion transaction first touches the brand's row (`last_change_seq`): that serializes
//! the brand's writers (row lock on PostgreSQL, the write lock on SQLite, taken by the first
//! statement so a deferred SQLite transaction never has to upgrade), which makes duplicate
//! detection race-free across processes and hands out change-feed positions in commit order.

pub mod batch;
pub mod changes;
pub mod clicks;
pub mod conversions;
mod customers;
mod lookups;
pub mod refunds;

pub(crate) use self::lookups::{BatchNames, ClickRow, Lookups};

use std::collections::HashMap;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter};

use crate::db::entity::{brand, exchange_rate};
use crate::domain::money::{Currency, Money, convert};
use crate::error::AppError;

/// Locks the brand's ingestion row for this transaction and returns the brand.
pub(crate) async fn lock_brand(
    txn: &DatabaseTransaction,
    brand_id: i64,
) -> Result<brand::Model, AppError> {
    brand::Entity::update_many()
        .col_expr(
            brand::Column::LastChangeSeq,
            Expr::col(brand::Column::LastChangeSeq),
        )
        .filter(brand::Column::Id.eq(brand_id))
        .exec(txn)
        .await?;
    brand::Entity::find_by_id(brand_id)
        .one(txn)
        .await?
        .ok_or(AppError::NotFound)
}

/// Stores the last change-feed position handed out in this transaction.
pub(crate) async fn save_change_seq(
    txn: &DatabaseTransaction,
    brand_id: i64,
    seq: i64,
) -> Result<(), AppError> {
    brand::Entity::update_many()
        .col_expr(brand::Column::LastChangeSeq, Expr::value(seq))
        .filter(brand::Column::Id.eq(brand_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// What a batch needs about its brand, with exchange rates looked up once per currency and day.
pub(crate) struct BrandContext {
    pub brand: brand::Model,
    pub currency: Currency,
    pub timezone: chrono_tz::Tz,
    pub next_seq: i64,
    /// Rollup changes of this transaction's conversions, written by [`Self::save_rollups`].
    pub rollup: crate::service::rollups::RollupDelta,
    /// Events of this transaction, published once it commits ([`crate::events::Pending::commit`]).
    pub events: crate::events::Pending,
    /// Rows the batch reads for many items, read once ([`Lookups::prefetch`]) or on demand.
    pub lookups: Lookups,
    /// The brand's enabled fraud rules, read on the first conversion they may judge or count.
    pub fraud: Option<crate::service::fraud::BrandRules>,
    /// CODE_LEAK's hourly counts of this transaction's conversions, written with the rollups.
    pub code_counts: crate::service::fraud::CodeCounts,
    rates: HashMap<(Currency, NaiveDate), Option<Decimal>>,
}

impl BrandContext {
    pub fn new(brand: brand::Model) -> Result<Self, AppError> {
        let currency = Currency::parse(&brand.currency_code).map_err(AppError::internal)?;
        let timezone = brand.timezone.parse().map_err(AppError::internal)?;
        Ok(Self {
            next_seq: brand.last_change_seq,
            brand,
            currency,
            timezone,
            rollup: Default::default(),
            events: Default::default(),
            lookups: Lookups::default(),
            fraud: None,
            code_counts: Default::default(),
            rates: HashMap::new(),
        })
    }

    /// Writes the pending rollup changes and CODE_LEAK's hourly counts; call before
    /// committing.
    pub async fn save_rollups<C: ConnectionTrait>(&mut self, db: &C) -> Result<(), AppError> {
        let delta = std::mem::take(&mut self.rollup);
        delta.apply(db, self.brand.id).await?;
        let counts = std::mem::take(&mut self.code_counts);
        counts.save(db, self.brand.id).await
    }

    /// The next change-feed position.
    pub fn bump(&mut self) -> i64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// The brand's rate for `currency` on the brand-timezone day of `at`.
    pub async fn rate<C: ConnectionTrait>(
        &mut self,
        db: &C,
        currency: Currency,
        at: DateTime<Utc>,
    ) -> Result<Option<Decimal>, AppError> {
        let day = at.with_timezone(&self.timezone).date_naive();
        if let Some(rate) = self.rates.get(&(currency, day)) {
            return Ok(*rate);
        }
        let rate = exchange_rate::Entity::find()
            .filter(exchange_rate::Column::BrandId.eq(self.brand.id))
            .filter(exchange_rate::Column::CurrencyCode.eq(currency.code()))
            .filter(exchange_rate::Column::RateDate.eq(day))
            .one(db)
            .await?
            .map(|row| Decimal::from_str(&row.rate).map_err(AppError::internal))
            .transpose()?;
        self.rates.insert((currency, day), rate);
        Ok(rate)
    }

    /// `amount` in the brand currency with the rate of its day, and the rate used (none for the
    /// brand currency itself).
    pub async fn in_brand_currency<C: ConnectionTrait>(
        &mut self,
        db: &C,
        amount: Money,
        at: DateTime<Utc>,
        field: &str,
    ) -> Result<(Money, Option<Decimal>), AppError> {
        if amount.currency == self.currency {
            return Ok((amount, None));
        }
        let day = at.with_timezone(&self.timezone).date_naive();
        let rate = self.rate(db, amount.currency, at).await?.ok_or_else(|| {
            AppError::bad_input(
                field,
                format!(
                    "no {} exchange rate for {day} (brand timezone): set one with setExchangeRate",
                    amount.currency
                ),
            )
        })?;
        let converted = convert(amount, self.currency, rate)
            .map_err(|e| AppError::bad_input(field, e.to_string()))?;
        Ok((converted, Some(rate)))
    }
}

/// A stored enum value the code wrote itself; anything else is INTERNAL.
pub(crate) fn parse<T>(value: Option<T>) -> Result<T, AppError> {
    value.ok_or_else(|| AppError::internal("unexpected stored value"))
}
