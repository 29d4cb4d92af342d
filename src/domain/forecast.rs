//! The default forecast (DOMAIN.md, Metrics, `forecast`): what a budget buys if the campaign keeps
//! performing as it did over its lookback window.
//!
//! Money is computed exactly in i128 from the window's totals and rounded half to even once per
//! figure (rule 1): the expected revenue is `budget x revenue / spend`, not a product of rounded
//! CPA and AOV. Counts and ratios are `f64`.

use chrono::{DateTime, Utc};

use crate::domain::money::{Currency, Money, round_half_even};

/// What the campaign did over the lookback window `[from, to)`, in the brand currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lookback {
    /// Length of the window in days, as asked.
    pub days: u32,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Attributed sales not fully refunded.
    pub sales: i64,
    /// Attributed revenue net of refunds.
    pub revenue: Money,
    /// Commissions plus other costs.
    pub spend: Money,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Forecast {
    /// Spend per sale in the window.
    pub expected_cpa: Money,
    /// `budget / cpa`, computed as `budget x sales / spend`.
    pub expected_sales: f64,
    /// `expectedSales x aov`, computed as `budget x revenue / spend`.
    pub expected_revenue: Money,
    /// Revenue per unit of spend in the window.
    pub expected_roas: f64,
    /// The window and the figures used, for people.
    pub basis: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ForecastError {
    #[error("no sales in the last {0} days: there is no history to forecast from")]
    NoSales(u32),
    #[error("no spend in the last {0} days: there is no history to forecast from")]
    NoSpend(u32),
    #[error("the budget must not be negative")]
    NegativeBudget,
    #[error("the budget must be in the brand currency {expected}, not {given}")]
    CurrencyMismatch {
        expected: &'static str,
        given: &'static str,
    },
    #[error("the forecast is out of range")]
    Overflow,
}

fn money(minor: i128, currency: Currency) -> Result<Money, ForecastError> {
    i64::try_from(minor)
        .map(|minor| Money::new(minor, currency))
        .map_err(|_| ForecastError::Overflow)
}

/// The forecast for `budget` from `lookback`.
///
/// No sales, or no positive spend, in the window is an error: there is no cost per sale to
/// project (negative net spend, reversals outweighing lines, is no better a basis than none).
pub fn forecast(budget: Money, lookback: &Lookback) -> Result<Forecast, ForecastError> {
    let currency = lookback.spend.currency;
    if budget.currency != currency {
        return Err(ForecastError::CurrencyMismatch {
            expected: currency.code(),
            given: budget.currency.code(),
        });
    }
    if budget.minor < 0 {
        return Err(ForecastError::NegativeBudget);
    }
    if lookback.sales <= 0 {
        return Err(ForecastError::NoSales(lookback.days));
    }
    if lookback.spend.minor <= 0 {
        return Err(ForecastError::NoSpend(lookback.days));
    }
    let sales = i128::from(lookback.sales);
    let spend = i128::from(lookback.spend.minor);
    let revenue = i128::from(lookback.revenue.minor);
    let budget_minor = i128::from(budget.minor);
    let expected_cpa = money(round_half_even(spend, sales), currency)?;
    let expected_revenue = money(round_half_even(budget_minor * revenue, spend), currency)?;
    Ok(Forecast {
        expected_cpa,
        expected_sales: budget.minor as f64 * lookback.sales as f64 / lookback.spend.minor as f64,
        expected_revenue,
        expected_roas: lookback.revenue.minor as f64 / lookback.spend.minor as f64,
        basis: basis(
            lookback,
            expected_cpa,
            money(round_half_even(revenue, sales), currency)?,
        ),
    })
}

/// "90 days 2026-09-02..2026-12-01: 120 sales, revenue 12,345.67 USD, spend 3,456.00 USD,
/// CPA 28.80 USD, AOV 102.88 USD, ROAS 3.57" (dates in UTC, the end exclusive).
fn basis(lookback: &Lookback, cpa: Money, aov: Money) -> String {
    // ROAS to two decimals, rounded half to even like money.
    let roas_hundredths = round_half_even(
        i128::from(lookback.revenue.minor) * 100,
        i128::from(lookback.spend.minor),
    );
    format!(
        "{} {}..{}: {}, revenue {}, spend {}, CPA {}, AOV {}, ROAS {}",
        plural(i64::from(lookback.days), "day"),
        lookback.from.format("%Y-%m-%d"),
        lookback.to.format("%Y-%m-%d"),
        plural(lookback.sales, "sale"),
        grouped(lookback.revenue),
        grouped(lookback.spend),
        grouped(cpa),
        grouped(aov),
        hundredths(roas_hundredths),
    )
}

fn plural(count: i64, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// An amount with thousands separators and its currency: "12,345.67 USD".
fn grouped(amount: Money) -> String {
    let plain = amount.to_decimal().to_string();
    let (sign, unsigned) = match plain.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", plain.as_str()),
    };
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    let mut out = String::from(sign);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    if let Some(fraction) = fraction {
        out.push('.');
        out.push_str(fraction);
    }
    format!("{out} {}", amount.currency)
}

/// An integer count of hundredths as a decimal: 357 -> "3.57", -5 -> "-0.05".
fn hundredths(value: i128) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let value = value.unsigned_abs();
    format!("{sign}{}.{:02}", value / 100, value % 100)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::parse("USD").expect("USD"))
    }

    fn lookback(sales: i64, revenue: i64, spend: i64) -> Lookback {
        Lookback {
            days: 90,
            from: Utc.with_ymd_and_hms(2026, 9, 2, 15, 30, 0).unwrap(),
            to: Utc.with_ymd_and_hms(2026, 12, 1, 15, 30, 0).unwrap(),
            sales,
            revenue: usd(revenue),
            spend: usd(spend),
        }
    }

    #[test]
    fn hand_worked_forecast() {
        // 120 sales, revenue 12,345.67, spend 3,456.00 over 90 days; budget 10,000.00.
        //   CPA  = 3,456.00 / 120 = 28.80
        //   AOV  = 12,345.67 / 120 = 102.880583... -> 102.88 (basis only)
        //   ROAS = 12,345.67 / 3,456.00 = 3.5722424768...
        //   expected sales   = 10,000.00 x 120 / 3,456.00 = 347.2222...
        //   expected revenue = 1,000,000 x 1,234,567 / 345,600 minor = 3,572,242.476... -> 35,722.42
        let forecast = forecast(usd(1_000_000), &lookback(120, 1_234_567, 345_600)).expect("ok");
        assert_eq!(forecast.expected_cpa, usd(2_880));
        assert!((forecast.expected_sales - 347.222_222_222_222_2).abs() < 1e-9);
        assert_eq!(forecast.expected_revenue, usd(3_572_242));
        assert!((forecast.expected_roas - 3.572_242_476_851_852).abs() < 1e-12);
        assert_eq!(
            forecast.basis,
            "90 days 2026-09-02..2026-12-01: 120 sales, revenue 12,345.67 USD, \
             spend 3,456.00 USD, CPA 28.80 USD, AOV 102.88 USD, ROAS 3.57"
        );
    }

    #[test]
    fn money_rounds_half_to_even_once() {
        // 4 sales for 0.10 spend: CPA 0.025 -> 0.02. Budget 0.01 x revenue 0.05 / spend 0.10
        // = 0.005 -> 0.00; budget 0.03 -> 0.015 -> 0.02.
        let window = lookback(4, 5, 10);
        let small = forecast(usd(1), &window).expect("ok");
        assert_eq!(small.expected_cpa, usd(2));
        assert_eq!(small.expected_revenue, usd(0));
        assert_eq!(
            forecast(usd(3), &window).expect("ok").expected_revenue,
            usd(2)
        );
    }

    #[test]
    fn no_history_is_an_error() {
        assert_eq!(
            forecast(usd(100), &lookback(0, 0, 5_000)),
            Err(ForecastError::NoSales(90))
        );
        assert_eq!(
            forecast(usd(100), &lookback(3, 9_000, 0)),
            Err(ForecastError::NoSpend(90))
        );
        assert_eq!(
            forecast(usd(100), &lookback(3, 9_000, -10)),
            Err(ForecastError::NoSpend(90))
        );
    }

    #[test]
    fn the_budget_is_in_the_window_currency_and_not_negative() {
        let eur = Money::new(100, Currency::parse("EUR").expect("EUR"));
        assert!(matches!(
            forecast(eur, &lookback(1, 1, 1)),
            Err(ForecastError::CurrencyMismatch { .. })
        ));
        assert_eq!(
            forecast(usd(-1), &lookback(1, 1, 1)),
            Err(ForecastError::NegativeBudget)
        );
        let zero = forecast(usd(0), &lookback(2, 100, 50)).expect("ok");
        assert_eq!((zero.expected_sales, zero.expected_revenue), (0.0, usd(0)));
    }

    #[test]
    fn huge_forecasts_fail_cleanly() {
        let window = lookback(1, i64::MAX, 1);
        assert_eq!(
            forecast(usd(i64::MAX), &window),
            Err(ForecastError::Overflow)
        );
    }

    #[test]
    fn basis_formats_amounts_for_people() {
        let window = Lookback {
            days: 1,
            sales: 1,
            ..lookback(1, -123_456_789, 100)
        };
        let basis = forecast(usd(0), &window).expect("ok").basis;
        assert_eq!(
            basis,
            "1 day 2026-09-02..2026-12-01: 1 sale, revenue -1,234,567.89 USD, spend 1.00 USD, \
             CPA 1.00 USD, AOV -1,234,567.89 USD, ROAS -1234567.89"
        );
        let yen = Money::new(1_234_567, Currency::parse("JPY").expect("JPY"));
        assert_eq!(grouped(yen), "1,234,567 JPY");
        assert_eq!(grouped(usd(5)), "0.05 USD");
        assert_eq!(grouped(usd(100_000)), "1,000.00 USD");
        assert_eq!(hundredths(-5), "-0.05");
    }
}
