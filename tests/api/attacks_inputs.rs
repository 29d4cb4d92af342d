//! Hostile values in every input of the schema: SQL metacharacters, NUL, unicode, markup and
//! oversized text in each String and ID argument (and input-object field, and list element) of
//! every Query and Mutation field; huge, negative and malformed numbers, money and dates in
//! each numeric leaf. The schema is walked by introspection, so a field added later is swept too.
//!
//! Each answer is data or an error with a code other than INTERNAL, and no message shows SQL,
//! paths or panics. Accepted text is stored as sent, nothing lands in another brand, and the
//! server still serves the first brand's data afterwards.

use serde_json::{Map, Value, json};

use crate::helpers::schema_walk::{Leaf, RootField, Schema, Step, replace, type_text};
use crate::helpers::world::{World, text, world};
use crate::helpers::{TestApp, data, error_codes};
use crate::on_both_backends;

/// Text an attacker or a broken integration sends.
const HOSTILE_TEXT: &[&str] = &[
    "'; DROP TABLE campaigns; --",
    "\" OR 1=1 --",
    "%_\\' ESCAPE '\\",
    "a\u{0}b",
    "\u{202e}\u{1F600}e\u{0301}漢字\u{FEFF}",
    "<script>alert(1)</script>{{7*7}}${7*7}",
    "../../../../etc/passwd",
    "",
];

/// Words that would show a leak of internals in an error message.
const LEAK_MARKERS: &[&str] = &[
    "SELECT",
    "INSERT",
    "UPDATE ",
    "sqlx",
    "SQLite",
    "sqlite",
    "postgres",
    "SQLSTATE",
    "panicked",
    "/work/",
    "src/",
    ".rs:",
    "violates",
    "constraint",
    "syntax error",
    "DbErr",
];

fn hostile_values(leaf: &Leaf) -> Vec<Value> {
    let text = || HOSTILE_TEXT.iter().map(|s| json!(s)).collect::<Vec<_>>();
    match leaf.scalar.as_str() {
        "String" | "ID" => {
            let mut values = text();
            values.push(json!("x".repeat(20_000)));
            values
        }
        "Int" => vec![
            json!(i32::MAX),
            json!(i32::MIN),
            json!(-1),
            json!(4_294_967_296_i64),
            json!("12"),
        ],
        "Decimal" => vec![
            json!("-20.00"),
            json!("-0.01"),
            json!("1e30"),
            json!("79228162514264337593543950336"),
            json!("0.00000000000000000000000000001"),
            json!("NaN"),
            json!("1,000.00"),
            json!(12.5),
        ],
        "DateTime" => vec![
            json!("9999-12-31T23:59:59Z"),
            json!("0001-01-01T00:00:00Z"),
            json!("2026-13-45T99:00:00Z"),
            json!("'; DROP TABLE clicks; --"),
        ],
        "Date" => vec![
            json!("9999-12-31"),
            json!("0000-00-00"),
            json!("2026-02-30"),
        ],
        "CurrencyCode" => vec![json!("XXX"), json!("usd"), json!("'; --"), json!("US\u{0}")],
        _ => Vec::new(),
    }
}

/// Plausible values by scalar and field name, unique per request where uniqueness matters.
struct Plausible<'a> {
    world: &'a World,
    root: &'a str,
    serial: u64,
}

impl Plausible<'_> {
    fn value(&mut self, scalar: &str, field: &str) -> Value {
        self.serial += 1;
        let n = self.serial;
        let w = self.world;
        match (scalar, field) {
            ("ID", "campaignId") => json!(w.campaign_a),
            ("ID", "creatorId") => json!(w.creator_a),
            ("ID", "offerId") => json!(w.offer_a),
            ("ID", "enrollmentId") => json!(w.enrollment_a),
            ("ID", "deliverableId") => json!(w.deliverable_a),
            ("ID", _) => json!(self.id_for_root()),
            ("String", "email") => json!(format!("sweep{n}@sweep.test")),
            ("String", "password") => json!("correct horse battery staple"),
            ("String", f) if f.to_lowercase().ends_with("url") => {
                json!("https://shop.example.com/p")
            }
            ("String", "code") => json!(format!("SWEEP{n}")),
            ("String", "timezone") => json!("UTC"),
            ("String", "country") => json!("US"),
            ("String", "after") => json!(null),
            ("String", _) => json!(format!("sweep-{n}")),
            ("Int", "first") => json!(5),
            ("Int", _) => json!(30),
            ("Boolean", _) => json!(false),
            ("Decimal", _) => json!("10.00"),
            ("DateTime", f) if f == "to" || f.ends_with("To") => json!("2026-11-30T00:00:00Z"),
            ("DateTime", _) => json!("2026-11-01T00:00:00Z"),
            ("Date", _) => json!("2026-11-01"),
            ("CurrencyCode", _) => json!("USD"),
            _ => json!(null),
        }
    }

    /// The entity a bare `id` argument names, by the root field that takes it.
    fn id_for_root(&self) -> &str {
        let w = self.world;
        let root = self.root.to_lowercase();
        if root.contains("creator") {
            &w.creator_a
        } else if root.contains("offer") {
            &w.offer_a
        } else if root.contains("enrollment") {
            &w.enrollment_a
        } else if root.contains("deliverable") {
            &w.deliverable_a
        } else if root.contains("apikey") {
            &w.key_id_b
        } else {
            &w.campaign_a
        }
    }
}

/// Who sends a root field: sign-in fields are anonymous, ingestion is an integrator's key,
/// `my*` a creator, the rest the brand ADMIN.
fn caller<'a>(field: &str, world: &'a World) -> Option<&'a str> {
    match field {
        "login" | "registerBrand" | "acceptInvite" | "refreshSession" => None,
        "recordClicks" | "recordConversions" | "recordRefund" | "conversionChanges" => {
            Some(&world.key)
        }
        f if f.starts_with("my") => Some(&world.creator),
        _ => Some(&world.admin),
    }
}

fn document(field: &RootField, variables: &Map<String, Value>) -> String {
    let definitions: Vec<String> = field
        .args
        .iter()
        .filter(|a| variables.contains_key(&a.name))
        .map(|a| format!("${}: {}", a.name, type_text(&a.ty)))
        .collect();
    let arguments: Vec<String> = field
        .args
        .iter()
        .filter(|a| variables.contains_key(&a.name))
        .map(|a| format!("{0}: ${0}", a.name))
        .collect();
    let selection = if field.returns_object {
        " { __typename }"
    } else {
        ""
    };
    format!(
        "{} Sweep({}) {{ {}({}){} }}",
        field.operation,
        definitions.join(", "),
        field.name,
        arguments.join(", "),
        selection
    )
}

/// What is wrong with an answer: an error without a code or INTERNAL, or a message that
/// leaks internals.
fn faults(response: &Value) -> Vec<String> {
    let mut faults = Vec::new();
    for code in error_codes(response) {
        if code == "INTERNAL" || code == "<none>" {
            faults.push(format!("code {code}"));
        }
    }
    for error in response["errors"].as_array().into_iter().flatten() {
        let message = error["message"].as_str().unwrap_or_default();
        for marker in LEAK_MARKERS.iter().filter(|m| message.contains(**m)) {
            faults.push(format!("message shows {marker:?}: {message}"));
        }
    }
    faults
}

async fn hostile_values_in_every_input_are_refused_or_stored_cleanly(app: TestApp) {
    let world = world(&app).await;
    let schema = Schema::introspect(&app, &world.admin).await;
    let (mut leaves_swept, mut requests, mut accepted) = (0, 0, 0);
    let mut failures = Vec::new();
    let mut negative_money_answered = Vec::new();
    for field in schema.root_fields() {
        let token = caller(&field.name, &world);
        for leaf in schema.leaves(&field.args, 4) {
            leaves_swept += 1;
            for hostile in hostile_values(&leaf) {
                let mut plausible = Plausible {
                    world: &world,
                    root: &field.name,
                    serial: requests,
                };
                let mut variables = Map::new();
                for arg in &field.args {
                    let on_path = leaf.path.first() == Some(&Step::Key(arg.name.clone()));
                    if on_path || crate::helpers::schema_walk::is_required(&arg.ty) {
                        let keep = if on_path { &leaf.path[1..] } else { &[] };
                        let value = schema
                            .build(&arg.ty, &arg.name, keep, &mut |s, f| plausible.value(s, f));
                        variables.insert(arg.name.clone(), value);
                    }
                }
                let mut variables = Value::Object(variables);
                replace(&mut variables, &leaf.path, hostile.clone());
                let query = document(&field, variables.as_object().expect("object"));
                let response = app.graphql_as(token, &query, variables).await;
                requests += 1;
                for fault in faults(&response) {
                    failures.push(format!(
                        "{}.{:?} = {hostile:.40}: {fault}",
                        field.name, leaf.path
                    ));
                }
                if response.get("errors").is_none() {
                    accepted += 1;
                    if leaf.scalar == "Decimal"
                        && hostile.as_str().is_some_and(|s| s.starts_with('-'))
                    {
                        negative_money_answered.push(field.name.clone());
                    }
                }
            }
        }
    }
    eprintln!("input sweep: {leaves_swept} leaves, {requests} requests, {accepted} accepted");
    assert!(
        failures.is_empty(),
        "{} faults:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        leaves_swept >= 150,
        "the walk found only {leaves_swept} leaves"
    );
    assert!(
        accepted > 0,
        "no hostile value was ever accepted: the plausible values are wrong"
    );

    // Negative money is refused everywhere with BAD_USER_INPUT, except that a batch of
    // conversions answers per item (checked below); adjustments may be negative, but the
    // sweep's first `CommissionKind` is not ADJUSTMENT.
    negative_money_answered.dedup();
    assert_eq!(negative_money_answered, ["recordConversions"]);
    a_negative_order_is_a_rejected_item(&app, &world).await;

    accepted_text_is_stored_as_sent(&app, &world).await;
    other_brand_and_old_data_are_untouched(&app, &world).await;
}

async fn a_negative_order_is_a_rejected_item(app: &TestApp, world: &World) {
    let conversion = json!({ "externalId": "negative-1", "kind": "SALE",
        "occurredAt": "2026-11-01T00:00:00Z", "amount": "-20.00", "currencyCode": "USD" });
    let response = app
        .contract(
            Some(&world.key),
            "ingest",
            "RecordConversions",
            json!({ "conversions": [conversion] }),
        )
        .await;
    let result = &data(&response)["recordConversions"]["results"][0];
    assert_eq!(result["status"], "REJECTED", "{response}");
    assert_eq!(result["error"]["code"], "BAD_USER_INPUT", "{response}");
}

/// Names with metacharacters and unicode come back byte for byte; NUL is refused.
async fn accepted_text_is_stored_as_sent(app: &TestApp, world: &World) {
    for name in HOSTILE_TEXT.iter().filter(|s| !s.is_empty()) {
        let created = app
            .contract(
                Some(&world.admin),
                "campaigns",
                "CreateCampaign",
                json!({ "input": { "name": name, "objective": "SALES", "schedule": "ALWAYS_ON" } }),
            )
            .await;
        if name.contains('\u{0}') {
            assert_eq!(error_codes(&created), ["BAD_USER_INPUT"], "{created}");
            continue;
        }
        let id = text(&data(&created)["createCampaign"]["id"]);
        let read = app
            .graphql_as(
                Some(&world.admin),
                "query ($id: ID!) { node(id: $id) { ... on Campaign { name } } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(data(&read)["node"]["name"], *name);
    }
}

async fn other_brand_and_old_data_are_untouched(app: &TestApp, world: &World) {
    let listed = app
        .contract(
            Some(&world.admin_b),
            "campaigns",
            "Campaigns",
            json!({ "first": 20 }),
        )
        .await;
    assert_eq!(
        data(&listed)["campaigns"]["edges"],
        json!([]),
        "brand B got a campaign"
    );
    let creators = app
        .contract(
            Some(&world.admin_b),
            "roster",
            "Creators",
            json!({ "first": 100 }),
        )
        .await;
    let names: Vec<&str> = data(&creators)["creators"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter_map(|e| e["node"]["displayName"].as_str())
        .collect();
    assert_eq!(names, ["Bea Other"], "brand B's roster changed");
    let offer = app
        .graphql_as(
            Some(&world.admin),
            "query ($id: ID!) { node(id: $id) { ... on Offer { id model } } }",
            json!({ "id": world.offer_a }),
        )
        .await;
    assert_eq!(data(&offer)["node"]["id"], json!(world.offer_a));
    let served = app.graphql("{ __typename }", json!({})).await;
    assert_eq!(data(&served)["__typename"], "Query");
}

on_both_backends!(hostile_values_in_every_input_are_refused_or_stored_cleanly);
