use async_graphql::{Context, ID, Object};

use super::types::{
    CreatePayoutsInput, CreatePayoutsPayload, MarkPayoutPaidInput, Payout, PayoutStatus,
};
use crate::domain::commission;
use crate::error::AppError;
use crate::graphql::connection::{Page, PageRequest, id_page};
use crate::graphql::context;
use crate::graphql::id::{self, NodeKind};
use crate::service::payouts;

#[derive(Default)]
pub struct PayoutMutation;

#[Object]
impl PayoutMutation {
    /// ADMIN, MANAGER: gathers approved, unpaid lines up to `periodEnd` into one payout per
    /// creator whose balance reaches the brand minimum.
    async fn create_payouts(
        &self,
        ctx: &Context<'_>,
        input: CreatePayoutsInput,
    ) -> Result<CreatePayoutsPayload, AppError> {
        let created = payouts::create(
            context::db(ctx)?,
            context::actor(ctx)?,
            input.period_end.0,
            context::now(ctx),
        )
        .await?;
        Ok(CreatePayoutsPayload {
            payouts: created.into_iter().map(Payout).collect(),
        })
    }

    /// ADMIN: the payout was paid; its lines become PAID.
    async fn mark_payout_paid(
        &self,
        ctx: &Context<'_>,
        input: MarkPayoutPaidInput,
    ) -> Result<Payout, AppError> {
        let payout_id = id::decode_as(&input.payout_id, NodeKind::Payout, "payoutId")?;
        let paid = payouts::mark_paid(
            context::db(ctx)?,
            context::actor(ctx)?,
            payout_id,
            &input.reference,
            context::now(ctx),
        )
        .await?;
        Ok(Payout(paid))
    }

    /// ADMIN: the payment failed or is called off (`status` FAILED or CANCELED); the lines return
    /// to the next run.
    async fn release_payout(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: PayoutStatus,
        reason: Option<String>,
    ) -> Result<Payout, AppError> {
        let payout_id = id::decode_as(&id, NodeKind::Payout, "id")?;
        let released = payouts::release(
            context::db(ctx)?,
            context::actor(ctx)?,
            payout_id,
            commission::PayoutStatus::from(status),
            reason,
            context::now(ctx),
        )
        .await?;
        Ok(Payout(released))
    }
}

#[derive(async_graphql::InputObject)]
pub struct AddCommissionInput {
    pub enrollment_id: ID,
    /// BONUS (positive) or ADJUSTMENT (either sign).
    pub kind: crate::graphql::portal::types::CommissionKind,
    /// In the brand currency.
    pub amount: crate::graphql::money::MoneyInput,
    pub reason: String,
}

#[derive(Default)]
pub struct LedgerMutation;

#[Object]
impl LedgerMutation {
    /// ADMIN: a manual BONUS or ADJUSTMENT line with a reason; approved at once.
    async fn add_commission(
        &self,
        ctx: &Context<'_>,
        input: AddCommissionInput,
    ) -> Result<crate::graphql::portal::types::Commission, AppError> {
        let enrollment_id =
            id::decode_as(&input.enrollment_id, NodeKind::Enrollment, "enrollmentId")
                .map_err(|_| AppError::bad_input("enrollmentId", "no such enrollment"))?;
        let line = crate::service::ledger::add_manual(
            context::db(ctx)?,
            context::actor(ctx)?,
            enrollment_id,
            input.kind.into(),
            input.amount.to_money("amount")?,
            &input.reason,
            context::now(ctx),
        )
        .await?;
        Ok(crate::graphql::portal::types::Commission(line))
    }

    /// ADMIN: takes back `amount` (positive, in the brand currency) of a conversion's commission,
    /// with a reason: a negative CLAWBACK line, netted in the creator's next payout. At most the
    /// conversion's net commission.
    async fn create_clawback(
        &self,
        ctx: &Context<'_>,
        conversion_id: ID,
        amount: crate::graphql::money::MoneyInput,
        reason: String,
    ) -> Result<crate::graphql::portal::types::Commission, AppError> {
        let conversion_id = id::decode_as(&conversion_id, NodeKind::Conversion, "conversionId")?;
        let line = crate::service::ledger::claw_back(
            context::db(ctx)?,
            context::actor(ctx)?,
            conversion_id,
            amount.to_money("amount")?,
            &reason,
            context::now(ctx),
        )
        .await?;
        Ok(crate::graphql::portal::types::Commission(line))
    }
}

#[derive(Default)]
pub struct PayoutQuery;

#[Object]
impl PayoutQuery {
    /// Staff: the brand's payouts, oldest first.
    async fn payouts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        status: Option<PayoutStatus>,
    ) -> Result<Page<Payout>, AppError> {
        let request = PageRequest::new(first, after)?.counting(ctx);
        let rows = payouts::list(
            context::db(ctx)?,
            context::actor(ctx)?,
            status.map(Into::into),
            request.by_id()?,
        )
        .await?;
        Ok(id_page(&request, rows, |p| p.id, Payout))
    }
}
