//! `GET /exports/{id}/download?expires={unix}&signature={sig}`: a completed export's file,
//! streamed from the export directory in constant memory. No credentials: the signed link
//! (`Export.url`) is the credential, checked in constant time before anything is read.
//!
//! Statuses: 200 with the file (`Content-Type` by format, `Content-Disposition: attachment`);
//! 403 for a missing, malformed or wrong signature (a link for another export or expiry
//! included); 410 once the link's time is up or the export EXPIRED (its file deleted); 404 for
//! an id that names no completed export.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::problem::{error_response, internal_error};
use crate::domain::export::{Format, Kind, LINK_KEY_PURPOSE, Status, download_name, verify_link};
use crate::error::{AppError, ErrorCode};
use crate::global_id::{self as id, NodeKind};
use crate::service::exports::lifecycle;

fn not_found() -> Response {
    error_response(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such export")
}

fn forbidden() -> Response {
    error_response(
        StatusCode::FORBIDDEN,
        ErrorCode::Forbidden,
        "missing or wrong signature",
    )
}

fn gone() -> Response {
    error_response(
        StatusCode::GONE,
        ErrorCode::NotFound,
        "this export link has expired: start the export again",
    )
}

pub async fn download(
    State(state): State<AppState>,
    Path(export_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Ok(export_id) = id::decode_as(&export_id, NodeKind::Export, "id") else {
        return not_found();
    };
    let (Some(expires), Some(signature)) = (
        query.get("expires").and_then(|e| e.parse::<i64>().ok()),
        query.get("signature"),
    ) else {
        return forbidden();
    };
    let key = state.config.auth.secret_key.derive(LINK_KEY_PURPOSE);
    if !verify_link(&key, export_id, expires, signature) {
        return forbidden();
    }
    if expires <= state.clock.now().timestamp() {
        return gone();
    }
    let row = match lifecycle::for_download(&state.db, export_id).await {
        Ok(row) => row,
        Err(AppError::NotFound) => return not_found(),
        Err(err) => {
            tracing::error!(error = %err, export = export_id, "cannot read an export");
            return internal_error("");
        }
    };
    match Status::parse(&row.status) {
        Some(Status::Completed) => {}
        Some(Status::Expired) => return gone(),
        _ => return not_found(),
    }
    let (Some(name), Some(kind), Some(format)) = (
        row.file_name.as_deref(),
        Kind::parse(&row.kind),
        Format::parse(&row.format),
    ) else {
        return not_found();
    };
    let path = state.config.exports.dir.join(name);
    let file = match tokio::fs::File::open(&path).await {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return gone(),
        Err(err) => {
            tracing::error!(error = %err, export = export_id, "cannot open an export file");
            return internal_error("");
        }
    };
    let length = file.metadata().await.map(|m| m.len()).ok();
    let body = Body::from_stream(tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024));
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    let disposition = format!(
        "attachment; filename=\"{}\"",
        download_name(kind, format, row.id)
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    if let Some(length) = length {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
