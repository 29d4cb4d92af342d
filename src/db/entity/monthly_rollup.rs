//! Entity for the `monthly_rollups` table.

use sea_orm::entity::prelude::*;

/// The additive counters of one enrollment in one calendar month of the brand's timezone
/// (`month`: its first day; the sum of the month's `daily_rollups` rows); its visitors are in
/// `monthly_sketches`. `enrollment_id` 0: no enrollment.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "monthly_rollups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub brand_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub month: Date,
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
