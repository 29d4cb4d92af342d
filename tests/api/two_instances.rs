//! Two server processes on one PostgreSQL database: the same batches sent to both at once and
//! different batches to each, then a payout run on both at once. Every conversion, commission
//! line and payout exists exactly once.

use std::net::SocketAddr;
use std::time::Instant;

use chrono::Utc;
use serde_json::{Value, json};

use crate::helpers::server::{self, ServerProcess};
use crate::helpers::{Backend, TestDb, integers};

const BATCH: usize = 50;
const SHARED: usize = 4;
const OWN: usize = 3;

/// Sends `prefixes` one after the other to `addr`; returns accepted and duplicates.
fn send_all(
    addr: SocketAddr,
    key: &str,
    prefixes: &[String],
    at: chrono::DateTime<Utc>,
) -> (u64, u64) {
    prefixes.iter().fold((0, 0), |(accepted, duplicates), p| {
        let outcome =
            server::record(addr, key, &server::batch(p, BATCH, at)).expect("batch acknowledged");
        assert_eq!(outcome.rejected, 0, "batch {p}");
        assert_eq!(
            outcome.accepted + outcome.duplicates,
            BATCH as u64,
            "batch {p}"
        );
        (accepted + outcome.accepted, duplicates + outcome.duplicates)
    })
}

fn create_payouts(addr: SocketAddr, admin: &str) -> Vec<Value> {
    let (status, body) = server::graphql(
        addr,
        Some(admin),
        "mutation ($input: CreatePayoutsInput!) { createPayouts(input: $input) {
           payouts { id amount { amount currencyCode } commissionCount } } }",
        json!({ "input": { "periodEnd": Utc::now().to_rfc3339() } }),
    )
    .expect("createPayouts");
    assert!(status == 200 && body.get("errors").is_none(), "{body}");
    body["data"]["createPayouts"]["payouts"]
        .as_array()
        .expect("payouts")
        .clone()
}

#[tokio::test]
async fn two_servers_on_one_postgres_store_everything_exactly_once() {
    let Some(test_db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("temp dir");
    // (Starting at once is tested below.)
    let a = ServerProcess::start(&test_db.url, dir.path());
    let b = ServerProcess::start(&test_db.url, dir.path());
    let tenant = server::set_up_tenant(a.addr, "admin@two.test");
    // Out of the 30-day hold, so that the payout run gathers every line.
    let at = Utc::now() - chrono::Duration::days(40);

    let shared: Vec<String> = (0..SHARED).map(|n| format!("s{n:03}")).collect();
    let own_a: Vec<String> = (0..OWN).map(|n| format!("a{n:03}")).collect();
    let own_b: Vec<String> = (0..OWN).map(|n| format!("b{n:03}")).collect();
    let ((shared_a, shared_b), (only_a, only_b)) = std::thread::scope(|s| {
        let key = tenant.key.as_str();
        let shared_a = s.spawn(|| send_all(a.addr, key, &shared, at));
        let shared_b = s.spawn(|| send_all(b.addr, key, &shared, at));
        let only_a = s.spawn(|| send_all(a.addr, key, &own_a, at));
        let only_b = s.spawn(|| send_all(b.addr, key, &own_b, at));
        (
            (shared_a.join().unwrap(), shared_b.join().unwrap()),
            (only_a.join().unwrap(), only_b.join().unwrap()),
        )
    });
    let shared_total = (SHARED * BATCH) as u64;
    assert_eq!(
        shared_a.0 + shared_b.0,
        shared_total,
        "each shared conversion accepted once"
    );
    assert_eq!(
        shared_a.1 + shared_b.1,
        shared_total,
        "and a duplicate once"
    );
    assert_eq!(only_a, ((OWN * BATCH) as u64, 0));
    assert_eq!(only_b, ((OWN * BATCH) as u64, 0));

    let (payouts_a, payouts_b) = std::thread::scope(|s| {
        let admin = tenant.admin.as_str();
        let from_a = s.spawn(|| create_payouts(a.addr, admin));
        let from_b = s.spawn(|| create_payouts(b.addr, admin));
        (from_a.join().unwrap(), from_b.join().unwrap())
    });
    let payouts: Vec<&Value> = payouts_a.iter().chain(&payouts_b).collect();
    let conversions = (SHARED + 2 * OWN) * BATCH;
    assert_eq!(
        payouts.len(),
        1,
        "one payout for the one creator: {payouts:?}"
    );
    assert_eq!(payouts[0]["commissionCount"], conversions);
    assert_eq!(
        payouts[0]["amount"],
        json!({ "amount": format!("{}.00", 20 * conversions), "currencyCode": "USD" })
    );

    let db = test_db.connect().await;
    let expected = i64::try_from(conversions).unwrap();
    assert_eq!(
        integers(
            &db,
            "SELECT COUNT(*), COUNT(DISTINCT external_id) FROM conversions"
        )
        .await,
        [expected, expected]
    );
    assert_eq!(
        integers(
            &db,
            "SELECT COUNT(*), COUNT(DISTINCT conversion_id), COUNT(payout_id) FROM commissions"
        )
        .await,
        [expected, expected, expected],
        "one line per conversion, each in a payout"
    );
    assert_eq!(
        integers(
            &db,
            "SELECT COUNT(*), COUNT(*) FROM payouts p WHERE p.amount_minor <> \
             (SELECT SUM(m.amount_minor) FROM commissions m WHERE m.payout_id = p.id) \
             OR p.commission_count <> \
             (SELECT COUNT(*) FROM commissions m WHERE m.payout_id = p.id)"
        )
        .await,
        [0, 0],
        "every payout equals its lines"
    );
    assert_eq!(
        integers(&db, "SELECT COUNT(*), COUNT(*) FROM payouts").await,
        [1, 1]
    );
    eprintln!(
        "two instances: {conversions} conversions, {} payout, in {:?}",
        payouts.len(),
        started.elapsed()
    );
}

/// Two instances deployed at once on an empty database both start: the migrations of one wait
/// for the other's instead of failing on "relation already exists".
#[tokio::test]
async fn two_servers_started_at_once_on_an_empty_database_both_start() {
    let Some(test_db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| ServerProcess::start(&test_db.url, dir.path()));
        let b = s.spawn(|| ServerProcess::start(&test_db.url, dir.path()));
        (a.join(), b.join())
    });
    let (a, b) = (
        a.expect("first server starts"),
        b.expect("second server starts"),
    );
    // Both serve the same schema: a brand registered on one logs in on the other.
    let tenant = server::set_up_tenant(a.addr, "admin@both.test");
    let at = Utc::now() - chrono::Duration::hours(1);
    let outcome = server::record(b.addr, &tenant.key, &server::batch("both", 10, at)).expect("b");
    assert_eq!(outcome.accepted, 10);
}
