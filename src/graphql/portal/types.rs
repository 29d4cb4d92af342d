use async_graphql::{Context, Enum, ID, Object, SimpleObject};

use crate::db::entity::commission;
use crate::domain::commission::{self as rules, effective_status};
use crate::domain::money::{Currency, Money};
use crate::error::AppError;
use crate::graphql::brand::types::Brand;
use crate::graphql::campaign::types::Campaign;
use crate::graphql::context;
use crate::graphql::id::{self, NodeKind};
use crate::graphql::ingest::types::CommissionStatus;
use crate::graphql::loaders::failed;
use crate::graphql::money::{MoneyObject, stored as money};
use crate::graphql::scalars::{CurrencyCode, DateTime, Decimal};
use crate::service::portal::BrandEarnings;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "rules::Kind")]
pub enum CommissionKind {
    Cpa,
    Cpl,
    Cpc,
    RevenueShare,
    FlatFee,
    Bonus,
    Adjustment,
    Reversal,
    /// Taken back by an ADMIN from a conversion, with a reason (negative).
    Clawback,
}

/// A ledger line: what a creator earned (or gave back) for a conversion, fee or adjustment.
pub struct Commission(pub commission::Model);

#[Object]
impl Commission {
    pub async fn id(&self) -> ID {
        id::encode(NodeKind::Commission, self.0.id)
    }

    async fn kind(&self) -> Result<CommissionKind, AppError> {
        crate::graphql::enums::stored(&self.0.kind, rules::Kind::parse)
    }

    /// PENDING until `holdUntil`, then APPROVED (as soon as it is due), PAID through a payout,
    /// or REVERSED when its conversion was fully refunded (or rejected as fraud) before
    /// payment; ON_HOLD ("under review") while a fraud flag on its conversion is open.
    async fn status(&self, ctx: &Context<'_>) -> Result<CommissionStatus, AppError> {
        let stored = rules::Status::parse(&self.0.status)
            .ok_or_else(|| AppError::internal("stored commission status"))?;
        Ok(effective_status(stored, self.0.hold_until, context::now(ctx)).into())
    }

    async fn amount(&self) -> Result<MoneyObject, AppError> {
        money(self.0.amount_minor, &self.0.currency_code)
    }

    async fn hold_until(&self) -> DateTime {
        self.0.hold_until.into()
    }

    /// The date the line counts for (its conversion's, or its enrollment's activation).
    async fn occurred_at(&self) -> DateTime {
        self.0.occurred_at.into()
    }

    /// Why it was added (adjustments, bonuses, clawbacks).
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }

    async fn campaign(&self, ctx: &Context<'_>) -> Result<Campaign, AppError> {
        context::loaders(ctx)?
            .campaigns()
            .load_one(self.0.campaign_id)
            .await
            .map_err(failed)?
            .map(Campaign)
            .ok_or(AppError::NotFound)
    }

    async fn brand(&self, ctx: &Context<'_>) -> Result<Brand, AppError> {
        crate::graphql::brand::types::load(ctx, self.0.brand_id).await
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }
}

fn amount(minor: i64, currency: &str) -> Result<Decimal, AppError> {
    let currency = Currency::parse(currency).map_err(AppError::internal)?;
    Ok(Decimal(Money::new(minor, currency).to_decimal()))
}

/// Totals of one currency over every brand that reports in it.
#[derive(SimpleObject)]
pub struct EarningsTotal {
    pub currency_code: CurrencyCode,
    pub pending: Decimal,
    pub approved: Decimal,
    pub paid: Decimal,
}

pub struct BrandEarningsObject(pub BrandEarnings);

#[Object(name = "BrandEarnings")]
impl BrandEarningsObject {
    async fn brand(&self, ctx: &Context<'_>) -> Result<Brand, AppError> {
        crate::graphql::brand::types::load(ctx, self.0.brand_id).await
    }

    async fn pending(&self) -> Result<MoneyObject, AppError> {
        money(self.0.balances.pending_minor, &self.0.currency_code)
    }

    async fn approved(&self) -> Result<MoneyObject, AppError> {
        money(self.0.balances.approved_minor, &self.0.currency_code)
    }

    async fn paid(&self) -> Result<MoneyObject, AppError> {
        money(self.0.balances.paid_minor, &self.0.currency_code)
    }
}

pub struct Earnings(pub Vec<BrandEarnings>);

#[Object]
impl Earnings {
    /// Per currency, over all brands.
    async fn totals(&self) -> Result<Vec<EarningsTotal>, AppError> {
        let mut sums: std::collections::BTreeMap<String, (i64, i64, i64)> = Default::default();
        for brand in &self.0 {
            let entry = sums.entry(brand.currency_code.clone()).or_default();
            entry.0 += brand.balances.pending_minor;
            entry.1 += brand.balances.approved_minor;
            entry.2 += brand.balances.paid_minor;
        }
        sums.into_iter()
            .map(|(code, (pending, approved, paid))| {
                Ok(EarningsTotal {
                    currency_code: CurrencyCode(
                        Currency::parse(&code).map_err(AppError::internal)?,
                    ),
                    pending: amount(pending, &code)?,
                    approved: amount(approved, &code)?,
                    paid: amount(paid, &code)?,
                })
            })
            .collect()
    }

    /// One entry per brand the creator works with.
    async fn by_brand(&self) -> Vec<BrandEarningsObject> {
        self.0.iter().cloned().map(BrandEarningsObject).collect()
    }
}

/// A creator account's mail preferences.
pub struct NotificationSettings(pub crate::service::notifications::NotificationSettings);

#[async_graphql::Object]
impl NotificationSettings {
    /// Whether the account gets a mail when commissions pass their hold and are approved (one
    /// mail per brand and check, summing the lines). Payout and security mail always go out.
    async fn commission_approved_emails(&self) -> bool {
        self.0.commission_approved_emails
    }
}

#[derive(async_graphql::InputObject)]
pub struct UpdateNotificationSettingsInput {
    /// Get the "commission approved" mail.
    pub commission_approved_emails: Option<bool>,
}
