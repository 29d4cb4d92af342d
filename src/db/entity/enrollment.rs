//! Entity for the `enrollments` table.

use sea_orm::entity::prelude::*;

/// A creator in a campaign under an offer; amount columns override the offer's when set.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "enrollments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub campaign_id: i64,
    pub creator_id: i64,
    pub offer_id: i64,
    /// `INVITED` | `ACTIVE` | `PAUSED` | `REMOVED`.
    #[sea_orm(column_type = "Text")]
    pub status: String,
    pub cpa_amount_minor: Option<i64>,
    pub cpl_amount_minor: Option<i64>,
    pub cpc_amount_minor: Option<i64>,
    /// Decimal string, percent.
    #[sea_orm(column_type = "Text")]
    pub revenue_share_percent: Option<String>,
    pub flat_fee_minor: Option<i64>,
    pub activated_at: Option<DateTimeUtc>,
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
        on_delete = "Cascade"
    )]
    Creator,
    #[sea_orm(
        belongs_to = "super::offer::Entity",
        from = "Column::OfferId",
        to = "super::offer::Column::Id",
        on_delete = "Restrict"
    )]
    Offer,
    #[sea_orm(has_many = "super::tracking_link::Entity")]
    TrackingLink,
    #[sea_orm(has_many = "super::discount_code::Entity")]
    DiscountCode,
    #[sea_orm(has_many = "super::deliverable::Entity")]
    Deliverable,
    #[sea_orm(has_many = "super::commission::Entity")]
    Commission,
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

impl Related<super::offer::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Offer.def()
    }
}

impl Related<super::tracking_link::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::TrackingLink.def()
    }
}

impl Related<super::discount_code::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::DiscountCode.def()
    }
}

impl Related<super::deliverable::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Deliverable.def()
    }
}

impl Related<super::commission::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Commission.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
