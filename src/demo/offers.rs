//! Offers: every commission model (CPA and REVENUE_SHARE with volume tiers, CPL, CPC, FLAT_FEE,
//! HYBRID as flat fee + revenue share and as flat fee + CPA), one for new customers only, one
//! with its own hold period, and monthly caps. Created through [`crate::service::offers`].

use std::str::FromStr;

use chrono::Utc;
use rust_decimal::Decimal;

use super::campaigns::{BALM, CLUB, HOLIDAY, SPF, SPRING, usd};
use super::{Demo, LoadError, StepContext};
use crate::domain::money::Money;
use crate::domain::offer::OfferModel;
use crate::service::offers::{self, OfferInput, RatesInput, TierInput};

/// A rate in the plan: money in USD cents, a share as a decimal string of percent.
#[derive(Clone, Copy)]
pub(super) enum Rate {
    Cpa(i64),
    Cpl(i64),
    Cpc(i64),
    Share(&'static str),
    Flat(i64),
}

pub(super) struct OfferPlan {
    pub campaign: &'static str,
    pub key: &'static str,
    pub name: &'static str,
    pub model: OfferModel,
    pub rates: &'static [Rate],
    pub new_customers_only: bool,
    pub hold_period_days: Option<i32>,
    pub monthly_cap: Option<i64>,
    /// From the n-th sale of a month on: the rate (of the offer's per-sale kind).
    pub tiers: &'static [(i32, Rate)],
}

const BASE: OfferPlan = OfferPlan {
    campaign: "",
    key: "",
    name: "",
    model: OfferModel::Cpa,
    rates: &[],
    new_customers_only: false,
    hold_period_days: None,
    monthly_cap: None,
    tiers: &[],
};

pub(super) const OFFERS: [OfferPlan; 7] = [
    OfferPlan {
        campaign: SPRING,
        key: "share",
        name: "15% revenue share",
        model: OfferModel::RevenueShare,
        rates: &[Rate::Share("15")],
        tiers: &[(11, Rate::Share("18")), (26, Rate::Share("20"))],
        ..BASE
    },
    OfferPlan {
        campaign: SPRING,
        key: "hero",
        name: "Hero creators: $500 + 10%",
        model: OfferModel::Hybrid,
        rates: &[Rate::Flat(50_000), Rate::Share("10")],
        ..BASE
    },
    OfferPlan {
        campaign: SPF,
        key: "cpa",
        name: "$20 per new customer",
        model: OfferModel::Cpa,
        rates: &[Rate::Cpa(2_000)],
        new_customers_only: true,
        tiers: &[(11, Rate::Cpa(2_500)), (31, Rate::Cpa(3_000))],
        ..BASE
    },
    OfferPlan {
        campaign: SPF,
        key: "featured",
        name: "Featured creators: $1,200 + $15 per sale",
        model: OfferModel::Hybrid,
        rates: &[Rate::Flat(120_000), Rate::Cpa(1_500)],
        monthly_cap: Some(250_000),
        ..BASE
    },
    OfferPlan {
        campaign: CLUB,
        key: "cpl",
        name: "$3.50 per club sign-up",
        model: OfferModel::Cpl,
        rates: &[Rate::Cpl(350)],
        hold_period_days: Some(14),
        ..BASE
    },
    OfferPlan {
        campaign: HOLIDAY,
        key: "flat",
        name: "Gift guide placement",
        model: OfferModel::FlatFee,
        rates: &[Rate::Flat(80_000)],
        ..BASE
    },
    OfferPlan {
        campaign: BALM,
        key: "cpc",
        name: "$0.40 per waitlist click",
        model: OfferModel::Cpc,
        rates: &[Rate::Cpc(40)],
        monthly_cap: Some(60_000),
        ..BASE
    },
];

fn percent(value: &str) -> Result<Decimal, LoadError> {
    Decimal::from_str(value).map_err(|e| LoadError::Step {
        step: format!("percent {value:?}"),
        detail: e.to_string(),
    })
}

fn cents(minor: i64) -> Money {
    Money::new(minor, usd())
}

/// The plan's rates as the services take them.
pub(super) fn rates(plan: &[Rate]) -> Result<RatesInput, LoadError> {
    let mut rates = RatesInput::default();
    for rate in plan {
        match *rate {
            Rate::Cpa(minor) => rates.cpa = Some(cents(minor)),
            Rate::Cpl(minor) => rates.cpl = Some(cents(minor)),
            Rate::Cpc(minor) => rates.cpc = Some(cents(minor)),
            Rate::Share(value) => rates.revenue_share_percent = Some(percent(value)?),
            Rate::Flat(minor) => rates.flat_fee = Some(cents(minor)),
        }
    }
    Ok(rates)
}

fn tier((from_sale, rate): (i32, Rate)) -> Result<TierInput, LoadError> {
    let (cpa, revenue_share_percent) = match rate {
        Rate::Cpa(minor) => (Some(cents(minor)), None),
        Rate::Share(value) => (None, Some(percent(value)?)),
        _ => (None, None),
    };
    Ok(TierInput {
        from_sale,
        cpa,
        revenue_share_percent,
    })
}

pub(super) async fn load(demo: &mut Demo<'_>) -> Result<(), LoadError> {
    for plan in &OFFERS {
        let name = plan.name;
        let campaign_id = *demo
            .campaigns
            .get(plan.campaign)
            .ok_or_else(|| LoadError::Step {
                step: format!("offer {name}"),
                detail: format!("no campaign {:?} in the plan", plan.campaign),
            })?;
        let input = OfferInput {
            campaign_id,
            name: name.to_owned(),
            model: plan.model,
            rates: rates(plan.rates)?,
            new_customers_only: plan.new_customers_only,
            hold_period_days: plan.hold_period_days,
            monthly_cap: plan.monthly_cap.map(cents),
            tiers: plan
                .tiers
                .iter()
                .copied()
                .map(tier)
                .collect::<Result<_, _>>()?,
        };
        let offer = offers::create(demo.db, &demo.admin, input, Utc::now())
            .await
            .step(|| format!("create offer {name}"))?;
        demo.offers.insert((plan.campaign, plan.key), offer.id);
    }
    Ok(())
}
