use async_graphql::{Context, Enum, InputObject, Object};
use serde_json::{Value, json};

use super::columns;
use super::types::Creator;
use crate::error::AppError;
use crate::graphql::connection::{Cursor, Page, PageRequest, page};
use crate::graphql::context;
use crate::graphql::enums::{
    CreatorTier, OrderDirection, PartnershipStage, Platform, VettingStatus,
};
use crate::service::creators::{self, CreatorFilter as Filter, CreatorSort};
use crate::service::page::{SortValue, SortedPage};

#[derive(InputObject, Default)]
pub struct CreatorFilter {
    pub stage: Option<PartnershipStage>,
    pub tier: Option<CreatorTier>,
    /// Creators with a channel on this platform.
    pub platform: Option<Platform>,
    pub vetting_status: Option<VettingStatus>,
    /// One niche label, e.g. "skincare".
    pub niche: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    /// Case-insensitive text in the name or a channel handle.
    pub search: Option<String>,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum CreatorOrderField {
    #[default]
    CreatedAt,
    Followers,
    Name,
}

#[derive(InputObject, Default)]
pub struct CreatorOrder {
    #[graphql(default)]
    pub field: CreatorOrderField,
    #[graphql(default)]
    pub direction: OrderDirection,
}

fn sort_of(field: CreatorOrderField) -> CreatorSort {
    match field {
        CreatorOrderField::CreatedAt => CreatorSort::CreatedAt,
        CreatorOrderField::Followers => CreatorSort::Followers,
        CreatorOrderField::Name => CreatorSort::Name,
    }
}

/// Cursors of sorted lists carry `[sort value, id]`.
fn decode_sorted(cursor: &Cursor, sort: CreatorSort) -> Result<(SortValue, i64), AppError> {
    let invalid = || AppError::bad_input("after", "not a valid cursor for this order");
    let parsed: Value = serde_json::from_str(&cursor.0).map_err(|_| invalid())?;
    let id = parsed.get(1).and_then(Value::as_i64).ok_or_else(invalid)?;
    let value = match sort {
        CreatorSort::Name => SortValue::Text(
            parsed
                .get(0)
                .and_then(Value::as_str)
                .ok_or_else(invalid)?
                .to_owned(),
        ),
        _ => SortValue::Int(parsed.get(0).and_then(Value::as_i64).ok_or_else(invalid)?),
    };
    Ok((value, id))
}

fn encode_sorted(value: SortValue, id: i64) -> Cursor {
    let value = match value {
        SortValue::Int(i) => json!(i),
        SortValue::Text(s) => json!(s),
    };
    Cursor(json!([value, id]).to_string())
}

#[derive(Default)]
pub struct CreatorQuery;

#[Object]
impl CreatorQuery {
    /// The brand's roster (staff), or the caller's own creator records (CREATOR).
    async fn creators(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<CreatorFilter>,
        order_by: Option<CreatorOrder>,
    ) -> Result<Page<Creator>, AppError> {
        let request = PageRequest::new(first, after)?.counting(ctx);
        let order = order_by.unwrap_or_default();
        let sort = sort_of(order.field);
        let filter = filter.unwrap_or_default();
        let sorted_page = SortedPage {
            after: request
                .after
                .as_ref()
                .map(|c| decode_sorted(c, sort))
                .transpose()?,
            limit: request.fetch_limit(),
            descending: order.direction == OrderDirection::Desc,
            count: request.count,
        };
        let service_filter = Filter {
            stage: filter.stage.map(Into::into),
            tier: filter.tier.map(Into::into),
            platform: filter.platform.map(Into::into),
            vetting_status: filter.vetting_status.map(Into::into),
            niche: filter.niche,
            country: filter.country,
            search: filter.search,
        };
        let (rows, total) = creators::list(
            context::db(ctx)?,
            context::actor(ctx)?,
            service_filter,
            sort,
            sorted_page,
            columns::of_connection(&ctx.look_ahead()),
        )
        .await?;
        Ok(page(
            &request,
            rows,
            total,
            |row| encode_sorted(creators::sort_value(&row.creator, sort), row.creator.id),
            Creator::from,
        ))
    }
}
