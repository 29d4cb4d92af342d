//! CORS for browser front ends on other origins (docs/browser.md), with tower-http's
//! [`CorsLayer`], on the paths in [`CORS_PATHS`] only.
//!
//! A request to such a path whose `Origin` is allowed ([`BrowserOrigins::cors_allows`]) goes
//! through the CORS layer: a preflight (`OPTIONS`) is answered there, cached by the browser for
//! [`PREFLIGHT_MAX_AGE`]; other answers get `Access-Control-Allow-Origin` (the request's origin),
//! `-Allow-Credentials` (not with `*`) and `-Expose-Headers`. Any other request skips it and is
//! answered exactly as without CORS: no `Access-Control-*` header at all, so a refused origin
//! learns nothing but "no" (its preflight gets the route's 405). The layer sits outside the
//! limits, so a 413, 408 or 503 reaches an allowed page readable.
//!
//! `GET /graphql/ws` needs no CORS (browsers do not apply it to WebSockets): its handler checks
//! `Origin` itself ([`BrowserOrigins::may_open_socket`]). A new route that pages read across
//! origins is one more entry in [`CORS_PATHS`], with its method.
//!
//! An export download (`GET /exports/{id}/download`) is allowed `GET` only; its signed link is
//! its credential, so a page sends no `Authorization` with it (`Content-Disposition` is exposed
//! for the file name).

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderName, Method, header};
use axum::response::Response;
use futures_util::future::BoxFuture;
use tower::{Layer, Service, ServiceExt};
use tower_http::cors::{AllowOrigin, Cors, CorsLayer};

use super::REQUEST_ID_HEADER;
use super::origins::BrowserOrigins;

/// The routes pages of other origins may call (`{...}` stands for one path segment), each with
/// the method it is called with.
pub const CORS_PATHS: [(&str, Method); 2] = [
    ("/graphql", Method::POST),
    ("/exports/{id}/download", Method::GET),
];

/// Whether `path` is the route `pattern` (a `{...}` segment matches any one non-empty segment).
pub fn route_matches(pattern: &str, path: &str) -> bool {
    let mut pattern = pattern.split('/');
    let mut path = path.split('/');
    loop {
        match (pattern.next(), path.next()) {
            (None, None) => return true,
            (Some(p), Some(s)) if p.starts_with('{') && p.ends_with('}') && !s.is_empty() => {}
            (Some(p), Some(s)) if p == s => {}
            _ => return false,
        }
    }
}

/// The entry of [`CORS_PATHS`] `path` is, if any.
fn cors_route(path: &str) -> Option<usize> {
    CORS_PATHS
        .iter()
        .position(|(pattern, _)| route_matches(pattern, path))
}

/// How long a browser may reuse a preflight answer (`Access-Control-Max-Age`).
pub const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// Wraps a service so that requests to [`CORS_PATHS`] from allowed origins get CORS.
#[derive(Clone)]
pub struct BrowserCorsLayer {
    origins: Arc<BrowserOrigins>,
}

impl BrowserCorsLayer {
    pub fn new(origins: Arc<BrowserOrigins>) -> Self {
        Self { origins }
    }

    fn cors(&self, method: Method) -> CorsLayer {
        let layer = CorsLayer::new()
            .allow_methods([method])
            .allow_headers([
                header::CONTENT_TYPE,
                header::AUTHORIZATION,
                // Uploads (the CSRF check of multipart requests, `super::graphql`).
                HeaderName::from_static(super::graphql::PREFLIGHT_HEADER),
            ])
            .expose_headers([
                REQUEST_ID_HEADER,
                HeaderName::from_static("retry-after"),
                header::CONTENT_DISPOSITION,
            ])
            .max_age(PREFLIGHT_MAX_AGE);
        if self.origins.cors_credentials() {
            let origins = self.origins.clone();
            layer
                .allow_origin(AllowOrigin::predicate(move |origin, _| {
                    origins.cors_allows(origin)
                }))
                .allow_credentials(true)
        } else {
            layer.allow_origin(AllowOrigin::any())
        }
    }
}

impl<S: Clone> Layer<S> for BrowserCorsLayer {
    type Service = BrowserCors<S>;

    fn layer(&self, inner: S) -> BrowserCors<S> {
        BrowserCors {
            cors: CORS_PATHS
                .iter()
                .map(|(_, method)| self.cors(method.clone()).layer(inner.clone()))
                .collect(),
            inner,
            origins: self.origins.clone(),
        }
    }
}

#[derive(Clone)]
pub struct BrowserCors<S> {
    /// One per entry of [`CORS_PATHS`].
    cors: Vec<Cors<S>>,
    inner: S,
    origins: Arc<BrowserOrigins>,
}

impl<S> BrowserCors<S> {
    /// The CORS service of the request's route, when its origin is allowed.
    fn applies(&self, request: &Request) -> Option<&Cors<S>> {
        let route = cors_route(request.uri().path())?;
        let allowed = request
            .headers()
            .get(header::ORIGIN)
            .is_some_and(|origin| self.origins.cors_allows(origin));
        if allowed { self.cors.get(route) } else { None }
    }
}

impl<S> Service<Request> for BrowserCors<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // Each call drives a clone to readiness itself (`oneshot`).
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        match self.applies(&request) {
            Some(cors) => Box::pin(cors.clone().oneshot(request)),
            None => Box::pin(self.inner.clone().oneshot(request)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_their_patterns_only() {
        assert_eq!(cors_route("/graphql"), Some(0));
        assert_eq!(cors_route("/exports/RXhwb3J0OjE/download"), Some(1));
        for path in [
            "/graphql/ws",
            "/exports//download",
            "/exports/x/download/more",
            "/exports/x",
            "/r/abc",
        ] {
            assert_eq!(cors_route(path), None, "{path}");
        }
    }
}
