//! The audit log (DOMAIN rule 9, issue #23).
//!
//! `every_mutation_writes_an_entry` walks the schema's mutations: each one must have a case
//! here that runs it successfully as staff or an API key (or be named in [`NOT_AUDITED`]), and
//! each case must leave an entry naming its operation, actor and target, with no secret or
//! hash in it. A new mutation without a case fails the walk; one whose service forgets
//! `audit::record` fails its case (and, in debug builds, answers with INTERNAL anyway).

mod cases;
mod cases_accounts;
mod cases_partnerships;
mod reads;

use std::collections::BTreeSet;

use partnergraph::graphql::audit::audited::NOT_AUDITED;
use serde_json::{Value, json};

use crate::helpers::world::{self, World, text};
use crate::helpers::{TestApp, data};
use crate::on_both_backends;
use cases::Case;

pub const AUDIT_LOG: &str = "query ($filter: AuditLogFilter, $first: Int, $after: String) {
  auditLog(filter: $filter, first: $first, after: $after) { totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { actor actorType actorRole operation targetType target requestId createdAt
      changes { field oldValue newValue withheld } } } } }";

/// Every entry of the brand, newest first, read as `admin`.
pub async fn all_entries(app: &TestApp, admin: &str, filter: Value) -> Vec<Value> {
    let mut entries = Vec::new();
    let mut after = Value::Null;
    loop {
        let response = app
            .graphql_as(
                Some(admin),
                AUDIT_LOG,
                json!({ "filter": filter, "first": 100, "after": after }),
            )
            .await;
        let log = &data(&response)["auditLog"];
        for edge in log["edges"].as_array().expect("edges") {
            entries.push(edge["node"].clone());
        }
        if log["pageInfo"]["hasNextPage"] != true {
            return entries;
        }
        after = log["pageInfo"]["endCursor"].clone();
    }
}

async fn mutation_names(app: &TestApp, admin: &str) -> Vec<String> {
    let response = app
        .graphql_as(
            Some(admin),
            "{ __schema { mutationType { fields { name } } } }",
            json!({}),
        )
        .await;
    data(&response)["__schema"]["mutationType"]["fields"]
        .as_array()
        .expect("mutation fields")
        .iter()
        .map(|field| text(&field["name"]))
        .collect()
}

fn all_cases() -> Vec<Case> {
    let mut all = cases_accounts::cases();
    all.extend(cases_partnerships::cases());
    all
}

async fn every_mutation_writes_an_entry(app: TestApp) {
    let w: World = world::world(&app).await;
    let names = mutation_names(&app, &w.admin).await;
    let cases = all_cases();
    let covered: BTreeSet<&str> = cases.iter().map(|case| case.mutation).collect();
    assert_eq!(covered.len(), cases.len(), "one case per mutation");
    let missing: Vec<&String> = names
        .iter()
        .filter(|name| !covered.contains(name.as_str()) && !NOT_AUDITED.contains(&name.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "mutations without an audit case: {missing:?}"
    );
    for name in covered.iter().chain(NOT_AUDITED) {
        assert!(names.iter().any(|n| n == name), "{name} is not a mutation");
    }

    let mut secrets = Vec::new();
    for case in &cases {
        let before = all_entries(&app, &w.admin, json!({ "operation": case.mutation })).await;
        let done = (case.run)(&app, &w).await;
        let entries = all_entries(&app, &w.admin, json!({ "operation": case.mutation })).await;
        let new = &entries[..entries.len() - before.len()];
        assert!(!new.is_empty(), "{} wrote no entry", case.mutation);
        let expected_actor = done.actor.clone().unwrap_or_else(|| admin_id(&w));
        assert!(
            new.iter()
                .any(|entry| entry["target"] == done.target.as_str()),
            "{}: no entry names {} in {new:#?}",
            case.mutation,
            done.target
        );
        for entry in new {
            assert_eq!(entry["actor"], expected_actor.as_str(), "{}", case.mutation);
            assert!(!text(&entry["requestId"]).is_empty());
        }
        secrets.extend(done.secrets);
    }

    // No entry names a secret or hash field, or holds a secret a mutation handed out.
    let everything = all_entries(&app, &w.admin, json!({})).await;
    for entry in &everything {
        for change in entry["changes"].as_array().expect("changes") {
            let field = text(&change["field"]).to_lowercase();
            assert!(
                !["hash", "secret", "password", "token"]
                    .iter()
                    .any(|word| field.contains(word) && field != "secretprefix"),
                "{entry}"
            );
        }
        let dump = entry.to_string();
        for secret in &secrets {
            assert!(!dump.contains(secret.as_str()), "{secret} in {entry}");
        }
    }
}

/// The global ID of brand A's ADMIN (the actor of most cases).
pub fn admin_id(w: &World) -> String {
    w.admin_id.clone()
}

on_both_backends!(every_mutation_writes_an_entry);
