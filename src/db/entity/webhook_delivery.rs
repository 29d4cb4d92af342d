//! Entity for the `webhook_deliveries` table: the outbox and the delivery log.

use sea_orm::entity::prelude::*;

/// One event for one endpoint: PENDING until a 2xx answer (DELIVERED) or the last attempt
/// (FAILED). `payload` is the exact body sent.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub endpoint_id: i64,
    pub event_id: String,
    /// Event type name, e.g. `CONVERSION_ATTRIBUTED`.
    pub event_type: String,
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// PENDING | DELIVERED | FAILED
    pub status: String,
    pub attempts: i32,
    /// When the worker may take the row next (also its lease while an attempt runs).
    pub next_attempt_at: DateTimeUtc,
    pub last_status_code: Option<i32>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub last_attempt_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub delivered_at: Option<DateTimeUtc>,
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
        belongs_to = "super::webhook_endpoint::Entity",
        from = "Column::EndpointId",
        to = "super::webhook_endpoint::Column::Id",
        on_delete = "Cascade"
    )]
    Endpoint,
}

impl Related<super::brand::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Brand.def()
    }
}

impl Related<super::webhook_endpoint::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Endpoint.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
