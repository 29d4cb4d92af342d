use std::str::FromStr;

use async_graphql::{Enum, ID, InputObject, Object};

use crate::db::entity::{brand, exchange_rate};
use crate::domain::brand::CodePrecedence as Precedence;
use crate::domain::money::{Currency, Money};
use crate::error::AppError;
use crate::graphql::id::{self, NodeKind};
use crate::graphql::money::{MoneyInput, MoneyObject};
use crate::graphql::scalars::{CurrencyCode, Date, DateTime, Decimal};

/// Which click a conversion's click id credits (DOMAIN rule 2); code precedence applies after.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::attribution::Model")]
pub enum AttributionModel {
    /// The click the conversion names (the default).
    ClickId,
    /// The latest eligible click of the named click's visitor within the window, across
    /// creators.
    LastClick,
    /// The earliest eligible click of the named click's visitor within the window, across
    /// creators.
    FirstClick,
}

/// Which attribution candidate wins when a click and a discount code disagree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum CodePrecedence {
    CodeWins,
    ClickWins,
}

impl From<CodePrecedence> for Precedence {
    fn from(value: CodePrecedence) -> Self {
        match value {
            CodePrecedence::CodeWins => Self::CodeWins,
            CodePrecedence::ClickWins => Self::ClickWins,
        }
    }
}

impl From<Precedence> for CodePrecedence {
    fn from(value: Precedence) -> Self {
        match value {
            Precedence::CodeWins => Self::CodeWins,
            Precedence::ClickWins => Self::ClickWins,
        }
    }
}

/// The brand with id `id`, through the request's loader (for objects the caller may already
/// read, whose brand it may therefore see).
pub async fn load(ctx: &async_graphql::Context<'_>, id: i64) -> Result<Brand, AppError> {
    crate::graphql::context::loaders(ctx)?
        .brands()
        .load_one(id)
        .await
        .map_err(crate::graphql::loaders::failed)?
        .map(Brand)
        .ok_or(AppError::NotFound)
}

/// A brand: the tenant. Its reporting currency and timezone set how every figure is shown.
pub struct Brand(pub brand::Model);

impl Brand {
    fn currency(&self) -> Result<Currency, AppError> {
        Currency::parse(&self.0.currency_code).map_err(AppError::internal)
    }
}

#[Object]
impl Brand {
    pub async fn id(&self) -> ID {
        id::encode(NodeKind::Brand, self.0.id)
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Reporting currency: every metric is in it.
    async fn currency_code(&self) -> Result<CurrencyCode, AppError> {
        self.currency().map(CurrencyCode)
    }

    /// IANA timezone used for days, weeks and months in reports.
    async fn timezone(&self) -> &str {
        &self.0.timezone
    }

    async fn attribution_window_days(&self) -> i32 {
        self.0.attribution_window_days
    }

    async fn hold_period_days(&self) -> i32 {
        self.0.hold_period_days
    }

    /// Days after a conversion from which a refund no longer reverses its commission (it still
    /// lowers revenue; an ADMIN may `createClawback` instead); null: never locked.
    async fn lock_period_days(&self) -> Option<i32> {
        self.0.lock_period_days
    }

    async fn attribution_model(&self) -> Result<AttributionModel, AppError> {
        crate::graphql::enums::stored(
            &self.0.attribution_model,
            crate::domain::attribution::Model::parse,
        )
    }

    async fn code_precedence(&self) -> CodePrecedence {
        Precedence::from_stored(&self.0.code_precedence).into()
    }

    /// Share of revenue kept as gross margin (0..1), used by ROI.
    async fn gross_margin(&self) -> Result<Decimal, AppError> {
        rust_decimal::Decimal::from_str(&self.0.gross_margin)
            .map(Decimal)
            .map_err(AppError::internal)
    }

    /// Smallest balance a creator must reach to be paid.
    async fn minimum_payout(&self) -> Result<MoneyObject, AppError> {
        Ok(Money::new(self.0.minimum_payout_minor, self.currency()?).into())
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }
}

/// 1 unit of `currencyCode` = `rate` units of the brand currency on `date` (brand timezone).
pub struct ExchangeRate(pub exchange_rate::Model);

#[Object]
impl ExchangeRate {
    async fn currency_code(&self) -> Result<CurrencyCode, AppError> {
        Currency::parse(&self.0.currency_code)
            .map(CurrencyCode)
            .map_err(AppError::internal)
    }

    async fn date(&self) -> Date {
        Date(self.0.rate_date)
    }

    async fn rate(&self) -> Result<Decimal, AppError> {
        rust_decimal::Decimal::from_str(&self.0.rate)
            .map(Decimal)
            .map_err(AppError::internal)
    }

    async fn updated_at(&self) -> DateTime {
        self.0.updated_at.into()
    }
}

/// Only the fields given change.
#[derive(InputObject)]
pub struct UpdateBrandSettingsInput {
    pub name: Option<String>,
    /// IANA timezone, e.g. "Europe/Berlin".
    pub timezone: Option<String>,
    /// 1..365 days from click to conversion.
    pub attribution_window_days: Option<i32>,
    /// 0..365 days a commission stays PENDING (offers may override).
    pub hold_period_days: Option<i32>,
    /// 0..730 days after a conversion from which refunds no longer reverse its commission;
    /// null removes the lock.
    pub lock_period_days: async_graphql::MaybeUndefined<i32>,
    pub attribution_model: Option<AttributionModel>,
    pub code_precedence: Option<CodePrecedence>,
    /// 0..1, used by ROI.
    pub gross_margin: Option<Decimal>,
    /// In the brand currency, not negative.
    pub minimum_payout: Option<MoneyInput>,
}

#[derive(InputObject)]
pub struct SetExchangeRateInput {
    /// A currency other than the brand's.
    pub currency_code: CurrencyCode,
    pub date: Date,
    /// Units of the brand currency for 1 unit of `currencyCode`; positive.
    pub rate: Decimal,
}
