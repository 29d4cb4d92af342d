use async_graphql::{Context, Enum, ID, InputObject, Object};

use crate::db::entity::payout;
use crate::domain::commission;
use crate::error::AppError;
use crate::graphql::brand::types::Brand;
use crate::graphql::context;
use crate::graphql::creator::types::Creator;
use crate::graphql::enums::stored;
use crate::graphql::id::{self, NodeKind};
use crate::graphql::loaders::failed;
use crate::graphql::money::{MoneyObject, stored as money};
use crate::graphql::scalars::DateTime;

/// PENDING until paid; PAID; FAILED or CANCELED (their lines go back to the next run).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "commission::PayoutStatus")]
pub enum PayoutStatus {
    Pending,
    Paid,
    Failed,
    Canceled,
}

/// Money owed to a creator for a period: the sum of its lines.
pub struct Payout(pub payout::Model);

#[Object]
impl Payout {
    pub async fn id(&self) -> ID {
        id::encode(NodeKind::Payout, self.0.id)
    }

    async fn status(&self) -> Result<PayoutStatus, AppError> {
        stored(&self.0.status, commission::PayoutStatus::parse)
    }

    async fn amount(&self) -> Result<MoneyObject, AppError> {
        money(self.0.amount_minor, &self.0.currency_code)
    }

    /// Lines included (reversals of earlier paid lines count too).
    async fn commission_count(&self) -> i32 {
        self.0.commission_count
    }

    async fn period_end(&self) -> DateTime {
        self.0.period_end.into()
    }

    async fn creator(&self, ctx: &Context<'_>) -> Result<Creator, AppError> {
        context::loaders(ctx)?
            .creators()
            .load_one(self.0.creator_id)
            .await
            .map_err(failed)?
            .map(Creator::from)
            .ok_or(AppError::NotFound)
    }

    async fn brand(&self, ctx: &Context<'_>) -> Result<Brand, AppError> {
        crate::graphql::brand::types::load(ctx, self.0.brand_id).await
    }

    /// The payment's reference (bank transfer id, PayPal batch, ...).
    async fn reference(&self) -> Option<&str> {
        self.0.reference.as_deref()
    }

    async fn paid_at(&self) -> Option<DateTime> {
        self.0.paid_at.map(DateTime)
    }

    async fn failure_reason(&self) -> Option<&str> {
        self.0.failure_reason.as_deref()
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }
}

#[derive(InputObject)]
pub struct CreatePayoutsInput {
    /// Lines dated and out of hold by then are gathered; not in the future.
    pub period_end: DateTime,
}

#[derive(InputObject)]
pub struct MarkPayoutPaidInput {
    pub payout_id: ID,
    pub reference: String,
}

pub struct CreatePayoutsPayload {
    pub payouts: Vec<Payout>,
}

#[Object]
impl CreatePayoutsPayload {
    /// One per creator whose balance reached the brand minimum.
    async fn payouts(&self) -> Vec<Payout> {
        self.payouts.iter().map(|p| Payout(p.0.clone())).collect()
    }
}
