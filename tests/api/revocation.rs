//! Credentials are cached in each process (issue #21), and every revocation still takes effect
//! everywhere within a second: each revoking operation runs on one instance while a second
//! instance over the same database, its cache warm with the credential, is polled until it
//! refuses (PostgreSQL: LISTEN/NOTIFY; SQLite: in process).

use std::time::{Duration, Instant};

use axum::Router;
use chrono::Utc;
use partnergraph::db::entity::password_reset;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait};
use serde_json::{Value, json};

use crate::helpers::world::{self, PASSWORD, db_id, invite, login, text};
use crate::helpers::{TestApp, data, error_codes, graphql_on};
use crate::on_both_backends;

on_both_backends!(
    every_revocation_reaches_another_instance_within_a_second,
    a_cached_caller_costs_no_statement,
);

const VIEWER: &str = "{ viewer { id role } }";
const WITHIN: Duration = Duration::from_secs(1);

/// Answers `query` on `router` with `token`, polled until `done` holds, for [`WITHIN`] at most.
async fn within_a_second(
    router: &Router,
    token: &str,
    query: &str,
    variables: Value,
    done: impl Fn(&Value) -> bool,
    what: &str,
) {
    let started = Instant::now();
    loop {
        let response = graphql_on(router, token, query, variables.clone()).await;
        if done(&response) {
            return;
        }
        assert!(
            started.elapsed() < WITHIN,
            "{what}: still {response} after {WITHIN:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// `token` works on `router` now (its caller is cached there), and is refused within a second
/// of `revoke` running on the first instance.
async fn refused_after(
    router: &Router,
    token: &str,
    what: &str,
    revoke: impl std::future::Future<Output = ()>,
) {
    data(&graphql_on(router, token, "{ __typename }", json!({})).await);
    revoke.await;
    within_a_second(
        router,
        token,
        "{ __typename }",
        json!({}),
        |r| error_codes(r) == ["UNAUTHENTICATED"],
        what,
    )
    .await;
}

async fn user_id(app: &TestApp, admin: &str, email: &str) -> String {
    let response = app
        .graphql_as(
            Some(admin),
            "{ users(first: 50) { edges { node { id email } } } }",
            json!({}),
        )
        .await;
    let edges = data(&response)["users"]["edges"].clone();
    edges
        .as_array()
        .expect("edges")
        .iter()
        .find(|e| e["node"]["email"] == email)
        .map(|e| text(&e["node"]["id"]))
        .expect("user listed")
}

async fn every_revocation_reaches_another_instance_within_a_second(app: TestApp) {
    let w = world::world(&app).await;
    let other = app.second_instance().await;
    let ok = |r: &Value| r.get("errors").is_none();

    let (session, _) = login(&app, "analyst@a.test").await;
    refused_after(&other, &session, "logout", async {
        data(
            &app.graphql_as(Some(&session), "mutation { logout }", json!({}))
                .await,
        );
    })
    .await;

    let (mine, _) = login(&app, "admin@a.test").await;
    let (ended, _) = login(&app, "admin@a.test").await;
    let own = app
        .graphql_as(
            Some(&ended),
            "{ sessions(first: 50) { edges { node { id current } } } }",
            json!({}),
        )
        .await;
    let ended_id = data(&own)["sessions"]["edges"]
        .as_array()
        .expect("sessions")
        .iter()
        .find(|e| e["node"]["current"] == true)
        .map(|e| text(&e["node"]["id"]))
        .expect("current session");
    refused_after(&other, &ended, "endSession", async {
        let end = "mutation ($id: ID!) { endSession(id: $id) { id endedAt } }";
        data(
            &app.graphql_as(Some(&mine), end, json!({ "id": ended_id }))
                .await,
        );
    })
    .await;

    let (stolen, refresh) = login(&app, "analyst@a.test").await;
    refused_after(&other, &stolen, "refresh-token reuse", async {
        for _ in 0..2 {
            app.contract(
                None,
                "auth",
                "RefreshSession",
                json!({ "refreshToken": refresh }),
            )
            .await;
        }
    })
    .await;

    let (kept, _) = login(&app, "manager@a.test").await;
    let (other_device, _) = login(&app, "manager@a.test").await;
    refused_after(&other, &other_device, "changePassword", async {
        let change = "mutation ($input: ChangePasswordInput!) { changePassword(input: $input) }";
        let input = json!({ "input": { "oldPassword": PASSWORD, "newPassword": "a-new-password-for-manager" } });
        data(&app.graphql_as(Some(&kept), change, input).await);
    })
    .await;
    data(&graphql_on(&other, &kept, VIEWER, json!({})).await);

    let (reset_away, _) = login(&app, "analyst@a.test").await;
    refused_after(&other, &reset_away, "resetPassword", async {
        let token = "pgp_revocation-test-reset-token";
        let analyst = db_id(&user_id(&app, &w.admin, "analyst@a.test").await);
        password_reset::ActiveModel {
            user_id: Set(analyst),
            token_hash: Set(partnergraph::auth::secrets::sha256_hex(token)),
            expires_at: Set(Utc::now() + chrono::Duration::minutes(30)),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .expect("reset row");
        let reset = "mutation ($input: ResetPasswordInput!) { resetPassword(input: $input) }";
        let input = json!({ "input": { "token": token, "newPassword": PASSWORD } });
        data(&app.graphql_as(None, reset, input).await);
    })
    .await;

    // A role change: the demoted manager's next request on the other instance is refused.
    let manager = user_id(&app, &w.admin, "manager@a.test").await;
    let create = "mutation ($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }";
    let campaign =
        json!({ "input": { "name": "Role test", "objective": "SALES", "schedule": "ALWAYS_ON" } });
    data(&graphql_on(&other, &kept, create, campaign.clone()).await);
    let demote =
        "mutation ($input: UpdateUserRoleInput!) { updateUserRole(input: $input) { role } }";
    let role = json!({ "input": { "userId": manager, "role": "ANALYST" } });
    data(&app.graphql_as(Some(&w.admin), demote, role).await);
    within_a_second(
        &other,
        &kept,
        create,
        campaign,
        |r| error_codes(r) == ["FORBIDDEN"],
        "updateUserRole",
    )
    .await;
    // `viewer` answers from the cached account: it shows the new role too.
    within_a_second(
        &other,
        &kept,
        VIEWER,
        json!({}),
        |r| ok(r) && r["data"]["viewer"]["role"] == "ANALYST",
        "updateUserRole, viewer",
    )
    .await;

    // A new sign-in: an older session's cached account shows the new lastLoginAt.
    let last_login = "{ viewer { lastLoginAt } }";
    let (older, _) = login(&app, "admin@a.test").await;
    let before = graphql_on(&other, &older, last_login, json!({})).await;
    let before = text(&data(&before)["viewer"]["lastLoginAt"]);
    login(&app, "admin@a.test").await;
    within_a_second(
        &other,
        &older,
        last_login,
        json!({}),
        |r| ok(r) && r["data"]["viewer"]["lastLoginAt"].as_str() > Some(before.as_str()),
        "login, viewer's lastLoginAt",
    )
    .await;

    let (analyst, _) = login(&app, "analyst@a.test").await;
    let analyst_id = user_id(&app, &w.admin, "analyst@a.test").await;
    refused_after(&other, &analyst, "deactivateUser", async {
        let deactivate = "mutation ($id: ID!) { deactivateUser(id: $id) { id } }";
        data(
            &app.graphql_as(Some(&w.admin), deactivate, json!({ "id": analyst_id }))
                .await,
        );
    })
    .await;

    refused_after(&other, &w.key, "revokeApiKey", async {
        app.contract(
            Some(&w.admin),
            "auth",
            "RevokeApiKey",
            json!({ "id": w.key_id }),
        )
        .await;
    })
    .await;

    // A creator account linked to one more record: the other instance's cached caller learns it.
    let records = "{ creators(first: 10) { totalCount } }";
    let one = graphql_on(&other, &w.creator, records, json!({})).await;
    assert_eq!(data(&one)["creators"]["totalCount"], 1);
    let token = invite(
        &app,
        &w.admin,
        "cora@creators.test",
        "CREATOR",
        Some(&w.spare_creator_a),
    )
    .await;
    world::accept(&app, &token).await;
    within_a_second(
        &other,
        &w.creator,
        records,
        json!({}),
        |r| ok(r) && r["data"]["creators"]["totalCount"] == 2,
        "a creator record linked",
    )
    .await;

    refused_after(&other, &w.creator, "eraseCreator", async {
        let erase = "mutation ($id: ID!) { eraseCreator(id: $id) { id } }";
        data(
            &app.graphql_as(Some(&w.admin), erase, json!({ "id": w.creator_a }))
                .await,
        );
    })
    .await;
}

/// The second request with a credential reads no session, account or key: only what the
/// operation itself needs. A session's `viewer` is its cached account: no statement either.
async fn a_cached_caller_costs_no_statement(app: TestApp) {
    let w = world::world(&app).await;
    for token in [&w.analyst, &w.creator, &w.key] {
        data(
            &app.graphql_as(Some(token), "{ __typename }", json!({}))
                .await,
        );
        let before = app.statements();
        data(
            &app.graphql_as(Some(token), "{ __typename }", json!({}))
                .await,
        );
        assert_eq!(app.statements() - before, 0, "{token}");
    }
    let viewer = "{ viewer { id email role lastLoginAt active createdAt } }";
    for (token, email) in [
        (&w.analyst, "analyst@a.test"),
        (&w.creator, "cora@creators.test"),
    ] {
        let before = app.statements();
        let answer = app.graphql_as(Some(token), viewer, json!({})).await;
        assert_eq!(data(&answer)["viewer"]["email"], email, "{answer}");
        assert_eq!(app.statements() - before, 0, "{answer}");
    }
}

/// A revocation the listener may have missed (its connection was cut) is not served from the
/// cache: it is off while the listener reconnects, and starts empty.
#[tokio::test]
async fn a_lost_listener_connection_clears_the_cache_on_postgres() {
    crate::helpers::run(crate::helpers::Backend::Postgres, |app| async move {
        let w = world::world(&app).await;
        data(&app.graphql_as(Some(&w.analyst), VIEWER, json!({})).await);
        // Revoked behind the API's back: no notice is sent, as if it were lost.
        let silently = "UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = \
             (SELECT id FROM users WHERE email = 'analyst@a.test')";
        app.db.execute_unprepared(silently).await.expect("revoke");
        let cached = app.graphql_as(Some(&w.analyst), VIEWER, json!({})).await;
        data(&cached);
        let cut = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND query LIKE 'LISTEN%'";
        app.db.execute_unprepared(cut).await.expect("terminate");
        let started = Instant::now();
        loop {
            let response = app.graphql_as(Some(&w.analyst), VIEWER, json!({})).await;
            if error_codes(&response) == ["UNAUTHENTICATED"] {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "still served: {response}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}
