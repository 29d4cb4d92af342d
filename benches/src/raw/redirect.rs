//! `GET /r/{code}`: a 302 to the `Location` PartnerGraph gives (the destination with the
//! link's UTM values and a fresh `pg_click` id), from a `HashMap` filled once at start. No
//! click is recorded and links are never re-read: that is what the baseline leaves out.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use partnergraph::domain::destination::{self, Utm};
use sea_orm::DbErr;
use sea_orm::sqlx::{self, Row};

use super::{Pool, RawState};

const LINKS_SQL: &str = r#"SELECT "code", "destination_url", "utm_source", "utm_medium", "utm_campaign", "utm_content" FROM "tracking_links" WHERE "archived_at" IS NULL AND "paused_at" IS NULL"#;

/// Stands for the click id while the location is prepared (a click id is 32 hex digits).
const CLICK_MARK: &str = "00000000000000000000000000000000";

/// The location of a link around its click id: `{before}{click id}{after}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    before: String,
    after: String,
}

impl Location {
    /// Built with PartnerGraph's own functions, once; `None` for a destination the server
    /// would refuse (not an absolute http(s) URL).
    pub fn of(destination_url: &str, utm: &Utm) -> Option<Self> {
        let prepared = destination::with_utm(destination_url, utm)?;
        let full = destination::with_click_id(&prepared, CLICK_MARK);
        let needle = format!("{}={CLICK_MARK}", destination::CLICK_PARAM);
        let at = full.as_str().rfind(&needle)? + needle.len() - CLICK_MARK.len();
        Some(Self {
            before: full.as_str()[..at].to_owned(),
            after: full.as_str()[at + CLICK_MARK.len()..].to_owned(),
        })
    }

    pub fn with_click_id(&self, click_id: &str) -> String {
        let mut location =
            String::with_capacity(self.before.len() + click_id.len() + self.after.len());
        location.push_str(&self.before);
        location.push_str(click_id);
        location.push_str(&self.after);
        location
    }
}

/// `(code, destination, utm)` of every live link; a macro because the row types differ.
macro_rules! link_rows {
    ($pool:expr) => {{
        async {
            let mut rows = Vec::new();
            for row in sqlx::query(LINKS_SQL).fetch_all($pool).await? {
                let utm = Utm {
                    source: row.try_get("utm_source")?,
                    medium: row.try_get("utm_medium")?,
                    campaign: row.try_get("utm_campaign")?,
                    content: row.try_get("utm_content")?,
                };
                rows.push((
                    row.try_get::<String, _>("code")?,
                    row.try_get::<String, _>("destination_url")?,
                    utm,
                ));
            }
            Ok::<_, sqlx::Error>(rows)
        }
        .await
    }};
}

/// Every live link by code (codes are stored lower-case).
pub struct Links(HashMap<String, Location>);

impl Links {
    pub async fn load(pool: &Pool) -> Result<Self, DbErr> {
        let rows = match pool {
            Pool::Sqlite(pool) => link_rows!(pool),
            Pool::Postgres(pool) => link_rows!(pool),
        }
        .map_err(|err| DbErr::Custom(format!("loading links: {err}")))?;
        let links = rows
            .into_iter()
            .filter_map(|(code, destination_url, utm)| {
                Location::of(&destination_url, &utm).map(|location| (code, location))
            })
            .collect();
        Ok(Self(links))
    }

    pub fn get(&self, code: &str) -> Option<&Location> {
        self.0
            .get(code)
            .or_else(|| self.0.get(&code.to_ascii_lowercase()))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

pub async fn redirect(State(state): State<RawState>, Path(code): Path<String>) -> Response {
    let Some(location) = state.links.get(&code) else {
        return (StatusCode::NOT_FOUND, "Link not found.\n").into_response();
    };
    let click_id = uuid::Uuid::new_v4().simple().to_string();
    let Ok(location) = HeaderValue::from_str(&location.with_click_id(&click_id)) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    headers.insert(header::LOCATION, location);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer-when-downgrade"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_click_id_goes_where_partnergraph_puts_it() {
        let utm = Utm {
            source: Some("maya".into()),
            ..Utm::default()
        };
        for destination in [
            "https://shop.test/p",
            "https://shop.test/p?a=1#frag",
            "https://shop.test/?pg_click=stale&b=2",
        ] {
            let location = Location::of(destination, &utm).unwrap();
            let prepared = destination::with_utm(destination, &utm).unwrap();
            let id = "0123456789abcdef0123456789abcdef";
            assert_eq!(
                location.with_click_id(id),
                destination::with_click_id(&prepared, id).as_str()
            );
        }
        assert!(Location::of("javascript:alert(1)", &utm).is_none());
    }
}
