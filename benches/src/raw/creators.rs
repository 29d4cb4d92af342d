//! `POST /creators`: the statements PartnerGraph runs for the contract operation
//! `Creators(first: 20)` called by a staff user, in the same order, with the same text (captured
//! from the server; `benches/tests/raw_baselines.rs` compares them), through sqlx directly, and
//! the same JSON, serialized from plain structs.
//!
//! After the same HS256 check:
//! 1. on the first request of a session only (PartnerGraph caches the verified caller): the
//!    session is live (`refresh_tokens`) and the user (`users`), for role and brand;
//! 2. the page, one row more than asked, with the brand's total count (a scalar subquery) and,
//!    joined to it, its creators' channels (one statement; the columns the query shows and the
//!    page size written in the text, as PartnerGraph's `src/service/creator_page.rs`).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use partnergraph::domain::roster::tier_for;
use sea_orm::DbBackend;
use sea_orm::sqlx::{self, AssertSqlSafe, Row, SqlSafeStr, SqlStr};
use serde::Serialize;

use super::{Pool, RawState, error, json_bytes};

/// The page size when the request names none, and the largest allowed (as PartnerGraph).
const DEFAULT_FIRST: i64 = 20;
const MAX_FIRST: i64 = 100;

pub const SESSION_SQL: &str = r#"SELECT "refresh_tokens"."id", "refresh_tokens"."user_id", "refresh_tokens"."family_id", "refresh_tokens"."token_hash", "refresh_tokens"."expires_at", "refresh_tokens"."used_at", "refresh_tokens"."revoked_at", "refresh_tokens"."created_at" FROM "refresh_tokens" WHERE "refresh_tokens"."family_id" = $1 AND "refresh_tokens"."user_id" = $2 AND "refresh_tokens"."revoked_at" IS NULL AND "refresh_tokens"."expires_at" > $3 LIMIT $4"#;

pub const USER_SQL: &str = r#"SELECT "users"."id", "users"."email", "users"."password_hash", "users"."role", "users"."brand_id", "users"."last_login_at", "users"."deactivated_at", "users"."commission_approved_emails", "users"."erased_at", "users"."created_at", "users"."updated_at" FROM "users" WHERE "users"."id" = $1 LIMIT $2"#;

/// The statements, in PartnerGraph's text for one backend (`$n` on PostgreSQL, `?` on
/// SQLite). The page has one variant per page size (its `LIMIT`).
pub struct Statements {
    pub session: SqlStr,
    pub user: SqlStr,
    pages: Vec<SqlStr>,
    /// The brand of each session seen (PartnerGraph's credential cache, minus revocation).
    callers: Mutex<HashMap<String, i64>>,
}

impl Statements {
    pub fn new(backend: DbBackend) -> Self {
        let text = |sql: String| AssertSqlSafe(placeholders(&sql, backend)).into_sql_str();
        let pages = (0..=MAX_FIRST).map(|first| text(page_sql(first))).collect();
        Self {
            session: text(SESSION_SQL.to_owned()),
            user: text(USER_SQL.to_owned()),
            pages,
            callers: Mutex::default(),
        }
    }

    /// The page's statement for `first` creators (1 to [`MAX_FIRST`]).
    fn page(&self, first: i64) -> SqlStr {
        self.pages[first as usize].clone()
    }

    /// The texts of a request for `first` creators, in execution order, for a session seen
    /// before (`known`) or not.
    pub fn sequence(&self, first: i64, known: bool) -> Vec<String> {
        let mut texts = Vec::new();
        if !known {
            texts.push(self.session.as_str().to_owned());
            texts.push(self.user.as_str().to_owned());
        }
        texts.push(self.page(first).as_str().to_owned());
        texts
    }
}

/// The page of `first` creators (one more row fetched) joined to their channels.
fn page_sql(first: i64) -> String {
    let limit = first + 1;
    format!(
        r#"SELECT "listed"."id", "listed"."display_name", "listed"."stage", "listed"."vetting_status", "listed"."followers", "listed"."pg_total_count", "channels"."creator_id", "channels"."platform", "channels"."followers" FROM (SELECT "creators"."id", "creators"."display_name", "creators"."stage", "creators"."vetting_status", "creators"."followers", COALESCE((SELECT "creators" FROM "creator_counts" WHERE "brand_id" = $1), $2) AS "pg_total_count" FROM "creators" WHERE "creators"."brand_id" = $3 ORDER BY "creators"."id" ASC, "creators"."id" ASC LIMIT {limit}) AS "listed" LEFT JOIN "channels" ON "channels"."creator_id" = "listed"."id" ORDER BY "listed"."id" ASC, "listed"."id" ASC, "channels"."followers" DESC, "channels"."id" ASC"#
    )
}

/// SeaORM writes `$1, $2, ...` for PostgreSQL and `?` for SQLite.
fn placeholders(sql: &str, backend: DbBackend) -> String {
    if backend == DbBackend::Postgres {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
            }
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

#[derive(Serialize)]
struct Answer {
    data: Data,
}

#[derive(Serialize)]
struct Data {
    creators: Connection,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Connection {
    total_count: i64,
    page_info: PageInfo,
    edges: Vec<Edge>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: bool,
    end_cursor: Option<String>,
}

#[derive(Serialize)]
struct Edge {
    cursor: String,
    node: Node,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Node {
    id: String,
    display_name: String,
    tier: &'static str,
    stage: String,
    vetting_status: String,
    channels: Vec<ChannelNode>,
}

#[derive(Serialize, Clone)]
struct ChannelNode {
    platform: String,
    followers: i64,
}

/// A creator row as the page needs it, with its channels.
struct CreatorRow {
    id: i64,
    display_name: String,
    followers: i64,
    stage: String,
    vetting_status: String,
    channels: Vec<ChannelNode>,
}

/// Why a request is refused (each becomes an error in the GraphQL shape).
enum Refusal {
    Unauthenticated,
    Forbidden,
    BadInput,
    Internal(String),
}

impl From<sqlx::Error> for Refusal {
    fn from(err: sqlx::Error) -> Self {
        Self::Internal(err.to_string())
    }
}

pub async fn creators(State(state): State<RawState>, headers: HeaderMap, body: Bytes) -> Response {
    match answer(&state, &headers, &body).await {
        Ok(bytes) => json_bytes(StatusCode::OK, Bytes::from(bytes)),
        Err(Refusal::Unauthenticated) => error(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED"),
        Err(Refusal::Forbidden) => error(StatusCode::OK, "FORBIDDEN"),
        Err(Refusal::BadInput) => error(StatusCode::BAD_REQUEST, "BAD_USER_INPUT"),
        Err(Refusal::Internal(err)) => {
            eprintln!("rawserver: creators: {err}");
            error(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL")
        }
    }
}

/// `variables.first` of the GraphQL request body (the query text itself is not read).
fn first_of(body: &[u8]) -> Result<i64, Refusal> {
    let request: serde_json::Value = serde_json::from_slice(body).map_err(|_| Refusal::BadInput)?;
    let first = match request.pointer("/variables/first") {
        None | Some(serde_json::Value::Null) => DEFAULT_FIRST,
        Some(value) => value.as_i64().ok_or(Refusal::BadInput)?,
    };
    if (1..=MAX_FIRST).contains(&first) {
        Ok(first)
    } else {
        Err(Refusal::BadInput)
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
}

/// The session is live and the user's brand (a staff role's), remembered for the session's
/// next requests; a macro because the row types differ.
macro_rules! load_caller {
    ($pool:expr, $st:expr, $sid:expr, $user_id:expr) => {{
        let (pool, st) = ($pool, $st);
        let live = sqlx::query(st.session.clone())
            .bind($sid)
            .bind($user_id)
            .bind(Utc::now())
            .bind(1_i64)
            .fetch_optional(pool)
            .await?;
        if live.is_none() {
            return Err(Refusal::Unauthenticated);
        }
        let user = sqlx::query(st.user.clone())
            .bind($user_id)
            .bind(1_i64)
            .fetch_optional(pool)
            .await?
            .ok_or(Refusal::Unauthenticated)?;
        let role: String = user.try_get("role")?;
        let brand_id: Option<i64> = user.try_get("brand_id")?;
        let brand_id = match (role.as_str(), brand_id) {
            ("ADMIN" | "MANAGER" | "ANALYST", Some(brand_id)) => brand_id,
            _ => return Err(Refusal::Forbidden),
        };
        st.callers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert($sid.to_owned(), brand_id);
        brand_id
    }};
}

/// Runs the statements on one backend's pool; a macro because the row types differ.
macro_rules! load_page {
    ($pool:expr, $st:expr, $sid:expr, $user_id:expr, $first:expr) => {{
        let pool = $pool;
        let st: &Statements = $st;
        let known = st
            .callers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get($sid)
            .copied();
        let brand_id = match known {
            Some(brand_id) => brand_id,
            None => load_caller!(pool, st, $sid, $user_id),
        };
        let mut total: i64 = 0;
        let mut rows: Vec<CreatorRow> = Vec::new();
        // One row per channel (or one without a channel), by position: the page's columns, its
        // count, then the channel's.
        for row in sqlx::query(st.page($first))
            .bind(brand_id)
            .bind(0_i64)
            .bind(brand_id)
            .fetch_all(pool)
            .await?
        {
            total = row.try_get(5)?;
            let id: i64 = row.try_get(0)?;
            if rows.last().is_none_or(|last| last.id != id) {
                rows.push(CreatorRow {
                    id,
                    display_name: row.try_get(1)?,
                    stage: row.try_get(2)?,
                    vetting_status: row.try_get(3)?,
                    followers: row.try_get(4)?,
                    channels: Vec::new(),
                });
            }
            let owner: Option<i64> = row.try_get(6)?;
            if let (Some(_), Some(last)) = (owner, rows.last_mut()) {
                last.channels.push(ChannelNode {
                    platform: row.try_get(7)?,
                    followers: row.try_get(8)?,
                });
            }
        }
        let has_next = rows.len() as i64 > $first;
        rows.truncate($first as usize);
        (total, rows, has_next)
    }};
}

async fn answer(state: &RawState, headers: &HeaderMap, body: &[u8]) -> Result<Vec<u8>, Refusal> {
    let token = bearer(headers).ok_or(Refusal::Unauthenticated)?;
    let claims = state
        .jwt
        .verify(token, Utc::now())
        .map_err(|_| Refusal::Unauthenticated)?;
    let user_id = claims.user_id().map_err(|_| Refusal::Unauthenticated)?;
    let first = first_of(body)?;
    let sid = claims.sid.as_str();
    let (total, rows, has_next) = match &state.pool {
        Pool::Sqlite(pool) => load_page!(pool, &state.statements, sid, user_id, first),
        Pool::Postgres(pool) => load_page!(pool, &state.statements, sid, user_id, first),
    };
    let edges: Vec<Edge> = rows
        .into_iter()
        .map(|row| Edge {
            cursor: URL_SAFE_NO_PAD.encode(format!("c1:[{},{}]", row.id, row.id)),
            node: Node {
                id: URL_SAFE_NO_PAD.encode(format!("Creator:{}", row.id)),
                display_name: row.display_name,
                tier: tier_for(row.followers).as_str(),
                stage: row.stage,
                vetting_status: row.vetting_status,
                channels: row.channels,
            },
        })
        .collect();
    let answer = Answer {
        data: Data {
            creators: Connection {
                total_count: total,
                page_info: PageInfo {
                    has_next_page: has_next,
                    end_cursor: edges.last().map(|edge| edge.cursor.clone()),
                },
                edges,
            },
        },
    };
    serde_json::to_vec(&answer).map_err(|err| Refusal::Internal(err.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_statements_use_question_marks() {
        assert_eq!(
            placeholders("a = $1 AND b IN ($2, $10)", DbBackend::Sqlite),
            "a = ? AND b IN (?, ?)"
        );
        assert_eq!(placeholders("a = $1", DbBackend::Postgres), "a = $1");
    }

    #[test]
    fn first_defaults_to_20_and_is_bounded() {
        assert!(matches!(first_of(br#"{"query":"q"}"#), Ok(20)));
        assert!(matches!(
            first_of(br#"{"query":"q","variables":{"first":5}}"#),
            Ok(5)
        ));
        assert!(first_of(br#"{"variables":{"first":101}}"#).is_err());
        assert!(first_of(b"nope").is_err());
    }
}
