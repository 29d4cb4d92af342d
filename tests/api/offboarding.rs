//! Offboarding (issue #20): role changes and deactivation take effect on the very next request,
//! the brand keeps an active ADMIN, invites can be revoked, and a user lists and ends its own
//! sessions.

use serde_json::{Value, json};

use crate::helpers::world::{self, invite, login, text};
use crate::helpers::{TestApp, data, error_codes};
use crate::on_both_backends;

on_both_backends!(
    deactivation_refuses_the_token_at_once_and_ends_every_session,
    the_actor_check_costs_no_extra_statement,
    a_role_change_applies_to_the_next_request,
    the_last_active_admin_cannot_be_demoted_or_deactivated,
    only_admin_changes_staff_of_its_own_brand,
    a_revoked_invite_cannot_be_accepted,
    sessions_are_listed_and_ended_by_their_owner,
);

const UPDATE_ROLE: &str = "mutation ($input: UpdateUserRoleInput!) {
  updateUserRole(input: $input) { id role active } }";
const DEACTIVATE: &str =
    "mutation ($id: ID!) { deactivateUser(id: $id) { id active deactivatedAt } }";
const REACTIVATE: &str = "mutation ($id: ID!) { reactivateUser(id: $id) { id active } }";
const VIEWER: &str = "{ viewer { id email role } }";
const SESSIONS: &str =
    "{ sessions(first: 10) { totalCount edges { node { id startedAt current endedAt } } } }";

/// The global id of the user with `email` in the brand of ADMIN `admin`.
async fn user_id(app: &TestApp, admin: &str, email: &str) -> String {
    let response = app
        .graphql_as(
            Some(admin),
            "{ users(first: 50) { edges { node { id email } } } }",
            json!({}),
        )
        .await;
    let edges = data(&response)["users"]["edges"]
        .as_array()
        .expect("edges")
        .clone();
    edges
        .iter()
        .find(|e| e["node"]["email"] == email)
        .map(|e| text(&e["node"]["id"]))
        .unwrap_or_else(|| panic!("no user {email}: {response}"))
}

async fn set_role(app: &TestApp, token: &str, user: &str, role: &str) -> Value {
    app.graphql_as(
        Some(token),
        UPDATE_ROLE,
        json!({ "input": { "userId": user, "role": role } }),
    )
    .await
}

async fn deactivation_refuses_the_token_at_once_and_ends_every_session(app: TestApp) {
    let w = world::world(&app).await;
    let (second_access, second_refresh) = login(&app, "analyst@a.test").await;
    let analyst = user_id(&app, &w.admin, "analyst@a.test").await;
    data(&app.graphql_as(Some(&w.analyst), VIEWER, json!({})).await);

    let response = app
        .graphql_as(Some(&w.admin), DEACTIVATE, json!({ "id": analyst }))
        .await;
    assert_eq!(data(&response)["deactivateUser"]["active"], false);
    assert!(data(&response)["deactivateUser"]["deactivatedAt"].is_string());

    for token in [&w.analyst, &second_access] {
        let refused = app.graphql_as(Some(token), VIEWER, json!({})).await;
        assert_eq!(error_codes(&refused), ["UNAUTHENTICATED"], "{refused}");
    }
    let refresh = app
        .contract(
            None,
            "auth",
            "RefreshSession",
            json!({ "refreshToken": second_refresh }),
        )
        .await;
    assert_eq!(error_codes(&refresh), ["UNAUTHENTICATED"], "{refresh}");
    let login_again = app
        .contract(
            None,
            "auth",
            "Login",
            json!({ "email": "analyst@a.test", "password": world::PASSWORD }),
        )
        .await;
    assert_eq!(error_codes(&login_again), ["FORBIDDEN"], "{login_again}");
    assert!(login_again.to_string().contains("deactivated"));
    // Listed as inactive; deactivating again changes nothing.
    let again = app
        .graphql_as(Some(&w.admin), DEACTIVATE, json!({ "id": analyst }))
        .await;
    assert_eq!(
        data(&again)["deactivateUser"]["deactivatedAt"],
        data(&response)["deactivateUser"]["deactivatedAt"]
    );

    let back = app
        .graphql_as(Some(&w.admin), REACTIVATE, json!({ "id": analyst }))
        .await;
    assert_eq!(data(&back)["reactivateUser"]["active"], true);
    // No old session comes back; a new login works.
    let old = app.graphql_as(Some(&w.analyst), VIEWER, json!({})).await;
    assert_eq!(error_codes(&old), ["UNAUTHENTICATED"]);
    let (fresh, _) = login(&app, "analyst@a.test").await;
    data(&app.graphql_as(Some(&fresh), VIEWER, json!({})).await);
}

/// Deactivation and role are checked on the cached caller, which a deactivation or a role
/// change evicts (`tests/api/revocation.rs`): an authenticated request runs only the
/// resolver's own read (`viewer` none: it answers from the cached account).
async fn the_actor_check_costs_no_extra_statement(app: TestApp) {
    let w = world::world(&app).await;
    let own_campaigns = "{ campaigns(first: 1) { edges { node { id } } } }";
    data(
        &app.graphql_as(Some(&w.analyst), own_campaigns, json!({}))
            .await,
    );
    let before = app.statements();
    data(
        &app.graphql_as(Some(&w.analyst), own_campaigns, json!({}))
            .await,
    );
    assert_eq!(app.statements() - before, 1);
}

async fn a_role_change_applies_to_the_next_request(app: TestApp) {
    let w = world::world(&app).await;
    let manager = user_id(&app, &w.admin, "manager@a.test").await;
    let create = |token: String| {
        let app = &app;
        async move {
            app.contract(
                Some(&token),
                "campaigns",
                "CreateCampaign",
                json!({ "input": { "name": "Role test", "objective": "SALES", "schedule": "ALWAYS_ON" } }),
            )
            .await
        }
    };
    data(&create(w.manager.clone()).await);

    let demoted = set_role(&app, &w.admin, &manager, "ANALYST").await;
    assert_eq!(data(&demoted)["updateUserRole"]["role"], "ANALYST");
    // The same access token, the next request: the new role.
    assert_eq!(error_codes(&create(w.manager.clone()).await), ["FORBIDDEN"]);
    let viewer = app.graphql_as(Some(&w.manager), VIEWER, json!({})).await;
    assert_eq!(data(&viewer)["viewer"]["role"], "ANALYST");

    let promoted = set_role(&app, &w.admin, &manager, "ADMIN").await;
    assert_eq!(data(&promoted)["updateUserRole"]["role"], "ADMIN");
    let users = app
        .graphql_as(
            Some(&w.manager),
            "{ users(first: 5) { totalCount } }",
            json!({}),
        )
        .await;
    data(&users);
}

async fn the_last_active_admin_cannot_be_demoted_or_deactivated(app: TestApp) {
    let w = world::world(&app).await;
    let admin = user_id(&app, &w.admin, "admin@a.test").await;
    let manager = user_id(&app, &w.admin, "manager@a.test").await;

    let demote_self = set_role(&app, &w.admin, &admin, "MANAGER").await;
    assert_eq!(error_codes(&demote_self), ["CONFLICT"], "{demote_self}");
    assert!(demote_self.to_string().contains("last active ADMIN"));
    let deactivate_self = app
        .graphql_as(Some(&w.admin), DEACTIVATE, json!({ "id": admin }))
        .await;
    assert_eq!(error_codes(&deactivate_self), ["CONFLICT"]);
    // ADMIN -> ADMIN changes nothing and is allowed.
    data(&set_role(&app, &w.admin, &admin, "ADMIN").await);

    // A second ADMIN that is deactivated does not count.
    data(&set_role(&app, &w.admin, &manager, "ADMIN").await);
    data(
        &app.graphql_as(Some(&w.admin), DEACTIVATE, json!({ "id": manager }))
            .await,
    );
    assert_eq!(
        error_codes(&set_role(&app, &w.admin, &admin, "ANALYST").await),
        ["CONFLICT"]
    );
    // Reactivated, it does: the first ADMIN may step down.
    data(
        &app.graphql_as(Some(&w.admin), REACTIVATE, json!({ "id": manager }))
            .await,
    );
    let stepped_down = set_role(&app, &w.admin, &admin, "ANALYST").await;
    assert_eq!(data(&stepped_down)["updateUserRole"]["role"], "ANALYST");
    let (new_admin, _) = login(&app, "manager@a.test").await;
    assert_eq!(
        error_codes(
            &app.graphql_as(Some(&new_admin), DEACTIVATE, json!({ "id": manager }))
                .await
        ),
        ["CONFLICT"]
    );
}

async fn only_admin_changes_staff_of_its_own_brand(app: TestApp) {
    let w = world::world(&app).await;
    let analyst = user_id(&app, &w.admin, "analyst@a.test").await;
    for token in [&w.manager, &w.analyst, &w.creator, &w.key] {
        let response = set_role(&app, token, &analyst, "MANAGER").await;
        assert_eq!(error_codes(&response), ["FORBIDDEN"], "{response}");
        let response = app
            .graphql_as(Some(token), DEACTIVATE, json!({ "id": analyst }))
            .await;
        assert_eq!(error_codes(&response), ["FORBIDDEN"], "{response}");
    }
    // Another brand's staff and creator accounts (which span brands) are NOT_FOUND.
    let viewer = app.graphql_as(Some(&w.creator), VIEWER, json!({})).await;
    let creator_account = text(&data(&viewer)["viewer"]["id"]);
    for target in [&analyst, &creator_account] {
        let response = set_role(&app, &w.admin_b, target, "ADMIN").await;
        assert_eq!(error_codes(&response), ["NOT_FOUND"], "{response}");
        let response = app
            .graphql_as(Some(&w.admin_b), REACTIVATE, json!({ "id": target }))
            .await;
        assert_eq!(error_codes(&response), ["NOT_FOUND"], "{response}");
    }
    let response = set_role(&app, &w.admin, &creator_account, "ANALYST").await;
    assert_eq!(error_codes(&response), ["NOT_FOUND"]);
    let response = set_role(&app, &w.admin, &analyst, "CREATOR").await;
    assert_eq!(error_codes(&response), ["BAD_USER_INPUT"]);
    assert_eq!(response["errors"][0]["extensions"]["field"], "role");
}

const INVITE: &str = "mutation ($input: InviteUserInput!) {
  inviteUser(input: $input) { inviteToken invite { id email role status } } }";
const REVOKE: &str = "mutation ($id: ID!) { revokeInvite(id: $id) { id status revokedAt } }";

async fn a_revoked_invite_cannot_be_accepted(app: TestApp) {
    let w = world::world(&app).await;
    let issued = app
        .graphql_as(
            Some(&w.admin),
            INVITE,
            json!({ "input": { "email": "late@a.test", "role": "MANAGER" } }),
        )
        .await;
    let payload = &data(&issued)["inviteUser"];
    assert_eq!(payload["invite"]["status"], "PENDING");
    let invite_id = text(&payload["invite"]["id"]);
    let token = text(&payload["inviteToken"]);

    for caller in [&w.manager, &w.analyst, &w.creator] {
        let response = app
            .graphql_as(Some(caller), REVOKE, json!({ "id": invite_id }))
            .await;
        assert_eq!(error_codes(&response), ["FORBIDDEN"], "{response}");
    }
    let foreign = app
        .graphql_as(Some(&w.admin_b), REVOKE, json!({ "id": invite_id }))
        .await;
    assert_eq!(error_codes(&foreign), ["NOT_FOUND"]);

    let revoked = app
        .graphql_as(Some(&w.admin), REVOKE, json!({ "id": invite_id }))
        .await;
    assert_eq!(data(&revoked)["revokeInvite"]["status"], "REVOKED");
    let accepted = app
        .contract(
            None,
            "auth",
            "AcceptInvite",
            json!({ "input": { "inviteToken": token, "password": world::PASSWORD } }),
        )
        .await;
    assert_eq!(error_codes(&accepted), ["BAD_USER_INPUT"], "{accepted}");
    assert_eq!(accepted["errors"][0]["extensions"]["field"], "inviteToken");
    assert!(accepted.to_string().contains("revoked"), "{accepted}");

    // Listed with its status; an accepted invite cannot be revoked.
    let listed = app
        .graphql_as(
            Some(&w.admin),
            "{ invites(first: 20) { totalCount edges { node { id email status } } } }",
            json!({}),
        )
        .await;
    let edges = data(&listed)["invites"]["edges"]
        .as_array()
        .expect("edges")
        .clone();
    let late = edges
        .iter()
        .find(|e| e["node"]["email"] == "late@a.test")
        .expect("listed");
    assert_eq!(late["node"]["status"], "REVOKED");
    let accepted_one = edges
        .iter()
        .find(|e| e["node"]["email"] == "manager@a.test")
        .expect("manager's invite");
    assert_eq!(accepted_one["node"]["status"], "ACCEPTED");
    let response = app
        .graphql_as(
            Some(&w.admin),
            REVOKE,
            json!({ "id": accepted_one["node"]["id"] }),
        )
        .await;
    assert_eq!(error_codes(&response), ["CONFLICT"]);
    // A fresh invite to the same address still works.
    let again = invite(&app, &w.admin, "late@a.test", "MANAGER", None).await;
    world::accept(&app, &again).await;
}

async fn sessions_are_listed_and_ended_by_their_owner(app: TestApp) {
    let w = world::world(&app).await;
    let (_, phone_refresh) = login(&app, "analyst@a.test").await;
    let listed = app.graphql_as(Some(&w.analyst), SESSIONS, json!({})).await;
    let sessions = &data(&listed)["sessions"];
    assert_eq!(sessions["totalCount"], 2, "{listed}");
    let nodes: Vec<&Value> = sessions["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| &e["node"])
        .collect();
    assert_eq!(nodes[0]["current"], true);
    assert_eq!(nodes[1]["current"], false);
    let phone_session = text(&nodes[1]["id"]);

    // Refreshing keeps the session's id.
    let refreshed = app
        .contract(
            None,
            "auth",
            "RefreshSession",
            json!({ "refreshToken": phone_refresh }),
        )
        .await;
    let phone = text(&data(&refreshed)["refreshSession"]["accessToken"]);
    let seen_by_phone = app.graphql_as(Some(&phone), SESSIONS, json!({})).await;
    let ids: Vec<String> = data(&seen_by_phone)["sessions"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| text(&e["node"]["id"]))
        .collect();
    assert!(ids.contains(&phone_session), "{seen_by_phone}");

    // Nobody else can end it.
    const END: &str = "mutation ($id: ID!) { endSession(id: $id) { id endedAt } }";
    for other in [&w.admin, &w.manager, &w.admin_b] {
        let response = app
            .graphql_as(Some(other), END, json!({ "id": phone_session }))
            .await;
        assert_eq!(error_codes(&response), ["NOT_FOUND"], "{response}");
    }
    let key = app
        .graphql_as(Some(&w.key), END, json!({ "id": phone_session }))
        .await;
    assert_eq!(error_codes(&key), ["FORBIDDEN"]);
    let key_list = app.graphql_as(Some(&w.key), SESSIONS, json!({})).await;
    assert_eq!(error_codes(&key_list), ["FORBIDDEN"]);

    let ended = app
        .graphql_as(Some(&w.analyst), END, json!({ "id": phone_session }))
        .await;
    assert!(data(&ended)["endSession"]["endedAt"].is_string());
    let refused = app.graphql_as(Some(&phone), VIEWER, json!({})).await;
    assert_eq!(error_codes(&refused), ["UNAUTHENTICATED"]);
    let listed = app.graphql_as(Some(&w.analyst), SESSIONS, json!({})).await;
    assert_eq!(data(&listed)["sessions"]["totalCount"], 1);
    // An ended session is still the owner's to read by id.
    let node = app
        .graphql_as(
            Some(&w.analyst),
            "query ($id: ID!) { node(id: $id) { id } }",
            json!({ "id": phone_session }),
        )
        .await;
    assert_eq!(data(&node)["node"]["id"], phone_session.as_str());
}
