use async_graphql::{Context, ID, Object};

use super::order::{LtvOrder, PerformanceOrder};
use super::types::{
    Forecast, ForecastInput, LtvReport, PerformanceDimension, PerformanceFilter,
    PerformanceMetrics, PerformanceReport, dimensions, row_page,
};
use crate::error::AppError;
use crate::graphql::context;
use crate::graphql::id::{self, NodeKind};
use crate::graphql::scalars::DateTime;
use crate::service::performance::{self, Filter, LtvTop, RowPage, Selected};

#[derive(Default)]
pub struct PerformanceQuery;

#[Object]
impl PerformanceQuery {
    /// Staff: computed ROI of the brand over `[filter.from, filter.to)` (at most 731 days), in
    /// the brand currency, grouped by `groupBy` (at most one time grain). `rows` is a page:
    /// `first` 1 to 5,000 (default 5,000) rows after the `after` cursor (`pageInfo.endCursor`
    /// of the page before), in key order or by `orderBy` (the top N: `first: 50, orderBy:
    /// {metric: REVENUE}`); `totals` and `rowCount` are over all rows. A report of more than
    /// 100,000 rows is BAD_USER_INPUT (narrow it).
    async fn performance(
        &self,
        ctx: &Context<'_>,
        filter: PerformanceFilter,
        group_by: Option<Vec<PerformanceDimension>>,
        first: Option<i32>,
        after: Option<String>,
        order_by: Option<PerformanceOrder>,
    ) -> Result<PerformanceReport, AppError> {
        let page = row_page(first, after, order_by)?.selecting(selected_in_report(ctx));
        let report = performance::report(
            context::db(ctx)?,
            context::report_cache(ctx),
            context::actor(ctx)?,
            &filter.to_filter()?,
            &dimensions(group_by),
            &page,
        )
        .await?;
        Ok(PerformanceReport::new(report, &page))
    }

    /// Staff: customers acquired in `[filter.from, filter.to)` by their first purchase (attributed
    /// and new), grouped by that purchase's dimensions, with their revenue over `days` (1 to
    /// 3650) from acquisition, LTV and repeat rate. `rows`: the `first` (1 to 5,000, default
    /// all) in key order or by `orderBy`; `rowCount` counts them all.
    async fn ltv(
        &self,
        ctx: &Context<'_>,
        filter: PerformanceFilter,
        days: i32,
        group_by: Option<Vec<PerformanceDimension>>,
        first: Option<i32>,
        order_by: Option<LtvOrder>,
    ) -> Result<LtvReport, AppError> {
        let top = LtvTop::new(first, order_by.map(Into::into))?;
        let report = performance::ltv(
            context::db(ctx)?,
            context::actor(ctx)?,
            &filter.to_filter()?,
            days,
            &dimensions(group_by),
            &top,
        )
        .await?;
        Ok(LtvReport(report))
    }

    /// Staff: expected sales, revenue, CPA and ROAS of a campaign budget, from the campaign's
    /// lookback window; BAD_USER_INPUT when the window has no sales or no spend.
    async fn forecast(
        &self,
        ctx: &Context<'_>,
        input: ForecastInput,
    ) -> Result<Forecast, AppError> {
        let forecast = performance::forecast(
            context::db(ctx)?,
            context::actor(ctx)?,
            id::decode_as(&input.campaign_id, NodeKind::Campaign, "campaignId")?,
            input.budget.to_money("budget")?,
            input.lookback_days,
            context::now(ctx),
        )
        .await?;
        Ok(Forecast(forecast))
    }

    /// CREATOR: the caller's own metrics over `[from, to)` (all its brands, or `brandId`; with
    /// brands in several currencies, pass `brandId`). `roi` is null: the brand's margin is not
    /// the creator's to see.
    async fn my_performance(
        &self,
        ctx: &Context<'_>,
        from: DateTime,
        to: DateTime,
        brand_id: Option<ID>,
    ) -> Result<PerformanceMetrics, AppError> {
        let filter = Filter {
            from: from.0,
            to: to.0,
            ..Filter::default()
        };
        let report = performance::my_report(
            context::db(ctx)?,
            None,
            context::actor(ctx)?,
            brand(brand_id)?,
            &filter,
            &[],
            &RowPage::totals_only().selecting(Selected {
                unique_clicks: ctx.look_ahead().field("uniqueClicks").exists(),
            }),
        )
        .await?;
        Ok(PerformanceMetrics {
            metrics: report.totals,
            currency_code: report.currency_code,
        })
    }

    /// CREATOR: the `performance` report restricted to the caller's own records, paged and
    /// ordered the same way.
    // Each argument is one of the field's GraphQL arguments.
    #[allow(clippy::too_many_arguments)]
    async fn my_performance_report(
        &self,
        ctx: &Context<'_>,
        filter: PerformanceFilter,
        group_by: Option<Vec<PerformanceDimension>>,
        brand_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
        order_by: Option<PerformanceOrder>,
    ) -> Result<PerformanceReport, AppError> {
        let page = row_page(first, after, order_by)?.selecting(selected_in_report(ctx));
        let report = performance::my_report(
            context::db(ctx)?,
            context::report_cache(ctx),
            context::actor(ctx)?,
            brand(brand_id)?,
            &filter.to_filter()?,
            &dimensions(group_by),
            &page,
        )
        .await?;
        Ok(PerformanceReport::new(report, &page))
    }
}

fn brand(brand_id: Option<ID>) -> Result<Option<i64>, AppError> {
    brand_id
        .map(|id| id::decode_as(&id, NodeKind::Brand, "brandId"))
        .transpose()
}

/// What a `PerformanceReport` selection reads (fragments included).
fn selected_in_report(ctx: &Context<'_>) -> Selected {
    let report = ctx.look_ahead();
    Selected {
        unique_clicks: report.field("totals").field("uniqueClicks").exists()
            || report
                .field("rows")
                .field("metrics")
                .field("uniqueClicks")
                .exists(),
    }
}
