//! Entity for the `discount_codes` table.

use sea_orm::entity::prelude::*;

/// A discount code of an enrollment, unique per brand, stored upper-case.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "discount_codes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub enrollment_id: i64,
    pub code: String,
    /// Decimal string, percent (else `amount_off_minor`).
    #[sea_orm(column_type = "Text")]
    pub percent_off: Option<String>,
    pub amount_off_minor: Option<i64>,
    #[sea_orm(column_type = "Char(Some(3))")]
    pub currency_code: String,
    /// Set while the code is deactivated: ingestion no longer matches orders to it.
    pub archived_at: Option<DateTimeUtc>,
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
        belongs_to = "super::enrollment::Entity",
        from = "Column::EnrollmentId",
        to = "super::enrollment::Column::Id",
        on_delete = "Cascade"
    )]
    Enrollment,
}

impl Related<super::brand::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Brand.def()
    }
}

impl Related<super::enrollment::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Enrollment.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
