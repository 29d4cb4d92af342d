//! Fraud rules at work (issue #23, DOMAIN rule 8), after the ledger controls so that the
//! traffic above was recorded with every rule off (its figures stay as they were): the demo
//! ADMIN turns four rules on, then a few orders trip them, each held for review with its
//! commission ON_HOLD. One is rejected (attribution NONE, commission reversed); the others stay
//! OPEN in the review queue (`fraudFlags(status: OPEN)`).

use chrono::Duration;

use super::traffic::all_accepted;
use super::{Demo, LoadError, StepContext};
use crate::domain::conversion::Kind;
use crate::domain::fraud::{Decision, Parameters, Rule};
use crate::service::fraud;
use crate::service::ingest::clicks::{self, ClickItem};
use crate::service::ingest::conversions::{self, ConversionItem};

/// The rules the demo turns on (CLICK_SPAM stays off: the traffic's counts of bots are fixed).
pub const RULES_ON: [Rule; 4] = [
    Rule::DisposableEmail,
    Rule::TooFast,
    Rule::BannedReferrer,
    Rule::CodeLeak,
];
/// The banned referrer pattern.
pub const BANNED_PATTERN: &str = "*.clickfarm.example";
/// Clicks and orders the scenarios add (every order is flagged).
pub const CLICK_COUNT: usize = 3;
pub const SALE_COUNT: usize = 4;
/// The order the demo ADMIN rejects.
pub const REJECTED_ORDER: &str = "demo-fraud-clickfarm";

pub(super) async fn load(demo: &Demo<'_>) -> Result<(), LoadError> {
    for rule in RULES_ON {
        let change = match rule {
            Rule::TooFast => Parameters {
                seconds: Some(5),
                ..Parameters::default()
            },
            Rule::BannedReferrer => Parameters {
                referrer_patterns: Some(vec![BANNED_PATTERN.to_owned()]),
                ..Parameters::default()
            },
            _ => Parameters::default(),
        };
        demo.audited(
            "updateFraudRule",
            fraud::update_rule(demo.db, &demo.admin, rule, Some(true), change, demo.now),
        )
        .await
        .step(|| format!("fraud rule {rule}"))?;
    }
    let at = |minutes: i64| demo.now - Duration::minutes(minutes);
    let click = |id: &str, link: &str, minutes: i64, referrer: Option<&str>| ClickItem {
        link_code: link.to_owned(),
        click_id: Some(id.to_owned()),
        occurred_at: at(minutes),
        visitor_key: Some(format!("visitor-{id}")),
        user_agent: Some("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)".into()),
        referrer: referrer.map(str::to_owned),
        country: Some("US".into()),
        landing_url: None,
    };
    let clicks = vec![
        click("demo-fraud-c1", "glow-maya", 180, None),
        click(
            "demo-fraud-c2",
            "glow-leo",
            120,
            Some("https://promo.clickfarm.example/offers"),
        ),
        click(
            "demo-fraud-c3",
            "glow-ana",
            60,
            Some("https://www.retailmenot.com/view/glowbotanics.com"),
        ),
    ];
    let results = clicks::record(demo.db, &demo.integrator, clicks, demo.now)
        .await
        .step(|| "fraud clicks".into())?;
    all_accepted("fraud click", results)?;
    let order = |id: &str, minutes: i64, seconds: i64, email: &str| ConversionItem {
        external_id: id.to_owned(),
        kind: Kind::Sale,
        occurred_at: at(minutes) + Duration::seconds(seconds),
        amount: Some(rust_decimal::Decimal::new(6400, 2)),
        currency: None,
        customer_key: Some(format!("customer-{id}")),
        customer_email: Some(email.to_owned()),
        new_customer: None,
        click_id: None,
        discount_code: None,
        region: Some("US-NJ".into()),
    };
    let orders = vec![
        // A throwaway address with Maya's code.
        ConversionItem {
            discount_code: Some("MAYA15".into()),
            ..order("demo-fraud-disposable", 240, 0, "glowfan@mailinator.com")
        },
        // Two seconds after the click: no one shops that fast.
        ConversionItem {
            click_id: Some("demo-fraud-c1".into()),
            ..order("demo-fraud-too-fast", 180, 2, "jo.shopper@example.net")
        },
        // A click from a click farm.
        ConversionItem {
            click_id: Some("demo-fraud-c2".into()),
            ..order(REJECTED_ORDER, 110, 0, "kim.buyer@example.net")
        },
        // Ana's code, found on a coupon site.
        ConversionItem {
            click_id: Some("demo-fraud-c3".into()),
            discount_code: Some("ANA15".into()),
            ..order("demo-fraud-coupon", 55, 0, "lee.deals@example.net")
        },
    ];
    let results = conversions::record(demo.db, &demo.integrator, orders, demo.now)
        .await
        .step(|| "fraud orders".into())?;
    all_accepted("fraud order", results)?;
    let (flags, _) = fraud::flags(
        demo.db,
        &demo.admin,
        None,
        Some(Rule::BannedReferrer),
        crate::service::page::KeysetPage {
            after: None,
            limit: 10,
            count: false,
        },
    )
    .await
    .step(|| "fraud flags".into())?;
    let Some(farm) = flags.first() else {
        return Err(LoadError::Step {
            step: "fraud flags".into(),
            detail: "the click-farm order was not flagged".into(),
        });
    };
    demo.audited(
        "resolveFraudFlag",
        fraud::resolve(
            demo.db,
            &demo.admin,
            farm.id,
            Decision::Reject,
            Some("Referred by a click farm (demo)"),
            demo.now,
        ),
    )
    .await
    .step(|| "reject the click-farm order".into())?;
    Ok(())
}
