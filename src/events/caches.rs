//! Changes that make entries of other processes' caches stale: a link changed (the redirect
//! cache) or a brand's report settings changed (the report cache).
//!
//! The write that makes the change sends them with [`notify`] inside its transaction: on
//! PostgreSQL a `pg_notify` on [`CACHE_CHANNEL`], which PostgreSQL delivers to every listening
//! process at commit (and never for a rolled-back write); each process's listener hands them to
//! its [`SharedCache`]s. On SQLite (one process) [`notify`] sends nothing: the resolver that made
//! the change drops the entry from this process's caches itself, as it does on PostgreSQL (its
//! own answer must not wait for the listener).
//!
//! A listener that lost its connection may have missed some: every [`SharedCache`] is cleared
//! when the connection is lost and again once listening anew ([`super::EventBus`]).

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use serde::{Deserialize, Serialize};

/// The PostgreSQL notification channel of cache invalidations.
pub const CACHE_CHANNEL: &str = "partnergraph_caches";

/// What became stale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Invalidation {
    /// The link with this code (created, changed, paused, resumed, archived or deleted).
    Link { code: String },
    /// Every cached report of this brand.
    Reports { brand_id: i64 },
}

impl Invalidation {
    pub fn link(code: &str) -> Self {
        Self::Link {
            code: code.to_owned(),
        }
    }
}

/// A process-local cache that changes made by other processes make stale.
pub trait SharedCache: Send + Sync {
    /// Drops what `change` made stale (nothing when it is about another cache).
    fn invalidate(&self, change: &Invalidation);
    /// Drops everything: invalidations may have been missed.
    fn clear(&self);
}

/// Sends `changes` to every process's caches when `txn` (the transaction of the write that
/// made them) commits; on SQLite nothing (see the module doc).
pub async fn notify<C: ConnectionTrait>(txn: &C, changes: &[Invalidation]) -> Result<(), DbErr> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    for payload in super::payloads(changes) {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CACHE_CHANNEL.into(), payload.into()],
        ))
        .await?;
    }
    Ok(())
}

/// The invalidations of one notification payload; `None` for a malformed one (logged), which
/// the listener answers by clearing the caches: something changed, it cannot tell what.
pub(super) fn parse_payload(payload: &str) -> Option<Vec<Invalidation>> {
    serde_json::from_str(payload)
        .inspect_err(|err| tracing::warn!(error = %err, "malformed cache notification"))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalidations_round_trip_in_payloads_below_the_postgres_limit() {
        let changes: Vec<Invalidation> = (0..500)
            .map(|n| Invalidation::link(&format!("{n:0>64}")))
            .chain([Invalidation::Reports { brand_id: 7 }])
            .collect();
        let payloads = super::super::payloads(&changes);
        assert!(payloads.len() > 1);
        let mut back = Vec::new();
        for payload in &payloads {
            assert!(payload.len() < super::super::MAX_PAYLOAD_BYTES);
            back.extend(parse_payload(payload).expect("well-formed"));
        }
        assert_eq!(back, changes);
    }

    #[test]
    fn a_malformed_payload_is_none() {
        assert_eq!(parse_payload("nope"), None);
        assert_eq!(parse_payload("[{\"type\":\"unknown\"}]"), None);
    }
}
