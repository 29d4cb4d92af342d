//! Custom scalars: `DateTime` (RFC 3339, UTC), `Decimal` (a string, never a float) and
//! `CurrencyCode` (ISO 4217).

use std::str::FromStr;

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{SecondsFormat, Utc};

use crate::domain::money::Currency;

/// An instant, RFC 3339 in UTC with a `Z` suffix, e.g. `2026-01-31T12:00:00Z`. Inputs may carry
/// any offset; they are converted to UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DateTime(pub chrono::DateTime<Utc>);

#[Scalar(name = "DateTime")]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => chrono::DateTime::parse_from_rfc3339(s)
                .map(|dt| Self(dt.with_timezone(&Utc)))
                .map_err(|_| {
                    InputValueError::custom(
                        "expected an RFC 3339 date-time such as \"2026-01-31T12:00:00Z\"",
                    )
                }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    /// Checked during validation too, so a bad value answers BAD_USER_INPUT naming its
    /// argument's path (`extensions.field`), in the document or in a variable.
    fn is_valid(value: &Value) -> bool {
        Self::parse(value.clone()).is_ok()
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

impl From<chrono::DateTime<Utc>> for DateTime {
    fn from(value: chrono::DateTime<Utc>) -> Self {
        Self(value)
    }
}

/// A calendar date, `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date(pub chrono::NaiveDate);

#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(Self)
                .map_err(|_| InputValueError::custom("expected a date such as \"2026-01-31\"")),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    /// Checked during validation too, so a bad value answers BAD_USER_INPUT naming its
    /// argument's path (`extensions.field`), in the document or in a variable.
    fn is_valid(value: &Value) -> bool {
        Self::parse(value.clone()).is_ok()
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

/// An exact decimal number as a string, e.g. `"1234.50"`. JSON numbers are accepted only when
/// they are integers, so that no float ever reaches an amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decimal(pub rust_decimal::Decimal);

#[Scalar(name = "Decimal")]
impl ScalarType for Decimal {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => rust_decimal::Decimal::from_str(s.trim())
                .map(Self)
                .map_err(|_| {
                    InputValueError::custom("expected a decimal string such as \"12.50\"")
                }),
            Value::Number(n) => n
                .as_i64()
                .map(|i| Self(rust_decimal::Decimal::from(i)))
                .ok_or_else(|| {
                    InputValueError::custom("send fractional amounts as strings, e.g. \"12.50\"")
                }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    /// Checked during validation too, so a bad value answers BAD_USER_INPUT naming its
    /// argument's path (`extensions.field`), in the document or in a variable.
    fn is_valid(value: &Value) -> bool {
        Self::parse(value.clone()).is_ok()
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

/// An ISO 4217 currency code with a defined minor unit, e.g. `USD`, `EUR`, `JPY`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CurrencyCode(pub Currency);

#[Scalar(name = "CurrencyCode")]
impl ScalarType for CurrencyCode {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => Currency::parse(s)
                .map(Self)
                .map_err(|e| InputValueError::custom(e.to_string())),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    /// Checked during validation too, so a bad value answers BAD_USER_INPUT naming its
    /// argument's path (`extensions.field`), in the document or in a variable.
    fn is_valid(value: &Value) -> bool {
        Self::parse(value.clone()).is_ok()
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.code().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetime_round_trips_in_utc() {
        let parsed = DateTime::parse(Value::String("2026-03-01T10:00:00+02:00".into())).unwrap();
        assert_eq!(
            parsed.to_value(),
            Value::String("2026-03-01T08:00:00Z".into())
        );
        assert!(DateTime::parse(Value::String("yesterday".into())).is_err());
        assert!(DateTime::parse(Value::Number(5.into())).is_err());
    }

    #[test]
    fn dates_are_iso_calendar_dates() {
        let parsed = Date::parse(Value::String("2026-02-28".into())).unwrap();
        assert_eq!(parsed.to_value(), Value::String("2026-02-28".into()));
        assert!(Date::parse(Value::String("2026-02-30".into())).is_err());
        assert!(Date::parse(Value::String("28/02/2026".into())).is_err());
    }

    #[test]
    fn decimals_refuse_floats() {
        assert_eq!(
            Decimal::parse(Value::String("12.50".into()))
                .unwrap()
                .to_value(),
            Value::String("12.50".into())
        );
        assert_eq!(
            Decimal::parse(Value::Number(7.into())).unwrap().to_value(),
            Value::String("7".into())
        );
        let float = async_graphql::Number::from_f64(1.5).unwrap();
        assert!(Decimal::parse(Value::Number(float)).is_err());
        assert!(Decimal::parse(Value::String("12,50".into())).is_err());
    }

    #[test]
    fn currency_codes_are_validated() {
        assert!(CurrencyCode::parse(Value::String("EUR".into())).is_ok());
        assert!(CurrencyCode::parse(Value::String("eur".into())).is_err());
        assert!(CurrencyCode::parse(Value::String("ABC".into())).is_err());
    }
}
