//! Fixtures built through the public API: brands, staff of every role, a creator account and
//! an API key. Creator records are inserted directly until the roster API exists.

use chrono::Utc;
use partnergraph::db::entity::creator;
use partnergraph::graphql::id::{self, NodeKind};
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde_json::{Value, json};

use super::{TestApp, data};

pub const PASSWORD: &str = "correct-horse-battery-staple";

pub struct Registered {
    pub access: String,
    pub refresh: String,
    pub brand_id: String,
    pub user_id: String,
}

/// Registers a brand (USD, UTC) whose ADMIN is `email`.
pub async fn register(app: &TestApp, brand_name: &str, email: &str) -> Registered {
    let response = app
        .contract(
            None,
            "auth",
            "RegisterBrand",
            json!({ "input": {
                "brandName": brand_name, "currencyCode": "USD", "timezone": "UTC",
                "email": email, "password": PASSWORD,
            }}),
        )
        .await;
    let payload = &data(&response)["registerBrand"];
    Registered {
        access: text(&payload["accessToken"]),
        refresh: text(&payload["refreshToken"]),
        brand_id: text(&payload["user"]["brand"]["id"]),
        user_id: text(&payload["user"]["id"]),
    }
}

pub fn text(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("expected a string, got {value}"))
        .to_owned()
}

/// The database id behind a global ID.
pub fn db_id(global: &str) -> i64 {
    id::decode(&async_graphql::ID(global.to_owned()))
        .expect("valid global id")
        .1
}

/// Inserts a creator record into a brand and returns its global ID.
pub async fn insert_creator(
    app: &TestApp,
    brand_global_id: &str,
    name: &str,
    email: &str,
) -> String {
    let now = Utc::now();
    let row = creator::ActiveModel {
        brand_id: Set(db_id(brand_global_id)),
        display_name: Set(name.into()),
        email: Set(Some(email.into())),
        email_hash: Set(partnergraph::domain::email::hash(email)),
        niches: Set("[]".into()),
        stage: Set("ACTIVE".into()),
        vetting_status: Set("APPROVED".into()),
        followers: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("insert creator");
    id::encode(NodeKind::Creator, row.id).0
}

/// Invites `email` as `role` (with `creator_id` for CREATOR) and returns the invite token.
pub async fn invite(
    app: &TestApp,
    token: &str,
    email: &str,
    role: &str,
    creator_id: Option<&str>,
) -> String {
    let response = app
        .contract(
            Some(token),
            "auth",
            "InviteUser",
            json!({ "input": { "email": email, "role": role, "creatorId": creator_id } }),
        )
        .await;
    text(&data(&response)["inviteUser"]["inviteToken"])
}

/// Accepts an invite with [`PASSWORD`] and returns the access token.
pub async fn accept(app: &TestApp, invite_token: &str) -> String {
    let response = app
        .contract(
            None,
            "auth",
            "AcceptInvite",
            json!({ "input": { "inviteToken": invite_token, "password": PASSWORD } }),
        )
        .await;
    text(&data(&response)["acceptInvite"]["accessToken"])
}

pub async fn login(app: &TestApp, email: &str) -> (String, String) {
    let response = app
        .contract(
            None,
            "auth",
            "Login",
            json!({ "email": email, "password": PASSWORD }),
        )
        .await;
    let payload = &data(&response)["login"];
    (
        text(&payload["accessToken"]),
        text(&payload["refreshToken"]),
    )
}

/// Creates an API key with every scope; returns (secret, global id).
pub async fn create_key(app: &TestApp, admin: &str, name: &str) -> (String, String) {
    let response = app
        .contract(
            Some(admin),
            "auth",
            "CreateApiKey",
            json!({ "input": { "name": name, "scopes": ["INGEST", "READ_LINKS", "READ_CHANGES"] } }),
        )
        .await;
    let payload = &data(&response)["createApiKey"];
    (text(&payload["secret"]), text(&payload["apiKey"]["id"]))
}

/// Two brands: A with every role and a key, B with its ADMIN, a creator record and a key.
pub struct World {
    pub brand_a: String,
    pub admin: String,
    /// The global ID of A's ADMIN user.
    pub admin_id: String,
    pub manager: String,
    pub analyst: String,
    /// A creator account linked to `creator_a` only.
    pub creator: String,
    pub creator_a: String,
    /// A creator record of A with no account.
    pub spare_creator_a: String,
    pub key: String,
    pub key_id: String,
    pub brand_b: String,
    pub admin_b: String,
    pub creator_b: String,
    pub key_id_b: String,
    /// A campaign of A (ACTIVE) with a CPA offer, `creator_a` enrolled (ACTIVE) and a deliverable.
    pub campaign_a: String,
    pub offer_a: String,
    pub enrollment_a: String,
    pub deliverable_a: String,
}

/// Creates an ACTIVE ALWAYS_ON campaign with a CPA offer; returns (campaign id, offer id).
pub async fn campaign_with_offer(app: &TestApp, admin: &str, name: &str) -> (String, String) {
    let campaign = app
        .contract(
            Some(admin),
            "campaigns",
            "CreateCampaign",
            json!({ "input": { "name": name, "objective": "SALES", "schedule": "ALWAYS_ON" } }),
        )
        .await;
    let campaign_id = text(&data(&campaign)["createCampaign"]["id"]);
    let active = app
        .contract(
            Some(admin),
            "campaigns",
            "SetCampaignStatus",
            json!({ "id": campaign_id, "status": "ACTIVE" }),
        )
        .await;
    data(&active);
    let offer = app
        .contract(
            Some(admin),
            "campaigns",
            "CreateOffer",
            json!({ "input": { "campaignId": campaign_id, "name": "CPA $20", "model": "CPA",
                "cpaAmount": { "amount": "20.00", "currencyCode": "USD" } } }),
        )
        .await;
    (campaign_id, text(&data(&offer)["createOffer"]["id"]))
}

/// Enrolls a creator (ACTIVE); returns the enrollment id.
pub async fn enroll(
    app: &TestApp,
    admin: &str,
    campaign: &str,
    creator: &str,
    offer: &str,
) -> String {
    let response = app
        .graphql_as(
            Some(admin),
            "mutation ($input: EnrollCreatorInput!) { enrollCreator(input: $input) { id } }",
            json!({ "input": { "campaignId": campaign, "creatorId": creator, "offerId": offer, "active": true } }),
        )
        .await;
    text(&data(&response)["enrollCreator"]["id"])
}

/// Enrolls the world's spare creator (`spare_creator_a`) in `campaign_a` with `offer_a`: a
/// second creator of brand A in the same campaign. Returns the enrollment's id.
pub async fn enroll_spare(app: &TestApp, w: &World) -> String {
    enroll(app, &w.admin, &w.campaign_a, &w.spare_creator_a, &w.offer_a).await
}

pub async fn world(app: &TestApp) -> World {
    let a = register(app, "Brand A", "admin@a.test").await;
    let manager_invite = invite(app, &a.access, "manager@a.test", "MANAGER", None).await;
    let manager = accept(app, &manager_invite).await;
    let analyst_invite = invite(app, &a.access, "analyst@a.test", "ANALYST", None).await;
    let analyst = accept(app, &analyst_invite).await;
    let creator_a = insert_creator(app, &a.brand_id, "Cora Creator", "cora@creators.test").await;
    let spare_creator_a = insert_creator(app, &a.brand_id, "Sam Spare", "sam@creators.test").await;
    let creator_invite = invite(
        app,
        &a.access,
        "cora@creators.test",
        "CREATOR",
        Some(&creator_a),
    )
    .await;
    let creator = accept(app, &creator_invite).await;
    let (key, key_id) = create_key(app, &a.access, "store").await;

    let b = register(app, "Brand B", "admin@b.test").await;
    let creator_b = insert_creator(app, &b.brand_id, "Bea Other", "bea@creators.test").await;
    let (_, key_id_b) = create_key(app, &b.access, "b store").await;
    let (campaign_a, offer_a) = campaign_with_offer(app, &a.access, "Spring").await;
    let enrollment_a = enroll(app, &a.access, &campaign_a, &creator_a, &offer_a).await;
    let deliverable = app
        .contract(
            Some(&a.access),
            "campaigns",
            "CreateDeliverable",
            json!({ "input": { "enrollmentId": enrollment_a, "platform": "TIKTOK", "format": "SHORT_VIDEO" } }),
        )
        .await;
    let deliverable_a = text(&data(&deliverable)["createDeliverable"]["id"]);
    World {
        brand_a: a.brand_id,
        admin: a.access,
        admin_id: a.user_id,
        manager,
        analyst,
        creator,
        creator_a,
        spare_creator_a,
        key,
        key_id,
        brand_b: b.brand_id,
        admin_b: b.access,
        creator_b,
        key_id_b,
        campaign_a,
        offer_a,
        enrollment_a,
        deliverable_a,
    }
}

/// Creates a tracking link `code` on an enrollment (to `https://shop.example.com/`).
pub async fn tracking_link(app: &TestApp, admin: &str, enrollment: &str, code: &str) {
    let response = app
        .contract(Some(admin), "tracking", "CreateTrackingLink", json!({ "input": {
            "enrollmentId": enrollment, "destinationUrl": "https://shop.example.com/", "code": code } }))
        .await;
    data(&response);
}

/// Creates a 10%-off discount code on an enrollment.
pub async fn discount_code(app: &TestApp, admin: &str, enrollment: &str, code: &str) {
    let response = app
        .contract(
            Some(admin),
            "tracking",
            "CreateDiscountCode",
            json!({ "input": {
            "enrollmentId": enrollment, "code": code, "percentOff": "10" } }),
        )
        .await;
    data(&response);
}

/// Records `clicks` through the contract's `RecordClicks` as the integrator `key`; each one must
/// be accepted.
pub async fn record_clicks(app: &TestApp, key: &str, clicks: Value) {
    let count = clicks.as_array().map_or(0, Vec::len);
    let response = app
        .contract(
            Some(key),
            "ingest",
            "RecordClicks",
            json!({ "clicks": clicks }),
        )
        .await;
    assert_eq!(
        data(&response)["recordClicks"]["accepted"],
        count,
        "{response}"
    );
}

/// Records `conversions` through the contract's `RecordConversions` as the integrator `key`;
/// each one must be accepted.
pub async fn record_conversions(app: &TestApp, key: &str, conversions: Value) {
    let count = conversions.as_array().map_or(0, Vec::len);
    let response = app
        .contract(
            Some(key),
            "ingest",
            "RecordConversions",
            json!({ "conversions": conversions }),
        )
        .await;
    let accepted = &data(&response)["recordConversions"]["accepted"];
    assert_eq!(accepted, count, "{response}");
}
