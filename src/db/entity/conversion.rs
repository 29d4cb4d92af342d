//! Entity for the `conversions` table.

use sea_orm::entity::prelude::*;

/// A sale or lead, unique per brand by `external_id`, with its attribution.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub external_id: String,
    /// `SALE` | `LEAD`.
    #[sea_orm(column_type = "Text")]
    pub kind: String,
    pub occurred_at: DateTimeUtc,
    pub amount_minor: i64,
    #[sea_orm(column_type = "Char(Some(3))")]
    pub currency_code: String,
    /// `amount_minor` in the brand currency.
    pub brand_amount_minor: i64,
    /// Decimal string used for `brand_amount_minor`; NULL when none was needed.
    #[sea_orm(column_type = "Text")]
    pub exchange_rate: Option<String>,
    pub customer_key: Option<String>,
    pub customer_email_hash: Option<String>,
    pub new_customer: bool,
    /// `new_customer` was computed, not given: recomputed when an earlier order arrives late.
    pub new_customer_derived: bool,
    pub click_id: Option<String>,
    pub discount_code: Option<String>,
    pub region: Option<String>,
    /// `CLICK` | `CODE` | `NONE`.
    #[sea_orm(column_type = "Text")]
    pub attribution_method: String,
    pub enrollment_id: Option<i64>,
    /// Denormalized from the enrollment.
    pub campaign_id: Option<i64>,
    /// Denormalized from the enrollment.
    pub creator_id: Option<i64>,
    /// Denormalized from the enrollment.
    pub offer_id: Option<i64>,
    pub self_referral: bool,
    /// The fraud rule whose flag staff REJECTED (the attribution is then NONE).
    pub rejected_rule: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub status: String,
    pub refunded_minor: i64,
    pub refunded_brand_minor: i64,
    /// Per-brand change-feed position, bumped on every create or change.
    pub change_seq: i64,
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
        on_delete = "SetNull"
    )]
    Enrollment,
    #[sea_orm(
        belongs_to = "super::campaign::Entity",
        from = "Column::CampaignId",
        to = "super::campaign::Column::Id",
        on_delete = "SetNull"
    )]
    Campaign,
    #[sea_orm(
        belongs_to = "super::creator::Entity",
        from = "Column::CreatorId",
        to = "super::creator::Column::Id",
        on_delete = "SetNull"
    )]
    Creator,
    #[sea_orm(
        belongs_to = "super::offer::Entity",
        from = "Column::OfferId",
        to = "super::offer::Column::Id",
        on_delete = "SetNull"
    )]
    Offer,
    #[sea_orm(has_many = "super::refund::Entity")]
    Refund,
    #[sea_orm(has_many = "super::commission::Entity")]
    Commission,
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

impl Related<super::refund::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Refund.def()
    }
}

impl Related<super::commission::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Commission.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
