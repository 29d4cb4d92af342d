//! Entity for the `mail_outbox` table.

use sea_orm::entity::prelude::*;

/// One email: queued with the change that causes it, sent by the mail worker (`src/mail/`).
/// Bodies of mail with a secret link are cleared once it is sent or has failed for good.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// NULL for mail about an account rather than a brand (a password reset).
    pub brand_id: Option<i64>,
    /// `INVITE` | `PASSWORD_RESET` | `PAYOUT_PAID` | `COMMISSION_APPROVED`.
    pub kind: String,
    pub recipient: String,
    #[sea_orm(column_type = "Text")]
    pub subject: String,
    #[sea_orm(column_type = "Text")]
    pub text_body: String,
    #[sea_orm(column_type = "Text")]
    pub html_body: String,
    pub secret_link: bool,
    /// `PENDING` | `SENT` | `FAILED`.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub last_attempt_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
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
