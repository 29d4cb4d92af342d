use async_graphql::{Context, Enum, ID, InputObject, Json, Object};

use crate::db::entity::fraud_flag;
use crate::domain::fraud;
use crate::error::AppError;
use crate::graphql::context;
use crate::graphql::enums::stored;
use crate::graphql::id::{self, NodeKind};
use crate::graphql::ingest::types::Conversion;
use crate::graphql::loaders::failed;
use crate::graphql::scalars::DateTime;
use crate::service::fraud::RuleSetting;

/// The fraud rules (DOMAIN rule 8), each on or off per brand with its parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "fraud::Rule")]
pub enum FraudRuleKind {
    /// The customer's email hash is the creator's (attribution's self-referral).
    SelfReferral,
    /// The customer's email domain is on the shipped disposable-domain list.
    DisposableEmail,
    /// The conversion came less than `seconds` (default 5) after its click.
    TooFast,
    /// A visitor's clicks on one link beyond `maxClicksPerHour` (default 10) in an hour are
    /// stored as bots; a conversion naming such a click is flagged.
    ClickSpam,
    /// The click's referrer host matches one of `referrerPatterns` (`*` matches anything).
    BannedReferrer,
    /// The click landed with gclid, fbclid, ttclid or msclkid and its campaign
    /// `forbidsPaidSearch`.
    PaidTraffic,
    /// Over 7 days, more than `percent` (default 50) of a code's conversions (at least
    /// `minConversions`, default 5) had no click of its creator; or the click came from a
    /// coupon site on the shipped list.
    CodeLeak,
    /// One customer email hash behind more than `maxCustomerKeys` (default 2) customer keys in
    /// 30 days.
    DuplicateCustomer,
}

/// OPEN until staff APPROVE or REJECT the flag (once).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "fraud::FlagStatus")]
pub enum FraudFlagStatus {
    Open,
    Approved,
    Rejected,
}

/// Staff's decision on a flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum FraudDecision {
    /// Honest: the held lines follow the normal hold period.
    Approve,
    /// Fraud: REVERSAL lines net the commission to zero and the attribution becomes NONE.
    Reject,
}

impl From<FraudDecision> for fraud::Decision {
    fn from(value: FraudDecision) -> Self {
        match value {
            FraudDecision::Approve => Self::Approve,
            FraudDecision::Reject => Self::Reject,
        }
    }
}

/// A brand's setting of one rule. A parameter the rule does not take is null.
pub struct FraudRule(pub RuleSetting);

#[Object]
impl FraudRule {
    async fn rule(&self) -> FraudRuleKind {
        self.0.rule.into()
    }

    /// Off by default: a rule only runs once an ADMIN turns it on.
    async fn enabled(&self) -> bool {
        self.0.enabled
    }

    /// TOO_FAST: seconds from click to conversion under which it is flagged (0..86400).
    async fn seconds(&self) -> Option<i64> {
        self.0.parameters.seconds
    }

    /// CLICK_SPAM: clicks of one visitor on one link per hour before the extra ones are bots.
    async fn max_clicks_per_hour(&self) -> Option<i64> {
        self.0.parameters.max_clicks_per_hour
    }

    /// BANNED_REFERRER: referrer host patterns; `*` matches any run of characters.
    async fn referrer_patterns(&self) -> Option<Vec<String>> {
        self.0.parameters.referrer_patterns.clone()
    }

    /// CODE_LEAK: the share (0..100) of a code's conversions without a click of its creator,
    /// over 7 days, above which its conversions are flagged.
    async fn percent(&self) -> Option<i64> {
        self.0.parameters.percent
    }

    /// CODE_LEAK: conversions of the code in the 7 days before the share is judged.
    async fn min_conversions(&self) -> Option<i64> {
        self.0.parameters.min_conversions
    }

    /// DUPLICATE_CUSTOMER: customer keys one email hash may have in 30 days.
    async fn max_customer_keys(&self) -> Option<i64> {
        self.0.parameters.max_customer_keys
    }

    /// When an ADMIN last changed it (null: never, the defaults apply).
    async fn updated_at(&self) -> Option<DateTime> {
        self.0.updated_at.map(Into::into)
    }
}

/// Turns a rule on or off and sets its parameters; fields left out keep their value. A
/// parameter of another rule, or out of range, is BAD_USER_INPUT naming it.
#[derive(InputObject)]
pub struct UpdateFraudRuleInput {
    pub rule: FraudRuleKind,
    pub enabled: Option<bool>,
    /// TOO_FAST, 0..86400.
    pub seconds: Option<i64>,
    /// CLICK_SPAM, 1..100000.
    pub max_clicks_per_hour: Option<i64>,
    /// BANNED_REFERRER: at most 100 non-empty host patterns (letters, digits, `.`, `-`, `*`).
    pub referrer_patterns: Option<Vec<String>>,
    /// CODE_LEAK, 0..100.
    pub percent: Option<i64>,
    /// CODE_LEAK, 1..100000.
    pub min_conversions: Option<i64>,
    /// DUPLICATE_CUSTOMER, 1..1000.
    pub max_customer_keys: Option<i64>,
}

impl UpdateFraudRuleInput {
    pub fn parameters(&self) -> fraud::Parameters {
        fraud::Parameters {
            seconds: self.seconds,
            max_clicks_per_hour: self.max_clicks_per_hour,
            referrer_patterns: self.referrer_patterns.clone(),
            percent: self.percent,
            min_conversions: self.min_conversions,
            max_customer_keys: self.max_customer_keys,
        }
    }
}

/// A conversion a fraud rule flagged at ingestion; its commission lines are ON_HOLD until staff
/// resolve the flag (`resolveFraudFlag`). Staff only: creators see "under review" (ON_HOLD),
/// never the rule or the evidence.
pub struct FraudFlag(pub fraud_flag::Model);

#[Object]
impl FraudFlag {
    pub async fn id(&self) -> ID {
        id::encode(NodeKind::FraudFlag, self.0.id)
    }

    /// The first rule that matched (DOMAIN rule 8's order); `evidence.rules` lists them all.
    async fn rule(&self) -> Result<FraudRuleKind, AppError> {
        stored(&self.0.rule, fraud::Rule::parse)
    }

    async fn status(&self) -> Result<FraudFlagStatus, AppError> {
        stored(&self.0.status, fraud::FlagStatus::parse)
    }

    /// What the rules saw: `{"rules": [...], "details": {RULE: {...}}}`. Email domains and
    /// hashes only, never an email address.
    async fn evidence(&self) -> Result<Json<serde_json::Value>, AppError> {
        serde_json::from_str(&self.0.evidence)
            .map(Json)
            .map_err(AppError::internal)
    }

    async fn conversion(&self, ctx: &Context<'_>) -> Result<Conversion, AppError> {
        context::loaders(ctx)?
            .conversions()
            .load_one(self.0.conversion_id)
            .await
            .map_err(failed)?
            .map(Conversion)
            .ok_or(AppError::NotFound)
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    async fn resolved_at(&self) -> Option<DateTime> {
        self.0.resolved_at.map(Into::into)
    }

    /// The reviewer's note.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
}
