use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};

use crate::auth::Role;
use crate::db::entity::conversion;
use crate::domain::commission::{Status as LineStatus, effective_status, summary_status};
use crate::domain::{attribution, commission, conversion as rules};
use crate::error::AppError;
use crate::graphql::campaign::types::{Campaign, Enrollment, Offer};
use crate::graphql::context;
use crate::graphql::creator::types::Creator;
use crate::graphql::enums::stored;
use crate::graphql::fraud::types::{FraudFlag, FraudRuleKind};
use crate::graphql::id::{self, NodeKind};
use crate::graphql::loaders::failed;
use crate::graphql::money::{MoneyObject, stored as money};
use crate::graphql::scalars::{CurrencyCode, DateTime, Decimal};
use crate::service::ingest::batch::{ItemResult, ItemStatus};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "rules::Kind")]
pub enum ConversionKind {
    Sale,
    Lead,
}

/// RECORDED until refunded; PARTIALLY_REFUNDED; REFUNDED when refunds reach the amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "rules::Status")]
pub enum ConversionStatus {
    Recorded,
    PartiallyRefunded,
    Refunded,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "attribution::Method")]
pub enum AttributionMethod {
    Click,
    Code,
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "commission::Status")]
pub enum CommissionStatus {
    Pending,
    Approved,
    Paid,
    Reversed,
    /// Under review: a fraud flag on the conversion is open; never paid until it is resolved.
    OnHold,
}

/// An order (SALE) or lead (LEAD) reported by the brand's store or network.
pub struct Conversion(pub conversion::Model);

#[Object]
impl Conversion {
    pub async fn id(&self) -> ID {
        id::encode(NodeKind::Conversion, self.0.id)
    }

    /// The order or lead id in the brand's system (unique in the brand).
    async fn external_id(&self) -> &str {
        &self.0.external_id
    }

    async fn kind(&self) -> Result<ConversionKind, AppError> {
        stored(&self.0.kind, rules::Kind::parse)
    }

    async fn status(&self) -> Result<ConversionStatus, AppError> {
        stored(&self.0.status, rules::Status::parse)
    }

    async fn occurred_at(&self) -> DateTime {
        self.0.occurred_at.into()
    }

    /// As reported.
    async fn amount(&self) -> Result<MoneyObject, AppError> {
        money(self.0.amount_minor, &self.0.currency_code)
    }

    /// In the brand currency, with the rate of the conversion's day.
    async fn brand_amount(&self, ctx: &Context<'_>) -> Result<MoneyObject, AppError> {
        money(
            self.0.brand_amount_minor,
            &brand_currency(ctx, self.0.brand_id).await?,
        )
    }

    /// The rate used for `brandAmount`; null in the brand currency.
    async fn exchange_rate(&self) -> Result<Option<Decimal>, AppError> {
        self.0
            .exchange_rate
            .as_deref()
            .map(|r| crate::service::creators::stored_decimal(r).map(Decimal))
            .transpose()
    }

    /// Total refunded, in the conversion's currency.
    async fn refunded_amount(&self) -> Result<MoneyObject, AppError> {
        money(self.0.refunded_minor, &self.0.currency_code)
    }

    async fn brand_refunded_amount(&self, ctx: &Context<'_>) -> Result<MoneyObject, AppError> {
        money(
            self.0.refunded_brand_minor,
            &brand_currency(ctx, self.0.brand_id).await?,
        )
    }

    async fn new_customer(&self) -> bool {
        self.0.new_customer
    }

    /// The brand's customer id; hidden from creators.
    async fn customer_key(&self, ctx: &Context<'_>) -> Result<Option<&str>, AppError> {
        Ok(staff(ctx)?
            .then_some(self.0.customer_key.as_deref())
            .flatten())
    }

    async fn region(&self) -> Option<&str> {
        self.0.region.as_deref()
    }

    async fn click_id(&self) -> Option<&str> {
        self.0.click_id.as_deref()
    }

    async fn discount_code(&self) -> Option<&str> {
        self.0.discount_code.as_deref()
    }

    async fn attribution(&self) -> Attribution {
        Attribution(self.0.clone())
    }

    /// The conversion's commission lines taken together; null when it earned none.
    async fn commission(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<ConversionCommission>, AppError> {
        let lines = context::loaders(ctx)?
            .commission_lines()
            .load_one(self.0.id)
            .await
            .map_err(failed)?
            .unwrap_or_default();
        if lines.is_empty() {
            return Ok(None);
        }
        let now = context::now(ctx);
        let mut statuses = Vec::with_capacity(lines.len());
        for line in &lines {
            let status = commission::Status::parse(&line.status)
                .ok_or_else(|| AppError::internal("stored commission status"))?;
            statuses.push(effective_status(status, line.hold_until, now));
        }
        let status = summary_status(&statuses).unwrap_or(LineStatus::Pending);
        let total: i64 = lines.iter().map(|l| l.amount_minor).sum();
        let hold_until = lines.iter().map(|l| l.hold_until).max().unwrap_or(now);
        Ok(Some(ConversionCommission {
            amount: money(total, &lines[0].currency_code)?,
            status: status.into(),
            hold_until: hold_until.into(),
        }))
    }

    /// Staff (ADMIN, MANAGER, ANALYST): the fraud flag that holds or held it for review, if a
    /// rule flagged it (null for other callers).
    async fn fraud_flag(&self, ctx: &Context<'_>) -> Result<Option<FraudFlag>, AppError> {
        let role = context::actor(ctx)?.role;
        if !matches!(role, Role::Admin | Role::Manager | Role::Analyst) {
            return Ok(None);
        }
        Ok(context::loaders(ctx)?
            .fraud_flags()
            .load_one(self.0.id)
            .await
            .map_err(failed)?
            .map(FraudFlag))
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    /// When it last changed (attribution, refunds, status).
    async fn updated_at(&self) -> DateTime {
        self.0.updated_at.into()
    }
}

fn staff(ctx: &Context<'_>) -> Result<bool, AppError> {
    Ok(context::actor(ctx)?.role != Role::Creator)
}

async fn brand_currency(ctx: &Context<'_>, brand_id: i64) -> Result<String, AppError> {
    Ok(context::loaders(ctx)?
        .brands()
        .load_one(brand_id)
        .await
        .map_err(failed)?
        .ok_or(AppError::NotFound)?
        .currency_code)
}

#[derive(SimpleObject)]
pub struct ConversionCommission {
    /// The sum of the conversion's lines (reversals included).
    pub amount: MoneyObject,
    pub status: CommissionStatus,
    /// When the last line's hold ends.
    pub hold_until: DateTime,
}

/// Who a conversion is credited to.
pub struct Attribution(conversion::Model);

#[Object]
impl Attribution {
    async fn method(&self) -> Result<AttributionMethod, AppError> {
        stored(&self.0.attribution_method, attribution::Method::parse)
    }

    /// The customer is the creator: attributed, but it earns no commission.
    async fn self_referral(&self) -> bool {
        self.0.self_referral
    }

    /// Staff rejected the conversion's fraud flag for this rule: the method is NONE and it is
    /// credited to nobody.
    async fn rejected_rule(&self) -> Result<Option<FraudRuleKind>, AppError> {
        self.0
            .rejected_rule
            .as_deref()
            .map(|r| stored(r, crate::domain::fraud::Rule::parse))
            .transpose()
    }

    async fn enrollment(&self, ctx: &Context<'_>) -> Result<Option<Enrollment>, AppError> {
        let Some(id) = self.0.enrollment_id else {
            return Ok(None);
        };
        Ok(context::loaders(ctx)?
            .enrollments()
            .load_one(id)
            .await
            .map_err(failed)?
            .map(Enrollment))
    }

    async fn creator(&self, ctx: &Context<'_>) -> Result<Option<Creator>, AppError> {
        let Some(id) = self.0.creator_id else {
            return Ok(None);
        };
        Ok(context::loaders(ctx)?
            .creators()
            .load_one(id)
            .await
            .map_err(failed)?
            .map(Creator::from))
    }

    async fn campaign(&self, ctx: &Context<'_>) -> Result<Option<Campaign>, AppError> {
        let Some(id) = self.0.campaign_id else {
            return Ok(None);
        };
        Ok(context::loaders(ctx)?
            .campaigns()
            .load_one(id)
            .await
            .map_err(failed)?
            .map(Campaign))
    }

    async fn offer(&self, ctx: &Context<'_>) -> Result<Option<Offer>, AppError> {
        let Some(id) = self.0.offer_id else {
            return Ok(None);
        };
        Ok(context::loaders(ctx)?
            .offers()
            .load_one(id)
            .await
            .map_err(failed)?
            .map(Offer))
    }
}

/// How one item of a batch went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum IngestStatus {
    /// Stored now.
    Accepted,
    /// Already known (same external id): the stored result, nothing written.
    Duplicate,
    /// Not stored; see `error`.
    Rejected,
}

impl From<ItemStatus> for IngestStatus {
    fn from(value: ItemStatus) -> Self {
        match value {
            ItemStatus::Accepted => Self::Accepted,
            ItemStatus::Duplicate => Self::Duplicate,
            ItemStatus::Rejected => Self::Rejected,
        }
    }
}

#[derive(SimpleObject)]
pub struct IngestError {
    /// An `extensions.code` value, e.g. BAD_USER_INPUT.
    pub code: String,
    pub message: String,
    /// The input field at fault, when one is.
    pub field: Option<String>,
}

impl From<&AppError> for IngestError {
    fn from(err: &AppError) -> Self {
        Self {
            code: err.code().as_str().to_owned(),
            message: err.to_string(),
            field: err.field().map(str::to_owned),
        }
    }
}

/// How many items of a batch were accepted, were duplicates, were rejected.
#[derive(Clone, Copy, Debug, SimpleObject)]
pub struct BatchCounts {
    pub accepted: usize,
    pub duplicates: usize,
    pub rejected: usize,
}

impl BatchCounts {
    fn of<T>(results: &[ItemResult<T>]) -> Self {
        let count = |status| results.iter().filter(|r| r.status == status).count();
        Self {
            accepted: count(ItemStatus::Accepted),
            duplicates: count(ItemStatus::Duplicate),
            rejected: count(ItemStatus::Rejected),
        }
    }
}

#[derive(SimpleObject)]
pub struct ConversionResult {
    pub external_id: String,
    pub status: IngestStatus,
    pub error: Option<IngestError>,
    pub conversion: Option<Conversion>,
}

#[derive(SimpleObject)]
pub struct RecordConversionsPayload {
    #[graphql(flatten)]
    pub counts: BatchCounts,
    /// One per input item, in input order.
    pub results: Vec<ConversionResult>,
}

impl RecordConversionsPayload {
    pub fn new(results: Vec<ItemResult<conversion::Model>>) -> Self {
        let counts = BatchCounts::of(&results);
        let results = results
            .into_iter()
            .map(|r| ConversionResult {
                status: r.status.into(),
                error: r.error.as_ref().map(IngestError::from),
                conversion: r.value.map(Conversion),
                external_id: r.external_id,
            })
            .collect();
        Self { counts, results }
    }
}

/// One conversion, as the store or network reports it.
#[derive(InputObject)]
pub struct ConversionInput {
    /// The order or lead id, unique in the brand: a repeat is a DUPLICATE.
    pub external_id: String,
    pub kind: ConversionKind,
    pub occurred_at: DateTime,
    /// Required for SALE (net of discounts, before tax and shipping is the usual choice).
    pub amount: Option<Decimal>,
    /// Defaults to the brand currency; others need a rate for the day.
    pub currency_code: Option<CurrencyCode>,
    /// The brand's customer id (new-customer detection, LTV).
    pub customer_key: Option<String>,
    /// Hashed on arrival (self-referral detection); never stored as given.
    pub customer_email: Option<String>,
    /// Overrides new-customer detection.
    pub new_customer: Option<bool>,
    /// `pg_click` from the landing page.
    pub click_id: Option<String>,
    pub discount_code: Option<String>,
    /// Region for geo-holdout experiments (upper-cased).
    pub region: Option<String>,
}

#[derive(InputObject)]
pub struct RecordRefundInput {
    /// The refunded order's external id.
    pub external_id: String,
    /// The refund's own id: a repeat changes nothing.
    pub refund_id: String,
    /// In the order's currency.
    pub amount: Decimal,
    pub occurred_at: DateTime,
    /// Optional; the order's currency when given.
    pub currency_code: Option<CurrencyCode>,
}

/// One click seen by the integrator.
#[derive(InputObject)]
pub struct ClickInput {
    /// The tracking link's code (case-insensitive).
    pub link_code: String,
    /// The click's id (e.g. the `pg_click` value); generated when left out. A repeat is a
    /// DUPLICATE.
    pub click_id: Option<String>,
    pub occurred_at: DateTime,
    /// Any stable visitor identifier; stored only as a hash.
    pub visitor_key: Option<String>,
    /// Bots (known crawlers) are flagged and left out of click metrics.
    pub user_agent: Option<String>,
    /// A URL or host; only the host is kept.
    pub referrer: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    /// The URL the visitor landed on. Only the name of a paid-ad click parameter it carries
    /// (gclid, fbclid, ttclid, msclkid) is kept, for the PAID_TRAFFIC fraud rule.
    pub landing_url: Option<String>,
}

#[derive(SimpleObject)]
pub struct ClickResult {
    pub click_id: String,
    pub status: IngestStatus,
    pub error: Option<IngestError>,
}

#[derive(SimpleObject)]
pub struct RecordClicksPayload {
    #[graphql(flatten)]
    pub counts: BatchCounts,
    /// One per input item, in input order.
    pub results: Vec<ClickResult>,
}

impl RecordClicksPayload {
    pub fn new(results: Vec<ItemResult<crate::db::entity::click::Model>>) -> Self {
        let counts = BatchCounts::of(&results);
        let results = results
            .into_iter()
            .map(|r| ClickResult {
                status: r.status.into(),
                error: r.error.as_ref().map(IngestError::from),
                click_id: r.external_id,
            })
            .collect();
        Self { counts, results }
    }
}
