//! The `Money` output type.

use async_graphql::{InputObject, SimpleObject};

use super::scalars::{CurrencyCode, Decimal};
use crate::domain::money;
use crate::error::AppError;

/// An amount in a currency; `amount` has exactly the currency's decimal places.
#[derive(Clone, Copy, Debug, SimpleObject)]
#[graphql(name = "Money")]
pub struct MoneyObject {
    pub amount: Decimal,
    pub currency_code: CurrencyCode,
}

impl From<money::Money> for MoneyObject {
    fn from(value: money::Money) -> Self {
        Self {
            amount: Decimal(value.to_decimal()),
            currency_code: CurrencyCode(value.currency),
        }
    }
}

/// An amount in a currency, as input: `{ amount: "12.50", currencyCode: "USD" }`.
#[derive(Clone, Copy, Debug, InputObject)]
pub struct MoneyInput {
    pub amount: Decimal,
    pub currency_code: CurrencyCode,
}

impl MoneyInput {
    /// Exact minor units; more decimals than the currency has is BAD_USER_INPUT on `field`.
    pub fn to_money(self, field: &str) -> Result<money::Money, AppError> {
        money::Money::from_decimal(self.amount.0, self.currency_code.0)
            .map_err(|err| AppError::bad_input(field, err.to_string()))
    }
}

/// Stored minor units and currency code as `Money`.
pub fn stored(minor: i64, currency_code: &str) -> Result<MoneyObject, AppError> {
    let currency = money::Currency::parse(currency_code).map_err(AppError::internal)?;
    Ok(money::Money::new(minor, currency).into())
}

/// An optional stored amount as optional `Money`.
pub fn stored_opt(
    minor: Option<i64>,
    currency_code: &str,
) -> Result<Option<MoneyObject>, AppError> {
    minor.map(|m| stored(m, currency_code)).transpose()
}
