//! Brand-level settings and their rules.

use std::str::FromStr;

use rust_decimal::Decimal;

/// Which candidate wins when a click and a discount code point to different enrollments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CodePrecedence {
    #[default]
    CodeWins,
    ClickWins,
}

impl CodePrecedence {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CodeWins => "CODE_WINS",
            Self::ClickWins => "CLICK_WINS",
        }
    }

    /// Stored values are written by this code; an unknown one falls back to the default.
    pub fn from_stored(value: &str) -> Self {
        match value {
            "CLICK_WINS" => Self::ClickWins,
            _ => Self::CodeWins,
        }
    }
}

pub const MAX_NAME_LEN: usize = 120;
pub const MAX_ATTRIBUTION_WINDOW_DAYS: i32 = 365;
pub const MAX_HOLD_PERIOD_DAYS: i32 = 365;
pub const MAX_LOCK_PERIOD_DAYS: i32 = 730;

/// A rule broken by a settings value: the input field and what is wrong.
pub type Invalid = (&'static str, String);

pub fn validate_name(name: &str) -> Result<String, Invalid> {
    super::text::required("brandName", name, MAX_NAME_LEN)
}

/// An IANA timezone name such as "Europe/Berlin"; days, weeks and months are counted in it.
pub fn validate_timezone(name: &str) -> Result<String, Invalid> {
    chrono_tz::Tz::from_str(name)
        .map(|tz| tz.name().to_owned())
        .map_err(|_| {
            (
                "timezone",
                "must be an IANA timezone such as \"America/New_York\"".to_owned(),
            )
        })
}

pub fn validate_attribution_window(days: i32) -> Result<i32, Invalid> {
    if (1..=MAX_ATTRIBUTION_WINDOW_DAYS).contains(&days) {
        Ok(days)
    } else {
        Err((
            "attributionWindowDays",
            format!("must be between 1 and {MAX_ATTRIBUTION_WINDOW_DAYS}"),
        ))
    }
}

/// Days after a conversion from which its commission is locked: 0 (refunds never reverse) to
/// [`MAX_LOCK_PERIOD_DAYS`].
pub fn validate_lock_period(days: i32) -> Result<i32, Invalid> {
    if (0..=MAX_LOCK_PERIOD_DAYS).contains(&days) {
        Ok(days)
    } else {
        Err((
            "lockPeriodDays",
            format!("must be between 0 and {MAX_LOCK_PERIOD_DAYS}"),
        ))
    }
}

pub fn validate_hold_period(days: i32) -> Result<i32, Invalid> {
    if (0..=MAX_HOLD_PERIOD_DAYS).contains(&days) {
        Ok(days)
    } else {
        Err((
            "holdPeriodDays",
            format!("must be between 0 and {MAX_HOLD_PERIOD_DAYS}"),
        ))
    }
}

/// Gross margin is a share of revenue: 0 to 1 inclusive.
pub fn validate_gross_margin(margin: Decimal) -> Result<Decimal, Invalid> {
    if margin >= Decimal::ZERO && margin <= Decimal::ONE {
        Ok(margin.normalize())
    } else {
        Err(("grossMargin", "must be between 0 and 1".to_owned()))
    }
}

/// Exchange rates: positive, at most 12 decimal places, below a billion.
pub fn validate_exchange_rate(rate: Decimal) -> Result<Decimal, Invalid> {
    let max = Decimal::from(1_000_000_000);
    if rate <= Decimal::ZERO || rate >= max {
        return Err((
            "rate",
            "must be greater than 0 and less than 1e9".to_owned(),
        ));
    }
    if rate.normalize().scale() > 12 {
        return Err(("rate", "must have at most 12 decimal places".to_owned()));
    }
    Ok(rate.normalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn stored_names_round_trip() {
        for p in [CodePrecedence::CodeWins, CodePrecedence::ClickWins] {
            assert_eq!(CodePrecedence::from_stored(p.as_str()), p);
        }
        assert_eq!(
            CodePrecedence::from_stored("junk"),
            CodePrecedence::CodeWins
        );
    }

    #[test]
    fn timezones_must_be_iana_names() {
        assert_eq!(validate_timezone("Europe/Berlin").unwrap(), "Europe/Berlin");
        assert_eq!(validate_timezone("UTC").unwrap(), "UTC");
        assert_eq!(validate_timezone("Mars/Olympus").unwrap_err().0, "timezone");
        assert!(validate_timezone("").is_err());
    }

    #[test]
    fn windows_and_periods_are_bounded() {
        assert!(validate_attribution_window(0).is_err());
        assert!(validate_attribution_window(30).is_ok());
        assert!(validate_attribution_window(366).is_err());
        assert!(validate_hold_period(0).is_ok());
        assert!(validate_hold_period(-1).is_err());
        assert!(validate_lock_period(0).is_ok());
        assert!(validate_lock_period(MAX_LOCK_PERIOD_DAYS).is_ok());
        assert_eq!(validate_lock_period(-1).unwrap_err().0, "lockPeriodDays");
        assert!(validate_lock_period(MAX_LOCK_PERIOD_DAYS + 1).is_err());
    }

    #[test]
    fn gross_margin_is_a_share() {
        assert_eq!(
            validate_gross_margin(dec("0.650")).unwrap().to_string(),
            "0.65"
        );
        assert!(validate_gross_margin(dec("1")).is_ok());
        assert!(validate_gross_margin(dec("1.01")).is_err());
        assert!(validate_gross_margin(dec("-0.1")).is_err());
    }

    #[test]
    fn exchange_rates_are_positive_and_bounded() {
        assert_eq!(
            validate_exchange_rate(dec("1.0850")).unwrap().to_string(),
            "1.085"
        );
        assert!(validate_exchange_rate(dec("0")).is_err());
        assert!(validate_exchange_rate(dec("-1")).is_err());
        assert!(validate_exchange_rate(dec("0.0000000000001")).is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(validate_name("  Glow  ").unwrap(), "Glow");
        assert!(validate_name("   ").is_err());
        assert!(validate_name(&"x".repeat(121)).is_err());
    }
}
