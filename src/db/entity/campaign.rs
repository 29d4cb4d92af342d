//! Entity for the `campaigns` table.

use sea_orm::entity::prelude::*;

/// A campaign with its brief, budget and targets.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaigns")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub name: String,
    /// `SALES` | `LEADS` | `TRAFFIC` | `AWARENESS`.
    #[sea_orm(column_type = "Text")]
    pub objective: String,
    /// `ALWAYS_ON` | `FLIGHT` (then `starts_at <= t < ends_at`).
    #[sea_orm(column_type = "Text")]
    pub schedule: String,
    /// `DRAFT` | `ACTIVE` | `PAUSED` | `COMPLETED` | `ARCHIVED`.
    #[sea_orm(column_type = "Text")]
    pub status: String,
    pub starts_at: Option<DateTimeUtc>,
    pub ends_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Char(Some(3))")]
    pub currency_code: String,
    pub budget_minor: Option<i64>,
    pub target_cpa_minor: Option<i64>,
    /// Decimal string.
    #[sea_orm(column_type = "Text")]
    pub target_roas: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub brief_summary: Option<String>,
    /// JSON array of strings.
    #[sea_orm(column_type = "Text")]
    pub brief_key_messages: String,
    #[sea_orm(column_type = "Text")]
    pub brief_guardrails: Option<String>,
    /// JSON array of strings.
    #[sea_orm(column_type = "Text")]
    pub brief_dos: String,
    /// JSON array of strings.
    #[sea_orm(column_type = "Text")]
    pub brief_donts: String,
    pub disclosure_required: bool,
    pub usage_rights_days: Option<i32>,
    /// PAID_TRAFFIC: clicks from paid search / social ads are flagged.
    pub forbids_paid_search: bool,
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
    #[sea_orm(has_many = "super::offer::Entity")]
    Offer,
    #[sea_orm(has_many = "super::enrollment::Entity")]
    Enrollment,
    #[sea_orm(has_many = "super::cost::Entity")]
    Cost,
    #[sea_orm(has_many = "super::experiment::Entity")]
    Experiment,
}

impl Related<super::brand::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Brand.def()
    }
}

impl Related<super::offer::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Offer.def()
    }
}

impl Related<super::enrollment::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Enrollment.def()
    }
}

impl Related<super::cost::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Cost.def()
    }
}

impl Related<super::experiment::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Experiment.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
