//! SeaORM entities, one module per table, mirroring the `migration` crate (the source of
//! truth for the schema). Enums, decimals and lists are plain `String`s here (UPPER_CASE names,
//! decimal strings, JSON arrays); typed parsing belongs to the services and domain code.
//! Money is always a `*_minor: i64` next to a `currency_code`.

pub mod prelude;

pub mod api_key;
pub mod audit_entry;
pub mod brand;
pub mod brand_daily_rollup;
pub mod brand_monthly_rollup;
pub mod brand_weekly_rollup;
pub mod campaign;
pub mod channel;
pub mod click;
pub mod code_leak_hour;
pub mod commission;
pub mod connector;
pub mod conversion;
pub mod cost;
pub mod creator;
pub mod daily_rollup;
pub mod daily_sketch;
pub mod deliverable;
pub mod discount_code;
pub mod enrollment;
pub mod exchange_rate;
pub mod experiment;
pub mod experiment_region;
pub mod export;
pub mod fraud_flag;
pub mod fraud_rule;
pub mod import;
pub mod import_rejection;
pub mod invite;
pub mod mail_message;
pub mod monthly_rollup;
pub mod monthly_sketch;
pub mod offer;
pub mod offer_tier;
pub mod password_reset;
pub mod payout;
pub mod refresh_token;
pub mod refund;
pub mod tracking_link;
pub mod user;
pub mod webhook_delivery;
pub mod webhook_endpoint;
pub mod weekly_rollup;
pub mod weekly_sketch;
