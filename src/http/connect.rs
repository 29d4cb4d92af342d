//! `POST /connect/{kind}/{connectorId}`: a store platform's webhooks (DOMAIN rule 10). No API
//! key: the platform's own signature over the raw body is the credential, checked by
//! [`crate::service::connectors::deliveries`] before anything is read or stored.
//!
//! Statuses: 200 for every verified delivery, with `status` ACCEPTED, DUPLICATE, IGNORED
//! (a topic that is not ingested) or REJECTED (refused by the ingestion rules, see the
//! connector's `lastError`), so a platform never retries what a retry cannot fix; 401 for a
//! missing or wrong signature; 400 for a signed body that is not what its topic says; 404 for an
//! unknown, disabled or other-kind connector; 413 past the body limit.

use axum::Json;
use axum::body::to_bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use super::problem::{error_response, internal_error};
use crate::domain::connector::{Kind, shopify, stripe, woocommerce};
use crate::error::{AppError, ErrorCode};
use crate::global_id::{self as id, NodeKind};
use crate::service::connectors::deliveries::{self, Delivery, Receipt};

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

fn not_found() -> Response {
    error_response(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        "no such connector",
    )
}

pub async fn receive(
    State(state): State<AppState>,
    Path((kind, connector_id)): Path<(String, String)>,
    request: Request,
) -> Response {
    let Some(kind) = Kind::from_path_name(&kind) else {
        return not_found();
    };
    let Ok(connector_id) = id::decode_as(&connector_id, NodeKind::Connector, "connectorId") else {
        return not_found();
    };
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, state.config.http.max_body_bytes).await else {
        return error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::BadRequest,
            "body too large",
        );
    };
    let (signature, topic) = match kind {
        Kind::Shopify => (
            header(&parts.headers, shopify::SIGNATURE_HEADER),
            header(&parts.headers, shopify::TOPIC_HEADER),
        ),
        Kind::Stripe => (header(&parts.headers, stripe::SIGNATURE_HEADER), None),
        Kind::WooCommerce => (
            header(&parts.headers, woocommerce::SIGNATURE_HEADER),
            header(&parts.headers, woocommerce::TOPIC_HEADER),
        ),
    };
    let delivery = Delivery {
        signature,
        topic,
        body: &body,
    };
    let received = deliveries::receive(
        &state.db,
        &state.config.auth.secret_key,
        kind,
        connector_id,
        delivery,
        state.clock.now(),
    )
    .await;
    match received {
        Ok(receipt) => answer(&state, receipt),
        Err(AppError::NotFound) => not_found(),
        Err(AppError::Unauthenticated) => error_response(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
            "missing or wrong signature",
        ),
        Err(err @ AppError::BadUserInput { .. }) => error_response(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            &err.to_string(),
        ),
        Err(AppError::Unavailable) => super::limits::service_unavailable("try again shortly"),
        Err(err) => {
            let request_id = super::request_id(&parts);
            tracing::error!(error = %err, request_id, "connector delivery failed");
            internal_error(&request_id)
        }
    }
}

fn answer(state: &AppState, receipt: Receipt) -> Response {
    let conversion = |id: Option<i64>| id.map(|id| id::encode(NodeKind::Conversion, id));
    let body = match receipt {
        Receipt::Accepted {
            conversion_id,
            refund,
        } => {
            let kind = if refund { "refund" } else { "conversion" };
            state.metrics.ingested(kind, 1);
            json!({ "status": "ACCEPTED", "conversionId": conversion(conversion_id) })
        }
        Receipt::Duplicate { conversion_id } => {
            json!({ "status": "DUPLICATE", "conversionId": conversion(conversion_id) })
        }
        Receipt::Ignored(reason) => json!({ "status": "IGNORED", "message": reason }),
        Receipt::Rejected(reason) => json!({ "status": "REJECTED", "message": reason }),
    };
    (StatusCode::OK, Json(body)).into_response()
}
