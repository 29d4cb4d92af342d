//! Entity for the `code_leak_hours` table.

use sea_orm::entity::prelude::*;

/// CODE_LEAK's count of one live discount code's conversions in one UTC hour, kept while the
/// brand has the rule on: how many named the code, and how many of them came through a click
/// of the code's creator (as judged when each was stored).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "code_leak_hours")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub brand_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub discount_code: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub hour: DateTimeUtc,
    pub conversions: i64,
    pub with_creator_click: i64,
    /// The first and last time among the hour's conversions (always set by the server;
    /// `None` only in counts older than migration `m20261210_000003`, which dropped them).
    pub first_at: Option<DateTimeUtc>,
    pub last_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
