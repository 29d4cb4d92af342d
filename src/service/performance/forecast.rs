//! `forecast`: what a budget buys if the campaign keeps performing as over its lookback window
//! (DOMAIN.md's default model, see `domain::forecast`).

use chrono::{DateTime, Duration, Utc};
use sea_orm::DatabaseConnection;

use super::campaign_totals;
use crate::auth::Actor;
use crate::domain::forecast::{self, Forecast, ForecastError, Lookback};
use crate::domain::money::{Currency, Money};
use crate::error::AppError;

pub const DEFAULT_LOOKBACK_DAYS: i32 = 90;
pub const MAX_LOOKBACK_DAYS: i32 = 730;

/// The forecast for `budget` from the campaign's `[now - lookback, now)`.
pub async fn forecast(
    db: &DatabaseConnection,
    actor: &Actor,
    campaign_id: i64,
    budget: Money,
    lookback_days: Option<i32>,
    now: DateTime<Utc>,
) -> Result<Forecast, AppError> {
    let days = lookback_days.unwrap_or(DEFAULT_LOOKBACK_DAYS);
    if !(1..=MAX_LOOKBACK_DAYS).contains(&days) {
        return Err(AppError::bad_input(
            "lookbackDays",
            format!("must be 1 to {MAX_LOOKBACK_DAYS}"),
        ));
    }
    let from = now - Duration::days(i64::from(days));
    let report = campaign_totals(db, actor, campaign_id, from, now).await?;
    let currency = Currency::parse(&report.currency_code).map_err(AppError::internal)?;
    let totals = report.totals;
    let lookback = Lookback {
        days: days.unsigned_abs(),
        from,
        to: now,
        sales: totals.counters.sales,
        revenue: Money::new(totals.counters.revenue_minor, currency),
        spend: Money::new(totals.spend_minor, currency),
    };
    forecast::forecast(budget, &lookback).map_err(|err| match err {
        ForecastError::NoSales(_) | ForecastError::NoSpend(_) => {
            AppError::bad_input("lookbackDays", err.to_string())
        }
        ForecastError::NegativeBudget
        | ForecastError::CurrencyMismatch { .. }
        | ForecastError::Overflow => AppError::bad_input("budget", err.to_string()),
    })
}
