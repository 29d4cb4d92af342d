//! The terms an enrollment earns under: its offer with the enrollment's overrides applied, and
//! the per-sale rates its monthly volume tiers set.

use crate::domain::offer::{OfferModel, Rates, VolumeTier};

/// An offer with an enrollment's overrides applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Terms {
    /// Which lines the enrollment earns.
    pub model: OfferModel,
    /// Effective rates: each override replaces the offer's rate.
    pub rates: Rates,
    /// The offer's monthly volume tiers, sorted by `from_sale`.
    pub tiers: Vec<VolumeTier>,
    /// Only a new customer's conversion earns a line.
    pub new_customers_only: bool,
    /// The most commission the enrollment earns per calendar month (brand timezone), in brand
    /// minor units; `None` for no cap.
    pub monthly_cap_minor: Option<i64>,
}

/// The terms of an enrollment: each rate the enrollment overrides replaces the offer's (one rate
/// at a time, so an override of the CPA keeps the offer's flat fee); tiers are sorted by
/// `from_sale`. The inputs are assumed valid (`offer::validate_rates`, `validate_overrides`,
/// `validate_tiers`).
pub fn effective_terms(
    model: OfferModel,
    offer: &Rates,
    overrides: &Rates,
    tiers: &[VolumeTier],
    new_customers_only: bool,
    monthly_cap_minor: Option<i64>,
) -> Terms {
    let mut tiers = tiers.to_vec();
    tiers.sort_by_key(|tier| tier.from_sale);
    Terms {
        model,
        rates: Rates {
            cpa_minor: overrides.cpa_minor.or(offer.cpa_minor),
            cpl_minor: overrides.cpl_minor.or(offer.cpl_minor),
            cpc_minor: overrides.cpc_minor.or(offer.cpc_minor),
            revenue_share_percent: overrides
                .revenue_share_percent
                .or(offer.revenue_share_percent),
            flat_fee_minor: overrides.flat_fee_minor.or(offer.flat_fee_minor),
        },
        tiers,
        new_customers_only,
        monthly_cap_minor,
    }
}

impl Terms {
    /// The rates for the `sale_number`-th attributed sale of the month (1-based): the highest
    /// tier whose `from_sale <= sale_number` replaces the per-sale rate it sets (CPA or revenue
    /// share), and only a rate the terms pay, so a mismatched tier cannot add a kind of line.
    /// Below the first tier the effective (possibly overridden) rates apply.
    pub fn rates_for_sale(&self, sale_number: u32) -> Rates {
        let mut rates = self.rates.clone();
        let tier = self
            .tiers
            .iter()
            .rev()
            .find(|tier| i64::from(tier.from_sale) <= i64::from(sale_number));
        if let Some(tier) = tier {
            if rates.cpa_minor.is_some() {
                rates.cpa_minor = tier.cpa_minor.or(rates.cpa_minor);
            }
            if rates.revenue_share_percent.is_some() {
                rates.revenue_share_percent =
                    tier.revenue_share_percent.or(rates.revenue_share_percent);
            }
        }
        rates
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;

    fn tier(from_sale: i32, cpa: Option<i64>, share: Option<Decimal>) -> VolumeTier {
        VolumeTier {
            from_sale,
            cpa_minor: cpa,
            revenue_share_percent: share,
        }
    }

    #[test]
    fn overrides_replace_the_offer_rates_one_by_one() {
        let offer = Rates {
            cpa_minor: Some(1000),
            flat_fee_minor: Some(20000),
            ..Rates::default()
        };
        let overrides = Rates {
            cpa_minor: Some(1500),
            ..Rates::default()
        };
        let terms = effective_terms(OfferModel::Hybrid, &offer, &overrides, &[], true, Some(9));
        assert_eq!(terms.rates.cpa_minor, Some(1500));
        assert_eq!(terms.rates.flat_fee_minor, Some(20000));
        assert_eq!(terms.rates.revenue_share_percent, None);
        assert!(terms.new_customers_only);
        assert_eq!(terms.monthly_cap_minor, Some(9));

        let share = Rates {
            revenue_share_percent: Some(Decimal::new(10, 0)),
            ..Rates::default()
        };
        let more = Rates {
            revenue_share_percent: Some(Decimal::new(155, 1)),
            ..Rates::default()
        };
        let terms = effective_terms(OfferModel::RevenueShare, &share, &more, &[], false, None);
        assert_eq!(
            terms.rates.revenue_share_percent,
            Some(Decimal::new(155, 1))
        );
        let terms = effective_terms(
            OfferModel::RevenueShare,
            &share,
            &Rates::default(),
            &[],
            false,
            None,
        );
        assert_eq!(terms.rates, share);
    }

    #[test]
    fn tiers_are_sorted_and_the_highest_reached_sets_the_rate() {
        let offer = Rates {
            cpa_minor: Some(1000),
            ..Rates::default()
        };
        let tiers = [tier(51, Some(1500), None), tier(11, Some(1200), None)];
        let terms = effective_terms(
            OfferModel::Cpa,
            &offer,
            &Rates::default(),
            &tiers,
            false,
            None,
        );
        assert_eq!(terms.tiers[0].from_sale, 11);
        let table = [
            (1, 1000),
            (10, 1000),
            (11, 1200),
            (50, 1200),
            (51, 1500),
            (u32::MAX, 1500),
        ];
        for (sale, want) in table {
            assert_eq!(
                terms.rates_for_sale(sale).cpa_minor,
                Some(want),
                "sale {sale}"
            );
        }
    }

    #[test]
    fn a_tier_never_adds_a_rate_the_terms_do_not_pay() {
        let offer = Rates {
            cpa_minor: Some(1000),
            ..Rates::default()
        };
        let tiers = [tier(2, None, Some(Decimal::new(5, 0)))];
        let terms = effective_terms(
            OfferModel::Cpa,
            &offer,
            &Rates::default(),
            &tiers,
            false,
            None,
        );
        assert_eq!(terms.rates_for_sale(3), offer);
    }
}
