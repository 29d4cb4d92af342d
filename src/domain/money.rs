//! Money: integer minor units plus an ISO 4217 currency. Never a float.
//!
//! All rounding in the product goes through [`round_half_even`], once per computed amount.

use std::fmt;

use rust_decimal::Decimal;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("unknown currency code {0:?} (expected an ISO 4217 code such as \"USD\")")]
    UnknownCurrency(String),
    #[error("{currency} allows at most {digits} decimal places")]
    TooPrecise { currency: &'static str, digits: u32 },
    #[error("amount is out of range")]
    Overflow,
    #[error("currencies differ: {0} and {1}")]
    CurrencyMismatch(&'static str, &'static str),
}

/// An ISO 4217 currency that has a defined number of minor digits (so not XAU, XDR, ...).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency(iso_currency::Currency);

impl Currency {
    /// Parses an upper-case three-letter code. Lower case is refused so that stored codes are
    /// canonical.
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        let unknown = || MoneyError::UnknownCurrency(code.to_owned());
        let currency = iso_currency::Currency::from_code(code).ok_or_else(unknown)?;
        currency.exponent().ok_or_else(unknown)?;
        Ok(Self(currency))
    }

    pub fn code(self) -> &'static str {
        self.0.code()
    }

    /// Number of decimal places of the minor unit (2 for USD, 0 for JPY, 3 for KWD).
    pub fn minor_digits(self) -> u32 {
        // `parse` only admits currencies with an exponent.
        u32::from(self.0.exponent().unwrap_or(0))
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    pub fn zero(currency: Currency) -> Self {
        Self::new(0, currency)
    }

    /// Exact conversion from a decimal amount: "12.5" USD is 1250; "12.345" USD is refused
    /// rather than silently rounded.
    pub fn from_decimal(amount: Decimal, currency: Currency) -> Result<Self, MoneyError> {
        let digits = currency.minor_digits();
        let normalized = amount.normalize();
        if normalized.scale() > digits {
            return Err(MoneyError::TooPrecise {
                currency: currency.code(),
                digits,
            });
        }
        let factor = 10i128.pow(digits - normalized.scale());
        let minor = normalized
            .mantissa()
            .checked_mul(factor)
            .and_then(|m| i64::try_from(m).ok())
            .ok_or(MoneyError::Overflow)?;
        Ok(Self::new(minor, currency))
    }

    /// The amount with exactly the currency's number of decimals ("1234.50").
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.minor, self.currency.minor_digits())
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch(
                self.currency.code(),
                other.currency.code(),
            ));
        }
        let minor = self
            .minor
            .checked_add(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }
}

/// `numerator / denominator` rounded half to even (banker's rounding). `denominator` must be
/// positive.
pub fn round_half_even(numerator: i128, denominator: i128) -> i128 {
    assert!(denominator > 0, "denominator must be positive");
    let quotient = numerator.div_euclid(denominator);
    let remainder = numerator.rem_euclid(denominator);
    match (2 * remainder).cmp(&denominator) {
        std::cmp::Ordering::Less => quotient,
        std::cmp::Ordering::Greater => quotient + 1,
        std::cmp::Ordering::Equal if quotient % 2 == 0 => quotient,
        std::cmp::Ordering::Equal => quotient + 1,
    }
}

/// `minor x factor`, rounded half to even once, in i128 so that no intermediate overflows.
pub fn mul_round_half_even(minor: i64, factor: Decimal) -> Result<i64, MoneyError> {
    let numerator = i128::from(minor)
        .checked_mul(factor.mantissa())
        .ok_or(MoneyError::Overflow)?;
    let denominator = 10i128.pow(factor.scale());
    i64::try_from(round_half_even(numerator, denominator)).map_err(|_| MoneyError::Overflow)
}

/// Converts an amount to another currency at `rate` (1 unit of `amount.currency` = `rate` units
/// of `to`), adjusting for the two currencies' minor digits and rounding half to even once.
pub fn convert(amount: Money, to: Currency, rate: Decimal) -> Result<Money, MoneyError> {
    let from_digits = amount.currency.minor_digits();
    let to_digits = to.minor_digits();
    let mut numerator = i128::from(amount.minor)
        .checked_mul(rate.mantissa())
        .ok_or(MoneyError::Overflow)?;
    let mut denominator = 10i128.pow(rate.scale());
    if to_digits >= from_digits {
        numerator = numerator
            .checked_mul(10i128.pow(to_digits - from_digits))
            .ok_or(MoneyError::Overflow)?;
    } else {
        denominator *= 10i128.pow(from_digits - to_digits);
    }
    let minor =
        i64::try_from(round_half_even(numerator, denominator)).map_err(|_| MoneyError::Overflow)?;
    Ok(Money::new(minor, to))
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use proptest::prelude::*;

    use super::*;

    fn cur(code: &str) -> Currency {
        Currency::parse(code).expect("known currency")
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal")
    }

    #[test]
    fn currencies_know_their_minor_digits() {
        assert_eq!(cur("USD").minor_digits(), 2);
        assert_eq!(cur("JPY").minor_digits(), 0);
        assert_eq!(cur("KWD").minor_digits(), 3);
    }

    #[test]
    fn unknown_lowercase_and_metal_codes_are_refused() {
        for code in ["usd", "XYZ", "US", "", "XAU"] {
            assert!(Currency::parse(code).is_err(), "{code} should be refused");
        }
    }

    #[test]
    fn decimal_amounts_convert_exactly_to_minor_units() {
        assert_eq!(
            Money::from_decimal(dec("12.5"), cur("USD")).unwrap().minor,
            1250
        );
        assert_eq!(
            Money::from_decimal(dec("12.50"), cur("USD")).unwrap().minor,
            1250
        );
        assert_eq!(
            Money::from_decimal(dec("-0.01"), cur("EUR")).unwrap().minor,
            -1
        );
        assert_eq!(
            Money::from_decimal(dec("1500"), cur("JPY")).unwrap().minor,
            1500
        );
        assert_eq!(
            Money::from_decimal(dec("1.000"), cur("JPY")).unwrap().minor,
            1
        );
    }

    #[test]
    fn amounts_finer_than_the_minor_unit_are_refused() {
        let err = Money::from_decimal(dec("12.345"), cur("USD")).unwrap_err();
        assert!(matches!(err, MoneyError::TooPrecise { digits: 2, .. }));
        assert!(Money::from_decimal(dec("0.5"), cur("JPY")).is_err());
    }

    #[test]
    fn huge_amounts_overflow_cleanly() {
        let err = Money::from_decimal(dec("99999999999999999999"), cur("USD")).unwrap_err();
        assert_eq!(err, MoneyError::Overflow);
    }

    #[test]
    fn to_decimal_keeps_the_currency_scale() {
        assert_eq!(
            Money::new(123450, cur("USD")).to_decimal().to_string(),
            "1234.50"
        );
        assert_eq!(Money::new(-5, cur("USD")).to_decimal().to_string(), "-0.05");
        assert_eq!(Money::new(700, cur("JPY")).to_decimal().to_string(), "700");
    }

    #[test]
    fn round_half_even_table() {
        let cases = [
            (5, 10, 0),
            (15, 10, 2),
            (25, 10, 2),
            (35, 10, 4),
            (-5, 10, 0),
            (-15, 10, -2),
            (-25, 10, -2),
            (14, 10, 1),
            (16, 10, 2),
            (-14, 10, -1),
            (-16, 10, -2),
            (0, 7, 0),
        ];
        for (n, d, want) in cases {
            assert_eq!(round_half_even(n, d), want, "{n}/{d}");
        }
    }

    #[test]
    fn percent_of_amount_rounds_once_half_to_even() {
        // 12.5% of 1.00 = 0.125 -> 0.12; 12.5% of 1.20 = 0.15 exactly.
        assert_eq!(mul_round_half_even(100, dec("0.125")).unwrap(), 12);
        assert_eq!(mul_round_half_even(120, dec("0.125")).unwrap(), 15);
        assert_eq!(mul_round_half_even(300, dec("0.125")).unwrap(), 38);
    }

    #[test]
    fn conversion_adjusts_for_minor_digits() {
        // 1 EUR = 1.0850 USD: 10.00 EUR -> 10.85 USD.
        let eur = Money::new(1000, cur("EUR"));
        assert_eq!(convert(eur, cur("USD"), dec("1.0850")).unwrap().minor, 1085);
        // 1 JPY = 0.0067 USD: 1500 JPY -> 10.05 USD.
        let jpy = Money::new(1500, cur("JPY"));
        assert_eq!(convert(jpy, cur("USD"), dec("0.0067")).unwrap().minor, 1005);
        // 1 USD = 149.5 JPY: 0.01 USD -> 1.495 JPY -> 1 JPY (half-even on .495 rounds down).
        let cent = Money::new(1, cur("USD"));
        assert_eq!(convert(cent, cur("JPY"), dec("149.5")).unwrap().minor, 1);
        // 1 USD = 0.3075 KWD: 2.00 USD -> 0.615 KWD = 615 fils.
        let usd = Money::new(200, cur("USD"));
        assert_eq!(convert(usd, cur("KWD"), dec("0.3075")).unwrap().minor, 615);
    }

    #[test]
    fn adding_different_currencies_is_an_error() {
        let a = Money::new(1, cur("USD"));
        let b = Money::new(1, cur("EUR"));
        assert!(a.checked_add(b).is_err());
        assert_eq!(a.checked_add(a).unwrap().minor, 2);
    }

    proptest! {
        #[test]
        fn rounding_is_within_half_a_unit(n in -1_000_000_000i128..1_000_000_000, d in 1i128..10_000) {
            let q = round_half_even(n, d);
            // |n/d - q| <= 1/2  <=>  |n - q*d| * 2 <= d
            prop_assert!((n - q * d).abs() * 2 <= d);
        }

        #[test]
        fn ties_round_to_even(k in -1_000_000i128..1_000_000) {
            // (2k+1)/2 is always a tie.
            let q = round_half_even(2 * k + 1, 2);
            prop_assert_eq!(q % 2, 0);
        }

        #[test]
        fn decimal_round_trip(minor in -1_000_000_000_000i64..1_000_000_000_000) {
            for code in ["USD", "JPY", "KWD"] {
                let m = Money::new(minor, cur(code));
                prop_assert_eq!(Money::from_decimal(m.to_decimal(), m.currency).unwrap(), m);
            }
        }

        #[test]
        fn conversion_at_rate_one_between_same_digit_currencies_is_identity(minor in -1_000_000_000i64..1_000_000_000) {
            let m = Money::new(minor, cur("EUR"));
            prop_assert_eq!(convert(m, cur("USD"), Decimal::ONE).unwrap().minor, minor);
        }
    }
}
