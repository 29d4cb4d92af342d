//! Entity for the `refunds` table.

use sea_orm::entity::prelude::*;

/// A refund; `conversion_id` stays NULL until its order arrives.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refunds")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub conversion_id: Option<i64>,
    pub order_external_id: String,
    pub refund_external_id: String,
    pub amount_minor: i64,
    #[sea_orm(column_type = "Char(Some(3))")]
    pub currency_code: String,
    /// Set when applied, with the conversion's rate.
    pub brand_amount_minor: Option<i64>,
    pub occurred_at: DateTimeUtc,
    pub applied_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
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
        belongs_to = "super::conversion::Entity",
        from = "Column::ConversionId",
        to = "super::conversion::Column::Id",
        on_delete = "Cascade"
    )]
    Conversion,
}

impl Related<super::brand::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Brand.def()
    }
}

impl Related<super::conversion::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Conversion.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
