//! Entity for the `costs` table.

use sea_orm::entity::prelude::*;

/// Other spend on a campaign, optionally for one creator.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "costs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub campaign_id: i64,
    pub creator_id: Option<i64>,
    /// `PRODUCT_SEEDING` | `GIFTING` | `PAID_AMPLIFICATION` | `AGENCY` | `OTHER`.
    #[sea_orm(column_type = "Text")]
    pub kind: String,
    pub amount_minor: i64,
    #[sea_orm(column_type = "Char(Some(3))")]
    pub currency_code: String,
    /// `amount_minor` converted to the brand currency when recorded.
    pub brand_amount_minor: i64,
    pub incurred_at: DateTimeUtc,
    #[sea_orm(column_type = "Text")]
    pub note: Option<String>,
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
        belongs_to = "super::campaign::Entity",
        from = "Column::CampaignId",
        to = "super::campaign::Column::Id",
        on_delete = "Cascade"
    )]
    Campaign,
    #[sea_orm(
        belongs_to = "super::creator::Entity",
        from = "Column::CreatorId",
        to = "super::creator::Column::Id",
        on_delete = "SetNull"
    )]
    Creator,
}

impl Related<super::brand::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Brand.def()
    }
}

impl Related<super::campaign::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Campaign.def()
    }
}

impl Related<super::creator::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Creator.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
