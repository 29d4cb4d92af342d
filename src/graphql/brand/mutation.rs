use async_graphql::{Context, Object};

use super::types::{Brand, ExchangeRate, SetExchangeRateInput, UpdateBrandSettingsInput};
use crate::error::AppError;
use crate::graphql::context;
use crate::service::brand::{self, SettingsChange};
use crate::service::exchange_rates;

#[derive(Default)]
pub struct BrandMutation;

#[Object]
impl BrandMutation {
    /// ADMIN: changes the brand's settings; fields left out keep their value.
    async fn update_brand_settings(
        &self,
        ctx: &Context<'_>,
        input: UpdateBrandSettingsInput,
    ) -> Result<Brand, AppError> {
        let change = SettingsChange {
            name: input.name,
            timezone: input.timezone,
            attribution_window_days: input.attribution_window_days,
            hold_period_days: input.hold_period_days,
            lock_period_days: match input.lock_period_days {
                async_graphql::MaybeUndefined::Undefined => None,
                async_graphql::MaybeUndefined::Null => Some(None),
                async_graphql::MaybeUndefined::Value(days) => Some(Some(days)),
            },
            attribution_model: input.attribution_model.map(Into::into),
            code_precedence: input.code_precedence.map(Into::into),
            gross_margin: input.gross_margin.map(|d| d.0),
            minimum_payout: input
                .minimum_payout
                .map(|m| m.to_money("minimumPayout"))
                .transpose()?,
        };
        let updated = brand::update_settings(
            context::db(ctx)?,
            context::actor(ctx)?,
            change,
            context::now(ctx),
        )
        .await?;
        if let Some(reports) = context::report_cache(ctx) {
            reports.drop_brand(updated.id);
        }
        Ok(Brand(updated))
    }

    /// ADMIN: sets (or replaces) the rate of a currency for a date.
    async fn set_exchange_rate(
        &self,
        ctx: &Context<'_>,
        input: SetExchangeRateInput,
    ) -> Result<ExchangeRate, AppError> {
        let rate = exchange_rates::set(
            context::db(ctx)?,
            context::actor(ctx)?,
            input.currency_code.0,
            input.date.0,
            input.rate.0,
            context::now(ctx),
        )
        .await?;
        Ok(ExchangeRate(rate))
    }
}
