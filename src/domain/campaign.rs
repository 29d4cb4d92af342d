//! Campaigns: objectives, schedules and the status lifecycle.

use chrono::{DateTime, Utc};

use super::stored_enum;
use super::text::Invalid;

stored_enum! {
    pub enum Objective {
        Sales => "SALES",
        Leads => "LEADS",
        Traffic => "TRAFFIC",
        Awareness => "AWARENESS",
    }
}

stored_enum! {
    pub enum Schedule {
        AlwaysOn => "ALWAYS_ON",
        Flight => "FLIGHT",
    }
}

stored_enum! {
    pub enum CampaignStatus {
        Draft => "DRAFT",
        Active => "ACTIVE",
        Paused => "PAUSED",
        Completed => "COMPLETED",
        Archived => "ARCHIVED",
    }
}

/// DRAFT -> ACTIVE <-> PAUSED -> COMPLETED; DRAFT, COMPLETED (and the rest) -> ARCHIVED.
/// ARCHIVED is final; a COMPLETED campaign can be re-opened (ACTIVE) to extend it.
pub fn status_transition_allowed(from: CampaignStatus, to: CampaignStatus) -> bool {
    use CampaignStatus::*;
    if from == to {
        return true;
    }
    matches!(
        (from, to),
        (Draft, Active)
            | (Active, Paused)
            | (Paused, Active)
            | (Active | Paused, Completed)
            | (Completed, Active)
            | (Draft | Active | Paused | Completed, Archived)
    )
}

/// FLIGHT needs `startsAt < endsAt`; ALWAYS_ON has no end (a start is optional: nothing before
/// it is attributed).
pub fn validate_schedule(
    schedule: Schedule,
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
) -> Result<(), Invalid> {
    match schedule {
        Schedule::Flight => match (starts_at, ends_at) {
            (Some(start), Some(end)) if start < end => Ok(()),
            (Some(_), Some(_)) => Err(("endsAt", "must be after startsAt".into())),
            (None, _) => Err(("startsAt", "is required for a FLIGHT campaign".into())),
            (_, None) => Err(("endsAt", "is required for a FLIGHT campaign".into())),
        },
        Schedule::AlwaysOn => match ends_at {
            Some(_) => Err((
                "endsAt",
                "an ALWAYS_ON campaign has no end; use FLIGHT".into(),
            )),
            None => Ok(()),
        },
    }
}

/// Whether the schedule covers `at`: FLIGHT `startsAt <= at < endsAt`; ALWAYS_ON from its start
/// (if any) on.
pub fn schedule_covers(
    schedule: Schedule,
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
) -> bool {
    let started = starts_at.is_none_or(|start| start <= at);
    match schedule {
        Schedule::AlwaysOn => started,
        Schedule::Flight => started && ends_at.is_some_and(|end| at < end),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn t(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, 0, 0, 0).unwrap()
    }

    #[test]
    fn flights_need_an_ordered_window() {
        assert!(validate_schedule(Schedule::Flight, Some(t(1)), Some(t(2))).is_ok());
        assert_eq!(
            validate_schedule(Schedule::Flight, Some(t(2)), Some(t(1)))
                .unwrap_err()
                .0,
            "endsAt"
        );
        assert_eq!(
            validate_schedule(Schedule::Flight, Some(t(2)), Some(t(2)))
                .unwrap_err()
                .0,
            "endsAt"
        );
        assert_eq!(
            validate_schedule(Schedule::Flight, None, Some(t(2)))
                .unwrap_err()
                .0,
            "startsAt"
        );
        assert!(validate_schedule(Schedule::AlwaysOn, None, None).is_ok());
        assert!(validate_schedule(Schedule::AlwaysOn, Some(t(1)), Some(t(3))).is_err());
    }

    #[test]
    fn coverage_is_half_open() {
        assert!(schedule_covers(
            Schedule::Flight,
            Some(t(1)),
            Some(t(3)),
            t(1)
        ));
        assert!(!schedule_covers(
            Schedule::Flight,
            Some(t(1)),
            Some(t(3)),
            t(3)
        ));
        assert!(schedule_covers(Schedule::AlwaysOn, None, None, t(9)));
        assert!(!schedule_covers(Schedule::AlwaysOn, Some(t(5)), None, t(4)));
    }

    #[test]
    fn status_lifecycle() {
        use CampaignStatus::*;
        assert!(status_transition_allowed(Draft, Active));
        assert!(status_transition_allowed(Active, Paused));
        assert!(status_transition_allowed(Paused, Completed));
        assert!(status_transition_allowed(Completed, Archived));
        assert!(!status_transition_allowed(Archived, Active));
        assert!(!status_transition_allowed(Draft, Paused));
        assert!(!status_transition_allowed(Active, Draft));
    }
}
