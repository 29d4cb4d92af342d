//! The `Money` output type.

use async_graphql::SimpleObject;

use super::scalars::{CurrencyCode, Decimal};
use crate::domain::money;

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
