//! Outgoing mail: the outbox rows written with the change that causes them ([`enqueue`]), the
//! links they carry ([`Links`]), and the "commission approved" announcements
//! ([`approvals`]). The worker that sends them is `crate::mail`.

pub mod approvals;

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};

use crate::db::entity::mail_message;
use crate::domain::mail::{MailKind, MailStatus, Rendered};
use crate::domain::money::{Currency, Money};
use crate::error::AppError;

/// Where the links in mail point: the front end (`PARTNERGRAPH_APP_URL`).
#[derive(Clone, Debug)]
pub struct Links {
    /// Without a trailing slash.
    pub app_url: String,
}

impl Links {
    pub fn new(app_url: impl Into<String>) -> Self {
        Self {
            app_url: app_url.into(),
        }
    }

    /// The page that accepts an invite (it calls `acceptInvite` with the token).
    pub fn accept_invite(&self, token: &str) -> String {
        format!("{}/accept-invite?token={token}", self.app_url)
    }

    /// The page that sets a new password (it calls `resetPassword` with the token).
    pub fn reset_password(&self, token: &str) -> String {
        format!("{}/reset-password?token={token}", self.app_url)
    }

    /// The creator's notification settings page (where `updateNotificationSettings` is sent).
    pub fn notification_settings(&self) -> String {
        format!("{}/settings/notifications", self.app_url)
    }
}

/// A time in mail: `2026-12-05 14:03 UTC`.
pub fn display_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// An amount in mail: `USD 12.50`.
pub fn display_money(minor: i64, currency_code: &str) -> Result<String, AppError> {
    let currency = Currency::parse(currency_code).map_err(AppError::internal)?;
    Ok(format!(
        "{} {}",
        currency.code(),
        Money::new(minor, currency).to_decimal()
    ))
}

/// Queues `message` to `recipient` on `db` (the transaction of the change that causes it), due
/// at once.
pub async fn enqueue<C: ConnectionTrait>(
    db: &C,
    brand_id: Option<i64>,
    kind: MailKind,
    recipient: &str,
    message: Rendered,
    now: DateTime<Utc>,
) -> Result<mail_message::Model, AppError> {
    let row = mail_message::ActiveModel {
        brand_id: Set(brand_id),
        kind: Set(kind.as_str().to_owned()),
        recipient: Set(recipient.to_owned()),
        subject: Set(message.subject),
        text_body: Set(message.text),
        html_body: Set(message.html),
        secret_link: Set(kind.has_secret_link()),
        status: Set(MailStatus::Pending.as_str().to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    tracing::debug!(
        mail = row.id,
        kind = kind.as_str(),
        at = %now.to_rfc3339_opts(SecondsFormat::Secs, true),
        "mail queued"
    );
    Ok(row)
}

/// Withdraws the brand's still-pending `kind` mail to `recipient` queued at `queued_at` (the
/// time of the change that queued it), clearing its bodies; returns how many it withdrew. A
/// message the worker is sending at that moment still goes out.
pub async fn cancel_pending<C: ConnectionTrait>(
    db: &C,
    brand_id: i64,
    kind: MailKind,
    recipient: &str,
    queued_at: DateTime<Utc>,
) -> Result<u64, AppError> {
    use mail_message::Column as M;
    let cancelled = mail_message::Entity::update_many()
        .col_expr(M::Status, Expr::value(MailStatus::Cancelled.as_str()))
        .col_expr(M::TextBody, Expr::value(""))
        .col_expr(M::HtmlBody, Expr::value(""))
        .filter(M::BrandId.eq(brand_id))
        .filter(M::Kind.eq(kind.as_str()))
        .filter(M::Recipient.eq(recipient))
        .filter(M::CreatedAt.eq(queued_at))
        .filter(M::Status.eq(MailStatus::Pending.as_str()))
        .exec(db)
        .await?;
    Ok(cancelled.rows_affected)
}
