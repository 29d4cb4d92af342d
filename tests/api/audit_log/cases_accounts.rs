//! Cases of the walk: accounts, API keys, brand settings, creators, data rights, connectors,
//! webhooks, fraud, exports and imports. Then what the walk does not check for them: personal
//! values withheld and gone from the log after an erasure, a changed password's entry without
//! values, creators' own calls unrecorded, settings without a node recorded on the brand,
//! no-op calls still recorded, refused ones not, and one entry per import.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use super::cases::{Case, Done};
use super::{admin_id, all_entries};
use crate::audit_case;
use crate::helpers::world::{
    self, PASSWORD, World, accept, create_key, discount_code, invite, login, record_conversions,
    text,
};
use crate::helpers::{TestApp, data, error_codes};
use crate::on_both_backends;

pub fn cases() -> Vec<Case> {
    vec![
        audit_case!("inviteUser", invite_user),
        audit_case!("revokeInvite", revoke_invite),
        audit_case!("changePassword", change_password),
        audit_case!("createApiKey", create_api_key),
        audit_case!("revokeApiKey", revoke_api_key),
        audit_case!("updateUserRole", update_user_role),
        audit_case!("deactivateUser", deactivate_user),
        audit_case!("reactivateUser", reactivate_user),
        audit_case!("endSession", end_session),
        audit_case!("logout", logout),
        audit_case!("updateBrandSettings", update_brand_settings),
        audit_case!("setExchangeRate", set_exchange_rate),
        audit_case!("createCreator", create_creator),
        audit_case!("updateCreator", update_creator),
        audit_case!("setCreatorStage", set_creator_stage),
        audit_case!("vetCreator", vet_creator),
        audit_case!("deleteCreator", delete_creator),
        audit_case!("removeChannel", remove_channel),
        audit_case!("eraseCreator", erase_creator),
        audit_case!("eraseCustomer", erase_customer),
        audit_case!("createConnector", create_connector),
        audit_case!("rotateConnectorSecret", rotate_connector_secret),
        audit_case!("disableConnector", disable_connector),
        audit_case!("createWebhookEndpoint", create_webhook_endpoint),
        audit_case!("updateWebhookEndpoint", update_webhook_endpoint),
        audit_case!("deleteWebhookEndpoint", delete_webhook_endpoint),
        audit_case!("retryWebhookDelivery", retry_webhook_delivery),
        audit_case!("updateFraudRule", update_fraud_rule),
        audit_case!("resolveFraudFlag", resolve_fraud_flag),
        audit_case!("startExport", start_export),
        audit_case!("importCreators", import_creators),
        audit_case!("importConversions", import_conversions),
    ]
}

// ---------------------------------------------------------------------------------------------
// Fixtures of these cases (each makes its own objects: the World's are shared by every case)
// ---------------------------------------------------------------------------------------------

/// Runs `query` as `token` and answers its `data`, failing on any error.
async fn run(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    data(&app.graphql_as(Some(token), query, variables).await).clone()
}

/// Invites `email` as staff `role` and signs the account in; (access token, user id).
async fn staff(app: &TestApp, w: &World, email: &str, role: &str) -> (String, String) {
    let token = invite(app, &w.admin, email, role, None).await;
    let access = accept(app, &token).await;
    let viewer = run(app, &access, "{ viewer { id } }", json!({})).await;
    (access, text(&viewer["viewer"]["id"]))
}

const CREATE_CREATOR: &str = "mutation ($input: CreateCreatorInput!) {
  createCreator(input: $input) { id channels { id } } }";

/// A creator of brand A with one Instagram channel `handle`; (creator id, channel id).
async fn creator(
    app: &TestApp,
    w: &World,
    name: &str,
    email: &str,
    handle: &str,
) -> (String, String) {
    let created = run(
        app,
        &w.admin,
        CREATE_CREATOR,
        json!({ "input": { "displayName": name, "email": email, "country": "US",
            "niches": ["skincare"],
            "channels": [{ "platform": "INSTAGRAM", "handle": handle, "followers": 12000 }] } }),
    )
    .await;
    let created = &created["createCreator"];
    (text(&created["id"]), text(&created["channels"][0]["id"]))
}

/// The current session of `token` (the one its access token belongs to).
async fn current_session(app: &TestApp, token: &str) -> String {
    let sessions = run(
        app,
        token,
        "{ sessions(first: 100) { nodes { id current } } }",
        json!({}),
    )
    .await;
    let nodes = sessions["sessions"]["nodes"].as_array().expect("sessions");
    text(
        &nodes
            .iter()
            .find(|s| s["current"] == true)
            .expect("current")["id"],
    )
}

const CREATE_CONNECTOR: &str = "mutation ($input: CreateConnectorInput!) {
  createConnector(input: $input) { secret connector { id } } }";

/// A Shopify connector of brand A; (id, secret).
async fn connector(app: &TestApp, w: &World, name: &str) -> (String, String) {
    let created = run(
        app,
        &w.admin,
        CREATE_CONNECTOR,
        json!({ "input": { "kind": "SHOPIFY", "name": name } }),
    )
    .await;
    (
        text(&created["createConnector"]["connector"]["id"]),
        text(&created["createConnector"]["secret"]),
    )
}

const CREATE_ENDPOINT: &str = "mutation ($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { secret webhookEndpoint { id } } }";

/// An endpoint of brand A for attributed conversions; (id, secret).
async fn endpoint(app: &TestApp, w: &World, path: &str) -> (String, String) {
    let created = run(
        app,
        &w.admin,
        CREATE_ENDPOINT,
        json!({ "input": { "url": format!("https://hooks.example.com/{path}"),
            "eventTypes": ["CONVERSION_ATTRIBUTED"], "description": "audit" } }),
    )
    .await;
    let payload = &created["createWebhookEndpoint"];
    (
        text(&payload["webhookEndpoint"]["id"]),
        text(&payload["secret"]),
    )
}

const UPDATE_RULE: &str = "mutation ($input: UpdateFraudRuleInput!) {
  updateFraudRule(input: $input) { rule enabled } }";

const IMPORT: &str = "query ($id: ID!) { import(id: $id) { status } }";
const BOUNDARY: &str = "pg-audit-boundary-41c2";

/// Uploads `csv` with `query` (its file variable `$file`) as `token`, per the GraphQL
/// multipart request spec, and waits for the import to finish; the import's ID.
async fn upload(app: &TestApp, token: &str, query: &str, csv: &str) -> String {
    let operations = json!({ "query": query, "variables": { "file": null } });
    let body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{operations}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{{\"0\": [\"variables.file\"]}}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"rows.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{csv}\r\n--{BOUNDARY}--\r\n"
    );
    let request = Request::post("/graphql")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .header("apollo-require-preflight", "true")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(body))
        .expect("request");
    let answer = app.request(request).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let response = answer.json();
    let started = data(&response)
        .as_object()
        .and_then(|o| o.values().next())
        .cloned()
        .expect("an import");
    let id = text(&started["id"]);
    // The rows are written in the background: wait, so that they do not race the next case.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let found = run(app, token, IMPORT, json!({ "id": id })).await;
        if found["import"]["status"] != "RUNNING" {
            return id;
        }
        assert!(Instant::now() < deadline, "import still running");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Accounts, keys and sessions
// ---------------------------------------------------------------------------------------------

async fn invite_user(app: &TestApp, w: &World) -> Done {
    let response = run(
        app,
        &w.admin,
        "mutation ($input: InviteUserInput!) { inviteUser(input: $input) {
           inviteToken invite { id } } }",
        json!({ "input": { "email": "audit.invitee@a.test", "role": "ANALYST" } }),
    )
    .await;
    let payload = &response["inviteUser"];
    Done::target(text(&payload["invite"]["id"])).secret(text(&payload["inviteToken"]))
}

async fn revoke_invite(app: &TestApp, w: &World) -> Done {
    let created = run(
        app,
        &w.admin,
        "mutation ($input: InviteUserInput!) { inviteUser(input: $input) { invite { id } } }",
        json!({ "input": { "email": "audit.revoked@a.test", "role": "MANAGER" } }),
    )
    .await;
    let id = text(&created["inviteUser"]["invite"]["id"]);
    let revoked = run(
        app,
        &w.admin,
        "mutation ($id: ID!) { revokeInvite(id: $id) { id } }",
        json!({ "id": id }),
    )
    .await;
    Done::target(text(&revoked["revokeInvite"]["id"]))
}

/// A MANAGER changes its own password (the World's ADMIN keeps its own).
async fn change_password(app: &TestApp, w: &World) -> Done {
    let (access, user_id) = staff(app, w, "audit.password@a.test", "MANAGER").await;
    let new_password = "audit-new-password-7731";
    let changed = run(
        app,
        &access,
        "mutation ($input: ChangePasswordInput!) { changePassword(input: $input) }",
        json!({ "input": { "oldPassword": PASSWORD, "newPassword": new_password } }),
    )
    .await;
    assert_eq!(changed["changePassword"], true);
    Done::target(user_id.clone())
        .by(user_id)
        .secret(PASSWORD)
        .secret(new_password)
}

async fn create_api_key(app: &TestApp, w: &World) -> Done {
    let (secret, id) = create_key(app, &w.admin, "audited key").await;
    Done::target(id).secret(secret)
}

async fn revoke_api_key(app: &TestApp, w: &World) -> Done {
    let (secret, id) = create_key(app, &w.admin, "to revoke").await;
    let revoked = run(
        app,
        &w.admin,
        "mutation ($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }",
        json!({ "id": id }),
    )
    .await;
    Done::target(text(&revoked["revokeApiKey"]["id"])).secret(secret)
}

async fn update_user_role(app: &TestApp, w: &World) -> Done {
    let (_, user_id) = staff(app, w, "audit.role@a.test", "ANALYST").await;
    let updated = run(
        app,
        &w.admin,
        "mutation ($input: UpdateUserRoleInput!) { updateUserRole(input: $input) { id role } }",
        json!({ "input": { "userId": user_id, "role": "MANAGER" } }),
    )
    .await;
    Done::target(text(&updated["updateUserRole"]["id"]))
}

async fn deactivate_user(app: &TestApp, w: &World) -> Done {
    let (_, user_id) = staff(app, w, "audit.deactivated@a.test", "ANALYST").await;
    let deactivated = run(
        app,
        &w.admin,
        "mutation ($id: ID!) { deactivateUser(id: $id) { id } }",
        json!({ "id": user_id }),
    )
    .await;
    Done::target(text(&deactivated["deactivateUser"]["id"]))
}

async fn reactivate_user(app: &TestApp, w: &World) -> Done {
    let (_, user_id) = staff(app, w, "audit.reactivated@a.test", "ANALYST").await;
    run(
        app,
        &w.admin,
        "mutation ($id: ID!) { deactivateUser(id: $id) { id } }",
        json!({ "id": user_id }),
    )
    .await;
    let reactivated = run(
        app,
        &w.admin,
        "mutation ($id: ID!) { reactivateUser(id: $id) { id } }",
        json!({ "id": user_id }),
    )
    .await;
    Done::target(text(&reactivated["reactivateUser"]["id"]))
}

/// The ADMIN signs in a second time and ends that session from the World's one.
async fn end_session(app: &TestApp, w: &World) -> Done {
    let (other, refresh) = login(app, "admin@a.test").await;
    let session = current_session(app, &other).await;
    let ended = run(
        app,
        &w.admin,
        "mutation ($id: ID!) { endSession(id: $id) { id endedAt } }",
        json!({ "id": session }),
    )
    .await;
    Done::target(text(&ended["endSession"]["id"]))
        .secret(other)
        .secret(refresh)
}

/// The ADMIN signs in a second time and logs that session out.
async fn logout(app: &TestApp, _w: &World) -> Done {
    let (other, refresh) = login(app, "admin@a.test").await;
    let session = current_session(app, &other).await;
    let out = run(app, &other, "mutation { logout }", json!({})).await;
    assert_eq!(out["logout"], true);
    Done::target(session).secret(other).secret(refresh)
}

// ---------------------------------------------------------------------------------------------
// Brand settings
// ---------------------------------------------------------------------------------------------

async fn update_brand_settings(app: &TestApp, w: &World) -> Done {
    let updated = run(
        app,
        &w.admin,
        "mutation ($input: UpdateBrandSettingsInput!) { updateBrandSettings(input: $input) { id } }",
        json!({ "input": { "name": "Brand A (audited)" } }),
    )
    .await;
    Done::target(text(&updated["updateBrandSettings"]["id"]))
}

async fn set_exchange_rate(app: &TestApp, w: &World) -> Done {
    run(
        app,
        &w.admin,
        "mutation ($input: SetExchangeRateInput!) { setExchangeRate(input: $input) { rate } }",
        json!({ "input": { "currencyCode": "EUR", "date": "2026-11-02", "rate": "1.08" } }),
    )
    .await;
    Done::target(w.brand_a.clone())
}

// ---------------------------------------------------------------------------------------------
// Creators and data rights
// ---------------------------------------------------------------------------------------------

async fn create_creator(app: &TestApp, w: &World) -> Done {
    let (id, _) = creator(
        app,
        w,
        "Ada Audited",
        "ada.audited@creators.test",
        "@ada.audited",
    )
    .await;
    Done::target(id)
}

async fn update_creator(app: &TestApp, w: &World) -> Done {
    let (id, _) = creator(app, w, "Una Updated", "una@creators.test", "@una").await;
    let updated = run(
        app,
        &w.admin,
        "mutation ($input: UpdateCreatorInput!) { updateCreator(input: $input) { id } }",
        json!({ "input": { "id": id, "displayName": "Una Renamed", "country": "CA",
            "channels": [{ "platform": "TIKTOK", "handle": "@una.tt", "followers": 900 }] } }),
    )
    .await;
    Done::target(text(&updated["updateCreator"]["id"]))
}

async fn set_creator_stage(app: &TestApp, w: &World) -> Done {
    let (id, _) = creator(app, w, "Stu Staged", "stu@creators.test", "@stu").await;
    let staged = run(
        app,
        &w.admin,
        "mutation ($id: ID!) { setCreatorStage(id: $id, stage: CONTACTED) { id } }",
        json!({ "id": id }),
    )
    .await;
    Done::target(text(&staged["setCreatorStage"]["id"]))
}

async fn vet_creator(app: &TestApp, w: &World) -> Done {
    let (id, _) = creator(app, w, "Vic Vetted", "vic@creators.test", "@vic").await;
    let vetted = run(
        app,
        &w.admin,
        "mutation ($input: VetCreatorInput!) { vetCreator(input: $input) { id } }",
        json!({ "input": { "creatorId": id, "status": "APPROVED", "brandSafetyScore": 90,
            "notes": "fine" } }),
    )
    .await;
    Done::target(text(&vetted["vetCreator"]["id"]))
}

async fn delete_creator(app: &TestApp, w: &World) -> Done {
    let (id, _) = creator(app, w, "Dee Deleted", "dee@creators.test", "@dee").await;
    let deleted = run(
        app,
        &w.admin,
        "mutation ($id: ID!) { deleteCreator(id: $id) }",
        json!({ "id": id }),
    )
    .await;
    Done::target(text(&deleted["deleteCreator"]))
}

async fn remove_channel(app: &TestApp, w: &World) -> Done {
    let (_, channel) = creator(app, w, "Rae Removed", "rae@creators.test", "@rae").await;
    run(
        app,
        &w.admin,
        "mutation ($id: ID!) { removeChannel(id: $id) { id } }",
        json!({ "id": channel }),
    )
    .await;
    Done::target(channel)
}

/// The erased creator's name, email and handle are in no entry of the log (the walk checks
/// every entry at its end, `createCreator`'s of this creator included).
async fn erase_creator(app: &TestApp, w: &World) -> Done {
    let (name, email, handle) = (
        "Erin Erasable",
        "erin.erasable@creators.test",
        "@erin.erasable",
    );
    let (id, _) = creator(app, w, name, email, handle).await;
    let erased = run(
        app,
        &w.admin,
        "mutation ($id: ID!) { eraseCreator(id: $id) { id } }",
        json!({ "id": id }),
    )
    .await;
    Done::target(text(&erased["eraseCreator"]["id"]))
        .secret(name)
        .secret(email)
        .secret(handle)
}

/// The customer's key and address are in no entry.
async fn erase_customer(app: &TestApp, w: &World) -> Done {
    let (key, email) = ("audit-customer-7", "audit.customer7@shop.test");
    record_conversions(
        app,
        &w.key,
        json!([{ "externalId": "audit-erase-1", "kind": "SALE", "amount": "30.00",
            "occurredAt": chrono::Utc::now().to_rfc3339(), "customerKey": key,
            "customerEmail": email }]),
    )
    .await;
    let erased = run(
        app,
        &w.admin,
        "mutation ($input: EraseCustomerInput!) { eraseCustomer(input: $input) {
           conversionsChanged } }",
        json!({ "input": { "customerKey": key } }),
    )
    .await;
    assert_eq!(erased["eraseCustomer"]["conversionsChanged"], 1);
    Done::target(w.brand_a.clone()).secret(key).secret(email)
}

// ---------------------------------------------------------------------------------------------
// Connectors and webhooks
// ---------------------------------------------------------------------------------------------

async fn create_connector(app: &TestApp, w: &World) -> Done {
    let (id, secret) = connector(app, w, "Audited store").await;
    Done::target(id).secret(secret)
}

async fn rotate_connector_secret(app: &TestApp, w: &World) -> Done {
    let (id, old) = connector(app, w, "Rotated store").await;
    let new = "shpss_audit_rotated_secret_0123456789";
    let rotated = run(
        app,
        &w.admin,
        "mutation ($id: ID!, $s: String) { rotateConnectorSecret(id: $id, signingSecret: $s) {
           secret connector { id } } }",
        json!({ "id": id, "s": new }),
    )
    .await;
    assert_eq!(rotated["rotateConnectorSecret"]["secret"], new);
    Done::target(text(&rotated["rotateConnectorSecret"]["connector"]["id"]))
        .secret(old)
        .secret(new)
}

async fn disable_connector(app: &TestApp, w: &World) -> Done {
    let (id, secret) = connector(app, w, "Disabled store").await;
    let disabled = run(
        app,
        &w.admin,
        "mutation ($id: ID!) { disableConnector(id: $id) { id } }",
        json!({ "id": id }),
    )
    .await;
    Done::target(text(&disabled["disableConnector"]["id"])).secret(secret)
}

async fn create_webhook_endpoint(app: &TestApp, w: &World) -> Done {
    let (id, secret) = endpoint(app, w, "created").await;
    Done::target(id).secret(secret)
}

async fn update_webhook_endpoint(app: &TestApp, w: &World) -> Done {
    let (id, secret) = endpoint(app, w, "updated").await;
    let updated = run(
        app,
        &w.admin,
        "mutation ($input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $input) {
           id } }",
        json!({ "input": { "id": id, "description": "renamed", "enabled": false } }),
    )
    .await;
    Done::target(text(&updated["updateWebhookEndpoint"]["id"])).secret(secret)
}

async fn delete_webhook_endpoint(app: &TestApp, w: &World) -> Done {
    let (id, secret) = endpoint(app, w, "deleted").await;
    let deleted = run(
        app,
        &w.admin,
        "mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) }",
        json!({ "id": id }),
    )
    .await;
    Done::target(text(&deleted["deleteWebhookEndpoint"])).secret(secret)
}

/// A delivery exists once an attributed sale is recorded for a subscribed endpoint; any
/// delivery may be retried (a PENDING one skips its wait).
async fn retry_webhook_delivery(app: &TestApp, w: &World) -> Done {
    let (endpoint, secret) = endpoint(app, w, "retried").await;
    discount_code(app, &w.admin, &w.enrollment_a, "AUDITHOOK").await;
    record_conversions(
        app,
        &w.key,
        json!([{ "externalId": "audit-hook-1", "kind": "SALE", "amount": "40.00",
            "currencyCode": "USD", "occurredAt": chrono::Utc::now().to_rfc3339(),
            "discountCode": "AUDITHOOK" }]),
    )
    .await;
    let log = run(
        app,
        &w.admin,
        "query ($e: ID) { webhookDeliveries(endpointId: $e, first: 10) { nodes { id } } }",
        json!({ "e": endpoint }),
    )
    .await;
    let delivery = text(&log["webhookDeliveries"]["nodes"][0]["id"]);
    let retried = run(
        app,
        &w.admin,
        "mutation ($id: ID!) { retryWebhookDelivery(id: $id) { id } }",
        json!({ "id": delivery }),
    )
    .await;
    Done::target(text(&retried["retryWebhookDelivery"]["id"])).secret(secret)
}

// ---------------------------------------------------------------------------------------------
// Fraud, exports and imports
// ---------------------------------------------------------------------------------------------

/// A parameter of a rule left off: later cases' conversions are not flagged.
async fn update_fraud_rule(app: &TestApp, w: &World) -> Done {
    let updated = run(
        app,
        &w.admin,
        UPDATE_RULE,
        json!({ "input": { "rule": "TOO_FAST", "seconds": 7 } }),
    )
    .await;
    assert_eq!(updated["updateFraudRule"]["enabled"], false);
    Done::target(w.brand_a.clone())
}

/// A sale with a throwaway address is flagged while DISPOSABLE_EMAIL is on (then off again).
async fn resolve_fraud_flag(app: &TestApp, w: &World) -> Done {
    let flag = flagged_sale(app, w, "AUDITFRAUD", "audit-fraud-1").await;
    let resolved = run(
        app,
        &w.admin,
        "mutation ($id: ID!) { resolveFraudFlag(id: $id, decision: APPROVE, note: \"known buyer\") {
           id } }",
        json!({ "id": flag }),
    )
    .await;
    Done::target(text(&resolved["resolveFraudFlag"]["id"]))
}

/// Records a sale with code `code` (created here) and a disposable address while
/// DISPOSABLE_EMAIL is on; the flag's ID. The rule is off again afterwards.
async fn flagged_sale(app: &TestApp, w: &World, code: &str, external_id: &str) -> String {
    let rule =
        |enabled: bool| json!({ "input": { "rule": "DISPOSABLE_EMAIL", "enabled": enabled } });
    discount_code(app, &w.admin, &w.enrollment_a, code).await;
    run(app, &w.admin, UPDATE_RULE, rule(true)).await;
    record_conversions(
        app,
        &w.key,
        json!([{ "externalId": external_id, "kind": "SALE", "amount": "60.00",
            "currencyCode": "USD", "occurredAt": chrono::Utc::now().to_rfc3339(),
            "discountCode": code, "customerEmail": format!("{external_id}@yopmail.com") }]),
    )
    .await;
    run(app, &w.admin, UPDATE_RULE, rule(false)).await;
    let queue = run(
        app,
        &w.admin,
        "{ fraudFlags(status: OPEN, first: 100) { nodes { id conversion { externalId } } } }",
        json!({}),
    )
    .await;
    let nodes = queue["fraudFlags"]["nodes"].as_array().expect("flags");
    let flag = nodes
        .iter()
        .find(|n| n["conversion"]["externalId"] == external_id)
        .unwrap_or_else(|| panic!("no flag for {external_id}: {queue}"));
    text(&flag["id"])
}

async fn start_export(app: &TestApp, w: &World) -> Done {
    let started = run(
        app,
        &w.admin,
        "mutation { startExport(kind: CREATORS, format: CSV) { id } }",
        json!({}),
    )
    .await;
    Done::target(text(&started["startExport"]["id"]))
}

const IMPORT_CREATORS: &str = "mutation ($file: Upload!) { importCreators(file: $file) { id } }";
const IMPORT_CONVERSIONS: &str =
    "mutation ($file: Upload!) { importConversions(file: $file) { id } }";

async fn import_creators(app: &TestApp, w: &World) -> Done {
    let csv = "displayName,email,country,niches,channels\n\
               Ivy Imported,ivy.imported@creators.test,US,skincare,INSTAGRAM:@ivy.imp:5000\n";
    Done::target(upload(app, &w.admin, IMPORT_CREATORS, csv).await)
}

/// By the INGEST key, as `recordConversions`.
async fn import_conversions(app: &TestApp, w: &World) -> Done {
    let csv = format!(
        "externalId,kind,occurredAt,amount,currencyCode\naudit-import-1,SALE,{},25.00,USD\n",
        chrono::Utc::now().to_rfc3339()
    );
    Done::target(upload(app, &w.key, IMPORT_CONVERSIONS, &csv).await).by(w.key_id.clone())
}

// ---------------------------------------------------------------------------------------------
// Beyond the walk
// ---------------------------------------------------------------------------------------------

/// Entries about `target`, newest first.
async fn about(app: &TestApp, w: &World, target: &str) -> Vec<Value> {
    all_entries(app, &w.admin, json!({ "target": target })).await
}

/// The entry's change of `field` as (old, new, withheld); `None` when it did not change.
fn change(entry: &Value, field: &str) -> Option<(Value, Value, bool)> {
    entry["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["field"] == field)
        .map(|c| {
            (
                c["oldValue"].clone(),
                c["newValue"].clone(),
                c["withheld"] == true,
            )
        })
}

fn fields(entry: &Value) -> Vec<String> {
    entry["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| text(&c["field"]))
        .collect()
}

/// A creator's name, email, notes and handles are recorded as changed, never by value; after
/// `eraseCreator` no entry holds them, and the erasure's own entries (the creator, and its
/// account when erased with it) withhold them too.
async fn personal_values_are_withheld_and_an_erasure_leaves_no_copy(app: TestApp) {
    let w = world::world(&app).await;
    let (id, channel) = creator(
        &app,
        &w,
        "Pia Private",
        "pia.private@creators.test",
        "@pia.private",
    )
    .await;
    let created = about(&app, &w, &id).await;
    assert_eq!(created.len(), 1, "{created:#?}");
    assert_eq!(created[0]["operation"], "createCreator");
    for field in ["displayName", "email"] {
        assert_eq!(
            change(&created[0], field),
            Some((Value::Null, Value::Null, true)),
            "{field}"
        );
    }
    assert_eq!(
        change(&created[0], "stage"),
        Some((Value::Null, json!("PROSPECT"), false))
    );
    assert!(!fields(&created[0]).iter().any(|f| f.contains("Hash")));
    let channel_entry = &about(&app, &w, &channel).await[0];
    assert_eq!(channel_entry["operation"], "createCreator");
    assert_eq!(
        change(channel_entry, "handle"),
        Some((Value::Null, Value::Null, true))
    );
    assert_eq!(
        change(channel_entry, "platform"),
        Some((Value::Null, json!("INSTAGRAM"), false))
    );

    run(
        &app,
        &w.admin,
        "mutation ($input: VetCreatorInput!) { vetCreator(input: $input) { id } }",
        json!({ "input": { "creatorId": id, "status": "APPROVED", "notes": "Pia's notes" } }),
    )
    .await;
    let vetted = &about(&app, &w, &id).await[0];
    assert_eq!(
        change(vetted, "vettingNotes"),
        Some((Value::Null, Value::Null, true))
    );
    assert_eq!(
        change(vetted, "vettingStatus"),
        Some((json!("PENDING"), json!("APPROVED"), false))
    );

    // The World's linked creator: its account is erased with it.
    let erased = run(
        &app,
        &w.admin,
        "mutation ($id: ID!) { eraseCreator(id: $id) { id } }",
        json!({ "id": w.creator_a }),
    )
    .await;
    assert_eq!(erased["eraseCreator"]["id"], w.creator_a.as_str());
    let entries = all_entries(&app, &w.admin, json!({ "operation": "eraseCreator" })).await;
    assert_eq!(
        entries.len(),
        2,
        "the creator and its account: {entries:#?}"
    );
    let record = entries
        .iter()
        .find(|e| e["targetType"] == "Creator")
        .expect("the creator's entry");
    assert_eq!(record["target"], w.creator_a.as_str());
    assert_eq!(
        change(record, "displayName"),
        Some((Value::Null, Value::Null, true))
    );
    assert_eq!(
        change(record, "stage"),
        Some((json!("ACTIVE"), json!("ENDED"), false))
    );
    assert!(change(record, "erasedAt").is_some());
    let account = entries
        .iter()
        .find(|e| e["targetType"] == "User")
        .expect("the account's entry");
    assert_eq!(
        change(account, "email"),
        Some((Value::Null, Value::Null, true))
    );
    assert!(
        fields(account)
            .iter()
            .all(|f| !f.to_lowercase().contains("password")),
        "{account}"
    );
    // Erasing again changes nothing, and is recorded with no change.
    run(
        &app,
        &w.admin,
        "mutation ($id: ID!) { eraseCreator(id: $id) { id } }",
        json!({ "id": w.creator_a }),
    )
    .await;
    let again = &about(&app, &w, &w.creator_a).await[0];
    assert_eq!(again["operation"], "eraseCreator");
    assert_eq!(again["changes"], json!([]));

    run(
        &app,
        &w.admin,
        "mutation ($id: ID!) { eraseCreator(id: $id) { id } }",
        json!({ "id": id }),
    )
    .await;
    let everything = all_entries(&app, &w.admin, json!({})).await;
    let dump = serde_json::to_string(&everything).expect("json");
    for personal in [
        "Pia Private",
        "pia.private@creators.test",
        "@pia.private",
        "Pia's notes",
        "Cora Creator",
        "cora@creators.test",
    ] {
        assert!(!dump.contains(personal), "{personal} is in the log");
    }
}

/// `eraseCustomer` records one entry, the brand's, with the count and without the customer.
async fn an_erased_customer_is_counted_not_named(app: TestApp) {
    let w = world::world(&app).await;
    let (key, email) = ("cust-audit-9", "nine@shop.test");
    record_conversions(
        &app,
        &w.key,
        json!([
            { "externalId": "nine-1", "kind": "SALE", "amount": "10.00",
              "occurredAt": chrono::Utc::now().to_rfc3339(), "customerKey": key,
              "customerEmail": email },
            { "externalId": "nine-2", "kind": "SALE", "amount": "12.00",
              "occurredAt": chrono::Utc::now().to_rfc3339(), "customerEmail": email },
        ]),
    )
    .await;
    let erase = |input: Value| {
        let app = &app;
        let admin = w.admin.clone();
        async move {
            run(
                app,
                &admin,
                "mutation ($input: EraseCustomerInput!) { eraseCustomer(input: $input) {
                   conversionsChanged } }",
                json!({ "input": input }),
            )
            .await
        }
    };
    let erased = erase(json!({ "email": email })).await;
    assert_eq!(erased["eraseCustomer"]["conversionsChanged"], 2);
    let again = erase(json!({ "customerKey": key })).await;
    assert_eq!(again["eraseCustomer"]["conversionsChanged"], 0);
    let entries = all_entries(&app, &w.admin, json!({ "operation": "eraseCustomer" })).await;
    assert_eq!(entries.len(), 2, "{entries:#?}");
    for (entry, count) in entries.iter().zip(["0", "2"]) {
        assert_eq!(entry["targetType"], "Brand");
        assert_eq!(entry["target"], w.brand_a.as_str());
        assert_eq!(
            change(entry, "conversionsChanged"),
            Some((Value::Null, json!(count), false))
        );
        let dump = entry.to_string();
        assert!(!dump.contains(key) && !dump.contains(email), "{entry}");
    }
}

/// A password change is recorded on the account with no values; the secrets of keys,
/// connectors and endpoints are absent (only their shown prefixes are there); a creator's own
/// calls (password, logout, its export) are not recorded at all, and answer as usual.
async fn credentials_are_never_values_and_creators_are_not_recorded(app: TestApp) {
    let w = world::world(&app).await;
    let changed = run(
        &app,
        &w.admin,
        "mutation ($input: ChangePasswordInput!) { changePassword(input: $input) }",
        json!({ "input": { "oldPassword": PASSWORD, "newPassword": "another-long-secret-42" } }),
    )
    .await;
    assert_eq!(changed["changePassword"], true);
    let entries = all_entries(&app, &w.admin, json!({ "operation": "changePassword" })).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["target"], admin_id(&w).as_str());
    assert_eq!(entries[0]["targetType"], "User");
    assert_eq!(entries[0]["changes"], json!([]));
    // A wrong current password is refused and leaves no entry.
    let refused = app
        .graphql_as(
            Some(&w.admin),
            "mutation ($input: ChangePasswordInput!) { changePassword(input: $input) }",
            json!({ "input": { "oldPassword": "not-the-password", "newPassword": "x-long-enough-pw-9" } }),
        )
        .await;
    assert_eq!(error_codes(&refused), ["BAD_USER_INPUT"]);
    assert_eq!(
        all_entries(&app, &w.admin, json!({ "operation": "changePassword" }))
            .await
            .len(),
        1
    );

    let (secret, key_id) = create_key(&app, &w.admin, "shown once").await;
    let key_entry = &about(&app, &w, &key_id).await[0];
    let (_, prefix, _) = change(key_entry, "prefix").expect("prefix");
    assert!(secret.starts_with(&text(&prefix)));
    let (connector_id, connector_secret) = connector(&app, &w, "Secret store").await;
    let (endpoint_id, endpoint_secret) = endpoint(&app, &w, "secret").await;
    for (target, secret) in [
        (&key_id, &secret),
        (&connector_id, &connector_secret),
        (&endpoint_id, &endpoint_secret),
    ] {
        let entry = &about(&app, &w, target).await[0];
        assert!(!entry.to_string().contains(secret.as_str()), "{entry}");
        assert!(
            fields(entry)
                .iter()
                .all(|f| f == "secretPrefix" || !f.to_lowercase().contains("secret")),
            "{entry}"
        );
    }

    let before = all_entries(&app, &w.admin, json!({})).await.len();
    let creator_changed = run(
        &app,
        &w.creator,
        "mutation ($input: ChangePasswordInput!) { changePassword(input: $input) }",
        json!({ "input": { "oldPassword": PASSWORD, "newPassword": "creator-new-secret-77" } }),
    )
    .await;
    assert_eq!(creator_changed["changePassword"], true);
    let exported = run(
        &app,
        &w.creator,
        "mutation { startExport(kind: COMMISSIONS, format: CSV) { id } }",
        json!({}),
    )
    .await;
    assert!(exported["startExport"]["id"].is_string());
    let out = run(&app, &w.creator, "mutation { logout }", json!({})).await;
    assert_eq!(out["logout"], true);
    assert_eq!(all_entries(&app, &w.admin, json!({})).await.len(), before);
}

/// A call that changes nothing is recorded with no change; a refused one leaves no entry.
async fn no_op_calls_are_recorded_and_refused_ones_are_not(app: TestApp) {
    let w = world::world(&app).await;
    let (_, key_id) = create_key(&app, &w.admin, "twice").await;
    let (connector_id, _) = connector(&app, &w, "Twice store").await;
    let (_, user_id) = staff(&app, &w, "audit.twice@a.test", "ANALYST").await;
    let twice: [(&str, &str); 4] = [
        ("revokeApiKey", &key_id),
        ("disableConnector", &connector_id),
        ("deactivateUser", &user_id),
        ("reactivateUser", &user_id),
    ];
    for (operation, id) in twice {
        let query = format!("mutation ($id: ID!) {{ {operation}(id: $id) {{ id }} }}");
        for _ in 0..2 {
            run(&app, &w.admin, &query, json!({ "id": id })).await;
        }
        let entries = about(&app, &w, id).await;
        let mine: Vec<&Value> = entries
            .iter()
            .filter(|e| e["operation"] == operation)
            .collect();
        assert_eq!(mine.len(), 2, "{operation}: {entries:#?}");
        assert_eq!(
            mine[0]["changes"],
            json!([]),
            "{operation}: the second changed nothing"
        );
        assert_ne!(
            mine[1]["changes"],
            json!([]),
            "{operation}: the first changed something"
        );
    }
    let same_role = run(
        &app,
        &w.admin,
        "mutation ($input: UpdateUserRoleInput!) { updateUserRole(input: $input) { role } }",
        json!({ "input": { "userId": user_id, "role": "ANALYST" } }),
    )
    .await;
    assert_eq!(same_role["updateUserRole"]["role"], "ANALYST");
    let role_entry = &about(&app, &w, &user_id).await[0];
    assert_eq!(role_entry["operation"], "updateUserRole");
    assert_eq!(role_entry["changes"], json!([]));

    // The brand's only ADMIN cannot be deactivated: CONFLICT, and nothing recorded.
    let refused = app
        .graphql_as(
            Some(&w.admin),
            "mutation ($id: ID!) { deactivateUser(id: $id) { id } }",
            json!({ "id": admin_id(&w) }),
        )
        .await;
    assert_eq!(error_codes(&refused), ["CONFLICT"]);
    assert!(about(&app, &w, &admin_id(&w)).await.is_empty());
}

/// Settings without a node of their own (exchange rates, fraud rules) are the brand's, with
/// the setting in the field's name.
async fn settings_are_recorded_on_the_brand(app: TestApp) {
    let w = world::world(&app).await;
    for rate in ["1.08", "1.12"] {
        run(
            &app,
            &w.admin,
            "mutation ($input: SetExchangeRateInput!) { setExchangeRate(input: $input) { rate } }",
            json!({ "input": { "currencyCode": "EUR", "date": "2026-11-02", "rate": rate } }),
        )
        .await;
    }
    let rates = all_entries(&app, &w.admin, json!({ "operation": "setExchangeRate" })).await;
    assert_eq!(rates.len(), 2);
    assert!(rates.iter().all(|e| e["target"] == w.brand_a.as_str()));
    assert_eq!(
        change(&rates[0], "exchangeRates.EUR.2026-11-02"),
        Some((json!("1.08"), json!("1.12"), false))
    );
    assert_eq!(
        change(&rates[1], "exchangeRates.EUR.2026-11-02"),
        Some((Value::Null, json!("1.08"), false))
    );

    run(
        &app,
        &w.admin,
        UPDATE_RULE,
        json!({ "input": { "rule": "CLICK_SPAM", "enabled": true, "maxClicksPerHour": 4 } }),
    )
    .await;
    let rule = &all_entries(&app, &w.admin, json!({ "operation": "updateFraudRule" })).await[0];
    assert_eq!(rule["targetType"], "Brand");
    assert_eq!(
        change(rule, "fraudRules.clickSpam.enabled"),
        Some((json!("false"), json!("true"), false))
    );
    let (old, new, _) = change(rule, "fraudRules.clickSpam.parameters").expect("parameters");
    assert!(text(&old).contains("\"maxClicksPerHour\":10"), "{old}");
    assert!(text(&new).contains("\"maxClicksPerHour\":4"), "{new}");

    run(
        &app,
        &w.admin,
        "mutation ($input: UpdateBrandSettingsInput!) { updateBrandSettings(input: $input) { id } }",
        json!({ "input": { "holdPeriodDays": 14 } }),
    )
    .await;
    let settings = &all_entries(
        &app,
        &w.admin,
        json!({ "operation": "updateBrandSettings" }),
    )
    .await[0];
    assert_eq!(settings["target"], w.brand_a.as_str());
    assert_eq!(fields(settings), ["holdPeriodDays"]);
}

/// Sessions: `logout` and `endSession` name the session and its end; a rejected fraud flag
/// records the flag and its conversion; an import is one entry, its rows none.
async fn sessions_flags_and_imports(app: TestApp) {
    let w = world::world(&app).await;
    let (other, _) = login(&app, "admin@a.test").await;
    let session = current_session(&app, &other).await;
    run(&app, &other, "mutation { logout }", json!({})).await;
    let out = &about(&app, &w, &session).await[0];
    assert_eq!(out["operation"], "logout");
    assert_eq!(out["targetType"], "Session");
    let (old, new, _) = change(out, "endedAt").expect("endedAt");
    assert!(old.is_null() && new.is_string(), "{out}");

    let flag = flagged_sale(&app, &w, "AUDITREJ", "audit-reject-1").await;
    run(
        &app,
        &w.manager,
        "mutation ($id: ID!) { resolveFraudFlag(id: $id, decision: REJECT) { id } }",
        json!({ "id": flag }),
    )
    .await;
    let entries = all_entries(&app, &w.admin, json!({ "operation": "resolveFraudFlag" })).await;
    let types: Vec<&str> = entries
        .iter()
        .map(|e| e["targetType"].as_str().expect("type"))
        .collect();
    assert_eq!(types.len(), 2, "{entries:#?}");
    assert!(types.contains(&"FraudFlag") && types.contains(&"Conversion"));
    assert!(entries.iter().all(|e| e["actorRole"] == "MANAGER"));
    let flagged = entries
        .iter()
        .find(|e| e["targetType"] == "FraudFlag")
        .expect("flag");
    assert_eq!(flagged["target"], flag.as_str());
    assert_eq!(
        change(flagged, "status"),
        Some((json!("OPEN"), json!("REJECTED"), false))
    );

    let before = all_entries(&app, &w.admin, json!({})).await.len();
    let csv = "displayName,email,country,niches,channels\n\
               Ian One,ian.one@creators.test,US,,\n\
               Ina Two,ina.two@creators.test,US,,\n";
    let import = upload(&app, &w.manager, IMPORT_CREATORS, csv).await;
    let after = all_entries(&app, &w.admin, json!({})).await;
    assert_eq!(
        after.len(),
        before + 1,
        "{:#?}",
        &after[..after.len() - before]
    );
    assert_eq!(after[0]["operation"], "importCreators");
    assert_eq!(after[0]["target"], import.as_str());
    assert_eq!(after[0]["targetType"], "Import");
}

on_both_backends!(
    personal_values_are_withheld_and_an_erasure_leaves_no_copy,
    an_erased_customer_is_counted_not_named,
    credentials_are_never_values_and_creators_are_not_recorded,
    no_op_calls_are_recorded_and_refused_ones_are_not,
    settings_are_recorded_on_the_brand,
    sessions_flags_and_imports,
);
