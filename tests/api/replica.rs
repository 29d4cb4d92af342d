//! A read replica (`PARTNERGRAPH_DATABASE_REPLICA_URL`), on a real streaming replica of a
//! throwaway primary (`helpers::postgres::Replicated`): with the replica's replay paused, what
//! a query answers shows where it read. PostgreSQL only (SQLite has no replicas).
//!
//! - Lists, reports and export files read the replica: they miss a write until the replay
//!   resumes.
//! - A mutation's answer, and the change feed, read the primary: they never lag.
//! - The replica stopped: queries answer from the primary, without an error, from the first
//!   request on; once it is back, queries read it again.
//! - A replica more than the allowed lag behind (replay paused, the primary written to): queries
//!   answer from the primary, `/readyz` says `lagging`, `/metrics` shows the lag; once it has
//!   caught up, queries read it again. An idle primary does not make a caught-up replica lag.
//! - With SQLite, the setting stops the server at start-up, named.

use std::sync::Arc;
use std::time::Duration;

use partnergraph::config::{ReplicaConfig, Secret};
use serde_json::{Value, json};

use crate::helpers::replica::{Replicated, poll};
use crate::helpers::world::{self, World};
use crate::helpers::{TestApp, TestDb, data};

/// A primary, its replica, and an app reading from the replica once it answers. The allowed lag
/// is roomy: these tests pause the replay to see where a query read, and expect the replica's
/// stale answer for as long as they need.
async fn replicated_app() -> Option<(Replicated, TestApp)> {
    replicated_app_with(Some(Duration::from_secs(600))).await
}

/// [`replicated_app`] with reads leaving the replica past `max_lag`.
async fn replicated_app_with(max_lag: Option<Duration>) -> Option<(Replicated, TestApp)> {
    let pair = Replicated::start().await?;
    let replica_url = pair.replica_url.clone();
    let app = TestApp::spawn_over(
        TestDb::existing(pair.primary_url.clone()),
        Arc::new(partnergraph::clock::SystemClock),
        |config| {
            config.replica = Some(ReplicaConfig {
                url: Secret::new(replica_url),
                check_interval: Duration::from_millis(200),
                // Roomy: a check that times out on a loaded machine would send the reads of a
                // paused replica to the primary. (A query that meets a stopped replica waits
                // this long for a connection before it is run on the primary.)
                check_timeout: Duration::from_secs(3),
                max_lag,
            })
        },
    )
    .await;
    assert!(replica_is(&app, "up").await, "the replica never answered");
    Some((pair, app))
}

/// Whether `/readyz` lists the replica as `state` within 10 s (the app checks it every 200 ms).
async fn replica_is(app: &TestApp, state: &str) -> bool {
    poll(Duration::from_secs(10), || async {
        let ready = app.get("/readyz").await.json();
        ready["status"] == "ready" && ready["replica"] == state
    })
    .await
}

async fn creator_names(app: &TestApp, w: &World) -> Vec<String> {
    let response = app
        .graphql_as(
            Some(&w.admin),
            "{ creators(first: 50) { nodes { displayName } } }",
            json!({}),
        )
        .await;
    strings(&data(&response)["creators"]["nodes"], "displayName")
}

async fn campaign_names(app: &TestApp, w: &World) -> Vec<String> {
    let response = app
        .graphql_as(
            Some(&w.admin),
            "{ campaigns(first: 50) { nodes { name } } }",
            json!({}),
        )
        .await;
    strings(&data(&response)["campaigns"]["nodes"], "name")
}

fn strings(nodes: &Value, field: &str) -> Vec<String> {
    nodes
        .as_array()
        .expect("nodes")
        .iter()
        .map(|node| node[field].as_str().expect("a string").to_owned())
        .collect()
}

async fn rename_creator(app: &TestApp, w: &World, name: &str) -> Value {
    app.graphql_as(
        Some(&w.admin),
        "mutation ($input: UpdateCreatorInput!) { updateCreator(input: $input) { id displayName } }",
        json!({ "input": { "id": w.creator_a, "displayName": name } }),
    )
    .await
}

#[tokio::test]
async fn lists_read_the_replica_and_a_mutation_answers_from_the_primary() {
    let Some((pair, app)) = replicated_app().await else {
        return;
    };
    let w = world::world(&app).await;
    pair.pause_replay().await;

    // The mutations' answers are read on the primary: their own writes, at once.
    let renamed = rename_creator(&app, &w, "Cora Renamed").await;
    assert_eq!(
        data(&renamed)["updateCreator"]["displayName"],
        "Cora Renamed"
    );
    let created = app
        .contract(
            Some(&w.admin),
            "campaigns",
            "CreateCampaign",
            json!({ "input": { "name": "Summer", "objective": "SALES", "schedule": "ALWAYS_ON" } }),
        )
        .await;
    assert_eq!(data(&created)["createCampaign"]["name"], "Summer");

    // The lists read the replica, which has not replayed them.
    let creators = creator_names(&app, &w).await;
    assert!(
        creators.contains(&"Cora Creator".to_owned()),
        "{creators:?}"
    );
    assert!(
        !creators.contains(&"Cora Renamed".to_owned()),
        "{creators:?}"
    );
    let campaigns = campaign_names(&app, &w).await;
    assert!(campaigns.contains(&"Spring".to_owned()), "{campaigns:?}");
    assert!(!campaigns.contains(&"Summer".to_owned()), "{campaigns:?}");

    pair.resume_replay().await;
    let caught_up = poll(Duration::from_secs(10), || async {
        creator_names(&app, &w)
            .await
            .contains(&"Cora Renamed".to_owned())
            && campaign_names(&app, &w)
                .await
                .contains(&"Summer".to_owned())
    })
    .await;
    assert!(caught_up, "the lists never saw the writes once replayed");
}

const SALES: &str = "query ($filter: PerformanceFilter!) {
  performance(filter: $filter) { totals { sales revenue { amount } } } }";

async fn sales(app: &TestApp, w: &World) -> Value {
    let now = chrono::Utc::now();
    let filter = json!({
        "from": (now - chrono::Duration::days(2)).to_rfc3339(),
        "to": (now + chrono::Duration::days(1)).to_rfc3339(),
    });
    let response = app
        .graphql_as(Some(&w.admin), SALES, json!({ "filter": filter }))
        .await;
    data(&response)["performance"]["totals"]["sales"].clone()
}

#[tokio::test]
async fn reports_read_the_replica_and_the_change_feed_the_primary() {
    let Some((pair, app)) = replicated_app().await else {
        return;
    };
    let w = world::world(&app).await;
    world::discount_code(&app, &w.admin, &w.enrollment_a, "CORA").await;
    pair.wait_replayed().await;
    assert_eq!(sales(&app, &w).await, 0);
    pair.pause_replay().await;

    let sale = |id: &str| {
        json!({ "externalId": id, "kind": "SALE", "amount": "40.00", "discountCode": "CORA",
                "customerKey": id, "occurredAt": chrono::Utc::now().to_rfc3339() })
    };
    world::record_conversions(&app, &w.key, json!([sale("r-1"), sale("r-2")])).await;

    // The report reads the replica: no sale yet.
    assert_eq!(sales(&app, &w).await, 0);
    // The change feed reads the primary: both changes at once.
    let changes = app
        .graphql_as(
            Some(&w.key),
            "{ conversionChanges(first: 10) { totalCount nodes { externalId } } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&changes)["conversionChanges"]["totalCount"], 2);

    pair.resume_replay().await;
    let caught_up = poll(Duration::from_secs(10), || async {
        sales(&app, &w).await == 2
    })
    .await;
    assert!(caught_up, "the report never saw the sales once replayed");
}

#[tokio::test]
async fn queries_fall_back_to_the_primary_while_the_replica_is_down_then_return() {
    let Some((pair, app)) = replicated_app().await else {
        return;
    };
    let w = world::world(&app).await;
    let renamed = rename_creator(&app, &w, "Cora Before").await;
    data(&renamed);
    pair.wait_replayed().await;

    pair.stop_replica();
    // From the first query on, before the periodic check has seen the replica go: answered
    // from the primary, with what it has, and no error.
    for _ in 0..3 {
        let creators = creator_names(&app, &w).await;
        assert!(creators.contains(&"Cora Before".to_owned()), "{creators:?}");
    }
    assert!(
        replica_is(&app, "down").await,
        "/readyz never saw the replica down"
    );
    let renamed = rename_creator(&app, &w, "Cora During").await;
    data(&renamed);
    let creators = creator_names(&app, &w).await;
    assert!(creators.contains(&"Cora During".to_owned()), "{creators:?}");
    assert_eq!(sales(&app, &w).await, 0);

    // Back: once it answers, queries read it again (a paused replay shows where they read).
    pair.start_replica();
    assert!(
        replica_is(&app, "up").await,
        "/readyz never saw the replica back"
    );
    pair.pause_replay().await;
    let renamed = rename_creator(&app, &w, "Cora After").await;
    assert_eq!(data(&renamed)["updateCreator"]["displayName"], "Cora After");
    let creators = creator_names(&app, &w).await;
    assert!(creators.contains(&"Cora During".to_owned()), "{creators:?}");
    pair.resume_replay().await;
}

#[tokio::test]
async fn export_files_are_written_from_the_replica() {
    let Some((pair, app)) = replicated_app().await else {
        return;
    };
    let w = world::world(&app).await;
    pair.pause_replay().await;
    data(&rename_creator(&app, &w, "Cora Renamed").await);
    let started = app
        .graphql_as(
            Some(&w.admin),
            "mutation { startExport(kind: CREATORS, format: CSV) { id status } }",
            json!({}),
        )
        .await;
    let id = world::text(&data(&started)["startExport"]["id"]);
    // Claimed and completed on the primary; its rows read on the paused replica.
    assert_eq!(app.exports.poll().await.expect("poll"), 1);

    pair.resume_replay().await;
    let read = || async {
        let answer = app
            .graphql_as(
                Some(&w.admin),
                "query ($id: ID!) { export(id: $id) { status url } }",
                json!({ "id": id }),
            )
            .await;
        answer["data"]["export"].clone()
    };
    let completed = poll(Duration::from_secs(10), || async {
        read().await["status"] == "COMPLETED"
    })
    .await;
    assert!(completed, "the export never showed COMPLETED");
    let url = world::text(&read().await["url"]);
    let path = url.strip_prefix("http://pg.test").expect("absolute URL");
    let file = app.get(path).await;
    assert!(file.text.contains("Cora Creator"), "{}", file.text);
    assert!(!file.text.contains("Cora Renamed"), "{}", file.text);
}

#[test]
fn a_replica_with_sqlite_stops_the_server_at_start_up() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_partnergraph"))
        .args(["serve", "--dev", "--bind", "127.0.0.1:0"])
        .env("PARTNERGRAPH_DATABASE_URL", "sqlite://pg.db")
        .env(
            "PARTNERGRAPH_DATABASE_REPLICA_URL",
            "postgres://reader:hunter2@127.0.0.1:1/pg",
        )
        .current_dir(dir.path())
        .output()
        .expect("run");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("PARTNERGRAPH_DATABASE_REPLICA_URL") && stderr.contains("SQLite"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
    assert!(
        !dir.path().join("pg.db").exists(),
        "the database was opened"
    );
}

/// The value of the unlabelled gauge `name` in the app's `/metrics`.
async fn gauge(app: &TestApp, name: &str) -> Option<f64> {
    let metrics = app.get("/metrics").await.text;
    metrics.lines().find_map(|line| {
        line.strip_prefix(name)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

#[tokio::test]
async fn a_replica_too_far_behind_is_left_for_the_primary_until_it_catches_up() {
    let Some((pair, app)) = replicated_app_with(Some(Duration::from_secs(2))).await else {
        return;
    };
    let w = world::world(&app).await;
    pair.wait_replayed().await;
    assert_eq!(gauge(&app, "partnergraph_replica_up").await, Some(1.0));
    pair.pause_replay().await;
    data(&rename_creator(&app, &w, "Cora Lagged").await);

    // Past 2 s behind, the lists read the primary: the new name, without an error.
    let from_primary = poll(Duration::from_secs(10), || async {
        creator_names(&app, &w)
            .await
            .contains(&"Cora Lagged".to_owned())
    })
    .await;
    assert!(from_primary, "the lists kept reading the lagging replica");
    assert!(
        replica_is(&app, "lagging").await,
        "/readyz never said lagging"
    );
    let lag = gauge(&app, "partnergraph_replica_lag_seconds").await;
    assert!(lag.is_some_and(|lag| lag >= 2.0), "{lag:?}");
    assert_eq!(gauge(&app, "partnergraph_replica_up").await, Some(0.0));

    // Caught up: reads return to it (a paused replay shows where they read).
    pair.resume_replay().await;
    assert!(
        replica_is(&app, "up").await,
        "/readyz never saw it catch up"
    );
    assert_eq!(gauge(&app, "partnergraph_replica_up").await, Some(1.0));
    pair.pause_replay().await;
    data(&rename_creator(&app, &w, "Cora Stale").await);
    let creators = creator_names(&app, &w).await;
    assert!(creators.contains(&"Cora Lagged".to_owned()), "{creators:?}");
    assert!(!creators.contains(&"Cora Stale".to_owned()), "{creators:?}");
    pair.resume_replay().await;
}

/// Nothing committed for a few seconds: the replica has everything, so its lag stays about 0,
/// where the age of the last transaction it replayed (`pg_last_xact_replay_timestamp`) grows
/// past the 2 s allowed.
#[tokio::test]
async fn an_idle_primary_does_not_make_a_caught_up_replica_lag() {
    let Some((pair, app)) = replicated_app_with(Some(Duration::from_secs(2))).await else {
        return;
    };
    let w = world::world(&app).await;
    pair.wait_replayed().await;

    let quiet = std::time::Instant::now();
    while quiet.elapsed() < Duration::from_secs(4) {
        let ready = app.get("/readyz").await.json();
        assert_eq!(ready["replica"], "up", "{ready}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let naive = pair.seconds_since_last_replayed_commit().await;
    assert!(naive > 2.0, "the primary was not idle: {naive} s");
    let lag = gauge(&app, "partnergraph_replica_lag_seconds").await;
    assert!(lag.is_some_and(|lag| lag < 1.0), "{lag:?}");
    assert_eq!(gauge(&app, "partnergraph_replica_up").await, Some(1.0));
    // And queries still read it.
    assert!(
        creator_names(&app, &w)
            .await
            .contains(&"Cora Creator".to_owned())
    );
}
