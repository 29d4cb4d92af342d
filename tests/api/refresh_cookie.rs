//! The refresh token in an `HttpOnly` cookie for browser front ends
//! (src/graphql/account/refresh_cookie.rs): `login(refreshTokenInCookie: true)` sets it and
//! answers no refresh token; `refreshSession` without an argument uses and rotates it, only
//! from an allowed origin (the CSRF defence); `logout` clears it; the body mode is unchanged.

use axum::body::Body;
use axum::http::{Request, header};
use partnergraph::config::CorsOrigins;
use serde_json::{Value, json};

use crate::helpers::world::{self, PASSWORD, register};
use crate::helpers::{HttpAnswer, TestApp, data, error_codes};
use crate::on_both_backends;

const APP: &str = "https://app.example.com";
const EVIL: &str = "https://evil.example";
const EMAIL: &str = "admin@cookie.test";

const LOGIN: &str = "mutation ($email: String!, $password: String!, $inCookie: Boolean) {
  login(email: $email, password: $password, refreshTokenInCookie: $inCookie) {
    accessToken refreshToken expiresAt } }";
const REFRESH: &str = "mutation { refreshSession { accessToken refreshToken } }";
const VIEWER: &str = "{ viewer { email } }";

/// One POST /graphql with `Origin` and `Cookie` as a browser would send them (`None`: absent).
async fn send(
    app: &TestApp,
    origin: Option<&str>,
    cookie: Option<&str>,
    query: &str,
    variables: Value,
) -> HttpAnswer {
    let mut request = Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
    if let Some(origin) = origin {
        request = request.header(header::ORIGIN, origin);
    }
    if let Some(token) = cookie {
        request = request.header(header::COOKIE, format!("theme=dark; pg_refresh={token}"));
    }
    let body = json!({ "query": query, "variables": variables }).to_string();
    app.request(request.body(Body::from(body)).expect("request"))
        .await
}

fn set_cookies(answer: &HttpAnswer) -> Vec<String> {
    answer
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|value| value.to_str().expect("ascii").to_owned())
        .collect()
}

/// The token of the one `pg_refresh` cookie an answer sets; it asserts the attributes.
fn cookie_token(answer: &HttpAnswer) -> String {
    let cookies = set_cookies(answer);
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    let cookie = &cookies[0];
    let token = cookie
        .strip_prefix("pg_refresh=")
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_else(|| panic!("not the refresh cookie: {cookie}"));
    assert!(token.starts_with("pgr_"), "{cookie}");
    for attribute in [
        "; Path=/graphql",
        "; Max-Age=2592000",
        "; HttpOnly",
        "; Secure",
        "; SameSite=Strict",
    ] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    token.to_owned()
}

async fn viewer_email(app: &TestApp, access: &str) -> Value {
    let response = app.graphql_as(Some(access), VIEWER, json!({})).await;
    data(&response)["viewer"]["email"].clone()
}

async fn signed_in_with_cookie(app: &TestApp) -> (String, String) {
    let answer = send(
        app,
        Some(APP),
        None,
        LOGIN,
        json!({ "email": EMAIL, "password": PASSWORD, "inCookie": true }),
    )
    .await;
    let body = answer.json();
    let login = &data(&body)["login"];
    assert_eq!(login["refreshToken"], Value::Null, "{body}");
    let token = cookie_token(&answer);
    assert!(!answer.text.contains(&token));
    (world::text(&login["accessToken"]), token)
}

async fn cookie_app(app: TestApp) -> TestApp {
    let app = app
        .restart(|config| config.http.cors = CorsOrigins::List(vec![APP.into()]))
        .await;
    register(&app, "Cookie Brand", EMAIL).await;
    app
}

async fn login_in_cookie_mode_sets_the_cookie_and_answers_no_refresh_token(app: TestApp) {
    let app = cookie_app(app).await;
    let (access, _) = signed_in_with_cookie(&app).await;
    assert_eq!(viewer_email(&app, &access).await, EMAIL);

    // The body mode is unchanged: the token in the answer, no cookie.
    let answer = send(
        &app,
        Some(APP),
        None,
        LOGIN,
        json!({ "email": EMAIL, "password": PASSWORD }),
    )
    .await;
    let body = answer.json();
    assert!(
        data(&body)["login"]["refreshToken"]
            .as_str()
            .is_some_and(|t| t.starts_with("pgr_"))
    );
    assert_eq!(set_cookies(&answer), Vec::<String>::new());
}

async fn refresh_with_the_cookie_rotates_it(app: TestApp) {
    let app = cookie_app(app).await;
    let (_, first) = signed_in_with_cookie(&app).await;
    let answer = send(&app, Some(APP), Some(&first), REFRESH, json!({})).await;
    let body = answer.json();
    let refreshed = &data(&body)["refreshSession"];
    assert_eq!(refreshed["refreshToken"], Value::Null, "{body}");
    let second = cookie_token(&answer);
    assert_ne!(second, first);
    let access = world::text(&refreshed["accessToken"]);
    assert_eq!(viewer_email(&app, &access).await, EMAIL);

    // The used cookie again: refused, cleared, and its session ends (the rotated one too).
    let replay = send(&app, Some(APP), Some(&first), REFRESH, json!({})).await;
    assert_eq!(error_codes(&replay.json()), ["UNAUTHENTICATED"]);
    let cleared = set_cookies(&replay);
    assert_eq!(cleared.len(), 1, "{cleared:?}");
    assert!(
        cleared[0].starts_with("pg_refresh=; Path=/graphql; Max-Age=0"),
        "{cleared:?}"
    );
    let after = send(&app, Some(APP), Some(&second), REFRESH, json!({})).await;
    assert_eq!(error_codes(&after.json()), ["UNAUTHENTICATED"]);
}

async fn cookie_use_from_another_site_or_without_origin_is_refused(app: TestApp) {
    let app = cookie_app(app).await;
    let (_, token) = signed_in_with_cookie(&app).await;
    for origin in [Some(EVIL), None, Some("null")] {
        let answer = send(&app, origin, Some(&token), REFRESH, json!({})).await;
        let body = answer.json();
        assert_eq!(error_codes(&body), ["FORBIDDEN"], "{origin:?}: {body}");
        assert!(!answer.text.contains("app.example.com"), "{}", answer.text);
        assert_eq!(set_cookies(&answer), Vec::<String>::new());
        let login = send(
            &app,
            origin,
            None,
            LOGIN,
            json!({ "email": EMAIL, "password": PASSWORD, "inCookie": true }),
        )
        .await;
        assert_eq!(error_codes(&login.json()), ["FORBIDDEN"], "{origin:?}");
        assert_eq!(set_cookies(&login), Vec::<String>::new());
    }
    // The refused requests did not use the token up.
    let answer = send(&app, Some(APP), Some(&token), REFRESH, json!({})).await;
    assert!(data(&answer.json())["refreshSession"]["accessToken"].is_string());

    // No cookie and no argument: the input is missing.
    let answer = send(&app, Some(APP), None, REFRESH, json!({})).await;
    let body = answer.json();
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    assert_eq!(body["errors"][0]["extensions"]["field"], "refreshToken");
}

/// Same-origin pages (the public URL's origin, or the request's own host) need no CORS setting.
async fn the_servers_own_origin_may_use_the_cookie(app: TestApp) {
    let app = app.restart(|_| {}).await;
    register(&app, "Own Brand", EMAIL).await;
    let (_, token) = signed_in_from(&app, "http://pg.test", None).await;
    let host = "127.0.0.1:8443";
    let (_, _) = signed_in_from(&app, &format!("http://{host}"), Some(host)).await;
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ORIGIN, APP)
        .header(header::COOKIE, format!("pg_refresh={token}"))
        .body(Body::from(json!({ "query": REFRESH }).to_string()))
        .expect("request");
    let refused = app.request(request).await;
    assert_eq!(error_codes(&refused.json()), ["FORBIDDEN"]);
}

async fn signed_in_from(app: &TestApp, origin: &str, host: Option<&str>) -> (String, String) {
    let mut request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ORIGIN, origin);
    if let Some(host) = host {
        request = request.header(header::HOST, host);
    }
    let body = json!({ "query": LOGIN,
        "variables": { "email": EMAIL, "password": PASSWORD, "inCookie": true } });
    let answer = app
        .request(request.body(Body::from(body.to_string())).expect("request"))
        .await;
    let body = answer.json();
    let access = world::text(&data(&body)["login"]["accessToken"]);
    (access, cookie_token(&answer))
}

async fn logout_clears_the_cookie_and_ends_the_session(app: TestApp) {
    let app = cookie_app(app).await;
    let (access, token) = signed_in_with_cookie(&app).await;
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ORIGIN, APP)
        .header(header::AUTHORIZATION, format!("Bearer {access}"))
        .header(header::COOKIE, format!("pg_refresh={token}"))
        .body(Body::from(
            json!({ "query": "mutation { logout }" }).to_string(),
        ))
        .expect("request");
    let answer = app.request(request).await;
    assert_eq!(data(&answer.json())["logout"], true);
    let cleared = set_cookies(&answer);
    assert_eq!(cleared.len(), 1, "{cleared:?}");
    assert!(
        cleared[0].starts_with("pg_refresh=; Path=/graphql; Max-Age=0"),
        "{cleared:?}"
    );
    let after = send(&app, Some(APP), Some(&token), REFRESH, json!({})).await;
    assert_eq!(error_codes(&after.json()), ["UNAUTHENTICATED"]);
}

on_both_backends!(
    login_in_cookie_mode_sets_the_cookie_and_answers_no_refresh_token,
    refresh_with_the_cookie_rotates_it,
    cookie_use_from_another_site_or_without_origin_is_refused,
    the_servers_own_origin_may_use_the_cookie,
    logout_clears_the_cookie_and_ends_the_session,
);
