//! The contract documents (vendored in `tests/contract/`) and helpers to call them.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::http::{Client, Error, graphql_errors};

pub const AUTH: &str = include_str!("../../tests/contract/auth.graphql");
pub const PERFORMANCE: &str = include_str!("../../tests/contract/performance.graphql");
pub const INGEST: &str = include_str!("../../tests/contract/ingest.graphql");

/// The contract's `Performance` with a page cursor: read after [`PERFORMANCE`]'s `Metrics`
/// fragment (same document), it fetches the pages after the first.
pub const PERFORMANCE_PAGE: &str = "
query PerformancePage($filter: PerformanceFilter!, $groupBy: [PerformanceDimension!], $after: String) {
  performance(filter: $filter, groupBy: $groupBy, after: $after) {
    totals { ...Metrics }
    rowCount
    pageInfo { hasNextPage endCursor }
    rows {
      key { campaign { id name } creator { id displayName } platform offer { id } period }
      metrics { ...Metrics }
    }
  }
}
";

/// Runs the operation `name` of `document`; an answer with `errors` (or without `data`) is an
/// error: a fast error is not a result.
pub async fn call(
    client: &mut Client,
    bearer: Option<&str>,
    document: &str,
    name: &str,
    variables: Value,
) -> Result<Value, Error> {
    let body = json!({ "query": document, "operationName": name, "variables": variables });
    let (status, answer) = client.post_json("/graphql", bearer, &body).await?;
    if let Some(errors) = graphql_errors(&answer) {
        return Err(format!("{name}: HTTP {status}, errors {errors}").into());
    }
    match answer.get("data") {
        Some(data) if !data.is_null() && status == 200 => Ok(data.clone()),
        _ => Err(format!("{name}: HTTP {status}, no data: {answer}").into()),
    }
}

/// Signs in (contract `Login`); returns the access token.
pub async fn login(client: &mut Client, email: &str, password: &str) -> Result<String, Error> {
    let data = call(
        client,
        None,
        AUTH,
        "Login",
        json!({ "email": email, "password": password }),
    )
    .await?;
    data["login"]["accessToken"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| "Login: no accessToken".into())
}

/// The database id inside a global ID (`base64url("<Type>:<id>")`).
pub fn db_id(global: &str) -> Result<i64, Error> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(global)?)?;
    let (_, id) = raw.split_once(':').ok_or("not a global ID")?;
    Ok(id.parse()?)
}

/// A `Money { amount }` (a decimal string, or a number) in minor units of a 2-digit currency.
pub fn minor_units(money: &Value) -> Result<i64, Error> {
    let amount = &money["amount"];
    let text = match amount {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return Err(format!("not an amount: {money}").into()),
    };
    let decimal: Decimal = text.parse()?;
    (decimal * Decimal::from(100))
        .normalize()
        .to_string()
        .parse::<i64>()
        .map_err(|e| format!("{text} is not a whole number of cents: {e}").into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_money() {
        assert_eq!(
            db_id(&URL_SAFE_NO_PAD.encode("Creator:42")).expect("id"),
            42
        );
        assert!(db_id("???").is_err());
        assert_eq!(
            minor_units(&json!({"amount": "12.30"})).expect("money"),
            1230
        );
        assert_eq!(minor_units(&json!({"amount": "-0.05"})).expect("money"), -5);
        assert_eq!(minor_units(&json!({"amount": 7})).expect("money"), 700);
        assert!(minor_units(&json!({"amount": "0.001"})).is_err());
    }
}
