//! Entity for the `users` table.

use sea_orm::entity::prelude::*;

/// A login: brand staff (`brand_id` set) or a CREATOR account (`brand_id` NULL, linked to
/// creator records through `creator.user_id`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Unique, stored lowercased.
    pub email: String,
    /// argon2id PHC string. Only a hash, so deriving `Debug` leaks no secret.
    pub password_hash: String,
    /// `ADMIN` | `MANAGER` | `ANALYST` | `CREATOR`.
    #[sea_orm(column_type = "Text")]
    pub role: String,
    pub brand_id: Option<i64>,
    pub last_login_at: Option<DateTimeUtc>,
    /// Set while the account is deactivated: it cannot sign in and its tokens are refused.
    pub deactivated_at: Option<DateTimeUtc>,
    /// A creator account's choice to get the "commission approved" mail (default on).
    pub commission_approved_emails: bool,
    /// When the account was erased with its creator record: it cannot sign in again.
    pub erased_at: Option<DateTimeUtc>,
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
    #[sea_orm(has_many = "super::creator::Entity")]
    Creator,
    #[sea_orm(has_many = "super::refresh_token::Entity")]
    RefreshToken,
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

impl Related<super::refresh_token::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::RefreshToken.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
