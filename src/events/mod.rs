//! Domain events for GraphQL subscriptions: a conversion was recorded, a commission line was
//! created.
//!
//! Events are published only after the transaction that made the change commits: services
//! collect them in a [`Pending`] while they write and hand the transaction to
//! [`Pending::commit`]. On PostgreSQL that sends them with `pg_notify` inside the transaction
//! (PostgreSQL delivers a notification at commit, and never for a rolled-back transaction), and
//! one [`PgListener`](sea_orm::sqlx::postgres::PgListener) task per process feeds them to the
//! process's subscribers: every server process on the database sees every event. On SQLite (one
//! process by design) they go to the process's subscribers right after the commit.
//!
//! The same listener carries revoked credentials to the process's credential cache
//! ([`Revocations`], on [`AUTH_CHANNEL`]) and changes that make other caches stale (links,
//! reports: [`caches`], on [`CACHE_CHANNEL`]).
//!
//! An event carries ids only; subscribers re-read the object through the tenant-scoped services,
//! so a subscription shows exactly what a query would.

mod bus;
pub mod caches;
mod revocations;

use std::sync::Mutex;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, Statement,
};
use serde::{Deserialize, Serialize};

pub use bus::{EventBus, EventStream, LISTENER_APPLICATION_NAME, Missed};
pub use caches::{CACHE_CHANNEL, Invalidation, SharedCache};
pub use revocations::{AUTH_CHANNEL, Revocations};

use crate::db::entity::{commission, conversion};

/// The PostgreSQL notification channel.
pub const CHANNEL: &str = "partnergraph_events";

/// PostgreSQL refuses payloads of 8000 bytes or more; events are batched below that.
const MAX_PAYLOAD_BYTES: usize = 7_000;

/// What happened, by id. Small on purpose: it travels in a NOTIFY payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    ConversionRecorded {
        brand_id: i64,
        conversion_id: i64,
        campaign_id: Option<i64>,
        creator_id: Option<i64>,
    },
    CommissionCreated {
        brand_id: i64,
        creator_id: i64,
        line_id: i64,
        conversion_id: Option<i64>,
    },
    FraudFlagged {
        brand_id: i64,
        flag_id: i64,
    },
}

impl Event {
    pub fn conversion_recorded(row: &conversion::Model) -> Self {
        Self::ConversionRecorded {
            brand_id: row.brand_id,
            conversion_id: row.id,
            campaign_id: row.campaign_id,
            creator_id: row.creator_id,
        }
    }

    pub fn commission_created(row: &commission::Model) -> Self {
        Self::CommissionCreated {
            brand_id: row.brand_id,
            creator_id: row.creator_id,
            line_id: row.id,
            conversion_id: row.conversion_id,
        }
    }
}

/// Events of one transaction, published by [`Pending::commit`] once it has committed. Interior
/// mutability lets code that only borrows the batch context record events.
#[derive(Debug, Default)]
pub struct Pending(Mutex<Vec<Event>>);

impl Pending {
    pub fn push(&self, event: Event) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(event);
    }

    fn take(&self) -> Vec<Event> {
        std::mem::take(
            &mut *self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Commits `txn` and publishes the collected events: on PostgreSQL as notifications sent in
    /// the transaction (delivered by PostgreSQL at commit), on SQLite to this process's
    /// subscribers after the commit. A failed commit publishes nothing.
    pub async fn commit(
        &self,
        db: &DatabaseConnection,
        txn: DatabaseTransaction,
    ) -> Result<(), DbErr> {
        let events = self.take();
        if events.is_empty() {
            return txn.commit().await;
        }
        if db.get_database_backend() == DbBackend::Postgres {
            notify(&txn, &events).await?;
            return txn.commit().await;
        }
        txn.commit().await?;
        bus::publish_local(db, &events);
        Ok(())
    }
}

/// Sends `events` on [`CHANNEL`], as JSON arrays of at most [`MAX_PAYLOAD_BYTES`].
async fn notify(txn: &DatabaseTransaction, events: &[Event]) -> Result<(), DbErr> {
    for payload in payloads(events) {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), payload.into()],
        ))
        .await?;
    }
    Ok(())
}

/// `items` as JSON arrays of at most [`MAX_PAYLOAD_BYTES`] each.
fn payloads<T: Serialize>(items: &[T]) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut size = 2;
    for item in items {
        let Ok(json) = serde_json::to_string(item) else {
            continue;
        };
        if !current.is_empty() && size + json.len() + 1 > MAX_PAYLOAD_BYTES {
            out.push(format!("[{}]", current.join(",")));
            current.clear();
            size = 2;
        }
        size += json.len() + 1;
        current.push(json);
    }
    if !current.is_empty() {
        out.push(format!("[{}]", current.join(",")));
    }
    out
}

/// The events of one notification payload; a malformed one is logged and dropped.
fn parse_payload(payload: &str) -> Vec<Event> {
    serde_json::from_str(payload).unwrap_or_else(|err| {
        tracing::warn!(error = %err, "malformed event notification dropped");
        Vec::new()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: i64) -> Event {
        Event::CommissionCreated {
            brand_id: 1,
            creator_id: 2,
            line_id: id,
            conversion_id: Some(id),
        }
    }

    #[test]
    fn payloads_stay_below_the_postgres_limit_and_round_trip() {
        let events: Vec<Event> = (0..1_000).map(line).collect();
        let payloads = payloads(&events);
        assert!(payloads.len() > 1);
        let mut back = Vec::new();
        for payload in &payloads {
            assert!(payload.len() < MAX_PAYLOAD_BYTES, "{}", payload.len());
            back.extend(parse_payload(payload));
        }
        assert_eq!(back, events);
    }

    #[test]
    fn malformed_payloads_are_dropped() {
        assert!(parse_payload("not json").is_empty());
        assert!(parse_payload("[{\"type\":\"unknown\"}]").is_empty());
    }
}
