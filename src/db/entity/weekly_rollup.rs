//! Entity for the `weekly_rollups` table.

use sea_orm::entity::prelude::*;

/// The additive counters of one enrollment in one week (Monday to Sunday) of the brand's timezone
/// (`week`: its Monday; the sum of the week's `daily_rollups` rows); its visitors are in
/// `weekly_sketches`. `enrollment_id` 0: no enrollment.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "weekly_rollups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub brand_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub week: Date,
    #[sea_orm(primary_key, auto_increment = false)]
    pub enrollment_id: i64,
    pub clicks: i64,
    pub sales: i64,
    pub leads: i64,
    pub new_customers: i64,
    pub revenue_minor: i64,
    pub commissions_minor: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
