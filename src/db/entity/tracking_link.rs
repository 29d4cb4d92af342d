//! Entity for the `tracking_links` table.

use sea_orm::entity::prelude::*;

/// A short link (`/r/{code}`, code unique across brands) of an enrollment.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tracking_links")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub enrollment_id: i64,
    pub code: String,
    #[sea_orm(column_type = "Text")]
    pub destination_url: String,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub utm_content: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub deep_link: Option<String>,
    pub archived_at: Option<DateTimeUtc>,
    /// Set while the link is PAUSED: its redirect answers a "paused" page and records no click.
    pub paused_at: Option<DateTimeUtc>,
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
    #[sea_orm(has_many = "super::click::Entity")]
    Click,
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

impl Related<super::click::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Click.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
