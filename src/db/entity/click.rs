//! Entity for the `clicks` table.

use sea_orm::entity::prelude::*;

/// A click on a tracking link. No raw IP or user agent is stored.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "clicks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub link_id: i64,
    /// Copied from the link.
    pub enrollment_id: Option<i64>,
    /// Unique per brand; returned to the landing page.
    pub click_id: String,
    pub occurred_at: DateTimeUtc,
    /// Hash identifying the visitor (no raw IP).
    pub visitor_key: String,
    #[sea_orm(column_type = "Text")]
    pub user_agent_class: Option<String>,
    pub referrer_host: Option<String>,
    pub country: Option<String>,
    pub is_bot: bool,
    /// `REDIRECT` | `API`.
    #[sea_orm(column_type = "Text")]
    pub source: String,
    pub external_id: Option<String>,
    /// The paid-ad click parameter the landing URL carried (`gclid`, `fbclid`, `ttclid`,
    /// `msclkid`): its name only.
    pub paid_click_param: Option<String>,
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
        belongs_to = "super::tracking_link::Entity",
        from = "Column::LinkId",
        to = "super::tracking_link::Column::Id",
        on_delete = "Cascade"
    )]
    TrackingLink,
    #[sea_orm(
        belongs_to = "super::enrollment::Entity",
        from = "Column::EnrollmentId",
        to = "super::enrollment::Column::Id",
        on_delete = "SetNull"
    )]
    Enrollment,
}

impl Related<super::brand::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Brand.def()
    }
}

impl Related<super::tracking_link::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::TrackingLink.def()
    }
}

impl Related<super::enrollment::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Enrollment.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
