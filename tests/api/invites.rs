//! Invites for staff and creators, and creator accounts across brands.

use chrono::{Duration, Utc};
use partnergraph::db::entity::invite;
use sea_orm::EntityTrait;
use sea_orm::sea_query::Expr;
use serde_json::json;

use crate::helpers::world::{self, PASSWORD, accept, insert_creator, invite, register, text};
use crate::helpers::{TestApp, data, error_codes};
use crate::on_both_backends;

async fn an_invited_manager_signs_in_with_the_managers_role(app: TestApp) {
    let brand = register(&app, "Brand", "admin@x.test").await;
    let token = invite(&app, &brand.access, "New.Manager@x.test", "MANAGER", None).await;
    assert!(token.starts_with("pgi_"));
    let response = app
        .contract(
            None,
            "auth",
            "AcceptInvite",
            json!({ "input": { "inviteToken": token, "password": PASSWORD } }),
        )
        .await;
    let payload = &data(&response)["acceptInvite"];
    assert_eq!(payload["user"]["email"], "new.manager@x.test");
    assert_eq!(payload["user"]["role"], "MANAGER");
    let viewer = app
        .contract(
            Some(&text(&payload["accessToken"])),
            "auth",
            "Viewer",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&viewer)["viewer"]["brand"]["id"],
        brand.brand_id.as_str()
    );

    // Single use.
    let again = app
        .contract(
            None,
            "auth",
            "AcceptInvite",
            json!({ "input": { "inviteToken": token, "password": PASSWORD } }),
        )
        .await;
    assert_eq!(error_codes(&again), ["BAD_USER_INPUT"]);
}

async fn expired_invites_are_refused(app: TestApp) {
    let brand = register(&app, "Brand", "admin@x.test").await;
    let token = invite(&app, &brand.access, "late@x.test", "ANALYST", None).await;
    invite::Entity::update_many()
        .col_expr(
            invite::Column::ExpiresAt,
            Expr::value(Utc::now() - Duration::minutes(1)),
        )
        .exec(&app.db)
        .await
        .unwrap();
    let response = app
        .contract(
            None,
            "auth",
            "AcceptInvite",
            json!({ "input": { "inviteToken": token, "password": PASSWORD } }),
        )
        .await;
    assert_eq!(error_codes(&response), ["BAD_USER_INPUT"]);
    assert_eq!(response["errors"][0]["extensions"]["field"], "inviteToken");
}

async fn inviting_needs_the_right_role_and_input(app: TestApp) {
    let w = world::world(&app).await;
    let staff_by_manager = app
        .contract(
            Some(&w.manager),
            "auth",
            "InviteUser",
            json!({ "input": { "email": "z@x.test", "role": "ANALYST" } }),
        )
        .await;
    assert_eq!(error_codes(&staff_by_manager), ["FORBIDDEN"]);
    let creator_without_record = app
        .contract(
            Some(&w.admin),
            "auth",
            "InviteUser",
            json!({ "input": { "email": "z@x.test", "role": "CREATOR" } }),
        )
        .await;
    assert_eq!(error_codes(&creator_without_record), ["BAD_USER_INPUT"]);
    let taken = app
        .contract(
            Some(&w.admin),
            "auth",
            "InviteUser",
            json!({ "input": { "email": "manager@a.test", "role": "ANALYST" } }),
        )
        .await;
    assert_eq!(error_codes(&taken), ["CONFLICT"]);
    let linked_already = app
        .contract(
            Some(&w.manager),
            "auth",
            "InviteUser",
            json!({ "input": { "email": "q@x.test", "role": "CREATOR", "creatorId": w.creator_a } }),
        )
        .await;
    assert_eq!(error_codes(&linked_already), ["CONFLICT"]);
    let foreign_record = app
        .contract(
            Some(&w.admin),
            "auth",
            "InviteUser",
            json!({ "input": { "email": "q@x.test", "role": "CREATOR", "creatorId": w.creator_b } }),
        )
        .await;
    assert_eq!(error_codes(&foreign_record), ["NOT_FOUND"]);
}

async fn a_creator_account_is_linked_across_brands_not_duplicated(app: TestApp) {
    let a = register(&app, "Brand A", "a@x.test").await;
    let b = register(&app, "Brand B", "b@x.test").await;
    let record_a = insert_creator(&app, &a.brand_id, "Maya at A", "maya@c.test").await;
    let record_b = insert_creator(&app, &b.brand_id, "Maya at B", "maya@c.test").await;

    let token_a = invite(&app, &a.access, "maya@c.test", "CREATOR", Some(&record_a)).await;
    let access = accept(&app, &token_a).await;
    let viewer = app
        .contract(Some(&access), "auth", "Viewer", json!({}))
        .await;
    let viewer = data(&viewer)["viewer"].clone();
    assert_eq!(viewer["role"], "CREATOR");
    assert!(viewer["brand"].is_null());
    assert_eq!(viewer["creators"][0]["id"], record_a.as_str());
    assert_eq!(viewer["creators"][0]["brand"]["name"], "Brand A");

    // Brand B invites the same email: the existing account must prove itself.
    let token_b = invite(&app, &b.access, "maya@c.test", "CREATOR", Some(&record_b)).await;
    let wrong = app
        .contract(
            None,
            "auth",
            "AcceptInvite",
            json!({ "input": { "inviteToken": token_b, "password": "not-her-password" } }),
        )
        .await;
    assert_eq!(error_codes(&wrong), ["UNAUTHENTICATED"]);
    let linked = app
        .contract(
            None,
            "auth",
            "AcceptInvite",
            json!({ "input": { "inviteToken": token_b, "password": PASSWORD } }),
        )
        .await;
    let payload = &data(&linked)["acceptInvite"];
    assert_eq!(
        payload["user"]["id"], viewer["id"],
        "same account, not a duplicate"
    );
    let viewer = app
        .contract(
            Some(&text(&payload["accessToken"])),
            "auth",
            "Viewer",
            json!({}),
        )
        .await;
    let names: Vec<&str> = data(&viewer)["viewer"]["creators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["brand"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Brand A", "Brand B"]);
}

on_both_backends!(
    an_invited_manager_signs_in_with_the_managers_role,
    expired_invites_are_refused,
    inviting_needs_the_right_role_and_input,
    a_creator_account_is_linked_across_brands_not_duplicated,
);
