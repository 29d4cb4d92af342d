//! One poll: take due deliveries of enabled endpoints, claim each, POST it signed, record the
//! outcome (and the endpoint's run of failures).

use std::sync::Arc;

use futures_util::StreamExt;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use tokio::sync::watch;

use super::targets;
use crate::auth::seal::{self, SealingKey};
use crate::clock::{Clock, SystemClock};
use crate::config::WebhookConfig;
use crate::db::entity::{webhook_delivery, webhook_endpoint};
use crate::domain::webhook::{
    DeliveryStatus, EventType, backoff, legacy_signature_header, signing_key, standard_signature,
    with_jitter,
};
use crate::error::AppError;
use crate::global_id::{NodeKind, encode};
use crate::poll_loop;
use crate::service::webhooks::approvals;

/// Commission lines announced per poll at most (a backlog drains over several polls).
const APPROVALS_PER_POLL: u64 = 500;

/// Longest reason kept in `last_error` and `disabled_reason`.
const MAX_REASON_LEN: usize = 200;

pub struct Worker {
    config: WebhookConfig,
    db: DatabaseConnection,
    client: Option<reqwest::Client>,
    /// The app's clock: what is due, and the times recorded.
    clock: Arc<dyn Clock>,
    /// Opens the endpoints' sealed secrets.
    sealing_key: SealingKey,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered(u16),
    /// Short, safe to show: "HTTP 500", "timeout", "connection failed".
    Failed {
        status_code: Option<u16>,
        reason: String,
    },
}

impl Worker {
    pub fn new(
        config: WebhookConfig,
        db: DatabaseConnection,
        clock: Arc<dyn Clock>,
        sealing_key: SealingKey,
    ) -> Self {
        let mut client = reqwest::Client::builder();
        if !config.allow_private_targets {
            client = client.dns_resolver(targets::PublicOnly);
        }
        let client = client
            .timeout(config.request_timeout)
            .connect_timeout(config.request_timeout)
            // A redirect is an answer like any other non-2xx: following it would let an
            // endpoint send signed events somewhere nobody registered.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("PartnerGraph-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build();
        let client = match client {
            Ok(client) => Some(client),
            Err(err) => {
                tracing::error!(error = %err, "cannot build the webhook HTTP client; deliveries wait");
                None
            }
        };
        Self {
            config,
            db,
            client,
            clock,
            sealing_key,
        }
    }

    pub async fn run(self, stop: watch::Receiver<bool>) {
        poll_loop::every(self.config.poll_interval, stop, "webhooks", || self.poll()).await;
    }

    /// One poll: announces approved commission lines, then sends what is due (at most a
    /// batch), `concurrency` requests at a time.
    pub async fn poll(&self) -> Result<usize, AppError> {
        approvals::announce_due(&self.db, self.clock.now(), APPROVALS_PER_POLL).await?;
        let now = self.clock.now();
        let enabled = Query::select()
            .column(webhook_endpoint::Column::Id)
            .from(webhook_endpoint::Entity)
            .and_where(webhook_endpoint::Column::Enabled.eq(true))
            .to_owned();
        let due = webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending.as_str()))
            .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
            .filter(webhook_delivery::Column::EndpointId.in_subquery(enabled))
            .order_by_asc(webhook_delivery::Column::NextAttemptAt)
            .order_by_asc(webhook_delivery::Column::Id)
            .limit(self.config.batch_size)
            .all(&self.db)
            .await?;
        let count = due.len();
        let results: Vec<Result<(), DbErr>> = futures_util::stream::iter(due)
            .map(|delivery| self.attempt(delivery))
            .buffer_unordered(self.config.concurrency.max(1))
            .collect()
            .await;
        for result in results {
            result?;
        }
        Ok(count)
    }

    async fn attempt(&self, delivery: webhook_delivery::Model) -> Result<(), DbErr> {
        let now = self.clock.now();
        let claimed = webhook_delivery::Entity::update_many()
            .col_expr(
                webhook_delivery::Column::NextAttemptAt,
                Expr::value(now + poll_loop::lease(self.config.request_timeout)),
            )
            .filter(webhook_delivery::Column::Id.eq(delivery.id))
            .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending.as_str()))
            .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
            .exec(&self.db)
            .await?;
        if claimed.rows_affected != 1 {
            return Ok(()); // another process took it
        }
        let Some(endpoint) = webhook_endpoint::Entity::find_by_id(delivery.endpoint_id)
            .one(&self.db)
            .await?
        else {
            return Ok(()); // deleted since: its deliveries went with it
        };
        let outcome = self.send(&endpoint, &delivery).await;
        self.record(&endpoint, &delivery, outcome).await
    }

    async fn send(
        &self,
        endpoint: &webhook_endpoint::Model,
        delivery: &webhook_delivery::Model,
    ) -> Outcome {
        let failed = |reason: &str| Outcome::Failed {
            status_code: None,
            reason: reason.to_owned(),
        };
        let Some(client) = &self.client else {
            return failed("the server's HTTP client is unavailable");
        };
        if endpoint.url.starts_with("https:") && !cfg!(feature = "webhook-tls") {
            return failed("https is not enabled in this server build");
        }
        if !self.config.allow_private_targets
            && let Some(refusal) = targets::literal_refusal(&endpoint.url)
        {
            return failed(refusal);
        }
        let body = delivery.payload.clone().into_bytes();
        // Sealed since Standard Webhooks; endpoints registered before keep a plain secret.
        let secret = if seal::is_sealed(&endpoint.secret) {
            match self.sealing_key.open(&endpoint.secret) {
                Ok(secret) => secret,
                Err(_) => {
                    return failed(
                        "the endpoint's secret does not open with this server's PARTNERGRAPH_SECRET_KEY",
                    );
                }
            }
        } else {
            endpoint.secret.clone()
        };
        let Some(key) = signing_key(&secret) else {
            return failed("the endpoint's secret cannot sign; register a new endpoint");
        };
        // Receivers check the signature's time against their own clocks: it is the real time
        // of sending, whatever the app's clock says.
        let timestamp = SystemClock.now().timestamp();
        // The delivery's id: the same on every attempt, so receivers deduplicate by it.
        let message_id = encode(NodeKind::WebhookDelivery, delivery.id);
        let signature = standard_signature(&key, &message_id, timestamp, &body);
        let legacy_signature = legacy_signature_header(&secret, timestamp, &body);
        let event = EventType::parse(&delivery.event_type)
            .map(EventType::wire_name)
            .unwrap_or("unknown");
        let result = client
            .post(&endpoint.url)
            .header("content-type", "application/json")
            .header("webhook-id", &message_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .header("partnergraph-signature", legacy_signature)
            .header("partnergraph-event", event)
            .header("partnergraph-delivery", &message_id)
            .body(body)
            .send()
            .await;
        match result {
            Ok(response) if response.status().is_success() => {
                Outcome::Delivered(response.status().as_u16())
            }
            Ok(response) => Outcome::Failed {
                status_code: Some(response.status().as_u16()),
                reason: format!("HTTP {}", response.status().as_u16()),
            },
            Err(err) if err.is_timeout() => failed("timeout"),
            Err(err) if refused_by_resolver(&err) => failed(targets::NOT_PUBLIC),
            Err(err) if err.is_connect() => failed("connection failed"),
            Err(_) => failed("request failed"),
        }
    }

    async fn record(
        &self,
        endpoint: &webhook_endpoint::Model,
        delivery: &webhook_delivery::Model,
        outcome: Outcome,
    ) -> Result<(), DbErr> {
        let now = self.clock.now();
        let attempts = delivery.attempts.saturating_add(1);
        let txn = self.db.begin().await?;
        match outcome {
            Outcome::Delivered(code) => {
                webhook_delivery::Entity::update_many()
                    .col_expr(
                        webhook_delivery::Column::Status,
                        Expr::value(DeliveryStatus::Delivered.as_str()),
                    )
                    .col_expr(webhook_delivery::Column::Attempts, Expr::value(attempts))
                    .col_expr(
                        webhook_delivery::Column::LastStatusCode,
                        Expr::value(i32::from(code)),
                    )
                    .col_expr(
                        webhook_delivery::Column::LastError,
                        Expr::value(Option::<String>::None),
                    )
                    .col_expr(webhook_delivery::Column::LastAttemptAt, Expr::value(now))
                    .col_expr(webhook_delivery::Column::DeliveredAt, Expr::value(now))
                    .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(now))
                    .filter(webhook_delivery::Column::Id.eq(delivery.id))
                    .exec(&txn)
                    .await?;
                webhook_endpoint::Entity::update_many()
                    .col_expr(
                        webhook_endpoint::Column::ConsecutiveFailures,
                        Expr::value(0),
                    )
                    .filter(webhook_endpoint::Column::Id.eq(endpoint.id))
                    .exec(&txn)
                    .await?;
            }
            Outcome::Failed {
                status_code,
                reason,
            } => {
                let reason = shorten(&reason);
                let exhausted =
                    attempts >= i32::try_from(self.config.max_attempts).unwrap_or(i32::MAX);
                let (status, next) = if exhausted {
                    (DeliveryStatus::Failed, now)
                } else {
                    let attempt = u32::try_from(attempts).unwrap_or(u32::MAX);
                    let delay = with_jitter(
                        backoff(self.config.backoff_base, self.config.backoff_max, attempt),
                        rand::random::<f64>(),
                    );
                    let delay =
                        chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1));
                    (DeliveryStatus::Pending, now + delay)
                };
                webhook_delivery::Entity::update_many()
                    .col_expr(
                        webhook_delivery::Column::Status,
                        Expr::value(status.as_str()),
                    )
                    .col_expr(webhook_delivery::Column::Attempts, Expr::value(attempts))
                    .col_expr(
                        webhook_delivery::Column::LastStatusCode,
                        Expr::value(status_code.map(i32::from)),
                    )
                    .col_expr(
                        webhook_delivery::Column::LastError,
                        Expr::value(Some(reason.clone())),
                    )
                    .col_expr(webhook_delivery::Column::LastAttemptAt, Expr::value(now))
                    .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(next))
                    .filter(webhook_delivery::Column::Id.eq(delivery.id))
                    .exec(&txn)
                    .await?;
                self.count_failure(&txn, endpoint.id, &reason).await?;
                tracing::warn!(
                    delivery = delivery.id,
                    endpoint = endpoint.id,
                    attempts,
                    reason = %reason,
                    "webhook delivery failed"
                );
            }
        }
        txn.commit().await
    }

    /// Adds one to the endpoint's run of failures; at the configured number, disables it with
    /// a reason the ADMIN sees.
    async fn count_failure(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        endpoint_id: i64,
        reason: &str,
    ) -> Result<(), DbErr> {
        webhook_endpoint::Entity::update_many()
            .col_expr(
                webhook_endpoint::Column::ConsecutiveFailures,
                Expr::col(webhook_endpoint::Column::ConsecutiveFailures).add(1),
            )
            .filter(webhook_endpoint::Column::Id.eq(endpoint_id))
            .exec(txn)
            .await?;
        let Some(endpoint) = webhook_endpoint::Entity::find_by_id(endpoint_id)
            .one(txn)
            .await?
        else {
            return Ok(());
        };
        let limit = i32::try_from(self.config.disable_after_failures).unwrap_or(i32::MAX);
        if endpoint.enabled && endpoint.consecutive_failures >= limit {
            let now = self.clock.now();
            let disabled_reason = format!(
                "disabled after {} consecutive failed deliveries; last: {reason}",
                endpoint.consecutive_failures
            );
            webhook_endpoint::Entity::update_many()
                .col_expr(webhook_endpoint::Column::Enabled, Expr::value(false))
                .col_expr(webhook_endpoint::Column::DisabledAt, Expr::value(now))
                .col_expr(
                    webhook_endpoint::Column::DisabledReason,
                    Expr::value(disabled_reason),
                )
                .col_expr(webhook_endpoint::Column::UpdatedAt, Expr::value(now))
                .filter(webhook_endpoint::Column::Id.eq(endpoint_id))
                .exec(txn)
                .await?;
            tracing::warn!(endpoint = endpoint_id, "webhook endpoint disabled");
        }
        Ok(())
    }
}

/// Whether the request failed because [`targets::PublicOnly`] left its host no address.
fn refused_by_resolver(err: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(cause) = source {
        if cause.to_string() == targets::NOT_PUBLIC {
            return true;
        }
        source = cause.source();
    }
    false
}

fn shorten(reason: &str) -> String {
    reason.chars().take(MAX_REASON_LEN).collect()
}
