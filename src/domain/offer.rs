//! Offers: what a creator earns, by model, and the amounts each model needs.

use rust_decimal::Decimal;

use super::stored_enum;
use super::text::Invalid;

stored_enum! {
    pub enum OfferModel {
        Cpa => "CPA",
        Cpl => "CPL",
        Cpc => "CPC",
        RevenueShare => "REVENUE_SHARE",
        FlatFee => "FLAT_FEE",
        Hybrid => "HYBRID",
    }
}

/// The rates of an offer (or an enrollment's overrides), money in brand minor units.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rates {
    pub cpa_minor: Option<i64>,
    pub cpl_minor: Option<i64>,
    pub cpc_minor: Option<i64>,
    pub revenue_share_percent: Option<Decimal>,
    pub flat_fee_minor: Option<i64>,
}

/// A monthly volume tier: from the `from_sale`-th sale of the month on, this rate applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VolumeTier {
    pub from_sale: i32,
    pub cpa_minor: Option<i64>,
    pub revenue_share_percent: Option<Decimal>,
}

pub const MAX_TIERS: usize = 20;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Rate {
    Cpa,
    Cpl,
    Cpc,
    RevenueShare,
    FlatFee,
}

impl Rate {
    const ALL: [Rate; 5] = [
        Rate::Cpa,
        Rate::Cpl,
        Rate::Cpc,
        Rate::RevenueShare,
        Rate::FlatFee,
    ];

    fn field(self) -> &'static str {
        match self {
            Rate::Cpa => "cpaAmount",
            Rate::Cpl => "cplAmount",
            Rate::Cpc => "cpcAmount",
            Rate::RevenueShare => "revenueSharePercent",
            Rate::FlatFee => "flatFee",
        }
    }

    fn is_set(self, rates: &Rates) -> bool {
        match self {
            Rate::Cpa => rates.cpa_minor.is_some(),
            Rate::Cpl => rates.cpl_minor.is_some(),
            Rate::Cpc => rates.cpc_minor.is_some(),
            Rate::RevenueShare => rates.revenue_share_percent.is_some(),
            Rate::FlatFee => rates.flat_fee_minor.is_some(),
        }
    }
}

/// Rates a model may use.
fn allowed(model: OfferModel) -> &'static [Rate] {
    match model {
        OfferModel::Cpa => &[Rate::Cpa],
        OfferModel::Cpl => &[Rate::Cpl],
        OfferModel::Cpc => &[Rate::Cpc],
        OfferModel::RevenueShare => &[Rate::RevenueShare],
        OfferModel::FlatFee => &[Rate::FlatFee],
        OfferModel::Hybrid => &[Rate::FlatFee, Rate::Cpa, Rate::RevenueShare],
    }
}

fn check_values(rates: &Rates) -> Result<(), Invalid> {
    let money = [
        (rates.cpa_minor, "cpaAmount"),
        (rates.cpl_minor, "cplAmount"),
        (rates.cpc_minor, "cpcAmount"),
        (rates.flat_fee_minor, "flatFee"),
    ];
    for (value, field) in money {
        if value.is_some_and(|v| v < 0) {
            return Err((field, "must not be negative".into()));
        }
    }
    if let Some(percent) = rates.revenue_share_percent {
        validate_percent("revenueSharePercent", percent)?;
    }
    Ok(())
}

/// A revenue share: more than 0, at most 100, at most 4 decimal places.
pub fn validate_percent(field: &'static str, percent: Decimal) -> Result<Decimal, Invalid> {
    if percent <= Decimal::ZERO || percent > Decimal::ONE_HUNDRED {
        return Err((field, "must be more than 0 and at most 100".into()));
    }
    if percent.normalize().scale() > 4 {
        return Err((field, "must have at most 4 decimal places".into()));
    }
    Ok(percent.normalize())
}

/// An offer has exactly the amounts its model needs: CPA a `cpaAmount`, CPL a `cplAmount`, CPC a
/// `cpcAmount`, REVENUE_SHARE a `revenueSharePercent`, FLAT_FEE a `flatFee`, HYBRID a `flatFee`
/// plus either a `cpaAmount` or a `revenueSharePercent`. An amount the model does not use is
/// refused rather than silently ignored.
pub fn validate_rates(model: OfferModel, rates: &Rates) -> Result<(), Invalid> {
    check_values(rates)?;
    validate_unused(model, rates)?;
    let missing = |rate: Rate| (rate.field(), format!("is required for a {model} offer"));
    match model {
        OfferModel::Hybrid => {
            if !Rate::FlatFee.is_set(rates) {
                return Err(missing(Rate::FlatFee));
            }
            match (Rate::Cpa.is_set(rates), Rate::RevenueShare.is_set(rates)) {
                (true, false) | (false, true) => Ok(()),
                (false, false) => Err((
                    "cpaAmount",
                    "a HYBRID offer needs a cpaAmount or a revenueSharePercent".into(),
                )),
                (true, true) => Err((
                    "revenueSharePercent",
                    "a HYBRID offer has a cpaAmount or a revenueSharePercent, not both".into(),
                )),
            }
        }
        _ => {
            let rate = allowed(model)[0];
            if rate.is_set(rates) {
                Ok(())
            } else {
                Err(missing(rate))
            }
        }
    }
}

fn validate_unused(model: OfferModel, rates: &Rates) -> Result<(), Invalid> {
    for rate in Rate::ALL {
        if rate.is_set(rates) && !allowed(model).contains(&rate) {
            return Err((rate.field(), format!("is not used by a {model} offer")));
        }
    }
    Ok(())
}

/// Per-creator overrides: any of the rates the offer's model uses (HYBRID: only the kind its
/// offer has), all optional.
pub fn validate_overrides(
    model: OfferModel,
    offer: &Rates,
    overrides: &Rates,
) -> Result<(), Invalid> {
    check_values(overrides)?;
    validate_unused(model, overrides)?;
    if model == OfferModel::Hybrid {
        if overrides.cpa_minor.is_some() && offer.cpa_minor.is_none() {
            return Err(("cpaAmount", "this HYBRID offer pays a revenue share".into()));
        }
        if overrides.revenue_share_percent.is_some() && offer.revenue_share_percent.is_none() {
            return Err(("revenueSharePercent", "this HYBRID offer pays a CPA".into()));
        }
    }
    Ok(())
}

/// Volume tiers apply to per-sale rates (CPA, REVENUE_SHARE, HYBRID's variable part): each starts
/// at a sale number of 2 or more, in increasing order, and sets the rate of the offer's kind.
pub fn validate_tiers(
    model: OfferModel,
    rates: &Rates,
    tiers: &[VolumeTier],
) -> Result<(), Invalid> {
    if tiers.is_empty() {
        return Ok(());
    }
    let uses_cpa = rates.cpa_minor.is_some();
    let uses_share = rates.revenue_share_percent.is_some();
    if !matches!(
        model,
        OfferModel::Cpa | OfferModel::RevenueShare | OfferModel::Hybrid
    ) {
        return Err(("tiers", format!("a {model} offer has no volume tiers")));
    }
    if tiers.len() > MAX_TIERS {
        return Err(("tiers", format!("at most {MAX_TIERS} tiers")));
    }
    let mut previous = 1;
    for tier in tiers {
        if tier.from_sale <= previous {
            return Err((
                "tiers",
                "fromSale must start at 2 or more and increase from tier to tier".into(),
            ));
        }
        previous = tier.from_sale;
        let ok = match (tier.cpa_minor, tier.revenue_share_percent) {
            (Some(cpa), None) => uses_cpa && cpa >= 0,
            (None, Some(percent)) => uses_share && validate_percent("tiers", percent).is_ok(),
            _ => false,
        };
        if !ok {
            let want = if uses_cpa {
                "a cpaAmount"
            } else {
                "a revenueSharePercent"
            };
            return Err(("tiers", format!("each tier sets {want} (and nothing else)")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn pct(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn rates(cpa: Option<i64>, share: Option<&str>, flat: Option<i64>) -> Rates {
        Rates {
            cpa_minor: cpa,
            revenue_share_percent: share.map(pct),
            flat_fee_minor: flat,
            ..Rates::default()
        }
    }

    #[test]
    fn each_model_needs_its_amount() {
        assert!(validate_rates(OfferModel::Cpa, &rates(Some(1500), None, None)).is_ok());
        assert_eq!(
            validate_rates(OfferModel::Cpa, &Rates::default())
                .unwrap_err()
                .0,
            "cpaAmount"
        );
        let cpl = Rates {
            cpl_minor: Some(200),
            ..Rates::default()
        };
        assert!(validate_rates(OfferModel::Cpl, &cpl).is_ok());
        assert_eq!(
            validate_rates(OfferModel::Cpc, &Rates::default())
                .unwrap_err()
                .0,
            "cpcAmount"
        );
        assert!(validate_rates(OfferModel::RevenueShare, &rates(None, Some("12.5"), None)).is_ok());
        assert!(validate_rates(OfferModel::FlatFee, &rates(None, None, Some(50000))).is_ok());
    }

    #[test]
    fn hybrid_is_flat_fee_plus_one_variable_rate() {
        assert!(validate_rates(OfferModel::Hybrid, &rates(Some(1000), None, Some(20000))).is_ok());
        assert!(validate_rates(OfferModel::Hybrid, &rates(None, Some("10"), Some(20000))).is_ok());
        assert_eq!(
            validate_rates(OfferModel::Hybrid, &rates(Some(1), None, None))
                .unwrap_err()
                .0,
            "flatFee"
        );
        assert!(validate_rates(OfferModel::Hybrid, &rates(None, None, Some(1))).is_err());
        assert!(validate_rates(OfferModel::Hybrid, &rates(Some(1), Some("1"), Some(1))).is_err());
    }

    #[test]
    fn unused_negative_and_out_of_range_amounts_are_refused() {
        assert_eq!(
            validate_rates(OfferModel::Cpa, &rates(Some(1), Some("5"), None))
                .unwrap_err()
                .0,
            "revenueSharePercent"
        );
        assert_eq!(
            validate_rates(OfferModel::Cpa, &rates(Some(-1), None, None))
                .unwrap_err()
                .0,
            "cpaAmount"
        );
        assert!(validate_rates(OfferModel::RevenueShare, &rates(None, Some("0"), None)).is_err());
        assert!(
            validate_rates(OfferModel::RevenueShare, &rates(None, Some("100.01"), None)).is_err()
        );
        assert!(
            validate_rates(
                OfferModel::RevenueShare,
                &rates(None, Some("12.34567"), None)
            )
            .is_err()
        );
    }

    #[test]
    fn tiers_increase_and_match_the_rate_kind() {
        let base = rates(Some(1000), None, None);
        let tier = |from, cpa: Option<i64>, share: Option<&str>| VolumeTier {
            from_sale: from,
            cpa_minor: cpa,
            revenue_share_percent: share.map(pct),
        };
        assert!(
            validate_tiers(
                OfferModel::Cpa,
                &base,
                &[tier(11, Some(1200), None), tier(51, Some(1500), None)]
            )
            .is_ok()
        );
        assert!(validate_tiers(OfferModel::Cpa, &base, &[tier(1, Some(1200), None)]).is_err());
        assert!(
            validate_tiers(
                OfferModel::Cpa,
                &base,
                &[tier(11, Some(1), None), tier(11, Some(2), None)]
            )
            .is_err()
        );
        assert!(validate_tiers(OfferModel::Cpa, &base, &[tier(11, None, Some("5"))]).is_err());
        let cpl = Rates {
            cpl_minor: Some(1),
            ..Rates::default()
        };
        assert!(validate_tiers(OfferModel::Cpl, &cpl, &[tier(2, Some(1), None)]).is_err());
        let share = rates(None, Some("10"), None);
        assert!(
            validate_tiers(
                OfferModel::RevenueShare,
                &share,
                &[tier(5, None, Some("12"))]
            )
            .is_ok()
        );
    }

    #[test]
    fn overrides_stay_within_the_model() {
        let offer = rates(None, Some("10"), Some(100));
        let ok = rates(None, Some("15"), None);
        assert!(validate_overrides(OfferModel::Hybrid, &offer, &ok).is_ok());
        let wrong_kind = rates(Some(100), None, None);
        assert!(validate_overrides(OfferModel::Hybrid, &offer, &wrong_kind).is_err());
        let unused = Rates {
            cpc_minor: Some(5),
            ..Rates::default()
        };
        assert!(validate_overrides(OfferModel::Cpa, &rates(Some(1), None, None), &unused).is_err());
    }
}
