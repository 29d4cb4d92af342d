//! Round trips of a front end's everyday requests (issue #21): an authenticated request reads
//! its caller from the credential cache, a connection's page carries `totalCount` in its own
//! statement, a count is made only when selected, DataLoaders batch without a delay, and a list
//! selects only the columns its fields read.

use serde_json::{Value, json};

use crate::helpers::world::{register, text};
use crate::helpers::{TestApp, data};
use crate::on_both_backends;

on_both_backends!(
    the_contract_creators_page_runs_in_one_statement,
    total_count_is_counted_only_when_selected_and_right_on_every_page,
    a_brands_creator_count_is_kept_by_the_database,
    a_list_selects_only_the_columns_its_fields_read,
    every_creator_field_reads_the_same_in_a_list_as_alone,
    cursors_work_on_columns_the_query_does_not_select,
);

async fn roster(app: &TestApp, size: usize) -> String {
    let brand = register(app, "Brand", "admin@x.test").await;
    add_creators(app, &brand.access, 0..size).await;
    brand.access
}

/// Creates creators `Creator NN` for each `n` as the brand of `token`; returns their ids.
async fn add_creators(app: &TestApp, token: &str, numbers: std::ops::Range<usize>) -> Vec<String> {
    let mut ids = Vec::new();
    for n in numbers {
        let input = json!({ "input": {
            "displayName": format!("Creator {n:02}"),
            "channels": [
                { "platform": "TIKTOK", "handle": format!("t{n}"), "followers": 1_000 + n },
                { "platform": "YOUTUBE", "handle": format!("y{n}"), "followers": 50_000 + n },
            ],
        }});
        let created = app
            .contract(Some(token), "roster", "CreateCreator", input)
            .await;
        ids.push(text(&data(&created)["createCreator"]["id"]));
    }
    ids
}

/// Runs `query` as `token` and returns the statements it ran and its `data`.
async fn counted(app: &TestApp, token: &str, query: &str, variables: Value) -> (usize, Value) {
    let before = app.statements();
    let response = app.graphql_as(Some(token), query, variables).await;
    (app.statements() - before, data(&response).clone())
}

async fn the_contract_creators_page_runs_in_one_statement(app: TestApp) {
    let admin = roster(&app, 25).await;
    let run = || app.contract(Some(&admin), "roster", "Creators", json!({ "first": 20 }));
    // The first request verifies the session; the next ones find it cached.
    data(&run().await);
    let before = app.statements();
    let response = run().await;
    let statements = app.statements() - before;
    let page = &data(&response)["creators"];
    assert_eq!(page["totalCount"], 25);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let edges = page["edges"].as_array().expect("edges");
    assert_eq!(edges.len(), 20);
    assert!(
        edges
            .iter()
            .all(|e| e["node"]["channels"].as_array().map(Vec::len) == Some(2)),
        "{page}"
    );
    // The page with its count and its creators' channels.
    assert_eq!(statements, 1);
}

async fn total_count_is_counted_only_when_selected_and_right_on_every_page(app: TestApp) {
    let admin = roster(&app, 7).await;
    let counted_page = "query ($after: String) { creators(first: 3, after: $after) {
        total: totalCount pageInfo { endCursor } edges { node { id } } } }";
    let plain_page = "query ($after: String) { creators(first: 3, after: $after) {
        pageInfo { endCursor } edges { node { id } } } }";
    data(
        &app.graphql_as(Some(&admin), "{ __typename }", json!({}))
            .await,
    );

    let (first, page) = counted(&app, &admin, counted_page, json!({})).await;
    assert_eq!(page["creators"]["total"], 7, "an alias still counts");
    assert_eq!(first, 1, "the count rides in the page's statement");
    let cursor = text(&page["creators"]["pageInfo"]["endCursor"]);

    let (later, page) = counted(&app, &admin, counted_page, json!({ "after": cursor })).await;
    assert_eq!(
        page["creators"]["total"], 7,
        "a later page counts every row"
    );
    assert_eq!(later, 1, "a later page carries its count too");
    let (plain, page) = counted(&app, &admin, plain_page, json!({ "after": cursor })).await;
    assert_eq!(plain, 1, "no count unless selected");
    assert_eq!(page["creators"]["edges"].as_array().map(Vec::len), Some(3));

    let last = text(&page["creators"]["pageInfo"]["endCursor"]);
    let (_, page) = counted(&app, &admin, counted_page, json!({ "after": last })).await;
    let end = text(&page["creators"]["pageInfo"]["endCursor"]);
    let (empty_statements, empty) =
        counted(&app, &admin, counted_page, json!({ "after": end })).await;
    assert_eq!(empty["creators"]["edges"], json!([]));
    assert_eq!(
        empty_statements, 2,
        "no row carries the count: it has its own"
    );
    assert_eq!(
        empty["creators"]["total"], 7,
        "an empty later page still counts"
    );

    let nobody =
        "{ creators(first: 3, filter: { search: \"nobody\" }) { totalCount edges { cursor } } }";
    let (statements, none) = counted(&app, &admin, nobody, json!({})).await;
    assert_eq!(none["creators"]["totalCount"], 0);
    assert_eq!(statements, 1);
}

/// The unfiltered list reads the brand's count from `creator_counts`, which triggers keep; a
/// filter that keeps every creator counts them. Both agree through creations, deletions and
/// another brand's changes, and the migration counts the creators that exist before it.
async fn a_brands_creator_count_is_kept_by_the_database(app: TestApp) {
    let a = roster(&app, 4).await;
    let b = register(&app, "Other", "other@x.test").await.access;
    add_creators(&app, &b, 10..12).await;
    let query = "query ($filter: CreatorFilter) {
        creators(first: 1, filter: $filter) { totalCount edges { node { id } } } }";
    let totals = async |token: &str| {
        let mut totals = Vec::new();
        for filter in [
            json!(null),
            json!({ "search": "  " }),
            json!({ "search": "creator" }),
        ] {
            let (statements, page) = counted(&app, token, query, json!({ "filter": filter })).await;
            assert_eq!(statements, 1, "the count rides in the page's statement");
            totals.push(page["creators"]["totalCount"].as_i64().expect("a count"));
        }
        totals
    };
    assert_eq!(totals(&a).await, [4, 4, 4]);
    assert_eq!(totals(&b).await, [2, 2, 2]);

    let ids = add_creators(&app, &a, 4..6).await;
    let delete = "mutation ($id: ID!) { deleteCreator(id: $id) }";
    data(
        &app.graphql_as(Some(&a), delete, json!({ "id": ids[0] }))
            .await,
    );
    assert_eq!(totals(&a).await, [5, 5, 5]);
    assert_eq!(
        totals(&b).await,
        [2, 2, 2],
        "another brand's count is its own"
    );

    // The migration counts the creators already there.
    use migration::{Migrator, MigratorTrait};
    let name = "m20261212_000001_create_creator_counts";
    let undo = crate::helpers::migrations_from(name);
    Migrator::down(&app.db, Some(undo)).await.expect("down");
    Migrator::up(&app.db, None).await.expect("up");
    assert_eq!(totals(&a).await, [5, 5, 5]);
    assert_eq!(totals(&b).await, [2, 2, 2]);
}

/// Batching must not depend on the runtime: on a multi-threaded one (a server's), a DataLoader
/// whose batch is fetched as soon as another worker is free splits a page's keys into many
/// statements. A page of 100 creators with each one's enrollments (loaded by creator), each
/// request five times.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_page_of_100_batches_its_enrollments_on_a_multi_threaded_runtime() {
    crate::helpers::run(crate::helpers::Backend::Sqlite, |app| async move {
        let admin = roster(&app, 100).await;
        let query =
            "{ creators(first: 100) { edges { node { id enrollments { nodes { id } } } } } }";
        data(&app.graphql_as(Some(&admin), query, json!({})).await);
        for _ in 0..5 {
            let (statements, page) = counted(&app, &admin, query, json!({})).await;
            let edges = page["creators"]["edges"].as_array().expect("edges");
            assert_eq!(edges.len(), 100);
            // The page, then one batch of the 100 creators' enrollment pages (their counts,
            // then their rows); a split batch would take two more statements per part.
            assert_eq!(statements, 3, "{statements} statements");
        }
    })
    .await;
}

/// The statement of the last ones `app` ran that reads `table` ("creators" or "channels").
fn last_read_of(app: &TestApp, table: &str) -> String {
    let from = format!("FROM \"{table}\"");
    app.recent_statements()
        .into_iter()
        .rev()
        .find(|sql| sql.starts_with("SELECT") && sql.contains(&from))
        .unwrap_or_else(|| panic!("no read of {table} in {:?}", app.recent_statements()))
}

async fn a_list_selects_only_the_columns_its_fields_read(app: TestApp) {
    let admin = roster(&app, 3).await;
    data(
        &app.contract(Some(&admin), "roster", "Creators", json!({ "first": 20 }))
            .await,
    );
    // The contract page shows a name, a tier (from followers), a stage and a vetting status,
    // and its channels' platform and followers; the creator's id groups the channels.
    let page = last_read_of(&app, "creators");
    let (creators, channels) = page
        .split_once("LEFT JOIN \"channels\"")
        .unwrap_or_else(|| panic!("the channels are joined to the page: {page}"));
    for read in [
        "\"id\"",
        "\"display_name\"",
        "\"followers\"",
        "\"stage\"",
        "\"vetting_status\"",
    ] {
        assert!(creators.contains(read), "{read} in {page}");
    }
    for unread in [
        "\"email\"",
        "\"niches\"",
        "\"vetting_notes\"",
        "\"created_at\"",
    ] {
        assert!(!page.contains(unread), "{unread} in {page}");
    }
    for read in [
        "\"channels\".\"creator_id\"",
        "\"channels\".\"platform\"",
        "\"channels\".\"followers\"",
    ] {
        assert!(page.contains(read), "{read} in {page}");
    }
    for unread in ["\"handle\"", "\"url\"", "\"audience_countries\""] {
        assert!(!page.contains(unread), "{unread} in {page}");
    }
    assert!(channels.contains("ORDER BY"), "{page}");
    // The page's size is written in the text (PostgreSQL plans a bound LIMIT afresh each time).
    assert!(creators.contains(" LIMIT 21)"), "{page}");

    // A fragment's fields are read like the others; without channels, no join.
    let query = "fragment Contact on Creator { email }
        { creators(first: 5) { nodes { ...Contact ... on Creator { country } } } }";
    data(&app.graphql_as(Some(&admin), query, json!({})).await);
    let page = last_read_of(&app, "creators");
    assert!(
        page.contains("\"email\"") && page.contains("\"country\""),
        "{page}"
    );
    assert!(
        !page.contains("\"display_name\"") && !page.contains("JOIN"),
        "{page}"
    );
}

/// Every field of `Creator` and of its channels answers the same in a list, which reads the
/// columns the query selects, as through `node`, which reads the whole row.
async fn every_creator_field_reads_the_same_in_a_list_as_alone(app: TestApp) {
    let admin = roster(&app, 1).await;
    let create = "mutation ($input: CreateCreatorInput!) { createCreator(input: $input) { id } }";
    let full = json!({ "input": {
        "displayName": "Full Record",
        "email": "full@creator.test",
        "country": "DE",
        "niches": ["beauty", "travel"],
        "channels": [{
            "platform": "INSTAGRAM", "handle": "full", "url": "https://instagram.com/full",
            "followers": 120_000, "avgViews": 9_000, "engagementRate": "0.045",
            "audienceCountries": ["DE", "AT"],
        }],
    }});
    let id = text(&data(&app.graphql_as(Some(&admin), create, full).await)["createCreator"]["id"]);
    let vet = "mutation ($input: VetCreatorInput!) { vetCreator(input: $input) { id } }";
    let vetting = json!({ "input": {
        "creatorId": id, "status": "APPROVED", "brandSafetyScore": 87, "notes": "clean feed",
    }});
    data(&app.graphql_as(Some(&admin), vet, vetting).await);
    let bare = json!({ "input": { "displayName": "No Channels" } });
    data(&app.graphql_as(Some(&admin), create, bare).await);

    let channel_fields = [
        "id",
        "platform",
        "handle",
        "url",
        "followers",
        "avgViews",
        "engagementRate",
        "audienceCountries",
    ];
    let mut selections: Vec<String> = [
        "__typename",
        "id",
        "displayName",
        "email",
        "country",
        "niches",
        "tier",
        "followers",
        "primaryPlatform",
        "stage",
        "vettingStatus",
        "brandSafetyScore",
        "vettingNotes",
        "erasedAt",
        "createdAt",
        "updatedAt",
        "brand { id name }",
        "enrollments { totalCount }",
    ]
    .map(str::to_owned)
    .to_vec();
    selections.extend(channel_fields.map(|field| format!("channels {{ {field} }}")));
    selections.push(format!("channels {{ {} }}", channel_fields.join(" ")));

    let alone = "query ($id: ID!) { node(id: $id) { ... on Creator { SELECTION } } }";
    let listed = "{ creators(first: 10) { edges { node { id SELECTION } } } }";
    for selection in &selections {
        let page = data(
            &app.graphql_as(
                Some(&admin),
                &listed.replace("SELECTION", selection),
                json!({}),
            )
            .await,
        )
        .clone();
        let nodes = page["creators"]["edges"].as_array().expect("edges");
        assert_eq!(nodes.len(), 3);
        for edge in nodes {
            let node = &edge["node"];
            let by_id = app
                .graphql_as(
                    Some(&admin),
                    &alone.replace("SELECTION", selection),
                    json!({ "id": node["id"] }),
                )
                .await;
            let whole = &data(&by_id)["node"];
            let field = selection.split_whitespace().next().expect("a field name");
            assert_eq!(node[field], whole[field], "{selection} of {}", node["id"]);
        }
    }
    // The record with every field set shows them through the list.
    let query = "{ creators(first: 10) { nodes { email vettingNotes brandSafetyScore
        channels { url engagementRate audienceCountries } } } }";
    let page = data(&app.graphql_as(Some(&admin), query, json!({})).await).clone();
    let full = &page["creators"]["nodes"][1];
    assert_eq!(full["email"], "full@creator.test");
    assert_eq!(full["vettingNotes"], "clean feed");
    assert_eq!(full["brandSafetyScore"], 87);
    assert_eq!(full["channels"][0]["url"], "https://instagram.com/full");
    assert_eq!(
        full["channels"][0]["audienceCountries"],
        json!(["DE", "AT"])
    );
}

/// A page's cursor is made of its sort column and id, which the query need not select.
async fn cursors_work_on_columns_the_query_does_not_select(app: TestApp) {
    let admin = roster(&app, 7).await;
    for field in ["FOLLOWERS", "NAME", "CREATED_AT"] {
        let order = json!({ "field": field, "direction": "DESC" });
        let everything = "query ($order: CreatorOrder) {
            creators(first: 10, orderBy: $order) { nodes { id followers displayName } } }";
        let all = data(
            &app.graphql_as(Some(&admin), everything, json!({ "order": order }))
                .await,
        )["creators"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|node| text(&node["id"]))
            .collect::<Vec<_>>();
        assert_eq!(all.len(), 7);

        let paged = "query ($order: CreatorOrder, $after: String) {
            creators(first: 3, after: $after, orderBy: $order) {
                pageInfo { endCursor hasNextPage } nodes { id channels { platform } } } }";
        let mut seen = Vec::new();
        let mut after = Value::Null;
        loop {
            let variables = json!({ "order": order, "after": after });
            let page =
                data(&app.graphql_as(Some(&admin), paged, variables).await)["creators"].clone();
            for node in page["nodes"].as_array().expect("nodes") {
                seen.push(text(&node["id"]));
                let platforms = &node["channels"];
                assert_eq!(
                    platforms,
                    &json!([{ "platform": "YOUTUBE" }, { "platform": "TIKTOK" }])
                );
            }
            if page["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = page["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(seen, all, "pages by {field}");
    }
}
