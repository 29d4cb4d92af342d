//! `POST /postback/conversions`: server-to-server conversions for networks that cannot send
//! GraphQL. Same fields as `ConversionInput` (JSON, camelCase), same key (`Authorization: Bearer
//! pg_...` with INGEST, taken and refused as on `POST /graphql`: [`super::auth`]), same rules and
//! idempotency as `recordConversions`.

use axum::Json;
use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;

use super::auth::Caller;
use super::problem::error_response;
use super::{AppState, limits};
use crate::domain::conversion::Kind;
use crate::domain::money::Currency;
use crate::error::{AppError, ErrorCode};
use crate::graphql::id::{self, NodeKind};
use crate::service::ingest::batch::ItemStatus;
use crate::service::ingest::conversions::{self, ConversionItem};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PostbackBody {
    external_id: String,
    kind: String,
    occurred_at: DateTime<Utc>,
    /// A decimal string ("12.50") or an integer; fractional JSON numbers are refused.
    amount: Option<serde_json::Value>,
    currency_code: Option<String>,
    customer_key: Option<String>,
    customer_email: Option<String>,
    new_customer: Option<bool>,
    click_id: Option<String>,
    discount_code: Option<String>,
    region: Option<String>,
}

fn parse_amount(value: Option<serde_json::Value>) -> Result<Option<Decimal>, AppError> {
    let invalid = || AppError::bad_input("amount", "send a decimal string such as \"12.50\"");
    match value {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => s.trim().parse().map(Some).map_err(|_| invalid()),
        Some(serde_json::Value::Number(n)) => n
            .as_i64()
            .map(|i| Some(Decimal::from(i)))
            .ok_or_else(invalid),
        Some(_) => Err(invalid()),
    }
}

fn item(body: PostbackBody) -> Result<ConversionItem, AppError> {
    let kind = Kind::parse(&body.kind)
        .ok_or_else(|| AppError::bad_input("kind", "must be SALE or LEAD"))?;
    let currency = body
        .currency_code
        .map(|c| {
            Currency::parse(&c).map_err(|e| AppError::bad_input("currencyCode", e.to_string()))
        })
        .transpose()?;
    Ok(ConversionItem {
        external_id: body.external_id,
        kind,
        occurred_at: body.occurred_at,
        amount: parse_amount(body.amount)?,
        currency,
        customer_key: body.customer_key,
        customer_email: body.customer_email,
        new_customer: body.new_customer,
        click_id: body.click_id,
        discount_code: body.discount_code,
        region: body.region,
    })
}

fn app_error(err: &AppError) -> Response {
    let status = match err.code() {
        ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::BadUserInput | ErrorCode::NotFound => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::ServiceUnavailable => return limits::service_unavailable(&err.to_string()),
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let body = json!({ "errors": [{ "message": err.to_string(), "extensions": {
        "code": err.code().as_str(), "field": err.field() } }] });
    (status, Json(body)).into_response()
}

pub async fn conversions(
    State(state): State<AppState>,
    Caller { actor, .. }: Caller,
    request: Request,
) -> Response {
    let body = request.into_body();
    let Ok(bytes) = to_bytes(body, state.config.http.max_body_bytes).await else {
        return error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::BadRequest,
            "body too large",
        );
    };
    let body: PostbackBody = match serde_json::from_slice(&bytes) {
        Ok(body) => body,
        Err(err) => {
            let message = format!(
                "not a conversion: {}",
                err.to_string().split(" at line").next().unwrap_or("")
            );
            return error_response(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, &message);
        }
    };
    let item = match item(body) {
        Ok(item) => item,
        Err(err) => return app_error(&err),
    };
    let mut results =
        match conversions::record(&state.db, &actor, vec![item], state.clock.now()).await {
            Ok(results) => {
                let stored = results
                    .iter()
                    .filter(|r| r.status == ItemStatus::Accepted)
                    .count();
                state.metrics.ingested("conversion", stored as u64);
                results
            }
            Err(err) => return app_error(&err),
        };
    let Some(result) = results.pop() else {
        return app_error(&AppError::internal("no result for the postback"));
    };
    let status = match result.status {
        ItemStatus::Accepted => "ACCEPTED",
        ItemStatus::Duplicate => "DUPLICATE",
        ItemStatus::Rejected => "REJECTED",
    };
    if let Some(err) = &result.error {
        let mut response = app_error(err);
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return response;
    }
    let conversion = result.value.as_ref();
    let body = json!({
        "externalId": result.external_id,
        "status": status,
        "conversionId": conversion.map(|c| id::encode(NodeKind::Conversion, c.id).0),
        "attributionMethod": conversion.map(|c| c.attribution_method.clone()),
    });
    let code = if result.status == ItemStatus::Accepted {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (code, Json(body)).into_response()
}
