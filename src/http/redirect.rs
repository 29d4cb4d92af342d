//! `GET /r/{code}`: the short-link redirect. A browser route, so answers are plain HTTP (302 or
//! a short text 404), not GraphQL. On a cache hit nothing here waits for the database: the
//! link comes from memory and the click goes to the queue.

use std::net::SocketAddr;

use axum::extract::rejection::PathRejection;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use url::Url;

use super::AppState;
use super::client_ip::TrustedProxies;
use crate::domain::{bots, destination, fraud};
use crate::tracking::{CachedLink, NewClick, Tracking};

/// Longest referrer host kept (DNS names are at most 253 characters).
const MAX_HOST_LEN: usize = 253;

/// The Cloudflare header with the visitor's country; `XX` means unknown.
const COUNTRY_HEADER: HeaderName = HeaderName::from_static("cf-ipcountry");

pub async fn redirect(
    State(state): State<AppState>,
    code: Result<Path<String>, PathRejection>,
    request: Request,
) -> Response {
    // A segment that does not even decode cannot be a code.
    let Ok(Path(code)) = code else {
        return not_found();
    };
    let link = match state.tracking.links.lookup(&state.db, &code).await {
        Ok(Some(link)) => link,
        Ok(None) => return not_found(),
        Err(err) => {
            tracing::error!(error = %err, "link lookup failed");
            return plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "Temporarily unavailable.\n",
            );
        }
    };
    if link.paused {
        return paused();
    }
    let click_id = uuid::Uuid::new_v4().simple().to_string();
    // HEAD (link checkers) gets the same answer but is not a visit.
    if request.method() != Method::HEAD {
        let proxies = &state.config.http.trusted_proxies;
        record_click(&state.tracking, proxies, &link, &click_id, &request);
    }
    let location = destination::with_click_id(&link.location, &click_id);
    found(location.as_str())
}

/// Hands the click to the queue (never waits); a full queue drops it, the redirect goes on.
fn record_click(
    tracking: &Tracking,
    proxies: &TrustedProxies,
    link: &CachedLink,
    click_id: &str,
    request: &Request,
) {
    let headers = request.headers();
    let user_agent = headers
        .get(header::USER_AGENT)
        .map(|value| String::from_utf8_lossy(value.as_bytes()))
        .unwrap_or_default();
    let ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| proxies.client_ip(addr.ip(), headers));
    tracking.clicks.enqueue(NewClick {
        brand_id: link.brand_id,
        link_id: link.link_id,
        enrollment_id: Some(link.enrollment_id),
        click_id: click_id.to_owned(),
        occurred_at: tracking.clock.now(),
        visitor_key: tracking.visitors.key(ip, &user_agent),
        user_agent_class: bots::user_agent_class(&user_agent),
        referrer_host: referrer_host(headers),
        country: country(headers),
        is_bot: bots::is_bot(&user_agent),
        paid_click_param: paid_click_param(request.uri().query()),
    });
}

/// The paid-ad click parameter (gclid, fbclid, ...) of the short link's own query, which ad
/// platforms append to the URL they send visitors to: its name only (PAID_TRAFFIC).
fn paid_click_param(query: Option<&str>) -> Option<&'static str> {
    let pairs: Vec<_> = url::form_urlencoded::parse(query?.as_bytes()).collect();
    fraud::paid_click_param(pairs.iter().map(|(k, v)| (k.as_ref(), v.as_ref())))
}

/// Only the host of `Referer` is kept: paths and queries can carry personal data.
fn referrer_host(headers: &HeaderMap) -> Option<String> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let url = Url::parse(referer).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let host = url.host_str()?.to_ascii_lowercase();
    (host.len() <= MAX_HOST_LEN).then_some(host)
}

/// Two ASCII letters from `CF-IPCountry`, upper-cased; anything else (absent, `XX`, Tor's
/// `T1`) is unknown.
fn country(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(COUNTRY_HEADER)?.to_str().ok()?.trim();
    let valid = value.len() == 2 && value.bytes().all(|b| b.is_ascii_alphabetic());
    let code = value.to_ascii_uppercase();
    (valid && code != "XX").then_some(code)
}

fn found(location: &str) -> Response {
    let Ok(location) = HeaderValue::from_str(location) else {
        // `Url` serializes to ASCII without control characters; this is unreachable in practice.
        tracing::error!("redirect location is not a valid header value");
        return plain(StatusCode::INTERNAL_SERVER_ERROR, "Internal error.\n");
    };
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    headers.insert(header::LOCATION, location);
    // Each visit must reach us (a cached redirect would skip the click and reuse its id).
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer-when-downgrade"),
    );
    response
}

/// A PAUSED link: 410 Gone with a short HTML page, and no click recorded (a click nobody was
/// sent on could not lead to a conversion). 410 rather than 200 so that link checkers and
/// crawlers see the link does not lead anywhere now; `no-store`, so resuming it takes effect
/// at the next visit.
fn paused() -> Response {
    let mut response = (StatusCode::GONE, PAUSED_PAGE).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Static text: nothing to load, run, frame or submit.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

const PAUSED_PAGE: &str = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"robots\" content=\"noindex\"><title>This link is paused</title></head>\
<body><h1>This link is paused</h1><p>The brand has paused this link for now. \
Please try again later.</p></body></html>\n";

fn not_found() -> Response {
    plain(StatusCode::NOT_FOUND, "Link not found.\n")
}

fn plain(status: StatusCode, body: &'static str) -> Response {
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                HeaderName::from_static(name),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    #[test]
    fn only_the_referrer_host_is_kept() {
        let h = headers(&[("referer", "https://WWW.TikTok.com/@maya/video/1?u=secret")]);
        assert_eq!(referrer_host(&h).as_deref(), Some("www.tiktok.com"));
        assert_eq!(
            referrer_host(&headers(&[("referer", "android-app://x")])),
            None
        );
        assert_eq!(referrer_host(&headers(&[("referer", "nonsense")])), None);
        assert_eq!(referrer_host(&HeaderMap::new()), None);
    }

    #[test]
    fn country_is_two_letters_or_unknown() {
        assert_eq!(
            country(&headers(&[("cf-ipcountry", "de")])).as_deref(),
            Some("DE")
        );
        for unknown in ["XX", "T1", "DEU", "", "1A"] {
            assert_eq!(
                country(&headers(&[("cf-ipcountry", unknown)])),
                None,
                "{unknown}"
            );
        }
        assert_eq!(country(&HeaderMap::new()), None);
    }
}
