//! Relay cursor connections: `first` 1..100 (default 20), opaque `after` cursors, `pageInfo`
//! and `totalCount`. Services page by keyset (`WHERE key > cursor ORDER BY key LIMIT n + 1`).

use async_graphql::connection::{Connection, CursorType, Edge};
use async_graphql::{Context, SimpleObject};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::AppError;
use crate::service::page::KeysetPage;

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

/// A validated page request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub first: u64,
    pub after: Option<Cursor>,
    /// Whether the operation selects `totalCount` (counted only then; see [`PageRequest::counting`]).
    pub count: bool,
}

impl PageRequest {
    pub fn new(first: Option<i32>, after: Option<String>) -> Result<Self, AppError> {
        let first = crate::service::page::page_size(first, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)?;
        let after = after
            .map(|raw| {
                Cursor::decode_cursor(&raw)
                    .map_err(|_| AppError::bad_input("after", "not a valid cursor"))
            })
            .transpose()?;
        Ok(Self {
            first,
            after,
            count: true,
        })
    }

    /// Counts only when the connection's `totalCount` is selected (by any alias or fragment).
    pub fn counting(mut self, ctx: &Context<'_>) -> Self {
        self.count = ctx.look_ahead().field("totalCount").exists();
        self
    }

    /// Rows to fetch: one more than asked, to know whether there is a next page.
    pub fn fetch_limit(&self) -> u64 {
        self.first + 1
    }

    /// The request for a service that pages by id.
    pub fn by_id(&self) -> Result<KeysetPage, AppError> {
        Ok(KeysetPage {
            after: self.after.as_ref().map(Cursor::as_id).transpose()?,
            limit: self.fetch_limit(),
            count: self.count,
        })
    }
}

/// An opaque keyset cursor: the sort key of the last row seen, e.g. `"42"` or
/// `"2026-01-01T00:00:00Z|42"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor(pub String);

impl Cursor {
    pub fn from_id(id: i64) -> Self {
        Self(id.to_string())
    }

    pub fn as_id(&self) -> Result<i64, AppError> {
        self.0
            .parse()
            .map_err(|_| AppError::bad_input("after", "not a valid cursor"))
    }
}

const CURSOR_PREFIX: &str = "c1:";

impl CursorType for Cursor {
    type Error = AppError;

    fn decode_cursor(s: &str) -> Result<Self, Self::Error> {
        let invalid = || AppError::bad_input("after", "not a valid cursor");
        let bytes = URL_SAFE_NO_PAD.decode(s).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        text.strip_prefix(CURSOR_PREFIX)
            .map(|key| Self(key.to_owned()))
            .ok_or_else(invalid)
    }

    fn encode_cursor(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{}", self.0))
    }
}

#[derive(Clone, Copy, Debug, SimpleObject)]
pub struct TotalCount {
    /// Number of items matching the query, over all pages.
    pub total_count: u64,
}

pub type Page<T> = Connection<Cursor, T, TotalCount>;

/// Builds a connection from up to `page.fetch_limit()` rows fetched in key order.
pub fn page<R, T>(
    page: &PageRequest,
    mut rows: Vec<R>,
    total_count: u64,
    cursor_of: impl Fn(&R) -> Cursor,
    node_of: impl Fn(R) -> T,
) -> Page<T>
where
    T: async_graphql::OutputType,
{
    let has_next = rows.len() as u64 > page.first;
    rows.truncate(page.first as usize);
    let mut connection = Connection::with_additional_fields(
        page.after.is_some(),
        has_next,
        TotalCount { total_count },
    );
    connection.edges = rows
        .into_iter()
        .map(|row| Edge::new(cursor_of(&row), node_of(row)))
        .collect();
    connection
}

/// A connection over rows paged by id (see [`PageRequest::by_id`]).
pub fn id_page<R, T>(
    request: &PageRequest,
    (rows, total_count): (Vec<R>, u64),
    id_of: impl Fn(&R) -> i64,
    node_of: impl Fn(R) -> T,
) -> Page<T>
where
    T: async_graphql::OutputType,
{
    page(
        request,
        rows,
        total_count,
        |row| Cursor::from_id(id_of(row)),
        node_of,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_defaults_to_20_and_is_bounded() {
        assert_eq!(PageRequest::new(None, None).unwrap().first, 20);
        assert_eq!(PageRequest::new(Some(1), None).unwrap().first, 1);
        assert_eq!(PageRequest::new(Some(100), None).unwrap().first, 100);
        for bad in [0, -1, 101, i32::MAX] {
            let err = PageRequest::new(Some(bad), None).unwrap_err();
            assert_eq!(err.field(), Some("first"));
        }
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let encoded = Cursor::from_id(42).encode_cursor();
        let request = PageRequest::new(Some(5), Some(encoded)).unwrap();
        assert_eq!(request.after.unwrap().as_id().unwrap(), 42);
        assert!(PageRequest::new(None, Some("nope".into())).is_err());
        let unprefixed = URL_SAFE_NO_PAD.encode("42");
        assert!(PageRequest::new(None, Some(unprefixed)).is_err());
    }

    #[test]
    fn a_page_knows_whether_more_follow() {
        let request = PageRequest::new(Some(2), None).unwrap();
        let full: Page<i32> = page(
            &request,
            vec![1, 2, 3],
            3,
            |r| Cursor::from_id(*r as i64),
            |r| r,
        );
        assert!(full.has_next_page);
        assert_eq!(full.edges.len(), 2);
        let last: Page<i32> = page(&request, vec![3], 3, |r| Cursor::from_id(*r as i64), |r| r);
        assert!(!last.has_next_page);
    }
}
