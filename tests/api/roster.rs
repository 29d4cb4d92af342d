//! The creator roster: create, list (filters, search, order, paging), pipeline, vetting.

use partnergraph::db::entity::{channel, creator};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::helpers::world::{self, register, text};
use crate::helpers::{TestApp, data, error_codes};
use crate::on_both_backends;

async fn create(app: &TestApp, token: &str, input: Value) -> Value {
    let response = app
        .contract(
            Some(token),
            "roster",
            "CreateCreator",
            json!({ "input": input }),
        )
        .await;
    data(&response)["createCreator"].clone()
}

fn channel(platform: &str, handle: &str, followers: i64) -> Value {
    json!({ "platform": platform, "handle": handle, "followers": followers })
}

async fn create_creator_runs_as_written(app: TestApp) {
    let brand = register(&app, "Brand", "admin@x.test").await;
    let created = create(
        &app,
        &brand.access,
        json!({
            "displayName": "  Maya Chen ", "email": "Maya@Example.com", "country": "us",
            "niches": ["Skincare", "beauty"],
            "channels": [
                { "platform": "INSTAGRAM", "handle": "@maya.ig", "url": "https://instagram.com/maya",
                  "followers": 48000, "avgViews": 9000, "engagementRate": "0.045" },
                { "platform": "TIKTOK", "handle": "@mayaglows", "followers": 182000 }
            ]
        }),
    )
    .await;
    assert_eq!(created["displayName"], "Maya Chen");
    assert_eq!(created["email"], "maya@example.com");
    assert_eq!(created["tier"], "MID", "largest channel has 182k followers");
    assert_eq!(created["stage"], "PROSPECT");
    assert_eq!(created["vettingStatus"], "PENDING");
    let channels = created["channels"].as_array().unwrap();
    assert_eq!(channels.len(), 2);
    assert_eq!(channels[0]["platform"], "TIKTOK", "largest first");
    assert_eq!(channels[1]["engagementRate"], "0.045");
    assert_eq!(channels[1]["avgViews"], 9000);
    assert_eq!(channels[1]["url"], "https://instagram.com/maya");

    let again = app
        .contract(
            Some(&brand.access),
            "roster",
            "CreateCreator",
            json!({ "input": { "displayName": "Maya 2", "email": "maya@example.com" } }),
        )
        .await;
    assert_eq!(error_codes(&again), ["CONFLICT"]);
}

async fn invalid_creator_input_is_refused_and_writes_nothing(app: TestApp) {
    let brand = register(&app, "Brand", "admin@x.test").await;
    let cases = [
        (json!({ "displayName": "" }), "displayName"),
        (json!({ "displayName": "X", "email": "nope" }), "email"),
        (json!({ "displayName": "X", "country": "USA" }), "country"),
        (
            json!({ "displayName": "X", "channels": [channel("TIKTOK", "@x", -5)] }),
            "channels.followers",
        ),
        (
            json!({ "displayName": "X", "channels": [{ "platform": "TIKTOK", "handle": "@x", "url": "javascript:alert(1)" }] }),
            "channels.url",
        ),
        (
            json!({ "displayName": "X", "channels": [{ "platform": "TIKTOK", "handle": "@x", "engagementRate": "4.5" }] }),
            "channels.engagementRate",
        ),
    ];
    for (input, field) in cases {
        let response = app
            .contract(
                Some(&brand.access),
                "roster",
                "CreateCreator",
                json!({ "input": input }),
            )
            .await;
        assert_eq!(
            error_codes(&response),
            ["BAD_USER_INPUT"],
            "{field}: {response}"
        );
        assert_eq!(
            response["errors"][0]["extensions"]["field"], field,
            "{response}"
        );
    }
    let unknown_platform = app
        .contract(
            Some(&brand.access),
            "roster",
            "CreateCreator",
            json!({ "input": { "displayName": "X", "channels": [channel("MYSPACE", "@x", 1)] } }),
        )
        .await;
    assert_eq!(error_codes(&unknown_platform), ["BAD_USER_INPUT"]);
    assert_eq!(creator::Entity::find().count(&app.db).await.unwrap(), 0);
    assert_eq!(channel::Entity::find().count(&app.db).await.unwrap(), 0);
}

const LIST: &str = "query ($filter: CreatorFilter, $orderBy: CreatorOrder, $first: Int) {
  creators(first: $first, filter: $filter, orderBy: $orderBy) {
    totalCount edges { node { displayName tier stage } } } }";

async fn names(app: &TestApp, token: &str, filter: Value, order: Value) -> Vec<String> {
    let response = app
        .graphql_as(
            Some(token),
            LIST,
            json!({ "filter": filter, "orderBy": order, "first": 100 }),
        )
        .await;
    data(&response)["creators"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| text(&e["node"]["displayName"]))
        .collect()
}

async fn the_roster_filters_searches_and_sorts(app: TestApp) {
    let brand = register(&app, "Brand", "admin@x.test").await;
    let roster = [
        (
            "Ana Souza",
            "BR",
            "skincare",
            channel("YOUTUBE", "AnaSkincare", 640_000),
        ),
        (
            "Leo Park",
            "US",
            "fitness",
            channel("INSTAGRAM", "@leo.fit", 48_500),
        ),
        (
            "Maya Chen",
            "US",
            "skincare",
            channel("TIKTOK", "@mayaglows", 182_000),
        ),
        (
            "Sam Reid",
            "GB",
            "fashion",
            channel("INSTAGRAM", "@sam_100%", 7_900),
        ),
        (
            "Zoe Mega",
            "US",
            "beauty",
            channel("TIKTOK", "@zoe", 2_000_000),
        ),
    ];
    let mut ids = Vec::new();
    for (name, country, niche, ch) in roster {
        let created = create(
            &app,
            &brand.access,
            json!({ "displayName": name, "country": country, "niches": [niche], "channels": [ch] }),
        )
        .await;
        ids.push(text(&created["id"]));
    }
    let token = &brand.access;
    let stage = app
        .contract(
            Some(token),
            "roster",
            "SetCreatorStage",
            json!({ "id": ids[2], "stage": "ACTIVE" }),
        )
        .await;
    assert_eq!(data(&stage)["setCreatorStage"]["stage"], "ACTIVE");
    let vet = app
        .contract(
            Some(token),
            "roster",
            "VetCreator",
            json!({ "input": { "creatorId": ids[0], "status": "APPROVED", "brandSafetyScore": 91, "notes": "clean" } }),
        )
        .await;
    assert_eq!(
        data(&vet)["vetCreator"],
        json!({ "id": ids[0], "vettingStatus": "APPROVED", "brandSafetyScore": 91 })
    );

    assert_eq!(names(&app, token, json!({}), json!(null)).await.len(), 5);
    assert_eq!(
        names(&app, token, json!({ "stage": "ACTIVE" }), json!(null)).await,
        ["Maya Chen"]
    );
    assert_eq!(
        names(&app, token, json!({ "tier": "MEGA" }), json!(null)).await,
        ["Zoe Mega"]
    );
    assert_eq!(
        names(&app, token, json!({ "tier": "NANO" }), json!(null)).await,
        ["Sam Reid"]
    );
    assert_eq!(
        names(&app, token, json!({ "platform": "INSTAGRAM" }), json!(null)).await,
        ["Leo Park", "Sam Reid"]
    );
    assert_eq!(
        names(
            &app,
            token,
            json!({ "vettingStatus": "APPROVED" }),
            json!(null)
        )
        .await,
        ["Ana Souza"]
    );
    assert_eq!(
        names(&app, token, json!({ "niche": "SKINCARE" }), json!(null)).await,
        ["Ana Souza", "Maya Chen"]
    );
    assert_eq!(
        names(&app, token, json!({ "country": "gb" }), json!(null)).await,
        ["Sam Reid"]
    );
    // Search: case-insensitive, in names and handles, wildcards taken literally.
    assert_eq!(
        names(&app, token, json!({ "search": "MAYA" }), json!(null)).await,
        ["Maya Chen"]
    );
    assert_eq!(
        names(&app, token, json!({ "search": "leo.fit" }), json!(null)).await,
        ["Leo Park"]
    );
    assert_eq!(
        names(&app, token, json!({ "search": "100%" }), json!(null)).await,
        ["Sam Reid"]
    );
    assert!(
        names(&app, token, json!({ "search": "%" }), json!(null))
            .await
            .len()
            == 1
    );
    assert_eq!(
        names(
            &app,
            token,
            json!({ "country": "US", "tier": "MID" }),
            json!(null)
        )
        .await,
        ["Maya Chen"]
    );
    assert_eq!(
        names(
            &app,
            token,
            json!({}),
            json!({ "field": "FOLLOWERS", "direction": "DESC" })
        )
        .await,
        ["Zoe Mega", "Ana Souza", "Maya Chen", "Leo Park", "Sam Reid"]
    );
    assert_eq!(
        names(&app, token, json!({}), json!({ "field": "NAME" })).await,
        ["Ana Souza", "Leo Park", "Maya Chen", "Sam Reid", "Zoe Mega"]
    );
}

async fn page_all(app: &TestApp, token: &str, order: Value) -> (Vec<String>, Vec<i64>) {
    let query = "query ($after: String, $orderBy: CreatorOrder) {
      creators(first: 20, after: $after, orderBy: $orderBy) {
        totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id followers } } } }";
    let mut after: Option<String> = None;
    let mut ids = Vec::new();
    let mut followers = Vec::new();
    for _ in 0..50 {
        let response = app
            .graphql_as(
                Some(token),
                query,
                json!({ "after": after, "orderBy": order }),
            )
            .await;
        let page = &data(&response)["creators"];
        assert_eq!(page["totalCount"], 250);
        let edges = page["edges"].as_array().unwrap();
        assert!(edges.len() <= 20);
        for edge in edges {
            ids.push(text(&edge["node"]["id"]));
            followers.push(edge["node"]["followers"].as_i64().unwrap());
        }
        if page["pageInfo"]["hasNextPage"] == false {
            return (ids, followers);
        }
        assert_eq!(
            page["pageInfo"]["endCursor"],
            edges.last().unwrap()["cursor"]
        );
        after = Some(text(&page["pageInfo"]["endCursor"]));
    }
    panic!("paging did not end");
}

async fn paging_a_250_creator_roster_returns_each_creator_once_in_order(app: TestApp) {
    let brand = register(&app, "Brand", "admin@x.test").await;
    let mut created = Vec::new();
    for i in 0..250 {
        // Many equal follower counts, so that ties must be broken by id.
        let c = create(
            &app,
            &brand.access,
            json!({ "displayName": format!("Creator {i:03}"), "channels": [channel("TIKTOK", &format!("@c{i}"), (i % 7) * 1000)] }),
        )
        .await;
        created.push(text(&c["id"]));
    }
    let (ids, _) = page_all(&app, &brand.access, json!(null)).await;
    assert_eq!(ids, created, "creation order, each once");

    let (ids, followers) = page_all(
        &app,
        &brand.access,
        json!({ "field": "FOLLOWERS", "direction": "DESC" }),
    )
    .await;
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 250, "every creator exactly once");
    assert!(
        followers.windows(2).all(|w| w[0] >= w[1]),
        "descending followers"
    );
}

async fn the_pipeline_allows_only_sensible_moves(app: TestApp) {
    let brand = register(&app, "Brand", "admin@x.test").await;
    let id = text(&create(&app, &brand.access, json!({ "displayName": "X" })).await["id"]);
    let set = |stage: &'static str, reactivate: bool| {
        app.graphql_as(
            Some(&brand.access),
            "mutation ($id: ID!, $stage: PartnershipStage!, $r: Boolean) { setCreatorStage(id: $id, stage: $stage, reactivate: $r) { stage } }",
            json!({ "id": id, "stage": stage, "r": reactivate }),
        )
    };
    assert_eq!(
        data(&set("NEGOTIATING", false).await)["setCreatorStage"]["stage"],
        "NEGOTIATING"
    );
    assert_eq!(
        data(&set("ACTIVE", false).await)["setCreatorStage"]["stage"],
        "ACTIVE"
    );
    let back = set("PROSPECT", false).await;
    assert_eq!(error_codes(&back), ["BAD_USER_INPUT"]);
    assert_eq!(back["errors"][0]["extensions"]["field"], "stage");
    assert_eq!(
        data(&set("ENDED", false).await)["setCreatorStage"]["stage"],
        "ENDED"
    );
    let revive = set("ACTIVE", false).await;
    assert_eq!(error_codes(&revive), ["BAD_USER_INPUT"]);
    assert!(
        revive["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("reactivate")
    );
    assert_eq!(
        data(&set("ACTIVE", true).await)["setCreatorStage"]["stage"],
        "ACTIVE"
    );

    let bad_score = app
        .contract(
            Some(&brand.access),
            "roster",
            "VetCreator",
            json!({ "input": { "creatorId": id, "status": "APPROVED", "brandSafetyScore": 101 } }),
        )
        .await;
    assert_eq!(error_codes(&bad_score), ["BAD_USER_INPUT"]);
    assert_eq!(
        bad_score["errors"][0]["extensions"]["field"],
        "brandSafetyScore"
    );
}

async fn creator_detail_shows_enrollments(app: TestApp) {
    let w = world::world(&app).await;
    let detail = app
        .contract(
            Some(&w.admin),
            "roster",
            "CreatorDetail",
            json!({ "id": w.creator_a }),
        )
        .await;
    let node = &data(&detail)["node"];
    assert_eq!(node["displayName"], "Cora Creator");
    let edges = node["enrollments"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 1);
    assert_eq!(edges[0]["node"]["id"], w.enrollment_a.as_str());
    assert_eq!(edges[0]["node"]["status"], "ACTIVE");
    assert_eq!(edges[0]["node"]["campaign"]["name"], "Spring");
    assert_eq!(edges[0]["node"]["offer"]["model"], "CPA");
}

async fn a_creator_sees_only_its_own_records(app: TestApp) {
    let w = world::world(&app).await;
    let listed = app
        .graphql_as(
            Some(&w.creator),
            "{ creators(first: 50) { totalCount edges { node { id brandSafetyScore vettingNotes } } } }",
            json!({}),
        )
        .await;
    let listed = &data(&listed)["creators"];
    assert_eq!(listed["totalCount"], 1);
    assert_eq!(listed["edges"][0]["node"]["id"], w.creator_a.as_str());
    assert!(listed["edges"][0]["node"]["brandSafetyScore"].is_null());
    let other = app
        .contract(
            Some(&w.creator),
            "roster",
            "CreatorDetail",
            json!({ "id": w.spare_creator_a }),
        )
        .await;
    assert_eq!(error_codes(&other), ["NOT_FOUND"]);
    let own = app
        .contract(
            Some(&w.creator),
            "roster",
            "CreatorDetail",
            json!({ "id": w.creator_a }),
        )
        .await;
    assert_eq!(
        data(&own)["node"]["enrollments"]["edges"][0]["node"]["campaign"]["name"],
        "Spring"
    );
    // Staff see the brand's whole roster.
    let staff = app
        .contract(
            Some(&w.analyst),
            "roster",
            "Creators",
            json!({ "first": 50 }),
        )
        .await;
    assert_eq!(data(&staff)["creators"]["totalCount"], 2);
}

on_both_backends!(
    create_creator_runs_as_written,
    invalid_creator_input_is_refused_and_writes_nothing,
    the_roster_filters_searches_and_sorts,
    paging_a_250_creator_roster_returns_each_creator_once_in_order,
    the_pipeline_allows_only_sensible_moves,
    creator_detail_shows_enrollments,
    a_creator_sees_only_its_own_records,
);
