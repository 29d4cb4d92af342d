//! kill -9 during a stream of conversions: every acknowledged conversion survives with its
//! commission, no batch is half-written, and a replay after restart is idempotent.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rand::Rng;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::helpers::server::{self, Outcome, ServerProcess};
use crate::helpers::{Backend, TestDb};

const BATCH: usize = 50;
/// The stream stops here if the kill has not stopped it first (bounds the test).
const MAX_BATCHES: usize = 400;

fn prefix(batch: usize) -> String {
    format!("k{batch:04}")
}

/// (count, distinct) of a query returning two integers.
async fn pair(db: &DatabaseConnection, sql: &str) -> (i64, i64) {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("query")
        .expect("one row");
    (
        row.try_get_by_index::<i64>(0).expect("first"),
        row.try_get_by_index::<i64>(1).expect("second"),
    )
}

/// Stored conversions per batch prefix.
async fn stored_per_batch(db: &DatabaseConnection) -> BTreeMap<String, i64> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT substr(external_id, 1, 5) AS batch, COUNT(*) AS n FROM conversions \
             GROUP BY substr(external_id, 1, 5)",
        ))
        .await
        .expect("query");
    rows.iter()
        .map(|row| {
            (
                row.try_get::<String>("", "batch").expect("batch"),
                row.try_get::<i64>("", "n").expect("n"),
            )
        })
        .collect()
}

/// Every conversion has exactly one commission line and every line belongs to a conversion
/// that exists once: returns the number of conversions.
async fn one_line_per_conversion(db: &DatabaseConnection) -> i64 {
    let (conversions, distinct_ids) = pair(
        db,
        "SELECT COUNT(*), COUNT(DISTINCT external_id) FROM conversions",
    )
    .await;
    assert_eq!(conversions, distinct_ids, "an external id stored twice");
    let (lines, distinct_conversions) = pair(
        db,
        "SELECT COUNT(*), COUNT(DISTINCT conversion_id) FROM commissions",
    )
    .await;
    assert_eq!(
        (lines, distinct_conversions),
        (conversions, conversions),
        "one commission line per conversion"
    );
    let (orphans, _) = pair(
        db,
        "SELECT COUNT(*), COUNT(*) FROM conversions c WHERE NOT EXISTS \
         (SELECT 1 FROM commissions m WHERE m.conversion_id = c.id)",
    )
    .await;
    assert_eq!(orphans, 0, "a conversion without its commission line");
    // The change feed: one position per conversion (none written twice, none half-committed).
    assert_eq!(
        pair(
            db,
            "SELECT COUNT(*), COUNT(DISTINCT change_seq) FROM conversions"
        )
        .await,
        (conversions, conversions),
        "change positions are unique"
    );
    let (highest, last_seq) = pair(
        db,
        "SELECT (SELECT COALESCE(MAX(change_seq), 0) FROM conversions), \
         (SELECT MAX(last_change_seq) FROM brands)",
    )
    .await;
    assert!(
        highest <= last_seq,
        "the brand's position covers every change"
    );
    conversions
}

/// Streams batches `from..` to `server` from a client thread until a request fails, and sends
/// SIGKILL a few batches in, at a random moment (a batch is almost always in flight: the client
/// sends the next one as soon as the last is answered). Returns (acknowledged, sent end).
fn stream_and_kill(
    server: &mut ServerProcess,
    key: &str,
    from: usize,
    occurred_at: DateTime<Utc>,
) -> (Vec<usize>, usize) {
    let sent = Arc::new(AtomicUsize::new(from));
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let stream = {
        let (addr, key) = (server.addr, key.to_owned());
        let (sent, acknowledged) = (sent.clone(), acknowledged.clone());
        std::thread::spawn(move || {
            let mut acked = Vec::new();
            for n in from..from + MAX_BATCHES {
                sent.store(n + 1, Ordering::SeqCst);
                match server::record(addr, &key, &server::batch(&prefix(n), BATCH, occurred_at)) {
                    Ok(outcome) => {
                        assert_eq!(
                            outcome,
                            Outcome {
                                accepted: BATCH as u64,
                                duplicates: 0,
                                rejected: 0
                            }
                        );
                        acked.push(n);
                        acknowledged.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(_) => break,
                }
            }
            acked
        })
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while acknowledged.load(Ordering::SeqCst) < 2 {
        assert!(Instant::now() < deadline, "the stream did not start");
        std::thread::sleep(Duration::from_millis(5));
    }
    let delay = rand::rng().random_range(0..1_500);
    std::thread::sleep(Duration::from_millis(delay));
    server.kill();
    let acked = stream.join().expect("stream thread");
    (acked, sent.load(Ordering::SeqCst))
}

const ROUNDS: usize = 3;

async fn kill_during_a_stream_loses_no_acknowledged_conversion(backend: Backend) {
    let Some(test_db) = TestDb::create(backend).await else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let started = Instant::now();
    let mut server = ServerProcess::start(&test_db.url, dir.path());
    let tenant = server::set_up_tenant(server.addr, "admin@crash.test");
    let occurred_at = Utc::now() - chrono::Duration::hours(1);
    let mut acked_total = 0;
    let mut sent = 0;
    let mut lost_in_flight = 0;

    for _ in 0..ROUNDS {
        let (acked, sent_end) = stream_and_kill(&mut server, &tenant.key, sent, occurred_at);
        assert!(
            acked.len() < sent_end - sent || sent_end - sent == MAX_BATCHES,
            "the kill interrupted a batch"
        );
        sent = sent_end;
        acked_total += acked.len();

        // Restart on the same database, then read it directly.
        server = ServerProcess::start(&test_db.url, dir.path());
        let db = test_db.connect().await;
        let stored = stored_per_batch(&db).await;
        for (batch, count) in &stored {
            assert!(
                *count == BATCH as i64,
                "batch {batch} is half-written: {count} of {BATCH}"
            );
        }
        for n in &acked {
            assert_eq!(
                stored.get(&prefix(*n)),
                Some(&(BATCH as i64)),
                "acknowledged batch {n} lost"
            );
        }
        assert!(stored.len() <= sent, "only sent batches are stored");
        assert!(
            stored.len() >= acked_total,
            "every acknowledged batch is stored"
        );
        assert_eq!(
            one_line_per_conversion(&db).await,
            (stored.len() * BATCH) as i64
        );
        db.close().await.expect("close");
    }

    // Replay every batch sent (acknowledged or not): stored ones are DUPLICATE, the rest
    // (those in flight at a kill, when their commit did not happen) are accepted now.
    let db = test_db.connect().await;
    let stored = stored_per_batch(&db).await;
    for n in 0..sent {
        let outcome = server::record(
            server.addr,
            &tenant.key,
            &server::batch(&prefix(n), BATCH, occurred_at),
        )
        .expect("replay");
        let expected = if stored.contains_key(&prefix(n)) {
            (0, BATCH as u64)
        } else {
            lost_in_flight += 1;
            (BATCH as u64, 0)
        };
        assert_eq!(
            (outcome.accepted, outcome.duplicates, outcome.rejected),
            (expected.0, expected.1, 0),
            "replay of batch {n}"
        );
    }
    assert_eq!(one_line_per_conversion(&db).await, (sent * BATCH) as i64);
    eprintln!(
        "crash test ({backend:?}): {ROUNDS} kills, {sent} batches of {BATCH} sent, \
         {acked_total} acknowledged, {lost_in_flight} in flight and not committed (accepted on \
         replay), {} committed but not acknowledged, in {:?}",
        sent - lost_in_flight - acked_total,
        started.elapsed()
    );
}

#[tokio::test]
async fn sqlite() {
    kill_during_a_stream_loses_no_acknowledged_conversion(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres() {
    kill_during_a_stream_loses_no_acknowledged_conversion(Backend::Postgres).await;
}
