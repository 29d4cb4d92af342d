//! Entity for the `commissions` table.

use sea_orm::entity::prelude::*;

/// An append-only ledger line: amounts never change, only the workflow columns.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "commissions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub enrollment_id: i64,
    pub creator_id: i64,
    pub campaign_id: i64,
    /// NULL for fees, bonuses and adjustments.
    pub conversion_id: Option<i64>,
    pub payout_id: Option<i64>,
    /// `CPA` | `CPL` | `CPC` | `REVENUE_SHARE` | `FLAT_FEE` | `BONUS` | `ADJUSTMENT` | `REVERSAL`.
    #[sea_orm(column_type = "Text")]
    pub kind: String,
    /// Negative for reversals.
    pub amount_minor: i64,
    #[sea_orm(column_type = "Char(Some(3))")]
    pub currency_code: String,
    /// The time the line is reported under.
    pub occurred_at: DateTimeUtc,
    pub hold_until: DateTimeUtc,
    /// `PENDING` | `APPROVED` | `PAID` | `REVERSED`.
    #[sea_orm(column_type = "Text")]
    pub status: String,
    #[sea_orm(column_type = "Text")]
    pub reason: Option<String>,
    /// Decimal string: the percent of a REVENUE_SHARE line (and of its reversals).
    #[sea_orm(column_type = "Text")]
    pub rate_percent: Option<String>,
    /// For REVERSAL lines: the kind reversed.
    #[sea_orm(column_type = "Text")]
    pub reverses: Option<String>,
    pub created_by_user_id: Option<i64>,
    pub paid_at: Option<DateTimeUtc>,
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
        belongs_to = "super::enrollment::Entity",
        from = "Column::EnrollmentId",
        to = "super::enrollment::Column::Id",
        on_delete = "Restrict"
    )]
    Enrollment,
    #[sea_orm(
        belongs_to = "super::creator::Entity",
        from = "Column::CreatorId",
        to = "super::creator::Column::Id",
        on_delete = "Restrict"
    )]
    Creator,
    #[sea_orm(
        belongs_to = "super::campaign::Entity",
        from = "Column::CampaignId",
        to = "super::campaign::Column::Id",
        on_delete = "Restrict"
    )]
    Campaign,
    #[sea_orm(
        belongs_to = "super::conversion::Entity",
        from = "Column::ConversionId",
        to = "super::conversion::Column::Id",
        on_delete = "Restrict"
    )]
    Conversion,
    #[sea_orm(
        belongs_to = "super::payout::Entity",
        from = "Column::PayoutId",
        to = "super::payout::Column::Id",
        on_delete = "SetNull"
    )]
    Payout,
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::CreatedByUserId",
        to = "super::user::Column::Id",
        on_delete = "SetNull"
    )]
    CreatedBy,
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

impl Related<super::creator::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Creator.def()
    }
}

impl Related<super::campaign::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Campaign.def()
    }
}

impl Related<super::conversion::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Conversion.def()
    }
}

impl Related<super::payout::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Payout.def()
    }
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CreatedBy.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
