//! Revoked credentials, published to every process's credential cache
//! ([`crate::auth::cache`]) once the write that revoked them has committed.
//!
//! The writes that revoke (ending sessions, changing an account's role or creator records,
//! revoking a key) take a [`Revocations`] and push what they revoked into it as they write; the
//! caller then commits through it ([`Revocations::commit`], or [`Revocations::publish`] after an
//! autocommitted write). On PostgreSQL the revocations travel as a `pg_notify` on
//! [`AUTH_CHANNEL`] in the same transaction, so PostgreSQL delivers them to every listening
//! process exactly when the change is visible, and never for a rolled-back one. On SQLite (one
//! process) they go to this process's caches right after the commit.
//!
//! The functions that write a revocation ([`crate::service::sessions::end_all`] and the other
//! session, role and key writes) take the collector, so none can be written without one; a
//! collector dropped unpublished is right only when its transaction rolled back. The tests of
//! each revoking operation check a second instance (`tests/api/revocation.rs`).

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, Statement,
};

use serde::{Deserialize, Serialize};

use crate::auth::cache::Revocation;

/// The PostgreSQL notification channel of revocations.
pub const AUTH_CHANNEL: &str = "partnergraph_auth";

/// How long a revoking write waits for this process's own listener to apply its notice.
const APPLY_TIMEOUT: Duration = Duration::from_secs(1);

/// One write's revocations as they travel on [`AUTH_CHANNEL`]; `id` lets the writer know when
/// its own process has applied them.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Notice {
    pub id: String,
    pub revoked: Vec<Revocation>,
}

/// Revocations of one write, published by [`Revocations::commit`] or [`Revocations::publish`].
#[derive(Debug, Default)]
pub struct Revocations(Mutex<Vec<Revocation>>);

impl Revocations {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&self, revocation: Revocation) {
        let mut pending = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if !pending.contains(&revocation) {
            pending.push(revocation);
        }
    }

    fn take(&self) -> Vec<Revocation> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Commits `txn`, which wrote the revocations, and publishes them (see the module doc). A
    /// failed commit publishes nothing. On PostgreSQL it returns once this process's listener
    /// has applied them (the revoked credential is refused by the very next request here).
    pub async fn commit(
        self,
        db: &DatabaseConnection,
        txn: DatabaseTransaction,
    ) -> Result<(), DbErr> {
        let revocations = self.take();
        if revocations.is_empty() {
            return txn.commit().await;
        }
        if db.get_database_backend() == DbBackend::Postgres {
            let (notice, applied) = notice(db, revocations);
            notify(&txn, &notice).await?;
            txn.commit().await?;
            super::bus::await_applied(applied, &notice.id, APPLY_TIMEOUT).await;
            return Ok(());
        }
        txn.commit().await?;
        super::bus::evict_local(db, &revocations);
        Ok(())
    }

    /// Publishes revocations whose writes were committed already (autocommitted statements).
    pub async fn publish(self, db: &DatabaseConnection) -> Result<(), DbErr> {
        let revocations = self.take();
        if revocations.is_empty() {
            return Ok(());
        }
        if db.get_database_backend() == DbBackend::Postgres {
            let (notice, applied) = notice(db, revocations);
            notify(db, &notice).await?;
            super::bus::await_applied(applied, &notice.id, APPLY_TIMEOUT).await;
            return Ok(());
        }
        super::bus::evict_local(db, &revocations);
        Ok(())
    }
}

/// A notice with a fresh id, and receivers of what this process's listeners apply, taken
/// before it is sent.
fn notice(
    db: &DatabaseConnection,
    revoked: Vec<Revocation>,
) -> (Notice, Vec<tokio::sync::broadcast::Receiver<String>>) {
    let applied = super::bus::watch_applied(db);
    let notice = Notice {
        id: uuid::Uuid::new_v4().to_string(),
        revoked,
    };
    (notice, applied)
}

/// One notification for all of a write's revocations (a handful of small ids: far below
/// PostgreSQL's 8000-byte payload limit).
async fn notify<C: ConnectionTrait>(db: &C, notice: &Notice) -> Result<(), DbErr> {
    let payload = serde_json::to_string(notice).map_err(|err| DbErr::Custom(err.to_string()))?;
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [AUTH_CHANNEL.into(), payload.into()],
    ))
    .await?;
    Ok(())
}

/// The revocations of one notification payload; `None` for a malformed one (logged), which
/// the listener answers by clearing the cache: something was revoked, it cannot tell what.
pub(super) fn parse_payload(payload: &str) -> Option<Notice> {
    serde_json::from_str(payload)
        .inspect_err(|err| tracing::warn!(error = %err, "malformed revocation notification"))
        .ok()
}
