//! The raw baselines: the least an axum process must do to give the same answers as
//! PartnerGraph, with none of its layers (GraphQL parsing and execution, SeaORM, request ids,
//! limits, metrics, click capture). PartnerGraph's GraphQL answers also carry
//! `extensions.cost` (the document's cost, the caller's request budget), which these do not
//! compute: that work is part of the overhead the benchmarks measure.
//!
//! - `POST /graphql`: the bytes PartnerGraph answers to `{ __typename }`.
//! - `POST /creators`: the statements PartnerGraph runs for the contract `Creators(first: 20)`
//!   operation, on the same sqlx pool settings, serialized to the same JSON ([`creators`]).
//! - `GET /r/{code}`: a 302 to the same `Location`, from a `HashMap` filled at start
//!   ([`redirect`]).

pub mod creators;
pub mod redirect;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use partnergraph::auth::jwt::JwtKeys;
use partnergraph::config::{DatabaseConfig, Secret};
use sea_orm::sqlx::{PgPool, SqlitePool};
use sea_orm::{DatabaseConnection, DbBackend, DbErr};

/// What PartnerGraph answers to `{ __typename }`, before its `extensions.cost` (checked by the
/// tests).
pub const TYPENAME_BODY: &[u8] = br#"{"data":{"__typename":"Query"}}"#;

/// PartnerGraph's default pool size; the raw server uses the same.
pub const POOL_SIZE: u32 = 10;

/// The sqlx pool of either backend, opened exactly as PartnerGraph opens its own.
#[derive(Clone)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Pool {
    /// Connects through `partnergraph::db::connect` (same SQLite pragmas, pool size and
    /// timeouts as the server) and keeps only the sqlx pool underneath.
    pub async fn connect(database_url: &str) -> Result<Self, DbErr> {
        let config = DatabaseConfig {
            url: Secret::new(database_url),
            max_connections: POOL_SIZE,
            acquire_timeout: Duration::from_secs(5),
            sqlite_busy_timeout: Duration::from_secs(5),
        };
        let db = partnergraph::db::connect(&config).await?;
        Ok(Self::of(&db))
    }

    /// The sqlx pool under a SeaORM connection (SQLite or PostgreSQL).
    pub fn of(db: &DatabaseConnection) -> Self {
        match db.get_database_backend() {
            DbBackend::Postgres => Self::Postgres(db.get_postgres_connection_pool().clone()),
            _ => Self::Sqlite(db.get_sqlite_connection_pool().clone()),
        }
    }

    pub fn backend(&self) -> DbBackend {
        match self {
            Self::Sqlite(_) => DbBackend::Sqlite,
            Self::Postgres(_) => DbBackend::Postgres,
        }
    }
}

/// Shared by the handlers.
#[derive(Clone)]
pub struct RawState {
    pub pool: Pool,
    pub statements: Arc<creators::Statements>,
    pub jwt: Arc<JwtKeys>,
    pub links: Arc<redirect::Links>,
}

impl RawState {
    /// Prepares the statements and loads every live link into memory.
    pub async fn load(pool: Pool, jwt_secret: &Secret) -> Result<Self, DbErr> {
        let links = redirect::Links::load(&pool).await?;
        Ok(Self {
            statements: Arc::new(creators::Statements::new(pool.backend())),
            pool,
            jwt: Arc::new(JwtKeys::new(jwt_secret)),
            links: Arc::new(links),
        })
    }
}

pub fn router(state: RawState) -> Router {
    Router::new()
        .route("/graphql", post(typename))
        .route("/creators", post(creators::creators))
        .route("/r/{code}", get(redirect::redirect))
        .with_state(state)
}

/// Reads the request body (as the real server must) and answers the fixed bytes.
async fn typename(_body: Bytes) -> Response {
    json_bytes(StatusCode::OK, Bytes::from_static(TYPENAME_BODY))
}

fn json_bytes(status: StatusCode, body: Bytes) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// An error in the GraphQL shape, so the load scripts count it like one from PartnerGraph.
fn error(status: StatusCode, code: &str) -> Response {
    let body =
        serde_json::json!({ "errors": [{ "message": code, "extensions": { "code": code } }] });
    json_bytes(status, Bytes::from(body.to_string()))
}
