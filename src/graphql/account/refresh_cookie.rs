//! The refresh token in a cookie, for browser front ends (docs/browser.md): script on the page
//! never sees it (`HttpOnly`), it travels over HTTPS only (`Secure`; browsers count
//! `http://localhost` and `127.0.0.1` as secure too) and never with a request another site
//! starts (`SameSite=Strict`). `login` and `refreshSession` set it when asked
//! (`refreshTokenInCookie: true`), `refreshSession` without `refreshToken` reads it, `logout`
//! clears it.
//!
//! The GraphQL endpoint is one path, so the cookie is scoped to `Path=/graphql`: it goes with
//! `/graphql` requests (and `/graphql/ws` upgrades, where nothing reads it), never to `/r/...`,
//! `/graphiql` or the postback. Only `refreshSession` reads it, and only after the HTTP layer
//! found the request's `Origin` allowed ([`context::BrowserRequest::may_use_cookie`], the CSRF defence);
//! every other operation authenticates with the `Authorization` header alone, so the cookie
//! grants nothing on the way.

use async_graphql::Context;

use super::types::AuthPayload;
use crate::error::AppError;
use crate::graphql::context;
use crate::service::sessions::{REFRESH_TOKEN_TTL, Session};

/// The cookie's name.
pub const NAME: &str = "pg_refresh";
/// The answer header that carries it.
const SET_COOKIE: &str = "set-cookie";
/// The cookie's path: the GraphQL endpoint.
pub const PATH: &str = "/graphql";

/// `Set-Cookie` value holding `token`, kept as long as the refresh token lives.
pub fn set_cookie(token: &str) -> String {
    let max_age = REFRESH_TOKEN_TTL.num_seconds();
    format!("{NAME}={token}; Path={PATH}; Max-Age={max_age}; HttpOnly; Secure; SameSite=Strict")
}

/// `Set-Cookie` value removing the cookie.
pub fn clear_cookie() -> String {
    format!("{NAME}=; Path={PATH}; Max-Age=0; HttpOnly; Secure; SameSite=Strict")
}

/// The cookie's value among the request's `Cookie` headers (`a=1; pg_refresh=...`).
pub fn read<'a>(cookie_headers: impl IntoIterator<Item = &'a str>) -> Option<String> {
    cookie_headers
        .into_iter()
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == NAME && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

/// Refuses cookie mode to a request whose `Origin` is missing or not allowed.
pub fn require_allowed_origin(ctx: &Context<'_>) -> Result<(), AppError> {
    if context::browser(ctx)?.may_use_cookie {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "the refresh cookie is used only from an allowed origin: send the request from the \
             front end's page (with its Origin header), or pass refreshToken"
                .into(),
        ))
    }
}

/// The refresh token of the request's cookie, once its origin is allowed.
pub fn take(ctx: &Context<'_>) -> Result<String, AppError> {
    let token = context::browser(ctx)?.refresh_cookie.clone().ok_or_else(|| {
        AppError::bad_input(
            "refreshToken",
            "give refreshToken, or send the refresh cookie (sign in with refreshTokenInCookie: true)",
        )
    })?;
    require_allowed_origin(ctx)?;
    Ok(token)
}

/// Whether the request carried the cookie.
pub fn sent(ctx: &Context<'_>) -> bool {
    context::browser(ctx).is_ok_and(|browser| browser.refresh_cookie.is_some())
}

/// The answer of a sign-in or refresh: the refresh token in the body, or in the cookie (and
/// null in the body) when `in_cookie`.
pub fn deliver(ctx: &Context<'_>, session: Session, in_cookie: bool) -> AuthPayload {
    if in_cookie {
        ctx.append_http_header(SET_COOKIE, set_cookie(&session.refresh_token));
        AuthPayload::refresh_token_in_cookie(session)
    } else {
        AuthPayload::new(session)
    }
}

/// Removes the cookie from the browser.
pub fn clear(ctx: &Context<'_>) {
    ctx.append_http_header(SET_COOKIE, clear_cookie());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_http_only_secure_strict_and_scoped_to_the_endpoint() {
        let cookie = set_cookie("pgr_abc-_1");
        assert_eq!(
            cookie,
            "pg_refresh=pgr_abc-_1; Path=/graphql; Max-Age=2592000; HttpOnly; Secure; SameSite=Strict"
        );
        assert!(clear_cookie().starts_with("pg_refresh=; Path=/graphql; Max-Age=0;"));
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        assert_eq!(read(["a=1; pg_refresh=pgr_x; b=2"]), Some("pgr_x".into()));
        assert_eq!(read(["a=1", "pg_refresh=pgr_y"]), Some("pgr_y".into()));
        assert_eq!(read(["xpg_refresh=pgr_z; pg_refresh="]), None);
        assert_eq!(read(["a=1"]), None);
        assert_eq!(read([]), None);
    }
}
