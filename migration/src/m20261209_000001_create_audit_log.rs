//! The audit log (issue #23, DOMAIN rule 9): one append-only row per successful mutation by
//! staff or an API key, written in the mutation's own transaction.
//!
//! Design decisions:
//! - `actor_kind` USER | API_KEY with `actor_id`, and `actor_role` as it was at the time (a role
//!   changes later; the entry keeps what the actor was allowed then). No foreign keys to users,
//!   keys or targets: an entry outlives what it names, and must not cascade away with it.
//! - `operation` is the GraphQL mutation's field name (`updateCampaign`); `target_type` the
//!   `Node` type name and `target_id` its database id (the API shows the global ID).
//! - `changes` is a JSON object `{ "field": { "old": v, "new": v } }` (camelCase field names).
//!   Secret and hash columns never reach it; personal values are withheld (`"withheld": true`).
//! - Append-only on both backends: a trigger refuses every UPDATE, and a DELETE of an entry
//!   younger than a year (rule 9). The brand foreign key has no cascade for the same reason.
//! - Indexes serve the filters newest first: `(brand_id, id)`, `(brand_id, target_type,
//!   target_id, id)`, `(brand_id, operation, id)`, `(brand_id, actor_kind, actor_id, id)`; a
//!   time range is an id range found through `(brand_id, created_at)`.

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
                    .table(AuditLog::Table)
                    .col(big_pk_auto(AuditLog::Id))
                    .col(big_integer(AuditLog::BrandId))
                    // USER | API_KEY
                    .col(string(AuditLog::ActorKind))
                    .col(big_integer(AuditLog::ActorId))
                    .col(string(AuditLog::ActorRole))
                    .col(string(AuditLog::Operation))
                    .col(string(AuditLog::TargetType))
                    .col(big_integer(AuditLog::TargetId))
                    .col(text(AuditLog::Changes).default("{}"))
                    .col(string(AuditLog::RequestId))
                    .col(timestamp_with_time_zone(AuditLog::CreatedAt))
                    .foreign_key(&mut fk(
                        AuditLog::Table,
                        AuditLog::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::NoAction,
                    ))
                    .to_owned(),
            )
            .await?;
        for columns in [
            &[AuditLog::BrandId, AuditLog::Id][..],
            &[
                AuditLog::BrandId,
                AuditLog::TargetType,
                AuditLog::TargetId,
                AuditLog::Id,
            ],
            &[AuditLog::BrandId, AuditLog::Operation, AuditLog::Id],
            &[
                AuditLog::BrandId,
                AuditLog::ActorKind,
                AuditLog::ActorId,
                AuditLog::Id,
            ],
            &[AuditLog::BrandId, AuditLog::CreatedAt],
        ] {
            manager
                .create_index(index(AuditLog::Table, columns))
                .await?;
        }
        let db = manager.get_connection();
        match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$ BEGIN \
                     IF TG_OP = 'UPDATE' OR OLD.created_at > now() - interval '1 year' THEN \
                     RAISE EXCEPTION 'audit entries are append-only and kept a year'; END IF; \
                     RETURN OLD; END $$ LANGUAGE plpgsql",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log \
                     FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
                )
                .await?;
            }
            _ => {
                db.execute_unprepared(
                    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log \
                     BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END",
                )
                .await?;
                // Stored times are RFC 3339 text; `julianday` reads them whatever their offset.
                db.execute_unprepared(
                    "CREATE TRIGGER audit_log_kept_a_year BEFORE DELETE ON audit_log \
                     WHEN julianday(OLD.created_at) > julianday('now', '-1 year') \
                     BEGIN SELECT RAISE(ABORT, 'audit entries are kept a year'); END",
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            db.execute_unprepared("DROP TRIGGER audit_log_append_only ON audit_log")
                .await?;
            db.execute_unprepared("DROP FUNCTION audit_log_append_only()")
                .await?;
        }
        manager
            .drop_table(Table::drop().table(AuditLog::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum AuditLog {
    Table,
    Id,
    BrandId,
    ActorKind,
    ActorId,
    ActorRole,
    Operation,
    TargetType,
    TargetId,
    Changes,
    RequestId,
    CreatedAt,
}
