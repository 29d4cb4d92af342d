//! Entity for the `fraud_flags` table.

use sea_orm::entity::prelude::*;

/// A conversion held for review by the fraud rules (DOMAIN rule 8), one per conversion.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "fraud_flags")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub conversion_id: i64,
    /// The first rule that matched.
    pub rule: String,
    /// JSON: every rule that matched and what it saw (no raw emails).
    #[sea_orm(column_type = "Text")]
    pub evidence: String,
    /// `OPEN` | `APPROVED` | `REJECTED`.
    pub status: String,
    pub resolved_by_user_id: Option<i64>,
    pub resolved_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
