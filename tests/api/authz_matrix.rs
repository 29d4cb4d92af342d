//! The authorization matrix: every contract operation that exists so far, for every kind of
//! caller, with own and foreign objects. Later issues add their operations here.
//!
//! Expected outcomes: `ok`, or the error code: `F` FORBIDDEN, `U` UNAUTHENTICATED, `N` NOT_FOUND.

use chrono::{Duration, Utc};
use partnergraph::auth::jwt::JwtKeys;
use serde_json::{Value, json};

use crate::helpers::world::{self, World, create_key, db_id, invite, login};
use crate::helpers::{TestApp, TestDb, error_codes, test_config};
use crate::on_both_backends;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    Admin,
    Manager,
    Analyst,
    Creator,
    Integrator,
    Anonymous,
    Expired,
    OtherBrandAdmin,
}

const CALLERS: [Caller; 8] = [
    Caller::Admin,
    Caller::Manager,
    Caller::Analyst,
    Caller::Creator,
    Caller::Integrator,
    Caller::Anonymous,
    Caller::Expired,
    Caller::OtherBrandAdmin,
];

#[derive(Clone, Copy, Debug)]
enum Op {
    RegisterBrand,
    Login,
    RefreshSession,
    AcceptInvite,
    Logout,
    Viewer,
    InviteStaff,
    InviteCreatorOfA,
    CreateApiKey,
    RevokeApiKeyOfA,
    UpdateBrandSettings,
    SetExchangeRate,
    NodeBrandA,
    NodeCreatorA,
    NodeSpareCreatorA,
    NodeApiKeyA,
    CreateCreator,
    Creators,
    SetCreatorStageOfA,
    VetCreatorOfA,
    CreateCampaign,
    SetCampaignStatusOfA,
    CreateOfferInA,
    EnrollCreatorInA,
    Campaigns,
    CreateDeliverableInA,
    UpdateDeliverableOfA,
    RecordCostInA,
    NodeCampaignA,
    NodeEnrollmentA,
    NodeDeliverableA,
    CreateTrackingLinkInA,
    CreateDiscountCodeInA,
    TrackingLinks,
    RecordClicks,
    RecordConversions,
    RecordRefund,
    ConversionChanges,
    CreatePayouts,
    MarkMissingPayoutPaid,
    Payouts,
    MyEarnings,
    MyCommissions,
    MyLinks,
    MyPerformance,
    MyPayouts,
    Performance,
    CampaignScorecardOfA,
    CustomerLtv,
    ForecastOfA,
    MyPerformanceReport,
    CreateExperimentInA,
    ExperimentResultOfA,
    CreateWebhookEndpoint,
    UpdateWebhookEndpointOfA,
    WebhookEndpoints,
    WebhookDeliveries,
    NodeWebhookEndpointA,
    UpdateUserRoleOfA,
    DeactivateUserOfA,
    ReactivateUserOfA,
    RevokeInviteOfA,
    Invites,
    Sessions,
    EndOwnSession,
    UpdateTrackingLinkOfA,
    DeactivateDiscountCodeOfA,
    ReactivateDiscountCodeOfA,
    DeleteCostOfA,
    RemoveChannelOfA,
    DeleteCreatorOfA,
    RequestPasswordReset,
    ResetPassword,
    MyNotificationSettings,
    UpdateNotificationSettings,
    ChangePassword,
    EraseCreatorOfA,
    EraseCustomer,
    ExportCreatorDataOfA,
}

/// One row per operation, in the order of [`CALLERS`]:
/// Admin, Manager, Analyst, Creator, Integrator, Anonymous, Expired, OtherBrandAdmin.
#[rustfmt::skip]
const MATRIX: &[(Op, [&str; 8])] = &[
    (Op::RegisterBrand,         ["ok", "ok", "ok", "ok", "ok", "ok", "U", "ok"]),
    (Op::Login,                 ["ok", "ok", "ok", "ok", "ok", "ok", "U", "ok"]),
    (Op::RefreshSession,        ["ok", "ok", "ok", "ok", "ok", "ok", "U", "ok"]),
    (Op::AcceptInvite,          ["ok", "ok", "ok", "ok", "ok", "ok", "U", "ok"]),
    (Op::Logout,                ["ok", "ok", "ok", "ok", "F",  "U",  "U", "ok"]),
    (Op::Viewer,                ["ok", "ok", "ok", "ok", "F",  "U",  "U", "ok"]),
    (Op::InviteStaff,           ["ok", "F",  "F",  "F",  "F",  "U",  "U", "ok"]),
    (Op::InviteCreatorOfA,      ["ok", "ok", "F",  "F",  "F",  "U",  "U", "N"]),
    (Op::CreateApiKey,          ["ok", "F",  "F",  "F",  "F",  "U",  "U", "ok"]),
    (Op::RevokeApiKeyOfA,       ["ok", "F",  "F",  "F",  "F",  "U",  "U", "N"]),
    (Op::UpdateBrandSettings,   ["ok", "F",  "F",  "F",  "F",  "U",  "U", "ok"]),
    (Op::SetExchangeRate,       ["ok", "F",  "F",  "F",  "F",  "U",  "U", "ok"]),
    (Op::NodeBrandA,            ["ok", "ok", "ok", "ok", "N",  "U",  "U", "N"]),
    (Op::NodeCreatorA,          ["ok", "ok", "ok", "ok", "N",  "U",  "U", "N"]),
    (Op::NodeSpareCreatorA,     ["ok", "ok", "ok", "N",  "N",  "U",  "U", "N"]),
    (Op::NodeApiKeyA,           ["ok", "N",  "N",  "N",  "N",  "U",  "U", "N"]),
    (Op::CreateCreator,         ["ok", "ok", "F",  "F",  "F",  "U",  "U", "ok"]),
    (Op::Creators,              ["ok", "ok", "ok", "ok", "F",  "U",  "U", "ok"]),
    (Op::SetCreatorStageOfA,    ["ok", "ok", "F",  "F",  "F",  "U",  "U", "N"]),
    (Op::VetCreatorOfA,         ["ok", "ok", "F",  "F",  "F",  "U",  "U", "N"]),
    (Op::CreateCampaign,        ["ok", "ok", "F",  "F",  "F",  "U",  "U", "ok"]),
    (Op::SetCampaignStatusOfA,  ["ok", "ok", "F",  "F",  "F",  "U",  "U", "N"]),
    (Op::CreateOfferInA,        ["ok", "ok", "F",  "F",  "F",  "U",  "U", "N"]),
    (Op::EnrollCreatorInA,      ["ok", "ok", "F",  "F",  "F",  "U",  "U", "B"]),
    (Op::Campaigns,             ["ok", "ok", "ok", "F",  "F",  "U",  "U", "ok"]),
    (Op::CreateDeliverableInA,  ["ok", "ok", "F",  "F",  "F",  "U",  "U", "B"]),
    (Op::UpdateDeliverableOfA,  ["ok", "ok", "F",  "F",  "F",  "U",  "U", "N"]),
    (Op::RecordCostInA,         ["ok", "ok", "F",  "F",  "F",  "U",  "U", "B"]),
    (Op::NodeCampaignA,         ["ok", "ok", "ok", "N",  "N",  "U",  "U", "N"]),
    (Op::NodeEnrollmentA,       ["ok", "ok", "ok", "ok", "N",  "U",  "U", "N"]),
    (Op::NodeDeliverableA,      ["ok", "ok", "ok", "ok", "N",  "U",  "U", "N"]),
    (Op::CreateTrackingLinkInA, ["ok", "ok", "F",  "F",  "F",  "U",  "U", "B"]),
    (Op::CreateDiscountCodeInA, ["ok", "ok", "F",  "F",  "F",  "U",  "U", "B"]),
    (Op::TrackingLinks,         ["ok", "ok", "ok", "ok", "ok", "U",  "U", "ok"]),
    (Op::RecordClicks,          ["F",  "F",  "F",  "F",  "ok", "U",  "U", "F"]),
    (Op::RecordConversions,     ["F",  "F",  "F",  "F",  "ok", "U",  "U", "F"]),
    (Op::RecordRefund,          ["F",  "F",  "F",  "F",  "ok", "U",  "U", "F"]),
    (Op::ConversionChanges,     ["F",  "F",  "F",  "F",  "ok", "U",  "U", "F"]),
    (Op::CreatePayouts,         ["ok", "ok", "F",  "F",  "F",  "U",  "U", "ok"]),
    (Op::MarkMissingPayoutPaid, ["N",  "F",  "F",  "F",  "F",  "U",  "U", "N"]),
    (Op::Payouts,               ["ok", "ok", "ok", "ok", "F",  "U",  "U", "ok"]),
    (Op::MyEarnings,            ["F",  "F",  "F",  "ok", "F",  "U",  "U", "F"]),
    (Op::MyCommissions,         ["F",  "F",  "F",  "ok", "F",  "U",  "U", "F"]),
    (Op::MyLinks,               ["F",  "F",  "F",  "ok", "F",  "U",  "U", "F"]),
    (Op::MyPerformance,         ["F",  "F",  "F",  "ok", "F",  "U",  "U", "F"]),
    (Op::MyPayouts,             ["F",  "F",  "F",  "ok", "F",  "U",  "U", "F"]),
    (Op::Performance,           ["ok", "ok", "ok", "F",  "F",  "U",  "U", "ok"]),
    (Op::CampaignScorecardOfA,  ["ok", "ok", "ok", "N",  "N",  "U",  "U", "N"]),
    (Op::CustomerLtv,           ["ok", "ok", "ok", "F",  "F",  "U",  "U", "ok"]),
    // Campaign A has no history yet: staff get the forecast's clear BAD_USER_INPUT.
    (Op::ForecastOfA,           ["B",  "B",  "B",  "F",  "F",  "U",  "U", "N"]),
    (Op::MyPerformanceReport,   ["F",  "F",  "F",  "ok", "F",  "U",  "U", "F"]),
    (Op::CreateExperimentInA,   ["ok", "ok", "F",  "F",  "F",  "U",  "U", "B"]),
    (Op::ExperimentResultOfA,   ["ok", "ok", "ok", "N",  "N",  "U",  "U", "N"]),
    (Op::CreateWebhookEndpoint, ["ok", "F",  "F",  "F",  "F",  "U",  "U", "ok"]),
    (Op::UpdateWebhookEndpointOfA, ["ok", "F", "F", "F",  "F",  "U",  "U", "N"]),
    (Op::WebhookEndpoints,      ["ok", "ok", "F",  "F",  "F",  "U",  "U", "ok"]),
    (Op::WebhookDeliveries,     ["ok", "ok", "F",  "F",  "F",  "U",  "U", "ok"]),
    (Op::NodeWebhookEndpointA,  ["ok", "ok", "N",  "N",  "N",  "U",  "U", "N"]),
    (Op::UpdateUserRoleOfA,     ["ok", "F",  "F",  "F",  "F",  "U",  "U", "N"]),
    (Op::DeactivateUserOfA,     ["ok", "F",  "F",  "F",  "F",  "U",  "U", "N"]),
    (Op::ReactivateUserOfA,     ["ok", "F",  "F",  "F",  "F",  "U",  "U", "N"]),
    (Op::RevokeInviteOfA,       ["ok", "F",  "F",  "F",  "F",  "U",  "U", "N"]),
    (Op::Invites,               ["ok", "F",  "F",  "F",  "F",  "U",  "U", "ok"]),
    (Op::Sessions,              ["ok", "ok", "ok", "ok", "F",  "U",  "U", "ok"]),
    (Op::EndOwnSession,         ["ok", "ok", "ok", "ok", "F",  "U",  "U", "ok"]),
    (Op::UpdateTrackingLinkOfA, ["ok", "ok", "F",  "F",  "F",  "U",  "U", "N"]),
    (Op::DeactivateDiscountCodeOfA, ["ok", "ok", "F", "F", "F", "U",  "U", "N"]),
    (Op::ReactivateDiscountCodeOfA, ["ok", "ok", "F", "F", "F", "U",  "U", "N"]),
    (Op::DeleteCostOfA,         ["ok", "ok", "F",  "F",  "F",  "U",  "U", "N"]),
    (Op::RemoveChannelOfA,      ["ok", "ok", "F",  "F",  "F",  "U",  "U", "N"]),
    (Op::DeleteCreatorOfA,      ["ok", "ok", "F",  "F",  "F",  "U",  "U", "N"]),
    (Op::RequestPasswordReset,  ["ok", "ok", "ok", "ok", "ok", "ok", "U", "ok"]),
    // Anyone may try a reset token; an unknown one is BAD_USER_INPUT.
    (Op::ResetPassword,         ["B",  "B",  "B",  "B",  "B",  "B",  "U", "B"]),
    (Op::MyNotificationSettings, ["F", "F",  "F",  "ok", "F",  "U",  "U", "F"]),
    (Op::UpdateNotificationSettings, ["F", "F", "F", "ok", "F",  "U",  "U", "F"]),
    (Op::EraseCreatorOfA,       ["ok", "F",  "F",  "F",  "F",  "U",  "U", "N"]),
    // Another brand's ADMIN erases in its own brand (nothing there to change).
    (Op::EraseCustomer,         ["ok", "F",  "F",  "F",  "F",  "U",  "U", "ok"]),
    // The creator exports its own record.
    (Op::ExportCreatorDataOfA,  ["ok", "F",  "F",  "ok", "F",  "U",  "U", "N"]),
    // Last: it ends the user's other sessions (the password stays the same).
    (Op::ChangePassword,        ["ok", "ok", "ok", "ok", "F",  "U",  "U", "ok"]),
];

const NODE: &str = "query ($id: ID!) { node(id: $id) { id } }";

/// A token for `caller`. Operations that end a session get a fresh one.
async fn token_for(app: &TestApp, w: &World, caller: Caller, fresh: bool) -> Option<String> {
    let fresh_login = |email: &'static str| async move { login(app, email).await.0 };
    match (caller, fresh) {
        (Caller::Admin, false) => Some(w.admin.clone()),
        (Caller::Admin, true) => Some(fresh_login("admin@a.test").await),
        (Caller::Manager, false) => Some(w.manager.clone()),
        (Caller::Manager, true) => Some(fresh_login("manager@a.test").await),
        (Caller::Analyst, false) => Some(w.analyst.clone()),
        (Caller::Analyst, true) => Some(fresh_login("analyst@a.test").await),
        (Caller::Creator, false) => Some(w.creator.clone()),
        (Caller::Creator, true) => Some(fresh_login("cora@creators.test").await),
        (Caller::Integrator, _) => Some(w.key.clone()),
        (Caller::Anonymous, _) => None,
        (Caller::Expired, _) => {
            let keys = JwtKeys::new(&test_config(TestDb::placeholder_config()).auth.jwt_secret);
            let claims = w.admin.split('.').nth(1).expect("jwt payload");
            let payload: Value = serde_json::from_slice(
                &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, claims)
                    .expect("base64"),
            )
            .expect("json");
            let user: i64 = payload["sub"].as_str().expect("sub").parse().expect("id");
            let sid = payload["sid"].as_str().expect("sid");
            Some(
                keys.issue(user, sid, Utc::now() - Duration::hours(2))
                    .expect("jwt")
                    .0,
            )
        }
        (Caller::OtherBrandAdmin, false) => Some(w.admin_b.clone()),
        (Caller::OtherBrandAdmin, true) => Some(fresh_login("admin@b.test").await),
    }
}

async fn run(app: &TestApp, w: &World, op: Op, caller: Caller, n: usize) -> Value {
    let fresh = matches!(op, Op::Logout | Op::EndOwnSession);
    let token = token_for(app, w, caller, fresh).await;
    let token = token.as_deref();
    match op {
        Op::RegisterBrand => {
            app.contract(
                token,
                "auth",
                "RegisterBrand",
                json!({ "input": {
                "brandName": format!("New {n}"), "currencyCode": "USD", "timezone": "UTC",
                "email": format!("new{n}@x.test"), "password": world::PASSWORD } }),
            )
            .await
        }
        Op::Login => {
            app.contract(
                token,
                "auth",
                "Login",
                json!({ "email": "analyst@a.test", "password": world::PASSWORD }),
            )
            .await
        }
        Op::RefreshSession => {
            let (_, refresh) = login(app, "analyst@a.test").await;
            app.contract(
                token,
                "auth",
                "RefreshSession",
                json!({ "refreshToken": refresh }),
            )
            .await
        }
        Op::AcceptInvite => {
            let invite_token = invite(
                app,
                &w.admin,
                &format!("invitee{n}@a.test"),
                "ANALYST",
                None,
            )
            .await;
            app.contract(
                token,
                "auth",
                "AcceptInvite",
                json!({ "input": {
                "inviteToken": invite_token, "password": world::PASSWORD } }),
            )
            .await
        }
        Op::Logout => app.contract(token, "auth", "Logout", json!({})).await,
        Op::RequestPasswordReset => {
            app.graphql_as(
                token,
                "mutation ($email: String!) { requestPasswordReset(email: $email) }",
                json!({ "email": format!("reset{n}@a.test") }),
            )
            .await
        }
        Op::ResetPassword => {
            app.graphql_as(
                token,
                "mutation ($token: String!) { resetPassword(input: { token: $token, newPassword: \"a-new-passphrase-42\" }) }",
                json!({ "token": format!("pgp_unknown{n}") }),
            )
            .await
        }
        Op::MyNotificationSettings => {
            app.graphql_as(
                token,
                "{ myNotificationSettings { commissionApprovedEmails } }",
                json!({}),
            )
            .await
        }
        Op::UpdateNotificationSettings => {
            app.graphql_as(
                token,
                "mutation { updateNotificationSettings(input: { commissionApprovedEmails: true }) { commissionApprovedEmails } }",
                json!({}),
            )
            .await
        }
        Op::ChangePassword => {
            app.graphql_as(
                token,
                "mutation ($pw: String!) { changePassword(input: { oldPassword: $pw, newPassword: $pw }) }",
                json!({ "pw": world::PASSWORD }),
            )
            .await
        }
        Op::Viewer => app.contract(token, "auth", "Viewer", json!({})).await,
        Op::InviteStaff => {
            app.contract(
                token,
                "auth",
                "InviteUser",
                json!({ "input": {
                "email": format!("staff{n}@x.test"), "role": "ANALYST" } }),
            )
            .await
        }
        Op::InviteCreatorOfA => {
            app.contract(
                token,
                "auth",
                "InviteUser",
                json!({ "input": {
                "email": format!("creator{n}@x.test"), "role": "CREATOR",
                "creatorId": w.spare_creator_a } }),
            )
            .await
        }
        Op::CreateApiKey => {
            app.contract(
                token,
                "auth",
                "CreateApiKey",
                json!({ "input": {
                "name": format!("key {n}"), "scopes": ["INGEST"] } }),
            )
            .await
        }
        Op::RevokeApiKeyOfA => {
            let (_, key_id) = create_key(app, &w.admin, &format!("target {n}")).await;
            app.contract(token, "auth", "RevokeApiKey", json!({ "id": key_id }))
                .await
        }
        Op::UpdateBrandSettings => {
            app.contract(
                token,
                "auth",
                "UpdateBrandSettings",
                json!({ "input": { "holdPeriodDays": 30 } }),
            )
            .await
        }
        Op::SetExchangeRate => {
            app.contract(
                token,
                "auth",
                "SetExchangeRate",
                json!({ "input": {
                "currencyCode": "EUR", "date": "2026-01-01", "rate": "1.1" } }),
            )
            .await
        }
        Op::NodeBrandA => {
            app.graphql_as(token, NODE, json!({ "id": w.brand_a }))
                .await
        }
        Op::NodeCreatorA => {
            app.graphql_as(token, NODE, json!({ "id": w.creator_a }))
                .await
        }
        Op::NodeSpareCreatorA => {
            app.graphql_as(token, NODE, json!({ "id": w.spare_creator_a }))
                .await
        }
        Op::NodeApiKeyA => app.graphql_as(token, NODE, json!({ "id": w.key_id })).await,
        Op::CreateCreator => {
            app.contract(
                token,
                "roster",
                "CreateCreator",
                json!({ "input": {
                "displayName": format!("Matrix {n}") } }),
            )
            .await
        }
        Op::Creators => {
            app.contract(token, "roster", "Creators", json!({ "first": 5 }))
                .await
        }
        Op::SetCreatorStageOfA => {
            app.contract(
                token,
                "roster",
                "SetCreatorStage",
                json!({ "id": w.spare_creator_a, "stage": "PAUSED" }),
            )
            .await
        }
        Op::VetCreatorOfA => {
            app.contract(
                token,
                "roster",
                "VetCreator",
                json!({ "input": {
                "creatorId": w.spare_creator_a, "status": "APPROVED", "brandSafetyScore": 80 } }),
            )
            .await
        }
        Op::CreateCampaign => {
            app.contract(
                token,
                "campaigns",
                "CreateCampaign",
                json!({ "input": {
                "name": format!("Matrix {n}"), "objective": "SALES", "schedule": "ALWAYS_ON" } }),
            )
            .await
        }
        Op::SetCampaignStatusOfA => {
            app.contract(
                token,
                "campaigns",
                "SetCampaignStatus",
                json!({ "id": w.campaign_a, "status": "ACTIVE" }),
            )
            .await
        }
        Op::CreateOfferInA => {
            app.contract(
                token,
                "campaigns",
                "CreateOffer",
                json!({ "input": {
                "campaignId": w.campaign_a, "name": format!("Offer {n}"), "model": "CPL",
                "cplAmount": { "amount": "2", "currencyCode": "USD" } } }),
            )
            .await
        }
        Op::EnrollCreatorInA => {
            let creator =
                world::insert_creator(app, &w.brand_a, &format!("E{n}"), &format!("e{n}@a.test"))
                    .await;
            app.contract(
                token,
                "campaigns",
                "EnrollCreator",
                json!({ "input": {
                "campaignId": w.campaign_a, "creatorId": creator, "offerId": w.offer_a } }),
            )
            .await
        }
        Op::Campaigns => {
            app.contract(token, "campaigns", "Campaigns", json!({ "first": 5 }))
                .await
        }
        Op::CreateDeliverableInA => {
            app.contract(
                token,
                "campaigns",
                "CreateDeliverable",
                json!({ "input": {
                "enrollmentId": w.enrollment_a, "platform": "TIKTOK", "format": "POST" } }),
            )
            .await
        }
        Op::UpdateDeliverableOfA => {
            app.contract(
                token,
                "campaigns",
                "UpdateDeliverable",
                json!({ "input": {
                "id": w.deliverable_a, "impressions": n } }),
            )
            .await
        }
        Op::RecordCostInA => {
            app.contract(
                token,
                "campaigns",
                "RecordCost",
                json!({ "input": {
                "campaignId": w.campaign_a, "kind": "GIFTING",
                "amount": { "amount": "10", "currencyCode": "USD" },
                "incurredAt": "2026-01-01T00:00:00Z" } }),
            )
            .await
        }
        Op::NodeCampaignA => {
            app.graphql_as(token, NODE, json!({ "id": w.campaign_a }))
                .await
        }
        Op::NodeEnrollmentA => {
            app.graphql_as(token, NODE, json!({ "id": w.enrollment_a }))
                .await
        }
        Op::NodeDeliverableA => {
            app.graphql_as(token, NODE, json!({ "id": w.deliverable_a }))
                .await
        }
        Op::CreateTrackingLinkInA => {
            app.contract(token, "tracking", "CreateTrackingLink", json!({ "input": {
                "enrollmentId": w.enrollment_a, "destinationUrl": "https://shop.example.com/" } }))
                .await
        }
        Op::CreateDiscountCodeInA => {
            app.contract(token, "tracking", "CreateDiscountCode", json!({ "input": {
                "enrollmentId": w.enrollment_a, "code": format!("M{n}"), "percentOff": "5" } }))
                .await
        }
        Op::TrackingLinks => {
            app.graphql_as(token, "{ trackingLinks(first: 5) { totalCount } }", json!({})).await
        }
        Op::RecordClicks => {
            app.contract(token, "ingest", "RecordClicks", json!({ "clicks": [] })).await
        }
        Op::RecordConversions => {
            app.contract(token, "ingest", "RecordConversions", json!({ "conversions": [{
                "externalId": format!("m-{n}"), "kind": "LEAD", "occurredAt": "2026-01-01T00:00:00Z" }] }))
                .await
        }
        Op::RecordRefund => {
            app.contract(token, "ingest", "RecordRefund", json!({ "input": {
                "externalId": "nope", "refundId": format!("mr-{n}"), "amount": "1",
                "occurredAt": "2026-01-01T00:00:00Z" } }))
                .await
        }
        Op::ConversionChanges => {
            app.contract(token, "ingest", "ConversionChanges", json!({ "first": 5 })).await
        }
        Op::CreatePayouts => {
            app.contract(token, "payouts", "CreatePayouts",
                json!({ "input": { "periodEnd": "2026-01-01T00:00:00Z" } }))
                .await
        }
        Op::MarkMissingPayoutPaid => {
            let missing = partnergraph::graphql::id::encode(partnergraph::graphql::id::NodeKind::Payout, 999_999);
            app.contract(token, "payouts", "MarkPayoutPaid",
                json!({ "input": { "payoutId": missing.0, "reference": "x" } }))
                .await
        }
        Op::Payouts => app.contract(token, "payouts", "Payouts", json!({ "first": 5 })).await,
        Op::MyEarnings => app.contract(token, "creator-portal", "MyEarnings", json!({})).await,
        Op::MyCommissions => {
            app.contract(token, "creator-portal", "MyCommissions", json!({ "first": 5 })).await
        }
        Op::MyLinks => app.contract(token, "creator-portal", "MyLinks", json!({})).await,
        Op::MyPerformance => {
            app.contract(token, "creator-portal", "MyPerformance", json!({
                "from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z" }))
                .await
        }
        Op::MyPayouts => {
            app.contract(token, "creator-portal", "MyPayouts", json!({ "first": 5 })).await
        }
        Op::Performance => {
            app.contract(token, "performance", "Performance", json!({
                "filter": { "from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z" },
                "groupBy": ["CAMPAIGN", "DAY"] }))
                .await
        }
        Op::CampaignScorecardOfA => {
            app.contract(token, "performance", "CampaignScorecard", json!({ "id": w.campaign_a,
                "from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z" }))
                .await
        }
        Op::CustomerLtv => {
            app.contract(token, "performance", "CustomerLtv", json!({
                "filter": { "from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z" },
                "days": 90, "groupBy": ["CREATOR"] }))
                .await
        }
        Op::ForecastOfA => {
            app.contract(token, "performance", "Forecast", json!({ "input": {
                "campaignId": w.campaign_a, "budget": { "amount": "1000.00", "currencyCode": "USD" } } }))
                .await
        }
        Op::CreateExperimentInA => {
            app.contract(token, "performance", "CreateExperiment", experiment_input(w, n)).await
        }
        Op::ExperimentResultOfA => {
            let created = app
                .contract(Some(&w.admin), "performance", "CreateExperiment", experiment_input(w, n))
                .await;
            let id = created["data"]["createExperiment"]["id"].clone();
            app.contract(token, "performance", "ExperimentResult", json!({ "id": id })).await
        }
        Op::CreateWebhookEndpoint => {
            app.graphql_as(token, CREATE_WEBHOOK, webhook_input(n)).await
        }
        Op::UpdateWebhookEndpointOfA | Op::NodeWebhookEndpointA => {
            let created = app.graphql_as(Some(&w.admin), CREATE_WEBHOOK, webhook_input(n)).await;
            let id = created["data"]["createWebhookEndpoint"]["webhookEndpoint"]["id"].clone();
            if matches!(op, Op::NodeWebhookEndpointA) {
                app.graphql_as(token, NODE, json!({ "id": id })).await
            } else {
                app.graphql_as(token,
                    "mutation ($input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $input) { id } }",
                    json!({ "input": { "id": id, "description": format!("changed {n}") } }))
                    .await
            }
        }
        Op::WebhookEndpoints => {
            app.graphql_as(token, "{ webhookEndpoints(first: 5) { totalCount } }", json!({})).await
        }
        Op::WebhookDeliveries => {
            app.graphql_as(token, "{ webhookDeliveries(first: 5) { totalCount } }", json!({})).await
        }
        Op::UpdateUserRoleOfA | Op::DeactivateUserOfA | Op::ReactivateUserOfA => {
            let invite_token =
                invite(app, &w.admin, &format!("target{n}@a.test"), "ANALYST", None).await;
            let accepted = app
                .contract(None, "auth", "AcceptInvite", json!({ "input": {
                    "inviteToken": invite_token, "password": world::PASSWORD } }))
                .await;
            let user = accepted["data"]["acceptInvite"]["user"]["id"].clone();
            let (query, variables) = match op {
                Op::UpdateUserRoleOfA => (
                    "mutation ($input: UpdateUserRoleInput!) { updateUserRole(input: $input) { id } }",
                    json!({ "input": { "userId": user, "role": "MANAGER" } }),
                ),
                Op::DeactivateUserOfA => (
                    "mutation ($id: ID!) { deactivateUser(id: $id) { id } }",
                    json!({ "id": user }),
                ),
                _ => (
                    "mutation ($id: ID!) { reactivateUser(id: $id) { id } }",
                    json!({ "id": user }),
                ),
            };
            app.graphql_as(token, query, variables).await
        }
        Op::RevokeInviteOfA => {
            let issued = app
                .graphql_as(Some(&w.admin),
                    "mutation ($input: InviteUserInput!) { inviteUser(input: $input) { invite { id } } }",
                    json!({ "input": { "email": format!("revoked{n}@a.test"), "role": "ANALYST" } }))
                .await;
            let id = issued["data"]["inviteUser"]["invite"]["id"].clone();
            app.graphql_as(token, "mutation ($id: ID!) { revokeInvite(id: $id) { id } }",
                json!({ "id": id }))
                .await
        }
        Op::Invites => {
            app.graphql_as(token, "{ invites(first: 5) { totalCount } }", json!({})).await
        }
        Op::Sessions => {
            app.graphql_as(token, "{ sessions(first: 5) { totalCount } }", json!({})).await
        }
        Op::EndOwnSession => {
            let listed = app
                .graphql_as(token, "{ sessions(first: 100) { edges { node { id current } } } }", json!({}))
                .await;
            let own = listed["data"]["sessions"]["edges"]
                .as_array()
                .and_then(|edges| edges.iter().find(|e| e["node"]["current"] == true))
                .map(|e| e["node"]["id"].clone())
                .unwrap_or_else(|| {
                    json!(partnergraph::graphql::id::encode(partnergraph::graphql::id::NodeKind::Session, 1).0)
                });
            app.graphql_as(token, "mutation ($id: ID!) { endSession(id: $id) { id } }",
                json!({ "id": own }))
                .await
        }
        Op::UpdateTrackingLinkOfA => {
            let created = app
                .contract(Some(&w.admin), "tracking", "CreateTrackingLink", json!({ "input": {
                    "enrollmentId": w.enrollment_a, "destinationUrl": "https://shop.example.com/" } }))
                .await;
            let id = created["data"]["createTrackingLink"]["id"].clone();
            app.graphql_as(token,
                "mutation ($input: UpdateTrackingLinkInput!) { updateTrackingLink(input: $input) { id } }",
                json!({ "input": { "id": id, "state": "PAUSED" } }))
                .await
        }
        Op::DeactivateDiscountCodeOfA | Op::ReactivateDiscountCodeOfA => {
            let created = app
                .contract(Some(&w.admin), "tracking", "CreateDiscountCode", json!({ "input": {
                    "enrollmentId": w.enrollment_a, "code": format!("OFF{n}"), "percentOff": "5" } }))
                .await;
            let id = created["data"]["createDiscountCode"]["id"].clone();
            let field = if matches!(op, Op::DeactivateDiscountCodeOfA) {
                "deactivateDiscountCode"
            } else {
                "reactivateDiscountCode"
            };
            app.graphql_as(token, &format!("mutation ($id: ID!) {{ {field}(id: $id) {{ id }} }}"),
                json!({ "id": id }))
                .await
        }
        Op::DeleteCostOfA => {
            let recorded = app
                .contract(Some(&w.admin), "campaigns", "RecordCost", json!({ "input": {
                    "campaignId": w.campaign_a, "kind": "GIFTING",
                    "amount": { "amount": "10", "currencyCode": "USD" },
                    "incurredAt": "2026-01-01T00:00:00Z" } }))
                .await;
            let id = recorded["data"]["recordCost"]["id"].clone();
            app.graphql_as(token, "mutation ($id: ID!) { deleteCost(id: $id) }", json!({ "id": id }))
                .await
        }
        Op::RemoveChannelOfA => {
            let created = app
                .graphql_as(Some(&w.admin),
                    "mutation ($input: CreateCreatorInput!) { createCreator(input: $input) { channels { id } } }",
                    json!({ "input": { "displayName": format!("Channel {n}"),
                        "channels": [{ "platform": "TIKTOK", "handle": format!("@c{n}"), "followers": 10 }] } }))
                .await;
            let id = created["data"]["createCreator"]["channels"][0]["id"].clone();
            app.graphql_as(token, "mutation ($id: ID!) { removeChannel(id: $id) { id } }",
                json!({ "id": id }))
                .await
        }
        Op::DeleteCreatorOfA => {
            let creator =
                world::insert_creator(app, &w.brand_a, &format!("D{n}"), &format!("d{n}@a.test"))
                    .await;
            app.graphql_as(token, "mutation ($id: ID!) { deleteCreator(id: $id) }",
                json!({ "id": creator }))
                .await
        }
        Op::EraseCreatorOfA => {
            let creator =
                world::insert_creator(app, &w.brand_a, &format!("X{n}"), &format!("x{n}@a.test"))
                    .await;
            app.graphql_as(token, "mutation ($id: ID!) { eraseCreator(id: $id) { erasedAt } }",
                json!({ "id": creator }))
                .await
        }
        Op::EraseCustomer => {
            app.graphql_as(token,
                "mutation ($input: EraseCustomerInput!) { eraseCustomer(input: $input) { conversionsChanged } }",
                json!({ "input": { "customerKey": format!("c-{n}") } }))
                .await
        }
        Op::ExportCreatorDataOfA => {
            app.graphql_as(token, "query ($id: ID) { exportCreatorData(creatorId: $id) }",
                json!({ "id": w.creator_a }))
                .await
        }
        Op::MyPerformanceReport => {
            app.graphql_as(token,
                "query ($f: PerformanceFilter!) { myPerformanceReport(filter: $f, groupBy: [CAMPAIGN]) { totals { clicks } } }",
                json!({ "f": { "from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z" } }))
                .await
        }
    }
}

const CREATE_WEBHOOK: &str = "mutation ($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { webhookEndpoint { id } } }";

fn webhook_input(n: usize) -> Value {
    json!({ "input": { "url": format!("https://hooks.example.com/{n}"), "eventTypes": ["PAYOUT_PAID"] } })
}

fn experiment_input(w: &World, n: usize) -> Value {
    json!({ "input": { "campaignId": w.campaign_a, "name": format!("Holdout {n}"),
        "startsAt": "2026-01-01T00:00:00Z", "endsAt": "2026-02-01T00:00:00Z",
        "treatment": [{ "region": "US-CA", "population": 1000 }],
        "control": [{ "region": "US-OR", "population": 800 }] } })
}

fn outcome(response: &Value) -> String {
    match error_codes(response).first().map(String::as_str) {
        None => "ok".into(),
        Some("FORBIDDEN") => "F".into(),
        Some("UNAUTHENTICATED") => "U".into(),
        Some("NOT_FOUND") => "N".into(),
        Some("BAD_USER_INPUT") => "B".into(),
        Some(other) => format!("{other}: {response}"),
    }
}

async fn every_operation_for_every_caller(app: TestApp) {
    let w = world::world(&app).await;
    let mut mismatches = Vec::new();
    let mut n = 0;
    for (op, expected) in MATRIX {
        for (caller, want) in CALLERS.iter().zip(expected) {
            n += 1;
            let response = run(&app, &w, *op, *caller, n).await;
            let got = outcome(&response);
            if got != *want {
                mismatches.push(format!("{op:?} as {caller:?}: expected {want}, got {got}"));
            }
            if got == "ok" {
                assert!(
                    response["data"].is_object(),
                    "{op:?} as {caller:?}: {response}"
                );
            }
        }
    }
    assert!(mismatches.is_empty(), "\n{}", mismatches.join("\n"));
}

async fn another_brands_id_answers_exactly_like_a_missing_one(app: TestApp) {
    let w = world::world(&app).await;
    let missing_brand = partnergraph::graphql::id::encode(
        partnergraph::graphql::id::NodeKind::Brand,
        db_id(&w.brand_b) + 1000,
    );
    let missing_creator = partnergraph::graphql::id::encode(
        partnergraph::graphql::id::NodeKind::Creator,
        db_id(&w.creator_b) + 1000,
    );
    for (foreign, missing) in [
        (&w.brand_b, missing_brand.0),
        (&w.creator_b, missing_creator.0),
    ] {
        let foreign = app
            .graphql_as(Some(&w.admin), NODE, json!({ "id": foreign }))
            .await;
        let missing = app
            .graphql_as(Some(&w.admin), NODE, json!({ "id": missing }))
            .await;
        assert_eq!(error_codes(&foreign), ["NOT_FOUND"]);
        assert_eq!(foreign, missing);
    }
    let foreign_key = app
        .contract(
            Some(&w.admin),
            "auth",
            "RevokeApiKey",
            json!({ "id": w.key_id_b }),
        )
        .await;
    assert_eq!(error_codes(&foreign_key), ["NOT_FOUND"]);
}

on_both_backends!(
    every_operation_for_every_caller,
    another_brands_id_answers_exactly_like_a_missing_one,
);
