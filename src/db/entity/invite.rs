//! Entity for the `invites` table.

use sea_orm::entity::prelude::*;

/// An invitation to join a brand as staff or, with `creator_id`, as that creator's account.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invites")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub email: String,
    /// `ADMIN` | `MANAGER` | `ANALYST` | `CREATOR`.
    #[sea_orm(column_type = "Text")]
    pub role: String,
    pub creator_id: Option<i64>,
    /// SHA-256 hex of the invite token (only a hash, so `Debug` is safe).
    pub token_hash: String,
    pub invited_by_user_id: Option<i64>,
    pub expires_at: DateTimeUtc,
    pub accepted_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
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
        belongs_to = "super::creator::Entity",
        from = "Column::CreatorId",
        to = "super::creator::Column::Id",
        on_delete = "Cascade"
    )]
    Creator,
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::InvitedByUserId",
        to = "super::user::Column::Id",
        on_delete = "SetNull"
    )]
    InvitedBy,
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

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::InvitedBy.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
