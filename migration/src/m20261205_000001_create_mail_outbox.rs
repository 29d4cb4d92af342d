//! Email: `mail_outbox` (the durable outbox and the sent-mail log), `password_resets`
//! (single-use reset tokens), a creator account's mail preference on `users`, and the marker of
//! commission lines already announced by mail.
//!
//! Design decisions:
//! - A mail row is written in the same transaction as the change that causes it (an invite, a
//!   reset request, a payout marked paid), so nothing is sent for a rolled-back change and
//!   nothing is lost on a crash. The worker (`src/mail/`) sends it later, with retries.
//! - The worker picks `status = 'PENDING' AND next_attempt_at <= now` (index
//!   `idx_mail_outbox_status_next_attempt_at`) and claims a row by moving `next_attempt_at`
//!   forward (a lease) with a conditional UPDATE, like `webhook_deliveries`: two server
//!   processes on one database never send a row at the same time.
//! - `brand_id` is NULL for mail to a creator account about the account itself (a password
//!   reset); otherwise the brand the mail is about. Rows cascade with their brand.
//! - Mail that carries a secret link (`secret_link = true`: invites, password resets) has its
//!   bodies cleared once it is sent or has failed for good: the token is then stored nowhere
//!   in clear text.
//! - `password_resets.token_hash` is the SHA-256 of the token (the token carries 256 random
//!   bits); a row is used once (`used_at`) and expires one hour after the request.
//! - `users.commission_approved_emails`: a creator account's opt-out of the "commission
//!   approved" mail (default on).
//! - `commissions.mail_notified_at`: lines whose approval was announced by mail (or that never
//!   will be). Lines that exist when this migration runs are marked, so an upgrade does not mail
//!   creators about their whole history.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{add_column, drop_column, fk, index, unique_index};
use crate::m20261124_000001_create_tenancy::{Brands, Users};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MailOutbox::Table)
                    .col(big_pk_auto(MailOutbox::Id))
                    .col(big_integer_null(MailOutbox::BrandId))
                    // INVITE | PASSWORD_RESET | PAYOUT_PAID | COMMISSION_APPROVED
                    .col(string(MailOutbox::Kind))
                    .col(string(MailOutbox::Recipient))
                    .col(text(MailOutbox::Subject))
                    .col(text(MailOutbox::TextBody))
                    .col(text(MailOutbox::HtmlBody))
                    .col(boolean(MailOutbox::SecretLink).default(false))
                    // PENDING | SENT | FAILED
                    .col(string(MailOutbox::Status))
                    .col(integer(MailOutbox::Attempts).default(0))
                    .col(timestamp_with_time_zone(MailOutbox::NextAttemptAt))
                    .col(text_null(MailOutbox::LastError))
                    .col(timestamp_with_time_zone_null(MailOutbox::LastAttemptAt))
                    .col(timestamp_with_time_zone(MailOutbox::CreatedAt))
                    .col(timestamp_with_time_zone_null(MailOutbox::SentAt))
                    .foreign_key(&mut fk(
                        MailOutbox::Table,
                        MailOutbox::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                MailOutbox::Table,
                &[MailOutbox::Status, MailOutbox::NextAttemptAt],
            ))
            .await?;
        manager
            .create_index(index(
                MailOutbox::Table,
                &[MailOutbox::BrandId, MailOutbox::Id],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PasswordResets::Table)
                    .col(big_pk_auto(PasswordResets::Id))
                    .col(big_integer(PasswordResets::UserId))
                    .col(string(PasswordResets::TokenHash))
                    .col(timestamp_with_time_zone(PasswordResets::ExpiresAt))
                    .col(timestamp_with_time_zone_null(PasswordResets::UsedAt))
                    .col(timestamp_with_time_zone(PasswordResets::CreatedAt))
                    .foreign_key(&mut fk(
                        PasswordResets::Table,
                        PasswordResets::UserId,
                        Users::Table,
                        Users::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                PasswordResets::Table,
                &[PasswordResets::TokenHash],
            ))
            .await?;
        manager
            .create_index(index(PasswordResets::Table, &[PasswordResets::UserId]))
            .await?;
        add_column(
            manager,
            Users::Table,
            boolean(UserPrefs::CommissionApprovedEmails)
                .default(true)
                .take(),
        )
        .await?;
        add_column(
            manager,
            Commissions::Table,
            timestamp_with_time_zone_null(Commissions::MailNotifiedAt),
        )
        .await?;
        let mark_existing = Query::update()
            .table(Commissions::Table)
            .value(
                Commissions::MailNotifiedAt,
                Expr::col(Commissions::CreatedAt),
            )
            .to_owned();
        manager.exec_stmt(mark_existing).await?;
        manager
            .create_index(index(
                Commissions::Table,
                &[Commissions::MailNotifiedAt, Commissions::HoldUntil],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_commissions_mail_notified_at_hold_until")
                    .table(Commissions::Table)
                    .to_owned(),
            )
            .await?;
        drop_column(manager, Commissions::Table, Commissions::MailNotifiedAt).await?;
        drop_column(manager, Users::Table, UserPrefs::CommissionApprovedEmails).await?;
        manager
            .drop_table(Table::drop().table(PasswordResets::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(MailOutbox::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum MailOutbox {
    Table,
    Id,
    BrandId,
    Kind,
    Recipient,
    Subject,
    TextBody,
    HtmlBody,
    SecretLink,
    Status,
    Attempts,
    NextAttemptAt,
    LastError,
    LastAttemptAt,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum PasswordResets {
    Table,
    Id,
    UserId,
    TokenHash,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum UserPrefs {
    CommissionApprovedEmails,
}

#[derive(DeriveIden, Clone, Copy)]
enum Commissions {
    Table,
    CreatedAt,
    HoldUntil,
    MailNotifiedAt,
}
