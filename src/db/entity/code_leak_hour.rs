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
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
