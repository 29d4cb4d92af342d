//! One poll: queue the "commission approved" mail that fell due, take due messages, claim each,
//! send it (or log it), record the outcome.

use std::sync::Arc;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use tokio::sync::watch;

use crate::clock::Clock;
use crate::config::MailConfig;
use crate::db::entity::mail_message;
use crate::domain::mail::MailStatus;
use crate::domain::webhook::{backoff, with_jitter};
use crate::error::AppError;
use crate::poll_loop;
use crate::service::mail::{Links, approvals};

/// Commission lines announced per poll at most (a backlog drains over several polls).
const APPROVALS_PER_POLL: u64 = 500;

/// Longest reason kept in `last_error`.
const MAX_REASON_LEN: usize = 200;

/// What the bodies of a sent mail with a secret link become.
const CLEARED: &str = "";

/// How messages leave.
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// No SMTP server, `--dev`/`--demo`: each message is logged (recipient, subject, body).
    Log,
    /// No SMTP server: messages stay queued.
    Hold,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Short, safe to show: "connection failed", "rejected: 550", "timeout". Tried again later.
    Failed(String),
    /// The server refused the message for good (a 5xx answer, a bad address): not retried.
    Rejected(String),
}

pub struct Worker {
    config: MailConfig,
    db: DatabaseConnection,
    transport: Transport,
    from: Option<Mailbox>,
    links: Links,
    clock: Arc<dyn Clock>,
}

impl Worker {
    pub fn new(config: MailConfig, db: DatabaseConnection, clock: Arc<dyn Clock>) -> Self {
        let transport = match &config.smtp_url {
            Some(url) => match AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose()) {
                Ok(builder) => Transport::Smtp(builder.timeout(Some(config.send_timeout)).build()),
                Err(err) => {
                    tracing::error!(error = %err, "PARTNERGRAPH_SMTP_URL is unusable; mail stays queued");
                    Transport::Hold
                }
            },
            None if config.log_only => {
                tracing::info!("no PARTNERGRAPH_SMTP_URL: mail is logged, not sent (--dev)");
                Transport::Log
            }
            None => {
                tracing::warn!(
                    "no PARTNERGRAPH_SMTP_URL: mail (invites, password resets, payouts) stays queued until one is set"
                );
                Transport::Hold
            }
        };
        let from = config.from.parse::<Mailbox>().ok();
        let links = Links::new(config.app_url.clone());
        Self {
            config,
            db,
            transport,
            from,
            links,
            clock,
        }
    }

    pub async fn run(self, stop: watch::Receiver<bool>) {
        poll_loop::every(self.config.poll_interval, stop, "mail", || self.poll()).await;
    }

    /// One poll: queues due "commission approved" mail, then sends what is due (at most a
    /// batch), one message at a time. Returns how many were attempted.
    pub async fn poll(&self) -> Result<usize, AppError> {
        approvals::announce_due(&self.db, &self.links, self.clock.now(), APPROVALS_PER_POLL)
            .await?;
        if matches!(self.transport, Transport::Hold) {
            return Ok(0);
        }
        let now = self.clock.now();
        let due = mail_message::Entity::find()
            .filter(mail_message::Column::Status.eq(MailStatus::Pending.as_str()))
            .filter(mail_message::Column::NextAttemptAt.lte(now))
            .order_by_asc(mail_message::Column::NextAttemptAt)
            .order_by_asc(mail_message::Column::Id)
            .limit(self.config.batch_size)
            .all(&self.db)
            .await?;
        let count = due.len();
        for message in due {
            self.attempt(message).await?;
        }
        Ok(count)
    }

    async fn attempt(&self, message: mail_message::Model) -> Result<(), DbErr> {
        let now = self.clock.now();
        let claimed = mail_message::Entity::update_many()
            .col_expr(
                mail_message::Column::NextAttemptAt,
                Expr::value(now + poll_loop::lease(self.config.send_timeout)),
            )
            .filter(mail_message::Column::Id.eq(message.id))
            .filter(mail_message::Column::Status.eq(MailStatus::Pending.as_str()))
            .filter(mail_message::Column::NextAttemptAt.lte(now))
            .exec(&self.db)
            .await?;
        if claimed.rows_affected != 1 {
            return Ok(()); // another process took it
        }
        let outcome = self.send(&message).await;
        self.record(&message, outcome).await
    }

    async fn send(&self, message: &mail_message::Model) -> Outcome {
        match &self.transport {
            Transport::Hold => Outcome::Failed("no SMTP server configured".into()),
            Transport::Log => {
                tracing::info!(
                    mail = message.id,
                    kind = %message.kind,
                    to = %message.recipient,
                    subject = %message.subject,
                    link = first_link(&message.text_body).unwrap_or("-"),
                    "mail (not sent: no PARTNERGRAPH_SMTP_URL)"
                );
                tracing::debug!(mail = message.id, body = %message.text_body, "mail body");
                Outcome::Sent
            }
            Transport::Smtp(smtp) => {
                let email = match self.build(message) {
                    Ok(email) => email,
                    Err(reason) => return Outcome::Failed(reason),
                };
                match smtp.send(email).await {
                    Ok(_) => Outcome::Sent,
                    Err(err) if err.is_permanent() => Outcome::Rejected(smtp_reason(&err)),
                    Err(err) => Outcome::Failed(smtp_reason(&err)),
                }
            }
        }
    }

    fn build(&self, message: &mail_message::Model) -> Result<Message, String> {
        let from = self
            .from
            .clone()
            .ok_or_else(|| "the sender address is invalid".to_owned())?;
        let to = message
            .recipient
            .parse::<Mailbox>()
            .map_err(|_| "the recipient address is invalid".to_owned())?;
        Message::builder()
            .from(from)
            .to(to)
            .subject(message.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                message.text_body.clone(),
                message.html_body.clone(),
            ))
            .map_err(|_| "the message could not be built".to_owned())
    }

    async fn record(&self, message: &mail_message::Model, outcome: Outcome) -> Result<(), DbErr> {
        let now = self.clock.now();
        let attempts = message.attempts.saturating_add(1);
        let mut update = mail_message::Entity::update_many()
            .col_expr(mail_message::Column::Attempts, Expr::value(attempts))
            .col_expr(mail_message::Column::LastAttemptAt, Expr::value(now))
            .filter(mail_message::Column::Id.eq(message.id));
        let permanent = matches!(outcome, Outcome::Rejected(_));
        let done = match outcome {
            Outcome::Sent => {
                update = update
                    .col_expr(
                        mail_message::Column::Status,
                        Expr::value(MailStatus::Sent.as_str()),
                    )
                    .col_expr(mail_message::Column::SentAt, Expr::value(now))
                    .col_expr(mail_message::Column::NextAttemptAt, Expr::value(now))
                    .col_expr(
                        mail_message::Column::LastError,
                        Expr::value(Option::<String>::None),
                    );
                tracing::info!(mail = message.id, kind = %message.kind, "mail sent");
                true
            }
            Outcome::Failed(reason) | Outcome::Rejected(reason) => {
                let reason: String = reason.chars().take(MAX_REASON_LEN).collect();
                let exhausted = permanent
                    || attempts >= i32::try_from(self.config.max_attempts).unwrap_or(i32::MAX);
                let (status, next) = if exhausted {
                    (MailStatus::Failed, now)
                } else {
                    let attempt = u32::try_from(attempts).unwrap_or(u32::MAX);
                    let delay = with_jitter(
                        backoff(self.config.backoff_base, self.config.backoff_max, attempt),
                        rand::random::<f64>(),
                    );
                    let delay =
                        chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1));
                    (MailStatus::Pending, now + delay)
                };
                tracing::warn!(
                    mail = message.id,
                    attempts,
                    reason = %reason,
                    "mail not sent"
                );
                update = update
                    .col_expr(mail_message::Column::Status, Expr::value(status.as_str()))
                    .col_expr(mail_message::Column::NextAttemptAt, Expr::value(next))
                    .col_expr(mail_message::Column::LastError, Expr::value(Some(reason)));
                exhausted
            }
        };
        if done && message.secret_link {
            // The link's token is stored nowhere in clear text once the mail is out (or given up).
            update = update
                .col_expr(mail_message::Column::TextBody, Expr::value(CLEARED))
                .col_expr(mail_message::Column::HtmlBody, Expr::value(CLEARED));
        }
        update.exec(&self.db).await?;
        Ok(())
    }
}

/// The first http(s) link in a plain-text body (what a developer clicks in the log).
fn first_link(text: &str) -> Option<&str> {
    text.split_whitespace()
        .find(|word| word.starts_with("https://") || word.starts_with("http://"))
}

/// A short reason for a failed SMTP attempt: never the server's whole answer.
fn smtp_reason(err: &lettre::transport::smtp::Error) -> String {
    if let Some(code) = err.status() {
        format!("rejected by the SMTP server: {code}")
    } else if err.is_timeout() {
        "timeout".into()
    } else if err.is_tls() {
        "TLS failed".into()
    } else {
        "connection failed".into()
    }
}
