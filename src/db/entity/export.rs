//! Entity for the `exports` table.

use sea_orm::entity::prelude::*;

/// A bulk export (issue #22): what was asked, by whom, and where its file is. `brand_id` is
/// NULL for a creator's commissions export (it spans brands); `scope_creator_ids` (a JSON array)
/// then holds the creator records it covers.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "exports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: Option<i64>,
    pub requested_by_user_id: Option<i64>,
    pub requested_by_api_key_id: Option<i64>,
    /// ADMIN | MANAGER | ANALYST | CREATOR | INTEGRATOR
    pub requester_role: String,
    /// JSON array of creator ids (creator exports).
    #[sea_orm(column_type = "Text")]
    pub scope_creator_ids: String,
    /// CONVERSIONS | CLICKS | COMMISSIONS | CREATORS | PERFORMANCE
    pub kind: String,
    /// CSV | JSONL
    pub format: String,
    /// The validated filter, as JSON.
    #[sea_orm(column_type = "Text")]
    pub filter: String,
    /// QUEUED | RUNNING | COMPLETED | FAILED | EXPIRED
    pub status: String,
    pub row_count: i64,
    #[sea_orm(column_type = "Text", nullable)]
    pub file_name: Option<String>,
    pub file_size: Option<i64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    pub attempts: i32,
    pub lease_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    pub expires_at: Option<DateTimeUtc>,
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
}

impl Related<super::brand::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Brand.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
