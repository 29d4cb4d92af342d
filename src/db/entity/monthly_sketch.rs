//! Entity for the `monthly_sketches` table.

use sea_orm::entity::prelude::*;

/// The distinct non-bot visitors of one enrollment in one calendar month of the brand's
/// timezone, as a serialized HyperLogLog sketch (`domain::uniques::VisitorSketch`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "monthly_sketches")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub brand_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub month: Date,
    #[sea_orm(primary_key, auto_increment = false)]
    pub enrollment_id: i64,
    pub sketch: Vec<u8>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
