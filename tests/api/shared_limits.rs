//! Rate limits across instances (issue #24): three server processes on one PostgreSQL database,
//! called in rotation, hold an API key to its configured limit (within 10%), not three times
//! it, while no request writes to the database (the processes trade their spending once a
//! second).

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::http_client;
use crate::helpers::server::{self, ServerProcess};
use crate::helpers::{Backend, TestDb};

/// Requests per window: 40 per 400 s, so one comes back every 10 s and the burst is the test.
const LIMIT: u32 = 40;

/// Waits (at most 30 s) until `server` counts `n` instances on its database.
fn wait_for_instances(server: &ServerProcess, n: u32) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let line = format!("partnergraph_instances {n}");
    loop {
        let metrics = http_client::send(server.addr, "GET", "/metrics", None).expect("metrics");
        if metrics.body.lines().any(|l| l == line) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "never counted {n}: {}",
            metrics.body
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[tokio::test]
async fn three_instances_hold_a_caller_to_one_limit() {
    let Some(test_db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let limit = LIMIT.to_string();
    let args = [
        "--rate-limit-per-caller",
        limit.as_str(),
        "--rate-limit-window-secs",
        "400",
    ];
    let servers: Vec<ServerProcess> = (0..3)
        .map(|_| ServerProcess::start_with(&test_db.url, dir.path(), &args))
        .collect();
    for s in &servers {
        wait_for_instances(s, 3);
    }
    // The key is new: none of its budget is spent yet.
    let tenant = server::set_up_tenant(servers[0].addr, "admin@limits.test");
    let (mut allowed, mut refused) = (0, 0);
    for n in 0..(3 * LIMIT as usize) {
        let (status, body) = server::graphql(
            servers[n % 3].addr,
            Some(&tenant.key),
            "query { __typename }",
            json!({}),
        )
        .expect("request");
        match status {
            200 => allowed += 1,
            429 => {
                assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
                refused += 1;
            }
            other => panic!("{other}: {body}"),
        }
    }
    // One instance alone would allow LIMIT; three unaware of each other 3 * LIMIT. A token
    // comes back every 10 s, so the burst's own length adds at most a few.
    let (low, high) = (f64::from(LIMIT) * 0.9, f64::from(LIMIT) * 1.1);
    assert!(
        (low..=high).contains(&f64::from(allowed)),
        "{allowed} allowed, {refused} refused; limit {LIMIT}"
    );

    // Another caller is not affected by the first one's spending.
    let (status, body) = server::graphql(
        servers[1].addr,
        Some(&tenant.admin),
        "query { __typename }",
        json!({}),
    )
    .expect("request");
    assert_eq!(status, 200, "{body}");
}
