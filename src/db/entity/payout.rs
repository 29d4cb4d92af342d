//! Entity for the `payouts` table.

use sea_orm::entity::prelude::*;

/// A payment to a creator gathering approved commission lines up to `period_end`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payouts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub creator_id: i64,
    pub period_end: DateTimeUtc,
    pub amount_minor: i64,
    #[sea_orm(column_type = "Char(Some(3))")]
    pub currency_code: String,
    pub commission_count: i32,
    /// `PENDING` | `PAID` | `FAILED` | `CANCELED`.
    #[sea_orm(column_type = "Text")]
    pub status: String,
    pub reference: Option<String>,
    pub paid_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text")]
    pub failure_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::brand::Entity",
        from = "Column::BrandId",
        to = "super::brand::Column::Id",
        on_delete = "Cascade"
    )]
    Brand,
    #[sea_orm(
        belongs_to = "super::creator::Entity",
        from = "Column::CreatorId",
        to = "super::creator::Column::Id",
        on_delete = "Restrict"
    )]
    Creator,
    #[sea_orm(has_many = "super::commission::Entity")]
    Commission,
}

impl Related<super::brand::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Brand.def()
    }
}

impl Related<super::creator::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Creator.def()
    }
}

impl Related<super::commission::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Commission.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
