//! `GET /graphiql` and `GET /graphiql/assets/{version}/{file}`: GraphiQL served wholly by this
//! binary, routed only when the page is enabled (`--graphiql`, on with `--dev` and `--demo`).
//!
//! The page, its scripts, styles and icon are embedded at build time from `assets/graphiql/`
//! (GraphiQL and React at pinned npm versions, see its README), so the page works offline and
//! sends no request to another host; its Content-Security-Policy allows this origin only. Asset
//! paths carry a hash of every asset, so browsers may keep them forever. Under `--dev` the page
//! has a sign-in form (the `login` mutation), prefilled with the demo admin under `--demo`.

use std::sync::LazyLock;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::AppState;
use super::problem;

/// The page and each asset: no script, style, image, font or connection from another origin,
/// no inline script, no framing. (CSP 3: `'self'` covers `ws:`/`wss:` to this host.)
const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; font-src 'self' data:; connect-src 'self'; form-action 'none'; \
    base-uri 'none'; frame-ancestors 'none'";

const PAGE: &str = include_str!("../../assets/graphiql/index.html");

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

macro_rules! asset {
    ($name:literal, $content_type:expr) => {
        Asset {
            name: $name,
            content_type: $content_type,
            body: include_bytes!(concat!("../../assets/graphiql/", $name)),
        }
    };
}

/// Everything the page loads, vendored files first.
const ASSETS: [Asset; 7] = [
    asset!("react.production.min.js", JS),
    asset!("react-dom.production.min.js", JS),
    asset!("graphiql.min.js", JS),
    asset!("graphiql.min.css", CSS),
    asset!("partnergraph-graphiql.js", JS),
    asset!("page.css", CSS),
    asset!("favicon.svg", "image/svg+xml"),
];

/// The first 16 hex digits of a SHA-256 over every asset: the version segment of asset paths,
/// new whenever any asset changes.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut hasher = Sha256::new();
    for asset in &ASSETS {
        hasher.update(asset.name.as_bytes());
        hasher.update((asset.body.len() as u64).to_le_bytes());
        hasher.update(asset.body);
    }
    hex::encode(hasher.finalize())[..16].to_owned()
});

/// Where the page's assets are served from, e.g. `/graphiql/assets/0123456789abcdef`.
pub fn assets_base() -> String {
    format!("/graphiql/assets/{}", *VERSION)
}

pub async fn page(State(state): State<AppState>) -> Response {
    let demo_login = state
        .config
        .demo
        .then(|| (crate::demo::STAFF[0].0, crate::demo::DEMO_PASSWORD));
    let html = render(state.config.dev, demo_login);
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, PAGE_CSP),
            // The asset version changes with the binary; under --demo the page holds a login.
            (header::CACHE_CONTROL, "no-store"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        html,
    )
        .into_response()
}

/// The page: the sign-in form when `sign_in` (else a hint to send the header by hand), its
/// fields prefilled with `prefill`.
fn render(sign_in: bool, prefill: Option<(&str, &str)>) -> String {
    let (email, password) = prefill.unwrap_or_default();
    let hidden = |yes: bool| if yes { " hidden" } else { "" };
    PAGE.replace("{{assets}}", &assets_base())
        .replace("{{sign_in_hidden}}", hidden(!sign_in))
        .replace("{{hint_hidden}}", hidden(sign_in))
        .replace("{{email}}", &escape_attribute(email))
        .replace("{{password}}", &escape_attribute(password))
}

fn escape_attribute(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// One embedded asset; 404 for an unknown file or another build's version.
pub async fn asset(Path((version, file)): Path<(String, String)>) -> Response {
    let found = ASSETS.iter().find(|asset| asset.name == file);
    let Some(asset) = found.filter(|_| version == *VERSION) else {
        return problem::not_found().await;
    };
    (
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            // An SVG opened on its own is a document too.
            (header::CONTENT_SECURITY_POLICY, PAGE_CSP),
        ],
        asset.body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_is_filled() {
        for (sign_in, prefill) in [(false, None), (true, None), (true, Some(("a@b", "p\"<")))] {
            let html = render(sign_in, prefill);
            assert!(!html.contains("{{"), "{html}");
        }
        let html = render(true, Some(("a@b", "p\"<")));
        assert!(html.contains(r#"value="p&quot;&lt;""#), "{html}");
    }
}
