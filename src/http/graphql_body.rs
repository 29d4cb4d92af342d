//! The body of `POST /graphql`: exactly one GraphQL request in JSON, with the persisted query
//! it names (`extensions.persistedQuery`, [`crate::graphql::persisted_queries`]), if any; or
//! the same request with files, per the GraphQL multipart request spec ([`read_multipart`]).

use std::collections::HashMap;

use axum::body::{Body, to_bytes};
use axum::http::StatusCode;
use axum::response::Response;
use tokio::io::AsyncWriteExt;

use super::problem::error_response;
use crate::error::ErrorCode;
use crate::graphql::persisted_queries::{PersistedQuery, PersistedQueryError};

/// A request as sent: its `query` is empty when it names a persisted query without the text.
pub struct GraphqlBody {
    pub request: async_graphql::Request,
    pub persisted: Option<PersistedQuery>,
}

/// Reads the body up to `limit` bytes and parses exactly one GraphQL request. A JSON array
/// (a batch) is refused: each operation is costed and rate limited on its own. `query` is
/// required unless the request names a persisted query.
pub async fn read(body: Body, limit: usize) -> Result<GraphqlBody, Response> {
    let bytes = to_bytes(body, limit).await.map_err(|_| {
        bad_request_with(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("request body is larger than {limit} bytes"),
        )
    })?;
    parse(&bytes, "request body")
}

/// The bounds of a multipart request: `operations` and `map` are held to the JSON body limit,
/// each file to `max_file_bytes`, and there are at most `max_files` files.
#[derive(Clone, Copy, Debug)]
pub struct UploadLimits {
    pub max_json_bytes: usize,
    pub max_file_bytes: usize,
    pub max_files: usize,
}

/// Reads a `multipart/form-data` body per the GraphQL multipart request spec: the `operations`
/// part (one request, read exactly as a JSON body is), the `map` part (file field -> variable
/// paths), then the files, each spooled to an unnamed temporary file and set on the variables
/// the map names (the `Upload` scalar).
pub async fn read_multipart(
    body: Body,
    boundary: String,
    limits: UploadLimits,
) -> Result<GraphqlBody, Response> {
    let constraints = multer::Constraints::new().size_limit(
        multer::SizeLimit::new()
            .per_field(limits.max_file_bytes as u64)
            .for_field("operations", limits.max_json_bytes as u64)
            .for_field("map", limits.max_json_bytes as u64),
    );
    let mut multipart =
        multer::Multipart::with_constraints(body.into_data_stream(), boundary, constraints);
    let too_large = |err: &multer::Error| match err {
        multer::Error::FieldSizeExceeded { field_name, .. } => Some(match field_name.as_deref() {
            Some("operations" | "map") => format!(
                "the multipart part \"{}\" is larger than {} bytes",
                field_name.as_deref().unwrap_or_default(),
                limits.max_json_bytes
            ),
            _ => format!("a file is larger than {} bytes", limits.max_file_bytes),
        }),
        multer::Error::StreamSizeExceeded { .. } => {
            Some("the request body is too large".to_owned())
        }
        _ => None,
    };
    let refuse = |err: multer::Error| match too_large(&err) {
        Some(message) => bad_request_with(StatusCode::PAYLOAD_TOO_LARGE, &message),
        None => bad_request("not a valid multipart/form-data body"),
    };
    let mut body: Option<GraphqlBody> = None;
    let mut map: Option<HashMap<String, Vec<String>>> = None;
    let mut files = 0;
    while let Some(mut field) = multipart.next_field().await.map_err(refuse)? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "operations" => {
                let bytes = field.bytes().await.map_err(refuse)?;
                body = Some(parse(&bytes, "the operations part")?);
            }
            "map" => {
                let bytes = field.bytes().await.map_err(refuse)?;
                map = Some(serde_json::from_slice(&bytes).map_err(|_| {
                    bad_request("the map part must be a JSON object of file field -> paths")
                })?);
            }
            _ => {
                let (Some(body), Some(map)) = (body.as_mut(), map.as_mut()) else {
                    return Err(bad_request(
                        "send the operations part, then the map part, then the files",
                    ));
                };
                let Some(paths) = map.remove(&name) else {
                    return Err(bad_request(&format!(
                        "the file field \"{}\" is not in the map",
                        name.chars().take(60).collect::<String>()
                    )));
                };
                files += 1;
                if files > limits.max_files {
                    return Err(bad_request_with(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        &format!("at most {} files per request", limits.max_files),
                    ));
                }
                let upload = async_graphql::UploadValue {
                    filename: field.file_name().unwrap_or(&name).to_owned(),
                    content_type: field.content_type().map(ToString::to_string),
                    content: spool(&mut field).await.map_err(|err| match err {
                        Spool::Body(err) => refuse(err),
                        Spool::Io(err) => {
                            tracing::error!(error = %err, "spooling an upload failed");
                            super::problem::error_response(
                                StatusCode::INTERNAL_SERVER_ERROR,
                                ErrorCode::Internal,
                                "internal error",
                            )
                        }
                    })?,
                };
                for path in paths {
                    let copy = upload.try_clone().map_err(|err| {
                        tracing::error!(error = %err, "cloning an upload failed");
                        super::problem::error_response(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            ErrorCode::Internal,
                            "internal error",
                        )
                    })?;
                    body.request.set_upload(&path, copy);
                }
            }
        }
    }
    let Some(body) = body else {
        return Err(bad_request("the multipart body has no operations part"));
    };
    match map {
        None => Err(bad_request("the multipart body has no map part")),
        Some(map) if !map.is_empty() => Err(bad_request("the map names files that were not sent")),
        Some(_) => Ok(body),
    }
}

enum Spool {
    Body(multer::Error),
    Io(std::io::Error),
}

/// Writes a file part to an unnamed temporary file (gone when the last handle closes), so an
/// upload costs disk, not memory; answers it rewound.
async fn spool(field: &mut multer::Field<'_>) -> Result<std::fs::File, Spool> {
    let file = tempfile::tempfile().map_err(Spool::Io)?;
    let mut file = tokio::fs::File::from_std(file);
    while let Some(chunk) = field.chunk().await.map_err(Spool::Body)? {
        file.write_all(&chunk).await.map_err(Spool::Io)?;
    }
    file.flush().await.map_err(Spool::Io)?;
    let mut file = file.into_std().await;
    std::io::Seek::rewind(&mut file).map_err(Spool::Io)?;
    Ok(file)
}

/// One GraphQL request in JSON (`what` names it in messages). The error is the answer, as for
/// the readers that call it; it is built once per refused request.
#[allow(clippy::result_large_err)]
fn parse(bytes: &[u8], what: &str) -> Result<GraphqlBody, Response> {
    let mut value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|_| bad_request(&format!("{what} is not valid JSON")))?;
    if value.is_array() {
        return Err(bad_request(
            "batched requests are not supported: send one operation per request",
        ));
    }
    let persisted = take_persisted_query(&mut value).map_err(|err| bad_request(&err.message()))?;
    let query = value.get("query");
    let query_ok = match (&persisted, query) {
        (_, Some(serde_json::Value::String(_))) => true,
        // Apollo clients send a known hash without `query`; some send `null`.
        (Some(_), None | Some(serde_json::Value::Null)) => true,
        _ => false,
    };
    if !query_ok {
        return Err(bad_request(
            "not a GraphQL request: a string member \"query\" is required",
        ));
    }
    if let Some(object) = value.as_object_mut()
        && object.get("query").is_some_and(serde_json::Value::is_null)
    {
        object.remove("query");
    }
    let request = serde_json::from_value(value)
        .map_err(|err| bad_request(&format!("not a GraphQL request: {}", describe(&err))))?;
    Ok(GraphqlBody { request, persisted })
}

/// Removes `extensions.persistedQuery` from the request and reads it.
fn take_persisted_query(
    value: &mut serde_json::Value,
) -> Result<Option<PersistedQuery>, PersistedQueryError> {
    let Some(extension) = value
        .get_mut("extensions")
        .and_then(serde_json::Value::as_object_mut)
        .and_then(|extensions| extensions.remove("persistedQuery"))
    else {
        return Ok(None);
    };
    PersistedQuery::from_extension(&extension).map(Some)
}

fn bad_request(message: &str) -> Response {
    bad_request_with(StatusCode::BAD_REQUEST, message)
}

fn bad_request_with(status: StatusCode, message: &str) -> Response {
    error_response(status, ErrorCode::BadRequest, message)
}

/// serde's message names the missing or mistyped member without echoing input or internals.
fn describe(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.find(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}
