//! Entity for the `creators` table.

use sea_orm::entity::prelude::*;

/// A brand's partner record for one creator.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "creators")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    /// The linked CREATOR account, if any.
    pub user_id: Option<i64>,
    pub display_name: String,
    /// Stored lowercased; unique per brand.
    pub email: Option<String>,
    /// SHA-256 hex of the normalized email, for self-referral checks.
    pub email_hash: Option<String>,
    pub country: Option<String>,
    /// JSON array of strings.
    #[sea_orm(column_type = "Text")]
    pub niches: String,
    /// `PROSPECT` | `CONTACTED` | `NEGOTIATING` | `ACTIVE` | `PAUSED` | `ENDED` | `AMBASSADOR`.
    #[sea_orm(column_type = "Text")]
    pub stage: String,
    /// `PENDING` | `APPROVED` | `REJECTED`.
    #[sea_orm(column_type = "Text")]
    pub vetting_status: String,
    /// 0..100.
    pub brand_safety_score: Option<i32>,
    #[sea_orm(column_type = "Text")]
    pub vetting_notes: Option<String>,
    /// Followers of the largest channel (denormalized).
    pub followers: i64,
    /// Platform of the largest channel (denormalized).
    #[sea_orm(column_type = "Text")]
    pub primary_platform: Option<String>,
    /// When its personal data was erased (`eraseCreator`); the record stays for the ledger.
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
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id",
        on_delete = "SetNull"
    )]
    User,
    #[sea_orm(has_many = "super::channel::Entity")]
    Channel,
    #[sea_orm(has_many = "super::enrollment::Entity")]
    Enrollment,
}

impl Related<super::brand::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Brand.def()
    }
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::channel::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Channel.def()
    }
}

impl Related<super::enrollment::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Enrollment.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
