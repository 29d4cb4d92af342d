//! Refunds: the REVERSAL a conversion owes once its refunded total changes, the lock after which
//! it owes none, and how much an ADMIN may claw back.
//!
//! How `existing` says what a reversal reverses: a REVERSAL line names the kind it reverses in
//! [`Line::reverses`] (REVENUE_SHARE, CPA or CPL), and a revenue-share reversal keeps the
//! original's `rate_percent`. Lines of other kinds, and reversals of other kinds (or of none),
//! are left alone: a refund never reverses a FLAT_FEE, CPC, BONUS or ADJUSTMENT.

use chrono::{DateTime, Duration, Utc};

use super::{Kind, Line, revenue_share_of};
use crate::domain::conversion;

/// Whether a refund recorded at `recorded_at` comes after the conversion's commission locked:
/// with `lock_period_days` set, from `occurred_at + lock_period_days` on (DOMAIN rule 4). A
/// locked refund still lowers revenue; it adds no REVERSAL.
pub fn refund_is_locked(
    occurred_at: DateTime<Utc>,
    lock_period_days: Option<i32>,
    recorded_at: DateTime<Utc>,
) -> bool {
    lock_period_days
        .is_some_and(|days| recorded_at >= occurred_at + Duration::days(i64::from(days)))
}

/// The most an ADMIN may claw back from a conversion: what its lines net to (originals,
/// reversals and earlier clawbacks), never less than zero.
pub fn clawback_limit(existing: &[Line]) -> i64 {
    existing
        .iter()
        .map(|line| line.amount_minor)
        .sum::<i64>()
        .max(0)
}

/// A REVERSAL cut so that the conversion's lines never net below zero: a clawback already took
/// back part of what a later refund would reverse. None when nothing is left to reverse.
pub fn within_net(existing: &[Line], reversal: Line) -> Option<Line> {
    let left = clawback_limit(existing);
    let amount = reversal.amount_minor.max(-left);
    (amount < 0).then_some(Line {
        amount_minor: amount,
        ..reversal
    })
}

/// Kinds a refund reverses.
const REFUNDABLE: [Kind; 3] = [Kind::RevenueShare, Kind::Cpa, Kind::Cpl];

/// The reversal owed after a refund, given the conversion's existing lines (originals and
/// earlier reversals) and its new refunded total:
///
/// - REVENUE_SHARE: a true-up so that the conversion's REVENUE_SHARE lines sum to
///   `round_half_even((amount - refunded) x pct / 100)`, with the pct of its original line;
/// - CPA/CPL: only when fully refunded (`refunded >= amount`, and more than 0, as
///   `conversion::status_for` says REFUNDED), a reversal of what is left of them;
/// - FLAT_FEE, CPC, BONUS, ADJUSTMENT: never reversed by a refund.
///
/// Returns at most one line per call, of kind REVERSAL with the negative sum of the parts, or
/// none when nothing is owed. A refund never adds commission: a revenue-share line the monthly
/// cap cut below the share is reduced only once the share of the net amount falls below what
/// was paid, and is reversed whole by a full refund. Calling again with the same total returns
/// none.
///
/// The line's `reverses` is REVENUE_SHARE (with its `rate_percent`) when the conversion has a
/// revenue-share line, else CPA, else CPL. The engine never gives one conversion lines of two of
/// these kinds; should one have them, a full refund still reverses all of them exactly once,
/// in a line tagged by that order.
pub fn reversal_for_refund(
    existing: &[Line],
    amount_minor: i64,
    refunded_minor: i64,
) -> Option<Line> {
    // What is left of the lines of `kinds`: their originals plus the reversals naming them.
    let left = |kinds: &[Kind]| -> i128 {
        existing
            .iter()
            .filter(|line| {
                kinds.contains(&line.kind)
                    || (line.kind == Kind::Reversal
                        && line.reverses.is_some_and(|kind| kinds.contains(&kind)))
            })
            .map(|line| i128::from(line.amount_minor))
            .sum()
    };
    let has = |kind: Kind| existing.iter().any(|line| line.kind == kind);
    // The original's percent; a reversal's copy of it serves if the original is not given.
    let percent = existing
        .iter()
        .filter(|line| {
            line.kind == Kind::RevenueShare
                || (line.kind == Kind::Reversal && line.reverses == Some(Kind::RevenueShare))
        })
        .find_map(|line| line.rate_percent);

    let fully_refunded =
        conversion::status_for(amount_minor, refunded_minor) == conversion::Status::Refunded;
    let owed: i128 = if fully_refunded {
        // The share of nothing is nothing: everything refundable goes back to zero.
        -left(&REFUNDABLE)
    } else if let Some(percent) = percent {
        let net = amount_minor.saturating_sub(refunded_minor).max(0);
        i128::from(revenue_share_of(net, percent)) - left(&[Kind::RevenueShare])
    } else {
        0
    };
    if owed >= 0 {
        return None;
    }
    let reverses = if has(Kind::RevenueShare) || percent.is_some() {
        Kind::RevenueShare
    } else if has(Kind::Cpa) {
        Kind::Cpa
    } else {
        Kind::Cpl
    };
    Some(Line {
        kind: Kind::Reversal,
        // |owed| is at most the sum of the lines' i64 amounts; saturate rather than wrap.
        amount_minor: i64::try_from(owed).unwrap_or(i64::MIN),
        rate_percent: percent.filter(|_| reverses == Kind::RevenueShare),
        reverses: Some(reverses),
    })
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use proptest::prelude::*;
    use rust_decimal::Decimal;

    use super::*;
    use crate::domain::commission::{
        ConversionFacts, MonthToDate, Terms, cpc_line, effective_terms, flat_fee_line,
        lines_for_conversion,
    };
    use crate::domain::conversion::{Kind as ConversionKind, capped_refund_total};
    use crate::domain::offer::{OfferModel, Rates, VolumeTier};

    fn pct(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal")
    }

    fn share_line(amount: i64, percent: &str) -> Line {
        Line {
            kind: Kind::RevenueShare,
            amount_minor: amount,
            rate_percent: Some(pct(percent)),
            reverses: None,
        }
    }

    fn line(kind: Kind, amount: i64) -> Line {
        Line {
            kind,
            amount_minor: amount,
            rate_percent: None,
            reverses: None,
        }
    }

    fn sum(lines: &[Line]) -> i64 {
        lines.iter().map(|l| l.amount_minor).sum()
    }

    /// Applies refunded totals in turn, appending each reversal; returns the ledger.
    fn refund_all(mut lines: Vec<Line>, amount: i64, totals: &[i64]) -> Vec<Line> {
        for &refunded in totals {
            if let Some(reversal) = reversal_for_refund(&lines, amount, refunded) {
                lines.push(reversal);
            }
        }
        lines
    }

    #[test]
    fn revenue_share_is_trued_up_on_each_partial_refund() {
        // 10% of 100.00 = 10.00; refunds to 25.00, again 25.00 (a repeat), then all of it.
        let mut lines = vec![share_line(1000, "10")];
        let first = reversal_for_refund(&lines, 10000, 2500).expect("true-up");
        assert_eq!(
            first,
            Line {
                kind: Kind::Reversal,
                amount_minor: -250,
                rate_percent: Some(pct("10")),
                reverses: Some(Kind::RevenueShare),
            }
        );
        lines.push(first);
        assert_eq!(reversal_for_refund(&lines, 10000, 2500), None);
        let last = reversal_for_refund(&lines, 10000, 10000).expect("full");
        assert_eq!(last.amount_minor, -750);
        lines.push(last);
        assert_eq!(sum(&lines), 0);
        assert_eq!(reversal_for_refund(&lines, 10000, 10000), None);
    }

    #[test]
    fn revenue_share_true_ups_round_half_to_even_on_the_net_amount() {
        // 12.5% of 3.00 = 0.375 -> 0.38; of 2.00 = 0.25; of 1.00 = 0.125 -> 0.12; of 0 = 0.
        let table = [(100, -13, 25), (200, -13, 12), (250, -6, 6), (300, -6, 0)];
        let mut lines = vec![share_line(38, "12.5")];
        for (refunded, reversal, total) in table {
            let line = reversal_for_refund(&lines, 300, refunded).expect("true-up");
            assert_eq!(line.amount_minor, reversal, "refunded {refunded}");
            lines.push(line);
            assert_eq!(sum(&lines), total, "refunded {refunded}");
        }
    }

    #[test]
    fn cpa_and_cpl_are_reversed_only_by_a_full_refund() {
        for kind in [Kind::Cpa, Kind::Cpl] {
            let lines = vec![line(kind, 1500)];
            assert_eq!(reversal_for_refund(&lines, 10000, 0), None);
            assert_eq!(reversal_for_refund(&lines, 10000, 9999), None);
            let full = reversal_for_refund(&lines, 10000, 10000).expect("full");
            assert_eq!(
                full,
                Line {
                    kind: Kind::Reversal,
                    amount_minor: -1500,
                    rate_percent: None,
                    reverses: Some(kind),
                }
            );
            // Refunds beyond the amount are a full refund too; a repeat owes nothing more.
            assert!(reversal_for_refund(&lines, 10000, 12000).is_some());
            assert_eq!(
                reversal_for_refund(&[lines[0].clone(), full], 10000, 10000),
                None
            );
        }
        // A free order cannot be refunded, so its CPA stays.
        assert_eq!(reversal_for_refund(&[line(Kind::Cpa, 1500)], 0, 0), None);
    }

    #[test]
    fn other_kinds_are_never_reversed_by_a_refund() {
        for kind in [Kind::FlatFee, Kind::Cpc, Kind::Bonus, Kind::Adjustment] {
            assert_eq!(
                reversal_for_refund(&[line(kind, 5000)], 10000, 10000),
                None,
                "{kind}"
            );
        }
        // Next to a CPA line, only the CPA is reversed; a reversal of something else is ignored.
        let mut manual = line(Kind::Reversal, -100);
        manual.reverses = Some(Kind::Bonus);
        let lines = vec![line(Kind::Bonus, 5000), manual, line(Kind::Cpa, 1500)];
        let full = reversal_for_refund(&lines, 10000, 10000).expect("full");
        assert_eq!(full.amount_minor, -1500);
        assert_eq!(reversal_for_refund(&[], 10000, 10000), None);
    }

    #[test]
    fn a_line_cut_by_the_cap_is_reduced_only_below_what_was_paid() {
        // 10% of 100.00 would be 10.00; the cap cut it to 3.00.
        let lines = vec![share_line(300, "10")];
        assert_eq!(reversal_for_refund(&lines, 10000, 5000), None);
        let line = reversal_for_refund(&lines, 10000, 8000).expect("below paid");
        assert_eq!(line.amount_minor, -100);
        let lines = refund_all(lines, 10000, &[8000, 10000]);
        assert_eq!(sum(&lines), 0);
    }

    #[test]
    fn the_percent_comes_from_a_reversal_when_the_original_is_not_given() {
        let mut earlier = line(Kind::Reversal, -250);
        earlier.reverses = Some(Kind::RevenueShare);
        earlier.rate_percent = Some(pct("10"));
        // Only the earlier reversal: the left share is -250, the share of 50.00 is 500.
        assert_eq!(reversal_for_refund(&[earlier], 10000, 5000), None);
    }

    #[test]
    fn mixed_kinds_are_all_reversed_exactly_once() {
        let lines = vec![share_line(100, "10"), line(Kind::Cpa, 500)];
        let full = reversal_for_refund(&lines, 1000, 1000).expect("full");
        assert_eq!(full.amount_minor, -600);
        assert_eq!(full.reverses, Some(Kind::RevenueShare));
        let lines = refund_all(lines, 1000, &[1000, 1000]);
        assert_eq!(sum(&lines), 0);
    }

    /// The models that commission sales, each with one of its tiered rates.
    fn sale_terms() -> impl Strategy<Value = Terms> {
        let percent = (1i64..=1_000_000).prop_map(|p| Decimal::new(p, 4));
        let cpa = 0i64..100_000;
        prop_oneof![
            (cpa.clone(), cpa.clone()).prop_map(|(base, tier)| (
                OfferModel::Cpa,
                Rates {
                    cpa_minor: Some(base),
                    ..Rates::default()
                },
                VolumeTier {
                    from_sale: 3,
                    cpa_minor: Some(tier),
                    revenue_share_percent: None,
                }
            )),
            (percent.clone(), percent.clone()).prop_map(|(base, tier)| (
                OfferModel::RevenueShare,
                Rates {
                    revenue_share_percent: Some(base),
                    ..Rates::default()
                },
                VolumeTier {
                    from_sale: 3,
                    cpa_minor: None,
                    revenue_share_percent: Some(tier),
                }
            )),
            (cpa.clone(), cpa.clone()).prop_map(|(base, tier)| (
                OfferModel::Hybrid,
                Rates {
                    cpa_minor: Some(base),
                    flat_fee_minor: Some(10_000),
                    ..Rates::default()
                },
                VolumeTier {
                    from_sale: 3,
                    cpa_minor: Some(tier),
                    revenue_share_percent: None,
                }
            )),
            (percent.clone(), percent).prop_map(|(base, tier)| (
                OfferModel::Hybrid,
                Rates {
                    revenue_share_percent: Some(base),
                    flat_fee_minor: Some(10_000),
                    ..Rates::default()
                },
                VolumeTier {
                    from_sale: 3,
                    cpa_minor: None,
                    revenue_share_percent: Some(tier),
                }
            )),
        ]
        .prop_flat_map(|(model, rates, tier)| {
            (
                Just(model),
                Just(rates),
                Just(tier),
                proptest::option::of(0i64..200_000),
            )
        })
        .prop_map(|(model, rates, tier, cap)| {
            effective_terms(model, &rates, &Rates::default(), &[tier], false, cap)
        })
    }

    fn sale(amount: i64, refunded: i64) -> ConversionFacts {
        ConversionFacts {
            kind: ConversionKind::Sale,
            amount_minor: amount,
            refunded_minor: refunded,
            new_customer: true,
            self_referral: false,
        }
    }

    /// Cumulative refunded totals from refund amounts, capped at the order.
    fn totals(amount: i64, refunds: &[i64]) -> Vec<i64> {
        (1..=refunds.len())
            .map(|n| capped_refund_total(amount, refunds[..n].iter().copied()))
            .collect()
    }

    proptest! {
        #[test]
        fn a_fully_refunded_order_nets_to_zero(
            terms in sale_terms(),
            amount in 1i64..10_000_000,
            known_refund in 0i64..10_000_000,
            prior_sales in 0u32..6,
            accrued in -50_000i64..300_000,
        ) {
            // Some of the refund may have been known (held) when the order arrived.
            let known = known_refund.min(amount);
            let month = MonthToDate { prior_sales, accrued_minor: accrued };
            let lines = lines_for_conversion(&terms, &sale(amount, known), &month);
            let lines = refund_all(lines, amount, &[amount]);
            prop_assert_eq!(sum(&lines), 0);
        }

        #[test]
        fn partial_refunds_ending_in_a_full_refund_net_to_zero(
            terms in sale_terms(),
            amount in 1i64..10_000_000,
            refunds in proptest::collection::vec(0i64..5_000_000, 0..8),
            prior_sales in 0u32..6,
            accrued in -50_000i64..300_000,
        ) {
            let month = MonthToDate { prior_sales, accrued_minor: accrued };
            let mut lines = lines_for_conversion(&terms, &sale(amount, 0), &month);
            for refunded in totals(amount, &refunds).into_iter().chain([amount]) {
                let before = sum(&lines);
                if let Some(reversal) = reversal_for_refund(&lines, amount, refunded) {
                    prop_assert_eq!(reversal.kind, Kind::Reversal);
                    prop_assert!(reversal.amount_minor < 0);
                    prop_assert!(reversal.reverses.is_some());
                    lines.push(reversal);
                }
                // A refund only ever takes commission back, never below zero.
                prop_assert!(sum(&lines) <= before);
                prop_assert!(sum(&lines) >= 0);
            }
            prop_assert_eq!(sum(&lines), 0);
        }

        #[test]
        fn revenue_share_lines_sum_to_the_share_of_the_net_amount_after_each_refund(
            percent in 1i64..=1_000_000,
            amount in 0i64..10_000_000,
            refunds in proptest::collection::vec(0i64..5_000_000, 1..8),
        ) {
            let percent = Decimal::new(percent, 4);
            let terms = effective_terms(
                OfferModel::RevenueShare,
                &Rates { revenue_share_percent: Some(percent), ..Rates::default() },
                &Rates::default(),
                &[],
                false,
                None,
            );
            let mut lines = lines_for_conversion(&terms, &sale(amount, 0), &MonthToDate::default());
            prop_assert_eq!(sum(&lines), revenue_share_of(amount, percent));
            for refunded in totals(amount, &refunds) {
                if let Some(reversal) = reversal_for_refund(&lines, amount, refunded) {
                    prop_assert_eq!(reversal.rate_percent, Some(percent));
                    lines.push(reversal);
                }
                prop_assert_eq!(sum(&lines), revenue_share_of(amount - refunded, percent));
            }
        }

        #[test]
        fn the_month_never_accrues_more_than_the_cap(
            model in prop_oneof![
                Just(OfferModel::Cpa),
                Just(OfferModel::Cpl),
                Just(OfferModel::Cpc),
                Just(OfferModel::RevenueShare),
                Just(OfferModel::FlatFee),
                Just(OfferModel::Hybrid),
            ],
            cap in 0i64..500_000,
            events in proptest::collection::vec((0u8..5, 0i64..1_000_000, 0usize..64), 1..60),
        ) {
            let rates = Rates {
                cpa_minor: matches!(model, OfferModel::Cpa | OfferModel::Hybrid).then_some(12_345),
                cpl_minor: (model == OfferModel::Cpl).then_some(2_500),
                cpc_minor: (model == OfferModel::Cpc).then_some(35),
                revenue_share_percent: (model == OfferModel::RevenueShare).then(|| pct("17.5")),
                flat_fee_minor: matches!(model, OfferModel::FlatFee | OfferModel::Hybrid)
                    .then_some(100_000),
            };
            let tiers = [VolumeTier { from_sale: 4, cpa_minor: Some(20_000), revenue_share_percent: None }];
            let tiers = if rates.cpa_minor.is_some() { &tiers[..] } else { &[] };
            let terms = effective_terms(model, &rates, &Rates::default(), tiers, false, Some(cap));
            let mut month = MonthToDate::default();
            // Each conversion: its amount, refunded total, and ledger lines.
            let mut conversions: Vec<(i64, i64, Vec<Line>)> = Vec::new();
            for (event, value, pick) in events {
                let new_lines: Vec<Line> = match event {
                    0 | 1 => {
                        let kind = if event == 0 { ConversionKind::Sale } else { ConversionKind::Lead };
                        let facts = ConversionFacts { kind, ..sale(value, 0) };
                        let lines = lines_for_conversion(&terms, &facts, &month);
                        if kind == ConversionKind::Sale {
                            month.prior_sales += 1;
                        }
                        conversions.push((value, 0, lines.clone()));
                        lines
                    }
                    2 => cpc_line(&terms, u64::try_from(value % 5_000).unwrap(), &month).into_iter().collect(),
                    3 => flat_fee_line(&terms, &month).into_iter().collect(),
                    _ if conversions.is_empty() => Vec::new(),
                    _ => {
                        let index = pick % conversions.len();
                        let (amount, refunded, lines) = &mut conversions[index];
                        *refunded = capped_refund_total(*amount, [*refunded, value % (*amount + 1)]);
                        let reversal = reversal_for_refund(lines, *amount, *refunded);
                        lines.extend(reversal.clone());
                        reversal.into_iter().collect()
                    }
                };
                month.accrued_minor += sum(&new_lines);
                prop_assert!(month.accrued_minor <= cap, "accrued {} over cap {}", month.accrued_minor, cap);
                prop_assert!(new_lines.iter().all(|l| l.amount_minor != 0));
            }
        }
    }

    #[test]
    fn a_refund_locks_once_the_lock_period_has_passed() {
        use chrono::TimeZone;
        let sold = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        let day = Duration::days(1);
        assert!(!refund_is_locked(sold, None, sold + day * 3650));
        assert!(!refund_is_locked(
            sold,
            Some(30),
            sold + day * 30 - Duration::seconds(1)
        ));
        assert!(refund_is_locked(sold, Some(30), sold + day * 30));
        assert!(refund_is_locked(sold, Some(0), sold));
    }

    #[test]
    fn a_clawback_takes_back_at_most_what_the_lines_net_to() {
        let sale = share_line(1_000, "10");
        assert_eq!(clawback_limit(&[]), 0);
        assert_eq!(clawback_limit(std::slice::from_ref(&sale)), 1_000);
        let clawed = vec![sale.clone(), line(Kind::Clawback, -400)];
        assert_eq!(clawback_limit(&clawed), 600);
        assert_eq!(clawback_limit(&[sale, line(Kind::Clawback, -1_000)]), 0);
    }

    #[test]
    fn after_a_clawback_a_full_refund_reverses_only_what_is_left() {
        let lines = vec![share_line(1_000, "10"), line(Kind::Clawback, -400)];
        // The clawback is no refundable kind: the engine alone would reverse the whole 1,000.
        let reversal = reversal_for_refund(&lines, 10_000, 10_000).expect("a reversal");
        assert_eq!(reversal.amount_minor, -1_000);
        let cut = within_net(&lines, reversal).expect("what is left");
        assert_eq!(cut.amount_minor, -600);
        assert_eq!(cut.kind, Kind::Reversal);
        assert_eq!(sum(&lines) + cut.amount_minor, 0);
        // Everything clawed back: nothing is left to reverse.
        let all = vec![share_line(1_000, "10"), line(Kind::Clawback, -1_000)];
        let reversal = reversal_for_refund(&all, 10_000, 10_000).expect("a reversal");
        assert_eq!(within_net(&all, reversal), None);
        // No clawback: the reversal is left as it is.
        let plain = vec![share_line(1_000, "10")];
        let reversal = reversal_for_refund(&plain, 10_000, 5_000).expect("a reversal");
        assert_eq!(within_net(&plain, reversal.clone()), Some(reversal));
    }
}
