//! Entity for the `offers` table.

use sea_orm::entity::prelude::*;

/// How a campaign pays: model and amounts (NULL when the model does not use them).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "offers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub campaign_id: i64,
    pub name: String,
    /// `CPA` | `CPL` | `CPC` | `REVENUE_SHARE` | `FLAT_FEE` | `HYBRID`.
    #[sea_orm(column_type = "Text")]
    pub model: String,
    #[sea_orm(column_type = "Char(Some(3))")]
    pub currency_code: String,
    pub cpa_amount_minor: Option<i64>,
    pub cpl_amount_minor: Option<i64>,
    pub cpc_amount_minor: Option<i64>,
    /// Decimal string, percent.
    #[sea_orm(column_type = "Text")]
    pub revenue_share_percent: Option<String>,
    pub flat_fee_minor: Option<i64>,
    pub new_customers_only: bool,
    /// Overrides the brand's hold period when set.
    pub hold_period_days: Option<i32>,
    /// Cap on commissions per enrollment and calendar month.
    pub monthly_cap_minor: Option<i64>,
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
    #[sea_orm(has_many = "super::offer_tier::Entity")]
    OfferTier,
    #[sea_orm(has_many = "super::enrollment::Entity")]
    Enrollment,
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

impl Related<super::offer_tier::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OfferTier.def()
    }
}

impl Related<super::enrollment::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Enrollment.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
