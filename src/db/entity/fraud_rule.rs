//! Entity for the `fraud_rules` table.

use sea_orm::entity::prelude::*;

/// A brand's setting of one fraud rule (DOMAIN rule 8); a rule without a row has its defaults.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "fraud_rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    /// `SELF_REFERRAL` | `DISPOSABLE_EMAIL` | ... (`domain::fraud::Rule`).
    pub rule: String,
    pub enabled: bool,
    /// The rule's parameters, a JSON object (`domain::fraud::Parameters`).
    #[sea_orm(column_type = "Text")]
    pub parameters: String,
    pub updated_by_user_id: Option<i64>,
    pub updated_at: DateTimeUtc,
    /// CODE_LEAK only: the hour from which `code_leak_hours` holds every conversion of the
    /// brand's codes; `None` while the rule is off or its counts are not built yet.
    pub counted_from: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
