//! Reading the log: filters, newest first, paging, rights and bad input; entries are written in
//! the mutation's transaction (a refused mutation leaves none) and carry the request id.

use chrono::{Duration, Utc};
use partnergraph::db::entity::audit_entry;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use serde_json::{Value, json};

use super::{AUDIT_LOG, all_entries};
use crate::helpers::world::{self, World, register, text};
use crate::helpers::{TestApp, data, error_codes};
use crate::on_both_backends;

const CREATE: &str =
    "mutation ($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }";
const UPDATE: &str =
    "mutation ($input: UpdateCampaignInput!) { updateCampaign(input: $input) { id } }";

async fn create_campaign(app: &TestApp, token: &str, name: &str) -> String {
    let response = app
        .graphql_as(
            Some(token),
            CREATE,
            json!({ "input": { "name": name, "objective": "SALES", "schedule": "ALWAYS_ON" } }),
        )
        .await;
    text(&data(&response)["createCampaign"]["id"])
}

fn change<'a>(entry: &'a Value, field: &str) -> &'a Value {
    entry["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|change| change["field"] == field)
        .unwrap_or_else(|| panic!("no change of {field} in {entry}"))
}

async fn an_entry_names_actor_target_changes_and_request(app: TestApp) {
    let admin = register(&app, "Audited", "admin@audit.test").await;
    let campaign = create_campaign(&app, &admin.access, "Before").await;
    let answer = app
        .post_graphql(
            Some(&admin.access),
            None,
            json!({ "query": UPDATE, "variables": { "input": { "id": campaign, "name": "After" } } }),
        )
        .await;
    data(&answer.json());
    let request_id = answer.headers["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_owned();

    let entries = all_entries(&app, &admin.access, json!({})).await;
    let operations: Vec<&Value> = entries.iter().map(|entry| &entry["operation"]).collect();
    assert_eq!(
        operations,
        ["updateCampaign", "createCampaign"],
        "newest first"
    );
    let update = &entries[0];
    assert_eq!(update["actor"], admin.user_id.as_str());
    assert_eq!(update["actorType"], "USER");
    assert_eq!(update["actorRole"], "ADMIN");
    assert_eq!(update["targetType"], "Campaign");
    assert_eq!(update["target"], campaign.as_str());
    assert_eq!(update["requestId"], request_id.as_str());
    assert_eq!(
        update["changes"],
        json!([{ "field": "name", "oldValue": "Before", "newValue": "After", "withheld": false }]),
        "only what changed; updatedAt is bookkeeping"
    );
    let create = &entries[1];
    assert_eq!(change(create, "name")["newValue"], "Before");
    assert_eq!(change(create, "status")["newValue"], "DRAFT");
    assert_eq!(change(create, "status")["oldValue"], Value::Null);
}

async fn a_refused_mutation_leaves_no_entry(app: TestApp) {
    let admin = register(&app, "Audited", "admin@audit.test").await;
    let refused = app
        .graphql_as(
            Some(&admin.access),
            CREATE,
            json!({ "input": { "name": "x".repeat(201), "objective": "SALES", "schedule": "ALWAYS_ON" } }),
        )
        .await;
    assert_eq!(error_codes(&refused), ["BAD_USER_INPUT"], "{refused}");
    let campaign = create_campaign(&app, &admin.access, "Kept").await;
    // DRAFT cannot move to PAUSED: refused after the read, before any write.
    let bad_move = app
        .graphql_as(
            Some(&admin.access),
            "mutation ($id: ID!) { setCampaignStatus(id: $id, status: PAUSED) { id } }",
            json!({ "id": campaign }),
        )
        .await;
    assert_eq!(error_codes(&bad_move), ["BAD_USER_INPUT"], "{bad_move}");
    let entries = all_entries(&app, &admin.access, json!({})).await;
    assert_eq!(entries.len(), 1, "{entries:#?}");
    assert_eq!(entries[0]["operation"], "createCampaign");
}

async fn filters_and_pages(app: TestApp) {
    let w: World = world::world(&app).await;
    let first = create_campaign(&app, &w.admin, "One").await;
    let second = create_campaign(&app, &w.manager, "Two").await;
    for name in ["Two b", "Two c"] {
        let response = app
            .graphql_as(
                Some(&w.manager),
                UPDATE,
                json!({ "input": { "id": second, "name": name } }),
            )
            .await;
        data(&response);
    }

    let by_target = all_entries(&app, &w.admin, json!({ "target": second })).await;
    let operations: Vec<&Value> = by_target.iter().map(|e| &e["operation"]).collect();
    assert_eq!(
        operations,
        ["updateCampaign", "updateCampaign", "createCampaign"]
    );
    assert_eq!(by_target[0]["actorRole"], "MANAGER");
    assert_eq!(change(&by_target[0], "name")["newValue"], "Two c");

    let everything = all_entries(&app, &w.admin, json!({})).await;
    let manager_id = text(&by_target[0]["actor"]);
    let by_manager = all_entries(&app, &w.admin, json!({ "actor": manager_id })).await;
    assert_eq!(by_manager.len(), 3, "{by_manager:#?}");
    assert!(by_manager.iter().all(|e| e["actor"] == manager_id.as_str()));
    let by_admin = all_entries(&app, &w.admin, json!({ "actor": w.admin_id })).await;
    assert!(by_admin.iter().any(|e| e["target"] == first.as_str()));
    assert!(by_admin.iter().all(|e| e["actor"] == w.admin_id.as_str()));
    let creations = all_entries(&app, &w.admin, json!({ "operation": "createCampaign" })).await;
    assert!(creations.iter().all(|e| e["operation"] == "createCampaign"));
    assert!(creations.len() >= 3, "the fixture's campaign and these two");

    // A time range: nothing in the future, everything since an hour ago.
    let now = Utc::now();
    let future = all_entries(
        &app,
        &w.admin,
        json!({ "from": (now + Duration::hours(1)).to_rfc3339() }),
    )
    .await;
    assert!(future.is_empty());
    let recent = all_entries(
        &app,
        &w.admin,
        json!({ "from": (now - Duration::hours(1)).to_rfc3339(), "to": (now + Duration::hours(1)).to_rfc3339() }),
    )
    .await;
    assert_eq!(recent.len(), everything.len());

    // Pages of two, newest first, with the total.
    let page = app
        .graphql_as(Some(&w.admin), AUDIT_LOG, json!({ "first": 2 }))
        .await;
    let log = &data(&page)["auditLog"];
    assert_eq!(log["totalCount"], everything.len());
    assert_eq!(log["edges"][0]["node"], everything[0]);
    assert_eq!(log["edges"][1]["node"], everything[1]);
    let next = app
        .graphql_as(
            Some(&w.admin),
            AUDIT_LOG,
            json!({ "first": 2, "after": log["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(data(&next)["auditLog"]["edges"][0]["node"], everything[2]);

    // Another brand's ADMIN sees none of it.
    let other = all_entries(&app, &w.admin_b, json!({})).await;
    assert!(other.iter().all(|e| e["target"] != second.as_str()));
    assert!(other.iter().all(|e| e["actor"] != w.admin_id.as_str()));
}

async fn only_admin_reads_and_bad_filters_are_named(app: TestApp) {
    let w: World = world::world(&app).await;
    for token in [&w.manager, &w.analyst, &w.creator, &w.key] {
        let refused = app.graphql_as(Some(token), AUDIT_LOG, json!({})).await;
        assert_eq!(error_codes(&refused), ["FORBIDDEN"], "{refused}");
    }
    let cases = [
        (
            json!({ "filter": { "actor": w.campaign_a } }),
            "filter.actor",
        ),
        (json!({ "filter": { "actor": "garbage" } }), "filter.actor"),
        (
            json!({ "filter": { "target": "garbage" } }),
            "filter.target",
        ),
        (
            json!({ "filter": { "operation": " " } }),
            "filter.operation",
        ),
        (
            json!({ "filter": { "from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z" } }),
            "filter.to",
        ),
        (json!({ "first": 0 }), "first"),
        (json!({ "first": 101 }), "first"),
        (json!({ "after": "not-a-cursor" }), "after"),
    ];
    for (variables, field) in cases {
        let refused = app
            .graphql_as(Some(&w.admin), AUDIT_LOG, variables.clone())
            .await;
        assert_eq!(error_codes(&refused), ["BAD_USER_INPUT"], "{variables}");
        assert_eq!(
            refused["errors"][0]["extensions"]["field"], field,
            "{variables}: {refused}"
        );
    }
}

/// Rule 9: entries are never changed, and none younger than a year is deleted, whatever runs
/// the statement (the database refuses it).
async fn entries_are_append_only(app: TestApp) {
    let admin = register(&app, "Audited", "admin@audit.test").await;
    create_campaign(&app, &admin.access, "Kept").await;
    let entry = audit_entry::Entity::find()
        .one(&app.db)
        .await
        .expect("read")
        .expect("an entry");
    let run = |sql: String| {
        let db = app.db.clone();
        async move { db.execute_unprepared(&sql).await }
    };
    assert!(
        run(format!(
            "UPDATE audit_log SET operation = 'forged' WHERE id = {}",
            entry.id
        ))
        .await
        .is_err()
    );
    assert!(
        run(format!("DELETE FROM audit_log WHERE id = {}", entry.id))
            .await
            .is_err()
    );
    let old = audit_entry::ActiveModel {
        created_at: Set(Utc::now() - Duration::days(400)),
        ..audit_entry::ActiveModel {
            brand_id: Set(entry.brand_id),
            actor_kind: Set(entry.actor_kind.clone()),
            actor_id: Set(entry.actor_id),
            actor_role: Set(entry.actor_role.clone()),
            operation: Set("createCampaign".to_owned()),
            target_type: Set(entry.target_type.clone()),
            target_id: Set(entry.target_id),
            changes: Set("{}".to_owned()),
            request_id: Set("old".to_owned()),
            ..Default::default()
        }
    }
    .insert(&app.db)
    .await
    .expect("insert an old entry");
    run(format!("DELETE FROM audit_log WHERE id = {}", old.id))
        .await
        .expect("an entry older than a year may be deleted");
    let left = all_entries(&app, &admin.access, json!({})).await;
    assert_eq!(left.len(), 1);
}

on_both_backends!(
    an_entry_names_actor_target_changes_and_request,
    a_refused_mutation_leaves_no_entry,
    filters_and_pages,
    only_admin_reads_and_bad_filters_are_named,
    entries_are_append_only,
);
