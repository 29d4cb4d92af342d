//! The lines a conversion, an activation or a day of clicks earns: every model, tiers, new
//! customers only, self-referrals and the monthly cap. Amounts in brand minor units, each line
//! rounded half to even once.

use rust_decimal::Decimal;

use super::{Kind, Terms};
use crate::domain::conversion::{self, Kind as ConversionKind};
use crate::domain::money::round_half_even;
use crate::domain::offer::OfferModel;

/// What the engine needs about a conversion, amounts in the brand currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversionFacts {
    /// SALE or LEAD.
    pub kind: ConversionKind,
    pub amount_minor: i64,
    /// Refunds known when the lines are computed (a refund held until its order arrived).
    pub refunded_minor: i64,
    pub new_customer: bool,
    /// The customer's email hash equals the creator's: attributed, but no commission.
    pub self_referral: bool,
}

/// The enrollment's calendar month so far (brand timezone), before this conversion.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MonthToDate {
    /// Earlier attributed SALEs of the enrollment in the month (this sale is number
    /// `prior_sales + 1`).
    pub prior_sales: u32,
    /// Commission already accrued for the enrollment in the month (all kinds, reversals
    /// included), for the cap.
    pub accrued_minor: i64,
}

/// Whether `conversion`'s lines under `terms` depend on the enrollment's month so far. Only
/// volume tiers (the sale's number) and a monthly cap (what was accrued) read it, and only for
/// a conversion that can earn a line of its own: a SALE under CPA, REVENUE_SHARE or HYBRID, a
/// LEAD under CPL, neither a self-referral nor a returning customer under new-customers-only.
/// Otherwise [`lines_for_conversion`] answers the same for any [`MonthToDate`], and the ledger
/// skips reading it (a statement per conversion).
pub fn month_matters(terms: &Terms, conversion: &ConversionFacts) -> bool {
    if terms.tiers.is_empty() && terms.monthly_cap_minor.is_none() {
        return false;
    }
    if conversion.self_referral || (terms.new_customers_only && !conversion.new_customer) {
        return false;
    }
    match conversion.kind {
        ConversionKind::Sale => matches!(
            terms.model,
            OfferModel::Cpa | OfferModel::RevenueShare | OfferModel::Hybrid
        ),
        ConversionKind::Lead => terms.model == OfferModel::Cpl,
    }
}

/// A commission line to append to the ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub kind: Kind,
    /// Positive, except for a REVERSAL, which carries the negative amount.
    pub amount_minor: i64,
    /// For REVENUE_SHARE lines (and their reversals) the percent used, so that refunds can true
    /// up; `None` otherwise.
    pub rate_percent: Option<Decimal>,
    /// For a REVERSAL, the kind of line it reverses (REVENUE_SHARE, CPA or CPL); `None` for
    /// every other kind.
    pub reverses: Option<Kind>,
}

impl Line {
    fn earned(kind: Kind, amount_minor: i64) -> Self {
        Self {
            kind,
            amount_minor,
            rate_percent: None,
            reverses: None,
        }
    }
}

/// `percent`% of `amount_minor`, rounded half to even once (12.5% of 1.00 is 0.12, of 3.00 is
/// 0.38). Computed in i128; a result beyond i64 saturates (only reachable with an invalid
/// percent).
pub fn revenue_share_of(amount_minor: i64, percent: Decimal) -> i64 {
    let percent = percent.normalize();
    let numerator = i128::from(amount_minor).saturating_mul(percent.mantissa());
    // scale <= 28, so 100 x 10^scale fits in an i128.
    let denominator = 100 * 10i128.pow(percent.scale());
    saturate(round_half_even(numerator, denominator))
}

fn saturate(value: i128) -> i64 {
    i64::try_from(value).unwrap_or(if value < 0 { i64::MIN } else { i64::MAX })
}

/// Lines for a new conversion: a SALE earns a CPA or a REVENUE_SHARE line (HYBRID: its variable
/// part; FLAT_FEE, CPL and CPC: none), a LEAD a CPL line under a CPL offer. None for a
/// self-referral, or for a returning customer under new-customers-only.
///
/// The sale's rate is set by the highest tier whose `from_sale <= prior_sales + 1`. Revenue
/// share is on the amount net of refunds already known, rounded half to even once. A CPA or CPL
/// line is not earned by a conversion already fully refunded (a held refund that arrived first),
/// since a full refund would reverse it at once. The cap cuts the line to what is left of it
/// (never negative); a zero line is omitted. Returns at most one line today; a `Vec` so that a
/// model may add more.
pub fn lines_for_conversion(
    terms: &Terms,
    conversion: &ConversionFacts,
    month: &MonthToDate,
) -> Vec<Line> {
    if conversion.self_referral || (terms.new_customers_only && !conversion.new_customer) {
        return Vec::new();
    }
    let fully_refunded = conversion::status_for(conversion.amount_minor, conversion.refunded_minor)
        == conversion::Status::Refunded;
    let line = match conversion.kind {
        ConversionKind::Sale => {
            let rates = terms.rates_for_sale(month.prior_sales.saturating_add(1));
            let net = conversion
                .amount_minor
                .saturating_sub(conversion.refunded_minor)
                .max(0);
            let cpa = || {
                rates
                    .cpa_minor
                    .filter(|_| !fully_refunded)
                    .map(|amount| Line::earned(Kind::Cpa, amount))
            };
            let share = || {
                rates.revenue_share_percent.map(|percent| Line {
                    rate_percent: Some(percent),
                    ..Line::earned(Kind::RevenueShare, revenue_share_of(net, percent))
                })
            };
            match terms.model {
                OfferModel::Cpa => cpa(),
                OfferModel::RevenueShare => share(),
                // A valid HYBRID offer has exactly one of the two.
                OfferModel::Hybrid if rates.cpa_minor.is_some() => cpa(),
                OfferModel::Hybrid => share(),
                OfferModel::Cpl | OfferModel::Cpc | OfferModel::FlatFee => None,
            }
        }
        ConversionKind::Lead => match terms.model {
            OfferModel::Cpl => terms
                .rates
                .cpl_minor
                .filter(|_| !fully_refunded)
                .map(|amount| Line::earned(Kind::Cpl, amount)),
            _ => None,
        },
    };
    line.and_then(|line| capped(terms, month, line))
        .into_iter()
        .collect()
}

/// The FLAT_FEE line (FLAT_FEE and HYBRID offers) when an enrollment first becomes ACTIVE; the
/// cap applies with `month`, the month the line is dated in.
pub fn flat_fee_line(terms: &Terms, month: &MonthToDate) -> Option<Line> {
    match terms.model {
        OfferModel::FlatFee | OfferModel::Hybrid => {
            let fee = terms.rates.flat_fee_minor?;
            capped(terms, month, Line::earned(Kind::FlatFee, fee))
        }
        _ => None,
    }
}

/// A CPC day (CPC offers): one line for the day's non-bot unique clicks at the CPC rate; the cap
/// applies. None for no clicks.
pub fn cpc_line(terms: &Terms, unique_clicks: u64, month: &MonthToDate) -> Option<Line> {
    if terms.model != OfferModel::Cpc {
        return None;
    }
    let rate = terms.rates.cpc_minor?;
    let amount = saturate(i128::from(unique_clicks).saturating_mul(i128::from(rate)));
    capped(terms, month, Line::earned(Kind::Cpc, amount))
}

/// Cuts a line to what is left of the monthly cap; `None` when nothing is left to pay.
fn capped(terms: &Terms, month: &MonthToDate, mut line: Line) -> Option<Line> {
    if let Some(cap) = terms.monthly_cap_minor {
        let left = (i128::from(cap) - i128::from(month.accrued_minor)).max(0);
        // The minimum is at most the line's own amount, so it fits.
        line.amount_minor =
            i64::try_from(left.min(i128::from(line.amount_minor))).unwrap_or(line.amount_minor);
    }
    (line.amount_minor > 0).then_some(line)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use proptest::prelude::*;

    use super::*;
    use crate::domain::commission::effective_terms;
    use crate::domain::offer::{Rates, VolumeTier};

    fn pct(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal")
    }

    fn terms(model: OfferModel, rates: Rates) -> Terms {
        effective_terms(model, &rates, &Rates::default(), &[], false, None)
    }

    fn cpa(amount: i64) -> Terms {
        terms(
            OfferModel::Cpa,
            Rates {
                cpa_minor: Some(amount),
                ..Rates::default()
            },
        )
    }

    fn share(percent: &str) -> Terms {
        terms(
            OfferModel::RevenueShare,
            Rates {
                revenue_share_percent: Some(pct(percent)),
                ..Rates::default()
            },
        )
    }

    fn cpl(amount: i64) -> Terms {
        terms(
            OfferModel::Cpl,
            Rates {
                cpl_minor: Some(amount),
                ..Rates::default()
            },
        )
    }

    fn sale(amount: i64) -> ConversionFacts {
        ConversionFacts {
            kind: ConversionKind::Sale,
            amount_minor: amount,
            refunded_minor: 0,
            new_customer: true,
            self_referral: false,
        }
    }

    fn lead() -> ConversionFacts {
        ConversionFacts {
            kind: ConversionKind::Lead,
            ..sale(0)
        }
    }

    fn month(prior_sales: u32, accrued_minor: i64) -> MonthToDate {
        MonthToDate {
            prior_sales,
            accrued_minor,
        }
    }

    /// The lines as (kind, amount) pairs.
    fn amounts(lines: &[Line]) -> Vec<(Kind, i64)> {
        lines.iter().map(|l| (l.kind, l.amount_minor)).collect()
    }

    fn one(terms: &Terms, conversion: &ConversionFacts) -> Vec<(Kind, i64)> {
        amounts(&lines_for_conversion(
            terms,
            conversion,
            &MonthToDate::default(),
        ))
    }

    #[test]
    fn revenue_share_rounds_half_to_even_once() {
        let table = [
            ("12.5", 100, 12),
            ("12.5", 300, 38),
            ("12.5", 120, 15),
            ("10", 15, 2),
            ("10", 25, 2),
            ("10", 35, 4),
            ("10", 5, 0),
            ("33.3333", 300, 100),
            ("100", 4321, 4321),
            ("0.0001", 1_000_000_000_000, 1_000_000),
            ("0.0001", 500_000, 0),
            ("0.0001", 1_500_000, 2),
            ("12.5", 0, 0),
        ];
        for (percent, amount, want) in table {
            assert_eq!(
                revenue_share_of(amount, pct(percent)),
                want,
                "{percent}% of {amount}"
            );
        }
        // Trailing zeros of the percent change nothing.
        assert_eq!(revenue_share_of(300, pct("12.500000")), 38);
    }

    #[test]
    fn each_model_on_a_sale_and_a_lead() {
        let hybrid_cpa = terms(
            OfferModel::Hybrid,
            Rates {
                cpa_minor: Some(700),
                flat_fee_minor: Some(20000),
                ..Rates::default()
            },
        );
        let hybrid_share = terms(
            OfferModel::Hybrid,
            Rates {
                revenue_share_percent: Some(pct("12.5")),
                flat_fee_minor: Some(20000),
                ..Rates::default()
            },
        );
        let flat = terms(
            OfferModel::FlatFee,
            Rates {
                flat_fee_minor: Some(50000),
                ..Rates::default()
            },
        );
        let cpc = terms(
            OfferModel::Cpc,
            Rates {
                cpc_minor: Some(25),
                ..Rates::default()
            },
        );
        let table = [
            (&cpa(1500), sale(10000), vec![(Kind::Cpa, 1500)]),
            (&cpa(1500), lead(), vec![]),
            (&cpl(200), lead(), vec![(Kind::Cpl, 200)]),
            (&cpl(200), sale(10000), vec![]),
            (&share("12.5"), sale(300), vec![(Kind::RevenueShare, 38)]),
            (&share("12.5"), sale(100), vec![(Kind::RevenueShare, 12)]),
            (&share("12.5"), lead(), vec![]),
            (&hybrid_cpa, sale(10000), vec![(Kind::Cpa, 700)]),
            (&hybrid_cpa, lead(), vec![]),
            (&hybrid_share, sale(10000), vec![(Kind::RevenueShare, 1250)]),
            (&flat, sale(10000), vec![]),
            (&flat, lead(), vec![]),
            (&cpc, sale(10000), vec![]),
            (&cpc, lead(), vec![]),
        ];
        for (terms, conversion, want) in table {
            assert_eq!(
                one(terms, &conversion),
                want,
                "{} on {:?}",
                terms.model,
                conversion.kind
            );
        }
    }

    #[test]
    fn revenue_share_lines_carry_their_percent_and_others_do_not() {
        let lines = lines_for_conversion(&share("12.5"), &sale(300), &MonthToDate::default());
        assert_eq!(lines[0].rate_percent, Some(pct("12.5")));
        assert_eq!(lines[0].reverses, None);
        let lines = lines_for_conversion(&cpa(100), &sale(300), &MonthToDate::default());
        assert_eq!(lines[0].rate_percent, None);
    }

    #[test]
    fn zero_amounts() {
        // A free order earns its CPA (it is still an acquisition) but no revenue share.
        assert_eq!(one(&cpa(1500), &sale(0)), vec![(Kind::Cpa, 1500)]);
        assert_eq!(one(&share("50"), &sale(0)), vec![]);
        // A share that rounds to zero and a zero rate are omitted.
        assert_eq!(one(&share("10"), &sale(5)), vec![]);
        assert_eq!(one(&cpa(0), &sale(100)), vec![]);
    }

    #[test]
    fn revenue_share_is_on_the_amount_net_of_known_refunds() {
        let refunded = ConversionFacts {
            refunded_minor: 2500,
            ..sale(10000)
        };
        assert_eq!(
            one(&share("10"), &refunded),
            vec![(Kind::RevenueShare, 750)]
        );
        // A refund that arrived before its order: fully refunded earns nothing.
        let gone = ConversionFacts {
            refunded_minor: 10000,
            ..sale(10000)
        };
        assert_eq!(one(&share("10"), &gone), vec![]);
        assert_eq!(one(&cpa(1500), &gone), vec![]);
        // A partial refund leaves the CPA whole.
        assert_eq!(one(&cpa(1500), &refunded), vec![(Kind::Cpa, 1500)]);
    }

    #[test]
    fn self_referrals_and_returning_customers() {
        let selfie = ConversionFacts {
            self_referral: true,
            ..sale(10000)
        };
        let returning = ConversionFacts {
            new_customer: false,
            ..sale(10000)
        };
        let returning_lead = ConversionFacts {
            new_customer: false,
            ..lead()
        };
        let mut new_only = cpa(1500);
        new_only.new_customers_only = true;
        let mut new_only_cpl = cpl(200);
        new_only_cpl.new_customers_only = true;

        assert_eq!(one(&cpa(1500), &selfie), vec![]);
        assert_eq!(one(&share("10"), &selfie), vec![]);
        let selfie_lead = ConversionFacts {
            self_referral: true,
            ..lead()
        };
        assert_eq!(one(&cpl(200), &selfie_lead), vec![]);

        assert_eq!(one(&new_only, &returning), vec![]);
        assert_eq!(one(&new_only, &sale(10000)), vec![(Kind::Cpa, 1500)]);
        assert_eq!(one(&new_only_cpl, &returning_lead), vec![]);
        // Without the flag a returning customer earns like any other.
        assert_eq!(one(&cpa(1500), &returning), vec![(Kind::Cpa, 1500)]);
    }

    #[test]
    fn tiers_take_effect_mid_batch() {
        let offer = Rates {
            cpa_minor: Some(1000),
            ..Rates::default()
        };
        let tiers = [
            VolumeTier {
                from_sale: 11,
                cpa_minor: Some(1200),
                revenue_share_percent: None,
            },
            VolumeTier {
                from_sale: 51,
                cpa_minor: Some(1500),
                revenue_share_percent: None,
            },
        ];
        let terms = effective_terms(
            OfferModel::Cpa,
            &offer,
            &Rates::default(),
            &tiers,
            false,
            None,
        );
        // A batch of 12 sales, each counted when it is ingested.
        let batch: Vec<i64> = (0..12)
            .flat_map(|prior| lines_for_conversion(&terms, &sale(5000), &month(prior, 0)))
            .map(|line| line.amount_minor)
            .collect();
        assert_eq!(batch[..10], [1000; 10]);
        assert_eq!(batch[10..], [1200, 1200]);
        let fifty_first = lines_for_conversion(&terms, &sale(5000), &month(50, 0));
        assert_eq!(amounts(&fifty_first), vec![(Kind::Cpa, 1500)]);

        let share_offer = Rates {
            revenue_share_percent: Some(pct("10")),
            ..Rates::default()
        };
        let share_tiers = [VolumeTier {
            from_sale: 11,
            cpa_minor: None,
            revenue_share_percent: Some(pct("12.5")),
        }];
        let terms = effective_terms(
            OfferModel::RevenueShare,
            &share_offer,
            &Rates::default(),
            &share_tiers,
            false,
            None,
        );
        let tenth = lines_for_conversion(&terms, &sale(300), &month(9, 0));
        let eleventh = lines_for_conversion(&terms, &sale(300), &month(10, 0));
        assert_eq!(tenth[0].amount_minor, 30);
        assert_eq!(tenth[0].rate_percent, Some(pct("10")));
        assert_eq!(eleventh[0].amount_minor, 38);
        assert_eq!(eleventh[0].rate_percent, Some(pct("12.5")));
    }

    #[test]
    fn the_line_that_crosses_the_cap_is_cut_and_later_ones_are_omitted() {
        let mut terms = cpa(1000);
        terms.monthly_cap_minor = Some(2500);
        let mut accrued = 0;
        let mut paid = Vec::new();
        for prior in 0..5 {
            let lines = lines_for_conversion(&terms, &sale(9999), &month(prior, accrued));
            accrued += lines.iter().map(|l| l.amount_minor).sum::<i64>();
            paid.push(amounts(&lines));
        }
        assert_eq!(
            paid,
            vec![
                vec![(Kind::Cpa, 1000)],
                vec![(Kind::Cpa, 1000)],
                vec![(Kind::Cpa, 500)],
                vec![],
                vec![],
            ]
        );
        assert_eq!(accrued, 2500);
        // A reversal in the month makes room again; accrual beyond the cap never goes negative.
        let after_reversal = lines_for_conversion(&terms, &sale(1), &month(5, 2100));
        assert_eq!(amounts(&after_reversal), vec![(Kind::Cpa, 400)]);
        assert!(lines_for_conversion(&terms, &sale(1), &month(5, 99999)).is_empty());
        // A zero cap pays nothing.
        terms.monthly_cap_minor = Some(0);
        assert!(lines_for_conversion(&terms, &sale(1), &month(0, 0)).is_empty());
    }

    #[test]
    fn overrides_replace_the_offer_rates() {
        let offer = Rates {
            cpa_minor: Some(1000),
            ..Rates::default()
        };
        let overrides = Rates {
            cpa_minor: Some(1750),
            ..Rates::default()
        };
        let terms = effective_terms(OfferModel::Cpa, &offer, &overrides, &[], false, None);
        assert_eq!(one(&terms, &sale(100)), vec![(Kind::Cpa, 1750)]);

        let offer = Rates {
            revenue_share_percent: Some(pct("10")),
            flat_fee_minor: Some(20000),
            ..Rates::default()
        };
        let overrides = Rates {
            revenue_share_percent: Some(pct("15")),
            ..Rates::default()
        };
        let terms = effective_terms(OfferModel::Hybrid, &offer, &overrides, &[], false, None);
        assert_eq!(one(&terms, &sale(1000)), vec![(Kind::RevenueShare, 150)]);
        let fee = flat_fee_line(&terms, &MonthToDate::default()).expect("fee");
        assert_eq!(fee.amount_minor, 20000);
        let overrides = Rates {
            flat_fee_minor: Some(5000),
            ..Rates::default()
        };
        let terms = effective_terms(OfferModel::Hybrid, &offer, &overrides, &[], false, None);
        let fee = flat_fee_line(&terms, &MonthToDate::default()).expect("fee");
        assert_eq!(fee.amount_minor, 5000);
        assert_eq!(one(&terms, &sale(1000)), vec![(Kind::RevenueShare, 100)]);
    }

    #[test]
    fn flat_fees() {
        let flat = terms(
            OfferModel::FlatFee,
            Rates {
                flat_fee_minor: Some(50000),
                ..Rates::default()
            },
        );
        let line = flat_fee_line(&flat, &MonthToDate::default()).expect("fee");
        assert_eq!((line.kind, line.amount_minor), (Kind::FlatFee, 50000));
        assert_eq!(line.rate_percent, None);
        assert_eq!(flat_fee_line(&cpa(1000), &MonthToDate::default()), None);
        assert_eq!(flat_fee_line(&share("10"), &MonthToDate::default()), None);

        let mut capped = flat.clone();
        capped.monthly_cap_minor = Some(30000);
        let cut = flat_fee_line(&capped, &month(0, 10000)).expect("cut fee");
        assert_eq!(cut.amount_minor, 20000);
        assert_eq!(flat_fee_line(&capped, &month(0, 30000)), None);

        let free = terms(
            OfferModel::FlatFee,
            Rates {
                flat_fee_minor: Some(0),
                ..Rates::default()
            },
        );
        assert_eq!(flat_fee_line(&free, &MonthToDate::default()), None);
    }

    #[test]
    fn cpc_days() {
        let cpc = terms(
            OfferModel::Cpc,
            Rates {
                cpc_minor: Some(25),
                ..Rates::default()
            },
        );
        let line = cpc_line(&cpc, 37, &MonthToDate::default()).expect("cpc");
        assert_eq!((line.kind, line.amount_minor), (Kind::Cpc, 925));
        assert_eq!(cpc_line(&cpc, 0, &MonthToDate::default()), None);
        assert_eq!(cpc_line(&cpa(25), 37, &MonthToDate::default()), None);

        let mut capped = cpc.clone();
        capped.monthly_cap_minor = Some(1000);
        assert_eq!(
            cpc_line(&capped, 37, &month(0, 500)).map(|l| l.amount_minor),
            Some(500)
        );
        assert_eq!(cpc_line(&capped, 37, &month(0, 1000)), None);
        // Absurd click counts saturate rather than wrap.
        assert_eq!(
            cpc_line(&cpc, u64::MAX, &MonthToDate::default()).map(|l| l.amount_minor),
            Some(i64::MAX)
        );
    }

    proptest! {
        #[test]
        fn revenue_share_below_100_percent_never_exceeds_the_sale(
            amount in 0i64..1_000_000_000_000,
            refunded_share in 0u32..=100,
            percent in 1i64..1_000_000,
        ) {
            let refunded = i64::try_from(i128::from(amount) * i128::from(refunded_share) / 100).unwrap();
            let terms = terms(OfferModel::RevenueShare, Rates {
                revenue_share_percent: Some(Decimal::new(percent, 4)),
                ..Rates::default()
            });
            let conversion = ConversionFacts { refunded_minor: refunded, ..sale(amount) };
            for line in lines_for_conversion(&terms, &conversion, &MonthToDate::default()) {
                prop_assert!(line.amount_minor > 0);
                prop_assert!(line.amount_minor <= amount - refunded);
                prop_assert!(line.amount_minor <= amount);
            }
        }

        /// Where the ledger skips reading the month so far, any month gives the same lines.
        #[test]
        fn lines_that_do_not_need_the_month_are_the_same_for_any_month(
            model in 0usize..6,
            tiered in any::<bool>(),
            cap in proptest::option::of(0i64..10_000),
            new_customers_only in any::<bool>(),
            lead in any::<bool>(),
            new_customer in any::<bool>(),
            self_referral in any::<bool>(),
            amount in 0i64..100_000,
            months in proptest::collection::vec((0u32..100, -5_000i64..20_000), 2..6),
        ) {
            let model = [
                OfferModel::Cpa, OfferModel::Cpl, OfferModel::Cpc,
                OfferModel::RevenueShare, OfferModel::FlatFee, OfferModel::Hybrid,
            ][model];
            let rates = Rates {
                cpa_minor: matches!(model, OfferModel::Cpa | OfferModel::Hybrid).then_some(1_500),
                cpl_minor: (model == OfferModel::Cpl).then_some(300),
                cpc_minor: (model == OfferModel::Cpc).then_some(40),
                revenue_share_percent: (model == OfferModel::RevenueShare).then(|| pct("10")),
                flat_fee_minor: matches!(model, OfferModel::FlatFee | OfferModel::Hybrid).then_some(50_000),
            };
            let tiers = if tiered {
                vec![VolumeTier { from_sale: 3, cpa_minor: Some(2_000), revenue_share_percent: Some(pct("15")) }]
            } else {
                vec![]
            };
            let terms = effective_terms(model, &rates, &Rates::default(), &tiers, new_customers_only, cap);
            let conversion = ConversionFacts {
                kind: if lead { ConversionKind::Lead } else { ConversionKind::Sale },
                amount_minor: amount,
                refunded_minor: 0,
                new_customer,
                self_referral,
            };
            if !month_matters(&terms, &conversion) {
                let first = lines_for_conversion(&terms, &conversion, &MonthToDate::default());
                for (prior_sales, accrued_minor) in months {
                    let month = MonthToDate { prior_sales, accrued_minor };
                    prop_assert_eq!(&lines_for_conversion(&terms, &conversion, &month), &first);
                }
            }
        }

        #[test]
        fn revenue_share_is_within_half_a_unit_of_the_exact_share(
            amount in 0i64..1_000_000_000_000,
            percent in 1i64..=1_000_000,
        ) {
            let got = i128::from(revenue_share_of(amount, Decimal::new(percent, 4)));
            // exact = amount x percent / 10^6; |exact - got| <= 1/2
            let scaled = i128::from(amount) * i128::from(percent);
            prop_assert!((scaled - got * 1_000_000).abs() * 2 <= 1_000_000);
        }
    }
}
