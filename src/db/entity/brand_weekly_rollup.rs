//! Entity for the `brand_weekly_rollups` table.

use sea_orm::entity::prelude::*;

/// The additive counters of a whole brand in one week (Monday to Sunday) of its timezone (`week`: its Monday; the sum of
/// its `brand_daily_rollups` rows) and a sketch of the period's distinct visitors (`None` until
/// it has one), kept in the transaction of every event that changes them.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "brand_weekly_rollups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub brand_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub week: Date,
    pub clicks: i64,
    pub sales: i64,
    pub leads: i64,
    pub new_customers: i64,
    pub revenue_minor: i64,
    pub commissions_minor: i64,
    pub sketch: Option<Vec<u8>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
