//! The app's clock is the one source of "now" for time-dependent rules and recorded times: an app
//! built with a manual clock dates what it writes, and lets invites expire, by that clock alone.
//! Credentials stay on the real time (`Auth`'s clock), so callers stay signed in while it moves.

use std::sync::Arc;

use chrono::{DateTime, Duration, DurationRound, Utc};
use partnergraph::clock::{Clock, ManualClock};
use serde_json::{Value, json};

use crate::helpers::world::{PASSWORD, register, text};
use crate::helpers::{Backend, TestApp, data, error_codes};

fn time(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&text(value))
        .unwrap_or_else(|e| panic!("not a DateTime ({e}): {value}"))
        .with_timezone(&Utc)
}

async fn recorded_times_and_invite_expiry_follow_the_manual_clock(backend: Backend) {
    // Forty days ago, to the second: far enough from the real time that a reading of the system
    // clock could not pass for it.
    let start = Utc::now().duration_trunc(Duration::seconds(1)).unwrap() - Duration::days(40);
    let clock = Arc::new(ManualClock::new(start));
    let Some(app) = TestApp::spawn_with_clock(backend, clock.clone()).await else {
        return;
    };
    let brand = register(&app, "Clockwork", "admin@clock.test").await;
    let admin = Some(brand.access.as_str());

    let viewer = app
        .graphql_as(
            admin,
            "{ viewer { createdAt brand { createdAt } } }",
            json!({}),
        )
        .await;
    assert_eq!(time(&data(&viewer)["viewer"]["createdAt"]), start);
    assert_eq!(time(&data(&viewer)["viewer"]["brand"]["createdAt"]), start);

    let invited = app
        .graphql_as(
            admin,
            "mutation ($input: InviteUserInput!) { inviteUser(input: $input) { inviteToken expiresAt } }",
            json!({ "input": { "email": "late@clock.test", "role": "ANALYST" } }),
        )
        .await;
    let invite = &data(&invited)["inviteUser"];
    assert_eq!(time(&invite["expiresAt"]), start + Duration::days(7));

    // A week and a second later by the app's clock (the real time has not moved): the invite has
    // expired, and the ADMIN, whose token lives in real time, is still signed in.
    clock.advance(Duration::days(7) + Duration::seconds(1));
    let late = app
        .contract(
            None,
            "auth",
            "AcceptInvite",
            json!({ "input": { "inviteToken": text(&invite["inviteToken"]), "password": PASSWORD } }),
        )
        .await;
    assert_eq!(error_codes(&late), ["BAD_USER_INPUT"]);

    let now = clock.now();
    let campaign = app
        .graphql_as(
            admin,
            "mutation { createCampaign(input: { name: \"Spring\", objective: SALES, schedule: ALWAYS_ON }) { createdAt updatedAt } }",
            json!({}),
        )
        .await;
    assert_eq!(time(&data(&campaign)["createCampaign"]["createdAt"]), now);
    assert_eq!(time(&data(&campaign)["createCampaign"]["updatedAt"]), now);

    let key = app
        .graphql_as(
            admin,
            "mutation { createApiKey(input: { name: \"shop\", scopes: [INGEST] }) { apiKey { id createdAt } } }",
            json!({}),
        )
        .await;
    let key = &data(&key)["createApiKey"]["apiKey"];
    assert_eq!(time(&key["createdAt"]), now);
    clock.advance(Duration::hours(1));
    let revoked = app
        .graphql_as(
            admin,
            "mutation ($id: ID!) { revokeApiKey(id: $id) { revokedAt } }",
            json!({ "id": key["id"] }),
        )
        .await;
    assert_eq!(
        time(&data(&revoked)["revokeApiKey"]["revokedAt"]),
        now + Duration::hours(1)
    );
}

#[tokio::test]
async fn recorded_times_and_invite_expiry_follow_the_manual_clock_on_sqlite() {
    recorded_times_and_invite_expiry_follow_the_manual_clock(Backend::Sqlite).await;
}

#[tokio::test]
async fn recorded_times_and_invite_expiry_follow_the_manual_clock_on_postgres() {
    recorded_times_and_invite_expiry_follow_the_manual_clock(Backend::Postgres).await;
}
