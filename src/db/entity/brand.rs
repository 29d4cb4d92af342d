//! Entity for the `brands` table.

use sea_orm::entity::prelude::*;

/// A brand: the tenant. Every other brand-owned row points here.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "brands")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    /// Reporting currency (ISO 4217).
    #[sea_orm(column_type = "Char(Some(3))")]
    pub currency_code: String,
    /// IANA time zone name; days, weeks and months are cut in it.
    pub timezone: String,
    pub attribution_window_days: i32,
    pub hold_period_days: i32,
    /// Days after a conversion's `occurred_at` from which refunds no longer reverse its
    /// commission; null: never locked (DOMAIN rule 4).
    pub lock_period_days: Option<i32>,
    /// `CLICK_ID` | `LAST_CLICK` | `FIRST_CLICK` (DOMAIN rule 2).
    #[sea_orm(column_type = "Text")]
    pub attribution_model: String,
    /// `CODE_WINS` | `CLICK_WINS`.
    #[sea_orm(column_type = "Text")]
    pub code_precedence: String,
    /// Decimal string in 0..1, e.g. `"0.6"`.
    #[sea_orm(column_type = "Text")]
    pub gross_margin: String,
    /// Minimum payout balance, minor units of `currency_code`.
    pub minimum_payout_minor: i64,
    /// Last change-feed position handed out (see migration 000006).
    pub last_change_seq: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
