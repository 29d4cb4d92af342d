//! Which browser origins may do what (docs/browser.md), from `PARTNERGRAPH_CORS_ORIGINS`
//! ([`CorsOrigins`]) and this server's own origin:
//!
//! - read answers of `POST /graphql` from another origin (CORS, [`super::cors`]): the listed
//!   origins;
//! - open `GET /graphql/ws` (browsers send `Origin` but never preflight a WebSocket): no
//!   `Origin` (not a browser), this server's own origin, or a listed one;
//! - use the refresh-token cookie (the CSRF defence of `refreshSession` and of cookie mode):
//!   an `Origin` header that is this server's own or listed, never none. A browser always sends
//!   `Origin` on a POST and a page cannot forge it.
//!
//! "Own" is the origin of the public URL, or an origin whose host and port are the request's
//! `Host` (the page was served by this server).

use axum::http::{HeaderMap, HeaderValue, header};

use crate::config::{CorsOrigins, HttpConfig};

pub struct BrowserOrigins {
    allowed: CorsOrigins,
    /// The public URL's origin, e.g. `https://api.example.com`.
    public_origin: Option<String>,
}

impl BrowserOrigins {
    pub fn new(http: &HttpConfig) -> Self {
        let public_origin = url::Url::parse(&http.public_url)
            .ok()
            .map(|url| url.origin().ascii_serialization());
        Self {
            allowed: http.cors.clone(),
            public_origin,
        }
    }

    /// Whether CORS is on at all (off: no CORS header is ever sent).
    pub fn cors_enabled(&self) -> bool {
        self.allowed != CorsOrigins::SameOriginOnly
    }

    /// Whether the CORS answer may let credentials (cookies) through: not with `*`.
    pub fn cors_credentials(&self) -> bool {
        self.allowed != CorsOrigins::Any
    }

    /// Whether a page of `origin` may read this server's answers (CORS).
    pub fn cors_allows(&self, origin: &HeaderValue) -> bool {
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        match &self.allowed {
            CorsOrigins::SameOriginOnly => false,
            CorsOrigins::List(origins) => origins.iter().any(|allowed| allowed == origin),
            CorsOrigins::Loopback => is_loopback(origin),
            CorsOrigins::Any => true,
        }
    }

    /// Whether a WebSocket upgrade with these headers may proceed.
    pub fn may_open_socket(&self, headers: &HeaderMap) -> bool {
        match headers.get(header::ORIGIN) {
            None => true,
            Some(origin) => self.is_own(origin, headers) || self.cors_allows(origin),
        }
    }

    /// Whether a request with these headers may read or set the refresh-token cookie.
    pub fn may_use_cookie(&self, headers: &HeaderMap) -> bool {
        match headers.get(header::ORIGIN) {
            None => false,
            Some(origin) => {
                self.is_own(origin, headers)
                    || (self.cors_credentials() && self.cors_allows(origin))
            }
        }
    }

    fn is_own(&self, origin: &HeaderValue, headers: &HeaderMap) -> bool {
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        if self.public_origin.as_deref() == Some(origin) {
            return true;
        }
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        host.is_some_and(|host| same_host(origin, host))
    }
}

/// Whether `origin` (`scheme://host[:port]`) names the host and port of a `Host` header.
fn same_host(origin: &str, host: &str) -> bool {
    let Ok(origin) = url::Url::parse(origin) else {
        return false;
    };
    let Ok(requested) = url::Url::parse(&format!("{}://{host}", origin.scheme())) else {
        return false;
    };
    requested.path() == "/"
        && origin.host() == requested.host()
        && origin.port_or_known_default() == requested.port_or_known_default()
}

/// `http(s)://localhost`, `127.0.0.1` or `[::1]`, any port.
fn is_loopback(origin: &str) -> bool {
    let Ok(url) = url::Url::parse(origin) else {
        return false;
    };
    matches!(url.scheme(), "http" | "https")
        && matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origins(allowed: CorsOrigins) -> BrowserOrigins {
        BrowserOrigins {
            allowed,
            public_origin: Some("https://api.example.com".into()),
        }
    }

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        if let Some(origin) = origin {
            headers.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
        }
        headers
    }

    #[test]
    fn same_host_compares_host_and_port() {
        assert!(same_host("http://127.0.0.1:8080", "127.0.0.1:8080"));
        assert!(same_host("https://api.example.com", "api.example.com"));
        assert!(same_host("https://api.example.com", "api.example.com:443"));
        assert!(!same_host("http://127.0.0.1:8081", "127.0.0.1:8080"));
        assert!(!same_host("https://evil.example", "api.example.com"));
        assert!(!same_host("https://api.example.com", "api.example.com/x"));
        assert!(!same_host("null", "api.example.com"));
    }

    #[test]
    fn sockets_open_without_origin_from_own_and_listed_origins() {
        let list = origins(CorsOrigins::List(vec!["https://app.example.com".into()]));
        assert!(list.may_open_socket(&headers(None, "10.0.0.1:8080")));
        assert!(list.may_open_socket(&headers(Some("https://app.example.com"), "x")));
        assert!(list.may_open_socket(&headers(Some("https://api.example.com"), "x")));
        assert!(list.may_open_socket(&headers(Some("http://10.0.0.1:8080"), "10.0.0.1:8080")));
        assert!(!list.may_open_socket(&headers(Some("https://evil.example"), "api.example.com")));
        let none = origins(CorsOrigins::SameOriginOnly);
        assert!(!none.may_open_socket(&headers(Some("https://app.example.com"), "x")));
    }

    #[test]
    fn the_cookie_needs_an_own_or_listed_origin_and_never_none() {
        let list = origins(CorsOrigins::List(vec!["https://app.example.com".into()]));
        assert!(!list.may_use_cookie(&headers(None, "api.example.com")));
        assert!(list.may_use_cookie(&headers(Some("https://app.example.com"), "x")));
        assert!(list.may_use_cookie(&headers(Some("https://api.example.com"), "x")));
        assert!(!list.may_use_cookie(&headers(Some("https://evil.example"), "api.example.com")));
        // `*` lets any page read answers, never use the cookie.
        let any = origins(CorsOrigins::Any);
        assert!(any.cors_allows(&HeaderValue::from_static("https://evil.example")));
        assert!(!any.may_use_cookie(&headers(Some("https://evil.example"), "x")));
    }

    #[test]
    fn loopback_allows_local_origins_only() {
        let dev = origins(CorsOrigins::Loopback);
        for origin in [
            "http://localhost:5173",
            "http://127.0.0.1:3000",
            "http://[::1]:8000",
        ] {
            assert!(
                dev.cors_allows(&HeaderValue::from_static(origin)),
                "{origin}"
            );
        }
        for origin in ["http://localhost.evil.example", "http://10.0.0.1", "null"] {
            assert!(
                !dev.cors_allows(&HeaderValue::from_static(origin)),
                "{origin}"
            );
        }
    }
}
