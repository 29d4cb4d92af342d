//! Passwords: the policy on every way in, changing one's own, and resetting a forgotten one
//! by mail (through a real SMTP server on loopback).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use partnergraph::clock::{ManualClock, SystemClock};
use partnergraph::config::{Config, Secret};
use partnergraph::db::entity::{mail_message, password_reset};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::helpers::smtp::SmtpSink;
use crate::helpers::world::{self, PASSWORD, accept, invite, register, text};
use crate::helpers::{Backend, TestApp, data, error_codes};

const VIEWER: &str = "{ viewer { email } }";
const CHANGE: &str = "mutation ($old: String!, $new: String!) { changePassword(input: { oldPassword: $old, newPassword: $new }) }";
const REQUEST: &str = "mutation ($email: String!) { requestPasswordReset(email: $email) }";
const RESET: &str = "mutation ($token: String!, $new: String!) { resetPassword(input: { token: $token, newPassword: $new }) }";
const NEW_PASSWORD: &str = "a-brand-new-passphrase-42";
const RESET_LINK: &str = "https://app.pg.test/reset-password?token=";

fn send_to(sink: &SmtpSink) -> impl FnOnce(&mut Config) {
    let url = sink.url();
    move |config: &mut Config| {
        config.mail.smtp_url = Some(Secret::new(url));
        config.mail.poll_interval = Duration::from_millis(20);
    }
}

fn field(response: &Value) -> &Value {
    &response["errors"][0]["extensions"]["field"]
}

fn message(response: &Value) -> String {
    text(&response["errors"][0]["message"])
}

async fn login_with(app: &TestApp, email: &str, password: &str) -> Value {
    app.contract(
        None,
        "auth",
        "Login",
        json!({ "email": email, "password": password }),
    )
    .await
}

async fn refresh(app: &TestApp, refresh_token: &str) -> Value {
    app.contract(
        None,
        "auth",
        "RefreshSession",
        json!({ "refreshToken": refresh_token }),
    )
    .await
}

async fn the_policy_refuses_short_and_common_passwords_everywhere(app: TestApp) {
    for (password, why) in [("short-pw", "at least 12"), ("Qwerty123456", "common")] {
        let response = app
            .contract(
                None,
                "auth",
                "RegisterBrand",
                json!({ "input": {
                    "brandName": "Brand", "currencyCode": "USD", "timezone": "UTC",
                    "email": "admin@x.test", "password": password,
                }}),
            )
            .await;
        assert_eq!(error_codes(&response), ["BAD_USER_INPUT"]);
        assert_eq!(field(&response), "password");
        assert!(message(&response).contains(why), "{response}");
    }
    let brand = register(&app, "Brand", "admin@x.test").await;
    let token = invite(&app, &brand.access, "m@x.test", "MANAGER", None).await;
    let response = app
        .contract(
            None,
            "auth",
            "AcceptInvite",
            json!({ "input": { "inviteToken": token, "password": "1q2w3e4r5t6y" } }),
        )
        .await;
    assert_eq!(error_codes(&response), ["BAD_USER_INPUT"]);
    assert_eq!(field(&response), "password");
    accept(&app, &token).await;
}

async fn changing_the_password_ends_every_other_session(app: TestApp) {
    let brand = register(&app, "Brand", "admin@x.test").await;
    let (other_access, other_refresh) = world::login(&app, "admin@x.test").await;

    let wrong = app
        .graphql_as(
            Some(&brand.access),
            CHANGE,
            json!({ "old": "not-the-password", "new": NEW_PASSWORD }),
        )
        .await;
    assert_eq!(error_codes(&wrong), ["BAD_USER_INPUT"]);
    assert_eq!(field(&wrong), "oldPassword");
    for weak in ["too-short", "password1234"] {
        let response = app
            .graphql_as(
                Some(&brand.access),
                CHANGE,
                json!({ "old": PASSWORD, "new": weak }),
            )
            .await;
        assert_eq!(error_codes(&response), ["BAD_USER_INPUT"], "{weak}");
        assert_eq!(field(&response), "newPassword");
    }

    let changed = app
        .graphql_as(
            Some(&brand.access),
            CHANGE,
            json!({ "old": PASSWORD, "new": NEW_PASSWORD }),
        )
        .await;
    assert_eq!(data(&changed)["changePassword"], true);
    // The caller's session goes on; the other one ended (access and refresh token).
    data(&app.graphql_as(Some(&brand.access), VIEWER, json!({})).await);
    let other = app.graphql_as(Some(&other_access), VIEWER, json!({})).await;
    assert_eq!(error_codes(&other), ["UNAUTHENTICATED"]);
    assert_eq!(
        error_codes(&refresh(&app, &other_refresh).await),
        ["UNAUTHENTICATED"]
    );
    data(&refresh(&app, &brand.refresh).await);
    // Only the new password signs in.
    assert_eq!(
        error_codes(&login_with(&app, "admin@x.test", PASSWORD).await),
        ["UNAUTHENTICATED"]
    );
    data(&login_with(&app, "admin@x.test", NEW_PASSWORD).await);

    let anonymous = app
        .graphql_as(
            None,
            CHANGE,
            json!({ "old": PASSWORD, "new": NEW_PASSWORD }),
        )
        .await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
}

async fn a_reset_link_sets_a_new_password_once_and_ends_every_session(backend: Backend) {
    let sink = SmtpSink::start();
    let Some(app) = TestApp::spawn_configured(backend, Arc::new(SystemClock), send_to(&sink)).await
    else {
        return;
    };
    let brand = register(&app, "Brand", "admin@x.test").await;
    let requested = app
        .graphql_as(None, REQUEST, json!({ "email": " Admin@X.test " }))
        .await;
    assert_eq!(data(&requested)["requestPasswordReset"], true);
    let mail = sink
        .wait_for("admin@x.test", "Reset your PartnerGraph password")
        .await;
    let token = mail.token(RESET_LINK);
    assert!(token.starts_with("pgp_"));
    assert!(
        mail.html
            .contains(&mail.link(RESET_LINK).replace('&', "&amp;"))
    );
    // Stored only as its SHA-256.
    let stored = password_reset::Entity::find()
        .all(&app.db)
        .await
        .expect("resets");
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].token_hash,
        partnergraph::auth::secrets::sha256_hex(&token)
    );
    assert!(stored[0].expires_at <= Utc::now() + chrono::Duration::hours(1));

    let weak = app
        .graphql_as(
            None,
            RESET,
            json!({ "token": token, "new": "123456123456" }),
        )
        .await;
    assert_eq!(error_codes(&weak), ["BAD_USER_INPUT"]);
    assert_eq!(field(&weak), "newPassword");

    let reset = app
        .graphql_as(None, RESET, json!({ "token": token, "new": NEW_PASSWORD }))
        .await;
    assert_eq!(data(&reset)["resetPassword"], true);
    // Every session ended.
    let viewer = app.graphql_as(Some(&brand.access), VIEWER, json!({})).await;
    assert_eq!(error_codes(&viewer), ["UNAUTHENTICATED"]);
    assert_eq!(
        error_codes(&refresh(&app, &brand.refresh).await),
        ["UNAUTHENTICATED"]
    );
    data(&login_with(&app, "admin@x.test", NEW_PASSWORD).await);

    // Used twice, unknown: one answer.
    let again = app
        .graphql_as(
            None,
            RESET,
            json!({ "token": token, "new": "yet-another-passphrase" }),
        )
        .await;
    let unknown = app
        .graphql_as(
            None,
            RESET,
            json!({ "token": "pgp_not-a-token", "new": "yet-another-passphrase" }),
        )
        .await;
    for refused in [&again, &unknown] {
        assert_eq!(error_codes(refused), ["BAD_USER_INPUT"]);
        assert_eq!(field(refused), "token");
        assert_eq!(message(refused), message(&again));
    }
}

async fn reset_tokens_expire_after_an_hour(backend: Backend) {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let Some(app) = TestApp::spawn_with_clock(backend, clock.clone()).await else {
        return;
    };
    register(&app, "Brand", "admin@x.test").await;
    data(
        &app.graphql_as(None, REQUEST, json!({ "email": "admin@x.test" }))
            .await,
    );
    // No SMTP in this app: the message waits in the outbox, where its link is.
    let queued = mail_message::Entity::find()
        .all(&app.db)
        .await
        .expect("outbox")
        .into_iter()
        .find(|m| m.kind == "PASSWORD_RESET")
        .expect("queued reset mail");
    assert_eq!(queued.status, "PENDING");
    let start = queued.text_body.find(RESET_LINK).expect("link") + RESET_LINK.len();
    let token: String = queued.text_body[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    clock.advance(chrono::Duration::minutes(61));
    let expired = app
        .graphql_as(None, RESET, json!({ "token": token, "new": NEW_PASSWORD }))
        .await;
    let unknown = app
        .graphql_as(
            None,
            RESET,
            json!({ "token": "pgp_unknown", "new": NEW_PASSWORD }),
        )
        .await;
    assert_eq!(error_codes(&expired), ["BAD_USER_INPUT"]);
    assert_eq!(field(&expired), "token");
    assert_eq!(message(&expired), message(&unknown));
    assert_eq!(error_codes(&unknown), ["BAD_USER_INPUT"]);
    data(&login_with(&app, "admin@x.test", PASSWORD).await);
}

async fn reset_requests_answer_alike_and_are_limited_per_address(app: TestApp) {
    register(&app, "Brand", "admin@x.test").await;
    let unknown = app
        .graphql_as(None, REQUEST, json!({ "email": "nobody@x.test" }))
        .await;
    assert_eq!(data(&unknown)["requestPasswordReset"], true);
    let not_an_address = app
        .graphql_as(None, REQUEST, json!({ "email": "not an address" }))
        .await;
    assert_eq!(data(&not_an_address)["requestPasswordReset"], true);
    assert_eq!(
        password_reset::Entity::find()
            .count(&app.db)
            .await
            .expect("count"),
        0,
        "nothing stored or mailed for an unknown address"
    );
    for _ in 0..partnergraph::auth::RESETS_PER_EMAIL {
        let known = app
            .graphql_as(None, REQUEST, json!({ "email": "admin@x.test" }))
            .await;
        assert_eq!(data(&known)["requestPasswordReset"], true);
    }
    let limited = app
        .graphql_as(None, REQUEST, json!({ "email": "ADMIN@x.test" }))
        .await;
    assert_eq!(error_codes(&limited), ["RATE_LIMITED"]);
    let limited_unknown = app
        .graphql_as(None, REQUEST, json!({ "email": "nobody@x.test" }))
        .await;
    assert_eq!(data(&limited_unknown)["requestPasswordReset"], true);
    assert_eq!(
        password_reset::Entity::find()
            .count(&app.db)
            .await
            .expect("count"),
        u64::from(partnergraph::auth::RESETS_PER_EMAIL)
    );
}

/// Reset requests from one client IP are limited whatever addresses they name.
async fn reset_requests_are_limited_per_client_ip(app: TestApp) {
    use axum::body::Body;
    use axum::extract::ConnectInfo;
    use axum::http::{Request, header};
    use std::net::SocketAddr;

    let from = |ip: &str, n: u32| {
        let body = json!({ "query": REQUEST, "variables": { "email": format!("who{n}@x.test") } });
        let mut request = Request::post("/graphql")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .expect("request");
        request.extensions_mut().insert(ConnectInfo(SocketAddr::new(
            ip.parse().expect("ip"),
            40_000,
        )));
        request
    };
    for n in 0..partnergraph::auth::RESETS_PER_IP {
        let answer = app.request(from("192.0.2.7", n)).await;
        assert_eq!(answer.json()["data"]["requestPasswordReset"], true, "{n}");
    }
    let limited = app.request(from("192.0.2.7", 999)).await.json();
    assert_eq!(error_codes(&limited), ["RATE_LIMITED"]);
    let other_ip = app.request(from("192.0.2.8", 1_000)).await.json();
    assert_eq!(data(&other_ip)["requestPasswordReset"], true);
}

crate::on_both_backends!(
    reset_requests_are_limited_per_client_ip,
    the_policy_refuses_short_and_common_passwords_everywhere,
    changing_the_password_ends_every_other_session,
    reset_requests_answer_alike_and_are_limited_per_address,
);

macro_rules! both {
    ($($test:ident),+ $(,)?) => {$(
        mod $test {
            #[tokio::test]
            async fn sqlite() {
                super::$test(crate::helpers::Backend::Sqlite).await;
            }

            #[tokio::test]
            async fn postgres() {
                super::$test(crate::helpers::Backend::Postgres).await;
            }
        }
    )+};
}

both!(
    a_reset_link_sets_a_new_password_once_and_ends_every_session,
    reset_tokens_expire_after_an_hour,
);
