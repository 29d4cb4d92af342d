//! Outbound webhooks: `webhook_endpoints` (where a brand wants events sent) and
//! `webhook_deliveries` (the durable outbox and the delivery log).
//!
//! Design decisions:
//! - `webhook_endpoints.secret` is the signing secret itself (`whsec_...`): signing needs it, so
//!   unlike API keys it cannot be kept as a digest. It is shown once, on creation, and never
//!   returned by the API afterwards; `secret_prefix` tells endpoints apart.
//! - `event_types` is a JSON array of event type names (`["CONVERSION_ATTRIBUTED"]`).
//! - An endpoint is disabled (`enabled = false`, `disabled_at`, `disabled_reason`) after a run
//!   of `consecutive_failures`; enabling it again resets the count.
//! - A delivery row is written in the same transaction as the change that causes it, one per
//!   matching enabled endpoint, so nothing is lost on a crash and nothing is sent for a
//!   rolled-back change. `payload` is the exact JSON body sent (the same bytes on every retry).
//! - The worker picks `status = 'PENDING' AND next_attempt_at <= now` (index
//!   `idx_webhook_deliveries_status_next_attempt_at`) and claims a row by moving its
//!   `next_attempt_at` forward (a lease) with a conditional UPDATE, so two server processes on
//!   one database never send a row at the same time.
//! - `last_error` is a short reason written by the server ("HTTP 500", "timeout"), never a
//!   response body or an internal error.
//! - Both tables cascade with their brand; deliveries cascade with their endpoint.
//! - A commission line is APPROVED when its hold ends, by time, not by a write; the worker
//!   announces it (`commission.approved`) once, marking `commissions.webhook_notified_at` in the
//!   transaction that writes the outbox rows (index `idx_commissions_webhook_notified_at_hold_until`
//!   finds the lines not yet announced whose hold has ended).

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index};
use crate::m20261124_000001_create_tenancy::Brands;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebhookEndpoints::Table)
                    .col(big_pk_auto(WebhookEndpoints::Id))
                    .col(big_integer(WebhookEndpoints::BrandId))
                    .col(text(WebhookEndpoints::Url))
                    .col(text_null(WebhookEndpoints::Description))
                    // JSON array of event type names.
                    .col(text(WebhookEndpoints::EventTypes))
                    .col(string(WebhookEndpoints::Secret))
                    .col(string(WebhookEndpoints::SecretPrefix))
                    .col(boolean(WebhookEndpoints::Enabled).default(true))
                    .col(timestamp_with_time_zone_null(WebhookEndpoints::DisabledAt))
                    .col(text_null(WebhookEndpoints::DisabledReason))
                    .col(integer(WebhookEndpoints::ConsecutiveFailures).default(0))
                    .col(timestamp_with_time_zone(WebhookEndpoints::CreatedAt))
                    .col(timestamp_with_time_zone(WebhookEndpoints::UpdatedAt))
                    .foreign_key(&mut fk(
                        WebhookEndpoints::Table,
                        WebhookEndpoints::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                WebhookEndpoints::Table,
                &[WebhookEndpoints::BrandId, WebhookEndpoints::Enabled],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(big_pk_auto(WebhookDeliveries::Id))
                    .col(big_integer(WebhookDeliveries::BrandId))
                    .col(big_integer(WebhookDeliveries::EndpointId))
                    // `evt_` + UUID; the same for every endpoint that receives the event.
                    .col(string(WebhookDeliveries::EventId))
                    .col(string(WebhookDeliveries::EventType))
                    .col(text(WebhookDeliveries::Payload))
                    // PENDING | DELIVERED | FAILED
                    .col(string(WebhookDeliveries::Status))
                    .col(integer(WebhookDeliveries::Attempts).default(0))
                    .col(timestamp_with_time_zone(WebhookDeliveries::NextAttemptAt))
                    .col(integer_null(WebhookDeliveries::LastStatusCode))
                    .col(text_null(WebhookDeliveries::LastError))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::LastAttemptAt,
                    ))
                    .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::DeliveredAt,
                    ))
                    .foreign_key(&mut fk(
                        WebhookDeliveries::Table,
                        WebhookDeliveries::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        WebhookDeliveries::Table,
                        WebhookDeliveries::EndpointId,
                        WebhookEndpoints::Table,
                        WebhookEndpoints::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        // The worker's "due" query.
        manager
            .create_index(index(
                WebhookDeliveries::Table,
                &[WebhookDeliveries::Status, WebhookDeliveries::NextAttemptAt],
            ))
            .await?;
        // The delivery log of an endpoint, newest first.
        manager
            .create_index(index(
                WebhookDeliveries::Table,
                &[WebhookDeliveries::EndpointId, WebhookDeliveries::Id],
            ))
            .await?;
        manager
            .create_index(index(
                WebhookDeliveries::Table,
                &[WebhookDeliveries::BrandId, WebhookDeliveries::Id],
            ))
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Commissions::Table)
                    .add_column(timestamp_with_time_zone_null(
                        Commissions::WebhookNotifiedAt,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                Commissions::Table,
                &[Commissions::WebhookNotifiedAt, Commissions::HoldUntil],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_commissions_webhook_notified_at_hold_until")
                    .table(Commissions::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Commissions::Table)
                    .drop_column(Commissions::WebhookNotifiedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(WebhookDeliveries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(WebhookEndpoints::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum WebhookEndpoints {
    Table,
    Id,
    BrandId,
    Url,
    Description,
    EventTypes,
    Secret,
    SecretPrefix,
    Enabled,
    DisabledAt,
    DisabledReason,
    ConsecutiveFailures,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum WebhookDeliveries {
    Table,
    Id,
    BrandId,
    EndpointId,
    EventId,
    EventType,
    Payload,
    Status,
    Attempts,
    NextAttemptAt,
    LastStatusCode,
    LastError,
    LastAttemptAt,
    CreatedAt,
    DeliveredAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Commissions {
    Table,
    HoldUntil,
    WebhookNotifiedAt,
}
