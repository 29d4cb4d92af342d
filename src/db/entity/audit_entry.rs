//! Entity for the `audit_log` table (append-only; see the migration for its triggers).

use sea_orm::entity::prelude::*;

/// One successful mutation by staff or an API key, on one target (DOMAIN rule 9).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    /// `USER` | `API_KEY`.
    pub actor_kind: String,
    pub actor_id: i64,
    /// The actor's role when it acted (`ADMIN`, `MANAGER`, `ANALYST`, `INTEGRATOR`).
    pub actor_role: String,
    /// The mutation's GraphQL field name.
    pub operation: String,
    /// The target's `Node` type name.
    pub target_type: String,
    pub target_id: i64,
    /// JSON: `{ "field": { "old": v, "new": v } }`, or `{ "withheld": true }` for a personal value.
    #[sea_orm(column_type = "Text")]
    pub changes: String,
    pub request_id: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
