//! Geo-holdout lift (DOMAIN.md, Metrics, `experiment`): treatment regions run the campaign,
//! control regions do not, and the difference in conversions per capita is the campaign's effect.
//!
//! Rates and lift are statistics, so they are `f64`; the incremental revenue is money and is
//! computed exactly in i128 and rounded half to even once (rule 1). Any figure whose denominator
//! is zero is `None`, never 0 or infinity.

use crate::domain::money::round_half_even;
use crate::domain::stored_enum;

stored_enum! {
    /// The side of a geo holdout a region is on: the campaign runs in TREATMENT regions and is
    /// held out of CONTROL regions.
    pub enum Arm {
        Treatment => "TREATMENT",
        Control => "CONTROL",
    }
}

/// The two-sided 95% quantile of the standard normal distribution.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// What was observed in one arm (treatment or control) over the experiment window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArmObservation {
    /// SALE conversions in the arm's regions.
    pub conversions: i64,
    /// Sum of the arm's region populations.
    pub population: i64,
    /// Net revenue of those conversions, in brand minor units.
    pub revenue_minor: i64,
}

/// The experiment's result. Every `Option` is `None` when its denominator is zero.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lift {
    /// Conversions per capita in the treatment regions.
    pub treatment_rate: Option<f64>,
    /// Conversions per capita in the control regions.
    pub control_rate: Option<f64>,
    /// `(rate_t - rate_c) / rate_c`.
    pub lift: Option<f64>,
    /// Lower bound of the 95% interval of `lift`.
    pub lift_low: Option<f64>,
    /// Upper bound of the 95% interval of `lift`.
    pub lift_high: Option<f64>,
    /// `(rate_t - rate_c) x population_t`.
    pub incremental_conversions: Option<f64>,
    /// `(revenue_t / population_t - revenue_c / population_c) x population_t`, minor units.
    pub incremental_revenue_minor: Option<i64>,
    /// Incremental revenue per unit of campaign spend.
    pub iroas: Option<f64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LiftError {
    #[error("incremental revenue is out of range")]
    Overflow,
}

fn ratio(numerator: f64, denominator: f64) -> Option<f64> {
    (denominator != 0.0).then(|| numerator / denominator)
}

/// The rate of an arm; `None` without population.
fn rate(arm: ArmObservation) -> Option<f64> {
    ratio(arm.conversions as f64, arm.population as f64)
}

/// The 95% interval of the lift: the two-proportion normal approximation on the difference of
/// rates, `diff ± z·se` with `se = sqrt(p_t(1-p_t)/n_t + p_c(1-p_c)/n_c)`, divided by `rate_c`.
///
/// `None` when a rate exceeds 1 (more conversions than people: a repeat-buyer or population
/// error, where a rate is not a proportion and the approximation says nothing).
fn interval(
    treatment: ArmObservation,
    control: ArmObservation,
    p_t: f64,
    p_c: f64,
) -> Option<(f64, f64)> {
    if p_c == 0.0 || !(0.0..=1.0).contains(&p_t) || !(0.0..=1.0).contains(&p_c) {
        return None;
    }
    let variance = p_t * (1.0 - p_t) / treatment.population as f64
        + p_c * (1.0 - p_c) / control.population as f64;
    let half_width = Z_95 * variance.sqrt();
    let diff = p_t - p_c;
    Some(((diff - half_width) / p_c, (diff + half_width) / p_c))
}

/// `revenue_t - revenue_c · pop_t / pop_c`, exact, rounded half to even once.
///
/// Both products are below 2^126 in magnitude (i64 x i64), so their difference fits in i128.
fn incremental_revenue(
    treatment: ArmObservation,
    control: ArmObservation,
) -> Result<Option<i64>, LiftError> {
    if treatment.population <= 0 || control.population <= 0 {
        return Ok(None);
    }
    let numerator = i128::from(treatment.revenue_minor) * i128::from(control.population)
        - i128::from(control.revenue_minor) * i128::from(treatment.population);
    let minor = round_half_even(numerator, i128::from(control.population));
    i64::try_from(minor)
        .map(Some)
        .map_err(|_| LiftError::Overflow)
}

/// The geo-holdout result of `treatment` against `control`, with the campaign's `spend_minor`
/// in the window (for iROAS).
pub fn geo_holdout(
    treatment: ArmObservation,
    control: ArmObservation,
    spend_minor: i64,
) -> Result<Lift, LiftError> {
    let treatment_rate = rate(treatment);
    let control_rate = rate(control);
    let rates = treatment_rate.zip(control_rate);
    let lift = rates.and_then(|(p_t, p_c)| ratio(p_t - p_c, p_c));
    let bounds = rates.and_then(|(p_t, p_c)| interval(treatment, control, p_t, p_c));
    let incremental_conversions = rates.map(|(p_t, p_c)| (p_t - p_c) * treatment.population as f64);
    let incremental_revenue_minor = incremental_revenue(treatment, control)?;
    let iroas =
        incremental_revenue_minor.and_then(|revenue| ratio(revenue as f64, spend_minor as f64));
    Ok(Lift {
        treatment_rate,
        control_rate,
        lift,
        lift_low: bounds.map(|b| b.0),
        lift_high: bounds.map(|b| b.1),
        incremental_conversions,
        incremental_revenue_minor,
        iroas,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn arm(conversions: i64, population: i64, revenue_minor: i64) -> ArmObservation {
        ArmObservation {
            conversions,
            population,
            revenue_minor,
        }
    }

    fn close(actual: Option<f64>, expected: f64) {
        let actual = actual.expect("a value");
        assert!(
            (actual - expected).abs() < 1e-12,
            "{actual} is not {expected}"
        );
    }

    #[test]
    fn arms_round_trip() {
        for arm in Arm::ALL {
            assert_eq!(Arm::parse(arm.as_str()), Some(*arm));
        }
        assert_eq!(Arm::parse("treatment"), None);
    }

    #[test]
    fn hand_worked_example() {
        // Treatment: 120 sales among 10,000 people, revenue 12,345.00; control: 90 of 10,000,
        // revenue 9,876.00; spend 1,000.00.
        //   p_t = 0.012, p_c = 0.009, diff = 0.003, lift = 0.003 / 0.009 = 1/3
        //   var_t = 0.012 x 0.988 / 10,000 = 1.1856e-6
        //   var_c = 0.009 x 0.991 / 10,000 = 8.919e-7
        //   se = sqrt(2.0775e-6) = 0.00144135353053995743...
        //   z·se = 1.959963984540054 x se = 0.00282500100884796937...
        //   low  = (0.003 - z·se) / 0.009 = 0.01944433235022562...
        //   high = (0.003 + z·se) / 0.009 = 0.64722233431644104...
        //   incremental conversions = 0.003 x 10,000 = 30
        //   incremental revenue = 1,234,500 - 987,600 x 10,000 / 10,000 = 246,900 minor
        //   iROAS = 246,900 / 100,000 = 2.469
        let lift = geo_holdout(
            arm(120, 10_000, 1_234_500),
            arm(90, 10_000, 987_600),
            100_000,
        )
        .expect("in range");
        close(lift.treatment_rate, 0.012);
        close(lift.control_rate, 0.009);
        close(lift.lift, 1.0 / 3.0);
        close(lift.lift_low, 0.019_444_332_350_225_62);
        close(lift.lift_high, 0.647_222_334_316_441);
        close(lift.incremental_conversions, 30.0);
        assert_eq!(lift.incremental_revenue_minor, Some(246_900));
        close(lift.iroas, 2.469);
    }

    #[test]
    fn unequal_populations_compare_per_capita() {
        // Treatment 30 of 1,000 (3%), revenue 3,000.00; control 40 of 2,000 (2%), revenue
        // 3,000.00. Lift = 0.01 / 0.02 = 0.5; incremental conversions = 0.01 x 1,000 = 10;
        // incremental revenue = 300,000 - 300,000 x 1,000 / 2,000 = 150,000.
        let lift = geo_holdout(arm(30, 1_000, 300_000), arm(40, 2_000, 300_000), 50_000)
            .expect("in range");
        close(lift.lift, 0.5);
        close(lift.incremental_conversions, 10.0);
        assert_eq!(lift.incremental_revenue_minor, Some(150_000));
        close(lift.iroas, 3.0);
    }

    #[test]
    fn no_control_conversions_means_no_lift() {
        let lift = geo_holdout(arm(5, 1_000, 50_000), arm(0, 1_000, 0), 10_000).expect("in range");
        close(lift.control_rate, 0.0);
        assert_eq!(
            (lift.lift, lift.lift_low, lift.lift_high),
            (None, None, None)
        );
        // Incremental figures divide by populations, not by the control rate.
        close(lift.incremental_conversions, 5.0);
        assert_eq!(lift.incremental_revenue_minor, Some(50_000));
        close(lift.iroas, 5.0);
    }

    #[test]
    fn no_spend_means_no_iroas() {
        let lift = geo_holdout(arm(20, 1_000, 0), arm(10, 1_000, 0), 0).expect("in range");
        assert_eq!(lift.iroas, None);
        assert_eq!(lift.incremental_revenue_minor, Some(0));
    }

    #[test]
    fn no_population_means_no_rates() {
        let lift = geo_holdout(arm(3, 0, 300), arm(2, 100, 200), 100).expect("in range");
        assert_eq!(lift.treatment_rate, None);
        assert_eq!(lift.lift, None);
        assert_eq!(lift.incremental_conversions, None);
        assert_eq!(lift.incremental_revenue_minor, None);
        assert_eq!(lift.iroas, None);
    }

    #[test]
    fn incremental_revenue_rounds_half_to_even_once() {
        // One person in treatment, two in control: revenue_t - revenue_c / 2.
        let revenue = |t, c| {
            geo_holdout(arm(1, 1, t), arm(1, 2, c), 1)
                .expect("in range")
                .incremental_revenue_minor
        };
        assert_eq!(revenue(10, 5), Some(8), "7.5 -> 8");
        assert_eq!(revenue(9, 5), Some(6), "6.5 -> 6");
        assert_eq!(revenue(0, 5), Some(-2), "-2.5 -> -2");
        assert_eq!(revenue(0, 7), Some(-4), "-3.5 -> -4");
        // Per capita thirds: 100 - 50 x 1 / 3 = 83.33... -> 83, once (not 100 - round(16.67)).
        let thirds = geo_holdout(arm(1, 1, 100), arm(1, 3, 50), 1).expect("in range");
        assert_eq!(thirds.incremental_revenue_minor, Some(83));
    }

    #[test]
    fn rates_above_one_have_no_interval() {
        let lift = geo_holdout(arm(50, 10, 0), arm(5, 10, 0), 1).expect("in range");
        close(lift.lift, 9.0);
        assert_eq!((lift.lift_low, lift.lift_high), (None, None));
    }

    #[test]
    fn extreme_amounts_fit_or_fail_cleanly() {
        let max = geo_holdout(arm(1, i64::MAX, i64::MAX), arm(1, i64::MAX, i64::MIN), 1);
        assert_eq!(max, Err(LiftError::Overflow));
        let fits = geo_holdout(arm(1, i64::MAX, i64::MAX), arm(1, i64::MAX, i64::MAX), 1)
            .expect("in range");
        assert_eq!(fits.incremental_revenue_minor, Some(0));
    }

    proptest! {
        #[test]
        fn the_interval_contains_the_lift(
            population_t in 1i64..10_000_000,
            population_c in 1i64..10_000_000,
            share_t in 0.0f64..=1.0,
            share_c in 0.0f64..=1.0,
        ) {
            let conversions_t = (population_t as f64 * share_t) as i64;
            let conversions_c = ((population_c as f64 * share_c) as i64).max(1);
            let lift = geo_holdout(
                arm(conversions_t, population_t, 0),
                arm(conversions_c, population_c, 0),
                1,
            ).expect("in range");
            let (low, mid, high) = (
                lift.lift_low.expect("low"),
                lift.lift.expect("lift"),
                lift.lift_high.expect("high"),
            );
            prop_assert!(low <= mid && mid <= high, "{low} <= {mid} <= {high}");
        }

        #[test]
        fn incremental_revenue_is_within_half_a_unit(
            revenue_t in -1_000_000_000i64..1_000_000_000,
            revenue_c in -1_000_000_000i64..1_000_000_000,
            population_t in 1i64..1_000_000,
            population_c in 1i64..1_000_000,
        ) {
            let lift = geo_holdout(
                arm(0, population_t, revenue_t),
                arm(0, population_c, revenue_c),
                1,
            ).expect("in range");
            let got = i128::from(lift.incremental_revenue_minor.expect("revenue"));
            // |got - exact| <= 1/2 where exact = (r_t·n_c - r_c·n_t) / n_c.
            let exact_numerator = i128::from(revenue_t) * i128::from(population_c)
                - i128::from(revenue_c) * i128::from(population_t);
            prop_assert!((got * i128::from(population_c) - exact_numerator).abs() * 2
                <= i128::from(population_c));
        }
    }
}
