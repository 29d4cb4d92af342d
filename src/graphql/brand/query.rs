use async_graphql::{Context, Object};

use super::types::{Brand, ExchangeRate};
use crate::error::AppError;
use crate::graphql::connection::{Page, PageRequest, id_page};
use crate::graphql::context;
use crate::graphql::scalars::CurrencyCode;
use crate::service::{brand, exchange_rates};

#[derive(Default)]
pub struct BrandQuery;

#[Object]
impl BrandQuery {
    /// Staff: the caller's brand.
    async fn brand(&self, ctx: &Context<'_>) -> Result<Brand, AppError> {
        Ok(Brand(
            brand::current(context::db(ctx)?, context::actor(ctx)?).await?,
        ))
    }

    /// Staff: exchange rates, oldest entry first, optionally of one currency.
    async fn exchange_rates(
        &self,
        ctx: &Context<'_>,
        currency_code: Option<CurrencyCode>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<ExchangeRate>, AppError> {
        let request = PageRequest::new(first, after)?.counting(ctx);
        let rows = exchange_rates::list(
            context::db(ctx)?,
            context::actor(ctx)?,
            currency_code.map(|c| c.0),
            request.by_id()?,
        )
        .await?;
        Ok(id_page(&request, rows, |r| r.id, ExchangeRate))
    }
}
