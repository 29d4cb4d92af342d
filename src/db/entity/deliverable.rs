//! Entity for the `deliverables` table.

use sea_orm::entity::prelude::*;

/// A piece of content an enrollment owes, and its published results.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deliverables")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub enrollment_id: i64,
    #[sea_orm(column_type = "Text")]
    pub platform: String,
    /// `POST` | `STORY` | `SHORT_VIDEO` | `VIDEO` | `LIVE` | `PODCAST_READ`.
    #[sea_orm(column_type = "Text")]
    pub format: String,
    pub due_at: Option<DateTimeUtc>,
    /// `PLANNED` | `SUBMITTED` | `APPROVED` | `PUBLISHED`.
    #[sea_orm(column_type = "Text")]
    pub status: String,
    #[sea_orm(column_type = "Text")]
    pub post_url: Option<String>,
    pub published_at: Option<DateTimeUtc>,
    pub disclosure_confirmed: bool,
    pub usage_rights_until: Option<DateTimeUtc>,
    pub whitelisting_code: Option<String>,
    pub impressions: i64,
    pub views: i64,
    pub engagements: i64,
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
