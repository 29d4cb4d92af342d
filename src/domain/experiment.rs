//! A geo-holdout experiment's design (DOMAIN.md, Experiment): a window and the regions of each
//! arm with their populations. The result is computed by [`super::lift`].

use chrono::{DateTime, Utc};

use super::lift::Arm;

/// Bounds the `IN (...)` list the result query sends; far more than any real geo test needs.
pub const MAX_REGIONS_PER_ARM: usize = 500;
/// The longest region a conversion may carry (see conversion ingestion).
pub const MAX_REGION_CHARS: usize = 64;

/// A broken rule: the input field (a path such as `treatment[1].population`) and what is wrong.
pub type Invalid = (String, String);

/// A region as given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionInput {
    pub region: String,
    pub population: i64,
}

/// A validated region: trimmed and upper-cased like the `region` of ingested conversions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    pub arm: Arm,
    pub region: String,
    pub population: i64,
}

/// The window is `[starts_at, ends_at)` and must not be empty.
pub fn validate_window(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> Result<(), Invalid> {
    if ends_at <= starts_at {
        return Err(("endsAt".into(), "must be after startsAt".into()));
    }
    Ok(())
}

/// A region as conversions store it: trimmed, upper-cased ("us-ca " -> "US-CA").
pub fn normalize_region(value: &str) -> String {
    value.trim().to_uppercase()
}

/// Validates both arms: at least one region each, every region named (1 to 64 characters after
/// trimming) and in one arm only (case-insensitively), every population at least 1, and each
/// arm's total population within i64.
pub fn regions(treatment: &[RegionInput], control: &[RegionInput]) -> Result<Vec<Region>, Invalid> {
    let mut out: Vec<Region> = Vec::with_capacity(treatment.len() + control.len());
    for (arm, field, inputs) in [
        (Arm::Treatment, "treatment", treatment),
        (Arm::Control, "control", control),
    ] {
        if inputs.is_empty() {
            return Err((field.into(), "needs at least one region".into()));
        }
        if inputs.len() > MAX_REGIONS_PER_ARM {
            return Err((
                field.into(),
                format!("must have at most {MAX_REGIONS_PER_ARM} regions"),
            ));
        }
        let mut total: i64 = 0;
        for (i, input) in inputs.iter().enumerate() {
            let region = normalize_region(&input.region);
            let length = region.chars().count();
            if length == 0 || length > MAX_REGION_CHARS {
                return Err((
                    format!("{field}[{i}].region"),
                    format!("must be 1 to {MAX_REGION_CHARS} characters"),
                ));
            }
            if let Some(earlier) = out.iter().find(|r| r.region == region) {
                let where_ = if earlier.arm == arm {
                    "more than once in this arm".to_owned()
                } else {
                    "in both treatment and control".to_owned()
                };
                return Err((
                    format!("{field}[{i}].region"),
                    format!("{region} is {where_}"),
                ));
            }
            if input.population < 1 {
                return Err((
                    format!("{field}[{i}].population"),
                    "must be at least 1".into(),
                ));
            }
            total = total.checked_add(input.population).ok_or_else(|| {
                (
                    format!("{field}[{i}].population"),
                    "the arm's total population is too large".to_owned(),
                )
            })?;
            out.push(Region {
                arm,
                region,
                population: input.population,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn region(name: &str, population: i64) -> RegionInput {
        RegionInput {
            region: name.into(),
            population,
        }
    }

    fn field_of(result: Result<Vec<Region>, Invalid>) -> String {
        result.expect_err("invalid").0
    }

    #[test]
    fn regions_are_normalized_like_conversions() {
        let regions = regions(
            &[region(" us-ca ", 39_000_000), region("us-ny", 19_500_000)],
            &[region("US-tx", 30_000_000)],
        )
        .expect("valid");
        let names: Vec<(Arm, &str)> = regions.iter().map(|r| (r.arm, r.region.as_str())).collect();
        assert_eq!(
            names,
            [
                (Arm::Treatment, "US-CA"),
                (Arm::Treatment, "US-NY"),
                (Arm::Control, "US-TX")
            ]
        );
    }

    #[test]
    fn each_arm_needs_a_region() {
        assert_eq!(field_of(regions(&[], &[region("A", 1)])), "treatment");
        assert_eq!(field_of(regions(&[region("A", 1)], &[])), "control");
    }

    #[test]
    fn a_region_is_in_one_arm_once() {
        let both = regions(&[region("de-be", 1)], &[region("DE-BE", 1)]);
        assert_eq!(
            both.expect_err("invalid"),
            (
                "control[0].region".into(),
                "DE-BE is in both treatment and control".into()
            )
        );
        let twice = regions(&[region("A", 1), region(" a", 1)], &[region("B", 1)]);
        assert_eq!(field_of(twice), "treatment[1].region");
    }

    #[test]
    fn names_and_populations_are_checked() {
        assert_eq!(
            field_of(regions(&[region("  ", 1)], &[region("B", 1)])),
            "treatment[0].region"
        );
        let long = "X".repeat(MAX_REGION_CHARS + 1);
        assert_eq!(
            field_of(regions(&[region("A", 1)], &[region(&long, 1)])),
            "control[0].region"
        );
        assert_eq!(
            field_of(regions(&[region("A", 0)], &[region("B", 1)])),
            "treatment[0].population"
        );
        assert_eq!(
            field_of(regions(&[region("A", 1)], &[region("B", -5)])),
            "control[0].population"
        );
        let overflow = regions(&[region("A", i64::MAX), region("B", 1)], &[region("C", 1)]);
        assert_eq!(field_of(overflow), "treatment[1].population");
        let many: Vec<RegionInput> = (0..=MAX_REGIONS_PER_ARM)
            .map(|i| region(&format!("R{i}"), 1))
            .collect();
        assert_eq!(field_of(regions(&many, &[region("B", 1)])), "treatment");
    }

    #[test]
    fn the_window_is_not_empty() {
        let start = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        assert!(validate_window(start, start + Duration::days(1)).is_ok());
        assert_eq!(
            validate_window(start, start).expect_err("empty").0,
            "endsAt"
        );
        assert!(validate_window(start, start - Duration::seconds(1)).is_err());
    }
}
