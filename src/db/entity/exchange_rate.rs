//! Entity for the `exchange_rates` table.

use sea_orm::entity::prelude::*;

/// A brand's rate for one currency and calendar date (brand timezone).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "exchange_rates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    #[sea_orm(column_type = "Char(Some(3))")]
    pub currency_code: String,
    pub rate_date: Date,
    /// Decimal string: 1 unit of `currency_code` = `rate` units of the brand currency.
    #[sea_orm(column_type = "Text")]
    pub rate: String,
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
}

impl Related<super::brand::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Brand.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
