//! Entity for the `channels` table.

use sea_orm::entity::prelude::*;

/// One of a creator's channels (a social account, podcast, blog...).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "channels")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub creator_id: i64,
    /// `TIKTOK` | `INSTAGRAM` | `YOUTUBE` | `TWITCH` | `PODCAST` | `BLOG` | `X` | `OTHER`.
    #[sea_orm(column_type = "Text")]
    pub platform: String,
    pub handle: String,
    #[sea_orm(column_type = "Text")]
    pub url: Option<String>,
    pub followers: i64,
    pub avg_views: Option<i64>,
    /// Decimal string, percent.
    #[sea_orm(column_type = "Text")]
    pub engagement_rate: Option<String>,
    /// JSON array of country codes.
    #[sea_orm(column_type = "Text")]
    pub audience_countries: String,
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
        belongs_to = "super::creator::Entity",
        from = "Column::CreatorId",
        to = "super::creator::Column::Id",
        on_delete = "Cascade"
    )]
    Creator,
}

impl Related<super::brand::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Brand.def()
    }
}

impl Related<super::creator::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Creator.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
